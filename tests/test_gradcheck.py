"""Tests for nnkit/gradcheck.py: numerical_gradient, rel_error, gradcheck."""

import numpy as np
import pytest

import nnkit
from nnkit.gradcheck import gradcheck, numerical_gradient, rel_error


def test_numerical_gradient_of_a_known_function():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    grad = numerical_gradient(lambda v: float(np.sum(np.sin(v) * v)), x)
    np.testing.assert_allclose(grad, np.cos(x) * x + np.sin(x), rtol=1e-8)


def test_numerical_gradient_does_not_mutate_its_input():
    x = np.array([1.0, 2.0], dtype=np.float32)
    numerical_gradient(lambda v: float(v.sum()), x)
    np.testing.assert_array_equal(x, [1.0, 2.0])


def test_rel_error():
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0
    assert rel_error(np.array([1.0]), np.array([3.0])) == pytest.approx(0.5)
    with pytest.raises(ValueError, match=r"rel_error expected arrays of the same shape, got \(2,\) and \(3,\)"):
        rel_error(np.zeros(2), np.zeros(3))


class BrokenLinear(nnkit.Linear):
    """A Linear that forgets the bias gradient: gradcheck must catch it."""

    def backward(self, grad_output, *, input_grad=True):
        dx = super().backward(grad_output, input_grad=input_grad)
        self.bias.grad[...] = 0
        return dx


class TransposedLinear(nnkit.Linear):
    """A Linear whose weight gradient is scaled wrongly: gradcheck must catch it."""

    def backward(self, grad_output, *, input_grad=True):
        dx = super().backward(grad_output, input_grad=input_grad)
        self.weight.grad *= 2
        return dx


def test_gradcheck_catches_bugs_and_names_them():
    x = np.random.default_rng(0).normal(size=(4, 3))
    report = gradcheck(BrokenLinear(3, 3, rng=0), x)
    assert not report.ok and report.worst[0] == "bias"
    assert "FAIL" in str(report) and "bias" in str(report) and "MISMATCH" in str(report)
    report = gradcheck(TransposedLinear(3, 3, rng=0), x)
    assert not report and report.worst[0] == "weight"


def test_gradcheck_passes_and_leaves_the_module_untouched():
    layer = nnkit.Linear(3, 2, rng=0)
    before = layer.weight.data.copy()
    report = gradcheck(layer, np.random.default_rng(0).normal(size=(4, 3)))
    assert report.ok and report.worst[1] < 1e-8
    assert "PASS" in str(report) and report.name == "Linear(3 -> 2)"
    assert layer.weight.dtype == np.float32
    np.testing.assert_array_equal(layer.weight.data, before)
    assert not layer.weight.grad.any()


def test_gradcheck_rejects_non_modules():
    with pytest.raises(TypeError, match="gradcheck expected an nnkit Module, got function"):
        gradcheck(lambda x: x, np.zeros(2))


def test_gradcheck_and_numerical_gradient_check_eps_tol_and_x():
    # eps=0 used to raise a bare ZeroDivisionError from inside numerical_gradient
    layer, x = nnkit.Linear(3, 2, rng=0), np.ones((2, 3))
    for eps, kind in [(0, ValueError), (-1e-6, ValueError), (float("nan"), ValueError), ("1e-6", TypeError)]:
        with pytest.raises(kind, match=r"^gradcheck expected eps to be a finite real number > 0, got "):
            gradcheck(layer, x, eps=eps)
        with pytest.raises(kind, match=r"^numerical_gradient expected eps to be a finite real number > 0, got "):
            numerical_gradient(lambda v: float(v.sum()), x, eps=eps)
    with pytest.raises(ValueError, match=r"^gradcheck expected tol to be a finite real number >= 0, got -1\.0$"):
        gradcheck(layer, x, tol=-1.0)
    x_bad = x.copy()
    x_bad[1, 2] = np.nan
    with pytest.raises(ValueError, match=r"^gradcheck expected finite values in x, got nan at index \(1, 2\)$"):
        gradcheck(layer, x_bad)
    with pytest.raises(TypeError, match=r"^numerical_gradient expected a real-valued numeric array x, got dtype <U1$"):
        numerical_gradient(lambda v: 0.0, np.array(["a"]))


def test_gradcheck_checks_a_module_whose_backward_runs_once_per_forward():
    # gradcheck runs forward and backward on fresh copies, so the one-backward-per-forward rule holds
    model = nnkit.Sequential(nnkit.Linear(3, 4, rng=0), nnkit.Tanh(), nnkit.Linear(4, 2, rng=1))
    assert gradcheck(model, np.random.default_rng(0).normal(size=(3, 3))).ok
    assert gradcheck(nnkit.CrossEntropyLoss(), np.random.default_rng(0).normal(size=(3, 4)), np.array([0, 3, 1])).ok
