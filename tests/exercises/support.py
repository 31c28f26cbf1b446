"""What the chapter tests share: solutions a reader might write, and the assertions every checker gets.

Each tests/exercises/test_<chapter>.py holds, for its chapter's checkers, ``CORRECT`` (a right
solution per exercise), ``WRONG`` (typical mistakes, with fragments the verdict must contain) and
``BUGGY_REFERENCES`` (a subtly wrong nnkit reference per exercise, which must raise CheckerBug).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from nnkit.exercises import EXERCISES, CheckerBug, Verdict, check, run


def stable_sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def naive_sigmoid(x):
    return 1 / (1 + np.exp(-x))


def softmax_solution(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def cross_entropy_solution(logits, labels):
    z = logits - logits.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return -log_p[np.arange(len(labels)), labels].mean()


def raises_not_implemented(*args, **kwargs):
    raise NotImplementedError


def returns_nothing(x):
    np.tanh(x)


def assert_passes(name: str, fn: Callable[..., Any], capsys: pytest.CaptureFixture[str]) -> None:
    """``check.<name>(fn)`` passes, says so in one printed line, and returns a truthy Verdict."""
    verdict = getattr(check, name)(fn)
    assert verdict, verdict.message
    assert isinstance(verdict, Verdict) and verdict.passed and verdict.exercise == name
    assert re.fullmatch(rf"✓ {name}: correct on \d+ tests \(.+\)", verdict.message)
    assert capsys.readouterr().out == verdict.message + "\n"


def assert_fails(name: str, fn: Callable[..., Any], fragments: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """``check.<name>(fn)`` fails without raising, and its one printed line contains every fragment."""
    verdict = getattr(check, name)(fn)
    assert not verdict and verdict.passed is False
    assert re.fullmatch(rf"✗ {name}: for .+, .+\. Hint: .+\.", verdict.message), verdict.message
    for fragment in fragments:
        assert fragment in verdict.message, f"{fragment!r} not in {verdict.message!r}"
    assert capsys.readouterr().out == verdict.message + "\n"


def assert_reference_passes(name: str) -> None:
    exercise = EXERCISES[name]
    assert run(exercise, exercise.reference)


def assert_catches_wrong_reference(name: str, buggy: Callable[..., Any], correct: Callable[..., Any]) -> None:
    """With ``buggy`` as nnkit's reference, the checker raises CheckerBug instead of blaming the reader."""
    exercise = dataclasses.replace(EXERCISES[name], reference=buggy)
    with pytest.raises(CheckerBug, match=rf"checker bug in check\.{name} \(not your fault"):
        run(exercise, correct)


def checker_tests(
    correct: dict[str, Callable[..., Any]],
    wrong: dict[str, tuple[str, Callable[..., Any], list[str]]],
    buggy_references: dict[str, Callable[..., Any]],
) -> tuple[Callable[..., None], ...]:
    """The four tests that every chapter's checker file runs, parametrized over its three tables.

    Use at module level, so that pytest collects them under their names::

        (test_correct_solution_passes, test_nnkit_reference_passes_its_own_checker,
         test_wrong_solution_fails_and_names_the_input, test_checker_catches_a_wrong_reference,
         ) = checker_tests(CORRECT, WRONG, BUGGY_REFERENCES)
    """

    @pytest.mark.parametrize("name", sorted(correct))
    def test_correct_solution_passes(name: str, capsys: pytest.CaptureFixture[str]) -> None:
        assert_passes(name, correct[name], capsys)

    @pytest.mark.parametrize("name", sorted(correct))
    def test_nnkit_reference_passes_its_own_checker(name: str) -> None:
        assert_reference_passes(name)

    @pytest.mark.parametrize("case", sorted(wrong))
    def test_wrong_solution_fails_and_names_the_input(case: str, capsys: pytest.CaptureFixture[str]) -> None:
        assert_fails(*wrong[case], capsys)

    @pytest.mark.parametrize("name", sorted(buggy_references))
    def test_checker_catches_a_wrong_reference(name: str) -> None:
        assert_catches_wrong_reference(name, buggy_references[name], correct[name])

    return (
        test_correct_solution_passes,
        test_nnkit_reference_passes_its_own_checker,
        test_wrong_solution_fails_and_names_the_input,
        test_checker_catches_a_wrong_reference,
    )
