"""The book's figures are sharp and readable: every stored figure and explorable frame is drawn at
least at twice the size it is shown at, no wider than the text column, and no chapter asks for
text smaller than the caption size.

The rules come from :mod:`nnkit.plot` (``DISPLAY_DPI``, ``PIXEL_RATIO``, ``MIN_FONT_PT``,
``MAX_FIGURE_WIDTH_IN``), which ``plot.book_style()`` applies in every chapter. A figure shows at
its stored ``width`` (CSS pixels): the inline backend's output metadata for a static figure, the
``width`` of the ``Image`` widget for a frame.
"""

from __future__ import annotations

import base64
import io
import re

import nbformat
import pytest
from PIL import Image
from test_notebooks import IDS, NOTEBOOKS, code_cells, read, shown

from nnkit.plot import DISPLAY_DPI, MAX_FIGURE_WIDTH_IN, MIN_FONT_PT, PIXEL_RATIO

# The inline backend crops a figure to its content plus 0.1 in of padding on each side, so a figure of
# the widest size may come out up to 0.2 in wider than its figsize.
MAX_WIDTH_PX = round((MAX_FIGURE_WIDTH_IN + 0.2) * DISPLAY_DPI)
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def pixel_size(png: bytes) -> tuple[int, int]:
    return Image.open(io.BytesIO(png)).size


def static_figure_problems(nb: nbformat.NotebookNode) -> list[str]:
    """Each stored ``image/png`` output that is not drawn at ``PIXEL_RATIO`` × its shown width."""
    problems = []
    for i, cell in code_cells(nb):
        for out in cell.get("outputs", []):
            if "image/png" not in out.get("data", {}):
                continue
            width = out.get("metadata", {}).get("image/png", {}).get("width")
            pixels, _ = pixel_size(base64.b64decode(out["data"]["image/png"]))
            if width is None:
                problems.append(f"cell {i}: a {pixels} px figure with no display width (call plot.book_style())")
            elif pixels < PIXEL_RATIO * int(width) - 1:
                problems.append(f"cell {i}: a {pixels} px figure shown {width} px wide (< {PIXEL_RATIO}×)")
            elif int(width) > MAX_WIDTH_PX:
                problems.append(f"cell {i}: a figure shown {width} px wide, wider than the column ({MAX_WIDTH_PX} px)")
    return problems


def frame_problems(nb: nbformat.NotebookNode) -> list[str]:
    """Each stored ``Image`` widget (an explorable's frame) drawn below ``PIXEL_RATIO`` × its width."""
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    problems = []
    for model_id, model in state.items():
        if model.get("model_name") != "ImageModel":
            continue
        buffers = {tuple(b["path"]): b["data"] for b in model.get("buffers", [])}
        if ("value",) not in buffers:
            problems.append(f"frame {model_id[:8]}: no stored image")
            continue
        pixels, _ = pixel_size(base64.b64decode(buffers[("value",)]))
        width = model.get("state", {}).get("width", "")
        if not str(width).isdigit():
            problems.append(f"frame {model_id[:8]}: a {pixels} px frame with no display width")
        elif pixels < PIXEL_RATIO * int(width) - 1:
            problems.append(f"frame {model_id[:8]}: a {pixels} px frame shown {width} px wide (< {PIXEL_RATIO}×)")
        elif int(width) > MAX_WIDTH_PX:
            problems.append(f"frame {model_id[:8]}: shown {width} px wide, wider than the column ({MAX_WIDTH_PX} px)")
    return problems


# fontsize=7, fontsize="small", labelsize=8 ... in a chapter's code
FONT_SIZE = re.compile(r"""\b(?:fontsize|labelsize|title_fontsize)\s*=\s*(?P<value>["'][a-z-]+["']|\d+(?:\.\d+)?)""")
RELATIVE_SMALL = {"small", "x-small", "xx-small", "smaller"}


def small_font_requests(nb: nbformat.NotebookNode) -> list[str]:
    """Font sizes in the code below ``MIN_FONT_PT`` points (or a relative size below the default)."""
    found = []
    for i, cell in code_cells(nb):
        for match in FONT_SIZE.finditer(cell.source):
            value = match["value"].strip("'\"")
            small = value in RELATIVE_SMALL if not value[0].isdigit() else float(value) < MIN_FONT_PT
            if small:
                found.append(f"cell {i}: {match.group(0)}")
    return found


notebook = pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)


@notebook
def test_static_figures_are_drawn_at_twice_their_shown_size(path):
    problems = static_figure_problems(read(path))
    assert not problems, f"{shown(path)}:\n" + "\n".join(problems)


@notebook
def test_explorable_frames_are_drawn_at_twice_their_shown_size(path):
    problems = frame_problems(read(path))
    assert not problems, f"{shown(path)}:\n" + "\n".join(problems)


@notebook
def test_no_text_smaller_than_the_caption_size(path):
    found = small_font_requests(read(path))
    assert not found, f"{shown(path)} asks for text below {MIN_FONT_PT} pt:\n" + "\n".join(found)


# ---------------------------------------------------------------- the checks can fail


def png_of_width(pixels: int) -> str:
    out = io.BytesIO()
    Image.new("RGB", (pixels, 10), "white").save(out, format="png")
    return base64.b64encode(out.getvalue()).decode()


def notebook_with_figure(pixels: int, width: int | None) -> nbformat.NotebookNode:
    output = nbformat.v4.new_output("display_data", data={"image/png": png_of_width(pixels)})
    if width is not None:
        output.metadata = {"image/png": {"width": width}}
    cell = nbformat.v4.new_code_cell("plt.plot([1, 2])", outputs=[output], execution_count=1)
    return nbformat.v4.new_notebook(cells=[cell])


@pytest.mark.parametrize(
    ("pixels", "width", "message"),
    [(480, 480, "shown 480 px wide"), (960, None, "no display width"), (2000, 1000, "wider than the column")],
)
def test_a_blurry_or_too_wide_figure_is_found(pixels, width, message):
    (problem,) = static_figure_problems(notebook_with_figure(pixels, width))
    assert message in problem


def test_a_sharp_figure_passes():
    assert static_figure_problems(notebook_with_figure(1200, 600)) == []


def notebook_with_frame(pixels: int, width: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    model = {
        "model_name": "ImageModel",
        "state": {"width": width, "format": "png"},
        "buffers": [{"data": png_of_width(pixels), "encoding": "base64", "path": ["value"]}],
    }
    nb.metadata["widgets"] = {WIDGET_STATE: {"state": {"0123456789": model}}}
    return nb


def test_frames_are_checked():
    assert frame_problems(notebook_with_frame(1000, "500")) == []
    assert "(< 2×)" in frame_problems(notebook_with_frame(400, "500"))[0]
    assert "no display width" in frame_problems(notebook_with_frame(400, ""))[0]


def test_small_font_requests_are_found():
    cell = nbformat.v4.new_code_cell(
        'ax.legend(fontsize="small")\nax.text(0, 0, "a", fontsize=8)\nax.set_title("t", fontsize=12)'
    )
    found = small_font_requests(nbformat.v4.new_notebook(cells=[cell]))
    assert found == ['cell 0: fontsize="small"', "cell 0: fontsize=8"]


# ---------------------------------------------------------------- the page budget


def load_page_sizes():
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("page_sizes", Path(__file__).parents[1] / "tools" / "page_sizes.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_built_page_is_over_the_budget():
    page_sizes = load_page_sizes()
    html = page_sizes.ROOT / "_build" / "html"
    if not (html / "index.html").exists():
        pytest.skip("the site is not built (make test builds it first)")
    over = [(size, p.name) for size, p in page_sizes.page_sizes(html) if size > page_sizes.BUDGET_BYTES]
    assert not over, f"pages over {page_sizes.BUDGET_BYTES / 1e6} MB: {over}"


def test_the_budget_report_fails_on_a_heavy_page(tmp_path, capsys):
    page_sizes = load_page_sizes()
    (tmp_path / "light.html").write_text("x")
    assert page_sizes.main([str(tmp_path)]) == 0
    (tmp_path / "heavy.html").write_bytes(b"x" * (page_sizes.BUDGET_BYTES + 1))
    assert page_sizes.main([str(tmp_path)]) == 1
    assert "OVER BUDGET: heavy.html" in capsys.readouterr().err
