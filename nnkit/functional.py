"""Activation functions and their derivatives as plain NumPy functions.

Each ``f`` has a partner ``f_derivative(x)`` that returns ``df/dx`` element-wise,
evaluated at the *input* ``x`` (softmax, whose derivative is a Jacobian, has
``softmax_backward`` instead). All of them are stable at extreme inputs: no overflow
warnings and no NaN at ``x = ±1e4``. At a kink they use PyTorch's convention: the
derivative of ReLU at 0 is 0, of Leaky ReLU is ``negative_slope``, of ELU is ``alpha``.
Floating-point input keeps its dtype; integer or boolean input becomes the default dtype
(float32 unless changed), as everywhere in nnkit.

>>> import numpy as np
>>> from nnkit import functional as F
>>> x = np.array([-1e4, 0.0, 1e4])
>>> F.sigmoid(x)
array([0. , 0.5, 1. ])
>>> F.sigmoid_derivative(np.array([0.0]))
array([0.25])
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ._config import RngLike, as_float_array, as_rng, check_real, get_default_dtype


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic sigmoid ``σ(x) = 1 / (1 + exp(-x))``, computed without overflow.

    For ``x >= 0`` it uses ``1 / (1 + e^-x)``, for ``x < 0`` the equal form
    ``e^x / (1 + e^x)``, so ``exp`` only ever sees non-positive arguments.

    >>> sigmoid(np.array([0.0, 2.0]))
    array([0.5       , 0.88079708])
    """
    x = as_float_array(x, "sigmoid")
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
    return np.tanh(as_float_array(x, "tanh"))


def tanh_derivative(x: np.ndarray) -> np.ndarray:
    """``tanh'(x) = 1 - tanh(x)^2``; its maximum is 1, at ``x = 0``.

    >>> tanh_derivative(np.array([0.0]))
    array([1.])
    """
    t = np.tanh(as_float_array(x, "tanh_derivative"))
    return 1 - t * t


def relu(x: np.ndarray) -> np.ndarray:
    """Rectified linear unit ``max(0, x)``.

    >>> relu(np.array([-2.0, 0.0, 3.0]))
    array([0., 0., 3.])
    """
    x = as_float_array(x, "relu")
    return np.maximum(x, 0).astype(_float_type(x), copy=False)


def relu_derivative(x: np.ndarray) -> np.ndarray:
    """``1`` where ``x > 0``, else ``0`` (0 at the kink, as in PyTorch).

    >>> relu_derivative(np.array([-2.0, 0.0, 3.0]))
    array([0., 0., 1.])
    """
    x = as_float_array(x, "relu_derivative")
    return (x > 0).astype(_float_type(x))


def leaky_relu(x: np.ndarray, negative_slope: float = 0.01) -> np.ndarray:
    """``x`` where ``x > 0``, else ``negative_slope * x``.

    >>> leaky_relu(np.array([-2.0, 3.0]), 0.1)
    array([-0.2,  3. ])
    """
    x = as_float_array(x, "leaky_relu")
    return np.where(x > 0, x, x * negative_slope).astype(_float_type(x), copy=False)


def leaky_relu_derivative(x: np.ndarray, negative_slope: float = 0.01) -> np.ndarray:
    """``1`` where ``x > 0``, else ``negative_slope``.

    >>> leaky_relu_derivative(np.array([-2.0, 3.0]), 0.1)
    array([0.1, 1. ])
    """
    x = as_float_array(x, "leaky_relu_derivative")
    return np.where(x > 0, 1.0, negative_slope).astype(_float_type(x), copy=False)


def elu(x: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """Exponential linear unit: ``x`` where ``x > 0``, else ``alpha (e^x - 1)``.

    ``expm1`` only sees non-positive arguments, so large ``x`` cannot overflow.

    >>> elu(np.array([-1e4, 0.0, 2.0]))
    array([-1.,  0.,  2.])
    """
    x = as_float_array(x, "elu")
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0))).astype(_float_type(x), copy=False)


def elu_derivative(x: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """``1`` where ``x > 0``, else ``alpha e^x``.

    >>> elu_derivative(np.array([-1e4, 0.0, 2.0]))
    array([0., 1., 1.])
    """
    x = as_float_array(x, "elu_derivative")
    return np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0))).astype(_float_type(x), copy=False)


def softmax(x: np.ndarray, dim: int = -1) -> np.ndarray:
    """``softmax(x)_i = exp(x_i - m) / Σ_j exp(x_j - m)`` along ``dim``, with ``m = max_j x_j``.

    Subtracting the maximum changes nothing mathematically but keeps ``exp`` from
    overflowing, so huge logits are fine.

    >>> softmax(np.array([1000.0, 1000.0]))
    array([0.5, 0.5])
    """
    x = as_float_array(x, "softmax")
    z = x - x.max(axis=dim, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=dim, keepdims=True)


def log_softmax(x: np.ndarray, dim: int = -1) -> np.ndarray:
    """``log softmax(x)_i = (x_i - m) - log Σ_j exp(x_j - m)``, stable for huge logits.

    >>> log_softmax(np.array([0.0, 0.0]))
    array([-0.69314718, -0.69314718])
    """
    x = as_float_array(x, "log_softmax")
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
    """The dtype of the result: ``x``'s if it is floating point, else the default dtype (nnkit's rule)."""
    return x.dtype if x.dtype.kind == "f" else get_default_dtype()


# --- smooth activations: GELU, SiLU (swish), Softplus ----------------------------------------
# These compute in the input's floating-point dtype (integers become the default dtype, as
# everywhere in nnkit), except GELU's exact form, whose normal CDF goes through float64.

_SQRT_HALF = math.sqrt(0.5)  # 1/√2
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)  # the standard normal density at 0
_INV_SQRT_PI = 1.0 / math.sqrt(math.pi)  # erfc(y) ≈ e^(-y²) / (y √π) for large y
_GELU_TANH_SCALE = math.sqrt(2.0 / math.pi)  # √(2/π), in tanh(√(2/π)(x + 0.044715 x³))
_GELU_TANH_CUBIC = 0.044715
_GELU_APPROXIMATIONS = ("none", "tanh")


# --- erfc, vectorized (NumPy has no erf) ------------------------------------------------------
# W. J. Cody, "Rational Chebyshev approximations for the error function", Math. Comp. 23 (1969),
# 631-638, with the coefficients of his SPECFUN routine CALERF (Argonne, 1990). Each range has a
# ratio P/Q of two polynomials of the same degree. The tables hold their coefficients from the
# highest power down, one row per power, (P's, Q's) side by side; every Q is monic.


def _rational_coefficients(p: list[float], q: list[float]) -> np.ndarray:
    """P's and Q's coefficients (highest power first) as a ``(degree + 1, 2, 1)`` array for :func:`_rational`."""
    return np.array([p, q], dtype=np.float64).T[:, :, np.newaxis]


# erf(x) ≈ x P(x²) / Q(x²) for |x| ≤ 0.46875, and erfc = 1 - erf there
_ERFC_SMALL = _rational_coefficients(
    [1.85777706184603153e-1, 3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
     3.20937758913846947e03],
    [1.0, 2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03, 2.84423683343917062e03],
)  # fmt: skip
# erfc(y) ≈ e^(-y²) P(y) / Q(y) for 0.46875 < y ≤ 4
_ERFC_MIDDLE = _rational_coefficients(
    [2.15311535474403846e-8, 5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
     2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03, 2.05107837782607147e03,
     1.23033935479799725e03],
    [1.0, 1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02, 1.62138957456669019e03,
     3.29079923573345963e03, 4.36261909014324716e03, 3.43936767414372164e03, 1.23033935480374942e03],
)  # fmt: skip
# erfc(y) ≈ e^(-y²) / y · (1/√π - z P(z) / Q(z)) with z = 1/y², for y > 4
_ERFC_TAIL = _rational_coefficients(
    [1.63153871373020978e-2, 3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
     1.60837851487422766e-2, 6.58749161529837803e-4],
    [1.0, 2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1, 6.05183413124413191e-2,
     2.33520497626869185e-3],
)  # fmt: skip
_ERFC_SMALL_MAX = 0.46875  # Cody's boundaries between the three ranges
_ERFC_MIDDLE_MAX = 4.0
_ERFC_ZERO_FROM = 28.0  # erfc(y) rounds to 0 in float64 from y ≈ 27.23 on
_BLOCK_SIZE = 8192  # elements per block in _blockwise: a block's temporaries (64 kB each) stay in the CPU cache
_EXP_SPLIT = 4096.0  # _exp_minus_square splits y at multiples of 1/4096


def _rational(t: np.ndarray, coefficients: np.ndarray) -> np.ndarray:
    """``P(t) / Q(t)`` by Horner's rule, evaluating P and Q together as the two rows of one ``(2, n)`` array."""
    pq = coefficients[0] * t
    for c in coefficients[1:-1]:
        pq += c
        pq *= t
    pq += coefficients[-1]
    p, q = pq
    return np.divide(p, q, out=p)


def _select(condition: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``np.where(condition, a, b)`` for finite ``a`` and ``b``, written into ``a``.

    Computed as ``a m + b (1 - m)`` with ``m`` 1.0 or 0.0, which is exact (one term is ``a`` or ``b``
    itself, the other 0). ``np.where`` branches on every element, and where the condition changes
    at random (which range each input falls in) that took about 3 ns per element here, against 1 ns.
    """
    m = condition.astype(np.float64)
    a *= m
    m -= 1.0
    m *= b  # -b where the condition is false, else 0
    a -= m
    return a


def _exp_minus_square(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``e^(-y²)`` for ``0 ≤ y ≤ 28``, as two factors whose product it is: ``(e^(-h²), e^(-(y² - h²)))``.

    Rounding ``y²`` first would put an error of up to half an ulp of ``y²`` into the exponent: a
    relative error of up to 6e-14 in ``e^(-y²)`` near ``y = 28``. Cody's remedy: ``h`` is ``y`` cut
    down to a multiple of a power of 2, so that ``h²`` is exact, and ``y² - h² = (y - h)(y + h)`` is
    small, so its rounding error is negligible. Cody cuts to multiples of 1/16; at 1/4096, ``h``
    has at most 17 significant bits (``h²`` still exact) and ``y² - h² < 0.014``, which lowers the
    tail's error from about 3 to 2 units of float64's epsilon.
    """
    h = np.trunc(y * _EXP_SPLIT)
    h /= _EXP_SPLIT
    rest = h - y  # -(y - h), exact
    rest *= y + h
    h *= -h
    return np.exp(h, out=h), np.exp(rest, out=rest)


def _erfc_float64(x: np.ndarray) -> np.ndarray:
    """erfc of a float64 array (for long arrays, call it through ``_blockwise``); see ``_erfc``.

    Every element goes through the first two ranges (and the third if any element needs it), and
    :func:`_select` then picks each element's range: branch-free, so NumPy's loops stay vectorized.
    """
    x = np.clip(x, -_ERFC_ZERO_FROM, _ERFC_ZERO_FROM)  # erfc(±28) is 0 and 2, as at ±inf; NaN stays NaN
    y = np.abs(x)
    small = _rational(y * y, _ERFC_SMALL)
    small *= x
    small = np.subtract(1.0, small, out=small)  # 1 - erf(x) ≥ 0.5 here: nothing cancels
    big = _rational(y, _ERFC_MIDDLE)  # e^(y²) erfc(y)
    tail = y > _ERFC_MIDDLE_MAX
    if tail.any():
        y_tail = np.maximum(y, _ERFC_MIDDLE_MAX)  # keeps z finite where y is small (those elements are not used)
        z = np.reciprocal(y_tail * y_tail)
        r = _rational(z, _ERFC_TAIL)
        r *= z
        r = np.subtract(_INV_SQRT_PI, r, out=r)
        r /= y_tail
        big = _select(tail, r, big)
    exp_h, exp_rest = _exp_minus_square(y)
    big *= exp_rest
    big *= exp_h  # the one factor that can be subnormal, multiplied in last
    big = _select(x < 0, 2.0 - big, big)  # erfc(-y) = 2 - erfc(y)
    return _select(y <= _ERFC_SMALL_MAX, small, big)


def _blockwise(fn: Callable[[np.ndarray], np.ndarray], x: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """``fn`` applied to ``x``'s elements as float64, in blocks of 8,192; the result has ``x``'s shape and ``dtype``.

    A loop over blocks, not over elements: each block is one vectorized call. erfc takes about 60
    array operations, and on a whole (1024, 1024) array each of them would stream a fresh 8 MB
    temporary through main memory; a block's temporaries stay in the cache, which made erfc about
    three times as fast here.
    """
    out = np.empty(x.shape, dtype=dtype)
    flat_x, flat_out = x.reshape(-1), out.reshape(-1)
    with np.errstate(under="ignore"):  # e^(-y²) is subnormal or 0 from y ≈ 26.6 on: that is its value
        for start in range(0, flat_x.size, _BLOCK_SIZE):
            block = flat_x[start : start + _BLOCK_SIZE]
            flat_out[start : start + _BLOCK_SIZE] = fn(block.astype(np.float64))
    return out


def _erfc(x: np.ndarray) -> np.ndarray:
    """The complementary error function ``erfc(x) = (2/√π) ∫_x^∞ e^(-t²) dt``, element-wise.

    NumPy has no erf, so this is W. J. Cody's algorithm (W. J. Cody, "Rational Chebyshev
    approximations for the error function", Math. Comp. 23 (1969) 631-638, with the coefficients
    of his SPECFUN routine CALERF). It has three ranges of ``y = |x|``: ``1 - x P(x²)/Q(x²)`` for
    ``y ≤ 0.46875``, ``e^(-y²) P(y)/Q(y)`` for ``y ≤ 4``, and ``e^(-y²)/y · (1/√π - z P(z)/Q(z))``
    with ``z = 1/y²`` beyond. ``e^(-y²)`` is computed without rounding ``y²`` (see
    :func:`_exp_minus_square`), and ``erfc(-y) = 2 - erfc(y)``.

    It computes in float64, within 1e-15 relative error of ``math.erfc`` (which is itself off by
    up to about 2 units of float64's epsilon). Where the result is subnormal (``26.55 < x < 27.23``)
    it is within two subnormal steps (2 · 4.9e-324); beyond, it is 0. It is 2 for ``x < -5.87``,
    and ``nan`` at ``nan``. No input raises a floating-point warning. Floating-point input keeps
    its dtype; integers become the default one.

    >>> _erfc(np.array([-np.inf, -1.0, 0.0, 0.5, 10.0, np.inf]))
    array([2.00000000e+00, 1.84270079e+00, 1.00000000e+00, 4.79500122e-01,
           2.08848758e-45, 0.00000000e+00])
    """
    x = as_float_array(x, "erfc")
    return _blockwise(_erfc_float64, x, x.dtype)


def _normal_cdf(x: np.ndarray) -> np.ndarray:
    """``Φ(x) = ½ erfc(-x/√2)`` of a float64 array: erfc does not cancel where Φ is tiny (x ≪ 0)."""
    cdf = _erfc_float64(x * -_SQRT_HALF)
    cdf *= 0.5
    return cdf


def _gelu_exact(x: np.ndarray) -> np.ndarray:
    """``x Φ(x)`` of a float64 array."""
    return x * _normal_cdf(x)


def _gelu_exact_derivative(x: np.ndarray) -> np.ndarray:
    """``Φ(x) + x φ(x)`` of a float64 array."""
    x = np.clip(x, -40.0, 40.0)  # beyond ±40, x φ(x) underflows to 0 and Φ is 0 or 1: no x² overflow
    x_pdf = x * x
    x_pdf *= -0.5
    x_pdf = np.exp(x_pdf, out=x_pdf)
    x_pdf *= x
    x_pdf *= _INV_SQRT_2PI
    x_pdf += _normal_cdf(x)
    return x_pdf


def _gelu_approximate(approximate: object, where: str) -> str:
    """``approximate`` if it is ``'none'`` or ``'tanh'``, else raise naming ``where``."""
    if not isinstance(approximate, str) or approximate not in _GELU_APPROXIMATIONS:
        raise ValueError(f"{where} expected approximate to be 'none' or 'tanh', got {approximate!r}")
    return approximate


def _gelu_tanh_inner(x: np.ndarray) -> np.ndarray:
    """``u = √(2/π) x (1 + 0.044715 x²)``, with ``x`` clipped to ±50 so that nothing overflows.

    From ``|x| = 50`` on, ``|2u| > 9000``: ``σ(2u)`` is exactly 1 or 0 and ``σ(2u) σ(-2u)``
    exactly 0 in every float dtype (float16 too), so the clip changes no result.
    """
    x = np.clip(x, -50, 50)
    return _GELU_TANH_SCALE * x * (1 + _GELU_TANH_CUBIC * (x * x))


def gelu(x: np.ndarray, approximate: str = "none") -> np.ndarray:
    """Gaussian error linear unit ``GELU(x) = x Φ(x)``, ``Φ`` the standard normal CDF.

    ``Φ(x) = ½ (1 + erf(x/√2))``, computed as ``½ erfc(-x/√2)`` so that it stays accurate
    where it is tiny. With ``approximate='tanh'`` (Hendrycks and Gimpel's approximation, used by GPT-2):
    ``½ x (1 + tanh(u))`` with ``u = √(2/π) (x + 0.044715 x³)``, computed as ``x σ(2u)``
    (the same function, as ``½ (1 + tanh u) = σ(2u)``, without the cancellation of ``1 + tanh u``
    for ``x < 0``). Both agree with ``torch.nn.functional.gelu`` to rounding, and are stable at any ``x``.
    NumPy has no erf: the exact form computes erfc in float64 with W. J. Cody's rational
    approximations (see ``_erfc``), about 60 NumPy operations on blocks of 8,192 elements.
    That costs somewhat more than the tanh form, and both cost far more than ReLU.

    >>> gelu(np.array([-1.0, 0.0, 1.0, 1e4]))
    array([-1.58655254e-01,  0.00000000e+00,  8.41344746e-01,  1.00000000e+04])
    >>> gelu(np.array([1.0]), approximate="tanh")
    array([0.84119199])
    """
    approximate = _gelu_approximate(approximate, "gelu")
    x = as_float_array(x, "gelu")
    if approximate == "tanh":
        return x * sigmoid(2 * _gelu_tanh_inner(x))
    return _blockwise(_gelu_exact, x, x.dtype)  # in float64, rounded once to x's dtype


def gelu_derivative(x: np.ndarray, approximate: str = "none") -> np.ndarray:
    """``GELU'(x) = Φ(x) + x φ(x)``, ``φ(x) = e^(-x²/2) / √(2π)`` the standard normal density.

    With ``approximate='tanh'``: ``s + 2 x s (1 - s) u'``, with ``s = σ(2u)``, ``1 - s = σ(-2u)`` and
    ``u' = √(2/π) (1 + 3 · 0.044715 x²)`` (the same as PyTorch's
    ``½ (1 + tanh u) + ½ x (1 - tanh² u) u'``). It dips below 0 for ``x < 0`` (minimum about
    -0.13, at ``x = -√2``) and exceeds 1 for ``x > 0`` (maximum about 1.13, at ``x = √2``).

    >>> gelu_derivative(np.array([-1e4, 0.0, 1e4]))
    array([0. , 0.5, 1. ])
    """
    approximate = _gelu_approximate(approximate, "gelu_derivative")
    x = as_float_array(x, "gelu_derivative")
    if approximate == "tanh":
        u = _gelu_tanh_inner(x)
        s, s_minus = sigmoid(2 * u), sigmoid(-2 * u)  # σ(-2u) = 1 - σ(2u), without the cancellation
        xc = np.clip(x, -50, 50)  # beyond ±50, s (1 - s) is exactly 0
        du = _GELU_TANH_SCALE * (1 + 3 * _GELU_TANH_CUBIC * (xc * xc))
        return s + 2 * xc * s * s_minus * du
    return _blockwise(_gelu_exact_derivative, x, x.dtype)


def silu(x: np.ndarray) -> np.ndarray:
    """Sigmoid linear unit, also called swish: ``SiLU(x) = x σ(x)``.

    Stable at any ``x`` because :func:`sigmoid` is: ``σ(-1e4)`` is exactly 0, not an overflow.

    >>> silu(np.array([-1.0, 0.0, 1.0, 1e4]))
    array([-2.68941421e-01,  0.00000000e+00,  7.31058579e-01,  1.00000000e+04])
    """
    x = as_float_array(x, "silu")
    return x * sigmoid(x)


def silu_derivative(x: np.ndarray) -> np.ndarray:
    """``SiLU'(x) = σ(x) + x σ(x)(1 - σ(x)) = σ(x) (1 + x (1 - σ(x)))``.

    Like GELU's, it dips below 0 for ``x < 0`` (minimum about -0.1 near ``x = -2.4``) and exceeds
    1 for ``x > 0`` (maximum about 1.1 near ``x = 2.4``).

    >>> silu_derivative(np.array([0.0, 1e4]))
    array([0.5, 1. ])
    """
    x = as_float_array(x, "silu_derivative")
    return sigmoid(x) * (1 + x * sigmoid(-x))  # σ(-x) = 1 - σ(x), without the cancellation for x ≫ 0


def _softplus_args(beta: float, threshold: float, where: str) -> tuple[float, float]:
    beta = check_real(beta, "beta", where, 0.0, low_open=True)
    threshold = check_real(threshold, "threshold", where, allow_inf=True)
    return beta, threshold


def softplus(x: np.ndarray, beta: float = 1.0, threshold: float = 20.0) -> np.ndarray:
    """``softplus(x) = (1/β) log(1 + e^(βx))``, a smooth ``max(0, x)``; ``x`` itself where ``βx > threshold``.

    PyTorch's semantics: above the threshold the function reverts to the identity (there
    ``softplus(x) - x < e^(-threshold)/β``). Below it, the value is computed as
    ``max(x, 0) + log1p(e^(-|βx|)) / β``, the same quantity, whose ``exp`` only sees numbers
    ``≤ 0``, so no ``x`` overflows, whatever the threshold. ``beta`` must be ``> 0``
    (PyTorch also accepts a negative one, which mirrors the curve); ``threshold`` may be ``inf``.

    >>> softplus(np.array([-1e4, 0.0, 1e4]))
    array([0.00000000e+00, 6.93147181e-01, 1.00000000e+04])
    >>> softplus(np.array([1.0]), beta=2.0)
    array([1.06346401])
    """
    beta, threshold = _softplus_args(beta, threshold, "softplus")
    x = as_float_array(x, "softplus")
    with np.errstate(over="ignore"):  # β x = ±inf is right: it is above the threshold, or log1p(e^-inf) = 0
        z = x * beta
    smooth = np.maximum(x, 0) + np.log1p(np.exp(-np.abs(z))) / beta
    return np.where(z > threshold, x, smooth).astype(x.dtype, copy=False)


def softplus_derivative(x: np.ndarray, beta: float = 1.0, threshold: float = 20.0) -> np.ndarray:
    """``softplus'(x) = σ(βx)`` where ``βx <= threshold``, else ``1`` (the identity's slope, as in PyTorch).

    >>> softplus_derivative(np.array([-1e4, 0.0, 1e4]))
    array([0. , 0.5, 1. ])
    """
    beta, threshold = _softplus_args(beta, threshold, "softplus_derivative")
    x = as_float_array(x, "softplus_derivative")
    with np.errstate(over="ignore"):
        z = x * beta
    return np.where(z > threshold, 1, sigmoid(z)).astype(x.dtype, copy=False)


def _attention_weights(scores: np.ndarray, *, zero_empty_rows: bool) -> np.ndarray:
    """Softmax of attention ``scores`` over the last axis, where masked entries are ``-inf``.

    A row with every entry masked has no softmax: ``zero_empty_rows`` gives it weights 0 (as
    ``torch.nn.functional.scaled_dot_product_attention``), otherwise NaN (as ``torch.nn.MultiheadAttention``).
    """
    top = scores.max(axis=-1, keepdims=True)
    empty = np.isneginf(top)
    with np.errstate(invalid="ignore"):  # -inf - (-inf) in an empty row: handled below
        e = np.exp(scores - np.where(empty, 0, top))
    total = e.sum(axis=-1, keepdims=True)
    if not empty.any():
        return e / total
    with np.errstate(invalid="ignore", divide="ignore"):
        weights = e / total
    return np.where(empty, 0 if zero_empty_rows else np.nan, weights).astype(scores.dtype, copy=False)


def _causal_mask(target_length: int, source_length: int) -> np.ndarray:
    """Boolean ``(L, S)``, True where query ``i`` may attend to key ``j``: ``j <= i`` (PyTorch's top-left rule)."""
    return np.tril(np.ones((target_length, source_length), dtype=bool))


def scaled_dot_product_attention(
    query: np.ndarray,
    key: np.ndarray,
    value: np.ndarray,
    attn_mask: np.ndarray | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    *,
    rng: RngLike = None,
) -> np.ndarray:
    """``softmax(Q Kᵀ · scale + M) V``, as ``torch.nn.functional.scaled_dot_product_attention`` (forward only).

    Shapes: ``query (..., L, E)``, ``key (..., S, E)``, ``value (..., S, Ev)`` → ``(..., L, Ev)``; the
    leading dimensions (batch, heads) broadcast. ``scale`` defaults to ``1/√E``: the dot product of two
    vectors of ``E`` independent unit-variance entries has variance ``E``, so dividing by ``√E`` keeps the
    scores at unit scale and the softmax out of saturation.

    **Mask rule (this function's, PyTorch's):** a *boolean* ``attn_mask`` is True where the query
    **may attend** to the key (False entries get score ``-inf``); a *float* mask is **added** to the
    scores. It broadcasts to ``(..., L, S)``. ``is_causal=True`` lets query ``i`` attend to keys
    ``j <= i`` only; it may not be combined with ``attn_mask``. Note that
    :class:`~nnkit.MultiheadAttention` reads a boolean mask the other way round (True = may *not*
    attend), as ``torch.nn.MultiheadAttention`` does. A query whose keys are all masked gets
    weights 0, so its output is 0 (PyTorch's behaviour). ``dropout_p`` drops attention weights with
    that probability (and rescales the rest by ``1/(1 − p)``), drawing from ``rng``.

    The backward pass lives in the modules that use it (:class:`~nnkit.MultiheadAttention`).

    >>> q = k = np.eye(2)
    >>> v = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> scaled_dot_product_attention(q, k, v, scale=100.0).round(3)  # a sharp lookup: each query finds its key
    array([[1., 0.],
           [0., 1.]])
    >>> scaled_dot_product_attention(q, k, v, is_causal=True, scale=0.0)  # uniform over keys j <= i
    array([[1. , 0. ],
           [0.5, 0.5]])
    """
    where = "scaled_dot_product_attention"
    q, k, v = (as_float_array(a, where) for a in (query, key, value))
    if q.ndim < 2 or k.ndim < 2 or v.ndim < 2:
        raise ValueError(
            f"{where} expected query (..., L, E), key (..., S, E) and value (..., S, Ev) with at least 2 "
            f"dimensions, got shapes {q.shape}, {k.shape}, {v.shape}"
        )
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ValueError(
            f"{where} expected query (..., L, E), key (..., S, E) and value (..., S, Ev) with the same E "
            f"and S, got shapes {q.shape}, {k.shape}, {v.shape}"
        )
    dropout_p = check_real(dropout_p, "dropout_p", where, 0.0, 1.0)
    length, source = q.shape[-2], k.shape[-2]
    dt = np.result_type(q, k, v)
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else check_real(scale, "scale", where)
    scores = (q @ np.swapaxes(k, -1, -2)).astype(dt, copy=False) * dt.type(scale)
    if is_causal and attn_mask is not None:
        raise ValueError(f"{where} expected attn_mask or is_causal=True, not both (as PyTorch)")
    mask = _causal_mask(length, source) if is_causal else None if attn_mask is None else np.asarray(attn_mask)
    if mask is not None:
        try:
            np.broadcast_shapes(mask.shape, scores.shape)
        except ValueError:
            raise ValueError(
                f"{where} expected attn_mask broadcastable to the scores' shape {scores.shape} (..., L, S), "
                f"got shape {mask.shape}"
            ) from None
        if mask.dtype == bool:
            scores = np.where(mask, scores, -np.inf)
        elif mask.dtype.kind == "f":
            scores = scores + mask.astype(dt, copy=False)
        else:
            raise TypeError(f"{where} expected a boolean or floating-point attn_mask, got dtype {mask.dtype}")
    weights = _attention_weights(scores, zero_empty_rows=True)
    if dropout_p > 0.0:
        keep = as_rng(rng).random(weights.shape) >= dropout_p
        weights = weights * keep * (0.0 if dropout_p == 1.0 else 1.0 / (1.0 - dropout_p))
    return (weights @ v).astype(dt, copy=False)
