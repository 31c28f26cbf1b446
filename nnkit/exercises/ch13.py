"""Checkers for the exercises of Chapter 13 (ch13_names.ipynb): the sampling distribution of a
language model at temperature τ, softmax(z / τ) row by row."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..functional import softmax
from ._compare import Array, Case, Exercise, Verdict, arrays, run

__all__ = ["EXERCISES", "Checks"]


def _close(got: Any, want: Any) -> bool:
    g, w = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    return g.shape == w.shape and bool(np.allclose(g, w, rtol=1e-6, atol=1e-9))


def _temperature_reference(z: np.ndarray, tau: float) -> np.ndarray:
    """nnkit's softmax of the logits divided by the temperature, over the last axis."""
    return softmax(np.asarray(z, dtype=np.float64) / tau, dim=-1)


def _by_hand(z: np.ndarray, tau: float, mistake: str) -> np.ndarray:
    """softmax(z / τ) with one typical mistake (the diagnoses compare the reader's answer with these)."""
    z = np.asarray(z, dtype=np.float64)
    with np.errstate(all="ignore"):
        if mistake == "times tau":
            return softmax(z * tau, dim=-1)
        if mistake == "wrong axis":
            a = z / tau
            e = np.exp(a - a.max(axis=0, keepdims=True))
            return e / e.sum(axis=0, keepdims=True)
        if mistake == "power, not renormalized":
            return softmax(z, dim=-1) ** (1 / tau)
        if mistake == "tau ignored":
            return softmax(z, dim=-1)
    raise ValueError(mistake)


_MISTAKES = {
    "times tau": "divide the logits by τ, do not multiply: a small τ must sharpen the distribution",
    "tau ignored": "the temperature divides the logits before the softmax: softmax(z / τ)",
    "power, not renormalized": "softmax(z)^(1/τ) is proportional to softmax(z / τ), but its rows no longer "
    "sum to 1: normalize again",
    "wrong axis": "each row is one distribution over the C classes: take the maximum and the sum over "
    "axis=1 (keepdims=True), not over the batch",
}


def _diagnose(case: Case, want: Any, got: Any) -> str | None:
    z, tau = np.asarray(case.args["z"], dtype=np.float64), float(case.args["tau"])
    got = np.asarray(got, dtype=np.float64)
    if got.shape != np.shape(want):
        return f"the answer has the shape of the logits, {np.shape(want)}: one distribution per row"
    if not np.all(np.isfinite(got)):
        return "subtract each row's maximum of z / τ before the exponential: exp overflows for large z / τ"
    for mistake, hint in _MISTAKES.items():
        variant = _by_hand(z, tau, mistake)
        if _close(got, variant) and not _close(variant, want):
            return hint
    return None


def _args(z: Any, tau: float) -> dict[str, Any]:
    return arrays(z=z, tau=tau)


def _cases(rng: np.random.Generator) -> list[Case]:
    # softmax([0, ln 3] / τ): at τ = 1, (1/4, 3/4); at τ = 1/2, 1 : 9, (1/10, 9/10); at τ = 2, 1 : √3
    ln3 = math.log(3.0)
    return [
        Case("known values", _args([[0.0, ln3]], 1.0), [[0.25, 0.75]]),
        Case("known values", _args([[0.0, ln3], [ln3, 0.0]], 0.5), [[0.1, 0.9], [0.9, 0.1]]),
        Case("known values", _args([[0.0, ln3]], 2.0), [[1 / (1 + math.sqrt(3)), math.sqrt(3) / (1 + math.sqrt(3))]]),
        Case("random logits", _args(rng.normal(size=(4, 27)), 0.8)),
        Case("random logits", _args(rng.normal(size=(3, 5)) * 3, 1.5)),
        Case(
            "large logits",
            _args([[800.0, 799.0, 0.0], [-5.0, 0.0, 5.0]], 1.0),
            hint="subtract each row's maximum of z / τ before the exponential: exp(800) overflows, and the shift "
            "does not change the softmax",
        ),
        Case("small τ", _args(rng.normal(size=(2, 6)) * 4, 0.01)),
    ]


SOFTMAX_TEMPERATURE = Exercise(
    "softmax_temperature",
    _temperature_reference,
    _cases,
    hint="a = z / tau; subtract each row's maximum (a.max(axis=1, keepdims=True)), exponentiate, and divide by "
    "each row's sum.",
    diagnose=_diagnose,
)


EXERCISES = (SOFTMAX_TEMPERATURE,)


class Checks:
    """The checkers of this chapter's exercises, gathered into ``nnkit.exercises.check``."""

    def softmax_temperature(self, fn: Callable[..., Array]) -> Verdict:
        """Check ``fn(z, tau)``: the sampling distribution at temperature ``tau > 0``,
        ``softmax(z / tau)`` over each row of the logits ``z (N, C)`` ``-> (N, C)``, with no overflow
        for large logits or small ``tau``, against ``nnkit.functional.softmax`` in float64.

        >>> import numpy as np
        >>> from nnkit.exercises.ch13 import Checks
        >>> def times_tau(z, tau):                       # multiplies instead of dividing
        ...     a = z * tau
        ...     e = np.exp(a - a.max(axis=1, keepdims=True))
        ...     return e / e.sum(axis=1, keepdims=True)
        >>> ok = Checks().softmax_temperature(times_tau)
        ✗ softmax_temperature: for z = [[0. 1.0986] [1.0986 0.]], tau = 0.5, expected [[0.1 0.9] [0.9 0.1]], got
        [[0.366 0.634] [0.634 0.366]]. Hint: divide the logits by τ, do not multiply: a small τ must sharpen the
        distribution.
        """
        return run(SOFTMAX_TEMPERATURE, fn)
