"""Pooling layers, as PyTorch's: :class:`MaxPool1d`, :class:`MaxPool2d`, :class:`AvgPool1d`,
:class:`AvgPool2d`, :class:`AdaptiveAvgPool1d` and :class:`AdaptiveAvgPool2d`.

A pooling layer summarizes each window of each channel by one number. The windows are visited
one kernel offset at a time (a loop over the few offsets of the kernel), each step vectorized
over every sample, channel and output position. The 1-D layers are the 2-D ones with height 1.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._config import as_float_array, check_int
from .conv import _tuple
from .module import Module

_LAYOUT = {1: "(N, C, L)", 2: "(N, C, H, W)"}


def _window(i: int, j: int, geometry: tuple[tuple[int, int], ...]) -> tuple[slice, slice, slice, slice]:
    """The slice of a padded ``(N, C, Hp, Wp)`` array that kernel offset ``(i, j)`` reads for every output."""
    (_, _), (sh, sw), (dh, dw), (ho, wo) = geometry
    return (
        slice(None),
        slice(None),
        slice(i * dh, i * dh + sh * (ho - 1) + 1, sh),
        slice(j * dw, j * dw + sw * (wo - 1) + 1, sw),
    )


class _Pool(Module):
    """What the sliding-window pools share: arguments, checks, 1-D as 2-D, padding and geometry."""

    _nd = 2
    _pad_value = 0.0

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1) -> None:
        super().__init__()
        nd, where = self._nd, type(self).__name__
        self.kernel_size = _tuple(kernel_size, nd, "kernel_size", where, minimum=1)
        self.stride = self.kernel_size if stride is None else _tuple(stride, nd, "stride", where, minimum=1)
        self.padding = _tuple(padding, nd, "padding", where, minimum=0)
        self.dilation = _tuple(dilation, nd, "dilation", where, minimum=1)
        if any(2 * p > k for p, k in zip(self.padding, self.kernel_size)):
            raise ValueError(
                f"{where}: padding should be at most half of kernel_size (as in PyTorch), "
                f"got padding={self.padding} and kernel_size={self.kernel_size}"
            )

    def _name(self) -> str:
        k = self.kernel_size if self._nd > 1 else self.kernel_size[0]
        return f"{type(self).__name__}(kernel_size={k})"

    def extra_repr(self) -> str:
        unpack = (lambda v: v) if self._nd > 1 else (lambda v: v[0])
        return f"kernel_size={unpack(self.kernel_size)}, stride={unpack(self.stride)}, padding={unpack(self.padding)}"

    def _prepare(self, x: Any) -> tuple[np.ndarray, tuple[tuple[int, int], ...], bool]:
        """Check ``x``; return it padded as ``(N, C, Hp, Wp)``, the window geometry, and whether it was unbatched."""
        x = as_float_array(x, self._name())
        nd = self._nd
        if x.ndim not in (nd + 1, nd + 2):
            raise ValueError(
                f"{self._name()} expected input of shape {_LAYOUT[nd]} (or without N), got shape {x.shape}"
            )
        unbatched = x.ndim == nd + 1
        x4 = x[None] if unbatched else x
        x4 = x4 if nd == 2 else x4[:, :, None, :]
        two = (lambda v, fill: v) if nd == 2 else (lambda v, fill: (fill, *v))
        kernel, stride = two(self.kernel_size, 1), two(self.stride, 1)
        padding, dilation = two(self.padding, 0), two(self.dilation, 1)
        out = tuple(
            (size + 2 * p - d * (k - 1) - 1) // s + 1
            for size, k, s, p, d in zip(x4.shape[2:], kernel, stride, padding, dilation)
        )
        if min(out) < 1:
            raise ValueError(
                f"{self._name()}: input of shape {x.shape} is smaller than the kernel "
                f"{self.kernel_size} after padding {self.padding}"
            )
        (ph, pw) = padding
        if ph or pw:
            xp = np.full((*x4.shape[:2], x4.shape[2] + 2 * ph, x4.shape[3] + 2 * pw), self._pad_value, dtype=x.dtype)
            xp[:, :, ph : ph + x4.shape[2], pw : pw + x4.shape[3]] = x4
        else:
            xp = x4
        return xp, (kernel, stride, dilation, out), unbatched

    def _finish(self, y: np.ndarray, unbatched: bool) -> np.ndarray:
        y = y if self._nd == 2 else y[:, :, 0, :]
        return y[0] if unbatched else y

    def _grad_output(self, grad_output: Any, shape: tuple[int, ...], unbatched: bool) -> np.ndarray:
        dy = np.asarray(grad_output)
        expected = shape if self._nd == 2 else (*shape[:2], shape[3])
        expected = expected[1:] if unbatched else expected
        if dy.shape != expected:
            raise ValueError(f"{self._name()}.backward expected grad_output of shape {expected}, got shape {dy.shape}")
        dy = dy[None] if unbatched else dy
        return dy if self._nd == 2 else dy[:, :, None, :]

    def _unpad(self, dxp: np.ndarray, unbatched: bool) -> np.ndarray:
        ph, pw = self.padding if self._nd == 2 else (0, self.padding[0])
        dx = dxp[:, :, ph : dxp.shape[2] - ph, pw : dxp.shape[3] - pw]
        return self._finish(dx, unbatched)


class _MaxPool(_Pool):
    _pad_value = -np.inf

    def _real(self, i: int, j: int, geometry: tuple[tuple[int, int], ...], shape: tuple[int, ...]) -> np.ndarray | None:
        """Which outputs read a real (not padding) input at kernel offset ``(i, j)``; None when all do."""
        (_, _), (sh, sw), (dh, dw), (ho, wo) = geometry
        ph, pw = self.padding if self._nd == 2 else (0, self.padding[0])
        if not (ph or pw):
            return None
        rows = np.arange(ho) * sh + i * dh - ph
        cols = np.arange(wo) * sw + j * dw - pw
        return ((rows >= 0) & (rows < shape[2] - 2 * ph))[:, None] & ((cols >= 0) & (cols < shape[3] - 2 * pw))[None, :]

    def forward(self, x: np.ndarray) -> np.ndarray:
        xp, geometry, unbatched = self._prepare(x)
        (kh, kw) = geometry[0]
        offsets = [(i, j) for i in range(kh) for j in range(kw)]
        y = xp[_window(0, 0, geometry)].copy()
        for i, j in offsets[1:]:
            np.maximum(y, xp[_window(i, j, geometry)], out=y)  # np.maximum propagates NaN, as PyTorch does
        # The arg-max: the first real input equal to the max (PyTorch's rule for ties), -1 where there is
        # none (a window wholly in the padding, or a NaN window, handled below). Integer arithmetic on
        # boolean masks, because masked assignment is several times slower.
        arg = np.zeros(y.shape, dtype=np.int8 if kh * kw < 2**7 else np.int64)
        found, hit = np.zeros(y.shape, dtype=bool), np.empty(y.shape, dtype=bool)
        for k, (i, j) in enumerate(offsets):
            np.equal(xp[_window(i, j, geometry)], y, out=hit)
            real = self._real(i, j, geometry, xp.shape)
            if real is not None:
                hit &= real
            np.greater(hit, found, out=hit)  # hit and not found before: the first match only
            found |= hit
            if k:
                arg += hit.astype(arg.dtype) * arg.dtype.type(k)
        arg -= (~found).astype(arg.dtype)
        if np.isnan(y).any():  # a NaN window's gradient goes to its last NaN, as in PyTorch
            for k, (i, j) in enumerate(offsets):
                np.copyto(arg, k, where=np.isnan(xp[_window(i, j, geometry)]))
        self.save_for_backward(arg, xp.shape, geometry, unbatched)
        return self._finish(y, unbatched)

    def backward(self, grad_output: np.ndarray, *, input_grad: bool = True) -> np.ndarray:
        arg, padded_shape, geometry, unbatched = self.saved_tensors
        dy = self._grad_output(grad_output, arg.shape, unbatched)
        (kh, kw), stride = geometry[0], geometry[1]
        dxp = np.zeros(padded_shape, dtype=dy.dtype if dy.dtype.kind == "f" else np.float64)
        overlap = any(d * (k - 1) + 1 > s for k, s, d in zip(geometry[0], stride, geometry[2]))
        part = np.empty(arg.shape, dtype=dxp.dtype)
        for k in range(kh * kw):
            np.multiply(dy, arg == k, out=part)
            window = dxp[_window(k // kw, k % kw, geometry)]
            if overlap:
                window += part
            else:  # windows that do not overlap write disjoint places
                window[...] = part
        return self._unpad(dxp, unbatched)


class MaxPool1d(_MaxPool):
    """Max over each window: ``y[n, c, t] = max_k x_pad[n, c, t·stride + k·dilation]``, as ``torch.nn.MaxPool1d``.

    Shapes: ``x (N, C, L) -> y (N, C, L_out)``, ``L_out = ⌊(L + 2·padding − dilation·(k − 1) − 1) / stride⌋ + 1``;
    ``stride`` defaults to ``kernel_size``; padding (at most half the kernel) is ``−∞``.
    Backward: ``dy`` goes to the arg-max of each window (the first one, if several are equal, as
    in PyTorch); windows that overlap add their gradients.

    >>> import numpy as np
    >>> MaxPool1d(2)(np.array([[[1.0, 3.0, 2.0, 2.0]]]))
    array([[[3., 2.]]])
    """

    _nd = 1

    def __init__(self, kernel_size: int, stride: int | None = None, padding: int = 0, dilation: int = 1) -> None:
        super().__init__(kernel_size, stride, padding, dilation)


class MaxPool2d(_MaxPool):
    """Max over each window of each channel, as ``torch.nn.MaxPool2d``:
    ``y[n, c, i, j] = max_{p,q} x_pad[n, c, i·s_h + p·d_h, j·s_w + q·d_w]``.

    Shapes: ``x (N, C, H, W) -> y (N, C, H_out, W_out)``,
    ``H_out = ⌊(H + 2·padding − dilation·(k_h − 1) − 1) / stride⌋ + 1``; ``stride`` defaults to
    ``kernel_size``; padding (at most half the kernel) is ``−∞``, so it never wins.
    Backward: each ``dy`` goes to the arg-max of its window, the first in row-major order when
    several are equal (PyTorch's rule); where windows overlap, the gradients add.

    >>> import numpy as np
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> MaxPool2d(2)(x)
    array([[[[ 5.,  7.],
             [13., 15.]]]])
    """

    _nd = 2

    def __init__(
        self,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] | None = None,
        padding: int | tuple[int, int] = 0,
        dilation: int | tuple[int, int] = 1,
    ) -> None:
        super().__init__(kernel_size, stride, padding, dilation)


class _AvgPool(_Pool):
    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, count_include_pad: bool = True) -> None:
        super().__init__(kernel_size, stride, padding)
        self.count_include_pad = bool(count_include_pad)

    def _divisor(self, xp: np.ndarray, geometry: tuple[tuple[int, int], ...]) -> np.ndarray | float:
        (kh, kw), _, _, _ = geometry
        if self.count_include_pad or not any(self.padding):
            return float(kh * kw)
        ph, pw = self.padding if self._nd == 2 else (0, self.padding[0])
        inside = np.zeros(xp.shape[2:], dtype=xp.dtype)  # 1 on real pixels, 0 on padding
        inside[ph : xp.shape[2] - ph, pw : xp.shape[3] - pw] = 1
        return sum(inside[None, None][_window(i, j, geometry)] for i in range(kh) for j in range(kw))[0, 0]

    def forward(self, x: np.ndarray) -> np.ndarray:
        xp, geometry, unbatched = self._prepare(x)
        (kh, kw), _, _, (ho, wo) = geometry
        y = np.zeros((*xp.shape[:2], ho, wo), dtype=xp.dtype)
        for i in range(kh):
            for j in range(kw):
                y += xp[_window(i, j, geometry)]
        divisor = self._divisor(xp, geometry)
        y /= divisor
        self.save_for_backward(xp.shape, geometry, divisor, unbatched)
        return self._finish(y, unbatched)

    def backward(self, grad_output: np.ndarray, *, input_grad: bool = True) -> np.ndarray:
        padded_shape, geometry, divisor, unbatched = self.saved_tensors
        (kh, kw), _, _, out = geometry
        dy = self._grad_output(grad_output, (*padded_shape[:2], *out), unbatched)
        share = dy / divisor
        dxp = np.zeros(padded_shape, dtype=share.dtype)
        for i in range(kh):
            for j in range(kw):
                dxp[_window(i, j, geometry)] += share
        return self._unpad(dxp, unbatched)


class AvgPool1d(_AvgPool):
    """Mean over each window: ``y[n, c, t] = (1/k) Σ_m x_pad[n, c, t·stride + m]``, as ``torch.nn.AvgPool1d``.

    Shapes: ``x (N, C, L) -> y (N, C, L_out)``; ``stride`` defaults to ``kernel_size``; padding
    is zeros, counted in the mean (``count_include_pad=True``, PyTorch's default) or not.
    Backward: each ``dy`` is shared equally, ``dy/k``, among the inputs of its window.

    >>> import numpy as np
    >>> AvgPool1d(2)(np.array([[[1.0, 3.0, 2.0, 2.0]]]))
    array([[[2., 2.]]])
    """

    _nd = 1

    def __init__(
        self, kernel_size: int, stride: int | None = None, padding: int = 0, count_include_pad: bool = True
    ) -> None:
        super().__init__(kernel_size, stride, padding, count_include_pad)


class AvgPool2d(_AvgPool):
    """Mean over each window of each channel, as ``torch.nn.AvgPool2d``:
    ``y[n, c, i, j] = (1 / (k_h·k_w)) Σ_{p,q} x_pad[n, c, i·s_h + p, j·s_w + q]``.

    Shapes: ``x (N, C, H, W) -> y (N, C, H_out, W_out)``; ``stride`` defaults to ``kernel_size``;
    padding (at most half the kernel) is zeros, counted in the divisor when
    ``count_include_pad=True`` (PyTorch's default), otherwise each window divides by its real pixels.
    Backward: ``dx`` gets ``dy / divisor`` at every position of the window; overlaps add.

    >>> import numpy as np
    >>> AvgPool2d(2)(np.arange(16.0).reshape(1, 1, 4, 4))
    array([[[[ 2.5,  4.5],
             [10.5, 12.5]]]])
    """

    _nd = 2

    def __init__(
        self,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] | None = None,
        padding: int | tuple[int, int] = 0,
        count_include_pad: bool = True,
    ) -> None:
        super().__init__(kernel_size, stride, padding, count_include_pad)


def _adaptive_matrix(size: int, out: int, dtype: np.dtype) -> np.ndarray:
    """``P (out, size)``: row ``i`` averages ``x[⌊i·size/out⌋ : ⌈(i+1)·size/out⌉]``, PyTorch's bins."""
    p = np.zeros((out, size), dtype=dtype)
    for i in range(out):  # a loop over the few output bins builds the matrix once per shape
        start, end = (i * size) // out, math.ceil((i + 1) * size / out)
        p[i, start:end] = 1.0 / (end - start)
    return p


class _AdaptiveAvgPool(Module):
    _nd = 2

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        nd, where = self._nd, type(self).__name__
        items = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size,) * nd
        if len(items) != nd:
            raise ValueError(f"{where} expected output_size to be an integer or a tuple of {nd}, got {output_size!r}")
        self.output_size = tuple(None if v is None else check_int(v, "output_size", where, minimum=1) for v in items)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size if self._nd > 1 else self.output_size[0]}"

    def _name(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x, self._name())
        nd = self._nd
        if x.ndim not in (nd + 1, nd + 2) or 0 in x.shape[-nd:]:
            raise ValueError(
                f"{self._name()} expected input of shape {_LAYOUT[nd]} (or without N) with "
                f"non-empty spatial dimensions, got shape {x.shape}"
            )
        sizes = x.shape[-nd:]
        outs = tuple(s if o is None else o for s, o in zip(sizes, self.output_size))
        mats = [_adaptive_matrix(s, o, x.dtype) for s, o in zip(sizes, outs)]
        self.save_for_backward(mats, x.shape)
        y = x @ mats[-1].T  # last axis: (..., W) -> (..., W_out)
        return mats[0] @ y if nd == 2 else y  # height: (H_out, H) @ (..., H, W_out)

    def backward(self, grad_output: np.ndarray, *, input_grad: bool = True) -> np.ndarray:
        mats, shape = self.saved_tensors
        dy = np.asarray(grad_output)
        expected = (*shape[: -self._nd], *(m.shape[0] for m in mats))
        if dy.shape != expected:
            raise ValueError(f"{self._name()}.backward expected grad_output of shape {expected}, got shape {dy.shape}")
        dx = mats[0].T @ dy if self._nd == 2 else dy
        return dx @ mats[-1]


class AdaptiveAvgPool1d(_AdaptiveAvgPool):
    """Average over ``L_out`` bins that cover the input, whatever its length, as ``torch.nn.AdaptiveAvgPool1d``.

    Bin ``i`` is ``x[..., ⌊i·L/L_out⌋ : ⌈(i+1)·L/L_out⌉]``; with ``output_size=1`` it is global
    average pooling. As a matrix: ``y = x · Pᵀ`` with ``P (L_out, L)``; backward ``dx = dy · P``.

    >>> import numpy as np
    >>> AdaptiveAvgPool1d(1)(np.array([[[1.0, 2.0, 6.0]]]))
    array([[[3.]]])
    """

    _nd = 1

    def __init__(self, output_size: int) -> None:
        super().__init__(output_size)


class AdaptiveAvgPool2d(_AdaptiveAvgPool):
    """Average over an ``H_out × W_out`` grid of bins that cover the input, as ``torch.nn.AdaptiveAvgPool2d``.

    Rows are binned as ``⌊i·H/H_out⌋ : ⌈(i+1)·H/H_out⌉`` and columns likewise; ``output_size=1``
    is global average pooling, ``(N, C, H, W) -> (N, C, 1, 1)``; ``None`` keeps that size. As
    matrices: ``y = P_h · x · P_wᵀ``; backward ``dx = P_hᵀ · dy · P_w``.

    >>> import numpy as np
    >>> AdaptiveAvgPool2d(1)(np.arange(4.0).reshape(1, 1, 2, 2))
    array([[[[1.5]]]])
    """

    _nd = 2

    def __init__(self, output_size: int | tuple[int | None, int | None]) -> None:
        super().__init__(output_size)
