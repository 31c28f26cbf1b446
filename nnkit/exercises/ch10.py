"""Checkers for the exercises of Chapter 10 (ch10_convolution.ipynb): the output size of a
convolution along one dimension, and the forward pass of a 2-D convolution layer (a
cross-correlation with stride and zero padding)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..conv import Conv2d, output_size
from ._compare import Array, Case, Exercise, Verdict, arrays, run

__all__ = ["EXERCISES", "Checks"]


# ---------------------------------------------------------------- the output size along one dimension


def _sizes(size: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> dict[str, int]:
    """A case's arguments, all five, in the order of the exercise's signature."""
    return dict(size=size, kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation)


def _output_size_cases(rng: np.random.Generator) -> list[Case]:
    floor = (
        "a stride that does not divide the remaining length leaves a partial step, which does not count: "
        "floor division, (...) // stride + 1"
    )
    cases = [
        Case("known values", _sizes(28, 5), 24),
        Case("known values", _sizes(7, 1), 7),  # a 1×1 kernel keeps the size
        # padding 2 first: with padding 1, "padding once" and "no + 1" give the same wrong answer
        Case("padding", _sizes(5, 5, padding=2), 5),
        Case("padding", _sizes(28, 3, padding=1), 28),
        Case("stride", _sizes(28, 3, stride=2, padding=1), 14, hint=floor),  # 27 / 2 = 13.5: 13 whole steps
        Case("stride", _sizes(10, 3, stride=2), 4, hint=floor),
        # dilation 3: "dilation · kernel_size" is then 2 below the answer, "no + 1" only 1
        Case("dilation", _sizes(10, 3, dilation=3), 4),
        Case("dilation", _sizes(40, 3, stride=2, padding=2, dilation=2), 20),
    ]
    while len(cases) < 28:  # random settings with at least one output
        size, kernel_size = int(rng.integers(1, 65)), int(rng.integers(1, 8))
        stride, padding, dilation = int(rng.integers(1, 5)), int(rng.integers(0, 4)), int(rng.integers(1, 4))
        if output_size(size, kernel_size, stride, padding, dilation) >= 1:
            cases.append(Case("random settings", _sizes(size, kernel_size, stride, padding, dilation)))
    return cases


def _output_size_diagnose(case: Case, want: Any, got: Any) -> str | None:
    size, k, s, p, d = (case.args[name] for name in ("size", "kernel_size", "stride", "padding", "dilation"))
    value = float(np.asarray(got, dtype=np.float64).reshape(()))
    span = d * (k - 1) + 1
    mistakes = [
        ((size + 2 * p - span) / s + 1, "use floor division, // stride: a partial last step does not count"),
        (math.ceil((size + 2 * p - span) / s) + 1, "round down, not up: a partial last step does not count"),
        ((size + 2 * p - span) // s, "add 1: the kernel's first position counts too"),
        ((size + p - span) // s + 1, "the padding is added at both ends of the input: 2 · padding"),
        ((size + 2 * p - k) // s + 1, "a dilated kernel spans dilation · (kernel_size − 1) + 1 inputs"),
        (
            (size + 2 * p - d * k) // s + 1,
            "a dilated kernel spans dilation · (kernel_size − 1) + 1 inputs, not dilation · kernel_size",
        ),
        (size + 2 * p - span + 1, "the kernel moves stride positions at a time: divide the remaining length by stride"),
    ]
    for candidate, message in mistakes:
        if math.isclose(value, candidate, rel_tol=0, abs_tol=1e-9) and not math.isclose(candidate, float(want)):
            return message
    return None


CONV_OUTPUT_SIZE = Exercise(
    "conv_output_size",
    lambda size, kernel_size, stride, padding, dilation: output_size(size, kernel_size, stride, padding, dilation),
    _output_size_cases,
    hint="L_out = (size + 2·padding − dilation·(kernel_size − 1) − 1) // stride + 1.",
    scalar=True,
    diagnose=_output_size_diagnose,
)


# ---------------------------------------------------------------- a convolution layer's forward pass


def _conv2d_reference(x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int = 1, padding: int = 0) -> np.ndarray:
    c_out, c_in, k_h, k_w = np.shape(w)
    layer = Conv2d(c_in, c_out, (k_h, k_w), stride=stride, padding=padding, dtype=np.float64, rng=0)
    layer.load_state_dict({"weight": np.asarray(w, dtype=np.float64), "bias": np.asarray(b, dtype=np.float64)})
    return layer(np.asarray(x, dtype=np.float64))  # rng=0 above: nnkit's default generator untouched


def _conv2d_cases(rng: np.random.Generator) -> list[Case]:
    def random(n: int, c_in: int, h: int, w: int, c_out: int, k_h: int, k_w: int, stride: int, padding: int) -> Case:
        args = arrays(
            x=rng.normal(size=(n, c_in, h, w)),
            w=rng.normal(size=(c_out, c_in, k_h, k_w)),
            b=rng.normal(size=c_out),
            stride=stride,
            padding=padding,
        )
        label = "padding and stride" if stride > 1 else ("padding" if padding else "random inputs")
        return Case(label, args, keywords=("stride", "padding"))

    grid = np.arange(9.0).reshape(1, 1, 3, 3)
    kernel = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    flip = "no flip: y[i, j] = Σ w[p, q] · x[i + p, j + q], a cross-correlation (np.convolve flips the kernel)"
    return [
        Case(
            "known values",
            dict(x=grid, w=kernel, b=np.zeros(1), stride=1, padding=0),
            [[[[27.0, 37.0], [57.0, 67.0]]]],
            hint=flip,
            keywords=("stride", "padding"),
        ),
        Case(
            "bias",
            dict(x=grid, w=kernel, b=np.array([0.5]), stride=1, padding=0),
            [[[[27.5, 37.5], [57.5, 67.5]]]],
            keywords=("stride", "padding"),
        ),
        Case(  # a 3×3 box sum with one zero of padding, every other position: hand-computed
            "padding and stride",
            dict(x=np.arange(16.0).reshape(1, 1, 4, 4), w=np.ones((1, 1, 3, 3)), b=np.zeros(1), stride=2, padding=1),
            [[[[10.0, 24.0], [51.0, 90.0]]]],
            keywords=("stride", "padding"),
        ),
        random(2, 3, 5, 5, 4, 3, 3, stride=1, padding=0),
        random(1, 2, 4, 6, 3, 3, 3, stride=1, padding=1),
        random(2, 2, 7, 6, 3, 3, 2, stride=2, padding=1),  # non-square input and kernel
        random(1, 1, 8, 8, 2, 4, 4, stride=3, padding=2),
    ]


def _conv2d_diagnose(case: Case, want: Any, got: Any) -> str | None:
    x, w, b = (np.asarray(case.args[name], dtype=np.float64) for name in ("x", "w", "b"))
    stride, padding = case.args["stride"], case.args["padding"]
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    n, c_out, h_out, w_out = want.shape
    if got.shape != want.shape:
        if got.shape == (n, h_out, w_out, c_out):
            return "the layout is (N, C_out, H_out, W_out), channels before the positions, as in PyTorch"
        if padding and got.shape == _conv2d_reference(x, w, b, stride, 0).shape:
            return f"the padding is missing: first add {padding} zeros on each side of H and W (np.pad)"
        if stride > 1 and got.shape == _conv2d_reference(x, w, b, 1, padding).shape:
            return f"the stride is missing: keep every {stride}-th window in each direction, starting with the first"
        return (
            f"the output has shape (N, C_out, H_out, W_out) = {want.shape}, with "
            "H_out = (H + 2·padding − k_h) // stride + 1 (and so for W)"
        )

    def same(other: np.ndarray) -> bool:
        return bool(np.allclose(got, other, rtol=1e-6, atol=1e-9))

    if same(_conv2d_reference(x, w[:, :, ::-1, ::-1], b, stride, padding)):
        return (
            "this flips the kernel (a true convolution, like np.convolve or scipy.signal.convolve2d); a "
            "convolution layer computes the cross-correlation, Σ w[o, c, p, q] · x[n, c, i + p, j + q]"
        )
    if np.any(b) and same(_conv2d_reference(x, w, np.zeros_like(b), stride, padding)):
        return "the bias is missing: add b[o] to every value of output channel o"
    if x.shape[1] > 1 and same(_conv2d_reference(x[:, :1], w[:, :1], b, stride, padding)):
        return "only the first input channel is used: each kernel sums over all the input channels"
    return None


CONV2D_FORWARD = Exercise(
    "conv2d_forward",
    _conv2d_reference,
    _conv2d_cases,
    hint="y[n, o, i, j] = b[o] + Σ_c Σ_p Σ_q w[o, c, p, q] · x_pad[n, c, i·stride + p, j·stride + q], where x_pad "
    "is x with `padding` zeros on each side of H and W; no flip of the kernel.",
    diagnose=_conv2d_diagnose,
)


EXERCISES = (CONV_OUTPUT_SIZE, CONV2D_FORWARD)


class Checks:
    """The checkers of this chapter's exercises, gathered into ``nnkit.exercises.check``."""

    def conv_output_size(self, fn: Callable[[int, int, int, int, int], int]) -> Verdict:
        """Check ``fn(size, kernel_size, stride, padding, dilation)``, the number of outputs of a
        convolution (or pooling) along one dimension, as in PyTorch. The five arguments are
        passed in this order.

        >>> from nnkit.exercises import check
        >>> def no_floor(size, kernel_size, stride=1, padding=0, dilation=1):
        ...     return (size + 2 * padding - dilation * (kernel_size - 1) - 1) / stride + 1
        >>> ok = check.conv_output_size(no_floor)
        ✗ conv_output_size: for size = 28, kernel_size = 3, stride = 2, padding = 1, dilation = 1, expected 14,
        got 14.5. Hint: use floor division, // stride: a partial last step does not count.
        """
        return run(CONV_OUTPUT_SIZE, fn)

    def conv2d_forward(self, fn: Callable[..., Array]) -> Verdict:
        """Check ``fn(x, w, b, stride=..., padding=...)``: a 2-D convolution layer's forward pass,
        ``x (N, C_in, H, W)``, ``w (C_out, C_in, k_h, k_w)``, ``b (C_out,)`` ``-> (N, C_out, H_out, W_out)``,
        a cross-correlation (no flip) with zero padding, against ``nnkit.Conv2d`` in float64.
        ``stride`` and ``padding`` are passed by keyword.

        >>> import numpy as np
        >>> from nnkit.exercises import check
        >>> def flipped(x, w, b, stride=1, padding=0):   # a true convolution: the kernel turned around
        ...     x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
        ...     windows = np.lib.stride_tricks.sliding_window_view(x, w.shape[2:], axis=(2, 3))
        ...     windows = windows[:, :, ::stride, ::stride]
        ...     return np.einsum("nchwij,ocij->nohw", windows, w[:, :, ::-1, ::-1]) + b[None, :, None, None]
        >>> ok = check.conv2d_forward(flipped)
        ✗ conv2d_forward: for x of shape (1, 1, 3, 3), w = [[[[1. 2.] [3. 4.]]]], b = [0.], stride = 1, padding = 0,
        expected [[[[27. 37.] [57. 67.]]]], got [[[[13. 23.] [43. 53.]]]]. Hint: this flips the kernel (a true
        convolution, like np.convolve or scipy.signal.convolve2d); a convolution layer computes the
        cross-correlation, Σ w[o, c, p, q] · x[n, c, i + p, j + q].
        """
        return run(CONV2D_FORWARD, fn)
