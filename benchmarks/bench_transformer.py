"""A Transformer encoder layer, forward + backward: nnkit vs PyTorch on the CPU, same threads; and the cost
of attention as the sequence grows, against the T² prediction.

The layer: ``TransformerEncoderLayer(128, 4, dim_feedforward=512, dropout=0, batch_first=True)`` on a batch
of 32 sequences of 64 tokens (float32), causal, as a decoder-only language model uses it. A timed call is
forward then backward (the input gradient and every parameter gradient). PyTorch loads nnkit's state dict
(the keys are the same) and sees the same input, mask and output gradient; the benchmark checks that both
compute the same output and input gradient.

The scaling: one causal ``MultiheadAttention(128, 4)`` self-attention, forward + backward, on 4 sequences of
T = 64 … 1,024 tokens. The projections cost ∝ T, the scores and the weighted sum ∝ T²; the table gives the
time, the time per T², and the peak memory one call allocates (tracemalloc, NumPy's buffers) beside the
bytes of one (N, H, T, T) float32 array of scores, which grows as T².

Run:  .venv/bin/python benchmarks/bench_transformer.py [--repeats 5] [--quick] [--no-torch]
A benchmark reports; it never fails on a missed target (the exit status is 0).
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable, Sequence
from typing import Any

import harness
import numpy as np

import nnkit

TARGET = 1.5  # nnkit / PyTorch, forward + backward
AGREE_RTOL = 1e-4  # output and input gradient, float32, relative to the largest value
LENGTHS = (64, 128, 256, 512, 1024)


@dataclasses.dataclass(frozen=True)
class LayerShape:
    """A TransformerEncoderLayer workload."""

    batch: int
    tokens: int
    d_model: int
    nhead: int
    dim_feedforward: int

    @property
    def label(self) -> str:
        return f"N{self.batch} T{self.tokens} d{self.d_model} h{self.nhead} ff{self.dim_feedforward}"

    def flops(self) -> float:
        """Forward's multiply-adds ×2: the projections (4·d² per token: Q, K, V and out), the feed-forward
        (2·d·ff per token), and the scores and the weighted sum (2·T·d per token, half of it masked but computed)."""
        n, t, d, ff = self.batch, self.tokens, self.d_model, self.dim_feedforward
        return 2.0 * n * t * (4 * d * d + 2 * d * ff + 2 * t * d)


def shape(quick: bool) -> LayerShape:
    return LayerShape(2, 8, 16, 4, 32) if quick else LayerShape(32, 64, 128, 4, 512)


def causal(t: int) -> np.ndarray:
    """PyTorch's rule for these modules: True = may NOT attend (the keys after the query)."""
    return np.triu(np.ones((t, t), dtype=bool), 1)


def workload(s: LayerShape, torch: Any, seed: int = 0) -> dict[str, Callable[[], Any]]:
    """Named calls: ``nnkit`` (forward + backward, returns dL/dx), ``nnkit fwd`` (the output), ``GEMMs only``
    (the layer's matrix products alone), and ``torch`` and ``torch fwd`` unless ``torch`` is None."""
    layer = nnkit.TransformerEncoderLayer(
        s.d_model, s.nhead, s.dim_feedforward, 0.0, batch_first=True, rng=seed, dtype=np.float32
    )
    gen = np.random.default_rng(seed + 1)
    x = gen.standard_normal((s.batch, s.tokens, s.d_model), dtype=np.float32)
    dy = gen.standard_normal((s.batch, s.tokens, s.d_model), dtype=np.float32)

    def nnkit_both() -> Any:
        layer(x, is_causal=True)
        return layer.backward(dy)

    runs: dict[str, Callable[[], Any]] = {
        "nnkit": nnkit_both,
        "nnkit fwd": lambda: layer(x, is_causal=True),
        "GEMMs only": gemms(s, gen),
    }
    if torch is not None:
        ref = torch.nn.TransformerEncoderLayer(s.d_model, s.nhead, s.dim_feedforward, 0.0, batch_first=True)
        ref.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in layer.state_dict().items()})
        xt, dyt, mask = torch.from_numpy(x).requires_grad_(), torch.from_numpy(dy), torch.from_numpy(causal(s.tokens))

        def torch_both() -> Any:
            xt.grad = None
            ref(xt, src_mask=mask, is_causal=True).backward(dyt)
            return xt.grad

        runs |= {"torch": torch_both, "torch fwd": lambda: ref(xt, src_mask=mask, is_causal=True)}
    return runs


def gemms(s: LayerShape, gen: np.random.Generator) -> Callable[[], Any]:
    """The matrix products of one forward + backward, alone: per linear map (Q/K/V together, out, the two
    feed-forward ones) the forward product, the weight gradient and the input gradient, and per head the
    scores, the weighted sum and their four gradient products. Returns the call (it returns the last product)."""
    n, t, d, ff, h = s.batch, s.tokens, s.d_model, s.dim_feedforward, s.nhead
    m = n * t
    maps = [(d, 3 * d), (d, d), (d, ff), (ff, d)]  # (in, out) of each linear map
    ins = [gen.standard_normal((m, i), dtype=np.float32) for i, _ in maps]
    grads = [gen.standard_normal((m, o), dtype=np.float32) for _, o in maps]
    ws = [gen.standard_normal((o, i), dtype=np.float32) for i, o in maps]
    outs, dws, dxs = (
        [np.empty((m, o), np.float32) for _, o in maps],
        [np.empty_like(w) for w in ws],
        [np.empty_like(x) for x in ins],
    )
    q, k, v = (gen.standard_normal((n, h, t, d // h), dtype=np.float32) for _ in range(3))
    a = gen.standard_normal((n, h, t, t), dtype=np.float32)

    def run() -> Any:
        for x, g, w, out, dw, dx in zip(ins, grads, ws, outs, dws, dxs, strict=True):
            np.matmul(x, w.T, out=out)  # forward
            np.matmul(g.T, x, out=dw)  # weight gradient
            np.matmul(g, w, out=dx)  # input gradient
        a_t = a.transpose(0, 1, 3, 2)
        _ = q @ k.transpose(0, 1, 3, 2)  # the scores Q Kᵀ
        _ = a @ v  # the weighted sum A V
        _ = a_t @ q  # dV = Aᵀ dO (dO has the shape of Q and V)
        _ = q @ v.transpose(0, 1, 3, 2)  # dA = dO Vᵀ
        _ = a @ k  # dQ = dS K
        _ = a_t @ q  # dK = dSᵀ Q
        return dxs[-1]

    return run


agrees = harness.agrees  # nnkit and PyTorch compute the same thing (tests call it from here)


def attention_scaling(lengths: Sequence[int], rounds: int, calls: int, settle: float, seed: int = 0) -> list[dict]:
    """Causal self-attention, forward + backward, at each length: best ms, peak bytes allocated, and the bytes
    of one (N, H, T, T) float32 array of scores."""
    n, d, h = 4, 128, 4
    mha = nnkit.MultiheadAttention(d, h, batch_first=True, rng=seed)
    rows = []
    for t in lengths:
        gen = np.random.default_rng(seed + t)
        x = gen.standard_normal((n, t, d), dtype=np.float32)
        dy = gen.standard_normal((n, t, d), dtype=np.float32)

        def both(x: np.ndarray = x, dy: np.ndarray = dy) -> None:
            mha(x, x, x, need_weights=False, is_causal=True)
            mha._self_attention_backward(dy)

        timing = harness.compare({"attention": harness.Candidate(both, calls=calls, settle=settle)}, rounds)
        peak = harness.allocations(both, calls=2, warmup=1).peak
        rows.append({"T": t, "seconds": timing["attention"].best, "peak": peak, "scores": 4 * n * h * t * t})
    return rows


def parse_args(argv: Sequence[str] | None) -> Any:
    parser = harness.argument_parser(__doc__.splitlines()[0], repeats=5)
    parser.add_argument("--seed", type=int, default=0)
    return harness.parse(parser, argv)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the benchmark, print the report and return the results (for tests and scripts)."""
    args = parse_args(argv)
    box = harness.machine(no_torch=args.no_torch)
    torch, use_torch = box.torch, box.has_torch
    settle = 0.0 if args.quick else harness.SETTLE
    calls = 2 if args.quick else 5
    s = shape(args.quick)
    runs = workload(s, torch, args.seed)
    timings = harness.compare(
        {k: harness.Candidate(f, calls=calls, settle=settle) for k, f in runs.items()}, args.repeats
    )
    results: dict[str, Any] = {"shape": s, "timings": timings, "targets": []}
    if use_torch:
        results["agree"] = agrees(runs)
    del runs

    print(f"nnkit benchmark: TransformerEncoderLayer, {s.label}, causal, float32")
    print(box.describe())
    print(
        f"time: best (median) over {args.repeats} interleaved round(s) of {calls} calls, each turn opened by "
        f"{settle:.1f} s of untimed calls; ratios use the best. {box.load_text()}"
    )
    print()
    print("forward + backward (input and every parameter gradient), ms per call; then forward alone")
    print(
        f"  {'layer':<28} {'nnkit':>7} {'(median)':>9} {'GFLOP/s':>8} {'torch':>7} {'(median)':>9} {'×torch':>7} │ "
        f"{'fwd nnkit':>9} {'torch':>7} {'×torch':>7} │ {'GEMMs':>7} {'×torch':>7}"
    )
    print(harness.layer_row(s.label, 28, timings, s.flops(), use_torch))
    print("  GEMMs: only the matrix products of a forward + backward, at the layer's shapes (NumPy's BLAS)")
    print()
    noisy = harness.noisy_names(timings)
    results["noisy"] = noisy
    if noisy:
        print(harness.noisy_note(noisy))
        print()
    if use_torch:
        ratio = timings["nnkit"].best / timings["torch"].best
        results["targets"] = harness.report_targets(
            "target (best times, forward + backward):", [harness.Target(f"{s.label} nnkit / torch", ratio, TARGET)]
        )
        results["same_work"] = results["agree"] <= AGREE_RTOL
        print(
            "same work? PyTorch loaded nnkit's state dict; largest difference in output or input gradient, "
            f"relative to its largest value: {results['agree']:.1e} (tolerance {AGREE_RTOL:.0e})"
        )
        print(f"  {'PASS' if results['same_work'] else 'MISS: nnkit and PyTorch do not compute the same thing'}")
    else:
        print("targets: none without PyTorch (the targets are ratios to it)")
    print()

    lengths = (8, 16, 32) if args.quick else LENGTHS
    rows = attention_scaling(lengths, args.repeats, calls, settle, args.seed)
    results["scaling"] = rows
    anchor = rows[len(rows) // 2]
    print("causal self-attention, MultiheadAttention(128, 4), N = 4, forward + backward, as T grows")
    head = f"  {'T':>6} {'ms':>9} {'T² prediction':>14} {'meas/pred':>12} {'µs / (T/64)²':>13} {'peak MB':>9}"
    print(head + f" {'scores MB':>10} {'peak/scores':>12}")
    for r in rows:
        predicted = anchor["seconds"] * (r["T"] / anchor["T"]) ** 2
        per = 1e6 * r["seconds"] / (r["T"] / 64) ** 2
        print(
            f"  {r['T']:>6,d} {1e3 * r['seconds']:9.2f} {1e3 * predicted:14.2f} {r['seconds'] / predicted:12.2f} "
            f"{per:13.1f} "
            f"{r['peak'] / 2**20:9.1f} {r['scores'] / 2**20:10.1f} {r['peak'] / r['scores']:12.1f}"
        )
    print(
        f"  T² prediction: the time at T = {anchor['T']} scaled by (T / {anchor['T']})². Below it at short T the parts "
        "∝ T (the projections) and the per-call overhead weigh more; above it at long T the (N, H, T, T) arrays "
        "outgrow the caches and each product waits on memory. Memory: those arrays (scores, weights, their "
        "gradients) grow as T², a fixed number of them alive at a time (peak/scores)."
    )
    sys.stdout.flush()
    return results


if __name__ == "__main__":
    main()
