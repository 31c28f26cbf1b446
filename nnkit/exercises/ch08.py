"""Checkers for the exercises of Chapter 8 (ch08_regularization.ipynb): inverted dropout and the
L1 soft-thresholding step."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._compare import Array, Case, Exercise, Verdict, arrays, run

__all__ = ["EXERCISES", "Checks"]


def _dropout_forward_reference(x: np.ndarray, mask: np.ndarray, p: float) -> np.ndarray:
    # nnkit.Dropout's training-mode forward with the given keep-mask; at p = 1 nothing is kept
    x = np.asarray(x)
    if p == 1:
        return np.zeros_like(x)
    return np.where(np.asarray(mask) != 0, x / (1 - p), x.dtype.type(0))


def _dropout_forward_cases(rng: np.random.Generator) -> list[Case]:
    def random(shape: tuple[int, ...], p: float, dtype: Any = np.float64) -> dict[str, Any]:
        x = rng.normal(size=shape).astype(dtype)
        return arrays(x=x, mask=(rng.random(shape) >= p).astype(dtype), p=p)

    p_is_drop = (
        "p is the probability of DROPPING an element (as in nnkit and PyTorch), so a kept element is "
        "scaled by 1 / (1 − p), not by 1 / p"
    )
    p_one = (
        "with p = 1 every element is dropped and 1 − p = 0: return zeros of x's shape (as nnkit and "
        "PyTorch do) instead of dividing by 0"
    )
    return [
        Case("known values", arrays(x=[1.0, 2.0, 3.0, 4.0], mask=[1.0, 0.0, 1.0, 0.0], p=0.5), [2.0, 0.0, 6.0, 0.0]),
        Case(
            "known values",
            arrays(x=[1.0, 2.0, 3.0, 4.0], mask=[1.0, 1.0, 0.0, 1.0], p=0.2),
            [1.25, 2.5, 0.0, 5.0],
            hint=p_is_drop,
        ),
        Case("random inputs", random((3, 4), p=0.3)),
        Case("shapes", random((2, 3, 4), p=0.1)),
        Case("shapes", random((0, 3), p=0.5)),  # an empty batch
        Case(
            "float32",
            random((2, 3), p=0.25, dtype=np.float32),
            dtype=np.float32,
            hint="keep the input's dtype: with a Python float p, NumPy keeps float32 arrays float32",
        ),
        Case("p = 0", arrays(x=rng.normal(size=(2, 3)), mask=np.ones((2, 3)), p=0.0)),  # nothing dropped
        Case("p = 1", arrays(x=[1.0, -2.0, 3.0], mask=[0.0, 0.0, 0.0], p=1.0), [0.0, 0.0, 0.0], hint=p_one),
    ]


DROPOUT_FORWARD = Exercise(
    "dropout_forward",
    _dropout_forward_reference,
    _dropout_forward_cases,
    hint="inverted dropout keeps x where mask is 1, zeroes it where mask is 0, and scales the kept elements by "
    "1 / (1 − p), p being the drop probability: x * mask / (1 − p).",
)


def _soft_threshold_reference(w: np.ndarray, threshold: float) -> np.ndarray:
    # the proximal step of threshold·|w|: shrink towards 0 by the threshold, stop at 0; keeps w's dtype
    w = np.asarray(w)
    t = w.dtype.type(threshold)
    return np.where(np.abs(w) > t, w - np.sign(w) * t, w.dtype.type(0))  # +0, not −0, at the zeros


def _soft_threshold_cases(rng: np.random.Generator) -> list[Case]:
    at_t = "a weight with |w| <= threshold becomes exactly 0 (max(|w| − threshold, 0) = 0 there)"
    return [
        Case("known values", arrays(w=[-3.0, -0.5, 0.0, 0.5, 3.0], threshold=1.0), [-2.0, 0.0, 0.0, 0.0, 2.0]),
        Case("|w| = threshold", arrays(w=[-1.0, 1.0], threshold=1.0), [0.0, 0.0], hint=at_t),
        Case("random inputs", arrays(w=rng.normal(size=(3, 4)), threshold=0.3)),
        Case("threshold 0", arrays(w=rng.normal(size=5), threshold=0.0)),  # nothing changes
        Case("large threshold", arrays(w=rng.normal(size=(2, 3)), threshold=100.0), np.zeros((2, 3))),
        Case("shapes", arrays(w=np.array(-0.7), threshold=0.2)),  # a 0-d array
        Case("shapes", arrays(w=rng.normal(size=(2, 3, 4)), threshold=0.5)),
        Case("shapes", arrays(w=np.zeros((0, 3)), threshold=0.5)),  # no weights
        Case(
            "float32",
            arrays(w=rng.normal(size=(2, 3)).astype(np.float32), threshold=0.25),
            dtype=np.float32,
            hint="keep the input's dtype: with a Python float threshold, NumPy keeps float32 arrays float32",
        ),
    ]


def _soft_threshold_diagnose(case: Case, want: Any, got: Any) -> str | None:
    w, t = np.asarray(case.args["w"], dtype=np.float64), float(case.args["threshold"])
    got = np.asarray(got, dtype=np.float64)
    if got.shape != w.shape:
        return None
    if np.allclose(got, w - t * np.sign(w)):
        return (
            "this is the subgradient step w − threshold·sign(w): a weight smaller than the threshold crosses zero "
            "and changes sign; stop it at zero instead, sign(w) · max(|w| − threshold, 0)"
        )
    if np.allclose(got, np.where(np.abs(w) > t, w, 0.0)):
        return "this is hard thresholding: the weights that survive must also move towards zero by the threshold"
    if np.allclose(got, np.maximum(w - t, 0.0)):
        return "negative weights must move up towards zero too: use |w| and put the sign back"
    return None


SOFT_THRESHOLD = Exercise(
    "soft_threshold",
    _soft_threshold_reference,
    _soft_threshold_cases,
    hint="soft thresholding moves every weight towards zero by the threshold and stops it at zero: "
    "np.sign(w) * np.maximum(np.abs(w) - threshold, 0).",
    diagnose=_soft_threshold_diagnose,
)


EXERCISES = (DROPOUT_FORWARD, SOFT_THRESHOLD)


class Checks:
    """The checkers of this chapter's exercises, gathered into ``nnkit.exercises.check``."""

    def dropout_forward(self, fn: Callable[[Array, Array, float], Array]) -> Verdict:
        """Check ``fn(x, mask, p) = x * mask / (1 - p)``: inverted dropout with a given 0/1 keep-mask.

        ``p`` is the probability of dropping an element (as in nnkit and PyTorch); for ``p = 1`` every
        element is dropped and the answer is zeros.

        >>> from nnkit.exercises import check
        >>> ok = check.dropout_forward(lambda x, mask, p: x * mask / p)
        ✗ dropout_forward: for x = [1. 2. 3. 4.], mask = [1. 1. 0. 1.], p = 0.2, expected [1.25 2.5 0. 5.],
        got [5. 10. 0. 20.]. Hint: p is the probability of DROPPING an element (as in nnkit and PyTorch), so
        a kept element is scaled by 1 / (1 − p), not by 1 / p.
        """
        return run(DROPOUT_FORWARD, fn)

    def soft_threshold(self, fn: Callable[[Array, float], Array]) -> Verdict:
        """Check ``fn(w, threshold) = sign(w) · max(|w| − threshold, 0)``: the proximal (soft-thresholding)
        step of an L1 penalty, whose threshold is ``ηλ``; ``w`` of any shape, the input's dtype kept.

        >>> from nnkit.exercises import check
        >>> import numpy as np
        >>> ok = check.soft_threshold(lambda w, threshold: w - threshold * np.sign(w))
        ✗ soft_threshold: for w = [-3. -0.5 0. 0.5 3.], threshold = 1.0, expected [-2. 0. 0. 0. 2.], got [-2. 0.5 0.
        -0.5 2.]. Hint: this is the subgradient step w − threshold·sign(w): a weight smaller than the threshold
        crosses zero and changes sign; stop it at zero instead, sign(w) · max(|w| − threshold, 0).
        """
        return run(SOFT_THRESHOLD, fn)
