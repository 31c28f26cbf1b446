"""Checkers for the exercises of Chapter 12 (ch12_recurrent.ipynb): one step of a GRU, with
PyTorch's gate order and reset gate, and backpropagation through time for a plain RNN whose loss
reads the output at every step."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..recurrent import GRU, RNN
from ._compare import Array, Case, Exercise, Verdict, arrays, run

__all__ = ["EXERCISES", "Checks"]


def _close(got: Any, want: Any) -> bool:
    g, w = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    return g.shape == w.shape and bool(np.allclose(g, w, rtol=1e-6, atol=1e-9))


def _sigmoid(a: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-a))


# ---------------------------------------------------------------- one step of a GRU


def _gru_reference(
    x: np.ndarray, h: np.ndarray, W_ih: np.ndarray, W_hh: np.ndarray, b_ih: np.ndarray, b_hh: np.ndarray
) -> np.ndarray:
    """nnkit's GRU, one layer, one step from the state h, in float64."""
    d_in, d_h = np.shape(x)[1], np.shape(h)[1]
    gru = GRU(d_in, d_h, dtype=np.float64, rng=0)  # rng=0: nnkit's default generator untouched
    weights = dict(weight_ih_l0=W_ih, weight_hh_l0=W_hh, bias_ih_l0=b_ih, bias_hh_l0=b_hh)
    gru.load_state_dict({k: np.asarray(v, dtype=np.float64) for k, v in weights.items()})
    _, h_n = gru(np.asarray(x, dtype=np.float64)[None], np.asarray(h, dtype=np.float64)[None])
    return h_n[0]


def _gru_by_hand(
    x: np.ndarray,
    h: np.ndarray,
    W_ih: np.ndarray,
    W_hh: np.ndarray,
    b_ih: np.ndarray,
    b_hh: np.ndarray,
    mistake: str,
) -> np.ndarray:
    """One GRU step with one typical mistake (the diagnoses compare the reader's answer with these)."""
    ax_r, ax_z, ax_n = np.split(x @ W_ih.T + b_ih, 3, axis=1)
    ah_r, ah_z, ah_n = np.split(h @ W_hh.T + b_hh, 3, axis=1)
    if mistake == "order z, r":  # the first block read as the update gate
        ax_r, ax_z, ah_r, ah_z = ax_z, ax_r, ah_z, ah_r
    r, z = _sigmoid(ax_r + ah_r), _sigmoid(ax_z + ah_z)
    W_hn, b_hn = np.split(W_hh, 3)[2], np.split(b_hh, 3)[2]
    if mistake == "reset before W_hn":  # Cho et al. (2014): W_hn (r ⊙ h) + b_hn
        n = np.tanh(ax_n + (r * h) @ W_hn.T + b_hn)
    elif mistake == "reset without b_hn":  # r ⊙ (W_hn h) + b_hn
        n = np.tanh(ax_n + r * (h @ W_hn.T) + b_hn)
    elif mistake == "no reset":
        n = np.tanh(ax_n + ah_n)
    elif mistake == "sigmoid candidate":
        n = _sigmoid(ax_n + r * ah_n)
    else:
        n = np.tanh(ax_n + r * ah_n)
    if mistake == "z swapped":
        return z * n + (1 - z) * h
    return (1 - z) * n + z * h


_GRU_MISTAKES = {
    "z swapped": "the update gate is the fraction of the old state that is kept: h' = (1 − z) ⊙ n + z ⊙ h "
    "(PyTorch's convention; some texts swap z and 1 − z)",
    "order z, r": "the gates are stacked in PyTorch's order r, z, n: the first d_h rows of W_ih and W_hh "
    "belong to the reset gate, the next d_h to the update gate",
    "reset before W_hn": "this is Cho et al.'s candidate, W_hn (r ⊙ h) + b_hn; PyTorch (and nnkit) apply the "
    "reset gate after the product, bias included: r ⊙ (W_hn h + b_hn)",
    "reset without b_hn": "the reset gate multiplies the bias b_hn too: n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))",
    "no reset": "the candidate uses the reset gate: n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))",
    "sigmoid candidate": "the candidate n goes through tanh, not the sigmoid (only r and z are gates in [0, 1])",
}


def _gru_diagnose(case: Case, want: Any, got: Any) -> str | None:
    args = {k: np.asarray(v, dtype=np.float64) for k, v in case.args.items()}
    got = np.asarray(got, dtype=np.float64)
    if got.shape != np.shape(want):
        if got.shape == np.shape(want)[::-1]:
            return "h' has the shape of h, (N, d_h): the batch is the first axis"
        return f"h' has the shape of h, {np.shape(want)}: one new state per sequence"
    for mistake, hint in _GRU_MISTAKES.items():
        variant = _gru_by_hand(**args, mistake=mistake)
        if _close(got, variant) and not _close(variant, want):
            return hint
    return None


def _gru_args(x: Any, h: Any, W_ih: Any, W_hh: Any, b_ih: Any, b_hh: Any) -> dict[str, Any]:
    return arrays(x=x, h=h, W_ih=W_ih, W_hh=W_hh, b_ih=b_ih, b_hh=b_hh)


def _gru_cases(rng: np.random.Generator) -> list[Case]:
    def random(n: int, d_in: int, d_h: int) -> Case:
        return Case(
            "random inputs" if n > 1 and d_in > 1 else "shapes",
            _gru_args(
                rng.normal(size=(n, d_in)),
                rng.normal(size=(n, d_h)),
                rng.normal(size=(3 * d_h, d_in)),
                rng.normal(size=(3 * d_h, d_h)),
                rng.normal(size=3 * d_h),
                rng.normal(size=3 * d_h),
            ),
        )

    log3 = math.log(3.0)
    # One unit. z = σ(log 3) = 3/4 (no input, no state in it), r = σ(0) = 1/2, and the candidate
    # n = tanh(1 · 0.5) = tanh(0.5): h' = (1 − z) n + z h = tanh(0.5) / 4 + 3/4 · 1.
    keep_three_quarters = _gru_args(
        [[0.5]], [[1.0]], [[0.0], [0.0], [1.0]], [[0.0], [0.0], [0.0]], [0.0, log3, 0.0], [0.0, 0.0, 0.0]
    )
    # Two units. r = σ(∓log 3) = (1/4, 3/4), z = σ(0) = 1/2, x = 0, h = (1, −1), W_hn swaps the units and
    # doubles them, b_hn = 0.5: W_hn h + b_hn = (−1.5, 2.5), n = tanh(r ⊙ (−1.5, 2.5)) = tanh(−0.375, 1.875),
    # h' = n / 2 + h / 2. (A reset gate that differs between the units tells apart the places it can go.)
    swap = [[0.0, 0.0]] * 4 + [[0.0, 2.0], [2.0, 0.0]]
    reset = _gru_args([[0.0]], [[1.0, -1.0]], [[0.0]] * 6, swap, [-log3, log3, 0, 0, 0, 0], [0, 0, 0, 0, 0.5, 0.5])
    return [
        Case("known values", keep_three_quarters, [[math.tanh(0.5) / 4 + 0.75]]),
        Case("known values", reset, [[math.tanh(-0.375) / 2 + 0.5, math.tanh(1.875) / 2 - 0.5]]),
        random(4, 3, 5),
        random(2, 2, 3),
        random(1, 4, 2),  # one sequence
        random(3, 1, 4),  # one input feature, as on MNIST-1D
    ]


GRU_STEP = Exercise(
    "gru_step",
    _gru_reference,
    _gru_cases,
    hint="split x @ W_ih.T + b_ih and h @ W_hh.T + b_hh into three blocks in the order r, z, n; r = σ(·), "
    "z = σ(·), n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)), h' = (1 − z) ⊙ n + z ⊙ h.",
    diagnose=_gru_diagnose,
)


# ---------------------------------------------------------------- backpropagation through time

_BPTT_OUTPUTS = ("dx", "dh0", "dW_ih", "dW_hh", "db")


def _bptt_reference(
    x: np.ndarray,
    h0: np.ndarray,
    W_ih: np.ndarray,
    W_hh: np.ndarray,
    b_ih: np.ndarray,
    b_hh: np.ndarray,
    grad_output: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """nnkit's RNN (tanh, one layer, time first) in float64: forward from h0, backward from grad_output."""
    d_in, d_h = np.shape(x)[2], np.shape(h0)[1]
    rnn = RNN(d_in, d_h, dtype=np.float64, rng=0)
    weights = dict(weight_ih_l0=W_ih, weight_hh_l0=W_hh, bias_ih_l0=b_ih, bias_hh_l0=b_hh)
    rnn.load_state_dict({k: np.asarray(v, dtype=np.float64) for k, v in weights.items()})
    rnn(np.asarray(x, dtype=np.float64), np.asarray(h0, dtype=np.float64)[None])
    dx, dh0 = rnn.backward(np.asarray(grad_output, dtype=np.float64))
    return dx, dh0[0], rnn.weight_ih_l0.grad, rnn.weight_hh_l0.grad, rnn.bias_ih_l0.grad


def _bptt_by_hand(
    x: np.ndarray,
    h0: np.ndarray,
    W_ih: np.ndarray,
    W_hh: np.ndarray,
    b_ih: np.ndarray,
    b_hh: np.ndarray,
    grad_output: np.ndarray,
    mistake: str,
) -> tuple[np.ndarray, ...]:
    """BPTT with one typical mistake (the diagnoses compare the reader's answer with these)."""
    states, h = [], h0
    for x_t in x:
        h = np.tanh(x_t @ W_ih.T + b_ih + h @ W_hh.T + b_hh)
        states.append(h)
    hs = np.stack([h0, *states])  # h_0, ..., h_T
    dx, dW_ih, dW_hh, db = np.zeros_like(x), np.zeros_like(W_ih), np.zeros_like(W_hh), np.zeros_like(b_ih)
    carry = np.zeros_like(h0)  # ∂L/∂h_t from the steps after t
    for t in range(len(x) - 1, -1, -1):
        direct = grad_output[t] if mistake != "last output only" or t == len(x) - 1 else 0.0
        dh = direct if mistake == "no recurrent term" else direct + carry
        delta = dh if mistake == "no tanh'" else dh * (1 - hs[t + 1] ** 2)
        dW_ih += delta.T @ x[t]
        dW_hh += delta.T @ (hs[t + 1] if mistake == "h_t in dW_hh" else hs[t])
        db += delta.sum(axis=0)
        dx[t] = delta @ W_ih
        carry = delta @ W_hh
    if mistake == "both biases":
        db = 2 * db
    return dx, carry, dW_ih, dW_hh, db


_BPTT_MISTAKES = {
    "no recurrent term": "∂L/∂h_t has two terms, the direct one and W_hh.T δ_{t+1} from the next step: "
    "dh = grad_output[t] + delta_next @ W_hh",
    "last output only": "the loss reads the output at every step: add grad_output[t] at every t, not only at t = T",
    "no tanh'": "δ_t = ∂L/∂z_t = ∂L/∂h_t ⊙ (1 − h_t²): multiply by the derivative of tanh before going on",
    "h_t in dW_hh": "W_hh multiplies the previous state: dW_hh += δ_t.T @ h_{t−1}, not h_t",
    "both biases": "db is the gradient of one bias (each of b_ih and b_hh gets Σ δ_t); it is not their sum",
}


def _bptt_diagnose(case: Case, want: Any, got: Any) -> str | None:
    args = {k: np.asarray(v, dtype=np.float64) for k, v in case.args.items()}
    parts = [np.asarray(g, dtype=np.float64) for g in got]
    for name, w, g in zip(_BPTT_OUTPUTS, want, parts):
        if g.shape != np.shape(w):
            return f"{name} has the shape of {name[1:]}, {np.shape(w)}"
        if name.startswith("dW") and g.ndim == 2 and g.shape[0] == g.shape[1] and not _close(g, w) and _close(g, w.T):
            return f"{name} is transposed: it has the layout of {name[1:]}, (out, in), Σ_t δ_t.T @ (input of the step)"
    for mistake, hint in _BPTT_MISTAKES.items():
        variant = _bptt_by_hand(**args, mistake=mistake)
        wrong = [not _close(v, w) for v, w in zip(variant, want)]
        if any(wrong) and all(_close(g, v) for g, v, bad in zip(parts, variant, wrong) if bad):
            return hint
    return None


def _bptt_args(x: Any, h0: Any, W_ih: Any, W_hh: Any, b_ih: Any, b_hh: Any, grad_output: Any) -> dict[str, Any]:
    return arrays(x=x, h0=h0, W_ih=W_ih, W_hh=W_hh, b_ih=b_ih, b_hh=b_hh, grad_output=grad_output)


def _two_steps(direct_first: float) -> tuple[dict[str, Any], tuple[Any, ...]]:
    """One unit, two steps, by hand: W_ih = 1, W_hh = 1/2, no bias, h_0 = 0, x = (1, 0);
    the loss reads h_2 (gradient 1) and, with weight ``direct_first``, h_1."""
    h1 = math.tanh(1.0)
    h2 = math.tanh(0.5 * h1)
    delta2 = 1 - h2**2
    delta1 = (direct_first + 0.5 * delta2) * (1 - h1**2)
    args = _bptt_args([[[1.0]], [[0.0]]], [[0.0]], [[1.0]], [[0.5]], [0.0], [0.0], [[[direct_first]], [[1.0]]])
    # dx_t = W_ih δ_t; dh_0 = W_hh δ_1; dW_ih = δ_1 x_1 + δ_2 x_2; dW_hh = δ_1 h_0 + δ_2 h_1; db = δ_1 + δ_2
    expect = ([[[delta1]], [[delta2]]], [[0.5 * delta1]], [[delta1]], [[delta2 * h1]], [delta1 + delta2])
    return args, expect


def _bptt_cases(rng: np.random.Generator) -> list[Case]:
    def random(steps: int, n: int, d_in: int, d_h: int, label: str, last_only: bool = False) -> Case:
        grad_output = rng.normal(size=(steps, n, d_h))
        if last_only:
            grad_output[:-1] = 0.0
        args = _bptt_args(
            rng.normal(size=(steps, n, d_in)),
            rng.normal(size=(n, d_h)),
            rng.normal(size=(d_h, d_in)),
            rng.normal(size=(d_h, d_h)) / math.sqrt(d_h),
            rng.normal(size=d_h),
            rng.normal(size=d_h),
            grad_output,
        )
        return Case(label, args)

    last_only, last_only_expect = _two_steps(0.0)
    every_step, every_step_expect = _two_steps(1.0)
    return [
        Case("known values", last_only, last_only_expect),
        Case("known values", every_step, every_step_expect),
        random(5, 3, 2, 4, "random inputs"),
        random(6, 2, 3, 3, "random inputs", last_only=True),  # a classifier's loss: h_T only
        random(1, 2, 2, 3, "shapes"),  # one step
        random(4, 1, 1, 2, "shapes"),  # one sequence, one input feature
    ]


RNN_BPTT = Exercise(
    "rnn_bptt",
    _bptt_reference,
    _bptt_cases,
    hint="run the loop forward, keeping h_0, ..., h_T; then backwards from t = T: dh = grad_output[t] + "
    "(delta_next @ W_hh), delta = dh * (1 − h_t²), dW_ih += delta.T @ x_t, dW_hh += delta.T @ h_{t−1}, "
    "db += delta.sum(0), dx_t = delta @ W_ih; at the end dh0 = delta_1 @ W_hh.",
    outputs=_BPTT_OUTPUTS,
    diagnose=_bptt_diagnose,
)


EXERCISES = (GRU_STEP, RNN_BPTT)


class Checks:
    """The checkers of this chapter's exercises, gathered into ``nnkit.exercises.check``."""

    def gru_step(self, fn: Callable[..., Array]) -> Verdict:
        """Check ``fn(x, h, W_ih, W_hh, b_ih, b_hh)``, one step of a GRU with PyTorch's gate order
        (r, z, n) and candidate ``n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))``: ``x (N, d_in)``,
        ``h (N, d_h)``, ``W_ih (3·d_h, d_in)``, ``W_hh (3·d_h, d_h)``, ``b_ih, b_hh (3·d_h,)``
        ``-> h' (N, d_h)``, against ``nnkit.GRU`` in float64.

        >>> import numpy as np
        >>> from nnkit.exercises import check
        >>> def swapped(x, h, W_ih, W_hh, b_ih, b_hh):     # z and 1 − z the other way round
        ...     sig = lambda a: 1 / (1 + np.exp(-a))
        ...     ax_r, ax_z, ax_n = np.split(x @ W_ih.T + b_ih, 3, axis=1)
        ...     ah_r, ah_z, ah_n = np.split(h @ W_hh.T + b_hh, 3, axis=1)
        ...     r, z = sig(ax_r + ah_r), sig(ax_z + ah_z)
        ...     n = np.tanh(ax_n + r * ah_n)
        ...     return z * n + (1 - z) * h
        >>> ok = check.gru_step(swapped)
        ✗ gru_step: for x = [[0.5]], h = [[1.]], W_ih = [[0.] [0.] [1.]], W_hh = [[0.] [0.] [0.]], b_ih =
        [0. 1.0986 0.], b_hh = [0. 0. 0.], expected [[0.8655]], got [[0.5966]]. Hint: the update gate is the
        fraction of the old state that is kept: h' = (1 − z) ⊙ n + z ⊙ h (PyTorch's convention; some texts swap
        z and 1 − z).
        """
        return run(GRU_STEP, fn)

    def rnn_bptt(self, fn: Callable[..., tuple[Array, ...]]) -> Verdict:
        """Check ``fn(x, h0, W_ih, W_hh, b_ih, b_hh, grad_output)``: backpropagation through time for a
        plain tanh RNN, ``x (T, N, d_in)``, ``h0 (N, d_h)``, ``grad_output (T, N, d_h)`` the gradient of
        the loss with respect to the output at every step, ``-> (dx, dh0, dW_ih, dW_hh, db)`` with
        ``db`` the gradient of either bias, against ``nnkit.RNN`` in float64.

        >>> import numpy as np
        >>> from nnkit.exercises import check
        >>> def last_step_only(x, h0, W_ih, W_hh, b_ih, b_hh, grad_output):   # the chapter's loop
        ...     states, h = [], h0
        ...     for x_t in x:
        ...         h = np.tanh(x_t @ W_ih.T + b_ih + h @ W_hh.T + b_hh)
        ...         states.append(h)
        ...     h_prev = [h0] + states[:-1]
        ...     dx, dW_ih, dW_hh, db = np.zeros_like(x), np.zeros_like(W_ih), np.zeros_like(W_hh), 0
        ...     dh = grad_output[-1]
        ...     for t in reversed(range(len(x))):
        ...         delta = dh * (1 - states[t] ** 2)
        ...         dW_ih, dW_hh = dW_ih + delta.T @ x[t], dW_hh + delta.T @ h_prev[t]
        ...         db, dx[t], dh = db + delta.sum(0), delta @ W_ih, delta @ W_hh
        ...     return dx, dh, dW_ih, dW_hh, db
        >>> ok = check.rnn_bptt(last_step_only)
        ✗ rnn_bptt: for x = [[[1.]] [[0.]]], h0 = [[0.]], W_ih = [[1.]], W_hh = [[0.5]], b_ih = [0.], b_hh =
        [0.], grad_output = [[[1.]] [[1.]]], dx: expected [[[0.6022]] [[0.8679]]], got [[[0.1823]] [[0.8679]]].
        Hint: the loss reads the output at every step: add grad_output[t] at every t, not only at t = T.
        """
        return run(RNN_BPTT, fn)
