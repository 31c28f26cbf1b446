"""Tests for nnkit/data.py: toy sets, the shipped digits, splitting, one-hot, scaling, batches."""

import gzip
import hashlib
import itertools
import re
import zipfile
from collections import Counter
from importlib import resources

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnkit
from nnkit import data

CLASSIFIERS = [
    ("make_xor", data.make_xor, 2),
    ("make_moons", data.make_moons, 2),
    ("make_circles", data.make_circles, 2),
    ("make_spirals", data.make_spirals, 3),
    ("make_blobs", data.make_blobs, 3),
]
ALL_MAKERS = [*CLASSIFIERS, ("make_sine", data.make_sine, None)]
IDS = [m[0] for m in CLASSIFIERS]
ALL_IDS = [m[0] for m in ALL_MAKERS]


def digits_path():
    return resources.files("nnkit").joinpath("_data", "digits.npz")


# --------------------------------------------------------------------------- synthetic sets


@pytest.mark.parametrize("name, make, n_classes", CLASSIFIERS, ids=IDS)
def test_classifier_shapes_dtypes_and_balance(name, make, n_classes):
    X, y = make(101, rng=0)
    assert X.shape == (101, 2) and X.dtype == np.float32
    assert y.shape == (101,) and y.dtype == np.int64
    counts = np.bincount(y, minlength=n_classes)
    assert len(counts) == n_classes
    assert counts.sum() == 101 and counts.max() - counts.min() <= 1


@pytest.mark.parametrize("name, make, n_classes", ALL_MAKERS, ids=ALL_IDS)
def test_seed_reproducible_and_different_seeds_differ(name, make, n_classes):
    a, b, c = make(60, rng=1), make(60, rng=1), make(60, rng=2)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


@pytest.mark.parametrize("name, make, n_classes", ALL_MAKERS, ids=ALL_IDS)
def test_dtype_argument_and_default_dtype(name, make, n_classes):
    assert make(20, rng=0, dtype=np.float64)[0].dtype == np.float64
    nnkit.set_default_dtype(np.float64)
    try:
        assert make(20, rng=0)[0].dtype == np.float64
    finally:
        nnkit.set_default_dtype(np.float32)
    with pytest.raises(TypeError, match=f"{name} expected a floating-point dtype"):
        make(20, rng=0, dtype=np.int32)


@pytest.mark.parametrize("name, make, n_classes", ALL_MAKERS, ids=ALL_IDS)
def test_global_numpy_rng_untouched_and_default_generator_used(name, make, n_classes):
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    nnkit.manual_seed(5)
    a = make(30)
    nnkit.manual_seed(5)
    b = make(30)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(np.random.get_state()[1], before)


@pytest.mark.parametrize("name, make, n_classes", CLASSIFIERS, ids=IDS)
def test_samples_are_shuffled(name, make, n_classes):
    _, y = make(200, rng=0)
    assert not np.array_equal(y, np.sort(y))


def test_xor_labels_are_the_xor_of_the_signs():
    X, y = data.make_xor(400, noise=0.1, rng=0)
    np.testing.assert_array_equal(y, (X[:, 0] > 0) != (X[:, 1] > 0))
    corners = np.sign(X)
    assert len(np.unique(corners, axis=0)) == 4
    np.testing.assert_allclose(np.abs(X).mean(axis=0), [1, 1], atol=0.05)


def test_moons_geometry_class_means_and_arcs():
    X, y = data.make_moons(1001, noise=0.0, rng=0, dtype=np.float64)
    upper, lower = X[y == 0], X[y == 1]
    assert len(upper) == 500 and len(lower) == 501
    # Points lie on their half circles.
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0, atol=1e-12)
    assert upper[:, 1].min() >= -1e-12
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0, atol=1e-12)
    assert lower[:, 1].max() <= 0.5 + 1e-12
    # Mean of (cos t, sin t) over t in [0, π] is (0, 2/π); the lower moon is shifted by (1, -1/2) and flipped.
    np.testing.assert_allclose(upper.mean(axis=0), [0, 2 / np.pi], atol=1e-2)
    np.testing.assert_allclose(lower.mean(axis=0), [1, 0.5 - 2 / np.pi], atol=1e-2)


def test_moons_are_not_linearly_separable():
    # The tip (1, 0) of the upper moon lies inside the lower moon's half disc, so the convex
    # hulls overlap: a least-squares linear classifier must make mistakes.
    X, y = data.make_moons(400, noise=0.0, rng=0, dtype=np.float64)
    lower_centre = np.array([1.0, 0.5])
    tip = X[(y == 0) & np.isclose(X[:, 0], 1.0) & np.isclose(X[:, 1], 0.0)]
    assert len(tip) == 1 and np.hypot(*(tip[0] - lower_centre)) < 1 and tip[0, 1] < 0.5
    A = np.c_[X, np.ones(len(X))]
    w, *_ = np.linalg.lstsq(A, 2.0 * y - 1, rcond=None)
    accuracy = np.mean((A @ w > 0) == (y == 1))
    assert 0.7 < accuracy < 1.0


def test_circles_radii():
    X, y = data.make_circles(200, noise=0.0, factor=0.3, rng=0, dtype=np.float64)
    r = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(r[y == 0], 1.0, atol=1e-12)
    np.testing.assert_allclose(r[y == 1], 0.3, atol=1e-12)
    X, y = data.make_circles(2000, noise=0.05, factor=0.5, rng=0)
    r = np.hypot(X[:, 0], X[:, 1])
    assert abs(r[y == 0].mean() - 1.0) < 0.01 and abs(r[y == 1].mean() - 0.5) < 0.01
    np.testing.assert_allclose(X.mean(axis=0), [0, 0], atol=0.01)


def test_spirals_geometry():
    X, y = data.make_spirals(600, n_classes=4, noise=0.0, rng=0, dtype=np.float64)
    assert np.bincount(y).tolist() == [150] * 4
    r = np.hypot(X[:, 0], X[:, 1])
    assert r.max() <= 1 + 1e-12 and r.min() > 0
    # Without noise each arm obeys θ = 2πk/K + 4r (mod 2π).
    theta = np.arctan2(X[:, 1], X[:, 0])
    expected = 2 * np.pi * y / 4 + 4 * r
    np.testing.assert_allclose(np.angle(np.exp(1j * (theta - expected))), 0, atol=1e-9)


def test_blobs_centres_std_and_features():
    centres = np.array([[0.0, 0.0, 0.0], [10.0, -10.0, 5.0]])
    X, y = data.make_blobs(4000, centers=centres, cluster_std=0.5, rng=0, dtype=np.float64)
    assert X.shape == (4000, 3)
    for k in range(2):
        np.testing.assert_allclose(X[y == k].mean(axis=0), centres[k], atol=0.05)
        np.testing.assert_allclose(X[y == k].std(axis=0), 0.5, atol=0.05)
    X, y = data.make_blobs(50, centers=4, n_features=5, center_box=(0, 1), cluster_std=0.0, rng=0)
    assert X.shape == (50, 5) and set(y.tolist()) == {0, 1, 2, 3}
    assert X.min() >= 0 and X.max() <= 1


def test_sine():
    X, y = data.make_sine(500, noise=0.0, x_range=(-2, 1), rng=0, dtype=np.float64)
    assert X.shape == (500, 1) and y.shape == (500, 1) and y.dtype == np.float64
    assert X.min() >= -2 and X.max() <= 1 and np.all(np.diff(X[:, 0]) >= 0)
    np.testing.assert_allclose(y, np.sin(X))
    X, y = data.make_sine(2000, noise=0.1, rng=0, dtype=np.float64)
    assert X.min() >= -np.pi and X.max() <= np.pi
    assert abs(np.std(y - np.sin(X)) - 0.1) < 0.01


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: data.make_moons(0), "make_moons expected n_samples >= 2, got 0"),
        (lambda: data.make_moons(2.5), r"make_moons expected an integer n_samples >= 2, got 2.5"),
        (lambda: data.make_moons(True), r"make_moons expected an integer n_samples >= 2, got True"),
        (lambda: data.make_xor(3), "make_xor expected n_samples >= 4, got 3"),
        (lambda: data.make_xor(noise=-1), r"make_xor expected a finite noise >= 0, got -1"),
        (lambda: data.make_moons(noise=float("nan")), r"make_moons expected a finite noise >= 0, got nan"),
        (lambda: data.make_circles(1), "make_circles expected n_samples >= 2, got 1"),
        (lambda: data.make_circles(factor=1.0), r"make_circles expected 0 < factor < 1, got 1.0"),
        (lambda: data.make_circles(factor=0), r"make_circles expected 0 < factor < 1, got 0"),
        (lambda: data.make_circles(factor="big"), r"make_circles expected 0 < factor < 1, got 'big'"),
        (lambda: data.make_spirals(n_classes=1), "make_spirals expected n_classes >= 2, got 1"),
        (lambda: data.make_spirals(2, n_classes=3), "make_spirals expected n_samples >= 3, got 2"),
        (lambda: data.make_spirals(noise=-0.1), r"make_spirals expected a finite noise >= 0, got -0.1"),
        (lambda: data.make_blobs(0), "make_blobs expected n_samples >= 1, got 0"),
        (lambda: data.make_blobs(centers=0), "make_blobs expected centers >= 1, got 0"),
        (lambda: data.make_blobs(n_features=0), "make_blobs expected n_features >= 1, got 0"),
        (lambda: data.make_blobs(cluster_std=-1), r"make_blobs expected a finite cluster_std >= 0, got -1"),
        (lambda: data.make_blobs(center_box=(1, 1)), r"make_blobs expected center_box = \(low, high\) with finite"),
        (lambda: data.make_blobs(center_box=(1,)), r"make_blobs expected center_box = \(low, high\).*got \(1,\)"),
        (lambda: data.make_blobs(centers=[1.0, 2.0]), r"make_blobs expected centers .* got shape \(2,\)"),
        (
            lambda: data.make_blobs(centers=[[0.0, 0.0]], n_features=3),
            r"make_blobs expected n_features=3 to match centers' width, got 2",
        ),
        (lambda: data.make_sine(0), "make_sine expected n_samples >= 1, got 0"),
        (lambda: data.make_sine(x_range=(2, -2)), r"make_sine expected x_range = \(low, high\).*got \(2, -2\)"),
        (lambda: data.make_sine(noise=-1), r"make_sine expected a finite noise >= 0, got -1"),
    ],
)
def test_maker_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@settings(max_examples=40, deadline=None)
@given(n=st.integers(4, 60), seed=st.integers(0, 2**32 - 1))
def test_makers_any_size(n, seed):
    for _, make, n_classes in CLASSIFIERS:
        X, y = make(n, rng=seed)
        assert X.shape == (n, 2) and y.shape == (n,) and np.isfinite(X).all()
        counts = np.bincount(y, minlength=n_classes)
        assert counts.max() - counts.min() <= 1


# --------------------------------------------------------------------------- digits


def test_digits_shapes_dtypes_and_values():
    X, y = data.load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float32
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0 and X.max() == 16 and np.array_equal(X, np.round(X))
    counts = np.bincount(y)
    assert len(counts) == 10 and counts.sum() == 1797 and counts.min() >= 170
    images, y2 = data.load_digits(return_images=True, dtype=np.float64)
    assert images.shape == (1797, 8, 8) and images.dtype == np.float64
    np.testing.assert_array_equal(images.reshape(1797, 64), X)
    np.testing.assert_array_equal(y2, y)


def test_digits_look_like_digits():
    # Pixel (0, 0) is blank in every image, and the mean "0" differs from the mean "1"
    # in the centre (a zero has a hole there, a one has its stroke).
    images, y = data.load_digits(return_images=True)
    assert images[:, 0, 0].max() == 0
    centre = images[:, 3:5, 3:5].mean(axis=(1, 2))
    assert centre[y == 1].mean() > centre[y == 0].mean() + 5


def test_digits_file_is_plain_uint8_arrays_without_pickles(monkeypatch):
    with zipfile.ZipFile(digits_path().open("rb")) as zf:
        assert sorted(zf.namelist()) == ["images.npy", "target.npy"]
    with np.load(digits_path().open("rb"), allow_pickle=False) as npz:
        assert npz["images"].dtype == np.uint8 and npz["images"].shape == (1797, 8, 8)
        assert npz["target"].dtype == np.uint8 and npz["target"].shape == (1797,)
    calls = []
    real_load = np.load

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return real_load(*args, **kwargs)

    monkeypatch.setattr(np, "load", spy)
    data.load_digits()
    assert calls and all(kw.get("allow_pickle") is False for kw in calls)


def test_digits_return_fresh_arrays():
    X, _ = data.load_digits()
    X[:] = -1
    assert data.load_digits()[0].min() == 0


# --------------------------------------------------------------------------- MNIST-1D


def mnist1d_path():
    return resources.files("nnkit").joinpath("_data", "mnist1d.npz")


def test_mnist1d_shapes_dtypes_and_labels():
    X_train, y_train, X_test, y_test = data.load_mnist1d()
    assert X_train.shape == (4000, 40) and X_train.dtype == np.float32
    assert X_test.shape == (1000, 40) and X_test.dtype == np.float32
    assert y_train.shape == (4000,) and y_train.dtype == np.int64
    assert y_test.shape == (1000,) and y_test.dtype == np.int64
    assert np.isfinite(X_train).all() and np.isfinite(X_test).all()
    # Every class in both parts, and 500 of each over the whole set, as the generator makes them.
    train_counts, test_counts = np.bincount(y_train), np.bincount(y_test)
    assert len(train_counts) == 10 and len(test_counts) == 10 and test_counts.min() > 0
    np.testing.assert_array_equal(train_counts + test_counts, np.full(10, 500))


def test_mnist1d_is_the_published_split():
    # A fingerprint of mnist1d 0.0.2.post1's make_dataset(get_dataset_args()), seed 42: the first
    # labels of each part, and the training part's class counts. Another seed, split or order fails.
    X_train, y_train, X_test, y_test = data.load_mnist1d(dtype=np.float64)
    assert y_train[:10].tolist() == [2, 6, 4, 5, 6, 6, 6, 0, 3, 1]
    assert y_test[:10].tolist() == [2, 6, 3, 9, 4, 3, 1, 9, 5, 2]
    assert np.bincount(y_train).tolist() == [398, 396, 411, 394, 394, 402, 401, 404, 402, 398]
    # The package standardizes all 5,000 signals together, not each part.
    X = np.concatenate([X_train, X_test])
    assert abs(X.mean()) < 1e-6 and abs(X.std() - 1) < 1e-6
    assert abs(X_train.mean()) > 1e-4  # so neither part on its own was standardized


def test_mnist1d_dtype_argument():
    X32 = data.load_mnist1d()
    X64 = data.load_mnist1d(dtype=np.float64)
    assert X64[0].dtype == np.float64 and X64[2].dtype == np.float64
    assert X64[1].dtype == np.int64 and X64[3].dtype == np.int64
    for a, b in zip(X32, X64, strict=True):
        np.testing.assert_array_equal(a.astype(np.float64), b)
    with pytest.raises(TypeError, match="load_mnist1d expected a floating-point dtype .* got int32"):
        data.load_mnist1d(dtype=np.int32)


def test_mnist1d_is_deterministic_and_returns_fresh_arrays():
    first = data.load_mnist1d()
    for a in first:
        a[:] = 7
    second, third = data.load_mnist1d(), data.load_mnist1d()
    for a, b in zip(second, third, strict=True):
        np.testing.assert_array_equal(a, b)
    assert second[1].max() == 9 and second[0].max() < 7


def test_mnist1d_refuses_a_tampered_file(monkeypatch, tmp_path):
    # One flipped bit in the middle of the file (inside x_train): the hash must catch it before NumPy reads it.
    raw = bytearray(mnist1d_path().read_bytes())
    raw[len(raw) // 2] ^= 0x01
    (tmp_path / "_data").mkdir()
    (tmp_path / "_data" / "mnist1d.npz").write_bytes(bytes(raw))
    monkeypatch.setattr(data.resources, "files", lambda package: tmp_path)
    with pytest.raises(RuntimeError, match=r"mnist1d\.npz is corrupted or was changed"):
        data.load_mnist1d()


def test_mnist1d_file_is_plain_arrays_without_pickles(monkeypatch):
    expected = {
        "x_train": (np.float32, (4000, 40)),
        "y_train": (np.uint8, (4000,)),
        "x_test": (np.float32, (1000, 40)),
        "y_test": (np.uint8, (1000,)),
        "t": (np.float32, (40,)),
    }
    with zipfile.ZipFile(mnist1d_path().open("rb")) as zf:
        assert sorted(zf.namelist()) == sorted(f"{name}.npy" for name in expected)
    with np.load(mnist1d_path().open("rb"), allow_pickle=False) as npz:
        for name, (dtype, shape) in expected.items():
            assert npz[name].dtype == dtype and npz[name].shape == shape, name
        assert np.all(np.diff(npz["t"]) > 0)  # the time axis increases
    calls = []
    real_load = np.load

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return real_load(*args, **kwargs)

    monkeypatch.setattr(np, "load", spy)
    data.load_mnist1d()
    assert calls and all(kw.get("allow_pickle") is False for kw in calls)


# --------------------------------------------------------------------------- train_test_split


def test_split_sizes_disjoint_and_covering():
    X = np.arange(200.0).reshape(100, 2)
    y = np.arange(100)
    X_tr, X_te, y_tr, y_te = data.train_test_split(X, y, test_size=0.25, rng=0)
    assert len(X_tr) == len(y_tr) == 75 and len(X_te) == len(y_te) == 25
    assert set(y_tr.tolist()).isdisjoint(y_te.tolist())
    assert sorted(y_tr.tolist() + y_te.tolist()) == list(range(100))
    # Rows stay paired with their labels.
    np.testing.assert_array_equal(X_tr[:, 0], 2 * y_tr)
    np.testing.assert_array_equal(X_te[:, 0], 2 * y_te)
    assert not np.array_equal(y_tr, np.sort(y_tr))  # shuffled
    assert len(data.train_test_split(X, y, test_size=10, rng=0)[1]) == 10
    assert len(data.train_test_split(X, y, test_size=0.333, rng=0)[1]) == 34  # ceil


def test_split_reproducible_with_seed():
    X, y = np.arange(50.0)[:, None], np.arange(50)
    a = data.train_test_split(X, y, rng=3)
    b = data.train_test_split(X, y, rng=3)
    c = data.train_test_split(X, y, rng=4)
    for u, v in zip(a, b, strict=True):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[3], c[3])


def test_split_does_not_mutate_and_returns_copies():
    X, y = np.arange(40.0).reshape(20, 2), np.arange(20) % 3
    X0, y0 = X.copy(), y.copy()
    X_tr, _, _, y_te = data.train_test_split(X, y, rng=0, stratify=True)
    X_tr[:] = -1
    y_te[:] = -1
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)


def test_split_stratified_keeps_proportions():
    y = np.repeat([0, 1, 2], [600, 300, 100])
    X = np.arange(1000.0)[:, None]
    _, X_te, y_tr, y_te = data.train_test_split(X, y, test_size=0.2, rng=0, stratify=True)
    assert np.bincount(y_te).tolist() == [120, 60, 20]
    assert np.bincount(y_tr).tolist() == [480, 240, 80]
    np.testing.assert_array_equal(y[X_te[:, 0].astype(int)], y_te)
    assert not np.array_equal(y_te, np.sort(y_te))  # the test part is shuffled, not grouped by class


def test_split_stratified_parts_open_with_mixed_classes():
    # Both parts come out in random order: their first samples are not a run of one class. (Choosing
    # the test samples by their position in the output order made the training part open with the
    # class that had filled its test quota first.)
    y = np.repeat([0, 1], 700)
    X = np.arange(1400.0)[:, None]
    one_class = 0
    for seed in range(50):
        _, _, y_tr, _ = data.train_test_split(X, y, test_size=400, rng=seed, stratify=True)
        one_class += len(np.unique(y_tr[:10])) == 1
    assert one_class <= 3  # P(10 random draws are one class) = 2 / 2**10 per seed


def test_split_stratified_on_the_digits():
    X, y = data.load_digits()
    *_, y_te = data.train_test_split(X, y, test_size=0.25, rng=0, stratify=True)
    assert len(y_te) == 450
    share = np.bincount(y_te, minlength=10) / np.bincount(y, minlength=10)
    np.testing.assert_allclose(share, 0.25, atol=0.01)


@settings(max_examples=60, deadline=None)
@given(
    labels=st.lists(st.integers(0, 4), min_size=2, max_size=80),
    frac=st.floats(0.05, 0.95),
    seed=st.integers(0, 2**32 - 1),
)
def test_split_stratified_property(labels, frac, seed):
    y = np.array(labels)
    n = len(y)
    n_test = int(np.ceil(frac * n))
    if n_test >= n:
        return
    X = np.arange(n)
    X_tr, X_te, _, y_te = data.train_test_split(X, y, test_size=frac, rng=seed, stratify=True)
    assert len(X_te) == n_test and sorted(np.r_[X_tr, X_te].tolist()) == list(range(n))
    np.testing.assert_array_equal(y[X_te], y_te)
    counts, test_counts = np.bincount(y, minlength=5), np.bincount(y_te, minlength=5)
    assert np.all(np.abs(test_counts - counts * n_test / n) < 1)  # within one sample per class


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"test_size": 0.0}, r"train_test_split expected test_size to be a fraction in \(0, 1\).*got 0\.0"),
        ({"test_size": 1.5}, r"train_test_split expected test_size .* in \[1, 9\], got 1\.5"),
        ({"test_size": 10}, r"train_test_split expected test_size .* in \[1, 9\], got 10"),
        ({"test_size": 0}, r"train_test_split expected test_size .*got 0"),
        ({"test_size": True}, r"train_test_split expected test_size .*got True"),
        ({"test_size": 0.95}, r"train_test_split expected test_size=0.95 to leave at least one training"),
    ],
)
def test_split_test_size_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        data.train_test_split(np.zeros((10, 2)), np.zeros(10), **kwargs)


def test_split_shape_errors():
    match = "train_test_split expected X and y with the same number of samples, got 10 and 9"
    with pytest.raises(ValueError, match=match):
        data.train_test_split(np.zeros((10, 2)), np.zeros(9))
    with pytest.raises(ValueError, match="train_test_split expected at least 2 samples, got 1"):
        data.train_test_split(np.zeros((1, 2)), np.zeros(1))
    with pytest.raises(ValueError, match=r"train_test_split expected arrays with a sample axis, got shapes \(\)"):
        data.train_test_split(np.float64(1.0), np.zeros(1))
    with pytest.raises(ValueError, match=r"stratify=True expected 1-D labels y, got shape \(10, 2\)"):
        data.train_test_split(np.zeros((10, 2)), np.zeros((10, 2)), stratify=True)


# --------------------------------------------------------------------------- one_hot


@settings(max_examples=50, deadline=None)
@given(labels=st.lists(st.integers(0, 9), min_size=1, max_size=50))
def test_one_hot_round_trip(labels):
    y = np.array(labels)
    Y = data.one_hot(y)
    assert Y.shape == (len(y), y.max() + 1) and Y.dtype == np.float32
    np.testing.assert_array_equal(Y.argmax(axis=1), y)
    np.testing.assert_array_equal(Y.sum(axis=1), 1)
    assert set(np.unique(Y).tolist()) <= {0.0, 1.0}


def test_one_hot_num_classes_dtype_and_empty():
    Y = data.one_hot(np.array([1, 0]), 4, dtype=np.float64)
    np.testing.assert_array_equal(Y, [[0, 1, 0, 0], [1, 0, 0, 0]])
    assert Y.dtype == np.float64
    assert data.one_hot([], 3).shape == (0, 3)
    assert data.one_hot(np.array([2], dtype=np.uint8)).tolist() == [[0, 0, 1]]


@pytest.mark.parametrize(
    "args, match",
    [
        ((np.array([0.0, 1.0]),), "one_hot expected integer labels, got dtype float64"),
        ((np.array([True, False]),), "one_hot expected integer labels, got dtype bool"),
        ((np.array([0, 3]), 3), r"one_hot expected labels in \[0, 2\], got values from 0 to 3"),
        ((np.array([-1, 1]),), r"one_hot expected labels in \[0, 1\], got values from -1 to 1"),
        ((np.array([[0, 1]]),), r"one_hot expected 1-D labels y of shape \(N,\), got shape \(1, 2\)"),
        ((np.array([0]), 0), "one_hot expected num_classes >= 1, got 0"),
        ((np.array([], dtype=np.int64),), "one_hot expected num_classes when y is empty, got None"),
    ],
)
def test_one_hot_errors(args, match):
    with pytest.raises(ValueError, match=match):
        data.one_hot(*args)


# --------------------------------------------------------------------------- Standardizer


def test_standardizer_uses_training_statistics_only():
    gen = np.random.default_rng(0)
    X_train = gen.normal(3.0, 2.0, size=(500, 4)).astype(np.float32)
    X_test = gen.normal(-7.0, 5.0, size=(50, 4)).astype(np.float32)
    scaler = data.Standardizer().fit(X_train)
    np.testing.assert_allclose(scaler.mean_, X_train.astype(np.float64).mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(scaler.std_, X_train.astype(np.float64).std(axis=0), rtol=1e-6)
    Z_train, Z_test = scaler.transform(X_train), scaler.transform(X_test)
    np.testing.assert_allclose(Z_train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(Z_train.std(axis=0), 1, atol=1e-5)
    np.testing.assert_allclose(Z_test, (X_test - scaler.mean_) / scaler.std_, rtol=1e-6)
    assert abs(Z_test.mean()) > 2  # test data were not re-centred on their own statistics
    assert Z_train.dtype == Z_test.dtype == scaler.mean_.dtype == np.float32
    np.testing.assert_allclose(data.Standardizer().fit_transform(X_train), Z_train, rtol=1e-6)


def test_standardizer_zero_std_column_and_inverse():
    X = np.array([[1.0, 0.1, 5.0], [3.0, 0.1, 5.0], [5.0, 0.1, 5.0]], dtype=np.float64)
    with np.errstate(all="raise"):
        scaler = data.Standardizer().fit(X)
        Z = scaler.transform(X)
    np.testing.assert_array_equal(scaler.std_[1:], [1.0, 1.0])
    np.testing.assert_array_equal(Z[:, 1:], 0.0)
    assert np.isfinite(Z).all() and Z.dtype == np.float64
    np.testing.assert_allclose(scaler.inverse_transform(Z), X)


def test_standardizer_on_the_digits_and_integer_input():
    X, _ = data.load_digits()
    Z = data.Standardizer().fit_transform(X)
    assert np.isfinite(Z).all() and Z.dtype == np.float32
    assert np.all(Z[:, 0] == 0)  # the always-blank corner pixel
    Zi = data.Standardizer().fit_transform(np.array([[0, 2], [2, 2]], dtype=np.int64))
    assert Zi.dtype == np.float32 and Zi.tolist() == [[-1.0, 0.0], [1.0, 0.0]]


@settings(max_examples=50, deadline=None)
@given(
    rows=st.integers(1, 20),
    cols=st.integers(1, 5),
    seed=st.integers(0, 2**32 - 1),
    scale=st.sampled_from([1e-3, 1.0, 1e6]),
)
def test_standardizer_round_trip_property(rows, cols, seed, scale):
    X = np.random.default_rng(seed).normal(0, scale, size=(rows, cols))
    X[:, 0] = scale  # always one constant column
    scaler = data.Standardizer().fit(X)
    Z = scaler.transform(X)
    assert np.isfinite(Z).all()
    np.testing.assert_array_equal(Z[:, 0], 0.0)
    np.testing.assert_allclose(scaler.inverse_transform(Z), X, rtol=1e-9, atol=1e-9 * scale)


def test_standardizer_errors():
    scaler = data.Standardizer()
    with pytest.raises(RuntimeError, match="Standardizer.transform called before fit"):
        scaler.transform(np.zeros((2, 3)))
    with pytest.raises(RuntimeError, match="Standardizer.inverse_transform called before fit"):
        scaler.inverse_transform(np.zeros((2, 3)))
    scaler.fit(np.ones((4, 3)))
    with pytest.raises(ValueError, match="Standardizer.transform expected X with 3 features, got 2"):
        scaler.transform(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="Standardizer.inverse_transform expected X with 3 features, got 5"):
        scaler.inverse_transform(np.zeros((2, 5)))
    with pytest.raises(ValueError, match=r"Standardizer.fit expected a 2-D array X of shape \(N, n_features\), got"):
        scaler.fit(np.zeros(3))
    with pytest.raises(ValueError, match="Standardizer.fit expected at least 1 sample, got 0"):
        scaler.fit(np.zeros((0, 3)))
    assert repr(scaler) == "Standardizer(n_features=3)"


# --------------------------------------------------------------------------- batches


@settings(max_examples=60, deadline=None)
@given(n=st.integers(0, 60), batch_size=st.integers(1, 25), seed=st.integers(0, 2**32 - 1))
def test_batches_cover_every_sample_once(n, batch_size, seed):
    X = np.arange(2 * n, dtype=np.float32).reshape(n, 2)
    y = np.arange(n)
    out = list(data.batches(X, y, batch_size, rng=seed))
    sizes = [len(xb) for xb, _ in out]
    assert len(out) == -(-n // batch_size)
    assert all(s == batch_size for s in sizes[:-1]) and (not sizes or 1 <= sizes[-1] <= batch_size)
    seen = np.concatenate([yb for _, yb in out]) if out else np.zeros(0, dtype=int)
    assert sorted(seen.tolist()) == list(range(n))
    for xb, yb in out:
        np.testing.assert_array_equal(xb[:, 0], 2 * yb)  # rows stay paired with their labels


def test_batches_shuffle_and_determinism():
    X, y = np.arange(100.0)[:, None], np.arange(100)
    a = [yb for _, yb in data.batches(X, y, 10, rng=0)]
    b = [yb for _, yb in data.batches(X, y, 10, rng=0)]
    c = [yb for _, yb in data.batches(X, y, 10, rng=1)]
    assert all(np.array_equal(u, v) for u, v in zip(a, b, strict=True))
    assert not all(np.array_equal(u, v) for u, v in zip(a, c, strict=True))
    assert not np.array_equal(np.concatenate(a), y)
    nnkit.manual_seed(7)
    d = [yb for _, yb in data.batches(X, y, 10)]
    nnkit.manual_seed(7)
    e = [yb for _, yb in data.batches(X, y, 10)]
    assert all(np.array_equal(u, v) for u, v in zip(d, e, strict=True))
    ordered = [yb.tolist() for _, yb in data.batches(X, y, 40, shuffle=False)]
    assert ordered == [list(range(40)), list(range(40, 80)), list(range(80, 100))]


def test_batches_without_labels():
    X = np.arange(7.0)[:, None]
    out = list(data.batches(X, None, 3, rng=0))
    assert [len(xb) for xb, _ in out] == [3, 3, 1]
    assert all(yb is None for _, yb in out)
    assert sorted(np.concatenate([xb for xb, _ in out])[:, 0].tolist()) == list(range(7))


def test_batches_errors_raise_at_the_call():
    X = np.zeros((5, 2))
    with pytest.raises(ValueError, match="batches expected batch_size >= 1, got 0"):
        data.batches(X, None, 0)
    with pytest.raises(ValueError, match=r"batches expected an integer batch_size >= 1, got 2.0"):
        data.batches(X, None, 2.0)
    with pytest.raises(ValueError, match="batches expected X and y with the same number of samples, got 5 and 4"):
        data.batches(X, np.zeros(4), 2)


def test_mnist1d_ships_with_its_licence_and_attribution():
    folder = resources.files("nnkit").joinpath("_data")
    licence = folder.joinpath("LICENSE-mnist1d.md").read_text(encoding="utf-8")
    assert "Apache License" in licence and "Version 2.0, January 2004" in licence
    assert "END OF TERMS AND CONDITIONS" in licence
    readme = folder.joinpath("README.md").read_text(encoding="utf-8")
    assert "LICENSE-mnist1d.md" in readme and "Greydanus" in readme


# --------------------------------------------------------------------------- names, weather, stocks


def shipped(filename):
    return resources.files("nnkit").joinpath("_data", filename)


SHIPPED = [  # (loader, file, the constant holding its SHA-256)
    ("load_digits", "digits.npz", "_DIGITS_SHA256"),
    ("load_mnist1d", "mnist1d.npz", "_MNIST1D_SHA256"),
    ("load_names", "names.txt.gz", "_NAMES_SHA256"),
    ("load_shakespeare", "shakespeare.txt.gz", "_SHAKESPEARE_SHA256"),
    ("load_weather", "weather.npz", "_WEATHER_SHA256"),
    ("load_stocks", "stocks.npz", "_STOCKS_SHA256"),
]


@pytest.mark.parametrize(("loader", "filename", "constant"), SHIPPED)
def test_shipped_file_hash_matches_constant(loader, filename, constant):
    assert hashlib.sha256(shipped(filename).read_bytes()).hexdigest() == getattr(data, constant)


@pytest.mark.parametrize(("loader", "filename", "constant"), SHIPPED)
def test_hash_mismatch_raises_and_names_the_loader_and_file(monkeypatch, loader, filename, constant):
    monkeypatch.setattr(data, constant, "0" * 64)
    actual = hashlib.sha256(shipped(filename).read_bytes()).hexdigest()
    expected = rf"{loader}: nnkit/_data/{re.escape(filename)} is corrupted or was changed: "
    with pytest.raises(RuntimeError, match=expected + rf"expected SHA-256 0{{64}}, got {actual}$"):
        getattr(data, loader)()


def spy_on_np_load(monkeypatch):
    """Record the keyword arguments of every np.load call."""
    calls = []
    real_load = np.load

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return real_load(*args, **kwargs)

    monkeypatch.setattr(np, "load", spy)
    return calls


def test_names_split_sizes_disjoint_and_alphabet():
    train, validation, test = data.load_names()
    assert (len(train), len(validation), len(test)) == (25627, 3203, 3203)
    everything = train + validation + test
    assert len(everything) == 32033 and all(isinstance(name, str) for name in everything)
    assert set("".join(everything)) == set("abcdefghijklmnopqrstuvwxyz")
    assert min(map(len, everything)) == 2 and max(map(len, everything)) == 15
    # No name in two parts, although 2,539 names occur twice in the source: both copies stay together.
    assert not (set(train) & set(validation) or set(train) & set(test) or set(validation) & set(test))
    counts = Counter(everything)
    assert len(counts) == 29494 and sum(c == 2 for c in counts.values()) == 2539 and max(counts.values()) == 2
    assert counts["emma"] == 2 and counts["liam"] == 2


def test_names_are_the_source_names_in_the_stored_split():
    train, validation, test = data.load_names()
    # The multiset of names is exactly ../shared/data/names.txt (SHA-256 0a30b555...8cc4d): this is the
    # hash of its 32,033 lines, sorted and joined by newlines, computed from the source when the file was made.
    joined = "\n".join(sorted(train + validation + test)).encode()
    assert hashlib.sha256(joined).hexdigest() == "a9709ebc7a567f82800674afbc0e06c5f37b266b339e78de606f7a8023d4b118"
    # The stored split and order (tools/make_text_data.py, seed 2018): another seed or split fails.
    assert (train[0], train[-1]) == ("javien", "harlen")
    assert (validation[0], validation[-1]) == ("nada", "avyay")
    assert (test[0], test[-1]) == ("leena", "katina")
    assert train != sorted(train) and test != sorted(test)  # shuffled, not alphabetical
    # Twins are not left side by side: few adjacent equal names (dealt out together, then reshuffled).
    assert sum(a == b for a, b in itertools.pairwise(train)) < 10


def test_names_are_deterministic_and_fresh_lists():
    first = data.load_names()
    first[0].clear()
    first[2][0] = "zzzz"
    second, third = data.load_names(), data.load_names()
    assert second == third and len(second[0]) == 25627 and second[2][0] == "leena"


def test_names_file_is_plain_gzip_text_with_three_blocks():
    raw = shipped("names.txt.gz").read_bytes()
    assert raw[:2] == b"\x1f\x8b" and raw[4:8] == b"\x00\x00\x00\x00"  # gzip, time 0: reproducible bytes
    blocks = gzip.decompress(raw).decode("ascii").split("\n\n")
    assert [len(block.split("\n")) for block in blocks] == [25627, 3203, 3203 + 1]  # the file ends with "\n"


def test_weather_columns_shapes_dtypes_and_ends():
    weather = data.load_weather()
    assert list(weather) == ["date", "precipitation", "temp_max", "temp_min", "wind", "weather"]
    date = weather["date"]
    assert date.dtype == np.dtype("datetime64[D]") and date.shape == (1461,)
    assert date[0] == np.datetime64("2012-01-01") and date[-1] == np.datetime64("2015-12-31")
    assert np.all(np.diff(date) == np.timedelta64(1, "D"))  # every day, once, in order
    for name in ("precipitation", "temp_max", "temp_min", "wind"):
        assert weather[name].dtype == np.float32 and weather[name].shape == (1461,), name
    assert weather["weather"].dtype.kind == "U" and weather["weather"].shape == (1461,)
    first = [float(weather[k][0]) for k in ("precipitation", "temp_max", "temp_min", "wind")]
    last = [float(weather[k][-1]) for k in ("precipitation", "temp_max", "temp_min", "wind")]
    np.testing.assert_allclose(first, [0.0, 12.8, 5.0, 4.7], rtol=1e-6)
    np.testing.assert_allclose(last, [0.0, 5.6, -2.1, 3.5], rtol=1e-6)
    assert weather["weather"][0] == "drizzle" and weather["weather"][-1] == "sun"
    labels, counts = np.unique(weather["weather"], return_counts=True)
    assert dict(zip(labels.tolist(), counts.tolist())) == {
        "drizzle": 54,
        "fog": 411,
        "rain": 259,
        "snow": 23,
        "sun": 714,
    }


def test_weather_values_are_physical_and_seasonal():
    weather = data.load_weather(dtype=np.float64)
    # One decimal, exactly, as NOAA records them (stored as int16 tenths).
    for name in ("precipitation", "temp_max", "temp_min", "wind"):
        tenths = weather[name] * 10
        np.testing.assert_array_equal(np.round(tenths) / 10, weather[name])
    assert weather["precipitation"].min() == 0 and weather["precipitation"].max() == 55.9
    assert weather["temp_max"].min() == -1.6 and weather["temp_max"].max() == 35.6
    assert weather["temp_min"].min() == -7.1 and weather["temp_min"].max() == 18.3
    assert weather["wind"].min() == 0.4 and weather["wind"].max() == 9.5
    assert np.all(weather["temp_min"] <= weather["temp_max"])
    month = weather["date"].astype("datetime64[M]").astype(int) % 12 + 1
    july, january = weather["temp_max"][month == 7].mean(), weather["temp_max"][month == 1].mean()
    assert july > january + 15  # Seattle: about 26 °C against 8 °C


def test_weather_dtype_argument_and_fresh_arrays():
    w32, w64 = data.load_weather(), data.load_weather(dtype=np.float64)
    for name in ("precipitation", "temp_max", "temp_min", "wind"):
        assert w64[name].dtype == np.float64
        np.testing.assert_array_equal(w64[name].astype(np.float32), w32[name])
    np.testing.assert_array_equal(w64["date"], w32["date"])
    np.testing.assert_array_equal(w64["weather"], w32["weather"])
    with pytest.raises(TypeError, match="load_weather expected a floating-point dtype .* got int32"):
        data.load_weather(dtype=np.int32)
    for arr in w32.values():
        arr[:] = arr[1]
    again = data.load_weather()
    assert again["temp_max"][0] == np.float32(12.8) and again["weather"][0] == "drizzle"
    assert again["date"][0] == np.datetime64("2012-01-01")


def test_weather_file_is_plain_arrays_without_pickles(monkeypatch):
    expected = {
        "date": (np.dtype("datetime64[D]"), (1461,)),
        "precipitation": (np.int16, (1461,)),
        "temp_max": (np.int16, (1461,)),
        "temp_min": (np.int16, (1461,)),
        "wind": (np.int16, (1461,)),
        "weather": (np.uint8, (1461,)),
        "weather_names": (np.dtype("<U7"), (5,)),
    }
    with zipfile.ZipFile(shipped("weather.npz").open("rb")) as zf:
        assert sorted(zf.namelist()) == sorted(f"{name}.npy" for name in expected)
    with np.load(shipped("weather.npz").open("rb"), allow_pickle=False) as npz:
        for name, (dtype, shape) in expected.items():
            assert npz[name].dtype == dtype and npz[name].shape == shape, name
    calls = spy_on_np_load(monkeypatch)
    data.load_weather()
    assert calls and all(kw.get("allow_pickle") is False for kw in calls)


def test_stocks_shapes_dtypes_and_ends():
    symbols, months, prices = data.load_stocks()
    assert symbols == ["AAPL", "AMZN", "GOOG", "IBM", "MSFT"]
    assert months.dtype == np.dtype("datetime64[M]") and months.shape == (123,)
    assert months[0] == np.datetime64("2000-01") and months[-1] == np.datetime64("2010-03")
    assert np.all(np.diff(months) == np.timedelta64(1, "M"))
    assert prices.dtype == np.float32 and prices.shape == (123, 5)
    np.testing.assert_allclose(prices[0], [25.94, 64.56, np.nan, 100.52, 39.81], rtol=1e-6)
    np.testing.assert_allclose(prices[-1], [223.02, 128.82, 560.19, 125.55, 28.80], rtol=1e-6)


def test_stocks_only_goog_before_its_listing_is_missing():
    symbols, months, prices = data.load_stocks(dtype=np.float64)
    missing = np.isnan(prices)
    goog = symbols.index("GOOG")
    assert missing.sum() == 55 and missing[:55, goog].all() and not missing[55:].any()
    assert months[55] == np.datetime64("2004-08") and prices[55, goog] == 102.37
    assert np.all(prices[~missing] > 0)
    # Two decimals, exactly as in the source (stored as float64).
    np.testing.assert_array_equal(np.round(prices[~missing] * 100) / 100, prices[~missing])


def test_stocks_dtype_argument_and_fresh_arrays():
    s32, s64 = data.load_stocks(), data.load_stocks(dtype=np.float64)
    assert s64[2].dtype == np.float64
    np.testing.assert_array_equal(s64[2].astype(np.float32), s32[2])
    with pytest.raises(TypeError, match="load_stocks expected a floating-point dtype .* got int64"):
        data.load_stocks(dtype=np.int64)
    s32[0].append("XYZ")
    s32[1][:] = s32[1][-1]
    s32[2][:] = 0
    symbols, months, prices = data.load_stocks()
    assert len(symbols) == 5 and months[0] == np.datetime64("2000-01") and prices[0, 0] == np.float32(25.94)


def test_stocks_file_is_plain_arrays_without_pickles(monkeypatch):
    with zipfile.ZipFile(shipped("stocks.npz").open("rb")) as zf:
        assert sorted(zf.namelist()) == ["month.npy", "price.npy", "symbols.npy"]
    with np.load(shipped("stocks.npz").open("rb"), allow_pickle=False) as npz:
        assert npz["symbols"].dtype == np.dtype("<U4") and npz["symbols"].shape == (5,)
        assert npz["month"].dtype == np.dtype("datetime64[M]") and npz["month"].shape == (123,)
        assert npz["price"].dtype == np.float64 and npz["price"].shape == (123, 5)
    calls = spy_on_np_load(monkeypatch)
    data.load_stocks()
    assert calls and all(kw.get("allow_pickle") is False for kw in calls)


@pytest.mark.parametrize(
    "filename, load",
    [("names.txt.gz", data.load_names), ("weather.npz", data.load_weather), ("stocks.npz", data.load_stocks)],
)
def test_sequence_data_refuse_a_tampered_file(monkeypatch, tmp_path, filename, load):
    # One flipped bit in the middle of the file: the hash must catch it before gzip or NumPy reads it.
    raw = bytearray(shipped(filename).read_bytes())
    raw[len(raw) // 2] ^= 0x01
    (tmp_path / "_data").mkdir()
    (tmp_path / "_data" / filename).write_bytes(bytes(raw))
    monkeypatch.setattr(data.resources, "files", lambda package: tmp_path)
    with pytest.raises(RuntimeError, match=rf"{re.escape(filename)} is corrupted or was changed"):
        load()


def test_sequence_data_ship_with_their_licences_and_provenance():
    folder = resources.files("nnkit").joinpath("_data")
    makemore = folder.joinpath("LICENSE-makemore.md").read_text(encoding="utf-8")
    vega = folder.joinpath("LICENSE-vega_datasets.md").read_text(encoding="utf-8")
    for licence, holder in (
        (makemore, "Copyright (c) 2022 Andrej Karpathy"),
        (vega, "Copyright (c) 2018 Jake Vanderplas"),
    ):
        assert "MIT License" in licence and holder in licence
        assert "The above copyright notice and this permission notice shall be included" in licence
    readme = folder.joinpath("README.md").read_text(encoding="utf-8")
    for needle in ("names.txt.gz", "weather.npz", "stocks.npz", "LICENSE-makemore.md", "LICENSE-vega_datasets.md"):
        assert needle in readme, needle
    for constant in (data._NAMES_SHA256, data._WEATHER_SHA256, data._STOCKS_SHA256):
        assert constant in readme


def test_shakespeare_is_the_source_text_split_at_ninety_percent():
    train, validation = data.load_shakespeare()
    text = train + validation
    # ../shared/data/tinyshakespeare.txt (char-rnn), byte for byte: the source's SHA-256
    assert hashlib.sha256(text.encode("ascii")).hexdigest() == (
        "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"
    )
    assert (len(train), len(validation)) == (1_003_854, 111_540) and len(train) == len(text) * 9 // 10
    assert len(set(text)) == 65 and set("\n !$&',-.3:;?") < set(text)
    assert train.startswith("First Citizen:\nBefore we proceed any further") and text.endswith("\n")
    assert data.load_shakespeare() == (train, validation)  # deterministic


def test_encode_names_pads_inputs_with_the_start_and_targets_with_ignore_index():
    X, Y = data.encode_names(["ab", "zoe"], length=5)
    np.testing.assert_array_equal(X, [[0, 1, 2, 0, 0], [0, 26, 15, 5, 0]])
    np.testing.assert_array_equal(Y, [[1, 2, 0, -100, -100], [26, 15, 5, 0, -100]])
    assert X.dtype == Y.dtype == np.int64
    # Y[n, t] is the character after X[n, : t + 1]: the inputs shifted by one, wherever the next input is a letter
    letters = X[:, 1:] > 0
    np.testing.assert_array_equal(Y[:, :-1][letters], X[:, 1:][letters])
    train, _, _ = data.load_names()
    X, Y = data.encode_names(train)
    assert X.shape == (25627, 16) and (Y >= 0).sum() == sum(len(n) + 1 for n in train)
    with pytest.raises(
        ValueError, match="encode_names expected names of at most 4 letters a-z, got 'emmas' at position 1"
    ):
        data.encode_names(["emma", "emmas"], length=5)
    with pytest.raises(ValueError, match="got 'Emma' at position 0"):
        data.encode_names(["Emma"])
