"""The built site in a real browser: headless Debian Chromium, with every request off the site blocked.

For every page in ``_toc.yml`` (and the search and index pages) the test checks that the maths is
typeset by MathJax, that every widget is rendered with its images loaded, that moving each knob of
an explorable shows the frame that the stored widget state holds for the new values, that no
request leaves the site, and that the console stays free of errors. Screenshots go to
``_build/screenshots/``.

``make test`` builds the book first; run alone, the test builds it when ``_build/html`` is missing
or older than its sources. The browser tests skip when Chromium is not installed
(``apt-get install chromium``; ``.ci/run`` installs it).
"""

from __future__ import annotations

import base64
import filecmp
import functools
import hashlib
import http.server
import importlib.util
import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).parent))
from browser.cdp import Browser, CDPError, find_chromium, websocket

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "_build" / "html"
SCREENSHOTS = ROOT / "_build" / "screenshots"
VIEW_SCRIPT = 'script[type="application/vnd.jupyter.widget-view+json"]'
KEYS = {"ArrowRight": 39, "ArrowDown": 40}


def toc_pages(root: Path = ROOT) -> list[str]:
    """The HTML pages of the files that ``_toc.yml`` lists, e.g. ``book/intro.html``."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            found.extend(str(node[key]) for key in ("root", "file") if key in node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(yaml.safe_load((root / "_toc.yml").read_text()))
    return [re.sub(r"\.(ipynb|md)$", "", entry) + ".html" for entry in found]


PAGES = [*toc_pages(), "search.html", "genindex.html"]


# --- the site, its server and the browser ------------------------------------------------------


def site_is_stale(root: Path = ROOT, site: Path = SITE) -> bool:
    """Whether ``_build/html`` misses a page, or is older than a page's source, the configuration or
    nnkit, or its copy of a static or vendored file differs from the file."""
    pages = {site / page: next(root.glob(page.removesuffix(".html") + ".*"), None) for page in toc_pages(root)}
    if not all(html.exists() and source for html, source in pages.items()):
        return True
    if any(html.stat().st_mtime < source.stat().st_mtime for html, source in pages.items()):
        return True
    inputs = [root / "_config.yml", root / "_toc.yml", *root.glob("nnkit/**/*.py"), *root.glob("book/_ext/*.py")]
    if max(p.stat().st_mtime for p in inputs) > max(html.stat().st_mtime for html in pages):
        return True
    copies = [(f, site / f.relative_to(root / "vendor")) for f in (root / "vendor").rglob("*") if f.is_file()]
    copies += [(f, site / "_static" / f.name) for f in (root / "book" / "_static").iterdir() if f.is_file()]
    return any(copy.name != "README.md" and not (copy.exists() and filecmp.cmp(f, copy, shallow=False))
               for f, copy in copies)  # fmt: skip


@pytest.fixture(scope="module")
def site() -> Path:
    """``_build/html``, built here (in full: Sphinx 7.4 skips changed static files otherwise) if stale."""
    if site_is_stale():
        command = [str(Path(sys.executable).parent / "jupyter-book"), "build", ".", "-W", "-n", "--keep-going", "--all"]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            pytest.fail(f"{' '.join(command)} failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}")
    return SITE


@pytest.fixture(scope="module")
def origin(site: Path) -> Iterator[str]:
    """A local HTTP server for the site, on 127.0.0.1 only."""
    handler = functools.partial(QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def browser(origin: str) -> Iterator[Browser]:
    executable = find_chromium()
    if executable is None:
        pytest.skip("Chromium is not installed (apt-get install chromium); .ci/run installs it")
    if websocket is None:
        pytest.skip("websocket-client is not installed (it is in nnkit's test extra)")
    chromium = Browser(executable, origin)
    yield chromium
    chromium.close()


# --- what the page holds: math, widget views and the stored widget state -----------------------


def widget_state(html: str) -> dict:
    """The widget models stored in a page: model id -> {"model_name", "state", "buffers"}."""
    match = re.search(r'<script type="application/vnd.jupyter.widget-state\+json">(.*?)</script>', html, re.S)
    return json.loads(match.group(1))["state"] if match else {}


def view_ids(html: str) -> list[str]:
    scripts = re.findall(r'<script type="application/vnd.jupyter.widget-view\+json">(.*?)</script>', html, re.S)
    return [json.loads(script)["model_id"] for script in scripts]


def ref(value: str) -> str:
    return value.removeprefix("IPY_MODEL_")


def explorable_frames(state: dict, view_id: str) -> tuple[list[int], dict[tuple, str]] | None:
    """For an explorable (VBox of a VBox of controls and nested Stacks of Images): the number of
    values of each knob, and the sha256 of the frame at each tuple of indices. ``None`` otherwise."""
    box = state[view_id]
    children = box["state"].get("children", [])
    if box["model_name"] != "VBoxModel" or len(children) != 2:
        return None
    controls, stack = state[ref(children[0])]["state"]["children"], ref(children[1])
    sizes = [len(state[ref(c)]["state"]["_options_labels"]) for c in controls]
    frames: dict[tuple, str] = {}

    def walk(model_id: str, index: tuple) -> None:
        model = state[model_id]
        if model["model_name"] == "ImageModel":
            data = base64.b64decode(next(b["data"] for b in model["buffers"] if b["path"] == ["value"]))
            frames[index] = hashlib.sha256(data).hexdigest()
        else:
            for i, child in enumerate(model["state"]["children"]):
                walk(ref(child), (*index, i))

    if state[stack]["model_name"] != "StackModel":
        return None
    walk(stack, ())
    return sizes, frames


# --- JavaScript run in the page -----------------------------------------------------------------

MATH_DONE = """(async () => {
  const maths = document.querySelectorAll('.math');
  if (maths.length === 0) return {maths: 0, typeset: 0, errors: 0};
  if (!window.MathJax || !MathJax.startup || !MathJax.startup.promise) return null;
  await MathJax.startup.promise;
  const typeset = Array.from(maths).filter(m => m.querySelector('mjx-container')).length;
  return {maths: maths.length, typeset: typeset, errors: document.querySelectorAll('mjx-merror').length};
})()"""

WIDGETS_DONE = f"""(() => {{
  const views = Array.from(document.querySelectorAll('{VIEW_SCRIPT}'));
  return views.every(script => {{
    const area = script.previousElementSibling;
    if (!area || !area.classList.contains('widget-subarea') || !area.querySelector('.jupyter-widgets')) return false;
    return Array.from(area.querySelectorAll('img')).every(img => img.complete && img.naturalWidth > 0);
  }}) && views.length;
}})()"""


def view_js(index: int) -> str:
    return f"document.querySelectorAll('{VIEW_SCRIPT}')[{index}].previousElementSibling"


def shown_frame_js(index: int) -> str:
    """The sha256 and src of the one visible image of view ``index``, once it has loaded."""
    return f"""(async () => {{
  const images = Array.from({view_js(index)}.querySelectorAll('img')).filter(i => i.offsetParent !== null);
  if (images.length !== 1 || !images[0].complete || images[0].naturalWidth === 0) return null;
  const bytes = await (await fetch(images[0].src)).arrayBuffer();
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return {{sha256: Array.from(digest, b => b.toString(16).padStart(2, '0')).join(''), src: images[0].src}};
}})()"""


def control_js(index: int, knob: int) -> str:
    """An explorable is a box of a box of controls and a stack."""
    return f"{view_js(index)}.firstElementChild.children[0].children[{knob}]"


def move_knob(chromium: Browser, index: int, knob: int, to: int) -> None:
    """Move a knob to its value number ``to`` the way a reader would: a key or a click."""
    control = control_js(index, knob)
    kind = chromium.evaluate(
        f"(() => {{ const c = {control}; c.scrollIntoView({{block: 'center'}});"
        " return c.classList.contains('widget-slider') ? 'slider'"
        " : c.classList.contains('widget-toggle-buttons') ? 'buttons'"
        " : c.classList.contains('widget-dropdown') ? 'dropdown' : c.className; })()"
    )
    if kind == "slider":  # one step right from the current value
        chromium.evaluate(f"{control}.querySelector('.noUi-handle').focus()")
        chromium.press("ArrowRight", KEYS["ArrowRight"])
    elif kind == "buttons":
        x, y = chromium.evaluate(
            f"(() => {{ const r = {control}.querySelectorAll('button')[{to}].getBoundingClientRect();"
            " return [r.x + r.width / 2, r.y + r.height / 2]; })()"
        )
        chromium.click(x, y)
    elif kind == "dropdown":
        chromium.evaluate(f"{control}.querySelector('select').focus()")
        chromium.press("ArrowDown", KEYS["ArrowDown"])
    else:
        raise AssertionError(f"unknown control {kind!r}")


def check_explorable(chromium: Browser, index: int, sizes: list[int], frames: dict, name: str) -> None:
    """Start at the first frame; move each knob one step and check that the right frame shows."""
    at = [0] * len(sizes)
    shown = chromium.wait_until(shown_frame_js(index))
    assert shown["sha256"] == frames[tuple(at)], f"{name}: the first frame is not the stored frame {at}"
    for knob, size in enumerate(sizes):
        if size < 2:
            continue
        at[knob] += 1
        move_knob(chromium, index, knob, at[knob])
        expected, before = frames[tuple(at)], shown
        shows_expected = (
            f"(async () => {{ const s = await {shown_frame_js(index)}; return s?.sha256 === '{expected}' && s; }})()"
        )
        try:
            shown = chromium.wait_until(shows_expected, timeout=5)
        except CDPError:
            actual = chromium.evaluate(shown_frame_js(index))
            which = [k for k, v in frames.items() if actual and v == actual["sha256"]]
            raise AssertionError(f"{name}: after moving knob {knob}, frames {which} shows, not {at}") from None
        assert shown["src"] != before["src"]
    chromium.evaluate(f"{view_js(index)}.scrollIntoView({{block: 'center'}})")
    chromium.screenshot(SCREENSHOTS / f"{name}-moved.png", full_page=False)


# --- the tests ----------------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
def test_page_in_the_browser(page: str, site: Path, origin: str, browser: Browser) -> None:
    html = (site / page).read_text()
    browser.blocked.clear()
    browser.errors.clear()
    browser.open(f"{origin}/{page}")

    try:
        math = browser.wait_until(MATH_DONE)
    except CDPError:
        pytest.fail(f"MathJax did not run; blocked requests: {browser.blocked}; errors: {browser.errors}")
    assert math["typeset"] == math["maths"], f"MathJax typeset {math['typeset']} of {math['maths']} maths"
    assert math["errors"] == 0, "MathJax reports TeX errors (mjx-merror)"

    views = view_ids(html)
    if views:
        try:
            assert browser.wait_until(WIDGETS_DONE) == len(views), "not every widget rendered"
        except CDPError:
            pytest.fail(f"the widgets did not render; blocked requests: {browser.blocked}; errors: {browser.errors}")
    state = widget_state(html)
    name = page.removesuffix(".html").replace("/", "-")
    for index, model_id in enumerate(views):
        explorable = explorable_frames(state, model_id)
        if explorable:
            check_explorable(browser, index, *explorable, name=f"{name}-widget{index + 1}")

    browser.evaluate("window.scrollTo(0, 0)")
    browser.screenshot(SCREENSHOTS / f"{name}.png")
    browser.pause(0.3)  # late requests and errors
    assert sorted(set(browser.blocked)) == [], "the page requested something from outside the site"
    assert browser.errors == [], "the page logged errors"


def test_site_exercises_math_widgets_and_two_knobs(site: Path) -> None:
    """So that the browser test cannot pass by finding nothing to check."""
    htmls = {page: (site / page).read_text() for page in toc_pages()}
    assert any('class="math' in html for html in htmls.values())
    shapes = [
        explorable_frames(widget_state(html), view)[0]
        for html in htmls.values()
        for view in view_ids(html)
        if explorable_frames(widget_state(html), view)
    ]
    assert any(len(sizes) == 1 for sizes in shapes) and any(len(sizes) == 2 for sizes in shapes), shapes


@pytest.mark.parametrize("page", toc_pages())
def test_page_offers_its_source_for_download(page: str, site: Path) -> None:
    stem = page.removesuffix(".html")
    source = next(ROOT.glob(f"{stem}.*"))
    html = (site / page).read_text()
    assert f"_sources/{stem}{source.suffix}" in html, "no download link for the page's source"
    assert (site / "_sources" / f"{stem}{source.suffix}").is_file()


def test_no_page_points_outside_the_site(site: Path) -> None:
    """No src/href of a script, style sheet or image names another host (links to read are fine)."""
    pattern = re.compile(r"<(script|link|img|iframe)\b[^>]*\b(src|href)=\"(https?:)?//", re.I)
    offenders = [str(p.relative_to(site)) for p in site.rglob("*.html") if pattern.search(p.read_text())]
    assert offenders == []


def test_vendored_files_match_their_readme(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = importlib.util.spec_from_file_location("vendor_assets", ROOT / "tools" / "vendor_assets.py")
    vendor_assets = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "vendor_assets", vendor_assets)  # for its dataclass
    spec.loader.exec_module(vendor_assets)
    assert vendor_assets.check() == []
