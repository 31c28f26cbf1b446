"""Checkers for the lab "When training goes wrong" (lab_debugging.ipynb).

Two kinds of exercise per broken run. ``lab_diagnosis(bug, letter)`` takes the reader's diagnosis, a
letter among the candidate causes that :func:`candidates` lists, and explains, for a wrong letter, why
the symptoms rule that cause out. The fix checkers (``lab_train_step``, ``lab_model``,
``lab_standardize``, ``lab_optimizer``, ``lab_shuffle``, ``lab_accuracy``, ``lab_linear``) RUN the
reader's corrected code and check that the bug's fingerprint is gone: the parameters follow correct
steps, the initial loss is near log C and one batch can be memorized, a gradient check passes, and so on.
Like every checker, they never raise on a wrong answer; they raise :class:`CheckerBug` when nnkit's own
reference fix fails the same test (our bug, not the reader's).
"""

from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from ..activations import ReLU
from ..data import Standardizer, load_digits
from ..gradcheck import gradcheck
from ..layers import Dropout, Linear
from ..losses import CrossEntropyLoss
from ..module import Module, Parameter, Sequential
from ..optim import SGD, Adam, Optimizer
from ..train import accuracy as _accuracy
from ..train import check_initial_loss, fit, overfit_one_batch, predict
from ._compare import Case, CheckerBug, Exercise, Verdict, arrays, run

__all__ = ["DIAGNOSES", "EXERCISES", "Checks", "candidates"]


# ---------------------------------------------------------------- diagnosis: which cause fits the symptoms


@dataclass(frozen=True)
class Diagnosis:
    """One broken run: its candidate causes (letter -> (cause, why the symptoms rule it out)), the right
    letter, and the fingerprint that gives the right cause away."""

    title: str
    causes: dict[str, tuple[str, str]]
    answer: str
    fingerprint: str


_ZERO = "the gradients are not zeroed between steps"
_SOFTMAX = "a Softmax layer in front of CrossEntropyLoss"
_RAW = "the inputs are not standardized"
_LR_HIGH = "the learning rate is far too high"
_LR_LOW = "the learning rate is far too low"
_DEAD = "the ReLU units are dead from the initialization on"
_LABELS = "the labels were shuffled separately from the inputs"
_DROPOUT = "dropout is still active at evaluation"
_LEAK = "the standardizer was fitted on all the data"
_TRANSPOSED = "the hand-written layer's backward uses the transposed weight"

DIAGNOSES: dict[int, Diagnosis] = {
    1: Diagnosis(
        "the loss falls, then explodes",
        {
            "A": (
                _LR_HIGH,
                "the healthy run uses the same learning rate; and although a learning rate that is too "
                "high can also let the loss fall for a few steps, its gradient norm does not grow steadily "
                "at every step, tens of times larger after 20 steps, like the sum of all the gradients so far",
            ),
            "B": (_ZERO, ""),
            "C": (
                _RAW,
                "unscaled inputs give large updates from the first step on (bug 3); they do not make the "
                "gradient norm grow steadily, step after step",
            ),
            "D": (_DEAD, "a dead network's gradient norm collapses towards 0, and this one grows"),
        },
        "B",
        "the gradient norm grows roughly linearly with the step: each step adds one more batch's gradient "
        "to the sum of all the earlier ones",
    ),
    2: Diagnosis(
        "the loss starts at log C, and one batch cannot be memorized: its loss stops near 1.5",
        {
            "A": (
                _LR_LOW,
                "when one batch is overfitted, the loss moves quickly at first and then stops at "
                "a fixed floor; a small learning rate gives a slow, steady decrease with no floor",
            ),
            "B": (_DEAD, "the dead fraction of the hidden ReLU units stays near 0 in the statistics"),
            "C": (_SOFTMAX, ""),
            "D": (
                _LABELS,
                "labels that do not match their inputs can still be memorized one batch at a time (bug 6 "
                "memorizes such a batch in a few dozen steps); this batch cannot be memorized at all",
            ),
        },
        "C",
        "the logits the loss sees are probabilities in [0, 1], so the best loss is log(1 + (C − 1)/e) ≈ 1.46 "
        "for C = 10, close to the floor of the overfitting run; the softmax also shrinks the gradient "
        "that reaches the layers (their gradient norm starts about 10 times below the healthy run's)",
    ),
    3: Diagnosis(
        "the run trains, but with large updates and a validation accuracy below every healthy seed's",
        {
            "A": (_RAW, ""),
            "B": (
                _LEAK,
                "leakage makes the validation score a little too good, never worse; and it leaves the "
                "inputs standardized, so it cannot make the first layer's outputs several times larger at step 1",
            ),
            "C": (
                _ZERO,
                "gradients that are not zeroed make the steps grow step after step (bug 1); here the "
                "update ratio peaks within the first ten or so steps and then falls, and the loss falls too",
            ),
            "D": (
                _DROPOUT,
                "dropout makes training noisy, but it cannot make the first layer's outputs several times "
                "larger than the healthy run's at step 1, before any update",
            ),
            "E": (
                _LR_HIGH,
                "a learning rate acts only through the updates, yet the first layer's output std is already "
                "several times the healthy run's at step 1, before any update: the inputs are too large",
            ),
        },
        "A",
        "the first layer's output std at step 1, before any update, is several times the healthy run's: "
        "the pixels range over 0 to 16, so the update ratio is large too and the learning rate that is "
        "fine for standardized inputs takes steps that are too large",
    ),
    4: Diagnosis(
        "the loss jumps up in the first steps and stays at chance",
        {
            "A": (_LR_HIGH, ""),
            "B": (
                _LR_LOW,
                "a learning rate that is too low barely moves the weights: the update ratio would "
                "be tiny, and here it is of order 1",
            ),
            "C": (
                _LABELS,
                "with shuffled labels the loss would sit near log C from the start, not jump far "
                "above it in the first steps",
            ),
            "D": (
                _SOFTMAX,
                "with a Softmax in front of the loss, the loss can never exceed log(C − 1 + e) ≈ 2.46; "
                "here it jumps far above that",
            ),
            "E": (
                _DEAD,
                "the dead fraction starts near 0 and rises only after the loss has jumped in the first "
                "steps: the units die from the huge updates, not from the initialization",
            ),
        },
        "A",
        "the update-to-weight ratio of the first steps is of order 1 (the weights are replaced, not "
        "adjusted), and then the ReLU units die",
    ),
    5: Diagnosis(
        "the loss stays at log C from the first step to the last",
        {
            "A": (
                _LR_LOW,
                "with a low learning rate the gradient norm is normal and the weights move a little; "
                "here the gradient of the first layer is exactly 0",
            ),
            "B": (_DEAD, ""),
            "C": (
                _LABELS,
                "shuffled labels still leave gradients flowing and let one batch be memorized; here "
                "no gradient reaches the first layer at all",
            ),
            "D": (
                _RAW,
                "unscaled inputs give large outputs and large updates (bug 3); here the layers "
                "below the last one do not move at all, their gradient is exactly 0",
            ),
        },
        "B",
        "the dead fraction of the last hidden ReLU layer is 1 from the first step: the network outputs "
        "the same logits for every input, so its loss is log C and its gradient 0",
    ),
    6: Diagnosis(
        "the training loss stays near log C, but one batch can be memorized",
        {
            "A": (_LABELS, ""),
            "B": (_DEAD, "most ReLU units are alive (a dead fraction far below 1) and the gradients flow"),
            "C": (
                _LR_LOW,
                "the first layer's update-to-weight ratio is of the same order as the healthy run's: the "
                "weights move about as much as in a run that learns; a learning rate 100 times too low "
                "leaves the loss as stuck, but with a ratio about 100 times smaller",
            ),
            "D": (
                _SOFTMAX,
                "a Softmax stops the overfitting of one batch at a floor near 1.5 (bug 2); this network "
                "memorizes its batch down to a loss below 0.01",
            ),
        },
        "A",
        "the network can learn (it memorizes one batch), the statistics are healthy, and yet the training "
        "accuracy stays near chance on the whole set: the labels carry no information about the inputs",
    ),
    7: Diagnosis(
        "the validation accuracy changes from one evaluation to the next",
        {
            "A": (_LEAK, "leakage would change the score once, not from one call to the next on the same model"),
            "B": (_LR_HIGH, "the three evaluations follow each other with no training step between them"),
            "C": (_DROPOUT, ""),
            "D": (_LABELS, "fit's validation accuracy for this model is high: the labels match the inputs"),
        },
        "C",
        "two evaluations of the same weights on the same images disagree: only a random layer, dropout left "
        "in training mode, can do that",
    ),
    8: Diagnosis(
        "a hand-written layer: plausible curves, a failed gradient check",
        {
            "A": (
                _LR_LOW,
                "a learning rate cannot make a gradient check fail: the check compares the backward "
                "with finite differences, whatever the training does",
            ),
            "B": (_TRANSPOSED, ""),
            "C": (
                _ZERO,
                "gradients that are not zeroed make the gradient norm grow step after step (bug 1), and here "
                "it does not; nor can they make the gradient check of a single layer fail",
            ),
            "D": (_DEAD, "the dead fraction of the ReLU units is far below 1"),
        },
        "B",
        "the gradient check of the layer fails on the input gradient (a relative error of order 1) while the "
        "weight gradient passes: a square weight lets dy @ W.T run without a shape error",
    ),
}


def candidates(bug: int) -> str:
    """The candidate causes of broken run ``bug`` as lines ``A. cause``, to print before the exercise."""
    diagnosis = DIAGNOSES[bug]
    return "\n".join(f"{letter}. {cause}" for letter, (cause, _) in diagnosis.causes.items())


def _check_diagnoses() -> None:
    for bug, d in DIAGNOSES.items():
        if (
            d.answer not in d.causes
            or d.causes[d.answer][1]
            or any(not why for letter, (_, why) in d.causes.items() if letter != d.answer)
        ):
            raise CheckerBug(f"checker bug in check.lab_diagnosis (not your fault): the table of bug {bug} is broken")


# ---------------------------------------------------------------- shared helpers


def _verdict(name: str, passed: bool, message: str) -> Verdict:
    print(message)
    return Verdict(name, passed, message)


def _fail(name: str, problem: str, hint: str) -> Verdict:
    return _verdict(name, False, f"✗ {name}: {problem}. Hint: {hint.rstrip('.')}.")


def _not_callable(name: str, fn: Any, kind: str, example: str) -> Verdict | None:
    """The verdict for an answer that is not a function (or class) at all, else None."""
    if callable(fn):
        return None
    return _fail(
        name, f"expected a {kind}, got {type(fn).__name__}", f"pass the {kind} itself: check.{name}({example})"
    )


def _problem_check(
    name: str, fn: Any, reference: Any, problem: Callable[[Any], tuple[str, str] | None], what: str, passed: str
) -> Verdict:
    """A checker whose test is ``problem(answer) -> (what is wrong, hint) | None``: the reference must pass it
    (else CheckerBug), then the reader's answer is judged."""
    if problem(reference) is not None:
        raise CheckerBug(f"checker bug in check.{name} (not your fault): the reference {what}")
    found = problem(fn)
    if found is not None:
        return _fail(name, *found)
    return _verdict(name, True, f"✓ {name}: {passed}")


def _quietly(fn: Callable[..., Any], *args: Any) -> tuple[Any, str | None]:
    """Call the reader's ``fn``: ``(answer, None)``, or ``(None, "raised ...")``; warnings are silenced."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            return fn(*args), None
        except Exception as exc:  # the reader's code may raise anything: that is a verdict, not a crash
            first = str(exc).splitlines()[0] if str(exc) else ""
            return None, f"your function raised {type(exc).__name__}{': ' + first if first else ''}"


@cache
def _digits() -> tuple[np.ndarray, np.ndarray]:
    """300 standardized digits (float64): the checkers' fixed data."""
    X, y = load_digits(dtype=np.float64)
    X, y = X[:300], y[:300]
    return Standardizer().fit(X).transform(X), y


def _mlp(rng: Any = 0, d_h: int = 32, dropout: float = 0.0) -> Sequential:
    """A small float64 MLP for the digits: 64 -> d_h -> d_h -> 10 with ReLU (and dropout before the last layer)."""
    gen = np.random.default_rng(rng) if not isinstance(rng, np.random.Generator) else rng
    layers: list[Module] = [
        Linear(64, d_h, rng=gen, dtype=np.float64),
        ReLU(),
        Linear(d_h, d_h, rng=gen, dtype=np.float64),
        ReLU(),
    ]
    if dropout:
        layers.append(Dropout(dropout))
    layers.append(Linear(d_h, 10, rng=gen, dtype=np.float64))
    return Sequential(*layers)


def _params_close(a: Module, b: Module) -> bool:
    return all(np.allclose(p.data, q.data, rtol=1e-7, atol=1e-10) for p, q in zip(a.parameters(), b.parameters()))


# ---------------------------------------------------------------- bug 1: the training step


def _train_step_reference(model: Module, loss_fn: Module, optimizer: Optimizer, X: np.ndarray, y: np.ndarray) -> float:
    """One mini-batch step: forward, loss, zero the gradients, backward, update; return the loss."""
    loss = loss_fn(model(X), y)
    optimizer.zero_grad()
    model.backward(loss_fn.backward())
    optimizer.step()
    return float(loss)


def _train_step_variant(
    model: Module, loss_fn: Module, optimizer: Optimizer, X: np.ndarray, y: np.ndarray, mistake: str
) -> float:
    loss = loss_fn(model(X), y)
    if mistake == "zero after backward":
        model.backward(loss_fn.backward())
        optimizer.zero_grad()
    else:  # "no zero_grad"
        model.backward(loss_fn.backward())
    optimizer.step()
    return float(loss)


def _run_steps(step: Callable[..., Any], steps: int = 3) -> tuple[Module, list[Any], str | None]:
    X, y = _digits()
    model = _mlp(0)
    optimizer = SGD(model.parameters(), lr=0.1)
    loss_fn = CrossEntropyLoss()
    losses = []
    for t in range(steps):
        rows = slice(32 * t, 32 * (t + 1))
        loss, problem = _quietly(step, model, loss_fn, optimizer, X[rows].copy(), y[rows].copy())
        if problem is not None:
            return model, losses, problem
        losses.append(loss)
    return model, losses, None


def _check_train_step(fn: Any, reference: Callable[..., Any] = _train_step_reference) -> Verdict:
    name = "lab_train_step"
    if (wrong := _not_callable(name, fn, "function", "train_step")) is not None:
        return wrong
    want, want_losses, problem = _run_steps(reference)
    noz, _, _ = _run_steps(lambda *a: _train_step_variant(*a, mistake="no zero_grad"))
    if problem is not None or _params_close(want, noz) or not _params_close(want, _run_steps(reference)[0]):
        raise CheckerBug(f"checker bug in check.{name} (not your fault): the reference step is wrong")
    got, losses, problem = _run_steps(fn)
    if problem is not None:
        return _fail(name, problem, "train_step(model, loss_fn, optimizer, X, y) runs one step and returns the loss")
    if not _params_close(got, want):
        start = _mlp(0)
        if _params_close(got, noz):
            return _fail(
                name,
                "after 3 steps the parameters are those of a run that never zeroes its gradients",
                "each backward ADDS to .grad (+=): call optimizer.zero_grad() before model.backward, "
                "every step, or each step also applies all the earlier batches' gradients",
            )
        if _params_close(got, start):
            return _fail(
                name,
                "the parameters did not move",
                "call optimizer.step() after backward, and zero the gradients BEFORE backward, not "
                "between backward and step (that erases the gradient the step needs)",
            )
        return _fail(
            name,
            "after 3 steps on 3 batches the parameters differ from 3 correct SGD steps",
            "forward, loss, optimizer.zero_grad(), model.backward(loss_fn.backward()), optimizer.step()",
        )
    try:
        ok = all(abs(float(a) - b) <= 1e-8 * max(1.0, abs(b)) for a, b in zip(losses, want_losses))
    except (TypeError, ValueError):
        ok = False
    if not ok:
        return _fail(
            name,
            f"the parameters are right, but the returned losses {losses!r} are not the batches' losses",
            "return the loss of the batch, computed by the forward pass before the update",
        )
    return _verdict(name, True, f"✓ {name}: 3 steps on 3 batches match correct SGD steps (gradients zeroed each step)")


# ---------------------------------------------------------------- bugs 2 and 5: the model builder


def _model_reference(rng: np.random.Generator) -> Module:
    """A digits classifier that outputs logits, with nnkit's default initialization: 64 -> 32 -> 32 -> 10."""
    return _mlp(rng)


def _dead_fractions(model: Module, X: np.ndarray) -> dict[str, float]:
    """For each ReLU, the fraction of its units that output 0 on every example of X."""
    found: dict[str, float] = {}
    handles = []
    for layer_name, m in model.named_modules():
        if isinstance(m, ReLU):

            def hook(module: Module, args: Any, out: Any, layer_name: str = layer_name) -> None:
                found[layer_name] = float(np.mean(~(np.asarray(out) > 0).any(axis=0)))

            handles.append(m.register_forward_hook(hook))
    try:
        predict(model, X)
    finally:
        for h in handles:
            h.remove()
    return found


def _model_problem(fn: Callable[..., Any]) -> tuple[str, str] | None:
    """The first fingerprint of a broken classifier that ``fn(rng)`` builds, as (problem, hint), or None."""
    X, y = _digits()
    model, problem = _quietly(fn, np.random.default_rng(0))
    if problem is not None:
        return problem, "build_model(rng) returns an nnkit model from 64 inputs to 10 logits"
    if not isinstance(model, Module):
        return f"expected an nnkit Module, got {type(model).__name__}", "return the model (a Sequential)"
    out, problem = _quietly(predict, model, X)
    if problem is not None or np.shape(out) != (len(X), 10):
        return (
            problem or f"the model's output has shape {np.shape(out)}, not (300, 10)",
            "the model maps (N, 64) digits to (N, 10) logits",
        )
    if np.all(out >= 0) and np.allclose(np.sum(out, axis=1), 1.0):
        return (
            "the model outputs probabilities (every row sums to 1)",
            "remove the Softmax: CrossEntropyLoss applies log-softmax to the logits itself, and a softmax "
            "before it squeezes the logits into [0, 1], so the loss cannot go below log(1 + 9/e) ≈ 1.46",
        )
    dead = _dead_fractions(model, X)
    worst = max(dead, key=dead.__getitem__, default=None)
    if worst is not None and dead[worst] > 0.5:
        return (
            f"at initialization {dead[worst]:.0%} of the units of ReLU layer {worst!r} output 0 for every "
            "example (dead units get no gradient)",
            "keep the default initialization (small biases around 0), or at most a small positive bias; a "
            "large negative bias kills the units before training starts",
        )
    with np.errstate(all="ignore"):
        init = check_initial_loss(model, CrossEntropyLoss(), (X, y))
    if not init.ok:
        return (
            f"the loss at initialization is {init.loss:.3g}, far from log 10 = {init.expected:.3f}",
            "an untrained classifier should guess uniformly: keep the initialization small",
        )
    trial = copy.deepcopy(model)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            reached = overfit_one_batch(
                trial, CrossEntropyLoss(), Adam(trial.parameters(), lr=0.01), (X[:32], y[:32]), steps=300
            )
        except Exception as exc:
            return f"training the model raised {type(exc).__name__}", "the model must train with nnkit's fit"
    if not reached:
        return (
            f"the model cannot memorize one batch of 32 digits (loss {reached.losses[-1]:.3g} after "
            f"{len(reached.losses)} Adam steps)",
            "a model that cannot overfit one batch is broken: look at its output layer and its initialization",
        )
    return None


def _check_model(fn: Any, reference: Callable[..., Any] = _model_reference) -> Verdict:
    name = "lab_model"
    if (wrong := _not_callable(name, fn, "function", "build_model")) is not None:
        return wrong
    return _problem_check(
        name,
        fn,
        reference,
        _model_problem,
        "model fails its own test",
        "logits out, no dead ReLU layer, initial loss ≈ log 10, and it memorizes one batch",
    )


# ---------------------------------------------------------------- bug 3 (and leakage): the preprocessing


def _standardize_reference(X_train: np.ndarray, X_val: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both sets standardized with the training set's mean and std (a constant feature maps to 0)."""
    scaler = Standardizer().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_val)


def _standardize_variants(X_train: np.ndarray, X_val: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    both = Standardizer().fit(np.concatenate([X_train, X_val]))
    own = Standardizer().fit(X_val)
    return {
        "leak": (both.transform(X_train), both.transform(X_val)),
        "own": (_standardize_reference(X_train, X_val)[0], own.transform(X_val)),
        "raw": (X_train, X_val),
        "ddof": _standardize_ddof1(X_train, X_val),
    }


def _standardize_ddof1(X_train: np.ndarray, X_val: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The training set's mean and its sample std (ddof=1), a constant feature mapped to 0."""
    mean, std = X_train.mean(axis=0), X_train.std(axis=0, ddof=1)
    std = np.where(std > 0, std, 1.0)
    return (X_train - mean) / std, (X_val - mean) / std


_STANDARDIZE_MISTAKES = {
    "leak": "the statistics come from the training AND validation data together (leakage): fit the mean and std "
    "on X_train only, and apply those same numbers to X_val",
    "own": "X_val was standardized with its own mean and std: use the training set's numbers for both sets, as a "
    "deployed model would have to",
    "raw": "nothing was standardized: subtract the training mean and divide by the training std, per feature",
    "ddof": "the std was computed with ddof=1 (the sample std); Standardizer and np.std divide by N (ddof=0): "
    "use X_train.std(axis=0) as it is",
}


def _standardize_diagnose(case: Case, want: Any, got: Any) -> str | None:
    X_train, X_val = case.args["X_train"], case.args["X_val"]
    parts = [np.asarray(g, dtype=np.float64) for g in got]
    for mistake, variant in _standardize_variants(X_train, X_val).items():
        if all(p.shape == v.shape and np.allclose(p, v) for p, v in zip(parts, variant)):
            return _STANDARDIZE_MISTAKES[mistake]
    return None


def _standardize_cases(rng: np.random.Generator) -> list[Case]:
    shifted = rng.normal(3.0, 2.0, size=(12, 4))
    constant = rng.normal(size=(10, 3))
    constant[:, 1] = 5.0
    return [
        Case(
            "known values",
            arrays(X_train=np.array([[0.0, 1.0], [2.0, 3.0]]), X_val=np.array([[4.0, 5.0]])),
            (np.array([[-1.0, -1.0], [1.0, 1.0]]), np.array([[3.0, 3.0]])),
        ),
        Case("shifted validation data", arrays(X_train=shifted[:8], X_val=shifted[8:] + 4.0)),
        Case(
            "a constant feature",
            arrays(X_train=constant[:7], X_val=constant[7:]),
            hint="a feature that is constant in the training set has std 0: divide by 1 instead (it maps to 0), "
            "as Standardizer does",
        ),
    ]


STANDARDIZE = Exercise(
    "lab_standardize",
    _standardize_reference,
    _standardize_cases,
    hint="fit the mean and std on X_train only (Standardizer().fit(X_train)) and transform both sets with them",
    outputs=("X_train", "X_val"),
    diagnose=_standardize_diagnose,
)


# ---------------------------------------------------------------- bug 4: the optimizer


def _optimizer_reference(params: list[Parameter]) -> Optimizer:
    """SGD with momentum 0.9 and a learning rate of 0.05, as the healthy baseline run."""
    return SGD(params, lr=0.05, momentum=0.9)


def _optimizer_run(fn: Callable[..., Any]) -> tuple[Any, str | None]:
    X, y = _digits()
    model = _mlp(0)
    opt, problem = _quietly(fn, list(model.parameters()))
    if problem is not None:
        return None, problem
    if not isinstance(opt, Optimizer):
        return None, f"expected an nnkit optimizer, got {type(opt).__name__}"
    history, problem = _quietly(
        lambda: fit(model, CrossEntropyLoss(), opt, (X, y), epochs=10, batch_size=32, rng=0, progress=False)
    )
    return history, problem


def _check_optimizer(fn: Any, reference: Callable[..., Any] = _optimizer_reference) -> Verdict:
    name = "lab_optimizer"
    if (wrong := _not_callable(name, fn, "function", "make_optimizer")) is not None:
        return wrong
    want, problem = _optimizer_run(reference)
    if problem is not None or want.diverged or want.history["loss"][-1] > 0.1:
        raise CheckerBug(f"checker bug in check.{name} (not your fault): the reference optimizer does not train")
    got, problem = _optimizer_run(fn)
    if problem is not None:
        return _fail(name, problem, "make_optimizer(params) returns, e.g., optim.SGD(params, lr=..., momentum=0.9)")
    loss = got.history["loss"]
    first = got.step_losses[0]
    if got.diverged or not all(math.isfinite(v) for v in loss) or max(got.step_losses) > 2 * first:
        return _fail(
            name,
            f"the loss rose far above its start ({max(got.step_losses):.3g} > 2 × {first:.3g})",
            "the learning rate is still too high: try 10 or 100 times smaller",
        )
    if loss[-1] > 0.5:
        slow = loss[-1] > 0.8 * first
        return _fail(
            name,
            f"after 10 epochs the training loss is still {loss[-1]:.3g} (the reference reaches "
            f"{want.history['loss'][-1]:.2g})",
            "the learning rate is now far too low: the weights barely move"
            if slow
            else "the loss falls, but too slowly: a somewhat larger learning rate, or momentum",
        )
    return _verdict(
        name,
        True,
        f"✓ {name}: 10 epochs on 300 digits bring the loss from {first:.2f} to {loss[-1]:.3f}, without a jump",
    )


# ---------------------------------------------------------------- bug 6: shuffling


def _shuffle_reference(X: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The examples in a random order, each input with its own label: ONE permutation for both."""
    order = rng.permutation(len(X))
    return X[order], y[order]


def _shuffle_problem(fn: Callable[..., Any]) -> tuple[str, str] | None:
    n = 40
    X = np.arange(n * 3, dtype=np.float64).reshape(n, 3)  # row n is (3n, 3n + 1, 3n + 2): its label is n % 10
    y = np.arange(n) % 10
    got, problem = _quietly(fn, X.copy(), y.copy(), np.random.default_rng(0))
    hint = "draw one permutation, order = rng.permutation(len(X)), and index both: X[order], y[order]"
    if problem is not None:
        return problem, hint
    try:
        Xs, ys = (np.asarray(part) for part in got)
    except (TypeError, ValueError):
        return f"expected a pair (X, y), got {type(got).__name__}", hint
    if Xs.shape != X.shape or ys.shape != y.shape:
        return f"expected shapes {X.shape} and {y.shape}, got {Xs.shape} and {ys.shape}", hint
    rows = Xs[:, 0] / 3
    if not np.array_equal(np.sort(rows), np.arange(n)) or not np.array_equal(np.sort(ys), np.sort(y)):
        return "the result is not a reordering of the examples (some are missing or repeated)", hint
    if np.array_equal(rows, np.arange(n)):
        return "the examples are still in their original order", hint
    matched = float(np.mean(rows.astype(int) % 10 == ys))
    if matched < 1.0:
        return (
            f"only {matched:.0%} of the inputs kept their own label",
            "X and y were shuffled with two different permutations, so the labels no longer belong to the "
            "inputs; " + hint,
        )
    return None


def _check_shuffle(fn: Any, reference: Callable[..., Any] = _shuffle_reference) -> Verdict:
    name = "lab_shuffle"
    if (wrong := _not_callable(name, fn, "function", "shuffle")) is not None:
        return wrong
    return _problem_check(
        name,
        fn,
        reference,
        _shuffle_problem,
        "shuffle fails its own test",
        "40 examples reordered, every input with its own label",
    )


# ---------------------------------------------------------------- bug 7: evaluation


def _accuracy_reference(model: Module, X: np.ndarray, y: np.ndarray) -> float:
    """The accuracy of ``model`` on ``(X, y)`` in evaluation mode (dropout off); the mode is restored after."""
    was_training = model.training
    model.eval()
    try:
        return _accuracy(model(X), y)
    finally:
        model.train(was_training)


@cache
def _trained_dropout_model() -> Module:
    X, y = _digits()
    model = _mlp(0, d_h=32, dropout=0.5)
    fit(
        model,
        CrossEntropyLoss(),
        SGD(model.parameters(), lr=0.05, momentum=0.9),
        (X, y),
        epochs=5,
        batch_size=32,
        rng=0,
        progress=False,
    )
    model.train()
    return model


def _check_accuracy(fn: Any, reference: Callable[..., Any] = _accuracy_reference) -> Verdict:
    name = "lab_accuracy"
    if (wrong := _not_callable(name, fn, "function", "evaluate_accuracy")) is not None:
        return wrong
    X, y = _digits()
    model = copy.deepcopy(_trained_dropout_model())
    model.eval()
    want = _accuracy(model(X), y)
    model.train()
    ref_model = copy.deepcopy(model)
    if reference(ref_model, X, y) != want or not ref_model.training:
        raise CheckerBug(f"checker bug in check.{name} (not your fault): the reference accuracy is wrong")
    results = []
    for _ in range(2):
        value, problem = _quietly(fn, model, X, y)
        if problem is not None:
            return _fail(name, problem, "evaluate_accuracy(model, X, y) returns the fraction of correct predictions")
        results.append(value)
        model.train()  # each call starts from a model in training mode, as it is after fit
    hint = "call model.eval() before the forward pass (dropout off), and model.train() after it if training goes on"
    try:
        got = [float(v) for v in results]
    except (TypeError, ValueError):
        return _fail(name, f"expected a number, got {type(results[0]).__name__}", hint)
    if got[0] != got[1]:
        return _fail(
            name,
            f"two calls on the same model and data gave {got[0]:.4f} and {got[1]:.4f}",
            "dropout is still active, so every evaluation drops other units: " + hint,
        )
    if math.isclose(got[0], 100 * want):
        return _fail(
            name, f"expected a fraction {want:.4f}, got {got[0]:.4g} (a percentage)", "return a fraction in [0, 1]"
        )
    if not math.isclose(got[0], want, rel_tol=1e-12):
        return _fail(
            name,
            f"expected {want:.4f}, got {got[0]:.4f}",
            "if the model is still in training mode, dropout silences half the units: " + hint,
        )
    return _verdict(name, True, f"✓ {name}: {want:.1%} on 300 digits, the same on every call (dropout off)")


# ---------------------------------------------------------------- bug 8: a hand-written layer


class _ReferenceLinear(Module):
    """y = x @ W.T + b. Backward: dx = dy @ W, dW += dy.T @ x, db += Σ_n dy."""

    def __init__(self, in_features: int, out_features: int, rng: Any = None) -> None:
        super().__init__()
        gen = np.random.default_rng(rng) if not isinstance(rng, np.random.Generator) else rng
        bound = 1 / math.sqrt(in_features)
        self.weight = Parameter(gen.uniform(-bound, bound, (out_features, in_features)))
        self.bias = Parameter(gen.uniform(-bound, bound, out_features))

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.save_for_backward(x)
        return x @ self.weight.data.T + self.bias.data

    def backward(self, dy: np.ndarray, *, input_grad: bool = True) -> np.ndarray:
        (x,) = self.saved_tensors
        self.weight.grad += dy.T @ x
        self.bias.grad += dy.sum(axis=0)
        return dy @ self.weight.data


def _linear_problem(cls: Any) -> tuple[str, str] | None:
    hint = (
        "forward y = x @ W.T + b; backward dx = dy @ W (shape (N, in)), dW += dy.T @ x (shape (out, in)), "
        "db += dy.sum(0)"
    )
    for d_in, d_out in ((4, 4), (5, 3)):
        layer, problem = _quietly(cls, d_in, d_out, np.random.default_rng(0))
        if problem is not None:
            return problem.replace(
                "your function", f"{getattr(cls, '__name__', 'your class')}({d_in}, {d_out}, rng)"
            ), hint
        if not isinstance(layer, Module):
            return f"expected an nnkit Module, got {type(layer).__name__}", "subclass nnkit.Module"
        x = np.random.default_rng(1).normal(size=(3, d_in))
        report, problem = _quietly(gradcheck, layer, x)
        if problem is not None:
            return f"with {d_in} inputs and {d_out} outputs, {problem.replace('your function', 'the layer')}", hint
        if not report.ok:
            where, err = report.worst
            if where == "input":
                return (
                    f"with a {d_out}×{d_in} weight, the gradient check fails on the input gradient (relative error "
                    f"{err:.2g})",
                    "dx = dy @ W, not dy @ W.T: a square weight hides the transpose, since both shapes fit",
                )
            return (
                f"with {d_in} inputs and {d_out} outputs, the gradient check fails on {where} "
                f"(relative error {err:.2g})",
                hint,
            )
    return None


def _check_linear(cls: Any, reference: Any = _ReferenceLinear) -> Verdict:
    name = "lab_linear"
    if (wrong := _not_callable(name, cls, "class", "MyLinear")) is not None:
        return wrong
    return _problem_check(
        name,
        cls,
        reference,
        _linear_problem,
        "layer fails its gradient check",
        "the gradient check passes for a square (4×4) and a 3×5 weight",
    )


# ---------------------------------------------------------------- the tables and the checkers


def _behaviour(name: str, reference: Callable[..., Any], hint: str) -> Exercise:
    """An exercise whose checker runs the reader's code (no table of cases): listed for ``check`` and its tests."""
    return Exercise(name, reference, lambda rng: [], hint=hint)


EXERCISES = (
    _behaviour("lab_diagnosis", lambda bug: DIAGNOSES[bug].answer, "a letter among the listed causes"),
    _behaviour("lab_train_step", _train_step_reference, "zero the gradients before backward"),
    _behaviour("lab_model", _model_reference, "logits out, a healthy initialization"),
    STANDARDIZE,
    _behaviour("lab_optimizer", _optimizer_reference, "a learning rate that moves the weights, without a jump"),
    _behaviour("lab_shuffle", _shuffle_reference, "one permutation for X and y"),
    _behaviour("lab_accuracy", _accuracy_reference, "model.eval() before evaluating"),
    _behaviour("lab_linear", _ReferenceLinear, "dx = dy @ W"),
)


class Checks:
    """The checkers of the lab's exercises, gathered into ``nnkit.exercises.check``."""

    def lab_diagnosis(self, bug: int, letter: str) -> Verdict:
        """Check a diagnosis: ``letter`` among the causes that ``candidates(bug)`` lists for broken run ``bug``.
        A wrong letter gets the reason the symptoms rule that cause out.

        >>> from nnkit.exercises.lab_debugging import Checks
        >>> ok = Checks().lab_diagnosis(5, "A")  # doctest: +ELLIPSIS
        ✗ lab_diagnosis: bug 5, A (the learning rate is far too low) does not fit the symptoms: with a low ...
        """
        name = "lab_diagnosis"
        _check_diagnoses()
        if bug not in DIAGNOSES:
            return _fail(
                name, f"there is no bug {bug!r}", f"the bugs are numbered {min(DIAGNOSES)} to {max(DIAGNOSES)}"
            )
        d = DIAGNOSES[bug]
        key = letter.strip().upper().rstrip(".") if isinstance(letter, str) else letter
        if key not in d.causes:
            return _fail(
                name,
                f"bug {bug}: {letter!r} is not one of the letters {', '.join(d.causes)}",
                f'answer with one letter, such as check.lab_diagnosis({bug}, "A")',
            )
        cause, why_not = d.causes[key]
        if key != d.answer:
            return _fail(
                name,
                f"bug {bug}, {key} ({cause}) does not fit the symptoms: {why_not}",
                "look again at the statistics that do not look like a healthy run",
            )
        return _verdict(name, True, f"✓ lab_diagnosis: bug {bug} is {cause}. The fingerprint: {d.fingerprint}.")

    def lab_train_step(self, fn: Callable[..., Any]) -> Verdict:
        """Run ``fn(model, loss_fn, optimizer, X, y) -> loss`` for 3 steps and compare with 3 correct SGD steps."""
        return _check_train_step(fn)

    def lab_model(self, fn: Callable[..., Any]) -> Verdict:
        """Build ``fn(rng)`` (a digits classifier, 64 inputs, 10 logits) and check the fingerprints of bugs 2 and 5:
        no softmax at the end, no dead ReLU layer, initial loss ≈ log 10, one batch memorized."""
        return _check_model(fn)

    def lab_standardize(self, fn: Callable[..., Any]) -> Verdict:
        """Check ``fn(X_train, X_val) -> (X_train_s, X_val_s)``: both standardized with the TRAINING set's
        statistics (no leakage); a constant feature maps to 0."""
        return run(STANDARDIZE, fn)

    def lab_optimizer(self, fn: Callable[..., Any]) -> Verdict:
        """Train a small MLP with ``fn(params) -> optimizer`` for 10 epochs and check the loss falls without a jump."""
        return _check_optimizer(fn)

    def lab_shuffle(self, fn: Callable[..., Any]) -> Verdict:
        """Check ``fn(X, y, rng) -> (X_shuffled, y_shuffled)``: reordered, each input with its own label."""
        return _check_shuffle(fn)

    def lab_accuracy(self, fn: Callable[..., Any]) -> Verdict:
        """Check ``fn(model, X, y) -> accuracy`` on a model with dropout: evaluation mode, the same on every call."""
        return _check_accuracy(fn)

    def lab_linear(self, cls: Any) -> Verdict:
        """Gradient-check the layer ``cls(in_features, out_features, rng)`` with a square and a non-square weight."""
        return _check_linear(cls)
