"""Loss functions: :class:`MSELoss`, :class:`CrossEntropyLoss`, :class:`BCEWithLogitsLoss`.

Calling a loss, ``loss_fn(input, target)``, returns the loss as a Python float.
``loss_fn.backward()`` then returns ``dL/d input`` (times ``grad_output``, 1 by default),
with the shape and dtype of ``input``, once per call (see :class:`~nnkit.Module`).
``reduction`` is ``'mean'`` or ``'sum'``. ``input`` is the model's output, so it must be
floating point; an empty batch is refused (a mean over nothing is undefined).
"""

from __future__ import annotations

import numpy as np

from . import functional as F
from .module import Module

_REDUCTIONS = ("mean", "sum")


class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        if reduction not in _REDUCTIONS:
            raise ValueError(f"{type(self).__name__} expected reduction 'mean' or 'sum', got {reduction!r}")
        self.reduction = reduction

    def extra_repr(self) -> str:
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"

    def __call__(self, input: np.ndarray, target: np.ndarray) -> float:
        return self.forward(input, target)

    def backward(self, grad_output: float = 1.0, *, input_grad: bool = True) -> np.ndarray:
        """Return ``dL/d input`` scaled by ``grad_output``."""
        (grad,) = self.saved_tensors
        return grad if grad_output == 1.0 else grad * grad.dtype.type(grad_output)

    def _as_float(self, input: np.ndarray) -> np.ndarray:
        x = np.asarray(input)
        if not np.issubdtype(x.dtype, np.floating):
            raise ValueError(f"{type(self).__name__} expected a floating-point input, got dtype {x.dtype}")
        if x.size == 0:
            raise ValueError(f"{type(self).__name__} expected a non-empty input, got shape {x.shape}")
        return x

    def _reduce_scale(self, count: int) -> float:
        return 1.0 / count if self.reduction == "mean" else 1.0


class MSELoss(_Loss):
    """Mean squared error ``L = (1/n) Σ (x - t)^2`` over all ``n`` elements (``'sum'``: no ``1/n``).

    Shapes: ``input`` and ``target`` have the same shape. Backward: ``dx = 2 (x - t) / n``.

    >>> import numpy as np
    >>> loss_fn = MSELoss()
    >>> loss_fn(np.array([1.0, 3.0]), np.array([0.0, 0.0]))
    5.0
    >>> loss_fn.backward()
    array([1., 3.])
    """

    def forward(self, input: np.ndarray, target: np.ndarray) -> float:
        x = self._as_float(input)
        t = np.asarray(target)
        if t.shape != x.shape:
            raise ValueError(f"MSELoss expected target of shape {x.shape} (the input's), got shape {t.shape}")
        diff = x - t.astype(x.dtype, copy=False)
        scale = self._reduce_scale(x.size)
        self.save_for_backward(diff * x.dtype.type(2.0 * scale))
        return float(np.dot(diff.ravel(), diff.ravel()) * scale)


class CrossEntropyLoss(_Loss):
    """Softmax cross-entropy on logits: ``L = -(1/N) Σ_n log softmax(x_n)[t_n]``.

    Shapes: ``input`` logits ``(N, C)``; ``target`` integer class labels ``(N,)`` in ``[0, C)``.
    ``ignore_index`` (PyTorch's, default -100): a target equal to it adds nothing to the loss and
    gets a zero gradient, and ``'mean'`` divides by the number of the other targets (a batch
    whose targets are all ignored gives ``nan``, as in PyTorch). Use it for padded sequences.
    One-hot or probability targets ``(N, C)``, which PyTorch also accepts, are refused: pass
    ``Y.argmax(axis=1)`` for one-hot ``Y``.
    The log-softmax is fused and computed stably (the row maximum is subtracted), so
    huge logits are fine. Backward: ``dx = (softmax(x) - onehot(t)) / N``.

    >>> import numpy as np
    >>> loss_fn = CrossEntropyLoss()
    >>> round(loss_fn(np.zeros((2, 4)), np.array([0, 3])), 6)   # log 4
    1.386294
    >>> loss_fn.backward()
    array([[-0.375,  0.125,  0.125,  0.125],
           [ 0.125,  0.125,  0.125, -0.375]])
    """

    def __init__(self, reduction: str = "mean", ignore_index: int = -100) -> None:
        super().__init__(reduction)
        self.ignore_index = int(ignore_index)

    def extra_repr(self) -> str:
        extra = [super().extra_repr()] + ([] if self.ignore_index == -100 else [f"ignore_index={self.ignore_index}"])
        return ", ".join(e for e in extra if e)

    def forward(self, input: np.ndarray, target: np.ndarray) -> float:
        x = self._as_float(input)
        t = np.asarray(target)
        if x.ndim != 2:
            raise ValueError(f"CrossEntropyLoss expected logits of shape (N, C), got shape {x.shape}")
        n, c = x.shape
        if not (np.issubdtype(t.dtype, np.integer) and t.shape == (n,)):
            hint = " (for one-hot targets Y, pass Y.argmax(axis=1))" if t.shape == (n, c) else ""
            raise ValueError(
                f"CrossEntropyLoss expected integer class labels of shape ({n},), got dtype {t.dtype} "
                f"and shape {t.shape}{hint}"
            )
        kept = t != self.ignore_index
        out_of_range = kept & ((t < 0) | (t >= c))
        if out_of_range.any():
            raise ValueError(
                f"CrossEntropyLoss expected class labels in [0, {c}) or ignore_index {self.ignore_index}, "
                f"got label {t[out_of_range][0]}"
            )
        logp = F.log_softmax(x, dim=1)
        rows = np.flatnonzero(kept)
        count = rows.size
        scale = (1.0 / count if count else np.nan) if self.reduction == "mean" else 1.0
        grad = np.exp(logp)
        grad[rows, t[rows]] -= 1
        grad[~kept] = 0
        grad *= x.dtype.type(scale)
        self.save_for_backward(grad)
        return float(-logp[rows, t[rows]].sum() * scale)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy on logits, fused with the sigmoid:
    ``L = (1/n) Σ [max(x, 0) - x t + log(1 + e^-|x|)]`` (equal to ``-t log σ(x) - (1-t) log(1-σ(x))``).

    Shapes: ``input`` logits and ``target`` probabilities in ``[0, 1]`` of the same shape.
    Backward: ``dx = (σ(x) - t) / n``.

    >>> import numpy as np
    >>> loss_fn = BCEWithLogitsLoss()
    >>> round(loss_fn(np.array([0.0]), np.array([1.0])), 6)   # log 2
    0.693147
    >>> loss_fn.backward()
    array([-0.5])
    """

    def forward(self, input: np.ndarray, target: np.ndarray) -> float:
        x = self._as_float(input)
        t = np.asarray(target)
        if t.shape != x.shape:
            raise ValueError(f"BCEWithLogitsLoss expected target of shape {x.shape} (the input's), got shape {t.shape}")
        t = t.astype(x.dtype, copy=False)
        if t.min() < 0 or t.max() > 1:
            raise ValueError("BCEWithLogitsLoss expected targets in [0, 1], got values outside that range")
        scale = self._reduce_scale(x.size)
        self.save_for_backward((F.sigmoid(x) - t) * x.dtype.type(scale))
        per_element = np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x)))
        return float(per_element.sum() * scale)
