"""Numerical gradient checking: compare a module's backward with finite differences.

The central difference ``(f(x + ε) - f(x - ε)) / 2ε`` has an error of order ``ε²``
(the one-sided difference only ``ε``). In float64 with ``ε = 1e-6`` a correct backward
typically agrees to a relative error around ``1e-8`` or better; ``1e-4`` or worse means
a bug (or a kink such as ReLU's at 0 inside the ``±ε`` window).

>>> import numpy as np, nnkit
>>> from nnkit.gradcheck import gradcheck
>>> report = gradcheck(nnkit.Linear(3, 2, rng=0), np.random.default_rng(0).normal(size=(4, 3)))
>>> report.ok
True
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._config import RngLike, as_rng, check_real
from .module import Module

__all__ = ["GradcheckReport", "gradcheck", "numerical_gradient", "rel_error"]


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of a scalar function ``f`` at ``x``.

    ``grad[i] = (f(x + ε e_i) - f(x - ε e_i)) / (2ε)`` for every element ``i`` of ``x``.
    ``f`` is called on a float64 copy; ``x`` itself is never modified. This loops over
    the elements of ``x`` (2 calls of ``f`` each), so keep ``x`` small: it is a test tool.

    >>> numerical_gradient(lambda v: float((v ** 2).sum()), np.array([1.0, -3.0]))
    array([ 2., -6.])
    """
    eps = check_real(eps, "eps", "numerical_gradient", 0.0, low_open=True)
    xc = _float64_copy(x, "numerical_gradient")
    grad = np.zeros_like(xc)
    flat, gflat = xc.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        plus = float(f(xc))
        flat[i] = old - eps
        minus = float(f(xc))
        flat[i] = old
        gflat[i] = (plus - minus) / (2 * eps)
    return grad


def _float64_copy(x: np.ndarray, where: str) -> np.ndarray:
    """A float64 copy of ``x``; refuses non-numeric and non-finite input, naming ``where``."""
    array = np.asarray(x)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{where} expected a real-valued numeric array x, got dtype {array.dtype}")
    xc = np.array(array, dtype=np.float64, copy=True)
    if not np.isfinite(xc).all():
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(xc))[0])
        raise ValueError(f"{where} expected finite values in x, got {xc[bad]} at index {bad}")
    return xc


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    """Largest element-wise relative error ``|a - b| / max(|a| + |b|, 1e-8)``.

    The floor keeps two tiny numbers (both ≈ 0) from reporting a huge relative error.

    >>> f"{rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-9])):.1e}"
    '2.5e-10'
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"rel_error expected arrays of the same shape, got {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-8)))


@dataclass
class GradcheckReport:
    """The outcome of :func:`gradcheck`: one relative error per checked array.

    ``errors`` maps ``"input"`` and each parameter name to its relative error; ``worst`` is the
    largest, ``ok`` says whether it is within ``tol``, and ``str(report)`` is a readable table.

    >>> report = GradcheckReport("Linear(3 -> 2)", {"input": 1e-9, "weight": 3e-4})
    >>> report.ok, report.worst
    (False, ('weight', 0.0003))
    """

    name: str
    errors: dict[str, float] = field(default_factory=dict)
    tol: float = 1e-6

    @property
    def worst(self) -> tuple[str, float]:
        """``(name, error)`` of the array with the largest relative error."""
        if not self.errors:
            return ("-", 0.0)
        key = max(self.errors, key=self.errors.__getitem__)
        return key, self.errors[key]

    @property
    def ok(self) -> bool:
        return self.worst[1] <= self.tol

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        verdict = "PASS" if self.ok else "FAIL"
        name, err = self.worst
        lines = [
            f"gradcheck {self.name}: {verdict} (worst relative error {err:.2e} in {name}, tolerance {self.tol:.0e})"
        ]
        for key, value in self.errors.items():
            mark = "ok" if value <= self.tol else "MISMATCH"
            lines.append(f"  {key:<16} {value:.2e}  {mark}")
        return "\n".join(lines)

    __repr__ = __str__


def gradcheck(
    module: Module,
    x: np.ndarray,
    *args: Any,
    eps: float = 1e-6,
    tol: float = 1e-6,
    rng: RngLike = 0,
) -> GradcheckReport:
    """Check ``module.backward`` against finite differences, in float64, on a copy.

    The module is deep-copied and cast to float64, so the original is untouched. The
    scalar checked is ``L = Σ y * r`` for a fixed random ``r`` (so every output element
    matters); for a loss, whose output is already a scalar, ``L`` is the loss itself.
    Extra ``args`` (a loss's target) are passed to ``forward`` unchanged. Every
    evaluation runs on a fresh copy, so dropout draws the same mask each time.

    Returns a :class:`GradcheckReport` with the relative error of the input gradient
    (``"input"``) and of each parameter gradient (by name), and the worst of them.

    >>> import nnkit
    >>> x = np.random.default_rng(0).normal(size=(4, 3))
    >>> report = gradcheck(nnkit.Sequential(nnkit.Linear(3, 4, rng=0), nnkit.Tanh()), x)
    >>> report.ok, sorted(report.errors)
    (True, ['0.bias', '0.weight', 'input'])
    >>> print(report)  # doctest: +ELLIPSIS
    gradcheck Sequential: PASS (worst relative error ... in ..., tolerance 1e-06)
    ...
    """
    if not isinstance(module, Module):
        raise TypeError(f"gradcheck expected an nnkit Module, got {type(module).__name__}")
    eps = check_real(eps, "eps", "gradcheck", 0.0, low_open=True)
    tol = check_real(tol, "tol", "gradcheck", 0.0)
    base = copy.deepcopy(module).to(np.float64)
    x64 = _float64_copy(x, "gradcheck")
    probe = copy.deepcopy(base)
    out = probe(x64, *args)
    r = 1.0 if np.ndim(out) == 0 else as_rng(rng).normal(size=np.shape(out))

    def scalar(inp: np.ndarray) -> float:
        return float(np.sum(copy.deepcopy(base)(inp, *args) * r))

    analytic_model = copy.deepcopy(base)
    analytic_model.zero_grad()
    analytic_model(x64, *args)
    dx = analytic_model.backward(r)
    report = GradcheckReport(name=module._name(), tol=tol)
    report.errors["input"] = rel_error(dx, numerical_gradient(scalar, x64, eps))
    analytic = dict(analytic_model.named_parameters())
    for name, p in base.named_parameters():

        def of_param(value: np.ndarray, p=p) -> float:
            saved = p.data
            p.data = value
            try:
                return scalar(x64)
            finally:
                p.data = saved

        report.errors[name] = rel_error(analytic[name].grad, numerical_gradient(of_param, p.data, eps))
    return report
