"""Package-wide defaults: the floating-point dtype and the default random generator.

nnkit never touches NumPy's global random state. Every random component takes an
``rng`` argument (a :class:`numpy.random.Generator`, an integer seed, or ``None``);
``None`` means nnkit's own default generator, which :func:`manual_seed` reseeds.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

RngLike = np.random.Generator | int | None
DTypeLike = np.dtype | type | str | None

_FLOAT_DTYPES = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))

_default_dtype = np.dtype(np.float32)
_default_generator = np.random.default_rng()


def set_default_dtype(dtype: DTypeLike) -> None:
    """Set the floating-point dtype that new parameters and data sets use.

    The default is float32, as in PyTorch.

    >>> import numpy as np, nnkit
    >>> nnkit.set_default_dtype(np.float64)
    >>> nnkit.Linear(2, 3).weight.dtype
    dtype('float64')
    >>> nnkit.set_default_dtype(np.float32)
    """
    global _default_dtype
    _default_dtype = as_float_dtype(dtype, "set_default_dtype")


def get_default_dtype() -> np.dtype:
    """Return the current default floating-point dtype (float32 unless changed).

    >>> import nnkit
    >>> nnkit.get_default_dtype()
    dtype('float32')
    """
    return _default_dtype


def as_float_dtype(dtype: DTypeLike, where: str = "dtype") -> np.dtype:
    """Resolve ``dtype`` (``None`` means the default) and check that it is a float type."""
    if dtype is None:
        return _default_dtype
    resolved = np.dtype(dtype)
    if resolved not in _FLOAT_DTYPES:
        raise TypeError(f"{where} expected a floating-point dtype (float16, float32 or float64), got {resolved}")
    return resolved


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed nnkit's default generator, which every ``rng=None`` falls back to.

    Components that were built before the call follow the new seed too, because
    they hold the same generator object. NumPy's global random state is untouched.

    >>> import nnkit
    >>> _ = nnkit.manual_seed(0); a = nnkit.Linear(2, 2).weight.data.copy()
    >>> _ = nnkit.manual_seed(0); b = nnkit.Linear(2, 2).weight.data.copy()
    >>> bool((a == b).all())
    True
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"manual_seed expected an integer seed, got {type(seed).__name__}")
    _default_generator.bit_generator.state = np.random.PCG64(int(seed)).state
    return _default_generator


def default_generator() -> np.random.Generator:
    """Return nnkit's default generator (the one that :func:`manual_seed` reseeds)."""
    return _default_generator


def as_rng(rng: RngLike) -> np.random.Generator:
    """Turn ``rng`` into a Generator: ``None`` gives the default generator, an int a new seeded one."""
    if rng is None:
        return _default_generator
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(f"rng expected a numpy.random.Generator, an int seed or None, got {type(rng).__name__}")


# --- argument checks shared by the package ---------------------------------------------------
# Each names the function or class (``where``), the argument, what it expected and what it got,
# so that a wrong argument never surfaces as a raw TypeError or ZeroDivisionError from inside.


def _got(value: Any) -> str:
    return f"{value!r} ({type(value).__name__})"


def check_int(value: Any, name: str, where: str, minimum: int | None = None) -> int:
    """Return ``value`` as an ``int``, or raise: ``TypeError`` if it is not an integer (a float,
    a string or a bool), ``ValueError`` if it is below ``minimum``.

    >>> check_int(3, "epochs", "fit", minimum=0)
    3
    >>> check_int(2.5, "epochs", "fit", minimum=0)
    Traceback (most recent call last):
        ...
    TypeError: fit expected epochs to be an integer >= 0, got 2.5 (float)
    """
    bound = "" if minimum is None else f" >= {minimum}"
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{where} expected {name} to be an integer{bound}, got {_got(value)}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{where} expected {name} to be an integer{bound}, got {value}")
    return int(value)


def check_real(
    value: Any,
    name: str,
    where: str,
    low: float = -math.inf,
    high: float = math.inf,
    *,
    low_open: bool = False,
    high_open: bool = False,
    allow_inf: bool = False,
) -> float:
    """Return ``value`` as a ``float``, or raise: ``TypeError`` if it is not a real number (a
    string, a bool, an array), ``ValueError`` if it is NaN, infinite (unless ``allow_inf``) or
    outside ``[low, high]`` (``low_open``/``high_open`` exclude an end).

    >>> check_real(0.5, "p", "Dropout", 0.0, 1.0)
    0.5
    >>> check_real("0.5", "p", "Dropout", 0.0, 1.0)
    Traceback (most recent call last):
        ...
    TypeError: Dropout expected p to be a real number in [0, 1], got '0.5' (str)
    >>> check_real(float("nan"), "lr", "Adam", 0.0)
    Traceback (most recent call last):
        ...
    ValueError: Adam expected lr to be a finite real number >= 0, got nan
    """
    bounded = low > -math.inf and high < math.inf
    kind = "real number" if allow_inf or bounded else "finite real number"
    if bounded:
        span = f" in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    elif low > -math.inf:
        span = f" {'>' if low_open else '>='} {low:g}"
    elif high < math.inf:
        span = f" {'<' if high_open else '<='} {high:g}"
    else:
        span = ""
    expected = f"{where} expected {name} to be a {kind}{span}"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{expected}, got {_got(value)}")
    x = float(value)
    below = x <= low if low_open else x < low
    above = x >= high if high_open else x > high
    if math.isnan(x) or (math.isinf(x) and not allow_inf) or below or above:
        raise ValueError(f"{expected}, got {x}")
    return x


def as_float_array(x: Any, where: str) -> np.ndarray:
    """nnkit's one dtype rule for input data: floating-point input keeps its dtype; integer or
    boolean input becomes the default dtype (:func:`get_default_dtype`, float32 unless changed),
    as ``torch.sigmoid`` does with an integer tensor. Anything else (strings, objects, complex
    numbers) raises ``TypeError`` naming ``where``.

    >>> as_float_array([1, 2], "ReLU").dtype
    dtype('float32')
    >>> as_float_array(np.zeros(2), "ReLU").dtype
    dtype('float64')
    """
    array = np.asarray(x)
    if array.dtype.kind == "f":
        return array
    if array.dtype.kind in "biu":
        return array.astype(_default_dtype)
    raise TypeError(f"{where} expected a real-valued numeric array, got dtype {array.dtype}")
