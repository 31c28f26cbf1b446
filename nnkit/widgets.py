"""Explorables: a figure with one or two knobs that works on the static site, without a kernel.

``explorable(draw, lr=[0.01, 0.1, 1.0])`` calls ``draw(lr=...)`` once per value, stores each
figure as a small PNG frame, and returns a widget: a control per knob, one under the other (a
slider for numbers, buttons or a drop-down for anything else), above a stack of frames that shows
one frame at a time. The controls are tied to the stacks with ``ipywidgets.jslink``, which runs in
the browser, so the built book (which renders the notebook's stored widget state) switches frames
with no Python behind it. In JupyterLab the same widgets work as they are.

With two knobs the frames sit in nested stacks: the outer stack has one inner stack per value of
the first knob, and the second knob's control is linked to every inner stack.

Needs the ``widgets`` extra: ``pip install 'nnkit[widgets]'`` (ipywidgets and matplotlib).
"""

from __future__ import annotations

import io
import numbers
from collections.abc import Callable, Sequence
from typing import Any

try:
    import ipywidgets
    import matplotlib.pyplot as plt
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from PIL import Image

    from .plot import DISPLAY_DPI, PIXEL_RATIO
except ImportError as err:  # pragma: no cover - depends on the environment
    raise ImportError(
        f"nnkit.widgets needs ipywidgets and matplotlib ({err.name} is missing): pip install 'nnkit[widgets]'"
    ) from err

__all__ = ["FRAME_DPI", "MAX_KNOBS", "explorable"]

#: The resolution of the stored frames in dots per inch of the figure's size. It is ``PIXEL_RATIO``
#: times ``DISPLAY_DPI``, the CSS pixels per inch at which a frame is shown (see :mod:`nnkit.plot`).
FRAME_DPI = DISPLAY_DPI * PIXEL_RATIO
#: The number of colours in a frame's palette. It is enough for the book's anti-aliased lines and
#: tints, and makes pages 20% lighter than 256 colours.
FRAME_COLORS = 128
#: An explorable has one or two knobs (nested stacks); more would multiply the frames.
MAX_KNOBS = 2
#: String knobs with at most this many values get buttons; more get a drop-down.
MAX_BUTTONS = 4


def explorable(draw: Callable[..., Figure | Axes | None], /, **knobs: Sequence[Any]) -> ipywidgets.VBox:
    """A figure with one or two knobs, precomputed for every combination of their values.

    ``draw(**values)`` is called once per combination and must return a matplotlib ``Figure``
    (or an ``Axes`` of one), or draw on a new pyplot figure and return ``None``. Each figure is
    saved as a PNG frame at ``FRAME_DPI`` and closed, so the notebook shows only the widget.
    Numeric knobs get a slider, other knobs buttons (up to ``MAX_BUTTONS`` values) or a drop-down,
    each labelled with the knob's name. ``draw`` is positional-only, so any name can be a knob.

    A frame is drawn at ``FRAME_DPI`` and shown at its figure's size in ``DISPLAY_DPI`` CSS pixels
    per inch (at most 100% of the text column). Keep figures small (e.g. ``figsize=(5, 3),
    layout="constrained"``; a frame is then about 20 kB): every frame is stored in the notebook.
    Returns a ``VBox`` of a ``VBox`` of the controls and the outer ``Stack``; display it as a
    cell's last expression.

    Example (two knobs, 3 × 2 = 6 frames):

    >>> import numpy as np
    >>> import matplotlib.pyplot as plt
    >>> def draw(w, activation):
    ...     x = np.linspace(-4, 4, 101)
    ...     fig, ax = plt.subplots(figsize=(4, 2.5), layout="constrained")
    ...     ax.plot(x, np.tanh(w * x) if activation == "tanh" else 1 / (1 + np.exp(-w * x)))
    ...     ax.set(title=f"{activation}(w x), w = {w}", xlabel="x", ylabel="activation")
    ...     return fig
    >>> box = explorable(draw, w=[0.5, 1.0, 2.0], activation=["sigmoid", "tanh"])
    >>> [control.description for control in box.children[0].children]
    ['w', 'activation']
    >>> len(box.children[1].children), len(box.children[1].children[0].children)
    (3, 2)
    """
    grid = _check_knobs(knobs)
    controls = [_control(name, values) for name, values in grid.items()]
    return ipywidgets.VBox([ipywidgets.VBox(controls), _stack(draw, list(grid.items()), controls, {})])


def _check_knobs(knobs: dict[str, Sequence[Any]]) -> dict[str, list[Any]]:
    """The knobs as lists of values, after checking their number and their values."""
    if not knobs:
        raise TypeError("explorable() needs at least one knob, e.g. explorable(draw, lr=[0.01, 0.1, 1.0])")
    if len(knobs) > MAX_KNOBS:
        raise TypeError(f"explorable() takes at most {MAX_KNOBS} knobs, got {len(knobs)}: {', '.join(knobs)}")
    for name, values in knobs.items():
        if isinstance(values, str | bytes) or not isinstance(values, Sequence):
            raise TypeError(f"knob {name!r} must be a list or tuple of values, got {type(values).__name__}")
        if len(values) == 0:
            raise ValueError(f"knob {name!r} has no values")
        labels = _labels(values)
        if len(set(labels)) < len(labels):
            raise ValueError(f"knob {name!r} has values with the same label: {labels}")
    return {name: list(values) for name, values in knobs.items()}


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _labels(values: Sequence[Any]) -> list[str]:
    """Readable labels: ``0.001`` and ``1e-05`` for numbers, ``str(value)`` otherwise."""
    return [f"{value:.4g}" if _is_number(value) else str(value) for value in values]


def _control(name: str, values: list[Any]) -> ipywidgets.ValueWidget:
    """A slider for numeric values, buttons or a drop-down for the others; linked by ``index``."""
    options = list(zip(_labels(values), values, strict=True))
    style = {"description_width": "initial"}
    if all(_is_number(value) for value in values):
        return ipywidgets.SelectionSlider(options=options, description=name, style=style)
    if len(values) <= MAX_BUTTONS:
        return ipywidgets.ToggleButtons(
            options=options, description=name, style={**style, "button_width": "auto"}, layout={"display": "flex"}
        )
    # as wide as its longest option, so that no label is cut off
    return ipywidgets.Dropdown(options=options, description=name, style=style, layout={"width": "max-content"})


def _stack(
    draw: Callable[..., Figure | Axes | None],
    grid: list[tuple[str, list[Any]]],
    controls: list[ipywidgets.ValueWidget],
    fixed: dict[str, Any],
) -> ipywidgets.Stack:
    """A stack over the first knob's values, of images (last knob) or of stacks over the other knobs.

    Its ``selected_index`` is linked to the first control's ``index``; ``fixed`` holds the values
    that the outer stacks have chosen.
    """
    (name, values), rest = grid[0], grid[1:]
    children = [
        _stack(draw, rest, controls[1:], {**fixed, name: value}) if rest else _image(draw, {**fixed, name: value})
        for value in values
    ]
    stack = ipywidgets.Stack(children=children, selected_index=0)
    ipywidgets.jslink((controls[0], "index"), (stack, "selected_index"))
    return stack


def _image(draw: Callable[..., Figure | Axes | None], values: dict[str, Any]) -> ipywidgets.Image:
    """The frame for ``values``, shown at its figure's size (``DISPLAY_DPI`` CSS px per inch)."""
    png, width = _frame(draw, values)
    return ipywidgets.Image(value=png, format="png", width=str(width), layout={"max_width": "100%", "height": "auto"})


def _frame(draw: Callable[..., Figure | Axes | None], values: dict[str, Any]) -> tuple[bytes, int]:
    """Call ``draw(**values)``; return its figure as PNG bytes and its display width in CSS pixels,
    and close every figure it opened."""
    before = set(plt.get_fignums())
    try:
        result = draw(**values)
        if isinstance(result, Axes):
            result = result.figure
        if result is None and set(plt.get_fignums()) > before:
            result = plt.gcf()
        if not isinstance(result, Figure):
            raise TypeError(
                f"draw({', '.join(f'{k}={v!r}' for k, v in values.items())}) must return a matplotlib Figure "
                f"or Axes, or draw on a new pyplot figure; it returned {type(result).__name__}"
            )
        return _png(result), round(result.get_figwidth() * DISPLAY_DPI)
    finally:
        for number in set(plt.get_fignums()) - before:
            plt.close(number)


def _png(figure: Figure) -> bytes:
    """The figure as a small, deterministic PNG: a palette of ``FRAME_COLORS`` colours, optimized,
    no metadata (deterministic: the same figure gives the same bytes)."""
    raw = io.BytesIO()
    figure.savefig(raw, format="png", dpi=FRAME_DPI, metadata={"Software": None})
    rgb = Image.open(raw).convert("RGB")
    image = rgb.quantize(FRAME_COLORS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = io.BytesIO()
    image.save(out, format="png", optimize=True)
    return out.getvalue()
