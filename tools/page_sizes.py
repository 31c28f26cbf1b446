"""Report the heaviest pages of the built site, and fail when one is over the budget (``make book``).

A page's HTML carries its explorables' frames inline (the stored widget state), so it is what a
reader downloads before the page can be used; its images and the shared scripts come on top.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: No page's HTML may be larger than this.
BUDGET_BYTES = 3_000_000


def page_sizes(html_dir: Path) -> list[tuple[int, Path]]:
    """``(bytes, path)`` of every built page, heaviest first (search and index pages included)."""
    pages = [p for p in html_dir.rglob("*.html") if "_static" not in p.parts]
    return sorted(((p.stat().st_size, p) for p in pages), key=lambda item: (-item[0], str(item[1])))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("html_dir", nargs="?", default=ROOT / "_build" / "html", type=Path)
    parser.add_argument("--top", type=int, default=3, help="how many of the heaviest pages to list")
    args = parser.parse_args(argv)
    sizes = page_sizes(args.html_dir)
    if not sizes:
        print(f"no pages under {args.html_dir}", file=sys.stderr)
        return 1
    print(f"Heaviest pages (HTML only; budget {BUDGET_BYTES / 1e6:.1f} MB each):")
    for size, path in sizes[: args.top]:
        print(f"  {size / 1e6:6.2f} MB  {path.relative_to(args.html_dir)}")
    over = [(size, path) for size, path in sizes if size > BUDGET_BYTES]
    for size, path in over:
        print(f"OVER BUDGET: {path.relative_to(args.html_dir)} is {size / 1e6:.2f} MB", file=sys.stderr)
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
