"""Tests for nnkit/exercises/ch01.py: check.neuron."""

from __future__ import annotations

from exercises.support import (
    checker_tests,
    naive_sigmoid,
    stable_sigmoid,
)

CORRECT = {"neuron": lambda x, w, b: stable_sigmoid(x @ w + b)}

# (exercise, the reader's function, fragments the verdict must contain: the failing input and what went wrong)
WRONG = {
    "neuron: no bias": (
        "neuron",
        lambda x, w, b: stable_sigmoid(x @ w),
        ["b = 1.0", "expected [0.7311 0.7311], got [0.5 0.5]"],
    ),
    "neuron: no sigmoid": ("neuron", lambda x, w, b: x @ w + b, ["b = 0.0", "expected [0.5], got [0.]"]),
    "neuron: w @ x": ("neuron", lambda x, w, b: stable_sigmoid(w @ x + b), ["x = [[1. 2.]]", "raised ValueError"]),
    "neuron: overflowing np.exp sigmoid": (
        "neuron",
        lambda x, w, b: naive_sigmoid(x @ w + b),
        ["x = [[-10000. 0.] [10000. 0.]]", "RuntimeWarning: overflow encountered in exp", "stable sigmoid"],
    ),
}

# A subtly wrong reference per exercise; each must break one of the checker's hand-computed cases.
BUGGY_REFERENCES = {"neuron": lambda x, w, b: stable_sigmoid(x @ w)}


(
    test_correct_solution_passes,
    test_nnkit_reference_passes_its_own_checker,
    test_wrong_solution_fails_and_names_the_input,
    test_checker_catches_a_wrong_reference,
) = checker_tests(CORRECT, WRONG, BUGGY_REFERENCES)
