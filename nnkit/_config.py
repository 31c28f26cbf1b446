"""Package-wide defaults: the floating-point dtype and the default random generator.

nnkit never touches NumPy's global random state. Every random component takes an
``rng`` argument (a :class:`numpy.random.Generator`, an integer seed, or ``None``);
``None`` means nnkit's own default generator, which :func:`manual_seed` reseeds.
"""

from __future__ import annotations

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
