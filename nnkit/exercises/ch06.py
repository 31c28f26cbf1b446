"""Checkers for the exercises of Chapter 6 (ch06_optimizers.ipynb): one step of SGD with momentum and of
Adam, and the decay factor per step of momentum on a quadratic."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import optim
from ..module import Parameter
from ._compare import Array, Case, Exercise, Verdict, arrays, run

__all__ = ["EXERCISES", "Checks"]


def _sgd_momentum_reference(
    param: np.ndarray, grad: np.ndarray, velocity: np.ndarray, lr: float, momentum: float
) -> tuple[np.ndarray, np.ndarray]:
    p = Parameter(np.array(param, dtype=np.float64))
    p.grad[...] = grad
    opt = optim.SGD([p], lr=lr, momentum=momentum)
    opt.state[0] = {"momentum_buffer": np.array(velocity, dtype=np.float64)}  # continue from this velocity
    opt.step()
    return p.data, opt.state[0]["momentum_buffer"] if momentum else np.array(grad, dtype=np.float64)


def _sgd_momentum_cases(rng: np.random.Generator) -> list[Case]:
    def random(shape: tuple[int, ...], lr: float, momentum: float) -> dict[str, Any]:
        return arrays(
            param=rng.normal(size=shape),
            grad=rng.normal(size=shape),
            velocity=rng.normal(size=shape),
            lr=lr,
            momentum=momentum,
        )

    return [
        Case(
            "first step",
            arrays(param=[1.0, -2.0], grad=[1.0, 1.0], velocity=[0.0, 0.0], lr=0.1, momentum=0.9),
            ([0.9, -2.1], [1.0, 1.0]),
        ),
        Case(
            "with velocity",
            arrays(param=[1.0, -2.0], grad=[1.0, 1.0], velocity=[2.0, -1.0], lr=0.1, momentum=0.9),
            ([0.72, -2.01], [2.8, 0.1]),
        ),
        Case("random inputs", random((4,), lr=0.05, momentum=0.8)),
        Case("shapes", random((2, 3), lr=0.01, momentum=0.9)),
        Case("momentum = 0", random((3,), lr=0.1, momentum=0.0)),
    ]


SGD_MOMENTUM_STEP = Exercise(
    "sgd_momentum_step",
    _sgd_momentum_reference,
    _sgd_momentum_cases,
    hint="PyTorch's form keeps lr outside the buffer: velocity = momentum · velocity + grad, "
    "then param = param − lr · velocity; return both.",
    outputs=("new_param", "new_velocity"),
    may_update_inputs=True,
)


def _adam_reference(
    param: np.ndarray,
    grad: np.ndarray,
    m: np.ndarray,
    v: np.ndarray,
    t: int,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    p = Parameter(np.array(param, dtype=np.float64))
    p.grad[...] = grad
    opt = optim.Adam([p], lr=lr, betas=(beta1, beta2), eps=eps)
    opt.state[0] = {"exp_avg": np.array(m, dtype=np.float64), "exp_avg_sq": np.array(v, dtype=np.float64)}
    opt.step_count = t - 1  # step() counts this step as step t
    opt.step()
    return p.data, opt.state[0]["exp_avg"], opt.state[0]["exp_avg_sq"]


def _adam_cases(rng: np.random.Generator) -> list[Case]:
    def random(
        shape: tuple[int, ...], t: int, lr: float = 0.01, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8
    ) -> dict[str, Any]:
        return arrays(
            param=rng.normal(size=shape),
            grad=rng.normal(size=shape),
            m=0.1 * rng.normal(size=shape),
            v=0.01 * rng.random(size=shape),
            t=t,
            lr=lr,
            beta1=beta1,
            beta2=beta2,
            eps=eps,
        )

    first = arrays(
        param=[1.0, -2.0], grad=[0.5, -4.0], m=[0.0, 0.0], v=[0.0, 0.0], t=1, lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8
    )
    return [
        Case("first step", first, ([0.9, -1.9], [0.05, -0.4], [0.00025, 0.016])),  # step 1 moves lr·sign(g)
        Case("later steps", random((4,), t=10)),
        Case("shapes", random((2, 3), t=3)),
        Case("other betas", random((3,), t=5, lr=0.05, beta1=0.8, beta2=0.99, eps=1e-6)),
        Case("t = 1000", random((3,), t=1000)),
    ]


ADAM_STEP = Exercise(
    "adam_step",
    _adam_reference,
    _adam_cases,
    hint="m = β₁m + (1 − β₁)g and v = β₂v + (1 − β₂)g²; correct the bias, m̂ = m / (1 − β₁ᵗ) and "
    "v̂ = v / (1 − β₂ᵗ); param − lr·m̂ / (√v̂ + eps). Return the uncorrected m and v.",
    outputs=("param", "m", "v"),
    may_update_inputs=True,
)


def _momentum_rate_reference(lr_lam: np.ndarray, mu: float) -> np.ndarray:
    """ρ from nnkit's own SGD: one step on the 1-D quadratic ½ λ w² with lr = 1 (so ηλ = λ) is a linear map
    of the state (u, w); apply ``optim.SGD`` to the two unit states to get its 2 × 2 matrix for every
    value, and take the largest |eigenvalue| of each. Without momentum the state is w alone."""
    lam = np.asarray(lr_lam, dtype=np.float64)
    if mu == 0:  # plain gradient descent keeps no buffer: the state is w alone, and rho = |w| after a step from 1
        p = Parameter(np.ones(lam.shape))
        p.grad[...] = lam
        optim.SGD([p], lr=1.0).step()
        return np.abs(p.data)
    columns = []
    for u0, w0 in ((1.0, 0.0), (0.0, 1.0)):
        p = Parameter(np.full(lam.shape, w0))
        opt = optim.SGD([p], lr=1.0, momentum=mu)
        opt.state[0] = {"momentum_buffer": np.full(lam.shape, u0)}  # continue from this buffer
        p.grad[...] = lam * p.data
        opt.step()
        columns.append(np.stack([opt.state[0]["momentum_buffer"], p.data], axis=-1))
    matrices = np.stack(columns, axis=-1)  # (..., 2, 2): rows (u, w) after the step, columns the unit states
    return np.abs(np.linalg.eigvals(matrices)).max(axis=-1)


def _momentum_rate_cases(rng: np.random.Generator) -> list[Case]:
    hint_cases = "the roots are real when (1 + mu − lr_lam)² ≥ 4 mu (take the larger |root|) and complex otherwise"
    return [
        Case(
            "complex roots",
            arrays(lr_lam=[0.01, 1.0], mu=0.9),
            [math.sqrt(0.9), math.sqrt(0.9)],
            hint="in the middle band the roots are complex conjugates with product mu, so |ζ| = √mu",
        ),
        Case(
            "mu = 0",
            arrays(lr_lam=[0.5, 1.0, 1.5, 2.5], mu=0.0),
            [0.5, 0.0, 0.5, 1.5],
            hint="with mu = 0 this is gradient descent: rho = |1 − lr_lam|",
        ),
        Case("real positive roots", arrays(lr_lam=[0.01], mu=0.5), [(1.49 + math.sqrt(0.2201)) / 2], hint=hint_cases),
        Case(
            "a double root",
            arrays(lr_lam=[0.25], mu=0.25),
            [0.5],
            hint="at (1 + mu − lr_lam)² = 4 mu both roots are (1 + mu − lr_lam) / 2; keep the square root of 0 real",
        ),
        Case("the stability limit", arrays(lr_lam=[3.8], mu=0.9), [1.0], hint=hint_cases),
        Case("real negative roots", arrays(lr_lam=[3.0, 4.0], mu=0.5), None, hint=hint_cases),
        Case("random inputs", {"lr_lam": rng.uniform(0.0, 4.0, size=12), "mu": 0.7}),
        Case("shapes", {"lr_lam": np.geomspace(1e-4, 5.0, 6).reshape(2, 3), "mu": 0.95}),
    ]


MOMENTUM_RATE = Exercise(
    "momentum_rate",
    _momentum_rate_reference,
    _momentum_rate_cases,
    hint="rho is the larger absolute value of the two roots of ζ² − (1 + mu − lr_lam) ζ + mu",
    elementwise=True,
    rtol=1e-6,
    atol=1e-9,
)


EXERCISES = (
    SGD_MOMENTUM_STEP,
    ADAM_STEP,
    MOMENTUM_RATE,
)


class Checks:
    """The checkers of this chapter's exercises, gathered into ``nnkit.exercises.check``."""

    def sgd_momentum_step(self, fn: Callable[..., tuple[Array, Array]]) -> Verdict:
        """Check ``fn(param, grad, velocity, lr, momentum) -> (new_param, new_velocity)`` in PyTorch's form.

        PyTorch's form is ``u = μ u + g; θ = θ - lr u``; the textbook form ``Δ = μ Δ + lr g; θ = θ - Δ``
        takes the same steps with a constant ``lr`` but keeps a different buffer, so it fails here.

        >>> from nnkit.exercises import check
        >>> def step(param, grad, velocity, lr, momentum):
        ...     velocity = momentum * velocity + grad
        ...     return param - lr * velocity, velocity
        >>> ok = check.sgd_momentum_step(step)
        ✓ sgd_momentum_step: correct on 5 tests (first step, with velocity, random inputs, shapes, momentum = 0)
        """
        return run(SGD_MOMENTUM_STEP, fn)

    def adam_step(self, fn: Callable[..., tuple[Array, Array, Array]]) -> Verdict:
        """Check ``fn(param, grad, m, v, t, lr, beta1, beta2, eps) -> (param, m, v)``, with bias correction.

        >>> from nnkit.exercises import check
        >>> import numpy as np
        >>> def step(param, grad, m, v, t, lr, beta1, beta2, eps):
        ...     m = beta1 * m + (1 - beta1) * grad
        ...     v = beta2 * v + (1 - beta2) * grad**2
        ...     m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        ...     return param - lr * m_hat / (np.sqrt(v_hat) + eps), m, v
        >>> ok = check.adam_step(step)
        ✓ adam_step: correct on 5 tests (first step, later steps, shapes, other betas, t = 1000)
        """
        return run(ADAM_STEP, fn)

    def momentum_rate(self, fn: Callable[..., Array]) -> Verdict:
        """Check ``fn(lr_lam, mu) -> rho``: the decay factor per step of SGD with momentum ``mu`` in one
        eigendirection of a quadratic, for an array ``lr_lam`` of values of lr · curvature (same shape).

        >>> from nnkit.exercises import check
        >>> import numpy as np
        >>> def momentum_rate(lr_lam, mu):
        ...     b = 1 + mu - np.asarray(lr_lam, dtype=float)
        ...     disc = b**2 - 4 * mu
        ...     return np.where(disc >= 0, (np.abs(b) + np.sqrt(np.abs(disc))) / 2, np.sqrt(mu))
        >>> ok = check.momentum_rate(momentum_rate)
        ✓ momentum_rate: correct on 8 tests (complex roots, mu = 0, real positive roots, a double root, \
the stability limit, real negative roots, random inputs, shapes)
        """
        return run(MOMENTUM_RATE, fn)
