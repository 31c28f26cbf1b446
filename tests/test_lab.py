"""The book in JupyterLab (``make lab``), in a real browser: headless Debian Chromium, with every
request off the local server blocked.

JupyterLab starts from the project's environment as ``make lab`` starts it: with ``jupyter/`` on
``JUPYTER_CONFIG_PATH`` (jupyterlab-myst's MyST, the glued numbers of ``nnkit-book``, nothing that
calls out) and the chapter signed with ``jupyter trust`` first. It runs hermetically: on a free
local port with no token and no browser, with its own runtime, data, settings and workspace
folders in a temporary directory, on a copy of one chapter, and it is stopped by its PID and
process group. The test opens the chapter without running it and checks what a reader sees:

- the tab is not marked modified once the chapter and its kernel are up;
- no raw MyST markup (``:::{``, ``{glue``) is visible, and every glued number shows, formatted
  exactly as the site formats it (myst-nb's own ``format_plain_text``);
- a solution is hidden until clicked, and visible after: in the prose (a MyST dropdown) and in code
  (a cell tagged hide-cell, collapsed by the metadata that ``tools/lab_metadata.py`` writes);
- the stored explorable renders without a run, with no "disconnected" mark, and moving its slider
  shows the stored frame;
- no console error and no request off the server.

Besides: the extension's formatting agrees with Python's on ~10,000 value and format
pairs (checked in the page), and every notebook under book/ has the metadata that JupyterLab reads.

The only setting that differs from ``make lab``: every cell is attached to the page at once
(``windowingMode: none``) so that the whole chapter can be read, not just the cells in view.
Screenshots go to ``_build/screenshots/lab-*.png``. Skipped without Chromium
(``apt-get install chromium``; ``.ci/run`` installs it).
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from browser.cdp import Browser, CDPError, find_chromium, websocket

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
CONFIG = ROOT / "jupyter"  # what `make lab` puts on JUPYTER_CONFIG_PATH
CHAPTER = "ch02_activations.ipynb"  # has an explorable, solutions and glued numbers
SCREENSHOTS = ROOT / "_build" / "screenshots"
BIN = Path(sys.executable).parent
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
GLUE_ROLE = re.compile(r"\{glue(?::text|:any)?\}`([^`]+)`")


# --- what the chapter holds ---------------------------------------------------------------------


def glued_values(nb: nbformat.NotebookNode) -> dict[str, str]:
    """key -> the text/plain that ``myst_nb.glue`` stored (the last glue of a key wins)."""
    values = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            record = output.get("metadata", {}).get("scrapbook", {})
            if "name" in record:
                prefix = record.get("mime_prefix", "application/papermill.record/")
                values[record["name"]] = output["data"][prefix + "text/plain"]
    return values


def pasted_texts(nb: nbformat.NotebookNode) -> list[tuple[int, list[str]]]:
    """For each markdown cell with glue roles: its index among the markdown cells and, in order,
    the text that the site shows for each role (myst-nb's own formatting)."""
    from myst_nb.core.variables import format_plain_text

    values = glued_values(nb)
    found = []
    markdown = [c for c in nb.cells if c.cell_type == "markdown"]
    for index, cell in enumerate(markdown):
        texts = []
        for body in GLUE_ROLE.findall(cell.source):
            key, _, spec = body.rpartition(":") if ":" in body else (body, "", "s")
            texts.append(format_plain_text(values[key], spec))
        if texts:
            found.append((index, texts))
    return found


def explorable_frames(nb: nbformat.NotebookNode) -> tuple[list[int], dict[tuple, str]]:
    """The chapter's first explorable (a VBox of a VBox of controls and nested Stacks of Images):
    the number of values of each knob, and the sha256 of the frame at each tuple of indices."""
    state = nb.metadata["widgets"][WIDGET_STATE]["state"]
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if WIDGET_VIEW not in output.get("data", {}):
                continue
            box = state[output["data"][WIDGET_VIEW]["model_id"]]
            children = [c.removeprefix("IPY_MODEL_") for c in box["state"].get("children", [])]
            if box["model_name"] != "VBoxModel" or len(children) != 2:
                continue
            if state[children[1]]["model_name"] != "StackModel":
                continue
            controls = [c.removeprefix("IPY_MODEL_") for c in state[children[0]]["state"]["children"]]
            sizes = [len(state[c]["state"]["_options_labels"]) for c in controls]
            frames: dict[tuple, str] = {}

            def walk(model_id: str, index: tuple, frames: dict[tuple, str] = frames) -> None:
                model = state[model_id]
                if model["model_name"] == "ImageModel":
                    data = next(b["data"] for b in model["buffers"] if b["path"] == ["value"])
                    frames[index] = hashlib.sha256(base64.b64decode(data)).hexdigest()
                else:
                    for i, child in enumerate(model["state"]["children"]):
                        walk(child.removeprefix("IPY_MODEL_"), (*index, i))

            walk(children[1], ())
            return sizes, frames
    raise AssertionError(f"{CHAPTER} has no explorable")


# --- JupyterLab and the browser -------------------------------------------------------------------


@dataclass
class Lab:
    origin: str
    process: subprocess.Popen
    log: Path


def start_lab(tmp: Path, root: Path) -> Lab:
    """JupyterLab on ``root`` as ``make lab`` configures it, hermetic: every Jupyter folder in ``tmp``."""
    (tmp / "config" / "labconfig").mkdir(parents=True)
    settings = {
        "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},  # every cell on the page
        "@jupyterlab/docmanager-extension:plugin": {"autosave": False},
    }
    (tmp / "config" / "labconfig" / "default_setting_overrides.json").write_text(json.dumps(settings))
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(tmp / "config"),  # instead of ~/.jupyter (it wins over the path)
        "JUPYTER_CONFIG_PATH": str(CONFIG),
        "JUPYTER_DATA_DIR": str(tmp / "data"),
        "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(tmp / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces"),
    }
    # The signatures and their key in tmp, not in the environment's data folder as `make lab` has
    # them; not in JUPYTER_DATA_DIR either, so the test fails if `jupyter trust` ignored the setting.
    notary = [f"--NotebookNotary.{n}={tmp / 'trust' / n}" for n in ("db_file", "secret_file")]
    (tmp / "trust").mkdir()
    trust = subprocess.run(
        [str(BIN / "jupyter"), "trust", *notary, *map(str, root.glob("*.ipynb"))],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert trust.returncode == 0, trust.stderr
    log = tmp / "lab.log"
    command = [
        str(BIN / "jupyter"), "lab", "--no-browser", "--ServerApp.ip=127.0.0.1", "--ServerApp.port=0",
        "--IdentityProvider.token=", "--ServerApp.password=", f"--ServerApp.root_dir={root}", *notary,
        *(["--allow-root"] if os.geteuid() == 0 else []),
    ]  # fmt: skip
    with log.open("w") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"JupyterLab exited with code {process.returncode}:\n{log.read_text()[-3000:]}")
        info = list((tmp / "runtime").glob(f"jpserver-{process.pid}.json"))
        if info:
            origin = json.loads(info[0].read_text())["url"].rstrip("/")
            try:
                with urllib.request.urlopen(f"{origin}/api/status", timeout=2):
                    return Lab(origin, process, log)
            except OSError:
                pass
        time.sleep(0.2)
    stop(process)
    raise AssertionError(f"JupyterLab did not answer in 60 s:\n{log.read_text()[-3000:]}")


def stop(process: subprocess.Popen) -> None:
    """Stop the server by its PID's process group (it shuts its kernels down on SIGTERM)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def kernel_is_up(origin: str) -> bool:
    """Whether the chapter's kernel has started, is idle, and the page is connected to it."""
    with urllib.request.urlopen(f"{origin}/api/sessions", timeout=5) as answer:
        sessions = json.load(answer)
    return any(
        s["path"].endswith(CHAPTER) and s["kernel"]["execution_state"] == "idle" and s["kernel"]["connections"] > 0
        for s in sessions
    )


@dataclass
class Page:
    browser: Browser
    notebook: nbformat.NotebookNode
    dirty_after_opening: bool
    seconds_to_open: float


RENDERED = """(() => {
  const cells = document.querySelectorAll('.jp-Notebook .jp-Cell');
  const markdown = document.querySelectorAll('.jp-Notebook .jp-MarkdownCell');
  const unrendered = Array.from(markdown).filter(c => !c.querySelector('.myst'));
  return [cells.length, markdown.length, unrendered.length];
})()"""

EXPLORABLE = "document.querySelector('.jp-OutputArea-output .widget-vbox')"

FRAME = """(async () => {
  const images = Array.from(document.querySelectorAll('.jp-OutputArea-output .widget-image'))
    .filter(i => i.offsetParent !== null);
  if (images.length !== 1 || !images[0].complete || images[0].naturalWidth === 0) return null;
  const bytes = await (await fetch(images[0].src)).arrayBuffer();
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return {sha256: Array.from(digest, b => b.toString(16).padStart(2, '0')).join(''), src: images[0].src};
})()"""


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Page]:
    executable = find_chromium()
    if executable is None:
        pytest.skip("Chromium is not installed (apt-get install chromium); .ci/run installs it")
    if websocket is None:
        pytest.skip("websocket-client is not installed (it is in nnkit's test extra)")
    if not (BIN / "jupyter-lab").exists():
        pytest.skip("JupyterLab is not installed (it is in nnkit's book extra)")
    tmp = tmp_path_factory.mktemp("lab")
    root = tmp / "book"
    root.mkdir()
    shutil.copy2(BOOK / CHAPTER, root / CHAPTER)  # the server never touches the real chapter
    notebook = nbformat.read(root / CHAPTER, as_version=4)
    lab = start_lab(tmp, root)
    browser = None
    try:
        browser = Browser(executable, lab.origin, width=1280, height=1000)
        start = time.monotonic()
        browser.open(f"{lab.origin}/lab/tree/{CHAPTER}", timeout=60)
        cells = len(notebook.cells)
        try:
            browser.wait_until(f"(() => {{ const r = {RENDERED}; return r[0] === {cells} && r[2] === 0; }})()", 60)
            deadline = time.monotonic() + 30
            while not kernel_is_up(lab.origin):
                assert time.monotonic() < deadline, "the chapter's kernel did not start in 30 s"
                browser.pause(0.2)
        except CDPError as error:
            browser.screenshot(SCREENSHOTS / "lab-timeout.png", full_page=False)
            rendered = browser.evaluate(RENDERED)
            pytest.fail(f"{error}; cells, markdown cells, unrendered: {rendered}; errors: {browser.errors}")
        seconds = time.monotonic() - start
        browser.pause(2)  # the kernel's metadata reaches the notebook model
        dirty = browser.evaluate(
            "Array.from(document.querySelectorAll('.lm-TabBar-tab'))"
            f".some(t => t.innerText.includes('{CHAPTER}') && t.classList.contains('jp-mod-dirty'))"
        )
        browser.screenshot(SCREENSHOTS / "lab-opened.png", full_page=False)
        yield Page(browser, notebook, dirty, seconds)
    finally:
        if browser is not None:
            browser.close()
        stop(lab.process)


def assert_quiet(browser: Browser) -> None:
    browser.pause(0.3)  # late requests and errors
    assert sorted(set(browser.blocked)) == [], "JupyterLab requested something from outside the server"
    assert browser.errors == [], "the page logged errors"


def markdown_texts(browser: Browser) -> list[str]:
    """The text of each rendered markdown cell, with its closed solutions."""
    return browser.evaluate(
        "Array.from(document.querySelectorAll('.jp-Notebook .jp-MarkdownCell'))"
        ".map(c => c.querySelector('.myst').textContent)"
    )


# --- the tests ------------------------------------------------------------------------------------


def test_opening_the_chapter_leaves_it_unmodified(page: Page) -> None:
    assert page.seconds_to_open < 60
    assert not page.dirty_after_opening, (
        "the tab shows the chapter as modified right after opening (a kernel spec that is not JupyterLab's?"
        " `.venv/bin/python tools/lab_metadata.py` writes it)"
    )
    assert_quiet(page.browser)


def test_no_raw_myst_markup_is_visible(page: Page) -> None:
    text = page.browser.evaluate("document.querySelector('.jp-Notebook').innerText")
    for markup in (":::{", "{glue", "{dropdown}", "{cite"):
        assert markup not in text, f"{markup!r} shows as text"
    assert_quiet(page.browser)


def test_glued_numbers_show_as_the_site_shows_them(page: Page) -> None:
    texts = markdown_texts(page.browser)
    expected = pasted_texts(page.notebook)
    assert sum(len(t) for _, t in expected) >= 10, "the chapter glues too few numbers to test"
    bodies = {body for cell in page.notebook.cells for body in GLUE_ROLE.findall(cell.source)}
    for index, pasted in expected:
        shown, at = texts[index], 0
        for value in pasted:
            found = shown.find(value, at)
            assert found >= 0, f"markdown cell {index}: {value!r} is not shown (after {shown[at - 40 : at]!r})"
            at = found + len(value)
        leftover = [b for b in bodies if b in shown and ":" in b]
        assert leftover == [], f"markdown cell {index} shows glue roles' content: {leftover}"
    assert_quiet(page.browser)


def test_glue_formats_numbers_as_python_does(page: Page) -> None:
    """The extension's formatting against myst-nb's, on the book's format specs and many values."""
    from myst_nb.core.variables import format_plain_text

    rng = np.random.default_rng(0)
    values = [0.0, -0.0, 0.5, 0.125, 0.375, 2.5, -2.5, 0.885, 0.9995, 9.995, 1e-5, 1.5e-8, 123456.789, 1e16,
              1e22, 5e-324, 1.7976931348623157e308, math.pi, math.inf, -math.inf, math.nan]  # fmt: skip
    values += [float(f"{v:.3g}") for v in 10.0 ** rng.uniform(-9, 9, 150) * rng.choice([-1, 1], 150)]
    values += list(rng.standard_normal(50) * 10.0 ** rng.integers(-6, 7, 50))
    reprs = [repr(float(v)) for v in values] + ["0", "7", "-42", "1234567", "True", "'a word'", '"x"']
    specs = sorted({b.rpartition(":")[2] for b in GLUE_ROLE.findall(" ".join(all_markdown())) if ":" in b})
    specs += ["s", "e", "f", "g", "%", "E", "G", ".3e", ".10g", ",.2f", ">9.2f", "<9.1f", "^9.1f", "09.3f",
              " .2f", "+.0%", ".0f", "#.0f", "#.3g", ".3", "_d", "x"]  # fmt: skip

    def python(text: str, spec: str) -> str | None:
        try:
            return format_plain_text(text, spec)
        except (ValueError, TypeError, OverflowError):
            return None

    expected = [[python(text, spec) for spec in specs] for text in reprs]
    shown = page.browser.evaluate(
        "(async () => { const f = (await (await window._JUPYTERLAB['nnkit-book'].get('./format'))()).formatPlainText;"
        f" return {json.dumps(reprs)}.map(t => {json.dumps(specs)}.map(s => {{"
        " try { return f(t, s); } catch (e) { return null; } })); })()"
    )
    wrong = [
        (text, spec, want, got)
        for text, row, got_row in zip(reprs, expected, shown)
        for spec, want, got in zip(specs, row, got_row)
        if want != got
    ]
    assert wrong == [], (
        f"{len(wrong)} of {len(reprs) * len(specs)} differ, e.g. (text, spec, Python, shown): {wrong[:8]}"
    )
    assert_quiet(page.browser)


def test_a_solution_is_hidden_until_clicked(page: Page) -> None:
    """The last solution in prose (a MyST dropdown) and the last solution in code (a cell tagged
    hide-cell, collapsed in JupyterLab by its metadata) show only after a click."""
    browser = page.browser
    solution = "Array.from(document.querySelectorAll('.jp-Notebook .jp-MarkdownCell details')).at(-1)"
    assert browser.evaluate(f"{solution}.querySelector('summary').innerText").strip().startswith("Solution")
    body = f"Array.from({solution}.children).filter(e => e.tagName !== 'SUMMARY')"
    assert browser.evaluate(f"{body}.every(e => !e.checkVisibility())"), "a solution shows before it is clicked"
    click(browser, f"{solution}.querySelector('summary')")
    browser.wait_until(f"{body}.some(e => e.checkVisibility() && e.innerText.trim().length > 20)", 5)
    browser.screenshot(SCREENSHOTS / "lab-solution-open.png", full_page=False)

    hidden = [i for i, c in enumerate(page.notebook.cells) if "hide-cell" in c.metadata.get("tags", [])]
    assert hidden, f"{CHAPTER} has no solution in code to check"
    cell = f"document.querySelectorAll('.jp-Notebook .jp-Cell')[{hidden[-1]}]"
    source = page.notebook.cells[hidden[-1]].source.splitlines()[-1].strip()
    editor = f"{cell}.querySelector('.jp-InputArea')"
    assert browser.evaluate(f"!{editor} || !{editor}.checkVisibility()"), (
        "a solution in code (tagged hide-cell) shows before it is clicked:"
        " `.venv/bin/python tools/lab_metadata.py` collapses it"
    )
    click(browser, f"{cell}.querySelector('.jp-InputPlaceholder .jp-Placeholder-content')")
    browser.wait_until(f"{editor} && {editor}.checkVisibility() && {editor}.innerText.includes({source!r})", 5)
    assert_quiet(browser)


def click(browser: Browser, element: str) -> None:
    """Click the middle of ``element`` (a JavaScript expression) with the mouse, as a reader would."""
    x, y = browser.evaluate(
        f"(() => {{ const e = {element}; e.scrollIntoView({{block: 'center'}});"
        " const r = e.getBoundingClientRect(); return [r.x + Math.min(10, r.width / 2), r.y + r.height / 2]; })()"
    )
    browser.click(x, y)


def test_the_stored_explorable_renders_and_its_slider_moves_the_frame(page: Page) -> None:
    browser = page.browser
    sizes, frames = explorable_frames(page.notebook)
    as_text = "document.querySelector('.jp-Notebook').innerText.includes('VBox(children')"
    try:
        browser.wait_until(f"(() => {{ const b = {EXPLORABLE}; b && b.scrollIntoView(); return !!b || {as_text}; }})()")
    except CDPError:
        raise AssertionError("the stored explorable did not render") from None
    assert not browser.evaluate(as_text), "the stored explorable shows as text: is the notebook trusted?"
    controls = f"Array.from({EXPLORABLE}.firstElementChild.children)"
    assert browser.evaluate(f"{controls}.length") == len(sizes), "the explorable's controls do not all show"
    marked = browser.evaluate(
        f"[{EXPLORABLE}, ...{EXPLORABLE}.querySelectorAll('*')].filter(e => e.classList.contains("
        "'jupyter-widgets-disconnected') && getComputedStyle(e, '::before').content !== 'none').length"
    )
    assert marked == 0, "the explorable is marked disconnected, though it works without a kernel"
    first = browser.wait_until(FRAME)
    assert first["sha256"] == frames[(0,) * len(sizes)], "the explorable does not show its first stored frame"
    knob = browser.evaluate(f"{controls}.findIndex(c => c.classList.contains('widget-slider'))")
    assert knob >= 0 and sizes[knob] > 1, "the explorable has no slider to move"
    handle = f"{controls}[{knob}].querySelector('.noUi-handle')"
    browser.evaluate(f"{handle}.scrollIntoView({{block: 'center'}}); {handle}.focus()")
    browser.press("ArrowRight", 39)
    at = [0] * len(sizes)
    at[knob] = 1
    expected = frames[tuple(at)]
    moved = f"(async () => {{ const s = await {FRAME}; return s && s.sha256 === '{expected}' && s; }})()"
    try:
        shown = browser.wait_until(moved, 5)
    except CDPError:
        raise AssertionError(f"after moving the slider the frame is not the stored frame {at}") from None
    assert shown["src"] != first["src"]
    browser.screenshot(SCREENSHOTS / "lab-explorable-moved.png", full_page=False)
    assert_quiet(browser)


# --- without a browser ------------------------------------------------------------------------------


def all_markdown() -> list[str]:
    return [
        c.source for p in sorted(BOOK.glob("*.ipynb")) for c in nbformat.read(p, 4).cells if c.cell_type == "markdown"
    ]


def lab_metadata() -> object:
    spec = importlib.util.spec_from_file_location("lab_metadata", ROOT / "tools" / "lab_metadata.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("path", sorted(BOOK.glob("*.ipynb")), ids=lambda p: p.name)
def test_notebook_has_the_metadata_jupyterlab_reads(path: Path) -> None:
    """The kernel spec that JupyterLab writes (any other marks the tab modified as soon as the
    notebook opens), and the collapse flags that hide a hide-cell solution until it is clicked."""
    pytest.importorskip("jupyter_client")
    tool = lab_metadata()
    notebook = json.loads(path.read_text(encoding="utf-8"))
    assert notebook == tool.with_lab_metadata(notebook, tool.lab_kernelspec()), (
        f"book/{path.name} lacks JupyterLab's metadata: run `.venv/bin/python tools/lab_metadata.py`"
    )


def test_lab_metadata_collapses_what_jupyter_book_hides() -> None:
    tool = lab_metadata()
    cells = [
        {"cell_type": "code", "metadata": {"tags": ["hide-cell"]}},
        {"cell_type": "code", "metadata": {"tags": ["hide-input"], "jupyter": {"outputs_hidden": False}}},
        {"cell_type": "code", "metadata": {"tags": ["hide-output"]}},
        {"cell_type": "code", "metadata": {}},
        {"cell_type": "markdown", "metadata": {"tags": ["hide-cell"]}},
    ]
    spec = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    notebook = {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}}}
    done = tool.with_lab_metadata(notebook, spec)
    assert done["metadata"]["kernelspec"] == spec
    assert [c["metadata"].get("jupyter") for c in done["cells"]] == [
        {"source_hidden": True, "outputs_hidden": True},
        {"source_hidden": True, "outputs_hidden": False},
        {"outputs_hidden": True},
        None,
        None,
    ]
    assert notebook["metadata"]["kernelspec"]["display_name"] == "Python 3", "the input was changed"
    assert tool.dumps(done).endswith("}\n") and json.loads(tool.dumps(done)) == done
