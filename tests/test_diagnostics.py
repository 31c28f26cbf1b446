"""Tests for nnkit/diagnostics.py: LayerStats."""

import copy
import math

import numpy as np
import pytest

import nnkit
from nnkit import data, optim, train
from nnkit.diagnostics import LayerStats


def blobs():
    X, y = data.make_blobs(128, centers=3, rng=0)
    return (X - X.mean(0)) / X.std(0), y


def mlp(seed=0):
    return nnkit.Sequential(nnkit.Linear(2, 16, rng=seed), nnkit.ReLU(), nnkit.Linear(16, 3, rng=seed + 1))


def run(model, stats, lr=0.1, epochs=1, batch_size=32):
    return train.fit(model, nnkit.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=lr), blobs(), epochs=epochs,
                     batch_size=batch_size, callbacks=[stats], rng=0, progress=False)  # fmt: skip


def test_records_match_what_a_hand_written_loop_measures():
    """Replay the same steps by hand and compute every statistic from its definition."""
    model, twin = mlp(), mlp()
    stats = LayerStats(every=1)
    run(model, stats)
    X, y = blobs()
    order = np.random.default_rng(0).permutation(len(X))  # fit's shuffle with rng=0 for one epoch
    loss_fn, opt = nnkit.CrossEntropyLoss(), optim.SGD(twin.parameters(), lr=0.1)
    for step, start in enumerate(range(0, len(X), 32), start=1):
        b = order[start : start + 32]
        before = [p.data.copy() for p in twin[0].parameters()]
        hidden = twin[0](X[b])
        relu = twin[1](hidden)
        loss_fn(twin[2](relu), y[b])
        opt.zero_grad()
        twin[0].backward(twin[1].backward(twin[2].backward(loss_fn.backward())), input_grad=False)
        opt.step()
        i = step - 1
        assert stats.steps[i] == step
        rec0, rec1 = stats.records["0"], stats.records["1"]
        assert rec0["act_mean"][i] == pytest.approx(float(hidden.mean()), rel=1e-6)
        assert rec0["act_std"][i] == pytest.approx(float(hidden.std()), rel=1e-6)
        assert rec1["dead"][i] == pytest.approx(float(np.mean((relu <= 0).all(axis=0))))
        grad = math.sqrt(sum(float((p.grad**2).sum()) for p in twin[0].parameters()))
        assert rec0["grad_norm"][i] == pytest.approx(grad, rel=1e-5)
        moved = math.sqrt(sum(float(((p.data - q) ** 2).sum()) for p, q in zip(twin[0].parameters(), before)))
        size = math.sqrt(sum(float((q**2).sum()) for q in before))
        assert rec0["update_ratio"][i] == pytest.approx(moved / size, rel=1e-4)
        assert math.isnan(rec0["dead"][i]) and math.isnan(rec1["grad_norm"][i]) and math.isnan(rec1["update_ratio"][i])
    assert len(stats.steps) == 4


def test_every_records_every_kth_step_and_the_hooks_are_removed_after_training():
    model = mlp()
    stats = LayerStats(every=3)
    run(model, stats, epochs=3)  # 12 steps
    assert stats.steps == [3, 6, 9, 12]
    assert all(len(v) == 4 for rec in stats.records.values() for v in rec.values())
    assert all(not m.__dict__.get("_forward_hooks") for m in model.modules())
    assert all(r > 0 for r in stats.records["2"]["update_ratio"])


def test_all_dead_relu_units_are_seen():
    model = mlp()
    model[0].bias.data[...] = -100.0  # every pre-activation negative: every unit dead, no gradient to layer 0
    stats = LayerStats(every=1)
    run(model, stats)
    assert stats.records["1"]["dead"] == [1.0] * 4
    assert stats.records["0"]["grad_norm"] == [0.0] * 4 and stats.records["0"]["update_ratio"] == [0.0] * 4


def test_layers_selects_by_name_and_refuses_unknown_names():
    stats = LayerStats(layers=["2"])
    run(mlp(), stats)
    assert list(stats.records) == ["2"]
    with pytest.raises(ValueError, match=r"LayerStats expected layer names among \['0', '1', '2'\], got \['5'\]"):
        run(mlp(), LayerStats(layers=["5"]))
    with pytest.raises(ValueError, match="LayerStats expected every to be an integer >= 1, got 0"):
        LayerStats(every=0)


def test_a_single_layer_model_and_validation_passes_are_not_recorded():
    model = nnkit.Linear(2, 3, rng=0)
    stats = LayerStats(every=1)
    X, y = blobs()
    train.fit(model, nnkit.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (X, y), (X, y), epochs=1,
              batch_size=64, callbacks=[stats], rng=0, progress=False)  # fmt: skip
    assert list(stats.records) == [""] and stats.steps == [1, 2]
    assert len(stats.records[""]["act_mean"]) == 2  # the validation forward (eval mode) added nothing


def test_training_is_unchanged_by_the_callback():
    a, b = mlp(), mlp()
    run(a, LayerStats(every=1), epochs=2)
    run(b, train.Callback(), epochs=2)
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p.data, q.data)


def test_plot_draws_a_panel_per_key_and_a_line_per_layer_with_values():
    import matplotlib.pyplot as plt

    from nnkit import plot

    stats = LayerStats(every=1)
    run(mlp(), stats, epochs=2)
    fig = plot.layer_stats(stats)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["std of the output", "dead ReLU units (fraction)", "gradient norm", "update / weight"]
    assert [len(ax.get_lines()) for ax in fig.axes] == [3, 1, 2, 2]  # dead: the ReLU only; gradients: the Linears
    assert fig.axes[2].get_yscale() == "log"
    plt.close(fig)
    copy.deepcopy(stats)  # records are plain lists: picklable, copyable
