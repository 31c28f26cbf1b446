"""Produce ``nnkit/_data/digits.npz`` from scikit-learn's bundled copy of the UCI digits.

Run once, with scikit-learn installed in a throwaway venv (nnkit does not depend on it)::

    python3 -m venv /tmp/skvenv && /tmp/skvenv/bin/pip install scikit-learn
    /tmp/skvenv/bin/python tools/make_digits_npz.py

The file holds two uint8 arrays, ``images`` (1797, 8, 8) with pixel values 0..16 and
``target`` (1797,) with labels 0..9. It is the same zip of ``.npy`` members that
``np.savez_compressed`` writes, but with a fixed member timestamp and order, so that
running the script twice gives the same bytes (with the same NumPy and zlib). The script
prints the SHA-256 to paste into ``_DIGITS_SHA256`` in ``nnkit/data.py``.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import zipfile
from pathlib import Path

import numpy as np

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "nnkit" / "_data" / "digits.npz"
FIXED_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can hold


def digits_arrays() -> dict[str, np.ndarray]:
    """Read scikit-learn's copy and check it before converting to uint8."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images, target = np.asarray(bunch.images), np.asarray(bunch.target)
    assert images.shape == (1797, 8, 8), images.shape
    assert target.shape == (1797,), target.shape
    assert np.array_equal(images, np.round(images)) and images.min() >= 0 and images.max() <= 16
    assert set(np.unique(target).tolist()) == set(range(10))
    return {"images": images.astype(np.uint8), "target": target.astype(np.uint8)}


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
    arrays = digits_arrays()
    data = write_npz(args.out, arrays)
    with np.load(args.out, allow_pickle=False) as check:  # round-trip before trusting the file
        for name, arr in arrays.items():
            assert check[name].dtype == arr.dtype and np.array_equal(check[name], arr), name
    print(f"wrote {args.out} ({len(data)} bytes)")
    print(f"sha256 {hashlib.sha256(data).hexdigest()}")


if __name__ == "__main__":
    main()
