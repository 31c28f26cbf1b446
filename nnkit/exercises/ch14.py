"""Checkers for the exercises of Chapter 14 (ch14_time_series.ipynb): cutting a series into
forecasting examples, a window of past values and the next value, with no look-ahead."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._compare import Case, Exercise, Verdict, arrays, run

__all__ = ["EXERCISES", "Checks"]


def _windows_reference(series: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """X[n] = series[n : n + width], y[n] = series[n + width], for n = 0 .. len(series) - width - 1."""
    series = np.asarray(series)
    n = len(series) - width
    X = np.lib.stride_tricks.sliding_window_view(series, width)[:n].copy()
    return X, series[width:].copy()


def _by_hand(series: np.ndarray, width: int, mistake: str) -> tuple[np.ndarray, np.ndarray]:
    """The windows with one typical mistake (the diagnoses compare the reader's answer with these)."""
    s = np.asarray(series)
    n = len(s) - width
    if mistake == "target inside the window":  # y[n] = the window's own last value
        return np.stack([s[i : i + width] for i in range(n)]), s[width - 1 : width - 1 + n]
    if mistake == "target one step too far":  # y[n] = series[n + width + 1]
        m = n - 1
        return np.stack([s[i : i + width] for i in range(m)]), s[width + 1 :]
    if mistake == "one window missing":  # range(len - width - 1)
        m = n - 1
        return np.stack([s[i : i + width] for i in range(m)]), s[width : width + m]
    raise ValueError(mistake)


_MISTAKES = {
    "target inside the window": "the target is the window's own last value, so the model would be asked to "
    "copy an input: y[n] is series[n + width], the first value AFTER the window series[n : n + width]",
    "target one step too far": "off by one: the target skips a day; y[n] is series[n + width], right after "
    "the window's last value series[n + width - 1]",
    "one window missing": "off by one: the last window, series[-width - 1 : -1] with target series[-1], is "
    "missing; there are len(series) - width windows",
}


def _diagnose(case: Case, want: Any, got: Any) -> str | None:
    series, width = np.asarray(case.args["series"]), int(case.args["width"])
    for mistake, hint in _MISTAKES.items():
        try:
            variant = _by_hand(series, width, mistake)
        except ValueError:
            continue
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            return None
        X, y = (np.asarray(part) for part in got)
        if X.shape == variant[0].shape and y.shape == variant[1].shape:
            if np.array_equal(X, variant[0]) and np.array_equal(y, variant[1]):
                return hint
    return None


def _cases(rng: np.random.Generator) -> list[Case]:
    # 0, 1, ..., 5 with width 2: windows [0 1] [1 2] [2 3] [3 4] and targets 2 3 4 5
    return [
        Case(
            "known values",
            arrays(series=np.arange(6.0), width=2),
            (np.array([[0.0, 1], [1, 2], [2, 3], [3, 4]]), np.array([2.0, 3, 4, 5])),
        ),
        Case(
            "known values",
            arrays(series=np.array([5.0, 7.0, 9.0]), width=1),
            (np.array([[5.0], [7.0]]), np.array([7.0, 9.0])),
        ),
        Case("random series", arrays(series=rng.normal(size=20), width=7)),
        Case("random series", arrays(series=rng.normal(size=9).astype(np.float32), width=3)),
        Case("one window", arrays(series=rng.normal(size=5), width=4)),
    ]


MAKE_WINDOWS = Exercise(
    "make_windows",
    _windows_reference,
    _cases,
    hint="for n in range(len(series) - width): the window series[n : n + width] and the target series[n + width]",
    outputs=("X", "y"),
    diagnose=_diagnose,
)


EXERCISES = (MAKE_WINDOWS,)


class Checks:
    """The checkers of this chapter's exercises, gathered into ``nnkit.exercises.check``."""

    def make_windows(self, fn: Callable[..., tuple[np.ndarray, np.ndarray]]) -> Verdict:
        """Check ``fn(series, width) -> (X, y)``: ``X (N, width)`` the windows of ``width`` consecutive
        values and ``y (N,)`` the value right after each, ``N = len(series) - width``, no look-ahead.

        >>> import numpy as np
        >>> from nnkit.exercises.ch14 import Checks
        >>> def inside(series, width):                   # the target is the window's last value
        ...     n = len(series) - width
        ...     return np.stack([series[i:i + width] for i in range(n)]), series[width - 1:width - 1 + n]
        >>> ok = Checks().make_windows(inside)
        ✗ make_windows: for series = [0. 1. 2. 3. 4. 5.], width = 2, y: expected [2. 3. 4. 5.], got [1. 2. 3.
        4.]. Hint: the target is the window's own last value, so the model would be asked to copy an input: y[n] is
        series[n + width], the first value AFTER the window series[n : n + width].
        """
        return run(MAKE_WINDOWS, fn)
