"""Gradient clipping, as ``torch.nn.utils.clip_grad_norm_`` and ``clip_grad_value_``.

Call it between ``backward`` and ``optimizer.step()``. It rescales the gradients in place.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from ._config import check_real
from .module import Parameter

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _as_list(parameters: Iterable[Parameter] | Parameter, where: str) -> list[Parameter]:
    params = [parameters] if isinstance(parameters, Parameter) else list(parameters)
    for p in params:
        if not isinstance(p, Parameter):
            raise TypeError(f"{where} expected Parameters, got {type(p).__name__}")
    return params


def clip_grad_norm_(
    parameters: Iterable[Parameter] | Parameter,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> float:
    """Scale all gradients together so that their joint norm is at most ``max_norm``.

    The total norm is ``‖(g_1, ..., g_k)‖_p`` over every element of every gradient (``p =
    norm_type``, ``inf`` for the largest absolute value). When it exceeds ``max_norm``, each
    gradient is multiplied by ``max_norm / (total + 1e-6)``, as in PyTorch, so the direction of
    the step is kept and only its length is capped. Returns the total norm *before* clipping.

    >>> import numpy as np, nnkit
    >>> p = nnkit.Parameter(np.zeros(2))
    >>> p.grad[:] = [3.0, 4.0]
    >>> clip_grad_norm_([p], max_norm=1.0)
    5.0
    >>> p.grad.round(4)
    array([0.6, 0.8])
    """
    params = _as_list(parameters, "clip_grad_norm_")
    max_norm = check_real(max_norm, "max_norm", "clip_grad_norm_", 0.0, allow_inf=True)
    norm_type = check_real(norm_type, "norm_type", "clip_grad_norm_", 0.0, low_open=True, allow_inf=True)
    if not params:
        return 0.0
    with np.errstate(over="ignore", invalid="ignore"):
        if math.isinf(norm_type):
            total = max(float(np.max(np.abs(p.grad))) if p.grad.size else 0.0 for p in params)
        else:
            parts = [float(np.sum(np.abs(p.grad.astype(np.float64)) ** norm_type)) for p in params]
            total = float(sum(parts) ** (1.0 / norm_type))
    if not math.isfinite(total):
        if error_if_nonfinite:
            raise RuntimeError(
                f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is {total}; "
                "set error_if_nonfinite=False to clip anyway"
            )
    coef = max_norm / (total + 1e-6)
    if coef < 1:
        for p in params:
            p.grad *= p.grad.dtype.type(coef)
    return total


def clip_grad_value_(parameters: Iterable[Parameter] | Parameter, clip_value: float) -> None:
    """Clip every gradient element to ``[-clip_value, clip_value]`` in place.

    >>> import numpy as np, nnkit
    >>> p = nnkit.Parameter(np.zeros(3))
    >>> p.grad[:] = [-5.0, 0.5, 2.0]
    >>> clip_grad_value_([p], 1.0); p.grad
    array([-1. ,  0.5,  1. ])
    """
    clip_value = check_real(clip_value, "clip_value", "clip_grad_value_", 0.0, allow_inf=True)
    for p in _as_list(parameters, "clip_grad_value_"):
        np.clip(p.grad, -clip_value, clip_value, out=p.grad)
