"""An LSTM and a GRU layer, forward + backward: nnkit vs PyTorch on the CPU, same threads.

Each layer reads a batch of 64 sequences of 50 steps (input 32, hidden 128, float32, time-major) from
zeros, and backward takes a random gradient of the output (the gradient of h_n is left out). A timed
call is forward then backward, with the input gradient and every parameter gradient. PyTorch loads
nnkit's state dict (the keys are the same) and sees the same input and output gradient; the benchmark
checks that both compute the same output and input gradient. Forward alone is timed too, and so are
the matrix products alone that any backpropagation through time does at these shapes: the floor for
NumPy code.

Run:  .venv/bin/python benchmarks/bench_rnn.py [--repeats 7] [--quick] [--no-torch] [--profile]
A benchmark reports; it never fails on a missed target (the exit status is 0).
"""

from __future__ import annotations

import dataclasses
import math
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import harness
import numpy as np

import nnkit

STEPS, BATCH, INPUT, HIDDEN = 50, 64, 32, 128
TARGET = 1.5  # nnkit / PyTorch, forward + backward
AGREE_RTOL = 1e-4  # output and input gradient, float32 over 50 steps, relative to the largest value
KINDS = ("LSTM", "GRU")
GATES = {"RNN": 1, "LSTM": 4, "GRU": 3}


@dataclasses.dataclass(frozen=True)
class RNNShape:
    """A recurrent workload: one layer of ``kind`` over ``steps`` steps of ``batch`` sequences."""

    kind: str
    steps: int
    batch: int
    input_size: int
    hidden_size: int

    @property
    def label(self) -> str:
        return f"{self.kind} L{self.steps} N{self.batch} {self.input_size}→{self.hidden_size}"

    @property
    def gates(self) -> int:
        return GATES[self.kind]

    def flops(self) -> float:
        """Forward's matrix products, 2·L·N·G·H·(H_in + H): the input projections and the recurrent ones.
        Backward costs twice that (the weight gradients, and the gradients of x and of h_{t-1})."""
        return 2.0 * self.steps * self.batch * self.gates * self.hidden_size * (self.input_size + self.hidden_size)


def shapes(quick: bool) -> list[RNNShape]:
    if quick:
        return [RNNShape(kind, 5, 4, 3, 8) for kind in KINDS]
    return [RNNShape(kind, STEPS, BATCH, INPUT, HIDDEN) for kind in KINDS]


def make_layer(s: RNNShape, seed: int) -> Any:
    """The nnkit layer, float32, PyTorch's initialization drawn from a seeded generator."""
    return getattr(nnkit, s.kind)(s.input_size, s.hidden_size, rng=seed, dtype=np.float32)


def torch_layer(torch: Any, s: RNNShape, state: dict[str, np.ndarray]) -> Any:
    """PyTorch's layer with the given (nnkit) state dict."""
    layer = getattr(torch.nn, s.kind)(s.input_size, s.hidden_size)
    layer.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in state.items()})
    return layer


def workload(s: RNNShape, torch: Any, seed: int = 0) -> dict[str, Callable[[], Any]]:
    """Named calls on one layer: ``nnkit`` (forward + backward, returns dL/dx), ``nnkit fwd`` (returns the
    output), ``GEMMs only`` (the matrix products alone), and ``torch`` and ``torch fwd`` unless ``torch`` is None."""
    layer = make_layer(s, seed)
    gen = np.random.default_rng(seed + 1)
    x = gen.standard_normal((s.steps, s.batch, s.input_size), dtype=np.float32)
    dy = gen.standard_normal((s.steps, s.batch, s.hidden_size), dtype=np.float32)

    def nnkit_both() -> Any:
        layer(x)
        return layer.backward(dy)

    runs: dict[str, Callable[[], Any]] = {
        "nnkit": nnkit_both,
        "nnkit fwd": lambda: layer(x)[0],
        "GEMMs only": gemms(s, layer, gen),
    }
    if torch is not None:
        tlayer = torch_layer(torch, s, layer.state_dict())
        xt, dyt = torch.from_numpy(x).requires_grad_(), torch.from_numpy(dy)

        def torch_both() -> Any:
            xt.grad = None
            tlayer(xt)[0].backward(dyt)
            return xt.grad

        runs |= {"torch": torch_both, "torch fwd": lambda: tlayer(xt)[0]}
    return runs


def gemms(s: RNNShape, layer: Any, gen: np.random.Generator) -> Callable[[], Any]:
    """The matrix products of one forward + backward through time, alone, into arrays allocated once:
    the input projections of all steps at once, one recurrent product per step forward and one per step
    backward, and the gradients of W_ih, W_hh and x over all steps at once. Returns the call (it returns dx)."""
    steps, n, h_in, h = s.steps, s.batch, s.input_size, s.hidden_size
    w_ih, w_hh = layer.weight_ih_l0.data, layer.weight_hh_l0.data  # (G·H, H_in), (G·H, H)
    w_hh_t = np.ascontiguousarray(w_hh.T)
    gh = w_ih.shape[0]
    x2 = gen.standard_normal((steps * n, h_in), dtype=np.float32)
    hs = gen.standard_normal((steps, n, h), dtype=np.float32)
    da = gen.standard_normal((steps, n, gh), dtype=np.float32)
    proj, buf, carry = (
        np.empty((steps * n, gh), np.float32),
        np.empty((n, gh), np.float32),
        np.empty((n, h), np.float32),
    )
    dw_ih, dw_hh, dx = np.empty_like(w_ih), np.empty_like(w_hh), np.empty_like(x2)
    da2, hs2 = da.reshape(-1, gh), hs.reshape(-1, h)

    def run() -> Any:
        np.matmul(x2, w_ih.T, out=proj)
        for t in range(steps):
            np.matmul(hs[t], w_hh_t, out=buf)
        for t in range(steps - 1, -1, -1):
            np.matmul(da[t], w_hh, out=carry)
        np.matmul(da2.T, x2, out=dw_ih)
        np.matmul(da2.T, hs2, out=dw_hh)
        return np.matmul(da2, w_ih, out=dx)

    return run


agrees = harness.agrees  # nnkit and PyTorch compute the same thing (tests call it from here)


# --------------------------------------------------------------------------- profile


def step_profile(s: RNNShape, torch: Any, rounds: int, calls: int, seed: int = 0) -> dict[str, dict[str, float]]:
    """Where one layer's forward + backward spends its time, median ms per call:

    - nnkit's forward and backward, and PyTorch's (backward called on the output), also with oneDNN
      switched off: PyTorch's LSTM then runs step by step through ATen's matrix products and
      elementwise operators, as its GRU always does;
    - the matrix products alone (:func:`gemms`), split into the recurrent ones (per step, in the loops)
      and the rest (over all steps at once);
    - ``call overhead``: the same nnkit layer at batch 1, input 1, hidden 1, where the arithmetic is
      negligible and what is left is the cost of Python and of NumPy's calls, which is the same at any size.
    The elementwise gate math is what remains: nnkit's total minus the products and the overhead."""
    layer = make_layer(s, seed)
    gen = np.random.default_rng(seed + 1)
    x = gen.standard_normal((s.steps, s.batch, s.input_size), dtype=np.float32)
    dy = gen.standard_normal((s.steps, s.batch, s.hidden_size), dtype=np.float32)
    tiny_shape = dataclasses.replace(s, batch=1, input_size=1, hidden_size=1)
    tiny = make_layer(tiny_shape, seed)
    tiny_x, tiny_dy = np.ones((s.steps, 1, 1), np.float32), np.ones((s.steps, 1, 1), np.float32)
    times: dict[str, dict[str, list[float]]] = {}

    def record(lib: str, part: str, seconds: float) -> None:
        times.setdefault(part, {}).setdefault(lib, []).append(seconds)

    # the matrix products, in three groups, at the layer's shapes
    steps, n, h_in, h = s.steps, s.batch, s.input_size, s.hidden_size
    w_ih, w_hh = layer.weight_ih_l0.data, layer.weight_hh_l0.data
    w_hh_t, gh = np.ascontiguousarray(w_hh.T), w_ih.shape[0]
    hs = gen.standard_normal((steps, n, h), dtype=np.float32)
    da = gen.standard_normal((steps, n, gh), dtype=np.float32)
    x2, da2, hs2 = x.reshape(-1, h_in), da.reshape(-1, gh), hs.reshape(-1, h)
    buf, carry = np.empty((n, gh), np.float32), np.empty((n, h), np.float32)
    proj, dw_ih, dw_hh, dx = np.empty_like(da2), np.empty_like(w_ih), np.empty_like(w_hh), np.empty_like(x2)

    def nnkit_pass() -> None:
        t0 = time.perf_counter()
        layer(x)
        t1 = time.perf_counter()
        layer.backward(dy)
        t2 = time.perf_counter()
        for t in range(steps):
            np.matmul(hs[t], w_hh_t, out=buf)
        t3 = time.perf_counter()
        for t in range(steps - 1, -1, -1):
            np.matmul(da[t], w_hh, out=carry)
        t4 = time.perf_counter()
        np.matmul(x2, w_ih.T, out=proj)
        np.matmul(da2.T, x2, out=dw_ih)
        np.matmul(da2.T, hs2, out=dw_hh)
        np.matmul(da2, w_ih, out=dx)
        t5 = time.perf_counter()
        tiny(tiny_x)
        tiny.backward(tiny_dy)
        t6 = time.perf_counter()
        for part, dt in (
            ("forward", t1 - t0),
            ("backward", t2 - t1),
            ("GEMMs: recurrent, forward", t3 - t2),
            ("GEMMs: recurrent, backward", t4 - t3),
            ("GEMMs: all steps at once", t5 - t4),
            ("call overhead (H = 1)", t6 - t5),
        ):
            record("nnkit", part, dt)

    candidates = {"nnkit": harness.Candidate(nnkit_pass, calls=calls)}
    if torch is not None:
        tlayer = torch_layer(torch, s, layer.state_dict())
        xt, dyt = torch.from_numpy(x).requires_grad_(), torch.from_numpy(dy)

        def torch_pass() -> None:
            for suffix, onednn in (("", True), (", oneDNN off", False)):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # the flags' note on TF32, which float32 here does not use
                    with torch.backends.mkldnn.flags(enabled=onednn):
                        xt.grad = None
                        t0 = time.perf_counter()
                        out = tlayer(xt)[0]
                        t1 = time.perf_counter()
                        out.backward(dyt)
                        t2 = time.perf_counter()
                record("torch", "forward" + suffix, t1 - t0)
                record("torch", "backward" + suffix, t2 - t1)

        candidates["torch"] = harness.Candidate(torch_pass, calls=calls)
    harness.compare(candidates, rounds)
    return {part: {lib: 1e3 * statistics.median(v) for lib, v in per.items()} for part, per in times.items()}


def torch_ops(torch: Any, s: RNNShape, calls: int = 5, top: int = 4) -> list[tuple[str, float]]:
    """The ATen operators that PyTorch's forward + backward spends the most time in (torch.profiler,
    self CPU time), as ``(name, ms per call)``: for the LSTM, whether it runs oneDNN's fused kernel."""
    from torch.profiler import ProfilerActivity, profile

    runs = workload(s, torch)
    runs["torch"]()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(calls):
            runs["torch"]()
    events = sorted(prof.key_averages(), key=lambda e: e.self_cpu_time_total, reverse=True)
    return [(e.key, e.self_cpu_time_total / 1e3 / calls) for e in events[:top]]


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> Any:
    parser = harness.argument_parser(__doc__.splitlines()[0], repeats=7)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--profile", action="store_true", help="also split each layer's time: matrix products, gate math, overhead"
    )
    return harness.parse(parser, argv)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the benchmark, print the report and return the results (for tests and scripts)."""
    args = parse_args(argv)
    box = harness.machine(no_torch=args.no_torch)
    torch, use_torch = box.torch, box.has_torch
    settle = 0.0 if args.quick else harness.SETTLE
    calls = 2 if args.quick else 5
    results: dict[str, Any] = {"targets": [], "timings": {}, "agree": {}}
    for s in shapes(args.quick):
        runs = workload(s, torch, args.seed)
        results["timings"][s] = harness.compare(
            {k: harness.Candidate(f, calls=calls, settle=settle) for k, f in runs.items()}, args.repeats
        )
        if use_torch:
            results["agree"][s] = agrees(runs)
        del runs

    timings, agree = results["timings"], results["agree"]
    s0 = next(iter(timings))
    print(
        f"nnkit benchmark: one recurrent layer, {s0.steps} steps of batch {s0.batch}, input {s0.input_size}, "
        f"hidden {s0.hidden_size}, float32"
    )
    print(box.describe())
    print(
        f"time: best (median) over {args.repeats} interleaved round(s) of {calls} calls, each turn opened by "
        f"{settle:.1f} s of untimed calls; ratios use the best. {box.load_text()}"
    )
    print()
    print("forward + backward (input, weight and bias gradients), ms per call; then forward alone")
    print(
        f"  {'layer':<24} {'nnkit':>7} {'(median)':>9} {'GFLOP/s':>8} {'torch':>7} {'(median)':>9} {'×torch':>7} │ "
        f"{'fwd nnkit':>9} {'torch':>7} {'×torch':>7} │ {'GEMMs':>7} {'×torch':>7}"
    )
    for s, t in timings.items():
        print(harness.layer_row(s.label, 24, t, s.flops(), use_torch))
    print(
        "  GEMMs: only the matrix products of a forward + backward through time, into preallocated arrays "
        "(NumPy's BLAS): the floor for NumPy code"
    )
    print()

    noisy = harness.noisy_names({f"{s.label} {k}": v for s, t in timings.items() for k, v in t.items()})
    results["noisy"] = noisy
    if noisy:
        print(harness.noisy_note(noisy))
        print()

    if use_torch:
        width = max(len(s.label) for s in timings)
        targets = [
            harness.Target(f"{s.label:<{width}} nnkit / torch", t["nnkit"].best / t["torch"].best, TARGET)
            for s, t in timings.items()
        ]
        results["targets"] = harness.report_targets("targets (best times, forward + backward):", targets)
        print()
        worst = max(agree.values())
        results["same_work"] = worst <= AGREE_RTOL
        print(
            "same work? PyTorch loaded nnkit's state dict; largest difference in output or input gradient, relative "
            f"to its largest value: {', '.join(f'{s.kind} {d:.1e}' for s, d in agree.items())} "
            f"(tolerance {AGREE_RTOL:.0e})"
        )
        print(f"  {'PASS' if results['same_work'] else 'MISS: nnkit and PyTorch do not compute the same thing'}")
    else:
        print("targets: none without PyTorch (the targets are ratios to it)")

    if args.profile:
        results["profile"] = {}
        for s in timings:
            prof = step_profile(s, torch, args.repeats, calls, args.seed)
            results["profile"][s] = prof
            print()
            print_profile(s, prof)
            if use_torch:
                ops = torch_ops(torch, s)
                results.setdefault("torch_ops", {})[s] = ops
                print(
                    "  PyTorch's top ATen operators (torch.profiler, self CPU ms per forward + backward): "
                    + ", ".join(f"{name} {ms:.2f}" for name, ms in ops)
                )
    sys.stdout.flush()
    return results


def print_profile(s: RNNShape, prof: dict[str, dict[str, float]]) -> None:
    """The profile of one layer: parts in ms per call and µs per step, and the gate math by difference."""
    nn = {part: per["nnkit"] for part, per in prof.items() if "nnkit" in per}
    tm = {part: per["torch"] for part, per in prof.items() if "torch" in per}
    total = nn["forward"] + nn["backward"]
    products = nn["GEMMs: recurrent, forward"] + nn["GEMMs: recurrent, backward"] + nn["GEMMs: all steps at once"]
    rest = total - products - nn["call overhead (H = 1)"]
    print(f"{s.label}: where forward + backward spends its time, median ms per call (µs per step)")
    print(f"  {'part':<40} {'nnkit':>8} {'µs/step':>8} {'torch':>8}")
    for part, per in prof.items():
        a, b = per.get("nnkit", math.nan), per.get("torch", math.nan)
        print(f"  {part:<40} {a:8.3f} {1e3 * a / s.steps:8.1f} {b:8.3f}")
    print(f"  {'gate math and the rest (by difference)':<40} {rest:8.3f} {1e3 * rest / s.steps:8.1f}")
    tt = tm.get("forward", math.nan) + tm.get("backward", math.nan)
    print(f"  {'total (forward + backward)':<40} {total:8.3f} {1e3 * total / s.steps:8.1f} {tt:8.3f}")
    if "forward, oneDNN off" in tm:
        off = tm["forward, oneDNN off"] + tm["backward, oneDNN off"]
        label = "total, PyTorch with oneDNN off"
        print(f"  {label:<40} {'':>8} {'':>8} {off:8.3f}   (nnkit / this: {total / off:.2f})")


if __name__ == "__main__":
    main()
