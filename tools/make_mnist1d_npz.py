"""Produce ``nnkit/_data/mnist1d.npz``: MNIST-1D as published, from the ``mnist1d`` package.

Run once, with the package installed in a throwaway venv (nnkit does not depend on it)::

    python3 -m venv /tmp/m1venv
    /tmp/m1venv/bin/pip install mnist1d==0.0.2.post1 numpy==2.4.6 scipy==1.17.1
    /tmp/m1venv/bin/python tools/make_mnist1d_npz.py

MNIST-1D (Greydanus 2020, Apache-2.0) is generated, not downloaded: ten fixed templates of
12 points are padded, stretched, scaled, shifted, sheared and given noise, then resampled to
40 points, with NumPy's legacy global generator seeded with 42. The standard data set, the one
the published baselines (logistic 32%, MLP 68%, CNN 94%, GRU 91%) refer to, is
``make_dataset(get_dataset_args())``: 5,000 signals, the first 80% the training part. The
script checks that the package's defaults are still those before it uses them.

The file holds ``x_train`` (4000, 40) and ``x_test`` (1000, 40) as float32, ``y_train``
(4000,) and ``y_test`` (1000,) as uint8 labels 0..9, and ``t`` (40,) float32, the package's
time axis for plotting. The split and the order are the package's own. The zip is written
like ``np.savez_compressed`` but with a fixed member timestamp and order, so that running the
script twice gives the same bytes (with the same NumPy, SciPy and zlib). The script prints
the SHA-256 to paste into ``_MNIST1D_SHA256`` in ``nnkit/data.py``.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import zipfile
from pathlib import Path

import numpy as np

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "nnkit" / "_data" / "mnist1d.npz"
FIXED_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can hold

# The generation arguments of the published data set (mnist1d 0.0.2.post1 and the 2020 code agree).
PUBLISHED_ARGS = {
    "num_samples": 5000,
    "train_split": 0.8,
    "template_len": 12,
    "padding": [36, 60],
    "scale_coeff": 0.4,
    "max_translation": 48,
    "corr_noise_scale": 0.25,
    "iid_noise_scale": 2e-2,
    "shear_scale": 0.75,
    "shuffle_seq": False,
    "final_seq_length": 40,
    "seed": 42,
}


def mnist1d_arrays() -> dict[str, np.ndarray]:
    """Generate the standard data set with the package, check it, and convert to compact dtypes."""
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    found = {k: v for k, v in vars(args).items() if k != "url"}
    assert found == PUBLISHED_ARGS, f"mnist1d's defaults changed: {found}"
    ds = make_dataset(args)  # seeds NumPy's global generator with args.seed itself
    x, y, x_test, y_test, t = (np.asarray(ds[k]) for k in ("x", "y", "x_test", "y_test", "t"))
    assert x.shape == (4000, 40) and x_test.shape == (1000, 40), (x.shape, x_test.shape)
    assert y.shape == (4000,) and y_test.shape == (1000,), (y.shape, y_test.shape)
    assert t.shape == (40,), t.shape
    assert np.isfinite(x).all() and np.isfinite(x_test).all() and np.isfinite(t).all()
    labels = np.concatenate([y, y_test])
    assert np.array_equal(np.bincount(labels, minlength=10), np.full(10, 500)), np.bincount(labels)
    for part in (y, y_test):
        assert set(np.unique(part).tolist()) == set(range(10))
    arrays = {
        "x_train": x.astype(np.float32),
        "y_train": y.astype(np.uint8),
        "x_test": x_test.astype(np.float32),
        "y_test": y_test.astype(np.uint8),
        "t": t.astype(np.float32),
    }
    for name, src in (("x_train", x), ("x_test", x_test), ("t", t)):  # float32 keeps ~7 digits
        np.testing.assert_allclose(arrays[name], src, rtol=1e-7, atol=1e-7)
    return arrays


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> bytes:
    """Write ``arrays`` like ``np.savez_compressed``, but with fixed timestamps; return the bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, arr in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, np.ascontiguousarray(arr), allow_pickle=False)
            info = zipfile.ZipInfo(name + ".npy", date_time=FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, member.getvalue(), compresslevel=9)
    data = buf.getvalue()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output file (default {DEFAULT_OUT})")
    args = parser.parse_args()
    arrays = mnist1d_arrays()
    data = write_npz(args.out, arrays)
    with np.load(args.out, allow_pickle=False) as check:  # round-trip before trusting the file
        assert sorted(check.files) == sorted(arrays), check.files
        for name, arr in arrays.items():
            assert check[name].dtype == arr.dtype and np.array_equal(check[name], arr), name
    print(f"wrote {args.out} ({len(data)} bytes)")
    print(f"sha256 {hashlib.sha256(data).hexdigest()}")


if __name__ == "__main__":
    main()
