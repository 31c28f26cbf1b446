"""Tests for nnkit/exercises/ch08.py: inverted dropout and the L1 soft-thresholding step."""

from __future__ import annotations

import numpy as np

from exercises.support import (
    checker_tests,
)
from nnkit.exercises import ch08, check


def dropout_solution(x, mask, p):
    if p == 1:
        return np.zeros_like(x)
    return x * mask / (1 - p)


def dropout_in_place(x, mask, p):
    if p == 1:
        return np.zeros_like(x)
    x *= mask
    x /= 1 - p
    return x


def dropout_own_mask(x, mask, p):  # draws a fresh mask instead of using the one it is given
    if p == 1:
        return np.zeros_like(x)
    return x * (np.random.default_rng(0).random(x.shape) >= p) / (1 - p)


def soft_threshold_solution(w, t):
    return np.sign(w) * np.maximum(np.abs(w) - t, 0)


def soft_threshold_in_place(w, t):
    np.clip(w, -t, t, out=w)  # changes its input
    return soft_threshold_solution(w, t)


CORRECT = {"dropout_forward": dropout_solution, "soft_threshold": soft_threshold_solution}

# (exercise, the reader's function, fragments the verdict must contain: the failing input and what went wrong)
WRONG = {
    "dropout_forward: forgot the scaling": (
        "dropout_forward",
        lambda x, mask, p: x * mask,
        ["x = [1. 2. 3. 4.], mask = [1. 0. 1. 0.], p = 0.5", "expected [2. 0. 6. 0.], got [1. 0. 3. 0.]"],
    ),
    "dropout_forward: scaled by p": (
        "dropout_forward",
        lambda x, mask, p: x * mask * p,
        ["p = 0.5", "expected [2. 0. 6. 0.], got [0.5 0. 1.5 0.]"],
    ),
    "dropout_forward: scaled by 1 - p": (  # the original paper's test-time scaling, applied in training
        "dropout_forward",
        lambda x, mask, p: x * mask * (1 - p),
        ["p = 0.5", "expected [2. 0. 6. 0.], got [0.5 0. 1.5 0.]"],
    ),
    "dropout_forward: keep-probability semantics": (
        "dropout_forward",
        lambda x, mask, p: x * mask / p,
        ["mask = [1. 1. 0. 1.], p = 0.2", "expected [1.25 2.5 0. 5.], got [5. 10. 0. 20.]", "DROPPING"],
    ),
    "dropout_forward: mask inverted": (
        "dropout_forward",
        lambda x, mask, p: x * (1 - mask) / (1 - p),
        ["p = 0.5", "expected [2. 0. 6. 0.], got [0. 4. 0. 8.]"],
    ),
    "dropout_forward: divides by 0 at p = 1": (
        "dropout_forward",
        lambda x, mask, p: x * mask / (1 - p),
        ["x = [1. -2. 3.], mask = [0. 0. 0.], p = 1.0", "RuntimeWarning: invalid value", "return zeros"],
    ),
    "dropout_forward: in place": ("dropout_forward", dropout_in_place, ["p = 0.5", "changed its input x in place"]),
    "dropout_forward: its own mask": ("dropout_forward", dropout_own_mask, ["p = 0.5", "expected [2. 0. 6. 0.]"]),
    "soft_threshold: the subgradient step": (
        "soft_threshold",
        lambda w, t: w - t * np.sign(w),
        ["w = [-3. -0.5 0. 0.5 3.], threshold = 1.0", "got [-2. 0.5 0. -0.5 2.]", "crosses zero"],
    ),
    "soft_threshold: hard thresholding": (
        "soft_threshold",
        lambda w, t: np.where(np.abs(w) > t, w, 0.0),
        ["w = [-3. -0.5 0. 0.5 3.], threshold = 1.0", "got [-3. 0. 0. 0. 3.]", "hard thresholding"],
    ),
    "soft_threshold: negative weights forgotten": (
        "soft_threshold",
        lambda w, t: np.maximum(w - t, 0),
        ["threshold = 1.0", "got [0. 0. 0. 0. 2.]", "negative weights"],
    ),
    "soft_threshold: keeps |w| = t": (
        "soft_threshold",
        lambda w, t: np.where(np.abs(w) >= t, w - t * np.sign(w), 0.0) + np.where(np.abs(w) == t, w, 0.0),
        ["w = [-1. 1.], threshold = 1.0", "expected [0. 0.], got [-1. 1.]", "becomes exactly 0"],
    ),
    "soft_threshold: in place": ("soft_threshold", soft_threshold_in_place, ["changed its input w in place"]),
    "soft_threshold: float64 for float32": (
        "soft_threshold",
        lambda w, t: soft_threshold_solution(w, t).astype(np.float64),
        ["float32", "expected dtype float32 (the input's), got float64"],
    ),
    "dropout_forward: float64 for float32": (
        "dropout_forward",
        lambda x, mask, p: dropout_solution(x, mask, p).astype(np.float64),
        ["float32", "expected dtype float32 (the input's), got float64"],
    ),
}

# A subtly wrong reference per exercise; each must break one of the checker's hand-computed cases.
BUGGY_REFERENCES = {
    "dropout_forward": lambda x, mask, p: x * mask,
    "soft_threshold": lambda w, t: w - t * np.sign(w),
}


(
    test_correct_solution_passes,
    test_nnkit_reference_passes_its_own_checker,
    test_wrong_solution_fails_and_names_the_input,
    test_checker_catches_a_wrong_reference,
) = checker_tests(CORRECT, WRONG, BUGGY_REFERENCES)


def test_dropout_reference_values_dtype_and_p_one():
    x = np.arange(1.0, 7.0).reshape(2, 3)
    mask = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])
    out = ch08._dropout_forward_reference(x, mask, 0.25)
    assert np.allclose(out, x * mask / 0.75, rtol=1e-15, atol=0)
    bool_mask = ch08._dropout_forward_reference(x, mask.astype(bool), 0.25)
    assert np.array_equal(bool_mask, out)
    assert np.array_equal(ch08._dropout_forward_reference(x, np.zeros((2, 3)), 1.0), np.zeros((2, 3)))
    assert ch08._dropout_forward_reference(x.astype(np.float32), mask, 0.5).dtype == np.float32


def test_dropout_checker_accepts_a_boolean_mask_solution():
    assert check.dropout_forward(lambda x, mask, p: np.where(mask.astype(bool), x / (1 - p) if p < 1 else 0.0, 0.0))


def test_soft_threshold_reference_values_sign_and_dtype():
    w = np.array([-2.0, -0.25, 0.0, 0.25, 2.0])
    out = ch08._soft_threshold_reference(w, 0.5)
    assert np.array_equal(out, [-1.5, 0.0, 0.0, 0.0, 1.5])
    assert not np.signbit(out[1:4]).any()  # zeros are +0, never −0
    assert ch08._soft_threshold_reference(w.astype(np.float32), 0.5).dtype == np.float32
    rng = np.random.default_rng(0)
    v, t = rng.normal(size=200), 0.3
    prox = ch08._soft_threshold_reference(v, t)
    # the proximal step of t|·|: prox minimizes ½(u − v)² + t|u|, so no small move of it does better
    objective = lambda u: 0.5 * (u - v) ** 2 + t * np.abs(u)  # noqa: E731
    for step in (1e-3, -1e-3):
        assert (objective(prox) <= objective(prox + step) + 1e-12).all()
