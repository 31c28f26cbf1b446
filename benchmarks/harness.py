"""What every benchmark in this folder shares: the machine, side-by-side timing, allocations, targets.

A benchmark file builds its workloads, hands them to :func:`compare` as named callables, and
prints its own table; this module keeps the rules that make the figures comparable:

- :func:`machine` reads NumPy's BLAS thread count and gives PyTorch as many threads, so that a
  ratio to PyTorch compares the same hardware;
- :func:`compare` runs the candidates in interleaved rounds with a rotated order, so that other
  work on the machine hits all of them alike, and reports the best and the median of each;
- :func:`allocations` measures with tracemalloc what one call allocates on top of what is held;
- :func:`report_targets` prints PASS or MISS; a benchmark never fails (its exit status is 0).

Run a benchmark as a script (``python benchmarks/bench_mlp.py``): this folder is then on
``sys.path`` and ``import harness`` finds this file.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import statistics
import time
import tracemalloc
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

NOISY = 1.2  # a candidate whose median exceeds its best by this factor was disturbed by other work

# Thread pools that wait busily. After a matrix product, OpenBLAS's worker threads spin for a while
# before they sleep, and so do the OpenMP threads that PyTorch uses. On two cores the spin steals a
# core from whatever runs next. Measured here (2 cores; NumPy's OpenBLAS 0.3 with pthreads, PyTorch
# 2.13 with libgomp; Conv2d(32, 32, 3, padding=1) forward + backward at N=128, 16×16, called back
# to back): PyTorch's calls took 26 ms each for the first ~0.1 s after nnkit's last call, then 12 ms;
# nnkit's first call after PyTorch took 46 ms, then 44 ms. Alternating single calls would thus
# make PyTorch look twice as slow as it is. So compare() never alternates single calls: in each
# round a candidate first runs untimed for at least SETTLE seconds (the other pool goes quiet,
# its own wakes up), then its timed calls run back to back.
SETTLE = 0.2


# --------------------------------------------------------------------------- the machine


def blas_threads() -> tuple[int, str]:
    """The number of threads NumPy's BLAS uses, and how it was found."""
    try:
        from threadpoolctl import threadpool_info

        counts = [d["num_threads"] for d in threadpool_info() if d.get("user_api") == "blas"]
        if counts:
            return max(counts), "threadpoolctl"
    except ImportError:
        pass
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var]), var
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)), "CPU affinity (no threadpoolctl)"
    return os.cpu_count() or 1, "os.cpu_count() (no threadpoolctl)"


def load_average() -> float:
    """The 1-minute load average (NaN where the OS has none)."""
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else math.nan


def optional_torch() -> Any:
    """The ``torch`` module, or None when PyTorch is not installed (its rows are then skipped)."""
    try:
        import torch
    except ImportError:
        return None
    return torch


@dataclass
class Machine:
    """What a ratio depends on: thread counts, versions, and how busy the machine was."""

    threads: int
    thread_source: str
    torch: Any  # the torch module, or None
    load_before: float = field(default_factory=load_average)

    @property
    def has_torch(self) -> bool:
        return self.torch is not None

    def describe(self) -> str:
        """One line: NumPy and its BLAS threads, PyTorch and its threads."""
        torch = self.torch
        torch_text = f"PyTorch {torch.__version__} with {torch.get_num_threads()} threads" if torch else "no PyTorch"
        return f"NumPy {np.__version__} (BLAS threads: {self.threads}, from {self.thread_source}); {torch_text}"

    def load_text(self) -> str:
        return f"1-min load average {self.load_before:.2f} before, {load_average():.2f} after"


def machine(no_torch: bool = False) -> Machine:
    """Read the machine, import PyTorch unless ``no_torch``, and give it as many threads as NumPy's BLAS."""
    threads, source = blas_threads()
    torch = None if no_torch else optional_torch()
    if torch is not None:
        torch.set_num_threads(threads)
    return Machine(threads, source, torch)


# --------------------------------------------------------------------------- timing


@dataclass
class Timing:
    """The timed calls of one candidate, in seconds."""

    name: str
    times: list[float] = field(default_factory=list)

    @property
    def best(self) -> float:
        return min(self.times) if self.times else math.nan

    @property
    def median(self) -> float:
        return statistics.median(self.times) if self.times else math.nan

    @property
    def noisy(self) -> bool:
        """Whether the median exceeds the best by more than :data:`NOISY`: other work was running."""
        return self.median > NOISY * self.best


@dataclass
class Candidate:
    """One thing to time. ``run`` is timed ``calls`` times per round, back to back. Before them,
    ``prime`` (by default ``before`` and ``run``) runs untimed, repeatedly until ``settle`` seconds
    have passed. ``before``, if given, runs untimed before each call of ``run`` (to build fresh state)."""

    run: Callable[[], object]
    calls: int = 2
    prime: Callable[[], object] | None = None
    before: Callable[[], object] | None = None
    settle: float = SETTLE

    def call(self) -> None:
        """``before`` then ``run``, untimed."""
        if self.before is not None:
            self.before()
        self.run()

    def settle_down(self) -> None:
        """Run ``prime`` (or :meth:`call`) at least once, and again until ``settle`` seconds have passed."""
        prime = self.prime or self.call
        start = time.perf_counter()
        prime()
        while time.perf_counter() - start < self.settle:
            prime()


def compare(candidates: Mapping[str, Candidate | Callable[[], object]], rounds: int) -> dict[str, Timing]:
    """Time the candidates side by side: ``rounds`` rounds, each giving every candidate one turn
    (primed, then its timed calls back to back), in an order rotated by one every round, so that
    other work on the machine hits all of them alike. Returns a :class:`Timing` per name."""
    specs = {name: c if isinstance(c, Candidate) else Candidate(c) for name, c in candidates.items()}
    timings = {name: Timing(name) for name in specs}
    names = list(specs)
    for r in range(rounds):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            spec = specs[name]
            gc.collect()
            spec.settle_down()
            for _ in range(spec.calls):
                if spec.before is not None:
                    spec.before()
                start = time.perf_counter()
                spec.run()
                timings[name].times.append(time.perf_counter() - start)
    return timings


def best_time(fn: Callable[[], object], repeats: int, inner: int = 1) -> float:
    """The best of ``repeats`` timings of ``inner`` calls, in seconds per call (no interleaving)."""
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(inner):
            fn()
        best = min(best, (time.perf_counter() - start) / inner)
    return best


def noisy_names(timings: Mapping[str, Timing]) -> list[str]:
    """The names whose timing is noisy (median > :data:`NOISY` × best)."""
    return [name for name, t in timings.items() if t.noisy]


def noisy_note(names: Iterable[str]) -> str:
    """A warning that names the noisy timings, or ``""`` when there are none."""
    names = list(names)
    if not names:
        return ""
    return (
        f"noisy: median > {NOISY:.1f}× best for {', '.join(names)}: other work was running. "
        "Rerun on an idle machine, with more --repeats, before trusting small differences."
    )


# --------------------------------------------------------------------------- memory


@dataclass
class Allocation:
    """Bytes that a call allocates on top of what is held before it (``peak``, the max over the
    traced calls), and bytes allocated during the traced calls and still alive after them (``kept``)."""

    peak: int
    kept: int


def allocations(fn: Callable[[], object], calls: int = 5, warmup: int = 3) -> Allocation:
    """Trace ``calls`` calls of ``fn`` with tracemalloc after ``warmup`` untraced ones (so that caches
    and optimizer state exist). tracemalloc sees NumPy's buffers, not PyTorch's. It does not see the
    release of blocks allocated before tracing began, so ``kept`` is not a leak unless it grows with
    ``calls``; the value ``fn`` returns is dropped before the measurement."""
    for _ in range(warmup):
        fn()
    gc.collect()
    tracemalloc.start()
    try:
        start_held = tracemalloc.get_traced_memory()[0]
        peak = 0
        for _ in range(calls):
            tracemalloc.reset_peak()
            before = tracemalloc.get_traced_memory()[0]
            fn()
            peak = max(peak, tracemalloc.get_traced_memory()[1] - before)
        kept = tracemalloc.get_traced_memory()[0] - start_held
    finally:
        tracemalloc.stop()
    return Allocation(peak, kept)


def agrees(runs: Mapping[str, Callable[[], Any]]) -> float:
    """The largest difference between nnkit and PyTorch, in output (``nnkit fwd`` against ``torch fwd``) or
    input gradient (``nnkit`` against ``torch``), relative to the largest value of PyTorch's."""
    diffs = []
    for a, b in (("nnkit fwd", "torch fwd"), ("nnkit", "torch")):
        ours, theirs = runs[a](), runs[b]().detach().numpy()
        diffs.append(float(np.abs(ours - theirs).max() / np.abs(theirs).max()))
    return max(diffs)


def layer_row(label: str, width: int, t: Mapping[str, Timing], flops: float, use_torch: bool) -> str:
    """One line of a layer table: forward + backward (nnkit best, median, GFLOP/s; torch best, median, ratio),
    then forward alone, then the "GEMMs only" floor, all in ms. ``t`` holds the candidates ``nnkit``,
    ``nnkit fwd`` and ``GEMMs only``, and ``torch`` and ``torch fwd`` when ``use_torch``; ``flops`` is the
    forward's (forward + backward counts three times that)."""
    gflops = 3 * flops / t["nnkit"].best / 1e9
    line = f"  {label:<{width}} {1e3 * t['nnkit'].best:7.2f} {1e3 * t['nnkit'].median:9.2f} {gflops:8.1f} "
    if use_torch:
        line += (
            f"{1e3 * t['torch'].best:7.2f} {1e3 * t['torch'].median:9.2f} {t['nnkit'].best / t['torch'].best:7.2f}"
            f" │ {1e3 * t['nnkit fwd'].best:9.2f} {1e3 * t['torch fwd'].best:7.2f} "
            f"{t['nnkit fwd'].best / t['torch fwd'].best:7.2f}"
        )
    else:
        line += f"{'-':>7} {'-':>9} {'-':>7} │ {1e3 * t['nnkit fwd'].best:9.2f} {'-':>7} {'-':>7}"
    floor = f"{t['GEMMs only'].best / t['torch'].best:7.2f}" if use_torch else f"{'-':>7}"
    return line + f" │ {1e3 * t['GEMMs only'].best:7.2f} {floor}"


# --------------------------------------------------------------------------- targets and options


@dataclass
class Target:
    """``ratio <= limit``, reported as PASS or MISS."""

    label: str
    ratio: float
    limit: float

    @property
    def ok(self) -> bool:
        return self.ratio <= self.limit


def report_targets(title: str, targets: Iterable[Target]) -> list[Target]:
    """Print one line per target with PASS or MISS (a missed target never fails the run); return them."""
    targets = list(targets)
    print(title)
    width = max((len(t.label) for t in targets), default=0)
    for t in targets:
        print(f"  {t.label:<{width}} {t.ratio:5.2f} <= {t.limit:.2f}   {'PASS' if t.ok else 'MISS'}")
    return targets


def argument_parser(description: str, repeats: int = 5) -> argparse.ArgumentParser:
    """A parser with the options every benchmark takes: ``--repeats``, ``--quick``, ``--no-torch``.
    ``--repeats`` defaults to None: :func:`parse` makes it ``repeats``, or 1 with ``--quick``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--repeats", type=int, default=None, help=f"timed rounds (default {repeats}; 1 with --quick)")
    parser.add_argument("--quick", action="store_true", help="a smoke test: small problems, one round")
    parser.add_argument("--no-torch", action="store_true", help="skip PyTorch even if it is installed")
    parser.set_defaults(default_repeats=repeats)
    return parser


def parse(parser: argparse.ArgumentParser, argv: Iterable[str] | None) -> argparse.Namespace:
    """Parse ``argv`` (None: the command line), fill in ``--repeats`` and check that it is positive."""
    args = parser.parse_args(None if argv is None else list(argv))
    if args.repeats is None:
        args.repeats = 1 if args.quick else args.default_repeats
    if args.repeats < 1:
        parser.error("--repeats must be positive")
    return args
