"""Activation functions and their derivatives as plain NumPy functions.

Each ``f`` has a partner ``f_derivative(x)`` that returns ``df/dx`` element-wise,
evaluated at the *input* ``x`` (softmax, whose derivative is a Jacobian, has
``softmax_backward`` instead). All of them are stable at extreme inputs: no overflow
warnings and no NaN at ``x = ±1e4``. At a kink they use PyTorch's convention: the
derivative of ReLU at 0 is 0, of Leaky ReLU is ``negative_slope``, of ELU is ``alpha``.

>>> import numpy as np
>>> from nnkit import functional as F
>>> x = np.array([-1e4, 0.0, 1e4])
>>> F.sigmoid(x)
array([0. , 0.5, 1. ])
>>> F.sigmoid_derivative(np.array([0.0]))
array([0.25])
"""

from __future__ import annotations

import numpy as np


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic sigmoid ``σ(x) = 1 / (1 + exp(-x))``, computed without overflow.

    For ``x >= 0`` it uses ``1 / (1 + e^-x)``, for ``x < 0`` the equal form
    ``e^x / (1 + e^x)``, so ``exp`` only ever sees non-positive arguments.

    >>> sigmoid(np.array([0.0, 2.0]))
    array([0.5       , 0.88079708])
    """
    x = np.asarray(x)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(_float_type(x), copy=False)


def sigmoid_derivative(x: np.ndarray) -> np.ndarray:
    """``σ'(x) = σ(x) (1 - σ(x))``; its maximum is 0.25, at ``x = 0``.

    >>> float(sigmoid_derivative(np.array(0.0)))
    0.25
    """
    s = sigmoid(x)
    return s * (1 - s)


def tanh(x: np.ndarray) -> np.ndarray:
    """Hyperbolic tangent ``tanh(x) = (e^x - e^-x) / (e^x + e^-x) = 2σ(2x) - 1``.

    >>> tanh(np.array([0.0, 1e4]))
    array([0., 1.])
    """
    return np.tanh(np.asarray(x))


def tanh_derivative(x: np.ndarray) -> np.ndarray:
    """``tanh'(x) = 1 - tanh(x)^2``; its maximum is 1, at ``x = 0``.

    >>> tanh_derivative(np.array([0.0]))
    array([1.])
    """
    t = np.tanh(np.asarray(x))
    return 1 - t * t


def relu(x: np.ndarray) -> np.ndarray:
    """Rectified linear unit ``max(0, x)``.

    >>> relu(np.array([-2.0, 0.0, 3.0]))
    array([0., 0., 3.])
    """
    x = np.asarray(x)
    return np.maximum(x, 0).astype(_float_type(x), copy=False)


def relu_derivative(x: np.ndarray) -> np.ndarray:
    """``1`` where ``x > 0``, else ``0`` (0 at the kink, as in PyTorch).

    >>> relu_derivative(np.array([-2.0, 0.0, 3.0]))
    array([0., 0., 1.])
    """
    x = np.asarray(x)
    return (x > 0).astype(_float_type(x))


def leaky_relu(x: np.ndarray, negative_slope: float = 0.01) -> np.ndarray:
    """``x`` where ``x > 0``, else ``negative_slope * x``.

    >>> leaky_relu(np.array([-2.0, 3.0]), 0.1)
    array([-0.2,  3. ])
    """
    x = np.asarray(x)
    return np.where(x > 0, x, x * negative_slope).astype(_float_type(x), copy=False)


def leaky_relu_derivative(x: np.ndarray, negative_slope: float = 0.01) -> np.ndarray:
    """``1`` where ``x > 0``, else ``negative_slope``.

    >>> leaky_relu_derivative(np.array([-2.0, 3.0]), 0.1)
    array([0.1, 1. ])
    """
    x = np.asarray(x)
    return np.where(x > 0, 1.0, negative_slope).astype(_float_type(x), copy=False)


def elu(x: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """Exponential linear unit: ``x`` where ``x > 0``, else ``alpha (e^x - 1)``.

    ``expm1`` only sees non-positive arguments, so large ``x`` cannot overflow.

    >>> elu(np.array([-1e4, 0.0, 2.0]))
    array([-1.,  0.,  2.])
    """
    x = np.asarray(x)
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0))).astype(_float_type(x), copy=False)


def elu_derivative(x: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """``1`` where ``x > 0``, else ``alpha e^x``.

    >>> elu_derivative(np.array([-1e4, 0.0, 2.0]))
    array([0., 1., 1.])
    """
    x = np.asarray(x)
    return np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0))).astype(_float_type(x), copy=False)


def softmax(x: np.ndarray, dim: int = -1) -> np.ndarray:
    """``softmax(x)_i = exp(x_i - m) / Σ_j exp(x_j - m)`` along ``dim``, with ``m = max_j x_j``.

    Subtracting the maximum changes nothing mathematically but keeps ``exp`` from
    overflowing, so huge logits are fine.

    >>> softmax(np.array([1000.0, 1000.0]))
    array([0.5, 0.5])
    """
    x = np.asarray(x)
    z = x - x.max(axis=dim, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=dim, keepdims=True)


def log_softmax(x: np.ndarray, dim: int = -1) -> np.ndarray:
    """``log softmax(x)_i = (x_i - m) - log Σ_j exp(x_j - m)``, stable for huge logits.

    >>> log_softmax(np.array([0.0, 0.0]))
    array([-0.69314718, -0.69314718])
    """
    x = np.asarray(x)
    z = x - x.max(axis=dim, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=dim, keepdims=True))


def softmax_backward(s: np.ndarray, grad_output: np.ndarray, dim: int = -1) -> np.ndarray:
    """Vector-Jacobian product of softmax, given its *output* ``s``.

    The Jacobian is ``∂s_i/∂x_j = s_i (δ_ij - s_j)``, so
    ``dx = s * (dy - Σ_j dy_j s_j)``, without forming the Jacobian.

    >>> s = softmax(np.array([0.0, 0.0]))
    >>> softmax_backward(s, np.array([1.0, 0.0]))
    array([ 0.25, -0.25])
    """
    return s * (grad_output - (grad_output * s).sum(axis=dim, keepdims=True))


def _float_type(x: np.ndarray) -> np.dtype:
    """The float dtype of ``x``, or float64 for integer input (as NumPy's ufuncs do)."""
    return x.dtype if np.issubdtype(x.dtype, np.floating) else np.dtype(np.float64)
