"""Tests for nnkit/exercises/first_run.py: check.sigmoid."""

from __future__ import annotations

from exercises.support import (
    checker_tests,
    naive_sigmoid,
    returns_nothing,
    stable_sigmoid,
)

CORRECT = {"sigmoid": stable_sigmoid}

# (exercise, the reader's function, fragments the verdict must contain: the failing input and what went wrong)
WRONG = {
    "sigmoid: overflows": ("sigmoid", naive_sigmoid, ["x = [-10000. 10000.]", "RuntimeWarning: overflow"]),
    "sigmoid: wrong shape": (
        "sigmoid",
        lambda x: stable_sigmoid(x).ravel(),
        ["x of shape (3, 4)", "expected an array of shape (3, 4), got shape (12,)"],
    ),
    "sigmoid: returns None": ("sigmoid", returns_nothing, ["x = [0.]", "got None (is a `return` missing?)"]),
}

# A subtly wrong reference per exercise; each must break one of the checker's hand-computed cases.
BUGGY_REFERENCES = {"sigmoid": lambda x: stable_sigmoid(x) + 1e-3}


(
    test_correct_solution_passes,
    test_nnkit_reference_passes_its_own_checker,
    test_wrong_solution_fails_and_names_the_input,
    test_checker_catches_a_wrong_reference,
) = checker_tests(CORRECT, WRONG, BUGGY_REFERENCES)
