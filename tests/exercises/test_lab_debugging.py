"""Tests for nnkit/exercises/lab_debugging.py: the lab "When training goes wrong" (lab_debugging.ipynb).

The checkers are tested through ``nnkit.exercises.lab.Checks`` directly (the module is not registered
in ``nnkit.exercises.check`` yet). Each accepts the right answer, rejects the typical wrong ones with
an explanation, never raises on a wrong answer, and raises CheckerBug when its own reference is wrong.
"""

from __future__ import annotations

import numpy as np
import pytest

import nnkit
from nnkit import optim
from nnkit.exercises import CheckerBug
from nnkit.exercises import lab_debugging as lab
from nnkit.exercises._compare import run

check = lab.Checks()


def passes(verdict, capsys):
    assert verdict, verdict.message
    assert verdict.message.startswith("✓ ") and capsys.readouterr().out == verdict.message + "\n"


def fails(verdict, fragments, capsys):
    assert not verdict and verdict.message.startswith("✗ ") and " Hint: " in verdict.message
    for fragment in fragments:
        assert fragment in verdict.message, (fragment, verdict.message)
    assert capsys.readouterr().out == verdict.message + "\n"


# ---------------------------------------------------------------- diagnosis


@pytest.mark.parametrize("bug", sorted(lab.DIAGNOSES))
def test_the_right_diagnosis_passes_and_every_wrong_one_is_explained(bug, capsys):
    d = lab.DIAGNOSES[bug]
    passes(check.lab_diagnosis(bug, d.answer.lower()), capsys)
    for letter, (cause, why) in d.causes.items():
        if letter != d.answer:
            fails(check.lab_diagnosis(bug, letter), [f"bug {bug}, {letter} ({cause})", why], capsys)


def test_a_diagnosis_that_is_not_a_letter_or_a_bug_is_a_verdict(capsys):
    fails(check.lab_diagnosis(1, "Z"), ["'Z' is not one of the letters A, B, C, D"], capsys)
    fails(check.lab_diagnosis(1, 3), ["3 is not one of the letters"], capsys)
    fails(check.lab_diagnosis(99, "A"), ["there is no bug 99"], capsys)


def test_candidates_lists_every_cause_with_its_letter():
    assert lab.candidates(2).splitlines()[2] == "C. a Softmax layer in front of CrossEntropyLoss"


def test_a_broken_diagnosis_table_is_a_checker_bug(monkeypatch):
    broken = dict(lab.DIAGNOSES)
    broken[1] = lab.Diagnosis("t", {"A": ("x", "")}, "B", "f")
    monkeypatch.setattr(lab, "DIAGNOSES", broken)
    with pytest.raises(CheckerBug):
        check.lab_diagnosis(1, "A")


# ---------------------------------------------------------------- the fix checkers


def no_zero_grad(model, loss_fn, optimizer, X, y):
    loss = loss_fn(model(X), y)
    model.backward(loss_fn.backward())
    optimizer.step()
    return loss


def zero_after_backward(model, loss_fn, optimizer, X, y):
    loss = loss_fn(model(X), y)
    model.backward(loss_fn.backward())
    optimizer.zero_grad()
    optimizer.step()
    return loss


def wrong_loss(model, loss_fn, optimizer, X, y):
    lab._train_step_reference(model, loss_fn, optimizer, X, y)
    return 0.0


def test_train_step(capsys):
    passes(check.lab_train_step(lab._train_step_reference), capsys)
    fails(check.lab_train_step(no_zero_grad), ["never zeroes its gradients", "zero_grad() before"], capsys)
    fails(check.lab_train_step(zero_after_backward), ["did not move", "BEFORE backward"], capsys)
    fails(check.lab_train_step(wrong_loss), ["returned losses", "before the update"], capsys)
    fails(check.lab_train_step(lambda *a: 1 / 0), ["raised ZeroDivisionError"], capsys)
    fails(check.lab_train_step(3), ["expected a function, got int"], capsys)
    with pytest.raises(CheckerBug):
        lab._check_train_step(lab._train_step_reference, reference=no_zero_grad)


def with_softmax(rng):
    return nnkit.Sequential(lab._mlp(rng), nnkit.Softmax())


def dead_init(rng):
    model = lab._mlp(rng)
    model[0].bias.data[:] = -3.0
    model[2].bias.data[:] = -3.0
    return model


def huge_init(rng):
    model = lab._mlp(rng)
    model[4].weight.data *= 30.0
    return model


def test_model(capsys):
    passes(check.lab_model(lab._model_reference), capsys)
    fails(check.lab_model(with_softmax), ["outputs probabilities", "remove the Softmax"], capsys)
    fails(check.lab_model(dead_init), ["output 0 for every example", "negative bias"], capsys)
    fails(check.lab_model(huge_init), ["loss at initialization", "far from log 10"], capsys)
    fails(check.lab_model(lambda rng: nnkit.Linear(64, 3, rng=0)), ["not (300, 10)"], capsys)
    with pytest.raises(CheckerBug):
        lab._check_model(lab._model_reference, reference=with_softmax)


def test_standardize(capsys):
    passes(check.lab_standardize(lab._standardize_reference), capsys)
    leak = lambda a, b: lab._standardize_variants(a, b)["leak"]  # noqa: E731
    own = lambda a, b: lab._standardize_variants(a, b)["own"]  # noqa: E731
    fails(check.lab_standardize(leak), ["leakage", "X_train only"], capsys)
    fails(check.lab_standardize(own), ["its own mean and std"], capsys)
    fails(check.lab_standardize(lambda a, b: (a, b)), ["nothing was standardized"], capsys)
    fails(check.lab_standardize(lab._standardize_ddof1), ["ddof=1", "ddof=0"], capsys)
    naive = lambda a, b: ((a - a.mean(0)) / a.std(0), (b - a.mean(0)) / a.std(0))  # noqa: E731
    fails(check.lab_standardize(naive), ["RuntimeWarning", "constant in the training set has std 0"], capsys)
    import dataclasses

    with pytest.raises(CheckerBug):
        run(dataclasses.replace(lab.STANDARDIZE, reference=leak), lab._standardize_reference)


def test_optimizer(capsys):
    passes(check.lab_optimizer(lab._optimizer_reference), capsys)
    fails(check.lab_optimizer(lambda p: optim.SGD(p, lr=2.0, momentum=0.9)), ["rose far above", "too high"], capsys)
    fails(check.lab_optimizer(lambda p: optim.SGD(p, lr=1e-5)), ["still", "far too low"], capsys)
    fails(check.lab_optimizer(lambda p: "sgd"), ["expected an nnkit optimizer, got str"], capsys)
    with pytest.raises(CheckerBug):
        lab._check_optimizer(lab._optimizer_reference, reference=lambda p: optim.SGD(p, lr=1e-6))


def test_shuffle(capsys):
    passes(check.lab_shuffle(lab._shuffle_reference), capsys)
    separately = lambda X, y, rng: (X[rng.permutation(len(X))], y[rng.permutation(len(y))])  # noqa: E731
    fails(check.lab_shuffle(separately), ["kept their own label", "two different permutations"], capsys)
    fails(check.lab_shuffle(lambda X, y, rng: (X, y)), ["original order"], capsys)
    fails(check.lab_shuffle(lambda X, y, rng: (X[:5], y[:5])), ["expected shapes"], capsys)
    with pytest.raises(CheckerBug):
        lab._check_shuffle(lab._shuffle_reference, reference=separately)


def test_accuracy(capsys):
    passes(check.lab_accuracy(lab._accuracy_reference), capsys)
    in_training_mode = lambda m, X, y: nnkit.train.accuracy(m(X), y)  # noqa: E731
    verdict = check.lab_accuracy(in_training_mode)
    fails(verdict, ["dropout"], capsys)
    percent = lambda m, X, y: 100 * lab._accuracy_reference(m, X, y)  # noqa: E731
    fails(check.lab_accuracy(percent), ["a percentage"], capsys)
    with pytest.raises(CheckerBug):
        lab._check_accuracy(lab._accuracy_reference, reference=in_training_mode)


class Transposed(lab._ReferenceLinear):
    def backward(self, dy, *, input_grad=True):
        (x,) = self.saved_tensors
        self.weight.grad += dy.T @ x
        self.bias.grad += dy.sum(axis=0)
        return dy @ self.weight.data.T


class NoBiasSum(lab._ReferenceLinear):
    def backward(self, dy, *, input_grad=True):
        (x,) = self.saved_tensors
        self.weight.grad += dy.T @ x
        self.bias.grad += dy[0]
        return dy @ self.weight.data


def test_linear(capsys):
    passes(check.lab_linear(lab._ReferenceLinear), capsys)
    fails(check.lab_linear(Transposed), ["4×4 weight", "input gradient", "dy @ W, not dy @ W.T"], capsys)
    fails(check.lab_linear(NoBiasSum), ["fails on bias"], capsys)
    fails(check.lab_linear(5), ["expected a class, got int"], capsys)
    with pytest.raises(CheckerBug):
        lab._check_linear(lab._ReferenceLinear, reference=Transposed)


def test_a_wrong_answer_never_raises():
    for method in (
        "lab_train_step",
        "lab_model",
        "lab_standardize",
        "lab_optimizer",
        "lab_shuffle",
        "lab_accuracy",
        "lab_linear",
    ):
        assert not getattr(check, method)(lambda *a: None)
    assert np.isfinite(len(lab.EXERCISES))


# ---------------------------------------------------------------- the tables every chapter's tests hold

# tests/exercises/test_package.py asks each chapter's tests for a right answer, a typical mistake and a wrong
# reference per checker. The lab's fix checkers run the reader's code, so the tables hold code, and the
# three tests below run them through each checker (the tests above check the explanations in detail).


def _leak(a, b):
    return lab._standardize_variants(a, b)["leak"]


CORRECT = {
    "lab_diagnosis": None,  # every bug's right letter: test_the_right_diagnosis_passes_and_every_wrong_one_is_explained
    "lab_train_step": lab._train_step_reference,
    "lab_model": lab._model_reference,
    "lab_standardize": lab._standardize_reference,
    "lab_optimizer": lab._optimizer_reference,
    "lab_shuffle": lab._shuffle_reference,
    "lab_accuracy": lab._accuracy_reference,
    "lab_linear": lab._ReferenceLinear,
}
WRONG = {  # label -> (checker, the mistake, fragments of the verdict)
    "a wrong letter": ("lab_diagnosis", (5, "A"), ["does not fit the symptoms"]),
    "no zero_grad": ("lab_train_step", no_zero_grad, ["never zeroes its gradients"]),
    "softmax output": ("lab_model", with_softmax, ["outputs probabilities"]),
    "leakage": ("lab_standardize", _leak, ["leakage"]),
    "learning rate 2": ("lab_optimizer", lambda p: optim.SGD(p, lr=2.0, momentum=0.9), ["too high"]),
    "two permutations": (
        "lab_shuffle",
        lambda X, y, r: (X[r.permutation(len(X))], y[r.permutation(len(y))]),
        ["two different permutations"],
    ),
    "training-mode dropout": ("lab_accuracy", lambda m, X, y: nnkit.train.accuracy(m(X), y), ["dropout"]),
    "transposed backward": ("lab_linear", Transposed, ["dy @ W, not dy @ W.T"]),
}
BUGGY_REFERENCES = {  # checker -> (its private runner with a reference argument, a wrong reference)
    "lab_diagnosis": None,  # a broken table: test_a_broken_diagnosis_table_is_a_checker_bug
    "lab_train_step": (lab._check_train_step, no_zero_grad),
    "lab_model": (lab._check_model, with_softmax),
    "lab_standardize": (None, _leak),
    "lab_optimizer": (lab._check_optimizer, lambda p: optim.SGD(p, lr=1e-6)),
    "lab_shuffle": (lab._check_shuffle, lambda X, y, r: (X, y[r.permutation(len(y))])),
    "lab_accuracy": (lab._check_accuracy, lambda m, X, y: nnkit.train.accuracy(m(X), y)),
    "lab_linear": (lab._check_linear, Transposed),
}


@pytest.mark.parametrize("name", sorted(k for k, v in CORRECT.items() if v is not None))
def test_the_right_answer_passes_through_check(name, capsys):
    from nnkit.exercises import check as registered

    passes(getattr(registered, name)(CORRECT[name]), capsys)


@pytest.mark.parametrize("label", sorted(WRONG))
def test_a_typical_mistake_fails_with_its_explanation(label, capsys):
    from nnkit.exercises import check as registered

    name, mistake, fragments = WRONG[label]
    verdict = getattr(registered, name)(*mistake) if isinstance(mistake, tuple) else getattr(registered, name)(mistake)
    fails(verdict, fragments, capsys)


@pytest.mark.parametrize("name", sorted(k for k, v in BUGGY_REFERENCES.items() if v is not None))
def test_a_wrong_reference_is_a_checker_bug(name):
    runner, wrong = BUGGY_REFERENCES[name]
    import dataclasses

    with pytest.raises(CheckerBug):
        if runner is None:  # the table-driven one
            run(dataclasses.replace(lab.STANDARDIZE, reference=wrong), CORRECT[name])
        else:
            runner(CORRECT[name], reference=wrong)
