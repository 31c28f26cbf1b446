"""Vendor the browser assets that the site needs, from the npm registry (``make vendor``).

The built book must work with the network off, so it serves its own copies of

- require.js (npm ``requirejs``), which the widget manager needs to load its modules;
- the Jupyter widgets HTML manager (npm ``@jupyter-widgets/html-manager``, ``dist/embed-amd.js``),
  which renders the stored widget state of a notebook without a kernel;
- MathJax 3 (npm ``mathjax``, ``es5/tex-chtml-full.js`` and its CHTML fonts).

Each package is fetched with ``npm pack`` (npm checks the tarball's integrity), and only the files
listed in ``ASSETS`` are copied into ``vendor/``, which ``_config.yml`` lists under
``html_extra_path``. ``vendor/README.md`` is written with each file's package, version, path and
sha256 and its licence. Commit the result.

``python tools/vendor_assets.py --check`` (no network) checks the committed files against the
README's sha256 sums.
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "vendor"


@dataclass(frozen=True)
class Asset:
    """Files to copy out of one npm package: ``files`` maps a glob in the tarball to a folder."""

    package: str
    version: str
    licence: str
    dest: str
    files: dict[str, str]
    licence_files: tuple[str, ...] = ()
    why: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    note: str = ""


# The requirejs and html-manager tarballs name their licences but ship no licence text, so these are
# the LICENSE files of their repositories (requirejs/requirejs, jupyter-widgets/ipywidgets).
REQUIREJS_LICENSE = """\
Copyright jQuery Foundation and other contributors, https://jquery.org/

This software consists of voluntary contributions made by many
individuals. For exact contribution history, see the revision history
available at https://github.com/requirejs/requirejs

Permission is hereby granted, free of charge, to any person obtaining
a copy of this software and associated documentation files (the
"Software"), to deal in the Software without restriction, including
without limitation the rights to use, copy, modify, merge, publish,
distribute, sublicense, and/or sell copies of the Software, and to
permit persons to whom the Software is furnished to do so, subject to
the following conditions:

The above copyright notice and this permission notice shall be
included in all copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND,
EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF
MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE
LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION
OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION
WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
"""

IPYWIDGETS_LICENSE = """\
Copyright (c) 2015 Project Jupyter Contributors
All rights reserved.

Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions are met:

1. Redistributions of source code must retain the above copyright notice, this
   list of conditions and the following disclaimer.

2. Redistributions in binary form must reproduce the above copyright notice,
   this list of conditions and the following disclaimer in the documentation
   and/or other materials provided with the distribution.

3. Neither the name of the copyright holder nor the names of its
   contributors may be used to endorse or promote products derived from
   this software without specific prior written permission.

THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"
AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE
IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE
FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR
SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER
CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY,
OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
"""

ASSETS = [
    Asset(
        package="requirejs",
        version="2.3.8",
        licence="MIT",
        dest="requirejs",
        files={"require.js": ""},
        why="the AMD loader that embed-amd.js needs (myst-nb's default loads require.min.js from a CDN)",
        extra={"LICENSE": REQUIREJS_LICENSE},
    ),
    Asset(
        # html-manager 1.0.x is built against @jupyter-widgets/controls 5 and base 6, i.e. the widget
        # protocol 2 / controls 2.0.0 models that ipywidgets 8 writes into the notebooks.
        package="@jupyter-widgets/html-manager",
        version="1.0.15",
        licence="BSD-3-Clause",
        dest="html-manager",
        # embed-amd.js loads Font Awesome's fonts from window.__jupyter_widgets_assets_path__, which
        # book/_static/nnkit-widgets.js sets to this folder; browsers take the woff2 files.
        files={"dist/embed-amd.js": "", "dist/*.woff2": "", "dist/embed.js.LICENSE.txt": ""},
        why="renders the widget state stored in the notebooks, without a kernel",
        note=(
            "embed-amd.js bundles third-party code (notices in `embed.js.LICENSE.txt` and in the file's "
            "comments) and Font Awesome Free 5.15.4, whose fonts are the `.woff2` files "
            "(fonts: SIL OFL 1.1, icons: CC BY 4.0, code: MIT; https://fontawesome.com/license/free)"
        ),
        extra={"LICENSE": IPYWIDGETS_LICENSE},
    ),
    Asset(
        package="mathjax",
        version="3.2.2",
        licence="Apache-2.0",
        dest="mathjax",
        # The -full build has every TeX extension, so MathJax never autoloads one (\boldsymbol, ...).
        files={
            "es5/tex-chtml-full.js": "es5",
            "es5/output/chtml/fonts/woff-v2/*.woff": "es5/output/chtml/fonts/woff-v2",
        },
        licence_files=("LICENSE",),
        why="typesets the maths (Sphinx's default loads it from a CDN)",
    ),
]


def sha256(path: Path) -> str:
    """The hex sha256 of a file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def npm_pack(asset: Asset, workdir: Path) -> tuple[Path, str]:
    """Fetch the package's tarball with ``npm pack``; return its path and its integrity string."""
    spec = f"{asset.package}@{asset.version}"
    out = subprocess.run(
        ["npm", "pack", spec, "--json", "--pack-destination", str(workdir)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    info = json.loads(out)[0]
    return workdir / info["filename"], info["integrity"]


def extract(asset: Asset, tarball: Path, dest: Path) -> list[Path]:
    """Copy the files that ``asset.files`` selects out of the tarball; return their paths."""
    written = []
    with tarfile.open(tarball) as tar:
        members = {m.name.removeprefix("package/"): m for m in tar.getmembers() if m.isfile()}
        wanted = [(pattern, sub) for pattern, sub in asset.files.items()]
        wanted += [(name, "") for name in asset.licence_files]
        for pattern, sub in wanted:
            names = sorted(fnmatch.filter(members, pattern))
            if not names:
                raise SystemExit(f"{asset.package}@{asset.version} has no file matching {pattern!r}")
            for name in names:
                target = dest / sub / Path(name).name
                target.parent.mkdir(parents=True, exist_ok=True)
                with tar.extractfile(members[name]) as src:  # type: ignore[union-attr]
                    target.write_bytes(src.read())
                written.append(target)
    for name, text in asset.extra.items():
        (dest / name).write_text(text)
        written.append(dest / name)
    return written


README_HEAD = """\
# Vendored browser assets

The built site serves these files itself, so that its maths and widgets work with the network off
and no page requests anything from another site. `_config.yml` lists this folder under
`html_extra_path` (its contents are copied to the root of `_build/html`; this README is excluded),
points `mathjax_path` at the MathJax file and myst-nb's `nb_ipywidgets_js` at require.js and the
widget manager.

Written by `python tools/vendor_assets.py` (`make vendor`), which fetches each package from the npm
registry with `npm pack` (npm verifies the tarball against the registry's integrity hash) and copies
only the files below. Do not edit by hand: change `ASSETS` in that script and run it again.
`python tools/vendor_assets.py --check` checks these files against the sums below.

"""


def readme(records: list[tuple[Asset, str, list[Path]]]) -> str:
    """The README text: one section per package, one table row per file."""
    parts = [README_HEAD]
    for asset, integrity, paths in records:
        parts.append(f"## {asset.package} {asset.version}\n\n")
        parts.append(f"Why: {asset.why}.  \nLicence: {asset.licence} (text in `{asset.dest}/`).  \n")
        if asset.note:
            parts.append(f"Note: {asset.note}.  \n")
        parts.append(f"Tarball: `npm pack {asset.package}@{asset.version}`, integrity `{integrity}`.\n\n")
        parts.append("| file here | sha256 |\n|---|---|\n")
        for path in paths:
            parts.append(f"| `{path.relative_to(VENDOR).as_posix()}` | `{sha256(path)}` |\n")
        parts.append("\n")
    return "".join(parts)


def vendor() -> None:
    """Fetch every asset and rewrite ``vendor/``."""
    records = []
    with tempfile.TemporaryDirectory() as tmp:
        for asset in ASSETS:
            tarball, integrity = npm_pack(asset, Path(tmp))
            dest = VENDOR / asset.dest
            shutil.rmtree(dest, ignore_errors=True)
            records.append((asset, integrity, extract(asset, tarball, dest)))
    (VENDOR / "README.md").write_text(readme(records))
    total = sum(p.stat().st_size for _, _, paths in records for p in paths)
    print(f"vendored {sum(len(p) for _, _, p in records)} files, {total / 1e6:.2f} MB, into {VENDOR}")


def check() -> list[str]:
    """Compare the files in ``vendor/`` with the README's sums; return the problems."""
    rows = re.findall(r"^\| `([^`]+)` \| `([0-9a-f]{64})` \|$", (VENDOR / "README.md").read_text(), re.M)
    problems = [f"{name}: missing" for name, _ in rows if not (VENDOR / name).is_file()]
    problems += [
        f"{name}: sha256 differs"
        for name, digest in rows
        if (VENDOR / name).is_file() and sha256(VENDOR / name) != digest
    ]
    listed = {name for name, _ in rows} | {"README.md"}
    problems += [
        f"{p.relative_to(VENDOR).as_posix()}: not in README.md"
        for p in VENDOR.rglob("*")
        if p.is_file() and p.relative_to(VENDOR).as_posix() not in listed
    ]
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="check vendor/ against its README (no network)")
    args = parser.parse_args(argv)
    if args.check:
        problems = check()
        print("\n".join(problems) or "vendor/ matches vendor/README.md")
        return 1 if problems else 0
    vendor()
    return 0


if __name__ == "__main__":
    sys.exit(main())
