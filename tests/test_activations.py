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
