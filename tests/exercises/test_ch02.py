"""Tests for nnkit/exercises/ch02.py: the activations and their derivatives."""

from __future__ import annotations

import numpy as np
import pytest

from exercises.support import (
    checker_tests,
    naive_sigmoid,
    raises_not_implemented,
    softmax_solution,
    stable_sigmoid,
)
from nnkit import functional as F
from nnkit.exercises import CheckerBug, check

CORRECT = {
    "sigmoid_derivative": lambda x: stable_sigmoid(x) * (1 - stable_sigmoid(x)),
    "tanh_derivative": lambda x: 1 - np.tanh(x) ** 2,
    "relu": lambda x: np.maximum(x, 0),
    "relu_derivative": lambda x: (x > 0).astype(x.dtype),
    "leaky_relu": lambda x, negative_slope=0.01: np.where(x > 0, x, negative_slope * x),
    "softmax": softmax_solution,
    "softplus": lambda x: np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x))),
}


def softplus_both_branches(x):
    # np.where evaluates both branches: exp(x) overflows at x = 1e4 although that branch is not taken
    return np.where(x > 0, x + np.log1p(np.exp(-x)), np.log1p(np.exp(x)))


def relu_in_place(x):
    x[x < 0] = 0
    return x


def softmax_global_max(x):
    e = np.exp(x - x.max())
    return e / e.sum(axis=-1, keepdims=True)


# (exercise, the reader's function, fragments the verdict must contain: the failing input and what went wrong)
WRONG = {
    "sigmoid_derivative: returns σ": ("sigmoid_derivative", naive_sigmoid, ["x = [0.]", "expected [0.25], got [0.5]"]),
    "sigmoid_derivative: x(1-x)": (
        "sigmoid_derivative",
        lambda x: x * (1 - x),
        ["x = [0.]", "expected [0.25], got [0.]", "σ'(x) = σ(x)(1 − σ(x))"],
    ),
    "sigmoid_derivative: overflows": (
        "sigmoid_derivative",
        lambda x: np.exp(-x) / (1 + np.exp(-x)) ** 2,
        ["x = [-10000. 10000.]", "overflow", "stable sigmoid"],
    ),
    "tanh_derivative: 1 - tanh": (
        "tanh_derivative",
        lambda x: 1 - np.tanh(x),
        ["x = [-1. 1.]", "expected [0.42 0.42], got [1.7616 0.2384]"],
    ),
    "tanh_derivative: 1/cosh²": ("tanh_derivative", lambda x: 1 / np.cosh(x) ** 2, ["overflow encountered in cosh"]),
    "relu: abs": ("relu", np.abs, ["x = [-1. 1.]", "expected [0. 1.], got [1. 1.]"]),
    "relu: in place": ("relu", relu_in_place, ["x = [-1. 1.]", "changed its input x in place"]),
    "relu_derivative: >= at 0": (
        "relu_derivative",
        lambda x: (x >= 0).astype(x.dtype),
        ["x = [0.]", "expected [0.], got [1.]", "PyTorch use 0"],
    ),
    "relu_derivative: float64 for float32": (
        "relu_derivative",
        lambda x: (x > 0).astype(float),
        ["float32", "expected dtype float32 (the input's), got float64"],
    ),
    "leaky_relu: ignores the slope": (
        "leaky_relu",
        lambda x, negative_slope=0.01: np.where(x > 0, x, 0.01 * x),
        ["negative_slope = 0.2", "expected [-0.4 3.], got [-0.02 3.]"],
    ),
    "leaky_relu: no keyword": (
        "leaky_relu",
        lambda x: np.where(x > 0, x, 0.01 * x),
        ["negative_slope = 0.2", "raised TypeError"],
    ),
    "softmax: no max subtraction": (
        "softmax",
        lambda x: np.exp(x) / np.exp(x).sum(axis=-1, keepdims=True),
        ["x = [1000. 1000.]", "overflow encountered in exp", "row's own maximum"],
    ),
    "softmax: global max": (
        "softmax",
        softmax_global_max,
        ["x = [[1000. 0.] [-1000. 0.]]", "RuntimeWarning", "own maximum", "not the whole array's"],
    ),
    "softmax: sums the whole array": (
        "softmax",
        lambda x: np.exp(x) / np.exp(x).sum(),
        ["x of shape (4, 5)", "at [0, 0], expected"],
    ),
    "softmax: axis=1": (
        "softmax",
        lambda x: np.exp(x) / np.exp(x).sum(axis=1, keepdims=True),
        ["x = [0. 0. 0.]", "raised AxisError"],
    ),
    "softmax: raises": ("softmax", raises_not_implemented, ["x = [0. 0. 0.]", "raised NotImplementedError"]),
    "softplus: log(1 + exp(x))": (
        "softplus",
        lambda x: np.log(1 + np.exp(x)),
        ["x = [-10000. 10000.]", "overflow encountered in exp", "max(x, 0) + log1p(exp(−|x|))"],
    ),
    "softplus: np.where": (
        "softplus",
        softplus_both_branches,
        ["x = [-10000. 10000.]", "overflow", "np.where computes both"],
    ),
    "softplus: loses tiny values": (
        "softplus",
        lambda x: np.maximum(x, 0) + np.log(1 + np.exp(-np.abs(x))),
        ["x = [-40. -100.]", "got [0. 0.]", "np.log1p(e) keeps the e"],
    ),
    "softplus: relu": ("softplus", lambda x: np.maximum(x, 0), ["x = [0.]", "expected [0.6931], got [0.]"]),
}

# A subtly wrong reference per exercise; each must break one of the checker's hand-computed cases.
BUGGY_REFERENCES = {
    "sigmoid_derivative": lambda x: stable_sigmoid(x) * (1 - stable_sigmoid(x)) * 1.01,
    "tanh_derivative": lambda x: 1 - np.tanh(x),
    "relu": lambda x: np.maximum(x, 0) + 0.5 * (x == 0),
    "relu_derivative": lambda x: (x >= 0).astype(x.dtype),
    "leaky_relu": lambda x, negative_slope=0.01: np.where(x > 0, x, 0.1 * x),
    "softmax": lambda x: softmax_solution(x + np.arange(x.shape[-1])) if x.size else softmax_solution(x),
    "softplus": lambda x: np.where(x < -30, 0.0, np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))),
}


(
    test_correct_solution_passes,
    test_nnkit_reference_passes_its_own_checker,
    test_wrong_solution_fails_and_names_the_input,
    test_checker_catches_a_wrong_reference,
) = checker_tests(CORRECT, WRONG, BUGGY_REFERENCES)


def test_the_verdicts_from_the_brief():
    assert check.sigmoid_derivative(naive_sigmoid).message == (
        "✗ sigmoid_derivative: for x = [0.], expected [0.25], got [0.5]. Hint: σ'(x) = σ(x)(1 − σ(x))."
    )
    assert check.sigmoid_derivative(CORRECT["sigmoid_derivative"]).message == (
        "✓ sigmoid_derivative: correct on 9 tests (0, ±1, ±10, random inputs, shapes, float32, large |x|)"
    )


def test_a_wrong_nnkit_function_raises_checker_bug(monkeypatch, capsys):
    monkeypatch.setattr(F, "sigmoid_derivative", F.sigmoid)  # nnkit regresses: σ instead of σ'
    with pytest.raises(CheckerBug, match=r"checker bug in check\.sigmoid_derivative .*for x = \[0\.\]"):
        check.sigmoid_derivative(CORRECT["sigmoid_derivative"])
    assert capsys.readouterr().out == ""  # nothing blamed on the reader


def test_an_unstable_nnkit_function_raises_checker_bug(monkeypatch):
    monkeypatch.setattr(F, "softmax", lambda x, dim=-1: np.exp(x) / np.exp(x).sum(axis=dim, keepdims=True))
    with pytest.raises(CheckerBug, match="RuntimeWarning: overflow"):
        check.softmax(softmax_solution)
