"""Tests for nnkit.exercises: correct solutions pass, typical wrong ones fail with a useful
verdict and never raise, and a bug in nnkit's reference raises CheckerBug."""

from __future__ import annotations

import dataclasses
import re
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import nnkit
from nnkit import exercises
from nnkit import functional as F
from nnkit.exercises import EXERCISES, CheckerBug, Verdict, check

# ---------------------------------------------------------------- solutions a reader might write


def stable_sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def softmax_solution(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def cross_entropy_solution(logits, labels):
    z = logits - logits.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return -log_p[np.arange(len(labels)), labels].mean()


def numerical_gradient_solution(f, x, eps):
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)  # views: writing flat[i] changes x
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        plus = f(x)
        flat[i] = old - eps
        minus = f(x)
        flat[i] = old
        gflat[i] = (plus - minus) / (2 * eps)
    return grad


def sgd_momentum_solution(param, grad, velocity, lr, momentum):
    velocity = momentum * velocity + grad
    return param - lr * velocity, velocity


def adam_solution(param, grad, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return param - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def dropout_solution(x, mask, p):
    if p == 1:
        return np.zeros_like(x)
    return x * mask / (1 - p)


CORRECT = {
    "sigmoid": stable_sigmoid,
    "sigmoid_derivative": lambda x: stable_sigmoid(x) * (1 - stable_sigmoid(x)),
    "tanh_derivative": lambda x: 1 - np.tanh(x) ** 2,
    "relu": lambda x: np.maximum(x, 0),
    "relu_derivative": lambda x: (x > 0).astype(x.dtype),
    "leaky_relu": lambda x, negative_slope=0.01: np.where(x > 0, x, negative_slope * x),
    "softmax": softmax_solution,
    "neuron": lambda x, w, b: stable_sigmoid(x @ w + b),
    "mse": lambda pred, target: np.mean((pred - target) ** 2),
    "cross_entropy": cross_entropy_solution,
    "linear_backward": lambda x, W, dy: (dy @ W, dy.T @ x, dy.sum(axis=0)),
    "numerical_gradient": numerical_gradient_solution,
    "sgd_momentum_step": sgd_momentum_solution,
    "adam_step": adam_solution,
    "dropout_forward": dropout_solution,
}

# ---------------------------------------------------------------- typical mistakes


def naive_sigmoid(x):
    return 1 / (1 + np.exp(-x))


def relu_in_place(x):
    x[x < 0] = 0
    return x


def softmax_global_max(x):
    e = np.exp(x - x.max())
    return e / e.sum(axis=-1, keepdims=True)


def raises_not_implemented(*args, **kwargs):
    raise NotImplementedError


def returns_nothing(x):
    np.tanh(x)


def forward_difference(f, x, eps):
    grad, fx = np.zeros_like(x), f(x)
    for i in range(x.size):
        shifted = x.copy().reshape(-1)
        shifted[i] += eps
        grad.reshape(-1)[i] = (f(shifted.reshape(x.shape)) - fx) / eps
    return grad


def gradient_by_rows(f, x, eps):  # loops over rows only: wrong for a matrix
    grad = np.zeros_like(x)
    for i in range(len(x)):
        old = x[i].copy()
        x[i] = old + eps
        plus = f(x)
        x[i] = old - eps
        minus = f(x)
        x[i] = old
        grad[i] = (plus - minus) / (2 * eps)
    return grad


def gradient_without_restore(f, x, eps):
    grad, flat = np.zeros_like(x), x.reshape(-1)
    for i in range(flat.size):
        flat[i] += eps
        plus = f(x)
        flat[i] -= 2 * eps
        grad.reshape(-1)[i] = (plus - f(x)) / (2 * eps)
    return grad


def momentum_textbook_form(param, grad, velocity, lr, momentum):  # lr inside the buffer
    velocity = momentum * velocity + lr * grad
    return param - velocity, velocity


def adam_without_bias_correction(param, grad, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    return param - lr * m / (np.sqrt(v) + eps), m, v


def adam_returns_corrected_moments(param, grad, m, v, t, lr, beta1, beta2, eps):
    m = (beta1 * m + (1 - beta1) * grad) / (1 - beta1**t)
    v = (beta2 * v + (1 - beta2) * grad**2) / (1 - beta2**t)
    return param - lr * m / (np.sqrt(v) + eps), m, v


def dropout_in_place(x, mask, p):
    if p == 1:
        return np.zeros_like(x)
    x *= mask
    x /= 1 - p
    return x


def dropout_own_mask(x, mask, p):  # draws a fresh mask instead of using the one it is given
    if p == 1:
        return np.zeros_like(x)
    return x * (np.random.default_rng(0).random(x.shape) >= p) / (1 - p)


# (exercise, the reader's function, fragments the verdict must contain: the failing input and what went wrong)
WRONG = {
    "sigmoid: overflows": ("sigmoid", naive_sigmoid, ["x = [-10000. 10000.]", "RuntimeWarning: overflow"]),
    "sigmoid: wrong shape": (
        "sigmoid",
        lambda x: stable_sigmoid(x).ravel(),
        ["x of shape (3, 4)", "expected an array of shape (3, 4), got shape (12,)"],
    ),
    "sigmoid: returns None": ("sigmoid", returns_nothing, ["x = [0.]", "got None (is a `return` missing?)"]),
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
    "neuron: no bias": (
        "neuron",
        lambda x, w, b: stable_sigmoid(x @ w),
        ["b = 1.0", "expected [0.7311 0.7311], got [0.5 0.5]"],
    ),
    "neuron: no sigmoid": ("neuron", lambda x, w, b: x @ w + b, ["b = 0.0", "expected [0.5], got [0.]"]),
    "neuron: w @ x": ("neuron", lambda x, w, b: stable_sigmoid(w @ x + b), ["x = [[1. 2.]]", "raised ValueError"]),
    "mse: divides by N only": (
        "mse",
        lambda p, t: np.sum((p - t) ** 2) / len(p),
        ["pred of shape (4, 3)", "expected 1.574, got 4.723"],
    ),
    "mse: per column": (
        "mse",
        lambda p, t: np.mean((p - t) ** 2, axis=0),
        ["expected a single number, got an array of shape (3,)"],
    ),
    "mse: not squared": ("mse", lambda p, t: np.mean(np.abs(p - t)), ["pred = [1. 3.]", "expected 5, got 2"]),
    "cross_entropy: log of softmax": (
        "cross_entropy",
        lambda z, t: -np.log(softmax_solution(z)[np.arange(len(t)), t]).mean(),
        ["logits = [[1000. 0.]], labels = [1]", "divide by zero encountered in log"],
    ),
    "cross_entropy: sum": (
        "cross_entropy",
        lambda z, t: cross_entropy_solution(z, t) * len(t),
        ["labels = [0 3]", "expected 1.386, got 2.773"],
    ),
    "cross_entropy: per sample": (
        "cross_entropy",
        lambda z, t: -F.log_softmax(z)[np.arange(len(t)), t],
        ["expected a single number, got an array of shape (2,)"],
    ),
    "linear_backward: no bias grad": (
        "linear_backward",
        lambda x, W, dy: (dy @ W, dy.T @ x),
        ["W = [[1. 0. 0.] [0. 1. 0.]]", "expected a tuple of 3 (dx, dW, db), got a tuple of 2"],
    ),
    "linear_backward: W not transposed": (
        "linear_backward",
        lambda x, W, dy: (dy @ W, x.T @ dy, dy.sum(axis=0)),
        ["dW: expected an array of shape (2, 3), got shape (3, 2) (the transpose"],
    ),
    "linear_backward: mean for db": (
        "linear_backward",
        lambda x, W, dy: (dy @ W, dy.T @ x, dy.mean(axis=0)),
        ["x of shape (4, 3)", "db: expected"],
    ),
    "linear_backward: dx with W.T": (
        "linear_backward",
        lambda x, W, dy: (dy @ W.T if W.shape[0] == W.shape[1] else dy @ W, dy.T @ x, dy.sum(axis=0)),
        ["W of shape (3, 3)", "dx: at [0, 0], expected"],
    ),
    "numerical_gradient: forward difference": (
        "numerical_gradient",
        forward_difference,
        ["f(x) = Σ x³, x = [1. 2.], eps = 0.5", "expected [3.25 12.25], got [4.75 15.25]"],
    ),
    "numerical_gradient: ignores eps": (
        "numerical_gradient",
        lambda f, x, eps: numerical_gradient_solution(f, x, 1e-5),
        ["eps = 0.5", "got [3. 12.]"],
    ),
    "numerical_gradient: by rows": ("numerical_gradient", gradient_by_rows, ["f(x) = Σ c·x²", "expected [["]),
    "numerical_gradient: x not restored": (
        "numerical_gradient",
        gradient_without_restore,
        ["changed its input x in place"],
    ),
    "sgd_momentum_step: textbook form": (
        "sgd_momentum_step",
        momentum_textbook_form,
        ["velocity = [0. 0.]", "new_velocity: expected [1. 1.], got [0.1 0.1]", "lr outside the buffer"],
    ),
    "sgd_momentum_step: plain SGD": (
        "sgd_momentum_step",
        lambda p, g, v, lr, mu: (p - lr * g, g),
        ["velocity = [2. -1.]", "new_param: expected [0.72 -2.01], got [0.9 -2.1]"],
    ),
    "sgd_momentum_step: returns one array": (
        "sgd_momentum_step",
        lambda p, g, v, lr, mu: p - lr * (mu * v + g),
        ["expected a tuple of 2 (new_param, new_velocity), got an array"],
    ),
    "adam_step: no bias correction": (
        "adam_step",
        adam_without_bias_correction,
        ["t = 1", "param: expected [0.9 -1.9], got [0.6838 -1.6838]"],
    ),
    "adam_step: corrected moments returned": (
        "adam_step",
        adam_returns_corrected_moments,
        ["m: expected [0.05 -0.4], got [0.5 -4.]"],
    ),
    "dropout_forward: forgot the scaling": (
        "dropout_forward",
        lambda x, mask, p: x * mask,
        ["x = [1. 2. 3. 4.], mask = [1. 0. 1. 0.], p = 0.5", "expected [2. 0. 6. 0.], got [1. 0. 3. 0.]"],
    ),
    "dropout_forward: scaled by p": (
        "dropout_forward",
        lambda x, mask, p: x * mask * p,
        ["p = 0.5", "expected [2. 0. 6. 0.], got [0.5 0. 1.5 0.]"],
    ),
    "dropout_forward: scaled by 1 - p": (  # the original paper's test-time scaling, applied in training
        "dropout_forward",
        lambda x, mask, p: x * mask * (1 - p),
        ["p = 0.5", "expected [2. 0. 6. 0.], got [0.5 0. 1.5 0.]"],
    ),
    "dropout_forward: keep-probability semantics": (
        "dropout_forward",
        lambda x, mask, p: x * mask / p,
        ["mask = [1. 1. 0. 1.], p = 0.2", "expected [1.25 2.5 0. 5.], got [5. 10. 0. 20.]", "DROPPING"],
    ),
    "dropout_forward: mask inverted": (
        "dropout_forward",
        lambda x, mask, p: x * (1 - mask) / (1 - p),
        ["p = 0.5", "expected [2. 0. 6. 0.], got [0. 4. 0. 8.]"],
    ),
    "dropout_forward: divides by 0 at p = 1": (
        "dropout_forward",
        lambda x, mask, p: x * mask / (1 - p),
        ["x = [1. -2. 3.], mask = [0. 0. 0.], p = 1.0", "RuntimeWarning: invalid value", "return zeros"],
    ),
    "dropout_forward: in place": ("dropout_forward", dropout_in_place, ["p = 0.5", "changed its input x in place"]),
    "dropout_forward: its own mask": ("dropout_forward", dropout_own_mask, ["p = 0.5", "expected [2. 0. 6. 0.]"]),
    "dropout_forward: float64 for float32": (
        "dropout_forward",
        lambda x, mask, p: dropout_solution(x, mask, p).astype(np.float64),
        ["float32", "expected dtype float32 (the input's), got float64"],
    ),
}


@pytest.fixture(autouse=True)
def _numpy_warnings_as_errors():
    """The checker must catch overflow warnings itself, even where warnings are errors."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def test_every_exercise_has_a_checker_and_a_correct_solution():
    methods = {name for name in dir(check) if not name.startswith("_")}
    assert methods == set(EXERCISES) == set(CORRECT)


@pytest.mark.parametrize("name", sorted(CORRECT))
def test_correct_solution_passes(name, capsys):
    verdict = getattr(check, name)(CORRECT[name])
    assert verdict, verdict.message
    assert isinstance(verdict, Verdict) and verdict.passed and verdict.exercise == name
    assert re.fullmatch(rf"✓ {name}: correct on \d+ tests \(.+\)", verdict.message)
    assert capsys.readouterr().out == verdict.message + "\n"


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_nnkit_reference_passes_its_own_checker(name):
    ex = EXERCISES[name]
    assert exercises.run(ex, ex.reference)


@pytest.mark.parametrize("case", sorted(WRONG))
def test_wrong_solution_fails_and_names_the_input(case, capsys):
    name, fn, fragments = WRONG[case]
    verdict = getattr(check, name)(fn)
    assert not verdict and verdict.passed is False
    assert re.fullmatch(rf"✗ {name}: for .+, .+\. Hint: .+\.", verdict.message), verdict.message
    for fragment in fragments:
        assert fragment in verdict.message, f"{fragment!r} not in {verdict.message!r}"
    assert capsys.readouterr().out == verdict.message + "\n"


def test_the_verdicts_from_the_brief():
    assert check.sigmoid_derivative(naive_sigmoid).message == (
        "✗ sigmoid_derivative: for x = [0.], expected [0.25], got [0.5]. Hint: σ'(x) = σ(x)(1 − σ(x))."
    )
    assert check.sigmoid_derivative(CORRECT["sigmoid_derivative"]).message == (
        "✓ sigmoid_derivative: correct on 9 tests (0, ±1, ±10, random inputs, shapes, float32, large |x|)"
    )


def test_a_close_miss_is_printed_with_enough_digits():
    verdict = check.relu(lambda x: np.maximum(x, 0) * (1 + 1e-5))  # tolerance: rtol = 1e-6
    assert "expected [0. 1.], got [0. 1.00001]" in verdict.message


def test_passing_a_result_instead_of_the_function():
    verdict = check.sigmoid(stable_sigmoid(np.zeros(3)))
    assert not verdict
    assert verdict.message.startswith("✗ sigmoid: expected a function, got an array of shape (3,)")


def test_verdict_shows_nothing_in_a_notebook_and_is_a_bool():
    verdict = check.relu(CORRECT["relu"])
    assert verdict._ipython_display_() is None  # IPython then stores no Out[] beside the printed line
    assert repr(verdict) == "<Verdict relu: passed>"
    assert str(verdict) == verdict.message
    assert bool(check.relu(np.abs)) is False


def test_verdicts_are_deterministic_and_leave_the_random_state_alone():
    np_state = np.random.get_state()[1].copy()
    nnkit.manual_seed(123)
    expected_draw = nnkit.manual_seed(123).random()
    nnkit.manual_seed(123)
    first = check.softmax(lambda x: np.exp(x) / np.exp(x).sum())
    second = check.softmax(lambda x: np.exp(x) / np.exp(x).sum())
    assert first.message == second.message
    assert nnkit._config.default_generator().random() == expected_draw
    assert np.array_equal(np.random.get_state()[1], np_state)


def test_numpy_error_settings_do_not_change_the_verdict():
    expected = check.sigmoid(naive_sigmoid).message
    with np.errstate(all="raise"):
        assert check.sigmoid(naive_sigmoid).message == expected
    with np.errstate(all="ignore"):
        assert check.sigmoid(naive_sigmoid).message == expected


def test_keyboard_interrupt_is_not_swallowed():
    def interrupted(x):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        check.relu(interrupted)


def test_an_unprintable_exception_is_still_a_verdict():
    class Weird(Exception):
        def __str__(self):
            raise RuntimeError("no message")

    def fn(x):
        raise Weird

    assert "raised Weird" in check.relu(fn).message


_garbage = st.one_of(
    st.none(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=5),
    st.lists(st.floats(), max_size=4),
    st.just([[1.0], [1.0, 2.0]]),  # ragged
    st.just({"a": 1}),
    hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)),
)
_garbage = st.one_of(_garbage, st.lists(_garbage, max_size=4).map(tuple))


@settings(max_examples=300, deadline=None)
@given(
    name=st.sampled_from(sorted(EXERCISES)),
    answer=_garbage,
    error=st.sampled_from([None, ValueError, TypeError, IndexError, ZeroDivisionError, AttributeError]),
)
def test_any_wrong_answer_is_a_verdict_never_an_error(name, answer, error):
    def fn(*args, **kwargs):
        if error is not None:
            raise error("boom")
        return answer

    verdict = exercises.run(EXERCISES[name], fn)
    assert isinstance(verdict, Verdict) and not verdict
    assert verdict.message.startswith(f"✗ {name}: for ")


# ---------------------------------------------------------------- a bug in the checker raises


def test_a_wrong_nnkit_function_raises_checker_bug(monkeypatch, capsys):
    monkeypatch.setattr(F, "sigmoid_derivative", F.sigmoid)  # nnkit regresses: σ instead of σ'
    with pytest.raises(CheckerBug, match=r"checker bug in check\.sigmoid_derivative .*for x = \[0\.\]"):
        check.sigmoid_derivative(CORRECT["sigmoid_derivative"])
    assert capsys.readouterr().out == ""  # nothing blamed on the reader


def test_an_unstable_nnkit_function_raises_checker_bug(monkeypatch):
    monkeypatch.setattr(F, "softmax", lambda x, dim=-1: np.exp(x) / np.exp(x).sum(axis=dim, keepdims=True))
    with pytest.raises(CheckerBug, match="RuntimeWarning: overflow"):
        check.softmax(softmax_solution)


def test_a_wrong_nnkit_optimizer_raises_checker_bug(monkeypatch):
    monkeypatch.setattr(nnkit.optim.Adam, "step", lambda self: None)  # a step that does nothing
    with pytest.raises(CheckerBug, match=r"check\.adam_step"):
        check.adam_step(adam_solution)


# A subtly wrong reference per exercise; each must break one of the checker's hand-computed cases.
BUGGY_REFERENCES = {
    "sigmoid": lambda x: stable_sigmoid(x) + 1e-3,
    "sigmoid_derivative": lambda x: stable_sigmoid(x) * (1 - stable_sigmoid(x)) * 1.01,
    "tanh_derivative": lambda x: 1 - np.tanh(x),
    "relu": lambda x: np.maximum(x, 0) + 0.5 * (x == 0),
    "relu_derivative": lambda x: (x >= 0).astype(x.dtype),
    "leaky_relu": lambda x, negative_slope=0.01: np.where(x > 0, x, 0.1 * x),
    "softmax": lambda x: softmax_solution(x + np.arange(x.shape[-1])) if x.size else softmax_solution(x),
    "neuron": lambda x, w, b: stable_sigmoid(x @ w),
    "mse": lambda pred, target: np.sum((pred - target) ** 2),
    "cross_entropy": lambda z, t: cross_entropy_solution(z, t) * len(t),
    "linear_backward": lambda x, W, dy: (dy @ W, dy.T @ x, dy.sum(axis=0) * 2),
    "numerical_gradient": forward_difference,
    "sgd_momentum_step": momentum_textbook_form,
    "adam_step": adam_without_bias_correction,
    "dropout_forward": lambda x, mask, p: x * mask,
}


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_every_checker_catches_a_wrong_reference(name):
    assert set(BUGGY_REFERENCES) == set(EXERCISES)
    buggy = dataclasses.replace(EXERCISES[name], reference=BUGGY_REFERENCES[name])
    with pytest.raises(CheckerBug, match=rf"checker bug in check\.{name} \(not your fault"):
        exercises.run(buggy, CORRECT[name])


def test_dropout_reference_values_dtype_and_p_one():
    x = np.arange(1.0, 7.0).reshape(2, 3)
    mask = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])
    out = exercises._dropout_forward_reference(x, mask, 0.25)
    assert np.allclose(out, x * mask / 0.75, rtol=1e-15, atol=0)
    bool_mask = exercises._dropout_forward_reference(x, mask.astype(bool), 0.25)
    assert np.array_equal(bool_mask, out)
    assert np.array_equal(exercises._dropout_forward_reference(x, np.zeros((2, 3)), 1.0), np.zeros((2, 3)))
    assert exercises._dropout_forward_reference(x.astype(np.float32), mask, 0.5).dtype == np.float32


def test_dropout_checker_accepts_a_boolean_mask_solution():
    assert check.dropout_forward(lambda x, mask, p: np.where(mask.astype(bool), x / (1 - p) if p < 1 else 0.0, 0.0))
