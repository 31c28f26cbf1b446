"""Re-run every notebook of the book in a fresh kernel and store its outputs (``make execute``).

Each notebook listed in ``_toc.yml`` is executed top to bottom with nbclient, with widget
state stored, so the built site renders the stored outputs and nbval can check them.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
import yaml
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def toc_notebooks(root: Path = ROOT) -> list[Path]:
    """The ``.ipynb`` files that ``_toc.yml`` lists, in reading order."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "file" in node:
                found.append(str(node["file"]))
            if "root" in node:
                found.append(str(node["root"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc)
    paths = []
    for entry in found:
        path = root / entry
        if path.suffix == "":
            path = path.with_suffix(".ipynb")
        if path.suffix == ".ipynb" and path.exists():
            paths.append(path)
    return paths


def execute(path: Path, timeout: int = 600) -> float:
    """Execute one notebook in place in a fresh kernel; return the seconds it took."""
    nb = nbformat.read(path, as_version=4)
    nb.metadata.pop("widgets", None)  # nbclient only writes it when the run creates widgets
    start = time.perf_counter()
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        store_widget_state=True,
    )
    client.execute()
    nbformat.write(nb, path)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("notebooks", nargs="*", help="notebooks to run (default: every notebook in _toc.yml)")
    args = parser.parse_args(argv)
    paths = [Path(p) for p in args.notebooks if p.endswith(".ipynb")] or toc_notebooks()
    for path in paths:
        seconds = execute(path)
        print(f"{seconds:6.1f} s  {path.relative_to(ROOT) if path.is_absolute() else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
