"""Checkers for the exercises of *A first run* (first_run.ipynb): the sigmoid."""

from __future__ import annotations

from collections.abc import Callable

from .. import functional as F
from ._compare import Array, Exercise, Verdict, elementwise_cases, logistic, run

__all__ = ["EXERCISES", "Checks"]

SIGMOID = Exercise(
    "sigmoid",
    lambda x: F.sigmoid(x),
    elementwise_cases(
        {"0": [0.5], "±1": [logistic(-1), logistic(1)], "±10": [logistic(-10), logistic(10)], "large |x|": [0, 1]},
        {
            "large |x|": "np.exp(-x) overflows for x = -1e4; for x < 0 use the equal form e^x / (1 + e^x), "
            "so exp only sees numbers ≤ 0 (np.exp(-np.abs(x)) gives both)"
        },
    ),
    hint="σ(x) = 1 / (1 + e^(−x)).",
    elementwise=True,
)

EXERCISES = (SIGMOID,)


class Checks:
    """The checkers of this chapter's exercises, gathered into ``nnkit.exercises.check``."""

    def sigmoid(self, fn: Callable[[Array], Array]) -> Verdict:
        """Check ``fn(x) = σ(x) = 1 / (1 + e^-x)`` element-wise, stable at ``x = ±1e4``.

        >>> from nnkit.exercises import check
        >>> import numpy as np
        >>> naive = lambda x: 1 / (1 + np.exp(-x))
        >>> ok = check.sigmoid(naive)
        ✗ sigmoid: for x = [-10000. 10000.], your function emitted RuntimeWarning: overflow encountered in exp.
        Hint: np.exp(-x) overflows for x = -1e4; for x < 0 use the equal form e^x / (1 + e^x),
        so exp only sees numbers ≤ 0 (np.exp(-np.abs(x)) gives both).
        """
        return run(SIGMOID, fn)
