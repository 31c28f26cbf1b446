"""Tests for nnkit/pooling.py: MaxPool1d/2d, AvgPool1d/2d, AdaptiveAvgPool1d/2d.

Three oracles: float64 gradient checks, a naive reference written with plain Python loops
(it runs without torch), and PyTorch when it is installed.
"""

import math
import re

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import nnkit
from nnkit.gradcheck import gradcheck


def normal(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


def distinct(*shape, seed=0):
    """Values at least 0.1 apart, so no two elements of a window tie within gradcheck's ±1e-6."""
    rng = np.random.default_rng(seed)
    return rng.permutation(math.prod(shape)).reshape(shape) * 0.1 - 1.0


def ties(*shape, seed=0):
    """Integer values in {0, 1, 2}: every window has several equal maxima."""
    return np.random.default_rng(seed).integers(0, 3, size=shape).astype(np.float64)


def pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


# --- a naive reference: one Python loop per index --------------------------------------------


def naive_pool2d(x, dy, kernel, stride=None, padding=0, dilation=1, mode="max", count_include_pad=True):
    """Forward and input gradient of 2-D max or average pooling, one output element at a time.

    Max: the first maximum in row-major order over the real (unpadded) pixels wins, as in PyTorch;
    a window with no real pixel gives -inf and no gradient.
    Average: the sum over the real pixels, divided by the window size (count_include_pad) or by
    the number of real pixels in the window.
    """
    (kh, kw), (ph, pw), (dh, dw) = pair(kernel), pair(padding), pair(dilation)
    sh, sw = pair(kernel if stride is None else stride)
    n_, c_, h, w = x.shape
    ho = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    wo = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    y = np.zeros((n_, c_, ho, wo))
    dx = np.zeros_like(x, dtype=np.float64)
    for n in range(n_):
        for c in range(c_):
            for i in range(ho):
                for j in range(wo):
                    real = []  # the (row, column) of every real pixel of the window, row-major
                    for p in range(kh):
                        for q in range(kw):
                            r, s = i * sh - ph + p * dh, j * sw - pw + q * dw
                            if 0 <= r < h and 0 <= s < w:
                                real.append((r, s))
                    if mode == "max" and not real:  # a dilated window can fall in the padding only
                        y[n, c, i, j] = -np.inf
                    elif mode == "max":
                        best = real[0]
                        for r, s in real[1:]:
                            if x[n, c, r, s] > x[n, c, best[0], best[1]]:
                                best = (r, s)
                        y[n, c, i, j] = x[n, c, best[0], best[1]]
                        if dy is not None:
                            dx[n, c, best[0], best[1]] += dy[n, c, i, j]
                    else:
                        divisor = kh * kw if count_include_pad else len(real)
                        y[n, c, i, j] = sum(x[n, c, r, s] for r, s in real) / divisor
                        if dy is not None:
                            for r, s in real:
                                dx[n, c, r, s] += dy[n, c, i, j] / divisor
    return y, dx


def has_an_empty_window(shape, kernel, stride, padding, dilation):
    """Whether some window of 2-D pooling holds padding only (possible with dilation)."""
    empty = []
    for size, k, s, p, d in zip(shape[-2:], pair(kernel), pair(stride), pair(padding), pair(dilation)):
        out = (size + 2 * p - d * (k - 1) - 1) // s + 1
        empty.append(any(all(not 0 <= i * s - p + m * d < size for m in range(k)) for i in range(out)))
    return any(empty)


def run(layer, x, dy=None, seed=1):
    """nnkit's forward, and its input gradient for ``dy`` (random if not given)."""
    y = layer(x)
    dy = normal(*y.shape, seed=seed) if dy is None else dy
    return y, layer.backward(dy), dy


def torch_run(torch, ref, x, dy):
    xt = torch.tensor(x, requires_grad=True)
    yt = ref(xt)
    yt.backward(torch.from_numpy(dy))
    return yt.detach().numpy(), xt.grad.numpy()


def test_naive_reference_on_a_hand_example():
    # the reference itself must be right: a 3x3 image, 2x2 windows with stride 1
    x = np.array([[[[1.0, 5.0, 2.0], [5.0, 0.0, 5.0], [3.0, 4.0, 1.0]]]])
    dy = np.ones((1, 1, 2, 2))
    y, dx = naive_pool2d(x, dy, 2, 1, mode="max")
    np.testing.assert_array_equal(y, [[[[5.0, 5.0], [5.0, 5.0]]]])
    # windows (0, 0) and (0, 1) both pick pixel (0, 1), the first 5 in row-major order; the other two
    # windows hold one 5 each, at (1, 0) and (1, 2)
    np.testing.assert_array_equal(dx, [[[[0, 2, 0], [1, 0, 1], [0, 0, 0]]]])
    y, _ = naive_pool2d(x, None, 2, 1, padding=1, mode="avg", count_include_pad=False)
    assert y[0, 0, 0, 0] == 1.0 and y[0, 0, 0, 1] == 3.0  # a corner window holds one real pixel


# --- geometries ----------------------------------------------------------------------------------

# (kernel_size, stride, padding, dilation, input shape)
MAX2D = [
    (2, None, 0, 1, (2, 3, 4, 6)),  # the usual non-overlapping 2x2
    (3, 1, 0, 1, (2, 2, 5, 5)),  # stride < kernel: windows overlap
    (3, 2, 1, 1, (1, 2, 7, 6)),  # padding and a size the stride does not divide
    ((2, 3), (1, 2), (1, 1), (2, 1), (2, 2, 6, 7)),  # rectangular, dilated
    (2, 1, 1, 2, (3, 5, 5)),  # unbatched (C, H, W)
    (4, 3, 2, 1, (1, 1, 5, 9)),  # padding exactly half the kernel
]
MAX1D = [
    (2, None, 0, 1, (2, 3, 8)),
    (3, 1, 1, 1, (2, 2, 7)),
    (3, 2, 1, 2, (1, 3, 10)),
    (2, 3, 0, 1, (4, 9)),  # unbatched (C, L); stride > kernel skips inputs
]
AVG2D = [
    (2, None, 0, True, (2, 3, 4, 6)),
    (3, 1, 1, True, (2, 2, 5, 4)),
    (3, 1, 1, False, (2, 2, 5, 4)),
    ((3, 2), (2, 1), (1, 1), False, (1, 2, 7, 5)),
    (2, 1, 1, False, (3, 4, 4)),  # unbatched
]
AVG1D = [
    (2, None, 0, True, (2, 3, 8)),
    (3, 2, 1, True, (2, 2, 7)),
    (3, 2, 1, False, (2, 2, 7)),
    (4, 1, 2, False, (3, 6)),  # unbatched
]


def ids(cases):
    return [f"k{c[0]}-s{c[1]}-p{c[2]}-{c[3]}-{'x'.join(map(str, c[4]))}" for c in cases]


@pytest.mark.parametrize(("k", "s", "p", "d", "shape"), MAX2D, ids=ids(MAX2D))
def test_maxpool2d_gradcheck_float64(k, s, p, d, shape):
    report = gradcheck(nnkit.MaxPool2d(k, s, p, d), distinct(*shape))
    assert report.ok, str(report)


@pytest.mark.parametrize(("k", "s", "p", "d", "shape"), MAX1D, ids=ids(MAX1D))
def test_maxpool1d_gradcheck_float64(k, s, p, d, shape):
    report = gradcheck(nnkit.MaxPool1d(k, s, p, d), distinct(*shape))
    assert report.ok, str(report)


@pytest.mark.parametrize(("k", "s", "p", "cip", "shape"), AVG2D, ids=ids(AVG2D))
def test_avgpool2d_gradcheck_float64(k, s, p, cip, shape):
    report = gradcheck(nnkit.AvgPool2d(k, s, p, count_include_pad=cip), normal(*shape))
    assert report.ok, str(report)


@pytest.mark.parametrize(("k", "s", "p", "cip", "shape"), AVG1D, ids=ids(AVG1D))
def test_avgpool1d_gradcheck_float64(k, s, p, cip, shape):
    report = gradcheck(nnkit.AvgPool1d(k, s, p, count_include_pad=cip), normal(*shape))
    assert report.ok, str(report)


ADAPTIVE = [
    (nnkit.AdaptiveAvgPool1d, 3, (2, 3, 7)),  # bins of 3, 3 and 3 inputs that overlap
    (nnkit.AdaptiveAvgPool1d, 1, (2, 9)),  # global average, unbatched
    (nnkit.AdaptiveAvgPool1d, 5, (1, 2, 3)),  # more bins than inputs
    (nnkit.AdaptiveAvgPool2d, (3, 2), (2, 2, 7, 5)),
    (nnkit.AdaptiveAvgPool2d, (None, 2), (1, 2, 4, 5)),
    (nnkit.AdaptiveAvgPool2d, 1, (3, 4, 6)),  # global average, unbatched
    (nnkit.AdaptiveAvgPool2d, (4, 5), (1, 1, 3, 3)),
]


@pytest.mark.parametrize(("cls", "out", "shape"), ADAPTIVE, ids=[f"{c.__name__}-{o}-{s}" for c, o, s in ADAPTIVE])
def test_adaptive_avgpool_gradcheck_float64(cls, out, shape):
    report = gradcheck(cls(out), normal(*shape))
    assert report.ok, str(report)


# --- the naive reference, without torch --------------------------------------------------------


@pytest.mark.parametrize(("k", "s", "p", "d", "shape"), MAX2D, ids=ids(MAX2D))
def test_maxpool2d_matches_the_naive_loops_with_ties(k, s, p, d, shape):
    x = ties(*shape)
    x4 = x if x.ndim == 4 else x[None]
    y, dx, dy = run(nnkit.MaxPool2d(k, s, p, d), x)
    y_ref, dx_ref = naive_pool2d(x4, dy if dy.ndim == 4 else dy[None], k, s, p, d, mode="max")
    np.testing.assert_array_equal(y, y_ref if x.ndim == 4 else y_ref[0])
    np.testing.assert_allclose(dx, dx_ref if x.ndim == 4 else dx_ref[0], rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize(("k", "s", "p", "cip", "shape"), AVG2D, ids=ids(AVG2D))
def test_avgpool2d_matches_the_naive_loops(k, s, p, cip, shape):
    x = normal(*shape)
    x4 = x if x.ndim == 4 else x[None]
    y, dx, dy = run(nnkit.AvgPool2d(k, s, p, count_include_pad=cip), x)
    y_ref, dx_ref = naive_pool2d(x4, dy if dy.ndim == 4 else dy[None], k, s, p, mode="avg", count_include_pad=cip)
    np.testing.assert_allclose(y, y_ref if x.ndim == 4 else y_ref[0], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(dx, dx_ref if x.ndim == 4 else dx_ref[0], rtol=1e-12, atol=1e-15)


@st.composite
def geometries(draw):
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    ph, pw = draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2))
    dh, dw = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    h = draw(st.integers(max(1, dh * (kh - 1) + 1 - 2 * ph), 7))
    w = draw(st.integers(max(1, dw * (kw - 1) + 1 - 2 * pw), 7))
    return (kh, kw), (sh, sw), (ph, pw), (dh, dw), (draw(st.integers(1, 2)), draw(st.integers(1, 2)), h, w)


@settings(max_examples=25, deadline=None)
@given(geometries(), st.integers(0, 2**16))
def test_maxpool2d_random_geometries_match_the_naive_loops(geometry, seed):
    k, s, p, d, shape = geometry
    x = ties(*shape, seed=seed)
    y, dx, dy = run(nnkit.MaxPool2d(k, s, p, d), x, seed=seed)
    y_ref, dx_ref = naive_pool2d(x, dy, k, s, p, d, mode="max")
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_allclose(dx, dx_ref, rtol=1e-13, atol=1e-15)


@settings(max_examples=25, deadline=None)
@given(geometries(), st.booleans(), st.integers(0, 2**16))
def test_avgpool2d_random_geometries_match_the_naive_loops(geometry, count_include_pad, seed):
    k, s, p, _, shape = geometry  # average pooling has no dilation
    x = normal(*shape, seed=seed)
    y, dx, dy = run(nnkit.AvgPool2d(k, s, p, count_include_pad=count_include_pad), x, seed=seed)
    y_ref, dx_ref = naive_pool2d(x, dy, k, s, p, mode="avg", count_include_pad=count_include_pad)
    np.testing.assert_allclose(y, y_ref, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(dx, dx_ref, rtol=1e-12, atol=1e-15)


# --- hand-computed values ---------------------------------------------------------------------------


def test_maxpool_first_maximum_gets_the_gradient():
    # [2, 2, 1, 2] with windows of 2, stride 1: (2, 2) -> the first 2; (2, 1) -> index 1; (1, 2) -> index 3
    pool = nnkit.MaxPool1d(2, stride=1)
    y = pool(np.array([[[2.0, 2.0, 1.0, 2.0]]]))
    np.testing.assert_array_equal(y, [[[2.0, 2.0, 2.0]]])
    np.testing.assert_array_equal(pool.backward(np.array([[[1.0, 10.0, 100.0]]])), [[[1.0, 10.0, 0.0, 100.0]]])


def test_overlapping_max_windows_add_their_gradients():
    pool = nnkit.MaxPool2d(2, stride=1)
    x = np.zeros((1, 1, 3, 3))
    x[0, 0, 1, 1] = 9.0  # the centre is in all four windows
    pool(x)
    dx = pool.backward(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]))
    expected = np.zeros((1, 1, 3, 3))
    expected[0, 0, 1, 1] = 10.0
    np.testing.assert_array_equal(dx, expected)


def test_maxpool_padding_never_wins_over_negative_inputs():
    y = nnkit.MaxPool1d(2, stride=2, padding=1)(np.array([[[-5.0, -7.0, -1.0]]]))
    np.testing.assert_array_equal(y, [[[-5.0, -1.0]]])  # the zero padding of AvgPool would have given 0


def test_a_dilated_window_wholly_in_the_padding_gives_minus_inf_and_no_gradient():
    # rows -1 and 1 of a 1-row image: the window never meets a real pixel (torch 2.13 writes the
    # gradient of such a window out of bounds, so this is checked by hand, not against torch)
    pool = nnkit.MaxPool2d((2, 1), stride=1, padding=(1, 0), dilation=(2, 1))
    y = pool(np.array([[[[1.0, 2.0, 3.0]]]]))
    np.testing.assert_array_equal(y, np.full((1, 1, 1, 3), -np.inf))
    np.testing.assert_array_equal(pool.backward(np.ones((1, 1, 1, 3))), np.zeros((1, 1, 1, 3)))


def test_count_include_pad_true_and_false():
    x = np.array([[[3.0, 6.0, 9.0]]])
    np.testing.assert_allclose(nnkit.AvgPool1d(3, stride=1, padding=1)(x), [[[3.0, 6.0, 5.0]]])
    np.testing.assert_allclose(nnkit.AvgPool1d(3, 1, 1, count_include_pad=False)(x), [[[4.5, 6.0, 7.5]]])
    pool = nnkit.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
    y = pool(np.ones((1, 1, 3, 3)))
    np.testing.assert_allclose(y, np.ones((1, 1, 3, 3)))  # each window averages its real pixels only
    dx = pool.backward(np.ones((1, 1, 3, 3)))
    # a corner pixel is in 4 windows: 3 with 4 real pixels (corner and edges) and the centre's 9
    assert dx[0, 0, 0, 0] == pytest.approx(1 / 4 + 1 / 6 + 1 / 6 + 1 / 9)


def test_adaptive_bins_overlap_when_the_size_does_not_divide():
    # 5 inputs into 2 bins: [0:3] and [2:5], PyTorch's floor/ceil rule
    pool = nnkit.AdaptiveAvgPool1d(2)
    np.testing.assert_allclose(pool(np.array([[[1.0, 2.0, 3.0, 4.0, 5.0]]])), [[[2.0, 4.0]]])
    np.testing.assert_allclose(pool.backward(np.array([[[3.0, 6.0]]])), [[[1.0, 1.0, 3.0, 2.0, 2.0]]])


def test_adaptive_output_1_is_the_global_average():
    x = normal(2, 3, 5, 7)
    np.testing.assert_allclose(nnkit.AdaptiveAvgPool2d(1)(x), x.mean(axis=(2, 3), keepdims=True), rtol=1e-13)
    np.testing.assert_allclose(nnkit.AdaptiveAvgPool1d(1)(x[:, :, 0]), x[:, :, 0].mean(axis=2, keepdims=True))
    pool = nnkit.AdaptiveAvgPool2d((None, 1))  # None keeps the height
    assert pool(x).shape == (2, 3, 5, 1)
    np.testing.assert_allclose(pool(x), x.mean(axis=3, keepdims=True), rtol=1e-13)


def test_adaptive_equal_size_is_the_identity():
    x = normal(2, 3, 4, 5)
    pool = nnkit.AdaptiveAvgPool2d((4, 5))
    np.testing.assert_array_equal(pool(x), x)
    np.testing.assert_array_equal(pool.backward(x), x)


# --- PyTorch ---------------------------------------------------------------------------------------


def _max_geometry(k, s, p, d):
    return {"kernel_size": k, "stride": s, "padding": p, "dilation": d}


@pytest.mark.parametrize(("k", "s", "p", "d", "shape"), MAX2D, ids=ids(MAX2D))
def test_maxpool2d_matches_torch_with_ties(torch, k, s, p, d, shape):
    x = ties(*shape, seed=3)
    y, dx, dy = run(nnkit.MaxPool2d(k, s, p, d), x)
    y_ref, dx_ref = torch_run(torch, torch.nn.MaxPool2d(**_max_geometry(k, s, p, d)), x, dy)
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_allclose(dx, dx_ref, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize(("k", "s", "p", "d", "shape"), MAX1D, ids=ids(MAX1D))
def test_maxpool1d_matches_torch_with_ties(torch, k, s, p, d, shape):
    x = ties(*shape, seed=4)
    y, dx, dy = run(nnkit.MaxPool1d(k, s, p, d), x)
    y_ref, dx_ref = torch_run(torch, torch.nn.MaxPool1d(**_max_geometry(k, s, p, d)), x, dy)
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_allclose(dx, dx_ref, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize(("k", "s", "p", "cip", "shape"), AVG2D, ids=ids(AVG2D))
def test_avgpool2d_matches_torch(torch, k, s, p, cip, shape):
    x = normal(*shape, seed=5)
    y, dx, dy = run(nnkit.AvgPool2d(k, s, p, count_include_pad=cip), x)
    ref = torch.nn.AvgPool2d(k, s, p, count_include_pad=cip)
    y_ref, dx_ref = torch_run(torch, ref, x, dy)
    np.testing.assert_allclose(y, y_ref, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(dx, dx_ref, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(("k", "s", "p", "cip", "shape"), AVG1D, ids=ids(AVG1D))
def test_avgpool1d_matches_torch(torch, k, s, p, cip, shape):
    x = normal(*shape, seed=6)
    y, dx, dy = run(nnkit.AvgPool1d(k, s, p, count_include_pad=cip), x)
    y_ref, dx_ref = torch_run(torch, torch.nn.AvgPool1d(k, s, p, count_include_pad=cip), x, dy)
    np.testing.assert_allclose(y, y_ref, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(dx, dx_ref, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(("cls", "out", "shape"), ADAPTIVE, ids=[f"{c.__name__}-{o}-{s}" for c, o, s in ADAPTIVE])
def test_adaptive_avgpool_matches_torch(torch, cls, out, shape):
    x = normal(*shape, seed=7)
    y, dx, dy = run(cls(out), x)
    ref = getattr(torch.nn, cls.__name__)(out)
    y_ref, dx_ref = torch_run(torch, ref, x, dy)
    assert y.shape == y_ref.shape
    np.testing.assert_allclose(y, y_ref, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(dx, dx_ref, rtol=1e-12, atol=1e-15)


@settings(max_examples=25, deadline=None)
@given(geometries(), st.integers(0, 2**16))
def test_maxpool2d_random_geometries_match_torch(geometry, seed):
    torch = pytest.importorskip("torch")  # a fixture cannot be used with @given
    k, s, p, d, shape = geometry
    # a dilated window that lies wholly in the padding makes torch 2.13 write its gradient out of bounds
    # (into the next channel, or past the array: a crash), so torch is no oracle there; the naive loops are
    assume(not has_an_empty_window(shape, k, s, p, d))
    x = ties(*shape, seed=seed)
    y, dx, dy = run(nnkit.MaxPool2d(k, s, p, d), x, seed=seed)
    y_ref, dx_ref = torch_run(torch, torch.nn.MaxPool2d(**_max_geometry(k, s, p, d)), x, dy)
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_allclose(dx, dx_ref, rtol=1e-13, atol=1e-15)


def test_maxpool_nan_propagates_as_in_torch(torch):
    x = np.array([[[1.0, np.nan, 2.0, np.nan, 0.0, 5.0, 3.0, 1.0]]])
    pool = nnkit.MaxPool1d(3, stride=1)
    y, dx, dy = run(pool, x)
    # every window that holds a NaN gives NaN; torch sends the gradient to the last NaN of the window
    np.testing.assert_array_equal(np.isnan(y), [[[True, True, True, True, False, False]]])
    y_ref, dx_ref = torch_run(torch, torch.nn.MaxPool1d(3, stride=1), x, dy)
    np.testing.assert_array_equal(y, y_ref)  # NaN == NaN for assert_array_equal
    np.testing.assert_allclose(dx, dx_ref, rtol=1e-13)
    x2 = ties(2, 2, 5, 5, seed=8)
    x2[0, 1, 2, 3] = x2[1, 0, 0, 0] = x2[1, 0, 0, 1] = np.nan
    y, dx, dy = run(nnkit.MaxPool2d(2, 1, 1), x2)
    y_ref, dx_ref = torch_run(torch, torch.nn.MaxPool2d(2, 1, 1), x2, dy)
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_allclose(dx, dx_ref, rtol=1e-13)


def test_maxpool_all_minus_inf_window_with_padding_sends_the_gradient_to_a_real_input():
    # torch.nn.MaxPool1d(2, stride=1, padding=1) on [-inf] * 4 with dy = ones(5) gives dx = [2, 1, 1, 1]:
    # window 0 is [pad, x0] and picks x0; nnkit picks the padding and gives [1, 1, 1, 1]
    pool = nnkit.MaxPool1d(2, stride=1, padding=1)
    pool(np.full((1, 1, 4), -np.inf))
    np.testing.assert_array_equal(pool.backward(np.ones((1, 1, 5))), [[[2.0, 1.0, 1.0, 1.0]]])


def test_padding_limit_is_torchs(torch):
    # half the kernel is allowed (4 // 2 = 2), one more is not, in both libraries
    x = normal(1, 1, 6, 6)
    y, _, _ = run(nnkit.MaxPool2d(4, padding=2), x)
    np.testing.assert_array_equal(y, torch.nn.MaxPool2d(4, padding=2)(torch.from_numpy(x)).numpy())
    with pytest.raises(RuntimeError, match="pad should be"):
        torch.nn.MaxPool2d(3, padding=2)(torch.from_numpy(x))
    with pytest.raises(ValueError, match="padding should be at most half of kernel_size"):
        nnkit.MaxPool2d(3, padding=2)


# --- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("layer", "shape", "message"),
    [
        (
            nnkit.MaxPool2d(2),
            (2, 3),
            r"^MaxPool2d\(kernel_size=\(2, 2\)\) expected input of shape \(N, C, H, W\) \(or without N\), "
            r"got shape \(2, 3\)$",
        ),
        (
            nnkit.AvgPool2d(2),
            (1, 2, 3, 4, 5),
            r"^AvgPool2d\(kernel_size=\(2, 2\)\) expected input of shape \(N, C, H, W\)",
        ),
        (
            nnkit.MaxPool1d(2),
            (1, 1, 2, 4),
            r"^MaxPool1d\(kernel_size=2\) expected input of shape \(N, C, L\) \(or without",
        ),
        (nnkit.AvgPool1d(2), (4,), r"^AvgPool1d\(kernel_size=2\) expected input of shape \(N, C, L\)"),
        (
            nnkit.AdaptiveAvgPool2d((2, None)),
            (3,),
            r"^AdaptiveAvgPool2d\(output_size=\(2, None\)\) expected input of shape \(N, C, H, W\) \(or without N\) "
            r"with non-empty spatial dimensions, got shape \(3,\)$",
        ),
        (
            nnkit.AdaptiveAvgPool1d(2),
            (1, 2, 0),
            r"^AdaptiveAvgPool1d\(output_size=2\) expected input of shape \(N, C, L\)",
        ),
    ],
    ids=["max2d", "avg2d", "max1d", "avg1d", "adaptive2d", "adaptive1d-empty"],
)
def test_wrong_ndim_names_the_layer_and_the_layout(layer, shape, message):
    with pytest.raises(ValueError, match=message):
        layer(np.zeros(shape))


def test_input_smaller_than_the_kernel():
    with pytest.raises(
        ValueError,
        match=r"^MaxPool2d\(kernel_size=\(3, 3\)\): input of shape \(1, 1, 2, 5\) is smaller than the kernel "
        r"\(3, 3\) after padding \(0, 0\)$",
    ):
        nnkit.MaxPool2d(3)(np.zeros((1, 1, 2, 5)))
    with pytest.raises(ValueError, match=r"^AvgPool1d\(kernel_size=4\): input of shape \(1, 1\) is smaller"):
        nnkit.AvgPool1d(4, padding=1)(np.zeros((1, 1)))
    with pytest.raises(ValueError, match=r"^MaxPool1d\(kernel_size=2\): input of shape \(1, 1, 2\) is smaller"):
        nnkit.MaxPool1d(2, dilation=2)(np.zeros((1, 1, 2)))  # the dilated kernel spans 3
    assert nnkit.MaxPool1d(2, stride=1, padding=1)(np.zeros((1, 1, 1))).shape == (1, 1, 2)  # padding makes it fit


def test_bad_arguments():
    with pytest.raises(
        ValueError,
        match=r"^MaxPool2d: padding should be at most half of kernel_size \(as in PyTorch\), "
        r"got padding=\(2, 2\) and kernel_size=\(3, 3\)$",
    ):
        nnkit.MaxPool2d(3, padding=2)
    with pytest.raises(ValueError, match=r"^AvgPool1d: padding should be at most half of kernel_size"):
        nnkit.AvgPool1d(2, padding=2)
    with pytest.raises(ValueError, match=r"^MaxPool2d expected kernel_size to be an integer >= 1, got 0$"):
        nnkit.MaxPool2d(0)
    with pytest.raises(ValueError, match=r"^AvgPool2d expected stride to be an integer >= 1, got 0$"):
        nnkit.AvgPool2d(2, stride=0)
    with pytest.raises(ValueError, match=r"^MaxPool2d expected kernel_size to be an integer or a tuple of 2, got"):
        nnkit.MaxPool2d((2, 2, 2))
    with pytest.raises(TypeError, match=r"^MaxPool1d expected kernel_size to be an integer >= 1, got 2\.5 \(float\)$"):
        nnkit.MaxPool1d(2.5)
    with pytest.raises(ValueError, match=r"^AdaptiveAvgPool1d expected output_size to be an integer >= 1, got 0$"):
        nnkit.AdaptiveAvgPool1d(0)
    with pytest.raises(ValueError, match=r"^AdaptiveAvgPool2d expected output_size to be an integer or a tuple of 2"):
        nnkit.AdaptiveAvgPool2d((2, 3, 4))


POOLS = [
    ("MaxPool2d", lambda: nnkit.MaxPool2d(2), (1, 2, 4, 4), (1, 2, 2, 2), r"MaxPool2d\(kernel_size=\(2, 2\)\)"),
    ("MaxPool1d", lambda: nnkit.MaxPool1d(2), (1, 2, 4), (1, 2, 2), r"MaxPool1d\(kernel_size=2\)"),
    ("AvgPool2d", lambda: nnkit.AvgPool2d(2), (2, 4, 4), (2, 2, 2), r"AvgPool2d\(kernel_size=\(2, 2\)\)"),
    ("AvgPool1d", lambda: nnkit.AvgPool1d(2, 1), (1, 2, 4), (1, 2, 3), r"AvgPool1d\(kernel_size=2\)"),
    (
        "AdaptiveAvgPool2d",
        lambda: nnkit.AdaptiveAvgPool2d(3),
        (1, 2, 4, 5),
        (1, 2, 3, 3),
        r"AdaptiveAvgPool2d\(output_size=\(3, 3\)\)",
    ),
    ("AdaptiveAvgPool1d", lambda: nnkit.AdaptiveAvgPool1d(3), (2, 5), (2, 3), r"AdaptiveAvgPool1d\(output_size=3\)"),
]


@pytest.mark.parametrize(("make", "x_shape", "y_shape", "name"), [p[1:] for p in POOLS], ids=[p[0] for p in POOLS])
def test_backward_errors(make, x_shape, y_shape, name):
    pool = make()
    with pytest.raises(RuntimeError, match=rf"^{name}: backward called before forward$"):
        pool.backward(np.ones(y_shape))
    y = pool(normal(*x_shape))
    assert y.shape == y_shape
    wrong = (*y_shape[:-1], y_shape[-1] + 1)
    with pytest.raises(
        ValueError,
        match=rf"^{name}\.backward expected grad_output of shape {re.escape(str(y_shape))}, "
        rf"got shape {re.escape(str(wrong))}$",
    ):
        pool.backward(np.ones(wrong))
    assert pool.backward(np.ones(y_shape)).shape == x_shape  # the failed call kept what forward saved
    with pytest.raises(RuntimeError, match=rf"^{name}: backward called a second time after one forward"):
        pool.backward(np.ones(y_shape))


# --- dtypes --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("make", "x_shape", "y_shape"), [p[1:4] for p in POOLS], ids=[p[0] for p in POOLS])
def test_dtype_rule(make, x_shape, y_shape):
    pool = make()
    y = pool(normal(*x_shape).astype(np.float32))
    assert y.dtype == np.float32
    assert pool.backward(np.ones(y_shape, np.float32)).dtype == np.float32
    y = pool(np.arange(math.prod(x_shape)).reshape(x_shape))  # integers become the default float dtype
    assert y.dtype == nnkit.get_default_dtype() == np.float32
    assert pool.backward(np.ones(y_shape, np.float32)).dtype == np.float32
    assert pool(normal(*x_shape)).dtype == np.float64
    try:
        nnkit.set_default_dtype(np.float64)
        assert make()(np.ones(x_shape, dtype=np.int64)).dtype == np.float64
    finally:
        nnkit.set_default_dtype(np.float32)
    with pytest.raises(TypeError, match=r"expected a real-valued numeric array, got dtype <U1"):
        make()(np.full(x_shape, "a"))


def test_pools_do_not_modify_their_input_or_grad_output():
    for _, make, x_shape, y_shape, _ in POOLS:
        x, dy = normal(*x_shape), normal(*y_shape, seed=1)
        x0, dy0 = x.copy(), dy.copy()
        pool = make()
        pool(x)
        pool.backward(dy)
        np.testing.assert_array_equal(x, x0)
        np.testing.assert_array_equal(dy, dy0)


def test_pools_have_no_parameters_and_a_pytorch_like_repr():
    assert list(nnkit.MaxPool2d(2).parameters()) == [] and nnkit.AvgPool2d(2).state_dict() == {}
    assert repr(nnkit.MaxPool2d(2)) == "MaxPool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))"
    assert repr(nnkit.AvgPool1d(3, 1, 1)) == "AvgPool1d(kernel_size=3, stride=1, padding=1)"
    assert repr(nnkit.AdaptiveAvgPool2d((2, None))) == "AdaptiveAvgPool2d(output_size=(2, None))"
