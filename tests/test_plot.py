"""Tests for nnkit/plot.py."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

import nnkit
from nnkit import data, plot


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_decision_boundary_of_a_function_splits_the_plane():
    X, y = data.make_blobs(60, centers=[[-2, 0], [2, 0]], cluster_std=0.3, rng=0)
    fig, ax = plt.subplots()
    plot.decision_boundary(lambda g: g[:, 0], X, y, ax, title="x1 > 0")
    assert ax.get_title() == "x1 > 0"
    assert len(ax.collections) >= 2  # filled regions, boundary line, one scatter per class
    labels = ax.get_legend_handles_labels()[1]
    assert labels == ["class 0", "class 1"]


def test_decision_boundary_of_a_module_keeps_its_mode_and_dtype():
    X, y = data.make_moons(50, rng=0)
    model = nnkit.Sequential(nnkit.Linear(2, 4, rng=0), nnkit.Dropout(0.5, rng=0), nnkit.Linear(4, 3, rng=1))
    plot.decision_boundary(model, X, y, resolution=20)
    assert model.training


def test_predicted_classes_for_multi_and_single_output():
    grid = np.array([[1.0, -1.0], [-1.0, 1.0]])
    np.testing.assert_array_equal(plot._predict_classes(lambda g: g, grid), [0, 1])
    np.testing.assert_array_equal(plot._predict_classes(lambda g: g[:, :1], grid), [1, 0])


def test_scatter_uses_distinct_markers_and_book_style_cycles_dashes():
    X, y = data.make_blobs(30, centers=3, rng=0)
    ax = plot.scatter_classes(X, y)
    markers = {c.get_paths()[0].vertices.shape for c in ax.collections}
    assert len(markers) == 3
    plot.book_style()
    styles = [d["linestyle"] for d in plt.rcParams["axes.prop_cycle"]]
    assert len(set(map(str, styles))) == len(styles)


def test_decision_boundary_of_a_diverged_model_says_so():
    X, y = data.make_moons(20, rng=0)
    ax = plot.decision_boundary(lambda g: np.full((len(g), 2), np.nan), X, y, title="diverged")
    assert "NaN or inf" in ax.texts[0].get_text()
    assert ax.get_title() == "diverged"


def test_loss_curves_from_a_history_and_a_dict():
    ax = plot.loss_curves({"loss": [3.0, 2.0, 1.0]}, reference=np.log(2))
    lines = ax.get_lines()
    assert lines[0].get_label() == "loss"
    np.testing.assert_array_equal(lines[0].get_xdata(), [1, 2, 3])
    assert lines[0].get_linestyle() != lines[1].get_linestyle()
