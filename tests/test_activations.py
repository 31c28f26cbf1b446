"""Tests for nnkit/activations.py: every activation module, gradient-checked and compared with PyTorch."""

import warnings

import numpy as np
import pytest

import nnkit
from nnkit.gradcheck import gradcheck

# Inputs kept away from 0 so the kinks of ReLU-like units do not sit inside ±eps.
X = np.random.default_rng(0).normal(size=(6, 5))
X = np.where(np.abs(X) < 1e-3, 0.5, X)

MODULES = [
    ("Sigmoid", lambda: nnkit.Sigmoid(), lambda t: t.nn.Sigmoid()),
    ("Tanh", lambda: nnkit.Tanh(), lambda t: t.nn.Tanh()),
    ("ReLU", lambda: nnkit.ReLU(), lambda t: t.nn.ReLU()),
    ("LeakyReLU", lambda: nnkit.LeakyReLU(), lambda t: t.nn.LeakyReLU()),
    ("LeakyReLU(0.2)", lambda: nnkit.LeakyReLU(0.2), lambda t: t.nn.LeakyReLU(0.2)),
    ("ELU", lambda: nnkit.ELU(), lambda t: t.nn.ELU()),
    ("ELU(0.5)", lambda: nnkit.ELU(0.5), lambda t: t.nn.ELU(0.5)),
    ("Softmax", lambda: nnkit.Softmax(dim=-1), lambda t: t.nn.Softmax(dim=-1)),
    ("Softmax(dim=0)", lambda: nnkit.Softmax(dim=0), lambda t: t.nn.Softmax(dim=0)),
]
IDS = [m[0] for m in MODULES]


@pytest.mark.parametrize("make", [m[1] for m in MODULES], ids=IDS)
def test_gradcheck_float64(make):
    report = gradcheck(make(), X)
    assert report.ok, str(report)
    assert report.worst[1] < 1e-6


@pytest.mark.parametrize("make, make_ref", [m[1:] for m in MODULES], ids=IDS)
def test_matches_torch(torch, make, make_ref):
    x = np.concatenate([X, np.array([[0.0, -1e4, 1e4, 30.0, -30.0]])])  # kinks and extremes too
    m, ref = make(), make_ref(torch)
    xt = torch.tensor(x, requires_grad=True)
    yt = ref(xt)
    dy = np.random.default_rng(1).normal(size=x.shape)
    yt.backward(torch.from_numpy(dy))
    np.testing.assert_allclose(m(x), yt.detach().numpy(), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(m.backward(dy), xt.grad.numpy(), rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("make", [m[1] for m in MODULES], ids=IDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_stable_at_extremes(make, dtype):
    x = np.array([[-1e4, -1e3, 0.0, 1e3, 1e4]], dtype=dtype)
    m = make()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = m(x)
        dx = m.backward(np.ones_like(x))
    assert np.isfinite(y).all() and np.isfinite(dx).all()
    assert y.dtype == dtype and dx.dtype == dtype


@pytest.mark.parametrize("make", [m[1] for m in MODULES], ids=IDS)
def test_does_not_mutate_inputs(make):
    x, dy = X.copy(), np.ones_like(X)
    m = make()
    m(x)
    m.backward(dy)
    np.testing.assert_array_equal(x, X)
    np.testing.assert_array_equal(dy, np.ones_like(X))


@pytest.mark.parametrize("make", [m[1] for m in MODULES], ids=IDS)
def test_backward_before_forward(make):
    m = make()
    with pytest.raises(RuntimeError, match=f"^{type(m).__name__}: backward called before forward$"):
        m.backward(np.ones(3))


def test_reprs_match_pytorch_style():
    assert repr(nnkit.ReLU()) == "ReLU()"
    assert repr(nnkit.LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)"
    assert repr(nnkit.ELU()) == "ELU(alpha=1.0)"
    assert repr(nnkit.Softmax(dim=1)) == "Softmax(dim=1)"


def test_softmax_rows_sum_to_one():
    y = nnkit.Softmax()(X)
    np.testing.assert_allclose(y.sum(axis=1), 1.0)
    assert (y > 0).all()


# --- GELU, SiLU, Softplus ---------------------------------------------------------------------

SMOOTH = [
    ("GELU", lambda: nnkit.GELU(), lambda t: t.nn.GELU()),
    ("GELU(tanh)", lambda: nnkit.GELU(approximate="tanh"), lambda t: t.nn.GELU(approximate="tanh")),
    ("SiLU", lambda: nnkit.SiLU(), lambda t: t.nn.SiLU()),
    ("Softplus", lambda: nnkit.Softplus(), lambda t: t.nn.Softplus()),
    ("Softplus(2, 5)", lambda: nnkit.Softplus(beta=2.0, threshold=5.0), lambda t: t.nn.Softplus(2.0, 5.0)),
    ("Softplus(0.5, 30)", lambda: nnkit.Softplus(beta=0.5, threshold=30.0), lambda t: t.nn.Softplus(0.5, 30.0)),
]
SMOOTH_IDS = [m[0] for m in SMOOTH]
# Both sides of every threshold (βx = 5, 20, 30), the float32 saturation points, and ±1e4.
EXTREMES = [-1e4, -1e3, -100.0, -50.0, -30.0, -20.5, -10.0, -5.0, -0.0, 0.0, 2.4, 2.6, 5.0, 10.0, 19.5, 20.5]
EXTREMES += [30.0, 59.0, 61.0, 100.0, 1e3, 1e4]
# Oracle tolerances. PyTorch computes 1 + erf(x/√2) and 1 + tanh(u) as written, which cancel for x ≪ 0
# (nnkit uses erfc and σ(2u) there), so the two differ by a few ulp of 1 times |x|: hence the atol.
ORACLE_TOL = {np.float64: dict(rtol=1e-12, atol=1e-14), np.float32: dict(rtol=1e-5, atol=1e-6)}


@pytest.mark.parametrize("make", [m[1] for m in SMOOTH], ids=SMOOTH_IDS)
def test_smooth_gradcheck_float64(make):
    report = gradcheck(make(), X)
    assert report.ok, str(report)
    assert report.worst[1] < 1e-6


def test_softplus_gradcheck_on_both_sides_of_its_threshold():
    m = nnkit.Softplus(beta=2.0, threshold=1.0)  # the identity for x > 0.5: 6 of X's 30 elements
    assert 5 < (2 * X > 1.0).sum() < X.size - 5 and np.abs(2 * X - 1.0).min() > 1e-2
    report = gradcheck(m, X)
    assert report.ok and report.worst[1] < 1e-6, str(report)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("make, make_ref", [m[1:] for m in SMOOTH], ids=SMOOTH_IDS)
def test_smooth_matches_torch_forward_and_backward(torch, make, make_ref, dtype):
    x = np.concatenate([(5 * X).ravel(), EXTREMES]).astype(dtype)
    dy = np.random.default_rng(1).normal(size=x.shape).astype(dtype)
    m, ref = make(), make_ref(torch)
    xt = torch.tensor(x, requires_grad=True)
    yt = ref(xt)
    yt.backward(torch.from_numpy(dy))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = m(x)
        dx = m.backward(dy)
    assert y.dtype == dtype and dx.dtype == dtype
    np.testing.assert_allclose(y, yt.detach().numpy(), **ORACLE_TOL[dtype])
    np.testing.assert_allclose(dx, xt.grad.numpy(), **ORACLE_TOL[dtype])
    big = np.abs(x) >= 1e4  # there every one of them is the identity or 0, exactly
    np.testing.assert_array_equal(y[big], yt.detach().numpy()[big])
    np.testing.assert_array_equal(dx[big], xt.grad.numpy()[big])


@pytest.mark.parametrize("make", [m[1] for m in SMOOTH], ids=SMOOTH_IDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_smooth_stable_at_extremes(make, dtype):
    big = np.finfo(dtype).max
    x = np.array([[-big, -1e4, -1e3, 0.0, 1e3, 1e4, big]], dtype=dtype)
    m = make()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = m(x)
        dx = m.backward(np.ones_like(x))
    assert np.isfinite(y).all() and np.isfinite(dx).all()
    assert y.dtype == dtype and dx.dtype == dtype
    np.testing.assert_array_equal(y[0, 4:], x[0, 4:])  # the identity for large x,
    np.testing.assert_array_equal(y[0, :2], 0.0)  # 0 for very negative x,
    np.testing.assert_array_equal(dx[0, [0, 1, 3, 4, 5, 6]], [0, 0, 0.5, 1, 1, 1])  # and slopes 0, 1/2, 1


@pytest.mark.parametrize("make", [m[1] for m in SMOOTH], ids=SMOOTH_IDS)
def test_smooth_do_not_mutate_inputs_and_backward_once(make):
    x, dy = X.copy(), np.ones_like(X)
    m = make()
    with pytest.raises(RuntimeError, match=f"^{type(m).__name__}: backward called before forward"):
        m.backward(dy)
    m(x)
    m.backward(dy)
    np.testing.assert_array_equal(x, X)
    np.testing.assert_array_equal(dy, np.ones_like(X))
    with pytest.raises(RuntimeError, match="backward called a second time"):
        m.backward(dy)


def test_smooth_reprs_match_pytorch():
    assert repr(nnkit.GELU()) == "GELU(approximate='none')"
    assert repr(nnkit.GELU(approximate="tanh")) == "GELU(approximate='tanh')"
    assert repr(nnkit.SiLU()) == "SiLU()"
    assert repr(nnkit.Softplus()) == "Softplus(beta=1.0, threshold=20.0)"
    assert repr(nnkit.Softplus(beta=2, threshold=5)) == "Softplus(beta=2.0, threshold=5.0)"


def test_softplus_reverts_to_the_identity_above_the_threshold():
    m = nnkit.Softplus(beta=2.0, threshold=5.0)
    x = np.array([2.5, np.nextafter(2.5, 3.0)])  # βx = 5 is still the smooth branch; just above it is x itself
    y = m(x)
    assert y[0] == pytest.approx(np.log1p(np.exp(5.0)) / 2, rel=1e-15) and y[1] == x[1]
    np.testing.assert_array_equal(m.backward(np.ones(2)), [nnkit.functional.sigmoid(np.array(5.0)), 1.0])


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: nnkit.GELU("foo"), ValueError, "GELU expected approximate to be 'none' or 'tanh', got 'foo'"),
        (lambda: nnkit.GELU(None), ValueError, "GELU expected approximate to be 'none' or 'tanh', got None"),
        (lambda: nnkit.GELU("Tanh"), ValueError, "got 'Tanh'"),
        (lambda: nnkit.Softplus(beta=0), ValueError, "Softplus expected beta to be a finite real number > 0, got 0.0"),
        (lambda: nnkit.Softplus(beta=-1.0), ValueError, "Softplus expected beta to be a finite real number > 0"),
        (lambda: nnkit.Softplus(beta=float("inf")), ValueError, "got inf"),
        (lambda: nnkit.Softplus(beta="2"), TypeError, r"Softplus expected beta .* got '2' \(str\)"),
        (lambda: nnkit.Softplus(beta=True), TypeError, r"got True \(bool\)"),
        (lambda: nnkit.Softplus(threshold="20"), TypeError, r"Softplus expected threshold .* got '20' \(str\)"),
        (lambda: nnkit.Softplus(threshold=float("nan")), ValueError, "Softplus expected threshold .* got nan"),
    ],
)
def test_smooth_bad_arguments(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_softplus_takes_an_infinite_threshold():
    m = nnkit.Softplus(threshold=float("inf"))  # never the identity, and still no overflow
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(m(np.array([1e4, 1e300])), [1e4, 1e300])


@pytest.mark.parametrize("make", [m[1] for m in MODULES], ids=IDS)
def test_a_second_backward_after_one_forward_is_refused(make):
    # it used to multiply by the same derivative again, silently (and a Sequential then doubled dW)
    m = make()
    m(X)
    first = m.backward(np.ones_like(X), retain_graph=True)
    np.testing.assert_array_equal(m.backward(np.ones_like(X)), first)  # kept by retain_graph=True
    with pytest.raises(RuntimeError, match=f"^{type(m).__name__}: backward called a second time after one forward; "):
        m.backward(np.ones_like(X))
    m(X)
    np.testing.assert_array_equal(m.backward(np.ones_like(X)), first)


@pytest.mark.parametrize("make", [m[1] for m in MODULES], ids=IDS)
def test_integer_input_gives_the_default_dtype_as_linear_does(make):
    # the one dtype rule: Linear gave float32 for integer input, the activations float64
    x = np.array([[-2, -1, 0, 1, 2]])
    y = make()(x)
    assert y.dtype == nnkit.Linear(5, 1)(x).dtype == nnkit.get_default_dtype() == np.float32


def test_activation_arguments_are_checked():
    with pytest.raises(
        TypeError, match=r"^LeakyReLU expected negative_slope to be a finite real number, got '0.1' \(str\)$"
    ):
        nnkit.LeakyReLU("0.1")
    with pytest.raises(ValueError, match=r"^ELU expected alpha to be a finite real number, got nan$"):
        nnkit.ELU(float("nan"))
    with pytest.raises(TypeError, match=r"^Softmax expected dim to be an integer, got 1.5 \(float\)$"):
        nnkit.Softmax(dim=1.5)
