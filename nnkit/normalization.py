"""Normalization layers, as PyTorch's: :class:`BatchNorm1d`, :class:`BatchNorm2d` and :class:`LayerNorm`."""

from __future__ import annotations

import numpy as np

from ._config import DTypeLike, as_float_array, as_float_dtype, check_int, check_real
from .module import Module, Parameter


class _BatchNorm(Module):
    """What :class:`BatchNorm1d` and :class:`BatchNorm2d` share: statistics per channel (axis 1)."""

    _layouts: tuple[int, ...] = ()
    _layout_text = ""

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        *,
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__()
        where = type(self).__name__
        self.num_features = check_int(num_features, "num_features", where, minimum=1)
        self.eps = check_real(eps, "eps", where, 0.0, low_open=True)
        self.momentum = None if momentum is None else check_real(momentum, "momentum", where, 0.0, 1.0)
        self.affine, self.track_running_stats = bool(affine), bool(track_running_stats)
        dt = as_float_dtype(dtype, where)
        self.weight = Parameter(np.ones(num_features, dtype=dt)) if affine else None
        self.bias = Parameter(np.zeros(num_features, dtype=dt)) if affine else None
        tracked = track_running_stats
        self.register_buffer("running_mean", np.zeros(num_features, dtype=dt) if tracked else None)
        self.register_buffer("running_var", np.ones(num_features, dtype=dt) if tracked else None)
        self.register_buffer("num_batches_tracked", np.zeros((), dtype=np.int64) if tracked else None)

    def _name(self) -> str:
        return f"{type(self).__name__}({self.num_features})"

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
            f"track_running_stats={self.track_running_stats}"
        )

    def reset_running_stats(self) -> None:
        """Set ``running_mean`` to 0, ``running_var`` to 1 and ``num_batches_tracked`` to 0."""
        if self.track_running_stats:
            self.running_mean.fill(0)
            self.running_var.fill(1)
            self.num_batches_tracked.fill(0)

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x, self._name())
        if x.ndim not in self._layouts or x.shape[1] != self.num_features:
            raise ValueError(
                f"{self._name()} expected input of shape {self._layout_text} with "
                f"C={self.num_features}, got shape {x.shape}"
            )
        dt = self.weight.dtype if self.affine else (self.running_mean.dtype if self.track_running_stats else x.dtype)
        x = x.astype(dt, copy=False)
        axes = (0, *range(2, x.ndim))
        shape = (1, -1) + (1,) * (x.ndim - 2)  # a per-channel vector, broadcast over N and the positions
        batch_stats = self.training or not self.track_running_stats
        if batch_stats:
            count = x.size // self.num_features
            if count == 1:  # batch statistics of one value: x_hat would be 0 whatever x is (PyTorch refuses too)
                raise ValueError(
                    f"{self._name()}: expected more than 1 value per channel "
                    f"{'when training' if self.training else 'in eval mode without running statistics'}, "
                    f"got input of shape {x.shape}"
                )
            mean = x.mean(axis=axes)
            var = x.var(axis=axes)  # biased: the batch is normalized by its own spread
            if self.training and self.track_running_stats:
                self.num_batches_tracked += 1
                m = 1.0 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
                unbiased = var * (count / (count - 1))
                self.running_mean *= 1 - m
                self.running_mean += m * mean
                self.running_var *= 1 - m
                self.running_var += m * unbiased
        else:
            mean, var = self.running_mean, self.running_var
        inv_std = 1.0 / np.sqrt(var + dt.type(self.eps))
        x_hat = (x - mean.reshape(shape)) * inv_std.reshape(shape)
        self.save_for_backward(x_hat, inv_std, batch_stats)
        if not self.affine:
            return x_hat
        return x_hat * self.weight.data.reshape(shape) + self.bias.data.reshape(shape)

    def backward(self, grad_output: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        x_hat, inv_std, batch_stats = self.saved_tensors
        dy = np.asarray(grad_output)
        if dy.shape != x_hat.shape:
            raise ValueError(
                f"{self._name()}.backward expected grad_output of shape {x_hat.shape}, got shape {dy.shape}"
            )
        axes = (0, *range(2, x_hat.ndim))
        shape = (1, -1) + (1,) * (x_hat.ndim - 2)
        sum_dy, sum_dy_xhat = dy.sum(axis=axes), (dy * x_hat).sum(axis=axes)
        if self.affine:
            self.weight.grad += sum_dy_xhat
            self.bias.grad += sum_dy
        if not input_grad:
            return None
        gamma = self.weight.data if self.affine else np.ones(self.num_features, dtype=x_hat.dtype)
        scale = (gamma * inv_std).reshape(shape)
        if not batch_stats:  # fixed statistics: an affine map per channel
            return dy * scale
        count = x_hat.size // self.num_features
        return scale * (dy - (sum_dy / count).reshape(shape) - x_hat * (sum_dy_xhat / count).reshape(shape))


class BatchNorm1d(_BatchNorm):
    """Batch normalization over ``(N, C)`` or ``(N, C, L)``, as ``torch.nn.BatchNorm1d``.

    Training: per channel ``c``, over the ``m`` values of the batch (and positions),
    ``μ = mean(x)``, ``σ² = mean((x − μ)²)``, ``x̂ = (x − μ)/√(σ² + eps)``, ``y = γ·x̂ + β``
    (``γ = weight``, ``β = bias`` when ``affine``). The running statistics move towards the
    batch's: ``running_mean ← (1 − momentum)·running_mean + momentum·μ``, and so ``running_var``
    with the unbiased ``σ²·m/(m − 1)``; ``momentum=None`` takes a plain average over the batches seen.
    Evaluation (``.eval()``) uses ``running_mean`` and ``running_var`` instead (the batch's own if
    ``track_running_stats=False``).

    Backward (batch statistics): ``dγ += Σ dy·x̂``, ``dβ += Σ dy``,
    ``dx = γ/√(σ² + eps) · (dy − mean(dy) − x̂·mean(dy·x̂))``. In evaluation,
    ``dx = γ/√(running_var + eps) · dy``.

    >>> import numpy as np
    >>> bn = BatchNorm1d(2)
    >>> bn(np.array([[1.0, 10.0], [3.0, 30.0]])).round(3)  # each column: mean 0, variance 1
    array([[-1., -1.],
           [ 1.,  1.]], dtype=float32)
    >>> bn.running_mean, bn.running_var  # 0.9 * (0, 1) + 0.1 * (batch mean, unbiased variance)
    (array([0.2, 2. ], dtype=float32), array([ 1.1, 20.9], dtype=float32))
    """

    _layouts = (2, 3)
    _layout_text = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalization of each channel of ``(N, C, H, W)``, as ``torch.nn.BatchNorm2d``.

    The same maths as :class:`BatchNorm1d`, with the statistics of channel ``c`` taken over the
    ``m = N·H·W`` values of the batch and every position:
    ``x̂ = (x − μ_c)/√(σ_c² + eps)``, ``y = γ_c·x̂ + β_c``; running statistics updated in training
    (``running_var`` unbiased) and used in evaluation. Backward:
    ``dx = γ/√(σ² + eps) · (dy − mean(dy) − x̂·mean(dy·x̂))``, the means over ``N, H, W``.

    >>> import numpy as np
    >>> bn = BatchNorm2d(3)
    >>> bn(np.random.default_rng(0).normal(size=(4, 3, 5, 5))).shape
    (4, 3, 5, 5)
    >>> list(bn.state_dict())
    ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']
    """

    _layouts = (4,)
    _layout_text = "(N, C, H, W)"


class LayerNorm(Module):
    """Layer normalization over the last ``D`` dimensions, as ``torch.nn.LayerNorm``.

    Each sample (each position of a sequence) is normalized over its own ``normalized_shape``
    trailing values, ``m`` of them: ``μ = mean(x)``, ``σ² = mean((x − μ)²)`` (biased),
    ``x̂ = (x − μ)/√(σ² + eps)``, ``y = γ ⊙ x̂ + β`` (``γ = weight``, ``β = bias``, both of shape
    ``normalized_shape``). Unlike :class:`BatchNorm1d` it uses no batch statistics, so training and
    evaluation compute the same thing and there are no running statistics.

    Backward, with ``g = dy ⊙ γ`` and the means over the normalized values of each sample:
    ``dγ += Σ dy ⊙ x̂`` and ``dβ += Σ dy`` (the sums over the leading dimensions), and
    ``dx = (g − mean(g) − x̂ ⊙ mean(g ⊙ x̂)) / √(σ² + eps)``. (``x̂`` has mean 0 and mean square
    ``σ²/(σ² + eps)``; differentiating ``μ`` gives the ``−mean(g)`` term, ``σ²`` the ``x̂`` term.)

    >>> import numpy as np
    >>> ln = LayerNorm(3)
    >>> ln(np.array([[1.0, 2.0, 3.0], [10.0, 10.0, 40.0]])).round(3)
    array([[-1.225,  0.   ,  1.225],
           [-0.707, -0.707,  1.414]], dtype=float32)
    >>> list(ln.state_dict())
    ['weight', 'bias']
    """

    def __init__(
        self,
        normalized_shape: int | tuple[int, ...] | list[int],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        *,
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else tuple(normalized_shape)
        if not shape:
            raise ValueError("LayerNorm expected normalized_shape to have at least one dimension, got ()")
        self.normalized_shape = tuple(check_int(n, "normalized_shape", "LayerNorm", minimum=1) for n in shape)
        self.eps = check_real(eps, "eps", "LayerNorm", 0.0, low_open=True)
        self.elementwise_affine = bool(elementwise_affine)
        dt = as_float_dtype(dtype, "LayerNorm")
        affine = self.elementwise_affine
        self.weight = Parameter(np.ones(self.normalized_shape, dtype=dt)) if affine else None
        self.bias = Parameter(np.zeros(self.normalized_shape, dtype=dt)) if affine and bias else None
        self._dtype = dt

    def _name(self) -> str:
        return f"LayerNorm({', '.join(map(str, self.normalized_shape))})"

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x, self._name())
        d = len(self.normalized_shape)
        if x.ndim < d or x.shape[x.ndim - d :] != self.normalized_shape:
            raise ValueError(
                f"{self._name()} expected input whose last {d} dimension(s) are {self.normalized_shape}, "
                f"got shape {x.shape}"
            )
        x = x.astype(self.weight.dtype if self.weight is not None else self._dtype, copy=False)
        axes = tuple(range(x.ndim - d, x.ndim))
        mean = x.mean(axis=axes, keepdims=True)
        centred = x - mean
        var = np.mean(centred * centred, axis=axes, keepdims=True)
        inv_std = 1.0 / np.sqrt(var + x.dtype.type(self.eps))
        x_hat = centred * inv_std
        self.save_for_backward(x_hat, inv_std)
        if self.weight is None:
            return x_hat
        y = x_hat * self.weight.data
        return y + self.bias.data if self.bias is not None else y

    def backward(self, grad_output: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        x_hat, inv_std = self.saved_tensors
        dy = np.asarray(grad_output)
        if dy.shape != x_hat.shape:
            raise ValueError(
                f"{self._name()}.backward expected grad_output of shape {x_hat.shape}, got shape {dy.shape}"
            )
        d = len(self.normalized_shape)
        lead = tuple(range(x_hat.ndim - d))
        if self.weight is not None:
            self.weight.grad += (dy * x_hat).sum(axis=lead)
        if self.bias is not None:
            self.bias.grad += dy.sum(axis=lead)
        if not input_grad:
            return None
        g = dy * self.weight.data if self.weight is not None else dy
        axes = tuple(range(x_hat.ndim - d, x_hat.ndim))
        return inv_std * (g - g.mean(axis=axes, keepdims=True) - x_hat * (g * x_hat).mean(axis=axes, keepdims=True))


__all__ = ["BatchNorm1d", "BatchNorm2d", "LayerNorm"]
