"""Checkers for the exercises of Chapter 15 (ch15_attention.ipynb): a causal self-attention forward pass,
``softmax(Q Kᵀ/√d_k + mask) V`` where query ``i`` sees keys ``0..i`` only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import functional as F
from ._compare import Case, Exercise, Verdict, arrays, run

__all__ = ["EXERCISES", "Checks"]


def _causal_reference(q: np.ndarray, k: np.ndarray, v: np.ndarray) -> np.ndarray:
    """nnkit's scaled_dot_product_attention with is_causal=True (query i attends to keys j <= i)."""
    return F.scaled_dot_product_attention(q, k, v, is_causal=True)


def _by_hand(q: np.ndarray, k: np.ndarray, v: np.ndarray, mistake: str) -> np.ndarray:
    """Causal attention with one typical mistake (the diagnoses compare the reader's answer with these)."""
    q, k, v = (np.asarray(a, dtype=np.float64) for a in (q, k, v))
    t = q.shape[-2]
    scores = q @ np.swapaxes(k, -1, -2)
    if mistake != "no scaling":
        scores = scores / np.sqrt(q.shape[-1])
    allowed = np.tril(np.ones((t, t), dtype=bool))
    if mistake == "mask reversed":
        allowed = allowed.T  # query i sees keys j >= i: the future
    if mistake == "no mask":
        allowed = np.ones((t, t), dtype=bool)
    scores = np.where(allowed, scores, -np.inf)
    axis = -2 if mistake == "softmax over the queries" else -1
    scores = scores - scores.max(axis=axis, keepdims=True)
    weights = np.exp(scores)
    weights = weights / weights.sum(axis=axis, keepdims=True)
    return weights @ v


_MISTAKES = {
    "no scaling": "the scores are not divided by √d_k (d_k = q.shape[-1]): softmax(q @ k.T / √d_k)",
    "mask reversed": "the mask is the wrong way round: query i must see keys j <= i (the past: the lower "
    "triangle, np.tril), not j >= i (the future)",
    "no mask": "no causal mask: query i must not see the keys j > i (set their scores to -inf before the softmax)",
    "softmax over the queries": "the softmax runs over the wrong axis: each query's weights over the keys must "
    "sum to 1, so normalize along the last axis (axis=-1) of the (T, T) scores",
}


def _diagnose(case: Case, want: Any, got: Any) -> str | None:
    q, k, v = (np.asarray(case.args[name]) for name in ("q", "k", "v"))
    got = np.asarray(got)
    for mistake, hint in _MISTAKES.items():
        variant = _by_hand(q, k, v, mistake)
        if got.shape == variant.shape and np.allclose(got, variant, rtol=1e-4, atol=1e-6):
            return hint
    return None


def _cases(rng: np.random.Generator) -> list[Case]:
    # equal scores (q = k = 0): query i averages v[0..i] uniformly, so the output is a running mean
    return [
        Case(
            "known values",
            arrays(q=np.zeros((4, 2)), k=np.zeros((4, 2)), v=np.array([[1.0], [2.0], [3.0], [4.0]])),
            np.array([[1.0], [1.5], [2.0], [2.5]]),
        ),
        Case(
            "known values",  # two keys, 1-D: scores q k / 1 = [[0, .], [0, ln 3]] -> weights [1, 0], [1/4, 3/4]
            arrays(q=np.array([[0.0], [1.0]]), k=np.array([[0.0], [np.log(3.0)]]), v=np.array([[4.0], [8.0]])),
            np.array([[4.0], [7.0]]),
        ),
        Case("random", arrays(q=rng.normal(size=(5, 4)), k=rng.normal(size=(5, 4)), v=rng.normal(size=(5, 3)))),
        Case("random", arrays(q=rng.normal(size=(7, 16)), k=rng.normal(size=(7, 16)), v=rng.normal(size=(7, 2)))),
        Case("one token", arrays(q=rng.normal(size=(1, 3)), k=rng.normal(size=(1, 3)), v=rng.normal(size=(1, 3)))),
        Case(
            "float32",
            arrays(**{n: rng.normal(size=(6, 8)).astype(np.float32) for n in ("q", "k", "v")}),
        ),
    ]


CAUSAL_ATTENTION = Exercise(
    "causal_attention",
    _causal_reference,
    _cases,
    hint="scores = q @ k.T / √d_k; set the scores of keys j > i to -inf (np.triu(..., k=1)); softmax along "
    "the last axis; then weights @ v",
    diagnose=_diagnose,
)


EXERCISES = (CAUSAL_ATTENTION,)


class Checks:
    """The checkers of this chapter's exercises, gathered into ``nnkit.exercises.check``."""

    def causal_attention(self, fn: Callable[..., np.ndarray]) -> Verdict:
        """Check ``fn(q, k, v) -> output``: causal scaled dot-product attention for one sequence,
        ``q, k (T, d_k)``, ``v (T, d_v)`` -> ``(T, d_v)``, where row ``i`` is the average of ``v[0..i]``
        weighted by ``softmax(q[i] · k[j] / √d_k)`` over ``j <= i``.

        >>> import numpy as np
        >>> from nnkit.exercises.ch15 import Checks
        >>> def unscaled(q, k, v):                       # forgets the 1/√d_k
        ...     s = np.where(np.tril(np.ones((len(q), len(k)), bool)), q @ k.T, -np.inf)
        ...     w = np.exp(s - s.max(axis=1, keepdims=True))
        ...     return w / w.sum(axis=1, keepdims=True) @ v
        >>> ok = Checks().causal_attention(unscaled)  # doctest: +ELLIPSIS
        ✗ causal_attention: for q of shape (5, 4), ...the scores are not divided by √d_k...
        """
        return run(CAUSAL_ATTENTION, fn)
