"""Weight initialization, with PyTorch's names and formulas (``torch.nn.init``).

Each function fills a :class:`~nnkit.Parameter` (or a float array) in place, draws
from ``rng`` (a Generator, an int seed, or ``None`` for nnkit's default generator)
and returns its argument. For a weight of shape ``(out_features, in_features)``,
``fan_in = in_features`` and ``fan_out = out_features`` (times the receptive-field
size for convolution kernels).

>>> import numpy as np, nnkit
>>> from nnkit import init
>>> layer = nnkit.Linear(100, 50)
>>> _ = init.kaiming_normal_(layer.weight, nonlinearity="relu", rng=0)
>>> round(float(layer.weight.data.std()), 2)   # gain / sqrt(fan_in) = sqrt(2) / 10
0.14
"""

from __future__ import annotations

import math
from typing import TypeVar

import numpy as np

from ._config import RngLike, as_rng
from .module import Parameter

__all__ = [
    "calculate_gain",
    "constant_",
    "kaiming_normal_",
    "kaiming_uniform_",
    "normal_",
    "ones_",
    "uniform_",
    "xavier_normal_",
    "xavier_uniform_",
    "zeros_",
]

T = TypeVar("T", bound=Parameter | np.ndarray)

_LINEAR_LIKE = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d")


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a non-linearity, as in ``torch.nn.init.calculate_gain``.

    linear, conv and sigmoid: 1; tanh: 5/3; relu: sqrt(2);
    leaky_relu: sqrt(2 / (1 + negative_slope^2)) (slope 0.01 unless ``param``); selu: 3/4.

    >>> calculate_gain("tanh")
    1.6666666666666667
    >>> round(calculate_gain("leaky_relu", 0.2), 4)
    1.3868
    """
    if nonlinearity in _LINEAR_LIKE or nonlinearity == "sigmoid":
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = float(param)
        else:
            raise ValueError(f"calculate_gain expected a number for negative_slope, got {param!r}")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain got an unsupported nonlinearity {nonlinearity!r}")


def _array(tensor: Parameter | np.ndarray, where: str) -> np.ndarray:
    arr = tensor.data if isinstance(tensor, Parameter) else tensor
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"{where} expected a Parameter or a float ndarray, got {type(tensor).__name__}")
    if not np.issubdtype(arr.dtype, np.floating):
        raise TypeError(
            f"{where} expected a Parameter or a float ndarray, got {type(tensor).__name__} of dtype {arr.dtype}"
        )
    return arr


def _calculate_fan_in_and_fan_out(tensor: Parameter | np.ndarray, where: str) -> tuple[int, int]:
    arr = _array(tensor, where)
    if arr.ndim < 2:
        raise ValueError(f"{where} needs at least 2 dimensions to compute fan in and fan out, got shape {arr.shape}")
    receptive = int(np.prod(arr.shape[2:])) if arr.ndim > 2 else 1
    return arr.shape[1] * receptive, arr.shape[0] * receptive


def _fill(tensor: T, values: np.ndarray, where: str) -> T:
    arr = _array(tensor, where)
    arr[...] = values
    return tensor


def uniform_(tensor: T, a: float = 0.0, b: float = 1.0, *, rng: RngLike = None) -> T:
    """Fill with ``U(a, b)``.

    >>> w = uniform_(np.zeros((2, 3)), -0.1, 0.1, rng=0)
    >>> bool((np.abs(w) <= 0.1).all())
    True
    """
    arr = _array(tensor, "uniform_")
    return _fill(tensor, as_rng(rng).uniform(a, b, arr.shape), "uniform_")


def normal_(tensor: T, mean: float = 0.0, std: float = 1.0, *, rng: RngLike = None) -> T:
    """Fill with ``N(mean, std^2)``.

    >>> w = normal_(np.zeros((200, 200)), std=0.5, rng=0)
    >>> round(float(w.std()), 2)
    0.5
    """
    arr = _array(tensor, "normal_")
    return _fill(tensor, as_rng(rng).normal(mean, std, arr.shape), "normal_")


def zeros_(tensor: T) -> T:
    """Fill with zeros.

    >>> zeros_(np.ones(3))
    array([0., 0., 0.])
    """
    return _fill(tensor, np.zeros(()), "zeros_")


def ones_(tensor: T) -> T:
    """Fill with ones.

    >>> ones_(np.zeros(2))
    array([1., 1.])
    """
    return _fill(tensor, np.ones(()), "ones_")


def constant_(tensor: T, val: float) -> T:
    """Fill with ``val``.

    >>> constant_(np.zeros(2), 0.1)
    array([0.1, 0.1])
    """
    return _fill(tensor, np.asarray(val), "constant_")


def xavier_uniform_(tensor: T, gain: float = 1.0, *, rng: RngLike = None) -> T:
    """Glorot uniform: ``U(-a, a)`` with ``a = gain * sqrt(6 / (fan_in + fan_out))``.

    Its variance ``gain^2 * 2 / (fan_in + fan_out)`` keeps activations and gradients at
    a similar scale in both directions (Glorot & Bengio, 2010).

    >>> w = xavier_uniform_(np.zeros((300, 100)), rng=0)    # a = sqrt(6 / 400)
    >>> round(float(np.abs(w).max()), 3)
    0.122
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor, "xavier_uniform_")
    a = gain * math.sqrt(6.0 / max(fan_in + fan_out, 1))  # max: a zero-element tensor has fans 0
    return uniform_(tensor, -a, a, rng=rng)


def xavier_normal_(tensor: T, gain: float = 1.0, *, rng: RngLike = None) -> T:
    """Glorot normal: ``N(0, std^2)`` with ``std = gain * sqrt(2 / (fan_in + fan_out))``.

    >>> w = xavier_normal_(np.zeros((300, 100)), rng=0)     # std = sqrt(2 / 400)
    >>> round(float(w.std()), 3)
    0.071
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor, "xavier_normal_")
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / max(fan_in + fan_out, 1)), rng=rng)


def _kaiming_std(tensor: Parameter | np.ndarray, a: float, mode: str, nonlinearity: str, where: str) -> float:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"{where} expected mode 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor, where)
    fan = fan_in if mode == "fan_in" else fan_out
    # fan is 0 only for a zero-element tensor, which is left as it is (no division by zero)
    return calculate_gain(nonlinearity, a) / math.sqrt(max(fan, 1))


def kaiming_uniform_(
    tensor: T, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", *, rng: RngLike = None
) -> T:
    """He uniform: ``U(-b, b)`` with ``b = gain * sqrt(3 / fan)``, ``gain = calculate_gain(nonlinearity, a)``.

    ``a`` is the negative slope used by ``leaky_relu``; ``mode`` picks ``fan_in``
    (preserves the forward variance) or ``fan_out`` (the backward one) (He et al., 2015).

    >>> w = kaiming_uniform_(np.zeros((50, 200)), nonlinearity="relu", rng=0)  # b = sqrt(6 / 200)
    >>> round(float(np.abs(w).max()), 3)
    0.173
    """
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_uniform_")
    return uniform_(tensor, -bound, bound, rng=rng)


def kaiming_normal_(
    tensor: T, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", *, rng: RngLike = None
) -> T:
    """He normal: ``N(0, std^2)`` with ``std = gain / sqrt(fan)``.

    >>> w = kaiming_normal_(np.zeros((400, 200)), nonlinearity="relu", rng=0)  # std = sqrt(2 / 200)
    >>> round(float(w.std()), 2)
    0.1
    """
    std = _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_normal_")
    return normal_(tensor, 0.0, std, rng=rng)
