"""Smoke tests for benchmarks/: each benchmark runs end to end on a tiny problem (no timing assertions),
and its implementations take the same steps as each other."""

import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def load(name):
    """Import benchmarks/<name>.py as a script run would: with benchmarks/ on sys.path (for harness.py)."""
    sys.path.insert(0, str(BENCHMARKS))
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)
        sys.modules.pop("harness", None)
        sys.path.remove(str(BENCHMARKS))


@pytest.fixture(scope="module")
def bench():
    yield from load("bench_mlp")


@pytest.fixture(scope="module")
def bench_cnn():
    yield from load("bench_cnn")


def test_quick_run_reports_nnkit_and_handwritten(bench, capsys):
    results = bench.main(["--quick", "--samples", "384", "--repeats", "1", "--no-torch"])
    out = capsys.readouterr().out
    for opt in ("SGD", "Adam"):
        for name in ("nnkit", "handwritten"):
            row = results["rows"][opt, name]
            assert len(row.times) == 1 and row.times[0] > 0
            assert math.isfinite(row.final_loss)
            assert f"{opt:<5} {name:<20}" in out
    assert "targets" in out and ("PASS" in out or "MISS" in out)
    assert results["same_loss"], "nnkit and the hand-written loop should end at the same loss"
    assert "transient peak" in out
    assert set(results["diagnostics"]) == {"fit", "fit + LayerStats()", "fit + LayerStats(every=1)"}
    assert "diagnostics left on" in out and "fit + LayerStats() / fit" in out


def test_flop_count_skips_the_first_layers_input_gradient(bench):
    forward = 2 * 10 * (784 * 256 + 256 * 128 + 128 * 10)
    assert bench.epoch_flops(10) == 3 * forward - 2 * 10 * 784 * 256


@pytest.mark.parametrize("opt", ["SGD", "Adam"])
def test_torch_trainer_takes_the_same_steps_as_the_others(bench, torch, opt):
    X, y = bench.make_data(256, seed=0)
    init = bench.initial_weights(seed=1)
    trainers = {name: make(init, opt) for name, make in [("nnkit", bench.make_nnkit), ("hand", bench.make_handwritten)]}
    losses = {name: bench.run_epoch(t.step, X, y, 64) for name, t in trainers.items()}
    tt = bench.make_torch(init, opt)
    losses["torch"] = bench.run_epoch(tt.step, torch.from_numpy(X), torch.from_numpy(y), 64)
    assert losses["hand"] == pytest.approx(losses["nnkit"], rel=1e-5)
    assert losses["torch"] == pytest.approx(losses["nnkit"], rel=1e-5)
    # Adam divides by √v: where a gradient is ~0, float32 rounding moves a weight by up to lr per step
    atol = 1e-4 if opt == "Adam" else 1e-6
    for w_nnkit, w_hand, w_torch in zip(trainers["nnkit"].weights(), trainers["hand"].weights(), tt.weights()):
        assert abs(w_nnkit - w_hand).max() < atol
        assert abs(w_nnkit - w_torch).max() < atol


# --------------------------------------------------------------------------- the shared harness


def test_compare_rotates_the_order_and_primes_each_turn(bench):
    harness = bench.harness
    log = []
    candidates = {
        name: harness.Candidate(
            lambda name=name: log.append(name), calls=2, prime=lambda name=name: log.append(f"prime {name}"), settle=0
        )
        for name in "abc"
    }
    timings = harness.compare(candidates, rounds=3)
    assert {name: len(t.times) for name, t in timings.items()} == {"a": 6, "b": 6, "c": 6}
    turns = ["".join(log[i + 1 : i + 3]) for i in range(0, len(log), 3)]
    assert log[::3] == [f"prime {name[0]}" for name in turns]
    assert turns == ["aa", "bb", "cc", "bb", "cc", "aa", "cc", "aa", "bb"]


def test_compare_builds_fresh_state_before_every_call(bench):
    harness = bench.harness
    state = {"fresh": False, "stale_calls": 0}

    def before():
        state["fresh"] = True

    def run():
        state["stale_calls"] += not state["fresh"]
        state["fresh"] = False

    harness.compare({"x": harness.Candidate(run, calls=3, before=before, settle=0)}, rounds=2)
    assert state["stale_calls"] == 0


def test_timing_is_noisy_when_its_median_exceeds_its_best_by_a_fifth(bench):
    timing = bench.harness.Timing("x", [1.0, 1.3, 1.25])
    assert timing.best == 1.0 and timing.median == 1.25 and timing.noisy
    assert not bench.harness.Timing("x", [1.0, 1.1, 1.15]).noisy


def test_allocations_see_a_temporary_and_what_is_kept(bench):
    kept = []

    def call():
        np.ones(1_000_000)  # 8 MB, freed at once
        kept.append(np.ones(1000))  # 8 kB, kept

    found = bench.harness.allocations(call, calls=2, warmup=0)
    assert 8_000_000 <= found.peak < 8_100_000
    assert 16_000 <= found.kept < 17_000


def test_a_missed_target_is_reported_not_raised(bench, capsys):
    targets = bench.harness.report_targets("t:", [bench.harness.Target("slow", 3.0, 1.5)])
    assert not targets[0].ok
    assert "3.00 <= 1.50   MISS" in capsys.readouterr().out


# --------------------------------------------------------------------------- bench_cnn


def test_cnn_quick_run_reports_lenet_and_every_conv_shape(bench_cnn, capsys):
    results = bench_cnn.main(["--quick", "--no-torch", "--batches", "2"])
    out = capsys.readouterr().out
    assert set(results["lenet"]) == {"nnkit"}
    assert len(results["lenet"]["nnkit"].times) == 2 and min(results["lenet"]["nnkit"].times) > 0
    assert "nnkit" in out and "ms/step" in out
    assert len(results["conv"]) == len(bench_cnn.CONV_SHAPES)
    for shape, timings in results["conv"].items():
        assert set(timings) == {"nnkit", "nnkit fwd", "GEMMs only"}
        assert shape.label in out
        # the columns themselves live from forward to backward: the peak is at least one im2col matrix
        assert results["allocations"][shape].peak >= shape.im2col_bytes()
    assert "×im2col" in out and ("PASS" in out or "MISS" in out)


def test_conv_shape_arithmetic(bench_cnn):
    s = bench_cnn.ConvShape(n=2, c_in=3, c_out=4, size=5, kernel=3, padding=1)
    assert s.out == 5
    assert s.im2col_bytes() == (3 * 3 * 3) * (2 * 5 * 5) * 4
    assert s.flops() == 2 * 2 * 5 * 5 * 4 * 3 * 3 * 3
    assert s.memory_budget() == 2 * s.im2col_bytes() + 2 * (2 * 3 * 7 * 7 * 4) + 2 * (2 * 4 * 5 * 5 * 4)
    assert not s.has_target and bench_cnn.ConvShape(8, 32, 64, 8, 3, 1).has_target


def test_lenet_in_nnkit_and_torch_takes_the_same_steps(bench_cnn, torch):
    X, y = bench_cnn.make_data(n_batches=4, batch=32, seed=0)
    model = bench_cnn.lenet_nnkit(seed=1)
    tmodel = bench_cnn.lenet_torch(model.state_dict())
    assert list(tmodel.state_dict()) == list(model.state_dict())
    losses = bench_cnn.train(bench_cnn.nnkit_step(model), X, y)
    tlosses = bench_cnn.train(bench_cnn.torch_step(tmodel), torch.from_numpy(X), torch.from_numpy(y))
    assert losses == pytest.approx(tlosses, rel=1e-5)
    assert bench_cnn.weight_difference(model, tmodel) < 1e-5
    assert bench_cnn.weight_difference(bench_cnn.lenet_nnkit(seed=1), tmodel) > 1e-3  # the steps moved the weights


@pytest.mark.parametrize("shape", [(2, 3, 4, 6, 3, 1), (2, 1, 6, 12, 5, 0)])
def test_conv_workloads_compute_the_same_in_nnkit_and_torch(bench_cnn, torch, shape):
    runs = bench_cnn.conv_workload(bench_cnn.ConvShape(*shape), torch)
    assert set(runs) == {"nnkit", "nnkit fwd", "torch", "torch fwd", "GEMMs only"}
    assert bench_cnn.conv_agrees(runs) < 1e-5
    s = bench_cnn.ConvShape(*shape)
    dcols = runs["GEMMs only"]()  # the floor does an im2col backward's work: columns' gradient of the right shape
    assert dcols.shape == (s.c_in * s.kernel**2, s.n * s.out**2)


# --------------------------------------------------------------------------- bench_rnn


@pytest.fixture(scope="module")
def bench_rnn():
    yield from load("bench_rnn")


def test_rnn_quick_run_reports_the_lstm_and_the_gru(bench_rnn, capsys):
    results = bench_rnn.main(["--quick", "--no-torch"])
    out = capsys.readouterr().out
    assert [s.kind for s in results["timings"]] == ["LSTM", "GRU"]
    for shape, timings in results["timings"].items():
        assert set(timings) == {"nnkit", "nnkit fwd", "GEMMs only"}
        assert len(timings["nnkit"].times) == 2 and min(timings["nnkit"].times) > 0
        assert shape.label in out
    assert "GEMMs" in out and "targets: none without PyTorch" in out


def test_rnn_profile_splits_the_time_into_products_gate_math_and_overhead(bench_rnn, capsys):
    results = bench_rnn.main(["--quick", "--no-torch", "--profile"])
    out = capsys.readouterr().out
    for shape, prof in results["profile"].items():
        assert {"forward", "backward", "call overhead (H = 1)"} <= set(prof)
        assert all(per["nnkit"] > 0 for per in prof.values())
        assert f"{shape.label}: where forward + backward spends its time" in out
    assert "gate math" in out


def test_rnn_flop_count(bench_rnn):
    s = bench_rnn.RNNShape("LSTM", steps=50, batch=64, input_size=32, hidden_size=128)
    assert s.flops() == 2 * 50 * 64 * (4 * 128) * (32 + 128)
    assert bench_rnn.RNNShape("GRU", 5, 4, 3, 8).flops() == 2 * 5 * 4 * (3 * 8) * (3 + 8)
    assert s.label == "LSTM L50 N64 32→128"


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_rnn_workloads_compute_the_same_in_nnkit_and_torch(bench_rnn, torch, kind):
    s = bench_rnn.RNNShape(kind, steps=6, batch=3, input_size=4, hidden_size=5)
    runs = bench_rnn.workload(s, torch)
    assert set(runs) == {"nnkit", "nnkit fwd", "torch", "torch fwd", "GEMMs only"}
    assert runs["nnkit fwd"]().shape == (6, 3, 5) and runs["nnkit"]().shape == (6, 3, 4)
    assert bench_rnn.agrees(runs) < 1e-5
    # the floor does the same products: an input gradient of x's shape, flattened over the steps
    assert runs["GEMMs only"]().shape == (6 * 3, 4)
    # the check can fail: PyTorch's calls from another seed (other weights, other data) do not agree
    other = bench_rnn.workload(s, torch, seed=1)
    mixed = {"nnkit fwd": runs["nnkit fwd"], "nnkit": runs["nnkit"]} | {k: other[k] for k in ("torch fwd", "torch")}
    assert bench_rnn.agrees(mixed) > 1e-2


def test_rnn_profile_times_pytorch_with_and_without_onednn(bench_rnn, torch):
    s = bench_rnn.RNNShape("LSTM", steps=4, batch=2, input_size=3, hidden_size=5)
    prof = bench_rnn.step_profile(s, torch, rounds=1, calls=1)
    for part in ("forward", "backward", "forward, oneDNN off", "backward, oneDNN off"):
        assert prof[part]["torch"] > 0
    ops = bench_rnn.torch_ops(torch, s, calls=1)
    assert ops and all(isinstance(name, str) and ms >= 0 for name, ms in ops)


def test_layer_row_gives_times_in_ms_and_the_ratios_to_torch(bench_rnn):
    harness = bench_rnn.harness
    t = {
        name: harness.Timing(name, times)
        for name, times in {
            "nnkit": [0.004, 0.005],
            "nnkit fwd": [0.002],
            "torch": [0.002, 0.003],
            "torch fwd": [0.001],
            "GEMMs only": [0.001],
        }.items()
    }
    row = harness.layer_row("L", 3, t, flops=1e6, use_torch=True)
    assert row.split() == [
        "L",
        "4.00",
        "4.50",
        "0.8",
        "2.00",
        "2.50",
        "2.00",
        "│",
        "2.00",
        "1.00",
        "2.00",
        "│",
        "1.00",
        "0.50",
    ]
    without = harness.layer_row("L", 3, {k: v for k, v in t.items() if "torch" not in k}, flops=1e6, use_torch=False)
    assert without.split() == ["L", "4.00", "4.50", "0.8", "-", "-", "-", "│", "2.00", "-", "-", "│", "1.00", "-"]


# --------------------------------------------------------------------------- bench_transformer


@pytest.fixture(scope="module")
def bench_transformer():
    yield from load("bench_transformer")


def test_transformer_quick_run_reports_the_layer_and_the_scaling(bench_transformer, capsys):
    results = bench_transformer.main(["--quick", "--no-torch"])
    out = capsys.readouterr().out
    assert set(results["timings"]) == {"nnkit", "nnkit fwd", "GEMMs only"}
    assert results["shape"].label in out and "targets: none without PyTorch" in out
    assert [r["T"] for r in results["scaling"]] == [8, 16, 32]
    assert all(r["seconds"] > 0 and r["peak"] > r["scores"] for r in results["scaling"])
    assert "T² prediction" in out


def test_transformer_flop_count(bench_transformer):
    s = bench_transformer.LayerShape(32, 64, 128, 4, 512)
    assert s.flops() == 2 * 32 * 64 * (4 * 128 * 128 + 2 * 128 * 512 + 2 * 64 * 128)
    assert s.label == "N32 T64 d128 h4 ff512"


def test_transformer_workload_computes_the_same_in_nnkit_and_torch(bench_transformer, torch):
    s = bench_transformer.LayerShape(2, 6, 16, 4, 32)
    runs = bench_transformer.workload(s, torch)
    assert set(runs) == {"nnkit", "nnkit fwd", "torch", "torch fwd", "GEMMs only"}
    assert runs["nnkit fwd"]().shape == (2, 6, 16) and runs["nnkit"]().shape == (2, 6, 16)
    assert bench_transformer.agrees(runs) < 1e-5
    other = bench_transformer.workload(s, torch, seed=1)  # the check can fail: other weights do not agree
    mixed = {"nnkit fwd": runs["nnkit fwd"], "nnkit": runs["nnkit"]} | {k: other[k] for k in ("torch fwd", "torch")}
    assert bench_transformer.agrees(mixed) > 1e-2
