"""The training loop: :func:`fit`, :class:`History`, callbacks and :class:`EarlyStopping`.

``fit`` runs, for each mini-batch: forward, loss, ``optimizer.zero_grad()``, backward,
``optimizer.step()``. It checks its arguments and data first (matching lengths, at least
one sample, finite values). When the loss becomes NaN or infinite it stops, records where
in the :class:`History`, and emits one warning; NumPy's overflow warnings are silenced
inside those training steps (and the validation), so a learning rate that is far too
large ends cleanly. Callbacks run under the caller's own NumPy error settings.

>>> import numpy as np, nnkit
>>> from nnkit import data, optim, train
>>> X, y = data.make_blobs(200, centers=2, rng=0)
>>> model = nnkit.Sequential(nnkit.Linear(2, 8, rng=0), nnkit.ReLU(), nnkit.Linear(8, 2, rng=1))
>>> hist = train.fit(model, nnkit.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
...                  (X, y), epochs=5, batch_size=32, rng=0, progress=False)
>>> len(hist.history["loss"]), hist.history["accuracy"][-1] > 0.9
(5, True)
"""

from __future__ import annotations

import math
import sys
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from ._config import RngLike, as_rng, check_int, check_real
from .data import batches
from .losses import BCEWithLogitsLoss, CrossEntropyLoss
from .module import Module
from .optim import Optimizer

Data = tuple[np.ndarray, np.ndarray]


@dataclass
class History:
    """What :func:`fit` recorded.

    ``history`` maps ``"loss"``, ``"accuracy"`` (classification losses only), and with
    validation data ``"val_loss"`` and ``"val_accuracy"`` to per-epoch lists. The training
    values are averages over the epoch's mini-batches, taken in training mode while the
    parameters were still changing (as Keras reports them), so they are not the final model's
    scores on the training set: for those, call :func:`evaluate` on the training data. The
    validation values are computed after the epoch, in evaluation mode. ``step_losses`` has one
    entry per mini-batch. ``diverged`` is True when a loss became NaN or infinite;
    ``diverged_step`` (counting mini-batches from 1) and ``diverged_epoch`` say where.

    >>> h = History(history={"loss": [0.9, 0.5]}, epochs_run=2)
    >>> h
    History(epochs_run=2, last={'loss': 0.5})
    """

    history: dict[str, list[float]] = field(default_factory=dict)
    step_losses: list[float] = field(default_factory=list)
    epochs_run: int = 0
    diverged: bool = False
    diverged_step: int | None = None
    diverged_epoch: int | None = None
    stopped_early: bool = False
    best_epoch: int | None = None

    def __repr__(self) -> str:
        last = {k: round(v[-1], 4) for k, v in self.history.items() if v}
        state = " diverged" if self.diverged else (" stopped early" if self.stopped_early else "")
        return f"History(epochs_run={self.epochs_run}{state}, last={last})"


class Callback:
    """Hooks that :func:`fit` calls. Override what you need.

    ``on_epoch_end(epoch, logs)`` gets the epoch number (from 0) and that epoch's values
    (``logs["loss"]``, ``logs["val_loss"]``, ...); return ``True`` to stop training.
    ``on_batch_end(step, logs)`` runs after every optimizer step (``logs["loss"]``).
    A plain function ``f(epoch, logs)`` in ``callbacks`` is used as ``on_epoch_end``.
    """

    def on_train_begin(self, model: Module, history: History) -> None:
        """Called once before the first epoch."""

    def on_batch_end(self, step: int, logs: dict[str, float]) -> None:
        """Called after each mini-batch's optimizer step; ``step`` counts from 1, ``logs["loss"]`` is its loss."""

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> bool | None:
        """Called after each epoch; return True to stop."""
        return None

    def on_train_end(self, history: History) -> None:
        """Called once at the end, also after divergence or an early stop."""


class EpochFunction(Protocol):
    """A plain function used as a callback: ``f(epoch, logs)``; return True to stop."""

    def __call__(self, epoch: int, logs: dict[str, float]) -> bool | None: ...


class _FunctionCallback(Callback):
    def __init__(self, fn: EpochFunction) -> None:
        self.fn = fn

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> bool | None:
        return self.fn(epoch, logs)


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs.

    Losses are minimized and accuracies maximized. With ``restore_best=True`` the model's
    parameters are set back to those of the best epoch when training ends.
    ``best_epoch``, ``best`` and ``stopped_epoch`` record what happened.

    >>> import nnkit
    >>> from nnkit import data, optim
    >>> X, y = data.make_moons(200, noise=0.3, rng=0)
    >>> Xt, Xv, yt, yv = data.train_test_split(X, y, rng=0)
    >>> model = nnkit.Sequential(nnkit.Linear(2, 32, rng=0), nnkit.ReLU(), nnkit.Linear(32, 2, rng=1))
    >>> stop = EarlyStopping(patience=3)
    >>> hist = fit(model, nnkit.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.05), (Xt, yt), (Xv, yv),
    ...            epochs=200, batch_size=32, callbacks=[stop], rng=0, progress=False)
    >>> hist.stopped_early, hist.best_epoch == stop.best_epoch
    (True, True)
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 5, min_delta: float = 0.0, restore_best: bool = True):
        if not isinstance(monitor, str):
            raise TypeError(f"EarlyStopping expected monitor to be a name such as 'val_loss', got {monitor!r}")
        self.monitor = monitor
        self.patience = check_int(patience, "patience", "EarlyStopping", minimum=0)
        self.min_delta = check_real(min_delta, "min_delta", "EarlyStopping", 0.0)
        self.restore_best = restore_best
        self.maximize = "acc" in monitor

    def on_train_begin(self, model: Module, history: History) -> None:
        self.model, self.history = model, history
        self.best = -math.inf if self.maximize else math.inf
        self.best_epoch: int | None = None
        self.best_state: dict[str, np.ndarray] | None = None
        self.stopped_epoch: int | None = None
        self.wait = 0

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> bool:
        if self.monitor not in logs:
            raise ValueError(
                f"EarlyStopping monitors {self.monitor!r}, but fit logged only {sorted(logs)} "
                "(pass val_data to fit to get val_loss and val_accuracy)"
            )
        value = logs[self.monitor]
        gain = value - self.best if self.maximize else self.best - value
        if gain > self.min_delta:
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best:
                self.best_state = self.model.state_dict()
            return False
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            return True
        return False

    def on_train_end(self, history: History) -> None:
        history.best_epoch = self.best_epoch
        if self.restore_best and self.best_state is not None:
            self.model.load_state_dict(self.best_state)


CallbackLike = Callback | EpochFunction


def accuracy(output: np.ndarray, target: np.ndarray) -> float:
    """Fraction of correct predictions: ``argmax`` of ``(N, C)`` logits, or ``logit > 0`` for binary ones.

    >>> accuracy(np.array([[2.0, 0.0], [0.0, 1.0], [3.0, 1.0]]), np.array([0, 1, 1]))
    0.6666666666666666
    """
    output, target = np.asarray(output), np.asarray(target)
    if output.ndim == 2 and output.shape[1] > 1:
        return float(np.mean(output.argmax(axis=1) == target))
    return float(np.mean((output > 0) == (target > 0.5)))


def predict(model: Module, X: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """Run ``model`` in evaluation mode over ``X`` in batches and return the outputs.

    The model's mode (training or evaluation) is restored afterwards.

    >>> import nnkit
    >>> model = nnkit.Sequential(nnkit.Linear(3, 2, rng=0), nnkit.Dropout(0.5))
    >>> predict(model, np.ones((5, 3)), batch_size=2).shape, model.training
    ((5, 2), True)
    """
    batch_size = check_int(batch_size, "batch_size", "predict", minimum=1)
    was_training = model.training
    model.eval()
    try:
        outs = [model(X[i : i + batch_size]) for i in range(0, len(X), batch_size)]
    finally:
        model.train(was_training)
    return np.concatenate(outs) if outs else np.zeros((0,))


def evaluate(model: Module, loss_fn: Module, data: Data, batch_size: int = 1024) -> dict[str, float]:
    """Loss (and accuracy, for classification losses) of ``model`` on ``data = (X, y)`` in eval mode.

    >>> import nnkit
    >>> model = nnkit.Linear(2, 2, rng=0)
    >>> sorted(evaluate(model, nnkit.CrossEntropyLoss(), (np.ones((4, 2)), np.array([0, 1, 0, 1]))))
    ['accuracy', 'loss']
    """
    X, y = _check_data(data, "data", "evaluate")
    out = predict(model, X, batch_size)
    result = {"loss": float(loss_fn(out, y))}
    if isinstance(loss_fn, (CrossEntropyLoss, BCEWithLogitsLoss)):
        result["accuracy"] = accuracy(out, y)
    return result


def _check_data(data: Any, name: str, where: str) -> tuple[np.ndarray, np.ndarray]:
    """``data`` as two arrays ``(X, y)``, or an error naming ``where``, the pair (``name``), the
    array and what is wrong: not a pair, not numeric, lengths that differ, no sample, the first
    NaN or infinity."""
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        kind = type(data).__name__
        got = f"a {kind} of length {len(data)}" if isinstance(data, (tuple, list)) else kind
        raise TypeError(f"{where} expected {name} as a pair (X, y), got {got}")
    X, y = np.asarray(data[0]), np.asarray(data[1])
    for label, a in (("X", X), ("y", y)):
        if a.dtype.kind not in "biuf":
            raise TypeError(f"{where} expected {name} {label} to be a real-valued numeric array, got dtype {a.dtype}")
        if a.ndim == 0:
            raise ValueError(f"{where} expected {name} {label} to have one entry per sample, got a scalar")
    if len(X) != len(y):
        raise ValueError(f"{where} expected {name} X and y of the same length, got {len(X)} and {len(y)}")
    if len(X) == 0:
        raise ValueError(f"{where} expected at least one sample in {name}, got X of shape {X.shape}")
    for label, a in (("X", X), ("y", y)):
        if a.dtype.kind == "f" and not np.isfinite(a).all():
            bad = np.argwhere(~np.isfinite(a))
            index = tuple(int(i) for i in bad[0])
            shown = index[0] if len(index) == 1 else index
            count = f"{len(bad)} non-finite value{'s' if len(bad) > 1 else ''} in all"
            raise ValueError(
                f"{where} expected finite values in {name} {label}, got {a[index]} at index {shown} ({count})"
            )
    return X, y


class _PlainProgress:
    """What ``progress=True`` shows when tqdm cannot be imported: a line per epoch on stderr
    (at most about 20 lines in all)."""

    def __init__(self, total: int) -> None:
        self.total, self.every = total, max(1, math.ceil(total / 20))
        self.epoch = 0

    def __iter__(self) -> Iterator[int]:
        for epoch in range(self.total):
            self.epoch = epoch
            yield epoch

    def set_postfix(self, logs: dict[str, str]) -> None:
        done = self.epoch + 1
        if done % self.every == 0 or done == self.total:
            values = " ".join(f"{k}={v}" for k, v in logs.items())
            print(f"fit: epoch {done}/{self.total} {values}", file=sys.stderr, flush=True)

    def close(self) -> None:
        pass


def _progress(enabled: bool, total: int) -> Any:
    """The epochs to loop over: a tqdm bar, a plain fallback, or a bare range."""
    if not enabled:
        return range(total)
    try:
        from tqdm.auto import tqdm
    except ImportError:
        warnings.warn(
            "fit: tqdm could not be imported (it is a dependency of nnkit: pip install tqdm), so fit prints "
            "a line per epoch instead of a progress bar; pass progress=False for neither",
            UserWarning,
            stacklevel=3,
        )
        return _PlainProgress(total)
    return tqdm(range(total), total=total, unit="epoch")


def _train_step(model: Module, loss_fn: Module, optimizer: Optimizer, xb: np.ndarray, yb: np.ndarray) -> Any:
    """One mini-batch: forward, loss, and (when the loss is finite) zero_grad, backward, step.

    NumPy's overflow warnings are silenced here, and only here (and in validation): a step
    that diverges overflows, and fit reports it once, with its own warning.
    """
    with np.errstate(all="ignore"):
        out = model(xb)
        loss = loss_fn(out, yb)
        if math.isfinite(loss):
            optimizer.zero_grad()
            model.backward(loss_fn.backward(), input_grad=False)
            optimizer.step()
    return loss, out


def _check_fit_arguments(model: Any, loss_fn: Any, optimizer: Any, callbacks: Any) -> list[Callback]:
    if not isinstance(model, Module):
        raise TypeError(f"fit expected model to be an nnkit Module, got {type(model).__name__}")
    if not isinstance(loss_fn, Module):
        raise TypeError(
            f"fit expected loss_fn to be an nnkit loss such as CrossEntropyLoss(), got {type(loss_fn).__name__}"
        )
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"fit expected optimizer to be an nnkit Optimizer, got {type(optimizer).__name__}")
    own = {id(p) for p in model.parameters()}
    if not any(id(p) in own for p in optimizer.params):
        raise ValueError(
            f"fit: the {type(optimizer).__name__} holds none of the model's parameters "
            "(build it from this model: optim.SGD(model.parameters(), lr=...))"
        )
    for name, p in model.named_parameters():
        if not np.isfinite(p.data).all():
            index = tuple(int(i) for i in np.argwhere(~np.isfinite(p.data))[0])
            raise ValueError(
                f"fit expected finite parameters, got {p.data[index]} in '{name}' at index {index} "
                "(the model is broken before training: build it again or load a saved state)"
            )
    hooks = []
    for i, c in enumerate(callbacks):
        if not (isinstance(c, Callback) or callable(c)):
            raise TypeError(
                f"fit expected callbacks to be Callback objects or functions f(epoch, logs), got "
                f"{type(c).__name__} at position {i}"
            )
        hooks.append(c if isinstance(c, Callback) else _FunctionCallback(c))
    return hooks


def fit(
    model: Module,
    loss_fn: Module,
    optimizer: Optimizer,
    train_data: Data,
    val_data: Data | None = None,
    *,
    epochs: int,
    batch_size: int,
    callbacks: Sequence[CallbackLike] = (),
    rng: RngLike = None,
    progress: bool = True,
) -> History:
    """Train ``model`` with mini-batch gradient descent and return a :class:`History`.

    Arguments:

    - ``train_data`` and ``val_data`` are ``(X, y)`` pairs with one row per sample. Each
      epoch shuffles the training set with ``rng`` and walks it in mini-batches of
      ``batch_size``. The validation set is scored in evaluation mode after every epoch.
    - ``epochs`` (an integer >= 0) and ``batch_size`` (an integer >= 1).
    - ``callbacks``: :class:`Callback` objects or functions ``f(epoch, logs)``; see there.
    - ``progress``: ``True`` (the default) shows a progress bar over the epochs, with the
      latest values of the :class:`History` beside it (tqdm's, which is the widget in
      Jupyter). Should tqdm be missing, fit warns once and prints a line per epoch instead.
      ``False`` shows nothing: use it in scripts, tests and the book's chapters.

    Before training, ``fit`` refuses, with an error that names the array: data that are not
    ``(X, y)`` pairs, X and y of different lengths, no sample at all, and NaN or infinite
    values (saying where the first one is); so a NaN in the data is never mistaken for a
    diverging run. A NaN or infinite loss during training stops it with one
    ``RuntimeWarning`` and ``History.diverged = True``.

    >>> import warnings, nnkit
    >>> from nnkit import data, optim
    >>> X, y = data.make_sine(64, rng=0)
    >>> model = nnkit.Sequential(nnkit.Linear(1, 16, rng=0), nnkit.Tanh(), nnkit.Linear(16, 1, rng=1))
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")   # the one divergence warning
    ...     hist = fit(model, nnkit.MSELoss(), optim.SGD(model.parameters(), lr=50.0), (X, y),
    ...                epochs=20, batch_size=16, rng=0, progress=False)
    >>> hist.diverged, hist.diverged_step
    (True, 8)
    """
    epochs = check_int(epochs, "epochs", "fit", minimum=0)
    batch_size = check_int(batch_size, "batch_size", "fit", minimum=1)
    hooks = _check_fit_arguments(model, loss_fn, optimizer, callbacks)
    X, y = _check_data(train_data, "train_data", "fit")
    if val_data is not None:
        val_data = _check_data(val_data, "val_data", "fit")
    gen = as_rng(rng)
    history = History()
    classify = isinstance(loss_fn, (CrossEntropyLoss, BCEWithLogitsLoss))
    keys = ["loss"] + (["accuracy"] if classify else [])
    if val_data is not None:
        keys += ["val_" + k for k in keys]
    history.history = {k: [] for k in keys}
    for hook in hooks:
        hook.on_train_begin(model, history)
    model.train()
    step = 0
    bar = _progress(bool(progress), epochs)
    try:
        for epoch in bar:
            total_loss = total_correct = 0.0
            seen = 0
            for xb, yb in batches(X, y, batch_size, shuffle=True, rng=gen):
                step += 1
                loss, out = _train_step(model, loss_fn, optimizer, xb, yb)
                history.step_losses.append(loss)
                if not math.isfinite(loss):
                    history.diverged, history.diverged_step, history.diverged_epoch = True, step, epoch
                    break
                for hook in hooks:
                    hook.on_batch_end(step, {"loss": loss})
                total_loss += loss * len(xb)
                if classify:
                    total_correct += accuracy(out, yb) * len(xb)
                seen += len(xb)
            if history.diverged:
                break
            logs = {"loss": total_loss / seen}
            if classify:
                logs["accuracy"] = total_correct / seen
            if val_data is not None:
                with np.errstate(all="ignore"):
                    scores = evaluate(model, loss_fn, val_data)
                logs.update({"val_" + k: v for k, v in scores.items()})
            for k in keys:
                history.history[k].append(logs[k])
            history.epochs_run = epoch + 1
            if hasattr(bar, "set_postfix"):
                bar.set_postfix({k: f"{v:.4g}" for k, v in logs.items()})
            stop = [hook.on_epoch_end(epoch, logs) for hook in hooks]
            if any(stop):
                history.stopped_early = True
                break
    finally:
        if hasattr(bar, "close"):
            bar.close()
    if history.diverged:
        warnings.warn(
            f"fit: training diverged at step {history.diverged_step} (epoch {history.diverged_epoch}): "
            f"the loss became {history.step_losses[-1]}. Training stopped; try a smaller learning rate.",
            RuntimeWarning,
            stacklevel=2,
        )
    for hook in hooks:
        hook.on_train_end(history)
    return history


@dataclass
class OverfitResult:
    """What :func:`overfit_one_batch` found: ``reached`` (also the object's truth value), the ``losses`` of
    every step, and the ``threshold`` the loss had to get below."""

    reached: bool
    losses: list[float]
    threshold: float

    def __bool__(self) -> bool:
        return self.reached

    def __repr__(self) -> str:
        last = self.losses[-1] if self.losses else math.nan
        return f"OverfitResult(reached={self.reached}, steps={len(self.losses)}, last_loss={last:.4g})"


def overfit_one_batch(
    model: Module, loss_fn: Module, optimizer: Optimizer, batch: Data, steps: int = 200, *, threshold: float = 0.01
) -> OverfitResult:
    """The classic sanity check: train on one small batch, over and over, and see the loss reach near zero.

    A network with enough parameters can memorize a handful of examples; if it cannot, something is broken
    before any question of generalization: a gradient that is wrong or never applied, a loss fed the wrong
    thing, labels that do not match their inputs, a learning rate far off. Runs up to ``steps`` steps of
    forward, loss, zero_grad, backward, step on ``batch = (X, y)``, stops as soon as the loss is below
    ``threshold`` (or not finite), and returns an :class:`OverfitResult` (true when it got there). The model
    keeps the trained weights: run it on a copy (``copy.deepcopy``) to keep the original.

    >>> import nnkit
    >>> from nnkit import data, optim
    >>> X, y = data.make_moons(16, rng=0)
    >>> model = nnkit.Sequential(nnkit.Linear(2, 32, rng=0), nnkit.ReLU(), nnkit.Linear(32, 2, rng=1))
    >>> result = overfit_one_batch(model, nnkit.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.05), (X, y))
    >>> result.reached, result.losses[-1] < 0.01
    (True, True)
    """
    steps = check_int(steps, "steps", "overfit_one_batch", minimum=1)
    threshold = check_real(threshold, "threshold", "overfit_one_batch", 0.0, low_open=True)
    X, y = _check_data(batch, "batch", "overfit_one_batch")
    model.train()
    losses: list[float] = []
    for _ in range(steps):
        loss, _ = _train_step(model, loss_fn, optimizer, X, y)
        losses.append(float(loss))
        if not math.isfinite(loss) or loss < threshold:
            break
    return OverfitResult(bool(math.isfinite(losses[-1]) and losses[-1] < threshold), losses, threshold)


@dataclass
class InitialLoss:
    """What :func:`check_initial_loss` found: the ``loss`` of the untrained model, the ``expected`` loss of
    a uniform guess (``ln C``), and whether they agree within ``tol`` of ``expected`` (``ok``)."""

    loss: float
    expected: float
    ok: bool
    tol: float

    def __bool__(self) -> bool:
        return self.ok


def check_initial_loss(model: Module, loss_fn: Module, data: Data, *, tol: float = 0.25) -> InitialLoss:
    """Compare a classifier's loss before training with ``ln C``, the loss of a uniform guess over ``C`` classes.

    A freshly initialized classifier should not be confident: its logits are small, its probabilities close
    to ``1/C``, and its cross-entropy close to ``-ln(1/C) = ln C`` (``ln 2`` for one logit with
    :class:`~nnkit.BCEWithLogitsLoss`). A loss far above it means confident wrong guesses from the start (a
    bad initialization scale, unscaled inputs, a softmax applied twice changes it too); far below, that the
    labels leak into the inputs. ``ok`` is ``|loss − ln C| <= tol · ln C``. The loss is computed in
    evaluation mode (:func:`evaluate`).

    >>> import nnkit
    >>> from nnkit import data
    >>> X, y = data.make_blobs(300, centers=3, rng=0)  # features with a spread of about 3.5
    >>> model = nnkit.Sequential(nnkit.Linear(2, 16, rng=0), nnkit.ReLU(), nnkit.Linear(16, 3, rng=1))
    >>> check_initial_loss(model, nnkit.CrossEntropyLoss(), (X, y))  # too confident: inputs not standardized
    InitialLoss(loss=1.689..., expected=1.098..., ok=False, tol=0.25)
    >>> bool(check_initial_loss(model, nnkit.CrossEntropyLoss(), ((X - X.mean(0)) / X.std(0), y)))
    True
    """
    tol = check_real(tol, "tol", "check_initial_loss", 0.0)
    X, y = _check_data(data, "data", "check_initial_loss")
    if isinstance(loss_fn, CrossEntropyLoss):
        out = predict(model, X[:1])
        if out.ndim != 2:
            raise ValueError(f"check_initial_loss expected (N, C) logits from the model, got shape {out.shape}")
        expected = math.log(out.shape[1])
    elif isinstance(loss_fn, BCEWithLogitsLoss):
        expected = math.log(2.0)
    else:
        raise TypeError(
            "check_initial_loss expected a classification loss (CrossEntropyLoss or BCEWithLogitsLoss), "
            f"got {type(loss_fn).__name__}"
        )
    with np.errstate(all="ignore"):
        loss = evaluate(model, loss_fn, (X, y))["loss"]
    return InitialLoss(loss, expected, bool(abs(loss - expected) <= tol * expected), tol)


__all__ = [
    "Callback",
    "EarlyStopping",
    "EpochFunction",
    "History",
    "InitialLoss",
    "OverfitResult",
    "accuracy",
    "check_initial_loss",
    "evaluate",
    "fit",
    "overfit_one_batch",
    "predict",
]
