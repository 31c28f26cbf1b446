"""Checkers for the chapters' coding exercises: ``check.<exercise>(your_function)``.

A checker calls your function on a fixed, seeded list of inputs (simple values first,
then random arrays, other shapes, float32 and extreme values), compares every answer
with nnkit's own implementation, and prints one line: ✓ and what was tested, or ✗ with
the first input that went wrong, what was expected, what your function returned, and a
hint. A wrong answer never raises, whatever your function does: raise, return ``None``
or the wrong shape, warn about an overflow, or change its input in place. The checker
raises :class:`CheckerBug` only when nnkit's own reference fails the checker's
hand-computed answers: that is our bug, not yours.

It returns a :class:`Verdict`, which is truthy when your function passed and shows
nothing in a notebook (the printed line is the cell's output), so a cell may end with
``check.relu(relu)``, and ``if check.relu(relu): ...`` works too.

At a kink the checkers follow PyTorch, as nnkit does: the derivative of ReLU at exactly 0
is 0. Any value in [0, 1] is a valid subgradient there, but a function that disagrees with
nnkit at 0 makes gradient tests against nnkit and PyTorch fail, so the checker insists and
says why.

>>> import numpy as np
>>> from nnkit.exercises import check
>>> def sigmoid_derivative(x):
...     return 1 / (1 + np.exp(-x))        # wrong: this is σ(x), not σ'(x)
>>> ok = check.sigmoid_derivative(sigmoid_derivative)
✗ sigmoid_derivative: for x = [0.], expected [0.25], got [0.5]. Hint: σ'(x) = σ(x)(1 − σ(x)).
>>> bool(ok)
False
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import functional as F
from . import gradcheck, optim
from .layers import Linear
from .losses import CrossEntropyLoss, MSELoss
from .module import Parameter

__all__ = ["CheckerBug", "Verdict", "check"]

SEED = 0  # every checker draws its random inputs from default_rng(SEED): same inputs, same verdict
SHOW = 6  # arrays with at most this many elements are printed whole in a verdict
FLOAT32_TOL = dict(rtol=1e-4, atol=1e-6)  # when any input is float32


class CheckerBug(RuntimeError):
    """nnkit's reference failed the checker's own hand-computed cases: a bug in nnkit."""


@dataclass(frozen=True)
class Verdict:
    """The outcome of one check: truthy if the function passed; ``message`` is the printed line."""

    exercise: str
    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"<Verdict {self.exercise}: {'passed' if self.passed else 'failed'}>"

    def _ipython_display_(self) -> None:
        """Show nothing in a notebook: the checker has printed the message already."""


@dataclass(frozen=True)
class Case:
    """One test input: ``args`` by name, in call order; those named in ``keywords`` go by keyword."""

    label: str  # the group named in the success message: "0", "shapes", "large |x|"
    args: dict[str, Any]
    expect: Any = None  # a hand-computed answer, which nnkit's reference must match too
    dtype: Any = None  # if set, the answer must have this dtype (float32 stays float32)
    hint: str = ""  # a hint for this case, instead of the exercise's
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class Exercise:
    """A checker's table: the reference, the cases, and how to compare answers."""

    name: str
    reference: Callable[..., Any]
    cases: Callable[[np.random.Generator], list[Case]]
    hint: str
    outputs: tuple[str, ...] = ()  # the parts of a tuple answer, e.g. ("dx", "dW", "db")
    scalar: bool = False  # the answer is one number (a loss)
    elementwise: bool = False  # answer[i] depends on x[i] only: name x[i] at a mismatch
    may_update_inputs: bool = False  # optimizer steps may update param in place
    rtol: float = 1e-6
    atol: float = 1e-10


class _Named:
    """A function with a readable repr for the verdicts, such as ``f(x) = Σ x³``."""

    def __init__(self, text: str, fn: Callable[[np.ndarray], float]) -> None:
        self.text, self.fn = text, fn

    def __call__(self, x: np.ndarray) -> float:
        return self.fn(x)

    def __repr__(self) -> str:
        return self.text


# ---------------------------------------------------------------- the shared runner


def run(exercise: Exercise, fn: Any) -> Verdict:
    """Check ``fn`` on every case of ``exercise``; print and return the verdict."""
    name = exercise.name
    if not callable(fn):
        return _verdict(
            exercise,
            False,
            f"✗ {name}: expected a function, got {_kind(fn)}. "
            f"Pass the function itself, without calling it: check.{name}(my_function).",
        )
    cases = exercise.cases(np.random.default_rng(SEED))
    answers = [_reference_answer(exercise, case) for case in cases]  # raises CheckerBug
    for case, want in zip(cases, answers):
        got, problem = _call(fn, case, exercise.may_update_inputs)
        if problem is not None:
            problem = f"your function {problem}"
        else:
            problem = _compare(exercise, case, want, got)
        if problem is not None:
            hint = (case.hint or exercise.hint).rstrip(".")
            return _verdict(exercise, False, f"✗ {name}: for {_describe(case)}, {problem}. Hint: {hint}.")
    labels = ", ".join(dict.fromkeys(case.label for case in cases))
    return _verdict(exercise, True, f"✓ {name}: correct on {len(cases)} tests ({labels})")


def _verdict(exercise: Exercise, passed: bool, message: str) -> Verdict:
    print(message)
    return Verdict(exercise.name, passed, message)


def _reference_answer(exercise: Exercise, case: Case) -> Any:
    """nnkit's answer for ``case``, after checking it against the case's own requirements."""
    out, problem = _call(exercise.reference, case, exercise.may_update_inputs)
    if problem is None:
        problem = _compare(exercise, case, out, out)  # the shape, the dtype
    if problem is None and not all(np.isfinite(np.asarray(part, dtype=np.float64)).all() for part in _parts(out)):
        problem = f"returned non-finite values: {out}"
    if problem is None and case.expect is not None:
        problem = _compare(exercise, case, case.expect, out)
    if problem is not None:
        raise CheckerBug(
            f"checker bug in check.{exercise.name} (not your fault; please report it): for {_describe(case)}, "
            f"nnkit's reference {problem}"
        )
    return out


def _call(fn: Callable[..., Any], case: Case, may_update_inputs: bool) -> tuple[Any, str | None]:
    """Call ``fn`` on fresh copies of the case's inputs: ``(answer, None)`` or ``(None, problem)``."""
    args = {k: np.array(v, copy=True) if isinstance(v, np.ndarray) else v for k, v in case.args.items()}
    positional = [v for k, v in args.items() if k not in case.keywords]
    keywords = {k: args[k] for k in case.keywords}
    loud = np.errstate(over="warn", divide="warn", invalid="warn", under="ignore")  # whatever np.seterr says
    with warnings.catch_warnings(record=True) as caught, loud:
        warnings.simplefilter("always")
        try:
            out = fn(*positional, **keywords)
        except Exception as exc:  # the reader's code may raise anything: that is a verdict, not a crash
            return None, f"raised {_exception_text(exc)}"
    numeric = [w for w in caught if issubclass(w.category, RuntimeWarning)]
    if numeric:
        return None, f"emitted RuntimeWarning: {numeric[0].message}"
    if not may_update_inputs:
        for key, original in case.args.items():
            if isinstance(original, np.ndarray) and not _unchanged(args[key], original):
                return None, f"changed its input {key} in place (work on a copy)"
    return out, None


def _exception_text(exc: Exception) -> str:
    """``ValueError: the first line of its message``."""
    try:
        lines = str(exc).splitlines()
    except Exception:  # an exception whose __str__ fails is still the reader's exception
        lines = []
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


def _unchanged(after: np.ndarray, before: np.ndarray) -> bool:
    """True if ``after`` still holds ``before``'s values (up to rounding, for restored entries)."""
    return after.shape == before.shape and bool(np.allclose(after, before, rtol=1e-12, atol=0.0, equal_nan=True))


def _parts(out: Any) -> tuple[Any, ...]:
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


# ---------------------------------------------------------------- comparing answers


def _compare(exercise: Exercise, case: Case, want: Any, got: Any) -> str | None:
    """``None`` if ``got`` matches ``want``, else what is wrong, in words."""
    if not exercise.outputs:
        return _compare_array(exercise, case, want, got)
    names = exercise.outputs
    if not isinstance(got, (tuple, list)) or len(got) != len(names):
        return f"expected a tuple of {len(names)} ({', '.join(names)}), got {_kind(got)}"
    for name, w, g in zip(names, want, got):
        problem = _compare_array(exercise, case, w, g)
        if problem is not None:
            return f"{name}: {problem}"
    return None


def _compare_array(exercise: Exercise, case: Case, want: Any, got: Any) -> str | None:
    if got is None:
        return "got None (is a `return` missing?)"
    want = np.asarray(want, dtype=np.float64)
    try:
        arr = np.asarray(got)
    except Exception:  # a ragged list, or an object whose __array__ fails: the reader's answer, not a crash
        arr = np.asarray(None)
    if arr.dtype.kind not in "biuf":
        return f"got {_kind(got)}, not an array of real numbers"
    if exercise.scalar:
        if arr.size != 1:
            return f"expected a single number, got an array of shape {arr.shape}"
        arr = arr.reshape(())
    elif arr.shape != want.shape:
        transposed = " (the transpose of the expected shape)" if arr.ndim == 2 and arr.shape == want.shape[::-1] else ""
        return f"expected an array of shape {want.shape}, got shape {arr.shape}{transposed}"
    if case.dtype is not None and arr.dtype != np.dtype(case.dtype):
        return f"expected dtype {np.dtype(case.dtype)} (the input's), got {arr.dtype}"
    float32 = any(isinstance(v, np.ndarray) and v.dtype == np.float32 for v in case.args.values())
    tol = FLOAT32_TOL if float32 else dict(rtol=exercise.rtol, atol=exercise.atol)
    values = arr.astype(np.float64)
    close = np.isclose(values, want, **tol)
    if close.all():
        return None
    if values.size <= SHOW:
        expected, returned = _format_pair(want, values)
        return f"expected {expected}, got {returned}"
    index = tuple(int(i) for i in np.argwhere(~close)[0])
    expected, returned = _format_pair(want[index], values[index])
    where = ", ".join(map(str, index))
    if exercise.elementwise:
        x_name, x = next(iter(case.args.items()))
        return f"at {x_name}[{where}] = {_format(x[index])}, expected {expected}, got {returned}"
    return f"at [{where}], expected {expected}, got {returned}"


def _format(value: Any, precision: int = 4) -> str:
    """A short one-line form of an array or number: ``[0.25]``, ``[[1. 2.] [3. 4.]]``, ``0.5``."""
    a = np.asarray(value)
    if a.ndim == 0 and a.dtype.kind == "f":
        return f"{float(a):.{precision}g}"
    text = " ".join(np.array2string(a, precision=precision).split())
    return text.replace("[ ", "[").replace(" ]", "]")


def _format_pair(want: Any, got: Any) -> tuple[str, str]:
    """Both values at the first precision that tells them apart."""
    for precision in (4, 8, 17):
        a, b = _format(want, precision), _format(got, precision)
        if a != b:
            break
    return a, b


def _describe(case: Case) -> str:
    """The inputs of a case, for a verdict: ``x = [0.]``, ``x of shape (3, 4)``, ``lr = 0.1``."""
    parts = []
    for name, value in case.args.items():
        if isinstance(value, np.ndarray):
            f32 = ", float32" if value.dtype == np.float32 else ""
            if value.ndim == 0:
                parts.append(f"{name} = np.array({_format(value)}){f32}")
            elif 0 < value.size <= SHOW:
                parts.append(f"{name} = {_format(value)}{f32}")
            else:
                parts.append(f"{name} of shape {value.shape}{f32}")
        elif isinstance(value, _Named):
            parts.append(repr(value))
        else:
            parts.append(f"{name} = {value!r}")
    return ", ".join(parts)


def _kind(value: Any) -> str:
    if value is None:
        return "None"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)}"
    return f"a {type(value).__name__}"


def _arrays(**values: Any) -> dict[str, Any]:
    """Case arguments, with lists turned into float64 arrays (and int lists into int arrays)."""
    return {k: np.array(v) if isinstance(v, list) else v for k, v in values.items()}


# ---------------------------------------------------------------- activations


def _elementwise_cases(
    known: dict[str, list[float]], hints: dict[str, str] | None = None
) -> Callable[[np.random.Generator], list[Case]]:
    """Hand-computed values at 0, ±1, ±10 and ±1e4, then random arrays, other shapes and float32."""
    hints = hints or {}
    float32_hint = "keep the input's dtype, e.g. (x > 0).astype(x.dtype); NumPy keeps float32 with Python numbers"

    def cases(rng: np.random.Generator) -> list[Case]:
        def case(label: str, x: Any, **extra: Any) -> Case:
            return Case(label, {"x": np.asarray(x, dtype=float) if isinstance(x, list) else x}, **extra)

        return [
            case("0", [0.0], expect=known["0"], hint=hints.get("0", "")),
            case("±1", [-1.0, 1.0], expect=known["±1"]),
            case("±10", [-10.0, 10.0], expect=known["±10"]),
            case("random inputs", rng.normal(0.0, 3.0, size=(3, 4))),
            case("shapes", np.array(0.5)),  # a 0-d array
            case("shapes", rng.normal(0.0, 3.0, size=(2, 3, 4))),
            case("shapes", np.zeros((0, 3))),  # an empty batch
            case("float32", rng.normal(0.0, 3.0, size=(2, 3)).astype(np.float32), dtype=np.float32, hint=float32_hint),
            case("large |x|", [-1e4, 1e4], expect=known["large |x|"], hint=hints.get("large |x|", "")),
        ]

    return cases


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


SIGMOID = Exercise(
    "sigmoid",
    lambda x: F.sigmoid(x),
    _elementwise_cases(
        {"0": [0.5], "±1": [_sigmoid(-1), _sigmoid(1)], "±10": [_sigmoid(-10), _sigmoid(10)], "large |x|": [0, 1]},
        {
            "large |x|": "np.exp(-x) overflows for x = -1e4; for x < 0 use the equal form e^x / (1 + e^x), "
            "so exp only sees numbers ≤ 0 (np.exp(-np.abs(x)) gives both)"
        },
    ),
    hint="σ(x) = 1 / (1 + e^(−x)).",
    elementwise=True,
)
SIGMOID_DERIVATIVE = Exercise(
    "sigmoid_derivative",
    lambda x: F.sigmoid_derivative(x),
    _elementwise_cases(
        {
            "0": [0.25],
            "±1": [_sigmoid(1) * _sigmoid(-1)] * 2,
            "±10": [_sigmoid(10) * _sigmoid(-10)] * 2,
            "large |x|": [0, 0],
        },
        {"large |x|": "build it on a stable sigmoid (one whose exp only sees numbers ≤ 0), then σ(1 − σ)"},
    ),
    hint="σ'(x) = σ(x)(1 − σ(x)).",
    elementwise=True,
)
TANH_DERIVATIVE = Exercise(
    "tanh_derivative",
    lambda x: F.tanh_derivative(x),
    _elementwise_cases(
        {"0": [1.0], "±1": [1 / math.cosh(1) ** 2] * 2, "±10": [1 / math.cosh(10) ** 2] * 2, "large |x|": [0, 0]},
        {"large |x|": "1 − np.tanh(x)**2 never overflows (np.cosh(1e4) does)"},
    ),
    hint="tanh'(x) = 1 − tanh(x)².",
    elementwise=True,
)
RELU = Exercise(
    "relu",
    lambda x: F.relu(x),
    _elementwise_cases({"0": [0.0], "±1": [0, 1], "±10": [0, 10], "large |x|": [0, 1e4]}),
    hint="relu(x) = max(0, x) element-wise: np.maximum(x, 0).",
    elementwise=True,
)
RELU_DERIVATIVE = Exercise(
    "relu_derivative",
    lambda x: F.relu_derivative(x),
    _elementwise_cases(
        {"0": [0.0], "±1": [0, 1], "±10": [0, 1], "large |x|": [0, 1]},
        {"0": "at exactly x = 0 the derivative is undefined; nnkit and PyTorch use 0 there, so test x > 0, not x >= 0"},
    ),
    hint="relu'(x) = 1 where x > 0, else 0.",
    elementwise=True,
)


def _leaky_relu_cases(rng: np.random.Generator) -> list[Case]:
    slope = "pass negative_slope on: the function must use the slope it is given"
    known = {"0": [0.0], "±1": [-0.01, 1], "±10": [-0.1, 10], "large |x|": [-100, 1e4]}  # the default slope 0.01
    return [
        *_elementwise_cases(known)(rng),
        Case(
            "negative_slope",
            _arrays(x=[-2.0, 3.0], negative_slope=0.2),
            [-0.4, 3.0],
            hint=slope,
            keywords=("negative_slope",),
        ),
        Case("negative_slope", _arrays(x=rng.normal(size=(3, 4)), negative_slope=0.5), keywords=("negative_slope",)),
    ]


LEAKY_RELU = Exercise(
    "leaky_relu",
    lambda x, negative_slope=0.01: F.leaky_relu(x, negative_slope),
    _leaky_relu_cases,
    hint="leaky_relu(x) = x where x > 0, else negative_slope · x (default negative_slope=0.01).",
    elementwise=True,
)


def _softmax_cases(rng: np.random.Generator) -> list[Case]:
    stable = (
        "subtract each row's own maximum first, z = x − x.max(axis=-1, keepdims=True) (not the whole array's): "
        "same result, and exp(z) ≤ 1"
    )
    return [
        Case("uniform", _arrays(x=[0.0, 0.0, 0.0]), [1 / 3] * 3),
        Case("known values", _arrays(x=[[0.0, math.log(3.0)]]), [[0.25, 0.75]]),
        Case("random inputs", _arrays(x=rng.normal(size=(4, 5)))),
        Case("shapes", _arrays(x=rng.normal(size=(2, 3, 4)))),  # along the last axis
        Case("float32", _arrays(x=rng.normal(size=(2, 3)).astype(np.float32)), dtype=np.float32),
        Case("huge logits", _arrays(x=[1000.0, 1000.0]), [0.5, 0.5], hint=stable),
        Case("huge logits", _arrays(x=[[1000.0, 0.0], [-1000.0, 0.0]]), [[1, 0], [0, 1]], hint=stable),
        Case(
            "rows on different scales",
            _arrays(x=[[0.0, 1.0], [1000.0, 1001.0]]),
            [[_sigmoid(-1), _sigmoid(1)]] * 2,
            hint=stable,
        ),
        Case("shapes", _arrays(x=np.zeros((0, 3)))),  # an empty batch
    ]


SOFTMAX = Exercise(
    "softmax",
    lambda x: F.softmax(x),
    _softmax_cases,
    hint="softmax(x) = exp(x) / Σ exp(x) along the last axis; use axis=-1 and keepdims=True.",
)

# ---------------------------------------------------------------- a neuron and the losses


def _neuron_cases(rng: np.random.Generator) -> list[Case]:
    return [
        Case("known values", _arrays(x=[[1.0, 2.0]], w=[0.5, -0.25], b=0.0), [0.5]),
        Case("known values", _arrays(x=[[1.0, 2.0], [0.0, 0.0]], w=[0.5, -0.25], b=1.0), [_sigmoid(1)] * 2),
        Case("random inputs", _arrays(x=rng.normal(size=(5, 3)), w=rng.normal(size=3), b=0.3)),
        Case("shapes", _arrays(x=rng.normal(size=(1, 4)), w=rng.normal(size=4), b=-0.5)),  # one sample
        Case("shapes", _arrays(x=rng.normal(size=(4, 1)), w=rng.normal(size=1), b=0.1)),  # one feature
        Case("shapes", _arrays(x=np.zeros((0, 3)), w=rng.normal(size=3), b=0.1)),  # an empty batch
    ]


NEURON = Exercise(
    "neuron",
    lambda x, w, b: F.sigmoid(x @ w + b),
    _neuron_cases,
    hint="z = x @ w + b has shape (N,); the neuron's output is σ(z) = 1 / (1 + e^(−z)).",
)


def _mse_cases(rng: np.random.Generator) -> list[Case]:
    return [
        Case("known values", _arrays(pred=[1.0, 3.0], target=[0.0, 0.0]), 5.0),
        Case("known values", _arrays(pred=[0.5, -2.0, 7.0], target=[0.5, -2.0, 7.0]), 0.0),
        Case("random inputs", _arrays(pred=rng.normal(size=(4, 3)), target=rng.normal(size=(4, 3)))),
        Case("shapes", _arrays(pred=rng.normal(size=7), target=rng.normal(size=7))),
        Case("shapes", _arrays(pred=rng.normal(size=(5, 1)), target=rng.normal(size=(5, 1)))),
    ]


MSE = Exercise(
    "mse",
    lambda pred, target: MSELoss()(pred, target),
    _mse_cases,
    hint="MSE is one number, the mean over all elements: np.mean((pred − target) ** 2).",
    scalar=True,
)


def _cross_entropy_cases(rng: np.random.Generator) -> list[Case]:
    stable = (
        "use log-softmax, never log(softmax): z = logits − max per row, log_softmax = z − log Σ exp(z), "
        "so huge logits neither overflow nor give log(0)"
    )
    return [
        Case("known values", _arrays(logits=np.zeros((2, 4)), labels=[0, 3]), math.log(4)),
        Case("known values", _arrays(logits=[[0.0, math.log(3.0)]], labels=[1]), -math.log(0.75)),
        Case("random inputs", _arrays(logits=rng.normal(size=(6, 5)), labels=rng.integers(0, 5, size=6))),
        Case("shapes", _arrays(logits=rng.normal(size=(1, 3)), labels=[2])),  # one sample
        Case("float32", _arrays(logits=rng.normal(size=(4, 3)).astype(np.float32), labels=[0, 1, 2, 1])),
        Case("huge logits", _arrays(logits=[[1000.0, 0.0], [0.0, 1000.0]], labels=[0, 1]), 0.0, hint=stable),
        Case("huge logits", _arrays(logits=[[1000.0, 0.0]], labels=[1]), 1000.0, hint=stable),
    ]


CROSS_ENTROPY = Exercise(
    "cross_entropy",
    lambda logits, labels: CrossEntropyLoss()(logits, labels),
    _cross_entropy_cases,
    hint="the loss is the mean over the N samples of −log softmax(logits)[n, labels[n]]; "
    "logits[np.arange(N), labels] picks one entry per row.",
    scalar=True,
)

# ---------------------------------------------------------------- gradients


def _linear_backward_reference(x: np.ndarray, W: np.ndarray, dy: np.ndarray) -> tuple[np.ndarray, ...]:
    layer = Linear(W.shape[1], W.shape[0], dtype=np.float64, rng=0)  # rng=0: nnkit's default generator untouched
    layer.weight.data = np.array(W, dtype=np.float64)
    layer(x)
    dx = layer.backward(dy)
    return dx, layer.weight.grad, layer.bias.grad


def _linear_backward_cases(rng: np.random.Generator) -> list[Case]:
    def random(n: int, d_in: int, d_out: int) -> dict[str, np.ndarray]:
        return _arrays(x=rng.normal(size=(n, d_in)), W=rng.normal(size=(d_out, d_in)), dy=rng.normal(size=(n, d_out)))

    return [
        Case(
            "known values",
            _arrays(x=[[1.0, 2.0, 3.0]], W=[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], dy=[[1.0, -1.0]]),
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
    cube = _Named("f(x) = Σ x³", lambda x: float(np.sum(x**3)))
    sines = _Named("f(x) = Σ sin(x)", lambda x: float(np.sum(np.sin(x))))
    weighted = _Named("f(x) = Σ c·x² (c a fixed (2, 3) array)", lambda x: float(np.sum(c * x**2)))
    log_sum_exp = _Named("f(x) = log Σ exp(x)", lambda x: float(np.log(np.sum(np.exp(x)))))
    return [
        Case(
            "known values",
            _arrays(f=cube, x=[1.0, 2.0], eps=0.5),
            [3.25, 12.25],
            hint="with eps = 0.5 the central difference of x³ is 3x² + eps²: use the eps you are given, both sides",
        ),
        Case("random inputs", _arrays(f=sines, x=rng.normal(size=5), eps=1e-5)),
        Case("shapes", _arrays(f=weighted, x=rng.normal(size=(2, 3)), eps=1e-5)),  # every element, not every row
        Case("coupled inputs", _arrays(f=log_sum_exp, x=rng.normal(size=4), eps=1e-5)),
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

# ---------------------------------------------------------------- regularization


def _dropout_forward_reference(x: np.ndarray, mask: np.ndarray, p: float) -> np.ndarray:
    # nnkit.Dropout's training-mode forward with the given keep-mask; at p = 1 nothing is kept
    x = np.asarray(x)
    if p == 1:
        return np.zeros_like(x)
    return np.where(np.asarray(mask) != 0, x / (1 - p), x.dtype.type(0))


def _dropout_forward_cases(rng: np.random.Generator) -> list[Case]:
    def random(shape: tuple[int, ...], p: float, dtype: Any = np.float64) -> dict[str, Any]:
        x = rng.normal(size=shape).astype(dtype)
        return _arrays(x=x, mask=(rng.random(shape) >= p).astype(dtype), p=p)

    p_is_drop = (
        "p is the probability of DROPPING an element (as in nnkit and PyTorch), so a kept element is "
        "scaled by 1 / (1 − p), not by 1 / p"
    )
    p_one = (
        "with p = 1 every element is dropped and 1 − p = 0: return zeros of x's shape (as nnkit and "
        "PyTorch do) instead of dividing by 0"
    )
    return [
        Case("known values", _arrays(x=[1.0, 2.0, 3.0, 4.0], mask=[1.0, 0.0, 1.0, 0.0], p=0.5), [2.0, 0.0, 6.0, 0.0]),
        Case(
            "known values",
            _arrays(x=[1.0, 2.0, 3.0, 4.0], mask=[1.0, 1.0, 0.0, 1.0], p=0.2),
            [1.25, 2.5, 0.0, 5.0],
            hint=p_is_drop,
        ),
        Case("random inputs", random((3, 4), p=0.3)),
        Case("shapes", random((2, 3, 4), p=0.1)),
        Case("shapes", random((0, 3), p=0.5)),  # an empty batch
        Case(
            "float32",
            random((2, 3), p=0.25, dtype=np.float32),
            dtype=np.float32,
            hint="keep the input's dtype: with a Python float p, NumPy keeps float32 arrays float32",
        ),
        Case("p = 0", _arrays(x=rng.normal(size=(2, 3)), mask=np.ones((2, 3)), p=0.0)),  # nothing dropped
        Case("p = 1", _arrays(x=[1.0, -2.0, 3.0], mask=[0.0, 0.0, 0.0], p=1.0), [0.0, 0.0, 0.0], hint=p_one),
    ]


DROPOUT_FORWARD = Exercise(
    "dropout_forward",
    _dropout_forward_reference,
    _dropout_forward_cases,
    hint="inverted dropout keeps x where mask is 1, zeroes it where mask is 0, and scales the kept elements by "
    "1 / (1 − p), p being the drop probability: x * mask / (1 − p).",
)

# ---------------------------------------------------------------- optimizer steps


def _sgd_momentum_reference(
    param: np.ndarray, grad: np.ndarray, velocity: np.ndarray, lr: float, momentum: float
) -> tuple[np.ndarray, np.ndarray]:
    p = Parameter(np.array(param, dtype=np.float64))
    p.grad[...] = grad
    opt = optim.SGD([p], lr=lr, momentum=momentum)
    opt.state[0] = {"momentum_buffer": np.array(velocity, dtype=np.float64)}  # continue from this velocity
    opt.step()
    return p.data, opt.state[0]["momentum_buffer"] if momentum else np.array(grad, dtype=np.float64)


def _sgd_momentum_cases(rng: np.random.Generator) -> list[Case]:
    def random(shape: tuple[int, ...], lr: float, momentum: float) -> dict[str, Any]:
        return _arrays(
            param=rng.normal(size=shape),
            grad=rng.normal(size=shape),
            velocity=rng.normal(size=shape),
            lr=lr,
            momentum=momentum,
        )

    return [
        Case(
            "first step",
            _arrays(param=[1.0, -2.0], grad=[1.0, 1.0], velocity=[0.0, 0.0], lr=0.1, momentum=0.9),
            ([0.9, -2.1], [1.0, 1.0]),
        ),
        Case(
            "with velocity",
            _arrays(param=[1.0, -2.0], grad=[1.0, 1.0], velocity=[2.0, -1.0], lr=0.1, momentum=0.9),
            ([0.72, -2.01], [2.8, 0.1]),
        ),
        Case("random inputs", random((4,), lr=0.05, momentum=0.8)),
        Case("shapes", random((2, 3), lr=0.01, momentum=0.9)),
        Case("momentum = 0", random((3,), lr=0.1, momentum=0.0)),
    ]


SGD_MOMENTUM_STEP = Exercise(
    "sgd_momentum_step",
    _sgd_momentum_reference,
    _sgd_momentum_cases,
    hint="PyTorch's form keeps lr outside the buffer: velocity = momentum · velocity + grad, "
    "then param = param − lr · velocity; return both.",
    outputs=("new_param", "new_velocity"),
    may_update_inputs=True,
)


def _adam_reference(
    param: np.ndarray,
    grad: np.ndarray,
    m: np.ndarray,
    v: np.ndarray,
    t: int,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    p = Parameter(np.array(param, dtype=np.float64))
    p.grad[...] = grad
    opt = optim.Adam([p], lr=lr, betas=(beta1, beta2), eps=eps)
    opt.state[0] = {"exp_avg": np.array(m, dtype=np.float64), "exp_avg_sq": np.array(v, dtype=np.float64)}
    opt.step_count = t - 1  # step() counts this step as step t
    opt.step()
    return p.data, opt.state[0]["exp_avg"], opt.state[0]["exp_avg_sq"]


def _adam_cases(rng: np.random.Generator) -> list[Case]:
    def random(
        shape: tuple[int, ...], t: int, lr: float = 0.01, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8
    ) -> dict[str, Any]:
        return _arrays(
            param=rng.normal(size=shape),
            grad=rng.normal(size=shape),
            m=0.1 * rng.normal(size=shape),
            v=0.01 * rng.random(size=shape),
            t=t,
            lr=lr,
            beta1=beta1,
            beta2=beta2,
            eps=eps,
        )

    first = _arrays(
        param=[1.0, -2.0], grad=[0.5, -4.0], m=[0.0, 0.0], v=[0.0, 0.0], t=1, lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8
    )
    return [
        Case("first step", first, ([0.9, -1.9], [0.05, -0.4], [0.00025, 0.016])),  # step 1 moves lr·sign(g)
        Case("later steps", random((4,), t=10)),
        Case("shapes", random((2, 3), t=3)),
        Case("other betas", random((3,), t=5, lr=0.05, beta1=0.8, beta2=0.99, eps=1e-6)),
        Case("t = 1000", random((3,), t=1000)),
    ]


ADAM_STEP = Exercise(
    "adam_step",
    _adam_reference,
    _adam_cases,
    hint="m = β₁m + (1 − β₁)g and v = β₂v + (1 − β₂)g²; correct the bias, m̂ = m / (1 − β₁ᵗ) and "
    "v̂ = v / (1 − β₂ᵗ); param − lr·m̂ / (√v̂ + eps). Return the uncorrected m and v.",
    outputs=("param", "m", "v"),
    may_update_inputs=True,
)

EXERCISES: dict[str, Exercise] = {
    ex.name: ex
    for ex in (
        SIGMOID,
        SIGMOID_DERIVATIVE,
        TANH_DERIVATIVE,
        RELU,
        RELU_DERIVATIVE,
        LEAKY_RELU,
        SOFTMAX,
        NEURON,
        MSE,
        CROSS_ENTROPY,
        LINEAR_BACKWARD,
        NUMERICAL_GRADIENT,
        SGD_MOMENTUM_STEP,
        ADAM_STEP,
        DROPOUT_FORWARD,
    )
}

# ---------------------------------------------------------------- the public face: check.<exercise>(fn)

Array = np.ndarray


class Checks:
    """The exercise checkers, one method per exercise: ``check.sigmoid(my_sigmoid)``."""

    def sigmoid(self, fn: Callable[[Array], Array]) -> Verdict:
        """Check ``fn(x) = σ(x) = 1 / (1 + e^-x)`` element-wise, stable at ``x = ±1e4``.

        >>> import numpy as np
        >>> naive = lambda x: 1 / (1 + np.exp(-x))
        >>> ok = check.sigmoid(naive)
        ✗ sigmoid: for x = [-10000. 10000.], your function emitted RuntimeWarning: overflow encountered in exp.
        Hint: np.exp(-x) overflows for x = -1e4; for x < 0 use the equal form e^x / (1 + e^x),
        so exp only sees numbers ≤ 0 (np.exp(-np.abs(x)) gives both).
        """
        return run(SIGMOID, fn)

    def sigmoid_derivative(self, fn: Callable[[Array], Array]) -> Verdict:
        """Check ``fn(x) = σ'(x) = σ(x)(1 - σ(x))`` element-wise, stable at ``x = ±1e4``.

        >>> from nnkit import functional as F
        >>> ok = check.sigmoid_derivative(lambda x: F.sigmoid(x) * (1 - F.sigmoid(x)))
        ✓ sigmoid_derivative: correct on 9 tests (0, ±1, ±10, random inputs, shapes, float32, large |x|)
        """
        return run(SIGMOID_DERIVATIVE, fn)

    def tanh_derivative(self, fn: Callable[[Array], Array]) -> Verdict:
        """Check ``fn(x) = tanh'(x) = 1 - tanh(x)²`` element-wise.

        >>> import numpy as np
        >>> ok = check.tanh_derivative(lambda x: 1 - np.tanh(x) ** 2)
        ✓ tanh_derivative: correct on 9 tests (0, ±1, ±10, random inputs, shapes, float32, large |x|)
        """
        return run(TANH_DERIVATIVE, fn)

    def relu(self, fn: Callable[[Array], Array]) -> Verdict:
        """Check ``fn(x) = max(0, x)`` element-wise; it must not change ``x`` in place.

        >>> import numpy as np
        >>> ok = check.relu(lambda x: np.maximum(x, 0))
        ✓ relu: correct on 9 tests (0, ±1, ±10, random inputs, shapes, float32, large |x|)
        """
        return run(RELU, fn)

    def relu_derivative(self, fn: Callable[[Array], Array]) -> Verdict:
        """Check ``fn(x) = 1 where x > 0 else 0``, with PyTorch's 0 at exactly ``x = 0``.

        >>> ok = check.relu_derivative(lambda x: (x >= 0).astype(x.dtype))
        ✗ relu_derivative: for x = [0.], expected [0.], got [1.]. Hint: at exactly x = 0 the derivative is
        undefined; nnkit and PyTorch use 0 there, so test x > 0, not x >= 0.
        """
        return run(RELU_DERIVATIVE, fn)

    def leaky_relu(self, fn: Callable[..., Array]) -> Verdict:
        """Check ``fn(x, negative_slope=0.01)``: ``x`` where ``x > 0``, else ``negative_slope * x``.

        >>> import numpy as np
        >>> ok = check.leaky_relu(lambda x, negative_slope=0.01: np.where(x > 0, x, negative_slope * x))
        ✓ leaky_relu: correct on 11 tests (0, ±1, ±10, random inputs, shapes, float32, large |x|, negative_slope)
        """
        return run(LEAKY_RELU, fn)

    def softmax(self, fn: Callable[[Array], Array]) -> Verdict:
        """Check ``fn(x)``, the softmax along the last axis, stable for huge logits.

        >>> import numpy as np
        >>> naive = lambda x: np.exp(x) / np.exp(x).sum(axis=-1, keepdims=True)
        >>> bool(check.softmax(naive))
        ✗ softmax: for x = [1000. 1000.], your function emitted RuntimeWarning: overflow encountered in exp.
        Hint: subtract each row's own maximum first, z = x − x.max(axis=-1, keepdims=True) (not the whole array's):
        same result, and exp(z) ≤ 1.
        False
        """
        return run(SOFTMAX, fn)

    def neuron(self, fn: Callable[[Array, Array, float], Array]) -> Verdict:
        """Check ``fn(x, w, b) = σ(x @ w + b)``: one neuron; ``x (N, D)``, ``w (D,)``, ``b`` a number -> ``(N,)``.

        >>> import numpy as np
        >>> ok = check.neuron(lambda x, w, b: 1 / (1 + np.exp(-(x @ w))))
        ✗ neuron: for x = [[1. 2.] [0. 0.]], w = [0.5 -0.25], b = 1.0, expected [0.7311 0.7311], got [0.5 0.5].
        Hint: z = x @ w + b has shape (N,); the neuron's output is σ(z) = 1 / (1 + e^(−z)).
        """
        return run(NEURON, fn)

    def mse(self, fn: Callable[[Array, Array], float]) -> Verdict:
        """Check ``fn(pred, target)``, the mean squared error over all elements, as one number.

        >>> import numpy as np
        >>> ok = check.mse(lambda pred, target: np.mean((pred - target) ** 2))
        ✓ mse: correct on 5 tests (known values, random inputs, shapes)
        """
        return run(MSE, fn)

    def cross_entropy(self, fn: Callable[[Array, Array], float]) -> Verdict:
        """Check ``fn(logits (N, C), labels (N,))``, the mean softmax cross-entropy, stable for huge logits.

        >>> from nnkit import functional as F
        >>> import numpy as np
        >>> ok = check.cross_entropy(lambda z, t: -F.log_softmax(z)[np.arange(len(t)), t].mean())
        ✓ cross_entropy: correct on 7 tests (known values, random inputs, shapes, float32, huge logits)
        """
        return run(CROSS_ENTROPY, fn)

    def linear_backward(self, fn: Callable[[Array, Array, Array], tuple[Array, Array, Array]]) -> Verdict:
        """Check ``fn(x, W, dy) -> (dx, dW, db)`` for ``y = x @ W.T + b`` with ``W (out, in)``, as in PyTorch.

        >>> ok = check.linear_backward(lambda x, W, dy: (dy @ W, x.T @ dy, dy.sum(axis=0)))
        ✗ linear_backward: for x = [[1. 2. 3.]], W = [[1. 0. 0.] [0. 1. 0.]], dy = [[1. -1.]], dW: expected an
        array of shape (2, 3), got shape (3, 2) (the transpose of the expected shape). Hint: for y = x @ W.T + b:
        dx = dy @ W (N, in), dW = dy.T @ x (out, in), db = dy.sum(axis=0) (out,).
        """
        return run(LINEAR_BACKWARD, fn)

    def numerical_gradient(self, fn: Callable[[Callable[[Array], float], Array, float], Array]) -> Verdict:
        """Check ``fn(f, x, eps)``, the central-difference gradient of a scalar ``f`` at ``x``.

        >>> from nnkit.gradcheck import numerical_gradient
        >>> ok = check.numerical_gradient(numerical_gradient)
        ✓ numerical_gradient: correct on 4 tests (known values, random inputs, shapes, coupled inputs)
        """
        return run(NUMERICAL_GRADIENT, fn)

    def sgd_momentum_step(self, fn: Callable[..., tuple[Array, Array]]) -> Verdict:
        """Check ``fn(param, grad, velocity, lr, momentum) -> (new_param, new_velocity)`` in PyTorch's form.

        PyTorch's form is ``b = μ b + g; θ = θ - lr b``; the textbook form ``v = μ v + lr g; θ = θ - v``
        takes the same steps with a constant ``lr`` but keeps a different buffer, so it fails here.

        >>> def step(param, grad, velocity, lr, momentum):
        ...     velocity = momentum * velocity + grad
        ...     return param - lr * velocity, velocity
        >>> ok = check.sgd_momentum_step(step)
        ✓ sgd_momentum_step: correct on 5 tests (first step, with velocity, random inputs, shapes, momentum = 0)
        """
        return run(SGD_MOMENTUM_STEP, fn)

    def adam_step(self, fn: Callable[..., tuple[Array, Array, Array]]) -> Verdict:
        """Check ``fn(param, grad, m, v, t, lr, beta1, beta2, eps) -> (param, m, v)``, with bias correction.

        >>> import numpy as np
        >>> def step(param, grad, m, v, t, lr, beta1, beta2, eps):
        ...     m = beta1 * m + (1 - beta1) * grad
        ...     v = beta2 * v + (1 - beta2) * grad**2
        ...     m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        ...     return param - lr * m_hat / (np.sqrt(v_hat) + eps), m, v
        >>> ok = check.adam_step(step)
        ✓ adam_step: correct on 5 tests (first step, later steps, shapes, other betas, t = 1000)
        """
        return run(ADAM_STEP, fn)

    def dropout_forward(self, fn: Callable[[Array, Array, float], Array]) -> Verdict:
        """Check ``fn(x, mask, p) = x * mask / (1 - p)``: inverted dropout with a given 0/1 keep-mask.

        ``p`` is the probability of dropping an element (as in nnkit and PyTorch); for ``p = 1`` every
        element is dropped and the answer is zeros.

        >>> ok = check.dropout_forward(lambda x, mask, p: x * mask / p)
        ✗ dropout_forward: for x = [1. 2. 3. 4.], mask = [1. 1. 0. 1.], p = 0.2, expected [1.25 2.5 0. 5.],
        got [5. 10. 0. 20.]. Hint: p is the probability of DROPPING an element (as in nnkit and PyTorch), so
        a kept element is scaled by 1 / (1 − p), not by 1 / p.
        """
        return run(DROPOUT_FORWARD, fn)

    def __repr__(self) -> str:
        return f"exercise checkers: {', '.join(EXERCISES)}; usage: check.<exercise>(your_function)"


check = Checks()
