"""Checkers for the exercises of Chapter 2 (ch02_activations.ipynb): activations, their derivatives, softmax."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .. import functional as F
from ._compare import Array, Case, Exercise, Verdict, arrays, elementwise_cases, logistic, run

__all__ = ["EXERCISES", "Checks"]

SIGMOID_DERIVATIVE = Exercise(
    "sigmoid_derivative",
    lambda x: F.sigmoid_derivative(x),
    elementwise_cases(
        {
            "0": [0.25],
            "±1": [logistic(1) * logistic(-1)] * 2,
            "±10": [logistic(10) * logistic(-10)] * 2,
            "large |x|": [0, 0],
        },
        {"large |x|": "build it on a stable sigmoid (one whose exp only sees numbers ≤ 0), then σ(1 − σ)"},
    ),
    hint="σ'(x) = σ(x)(1 − σ(x)).",
    elementwise=True,
)
TANH_DERIVATIVE = Exercise(
    "tanh_derivative",
    lambda x: F.tanh_derivative(x),
    elementwise_cases(
        {"0": [1.0], "±1": [1 / math.cosh(1) ** 2] * 2, "±10": [1 / math.cosh(10) ** 2] * 2, "large |x|": [0, 0]},
        {"large |x|": "1 − np.tanh(x)**2 never overflows (np.cosh(1e4) does)"},
    ),
    hint="tanh'(x) = 1 − tanh(x)².",
    elementwise=True,
)
RELU = Exercise(
    "relu",
    lambda x: F.relu(x),
    elementwise_cases({"0": [0.0], "±1": [0, 1], "±10": [0, 10], "large |x|": [0, 1e4]}),
    hint="relu(x) = max(0, x) element-wise: np.maximum(x, 0).",
    elementwise=True,
)
RELU_DERIVATIVE = Exercise(
    "relu_derivative",
    lambda x: F.relu_derivative(x),
    elementwise_cases(
        {"0": [0.0], "±1": [0, 1], "±10": [0, 1], "large |x|": [0, 1]},
        {"0": "at exactly x = 0 the derivative is undefined; nnkit and PyTorch use 0 there, so test x > 0, not x >= 0"},
    ),
    hint="relu'(x) = 1 where x > 0, else 0.",
    elementwise=True,
)


def _leaky_relu_cases(rng: np.random.Generator) -> list[Case]:
    slope = "pass negative_slope on: the function must use the slope it is given"
    known = {"0": [0.0], "±1": [-0.01, 1], "±10": [-0.1, 10], "large |x|": [-100, 1e4]}  # the default slope 0.01
    return [
        *elementwise_cases(known)(rng),
        Case(
            "negative_slope",
            arrays(x=[-2.0, 3.0], negative_slope=0.2),
            [-0.4, 3.0],
            hint=slope,
            keywords=("negative_slope",),
        ),
        Case("negative_slope", arrays(x=rng.normal(size=(3, 4)), negative_slope=0.5), keywords=("negative_slope",)),
    ]


LEAKY_RELU = Exercise(
    "leaky_relu",
    lambda x, negative_slope=0.01: F.leaky_relu(x, negative_slope),
    _leaky_relu_cases,
    hint="leaky_relu(x) = x where x > 0, else negative_slope · x (default negative_slope=0.01).",
    elementwise=True,
)


def _softmax_cases(rng: np.random.Generator) -> list[Case]:
    stable = (
        "subtract each row's own maximum first, z = x − x.max(axis=-1, keepdims=True) (not the whole array's): "
        "same result, and exp(z) ≤ 1"
    )
    return [
        Case("uniform", arrays(x=[0.0, 0.0, 0.0]), [1 / 3] * 3),
        Case("known values", arrays(x=[[0.0, math.log(3.0)]]), [[0.25, 0.75]]),
        Case("random inputs", arrays(x=rng.normal(size=(4, 5)))),
        Case("shapes", arrays(x=rng.normal(size=(2, 3, 4)))),  # along the last axis
        Case("float32", arrays(x=rng.normal(size=(2, 3)).astype(np.float32)), dtype=np.float32),
        Case("huge logits", arrays(x=[1000.0, 1000.0]), [0.5, 0.5], hint=stable),
        Case("huge logits", arrays(x=[[1000.0, 0.0], [-1000.0, 0.0]]), [[1, 0], [0, 1]], hint=stable),
        Case(
            "rows on different scales",
            arrays(x=[[0.0, 1.0], [1000.0, 1001.0]]),
            [[logistic(-1), logistic(1)]] * 2,
            hint=stable,
        ),
        Case("shapes", arrays(x=np.zeros((0, 3)))),  # an empty batch
    ]


SOFTMAX = Exercise(
    "softmax",
    lambda x: F.softmax(x),
    _softmax_cases,
    hint="softmax(x) = exp(x) / Σ exp(x) along the last axis; use axis=-1 and keepdims=True.",
)


def _softplus_cases(rng: np.random.Generator) -> list[Case]:
    stable = (
        "np.log(1 + np.exp(x)) overflows for x = 1e4 (and np.where computes both of its branches); "
        "use max(x, 0) + log1p(exp(−|x|)), the same value, whose exp only sees numbers ≤ 0"
    )
    tiny = "np.log(1 + e) rounds 1 + e to 1 when e < 1e-16, and returns 0; np.log1p(e) keeps the e"
    known = {
        "0": [math.log(2.0)],
        "±1": [math.log1p(math.exp(-1.0)), 1.0 + math.log1p(math.exp(-1.0))],
        "±10": [math.log1p(math.exp(-10.0)), 10.0 + math.log1p(math.exp(-10.0))],
        "large |x|": [0.0, 1e4],
    }
    return [
        *elementwise_cases(known, {"large |x|": stable})(rng),
        Case("tiny values", arrays(x=[-40.0, -100.0]), [math.exp(-40.0), math.exp(-100.0)], hint=tiny),
    ]


SOFTPLUS = Exercise(
    "softplus",
    lambda x: F.softplus(x),
    _softplus_cases,
    hint="softplus(x) = log(1 + e^x) element-wise.",
    elementwise=True,
    atol=0.0,  # softplus(-40) ≈ 4e-18: only a relative tolerance tells it from 0
)


EXERCISES = (
    SIGMOID_DERIVATIVE,
    TANH_DERIVATIVE,
    RELU,
    RELU_DERIVATIVE,
    LEAKY_RELU,
    SOFTMAX,
    SOFTPLUS,
)


class Checks:
    """The checkers of this chapter's exercises, gathered into ``nnkit.exercises.check``."""

    def sigmoid_derivative(self, fn: Callable[[Array], Array]) -> Verdict:
        """Check ``fn(x) = σ'(x) = σ(x)(1 - σ(x))`` element-wise, stable at ``x = ±1e4``.

        >>> from nnkit.exercises import check
        >>> from nnkit import functional as F
        >>> ok = check.sigmoid_derivative(lambda x: F.sigmoid(x) * (1 - F.sigmoid(x)))
        ✓ sigmoid_derivative: correct on 9 tests (0, ±1, ±10, random inputs, shapes, float32, large |x|)
        """
        return run(SIGMOID_DERIVATIVE, fn)

    def tanh_derivative(self, fn: Callable[[Array], Array]) -> Verdict:
        """Check ``fn(x) = tanh'(x) = 1 - tanh(x)²`` element-wise.

        >>> from nnkit.exercises import check
        >>> import numpy as np
        >>> ok = check.tanh_derivative(lambda x: 1 - np.tanh(x) ** 2)
        ✓ tanh_derivative: correct on 9 tests (0, ±1, ±10, random inputs, shapes, float32, large |x|)
        """
        return run(TANH_DERIVATIVE, fn)

    def relu(self, fn: Callable[[Array], Array]) -> Verdict:
        """Check ``fn(x) = max(0, x)`` element-wise; it must not change ``x`` in place.

        >>> from nnkit.exercises import check
        >>> import numpy as np
        >>> ok = check.relu(lambda x: np.maximum(x, 0))
        ✓ relu: correct on 9 tests (0, ±1, ±10, random inputs, shapes, float32, large |x|)
        """
        return run(RELU, fn)

    def relu_derivative(self, fn: Callable[[Array], Array]) -> Verdict:
        """Check ``fn(x) = 1 where x > 0 else 0``, with PyTorch's 0 at exactly ``x = 0``.

        >>> from nnkit.exercises import check
        >>> ok = check.relu_derivative(lambda x: (x >= 0).astype(x.dtype))
        ✗ relu_derivative: for x = [0.], expected [0.], got [1.]. Hint: at exactly x = 0 the derivative is
        undefined; nnkit and PyTorch use 0 there, so test x > 0, not x >= 0.
        """
        return run(RELU_DERIVATIVE, fn)

    def leaky_relu(self, fn: Callable[..., Array]) -> Verdict:
        """Check ``fn(x, negative_slope=0.01)``: ``x`` where ``x > 0``, else ``negative_slope * x``.

        >>> from nnkit.exercises import check
        >>> import numpy as np
        >>> ok = check.leaky_relu(lambda x, negative_slope=0.01: np.where(x > 0, x, negative_slope * x))
        ✓ leaky_relu: correct on 11 tests (0, ±1, ±10, random inputs, shapes, float32, large |x|, negative_slope)
        """
        return run(LEAKY_RELU, fn)

    def softmax(self, fn: Callable[[Array], Array]) -> Verdict:
        """Check ``fn(x)``, the softmax along the last axis, stable for huge logits.

        >>> from nnkit.exercises import check
        >>> import numpy as np
        >>> naive = lambda x: np.exp(x) / np.exp(x).sum(axis=-1, keepdims=True)
        >>> bool(check.softmax(naive))
        ✗ softmax: for x = [1000. 1000.], your function emitted RuntimeWarning: overflow encountered in exp.
        Hint: subtract each row's own maximum first, z = x − x.max(axis=-1, keepdims=True) (not the whole array's):
        same result, and exp(z) ≤ 1.
        False
        """
        return run(SOFTMAX, fn)

    def softplus(self, fn: Callable[[Array], Array]) -> Verdict:
        """Check ``fn(x) = log(1 + e^x)`` element-wise: no overflow at ``x = 1e4``, no lost digits at ``x = -40``.

        >>> from nnkit.exercises import check
        >>> import numpy as np
        >>> ok = check.softplus(lambda x: np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x))))
        ✓ softplus: correct on 10 tests (0, ±1, ±10, random inputs, shapes, float32, large |x|, tiny values)
        >>> ok = check.softplus(lambda x: np.log1p(np.exp(x)))
        ✗ softplus: for x = [-10000. 10000.], your function emitted RuntimeWarning: overflow encountered in exp.
        Hint: np.log(1 + np.exp(x)) overflows for x = 1e4 (and np.where computes both of its branches); use
        max(x, 0) + log1p(exp(−|x|)), the same value, whose exp only sees numbers ≤ 0.
        """
        return run(SOFTPLUS, fn)
