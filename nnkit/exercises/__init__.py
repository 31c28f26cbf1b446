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

The checkers live in one module per chapter (``first_run``, ``ch01``, ``ch02``, ...), over the
runner and comparisons shared in ``_compare``; ``check`` gathers them all. A new checker is an
``Exercise`` table and a method of its chapter module's ``Checks`` class, with the table listed
in that module's ``EXERCISES``.

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

from . import ch01, ch02, ch03, ch04, ch06, ch08, ch09, ch10, ch11, ch12, ch13, ch14, ch15, first_run, lab_debugging
from ._compare import Case as Case  # re-exported: the tables and the runner, for tests and new checkers
from ._compare import CheckerBug, Exercise, Verdict
from ._compare import run as run

__all__ = ["CheckerBug", "Verdict", "check"]

CHAPTERS = (first_run, ch01, ch02, ch03, ch04, ch06, ch08, ch09, lab_debugging, ch10, ch11, ch12, ch13, ch14, ch15)

EXERCISES: dict[str, Exercise] = {ex.name: ex for chapter in CHAPTERS for ex in chapter.EXERCISES}


class Checks(
    first_run.Checks,
    ch01.Checks,
    ch02.Checks,
    ch03.Checks,
    ch04.Checks,
    ch06.Checks,
    ch08.Checks,
    ch09.Checks,
    lab_debugging.Checks,
    ch10.Checks,
    ch11.Checks,
    ch12.Checks,
    ch13.Checks,
    ch14.Checks,
    ch15.Checks,
):
    """The exercise checkers, one method per exercise: ``check.sigmoid(my_sigmoid)``."""

    def __repr__(self) -> str:
        return f"exercise checkers: {', '.join(EXERCISES)}; usage: check.<exercise>(your_function)"


check = Checks()
