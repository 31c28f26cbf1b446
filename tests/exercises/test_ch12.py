"""Tests for nnkit/exercises/ch12.py: one step of a GRU (PyTorch's gate order and reset gate), and
backpropagation through time for a plain RNN whose loss reads every step."""

from __future__ import annotations

import math

import numpy as np

from exercises.support import checker_tests
from nnkit.exercises import check
from nnkit.gradcheck import numerical_gradient


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def gru_step(x, h, W_ih, W_hh, b_ih, b_hh, *, mistake=None):
    """A reader's GRU step, right or with one mistake."""
    d_h = h.shape[1]
    gi, gh = x @ W_ih.T + b_ih, h @ W_hh.T + b_hh
    first, second = slice(0, d_h), slice(d_h, 2 * d_h)
    if mistake == "order z, r":
        first, second = second, first
    r = sigmoid(gi[:, first] + gh[:, first])
    z = sigmoid(gi[:, second] + gh[:, second])
    W_hn, b_hn = W_hh[2 * d_h :], b_hh[2 * d_h :]
    if mistake == "reset before W_hn":
        n = np.tanh(gi[:, 2 * d_h :] + (r * h) @ W_hn.T + b_hn)
    elif mistake == "reset without b_hn":
        n = np.tanh(gi[:, 2 * d_h :] + r * (h @ W_hn.T) + b_hn)
    elif mistake == "sigmoid candidate":
        n = sigmoid(gi[:, 2 * d_h :] + r * gh[:, 2 * d_h :])
    else:
        n = np.tanh(gi[:, 2 * d_h :] + r * gh[:, 2 * d_h :])
    if mistake == "z swapped":
        return z * n + (1 - z) * h
    if mistake == "transposed":
        return ((1 - z) * n + z * h).T
    return (1 - z) * n + z * h


def rnn_bptt(x, h0, W_ih, W_hh, b_ih, b_hh, grad_output, *, mistake=None):
    """A reader's BPTT for a plain tanh RNN, right or with one mistake."""
    hs = [h0]
    for x_t in x:
        hs.append(np.tanh(x_t @ W_ih.T + b_ih + hs[-1] @ W_hh.T + b_hh))
    dx = np.zeros_like(x)
    dW_ih, dW_hh, db = np.zeros_like(W_ih), np.zeros_like(W_hh), np.zeros_like(b_ih)
    dh_next = np.zeros_like(h0)
    for t in reversed(range(len(x))):
        if mistake == "last output only":
            dh = (grad_output[t] if t == len(x) - 1 else 0) + dh_next
        elif mistake == "no recurrent term":
            dh = grad_output[t]
        else:
            dh = grad_output[t] + dh_next
        delta = dh if mistake == "no tanh'" else dh * (1 - hs[t + 1] ** 2)
        dW_ih += delta.T @ x[t]
        dW_hh += delta.T @ (hs[t + 1] if mistake == "h_t" else hs[t])
        db += delta.sum(axis=0)
        dx[t] = delta @ W_ih
        dh_next = delta @ W_hh
    if mistake == "transposed":
        dW_hh = dW_hh.T
    if mistake == "both biases":
        db = 2 * db
    return dx, dh_next, dW_ih, dW_hh, db


def rnn_bptt_numerical(x, h0, W_ih, W_hh, b_ih, b_hh, grad_output):
    """The same gradients by finite differences of L = Σ_t Σ grad_output[t] ⊙ h_t: slow, and right."""

    def loss(x, h0, W_ih, W_hh, b_ih, b_hh):
        h, total = h0, 0.0
        for t, x_t in enumerate(x):
            h = np.tanh(x_t @ W_ih.T + b_ih + h @ W_hh.T + b_hh)
            total += float(np.sum(grad_output[t] * h))
        return total

    args = [x, h0, W_ih, W_hh, b_ih, b_hh]

    def grad_of(i):
        return numerical_gradient(lambda v: loss(*args[:i], v, *args[i + 1 :]), args[i], eps=1e-6)

    return grad_of(0), grad_of(1), grad_of(2), grad_of(3), grad_of(4)


CORRECT = {"gru_step": gru_step, "rnn_bptt": rnn_bptt}


def gru_with(mistake):
    return lambda x, h, W_ih, W_hh, b_ih, b_hh: gru_step(x, h, W_ih, W_hh, b_ih, b_hh, mistake=mistake)


def bptt_with(mistake):
    return lambda x, h0, W_ih, W_hh, b_ih, b_hh, g: rnn_bptt(x, h0, W_ih, W_hh, b_ih, b_hh, g, mistake=mistake)


KNOWN_GRU = "x = [[0.5]], h = [[1.]]"
RESET_GRU = "x = [[0.]], h = [[1. -1.]]"
LAST_ONLY = "grad_output = [[[0.]] [[1.]]]"
EVERY_STEP = "grad_output = [[[1.]] [[1.]]]"

# (exercise, the reader's function, fragments the verdict must contain: the failing input and what went wrong)
WRONG = {
    "gru_step: z and 1 − z swapped": (
        "gru_step",
        gru_with("z swapped"),
        [KNOWN_GRU, "expected [[0.8655]], got [[0.5966]]", "fraction of the old state that is kept"],
    ),
    "gru_step: gate order z, r": (
        "gru_step",
        gru_with("order z, r"),
        [KNOWN_GRU, "expected [[0.8655]]", "PyTorch's order r, z, n"],
    ),
    "gru_step: reset before W_hn (Cho et al.)": (
        "gru_step",
        gru_with("reset before W_hn"),
        [RESET_GRU, "Cho et al.'s candidate"],
    ),
    "gru_step: reset gate leaves out b_hn": (
        "gru_step",
        gru_with("reset without b_hn"),
        [RESET_GRU, "expected [[0.3208 -0.023]], got [[0.5 -0.018]]", "multiplies the bias b_hn too"],
    ),
    "gru_step: sigmoid candidate": (
        "gru_step",
        gru_with("sigmoid candidate"),
        [KNOWN_GRU, "goes through tanh, not the sigmoid"],
    ),
    "gru_step: transposed output": (
        "gru_step",
        gru_with("transposed"),
        [RESET_GRU, "expected an array of shape (1, 2), got shape (2, 1)", "the batch is the first axis"],
    ),
    "rnn_bptt: last output only": (
        "rnn_bptt",
        bptt_with("last output only"),
        [EVERY_STEP, "dx: expected [[[0.6022]] [[0.8679]]], got [[[0.1823]] [[0.8679]]]", "at every step"],
    ),
    "rnn_bptt: no recurrent term": (
        "rnn_bptt",
        bptt_with("no recurrent term"),
        [LAST_ONLY, "dx: expected", "two terms"],
    ),
    "rnn_bptt: no tanh'": (
        "rnn_bptt",
        bptt_with("no tanh'"),
        [LAST_ONLY, "dx: expected", "derivative of tanh"],
    ),
    "rnn_bptt: h_t in dW_hh": (
        "rnn_bptt",
        bptt_with("h_t"),
        [LAST_ONLY, "dW_hh: expected", "h_{t−1}, not h_t"],
    ),
    "rnn_bptt: dW_hh transposed": (
        "rnn_bptt",
        bptt_with("transposed"),
        ["x of shape (5, 3, 2)", "dW_hh: at [", "dW_hh is transposed"],
    ),
    "rnn_bptt: the two biases added": (
        "rnn_bptt",
        bptt_with("both biases"),
        [LAST_ONLY, "db: expected", "not their sum"],
    ),
}

# A subtly wrong reference per exercise; each must break one of the checker's hand-computed cases.
BUGGY_REFERENCES = {
    "gru_step": gru_with("z swapped"),
    "rnn_bptt": bptt_with("last output only"),
}


(
    test_correct_solution_passes,
    test_nnkit_reference_passes_its_own_checker,
    test_wrong_solution_fails_and_names_the_input,
    test_checker_catches_a_wrong_reference,
) = checker_tests(CORRECT, WRONG, BUGGY_REFERENCES)


def test_the_correct_bptt_matches_finite_differences():
    # the answers that pass the checker, recomputed without a backward pass (and without nnkit)
    rng = np.random.default_rng(1)
    args = (
        rng.normal(size=(4, 2, 2)),
        rng.normal(size=(2, 3)),
        rng.normal(size=(3, 2)),
        rng.normal(size=(3, 3)) / 2,
        rng.normal(size=3),
        rng.normal(size=3),
        rng.normal(size=(4, 2, 3)),
    )
    for mine, numerical in zip(rnn_bptt(*args), rnn_bptt_numerical(*args)):
        assert np.allclose(mine, numerical, rtol=1e-6, atol=1e-8)


def test_the_hand_computed_gru_cases_are_right():
    log3 = math.log(3.0)
    x, h = np.array([[0.5]]), np.array([[1.0]])
    W_ih, W_hh = np.array([[0.0], [0.0], [1.0]]), np.zeros((3, 1))
    assert np.isclose(sigmoid(log3), 0.75)  # the update gate of the first case
    got = gru_step(x, h, W_ih, W_hh, np.array([0.0, log3, 0.0]), np.zeros(3))
    assert np.isclose(got[0, 0], math.tanh(0.5) / 4 + 0.75)


def test_an_unfamiliar_wrong_answer_gets_the_general_hint(capsys):
    def off_by_a_bit(x, h, W_ih, W_hh, b_ih, b_hh):
        return gru_step(x, h, W_ih, W_hh, b_ih, b_hh) + 0.01

    verdict = check.gru_step(off_by_a_bit)
    assert not verdict and "Hint: split x @ W_ih.T + b_ih" in verdict.message
    capsys.readouterr()
