"""Checkers for the exercises of Chapter 4 (ch04_backprop.ipynb): a layer's backward, a numerical
gradient, the forward and backward pass of a 2-layer network, and the backward of a residual block."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import gradcheck
from ..activations import ReLU, Tanh
from ..layers import Linear
from ..losses import CrossEntropyLoss
from ..module import Sequential
from ._compare import Array, Case, Exercise, Named, Verdict, arrays, run

__all__ = ["EXERCISES", "Checks"]


def _linear_backward_reference(x: np.ndarray, W: np.ndarray, dy: np.ndarray) -> tuple[np.ndarray, ...]:
    layer = Linear(W.shape[1], W.shape[0], dtype=np.float64, rng=0)  # rng=0: nnkit's default generator untouched
    layer.weight.data = np.array(W, dtype=np.float64)
    layer(x)
    dx = layer.backward(dy)
    return dx, layer.weight.grad, layer.bias.grad


def _linear_backward_cases(rng: np.random.Generator) -> list[Case]:
    def random(n: int, d_in: int, d_out: int) -> dict[str, np.ndarray]:
        return arrays(x=rng.normal(size=(n, d_in)), W=rng.normal(size=(d_out, d_in)), dy=rng.normal(size=(n, d_out)))

    return [
        Case(
            "known values",
            arrays(x=[[1.0, 2.0, 3.0]], W=[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], dy=[[1.0, -1.0]]),
            ([[1.0, -1.0, 0.0]], [[1.0, 2.0, 3.0], [-1.0, -2.0, -3.0]], [1.0, -1.0]),
        ),
        Case("random inputs", random(4, 3, 2)),
        Case("shapes", random(5, 3, 3)),  # a square W: a transposed W has the right shape, not the right values
        Case("shapes", random(1, 4, 2)),  # one sample
        Case("shapes", random(0, 3, 2)),  # an empty batch: dW and db are zeros
    ]


LINEAR_BACKWARD = Exercise(
    "linear_backward",
    _linear_backward_reference,
    _linear_backward_cases,
    hint="for y = x @ W.T + b: dx = dy @ W (N, in), dW = dy.T @ x (out, in), db = dy.sum(axis=0) (out,).",
    outputs=("dx", "dW", "db"),
)


def _numerical_gradient_cases(rng: np.random.Generator) -> list[Case]:
    c = rng.normal(size=(2, 3))
    cube = Named("f(x) = Σ x³", lambda x: float(np.sum(x**3)))
    sines = Named("f(x) = Σ sin(x)", lambda x: float(np.sum(np.sin(x))))
    weighted = Named("f(x) = Σ c·x² (c a fixed (2, 3) array)", lambda x: float(np.sum(c * x**2)))
    log_sum_exp = Named("f(x) = log Σ exp(x)", lambda x: float(np.log(np.sum(np.exp(x)))))
    return [
        Case(
            "known values",
            arrays(f=cube, x=[1.0, 2.0], eps=0.5),
            [3.25, 12.25],
            hint="with eps = 0.5 the central difference of x³ is 3x² + eps²: use the eps you are given, both sides",
        ),
        Case("random inputs", arrays(f=sines, x=rng.normal(size=5), eps=1e-5)),
        Case("shapes", arrays(f=weighted, x=rng.normal(size=(2, 3)), eps=1e-5)),  # every element, not every row
        Case("coupled inputs", arrays(f=log_sum_exp, x=rng.normal(size=4), eps=1e-5)),
    ]


NUMERICAL_GRADIENT = Exercise(
    "numerical_gradient",
    lambda f, x, eps: gradcheck.numerical_gradient(f, x, eps),
    _numerical_gradient_cases,
    hint="grad[i] = (f(x + eps·e_i) − f(x − eps·e_i)) / (2·eps) for every element i (loop over x.reshape(-1)); "
    "put x[i] back afterwards.",
    rtol=1e-6,
    atol=1e-8,
)


# ---------------------------------------------------------------- shared by the two diagnoses


def _factor(got: Any, want: Any) -> float | None:
    """The number k with got = k · want (to rounding), if there is one and want is not zero."""
    g, w = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    if g.shape != w.shape or not np.any(w):
        return None
    k = float(np.vdot(g, w) / np.vdot(w, w))
    return k if np.allclose(g, k * w, rtol=1e-6, atol=1e-10) else None


def _same(got: Any, want: Any) -> bool:
    g, w = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    return g.shape == w.shape and bool(np.allclose(g, w, rtol=1e-6, atol=1e-10))


def _first_wrong(names: tuple[str, ...], want: Any, got: Any) -> tuple[str, np.ndarray, np.ndarray] | None:
    """The first part of a tuple answer that is wrong, as (name, expected, got), or None."""
    if not isinstance(got, (tuple, list)) or len(got) != len(names):
        return None
    for name, w, g in zip(names, want, got):
        if not _same(g, w):
            return name, np.asarray(w, dtype=np.float64), np.asarray(g, dtype=np.float64)
    return None


def _scale_mistake(name: str, k: float | None, n: int, *, is_bias: bool) -> str | None:
    """Name a wrong gradient that is a multiple of the right one: a missing or doubled 1/N, a sign."""
    if k is None:
        return None
    if n > 1 and math.isclose(k, n, rel_tol=1e-6):
        return (
            f"{name} is N = {n} times too large: the loss is the mean over the N examples, so the gradient "
            "of the logits is (P − Y) / N, and the sums over the batch in dW and db need no further 1/N"
        )
    if n > 1 and math.isclose(k, 1 / n, rel_tol=1e-6):
        if is_bias:
            return f"{name} is N = {n} times too small: db is a sum over the batch, dZ.sum(axis=0), not a mean"
        return (
            f"{name} is N = {n} times too small: divided by N twice? (P − Y) / N already holds the 1/N of the "
            "mean, and dW = dZ.T @ A sums over the batch"
        )
    if math.isclose(k, -1.0, rel_tol=1e-6):
        return f"{name} has the wrong sign: the gradient of the loss, not its negative (P − Y: prediction minus truth)"
    return None


# ---------------------------------------------------------------- a 2-layer network, forward and backward


def _two_layer_reference(
    X: np.ndarray, y: np.ndarray, W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray
) -> tuple[Any, ...]:
    (d_h, d_in), C = W1.shape, W2.shape[0]
    net = Sequential(  # rng=0: nnkit's default generator untouched
        Linear(d_in, d_h, dtype=np.float64, rng=0), ReLU(), Linear(d_h, C, dtype=np.float64, rng=0)
    )
    net.load_state_dict({"0.weight": W1, "0.bias": b1, "2.weight": W2, "2.bias": b2})
    loss_fn = CrossEntropyLoss()
    loss = loss_fn(net(X), y)
    net.backward(loss_fn.backward())
    return loss, net[0].weight.grad, net[0].bias.grad, net[2].weight.grad, net[2].bias.grad


def _two_layer_by_hand(
    X: np.ndarray,
    y: np.ndarray,
    W1: np.ndarray,
    b1: np.ndarray,
    W2: np.ndarray,
    b2: np.ndarray,
    *,
    relu_grad: str = "mask",
    subtract_y: bool = True,
) -> dict[str, np.ndarray]:
    """The gradients with one typical mistake in the backward: ``relu_grad`` "none" (ReLU's
    derivative left out) or "output" (multiplied by A1), ``subtract_y=False`` (P / N for dZ2)."""
    Z1 = X @ W1.T + b1
    A1 = np.maximum(Z1, 0.0)
    Z2 = A1 @ W2.T + b2
    P = np.exp(Z2 - Z2.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    if subtract_y:
        P[np.arange(len(X)), y] -= 1.0
    dZ2 = P / len(X)
    dA1 = dZ2 @ W2
    dZ1 = {"mask": dA1 * (Z1 > 0), "none": dA1, "output": dA1 * A1}[relu_grad]
    return {"dW1": dZ1.T @ X, "db1": dZ1.sum(axis=0), "dW2": dZ2.T @ A1, "db2": dZ2.sum(axis=0)}


_TWO_LAYER_OUTPUTS = ("loss", "dW1", "db1", "dW2", "db2")
_PARAM_OF = {"dW1": "W1", "db1": "b1", "dW2": "W2", "db2": "b2"}


def _two_layer_diagnose(case: Case, want: Any, got: Any) -> str | None:
    wrong = _first_wrong(_TWO_LAYER_OUTPUTS, want, got)
    if wrong is None:
        return None
    name, w, g = wrong
    n = len(case.args["X"])
    if name == "loss":
        if g.size != 1:
            return f"the loss is one number, the mean over the batch; got an array of shape {g.shape}"
        k = _factor(g.reshape(()), w)
        if n > 1 and k is not None and math.isclose(k, n, rel_tol=1e-6):
            return f"the loss is N = {n} times too large: the mean of −log p over the batch, not the sum"
        return (
            "the loss is the mean over the batch of −log softmax(Z2)[n, y_n], with Z2 = relu(X @ W1.T + b1) @ W2.T + b2"
        )
    param = _PARAM_OF[name]
    if g.shape != w.shape:
        if g.ndim == 2 and g.shape == w.shape[::-1]:
            inputs = "A1" if name == "dW2" else "X"
            return f"{name} must have the shape of {param}, (out, in): {name} = dZ.T @ {inputs}, not {inputs}.T @ dZ"
        return f"{name} must have the shape of {param}, {w.shape}: sum over the batch axis, dZ.sum(axis=0)"
    if w.ndim == 2 and w.shape[0] == w.shape[1] and _same(g, w.T):
        inputs = "A1" if name == "dW2" else "X"
        return f"{name} is transposed: {name} = dZ.T @ {inputs} has the layout of {param}, (out, in)"
    scaled = _scale_mistake(name, _factor(g, w), n, is_bias=name.startswith("db"))
    if scaled is not None:
        return scaled
    args = {k: np.asarray(v) for k, v in case.args.items()}
    if _same(g, _two_layer_by_hand(**args, subtract_y=False)[name]):
        return f"{name} uses P / N for the gradient of the logits: subtract 1 at each example's true class, (P − Y) / N"
    if name in ("dW1", "db1"):
        if _same(g, _two_layer_by_hand(**args, relu_grad="none")[name]):
            return (
                f"{name} leaves out the ReLU's derivative: dZ1 = dA1 * (Z1 > 0), since relu'(z) is 1 where z > 0 "
                "and 0 elsewhere"
            )
        if _same(g, _two_layer_by_hand(**args, relu_grad="output")[name]):
            return f"{name} multiplies dA1 by the ReLU's output A1; multiply by its derivative, (Z1 > 0)"
    return None


def _two_layer_cases(rng: np.random.Generator) -> list[Case]:
    def random(n: int, d_in: int, d_h: int, c: int, scale: float = 1.0) -> dict[str, np.ndarray]:
        return arrays(
            X=rng.normal(size=(n, d_in)),
            y=rng.integers(0, c, size=n),
            W1=rng.normal(size=(d_h, d_in)),
            b1=rng.normal(0.0, 0.5, size=d_h),  # some units off for some examples: ReLU's derivative matters
            W2=scale * rng.normal(size=(c, d_h)),
            b2=rng.normal(0.0, 0.5, size=c),
        )

    g = 0.75 * math.log(3.0)  # the hand-computed case: P = (3/4, 1/4), the true class is 1
    stable = (
        "compute log p stably, as for the cross-entropy of the previous chapter: subtract each row's maximum "
        "from Z2 before exp, and take log p = Z2 − max − log Σ exp(Z2 − max)"
    )
    return [
        Case(
            "known values",
            arrays(
                X=[[1.0, -1.0, 2.0]],
                y=[1],
                W1=[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]],
                b1=[0.0, 0.0],
                W2=[[math.log(3.0), 1.0], [0.0, -1.0]],
                b2=[0.0, 0.0],
            ),
            (math.log(4.0), [[g, -g, 2 * g], [0.0, 0.0, 0.0]], [g, 0.0], [[0.75, 0.0], [-0.75, 0.0]], [0.75, -0.75]),
        ),
        Case("random inputs", random(5, 3, 4, 3)),
        Case("shapes", random(6, 4, 4, 2)),  # a square W1: a transposed dW1 has the right shape
        Case("shapes", random(7, 2, 8, 4)),
        Case("huge logits", random(4, 3, 5, 3, scale=500.0), hint=stable),
    ]


TWO_LAYER_NET = Exercise(
    "two_layer_net",
    _two_layer_reference,
    _two_layer_cases,
    hint="forward: Z1 = X @ W1.T + b1, A1 = relu(Z1), Z2 = A1 @ W2.T + b2, loss = mean of −log softmax(Z2)[n, y_n]; "
    "backward: dZ2 = (P − Y) / N, dW2 = dZ2.T @ A1, db2 = dZ2.sum(axis=0), dA1 = dZ2 @ W2, dZ1 = dA1 * (Z1 > 0), "
    "dW1 = dZ1.T @ X, db1 = dZ1.sum(axis=0).",
    outputs=_TWO_LAYER_OUTPUTS,
    diagnose=_two_layer_diagnose,
)


# ---------------------------------------------------------------- a residual block: two paths that add


def _residual_reference(x: np.ndarray, W: np.ndarray, b: np.ndarray, dy: np.ndarray) -> tuple[np.ndarray, ...]:
    d = W.shape[0]
    linear, tanh = Linear(d, d, dtype=np.float64, rng=0), Tanh()
    linear.load_state_dict({"weight": W, "bias": b})
    y = x + tanh(linear(x))  # noqa: F841 - the forward pass, for its saved values
    dx_through_f = linear.backward(tanh.backward(dy))
    return dy + dx_through_f, linear.weight.grad, linear.bias.grad


def _residual_diagnose(case: Case, want: Any, got: Any) -> str | None:
    wrong = _first_wrong(("dx", "dW", "db"), want, got)
    if wrong is None:
        return None
    name, w, g = wrong
    x, W, b, dy = (np.asarray(case.args[k], dtype=np.float64) for k in ("x", "W", "b", "dy"))
    A = np.tanh(x @ W.T + b)
    dZ = dy * (1.0 - A * A)
    if g.shape != w.shape:
        if name == "db":
            return "db has the shape of b, (d,): dZ.sum(axis=0), a sum over the batch"
        return f"{name} must have the shape of {'x' if name == 'dx' else 'W'}, {w.shape}"
    if name == "dx":
        if _same(g, dZ @ W):
            return "dx misses the skip path: x reaches y directly too, so its gradient adds dy to the path through f"
        if _same(g, dy):
            return "dx has only the skip path, dy: add the gradient through f, dZ @ W with dZ = dy * (1 − tanh²(z))"
        if _same(g, dy + dy @ W):
            return "the path through f leaves out tanh's derivative: dZ = dy * (1 − tanh²(z)), then dZ @ W"
        if _same(g, dy + dZ @ W.T):
            return "the path through f gives dZ @ W, not dZ @ W.T: W is (out, in), as in nnkit.Linear"
        return None
    if name == "dW":
        if _same(g, w + dy.T @ x):
            return "dW has a term from the skip path, which has no weights: the skip path adds to dx only"
        if _same(g, dy.T @ x):
            return "dW leaves out tanh's derivative: dW = dZ.T @ x with dZ = dy * (1 − tanh²(z))"
        if _same(g, w.T):
            return "dW is transposed: dW = dZ.T @ x has W's layout, (out, in)"
    if name == "db" and _same(g, dy.sum(axis=0)):
        return "db leaves out tanh's derivative: db = dZ.sum(axis=0) with dZ = dy * (1 − tanh²(z))"
    return _scale_mistake(name, _factor(g, w), len(x), is_bias=name == "db")


def _residual_cases(rng: np.random.Generator) -> list[Case]:
    def random(n: int, d: int) -> dict[str, np.ndarray]:
        return arrays(
            x=rng.normal(size=(n, d)),
            W=rng.normal(0.0, 0.7, size=(d, d)),
            b=rng.normal(0.0, 0.5, size=d),
            dy=rng.normal(size=(n, d)),
        )

    return [
        Case(  # z = 0: tanh'(0) = 1, and f adds nothing to y
            "known values",
            arrays(x=[[1.0, 2.0]], W=[[0.0, 0.0], [0.0, 0.0]], b=[0.0, 0.0], dy=[[1.0, -1.0]]),
            ([[1.0, -1.0]], [[1.0, 2.0], [-1.0, -2.0]], [1.0, -1.0]),
        ),
        Case(  # z = W x + b = 0 again, but now the path through f carries dy too
            "known values",
            arrays(x=[[1.0, 2.0]], W=[[2.0, 0.0], [0.0, 1.0]], b=[-2.0, -2.0], dy=[[1.0, -1.0]]),
            ([[3.0, -2.0]], [[1.0, 2.0], [-1.0, -2.0]], [1.0, -1.0]),
        ),
        Case("random inputs", random(4, 3)),
        Case("shapes", random(1, 5)),  # one example
        Case("shapes", random(0, 3)),  # an empty batch: dW and db are zeros
    ]


RESIDUAL_BACKWARD = Exercise(
    "residual_backward",
    _residual_reference,
    _residual_cases,
    hint="y = x + f(x) with f(x) = tanh(x @ W.T + b): the gradients of the two paths add, dx = dy + dZ @ W with "
    "dZ = dy * (1 − tanh²(x @ W.T + b)); dW = dZ.T @ x, db = dZ.sum(axis=0).",
    outputs=("dx", "dW", "db"),
    diagnose=_residual_diagnose,
)


EXERCISES = (
    LINEAR_BACKWARD,
    NUMERICAL_GRADIENT,
    TWO_LAYER_NET,
    RESIDUAL_BACKWARD,
)


class Checks:
    """The checkers of this chapter's exercises, gathered into ``nnkit.exercises.check``."""

    def linear_backward(self, fn: Callable[[Array, Array, Array], tuple[Array, Array, Array]]) -> Verdict:
        """Check ``fn(x, W, dy) -> (dx, dW, db)`` for ``y = x @ W.T + b`` with ``W (out, in)``, as in PyTorch.

        >>> from nnkit.exercises import check
        >>> ok = check.linear_backward(lambda x, W, dy: (dy @ W, x.T @ dy, dy.sum(axis=0)))
        ✗ linear_backward: for x = [[1. 2. 3.]], W = [[1. 0. 0.] [0. 1. 0.]], dy = [[1. -1.]], dW: expected an
        array of shape (2, 3), got shape (3, 2) (the transpose of the expected shape). Hint: for y = x @ W.T + b:
        dx = dy @ W (N, in), dW = dy.T @ x (out, in), db = dy.sum(axis=0) (out,).
        """
        return run(LINEAR_BACKWARD, fn)

    def numerical_gradient(self, fn: Callable[[Callable[[Array], float], Array, float], Array]) -> Verdict:
        """Check ``fn(f, x, eps)``, the central-difference gradient of a scalar ``f`` at ``x``.

        >>> from nnkit.exercises import check
        >>> from nnkit.gradcheck import numerical_gradient
        >>> ok = check.numerical_gradient(numerical_gradient)
        ✓ numerical_gradient: correct on 4 tests (known values, random inputs, shapes, coupled inputs)
        """
        return run(NUMERICAL_GRADIENT, fn)

    def two_layer_net(
        self, fn: Callable[[Array, Array, Array, Array, Array, Array], tuple[Any, Array, Array, Array, Array]]
    ) -> Verdict:
        """Check ``fn(X, y, W1, b1, W2, b2) -> (loss, dW1, db1, dW2, db2)``: the forward and backward
        pass of ``Linear → ReLU → Linear`` with the mean softmax cross-entropy, against nnkit's, in float64.

        A wrong gradient gets a hint that names the mistake when it is a typical one: a transposed
        shape, a missing or doubled 1/N, a wrong sign, a missing ReLU derivative.

        >>> import numpy as np
        >>> from nnkit.exercises import check
        >>> def no_relu_derivative(X, y, W1, b1, W2, b2):
        ...     Z1 = X @ W1.T + b1
        ...     A1 = np.maximum(Z1, 0)
        ...     Z2 = A1 @ W2.T + b2
        ...     Z2 = Z2 - Z2.max(axis=1, keepdims=True)
        ...     logp = Z2 - np.log(np.exp(Z2).sum(axis=1, keepdims=True))
        ...     N = len(X)
        ...     dZ2 = np.exp(logp)
        ...     dZ2[np.arange(N), y] -= 1
        ...     dZ2 /= N
        ...     dA1 = dZ2 @ W2
        ...     dZ1 = dA1                       # the mistake: no ReLU derivative
        ...     return (-logp[np.arange(N), y].mean(), dZ1.T @ X, dZ1.sum(axis=0),
        ...             dZ2.T @ A1, dZ2.sum(axis=0))
        >>> ok = check.two_layer_net(no_relu_derivative)
        ✗ two_layer_net: for X = [[1. -1. 2.]], y = [1], W1 = [[1. 0. 0.] [0. 1. 0.]], b1 = [0. 0.], W2 = [[1.0986
        1.] [0. -1.]], b2 = [0. 0.], dW1: expected [[0.824 -0.824 1.6479] [0. 0. 0.]], got [[0.824 -0.824 1.6479]
        [1.5 -1.5 3.]].
        Hint: dW1 leaves out the ReLU's derivative: dZ1 = dA1 * (Z1 > 0), since relu'(z) is 1 where z > 0 and 0
        elsewhere.
        """
        return run(TWO_LAYER_NET, fn)

    def residual_backward(self, fn: Callable[[Array, Array, Array, Array], tuple[Array, Array, Array]]) -> Verdict:
        """Check ``fn(x, W, b, dy) -> (dx, dW, db)`` for the residual block ``y = x + tanh(x @ W.T + b)``
        with a square ``W (d, d)``: where two paths add, so do their gradients.

        >>> import numpy as np
        >>> from nnkit.exercises import check
        >>> def through_f_only(x, W, b, dy):
        ...     dZ = dy * (1 - np.tanh(x @ W.T + b) ** 2)
        ...     return dZ @ W, dZ.T @ x, dZ.sum(axis=0)
        >>> ok = check.residual_backward(through_f_only)
        ✗ residual_backward: for x = [[1. 2.]], W = [[0. 0.] [0. 0.]], b = [0. 0.], dy = [[1. -1.]], dx: expected
        [[1. -1.]], got [[0. 0.]]. Hint: dx misses the skip path: x reaches y directly too, so its gradient adds dy
        to the path through f.
        """
        return run(RESIDUAL_BACKWARD, fn)
