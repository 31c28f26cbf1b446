"""Layers: :class:`Linear`, :class:`Dropout` and :class:`Flatten`."""

from __future__ import annotations

import math

import numpy as np

from ._config import DTypeLike, RngLike, as_float_array, as_float_dtype, as_rng, check_int, check_real
from .module import Module, Parameter


class Linear(Module):
    """Affine map ``y = x @ weight.T + bias``.

    Shapes: ``x (N, in_features) -> y (N, out_features)``; ``weight (out_features, in_features)``;
    ``bias (out_features,)``. Leading dimensions beyond ``N`` are allowed, as in PyTorch.

    Backward: ``dx = dy @ weight``, ``dweight += dyᵀ @ x``, ``dbias += Σ_n dy``.

    Initialization is PyTorch's: every entry of ``weight`` and ``bias`` is drawn from
    ``U(-1/sqrt(in_features), 1/sqrt(in_features))``.

    The input is cast to the parameters' dtype (float32 by default), so float64 or integer
    data meet a float32 layer without an error (PyTorch raises instead).

    >>> import numpy as np, nnkit
    >>> layer = nnkit.Linear(3, 2, rng=0)
    >>> y = layer(np.ones((4, 3), dtype=np.float32))
    >>> y.shape, layer.weight.shape, layer.bias.shape
    ((4, 2), (2, 3), (2,))
    >>> layer(np.ones((4, 5)))
    Traceback (most recent call last):
        ...
    ValueError: Linear(3 -> 2) expected input with 3 features, got shape (4, 5)
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        *,
        rng: RngLike = None,
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__()
        self.in_features = check_int(in_features, "in_features", "Linear", minimum=1)
        self.out_features = check_int(out_features, "out_features", "Linear", minimum=1)
        dt = as_float_dtype(dtype, "Linear")
        gen = as_rng(rng)
        bound = 1.0 / math.sqrt(in_features)
        self.weight = Parameter(gen.uniform(-bound, bound, (out_features, in_features)).astype(dt))
        self.bias = Parameter(gen.uniform(-bound, bound, (out_features,)).astype(dt)) if bias else None
        self._dw: np.ndarray | None = None  # scratch for dweight, kept between steps

    def _name(self) -> str:
        return f"Linear({self.in_features} -> {self.out_features})"

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"

    @property
    def _x(self) -> np.ndarray:
        """The input saved by the latest forward (for subclasses that override ``backward``)."""
        return self.saved_tensors[0]

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        if x.dtype.kind not in "biuf":
            raise TypeError(f"{self._name()} expected a real-valued numeric input, got dtype {x.dtype}")
        if x.ndim < 1 or x.shape[-1] != self.in_features:
            raise ValueError(f"{self._name()} expected input with {self.in_features} features, got shape {x.shape}")
        w = self.weight.data
        if x.dtype != w.dtype:
            x = x.astype(w.dtype)
        self.save_for_backward(x)
        # one 2-D product: NumPy runs a 3-D @ 2-D product as a loop over the leading dimension, much slower
        y = x.reshape(-1, self.in_features) @ w.T
        if self.bias is not None:
            y += self.bias.data
        return y.reshape(*x.shape[:-1], self.out_features)

    def backward(self, grad_output: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        (x,) = self.saved_tensors
        dy = np.asarray(grad_output)
        if dy.shape != (*x.shape[:-1], self.out_features):
            raise ValueError(
                f"{self._name()}.backward expected grad_output of shape {(*x.shape[:-1], self.out_features)}, "
                f"got shape {dy.shape}"
            )
        dy2 = dy.reshape(-1, self.out_features)
        x2 = x.reshape(-1, self.in_features)
        w = self.weight.grad
        if self._dw is None or self._dw.shape != w.shape or self._dw.dtype != w.dtype:
            self._dw = np.empty_like(w)  # kept, so that a training step allocates no weight-sized array
        self.weight.grad += np.matmul(dy2.T, x2, out=self._dw)
        if self.bias is not None:
            self.bias.grad += dy2.sum(axis=0)
        return (dy2 @ self.weight.data).reshape(x.shape) if input_grad else None


class Dropout(Module):
    """Inverted dropout: in training, zero each element with probability ``p`` and scale
    the survivors by ``1 / (1 - p)``, so the expected output equals the input.
    In evaluation mode (``.eval()``) it is the identity.

    Forward (training): ``y = x * m / (1 - p)`` with ``m ~ Bernoulli(1 - p)``.
    Backward: ``dx = dy * m / (1 - p)`` (the same mask).

    >>> import numpy as np
    >>> drop = Dropout(0.5, rng=0)
    >>> sorted(set(drop(np.ones(8)).tolist()))
    [0.0, 2.0]
    >>> drop.eval()(np.ones(3))
    array([1., 1., 1.])
    """

    def __init__(self, p: float = 0.5, *, rng: RngLike = None) -> None:
        super().__init__()
        self.p = check_real(p, "the drop probability p", "Dropout", 0.0, 1.0)
        self.rng = as_rng(rng)

    def extra_repr(self) -> str:
        return f"p={self.p}"

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x, "Dropout")
        if not self.training or self.p == 0.0:
            self.save_for_backward(None)  # the identity: no mask
            return x
        keep = self.rng.random(x.shape, dtype=np.float64 if x.dtype == np.float64 else np.float32) >= self.p
        scale = 0.0 if self.p == 1.0 else 1.0 / (1.0 - self.p)
        scale_mask = keep.astype(x.dtype) * x.dtype.type(scale)
        self.save_for_backward(scale_mask)
        return x * scale_mask

    def backward(self, grad_output: np.ndarray, *, input_grad: bool = True) -> np.ndarray:
        (scale_mask,) = self.saved_tensors
        return grad_output if scale_mask is None else grad_output * scale_mask


class Flatten(Module):
    """Flatten dimensions ``start_dim..end_dim`` into one: ``(N, C, H, W) -> (N, C*H*W)``.

    Backward reshapes ``dy`` back to the input's shape.

    >>> import numpy as np
    >>> Flatten()(np.zeros((2, 8, 8))).shape
    (2, 64)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = check_int(start_dim, "start_dim", "Flatten")
        self.end_dim = check_int(end_dim, "end_dim", "Flatten")

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x, "Flatten")
        start = self.start_dim % x.ndim if x.ndim else 0
        end = self.end_dim % x.ndim if x.ndim else 0
        if start > end:
            raise ValueError(f"Flatten(start_dim={self.start_dim}, end_dim={self.end_dim}) got shape {x.shape}")
        self.save_for_backward(x.shape)
        return x.reshape((*x.shape[:start], -1, *x.shape[end + 1 :]))

    def backward(self, grad_output: np.ndarray, *, input_grad: bool = True) -> np.ndarray:
        (shape,) = self.saved_tensors
        return np.asarray(grad_output).reshape(shape)
