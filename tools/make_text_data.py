"""Produce ``nnkit/_data/names.txt.gz``: the names of ``names.txt``, split once into train/validation/test.

Run once, with nnkit's own environment (only NumPy is needed)::

    .venv/bin/python tools/make_text_data.py

The source is ``../shared/data/names.txt`` next to the repository (``--source`` to point elsewhere):
given names from the U.S. Social Security Administration's baby-name data for 2018, as collected
in Andrej Karpathy's ``makemore`` repository (MIT licence). The script checks its SHA-256 and its
contents (32,033 lines of lowercase a-z) before using it. Nothing reads the source at run time:
``nnkit.data.load_names`` reads only the file written here.

2,539 names occur twice in the list. A split of the lines would put some name in the training part
and its twin in the test part, so the split is by name: the distinct names are shuffled once with
``SPLIT_SEED`` and dealt out, both copies of a name to the same part, until the validation and test
parts hold exactly 10% of the lines each (3,203) and the training part the rest (25,627). Each part
is then shuffled once more, so twins do not sit side by side. The split is stored, not recomputed,
so it does not depend on NumPy's random streams staying the same across versions.

The file is gzip'd ASCII text: the training names, one per line, an empty line, the validation
names, an empty line, the test names. It is written with a fixed gzip header (no file name, time
0), so running the script twice gives the same bytes (with the same NumPy and zlib). The script
prints the SHA-256 to paste into ``_NAMES_SHA256`` in ``nnkit/data.py``.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import string
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = ROOT.parent / "shared" / "data" / "names.txt"
DEFAULT_OUT = ROOT / "nnkit" / "_data" / "names.txt.gz"

SOURCE_SHA256 = "0a30b5557f192f32ab962680889aac5f6fda0f4cecf40a6d0b5694f58ea8cc4d"  # makemore commit 988aa59
N_NAMES = 32_033  # lines; the file has no final newline, so `wc -l` says 32,032
N_DISTINCT = 29_494
SPLIT_SEED = 2018  # the year of the names; any fixed seed would do
FRACTIONS = {"validation": 0.1, "test": 0.1}  # the training part gets the rest


def read_names(path: Path) -> list[str]:
    """Read ``names.txt`` and check that it is the expected file."""
    raw = path.read_bytes()
    actual = hashlib.sha256(raw).hexdigest()
    assert actual == SOURCE_SHA256, f"{path}: expected SHA-256 {SOURCE_SHA256}, got {actual}"
    names = raw.decode("ascii").split("\n")
    assert len(names) == N_NAMES, len(names)
    alphabet = set(string.ascii_lowercase)
    assert all(name and set(name) <= alphabet for name in names), "a name outside a-z, or an empty line"
    counts = Counter(names)
    assert len(counts) == N_DISTINCT and max(counts.values()) == 2, (len(counts), max(counts.values()))
    return names


def split_by_name(names: list[str], seed: int) -> dict[str, list[str]]:
    """Deal the shuffled distinct names out to test, validation and train; both copies of a name together."""
    counts = Counter(names)  # insertion order: order of first appearance
    distinct = list(counts)
    targets = {part: round(frac * len(names)) for part, frac in FRACTIONS.items()}
    rng = np.random.default_rng(seed)
    parts: dict[str, list[str]] = {"train": [], "validation": [], "test": []}
    for i in rng.permutation(len(distinct)):
        name = distinct[i]
        # The first part the name (with its twin) still fits into; train takes whatever is left.
        part = next((p for p in ("test", "validation") if len(parts[p]) + counts[name] <= targets[p]), "train")
        parts[part].extend([name] * counts[name])
    for part, target in targets.items():
        assert len(parts[part]) == target, (part, len(parts[part]), target)
    return {part: [members[j] for j in rng.permutation(len(members))] for part, members in parts.items()}


def check_split(names: list[str], parts: dict[str, list[str]]) -> None:
    """Every line in exactly one part, and no name in two parts."""
    assert Counter(names) == Counter(parts["train"]) + Counter(parts["validation"]) + Counter(parts["test"])
    train, validation, test = (set(parts[p]) for p in ("train", "validation", "test"))
    assert not (train & validation or train & test or validation & test), "a name in two parts"


def write_gz(path: Path, parts: dict[str, list[str]]) -> bytes:
    """Write the three parts as gzip'd text, blocks separated by an empty line; return the bytes."""
    text = "\n\n".join("\n".join(parts[p]) for p in ("train", "validation", "test")) + "\n"
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as gz:
        gz.write(text.encode("ascii"))
    data = buf.getvalue()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help=f"names.txt (default {DEFAULT_SOURCE})")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output file (default {DEFAULT_OUT})")
    args = parser.parse_args()
    names = read_names(args.source)
    parts = split_by_name(names, SPLIT_SEED)
    check_split(names, parts)
    data = write_gz(args.out, parts)
    # Round-trip before trusting the file, parsed the way nnkit.data.load_names parses it.
    blocks = gzip.decompress(args.out.read_bytes()).decode("ascii").split("\n\n")
    assert [block.split() for block in blocks] == [parts[p] for p in ("train", "validation", "test")]
    print(f"wrote {args.out} ({len(data)} bytes)")
    print("sizes " + ", ".join(f"{p} {len(v)} (first {v[0]!r}, last {v[-1]!r})" for p, v in parts.items()))
    print(f"sha256 {hashlib.sha256(data).hexdigest()}")


if __name__ == "__main__":
    main()
