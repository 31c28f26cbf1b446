"""Diagnostics for training runs: :class:`LayerStats`, a :func:`~nnkit.train.fit` callback that records
what each layer does, step by step.

Per layer, every ``every`` steps, it records:

- ``act_mean``, ``act_std``: the mean and standard deviation of the layer's output over the batch;
- ``dead``: for a :class:`~nnkit.ReLU`, the fraction of its units (axis 1: features, or channels) that
  output 0 for every sample (and position) of the batch (NaN for other layers);
- ``grad_norm``: the norm of the gradient of the layer's own parameters, ``sqrt(Σ ‖∂L/∂θ‖²)``, as the
  optimizer step used it (NaN for a layer without parameters);
- ``update_ratio``: ``‖Δθ‖ / ‖θ‖``, how much that step moved the layer's parameters relative to their size
  (NaN without parameters). A rule of thumb for plain SGD and Adam: around 1e-3 is healthy; 1e-1 is
  far too fast, 1e-6 is barely moving.

The activations are seen through forward hooks (:meth:`~nnkit.Module.register_forward_hook`), removed
when training ends; the gradients and parameters are read after each optimizer step. Only the leaf
modules (those without sub-modules) are watched, under their PyTorch-style names (``"0"``, ``"2"``).
:func:`nnkit.plot.layer_stats` draws the records.

>>> import numpy as np, nnkit
>>> from nnkit import data, optim, train
>>> from nnkit.diagnostics import LayerStats
>>> X, y = data.make_blobs(256, centers=3, rng=0)
>>> model = nnkit.Sequential(nnkit.Linear(2, 16, rng=0), nnkit.ReLU(), nnkit.Linear(16, 3, rng=1))
>>> stats = LayerStats(every=4)
>>> _ = train.fit(model, nnkit.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (X, y),
...               epochs=2, batch_size=32, callbacks=[stats], rng=0, progress=False)
>>> stats.steps, sorted(stats.records)
([4, 8, 12, 16], ['0', '1', '2'])
>>> sorted(stats.records["0"])
['act_mean', 'act_std', 'dead', 'grad_norm', 'update_ratio']
>>> 0 <= stats.records["1"]["dead"][-1] <= 1, bool(np.isnan(stats.records["1"]["grad_norm"][-1]))
(True, True)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ._config import check_int
from .activations import ReLU
from .module import Module, Parameter, RemovableHandle
from .train import Callback, History

KEYS = ("act_mean", "act_std", "dead", "grad_norm", "update_ratio")


def _norm(arrays: Sequence[np.ndarray]) -> float:
    """``sqrt(Σ ‖a‖²)`` over the arrays, each with one BLAS dot product."""
    return math.sqrt(sum(float(np.dot(a.reshape(-1), a.reshape(-1))) for a in arrays))


class LayerStats(Callback):
    """Record each leaf layer's activation statistics, dead ReLU units, gradient norm and update-to-weight
    ratio every ``every`` optimizer steps (see the module's docstring for the definitions).

    ``layers`` restricts the watched layers to those names (all leaf modules by default). After training,
    ``steps`` lists the recorded steps (counting from 1, as :func:`~nnkit.train.fit` does) and
    ``records[name][key]`` the values, one per recorded step. It can be left on: a recorded step costs one
    pass over each watched activation and a few over the parameters, so with the default ``every=10`` an
    epoch of a small MLP (1.7–2.3 ms steps) takes 3–9 % longer, and with ``every=1`` 25–40 % (``make
    bench`` measures it: ``benchmarks/bench_mlp.py``); a larger model pays a smaller share.
    """

    def __init__(self, every: int = 10, layers: Sequence[str] | None = None) -> None:
        self.every = check_int(every, "every", "LayerStats", minimum=1)
        self.layers = None if layers is None else list(layers)
        self.steps: list[int] = []
        self.records: dict[str, dict[str, list[float]]] = {}
        self._handles: list[RemovableHandle] = []
        self._watched: dict[str, Module] = {}
        self._params: dict[str, list[Parameter]] = {}
        self._pending: dict[str, tuple[float, float, float]] = {}
        self._before: dict[str, list[np.ndarray]] = {}
        self._kept_norm: dict[str, float] = {}
        self._step = 0

    def on_train_begin(self, model: Module, history: History) -> None:
        leaves = {name: m for name, m in model.named_modules() if name and not any(True for _ in m.children())}
        if not leaves:  # the model is a single layer
            leaves = {"": model}
        if self.layers is not None:
            missing = [name for name in self.layers if name not in leaves]
            if missing:
                raise ValueError(f"LayerStats expected layer names among {sorted(leaves)}, got {missing}")
            leaves = {name: leaves[name] for name in self.layers}
        self._watched = leaves
        self._params = {name: ps for name, m in leaves.items() if (ps := list(m.parameters()))}
        for name, module in leaves.items():
            self.records.setdefault(name, {key: [] for key in KEYS})
            self._handles.append(module.register_forward_hook(self._hook(name)))
        self._step = len(history.step_losses)
        self._snapshot()

    def _recording(self) -> bool:
        """Whether the step now running (``self._step + 1``) is recorded."""
        return (self._step + 1) % self.every == 0

    def _hook(self, name: str) -> Any:
        def record(module: Module, args: tuple[Any, ...], out: Any) -> None:
            if not self._recording() or not module.training or not isinstance(out, np.ndarray):
                return
            dead = math.nan
            if isinstance(module, ReLU) and out.ndim >= 2:
                axes = (0, *range(2, out.ndim))
                dead = float(np.mean(~(out > 0).any(axis=axes)))
            flat = out.reshape(-1)
            mean = float(flat.mean(dtype=np.float64))
            mean_square = float(np.dot(flat, flat)) / max(flat.size, 1)  # one BLAS pass instead of std's three
            self._pending[name] = (mean, math.sqrt(max(mean_square - mean * mean, 0.0)), dead)

        return record

    def _snapshot(self) -> None:
        """Keep the parameters before a recorded step, to measure how far it moves them (into buffers
        allocated once)."""
        if not self._recording():
            return
        for name, params in self._params.items():
            kept = self._before.get(name)
            if kept is None or [b.shape for b in kept] != [p.shape for p in params]:
                kept = self._before[name] = [np.empty_like(p.data) for p in params]
            for b, p in zip(kept, params):
                np.copyto(b, p.data)
            self._kept_norm[name] = _norm(kept)

    def on_batch_end(self, step: int, logs: dict[str, float]) -> None:
        self._step = step
        if step % self.every == 0:
            self.steps.append(step)
            for name in self._watched:
                rec = self.records[name]
                mean, std, dead = self._pending.pop(name, (math.nan, math.nan, math.nan))
                params = self._params.get(name)
                before = self._before.get(name)
                if params and before is not None:
                    grad = _norm([p.grad for p in params])
                    for b, p in zip(before, params):
                        np.subtract(p.data, b, out=b)  # the buffer now holds Δθ (it is refilled before use)
                    size = self._kept_norm[name]
                    ratio = _norm(before) / size if size > 0 else math.nan
                else:
                    grad = ratio = math.nan
                for key, value in zip(KEYS, (mean, std, dead, grad, ratio), strict=True):
                    rec[key].append(value)
        self._snapshot()

    def on_train_end(self, history: History) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()


__all__ = ["LayerStats"]
