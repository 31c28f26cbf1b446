"""Tests for nnkit/exercises/ch13.py: the sampling distribution at temperature τ, softmax(z / τ)."""

from __future__ import annotations

import math

import numpy as np

from exercises.support import checker_tests
from nnkit.exercises import check


def softmax_temperature(z, tau, *, mistake=None):
    """A reader's softmax(z / τ), right or with one mistake."""
    a = z * tau if mistake == "times tau" else z if mistake == "tau ignored" else z / tau
    if mistake == "no shift":
        e = np.exp(a)
        return e / e.sum(axis=1, keepdims=True)
    axis = 0 if mistake == "wrong axis" else 1
    e = np.exp(a - a.max(axis=axis, keepdims=True))
    p = e / e.sum(axis=axis, keepdims=True)
    if mistake == "power":  # softmax(z) ** (1 / τ), not normalized again
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return (e / e.sum(axis=1, keepdims=True)) ** (1 / tau)
    if mistake == "transposed":
        return p.T
    return p


def with_mistake(mistake):
    return lambda z, tau: softmax_temperature(z, tau, mistake=mistake)


CORRECT = {"softmax_temperature": softmax_temperature}

HALF = "z = [[0. 1.0986] [1.0986 0.]], tau = 0.5"

# (exercise, the reader's function, fragments the verdict must contain: the failing input and what went wrong)
WRONG = {
    "multiplies by τ": (
        "softmax_temperature",
        with_mistake("times tau"),
        [HALF, "expected [[0.1 0.9] [0.9 0.1]], got [[0.366 0.634] [0.634 0.366]]", "do not multiply"],
    ),
    "ignores τ": ("softmax_temperature", with_mistake("tau ignored"), [HALF, "before the softmax"]),
    "p ** (1/τ) not normalized": (
        "softmax_temperature",
        with_mistake("power"),
        [HALF, "got [[0.0625 0.5625] [0.5625 0.0625]]", "normalize again"],
    ),
    "softmax over the batch": (
        "softmax_temperature",
        with_mistake("wrong axis"),
        ["z = [[0. 1.0986]], tau = 1.0", "got [[1. 1.]]", "not over the batch"],
    ),
    "no max shift": (
        "softmax_temperature",
        with_mistake("no shift"),
        ["z = [[800. 799. 0.]", "overflow", "subtract each row's maximum"],
    ),
    "transposed": (
        "softmax_temperature",
        with_mistake("transposed"),
        ["z = [[0. 1.0986]], tau = 1.0", "got shape (2, 1)", "shape of the logits"],
    ),
}

# A subtly wrong reference: it must break one of the checker's hand-computed cases.
BUGGY_REFERENCES = {"softmax_temperature": with_mistake("times tau")}


(
    test_correct_solution_passes,
    test_nnkit_reference_passes_its_own_checker,
    test_wrong_solution_fails_and_names_the_input,
    test_checker_catches_a_wrong_reference,
) = checker_tests(CORRECT, WRONG, BUGGY_REFERENCES)


def test_the_hand_computed_cases_are_right():
    ln3 = math.log(3.0)
    assert np.allclose(softmax_temperature(np.array([[0.0, ln3]]), 1.0), [[0.25, 0.75]])
    assert np.allclose(softmax_temperature(np.array([[0.0, ln3]]), 0.5), [[0.1, 0.9]])
    s3 = math.sqrt(3)
    assert np.allclose(softmax_temperature(np.array([[0.0, ln3]]), 2.0), [[1 / (1 + s3), s3 / (1 + s3)]])


def test_an_unfamiliar_wrong_answer_gets_the_general_hint(capsys):
    def off_by_a_bit(z, tau):
        return softmax_temperature(z, tau) + 0.01

    verdict = check.softmax_temperature(off_by_a_bit)
    assert not verdict and "Hint: a = z / tau" in verdict.message
    capsys.readouterr()
