"""Optimizers and learning-rate schedulers, following ``torch.optim``'s update rules.

Each optimizer updates its parameters in place from their ``.grad``. Notation for one
parameter ``θ`` at step ``t`` (starting at 1): ``g`` is its gradient, ``γ`` the learning
rate ``lr``, ``λ`` the weight decay. ``lr`` is an attribute that may be changed between
steps (the schedulers do exactly that).

>>> import numpy as np, nnkit
>>> from nnkit import optim
>>> p = nnkit.Parameter(np.array([1.0, -2.0]))
>>> opt = optim.SGD([p], lr=0.1)
>>> p.grad[:] = [1.0, 1.0]
>>> opt.step(); p.data
array([ 0.9, -2.1])
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from ._config import check_int, check_real
from .module import Parameter

__all__ = [
    "SGD",
    "Adagrad",
    "Adam",
    "AdamW",
    "CosineAnnealingLR",
    "ExponentialLR",
    "LRScheduler",
    "Optimizer",
    "RMSprop",
    "StepLR",
]


class Optimizer:
    """Base class: holds the parameter list, ``lr``, and per-parameter state.

    ``step()`` updates every parameter in place from its ``.grad``; ``zero_grad()`` sets the
    gradients to zero (backward passes add into them). Subclasses implement ``_update``.
    Every hyper-parameter is checked when it is set: a NaN or infinite ``lr``, ``eps``,
    ``momentum``, ``weight_decay``... raises ``ValueError`` naming the optimizer.
    """

    def __init__(self, params: Iterable[Parameter], lr: float) -> None:
        name = type(self).__name__
        if isinstance(params, Parameter):
            raise TypeError(f"{name} expected an iterable of Parameters (e.g. [p]), got one Parameter")
        try:
            self.params: list[Parameter] = list(params)
        except TypeError:
            raise TypeError(
                f"{name} expected an iterable of Parameters (model.parameters()), got {type(params).__name__}"
            ) from None
        if not self.params:
            raise ValueError(f"{name} got an empty parameter list")
        for p in self.params:
            if not isinstance(p, Parameter):
                raise TypeError(f"{name} expected Parameters, got {type(p).__name__}")
        self.lr = lr
        self.step_count = 0
        self.state: dict[int, dict[str, np.ndarray]] = {}

    @property
    def lr(self) -> float:
        """The learning rate ``γ``: a finite number >= 0, which may be changed between steps."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = check_real(value, "lr", type(self).__name__, 0.0)

    def zero_grad(self) -> None:
        """Set every parameter's gradient to zero."""
        for p in self.params:
            p.zero_grad()

    def step(self) -> None:
        self.step_count += 1
        for i, p in enumerate(self.params):
            self._update(i, p)

    def _update(self, i: int, p: Parameter) -> None:
        raise NotImplementedError

    def _check(
        self, name: str, value: float, low: float = 0.0, high: float = math.inf, high_open: bool = False
    ) -> float:
        """``value`` as a float, or ``ValueError``/``TypeError`` naming the optimizer and ``name``."""
        return check_real(value, name, type(self).__name__, low, high, high_open=high_open)

    def _grad(self, i: int, p: Parameter, weight_decay: float) -> np.ndarray:
        """``g + λθ`` (L2 weight decay added to the gradient), in a reusable buffer."""
        if weight_decay == 0:
            return p.grad
        buf = self._buffer(i, "decayed_grad", p)
        np.multiply(p.data, p.data.dtype.type(weight_decay), out=buf)
        buf += p.grad
        return buf

    def _buffer(self, i: int, key: str, p: Parameter) -> np.ndarray:
        state = self.state.setdefault(i, {})
        if key not in state:
            state[key] = np.zeros_like(p.data)
        return state[key]

    def __repr__(self) -> str:
        hidden = ("params", "state", "step_count", "_lr")
        opts = ", ".join([f"lr={self.lr}"] + [f"{k}={v}" for k, v in vars(self).items() if k not in hidden])
        return f"{type(self).__name__}({opts})"


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, as ``torch.optim.SGD``.

    ``g ← g + λθ``; with momentum ``μ``: ``b ← g`` at ``t = 1``, else ``b ← μ b + (1 - τ) g``
    (``τ`` = dampening); then ``g ← g + μ b`` if Nesterov, else ``g ← b``. Finally ``θ ← θ - γ g``.

    PyTorch's momentum buffer holds the gradient sum, not the velocity of the textbook
    form ``v ← μ v + γ g; θ ← θ - v``; with a constant ``γ`` they give the same steps.

    >>> p = Parameter(np.array([1.0]))
    >>> opt = SGD([p], lr=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     p.grad[:] = 1.0
    ...     opt.step()
    >>> p.data.round(6)              # 1 - 0.1 * 1 - 0.1 * (0.9 + 1)
    array([0.71])
    """

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        super().__init__(params, lr)
        self.momentum = self._check("momentum", momentum)
        self.dampening = self._check("dampening", dampening, 0.0, 1.0)
        self.weight_decay = self._check("weight_decay", weight_decay)
        if nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise ValueError("SGD with nesterov=True requires momentum > 0 and dampening = 0")
        self.nesterov = bool(nesterov)

    def _update(self, i: int, p: Parameter) -> None:
        g = self._grad(i, p, self.weight_decay)
        dt = p.data.dtype.type
        if self.momentum != 0:
            first = "momentum_buffer" not in self.state.get(i, {})
            b = self._buffer(i, "momentum_buffer", p)
            if first:
                b[...] = g
            else:
                b *= dt(self.momentum)
                b += g if self.dampening == 0 else dt(1 - self.dampening) * g
            if self.nesterov:
                step = self._buffer(i, "scratch", p)
                np.multiply(b, dt(self.momentum), out=step)
                step += g
                g = step
            else:
                g = b
        step = self._buffer(i, "scratch", p)
        np.multiply(g, dt(self.lr), out=step)
        p.data -= step


class Adagrad(Optimizer):
    """AdaGrad, as ``torch.optim.Adagrad`` (no lr decay, zero initial accumulator).

    ``g ← g + λθ``; ``s ← s + g²``; ``θ ← θ - γ g / (√s + ε)``. Each coordinate's step
    shrinks as its squared gradients add up.

    >>> p = Parameter(np.array([1.0]))
    >>> opt = Adagrad([p], lr=0.1)
    >>> p.grad[:] = 3.0
    >>> opt.step(); p.data.round(6)  # the first step is lr * g / |g|
    array([0.9])
    """

    def __init__(
        self, params: Iterable[Parameter], lr: float = 1e-2, eps: float = 1e-10, weight_decay: float = 0.0
    ) -> None:
        super().__init__(params, lr)
        self.eps = self._check("eps", eps)
        self.weight_decay = self._check("weight_decay", weight_decay)

    def _update(self, i: int, p: Parameter) -> None:
        g = self._grad(i, p, self.weight_decay)
        dt = p.data.dtype.type
        s = self._buffer(i, "sum", p)
        tmp = self._buffer(i, "scratch", p)
        np.multiply(g, g, out=tmp)
        s += tmp
        np.sqrt(s, out=tmp)
        tmp += dt(self.eps)
        np.divide(g, tmp, out=tmp)
        tmp *= dt(self.lr)
        p.data -= tmp


class RMSprop(Optimizer):
    """RMSProp, as ``torch.optim.RMSprop`` (not centered).

    ``g ← g + λθ``; ``v ← α v + (1 - α) g²``; without momentum ``θ ← θ - γ g / (√v + ε)``;
    with momentum ``μ``: ``b ← μ b + g / (√v + ε)``; ``θ ← θ - γ b``.

    >>> p = Parameter(np.array([1.0]))
    >>> opt = RMSprop([p], lr=0.01, alpha=0.99)
    >>> p.grad[:] = 2.0
    >>> opt.step(); p.data.round(6)  # v = 0.01 * 4, so the step is 0.01 * 2 / 0.2
    array([0.9])
    """

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        self.alpha = self._check("alpha", alpha, 0.0, 1.0)
        self.eps = self._check("eps", eps)
        self.weight_decay = self._check("weight_decay", weight_decay)
        self.momentum = self._check("momentum", momentum)

    def _update(self, i: int, p: Parameter) -> None:
        g = self._grad(i, p, self.weight_decay)
        dt = p.data.dtype.type
        v = self._buffer(i, "square_avg", p)
        tmp = self._buffer(i, "scratch", p)
        v *= dt(self.alpha)
        np.multiply(g, g, out=tmp)
        tmp *= dt(1 - self.alpha)
        v += tmp
        np.sqrt(v, out=tmp)
        tmp += dt(self.eps)
        np.divide(g, tmp, out=tmp)
        if self.momentum > 0:
            b = self._buffer(i, "momentum_buffer", p)
            b *= dt(self.momentum)
            b += tmp
            np.multiply(b, dt(self.lr), out=tmp)
        else:
            tmp *= dt(self.lr)
        p.data -= tmp


class Adam(Optimizer):
    """Adam, as ``torch.optim.Adam``: momentum plus RMSProp, with bias correction.

    ``g ← g + λθ``; ``m ← β₁ m + (1 - β₁) g``; ``v ← β₂ v + (1 - β₂) g²``;
    ``m̂ = m / (1 - β₁ᵗ)``; ``v̂ = v / (1 - β₂ᵗ)``; ``θ ← θ - γ m̂ / (√v̂ + ε)``.
    Weight decay here is L2 added to the gradient; see :class:`AdamW` for decoupled decay.

    >>> p = Parameter(np.array([1.0, 1.0]))
    >>> opt = Adam([p], lr=0.1)
    >>> p.grad[:] = [5.0, -0.01]
    >>> opt.step(); p.data.round(6)  # bias correction: the first step is lr in each coordinate
    array([0.9, 1.1])
    """

    decoupled = False

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"{type(self).__name__} expected betas to be a pair (beta1, beta2), got {betas!r}")
        self.betas = (
            self._check("betas[0]", betas[0], 0.0, 1.0, high_open=True),
            self._check("betas[1]", betas[1], 0.0, 1.0, high_open=True),
        )
        self.eps = self._check("eps", eps)
        self.weight_decay = self._check("weight_decay", weight_decay)

    def _update(self, i: int, p: Parameter) -> None:
        dt = p.data.dtype.type
        if self.decoupled:
            if self.weight_decay != 0:
                p.data *= dt(1 - self.lr * self.weight_decay)
            g = p.grad
        else:
            g = self._grad(i, p, self.weight_decay)
        beta1, beta2 = self.betas
        t = self.step_count
        m = self._buffer(i, "exp_avg", p)
        v = self._buffer(i, "exp_avg_sq", p)
        tmp = self._buffer(i, "scratch", p)
        m *= dt(beta1)
        np.multiply(g, dt(1 - beta1), out=tmp)
        m += tmp
        v *= dt(beta2)
        np.multiply(g, g, out=tmp)
        tmp *= dt(1 - beta2)
        v += tmp
        bias_correction1 = 1 - beta1**t
        bias_correction2 = 1 - beta2**t
        # θ ← θ - (γ / bc1) m / (√v / √bc2 + ε): the same rule, arranged as PyTorch computes it
        np.sqrt(v, out=tmp)
        tmp /= dt(math.sqrt(bias_correction2))
        tmp += dt(self.eps)
        np.divide(m, tmp, out=tmp)
        tmp *= dt(self.lr / bias_correction1)
        p.data -= tmp


class AdamW(Adam):
    """AdamW, as ``torch.optim.AdamW``: Adam with *decoupled* weight decay.

    ``θ ← θ - γλθ`` first, then the Adam step on the plain gradient:
    ``m ← β₁ m + (1 - β₁) g``; ``v ← β₂ v + (1 - β₂) g²``; ``θ ← θ - γ m̂ / (√v̂ + ε)``.
    Unlike L2 in :class:`Adam`, the decay is not rescaled by ``√v̂``.

    >>> p = Parameter(np.array([2.0]))
    >>> opt = AdamW([p], lr=0.1, weight_decay=0.5)
    >>> opt.step(); p.data.round(6)  # zero gradient: only the decay, 2 * (1 - 0.1 * 0.5)
    array([1.9])
    """

    decoupled = True

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay)


# --- learning-rate schedulers ----------------------------------------------------------


class LRScheduler:
    """Base class. Construction records ``base_lr = optimizer.lr``; each ``step()`` advances
    ``last_epoch`` by one and sets ``optimizer.lr`` to the new value, computed with the same
    recursive formulas as ``torch.optim.lr_scheduler``.
    """

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__} expected an nnkit Optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.last_epoch = 0
        self._last_lr = optimizer.lr

    def get_last_lr(self) -> float:
        """The learning rate set by the latest ``step()`` (or at construction)."""
        return self._last_lr

    def step(self) -> None:
        self.last_epoch += 1
        self.optimizer.lr = self._next_lr(self.optimizer.lr)
        self._last_lr = self.optimizer.lr

    def _next_lr(self, lr: float) -> float:
        raise NotImplementedError


class StepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` steps:
    ``lr_t = base_lr * gamma^(t // step_size)``.

    >>> import numpy as np, nnkit
    >>> opt = SGD([nnkit.Parameter(np.zeros(1))], lr=1.0)
    >>> sched = StepLR(opt, step_size=2, gamma=0.5)
    >>> lrs = []
    >>> for _ in range(5):
    ...     sched.step(); lrs.append(opt.lr)
    >>> lrs
    [1.0, 0.5, 0.5, 0.25, 0.25]
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = check_int(step_size, "step_size", "StepLR", minimum=1)
        self.gamma = check_real(gamma, "gamma", "StepLR", 0.0)
        super().__init__(optimizer)

    def _next_lr(self, lr: float) -> float:
        return lr * self.gamma if self.last_epoch % self.step_size == 0 else lr


class ExponentialLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every step: ``lr_t = base_lr * gamma^t``.

    >>> opt = SGD([Parameter(np.zeros(1))], lr=1.0)
    >>> sched = ExponentialLR(opt, gamma=0.5)
    >>> sched.step(); sched.step(); opt.lr
    0.25
    """

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        self.gamma = check_real(gamma, "gamma", "ExponentialLR", 0.0)
        super().__init__(optimizer)

    def _next_lr(self, lr: float) -> float:
        return lr * self.gamma


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing from ``base_lr`` to ``eta_min`` over ``T_max`` steps:
    ``lr_t = eta_min + (base_lr - eta_min) (1 + cos(π t / T_max)) / 2``.

    After ``T_max`` it climbs back, as PyTorch's does (period ``2 T_max``). The update is
    computed recursively from the current ``lr``, exactly as in PyTorch.

    >>> opt = SGD([Parameter(np.zeros(1))], lr=1.0)
    >>> sched = CosineAnnealingLR(opt, T_max=4)
    >>> lrs = []
    >>> for _ in range(4):
    ...     sched.step(); lrs.append(round(opt.lr, 4))
    >>> lrs
    [0.8536, 0.5, 0.1464, 0.0]
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        self.T_max = check_int(T_max, "T_max", "CosineAnnealingLR", minimum=1)
        self.eta_min = check_real(eta_min, "eta_min", "CosineAnnealingLR", 0.0)
        super().__init__(optimizer)

    def _next_lr(self, lr: float) -> float:
        t, T = self.last_epoch, self.T_max
        if (t - 1 - T) % (2 * T) == 0:
            return lr + (self.base_lr - self.eta_min) * (1 - math.cos(math.pi / T)) / 2
        return (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T)) * (lr - self.eta_min) + (
            self.eta_min
        )
