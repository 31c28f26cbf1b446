"""Checkers for the exercises of Chapter 9 (ch09_digits_project.ipynb): the confusion matrix."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._compare import Array, Case, Exercise, Verdict, arrays, run

__all__ = ["EXERCISES", "Checks"]


def _confusion_matrix_reference(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int = 10) -> np.ndarray:
    # M[i, j] = #{n : y_true[n] = i, y_pred[n] = j}: the pair (i, j) as one number, counted by bincount
    pairs = num_classes * np.asarray(y_true, dtype=np.int64) + np.asarray(y_pred, dtype=np.int64)
    return np.bincount(pairs, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def _labels(values: list[int]) -> np.ndarray:
    return np.array(values, dtype=np.int64)


def _confusion_matrix_cases(rng: np.random.Generator) -> list[Case]:
    repeated = (
        "M[y_true, y_pred] += 1 adds 1 only once for a pair (i, j) that occurs several times (NumPy's "
        "fancy indexing does not accumulate); use np.add.at(M, (y_true, y_pred), 1), or a loop"
    )
    rows = "row i is the true class and column j the prediction: M[i, j] counts true i predicted as j"
    return [
        Case(
            "known values",
            arrays(y_true=_labels([0, 1, 1, 2]), y_pred=_labels([0, 1, 2, 2]), num_classes=3),
            [[1, 0, 0], [0, 1, 1], [0, 0, 1]],
        ),
        Case(
            "rows are true classes",
            arrays(y_true=_labels([0, 0, 1]), y_pred=_labels([1, 2, 2]), num_classes=3),
            [[0, 1, 1], [0, 0, 1], [0, 0, 0]],
            hint=rows,
        ),
        Case(
            "repeated pairs",
            arrays(y_true=_labels([1, 1, 1, 0]), y_pred=_labels([1, 1, 0, 0]), num_classes=2),
            [[1, 0], [1, 2]],
            hint=repeated,
        ),
        Case(
            "unseen classes",  # classes 3 and 4 occur nowhere: their rows and columns are zeros
            arrays(y_true=_labels([2, 0]), y_pred=_labels([2, 1]), num_classes=5),
            hint="the matrix is num_classes × num_classes, whatever labels occur",
        ),
        Case(
            "random labels",
            arrays(y_true=rng.integers(0, 10, size=200), y_pred=rng.integers(0, 10, size=200), num_classes=10),
        ),
        Case(
            "no examples",
            arrays(y_true=_labels([]), y_pred=_labels([]), num_classes=3),
            [[0, 0, 0], [0, 0, 0], [0, 0, 0]],
        ),
    ]


def _confusion_matrix_diagnose(case: Case, want: Any, got: Any) -> str | None:
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        return None
    if not np.array_equal(want, want.T) and np.array_equal(got, want.T):
        return "this is the transpose: row i is the true class and column j the prediction"
    if not np.array_equal(got, want) and np.array_equal(got, np.minimum(want, 1)):
        return (
            "each pair (i, j) was counted at most once: M[y_true, y_pred] += 1 does not accumulate repeated "
            "pairs; use np.add.at(M, (y_true, y_pred), 1), or a loop"
        )
    return None


CONFUSION_MATRIX = Exercise(
    "confusion_matrix",
    _confusion_matrix_reference,
    _confusion_matrix_cases,
    hint="M has shape (num_classes, num_classes), and M[i, j] counts the examples of true class i "
    "predicted as j: np.add.at(M, (y_true, y_pred), 1) on a matrix of zeros.",
    diagnose=_confusion_matrix_diagnose,
)


EXERCISES = (CONFUSION_MATRIX,)


class Checks:
    """The checkers of this chapter's exercises, gathered into ``nnkit.exercises.check``."""

    def confusion_matrix(self, fn: Callable[[Array, Array, int], Array]) -> Verdict:
        """Check ``fn(y_true, y_pred, num_classes)``: the confusion matrix ``M`` (num_classes, num_classes)
        with ``M[i, j]`` the number of examples of true class ``i`` predicted as ``j``.

        >>> from nnkit.exercises import check
        >>> import numpy as np
        >>> def fancy(y_true, y_pred, num_classes=10):
        ...     M = np.zeros((num_classes, num_classes), dtype=int)
        ...     M[y_true, y_pred] += 1                  # a repeated pair is counted once
        ...     return M
        >>> ok = check.confusion_matrix(fancy)
        ✗ confusion_matrix: for y_true = [1 1 1 0], y_pred = [1 1 0 0], num_classes = 2, expected [[1. 0.] [1. 2.]],
        got [[1. 0.] [1. 1.]]. Hint: each pair (i, j) was counted at most once: M[y_true, y_pred] += 1 does not
        accumulate repeated pairs; use np.add.at(M, (y_true, y_pred), 1), or a loop.
        """
        return run(CONFUSION_MATRIX, fn)
