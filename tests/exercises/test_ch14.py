"""Tests for nnkit/exercises/ch14.py: forecasting windows, X[n] = series[n : n + width], y[n] = series[n + width]."""

from __future__ import annotations

import numpy as np

from exercises.support import checker_tests
from nnkit.exercises import check


def make_windows(series, width, *, mistake=None):
    """A reader's windows, right or with one mistake."""
    n = len(series) - width
    if mistake in ("too far", "missing"):
        n -= 1
    X = np.stack([series[i : i + width] for i in range(n)])
    start = {"inside": width - 1, "too far": width + 1}.get(mistake, width)
    y = series[start : start + n]
    if mistake == "column":
        return X, y[:, None]
    if mistake == "swapped":
        return y, X
    return X, y


def with_mistake(mistake):
    return lambda series, width: make_windows(series, width, mistake=mistake)


CORRECT = {"make_windows": make_windows}

SIX = "series = [0. 1. 2. 3. 4. 5.], width = 2"

# (exercise, the reader's function, fragments the verdict must contain: the failing input and what went wrong)
WRONG = {
    "target inside the window": (
        "make_windows",
        with_mistake("inside"),
        [SIX, "y: expected [2. 3. 4. 5.], got [1. 2. 3. 4.]", "the window's own last value"],
    ),
    "target one step too far": ("make_windows", with_mistake("too far"), [SIX, "got shape (3, 2)", "skips a day"]),
    "last window missing": ("make_windows", with_mistake("missing"), [SIX, "got shape (3, 2)", "is missing"]),
    "y as a column": ("make_windows", with_mistake("column"), [SIX, "y: expected an array of shape (4,)"]),
    "X and y swapped": ("make_windows", with_mistake("swapped"), [SIX, "X: expected an array of shape (4, 2)"]),
}

# A subtly wrong reference: it must break one of the checker's hand-computed cases.
BUGGY_REFERENCES = {"make_windows": with_mistake("inside")}


(
    test_correct_solution_passes,
    test_nnkit_reference_passes_its_own_checker,
    test_wrong_solution_fails_and_names_the_input,
    test_checker_catches_a_wrong_reference,
) = checker_tests(CORRECT, WRONG, BUGGY_REFERENCES)


def test_the_hand_computed_cases_are_right():
    X, y = make_windows(np.arange(6.0), 2)
    assert X.tolist() == [[0, 1], [1, 2], [2, 3], [3, 4]] and y.tolist() == [2, 3, 4, 5]
    X, y = make_windows(np.array([5.0, 7.0, 9.0]), 1)
    assert X.tolist() == [[5], [7]] and y.tolist() == [7, 9]


def test_no_window_sees_its_own_target():
    series = np.random.default_rng(0).normal(size=30)
    X, y = make_windows(series, 5)
    for n in range(len(y)):
        assert y[n] not in X[n] and y[n] == series[n + 5]


def test_an_unfamiliar_wrong_answer_gets_the_general_hint(capsys):
    def shifted(series, width):
        X, y = make_windows(series, width)
        return X, y + 1

    verdict = check.make_windows(shifted)
    assert not verdict and "Hint: for n in range(len(series) - width)" in verdict.message
    capsys.readouterr()
