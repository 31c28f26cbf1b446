"""Sphinx tweaks for the book's site, loaded through ``sphinx.local_extensions`` in ``_config.yml``."""

from __future__ import annotations

from typing import Any


def drop_repeated_scripts(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """Keep one copy of each ``<script>`` of a page.

    Sphinx 7.4 lists an inline script that an extension adds with ``app.add_js_file(None, body=...)``
    twice (once with the file name ``None``, once with ``''``, which compare unequal). For
    sphinx-thebe's ``const THEBE_JS_URL = ...`` the second copy throws "Identifier 'THEBE_JS_URL'
    has already been declared" on every page.
    """
    seen: set[tuple] = set()
    unique = []
    for script in context.get("script_files", []):
        key = (str(getattr(script, "filename", script) or ""), repr(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"][:] = unique


def public_bases(app: Any, name: str, obj: type, options: dict, bases: list[type]) -> None:
    """Show a class's nearest public ancestors as its bases (``Module``, not ``nnkit.losses._Loss``)."""
    for i, base in enumerate(bases):
        while base.__name__.startswith("_") and base.__bases__:
            base = base.__bases__[0]
        bases[i] = base


def setup(app: Any) -> dict[str, Any]:
    app.connect("html-page-context", drop_repeated_scripts, priority=900)
    app.connect("autodoc-process-bases", public_bases)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
