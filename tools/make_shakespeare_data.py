"""Produce ``nnkit/_data/shakespeare.txt.gz``: the tiny-Shakespeare text, unchanged, gzip'd.

Run once, with nnkit's own environment::

    .venv/bin/python tools/make_shakespeare_data.py

The source is ``../shared/data/tinyshakespeare.txt`` next to the repository (``--source`` to point
elsewhere): 40,000 lines from Shakespeare's plays (public domain), the selection in Andrej Karpathy's
``char-rnn`` repository (MIT licence). The script checks its SHA-256, its length and its alphabet before
using it. Nothing reads the source at run time: ``nnkit.data.load_shakespeare`` reads only the file
written here, and splits it there (the first 90 % of the characters for training, the rest for
validation, the usual split for this text).

The gzip header has no file name and time 0, so running the script twice gives the same bytes (with the
same zlib). The script prints the SHA-256 to paste into ``_SHAKESPEARE_SHA256`` in ``nnkit/data.py``.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = ROOT.parent / "shared" / "data" / "tinyshakespeare.txt"
DEFAULT_OUT = ROOT / "nnkit" / "_data" / "shakespeare.txt.gz"

SOURCE_SHA256 = "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"  # char-rnn commit 6f9487a
N_CHARS = 1_115_394
N_DISTINCT = 65


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help=f"the text (default {DEFAULT_SOURCE})")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output file (default {DEFAULT_OUT})")
    args = parser.parse_args()
    raw = args.source.read_bytes()
    actual = hashlib.sha256(raw).hexdigest()
    assert actual == SOURCE_SHA256, f"{args.source}: expected SHA-256 {SOURCE_SHA256}, got {actual}"
    text = raw.decode("ascii")
    assert len(text) == N_CHARS and len(set(text)) == N_DISTINCT, (len(text), len(set(text)))
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as gz:
        gz.write(raw)
    data = buf.getvalue()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    assert gzip.decompress(args.out.read_bytes()) == raw  # round trip before trusting the file
    print(f"wrote {args.out} ({len(data):,} bytes, {N_CHARS:,} characters, {N_DISTINCT} distinct)")
    print(f"sha256 {hashlib.sha256(data).hexdigest()}")


if __name__ == "__main__":
    main()
