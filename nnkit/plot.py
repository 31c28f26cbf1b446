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

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

try:
    import matplotlib.pyplot as plt
    from cycler import cycler
    from matplotlib.axes import Axes
except ImportError as err:  # pragma: no cover - depends on the environment
    raise ImportError(f"nnkit.plot needs matplotlib ({err.name} is missing): pip install 'nnkit[plot]'") from err

from .module import Module

__all__ = [
    "CLASS_COLORS",
    "CLASS_MARKERS",
    "LINE_STYLES",
    "book_style",
    "decision_boundary",
    "loss_curves",
    "model_dtype",
    "scatter_classes",
]

#: Colours (Okabe-Ito, safe for colour-blind readers) and markers for classes 0, 1, 2, ...
CLASS_COLORS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
CLASS_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
#: Dash patterns that stay distinct in greyscale, in the order lines are drawn.
LINE_STYLES = ("-", "--", ":", "-.", (0, (5, 1, 1, 1, 1, 1)), (0, (1, 3)))


def book_style() -> None:
    """Set matplotlib defaults for the book: small figures, and lines that differ by colour *and* dash."""
    n = len(LINE_STYLES)
    plt.rcParams.update(
        {
            "figure.figsize": (6.0, 3.6),
            "figure.dpi": 80,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.prop_cycle": cycler(color=list(CLASS_COLORS[:n])) + cycler(linestyle=list(LINE_STYLES)),
            "legend.frameon": False,
        }
    )


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
        ax.legend(loc="best", fontsize="small")
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
