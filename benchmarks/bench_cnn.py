"""A LeNet-like CNN training step and Conv2d alone: nnkit vs PyTorch on the CPU, same threads.

LeNet: Conv2d(1, 6, 5) → ReLU → MaxPool2d(2) → Conv2d(6, 16, 5) → ReLU → MaxPool2d(2) → Flatten →
Linear(256, 120) → ReLU → Linear(120, 84) → ReLU → Linear(84, 10), cross-entropy, SGD (lr 0.01,
momentum 0.9), on 28×28 single-channel inputs at batch 128 (synthetic, seeded). One step is
forward + backward + optimizer step. PyTorch starts from nnkit's weights (the state-dict keys are
the same) and sees the same batches; the benchmark checks that both take the same steps.

Conv2d alone: forward + backward (weight, bias and input gradients) at a few shapes, and forward
alone, with the transient memory of nnkit's forward + backward as a multiple of its im2col matrix.

Run:  .venv/bin/python benchmarks/bench_cnn.py [--repeats 5] [--batches 20] [--quick] [--profile]
A benchmark reports; it never fails on a missed target (the exit status is 0).
"""

from __future__ import annotations

import dataclasses
import math
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import harness
import numpy as np

import nnkit

BATCH = 128
SIDE = 28  # input images: (1, 28, 28)
N_CLASSES = 10
LR, MOMENTUM = 0.01, 0.9
TARGET_LENET = 2.0  # nnkit / PyTorch, one training step
TARGET_CONV = 1.5  # nnkit / PyTorch, Conv2d forward + backward at 3×3 with ≥ 32 channels
LOSS_RTOL = 1e-3  # the two LeNets' losses after the same steps, float32
ITEMSIZE = 4  # float32

StepFn = Callable[[Any, Any], float]


@dataclasses.dataclass(frozen=True)
class ConvShape:
    """A Conv2d workload: input (n, c_in, size, size), c_out filters of kernel×kernel, stride 1."""

    n: int
    c_in: int
    c_out: int
    size: int
    kernel: int
    padding: int = 0

    @property
    def out(self) -> int:
        return self.size + 2 * self.padding - self.kernel + 1

    @property
    def label(self) -> str:
        return f"{self.n}×{self.c_in}→{self.c_out} {self.size}² k{self.kernel} p{self.padding}"

    @property
    def has_target(self) -> bool:
        """The issue's Conv2d target applies at 3×3 with 32 or more channels."""
        return self.kernel == 3 and min(self.c_in, self.c_out) >= 32

    def im2col_bytes(self) -> int:
        """The im2col matrix: (C_in·k·k, N·H_out·W_out), float32."""
        return self.c_in * self.kernel**2 * self.n * self.out**2 * ITEMSIZE

    def memory_budget(self) -> int:
        """What an im2col forward + backward needs at the least: the columns and their gradient (2 im2col
        matrices), two arrays the size of the padded input (its copy, its gradient) and two the size of
        the output (the output and a copy of its gradient)."""
        padded_input = self.n * self.c_in * (self.size + 2 * self.padding) ** 2 * ITEMSIZE
        output = self.n * self.c_out * self.out**2 * ITEMSIZE
        return 2 * self.im2col_bytes() + 2 * padded_input + 2 * output

    def flops(self) -> float:
        """Forward FLOPs, 2·N·H_out·W_out·C_out·C_in·k². Backward costs twice that (weight and input gradients)."""
        return 2.0 * self.n * self.out**2 * self.c_out * self.c_in * self.kernel**2


CONV_SHAPES = (
    ConvShape(128, 32, 32, 16, 3, 1),
    ConvShape(128, 64, 64, 8, 3, 1),
    ConvShape(32, 32, 64, 32, 3, 1),
    ConvShape(128, 1, 6, 28, 5),  # LeNet's first convolution
    ConvShape(128, 6, 16, 12, 5),  # LeNet's second
)


# --------------------------------------------------------------------------- LeNet


def make_data(n_batches: int, batch: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Ten class templates plus unit noise. X (n_batches, batch, 1, 28, 28) float32, y (n_batches, batch) int64."""
    gen = np.random.default_rng(seed)
    templates = gen.standard_normal((N_CLASSES, 1, SIDE, SIDE), dtype=np.float32)
    y = gen.integers(0, N_CLASSES, (n_batches, batch)).astype(np.int64)
    X = gen.standard_normal((n_batches, batch, 1, SIDE, SIDE), dtype=np.float32)
    X += templates[y]
    return X, y


def lenet_nnkit(seed: int) -> nnkit.Sequential:
    """The LeNet-like network in nnkit, float32, PyTorch's initialization drawn from a seeded generator."""
    gen = np.random.default_rng(seed)
    f32 = np.float32
    return nnkit.Sequential(
        nnkit.Conv2d(1, 6, 5, rng=gen, dtype=f32),
        nnkit.ReLU(),
        nnkit.MaxPool2d(2),
        nnkit.Conv2d(6, 16, 5, rng=gen, dtype=f32),
        nnkit.ReLU(),
        nnkit.MaxPool2d(2),
        nnkit.Flatten(),
        nnkit.Linear(16 * 4 * 4, 120, rng=gen, dtype=f32),
        nnkit.ReLU(),
        nnkit.Linear(120, 84, rng=gen, dtype=f32),
        nnkit.ReLU(),
        nnkit.Linear(84, N_CLASSES, rng=gen, dtype=f32),
    )


def lenet_torch(state: dict[str, np.ndarray]) -> Any:
    """The same network in PyTorch, loaded with nnkit's state dict (the keys are the same)."""
    import torch
    from torch import nn

    model = nn.Sequential(
        nn.Conv2d(1, 6, 5),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 4 * 4, 120),
        nn.ReLU(),
        nn.Linear(120, 84),
        nn.ReLU(),
        nn.Linear(84, N_CLASSES),
    )
    model.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in state.items()})
    return model


def nnkit_step(model: nnkit.Sequential) -> StepFn:
    """One training step of ``model`` with cross-entropy and SGD: ``step(xb, yb) -> loss``."""
    loss_fn = nnkit.CrossEntropyLoss()
    opt = nnkit.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)

    def step(xb: np.ndarray, yb: np.ndarray) -> float:
        loss = loss_fn(model(xb), yb)
        opt.zero_grad()
        model.backward(loss_fn.backward(), input_grad=False)
        opt.step()
        return loss

    return step


def torch_step(model: Any) -> StepFn:
    import torch

    loss_fn = torch.nn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)

    def step(xb: Any, yb: Any) -> float:
        opt.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        return loss.item()

    return step


def train(step: StepFn, X: Any, y: Any) -> list[float]:
    """One step on each batch ``X[i], y[i]`` in order; the losses."""
    return [step(X[i], y[i]) for i in range(len(X))]


def weight_difference(model: nnkit.Module, tmodel: Any) -> float:
    """The largest absolute difference between the two networks' parameters."""
    theirs = {k: v.detach().numpy() for k, v in tmodel.state_dict().items()}
    return max(float(np.abs(v - theirs[k]).max()) for k, v in model.state_dict().items())


# --------------------------------------------------------------------------- Conv2d alone


def conv_workload(shape: ConvShape, torch: Any, seed: int = 0) -> dict[str, Callable[[], Any]]:
    """Callables on one shape: ``nnkit`` and ``torch`` forward + backward (returning dx), and ``... fwd``
    forward alone (PyTorch with autograd recording, as in training). PyTorch gets nnkit's weights."""
    gen = np.random.default_rng(seed)
    s = shape
    conv = nnkit.Conv2d(s.c_in, s.c_out, s.kernel, padding=s.padding, rng=gen, dtype=np.float32)
    x = gen.standard_normal((s.n, s.c_in, s.size, s.size), dtype=np.float32)
    dy = gen.standard_normal((s.n, s.c_out, s.out, s.out), dtype=np.float32)

    def nnkit_both() -> Any:
        conv(x)
        return conv.backward(dy)

    # The floor for any im2col code on NumPy: just the three matrix products of a forward + backward
    # (output, weight gradient, column gradient), at im2col's sizes, into arrays allocated once.
    k2, cols_n = s.c_in * s.kernel**2, s.n * s.out**2
    w2 = conv.weight.data.reshape(s.c_out, k2)
    cols = gen.standard_normal((k2, cols_n), dtype=np.float32)
    dy2 = gen.standard_normal((s.c_out, cols_n), dtype=np.float32)
    y2, dw2, dcols = np.empty((s.c_out, cols_n), np.float32), np.empty_like(w2), np.empty_like(cols)

    def gemms() -> Any:
        np.matmul(w2, cols, out=y2)
        np.matmul(dy2, cols.T, out=dw2)
        return np.matmul(w2.T, dy2, out=dcols)

    runs: dict[str, Callable[[], Any]] = {"nnkit": nnkit_both, "nnkit fwd": lambda: conv(x), "GEMMs only": gemms}
    if torch is not None:
        tconv = torch.nn.Conv2d(s.c_in, s.c_out, s.kernel, padding=s.padding)
        tconv.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in conv.state_dict().items()})
        xt, dyt = torch.from_numpy(x).requires_grad_(), torch.from_numpy(dy)

        def torch_both() -> Any:
            xt.grad = None
            tconv(xt).backward(dyt)
            return xt.grad

        runs |= {"torch": torch_both, "torch fwd": lambda: tconv(xt)}
    return runs


def conv_agrees(runs: dict[str, Callable[[], Any]]) -> float:
    """The largest difference between nnkit and PyTorch, in output or input gradient, relative to the largest value."""
    diffs = []
    for a, b in (("nnkit fwd", "torch fwd"), ("nnkit", "torch")):
        ours, theirs = runs[a](), runs[b]().detach().numpy()
        diffs.append(float(np.abs(ours - theirs).max() / np.abs(theirs).max()))
    return max(diffs)


# --------------------------------------------------------------------------- per-layer profile


def layer_profile(seed: int, X: np.ndarray, y: np.ndarray, torch: Any, rounds: int, calls: int) -> dict[str, Any]:
    """Median ms of each LeNet layer's forward and backward alone, for nnkit and PyTorch, on the inputs
    and output gradients of one real nnkit step; plus the loss, zero_grad and the optimizer step."""
    model = lenet_nnkit(seed)
    loss_fn = nnkit.CrossEntropyLoss()
    opt = nnkit.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    layers = list(model)
    inputs, a = [], X[0]
    for m in layers:
        inputs.append(a)
        a = m(a)
    loss_fn(a, y[0])
    grads, g = [None] * len(layers), loss_fn.backward()
    for i in range(len(layers) - 1, -1, -1):
        grads[i] = g
        g = layers[i].backward(g, input_grad=i > 0)
    names = [f"{i} {type(m).__name__}" for i, m in enumerate(layers)]
    times: dict[str, dict[str, list[float]]] = {}

    def record(lib: str, part: str, seconds: float) -> None:
        times.setdefault(part, {}).setdefault(lib, []).append(seconds)

    def nnkit_pass() -> None:
        for i, m in enumerate(layers):
            t0 = time.perf_counter()
            m(inputs[i])
            t1 = time.perf_counter()
            m.backward(grads[i], input_grad=i > 0)
            t2 = time.perf_counter()
            record("nnkit", f"{names[i]} fwd", t1 - t0)
            record("nnkit", f"{names[i]} bwd", t2 - t1)
        t0 = time.perf_counter()
        loss_fn(a, y[0])
        loss_fn.backward()
        t1 = time.perf_counter()
        opt.zero_grad()
        t2 = time.perf_counter()
        opt.step()
        t3 = time.perf_counter()
        for part, dt in (("loss fwd+bwd", t1 - t0), ("zero_grad", t2 - t1), ("SGD step", t3 - t2)):
            record("nnkit", part, dt)

    candidates: dict[str, harness.Candidate] = {"nnkit": harness.Candidate(nnkit_pass, calls=calls)}
    if torch is not None:
        tmodel = lenet_torch(model.state_dict())
        tlayers = list(tmodel)
        tinputs = [torch.from_numpy(np.ascontiguousarray(v)).requires_grad_(i > 0) for i, v in enumerate(inputs)]
        tgrads = [torch.from_numpy(np.ascontiguousarray(v)) for v in grads]
        tlogits, ty = torch.from_numpy(a).requires_grad_(), torch.from_numpy(y[0])
        tloss_fn = torch.nn.CrossEntropyLoss()
        topt = torch.optim.SGD(tmodel.parameters(), lr=LR, momentum=MOMENTUM)

        def torch_pass() -> None:
            for i, m in enumerate(tlayers):
                tinputs[i].grad = None
                t0 = time.perf_counter()
                out = m(tinputs[i])
                t1 = time.perf_counter()
                out.backward(tgrads[i])
                t2 = time.perf_counter()
                record("torch", f"{names[i]} fwd", t1 - t0)
                record("torch", f"{names[i]} bwd", t2 - t1)
            tlogits.grad = None
            t0 = time.perf_counter()
            tloss_fn(tlogits, ty).backward()
            t1 = time.perf_counter()
            topt.zero_grad()
            t2 = time.perf_counter()
            for p in tmodel.parameters():  # zero_grad set them to None; step needs gradients
                p.grad = torch.zeros_like(p)
            t3 = time.perf_counter()
            topt.step()
            t4 = time.perf_counter()
            for part, dt in (("loss fwd+bwd", t1 - t0), ("zero_grad", t2 - t1), ("SGD step", t4 - t3)):
                record("torch", part, dt)

        candidates["torch"] = harness.Candidate(torch_pass, calls=calls)
    harness.compare(candidates, rounds)
    return {part: {lib: 1e3 * statistics.median(v) for lib, v in per.items()} for part, per in times.items()}


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> Any:
    parser = harness.argument_parser(__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=None, help="LeNet batches per timed call (default 20)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--profile", action="store_true", help="also time each LeNet layer alone, nnkit and PyTorch")
    args = harness.parse(parser, argv)
    if args.batches is None:
        args.batches = 2 if args.quick else 20
    if args.batches < 1:
        parser.error("--batches must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the benchmark, print the report and return the results (for tests and scripts)."""
    args = parse_args(argv)
    box = harness.machine(no_torch=args.no_torch)
    torch, use_torch = box.torch, box.has_torch
    batch = 16 if args.quick else BATCH
    settle = 0.0 if args.quick else harness.SETTLE
    shapes = [dataclasses.replace(s, n=4) for s in CONV_SHAPES] if args.quick else list(CONV_SHAPES)
    results: dict[str, Any] = {"targets": []}
    names = ["nnkit", *(["torch"] if use_torch else [])]

    # LeNet: every timed call trains a fresh copy of the same initial network on the same batches
    X, y = make_data(args.batches, batch, args.seed)
    data: dict[str, tuple[Any, Any]] = {"nnkit": (X, y)}
    if use_torch:
        data["torch"] = (torch.from_numpy(X), torch.from_numpy(y))
    trained: dict[str, tuple[Any, list[float]]] = {}

    def lenet_candidate(name: str) -> harness.Candidate:
        fresh: dict[str, Any] = {}

        def before() -> None:
            model = lenet_nnkit(args.seed + 1)
            fresh["model"] = lenet_torch(model.state_dict()) if name == "torch" else model
            fresh["step"] = (torch_step if name == "torch" else nnkit_step)(fresh["model"])

        def run() -> None:
            trained[name] = fresh["model"], train(fresh["step"], *data[name])

        return harness.Candidate(run, calls=2, before=before, settle=settle)

    lenet = harness.compare({name: lenet_candidate(name) for name in names}, args.repeats)
    results["lenet"] = lenet

    # Conv2d alone
    conv: dict[ConvShape, dict[str, harness.Timing]] = {}
    agree: dict[ConvShape, float] = {}
    allocs: dict[ConvShape, harness.Allocation] = {}
    for s in shapes:
        runs = conv_workload(s, torch, args.seed)
        conv[s] = harness.compare(
            {k: harness.Candidate(f, calls=3, settle=settle) for k, f in runs.items()}, args.repeats
        )
        if use_torch:
            agree[s] = conv_agrees(runs)
        del runs
        # A fresh layer, measured from its first call: the work arrays that Conv2d keeps between calls
        # (the columns and their gradient) count, as if they were allocated anew each time.
        allocs[s] = harness.allocations(conv_workload(s, None, args.seed)["nnkit"], calls=2, warmup=0)
    results |= {"conv": conv, "conv_agree": agree, "allocations": allocs}

    # report
    print(f"nnkit benchmark: LeNet-like CNN on {SIDE}×{SIDE}×1 inputs at batch {batch}, and Conv2d alone; float32")
    print(box.describe())
    print(
        f"time: best (median) over {args.repeats} interleaved round(s), each turn opened by {settle:.1f} s of untimed "
        f"calls; ratios use the best. {box.load_text()}"
    )
    print()
    print(
        f"LeNet training step (forward, cross-entropy, backward, SGD momentum step), {args.batches} batches per timed "
        "call, ms per step"
    )
    header = f"  {'implementation':<16} {'ms/step':>8} {'(median)':>9} {'×torch':>7}"
    print(header)
    ref = lenet["torch"].best if use_torch else math.nan
    for name in names:
        t = lenet[name]
        vs = f"{t.best / ref:7.2f}" if use_torch else f"{'-':>7}"
        print(f"  {name:<16} {1e3 * t.best / args.batches:8.2f} {1e3 * t.median / args.batches:9.2f} {vs}")
    print()

    print("Conv2d forward + backward (weight, bias and input gradients), ms per call; then forward alone")
    header = (
        f"  {'N×C_in→C_out H² k p':<22} {'nnkit':>7} {'(median)':>9} {'GFLOP/s':>8} {'torch':>7} {'(median)':>9} "
        f"{'×torch':>7} │ {'fwd nnkit':>9} {'torch':>7} {'×torch':>7} │ {'GEMMs':>7} {'×torch':>7}"
    )
    print(header)
    for s in shapes:
        t = conv[s]
        print(harness.layer_row(s.label, 22, t, s.flops(), use_torch))
    print(
        "  GEMMs: only the three matrix products of an im2col forward + backward, into preallocated arrays "
        "(NumPy's BLAS): the floor for any im2col code in NumPy"
    )
    print()

    print(
        "Conv2d forward + backward, nnkit's memory (tracemalloc) from a fresh layer's first call: the peak on top "
        "of what was held before, work arrays that the layer keeps included, as a multiple of im2col "
        "(C_in·k² × N·H_out·W_out float32)"
    )
    print(
        f"  {'N×C_in→C_out H² k p':<22} {'im2col MiB':>10} {'peak MiB':>9} {'×im2col':>8} {'needs':>6} {'kept KiB':>9}"
    )
    for s in shapes:
        a, cols = allocs[s], s.im2col_bytes()
        print(
            f"  {s.label:<22} {cols / 2**20:10.2f} {a.peak / 2**20:9.2f} {a.peak / cols:8.2f} "
            f"{s.memory_budget() / cols:6.2f} {a.kept / 1024:9.0f}"
        )
    print(
        "  needs: the columns, kept from forward to backward, and their gradient (2× im2col), plus two arrays "
        "the size of the padded input and two the size of the output"
    )
    print()

    timings = {f"LeNet {k}": v for k, v in lenet.items()} | {
        f"{s.label} {k}": v for s in shapes for k, v in conv[s].items()
    }
    noisy = harness.noisy_names(timings)
    results["noisy"] = noisy
    if noisy:
        print(harness.noisy_note(noisy))
        print()

    width = max(len(s.label) for s in shapes) + 7
    memory = [
        harness.Target(f"{'Conv2d ' + s.label:<{width}} peak / needs", allocs[s].peak / s.memory_budget(), 1.0)
        for s in shapes
    ]
    if use_torch:
        targets = [harness.Target(f"{'LeNet step':<{width}} nnkit / torch", lenet["nnkit"].best / ref, TARGET_LENET)]
        targets += [
            harness.Target(
                f"{'Conv2d ' + s.label:<{width}} nnkit / torch",
                conv[s]["nnkit"].best / conv[s]["torch"].best,
                TARGET_CONV,
            )
            for s in shapes
            if s.has_target
        ]
        results["targets"] = harness.report_targets("targets (best times; nnkit's memory):", targets + memory)
        print()
        (model, losses), (tmodel, tlosses) = trained["nnkit"], trained["torch"]
        rel = abs(losses[-1] - tlosses[-1]) / abs(tlosses[-1])
        results["same_loss"] = rel <= LOSS_RTOL
        worst = max(agree.values())
        print(
            f"same work? LeNet, the last timed call of each ({args.batches} steps from the same weights on the same "
            f"batches): last loss nnkit {losses[-1]:.5f}, torch {tlosses[-1]:.5f} (relative difference {rel:.1e}, "
            f"tolerance {LOSS_RTOL:.0e}); largest weight difference {weight_difference(model, tmodel):.1e}"
        )
        print(f"  Conv2d: largest difference in output or input gradient, relative to its largest value: {worst:.1e}")
        print(f"  {'PASS' if results['same_loss'] else 'MISS: nnkit and PyTorch do not compute the same thing'}")
    else:
        results["targets"] = harness.report_targets("targets (nnkit's memory; no PyTorch, no time ratios):", memory)

    if args.profile:
        print()
        prof = layer_profile(args.seed + 1, X, y, torch, args.repeats, 3 if args.quick else 10)
        results["profile"] = prof
        print(
            f"LeNet, each layer alone on the inputs and gradients of one step (batch {batch}), median ms; "
            "PyTorch's times include a backward call per layer"
        )
        print(f"  {'part':<22} {'nnkit':>8} {'torch':>8} {'×torch':>7}")
        totals = dict.fromkeys(names, 0.0)
        for part, per in prof.items():
            a, b = per["nnkit"], per.get("torch", math.nan)
            for lib in names:
                totals[lib] += per[lib]
            print(f"  {part:<22} {a:8.3f} {b:8.3f} {a / b:7.2f}")
        a, b = totals["nnkit"], totals.get("torch", math.nan)
        print(f"  {'sum':<22} {a:8.3f} {b:8.3f} {a / b:7.2f}")
    sys.stdout.flush()
    return results


if __name__ == "__main__":
    main()
