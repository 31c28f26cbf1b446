"""Smoke test for benchmarks/bench_mlp.py: it runs end to end on a tiny problem (no timing assertions)."""

import importlib.util
import math
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_mlp.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_mlp", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)


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
