"""Tests for nnkit/exercises/ch15.py: causal scaled dot-product attention, softmax(q kᵀ/√d_k + mask) v."""

from __future__ import annotations

import numpy as np

from exercises.support import checker_tests
from nnkit import functional as F
from nnkit.exercises import check
from nnkit.exercises.ch15 import CAUSAL_ATTENTION


def causal_attention(q, k, v, *, mistake=None):
    """A reader's causal attention for one sequence, right or with one mistake."""
    t, d_k = q.shape
    scores = q @ k.T
    if mistake != "unscaled":
        scores = scores / np.sqrt(d_k)
    future = np.triu(np.ones((t, t), dtype=bool), k=1)  # True: key j > query i
    if mistake == "reversed":
        future = future.T
    if mistake == "diagonal masked":
        future = np.triu(np.ones((t, t), dtype=bool))  # a token may not see itself: row 0 has no keys
    if mistake != "no mask":
        scores = np.where(future, -np.inf, scores)
    axis = 0 if mistake == "axis 0" else 1
    weights = np.exp(scores - scores.max(axis=axis, keepdims=True))
    weights = weights / weights.sum(axis=axis, keepdims=True)
    if mistake == "weights returned":
        return weights
    return weights @ v


def with_mistake(mistake):
    return lambda q, k, v: causal_attention(q, k, v, mistake=mistake)


CORRECT = {"causal_attention": causal_attention}

KNOWN = "for q of shape (4, 2), k of shape (4, 2), v = [[1.] [2.] [3.] [4.]]"

# (exercise, the reader's function, fragments the verdict must contain: the failing input and what went wrong)
WRONG = {
    "no 1/sqrt(d_k)": ("causal_attention", with_mistake("unscaled"), ["q of shape (5, 4)", "not divided by √d_k"]),
    "mask reversed": (
        "causal_attention",
        with_mistake("reversed"),
        [KNOWN, "got [[2.5] [3.] [3.5] [4.]]", "wrong way round"],
    ),
    "no mask": ("causal_attention", with_mistake("no mask"), [KNOWN, "no causal mask"]),
    "softmax over axis 0": ("causal_attention", with_mistake("axis 0"), [KNOWN, "wrong axis"]),
    "diagonal masked too": ("causal_attention", with_mistake("diagonal masked"), [KNOWN, "RuntimeWarning"]),
    "the weights, not the output": (
        "causal_attention",
        with_mistake("weights returned"),
        [KNOWN, "expected an array of shape (4, 1)"],
    ),
}

# A subtly wrong reference: it must break one of the checker's hand-computed cases.
BUGGY_REFERENCES = {"causal_attention": lambda q, k, v: F.scaled_dot_product_attention(q, k, v)}  # no mask


(
    test_correct_solution_passes,
    test_nnkit_reference_passes_its_own_checker,
    test_wrong_solution_fails_and_names_the_input,
    test_checker_catches_a_wrong_reference,
) = checker_tests(CORRECT, WRONG, BUGGY_REFERENCES)


def test_the_hand_computed_cases_are_right():
    out = causal_attention(np.zeros((4, 2)), np.zeros((4, 2)), np.array([[1.0], [2.0], [3.0], [4.0]]))
    assert np.allclose(out[:, 0], [1, 1.5, 2, 2.5])  # running means
    out = causal_attention(np.array([[0.0], [1.0]]), np.array([[0.0], [np.log(3.0)]]), np.array([[4.0], [8.0]]))
    assert np.allclose(out[:, 0], [4, 7])  # 4 · 1/4 + 8 · 3/4


def test_the_reference_is_causal():
    rng = np.random.default_rng(0)
    q, k, v = (rng.normal(size=(6, 4)) for _ in range(3))
    changed = v.copy()
    changed[4:] += 10.0  # the future of queries 0..3
    a, b = CAUSAL_ATTENTION.reference(q, k, v), CAUSAL_ATTENTION.reference(q, k, changed)
    assert np.allclose(a[:4], b[:4]) and not np.allclose(a[4:], b[4:])


def test_an_unfamiliar_wrong_answer_gets_the_general_hint(capsys):
    verdict = check.causal_attention(lambda q, k, v: causal_attention(q, k, v) + 1)
    assert not verdict and "Hint: scores = q @ k.T / √d_k" in verdict.message
    capsys.readouterr()
