"""Checkers for the exercises of Chapter 1 (ch01_neuron.ipynb): one neuron on a batch."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .. import functional as F
from ._compare import Array, Case, Exercise, Verdict, arrays, logistic, run

__all__ = ["EXERCISES", "Checks"]


def _neuron_cases(rng: np.random.Generator) -> list[Case]:
    stable = (
        "1 / (1 + np.exp(-z)) overflows for z = -1e4; use a stable sigmoid, whose exp only sees numbers ≤ 0 "
        "(e^z / (1 + e^z) for z < 0), or nnkit.functional.sigmoid"
    )
    return [
        Case("known values", arrays(x=[[1.0, 2.0]], w=[0.5, -0.25], b=0.0), [0.5]),
        Case("known values", arrays(x=[[1.0, 2.0], [0.0, 0.0]], w=[0.5, -0.25], b=1.0), [logistic(1)] * 2),
        Case("random inputs", arrays(x=rng.normal(size=(5, 3)), w=rng.normal(size=3), b=0.3)),
        Case("shapes", arrays(x=rng.normal(size=(1, 4)), w=rng.normal(size=4), b=-0.5)),  # one sample
        Case("shapes", arrays(x=rng.normal(size=(4, 1)), w=rng.normal(size=1), b=0.1)),  # one feature
        Case("shapes", arrays(x=np.zeros((0, 3)), w=rng.normal(size=3), b=0.1)),  # an empty batch
        Case("large |z|", arrays(x=[[-1e4, 0.0], [1e4, 0.0]], w=[1.0, 2.0], b=0.0), [0.0, 1.0], hint=stable),
    ]


NEURON = Exercise(
    "neuron",
    lambda x, w, b: F.sigmoid(x @ w + b),
    _neuron_cases,
    hint="z = x @ w + b has shape (N,); the neuron's output is σ(z) = 1 / (1 + e^(−z)).",
)


EXERCISES = (NEURON,)


class Checks:
    """The checkers of this chapter's exercises, gathered into ``nnkit.exercises.check``."""

    def neuron(self, fn: Callable[[Array, Array, float], Array]) -> Verdict:
        """Check ``fn(x, w, b) = σ(x @ w + b)``: one neuron; ``x (N, d_in)``, ``w (d_in,)``, ``b`` a number -> ``(N,)``.

        >>> from nnkit.exercises import check
        >>> import numpy as np
        >>> ok = check.neuron(lambda x, w, b: 1 / (1 + np.exp(-(x @ w))))
        ✗ neuron: for x = [[1. 2.] [0. 0.]], w = [0.5 -0.25], b = 1.0, expected [0.7311 0.7311], got [0.5 0.5].
        Hint: z = x @ w + b has shape (N,); the neuron's output is σ(z) = 1 / (1 + e^(−z)).
        """
        return run(NEURON, fn)
