"""Tests for nnkit/exercises/ch09.py: the confusion matrix."""

from __future__ import annotations

import numpy as np

from exercises.support import (
    assert_passes,
    checker_tests,
)
from nnkit.exercises import ch09


def confusion_add_at(y_true, y_pred, num_classes=10):
    M = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(M, (y_true, y_pred), 1)
    return M


def confusion_loop(y_true, y_pred, num_classes=10):
    M = np.zeros((num_classes, num_classes))
    for t, p in zip(y_true, y_pred):
        M[t, p] += 1
    return M


def confusion_fancy(y_true, y_pred, num_classes=10):  # a repeated pair is counted once
    M = np.zeros((num_classes, num_classes), dtype=np.int64)
    M[y_true, y_pred] += 1
    return M


def confusion_seen_classes(y_true, y_pred, num_classes=10):  # sized by the labels that occur
    k = int(max(y_true.max(initial=0), y_pred.max(initial=0))) + 1
    return confusion_add_at(y_true, y_pred, k)


def confusion_sorts_labels(y_true, y_pred, num_classes=10):  # changes its input in place
    y_true.sort()
    return confusion_add_at(y_true, y_pred, num_classes)


CORRECT = {"confusion_matrix": confusion_add_at}

# (exercise, the reader's function, fragments the verdict must contain: the failing input and what went wrong)
WRONG = {
    "confusion_matrix: transposed": (
        "confusion_matrix",
        lambda y_true, y_pred, num_classes=10: confusion_add_at(y_pred, y_true, num_classes),
        [
            "y_true = [0 1 1 2], y_pred = [0 1 2 2], num_classes = 3",
            "at [1, 2], expected 1, got 0",
            "this is the transpose",
        ],
    ),
    "confusion_matrix: fancy indexing": (
        "confusion_matrix",
        confusion_fancy,
        ["y_true = [1 1 1 0], y_pred = [1 1 0 0]", "got [[1. 0.] [1. 1.]]", "np.add.at"],
    ),
    "confusion_matrix: sized by the labels seen": (
        "confusion_matrix",
        confusion_seen_classes,
        ["num_classes = 5", "expected an array of shape (5, 5), got shape (3, 3)", "whatever labels occur"],
    ),
    "confusion_matrix: in place": ("confusion_matrix", confusion_sorts_labels, ["changed its input y_true in place"]),
    "confusion_matrix: fractions instead of counts": (
        "confusion_matrix",
        lambda y_true, y_pred, num_classes=10: confusion_add_at(y_true, y_pred, num_classes) / max(len(y_true), 1),
        ["y_true = [0 1 1 2], y_pred = [0 1 2 2]", "at [0, 0], expected 1, got 0.25"],
    ),
    "confusion_matrix: numpy histogram2d with default bins": (
        "confusion_matrix",
        lambda y_true, y_pred, num_classes=10: np.histogram2d(y_true, y_pred, bins=num_classes)[0],
        ["y_true = [0 0 1], y_pred = [1 2 2]"],
    ),
}

# A subtly wrong reference per exercise; each must break one of the checker's hand-computed cases.
BUGGY_REFERENCES = {
    "confusion_matrix": lambda y_true, y_pred, num_classes=10: confusion_add_at(y_pred, y_true, num_classes),
}


(
    test_correct_solution_passes,
    test_nnkit_reference_passes_its_own_checker,
    test_wrong_solution_fails_and_names_the_input,
    test_checker_catches_a_wrong_reference,
) = checker_tests(CORRECT, WRONG, BUGGY_REFERENCES)


def test_a_loop_with_float_counts_passes(capsys):
    assert_passes("confusion_matrix", confusion_loop, capsys)


def test_reference_counts_every_pair_and_sums_to_the_number_of_examples():
    rng = np.random.default_rng(1)
    y_true, y_pred = rng.integers(0, 4, size=50), rng.integers(0, 4, size=50)
    M = ch09._confusion_matrix_reference(y_true, y_pred, 4)
    assert M.shape == (4, 4) and M.sum() == 50
    assert np.array_equal(M.sum(axis=1), np.bincount(y_true, minlength=4))  # rows: the true classes
    assert np.array_equal(M.sum(axis=0), np.bincount(y_pred, minlength=4))  # columns: the predictions
    assert np.array_equal(M, confusion_loop(y_true, y_pred, 4))
