"""Write into the book's notebooks the metadata with which JupyterLab shows them as the site does.

Two things that the site takes from elsewhere, JupyterLab takes from the notebook's metadata:

- **Hidden cells.** Jupyter Book hides a code cell tagged ``hide-cell`` (the exercises' solutions)
  behind a click, and the input of one tagged ``hide-input``; JupyterLab ignores tags, and
  collapses a cell whose ``metadata.jupyter`` says ``source_hidden`` / ``outputs_hidden``. This
  script sets those from the tags (``hide-output`` too), so a solution stays hidden in
  ``make lab`` until the reader clicks it.
- **The kernel spec.** JupyterLab writes the spec of the kernel it starts (``name``,
  ``display_name``, ``language``) into the notebook's metadata: a notebook that names the same
  kernel under another display name ("Python 3" where ipykernel says "Python 3 (ipykernel)") is
  changed the moment it opens, and its tab shows it as modified. This script writes the spec of
  the environment's ``python3`` kernel.

Nothing else changes: the files keep nbformat's layout (``json.dumps(indent=1, sort_keys=True)``),
so the diff is those lines only. ``tools/execute_notebooks.py`` keeps this metadata (nbclient
rewrites neither), and ``tests/test_lab.py`` checks it.

    .venv/bin/python tools/lab_metadata.py             # every notebook under book/
    .venv/bin/python tools/lab_metadata.py --check     # only report; exit 1 if one differs
    .venv/bin/python tools/lab_metadata.py book/ch02_activations.ipynb
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

#: Jupyter Book's tag -> the ``metadata.jupyter`` flags with which JupyterLab collapses the same.
COLLAPSE = {
    "hide-cell": {"source_hidden": True, "outputs_hidden": True},
    "hide-input": {"source_hidden": True},
    "hide-output": {"outputs_hidden": True},
}


def lab_kernelspec(name: str = "python3") -> dict[str, str]:
    """The ``metadata.kernelspec`` that JupyterLab writes for the environment's kernel ``name``."""
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec(name)
    return {"display_name": spec.display_name, "language": spec.language, "name": name}


def collapse_flags(cell: dict[str, Any]) -> dict[str, bool]:
    """The ``metadata.jupyter`` flags that a code cell's Jupyter Book tags call for."""
    flags: dict[str, bool] = {}
    if cell.get("cell_type") == "code":
        for tag in cell.get("metadata", {}).get("tags", []):
            flags.update(COLLAPSE.get(tag, {}))
    return flags


def with_lab_metadata(notebook: dict[str, Any], kernelspec: dict[str, str]) -> dict[str, Any]:
    """A copy of the notebook (its JSON) with the kernel spec and the cells' collapse flags set."""
    notebook = copy.deepcopy(notebook)
    notebook.setdefault("metadata", {})["kernelspec"] = dict(kernelspec)
    for cell in notebook.get("cells", []):
        flags = collapse_flags(cell)
        if flags:
            cell.setdefault("metadata", {}).setdefault("jupyter", {}).update(flags)
    return notebook


def dumps(notebook: dict[str, Any]) -> str:
    """The notebook's JSON as nbformat writes it."""
    return json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every .ipynb under book/")
    parser.add_argument("--check", action="store_true", help="report the notebooks that differ; change nothing")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(p for p in (ROOT / "book").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    kernelspec = lab_kernelspec()
    differ = []
    for path in paths:
        notebook = json.loads(path.read_text(encoding="utf-8"))
        wanted = with_lab_metadata(notebook, kernelspec)
        if wanted != notebook:
            differ.append(path)
            if not args.check:
                path.write_text(dumps(wanted), encoding="utf-8")
    for path in differ:
        print(f"{path}: {'lacks' if args.check else 'now has'} JupyterLab's metadata")
    return 1 if args.check and differ else 0


if __name__ == "__main__":
    sys.exit(main())
