"""Tests for nnkit/exercises/ch03.py: the losses."""

from __future__ import annotations

import numpy as np

from exercises.support import (
    checker_tests,
    cross_entropy_solution,
    softmax_solution,
)
from nnkit import functional as F

CORRECT = {
    "mse": lambda pred, target: np.mean((pred - target) ** 2),
    "cross_entropy": cross_entropy_solution,
}

# (exercise, the reader's function, fragments the verdict must contain: the failing input and what went wrong)
WRONG = {
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
}

# A subtly wrong reference per exercise; each must break one of the checker's hand-computed cases.
BUGGY_REFERENCES = {
    "mse": lambda pred, target: np.sum((pred - target) ** 2),
    "cross_entropy": lambda z, t: cross_entropy_solution(z, t) * len(t),
}


(
    test_correct_solution_passes,
    test_nnkit_reference_passes_its_own_checker,
    test_wrong_solution_fails_and_names_the_input,
    test_checker_catches_a_wrong_reference,
) = checker_tests(CORRECT, WRONG, BUGGY_REFERENCES)
