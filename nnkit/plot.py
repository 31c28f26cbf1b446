"""Plotting helpers for the book: decision boundaries, classes, training curves.

Every figure is readable in greyscale: classes differ by marker as well as colour, and
lines by dash pattern (see :func:`book_style`). Needs the ``plot`` extra
(``pip install 'nnkit[plot]'``).

>>> import numpy as np, nnkit
>>> from nnkit import data, plot
>>> X, y = data.make_moons(100, rng=0)
>>> model = nnkit.Sequential(nnkit.Linear(2, 8, rng=0), nnkit.Tanh(), nnkit.Linear(8, 2, rng=1))
>>> ax = plot.decision_boundary(model, X, y, title="untrained")
>>> ax.get_title()
'untrained'
>>> plot.plt.close("all")
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

try:
    import matplotlib.pyplot as plt
    from cycler import cycler
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
except ImportError as err:  # pragma: no cover - depends on the environment
    raise ImportError(f"nnkit.plot needs matplotlib ({err.name} is missing): pip install 'nnkit[plot]'") from err

from .module import Module

__all__ = [
    "CLASS_COLORS",
    "CLASS_MARKERS",
    "DISPLAY_DPI",
    "LINE_STYLES",
    "MAX_FIGURE_WIDTH_IN",
    "MIN_FONT_PT",
    "PIXEL_RATIO",
    "book_style",
    "decision_boundary",
    "layer_stats",
    "loss_curves",
    "model_dtype",
    "scatter_classes",
    "seed_band",
    "small_text",
]

#: Colours (Okabe-Ito, safe for colour-blind readers) and markers for classes 0, 1, 2, ...
CLASS_COLORS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
CLASS_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
#: Dash patterns that stay distinct in greyscale, in the order lines are drawn.
LINE_STYLES = ("-", "--", ":", "-.", (0, (5, 1, 1, 1, 1, 1)), (0, (1, 3)))


#: The on-screen size of a figure in the book, in CSS pixels per inch of its ``figsize``.
DISPLAY_DPI = 100
#: Figures and explorable frames are drawn at this multiple of their on-screen size, so that they
#: stay sharp on HiDPI screens and at 200% zoom.
PIXEL_RATIO = 2
#: The smallest font size in points that a figure may use. At ``DISPLAY_DPI`` it shows at 14.6 CSS px,
#: no smaller than the site's caption text (0.875 of the 16 px body text, so 14 px).
MIN_FONT_PT = 10.5
#: The widest figure the book shows, in inches. At ``DISPLAY_DPI`` it is 750 CSS px, which fits the
#: text column of a window 1440 px wide or wider without being scaled down (and its text with it).
MAX_FIGURE_WIDTH_IN = 7.5


def book_style() -> None:
    """Set matplotlib defaults for the book.

    - Figures show at ``DISPLAY_DPI`` CSS pixels per inch and are drawn at ``PIXEL_RATIO`` times
      that: in a notebook, the inline backend stores a pixel-doubled ("retina") PNG with its
      display width, and ``savefig`` defaults to the same resolution.
    - No text is smaller than ``MIN_FONT_PT`` (the site's caption size once shown).
    - Lines differ by colour *and* dash pattern, so that figures work in greyscale.
    """
    n = len(LINE_STYLES)
    plt.rcParams.update(
        {
            "figure.figsize": (6.0, 3.6),
            "figure.dpi": DISPLAY_DPI,
            "savefig.dpi": DISPLAY_DPI * PIXEL_RATIO,
            "font.size": 11.0,
            "axes.titlesize": 12.0,
            "axes.labelsize": 11.0,
            "xtick.labelsize": MIN_FONT_PT,
            "ytick.labelsize": MIN_FONT_PT,
            "legend.fontsize": MIN_FONT_PT,
            "legend.title_fontsize": MIN_FONT_PT,
            "figure.titlesize": 12.0,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.prop_cycle": cycler(color=list(CLASS_COLORS[:n])) + cycler(linestyle=list(LINE_STYLES)),
            "legend.frameon": False,
        }
    )
    _inline_retina()


def _inline_retina() -> None:
    """In IPython with the inline backend, store figures as pixel-doubled PNGs with their display size."""
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # pragma: no cover - plain Python, no notebook
        return
    if get_ipython() is not None:
        set_matplotlib_formats("retina")


def small_text(figure: Figure, min_size: float = MIN_FONT_PT) -> list[str]:
    """The visible texts of ``figure`` (titles, labels, tick labels, legends, annotations) whose
    font is smaller than ``min_size`` points, as ``"'text' (9.0 pt)"`` strings; empty if none.

    >>> fig, ax = plt.subplots()
    >>> _ = ax.set_title("fine", fontsize=12); _ = ax.text(0, 0, "tiny", fontsize=6)
    >>> small_text(fig)
    ["'tiny' (6.0 pt)"]
    >>> plt.close(fig)
    """
    from matplotlib.text import Text

    found = []
    for text in figure.findobj(Text):
        if text.get_visible() and text.get_text().strip() and text.get_fontsize() < min_size - 1e-9:
            found.append(f"{text.get_text()!r} ({text.get_fontsize():.1f} pt)")
    return found


def seed_band(
    ax: Axes,
    x: Sequence[float] | np.ndarray,
    runs: Sequence[Sequence[float]] | np.ndarray,
    *,
    center: str = "median",
    alpha: float = 0.2,
    **line_kwargs: Any,
) -> Any:
    """Draw runs over seeds as their median (or mean) line and a min–max band; return the line.

    ``runs`` has shape ``(n_seeds, len(x))``; the band is shaded in the line's colour, so it
    follows the colour and dash cycle of :func:`book_style` unless ``color`` is given. NaN
    values (a run that diverged or stopped early) are left out of that point's statistics.

    >>> fig, ax = plt.subplots()
    >>> line = seed_band(ax, [1, 2, 3], [[1.0, 0.5, 0.2], [1.2, 0.7, 0.4], [0.8, 0.6, 0.3]], label="SGD")
    >>> line.get_ydata().tolist(), line.get_label()
    ([1.0, 0.6, 0.3], 'SGD')
    >>> plt.close(fig)
    """
    x = np.asarray(x, dtype=float)
    runs = np.atleast_2d(np.asarray(runs, dtype=float))
    if runs.ndim != 2 or runs.shape[1] != x.shape[0]:
        raise ValueError(f"seed_band() expected runs of shape (n_seeds, {x.shape[0]}), got {runs.shape}")
    if center not in ("median", "mean"):
        raise ValueError(f"seed_band() center must be 'median' or 'mean', got {center!r}")
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a point where every run is NaN
        middle = np.nanmedian(runs, axis=0) if center == "median" else np.nanmean(runs, axis=0)
        low, high = np.nanmin(runs, axis=0), np.nanmax(runs, axis=0)
    (line,) = ax.plot(x, middle, **line_kwargs)
    ax.fill_between(x, low, high, color=line.get_color(), alpha=alpha, linewidth=0)
    return line


def scatter_classes(
    X: np.ndarray, y: np.ndarray, ax: Axes | None = None, *, legend: bool = True, **kwargs: Any
) -> Axes:
    """Scatter 2-D points, one colour *and* marker per class, with a legend unless ``legend=False``."""
    ax = ax if ax is not None else plt.gca()
    X, y = np.asarray(X), np.asarray(y).ravel()
    size = kwargs.pop("s", 14)
    for k, cls in enumerate(np.unique(y)):
        pts = X[y == cls]
        ax.scatter(
            pts[:, 0],
            pts[:, 1],
            s=size,
            c=CLASS_COLORS[k % len(CLASS_COLORS)],
            marker=CLASS_MARKERS[k % len(CLASS_MARKERS)],
            edgecolors="black",
            linewidths=0.4,
            label=f"class {cls}",
            **kwargs,
        )
    ax.set(xlabel="$x_1$", ylabel="$x_2$")
    if legend:
        ax.legend(loc="best")
    return ax


def loss_curves(
    history: Any,
    ax: Axes | None = None,
    *,
    title: str | None = None,
    keys: Sequence[str] = ("loss", "val_loss"),
    reference: float | None = None,
) -> Axes:
    """Plot per-epoch curves from a :class:`nnkit.train.History` (or its ``history`` dict).

    Training and validation curves get different dash patterns; ``reference`` draws a dotted
    horizontal line (e.g. ``ln C``, the loss of a uniform guess over ``C`` classes).

    >>> from nnkit.train import History
    >>> ax = loss_curves(History(history={"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]}), title="demo")
    >>> [line.get_label() for line in ax.get_lines()]
    ['loss', 'val_loss']
    >>> plt.close("all")
    """
    ax = ax if ax is not None else plt.gca()
    curves = getattr(history, "history", history)
    for i, key in enumerate(k for k in keys if k in curves):
        values = curves[key]
        ax.plot(range(1, len(values) + 1), values, color=CLASS_COLORS[i], linestyle=LINE_STYLES[i], label=key)
    if reference is not None:
        ax.axhline(reference, color="gray", linestyle=":", label=f"reference {reference:.3g}")
    ax.set(xlabel="epoch", ylabel="loss")
    ax.legend()
    if title is not None:
        ax.set_title(title)
    return ax


STAT_LABELS = {
    "act_mean": "mean of the output",
    "act_std": "std of the output",
    "dead": "dead ReLU units (fraction)",
    "grad_norm": "gradient norm",
    "update_ratio": "update / weight",
}


def layer_stats(
    stats: Any,
    keys: Sequence[str] = ("act_std", "dead", "grad_norm", "update_ratio"),
    *,
    layers: Sequence[str] | None = None,
    title: str | None = None,
) -> Figure:
    """Draw what a :class:`nnkit.diagnostics.LayerStats` recorded: one panel per key, one line per layer,
    against the training step. Gradient norms and update ratios get a logarithmic axis; a key with no
    value for a layer (NaN: a ReLU has no gradient, a Linear no dead units) leaves that layer out of the
    panel. ``layers`` picks layers by name (all by default).

    >>> import numpy as np
    >>> from nnkit.diagnostics import LayerStats
    >>> stats = LayerStats()
    >>> stats.steps = [1, 2]
    >>> stats.records = {"0": {"act_std": [1.0, 0.9], "dead": [np.nan, np.nan], "grad_norm": [0.5, 0.4],
    ...                        "update_ratio": [1e-3, 2e-3]}}
    >>> fig = layer_stats(stats)
    >>> [ax.get_title() for ax in fig.axes]
    ['std of the output', 'dead ReLU units (fraction)', 'gradient norm', 'update / weight']
    >>> plt.close("all")
    """
    names = list(stats.records) if layers is None else list(layers)
    cols = min(2, len(keys))
    rows = -(-len(keys) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(7.0, 2.4 * rows + 0.4), layout="constrained", squeeze=False)
    steps = np.asarray(stats.steps)
    for ax, key in zip(axes.ravel(), keys, strict=False):
        for i, name in enumerate(names):
            values = np.asarray(stats.records[name][key], dtype=float)
            if values.size == 0 or np.isnan(values).all():
                continue
            style = {"color": CLASS_COLORS[i % len(CLASS_COLORS)], "linestyle": LINE_STYLES[(i // 8) % 2]}
            ax.plot(steps[: len(values)], values, label=f"layer {name}" if name else "model", **style)
        if key in ("grad_norm", "update_ratio") and ax.lines:
            ax.set_yscale("log")
        ax.set(title=STAT_LABELS.get(key, key), xlabel="step")
    for ax in axes.ravel()[len(keys) :]:
        ax.set_visible(False)
    handles = {line.get_label(): line for ax in axes.ravel() for line in ax.get_lines()}
    if handles:
        fig.legend(list(handles.values()), list(handles), loc="outside right center")
    if title is not None:
        fig.suptitle(title)
    return fig


def _predict_classes(model: Module | Callable[[np.ndarray], np.ndarray], grid: np.ndarray) -> np.ndarray:
    """Class predicted at each grid point: argmax of (N, C) scores, or score > 0 for one output."""
    if isinstance(model, Module):
        was_training = model.training
        model.eval()
        try:
            with np.errstate(all="ignore"):
                scores = np.asarray(model(grid.astype(model_dtype(model))))
        finally:
            model.train(was_training)
    else:
        scores = np.asarray(model(grid))
    if not np.isfinite(scores).all():
        raise FloatingPointError("the model's outputs are not all finite (NaN or inf): it has diverged")
    if scores.ndim == 2 and scores.shape[1] > 1:
        return scores.argmax(axis=1)
    return (scores.reshape(len(grid)) > 0).astype(int)


def model_dtype(model: Module) -> np.dtype:
    """The dtype of a module's first parameter (float32 if it has none)."""
    first = next(iter(model.parameters()), None)
    return first.dtype if first is not None else np.dtype(np.float32)


def decision_boundary(
    model: Module | Callable[[np.ndarray], np.ndarray],
    X: np.ndarray,
    y: np.ndarray,
    ax: Axes | None = None,
    *,
    title: str | None = None,
    resolution: int = 150,
    margin: float = 0.5,
    classes: Sequence[int] | None = None,
    legend: bool = True,
) -> Axes:
    """Shade the class a 2-D classifier predicts over the plane, and draw the data on top.

    ``model`` is an nnkit module (evaluated in eval mode) or any function of an ``(N, 2)``
    array that returns ``(N, C)`` scores or ``(N,)``/``(N, 1)`` logits (class 1 where > 0).
    The regions are light tints of the class colours, bounded by a black line. A model whose
    outputs are not finite (it diverged) gets no regions, and a note saying so instead.
    """
    ax = ax if ax is not None else plt.gca()
    X = np.asarray(X)
    lo, hi = X.min(axis=0) - margin, X.max(axis=0) + margin
    xs, ys = np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution)
    gx, gy = np.meshgrid(xs, ys)
    try:
        pred = _predict_classes(model, np.column_stack([gx.ravel(), gy.ravel()])).reshape(gx.shape)
    except FloatingPointError:
        scatter_classes(X, y, ax, legend=legend)
        ax.text(
            0.5,
            0.5,
            "no boundary:\nthe outputs are NaN or inf",
            transform=ax.transAxes,
            ha="center",
            va="center",
            bbox={"facecolor": "white", "edgecolor": "black"},
        )
        ax.set(xlim=(lo[0], hi[0]), ylim=(lo[1], hi[1]))
        if title is not None:
            ax.set_title(title)
        return ax
    n = int(max(pred.max(), np.max(y) if classes is None else max(classes))) + 1
    levels = np.arange(n + 1) - 0.5
    ax.contourf(gx, gy, pred, levels=levels, colors=CLASS_COLORS[:n], alpha=0.18)
    ax.contour(gx, gy, pred, levels=levels[1:-1], colors="black", linewidths=1.0)
    scatter_classes(X, y, ax, legend=legend)
    ax.set(xlim=(lo[0], hi[0]), ylim=(lo[1], hi[1]))
    if title is not None:
        ax.set_title(title)
    return ax
