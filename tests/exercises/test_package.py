"""Tests for nnkit/exercises/__init__.py: ``check`` gathers every chapter's checkers, and every
checker has its tests in the test module of its chapter."""

from __future__ import annotations

import importlib

import pytest

import nnkit.exercises
from nnkit.exercises import CHAPTERS, EXERCISES, check


def _public_methods(cls: type) -> set[str]:
    return {name for name in vars(cls) if not name.startswith("_")}


def _chapter_name(chapter) -> str:
    return chapter.__name__.rsplit(".", 1)[1]


def test_every_exercise_has_a_checker():
    methods = {name for name in dir(check) if not name.startswith("_")}
    assert methods == set(EXERCISES)
    assert len(EXERCISES) == sum(len(chapter.EXERCISES) for chapter in CHAPTERS)  # no name twice


@pytest.mark.parametrize("chapter", CHAPTERS, ids=_chapter_name)
def test_a_chapter_module_checks_its_own_exercises(chapter):
    assert _public_methods(chapter.Checks) == {ex.name for ex in chapter.EXERCISES}
    assert issubclass(type(check), chapter.Checks)


@pytest.mark.parametrize("chapter", CHAPTERS, ids=_chapter_name)
def test_every_checker_has_a_solution_a_mistake_and_a_wrong_reference_in_its_chapters_tests(chapter):
    tests = importlib.import_module(f"exercises.test_{_chapter_name(chapter)}")
    names = {ex.name for ex in chapter.EXERCISES}
    assert set(tests.CORRECT) == names
    assert set(tests.BUGGY_REFERENCES) == names
    assert {name for name, _, _ in tests.WRONG.values()} == names


def test_the_public_names_stay_where_they_were():
    assert nnkit.exercises.__all__ == ["CheckerBug", "Verdict", "check"]
    assert issubclass(nnkit.exercises.CheckerBug, RuntimeError)
    assert callable(nnkit.exercises.run) and nnkit.exercises.Case and nnkit.exercises.Exercise
    assert repr(check).startswith("exercise checkers: sigmoid, neuron, ")
