"""One training epoch of an MLP 784-256-128-10 (ReLU): nnkit vs hand-written NumPy vs PyTorch.

The three implementations train the same network from the same initial weights on the
same synthetic data in the same order, with SGD (lr 0.01, momentum 0.9) and separately
with Adam (lr 1e-3). Runs are interleaved (harness.compare: every implementation once per
round, in an order rotated every round) so that machine noise hits all of them alike, and
the table reports the best (minimum) and the median over the rounds.

Rows:
  nnkit          the loop a user writes: forward, loss, zero_grad, backward(input_grad=False), step
  nnkit.fit      nnkit.train.fit for one epoch (adds its own shuffle, batch gather and accuracy)
  handwritten    the same maths in plain float32 NumPy, in place, no dx for the first layer
  torch          PyTorch on the CPU with as many threads as NumPy's BLAS, torch.optim
  GEMMs only     just the matrix products of an epoch: the floor for any NumPy implementation

A last table times one forward + backward of an element-wise activation on a (1024, 1024)
float32 array: nnkit's ReLU, exact GELU and tanh GELU, and torch.nn.functional.gelu.

Run:  .venv/bin/python benchmarks/bench_mlp.py [--repeats 5] [--samples 60000] [--quick] [--profile]
A benchmark reports; it never fails on a missed target (the exit status is 0).
"""

from __future__ import annotations

import itertools
import math
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import harness
import numpy as np

import nnkit

SIZES = (784, 256, 128, 10)
N_CLASSES = SIZES[-1]
TARGET_VS_TORCH = 1.0
TARGET_VS_HAND = 1.15
LOSS_RTOL = 1e-2  # float32 trajectories of 469 steps drift apart a little; 1% still catches different work
ACTIVATION_SHAPE = (1024, 1024)  # the element-wise activations' benchmark array, float32
PRIME_STEPS = 30  # the untimed steps that open each implementation's turn in a round (harness.Candidate.prime)

Weights = list[np.ndarray]  # [W1, b1, W2, b2, W3, b3], PyTorch's layout: W (out, in)
StepFn = Callable[[Any, Any], float]


# --------------------------------------------------------------------------- data and work


def make_data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Ten Gaussian class centres in 784 dimensions plus unit noise. X (n, 784) float32, y (n,) int64."""
    gen = np.random.default_rng(seed)
    centres = (0.1 * gen.standard_normal((N_CLASSES, SIZES[0]))).astype(np.float32)
    y = gen.integers(0, N_CLASSES, n).astype(np.int64)
    X = gen.standard_normal((n, SIZES[0]), dtype=np.float32)
    X += centres[y]
    return X, y


def initial_weights(seed: int) -> Weights:
    """PyTorch's default initialization, drawn by nnkit.Linear from a seeded generator."""
    gen = np.random.default_rng(seed)
    weights: Weights = []
    for n_in, n_out in itertools.pairwise(SIZES):
        layer = nnkit.Linear(n_in, n_out, rng=gen, dtype=np.float32)
        weights += [layer.weight.data.copy(), layer.bias.data.copy()]
    return weights


def epoch_flops(n: int) -> float:
    """Matrix-product FLOPs of one epoch: forward 2N·Σ in·out, backward twice that minus the first layer's dx."""
    macs = sum(a * b for a, b in itertools.pairwise(SIZES))
    return 2.0 * n * macs * 3 - 2.0 * n * SIZES[0] * SIZES[1]


def sgemm(size: int) -> Callable[[], object]:
    """A square float32 matmul into a preallocated output: its GFLOP/s is the machine's practical peak."""
    gen = np.random.default_rng(0)
    a, b = gen.standard_normal((2, size, size), dtype=np.float32)
    out = np.empty((size, size), dtype=np.float32)
    return lambda: np.matmul(a, b, out=out)


def gemm_epoch(n: int, batch_size: int) -> Callable[[], None]:
    """A function that runs just the matrix products of one epoch (preallocated outputs, the MLP's shapes)."""
    gen = np.random.default_rng(0)
    n_full, last = divmod(n, batch_size)

    def one_step_gemms(b: int) -> Callable[[], None]:
        xs = [gen.standard_normal((b, k), dtype=np.float32) for k in SIZES]  # activations
        dys = [gen.standard_normal((b, k), dtype=np.float32) for k in SIZES]  # their gradients
        ws = [
            gen.standard_normal((o, i), dtype=np.float32) / np.float32(math.sqrt(i))
            for i, o in itertools.pairwise(SIZES)
        ]
        dws = [np.empty_like(w) for w in ws]

        def run() -> None:
            for i, w in enumerate(ws):  # forward: x_{i+1} = x_i W_iᵀ
                np.matmul(xs[i], w.T, out=xs[i + 1])
            for i in range(len(ws) - 1, -1, -1):  # backward: dW_i = dy_{i+1}ᵀ x_i; dy_i = dy_{i+1} W_i, i > 0
                np.matmul(dys[i + 1].T, xs[i], out=dws[i])
                if i > 0:
                    np.matmul(dys[i + 1], ws[i], out=dys[i])

        return run

    full, rest = one_step_gemms(batch_size), one_step_gemms(last) if last else None

    def epoch() -> None:
        for _ in range(n_full):
            full()
        if rest is not None:
            rest()

    return epoch


# --------------------------------------------------------------------------- the three implementations


@dataclass
class Trainer:
    """One implementation, freshly initialized: ``step(xb, yb) -> loss`` and ``weights()`` to read it back."""

    step: StepFn
    weights: Callable[[], Weights]
    phases: dict[str, Callable[..., Any]] = field(default_factory=dict)


def nnkit_model(init: Weights) -> nnkit.Sequential:
    layers: list[nnkit.Module] = []
    for n_in, n_out in itertools.pairwise(SIZES):
        layers += [nnkit.Linear(n_in, n_out, rng=0, dtype=np.float32), nnkit.ReLU()]
    model = nnkit.Sequential(*layers[:-1])
    model.load_state_dict(dict(zip((name for name, _ in model.named_parameters()), init)))
    return model


def nnkit_optimizer(model: nnkit.Module, name: str) -> nnkit.optim.Optimizer:
    if name == "SGD":
        return nnkit.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return nnkit.optim.Adam(model.parameters(), lr=1e-3)


def make_nnkit(init: Weights, opt_name: str) -> Trainer:
    model = nnkit_model(init)
    loss_fn = nnkit.CrossEntropyLoss()
    opt = nnkit_optimizer(model, opt_name)

    def step(xb: np.ndarray, yb: np.ndarray) -> float:
        logits = model(xb)
        loss = loss_fn(logits, yb)
        opt.zero_grad()
        model.backward(loss_fn.backward(), input_grad=False)
        opt.step()
        return loss

    phases = {
        "forward": model,
        "loss": loss_fn,
        "zero_grad": opt.zero_grad,
        "backward": lambda: model.backward(loss_fn.backward(), input_grad=False),
        "step": opt.step,
    }
    return Trainer(step, lambda: [p.data for p in model.parameters()], phases)


class Handwritten:
    """The same maths as nnkit in plain float32 NumPy: gradients written in place, no dx for layer 1.

    Forward: h1 = relu(x W1ᵀ + b1), h2 = relu(h1 W2ᵀ + b2), z = h2 W3ᵀ + b3.
    Loss: L = -(1/N) Σ log softmax(z)[t];  dz = (softmax(z) - onehot(t)) / N.
    Backward: dW3 = dzᵀ h2, dh2 = dz W3 ⊙ [h2 > 0], dW2 = dh2ᵀ h1, dh1 = dh2 W2 ⊙ [h1 > 0], dW1 = dh1ᵀ x.
    """

    def __init__(self, init: Weights, opt_name: str) -> None:
        self.params = [w.copy() for w in init]
        self.grads = [np.zeros_like(w) for w in init]
        self.scratch = [np.zeros_like(w) for w in init]
        self.opt_name = opt_name
        self.t = 0
        self.m = [np.zeros_like(w) for w in init]  # SGD: momentum buffer; Adam: first moment
        self.v = [np.zeros_like(w) for w in init] if opt_name == "Adam" else []

    def forward(self, x: np.ndarray) -> np.ndarray:
        W1, b1, W2, b2, W3, b3 = self.params
        self.x = x
        self.h1 = h1 = x @ W1.T
        h1 += b1
        np.maximum(h1, 0, out=h1)
        self.h2 = h2 = h1 @ W2.T
        h2 += b2
        np.maximum(h2, 0, out=h2)
        z = h2 @ W3.T
        z += b3
        return z

    def loss(self, z: np.ndarray, t: np.ndarray) -> float:
        n = len(t)
        rows = np.arange(n)
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        s = p.sum(axis=1, keepdims=True)
        loss = float(np.log(s).mean() - z[rows, t].mean())
        p /= s
        p[rows, t] -= 1
        p *= np.float32(1 / n)
        self.dz = p
        return loss

    def backward(self) -> None:
        dz, h1, h2 = self.dz, self.h1, self.h2
        _, _, W2, _, W3, _ = self.params
        dW1, db1, dW2, db2, dW3, db3 = self.grads
        np.matmul(dz.T, h2, out=dW3)
        dz.sum(axis=0, out=db3)
        dh2 = dz @ W3
        dh2 *= h2 > 0
        np.matmul(dh2.T, h1, out=dW2)
        dh2.sum(axis=0, out=db2)
        dh1 = dh2 @ W2
        dh1 *= h1 > 0
        np.matmul(dh1.T, self.x, out=dW1)
        dh1.sum(axis=0, out=db1)

    def update(self) -> None:
        self.t += 1
        if self.opt_name == "SGD":  # torch.optim.SGD: b = g at step 1, then b = μb + g; θ -= γb
            for p, g, b, tmp in zip(self.params, self.grads, self.m, self.scratch):
                if self.t == 1:
                    b[...] = g
                else:
                    b *= np.float32(0.9)
                    b += g
                np.multiply(b, np.float32(0.01), out=tmp)
                p -= tmp
            return
        beta1, beta2, lr, eps = 0.9, 0.999, 1e-3, 1e-8  # torch.optim.Adam, arranged as PyTorch computes it
        bc1, bc2 = 1 - beta1**self.t, 1 - beta2**self.t
        for p, g, m, v, tmp in zip(self.params, self.grads, self.m, self.v, self.scratch):
            m *= np.float32(beta1)
            np.multiply(g, np.float32(1 - beta1), out=tmp)
            m += tmp
            v *= np.float32(beta2)
            np.multiply(g, g, out=tmp)
            tmp *= np.float32(1 - beta2)
            v += tmp
            np.sqrt(v, out=tmp)
            tmp /= np.float32(math.sqrt(bc2))
            tmp += np.float32(eps)
            np.divide(m, tmp, out=tmp)
            tmp *= np.float32(lr / bc1)
            p -= tmp

    def step(self, x: np.ndarray, t: np.ndarray) -> float:
        loss = self.loss(self.forward(x), t)
        self.backward()
        self.update()
        return loss


def make_handwritten(init: Weights, opt_name: str) -> Trainer:
    hw = Handwritten(init, opt_name)
    phases = {
        "forward": hw.forward,
        "loss": hw.loss,
        "zero_grad": lambda: None,
        "backward": hw.backward,
        "step": hw.update,
    }
    return Trainer(hw.step, lambda: hw.params, phases)


def make_torch(init: Weights, opt_name: str) -> Trainer:
    import torch

    layers: list[Any] = []
    for n_in, n_out in itertools.pairwise(SIZES):
        layers += [torch.nn.Linear(n_in, n_out), torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])
    with torch.no_grad():
        for p, w in zip(model.parameters(), init):
            p.copy_(torch.from_numpy(w))
    loss_fn = torch.nn.CrossEntropyLoss()
    if opt_name == "SGD":
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step(xb: Any, yb: Any) -> float:
        opt.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        return loss.item()

    return Trainer(step, lambda: [p.detach().numpy().copy() for p in model.parameters()])


def run_epoch(step: StepFn, X: Any, y: Any, batch_size: int, max_steps: int | None = None) -> float:
    """Walk (X, y) once in order, in contiguous mini-batches; return the last mini-batch's loss."""
    loss = math.nan
    for i, start in enumerate(range(0, len(X), batch_size)):
        if max_steps is not None and i >= max_steps:
            break
        loss = step(X[start : start + batch_size], y[start : start + batch_size])
    return loss


def eval_loss(weights: Weights, X: np.ndarray, y: np.ndarray) -> float:
    """Cross-entropy of the network with ``weights`` on (X, y), in float64."""
    h = X.astype(np.float64)
    for i in range(0, len(weights), 2):
        h = h @ weights[i].T.astype(np.float64) + weights[i + 1]
        if i + 2 < len(weights):
            np.maximum(h, 0, out=h)
    h -= h.max(axis=1, keepdims=True)
    return float(np.mean(np.log(np.exp(h).sum(axis=1)) - h[np.arange(len(y)), y]))


# --------------------------------------------------------------------------- measurements


@dataclass
class Row(harness.Timing):
    """The epoch times of one implementation with one optimizer, and where its training ended."""

    optimizer: str = ""
    final_loss: float = math.nan  # on a fixed evaluation subset, from the final weights
    last_step_loss: float = math.nan


def step_cycle(step: StepFn, X: Any, y: Any, batch_size: int) -> Callable[[], object]:
    """A call that takes one step on the next mini-batch of (X, y), cycling through them."""
    batches = itertools.cycle(range(max(1, len(X) // batch_size)))

    def one_step() -> object:
        start = next(batches) * batch_size
        return step(X[start : start + batch_size], y[start : start + batch_size])

    return one_step


def phase_breakdown(
    makers: dict[str, Callable[[Weights, str], Trainer]],
    init: Weights,
    opt_name: str,
    X: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    steps: int,
) -> dict[str, dict[str, float]]:
    """Median milliseconds per step of each phase (forward, loss, zero_grad, backward, step) for each
    implementation, the implementations taking turns step by step so that noise hits them alike
    (both are NumPy: one thread pool, so taking turns costs neither of them a spin-wait)."""
    trainers = {name: make(init, opt_name) for name, make in makers.items()}
    keys = ("forward", "loss", "zero_grad", "backward", "step")
    samples: dict[str, dict[str, list[float]]] = {name: {k: [] for k in keys} for name in makers}
    n_batches = len(X) // batch_size
    for i in range(steps):
        sl = slice((i % n_batches) * batch_size, (i % n_batches + 1) * batch_size)
        for name, trainer in trainers.items():
            ph = trainer.phases
            t0 = time.perf_counter()
            z = ph["forward"](X[sl])
            t1 = time.perf_counter()
            ph["loss"](z, y[sl])
            t2 = time.perf_counter()
            ph["zero_grad"]()
            t3 = time.perf_counter()
            ph["backward"]()
            t4 = time.perf_counter()
            ph["step"]()
            t5 = time.perf_counter()
            for key, dt in zip(keys, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4)):
                samples[name][key].append(dt)
    return {name: {k: 1e3 * statistics.median(v) for k, v in per.items()} for name, per in samples.items()}


def activation_timings(repeats: int, torch: Any, settle: float = harness.SETTLE) -> dict[str, float]:
    """Best seconds of one forward + backward of an element-wise activation on a (1024, 1024) float32
    array: nnkit's ReLU, GELU and GELU(tanh) modules and, with PyTorch, ``torch.nn.functional.gelu``
    with autograd. The rounds are interleaved, like the epochs'."""
    gen = np.random.default_rng(0)
    x = gen.standard_normal(ACTIVATION_SHAPE, dtype=np.float32)
    dy = gen.standard_normal(ACTIVATION_SHAPE, dtype=np.float32)

    def nnkit_pass(module: nnkit.Module) -> Callable[[], object]:
        def run() -> object:
            module(x)
            return module.backward(dy)

        return run

    passes = {
        "nnkit ReLU": nnkit_pass(nnkit.ReLU()),
        "nnkit GELU": nnkit_pass(nnkit.GELU()),
        "nnkit GELU(tanh)": nnkit_pass(nnkit.GELU(approximate="tanh")),
    }
    if torch is not None:
        xt, dyt = torch.from_numpy(x).requires_grad_(), torch.from_numpy(dy)

        def torch_pass() -> object:
            xt.grad = None
            torch.nn.functional.gelu(xt).backward(dyt)
            return xt.grad

        passes["torch gelu"] = torch_pass
    candidates = {name: harness.Candidate(run, calls=3, settle=settle) for name, run in passes.items()}
    timings = harness.compare(candidates, repeats)
    return {name: t.best for name, t in timings.items()}


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> Any:
    parser = harness.argument_parser(__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=None, help="training samples (default 60000; 1024 with --quick)")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--profile", action="store_true", help="also print a per-phase timing of nnkit vs handwritten")
    args = harness.parse(parser, argv)
    if args.samples is None:
        args.samples = 1024 if args.quick else 60_000
    if args.samples < 1 or args.batch_size < 1:
        parser.error("--samples, --repeats and --batch-size must be positive")
    return args


DIAGNOSTICS_TARGET = 1.10  # fit with LayerStats (default every=10) / fit alone


def diagnostics_overhead(
    X: np.ndarray, y: np.ndarray, init: Weights, bs: int, seed: int, rounds: int, settle: float
) -> dict[str, harness.Timing]:
    """One epoch of ``nnkit.train.fit`` (SGD) without callbacks, with ``LayerStats()`` (every 10 steps, the
    default) and with ``LayerStats(every=1)``, interleaved: what leaving the diagnostics on costs."""
    from nnkit.diagnostics import LayerStats

    def candidate(every: int | None) -> harness.Candidate:
        fresh: dict[str, Any] = {}

        def before() -> None:
            fresh["model"] = model = nnkit_model(init)
            fresh["opt"] = nnkit_optimizer(model, "SGD")

        def run() -> None:
            callbacks = [] if every is None else [LayerStats(every=every)]
            nnkit.train.fit(fresh["model"], nnkit.CrossEntropyLoss(), fresh["opt"], (X, y), epochs=1, batch_size=bs,
                            callbacks=callbacks, rng=seed, progress=False)  # fmt: skip

        return harness.Candidate(run, calls=1, before=before, settle=settle)

    return harness.compare(
        {"fit": candidate(None), "fit + LayerStats()": candidate(10), "fit + LayerStats(every=1)": candidate(1)},
        rounds,
    )


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the benchmark, print the report and return the results (for tests and scripts)."""
    args = parse_args(argv)
    n, bs = args.samples, args.batch_size
    n_steps = math.ceil(n / bs)
    box = harness.machine(no_torch=args.no_torch)
    torch, use_torch = box.torch, box.has_torch

    X, y = make_data(n, args.seed)
    order = np.random.default_rng(args.seed + 1).permutation(n)  # what fit(rng=seed + 1) draws, too
    Xp, yp = X[order], y[order]  # permuted once, outside the timing: batches are contiguous slices
    init = initial_weights(args.seed + 2)
    X_eval, y_eval = Xp[: min(n, 10_000)], yp[: min(n, 10_000)]

    makers: dict[str, Callable[[Weights, str], Trainer]] = {"nnkit": make_nnkit, "handwritten": make_handwritten}
    data: dict[str, tuple[Any, Any]] = {"nnkit": (Xp, yp), "handwritten": (Xp, yp)}
    if use_torch:
        makers["torch"] = make_torch
        data["torch"] = (torch.from_numpy(Xp), torch.from_numpy(yp))
    has_fit = hasattr(nnkit, "train") and hasattr(nnkit.train, "fit")
    names = ["nnkit", *(["nnkit.fit"] if has_fit else []), "handwritten", *(["torch"] if use_torch else [])]
    optimizers = ("SGD", "Adam")
    prime_steps = 5 if args.quick else PRIME_STEPS
    settle = 0.0 if args.quick else harness.SETTLE

    # Each epoch starts from the initial weights: a fresh trainer is built, untimed, before each timed
    # epoch. An implementation's turn opens with a few untimed steps of its own (the thread pools settle).
    finished: dict[tuple[str, str], tuple[float, Weights]] = {}

    def epoch(o: str, name: str) -> harness.Candidate:
        lib = "nnkit" if name == "nnkit.fit" else name
        fresh: dict[str, Any] = {}

        def prime() -> None:
            run_epoch(makers[lib](init, o).step, *data[lib], bs, max_steps=prime_steps)

        if name == "nnkit.fit":

            def before() -> None:
                fresh["model"] = model = nnkit_model(init)
                fresh["opt"] = nnkit_optimizer(model, o)

            def run() -> None:
                model = fresh["model"]
                loss_fn = nnkit.CrossEntropyLoss()
                hist = nnkit.train.fit(
                    model, loss_fn, fresh["opt"], (X, y), epochs=1, batch_size=bs, rng=args.seed + 1, progress=False
                )
                finished[o, name] = hist.step_losses[-1], [p.data for p in model.parameters()]

        else:

            def before() -> None:
                fresh["trainer"] = makers[name](init, o)

            def run() -> None:
                trainer = fresh["trainer"]
                last = run_epoch(trainer.step, *data[name], bs)
                finished[o, name] = last, trainer.weights()

        return harness.Candidate(run, calls=1, prime=prime, before=before, settle=settle)

    floor_name = "GEMMs only (floor)"
    candidates: dict[str, harness.Candidate] = {f"{o} {name}": epoch(o, name) for o in optimizers for name in names}
    candidates[floor_name] = harness.Candidate(gemm_epoch(n, bs), calls=1, settle=settle)
    candidates["sgemm"] = harness.Candidate(sgemm(1024), calls=3 if args.quick else 5, settle=settle)
    flops = epoch_flops(n)

    # timed rounds, interleaved, the order rotated every round; the machine's peak is measured in each round
    timings = harness.compare(candidates, args.repeats)
    peak = 2.0 * 1024**3 / timings["sgemm"].best / 1e9
    floor_row = Row(floor_name, timings[floor_name].times)
    rows: dict[tuple[str, str], Row] = {}
    for o in optimizers:
        for name in names:
            last, weights = finished[o, name]
            rows[o, name] = Row(name, timings[f"{o} {name}"].times, o, eval_loss(weights, X_eval, y_eval), last)

    # allocations per step (tracemalloc sees NumPy's buffers, not PyTorch's)
    alloc_steps = min(10, max(1, n // bs - 3))
    allocs = {
        (o, name): harness.allocations(step_cycle(makers[name](init, o).step, Xp, yp, bs), calls=alloc_steps)
        for o in optimizers
        for name in ("nnkit", "handwritten")
    }

    # report
    print(
        f"nnkit benchmark: MLP {'-'.join(map(str, SIZES))} (ReLU), one epoch of {n} samples, "
        f"batch {bs} ({n_steps} steps), float32"
    )
    print(box.describe())
    print(f"sgemm peak: {peak:.1f} GFLOP/s (float32 1024² matmul, best over the rounds)")
    print(
        f"work: {flops / 1e9:.2f} GFLOP per epoch in matrix products "
        "(forward 2N·Σ in·out, backward twice that minus layer 1's dx)"
    )
    print(
        f"time: best (median) seconds per epoch over {args.repeats} interleaved round(s), each implementation's "
        f"turn opened by untimed steps; ratios and GFLOP/s use the best. {box.load_text()}"
    )
    print()
    header = (
        f"{'opt':<5} {'implementation':<20} {'s/epoch':>8} {'(median)':>9} {'ms/step':>8} {'GFLOP/s':>8} "
        f"{'%peak':>6} {'×torch':>7} {'×hand':>6} {'final loss':>11}"
    )
    print(header)
    print("-" * len(header))
    for o in optimizers:
        hand = rows[o, "handwritten"].best
        ref = rows[o, "torch"].best if use_torch else math.nan
        for row in [floor_row] + [rows[o, name] for name in names]:
            best, med = row.best, row.median
            gflops = flops / best / 1e9
            is_floor = row is floor_row
            vs_torch = f"{best / ref:.2f}" if use_torch and not is_floor else "-"
            vs_hand = "-" if is_floor else f"{best / hand:.2f}"
            loss_text = "" if is_floor else f"{row.final_loss:.5f}"
            print(
                f"{o:<5} {row.name:<20} {best:8.3f} {med:9.3f} {1e3 * best / n_steps:8.2f} {gflops:8.1f} "
                f"{100 * gflops / peak:5.0f}% {vs_torch:>7} {vs_hand:>6} {loss_text:>11}"
            )
        print()
    noisy = harness.noisy_names({k: t for k, t in timings.items() if k != "sgemm"})
    if noisy:
        print(harness.noisy_note(noisy))
        print()

    results: dict[str, Any] = {
        "rows": rows,
        "floor": floor_row,
        "peak_gflops": peak,
        "flops": flops,
        "targets": [],
        "allocations": allocs,
        "noisy": noisy,
    }
    targets = []
    for o in optimizers:
        checks = [("handwritten", TARGET_VS_HAND)] + ([("torch", TARGET_VS_TORCH)] if use_torch else [])
        for other, limit in checks:
            ratio = rows[o, "nnkit"].best / rows[o, other].best
            targets.append(harness.Target(f"{o:<5} nnkit / {other:<12}", ratio, limit))
            results["targets"].append((o, other, ratio, limit, ratio <= limit))
    harness.report_targets("targets (best epoch times):", targets)
    print()

    print(
        f"same work? loss of the final weights on {len(y_eval)} training samples, relative to nnkit "
        f"(tolerance {LOSS_RTOL:.0%}):"
    )
    all_same = True
    for o in optimizers:
        ref_loss = rows[o, "nnkit"].final_loss
        parts = []
        for name in names[1:]:
            rel = abs(rows[o, name].final_loss - ref_loss) / abs(ref_loss)
            all_same &= rel <= LOSS_RTOL
            parts.append(f"{name} {rel:.1e}")
        print(f"  {o:<5} nnkit {ref_loss:.5f}; " + ", ".join(parts))
    results["same_loss"] = all_same
    print(f"  {'PASS' if all_same else 'MISS: the implementations do not compute the same thing'}")
    print()

    print(f"allocations per step (tracemalloc, max over {alloc_steps} steps, after the optimizer state exists):")
    for o in optimizers:
        a_n, a_h = allocs[o, "nnkit"], allocs[o, "handwritten"]
        print(
            f"  {o:<5} transient peak: nnkit {a_n.peak / 1024:7.0f} KiB, handwritten {a_h.peak / 1024:7.0f} KiB "
            f"({a_n.peak / max(a_h.peak, 1):.2f}×); kept between steps (cached activations): nnkit "
            f"{a_n.kept / 1024:.0f} KiB, handwritten {a_h.kept / 1024:.0f} KiB"
        )

    size = math.prod(ACTIVATION_SHAPE)
    activations = activation_timings(args.repeats, torch, settle)
    results["activations"] = activations
    print()
    print(
        f"element-wise activations: forward + backward of a {ACTIVATION_SHAPE[0]}×{ACTIVATION_SHAPE[1]} float32 "
        f"array, best of {args.repeats} interleaved round(s)"
    )
    for name, seconds in activations.items():
        vs_relu = f"{seconds / activations['nnkit ReLU']:6.1f}× ReLU"
        vs_torch = f"{seconds / activations['torch gelu']:6.1f}× torch gelu" if use_torch else ""
        print(f"  {name:<17} {1e3 * seconds:8.2f} ms {1e9 * seconds / size:7.1f} ns/element {vs_relu} {vs_torch}")

    if has_fit:
        diag = diagnostics_overhead(X, y, init, bs, args.seed + 1, args.repeats, settle)
        results["diagnostics"] = diag
        base = diag["fit"].best
        print()
        print(f"diagnostics left on: one epoch of nnkit.train.fit (SGD), best of {args.repeats} interleaved round(s)")
        for name, t in diag.items():
            print(f"  {name:<26} {t.best:8.3f} s {1e3 * t.best / n_steps:7.2f} ms/step {t.best / base:6.2f}×")
        ratio = diag["fit + LayerStats()"].best / base
        results["targets_diagnostics"] = harness.report_targets(
            "target (LayerStats at its default, every 10 steps):",
            [harness.Target("fit + LayerStats() / fit", ratio, DIAGNOSTICS_TARGET)],
        )

    if args.profile:
        print()
        print("per-phase time, median ms per step (SGD, 300 steps, taking turns; handwritten has no zero_grad):")
        phases = phase_breakdown({k: makers[k] for k in ("nnkit", "handwritten")}, init, "SGD", Xp, yp, bs, 300)
        print(f"  {'phase':<10} {'nnkit':>8} {'hand':>8} {'diff':>8}")
        for key in phases["nnkit"]:
            a, b = phases["nnkit"][key], phases["handwritten"][key]
            print(f"  {key:<10} {a:8.3f} {b:8.3f} {a - b:+8.3f}")
        a, b = sum(phases["nnkit"].values()), sum(phases["handwritten"].values())
        print(f"  {'total':<10} {a:8.3f} {b:8.3f} {a - b:+8.3f}")
        results["phases"] = phases
    sys.stdout.flush()
    return results


if __name__ == "__main__":
    main()
