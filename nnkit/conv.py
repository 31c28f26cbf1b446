"""Convolution layers: :class:`Conv1d` and :class:`Conv2d`, with PyTorch's signatures and layouts.

Both compute a cross-correlation (as PyTorch does, and as "convolution" means in deep learning):
each output value is a dot product of the kernel with one window of the input. They run as
**im2col**: the windows are copied into the columns of one matrix (one copy per kernel offset,
vectorized over every sample and position), so that the whole layer is one matrix product.
A :class:`Conv1d` is a :class:`Conv2d` whose height is 1.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._config import DTypeLike, RngLike, as_float_dtype, as_rng, check_int
from .module import Module, Parameter

_LAYOUT = {1: "(N, C, L)", 2: "(N, C, H, W)"}


def _tuple(value: Any, nd: int, name: str, where: str, minimum: int) -> tuple[int, ...]:
    """``3`` -> ``(3, 3)``; a tuple of ``nd`` integers is checked and kept."""
    items = tuple(value) if isinstance(value, (tuple, list)) else (value,) * nd
    if len(items) != nd:
        raise ValueError(f"{where} expected {name} to be an integer or a tuple of {nd}, got {value!r}")
    return tuple(check_int(v, name, where, minimum=minimum) for v in items)


def _pad_amounts(
    padding: Any, nd: int, kernel: tuple[int, ...], dilation: tuple[int, ...], stride: tuple[int, ...], where: str
) -> tuple[tuple[int, int], ...]:
    """Padding ``(before, after)`` per spatial dimension; ``'same'`` puts the odd pixel after, as PyTorch does."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * nd
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError(f"{where}: padding='same' is not supported for strided convolutions (as in PyTorch)")
            totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
            return tuple((t // 2, t - t // 2) for t in totals)
        raise ValueError(f"{where} expected padding to be 'same', 'valid' or integers, got {padding!r}")
    return tuple((p, p) for p in _tuple(padding, nd, "padding", where, minimum=0))


def output_size(size: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """The output length of a convolution or pooling along one dimension (PyTorch's formula):
    ``floor((size + 2·padding − dilation·(kernel_size − 1) − 1) / stride) + 1``.

    >>> output_size(28, 5), output_size(28, 3, padding=1), output_size(28, 3, stride=2, padding=1)
    (24, 28, 14)
    """
    return (size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1


def _im2col(
    xt: np.ndarray,
    kernel: tuple[int, int],
    stride: tuple[int, int],
    dilation: tuple[int, int],
    out_hw: tuple[int, int],
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Windows of a padded input ``xt (C, N, Hp, Wp)`` as columns: ``cols (C, kh, kw, N, Ho, Wo)``,
    ``cols[c, i, j, n, y, x] = xt[c, n, y·sh + i·dh, x·sw + j·dw]``. One copy per kernel offset."""
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = kernel, stride, dilation, out_hw
    c, n = xt.shape[:2]
    cols = np.empty((c, kh, kw, n, ho, wo), dtype=xt.dtype) if out is None else out
    for i in range(kh):
        for j in range(kw):
            cols[:, i, j] = xt[:, :, i * dh : i * dh + sh * (ho - 1) + 1 : sh, j * dw : j * dw + sw * (wo - 1) + 1 : sw]
    return cols


def _col2im(
    dcols: np.ndarray, padded_hw: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int]
) -> np.ndarray:
    """The adjoint of :func:`_im2col`: add each column back where its window came from."""
    c, kh, kw, n, ho, wo = dcols.shape
    (sh, sw), (dh, dw) = stride, dilation
    dxt = np.zeros((c, n, *padded_hw), dtype=dcols.dtype)
    for i in range(kh):
        for j in range(kw):
            dxt[:, :, i * dh : i * dh + sh * (ho - 1) + 1 : sh, j * dw : j * dw + sw * (wo - 1) + 1 : sw] += dcols[
                :, i, j
            ]
    return dxt


class _ConvNd(Module):
    """What :class:`Conv1d` and :class:`Conv2d` share; the arithmetic is always 2-D."""

    _nd = 2

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,
        *,
        rng: RngLike = None,
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__()
        nd, where = self._nd, type(self).__name__
        self.in_channels = check_int(in_channels, "in_channels", where, minimum=1)
        self.out_channels = check_int(out_channels, "out_channels", where, minimum=1)
        self.groups = check_int(groups, "groups", where, minimum=1)
        if in_channels % groups or out_channels % groups:
            raise ValueError(
                f"{where} expected in_channels ({in_channels}) and out_channels ({out_channels}) "
                f"to be divisible by groups ({groups})"
            )
        self.kernel_size = _tuple(kernel_size, nd, "kernel_size", where, minimum=1)
        self.stride = _tuple(stride, nd, "stride", where, minimum=1)
        self.dilation = _tuple(dilation, nd, "dilation", where, minimum=1)
        self.padding = padding if isinstance(padding, str) else _tuple(padding, nd, "padding", where, minimum=0)
        self._pads = _pad_amounts(padding, nd, self.kernel_size, self.dilation, self.stride, where)
        dt, gen = as_float_dtype(dtype, where), as_rng(rng)
        fan_in = in_channels // groups * math.prod(self.kernel_size)
        bound = 1.0 / math.sqrt(fan_in)  # kaiming_uniform_(a=√5), PyTorch's default
        shape = (out_channels, in_channels // groups, *self.kernel_size)
        self.weight = Parameter(gen.uniform(-bound, bound, shape).astype(dt))
        self.bias = Parameter(gen.uniform(-bound, bound, (out_channels,)).astype(dt)) if bias else None

    def _name(self) -> str:
        k = self.kernel_size if self._nd > 1 else self.kernel_size[0]
        return f"{type(self).__name__}({self.in_channels}, {self.out_channels}, kernel_size={k})"

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * self._nd:
            text += f", padding={self.padding!r}"
        if self.dilation != (1,) * self._nd:
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        return text + ("" if self.bias is not None else ", bias=False")

    #: Compute dx as a correlation of dy with the flipped kernel (True), by col2im (False), or choose (None).
    _dx_by_correlation: bool | None = None

    def _work(self, key: str, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        """A work array kept between calls and reallocated only when its shape changes, because a
        fresh array of tens of megabytes costs a page fault per 4 kB each time. New ones are zeros."""
        work = self.__dict__.setdefault("_workspace", {})
        array = work.get(key)
        if array is None or array.shape != shape or array.dtype != dtype:
            array = work[key] = np.zeros(shape, dtype=dtype)
        return array

    def _transposed_backward(
        self,
        stride: tuple[int, int],
        reach: list[int],
        pads: tuple[int, int, int, int],
        cols_shape: tuple[int, ...],
        in_hw: tuple[int, int],
    ) -> bool:
        """Whether backward computes dx as a correlation (stride 1, padding within the kernel's reach)."""
        pt, pb, pl, pr = pads
        possible = stride == (1, 1) and max(pt, pb) <= reach[0] and max(pl, pr) <= reach[1]
        if not possible or self._dx_by_correlation is not None:
            return possible and bool(self._dx_by_correlation is not False)
        # Its columns hold O·kh·kw·N·H·W numbers against C·kh·kw·N·Ho·Wo for col2im: choose the smaller work.
        grad_cols = self.out_channels * math.prod(cols_shape[1:3]) * cols_shape[3] * in_hw[0] * in_hw[1]
        return grad_cols <= 1.5 * math.prod(cols_shape)

    def _as_2d(self, values: tuple[Any, ...], fill: Any) -> tuple[Any, ...]:
        return values if self._nd == 2 else (fill, *values)

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        nd = self._nd
        if x.dtype.kind not in "biuf":
            raise TypeError(f"{self._name()} expected a real-valued numeric input, got dtype {x.dtype}")
        unbatched = x.ndim == nd + 1
        if x.ndim not in (nd + 1, nd + 2) or x.shape[-nd - 1] != self.in_channels:
            raise ValueError(
                f"{self._name()} expected input of shape {_LAYOUT[nd]} with C={self.in_channels}, got shape {x.shape}"
            )
        w = self.weight.data
        x = x[None] if unbatched else x
        x = x.astype(w.dtype) if x.dtype != w.dtype else x
        x4 = x if nd == 2 else x[:, :, None, :]
        (pt, pb), (pl, pr) = self._as_2d(self._pads, (0, 0))
        kernel, stride, dilation = (self._as_2d(v, 1) for v in (self.kernel_size, self.stride, self.dilation))
        n, c, h, wd = x4.shape
        hp, wp = h + pt + pb, wd + pl + pr
        ho, wo = ((hp - d * (k - 1) - 1) // s + 1 for hp, k, s, d in zip((hp, wp), kernel, stride, dilation))
        if ho < 1 or wo < 1:
            raise ValueError(
                f"{self._name()}: input of shape {x.shape} is smaller than the (dilated) kernel "
                f"{self.kernel_size} after padding {self.padding!r}"
            )
        xt = self._work("input", (c, n, hp, wp), w.dtype)  # padded, channels first: the windows copy fast
        xt[:, :, pt : pt + h, pl : pl + wd] = x4.transpose(1, 0, 2, 3)  # the border stays 0
        cols = _im2col(xt, kernel, stride, dilation, (ho, wo), out=self._work("cols", (c, *kernel, n, ho, wo), w.dtype))
        g = self.groups
        out = np.matmul(w.reshape(g, self.out_channels // g, -1), cols.reshape(g, -1, n * ho * wo))
        y = out.reshape(self.out_channels, n, ho, wo).transpose(1, 0, 2, 3)
        if self.bias is not None:
            y = y + self.bias.data[:, None, None]
        else:
            y = np.ascontiguousarray(y)
        self.save_for_backward(cols, (n, c, h, wd), unbatched)
        y = y if nd == 2 else y[:, :, 0, :]
        return y[0] if unbatched else y

    def backward(self, grad_output: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        cols, (n, _, h, wd), unbatched = self.saved_tensors
        ho, wo = cols.shape[-2:]
        expected = (n, self.out_channels, *((ho, wo) if self._nd == 2 else (wo,)))
        dy = np.asarray(grad_output)
        dy = dy[None] if unbatched and dy.ndim == len(expected) - 1 else dy
        if dy.shape != expected:
            raise ValueError(
                f"{self._name()}.backward expected grad_output of shape "
                f"{expected[1:] if unbatched else expected}, got shape {np.shape(grad_output)}"
            )
        g, o = self.groups, self.out_channels
        dy = dy.astype(cols.dtype, copy=False).reshape(n, o, ho * wo)
        dyt = np.ascontiguousarray(dy.transpose(1, 0, 2)).reshape(g, o // g, n * ho * wo)  # (g, O/g, N·Ho·Wo)
        cols_g = cols.reshape(g, -1, n * ho * wo)
        self.weight.grad += np.matmul(dyt, cols_g.transpose(0, 2, 1)).reshape(self.weight.shape)
        if self.bias is not None:
            self.bias.grad += dy.sum(axis=(0, 2))
        if not input_grad:
            return None
        (pt, pb), (pl, pr) = self._as_2d(self._pads, (0, 0))
        kernel, stride, dilation = (self._as_2d(v, 1) for v in (self.kernel_size, self.stride, self.dilation))
        c = self.in_channels
        reach = [d * (k - 1) for k, d in zip(kernel, dilation)]  # how far a window reaches past its first pixel
        if self._transposed_backward(stride, reach, (pt, pb, pl, pr), cols.shape, (h, wd)):
            # dx is the correlation of dy, padded by ``reach − padding``, with the kernel flipped and its
            # channel axes swapped: one im2col and one matrix product with an inner dimension O·kh·kw.
            (rh, rw) = reach
            dyq = np.zeros((o, n, ho + 2 * rh - pt - pb, wo + 2 * rw - pl - pr), dtype=cols.dtype)
            dyq[:, :, rh - pt : rh - pt + ho, rw - pl : rw - pl + wo] = dyt.reshape(o, n, ho, wo)
            del dy, dyt  # not needed any more: keep the peak memory down
            dycols = _im2col(
                dyq, kernel, (1, 1), dilation, (h, wd), out=self._work("grad_cols", (o, *kernel, n, h, wd), cols.dtype)
            )
            del dyq
            w_t = self.weight.data[:, :, ::-1, ::-1] if self._nd == 2 else self.weight.data[:, :, None, ::-1]
            w_t = w_t.reshape(g, o // g, c // g, -1).transpose(0, 2, 1, 3).reshape(g, c // g, -1)
            dxt = np.matmul(w_t, dycols.reshape(g, -1, n * h * wd)).reshape(c, n, h, wd)
            dx = np.ascontiguousarray(dxt.transpose(1, 0, 2, 3))
        else:
            w = self.weight.data.reshape(g, o // g, -1)
            dcols = self._work("grad_cols", (g, w.shape[2], n * ho * wo), cols.dtype)
            np.matmul(w.transpose(0, 2, 1), dyt, out=dcols)
            dcols = dcols.reshape(cols.shape)
            dxt = _col2im(dcols, (h + pt + pb, wd + pl + pr), stride, dilation)
            dx = np.ascontiguousarray(dxt[:, :, pt : pt + h, pl : pl + wd].transpose(1, 0, 2, 3))
        dx = dx if self._nd == 2 else dx[:, :, 0, :]
        return dx[0] if unbatched else dx


class Conv1d(_ConvNd):
    """1-D convolution (cross-correlation) over ``x (N, C_in, L)``, as ``torch.nn.Conv1d``.

    ``y[n, o, t] = bias[o] + Σ_c Σ_k weight[o, c, k] · x_pad[n, g·C_in/groups + c, t·stride + k·dilation]``
    where ``g`` is the group of output channel ``o``. Shapes: ``x (N, C_in, L)`` (or ``(C_in, L)``)
    ``-> y (N, C_out, L_out)``, ``L_out = ⌊(L + 2·padding − dilation·(k − 1) − 1) / stride⌋ + 1``;
    ``weight (C_out, C_in/groups, k)``, ``bias (C_out,)``. ``padding`` may be ``'same'`` (stride 1
    only) or ``'valid'``. Init is PyTorch's: ``U(−1/√fan_in, 1/√fan_in)``, ``fan_in = C_in/groups · k``.

    Backward, with the windows as columns ``X_col`` (im2col): ``dweight += dY · X_colᵀ``,
    ``dbias += Σ_{n,t} dy``, ``dX_col = weightᵀ · dY``, and ``dx`` adds each column of ``dX_col``
    back where its window came from (col2im).

    >>> import numpy as np, nnkit
    >>> conv = nnkit.Conv1d(2, 4, kernel_size=3, padding=1, rng=0)
    >>> conv(np.zeros((8, 2, 40), dtype=np.float32)).shape, conv.weight.shape
    ((8, 4, 40), (4, 2, 3))
    """

    _nd = 1

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int],
        stride: int | tuple[int] = 1,
        padding: int | tuple[int] | str = 0,
        dilation: int | tuple[int] = 1,
        groups: int = 1,
        bias: bool = True,
        *,
        rng: RngLike = None,
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__(
            in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, rng=rng, dtype=dtype
        )


class Conv2d(_ConvNd):
    """2-D convolution (cross-correlation) over ``x (N, C_in, H, W)``, as ``torch.nn.Conv2d``.

    ``y[n, o, i, j] = bias[o] + Σ_c Σ_{p,q} weight[o, c, p, q] · x_pad[n, c', i·s_h + p·d_h, j·s_w + q·d_w]``
    with ``c'`` running over the input channels of ``o``'s group. Shapes: ``x (N, C_in, H, W)`` (or
    ``(C_in, H, W)``) ``-> y (N, C_out, H_out, W_out)``,
    ``H_out = ⌊(H + 2·padding − dilation·(k_h − 1) − 1) / stride⌋ + 1`` (and so for ``W``);
    ``weight (C_out, C_in/groups, k_h, k_w)``, ``bias (C_out,)``. ``padding`` may be ``'same'``
    (stride 1 only; an odd total puts the extra pixel after, as PyTorch does) or ``'valid'``.
    Init is PyTorch's: ``U(−1/√fan_in, 1/√fan_in)``, ``fan_in = C_in/groups · k_h · k_w``.

    Forward is one matrix product: im2col copies the windows into ``X_col (C_in·k_h·k_w, N·H_out·W_out)``
    and ``Y = weight.reshape(C_out, −1) · X_col``. Backward: ``dweight += dY · X_colᵀ``,
    ``dbias += Σ_{n,i,j} dy``, ``dX_col = weightᵀ · dY``, then col2im adds every column of
    ``dX_col`` back into the window it came from, so overlapping windows sum their gradients.

    >>> import numpy as np, nnkit
    >>> conv = nnkit.Conv2d(1, 6, kernel_size=5, rng=0)
    >>> conv(np.zeros((2, 1, 28, 28), dtype=np.float32)).shape
    (2, 6, 24, 24)
    >>> conv(np.zeros((2, 28, 28)))
    Traceback (most recent call last):
        ...
    ValueError: Conv2d(1, 6, kernel_size=(5, 5)) expected input of shape (N, C, H, W) with C=1, got shape (2, 28, 28)
    """

    _nd = 2

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] | str = 0,
        dilation: int | tuple[int, int] = 1,
        groups: int = 1,
        bias: bool = True,
        *,
        rng: RngLike = None,
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__(
            in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, rng=rng, dtype=dtype
        )
