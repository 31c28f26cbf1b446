"""The machinery under every checker: the tables, the runner, and how answers are compared.

An :class:`Exercise` is a table: nnkit's reference function, a list of :class:`Case` inputs
drawn from ``default_rng(SEED)``, a hint, and how to compare answers. :func:`run` calls the
reader's function on every case and prints one :class:`Verdict`. The chapter modules
(``first_run``, ``ch01``, ...) hold the tables and the ``check.<exercise>`` methods.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "Array",
    "Case",
    "CheckerBug",
    "Exercise",
    "Named",
    "Verdict",
    "arrays",
    "elementwise_cases",
    "logistic",
    "run",
]

Array = np.ndarray
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
    # diagnose(case, want, got): for a wrong answer, a hint that names the mistake ("dW2 is N times too
    # large: ...") or None for the usual hint. It must not raise on any answer; the runner ignores it if it does.
    diagnose: Callable[[Case, Any, Any], str | None] | None = None


class Named:
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
            diagnosis = _diagnose(exercise, case, want, got) if got is not None else None
            hint = (diagnosis or case.hint or exercise.hint).rstrip(".")
            return _verdict(exercise, False, f"✗ {name}: for {_describe(case)}, {problem}. Hint: {hint}.")
    labels = ", ".join(dict.fromkeys(case.label for case in cases))
    return _verdict(exercise, True, f"✓ {name}: correct on {len(cases)} tests ({labels})")


def _diagnose(exercise: Exercise, case: Case, want: Any, got: Any) -> str | None:
    """The exercise's own hint for this wrong answer, if it has a diagnosis for it."""
    if exercise.diagnose is None:
        return None
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return exercise.diagnose(case, want, got)
    except Exception:  # a strange answer (ragged, non-numeric) gets the usual hint instead
        return None


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
        elif isinstance(value, Named):
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


def arrays(**values: Any) -> dict[str, Any]:
    """Case arguments, with lists turned into float64 arrays (and int lists into int arrays)."""
    return {k: np.array(v) if isinstance(v, list) else v for k, v in values.items()}


# ---------------------------------------------------------------- shared case tables


def elementwise_cases(
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


def logistic(z: float) -> float:
    return 1 / (1 + math.exp(-z))
