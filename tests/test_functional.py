"""Tests for nnkit/functional.py: activations and their derivatives."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

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


def test_integer_input_gives_float_output():
    assert F.relu(np.array([-1, 2])).dtype == np.float64
    assert F.sigmoid(np.array([0])).dtype == np.float64


def test_matches_torch_functional(torch):
    x = np.concatenate([X, [-1e4, 1e4, 0.0]])
    tf = torch.nn.functional
    xt = torch.from_numpy(x)
    np.testing.assert_allclose(F.sigmoid(x), torch.sigmoid(xt).numpy(), rtol=1e-12)
    np.testing.assert_allclose(F.elu(x, 0.7), tf.elu(xt, 0.7).numpy(), rtol=1e-12)
    np.testing.assert_allclose(F.leaky_relu(x, 0.2), tf.leaky_relu(xt, 0.2).numpy(), rtol=1e-12)
    np.testing.assert_allclose(F.softmax(x), tf.softmax(xt, dim=0).numpy(), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(F.log_softmax(x), tf.log_softmax(xt, dim=0).numpy(), rtol=1e-12)
