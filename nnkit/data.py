"""Data sets and data utilities: toy sets, the UCI digits, splitting, scaling, mini-batches.

Every random function takes ``rng`` (a :class:`numpy.random.Generator`, an int seed, or
``None`` for nnkit's default generator); NumPy's global random state is never touched.
Features come back in the default float dtype (float32 unless changed) and class labels
as int64, the dtypes that :class:`nnkit.CrossEntropyLoss` expects.

Synthetic classification sets, ``X (N, 2)`` and ``y (N,)``: :func:`make_xor`,
:func:`make_moons`, :func:`make_circles`, :func:`make_spirals`, :func:`make_blobs`.
Regression: :func:`make_sine`. Real data, shipped inside the package: :func:`load_digits`
(the UCI digits, 8×8 images) and :func:`load_mnist1d` (MNIST-1D, 1-D signals of length 40);
for sequences, :func:`load_names` (32,033 given names, split for language models),
:func:`load_shakespeare` (1.1 million characters of Shakespeare's plays),
:func:`load_weather` (daily Seattle weather, 2012–2015) and :func:`load_stocks` (monthly prices
of five stocks, 2000–2010).
Utilities: :func:`encode_names` (names as a language model's inputs and targets),
:func:`train_test_split`, :func:`one_hot`, :class:`Standardizer`, :func:`batches`.

>>> from nnkit import data
>>> X, y = data.make_moons(100, rng=0)
>>> X_train, X_test, y_train, y_test = data.train_test_split(X, y, test_size=0.2, rng=0)
>>> scaler = data.Standardizer().fit(X_train)
>>> [xb.shape for xb, yb in data.batches(scaler.transform(X_train), y_train, 32, rng=0)]
[(32, 2), (32, 2), (16, 2)]
"""

from __future__ import annotations

import gzip
import hashlib
import io
import math
from collections.abc import Iterator
from importlib import resources

import numpy as np

from ._config import DTypeLike, RngLike, as_float_dtype, as_rng

__all__ = [
    "Standardizer",
    "batches",
    "encode_names",
    "load_digits",
    "load_mnist1d",
    "load_names",
    "load_shakespeare",
    "load_stocks",
    "load_weather",
    "make_blobs",
    "make_circles",
    "make_moons",
    "make_sine",
    "make_spirals",
    "make_xor",
    "one_hot",
    "train_test_split",
]

# SHA-256 of nnkit/_data/digits.npz, as written by tools/make_digits_npz.py.
_DIGITS_FILE = "digits.npz"
_DIGITS_SHA256 = "07101cafabf339d548f995317f7eea3444026ee1274127968dffdc58553264c9"

# SHA-256 of nnkit/_data/mnist1d.npz, as written by tools/make_mnist1d_npz.py.
_MNIST1D_FILE = "mnist1d.npz"
_MNIST1D_SHA256 = "35b05e944792418ea99f4cfbf632ba6bd3e439018f5de42317f9c8e3b9400471"

# SHA-256 of nnkit/_data/names.txt.gz, as written by tools/make_text_data.py.
_NAMES_FILE = "names.txt.gz"
_NAMES_SHA256 = "113559b2b76f5ecfeeb9d5f9ff2e80a1e9c4c6565906ea4500a597895c72663b"

# The vocabulary of encode_names: "." (start and end of a name) then the letters.
NAMES_VOCAB = ".abcdefghijklmnopqrstuvwxyz"

# SHA-256 of nnkit/_data/shakespeare.txt.gz, as written by tools/make_shakespeare_data.py.
_SHAKESPEARE_FILE = "shakespeare.txt.gz"
_SHAKESPEARE_SHA256 = "13125fe8f49092165d7d489e3944db52d1ba546e64a60080cc9523bcd0c5e46a"

# SHA-256 of nnkit/_data/weather.npz and stocks.npz, as written by tools/make_vega_data.py.
_WEATHER_FILE = "weather.npz"
_WEATHER_SHA256 = "2efc4ddfe13f2d208a5b4f08192ad4e55fd75b458b446f4529217cf08e2dbca2"
_STOCKS_FILE = "stocks.npz"
_STOCKS_SHA256 = "c1fb716c344d134a4e062116f323ba8319e18757759a3924c7c4f03ce2446262"


# --------------------------------------------------------------------------- checks


def _check_int(where: str, name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{where} expected an integer {name} >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{where} expected {name} >= {minimum}, got {value}")
    return int(value)


def _as_float(where: str, value: object, expected: str) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{where} expected {expected}, got {value!r}") from None


def _check_nonnegative(where: str, name: str, value: float) -> float:
    expected = f"a finite {name} >= 0"
    v = _as_float(where, value, expected)
    if not (math.isfinite(v) and v >= 0):
        raise ValueError(f"{where} expected {expected}, got {value!r}")
    return v


def _check_range(where: str, name: str, value: tuple[float, float]) -> tuple[float, float]:
    expected = f"{name} = (low, high) with finite low < high"
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"{where} expected {expected}, got {value!r}") from None
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise ValueError(f"{where} expected {expected}, got {value!r}")
    return low, high


def _shuffled(X: np.ndarray, y: np.ndarray, gen: np.random.Generator, dtype: np.dtype) -> tuple[np.ndarray, ...]:
    """Shuffle the rows of ``X`` and ``y`` together; cast X to ``dtype`` and y to int64."""
    perm = gen.permutation(len(X))
    return X[perm].astype(dtype), y[perm].astype(np.int64)


def _split_counts(n: int, k: int) -> np.ndarray:
    """``n`` samples over ``k`` groups as evenly as possible: the first ``n % k`` get one more."""
    return n // k + (np.arange(k) < n % k)


# --------------------------------------------------------------------------- synthetic sets


def make_xor(
    n_samples: int = 200, *, noise: float = 0.1, rng: RngLike = None, dtype: DTypeLike = None
) -> tuple[np.ndarray, np.ndarray]:
    """Four Gaussian clusters at ``(±1, ±1)``; the label is the XOR of the two signs.

    Clusters ``(1, 1)`` and ``(-1, -1)`` are class 0, ``(1, -1)`` and ``(-1, 1)`` class 1,
    so no straight line separates the classes. ``noise`` is each cluster's standard
    deviation. The clusters, and so the classes, differ in size by at most one. Shapes: X (N, 2), y (N,) int64.

    >>> X, y = make_xor(8, rng=0)
    >>> X.shape, X.dtype, y.shape, y.dtype
    ((8, 2), dtype('float32'), (8,), dtype('int64'))
    >>> import numpy as np; bool(np.all(y == ((X[:, 0] > 0) != (X[:, 1] > 0))))
    True
    """
    n = _check_int("make_xor", "n_samples", n_samples, 4)
    noise = _check_nonnegative("make_xor", "noise", noise)
    dt = as_float_dtype(dtype, "make_xor")
    gen = as_rng(rng)
    corners = np.array([[1.0, 1.0], [1.0, -1.0], [-1.0, -1.0], [-1.0, 1.0]])  # labels 0, 1, 0, 1
    cluster = np.repeat(np.arange(4), _split_counts(n, 4))
    X = corners[cluster] + noise * gen.standard_normal((n, 2))
    return _shuffled(X, cluster % 2, gen, dt)


def make_moons(
    n_samples: int = 200, *, noise: float = 0.1, rng: RngLike = None, dtype: DTypeLike = None
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles ("moons") plus Gaussian noise of standard deviation ``noise``.

    Class 0 (``n_samples // 2`` points) lies on the upper half of the unit circle,
    ``(cos t, sin t)`` for ``t`` in ``[0, π]``; class 1 (the rest) on the lower half circle
    ``(1 - cos t, 1/2 - sin t)``, shifted right and down so that each moon reaches into the
    other's hollow. Shapes: X (N, 2), y (N,) int64.

    >>> X, y = make_moons(7, rng=0)
    >>> X.shape, X.dtype, y.tolist().count(0), y.tolist().count(1)
    ((7, 2), dtype('float32'), 3, 4)
    """
    n = _check_int("make_moons", "n_samples", n_samples, 2)
    noise = _check_nonnegative("make_moons", "noise", noise)
    dt = as_float_dtype(dtype, "make_moons")
    gen = as_rng(rng)
    n_upper = n // 2
    t = np.concatenate([np.linspace(0.0, np.pi, n_upper), np.linspace(0.0, np.pi, n - n_upper)])
    y = (np.arange(n) >= n_upper).astype(np.int64)
    upper = np.stack([np.cos(t), np.sin(t)], axis=1)
    lower = np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)], axis=1)
    X = np.where(y[:, None] == 0, upper, lower) + noise * gen.standard_normal((n, 2))
    return _shuffled(X, y, gen, dt)


def make_circles(
    n_samples: int = 200,
    *,
    noise: float = 0.05,
    factor: float = 0.5,
    rng: RngLike = None,
    dtype: DTypeLike = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Two concentric circles plus Gaussian noise: radius 1 is class 0, radius ``factor`` class 1.

    The outer circle gets ``n_samples // 2`` evenly spaced points, the inner one the rest.
    ``0 < factor < 1``. Shapes: X (N, 2), y (N,) int64.

    >>> import numpy as np
    >>> X, y = make_circles(6, noise=0.0, factor=0.5, rng=0)
    >>> np.round(np.hypot(X[:, 0], X[:, 1]), 3)[np.argsort(y)].tolist()
    [1.0, 1.0, 1.0, 0.5, 0.5, 0.5]
    """
    n = _check_int("make_circles", "n_samples", n_samples, 2)
    noise = _check_nonnegative("make_circles", "noise", noise)
    factor = _as_float("make_circles", factor, "0 < factor < 1")
    if not 0 < factor < 1:
        raise ValueError(f"make_circles expected 0 < factor < 1, got {factor!r}")
    dt = as_float_dtype(dtype, "make_circles")
    gen = as_rng(rng)
    n_outer = n // 2
    angle = np.concatenate(
        [np.linspace(0, 2 * np.pi, n_outer, endpoint=False), np.linspace(0, 2 * np.pi, n - n_outer, endpoint=False)]
    )
    y = (np.arange(n) >= n_outer).astype(np.int64)
    radius = np.where(y == 0, 1.0, factor)
    X = radius[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    X += noise * gen.standard_normal((n, 2))
    return _shuffled(X, y, gen, dt)


def make_spirals(
    n_samples: int = 300,
    *,
    n_classes: int = 3,
    noise: float = 0.2,
    rng: RngLike = None,
    dtype: DTypeLike = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``n_classes`` interleaved spiral arms that start at the origin.

    Arm ``k`` is ``r (cos θ, sin θ)`` with radius ``r`` evenly spaced in ``(0, 1]`` and angle
    ``θ = 2πk / n_classes + 4 r + noise · ε``, ``ε ~ N(0, 1)``: the arms turn about 230°
    each and the noise jitters the angle, so points near the centre stay close to it. The
    classes differ in size by at most one. Shapes: X (N, 2), y (N,) int64 in ``0..n_classes-1``.

    >>> import numpy as np
    >>> X, y = make_spirals(300, n_classes=3, rng=0)
    >>> X.shape, X.dtype, [int(c) for c in np.bincount(y)]
    ((300, 2), dtype('float32'), [100, 100, 100])
    """
    n_classes = _check_int("make_spirals", "n_classes", n_classes, 2)
    n = _check_int("make_spirals", "n_samples", n_samples, n_classes)
    noise = _check_nonnegative("make_spirals", "noise", noise)
    dt = as_float_dtype(dtype, "make_spirals")
    gen = as_rng(rng)
    counts = _split_counts(n, n_classes)
    y = np.repeat(np.arange(n_classes), counts)
    starts = np.cumsum(counts) - counts
    index_in_class = np.arange(n) - starts[y]
    r = (index_in_class + 1) / counts[y]
    theta = 2 * np.pi * y / n_classes + 4.0 * r + noise * gen.standard_normal(n)
    X = r[:, None] * np.stack([np.cos(theta), np.sin(theta)], axis=1)
    return _shuffled(X, y, gen, dt)


def make_blobs(
    n_samples: int = 200,
    *,
    centers: int | np.ndarray = 3,
    n_features: int | None = None,
    cluster_std: float = 1.0,
    center_box: tuple[float, float] = (-5.0, 5.0),
    rng: RngLike = None,
    dtype: DTypeLike = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Isotropic Gaussian blobs, one class per centre.

    ``centers`` is a number ``k`` of centres drawn uniformly from the box ``center_box``
    in every coordinate, or an array of centres of shape (k, n_features). ``n_features``
    defaults to 2 for a number of centres, and to the width of the array otherwise.
    Each blob has standard deviation ``cluster_std``; the blobs differ in size by at
    most one. Shapes: X (N, n_features), y (N,) int64 in ``0..k-1``.

    >>> X, y = make_blobs(10, centers=[[0.0, 0.0, 0.0], [5.0, 5.0, 5.0]], rng=0)
    >>> X.shape, X.dtype, y.shape, y.dtype
    ((10, 3), dtype('float32'), (10,), dtype('int64'))
    """
    n = _check_int("make_blobs", "n_samples", n_samples, 1)
    std = _check_nonnegative("make_blobs", "cluster_std", cluster_std)
    low, high = _check_range("make_blobs", "center_box", center_box)
    dt = as_float_dtype(dtype, "make_blobs")
    gen = as_rng(rng)
    if isinstance(centers, (int, np.integer)) and not isinstance(centers, bool):
        k = _check_int("make_blobs", "centers", centers, 1)
        d = 2 if n_features is None else _check_int("make_blobs", "n_features", n_features, 1)
        center_array = gen.uniform(low, high, size=(k, d))
    else:
        center_array = np.asarray(centers, dtype=np.float64)
        if center_array.ndim != 2 or center_array.shape[0] < 1 or center_array.shape[1] < 1:
            raise ValueError(
                f"make_blobs expected centers to be an int or an array of shape (k, n_features), "
                f"got shape {center_array.shape}"
            )
        k, d = center_array.shape
        if n_features is not None and n_features != d:
            raise ValueError(f"make_blobs expected n_features={n_features} to match centers' width, got {d}")
    y = np.repeat(np.arange(k), _split_counts(n, k))
    X = center_array[y] + std * gen.standard_normal((n, d))
    return _shuffled(X, y, gen, dt)


def make_sine(
    n_samples: int = 200,
    *,
    noise: float = 0.1,
    x_range: tuple[float, float] = (-math.pi, math.pi),
    rng: RngLike = None,
    dtype: DTypeLike = None,
) -> tuple[np.ndarray, np.ndarray]:
    """A regression set: ``y = sin(x) + noise · ε`` with ``x`` uniform in ``x_range``, ``ε ~ N(0, 1)``.

    The ``x`` values come back sorted, so ``plt.plot(X, y)`` draws a curve. Shapes: X (N, 1)
    and y (N, 1), both in the default float dtype (the target of :class:`nnkit.MSELoss`).

    >>> X, y = make_sine(50, rng=0)
    >>> X.shape, y.shape, y.dtype, bool((X[1:] >= X[:-1]).all())
    ((50, 1), (50, 1), dtype('float32'), True)
    """
    n = _check_int("make_sine", "n_samples", n_samples, 1)
    noise = _check_nonnegative("make_sine", "noise", noise)
    low, high = _check_range("make_sine", "x_range", x_range)
    dt = as_float_dtype(dtype, "make_sine")
    gen = as_rng(rng)
    x = np.sort(gen.uniform(low, high, size=n))
    y = np.sin(x) + noise * gen.standard_normal(n)
    return x[:, None].astype(dt), y[:, None].astype(dt)


# --------------------------------------------------------------------------- the digits


def _read_checked(where: str, filename: str, expected_sha256: str) -> bytes:
    """The bytes of ``nnkit/_data/<filename>``, after checking their SHA-256 against ``expected_sha256``."""
    raw = resources.files("nnkit").joinpath("_data", filename).read_bytes()
    actual = hashlib.sha256(raw).hexdigest()
    if actual != expected_sha256:
        raise RuntimeError(
            f"{where}: nnkit/_data/{filename} is corrupted or was changed: "
            f"expected SHA-256 {expected_sha256}, got {actual}"
        )
    return raw


def load_digits(*, return_images: bool = False, dtype: DTypeLike = None) -> tuple[np.ndarray, np.ndarray]:
    """The UCI handwritten digits: 1,797 greyscale 8×8 images, pixel values 0..16, labels 0..9.

    The data (Alpaydin & Kaynak 1998, CC BY 4.0; see ``nnkit/_data/README.md``) ship inside
    the package, so nothing is downloaded. The file's SHA-256 is checked before it is read,
    and it is read with ``allow_pickle=False``. The pixel values are not rescaled: use
    :class:`Standardizer` (fitted on the training part only).

    Shapes: X (1797, 64), or (1797, 8, 8) with ``return_images=True``, in the default float
    dtype; y (1797,) int64.

    >>> X, y = load_digits()
    >>> X.shape, X.dtype, y.shape, y.dtype, float(X.max())
    ((1797, 64), dtype('float32'), (1797,), dtype('int64'), 16.0)
    >>> load_digits(return_images=True)[0].shape
    (1797, 8, 8)
    """
    dt = as_float_dtype(dtype, "load_digits")
    raw = _read_checked("load_digits", _DIGITS_FILE, _DIGITS_SHA256)
    with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
        images, target = npz["images"], npz["target"]
    X = images.astype(dt)
    return (X if return_images else X.reshape(len(X), -1)), target.astype(np.int64)


def load_mnist1d(*, dtype: DTypeLike = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """MNIST-1D: 5,000 one-dimensional "digits" of 40 samples each, labels 0..9, split as published.

    Each signal is one of ten fixed 12-point templates, randomly padded, stretched, scaled,
    shifted, sheared and given noise, then resampled to 40 points (Greydanus 2020,
    Apache-2.0; see ``nnkit/_data/README.md``). This is the standard set, generated by the
    ``mnist1d`` package with its default arguments (seed 42), the one its published baselines
    refer to: logistic regression 32%, MLP 68%, CNN 94%, GRU 91% test accuracy. The published
    train/test split and order are kept, so results compare with those numbers; take a
    validation set out of the training part, never out of the test part.

    The signals are already standardized over the whole set (mean 0, standard deviation 1),
    as the package does; they are stored as float32. The file ships inside the package, so
    nothing is downloaded. Its SHA-256 is checked before it is read, and it is read with
    ``allow_pickle=False``.

    Shapes: X_train (4000, 40), X_test (1000, 40) in the default float dtype;
    y_train (4000,), y_test (1000,) int64.

    >>> X_train, y_train, X_test, y_test = load_mnist1d()
    >>> X_train.shape, X_train.dtype, y_train.shape, y_train.dtype
    ((4000, 40), dtype('float32'), (4000,), dtype('int64'))
    >>> X_test.shape, y_test.shape, sorted(set(y_test.tolist())) == list(range(10))
    ((1000, 40), (1000,), True)
    """
    dt = as_float_dtype(dtype, "load_mnist1d")
    raw = _read_checked("load_mnist1d", _MNIST1D_FILE, _MNIST1D_SHA256)
    with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
        x_train, y_train, x_test, y_test = (npz[k] for k in ("x_train", "y_train", "x_test", "y_test"))
    return x_train.astype(dt), y_train.astype(np.int64), x_test.astype(dt), y_test.astype(np.int64)


# --------------------------------------------------------------------------- sequences: names, weather, stocks


def load_names() -> tuple[list[str], list[str], list[str]]:
    """32,033 given names for character-level language models, split once into train/validation/test.

    The names are the most common U.S. baby names of 2018 (Social Security Administration data,
    public domain), as collected in Karpathy's ``makemore`` (MIT; see ``nnkit/_data/README.md``).
    Each is lowercase ``a``–``z`` only, 2 to 15 letters long; the alphabet is those 26 letters,
    and a model adds its own start/end token (such as ``"."``) around each name.

    The split is fixed and stored in the file, not recomputed: 25,627 names for training
    (80%), 3,203 for validation and 3,203 for testing (10% each), in a shuffled order. 2,539
    names occur twice in the source (``"emma"``, ``"liam"``, …); both copies are always in the
    same part, so no part shares a name with another and a test loss measures generalization
    to names never seen in training. The file's SHA-256 is checked before it is read; nothing is
    downloaded.

    Returns ``(train, validation, test)``, three new lists of str.

    >>> train, validation, test = load_names()
    >>> len(train), len(validation), len(test)
    (25627, 3203, 3203)
    >>> train[:4]
    ['javien', 'aki', 'davlat', 'shedrick']
    >>> "".join(sorted(set("".join(train))))
    'abcdefghijklmnopqrstuvwxyz'
    """
    raw = _read_checked("load_names", _NAMES_FILE, _NAMES_SHA256)
    blocks = gzip.decompress(raw).decode("ascii").split("\n\n")
    train, validation, test = (block.split() for block in blocks)
    return train, validation, test


def encode_names(names: list[str], length: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """Names as a character-level language model's inputs and targets, padded to ``length``.

    The vocabulary is ``"."`` (index 0, which marks both the start and the end of a name) and ``a``–``z``
    (1–26). Row ``n`` of the inputs ``X`` is ``"."`` then the name's letters, padded with 0; row ``n`` of the
    targets ``Y`` is the letters then ``"."``, padded with ``-100``, the ``ignore_index`` of
    :class:`~nnkit.CrossEntropyLoss`: so ``Y[n, t]`` is the character that follows ``X[n, :t + 1]``, and
    the padding adds no loss. The longest name of :func:`load_names` has 15 letters, so 16 fits all.

    Returns ``(X, Y)``, both int64 of shape ``(len(names), length)``.

    >>> X, Y = encode_names(["emma"], length=6)
    >>> X, Y
    (array([[ 0,  5, 13, 13,  1,  0]]), array([[   5,   13,   13,    1,    0, -100]]))
    """
    length = _check_int("encode_names", "length", length, 1)
    X = np.zeros((len(names), length), dtype=np.int64)
    Y = np.full((len(names), length), -100, dtype=np.int64)
    for n, name in enumerate(names):
        if not isinstance(name, str) or len(name) >= length or not set(name) <= set(NAMES_VOCAB[1:]):
            raise ValueError(
                f"encode_names expected names of at most {length - 1} letters a-z, got {name!r} at position {n}"
            )
        ids = [NAMES_VOCAB.index(ch) for ch in name]
        X[n, 1 : len(ids) + 1] = ids
        Y[n, : len(ids) + 1] = [*ids, 0]
    return X, Y


def load_shakespeare() -> tuple[str, str]:
    """The tiny-Shakespeare text for character-level language models: 1,115,394 characters, 65 distinct.

    40,000 lines from Shakespeare's plays (public domain), the selection of Karpathy's ``char-rnn``
    (MIT; see ``nnkit/_data/README.md``): speakers' names in capitals, a colon, their lines, blank lines
    between speeches. The alphabet is the newline, the space, 13 punctuation marks and digits
    (``!$&',-.3:;?``), and the 52 letters.

    Returns ``(train, validation)``: the first 90 % of the characters (1,003,854) and the rest (111,540),
    the split commonly used for this text, so losses compare with published ones. The validation part
    begins mid-speech. The file's SHA-256 is checked before it is read; nothing is downloaded.

    >>> train, validation = load_shakespeare()
    >>> len(train), len(validation)
    (1003854, 111540)
    >>> print(train[:33])
    First Citizen:
    Before we proceed
    >>> len(set(train + validation))
    65
    """
    raw = _read_checked("load_shakespeare", _SHAKESPEARE_FILE, _SHAKESPEARE_SHA256)
    text = gzip.decompress(raw).decode("ascii")
    cut = len(text) * 9 // 10
    return text[:cut], text[cut:]


def load_weather(*, dtype: DTypeLike = None) -> dict[str, np.ndarray]:
    """Daily weather in Seattle, 2012-01-01 to 2015-12-31: 1,461 days, none missing.

    NOAA's daily record (public domain) as shipped in the ``vega_datasets`` package (see
    ``nnkit/_data/README.md``). Returns a dict of 1-D arrays, one per column, in this order
    (``pandas.DataFrame(load_weather())`` makes a table of it):

    - ``"date"``: datetime64[D], consecutive days;
    - ``"precipitation"``: mm per day, 0 to 55.9;
    - ``"temp_max"``, ``"temp_min"``: the day's maximum and minimum temperature, °C
      (-1.6 to 35.6 and -7.1 to 18.3);
    - ``"wind"``: mean wind speed, m/s, 0.4 to 9.5;
    - ``"weather"``: a label, ``"drizzle"``, ``"fog"``, ``"rain"``, ``"snow"`` or ``"sun"`` (str).

    The four measurements have one decimal, as NOAA records them, and come back in the default
    float dtype. The ``"weather"`` label is not a measurement: the data set's makers derived it from
    NOAA's weather-type flags, and it is noisy (388 days with precipitation are labelled ``"fog"``,
    ``"sun"`` or ``"drizzle"``); treat it with care as a target. The file's SHA-256 is checked
    before it is read, and it is read with ``allow_pickle=False``.

    >>> weather = load_weather()
    >>> list(weather)
    ['date', 'precipitation', 'temp_max', 'temp_min', 'wind', 'weather']
    >>> weather["date"][[0, -1]]
    array(['2012-01-01', '2015-12-31'], dtype='datetime64[D]')
    >>> weather["temp_max"][:3], weather["weather"][:3]
    (array([12.8, 10.6, 11.7], dtype=float32), array(['drizzle', 'rain', 'rain'], dtype='<U7'))
    """
    dt = as_float_dtype(dtype, "load_weather")
    raw = _read_checked("load_weather", _WEATHER_FILE, _WEATHER_SHA256)
    with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
        out: dict[str, np.ndarray] = {"date": npz["date"]}
        for name in ("precipitation", "temp_max", "temp_min", "wind"):
            out[name] = (npz[name] / 10).astype(dt)  # stored exactly, as int16 tenths
        out["weather"] = npz["weather_names"][npz["weather"]]
    return out


def load_stocks(*, dtype: DTypeLike = None) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Monthly prices of five stocks, AAPL, AMZN, GOOG, IBM and MSFT, January 2000 to March 2010.

    From the ``vega_datasets`` package (see ``nnkit/_data/README.md``), in US dollars, one price
    per stock and month; the source dates each price to the first of its month and does not say
    which day's price it is. AAPL, AMZN, IBM and MSFT have all 123 months. GOOG was listed in
    August 2004, so its first 55 entries are NaN: use ``prices[55:]`` (or ``np.isnan``) when a model
    needs all five. The file's SHA-256 is checked before it is read, and it is read with
    ``allow_pickle=False``.

    Returns ``(symbols, months, prices)``: a list of the 5 symbols, ``months`` (123,)
    datetime64[M], and ``prices`` (123, 5) in the default float dtype, column ``j`` for
    ``symbols[j]``.

    >>> symbols, months, prices = load_stocks()
    >>> symbols, months[[0, -1]], prices.shape
    (['AAPL', 'AMZN', 'GOOG', 'IBM', 'MSFT'], array(['2000-01', '2010-03'], dtype='datetime64[M]'), (123, 5))
    >>> prices[0]  # January 2000: GOOG is not listed yet
    array([ 25.94,  64.56,    nan, 100.52,  39.81], dtype=float32)
    >>> str(months[55]), prices[55, 2]
    ('2004-08', np.float32(102.37))
    """
    dt = as_float_dtype(dtype, "load_stocks")
    raw = _read_checked("load_stocks", _STOCKS_FILE, _STOCKS_SHA256)
    with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
        symbols, months, prices = npz["symbols"].tolist(), npz["month"], npz["price"]
    return symbols, months, prices.astype(dt)


# --------------------------------------------------------------------------- utilities


def _n_test(test_size: float | int, n: int) -> int:
    bad = ValueError(
        f"train_test_split expected test_size to be a fraction in (0, 1) or an integer count "
        f"in [1, {n - 1}], got {test_size!r}"
    )
    if isinstance(test_size, bool):
        raise bad
    if isinstance(test_size, (int, np.integer)):
        if not 1 <= test_size <= n - 1:
            raise bad
        return int(test_size)
    if isinstance(test_size, (float, np.floating)) and 0 < test_size < 1:
        n_test = math.ceil(test_size * n)
        if n_test >= n:
            raise ValueError(
                f"train_test_split expected test_size={test_size} to leave at least one training sample "
                f"out of {n}, got {n_test} test samples"
            )
        return n_test
    raise bad


def train_test_split(
    X: np.ndarray,
    y: np.ndarray,
    *,
    test_size: float | int = 0.25,
    rng: RngLike = None,
    stratify: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle the samples with ``rng`` and split them into a training and a test part.

    ``test_size`` is a fraction in (0, 1) (the test part gets ``ceil(test_size · N)``
    samples) or an integer count. With ``stratify=True`` each class of ``y`` is split in
    the same proportion, so both parts keep the class proportions of ``y`` (to within one
    sample per class). The inputs are not changed; the outputs are new arrays.

    Shapes: X (N, ...), y (N, ...) -> X_train, X_test, y_train, y_test.

    >>> import numpy as np
    >>> X, y = np.arange(20.0).reshape(10, 2), np.arange(10) % 2
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, rng=0, stratify=True)
    >>> X_train.shape, X_test.shape, sorted(y_test.tolist())
    ((8, 2), (2, 2), [0, 1])
    """
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim == 0 or y.ndim == 0:
        raise ValueError(f"train_test_split expected arrays with a sample axis, got shapes {X.shape} and {y.shape}")
    if len(X) != len(y):
        raise ValueError(
            f"train_test_split expected X and y with the same number of samples, got {len(X)} and {len(y)}"
        )
    n = len(X)
    if n < 2:
        raise ValueError(f"train_test_split expected at least 2 samples, got {n}")
    n_test = _n_test(test_size, n)
    gen = as_rng(rng)
    perm = gen.permutation(n)
    if not stratify:
        test_idx, train_idx = perm[:n_test], perm[n_test:]
    else:
        if y.ndim != 1:
            raise ValueError(f"train_test_split with stratify=True expected 1-D labels y, got shape {y.shape}")
        # Choose each class's test samples with a second, independent permutation, sorted by class
        # (stable, so each class stays shuffled), and give every class its share of the test set by
        # the largest-remainder rule. Choosing with ``perm`` itself would make the parts' order
        # depend on the choice: the training part would open with a run of one class.
        pick = gen.permutation(n)
        order = pick[np.argsort(y[pick], kind="stable")]
        _, first, inverse, counts = np.unique(y[order], return_index=True, return_inverse=True, return_counts=True)
        quota = counts * n_test / n
        share = np.floor(quota).astype(np.int64)
        extra = n_test - share.sum()
        share[np.argsort(-(quota - share), kind="stable")[:extra]] += 1
        rank = np.arange(n) - first[inverse]
        is_test = np.empty(n, dtype=bool)
        is_test[order] = rank < share[inverse]
        test_idx, train_idx = perm[is_test[perm]], perm[~is_test[perm]]
    return X[train_idx], X[test_idx], y[train_idx], y[test_idx]


def one_hot(y: np.ndarray, num_classes: int | None = None, *, dtype: DTypeLike = None) -> np.ndarray:
    """Integer labels (N,) -> one-hot rows (N, num_classes) in the default float dtype.

    ``num_classes`` defaults to ``y.max() + 1``. Row ``i`` is 1 in column ``y[i]`` and 0
    elsewhere, so ``one_hot(y).argmax(axis=1)`` gives ``y`` back.

    >>> one_hot([0, 2, 1])
    array([[1., 0., 0.],
           [0., 0., 1.],
           [0., 1., 0.]], dtype=float32)
    """
    labels = np.asarray(y)
    dt = as_float_dtype(dtype, "one_hot")
    if labels.ndim != 1:
        raise ValueError(f"one_hot expected 1-D labels y of shape (N,), got shape {labels.shape}")
    if labels.size == 0 and labels.dtype == np.float64:
        labels = labels.astype(np.int64)  # np.asarray([]) is float64; an empty list holds no floats
    if not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"one_hot expected integer labels, got dtype {labels.dtype}")
    if num_classes is None:
        if labels.size == 0:
            raise ValueError("one_hot expected num_classes when y is empty, got None")
        num_classes = int(labels.max()) + 1
    num_classes = _check_int("one_hot", "num_classes", num_classes, 1)
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f"one_hot expected labels in [0, {num_classes - 1}], got values from {labels.min()} to {labels.max()}"
        )
    out = np.zeros((labels.size, num_classes), dtype=dt)
    out[np.arange(labels.size), labels] = 1
    return out


class Standardizer:
    """Rescale every feature to mean 0 and standard deviation 1: ``(X - mean_) / std_``.

    :meth:`fit` learns ``mean_`` and ``std_`` (population std, per feature) from the
    training data only; :meth:`transform` then applies those same numbers to any data,
    so no information leaks from the test set. A constant feature (std 0, like the
    always-blank corner pixels of the digits) gets ``std_ = 1`` and maps to 0.
    Float input keeps its dtype; integer input becomes the default float dtype.

    Shapes: X (N, n_features); ``mean_`` and ``std_`` (n_features,).

    >>> import numpy as np
    >>> scaler = Standardizer().fit(np.array([[0.0, 5.0], [2.0, 5.0]], dtype=np.float32))
    >>> scaler.mean_, scaler.std_
    (array([1., 5.], dtype=float32), array([1., 1.], dtype=float32))
    >>> scaler.transform(np.array([[4.0, 5.0]], dtype=np.float32))
    array([[3., 0.]], dtype=float32)
    """

    def __init__(self) -> None:
        self.mean_: np.ndarray | None = None
        self.std_: np.ndarray | None = None

    def __repr__(self) -> str:
        fitted = "not fitted" if self.mean_ is None else f"n_features={len(self.mean_)}"
        return f"Standardizer({fitted})"

    def _as_2d(self, X: np.ndarray, method: str) -> np.ndarray:
        X = np.asarray(X)
        if X.ndim != 2:
            raise ValueError(f"Standardizer.{method} expected a 2-D array X of shape (N, n_features), got {X.shape}")
        if not np.issubdtype(X.dtype, np.floating):
            X = X.astype(as_float_dtype(None))
        return X

    def fit(self, X: np.ndarray) -> Standardizer:
        """Learn the per-feature mean and standard deviation of ``X`` (N, n_features); return self."""
        X = self._as_2d(X, "fit")
        if len(X) == 0:
            raise ValueError("Standardizer.fit expected at least 1 sample, got 0")
        X64 = X.astype(np.float64)
        mean, std = X64.mean(axis=0), X64.std(axis=0)
        # Exactly constant features: use their value as the mean (so they map to exactly 0) and std 1.
        constant = (X64.max(axis=0) == X64.min(axis=0)) | (std == 0)
        self.mean_ = np.where(constant, X64[0], mean).astype(X.dtype)
        self.std_ = np.where(constant, 1.0, std).astype(X.dtype)
        return self

    def _check_fitted(self, X: np.ndarray, method: str) -> tuple[np.ndarray, np.ndarray]:
        if self.mean_ is None or self.std_ is None:
            raise RuntimeError(f"Standardizer.{method} called before fit")
        if X.shape[1] != len(self.mean_):
            raise ValueError(f"Standardizer.{method} expected X with {len(self.mean_)} features, got {X.shape[1]}")
        return self.mean_.astype(X.dtype, copy=False), self.std_.astype(X.dtype, copy=False)

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Return ``(X - mean_) / std_`` as a new array, with the fitted statistics."""
        X = self._as_2d(X, "transform")
        mean, std = self._check_fitted(X, "transform")
        return (X - mean) / std

    def fit_transform(self, X: np.ndarray) -> np.ndarray:
        """:meth:`fit` on ``X``, then :meth:`transform` it."""
        return self.fit(X).transform(X)

    def inverse_transform(self, Z: np.ndarray) -> np.ndarray:
        """Undo :meth:`transform`: return ``Z * std_ + mean_``."""
        Z = self._as_2d(Z, "inverse_transform")
        mean, std = self._check_fitted(Z, "inverse_transform")
        return Z * std + mean


def batches(
    X: np.ndarray,
    y: np.ndarray | None,
    batch_size: int,
    shuffle: bool = True,
    rng: RngLike = None,
) -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
    """Yield ``(X_batch, y_batch)`` mini-batches that cover ``X`` (and ``y``) once: one epoch.

    All batches have ``batch_size`` samples except perhaps the last, which holds the rest.
    With ``shuffle=True`` the order is a permutation drawn from ``rng`` when ``batches`` is
    called; with ``shuffle=False`` the batches are slices in the original order. With
    ``y=None`` the batches are ``(X_batch, None)``. Arguments are checked at the call,
    not at the first ``next``.

    Shapes: X (N, ...), y (N, ...) -> X_batch (B, ...), y_batch (B, ...), B <= batch_size.

    >>> import numpy as np
    >>> X, y = np.arange(10.0).reshape(5, 2), np.arange(5)
    >>> [yb.tolist() for _, yb in batches(X, y, 2, shuffle=False)]
    [[0, 1], [2, 3], [4]]
    >>> sorted(i for _, yb in batches(X, y, 2, rng=0) for i in yb.tolist())
    [0, 1, 2, 3, 4]
    """
    batch_size = _check_int("batches", "batch_size", batch_size, 1)
    X = np.asarray(X)
    y = None if y is None else np.asarray(y)
    if y is not None and len(X) != len(y):
        raise ValueError(f"batches expected X and y with the same number of samples, got {len(X)} and {len(y)}")
    n = len(X)
    order = as_rng(rng).permutation(n) if shuffle else None

    def generate() -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
        for start in range(0, n, batch_size):
            idx = slice(start, start + batch_size) if order is None else order[start : start + batch_size]
            yield X[idx], (None if y is None else y[idx])

    return generate()
