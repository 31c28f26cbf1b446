"""Tests for nnkit/conv.py: Conv1d, Conv2d and output_size."""

import itertools

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import nnkit
from nnkit.conv import output_size
from nnkit.gradcheck import gradcheck


def normal(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


def naive_conv2d(x, w, b, stride, pads, dilation, groups):
    """Four nested loops over output pixels: the definition, written as plainly as possible."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    (pt, pb), (pl, pr) = pads
    xp = np.zeros((n, c, h + pt + pb, wd + pl + pr))
    xp[:, :, pt : pt + h, pl : pl + wd] = x
    ho = (xp.shape[2] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    wo = (xp.shape[3] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    y = np.zeros((n, o, ho, wo))
    per_group = o // groups
    for s, oc, i, j in itertools.product(range(n), range(o), range(ho), range(wo)):
        g = oc // per_group
        total = 0.0 if b is None else b[oc]
        for ci, p, q in itertools.product(range(cg), range(kh), range(kw)):
            total += (
                w[oc, ci, p, q] * xp[s, g * cg + ci, i * stride[0] + p * dilation[0], j * stride[1] + q * dilation[1]]
            )
        y[s, oc, i, j] = total
    return y


CONFIGS_2D = [
    dict(in_channels=3, out_channels=4, kernel_size=3),
    dict(in_channels=3, out_channels=4, kernel_size=3, padding=1),
    dict(in_channels=2, out_channels=4, kernel_size=(3, 2), stride=(2, 1), padding=(1, 2), dilation=(2, 1)),
    dict(in_channels=4, out_channels=6, kernel_size=3, groups=2, bias=False),
    dict(in_channels=4, out_channels=4, kernel_size=2, padding="same", groups=4),
    dict(in_channels=2, out_channels=3, kernel_size=3, padding="valid", stride=3),
]


@pytest.mark.parametrize("config", CONFIGS_2D, ids=str)
def test_conv2d_matches_the_naive_loops(config):
    layer = nnkit.Conv2d(**config, rng=0, dtype=np.float64)
    x = normal(2, config["in_channels"], 7, 6)
    bias = None if layer.bias is None else layer.bias.data
    y = naive_conv2d(x, layer.weight.data, bias, layer.stride, layer._pads, layer.dilation, layer.groups)
    np.testing.assert_allclose(layer(x), y, rtol=1e-12, atol=1e-12)


def test_same_padding_puts_the_odd_pixel_after_as_pytorch():
    layer = nnkit.Conv2d(1, 1, kernel_size=4, padding="same", bias=False, dtype=np.float64)
    assert layer._pads == ((1, 2), (1, 2))
    layer.weight.data[...] = 0
    layer.weight.data[0, 0, 0, 0] = 1  # picks x[i - 1, j - 1]
    x = normal(1, 1, 5, 5)
    y = layer(x)
    assert y.shape == x.shape
    np.testing.assert_array_equal(y[0, 0, 1:, 1:], x[0, 0, :-1, :-1])
    np.testing.assert_array_equal(y[0, 0, 0], 0)


def test_output_size_formula_agrees_with_the_layers():
    for size, k, s, p, d in itertools.product((7, 8, 28), (1, 2, 3, 5), (1, 2, 3), (0, 1, 2), (1, 2)):
        expected = output_size(size, k, s, p, d)
        if expected < 1 or 2 * p > k * d:
            continue
        layer = nnkit.Conv1d(1, 1, k, stride=s, padding=p, dilation=d)
        assert layer(np.zeros((1, 1, size))).shape[-1] == expected
        pool = nnkit.MaxPool1d(k, stride=s, padding=min(p, k // 2), dilation=d)
        assert pool(np.zeros((1, 1, size))).shape[-1] == output_size(size, k, s, min(p, k // 2), d)


def test_conv1d_is_conv2d_with_height_one():
    c1 = nnkit.Conv1d(3, 5, 4, stride=2, padding=3, dilation=2, rng=0, dtype=np.float64)
    c2 = nnkit.Conv2d(3, 5, (1, 4), stride=(1, 2), padding=(0, 3), dilation=(1, 2), rng=1, dtype=np.float64)
    c2.weight.data[...] = c1.weight.data[:, :, None, :]
    c2.bias.data[...] = c1.bias.data
    x = normal(2, 3, 17)
    np.testing.assert_allclose(c1(x), c2(x[:, :, None, :])[:, :, 0, :], rtol=1e-13)
    dy = normal(*c1(x).shape, seed=1)
    np.testing.assert_allclose(c1.backward(dy), c2.backward(dy[:, :, None, :])[:, :, 0, :], rtol=1e-13)
    np.testing.assert_allclose(c1.weight.grad, c2.weight.grad[:, :, 0, :], rtol=1e-13)


def test_default_init_is_pytorchs_uniform_bound():
    layer = nnkit.Conv2d(8, 32, 3, groups=2, rng=0)
    bound = 1 / np.sqrt(8 // 2 * 9)
    assert layer.weight.shape == (32, 4, 3, 3) and layer.weight.dtype == np.float32
    for p in (layer.weight.data, layer.bias.data):
        assert np.abs(p).max() <= bound and np.abs(p).max() > 0.9 * bound
    assert nnkit.Conv1d(4, 2, 5).weight.shape == (2, 4, 5)


@pytest.mark.parametrize("config", CONFIGS_2D, ids=str)
def test_conv2d_gradcheck(config):
    layer = nnkit.Conv2d(**config, rng=0)
    report = gradcheck(layer, normal(2, config["in_channels"], 6, 5))
    assert report.ok, report


@pytest.mark.parametrize(
    "config",
    [
        dict(in_channels=2, out_channels=3, kernel_size=5, stride=2, padding=3, dilation=2),
        dict(in_channels=4, out_channels=2, kernel_size=4, padding="same", groups=2, bias=False),
    ],
    ids=str,
)
def test_conv1d_gradcheck(config):
    report = gradcheck(nnkit.Conv1d(**config, rng=0), normal(3, config["in_channels"], 11))
    assert report.ok, report


def test_backward_accumulates_and_input_grad_false_skips_dx():
    layer = nnkit.Conv2d(2, 3, 3, rng=0, dtype=np.float64)
    x = normal(2, 2, 5, 5)
    dy = normal(2, 3, 3, 3, seed=1)
    layer(x)
    layer.backward(dy)
    once_w, once_b = layer.weight.grad.copy(), layer.bias.grad.copy()
    layer(x)
    assert layer.backward(dy, input_grad=False) is None
    np.testing.assert_allclose(layer.weight.grad, 2 * once_w)
    np.testing.assert_allclose(layer.bias.grad, 2 * once_b)
    np.testing.assert_allclose(once_b, dy.sum(axis=(0, 2, 3)))


def test_unbatched_input_as_in_pytorch():
    layer = nnkit.Conv2d(2, 3, 3, padding=1, rng=0, dtype=np.float64)
    x = normal(2, 5, 4)
    y = layer(x)
    assert y.shape == (3, 5, 4)
    np.testing.assert_allclose(y, layer(x[None])[0])
    layer(x)
    assert layer.backward(normal(3, 5, 4)).shape == x.shape
    assert nnkit.Conv1d(2, 3, 3)(np.zeros((2, 9))).shape == (3, 7)


def test_dtype_rule():
    layer = nnkit.Conv2d(1, 2, 3, rng=0)
    assert layer(normal(1, 1, 5, 5)).dtype == np.float32  # float64 data meets float32 weights
    assert layer(np.ones((1, 1, 5, 5), dtype=np.int64)).dtype == np.float32
    assert nnkit.Conv2d(1, 2, 3, dtype=np.float64)(np.ones((1, 1, 4, 4), dtype=np.float32)).dtype == np.float64
    with pytest.raises(TypeError, match=r"Conv2d\(1, 2, kernel_size=\(3, 3\)\) expected a real-valued"):
        layer(np.array([[[["a"]]]]))


def test_state_dict_keys_and_repr():
    layer = nnkit.Conv2d(3, 8, 3, stride=2, padding=1, bias=False)
    assert list(layer.state_dict()) == ["weight"]
    assert repr(layer) == "Conv2d(3, 8, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), bias=False)"
    assert repr(nnkit.Conv1d(1, 2, 5, padding="same")) == "Conv1d(1, 2, kernel_size=(5,), stride=(1,), padding='same')"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: nnkit.Conv2d(3, 4, 3)(np.zeros((2, 1, 8, 8))), r"expected input of shape \(N, C, H, W\) with C=3"),
        (lambda: nnkit.Conv2d(3, 4, 3)(np.zeros((2, 3, 8))), r"expected input of shape \(N, C, H, W\) with C=3, got"),
        (
            lambda: nnkit.Conv1d(3, 4, 3)(np.zeros((2, 3, 8, 8))),
            r"Conv1d\(3, 4, kernel_size=3\) expected input of "
            r"shape \(N, C, L\)",
        ),
        (lambda: nnkit.Conv2d(3, 4, 5)(np.zeros((1, 3, 4, 4))), r"smaller than the \(dilated\) kernel"),
        (lambda: nnkit.Conv2d(3, 4, 3, stride=2, padding="same"), "not supported for strided"),
        (lambda: nnkit.Conv2d(3, 4, 3, padding="full"), "'same', 'valid' or integers"),
        (lambda: nnkit.Conv2d(3, 4, 3, groups=2), r"divisible by groups \(2\)"),
        (lambda: nnkit.Conv2d(3, 4, (3, 3, 3)), "kernel_size to be an integer or a tuple of 2"),
        (lambda: nnkit.Conv2d(3, 4, 0), "kernel_size to be an integer >= 1"),
        (lambda: nnkit.Conv2d(3, 4, 3, padding=-1), "padding to be an integer >= 0"),
    ],
)
def test_errors_name_the_layer_and_what_it_expected(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make()


def test_backward_errors():
    layer = nnkit.Conv2d(1, 2, 3)
    with pytest.raises(RuntimeError, match="backward called before forward"):
        layer.backward(np.zeros((1, 2, 2, 2)))
    layer(np.zeros((1, 1, 4, 4)))
    with pytest.raises(
        ValueError,
        match=r"Conv2d\(1, 2, kernel_size=\(3, 3\)\).backward expected grad_output of "
        r"shape \(1, 2, 2, 2\), got shape \(1, 2, 3, 3\)",
    ):
        layer.backward(np.zeros((1, 2, 3, 3)))


@settings(max_examples=25, deadline=None)
@given(
    k=st.integers(1, 3),
    s=st.integers(1, 2),
    p=st.integers(0, 2),
    d=st.integers(1, 2),
    g=st.sampled_from([1, 2]),
    h=st.integers(5, 8),
    w=st.integers(5, 8),
)
def test_random_geometries_match_the_naive_loops(k, s, p, d, g, h, w):
    layer = nnkit.Conv2d(2, 4, k, stride=s, padding=p, dilation=d, groups=g, rng=0, dtype=np.float64)
    x = normal(1, 2, h, w)
    y = naive_conv2d(x, layer.weight.data, layer.bias.data, layer.stride, layer._pads, layer.dilation, g)
    np.testing.assert_allclose(layer(x), y, rtol=1e-12, atol=1e-12)


# --- PyTorch as the oracle ---------------------------------------------------------------

ORACLE = [
    ("Conv2d", dict(in_channels=3, out_channels=8, kernel_size=3, padding=1), (4, 3, 9, 8)),
    (
        "Conv2d",
        dict(
            in_channels=4, out_channels=6, kernel_size=(3, 2), stride=(2, 1), padding=(1, 2), dilation=(2, 1), groups=2
        ),
        (3, 4, 9, 8),
    ),
    ("Conv2d", dict(in_channels=4, out_channels=6, kernel_size=4, padding="same", bias=False), (2, 4, 7, 6)),
    ("Conv2d", dict(in_channels=4, out_channels=4, kernel_size=3, padding="valid", groups=4), (4, 7, 6)),
    (
        "Conv1d",
        dict(in_channels=4, out_channels=6, kernel_size=5, stride=2, padding=3, dilation=2, groups=2),
        (3, 4, 17),
    ),
    ("Conv1d", dict(in_channels=1, out_channels=8, kernel_size=5, padding=2), (5, 1, 40)),
]


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize(("name", "config", "shape"), ORACLE, ids=str)
def test_conv_matches_torch(torch, name, config, shape):
    layer = getattr(nnkit, name)(**config, rng=0, dtype=np.float64)
    ref = getattr(torch.nn, name)(**config).double()
    ref.load_state_dict({k: torch.from_numpy(v) for k, v in layer.state_dict().items()})
    assert list(ref.state_dict()) == list(layer.state_dict())
    x = normal(*shape)
    y = layer(x)
    xt = torch.tensor(x, requires_grad=True)
    yt = ref(xt)
    dy = normal(*y.shape, seed=1)
    yt.backward(torch.from_numpy(dy))
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layer.backward(dy), xt.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layer.weight.grad, ref.weight.grad.numpy(), rtol=1e-12, atol=1e-12)
    if layer.bias is not None:
        np.testing.assert_allclose(layer.bias.grad, ref.bias.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_a_torch_state_dict_loads_unchanged(torch):
    torch.manual_seed(0)
    ref = torch.nn.Conv2d(3, 5, 3, padding=1)
    layer = nnkit.Conv2d(3, 5, 3, padding=1)
    layer.load_state_dict({k: v.numpy() for k, v in ref.state_dict().items()})
    x = normal(2, 3, 6, 6).astype(np.float32)
    with torch.no_grad():
        np.testing.assert_allclose(layer(x), ref(torch.from_numpy(x)).numpy(), rtol=1e-5, atol=1e-5)


# --- the two ways backward computes dx -----------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(
    nd=st.sampled_from([1, 2]),
    k=st.integers(1, 4),
    p=st.integers(0, 3),
    d=st.integers(1, 2),
    g=st.sampled_from([1, 2]),
    size=st.integers(6, 9),
)
def test_dx_by_correlation_equals_dx_by_col2im(nd, k, p, d, g, size):
    """Stride-1 layers may compute dx as a correlation of dy with the flipped kernel; it must agree
    with col2im (the adjoint of the forward's im2col, checked against PyTorch above) wherever it applies,
    and fall back to col2im elsewhere."""
    assume(d * (k - 1) + 1 <= size + 2 * p)  # the dilated kernel fits the padded input
    cls = nnkit.Conv2d if nd == 2 else nnkit.Conv1d
    x = normal(2, 4, *(size,) * nd)
    grads = {}
    for by_correlation in (True, False):
        layer = cls(4, 6, k, padding=p, dilation=d, groups=g, rng=0, dtype=np.float64)
        layer._dx_by_correlation = by_correlation
        y = layer(x)
        grads[by_correlation] = layer.backward(normal(*y.shape, seed=1)), layer.weight.grad.copy()
    np.testing.assert_allclose(grads[True][0], grads[False][0], rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(grads[True][1], grads[False][1])


def test_the_automatic_choice_takes_the_correlation_for_same_channel_3x3_layers():
    layer = nnkit.Conv2d(8, 8, 3, padding=1, rng=0)
    cols_shape = (8, 3, 3, 2, 5, 5)
    assert layer._transposed_backward((1, 1), [2, 2], (1, 1, 1, 1), cols_shape, (5, 5))
    assert not layer._transposed_backward((2, 2), [2, 2], (1, 1, 1, 1), cols_shape, (5, 5))  # strided: col2im
    assert not layer._transposed_backward((1, 1), [2, 2], (3, 3, 3, 3), cols_shape, (5, 5))  # padding beyond reach


def test_work_arrays_are_reused_and_results_do_not_alias_them():
    layer = nnkit.Conv2d(3, 4, 3, padding=1, rng=0, dtype=np.float64)
    x1, x2 = normal(2, 3, 6, 6), normal(2, 3, 6, 6, seed=5)
    y1 = layer(x1)
    dx1 = layer.backward(np.ones_like(y1))
    work = {key: id(a) for key, a in layer._workspace.items()}
    y1_copy, dx1_copy = y1.copy(), dx1.copy()
    y2 = layer(x2)
    layer.backward(np.ones_like(y2))
    assert {key: id(a) for key, a in layer._workspace.items()} == work  # same shapes: no new arrays
    np.testing.assert_array_equal(y1, y1_copy)  # the earlier results were not overwritten
    np.testing.assert_array_equal(dx1, dx1_copy)
    fresh = nnkit.Conv2d(3, 4, 3, padding=1, rng=0, dtype=np.float64)
    np.testing.assert_array_equal(fresh(x2), y2)  # a reused padded buffer still has a zero border
    assert "_workspace" not in "".join(layer.state_dict())
