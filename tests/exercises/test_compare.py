"""Tests for nnkit/exercises/_compare.py: the runner and the verdicts, whatever the checker.

A wrong answer is a verdict, never an error; the verdict is deterministic, leaves every random
state alone, shows nothing extra in a notebook, and does not depend on NumPy's error settings.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import nnkit
from exercises.support import naive_sigmoid, stable_sigmoid
from nnkit.exercises import EXERCISES, Verdict, check, run


def test_a_close_miss_is_printed_with_enough_digits():
    verdict = check.relu(lambda x: np.maximum(x, 0) * (1 + 1e-5))  # tolerance: rtol = 1e-6
    assert "expected [0. 1.], got [0. 1.00001]" in verdict.message


def test_passing_a_result_instead_of_the_function():
    verdict = check.sigmoid(stable_sigmoid(np.zeros(3)))
    assert not verdict
    assert verdict.message.startswith("✗ sigmoid: expected a function, got an array of shape (3,)")


def test_verdict_shows_nothing_in_a_notebook_and_is_a_bool():
    verdict = check.relu(lambda x: np.maximum(x, 0))
    assert verdict._ipython_display_() is None  # IPython then stores no Out[] beside the printed line
    assert repr(verdict) == "<Verdict relu: passed>"
    assert str(verdict) == verdict.message
    assert bool(check.relu(np.abs)) is False


def test_verdicts_are_deterministic_and_leave_the_random_state_alone():
    np_state = np.random.get_state()[1].copy()
    nnkit.manual_seed(123)
    expected_draw = nnkit.manual_seed(123).random()
    nnkit.manual_seed(123)
    first = check.softmax(lambda x: np.exp(x) / np.exp(x).sum())
    second = check.softmax(lambda x: np.exp(x) / np.exp(x).sum())
    assert first.message == second.message
    assert nnkit._config.default_generator().random() == expected_draw
    assert np.array_equal(np.random.get_state()[1], np_state)


def test_numpy_error_settings_do_not_change_the_verdict():
    expected = check.sigmoid(naive_sigmoid).message
    with np.errstate(all="raise"):
        assert check.sigmoid(naive_sigmoid).message == expected
    with np.errstate(all="ignore"):
        assert check.sigmoid(naive_sigmoid).message == expected


def test_keyboard_interrupt_is_not_swallowed():
    def interrupted(x):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        check.relu(interrupted)


def test_an_unprintable_exception_is_still_a_verdict():
    class Weird(Exception):
        def __str__(self):
            raise RuntimeError("no message")

    def fn(x):
        raise Weird

    assert "raised Weird" in check.relu(fn).message


_garbage = st.one_of(
    st.none(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=5),
    st.lists(st.floats(), max_size=4),
    st.just([[1.0], [1.0, 2.0]]),  # ragged
    st.just({"a": 1}),
    hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)),
)
_garbage = st.one_of(_garbage, st.lists(_garbage, max_size=4).map(tuple))


# The exercises checked against a table of cases. (The lab's fix checkers run the reader's code instead;
# tests/exercises/test_lab_debugging.py checks that a wrong answer to them is a verdict too.)
TABLE_DRIVEN = sorted(name for name, ex in EXERCISES.items() if ex.cases(np.random.default_rng(0)))


@settings(max_examples=300, deadline=None)
@given(
    name=st.sampled_from(TABLE_DRIVEN),
    answer=_garbage,
    error=st.sampled_from([None, ValueError, TypeError, IndexError, ZeroDivisionError, AttributeError]),
)
def test_any_wrong_answer_is_a_verdict_never_an_error(name, answer, error):
    def fn(*args, **kwargs):
        if error is not None:
            raise error("boom")
        return answer

    verdict = run(EXERCISES[name], fn)
    assert isinstance(verdict, Verdict) and not verdict
    assert verdict.message.startswith(f"✗ {name}: for ")


def test_a_diagnosis_replaces_the_hint_and_a_failing_one_is_ignored(capsys):
    import dataclasses

    relu = EXERCISES["relu"]
    named = dataclasses.replace(relu, diagnose=lambda case, want, got: "you returned the absolute value")
    assert run(named, np.abs).message.endswith("Hint: you returned the absolute value.")
    broken = dataclasses.replace(relu, diagnose=lambda case, want, got: 1 / 0)
    assert run(broken, np.abs).message == run(relu, np.abs).message  # the usual hint
    silent = dataclasses.replace(relu, diagnose=lambda case, want, got: None)
    assert run(silent, np.abs).message == run(relu, np.abs).message
    capsys.readouterr()
