"""Checkers for the exercises of Chapter 3 (ch03_networks.ipynb): the losses."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ..losses import CrossEntropyLoss, MSELoss
from ._compare import Array, Case, Exercise, Verdict, arrays, run

__all__ = ["EXERCISES", "Checks"]


def _mse_cases(rng: np.random.Generator) -> list[Case]:
    return [
        Case("known values", arrays(pred=[1.0, 3.0], target=[0.0, 0.0]), 5.0),
        Case("known values", arrays(pred=[0.5, -2.0, 7.0], target=[0.5, -2.0, 7.0]), 0.0),
        Case("random inputs", arrays(pred=rng.normal(size=(4, 3)), target=rng.normal(size=(4, 3)))),
        Case("shapes", arrays(pred=rng.normal(size=7), target=rng.normal(size=7))),
        Case("shapes", arrays(pred=rng.normal(size=(5, 1)), target=rng.normal(size=(5, 1)))),
    ]


MSE = Exercise(
    "mse",
    lambda pred, target: MSELoss()(pred, target),
    _mse_cases,
    hint="MSE is one number, the mean over all elements: np.mean((pred − target) ** 2).",
    scalar=True,
)


def _cross_entropy_cases(rng: np.random.Generator) -> list[Case]:
    stable = (
        "use log-softmax, never log(softmax): z = logits − max per row, log_softmax = z − log Σ exp(z), "
        "so huge logits neither overflow nor give log(0)"
    )
    return [
        Case("known values", arrays(logits=np.zeros((2, 4)), labels=[0, 3]), math.log(4)),
        Case("known values", arrays(logits=[[0.0, math.log(3.0)]], labels=[1]), -math.log(0.75)),
        Case("random inputs", arrays(logits=rng.normal(size=(6, 5)), labels=rng.integers(0, 5, size=6))),
        Case("shapes", arrays(logits=rng.normal(size=(1, 3)), labels=[2])),  # one sample
        Case("float32", arrays(logits=rng.normal(size=(4, 3)).astype(np.float32), labels=[0, 1, 2, 1])),
        Case("huge logits", arrays(logits=[[1000.0, 0.0], [0.0, 1000.0]], labels=[0, 1]), 0.0, hint=stable),
        Case("huge logits", arrays(logits=[[1000.0, 0.0]], labels=[1]), 1000.0, hint=stable),
    ]


CROSS_ENTROPY = Exercise(
    "cross_entropy",
    lambda logits, labels: CrossEntropyLoss()(logits, labels),
    _cross_entropy_cases,
    hint="the loss is the mean over the N samples of −log softmax(logits)[n, labels[n]]; "
    "logits[np.arange(N), labels] picks one entry per row.",
    scalar=True,
)


EXERCISES = (
    MSE,
    CROSS_ENTROPY,
)


class Checks:
    """The checkers of this chapter's exercises, gathered into ``nnkit.exercises.check``."""

    def mse(self, fn: Callable[[Array, Array], float]) -> Verdict:
        """Check ``fn(pred, target)``, the mean squared error over all elements, as one number.

        >>> from nnkit.exercises import check
        >>> import numpy as np
        >>> ok = check.mse(lambda pred, target: np.mean((pred - target) ** 2))
        ✓ mse: correct on 5 tests (known values, random inputs, shapes)
        """
        return run(MSE, fn)

    def cross_entropy(self, fn: Callable[[Array, Array], float]) -> Verdict:
        """Check ``fn(logits (N, C), labels (N,))``, the mean softmax cross-entropy, stable for huge logits.

        >>> from nnkit.exercises import check
        >>> from nnkit import functional as F
        >>> import numpy as np
        >>> ok = check.cross_entropy(lambda z, t: -F.log_softmax(z)[np.arange(len(t)), t].mean())
        ✓ cross_entropy: correct on 7 tests (known values, random inputs, shapes, float32, huge logits)
        """
        return run(CROSS_ENTROPY, fn)
