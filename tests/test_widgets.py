"""Tests of nnkit.widgets: the frames, the nested stacks and their links, the controls, the errors."""

from __future__ import annotations

import importlib.util
import io
import sys
from pathlib import Path

import numpy as np
import pytest

ipywidgets = pytest.importorskip("ipywidgets")
matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from PIL import Image  # noqa: E402

from nnkit import widgets  # noqa: E402
from nnkit.plot import DISPLAY_DPI  # noqa: E402
from nnkit.widgets import FRAME_DPI, explorable  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def colour_of(values: dict) -> tuple[float, float, float]:
    """A face colour that encodes the knob values, so a frame shows which call drew it."""
    lr, act = values.get("lr", 0.0), values.get("act", "a")
    return (min(lr, 1.0), {"a": 0.0, "b": 0.5, "c": 1.0}[act], 0.25)


class Recorder:
    """A ``draw`` that records its calls and paints the figure in a colour that encodes them."""

    def __init__(self, figsize=(2.0, 1.5)):
        self.calls: list[dict] = []
        self.figsize = figsize

    def __call__(self, **values):
        self.calls.append(values)
        fig = plt.figure(figsize=self.figsize, facecolor=colour_of(values))
        return fig


def pixel(png: bytes) -> np.ndarray:
    """The colour of the frame's top-left corner, in [0, 1]."""
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))[2, 2] / 255


def stack_of(box):
    controls, stack = box.children[0].children, box.children[1]
    return list(controls), stack


@pytest.fixture
def links(monkeypatch):
    """Every (source, target) pair that ``ipywidgets.jslink`` is called with."""
    found = []
    real = ipywidgets.jslink

    def spy(source, target):
        found.append((source, target))
        return real(source, target)

    monkeypatch.setattr(ipywidgets, "jslink", spy)
    return found


# --- one knob ---------------------------------------------------------------------------------


def test_one_knob_draws_one_frame_per_value_in_order():
    draw = Recorder()
    box = explorable(draw, lr=[0.01, 0.1, 1.0])
    _, stack = stack_of(box)
    assert draw.calls == [{"lr": 0.01}, {"lr": 0.1}, {"lr": 1.0}]
    assert isinstance(stack, ipywidgets.Stack) and stack.selected_index == 0
    assert [type(child) for child in stack.children] == [ipywidgets.Image] * 3
    for child, values in zip(stack.children, draw.calls, strict=True):
        assert child.format == "png"
        np.testing.assert_allclose(pixel(child.value), colour_of(values), atol=2 / 255)


def test_one_knob_slider_is_linked_to_the_stack(links):
    box = explorable(Recorder(), lr=[0.01, 0.1, 1.0])
    (slider,), stack = stack_of(box)
    assert links == [((slider, "index"), (stack, "selected_index"))]


def test_numeric_knob_gets_a_slider_with_readable_labels():
    box = explorable(Recorder(), lr=[1e-5, 0.001, 0.1, 1, 2.5, 1000.0])
    (slider,), _ = stack_of(box)
    assert isinstance(slider, ipywidgets.SelectionSlider)
    assert slider.description == "lr"
    assert list(slider.options) == [
        ("1e-05", 1e-5),
        ("0.001", 0.001),
        ("0.1", 0.1),
        ("1", 1),
        ("2.5", 2.5),
        ("1000", 1000.0),
    ]
    assert slider.index == 0 and slider.value == 1e-5


def test_string_knob_gets_buttons_or_a_dropdown():
    few = explorable(Recorder(), act=["a", "b", "c"]).children[0].children[0]
    assert isinstance(few, ipywidgets.ToggleButtons)
    assert [label for label, _ in few.options] == ["a", "b", "c"]
    many = explorable(lambda act: plt.figure(figsize=(1, 1)), act=list("abcde")).children[0].children[0]
    assert isinstance(many, ipywidgets.Dropdown)
    assert many.layout.width == "max-content"  # long labels are not cut off
    flags = explorable(lambda flag: plt.figure(figsize=(1, 1)), flag=[True, False]).children[0].children[0]
    assert isinstance(flags, ipywidgets.ToggleButtons)  # bools are not numbers here
    assert [label for label, _ in flags.options] == ["True", "False"]


# --- two knobs --------------------------------------------------------------------------------


def test_two_knobs_nest_one_inner_stack_per_value_of_the_first():
    draw = Recorder()
    box = explorable(draw, lr=[0.0, 0.5, 1.0], act=["a", "c"])
    controls, outer = stack_of(box)
    assert [c.description for c in controls] == ["lr", "act"]
    assert draw.calls == [{"lr": lr, "act": act} for lr in (0.0, 0.5, 1.0) for act in ("a", "c")]
    assert len(outer.children) == 3
    for i, inner in enumerate(outer.children):
        assert isinstance(inner, ipywidgets.Stack) and len(inner.children) == 2
        for j, image in enumerate(inner.children):
            expected = colour_of({"lr": [0.0, 0.5, 1.0][i], "act": ["a", "c"][j]})
            np.testing.assert_allclose(pixel(image.value), expected, atol=2 / 255)


def test_two_knobs_second_control_is_linked_to_every_inner_stack(links):
    box = explorable(Recorder(), lr=[0.0, 0.5, 1.0], act=["a", "b"])
    (first, second), outer = stack_of(box)
    assert links[-1] == ((first, "index"), (outer, "selected_index"))
    inner_links = links[:-1]
    assert inner_links == [((second, "index"), (inner, "selected_index")) for inner in outer.children]


# --- the frames -------------------------------------------------------------------------------


def line_plot(w: float):
    x = np.linspace(-4, 4, 101)
    fig, ax = plt.subplots(figsize=(4, 2.5), layout="constrained")
    ax.plot(x, np.tanh(w * x), "k-")
    ax.set(title=f"tanh(w x), w = {w}", xlabel="x", ylabel="tanh(w x)")
    return fig


def test_frames_are_small_valid_pngs_of_the_figure_size():
    box = explorable(line_plot, w=[0.5, 1.0, 2.0])
    for image in box.children[1].children:
        png = bytes(image.value)
        assert png.startswith(PNG_SIGNATURE)
        decoded = Image.open(io.BytesIO(png))
        decoded.verify()
        assert decoded.size == (4 * FRAME_DPI, int(2.5 * FRAME_DPI))
        assert image.width == str(4 * DISPLAY_DPI)  # shown at half its pixel size
        assert 1_000 < len(png) < 40_000  # a palette PNG; the RGBA one is about twice that


def test_frames_and_text_repr_are_deterministic():
    first, second = explorable(line_plot, w=[0.5, 2.0]), explorable(line_plot, w=[0.5, 2.0])
    assert [bytes(i.value) for i in first.children[1].children] == [bytes(i.value) for i in second.children[1].children]
    text = first._repr_mimebundle_()["text/plain"]  # what nbval compares
    assert text == second._repr_mimebundle_()["text/plain"]
    assert text.startswith("VBox(children=(VBox(children=(SelectionSlider(description='w'")


@pytest.mark.parametrize("style", ["figure", "axes", "pyplot"])
def test_every_figure_is_closed(style):
    def draw(w):
        fig, ax = plt.subplots(figsize=(1, 1))
        plt.figure()  # a stray figure is closed too
        return {"figure": fig, "axes": ax, "pyplot": None}[style]

    before = plt.get_fignums()
    box = explorable(draw, w=[1, 2])
    assert plt.get_fignums() == before
    assert len(box.children[1].children) == 2


# --- errors -----------------------------------------------------------------------------------


def test_draw_must_return_a_figure_and_its_figures_are_closed_anyway():
    before = plt.get_fignums()
    with pytest.raises(TypeError, match=r"draw\(w=1\) must return a matplotlib Figure .* it returned int"):
        explorable(lambda w: plt.figure() and 1, w=[1])
    assert plt.get_fignums() == before
    with pytest.raises(TypeError, match="it returned NoneType"):
        explorable(lambda w: None, w=[1])


@pytest.mark.parametrize(
    ("knobs", "error", "message"),
    [
        ({}, TypeError, r"needs at least one knob, e\.g\. explorable\(draw, lr=\[0\.01, 0\.1, 1\.0\]\)"),
        ({"a": [1], "b": [1], "c": [1]}, TypeError, "takes at most 2 knobs, got 3: a, b, c"),
        ({"lr": []}, ValueError, "knob 'lr' has no values"),
        ({"lr": 0.1}, TypeError, "knob 'lr' must be a list or tuple of values, got float"),
        ({"act": "relu"}, TypeError, "knob 'act' must be a list or tuple of values, got str"),
        ({"lr": [0.1, 0.10000001]}, ValueError, r"knob 'lr' has values with the same label: \['0\.1', '0\.1'\]"),
    ],
)
def test_bad_knobs_are_refused_before_drawing(knobs, error, message):
    draw = Recorder()
    with pytest.raises(error, match=message):
        explorable(draw, **knobs)
    assert draw.calls == []


def test_missing_extra_names_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # makes `import ipywidgets` fail
    spec = importlib.util.spec_from_file_location("_widgets_without_ipywidgets", Path(widgets.__file__))
    with pytest.raises(ImportError, match=r"ipywidgets is missing\): pip install 'nnkit\[widgets\]'"):
        spec.loader.exec_module(importlib.util.module_from_spec(spec))
