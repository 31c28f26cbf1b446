"""Tests for nnkit/exercises/ch04.py: a linear layer's backward, the numerical gradient, a 2-layer
network's forward and backward, and a residual block's backward."""

from __future__ import annotations

import numpy as np

from exercises.support import (
    checker_tests,
)
from nnkit.exercises import check


def numerical_gradient_solution(f, x, eps):
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)  # views: writing flat[i] changes x
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        plus = f(x)
        flat[i] = old - eps
        minus = f(x)
        flat[i] = old
        gflat[i] = (plus - minus) / (2 * eps)
    return grad


def forward_difference(f, x, eps):
    grad, fx = np.zeros_like(x), f(x)
    for i in range(x.size):
        shifted = x.copy().reshape(-1)
        shifted[i] += eps
        grad.reshape(-1)[i] = (f(shifted.reshape(x.shape)) - fx) / eps
    return grad


def gradient_by_rows(f, x, eps):  # loops over rows only: wrong for a matrix
    grad = np.zeros_like(x)
    for i in range(len(x)):
        old = x[i].copy()
        x[i] = old + eps
        plus = f(x)
        x[i] = old - eps
        minus = f(x)
        x[i] = old
        grad[i] = (plus - minus) / (2 * eps)
    return grad


def gradient_without_restore(f, x, eps):
    grad, flat = np.zeros_like(x), x.reshape(-1)
    for i in range(flat.size):
        flat[i] += eps
        plus = f(x)
        flat[i] -= 2 * eps
        grad.reshape(-1)[i] = (plus - f(x)) / (2 * eps)
    return grad


def two_layer_net(X, y, W1, b1, W2, b2, *, mistake=None):
    """A reader's 2-layer network (Linear, ReLU, Linear, mean cross-entropy), right or with one mistake."""
    N = len(X)
    Z1 = X @ W1.T + b1
    A1 = np.maximum(Z1, 0)
    Z2 = A1 @ W2.T + b2
    if mistake == "naive softmax":  # log(softmax) without the row maximum: overflows for huge logits
        logp = np.log(np.exp(Z2) / np.exp(Z2).sum(axis=1, keepdims=True))
    else:
        shifted = Z2 - Z2.max(axis=1, keepdims=True)
        logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -logp[np.arange(N), y].sum() if mistake == "sum loss" else -logp[np.arange(N), y].mean()
    dZ2 = np.exp(logp)
    if mistake != "no minus Y":
        dZ2[np.arange(N), y] -= 1
    if mistake == "Y - P":
        dZ2 = -dZ2
    if mistake != "no 1/N":
        dZ2 = dZ2 / N
    dA1 = dZ2 @ W2
    dZ1 = {"no relu derivative": dA1, "times A1": dA1 * A1}.get(mistake, dA1 * (Z1 > 0))
    dW1 = X.T @ dZ1 if mistake == "X.T @ dZ1" else dZ1.T @ X
    if mistake == "dW1 transposed values":
        dW1 = dW1.T if dW1.shape[0] == dW1.shape[1] else dW1
    db1 = dZ1.sum(axis=0)
    dW2 = dZ2.T @ A1 / N if mistake == "1/N twice" else dZ2.T @ A1
    db2 = dZ2.mean(axis=0) if mistake == "db2 mean" else dZ2.sum(axis=0)
    if mistake == "db2 keepdims":
        db2 = dZ2.sum(axis=0, keepdims=True)
    return loss, dW1, db1, dW2, db2


def residual_backward(x, W, b, dy, *, mistake=None):
    """A reader's backward of y = x + tanh(x @ W.T + b), right or with one mistake."""
    A = np.tanh(x @ W.T + b)
    dZ = dy if mistake == "no tanh derivative" else dy * (1 - A * A)
    through_f = dZ @ W.T if mistake == "W.T" else dZ @ W
    dx = {"no skip": through_f, "skip only": dy}.get(mistake, dy + through_f)
    dW = dZ.T @ x + (dy.T @ x if mistake == "skip in dW" else 0)
    db = dZ.mean(axis=0) if mistake == "db mean" else dZ.sum(axis=0)
    return dx, dW, db


CORRECT = {
    "linear_backward": lambda x, W, dy: (dy @ W, dy.T @ x, dy.sum(axis=0)),
    "numerical_gradient": numerical_gradient_solution,
    "two_layer_net": two_layer_net,
    "residual_backward": residual_backward,
}


def two_layer_with(mistake):
    return lambda X, y, W1, b1, W2, b2: two_layer_net(X, y, W1, b1, W2, b2, mistake=mistake)


def residual_with(mistake):
    return lambda x, W, b, dy: residual_backward(x, W, b, dy, mistake=mistake)


# (exercise, the reader's function, fragments the verdict must contain: the failing input and what went wrong)
WRONG = {
    "linear_backward: no bias grad": (
        "linear_backward",
        lambda x, W, dy: (dy @ W, dy.T @ x),
        ["W = [[1. 0. 0.] [0. 1. 0.]]", "expected a tuple of 3 (dx, dW, db), got a tuple of 2"],
    ),
    "linear_backward: W not transposed": (
        "linear_backward",
        lambda x, W, dy: (dy @ W, x.T @ dy, dy.sum(axis=0)),
        ["dW: expected an array of shape (2, 3), got shape (3, 2) (the transpose"],
    ),
    "linear_backward: mean for db": (
        "linear_backward",
        lambda x, W, dy: (dy @ W, dy.T @ x, dy.mean(axis=0)),
        ["x of shape (4, 3)", "db: expected"],
    ),
    "linear_backward: dx with W.T": (
        "linear_backward",
        lambda x, W, dy: (dy @ W.T if W.shape[0] == W.shape[1] else dy @ W, dy.T @ x, dy.sum(axis=0)),
        ["W of shape (3, 3)", "dx: at [0, 0], expected"],
    ),
    "numerical_gradient: forward difference": (
        "numerical_gradient",
        forward_difference,
        ["f(x) = Σ x³, x = [1. 2.], eps = 0.5", "expected [3.25 12.25], got [4.75 15.25]"],
    ),
    "numerical_gradient: ignores eps": (
        "numerical_gradient",
        lambda f, x, eps: numerical_gradient_solution(f, x, 1e-5),
        ["eps = 0.5", "got [3. 12.]"],
    ),
    "numerical_gradient: by rows": ("numerical_gradient", gradient_by_rows, ["f(x) = Σ c·x²", "expected [["]),
    "numerical_gradient: x not restored": (
        "numerical_gradient",
        gradient_without_restore,
        ["changed its input x in place"],
    ),
    "two_layer_net: no ReLU derivative": (
        "two_layer_net",
        two_layer_with("no relu derivative"),
        ["X = [[1. -1. 2.]]", "dW1: expected [[0.824 -0.824 1.6479] [0. 0. 0.]]", "leaves out the ReLU's derivative"],
    ),
    "two_layer_net: times A1": (
        "two_layer_net",
        two_layer_with("times A1"),
        ["X of shape (5, 3)", "dW1: at", "multiplies dA1 by the ReLU's output A1"],
    ),
    "two_layer_net: no 1/N": (
        "two_layer_net",
        two_layer_with("no 1/N"),
        ["X of shape (5, 3)", "dW1: at", "dW1 is N = 5 times too large", "(P − Y) / N"],
    ),
    "two_layer_net: 1/N twice": (
        "two_layer_net",
        two_layer_with("1/N twice"),
        ["X of shape (5, 3)", "dW2: at", "dW2 is N = 5 times too small: divided by N twice?"],
    ),
    "two_layer_net: db2 as a mean": (
        "two_layer_net",
        two_layer_with("db2 mean"),
        ["X of shape (5, 3)", "db2: expected", "db is a sum over the batch"],
    ),
    "two_layer_net: db2 keeps its dims": (
        "two_layer_net",
        two_layer_with("db2 keepdims"),
        ["db2: expected an array of shape (2,), got shape (1, 2)", "must have the shape of b2"],
    ),
    "two_layer_net: sign": (
        "two_layer_net",
        two_layer_with("Y - P"),
        ["X = [[1. -1. 2.]]", "dW1: expected", "has the wrong sign"],
    ),
    "two_layer_net: P without Y": (
        "two_layer_net",
        two_layer_with("no minus Y"),
        ["X = [[1. -1. 2.]]", "dW2: expected", "subtract 1 at each example's true class"],
    ),
    "two_layer_net: X.T @ dZ1": (
        "two_layer_net",
        two_layer_with("X.T @ dZ1"),
        [
            "dW1: expected an array of shape (2, 3), got shape (3, 2)",
            "X = [[1. -1. 2.]]",
            "dW1 = dZ.T @ X, not X.T @ dZ",
        ],
    ),
    "two_layer_net: transposed values in a square dW1": (
        "two_layer_net",
        two_layer_with("dW1 transposed values"),
        ["X of shape (6, 4)", "dW1: at", "dW1 is transposed"],
    ),
    "two_layer_net: loss summed": (
        "two_layer_net",
        two_layer_with("sum loss"),
        ["X of shape (5, 3)", "loss: expected", "the loss is N = 5 times too large"],
    ),
    "two_layer_net: log of softmax": (
        "two_layer_net",
        two_layer_with("naive softmax"),
        ["emitted RuntimeWarning", "subtract each row's maximum"],
    ),
    "residual_backward: no skip path": (
        "residual_backward",
        residual_with("no skip"),
        ["x = [[1. 2.]], W = [[0. 0.] [0. 0.]]", "dx: expected [[1. -1.]], got [[0. 0.]]", "misses the skip path"],
    ),
    "residual_backward: skip path only": (
        "residual_backward",
        residual_with("skip only"),
        ["W = [[2. 0.] [0. 1.]]", "dx: expected [[3. -2.]], got [[1. -1.]]", "has only the skip path"],
    ),
    "residual_backward: no tanh derivative": (
        "residual_backward",
        residual_with("no tanh derivative"),
        ["x of shape (4, 3)", "dx: at", "leaves out tanh's derivative"],
    ),
    "residual_backward: W.T": (
        "residual_backward",
        residual_with("W.T"),
        ["x of shape (4, 3)", "dx: at", "dZ @ W, not dZ @ W.T"],
    ),
    "residual_backward: skip path in dW": (
        "residual_backward",
        residual_with("skip in dW"),
        ["W = [[0. 0.] [0. 0.]]", "dW: expected", "the skip path adds to dx only"],
    ),
    "residual_backward: db as a mean": (
        "residual_backward",
        residual_with("db mean"),
        ["x of shape (4, 3)", "db: expected", "db is a sum over the batch"],
    ),
}

# A subtly wrong reference per exercise; each must break one of the checker's hand-computed cases.
BUGGY_REFERENCES = {
    "linear_backward": lambda x, W, dy: (dy @ W, dy.T @ x, dy.sum(axis=0) * 2),
    "numerical_gradient": forward_difference,
    "two_layer_net": two_layer_with("no relu derivative"),
    "residual_backward": residual_with("no skip"),
}


(
    test_correct_solution_passes,
    test_nnkit_reference_passes_its_own_checker,
    test_wrong_solution_fails_and_names_the_input,
    test_checker_catches_a_wrong_reference,
) = checker_tests(CORRECT, WRONG, BUGGY_REFERENCES)


def test_the_diagnosis_of_a_strange_answer_falls_back_to_the_hint(capsys):
    def ragged(X, y, W1, b1, W2, b2):
        loss, dW1, db1, dW2, db2 = two_layer_net(X, y, W1, b1, W2, b2)
        return loss, [[1.0], [2.0, 3.0]], db1, dW2, db2  # no array can hold it

    verdict = check.two_layer_net(ragged)
    assert not verdict
    assert "Hint: forward: Z1 = X @ W1.T + b1" in verdict.message
    capsys.readouterr()


def test_a_diagnosis_names_only_typical_mistakes(capsys):
    def noisy(X, y, W1, b1, W2, b2):
        loss, dW1, db1, dW2, db2 = two_layer_net(X, y, W1, b1, W2, b2)
        return loss, dW1 + 0.1, db1, dW2, db2

    verdict = check.two_layer_net(noisy)
    assert "dW1: expected" in verdict.message and "Hint: forward: Z1 = X @ W1.T + b1" in verdict.message
    capsys.readouterr()
