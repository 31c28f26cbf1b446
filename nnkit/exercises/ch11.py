"""Checkers for the exercises of Chapter 11 (ch11_normalization.ipynb): batch normalization's
training forward, its backward, and the update of its running statistics."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..normalization import BatchNorm1d
from ._compare import Array, Case, Exercise, Verdict, arrays, run

__all__ = ["EXERCISES", "Checks"]


def _layer(gamma: np.ndarray, beta: np.ndarray, eps: float) -> BatchNorm1d:
    """nnkit's BatchNorm1d in float64, training mode, with the given γ (weight) and β (bias)."""
    bn = BatchNorm1d(len(gamma), eps=eps, dtype=np.float64)
    bn.weight.data[...], bn.bias.data[...] = gamma, beta
    return bn


def _close(got: Any, want: Any) -> bool:
    g, w = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    return g.shape == w.shape and bool(np.allclose(g, w, rtol=1e-6, atol=1e-9))


def _normalized(x: np.ndarray, eps: float, *, ddof: int = 0, axis: int = 0, eps_outside: bool = False) -> np.ndarray:
    """x̂ with one typical mistake: the unbiased variance (ddof=1), statistics over the wrong axis,
    or eps added to the standard deviation instead of the variance."""
    mean = x.mean(axis=axis, keepdims=True)
    var = x.var(axis=axis, ddof=ddof, keepdims=True)
    std = np.sqrt(var) + eps if eps_outside else np.sqrt(var + eps)
    return (x - mean) / std


# ---------------------------------------------------------------- the training forward


def _forward_reference(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
    return _layer(gamma, beta, eps)(x)


def _forward_diagnose(case: Case, want: Any, got: Any) -> str | None:
    x, gamma, beta = (np.asarray(case.args[k], dtype=np.float64) for k in ("x", "gamma", "beta"))
    eps = case.args["eps"]
    g = np.asarray(got, dtype=np.float64)
    if g.shape != np.shape(want):
        return None
    if len(x) > 1 and _close(g, gamma * _normalized(x, eps, ddof=1) + beta):
        return (
            "the variance divides by N − 1 (ddof=1): the batch is normalized with its own, biased variance, "
            "x.var(axis=0), which divides by N; only the running variance uses N − 1"
        )
    if _close(g, gamma * _normalized(x, eps, axis=1) + beta):
        return (
            "the statistics are taken over the features of each example (axis=1); batch normalization takes "
            "them over the batch, per feature: x.mean(axis=0), x.var(axis=0)"
        )
    if _close(g, gamma * _normalized(x, eps, eps_outside=True) + beta):
        return "eps goes inside the square root: (x − mean) / np.sqrt(var + eps), not / (np.sqrt(var) + eps)"
    if _close(g, gamma * _normalized(x, 0.0) + beta):
        return "eps is missing: divide by np.sqrt(var + eps), which stays finite for a feature of variance 0"
    x_hat = _normalized(x, eps)
    if _close(g, x_hat):
        return "the output is γ · x̂ + β: the scale gamma and the shift beta are missing"
    if _close(g, beta * x_hat + gamma):
        return "gamma and beta are swapped: gamma scales x̂ and beta shifts it, γ · x̂ + β"
    return None


def _forward_cases(rng: np.random.Generator) -> list[Case]:
    def random(n: int, c: int, loc: float = 0.0, scale: float = 1.0) -> dict[str, Any]:
        return arrays(
            x=rng.normal(loc, scale, size=(n, c)),
            gamma=rng.uniform(0.5, 2.0, size=c),
            beta=rng.normal(size=c),
            eps=1e-5,
        )

    a, b = 1 / math.sqrt(1 + 1e-5), 10 / math.sqrt(100 + 1e-5)  # (x − mean) / sqrt(var + eps) for the two columns
    constant = random(5, 3)
    constant["x"][:, 1] = 4.0  # a feature that is the same for every example: variance 0
    return [
        Case(
            "known values",
            arrays(x=[[1.0, 10.0], [3.0, 30.0]], gamma=[1.0, 1.0], beta=[0.0, 0.0], eps=1e-5),
            [[-a, -b], [a, b]],
        ),
        Case(
            "known values",
            arrays(x=[[1.0, 10.0], [3.0, 30.0]], gamma=[2.0, 0.5], beta=[1.0, -1.0], eps=1e-5),
            [[1 - 2 * a, -1 - 0.5 * b], [1 + 2 * a, -1 + 0.5 * b]],
        ),
        Case("random inputs", random(8, 3)),
        Case("shapes", random(2, 1)),  # the smallest batch that can be normalized
        Case("shapes", random(16, 6)),
        Case(
            "a constant feature",
            constant,
            hint="a feature with variance 0 gives x − mean = 0 in every row: eps in np.sqrt(var + eps) keeps the "
            "division finite, and the output is beta",
        ),
        Case(
            "far from 0",
            random(8, 3, loc=1e4, scale=1e-2),
            hint="compute the variance as the mean of (x − mean)², e.g. x.var(axis=0); mean(x²) − mean(x)² loses "
            "every digit when the mean is large and the spread small",
        ),
    ]


BATCHNORM_FORWARD = Exercise(
    "batchnorm_forward",
    _forward_reference,
    _forward_cases,
    hint="per feature j, over the batch (axis 0): mean = x.mean(axis=0), var = x.var(axis=0) (divides by N), "
    "x̂ = (x − mean) / np.sqrt(var + eps), out = gamma * x̂ + beta.",
    diagnose=_forward_diagnose,
)


# ---------------------------------------------------------------- the backward


def _backward_reference(
    x: np.ndarray, gamma: np.ndarray, dy: np.ndarray, eps: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    bn = _layer(gamma, np.zeros_like(gamma), eps)
    bn(x)
    dx = bn.backward(dy)
    return dx, bn.weight.grad, bn.bias.grad


def _backward_by_hand(x: np.ndarray, gamma: np.ndarray, dy: np.ndarray, eps: float, mistake: str) -> np.ndarray:
    """dx with one typical mistake: the batch statistics treated as constants ("constants"), or the
    path through the mean ("no mean") or through the variance ("no variance") left out."""
    x_hat = _normalized(x, eps)
    scale = gamma / np.sqrt(x.var(axis=0) + eps)
    mean_term = 0.0 if mistake == "no mean" else dy.mean(axis=0)
    var_term = 0.0 if mistake == "no variance" else x_hat * (dy * x_hat).mean(axis=0)
    if mistake == "constants":
        return scale * dy
    return scale * (dy - mean_term - var_term)


def _backward_diagnose(case: Case, want: Any, got: Any) -> str | None:
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        return None
    x, gamma, dy = (np.asarray(case.args[k], dtype=np.float64) for k in ("x", "gamma", "dy"))
    eps = case.args["eps"]
    (dx_w, dgamma_w, dbeta_w), (dx, dgamma, dbeta) = want, got
    if not _close(dx, dx_w):
        if _close(dx, _backward_by_hand(x, gamma, dy, eps, "constants")):
            return (
                "dx treats the batch mean and variance as constants: they depend on every x[n], so two more "
                "terms appear, dx = γ/√(var + eps) · (dy − mean(dy) − x̂ · mean(dy · x̂)), the means over the batch"
            )
        if _close(dx, _backward_by_hand(x, gamma, dy, eps, "no mean")):
            return "dx misses the path through the batch mean: subtract mean(dy) over the batch, too"
        if _close(dx, _backward_by_hand(x, gamma, dy, eps, "no variance")):
            return "dx misses the path through the batch variance: subtract x̂ · mean(dy · x̂) over the batch, too"
        return None
    x_hat = _normalized(x, eps)
    if not _close(dgamma, dgamma_w) or not _close(dbeta, dbeta_w):
        if _close(dgamma, dbeta_w) and _close(dbeta, dgamma_w):
            return "dgamma and dbeta are swapped: dgamma = (dy * x̂).sum(axis=0), dbeta = dy.sum(axis=0)"
        if _close(dgamma, (dy * x_hat).mean(axis=0)) or _close(dbeta, dy.mean(axis=0)):
            return "dgamma and dbeta are sums over the batch, not means: each example's term adds to the gradient"
        if _close(dgamma, (dy * x).sum(axis=0)):
            return "dgamma multiplies dy by the normalized x̂, not by x: out = gamma * x̂ + beta"
    return None


def _backward_cases(rng: np.random.Generator) -> list[Case]:
    def random(n: int, c: int) -> dict[str, Any]:
        return arrays(
            x=rng.normal(2.0, 3.0, size=(n, c)),
            gamma=rng.uniform(0.5, 2.0, size=c),
            dy=rng.normal(size=(n, c)),
            eps=1e-5,
        )

    x3 = np.array([[0.0], [1.0], [2.0]])  # mean 1, var 2/3: x̂ = (−s, 0, s)
    s = 1 / math.sqrt(2 / 3 + 1e-5)
    shift = random(6, 3)
    shift["dy"] = np.tile(rng.normal(size=3), (6, 1))  # the same dy for every example: dx = 0
    along = random(6, 3)
    along["dy"] = 2.0 * _normalized(along["x"], 1e-5)  # dy ∝ x̂: dx = 0 (up to eps)
    return [
        Case(  # mean(dy) = 1/3, mean(dy · x̂) = −s/3: dx = s (dy − 1/3 + x̂ s/3)
            "known values",
            arrays(x=x3, gamma=[1.0], dy=[[1.0], [0.0], [0.0]], eps=1e-5),
            ([[s * (2 / 3 - s * s / 3)], [-s / 3], [s * (s * s / 3 - 1 / 3)]], [-s], [1.0]),
        ),
        Case(
            "known values",
            arrays(x=x3, gamma=[2.0], dy=[[1.0], [1.0], [1.0]], eps=1e-5),
            ([[0.0], [0.0], [0.0]], [0.0], [3.0]),
            hint="with the same dy for every example, the batch mean takes it all back: dx = 0",
        ),
        Case("random inputs", random(8, 3)),
        Case("the same dy for every example", shift),
        Case("dy along x̂", along),
        Case("shapes", random(2, 4)),
        Case("shapes", random(32, 1)),
    ]


BATCHNORM_BACKWARD = Exercise(
    "batchnorm_backward",
    _backward_reference,
    _backward_cases,
    hint="with x̂ = (x − mean) / np.sqrt(var + eps), the statistics over the batch (axis 0): "
    "dgamma = (dy * x̂).sum(axis=0), dbeta = dy.sum(axis=0), "
    "dx = gamma / np.sqrt(var + eps) * (dy − dy.mean(axis=0) − x̂ * (dy * x̂).mean(axis=0)).",
    outputs=("dx", "dgamma", "dbeta"),
    diagnose=_backward_diagnose,
)


# ---------------------------------------------------------------- the running statistics


def _running_reference(
    running_mean: np.ndarray, running_var: np.ndarray, x: np.ndarray, momentum: float
) -> tuple[np.ndarray, np.ndarray]:
    bn = BatchNorm1d(x.shape[1], momentum=momentum, dtype=np.float64)
    bn.running_mean[...], bn.running_var[...] = running_mean, running_var
    bn(x)
    return bn.running_mean.copy(), bn.running_var.copy()


def _running_diagnose(case: Case, want: Any, got: Any) -> str | None:
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return None
    m, v, x = (np.asarray(case.args[k], dtype=np.float64) for k in ("running_mean", "running_var", "x"))
    rho = case.args["momentum"]
    mean, var, unbiased = x.mean(axis=0), x.var(axis=0), x.var(axis=0, ddof=1)
    new_mean, new_var = got
    if _close(new_mean, rho * m + (1 - rho) * mean) and rho != 0.5:
        return (
            "momentum weighs the new batch, not the old average: running = (1 − momentum) · running + "
            "momentum · batch statistic (the opposite of SGD's momentum, which weighs the old velocity)"
        )
    if _close(new_mean, want[0]):
        if _close(new_var, (1 - rho) * v + rho * var):
            return "the running variance uses the unbiased batch variance, x.var(axis=0, ddof=1) (divides by N − 1)"
        if _close(new_var, (1 - rho) * v + rho * np.sqrt(unbiased)):
            return "running_var is a running average of the variance, not of the standard deviation"
    return None


def _running_cases(rng: np.random.Generator) -> list[Case]:
    def random(n: int, c: int, momentum: float = 0.1) -> dict[str, Any]:
        return arrays(
            running_mean=rng.normal(size=c),
            running_var=rng.uniform(0.5, 2.0, size=c),
            x=rng.normal(1.0, 2.0, size=(n, c)),
            momentum=momentum,
        )

    return [
        Case(  # nnkit's docstring example: 0.9 · (0, 1) + 0.1 · (mean, unbiased variance)
            "known values",
            arrays(running_mean=[0.0, 0.0], running_var=[1.0, 1.0], x=[[1.0, 10.0], [3.0, 30.0]], momentum=0.1),
            ([0.2, 2.0], [1.1, 20.9]),
        ),
        Case("random inputs", random(8, 3)),
        Case("momentum 1: the batch's statistics only", random(5, 2, momentum=1.0)),
        Case("momentum 0: no change", random(5, 2, momentum=0.0)),
        Case("shapes", random(2, 4)),
        Case("shapes", random(64, 1, momentum=0.3)),
    ]


RUNNING_STATS = Exercise(
    "running_stats",
    _running_reference,
    _running_cases,
    hint="new_mean = (1 − momentum) · running_mean + momentum · x.mean(axis=0); new_var = (1 − momentum) · "
    "running_var + momentum · x.var(axis=0, ddof=1): the unbiased variance, N / (N − 1) times the batch's.",
    outputs=("running_mean", "running_var"),
    diagnose=_running_diagnose,
)


EXERCISES = (BATCHNORM_FORWARD, BATCHNORM_BACKWARD, RUNNING_STATS)


class Checks:
    """The checkers of this chapter's exercises, gathered into ``nnkit.exercises.check``."""

    def batchnorm_forward(self, fn: Callable[[Array, Array, Array, float], Array]) -> Verdict:
        """Check ``fn(x, gamma, beta, eps) -> out``: batch normalization of ``x (N, C)`` in training
        mode, per feature over the batch, against ``nnkit.BatchNorm1d`` in float64.

        >>> import numpy as np
        >>> from nnkit.exercises import check
        >>> def unbiased(x, gamma, beta, eps):
        ...     x_hat = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0, ddof=1) + eps)
        ...     return gamma * x_hat + beta
        >>> ok = check.batchnorm_forward(unbiased)
        ✗ batchnorm_forward: for x = [[1. 10.] [3. 30.]], gamma = [1. 1.], beta = [0. 0.], eps = 1e-05, expected
        [[-1. -1.] [1. 1.]], got [[-0.7071 -0.7071] [0.7071 0.7071]]. Hint: the variance divides by N − 1 (ddof=1):
        the batch is normalized with its own, biased variance, x.var(axis=0), which divides by N; only the
        running variance uses N − 1.
        """
        return run(BATCHNORM_FORWARD, fn)

    def batchnorm_backward(self, fn: Callable[[Array, Array, Array, float], tuple[Array, Array, Array]]) -> Verdict:
        """Check ``fn(x, gamma, dy, eps) -> (dx, dgamma, dbeta)``: the backward of batch normalization
        in training mode for ``x (N, C)``, against ``nnkit.BatchNorm1d`` in float64.

        >>> import numpy as np
        >>> from nnkit.exercises import check
        >>> def constant_statistics(x, gamma, dy, eps):
        ...     x_hat = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps)
        ...     dx = gamma / np.sqrt(x.var(axis=0) + eps) * dy       # the mistake
        ...     return dx, (dy * x_hat).sum(axis=0), dy.sum(axis=0)
        >>> ok = check.batchnorm_backward(constant_statistics)
        ✗ batchnorm_backward: for x = [[0.] [1.] [2.]], gamma = [1.], dy = [[1.] [0.] [0.]], eps = 1e-05, dx:
        expected [[0.2041] [-0.4082] [0.2041]], got [[1.2247] [0.] [0.]]. Hint: dx treats the batch mean and
        variance as constants: they depend on every x[n], so two more terms appear, dx = γ/√(var + eps) · (dy −
        mean(dy) − x̂ · mean(dy · x̂)), the means over the batch.
        """
        return run(BATCHNORM_BACKWARD, fn)

    def running_stats(self, fn: Callable[[Array, Array, Array, float], tuple[Array, Array]]) -> Verdict:
        """Check ``fn(running_mean, running_var, x, momentum) -> (new_mean, new_var)``: one training
        step's update of batch normalization's running statistics, as in ``nnkit.BatchNorm1d`` (and
        PyTorch). Return new arrays; the inputs must stay unchanged.

        >>> import numpy as np
        >>> from nnkit.exercises import check
        >>> def reversed_momentum(running_mean, running_var, x, momentum):
        ...     new_mean = momentum * running_mean + (1 - momentum) * x.mean(axis=0)
        ...     new_var = momentum * running_var + (1 - momentum) * x.var(axis=0, ddof=1)
        ...     return new_mean, new_var
        >>> ok = check.running_stats(reversed_momentum)
        ✗ running_stats: for running_mean = [0. 0.], running_var = [1. 1.], x = [[1. 10.] [3. 30.]], momentum =
        0.1, running_mean: expected [0.2 2.], got [1.8 18.]. Hint: momentum weighs the new batch, not the old
        average: running = (1 − momentum) · running + momentum · batch statistic (the opposite of SGD's momentum,
        which weighs the old velocity).
        """
        return run(RUNNING_STATS, fn)
