"""Tests for nnkit/exercises/ch06.py: one step of SGD with momentum and of Adam, and momentum's decay rate."""

from __future__ import annotations

import numpy as np
import pytest

import nnkit
from exercises.support import (
    assert_passes,
    checker_tests,
)
from nnkit.exercises import CheckerBug, check


def sgd_momentum_solution(param, grad, velocity, lr, momentum):
    velocity = momentum * velocity + grad
    return param - lr * velocity, velocity


def adam_solution(param, grad, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return param - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


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


def momentum_rate_solution(lr_lam, mu):
    lr_lam = np.asarray(lr_lam, dtype=float)
    b, c = 1 + mu - lr_lam, mu  # ζ² − b ζ + c = 0
    disc = b**2 - 4 * c
    return np.where(disc >= 0, (np.abs(b) + np.sqrt(np.abs(disc))) / 2, np.sqrt(c))


def momentum_rate_complex_sqrt(lr_lam, mu):  # another correct way: complex arithmetic
    b = 1 + mu - np.asarray(lr_lam, dtype=float)
    root = np.sqrt((b**2 - 4 * mu).astype(complex))
    return np.maximum(np.abs(b + root), np.abs(b - root)) / 2


def momentum_rate_real_sqrt(lr_lam, mu):  # the square root of a negative discriminant
    b = 1 + mu - np.asarray(lr_lam, dtype=float)
    root = np.sqrt(b**2 - 4 * mu)
    return np.maximum(np.abs(b + root), np.abs(b - root)) / 2


def momentum_rate_smaller_root(lr_lam, mu):
    lr_lam = np.asarray(lr_lam, dtype=float)
    b = 1 + mu - lr_lam
    disc = b**2 - 4 * mu
    return np.where(disc >= 0, (np.abs(b) - np.sqrt(np.abs(disc))) / 2, np.sqrt(mu))


def momentum_rate_nesterov(lr_lam, mu):  # Nesterov's polynomial instead of the heavy ball's
    lr_lam = np.asarray(lr_lam, dtype=float)
    b, c = (1 + mu) * (1 - lr_lam), mu * (1 - lr_lam)
    root = np.sqrt((b**2 - 4 * c).astype(complex))
    return np.maximum(np.abs(b + root), np.abs(b - root)) / 2


CORRECT = {
    "sgd_momentum_step": sgd_momentum_solution,
    "adam_step": adam_solution,
    "momentum_rate": momentum_rate_solution,
}

# (exercise, the reader's function, fragments the verdict must contain: the failing input and what went wrong)
WRONG = {
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
}

WRONG.update(
    {
        "momentum_rate: gradient descent's rate": (
            "momentum_rate",
            lambda lr_lam, mu: np.abs(1 - np.asarray(lr_lam, dtype=float)),
            ["lr_lam = [0.01 1.], mu = 0.9", "expected [0.9487 0.9487], got [0.99 0.]", "|ζ| = √mu"],
        ),
        "momentum_rate: real square root": (
            "momentum_rate",
            momentum_rate_real_sqrt,
            ["lr_lam = [0.01 1.], mu = 0.9", "RuntimeWarning: invalid value encountered in sqrt"],
        ),
        "momentum_rate: the smaller root": (
            "momentum_rate",
            momentum_rate_smaller_root,
            ["mu = 0.0", "expected [0.5 0. 0.5 1.5], got [0. 0. 0. 0.]", "rho = |1 − lr_lam|"],
        ),
        "momentum_rate: always sqrt(mu)": (
            "momentum_rate",
            lambda lr_lam, mu: np.full(np.shape(lr_lam), np.sqrt(mu)),
            ["mu = 0.0", "expected [0.5 0. 0.5 1.5], got [0. 0. 0. 0.]"],
        ),
        "momentum_rate: Nesterov's polynomial": (
            "momentum_rate",
            momentum_rate_nesterov,
            ["lr_lam = [0.01 1.], mu = 0.9", "expected [0.9487 0.9487], got [0.9439 0.]"],
        ),
        "momentum_rate: one number for the whole array": (
            "momentum_rate",
            lambda lr_lam, mu: float(np.max(momentum_rate_solution(lr_lam, mu))),
            ["expected an array of shape (2,), got shape ()"],
        ),
    }
)

# A subtly wrong reference per exercise; each must break one of the checker's hand-computed cases.
BUGGY_REFERENCES = {
    "sgd_momentum_step": momentum_textbook_form,
    "adam_step": adam_without_bias_correction,
    "momentum_rate": momentum_rate_smaller_root,
}


(
    test_correct_solution_passes,
    test_nnkit_reference_passes_its_own_checker,
    test_wrong_solution_fails_and_names_the_input,
    test_checker_catches_a_wrong_reference,
) = checker_tests(CORRECT, WRONG, BUGGY_REFERENCES)


def test_a_wrong_nnkit_optimizer_raises_checker_bug(monkeypatch):
    monkeypatch.setattr(nnkit.optim.Adam, "step", lambda self: None)  # a step that does nothing
    with pytest.raises(CheckerBug, match=r"check\.adam_step"):
        check.adam_step(adam_solution)


def test_momentum_rate_accepts_complex_arithmetic(capsys):
    assert_passes("momentum_rate", momentum_rate_complex_sqrt, capsys)


def test_momentum_rate_reference_is_nnkits_sgd(monkeypatch):
    monkeypatch.setattr(nnkit.optim.SGD, "step", lambda self: None)  # a step that does nothing
    with pytest.raises(CheckerBug, match=r"check\.momentum_rate"):
        check.momentum_rate(momentum_rate_solution)
