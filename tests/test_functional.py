"""Tests for nnkit/functional.py: activations and their derivatives."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import nnkit
from nnkit import functional as F
from nnkit.gradcheck import numerical_gradient, rel_error

PAIRS = [
    (F.sigmoid, F.sigmoid_derivative),
    (F.tanh, F.tanh_derivative),
    (F.relu, F.relu_derivative),
    (F.leaky_relu, F.leaky_relu_derivative),
    (lambda x: F.leaky_relu(x, 0.3), lambda x: F.leaky_relu_derivative(x, 0.3)),
    (F.elu, F.elu_derivative),
    (lambda x: F.elu(x, 2.0), lambda x: F.elu_derivative(x, 2.0)),
]
IDS = ["sigmoid", "tanh", "relu", "leaky_relu", "leaky_relu(0.3)", "elu", "elu(2)"]
X = np.linspace(-4, 4, 41) + 0.013  # avoids the kink at exactly 0


@pytest.mark.parametrize("f, df", PAIRS, ids=IDS)
def test_derivative_matches_finite_differences(f, df):
    numeric = np.array([numerical_gradient(lambda v: float(f(v)[0]), np.array([x]))[0] for x in X])
    assert rel_error(df(X), numeric) < 1e-7


@pytest.mark.parametrize("f, df", PAIRS, ids=IDS)
def test_shapes_and_dtypes_preserved(f, df):
    x = np.zeros((2, 3), np.float32)
    assert f(x).shape == (2, 3) and f(x).dtype == np.float32
    assert df(x).shape == (2, 3) and df(x).dtype == np.float32


def test_kink_conventions_follow_pytorch():
    zero = np.array([0.0])
    assert F.relu_derivative(zero)[0] == 0.0
    assert F.leaky_relu_derivative(zero, 0.1)[0] == pytest.approx(0.1)
    assert F.elu_derivative(zero, 2.0)[0] == pytest.approx(2.0)


def test_sigmoid_derivative_peaks_at_a_quarter():
    x = np.linspace(-10, 10, 2001)
    d = F.sigmoid_derivative(x)
    assert d.max() == pytest.approx(0.25) and x[d.argmax()] == pytest.approx(0.0)
    assert F.tanh_derivative(np.array([0.0]))[0] == 1.0


@settings(max_examples=200, deadline=None)
@given(arrays(np.float64, st.integers(1, 20), elements=st.floats(-1e300, 1e300)))
def test_sigmoid_tanh_are_stable_and_bounded_for_huge_inputs(x):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for f, df in PAIRS[:2]:
            y, d = f(x), df(x)
            assert np.isfinite(y).all() and np.isfinite(d).all()
            assert (np.abs(y) <= 1).all() and (d >= 0).all()
    assert (F.sigmoid(x) >= 0).all()


@settings(max_examples=200, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 6)), elements=st.floats(-1e300, 1e300)))
def test_softmax_stable_for_huge_logits(x):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = F.softmax(x, dim=1)
        logs = F.log_softmax(x, dim=1)
    assert np.isfinite(s).all() and np.isfinite(logs).all()
    np.testing.assert_allclose(s.sum(axis=1), 1.0)
    assert (logs <= 0).all()


@settings(max_examples=50, deadline=None)
@given(st.floats(-1e6, 1e6), st.integers(1, 10))
def test_softmax_of_equal_logits_is_uniform(value, n):
    np.testing.assert_allclose(F.softmax(np.full(n, value)), np.full(n, 1 / n))


def test_softmax_backward_is_the_jacobian_product():
    x = np.random.default_rng(0).normal(size=5)
    s = F.softmax(x)
    jacobian = np.diag(s) - np.outer(s, s)
    dy = np.random.default_rng(1).normal(size=5)
    np.testing.assert_allclose(F.softmax_backward(s, dy), jacobian @ dy)


def test_log_softmax_matches_log_of_softmax():
    x = np.random.default_rng(0).normal(size=(3, 4))
    np.testing.assert_allclose(F.log_softmax(x), np.log(F.softmax(x)))


def test_integer_input_gives_the_default_float_dtype():
    # nnkit's one dtype rule: integer or boolean input becomes the default dtype (float32),
    # as in nnkit.Linear and the activation modules; floating-point input keeps its dtype
    for fn in (F.relu, F.sigmoid, F.tanh, F.elu, F.leaky_relu, F.softmax, F.log_softmax, F.relu_derivative):
        assert fn(np.array([-1, 2])).dtype == np.float32, fn.__name__
        assert fn(np.array([True, False])).dtype == np.float32, fn.__name__
        assert fn(np.array([-1.0, 2.0])).dtype == np.float64, fn.__name__
    try:
        nnkit.set_default_dtype(np.float64)
        assert F.tanh(np.array([1])).dtype == np.float64
    finally:
        nnkit.set_default_dtype(np.float32)
    with pytest.raises(TypeError, match="^sigmoid expected a real-valued numeric array, got dtype <U1$"):
        F.sigmoid(np.array(["a"]))


def test_matches_torch_functional(torch):
    x = np.concatenate([X, [-1e4, 1e4, 0.0]])
    tf = torch.nn.functional
    xt = torch.from_numpy(x)
    np.testing.assert_allclose(F.sigmoid(x), torch.sigmoid(xt).numpy(), rtol=1e-12)
    np.testing.assert_allclose(F.elu(x, 0.7), tf.elu(xt, 0.7).numpy(), rtol=1e-12)
    np.testing.assert_allclose(F.leaky_relu(x, 0.2), tf.leaky_relu(xt, 0.2).numpy(), rtol=1e-12)
    np.testing.assert_allclose(F.softmax(x), tf.softmax(xt, dim=0).numpy(), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(F.log_softmax(x), tf.log_softmax(xt, dim=0).numpy(), rtol=1e-12)


# --- GELU, SiLU, Softplus ---------------------------------------------------------------------

SMOOTH_PAIRS = {
    "gelu": (F.gelu, F.gelu_derivative),
    "gelu(tanh)": (lambda x: F.gelu(x, "tanh"), lambda x: F.gelu_derivative(x, "tanh")),
    "silu": (F.silu, F.silu_derivative),
    "softplus": (F.softplus, F.softplus_derivative),
    "softplus(2, 5)": (lambda x: F.softplus(x, 2.0, 5.0), lambda x: F.softplus_derivative(x, 2.0, 5.0)),
}
# (its derivative's range: the bounds every value must respect, and the function's minimum)
SMOOTH_BOUNDS = {
    "gelu": ((-0.1290, 1.1290), -0.16998),
    "gelu(tanh)": ((-0.1290, 1.1290), -0.17005),
    "silu": ((-0.0999, 1.0999), -0.27847),
    "softplus": ((0.0, 1.0), 0.0),
    "softplus(2, 5)": ((0.0, 1.0), 0.0),
}
SMOOTH_TORCH = {
    "gelu": lambda tf, t: tf.gelu(t),
    "gelu(tanh)": lambda tf, t: tf.gelu(t, approximate="tanh"),
    "silu": lambda tf, t: tf.silu(t),
    "softplus": lambda tf, t: tf.softplus(t),
    "softplus(2, 5)": lambda tf, t: tf.softplus(t, beta=2.0, threshold=5.0),
}


@pytest.mark.parametrize("name", SMOOTH_PAIRS)
def test_smooth_derivative_matches_finite_differences(name):
    f, df = SMOOTH_PAIRS[name]
    x = np.concatenate([X, 3 * X])  # out to ±12: past softplus(2, 5)'s threshold, βx = 5, at x = 2.5
    numeric = np.array([numerical_gradient(lambda v: float(f(v)[0]), np.array([v]))[0] for v in x])
    assert rel_error(df(x), numeric) < 1e-7


@pytest.mark.parametrize("name", SMOOTH_PAIRS)
def test_smooth_shapes_and_dtypes(name):
    f, df = SMOOTH_PAIRS[name]
    for dtype in (np.float32, np.float64):
        for shape in [(2, 3), (), (0, 4)]:
            x = np.zeros(shape, dtype)
            assert f(x).shape == shape and f(x).dtype == dtype
            assert df(x).shape == shape and df(x).dtype == dtype
    assert f(np.array([-1, 2])).dtype == np.float32  # integers: the default dtype
    assert f([0.5, 1.0]).dtype == np.float64  # a list: NumPy's float64


@pytest.mark.parametrize("name", SMOOTH_PAIRS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_smooth_stable_and_bounded_for_any_input(name, dtype):
    f, df = SMOOTH_PAIRS[name]
    (low, high), minimum = SMOOTH_BOUNDS[name]
    big = float(np.finfo(dtype).max)

    @settings(max_examples=100, deadline=None)
    @given(arrays(dtype, st.integers(1, 20), elements=st.floats(-big, big, width=np.finfo(dtype).bits)))
    def check(x):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            y, d = f(x), df(x)
        assert np.isfinite(y).all() and np.isfinite(d).all()
        assert (y >= minimum).all() and (d >= low).all() and (d <= high).all()
        if name.startswith("softplus"):
            assert (y >= x).all() and (y >= 0).all()  # softplus lies above both x and 0 (it is ≥ max(x, 0))

    check()


def test_smooth_extreme_values_and_slopes():
    x = np.array([-1e4, 1e4])
    for name, (f, df) in SMOOTH_PAIRS.items():
        np.testing.assert_array_equal(f(x), [0.0, 1e4], err_msg=name)
        np.testing.assert_array_equal(df(x), [0.0, 1.0], err_msg=name)
        assert df(np.array([0.0]))[0] == pytest.approx(0.5), name  # all four have slope 1/2 at 0
    at_zero = {name: f(np.array([0.0]))[0] for name, (f, _) in SMOOTH_PAIRS.items()}
    assert at_zero == pytest.approx(
        {"gelu": 0, "gelu(tanh)": 0, "silu": 0, "softplus": math.log(2), "softplus(2, 5)": math.log(2) / 2}, rel=1e-15
    )


def test_gelu_is_x_times_the_normal_cdf():
    x = np.linspace(-8, 8, 33)
    cdf = np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in x])
    np.testing.assert_allclose(F.gelu(x), x * cdf, rtol=1e-13, atol=0)  # erfc's relative error grows like x²
    assert F.gelu(np.array([-10.0]))[0] < 0  # x Φ(x) ≈ -7.6e-23, not the 0 that 1 + erf(-10/√2) gives


def test_gelu_tanh_form_is_close_to_the_exact_one_but_not_equal():
    x = np.linspace(-6, 6, 1201)
    gap = np.abs(F.gelu(x, "tanh") - F.gelu(x))
    assert 1e-4 < gap.max() < 5e-4  # at most 4.7e-4, near |x| = 2.7
    assert np.abs(F.gelu_derivative(x, "tanh") - F.gelu_derivative(x)).max() < 1e-3


def test_silu_is_x_sigmoid_x_and_softplus_is_log_one_plus_exp():
    x = np.linspace(-5, 5, 21)
    np.testing.assert_allclose(F.silu(x), x / (1 + np.exp(-x)), rtol=1e-14)
    np.testing.assert_allclose(F.softplus(x), np.log1p(np.exp(x)), rtol=1e-14)
    np.testing.assert_allclose(F.softplus(x, beta=3.0), np.log1p(np.exp(3 * x)) / 3, rtol=1e-14)
    np.testing.assert_allclose(F.softplus_derivative(x, beta=3.0), F.sigmoid(3 * x), rtol=1e-15)


def test_softplus_threshold_follows_pytorch():
    # above the threshold: x itself, and slope 1; at it (βx = threshold): still the smooth branch
    x = np.array([10.0, np.nextafter(10.0, 11.0), 30.0])
    y, d = F.softplus(x, beta=2.0, threshold=20.0), F.softplus_derivative(x, beta=2.0, threshold=20.0)
    assert y[0] == pytest.approx(10.0 + np.log1p(np.exp(-20.0)) / 2, rel=1e-15) and y[0] > 10.0
    assert y[1] == x[1] and y[2] == 30.0
    assert d[0] == F.sigmoid(np.array(20.0)) and d[0] < 1.0 and d[1] == d[2] == 1.0
    np.testing.assert_array_equal(F.softplus(np.array([1e300]), threshold=math.inf), [1e300])  # no threshold


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: F.gelu(np.ones(2), "foo"), ValueError, "^gelu expected approximate to be 'none' or 'tanh', got 'foo'"),
        (lambda: F.gelu_derivative(np.ones(2), approximate=1), ValueError, "^gelu_derivative expected .* got 1$"),
        (lambda: F.softplus(np.ones(2), beta=0), ValueError, "^softplus expected beta to be a finite real number > 0"),
        (lambda: F.softplus(np.ones(2), beta=-2.0), ValueError, "got -2.0$"),
        (lambda: F.softplus_derivative(np.ones(2), beta="1"), TypeError, r"^softplus_derivative expected beta"),
        (lambda: F.softplus(np.ones(2), threshold=None), TypeError, r"threshold .* got None \(NoneType\)$"),
        (lambda: F.silu(np.array(["a"])), TypeError, "^silu expected a real-valued numeric array"),
        (lambda: F.gelu(np.array([1j])), TypeError, "^gelu expected a real-valued numeric array"),
    ],
)
def test_smooth_bad_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("name", SMOOTH_PAIRS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_smooth_matches_torch_functional(torch, name, dtype):
    f, df = SMOOTH_PAIRS[name]
    x = np.concatenate([X, 5 * X, [-1e4, -1e3, -40.0, -10.0, 0.0, 2.5, 10.0, 20.5, 40.0, 1e3, 1e4]]).astype(dtype)
    xt = torch.tensor(x, requires_grad=True)
    yt = SMOOTH_TORCH[name](torch.nn.functional, xt)
    yt.sum().backward()
    tol = dict(rtol=1e-12, atol=1e-14) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-6)  # see test_activations
    np.testing.assert_allclose(f(x), yt.detach().numpy(), **tol)
    np.testing.assert_allclose(df(x), xt.grad.numpy(), **tol)


@pytest.mark.parametrize("name", SMOOTH_PAIRS)
def test_smooth_float32_within_a_few_ulp_of_float64(name):
    # 1 - σ(2u) or 1 - σ(x) for x ≫ 0 would lose float32 digits: σ(-2u) and σ(-x) keep them
    f, df = SMOOTH_PAIRS[name]
    x32 = np.linspace(-12, 12, 4801, dtype=np.float32)
    x64 = x32.astype(np.float64)
    ulp = np.finfo(np.float32).eps
    for g in (f, df):
        exact = g(x64)
        assert (np.abs(g(x32) - exact) <= 4 * ulp * np.maximum(np.abs(exact), 1)).all()


# --- erfc: W. J. Cody's rational approximations, vectorized -----------------------------------

SUBNORMAL_ULP = np.nextafter(0.0, 1.0)  # the spacing of float64's subnormal numbers
ERFC_EDGES = [0.46875, 4.0, 26.543, 27.2, 27.23, 28.0]  # Cody's ranges; the first subnormal; the last nonzero; the clip


def erfc_test_points():
    """~200,000 points: a grid over [-30, 30], random ones where erfc varies most, both sides of every edge."""
    edges = np.array([[e, np.nextafter(e, 0.0), np.nextafter(e, 99.0)] for e in ERFC_EDGES]).ravel()
    grid = np.linspace(-30, 30, 100_001)
    middle = np.random.default_rng(0).uniform(-8, 8, 100_000)
    return np.concatenate([grid, middle, edges, -edges, [0.0, -0.0, 1e-300, -1e-300, 5e-324, 1e3, -1e3]])


def test_erfc_matches_math_erfc_to_a_few_ulp():
    x = erfc_test_points()
    got = F._erfc(x)
    expected = np.array([math.erfc(v) for v in x])
    assert got.dtype == np.float64 and got.shape == x.shape
    normal = expected >= np.finfo(np.float64).tiny
    rel = np.abs(got - expected)[normal] / expected[normal]
    # Measured: at most 9.7e-16 = 4.4 eps, near x = 3.42. Against a 200-bit mpmath reference the
    # error is at most 3.5 eps, and math.erfc's own up to 2. A naive e^(-x*x) would be off by up to 1e-13.
    assert rel.max() <= 1.2e-15
    # subnormal results (26.55 < x < 27.23): measured within 1 step here, 2 on a 100,000-point grid of that range
    assert np.abs(got - expected)[~normal].max() <= 2 * SUBNORMAL_ULP
    np.testing.assert_array_equal(got[expected == 0.0], 0.0)
    assert (got[x < -5.87] == 2.0).all() and (got[x > 27.23] == 0.0).all()


def test_erfc_special_values_without_floating_point_warnings():
    big = np.finfo(np.float64).max
    x = np.array([np.inf, -np.inf, np.nan, big, -big, 28.0, -28.0, 1e4, -1e4, 0.0, -0.0])
    with np.errstate(all="raise"):  # _erfc itself tolerates the underflow of e^(-x²), nothing else
        got = F._erfc(x)
    np.testing.assert_array_equal(got, [0.0, 2.0, np.nan, 0.0, 2.0, 0.0, 2.0, 0.0, 2.0, 1.0, 1.0])


@pytest.mark.parametrize("shape", [(0,), (3, 0), (), (7,), (3, 8193)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_erfc_shapes_and_dtypes(shape, dtype):
    x = np.random.default_rng(1).uniform(-6, 6, shape).astype(dtype)
    got = F._erfc(x)
    assert got.shape == shape and got.dtype == dtype
    np.testing.assert_array_equal(got, F._erfc(x.astype(np.float64)).astype(dtype))  # float64, rounded once
    np.testing.assert_array_equal(F._erfc(x.T), got.T)  # a view that is not C-contiguous: the same values
    assert F._erfc(np.array([0, 1])).dtype == np.float32  # integers: the default dtype, as everywhere in nnkit


def test_gelu_exact_is_vectorized_in_blocks(monkeypatch):
    # The project's rule: no Python loop over elements. GELU's erfc runs once per block of elements.
    sizes = []
    erfc = F._erfc_float64
    monkeypatch.setattr(F, "_erfc_float64", lambda x: sizes.append(x.size) or erfc(x))
    block = F._BLOCK_SIZE
    x = np.random.default_rng(2).standard_normal(2 * block + 17).astype(np.float32).reshape(-1, 1)
    F.gelu(x)
    F.gelu_derivative(x)
    assert sizes == [block, block, 17] * 2


@pytest.mark.parametrize("f", [F.gelu, F.gelu_derivative])
def test_gelu_exact_float32_is_the_float64_result_rounded_once(f):
    x = np.random.default_rng(3).normal(0, 4, 10_000).astype(np.float32)
    big = np.finfo(np.float32).max
    x[:7] = [np.nan, 0.0, -38.0, 38.0, -1e30, 1e30, -big]
    with np.errstate(all="raise"):
        got = f(x)
    assert got.dtype == np.float32 and np.isnan(got[0])
    np.testing.assert_array_equal(got[1:], f(x[1:].astype(np.float64)).astype(np.float32))


# --- scaled_dot_product_attention --------------------------------------------------------------------


def _qkv(batch=(2, 3), length=4, source=5, e=6, ev=3, seed=0):
    rng = np.random.default_rng(seed)
    return (
        rng.normal(size=(*batch, length, e)),
        rng.normal(size=(*batch, source, e)),
        rng.normal(size=(*batch, source, ev)),
    )


def _naive_attention(q, k, v, allowed=None, added=None, scale=None):
    """One query at a time, from the definition."""
    scale = 1 / np.sqrt(q.shape[-1]) if scale is None else scale
    out = np.zeros((*q.shape[:-1], v.shape[-1]))
    for index in np.ndindex(q.shape[:-1]):
        *lead, i = index
        s = k[tuple(lead)] @ q[index] * scale
        if added is not None:
            s = s + np.broadcast_to(added, (*q.shape[:-1], k.shape[-2]))[index]
        if allowed is not None:
            s = np.where(np.broadcast_to(allowed, (*q.shape[:-1], k.shape[-2]))[index], s, -np.inf)
        w = np.exp(s - s.max())
        out[index] = (w / w.sum()) @ v[tuple(lead)]
    return out


def test_attention_equals_its_definition_with_and_without_masks():
    q, k, v = _qkv()
    allowed = np.random.default_rng(1).random((4, 5)) < 0.7
    allowed[:, 0] = True  # every query keeps a key
    added = np.random.default_rng(2).normal(size=(3, 4, 5))
    np.testing.assert_allclose(F.scaled_dot_product_attention(q, k, v), _naive_attention(q, k, v), rtol=1e-12)
    np.testing.assert_allclose(
        F.scaled_dot_product_attention(q, k, v, attn_mask=allowed),
        _naive_attention(q, k, v, allowed=allowed),
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        F.scaled_dot_product_attention(q, k, v, added, scale=0.3),
        _naive_attention(q, k, v, added=added, scale=0.3),
        rtol=1e-12,
    )
    causal = np.tril(np.ones((4, 5), dtype=bool))
    np.testing.assert_allclose(
        F.scaled_dot_product_attention(q, k, v, is_causal=True), _naive_attention(q, k, v, allowed=causal), rtol=1e-12
    )


@pytest.mark.parametrize("mask", ["none", "bool", "float", "causal", "empty-row"])
def test_attention_matches_torch(torch, mask):
    q, k, v = _qkv(seed=3)
    kwargs = {}
    if mask == "bool":
        kwargs["attn_mask"] = np.random.default_rng(4).random((3, 4, 5)) < 0.6
    elif mask == "float":
        kwargs["attn_mask"] = np.random.default_rng(5).normal(size=(2, 1, 4, 5))
    elif mask == "causal":
        kwargs["is_causal"] = True
    elif mask == "empty-row":  # a query with no key: weights 0, output 0, in both
        allowed = np.ones((4, 5), dtype=bool)
        allowed[1] = False
        kwargs["attn_mask"] = allowed
    expected = torch.nn.functional.scaled_dot_product_attention(
        *(torch.from_numpy(a) for a in (q, k, v)),
        **{key: torch.from_numpy(val) if isinstance(val, np.ndarray) else val for key, val in kwargs.items()},
    ).numpy()
    np.testing.assert_allclose(F.scaled_dot_product_attention(q, k, v, **kwargs), expected, rtol=1e-10, atol=1e-12)
    if mask == "empty-row":
        assert not F.scaled_dot_product_attention(q, k, v, **kwargs)[:, :, 1].any()


def test_attention_dropout_uses_the_rng():
    q, k, v = _qkv()
    a = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5, rng=0)
    np.testing.assert_array_equal(a, F.scaled_dot_product_attention(q, k, v, dropout_p=0.5, rng=0))
    assert not np.allclose(a, F.scaled_dot_product_attention(q, k, v))
    assert not F.scaled_dot_product_attention(q, k, v, dropout_p=1.0, rng=0).any()


def test_attention_errors_name_the_function_and_the_shapes():
    q, k, v = _qkv()
    with pytest.raises(ValueError, match=r"scaled_dot_product_attention expected query \(\.\.\., L, E\).*same E"):
        F.scaled_dot_product_attention(q, k[..., :2], v)
    with pytest.raises(ValueError, match="same E and S"):
        F.scaled_dot_product_attention(q, k, v[..., :3, :])
    with pytest.raises(
        ValueError, match=r"attn_mask broadcastable to the scores' shape \(2, 3, 4, 5\).*got shape \(5, 4\)"
    ):
        F.scaled_dot_product_attention(q, k, v, attn_mask=np.ones((5, 4), dtype=bool))
    with pytest.raises(ValueError, match="not both"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=np.ones((4, 5), dtype=bool), is_causal=True)
    with pytest.raises(TypeError, match="boolean or floating-point attn_mask, got dtype int64"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=np.ones((4, 5), dtype=np.int64))
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        F.scaled_dot_product_attention(np.ones(3), np.ones(3), np.ones(3))
