"""Tests for nnkit/train.py: fit, History, callbacks, EarlyStopping, divergence."""

import math
import warnings

import numpy as np
import pytest

import nnkit
from nnkit import data, optim, train


def blobs_model(seed=0):
    nnkit.manual_seed(seed)
    return nnkit.Sequential(nnkit.Linear(2, 16), nnkit.ReLU(), nnkit.Linear(16, 3))


def blobs(seed=0):
    X, y = data.make_blobs(300, centers=3, cluster_std=1.0, rng=seed)
    return X, y


def test_fit_on_the_digits_reaches_97_percent():
    X, y = data.load_digits()
    X_train, X_test, y_train, y_test = data.train_test_split(X, y, test_size=0.25, rng=0, stratify=True)
    scaler = data.Standardizer().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    nnkit.manual_seed(0)
    model = nnkit.Sequential(nnkit.Linear(64, 128), nnkit.ReLU(), nnkit.Linear(128, 10))
    hist = train.fit(
        model,
        nnkit.CrossEntropyLoss(),
        optim.Adam(model.parameters(), lr=1e-3),
        (X_train, y_train),
        epochs=30,
        batch_size=32,
        rng=0,
        progress=False,
    )
    assert not hist.diverged
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    test_acc = train.evaluate(model, nnkit.CrossEntropyLoss(), (X_test, y_test))["accuracy"]
    assert test_acc >= 0.97


def test_history_keys_and_lengths():
    X, y = blobs()
    model = blobs_model()
    hist = train.fit(
        model,
        nnkit.CrossEntropyLoss(),
        optim.SGD(model.parameters(), lr=0.1),
        (X, y),
        (X, y),
        epochs=4,
        batch_size=50,
        rng=0,
        progress=False,
    )
    assert set(hist.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(v) == 4 for v in hist.history.values())
    assert len(hist.step_losses) == 4 * 6 and hist.epochs_run == 4
    assert hist.history["val_accuracy"][-1] > 0.9
    assert model.training  # fit leaves the model in training mode after validating


def test_regression_history_has_no_accuracy():
    X, y = data.make_sine(100, rng=0)
    nnkit.manual_seed(0)
    model = nnkit.Sequential(nnkit.Linear(1, 8), nnkit.Tanh(), nnkit.Linear(8, 1))
    hist = train.fit(
        model,
        nnkit.MSELoss(),
        optim.Adam(model.parameters(), lr=0.01),
        (X, y),
        epochs=3,
        batch_size=20,
        rng=0,
        progress=False,
    )
    assert set(hist.history) == {"loss"}


def test_fit_is_reproducible_with_a_seed():
    X, y = blobs()
    results = []
    for _ in range(2):
        model = blobs_model(3)
        train.fit(
            model,
            nnkit.CrossEntropyLoss(),
            optim.SGD(model.parameters(), lr=0.1, momentum=0.9),
            (X, y),
            epochs=2,
            batch_size=32,
            rng=5,
            progress=False,
        )
        results.append(model[0].weight.data.copy())
    np.testing.assert_array_equal(*results)


def test_divergence_stops_cleanly_with_one_warning():
    X, y = blobs()
    X = X * 100
    model = blobs_model()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        hist = train.fit(
            model,
            nnkit.CrossEntropyLoss(),
            optim.SGD(model.parameters(), lr=1e6),
            (X, y),
            epochs=50,
            batch_size=10,
            rng=0,
            progress=False,
        )
    assert hist.diverged and hist.diverged_step is not None and hist.diverged_epoch is not None
    assert hist.diverged_step == len(hist.step_losses)
    assert not np.isfinite(hist.step_losses[-1])
    assert hist.epochs_run < 50
    assert len(caught) == 1, [str(w.message) for w in caught]
    assert issubclass(caught[0].category, RuntimeWarning)
    assert "diverged at step" in str(caught[0].message) and "smaller learning rate" in str(caught[0].message)


def test_mse_divergence_on_regression():
    X, y = data.make_sine(64, rng=0)
    nnkit.manual_seed(0)
    model = nnkit.Sequential(nnkit.Linear(1, 8), nnkit.Linear(8, 1))
    with pytest.warns(RuntimeWarning, match="diverged"):
        hist = train.fit(
            model,
            nnkit.MSELoss(),
            optim.SGD(model.parameters(), lr=10.0),
            (X, y),
            epochs=200,
            batch_size=64,
            rng=0,
            progress=False,
        )
    assert hist.diverged


def test_callbacks_are_called_and_can_stop():
    X, y = blobs()
    model = blobs_model()
    seen = []

    class Recorder(train.Callback):
        def on_train_begin(self, model, history):
            seen.append("begin")

        def on_epoch_end(self, epoch, logs):
            seen.append(epoch)
            return epoch == 2

        def on_train_end(self, history):
            seen.append("end")

    plain = []
    hist = train.fit(
        model,
        nnkit.CrossEntropyLoss(),
        optim.SGD(model.parameters(), lr=0.1),
        (X, y),
        epochs=10,
        batch_size=50,
        rng=0,
        progress=False,
        callbacks=[Recorder(), lambda epoch, logs: plain.append(logs["loss"])],
    )
    assert seen == ["begin", 0, 1, 2, "end"]
    assert len(plain) == 3 and hist.stopped_early and hist.epochs_run == 3


def test_early_stopping_restores_the_best_weights():
    X, y = blobs()
    Xv, yv = blobs(1)
    model = blobs_model()
    snapshots = []
    stopper = train.EarlyStopping(monitor="val_loss", patience=2, restore_best=True)
    hist = train.fit(
        model,
        nnkit.CrossEntropyLoss(),
        optim.SGD(model.parameters(), lr=2.0),
        (X, y),
        (Xv, yv),
        epochs=60,
        batch_size=300,
        rng=0,
        progress=False,
        callbacks=[stopper, lambda e, logs: snapshots.append(model.state_dict())],
    )
    best = int(np.argmin(hist.history["val_loss"]))
    assert hist.best_epoch == stopper.best_epoch == best
    if hist.stopped_early:
        assert stopper.stopped_epoch == best + 2
        assert len(hist.history["val_loss"]) == best + 3
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, snapshots[best][k])


def test_early_stopping_on_accuracy_maximizes_and_min_delta():
    stopper = train.EarlyStopping(monitor="val_accuracy", patience=1, min_delta=0.05, restore_best=False)
    stopper.on_train_begin(blobs_model(), train.History())
    assert stopper.on_epoch_end(0, {"val_accuracy": 0.5}) is False
    assert stopper.on_epoch_end(1, {"val_accuracy": 0.52}) is True  # +0.02 is below min_delta
    assert stopper.best == 0.5 and stopper.best_epoch == 0


def test_early_stopping_errors():
    with pytest.raises(ValueError, match=r"^EarlyStopping expected patience to be an integer >= 0, got -1$"):
        train.EarlyStopping(patience=-1)
    with pytest.raises(TypeError, match=r"^EarlyStopping expected patience to be an integer >= 0, got 2\.5 \(float\)$"):
        train.EarlyStopping(patience=2.5)
    with pytest.raises(
        ValueError, match=r"^EarlyStopping expected min_delta to be a finite real number >= 0, got nan$"
    ):
        train.EarlyStopping(min_delta=float("nan"))
    X, y = blobs()
    model = blobs_model()
    with pytest.raises(ValueError, match="EarlyStopping monitors 'val_loss', but fit logged only"):
        train.fit(
            model,
            nnkit.CrossEntropyLoss(),
            optim.SGD(model.parameters(), lr=0.1),
            (X, y),
            epochs=2,
            batch_size=50,
            progress=False,
            callbacks=[train.EarlyStopping()],
        )


def test_fit_argument_errors():
    X, y = blobs()
    model = blobs_model()
    with pytest.raises(ValueError, match="fit expected train_data X and y of the same length, got 300 and 299"):
        train.fit(
            model,
            nnkit.CrossEntropyLoss(),
            optim.SGD(model.parameters(), lr=0.1),
            (X, y[:-1]),
            epochs=1,
            batch_size=10,
            progress=False,
        )


def test_progress_bar_without_tqdm_warns_and_prints_a_line_per_epoch(monkeypatch, capsys):
    # it used to show nothing at all, with no hint why
    import builtins

    real_import = builtins.__import__

    def no_tqdm(name, *args, **kwargs):
        if name.startswith("tqdm"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tqdm)
    X, y = blobs()
    model = blobs_model()
    with pytest.warns(
        UserWarning, match=r"^fit: tqdm could not be imported \(it is a dependency of nnkit: pip install tqdm\)"
    ):
        train.fit(
            model,
            nnkit.CrossEntropyLoss(),
            optim.SGD(model.parameters(), lr=0.1),
            (X, y),
            epochs=3,
            batch_size=50,
            progress=True,
        )
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(" loss=")[0] for line in lines] == [f"fit: epoch {e}/3" for e in (1, 2, 3)]
    assert "accuracy=" in lines[-1]


def test_progress_bar_with_tqdm_and_its_documentation(capsys):
    pytest.importorskip("tqdm")  # a core dependency of nnkit
    X, y = blobs()
    model = blobs_model()
    train.fit(model, nnkit.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=2, batch_size=50)
    err = capsys.readouterr().err
    assert "2/2" in err and "epoch" in err and "loss=" in err
    assert "``progress``: ``True`` (the default) shows a progress bar" in train.fit.__doc__


def fit_quietly(model, train_data, val_data=None, **kwargs):
    kwargs = {"epochs": 1, "batch_size": 50, "progress": False, **kwargs}
    opt = kwargs.pop("optimizer", None) or optim.SGD(model.parameters(), lr=0.1)
    return train.fit(model, nnkit.CrossEntropyLoss(), opt, train_data, val_data, **kwargs)


@pytest.mark.parametrize(
    ("where", "message"),
    [
        (
            "train X",
            r"^fit expected finite values in train_data X, got nan at index \(7, 0\) \(1 non-finite value in all\)$",
        ),
        (
            "train y",
            r"^fit expected finite values in train_data y, got inf at index \(7, 0\) \(2 non-finite values in all\)$",
        ),
        (
            "val X",
            r"^fit expected finite values in val_data X, got nan at index \(7, 0\) \(1 non-finite value in all\)$",
        ),
        (
            "val y",
            r"^fit expected finite values in val_data y, got inf at index \(7, 0\) \(2 non-finite values in all\)$",
        ),
    ],
)
def test_non_finite_data_is_refused_before_training(where, message):
    # a NaN in the data used to be reported as "training diverged ... try a smaller learning rate"
    X, y = data.make_sine(64, rng=0)  # X (64, 1), y (64, 1)
    bad_X, bad_y = X.copy(), y.copy()
    bad_X[7, 0] = np.nan
    bad_y[7, 0], bad_y[9, 0] = np.inf, -np.inf
    split, name = where.split()
    pair = (bad_X, y) if name == "X" else (X, bad_y)
    train_data, val_data = (pair, (X, y)) if split == "train" else ((X, y), pair)
    nnkit.manual_seed(0)
    model = nnkit.Sequential(nnkit.Linear(1, 8), nnkit.Tanh(), nnkit.Linear(8, 1))
    before = model.state_dict()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no divergence warning: an error, before any step
        with pytest.raises(ValueError, match=message):
            train.fit(
                model,
                nnkit.MSELoss(),
                optim.SGD(model.parameters(), lr=0.1),
                train_data,
                val_data,
                epochs=1,
                batch_size=16,
                progress=False,
            )
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, before[k])


def test_non_finite_parameters_are_refused_before_training():
    X, y = blobs()
    model = blobs_model()
    model[2].bias.data[1] = np.nan
    with pytest.raises(ValueError, match=r"^fit expected finite parameters, got nan in '2.bias' at index \(1,\)"):
        fit_quietly(model, (X, y))


def test_empty_data_is_refused():
    # fit on 0 samples used to return a History with a loss of 0.0
    X, y = blobs()
    with pytest.raises(ValueError, match=r"^fit expected at least one sample in train_data, got X of shape \(0, 2\)$"):
        fit_quietly(blobs_model(), (X[:0], y[:0]))
    with pytest.raises(ValueError, match=r"^fit expected at least one sample in val_data, got X of shape \(0, 2\)$"):
        fit_quietly(blobs_model(), (X, y), (X[:0], y[:0]))
    with pytest.raises(ValueError, match=r"^evaluate expected at least one sample in data, got X of shape \(0, 2\)$"):
        train.evaluate(blobs_model(), nnkit.CrossEntropyLoss(), (X[:0], y[:0]))


def test_val_data_of_different_lengths_is_refused_before_the_first_epoch():
    # it used to fail only after a whole epoch, with CrossEntropyLoss's message about label shapes
    X, y = blobs()
    model = blobs_model()
    before = model.state_dict()
    seen = []
    with pytest.raises(ValueError, match=r"^fit expected val_data X and y of the same length, got 300 and 299$"):
        fit_quietly(model, (X, y), (X, y[:-1]), callbacks=[lambda e, logs: seen.append(e)])
    assert seen == []
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, before[k])


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"epochs": 2.5}, TypeError, r"^fit expected epochs to be an integer >= 0, got 2\.5 \(float\)$"),
        ({"epochs": -1}, ValueError, r"^fit expected epochs to be an integer >= 0, got -1$"),
        ({"epochs": "3"}, TypeError, r"^fit expected epochs to be an integer >= 0, got '3' \(str\)$"),
        ({"batch_size": 0}, ValueError, r"^fit expected batch_size to be an integer >= 1, got 0$"),
        ({"batch_size": 32.0}, TypeError, r"^fit expected batch_size to be an integer >= 1, got 32\.0 \(float\)$"),
        (
            {"callbacks": [3]},
            TypeError,
            r"^fit expected callbacks to be Callback objects or functions f\(epoch, logs\), got int at position 0$",
        ),
    ],
)
def test_bad_arguments_get_clear_errors(kwargs, error, message):
    X, y = blobs()
    with pytest.raises(error, match=message):
        fit_quietly(blobs_model(), (X, y), **kwargs)


def test_bad_data_shapes_and_objects_get_clear_errors():
    X, y = blobs()
    model = blobs_model()
    with pytest.raises(TypeError, match=r"^fit expected train_data as a pair \(X, y\), got a tuple of length 3$"):
        fit_quietly(model, (X, y, y))
    with pytest.raises(TypeError, match=r"^fit expected val_data as a pair \(X, y\), got ndarray$"):
        fit_quietly(model, (X, y), X)
    with pytest.raises(
        TypeError, match=r"^fit expected train_data X to be a real-valued numeric array, got dtype <U1$"
    ):
        fit_quietly(model, (np.array([["a", "b"]]), y[:1]))
    other = blobs_model(1)
    with pytest.raises(ValueError, match=r"^fit: the SGD holds none of the model's parameters"):
        fit_quietly(model, (X, y), optimizer=optim.SGD(other.parameters(), lr=0.1))
    with pytest.raises(TypeError, match=r"^fit expected optimizer to be an nnkit Optimizer, got list$"):
        train.fit(model, nnkit.CrossEntropyLoss(), [], (X, y), epochs=1, batch_size=10)
    with pytest.raises(TypeError, match=r"^predict expected batch_size to be an integer >= 1, got 0\.5 \(float\)$"):
        train.predict(model, X, batch_size=0.5)


def test_a_callbacks_overflow_is_not_silenced():
    # fit used to run everything, callbacks included, under np.errstate(all="ignore")
    X, y = blobs()

    def overflowing(epoch, logs):
        return bool(np.float64(1e308) * 10 > 0)  # overflows: RuntimeWarning under NumPy's defaults

    with pytest.warns(RuntimeWarning, match="overflow"):
        fit_quietly(blobs_model(), (X, y), callbacks=[overflowing])


def test_divergence_inside_training_is_still_silenced_with_a_callback():
    X, y = blobs()
    seen = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = blobs_model()
        hist = fit_quietly(
            model,
            (X * 100, y),
            epochs=20,
            batch_size=10,
            optimizer=optim.SGD(model.parameters(), lr=1e6),
            callbacks=[lambda e, logs: seen.append(e)],
        )
    assert hist.diverged
    assert [str(w.message)[:27] for w in caught] == ["fit: training diverged at s"]


def test_predict_and_accuracy():
    model = blobs_model().train()
    X, _ = blobs()
    out = train.predict(model, X, batch_size=64)
    assert out.shape == (300, 3) and model.training
    assert train.accuracy(np.array([[0.0, 1.0], [2.0, 1.0]]), np.array([1, 1])) == 0.5
    assert train.accuracy(np.array([[0.3], [-1.0]]), np.array([[1.0], [1.0]])) == 0.5


# --- on_batch_end, overfit_one_batch, check_initial_loss ------------------------------------------


def test_on_batch_end_runs_after_every_step_with_its_loss():
    X, y = data.make_blobs(100, centers=2, rng=0)
    model = nnkit.Sequential(nnkit.Linear(2, 4, rng=0), nnkit.ReLU(), nnkit.Linear(4, 2, rng=1))
    seen = []

    class Spy(train.Callback):
        def on_batch_end(self, step, logs):
            seen.append((step, logs["loss"]))

    hist = train.fit(model, nnkit.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=2,
                     batch_size=32, callbacks=[Spy()], rng=0, progress=False)  # fmt: skip
    assert [s for s, _ in seen] == list(range(1, 9)) and [v for _, v in seen] == hist.step_losses


def test_overfit_one_batch_reaches_zero_with_a_working_model_and_not_with_a_broken_one():
    X, y = data.make_moons(16, rng=0)
    model = nnkit.Sequential(nnkit.Linear(2, 32, rng=0), nnkit.ReLU(), nnkit.Linear(32, 2, rng=1))
    result = train.overfit_one_batch(model, nnkit.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.05), (X, y))
    assert result and result.losses[-1] < 0.01 < result.losses[0] and len(result.losses) < 200
    # a bug: the optimizer holds only the last layer's parameters, so the hidden layer never learns
    frozen = nnkit.Sequential(nnkit.Linear(2, 2, rng=0), nnkit.ReLU(), nnkit.Linear(2, 2, rng=1))
    opt = optim.Adam(frozen[2].parameters(), lr=0.05)
    stuck = train.overfit_one_batch(frozen, nnkit.CrossEntropyLoss(), opt, (X, y), steps=100)
    assert not stuck and len(stuck.losses) == 100 and stuck.losses[-1] > 0.1
    assert repr(stuck).startswith("OverfitResult(reached=False, steps=100, last_loss=")


def test_overfit_one_batch_stops_on_a_diverging_loss_and_checks_its_arguments():
    X, y = data.make_sine(16, rng=0)
    model = nnkit.Sequential(nnkit.Linear(1, 16, rng=0), nnkit.Tanh(), nnkit.Linear(16, 1, rng=1))
    result = train.overfit_one_batch(model, nnkit.MSELoss(), optim.SGD(model.parameters(), lr=1e3), (X, y))
    assert not result and not math.isfinite(result.losses[-1]) and len(result.losses) < 200
    with pytest.raises(ValueError, match="overfit_one_batch expected steps to be an integer >= 1, got 0"):
        train.overfit_one_batch(model, nnkit.MSELoss(), optim.SGD(model.parameters(), lr=0.1), (X, y), steps=0)
    with pytest.raises(ValueError, match="overfit_one_batch expected batch X and y of the same length"):
        train.overfit_one_batch(model, nnkit.MSELoss(), optim.SGD(model.parameters(), lr=0.1), (X, y[:3]))


def test_check_initial_loss_compares_with_log_c():
    X, y = data.make_blobs(300, centers=4, rng=0)
    X = (X - X.mean(0)) / X.std(0)
    model = nnkit.Sequential(nnkit.Linear(2, 16, rng=0), nnkit.ReLU(), nnkit.Linear(16, 4, rng=1))
    check = train.check_initial_loss(model, nnkit.CrossEntropyLoss(), (X, y))
    assert check.expected == pytest.approx(math.log(4)) and check.ok
    model[2].weight.data *= 30  # confident from the start: the loss is far above ln C
    bad = train.check_initial_loss(model, nnkit.CrossEntropyLoss(), (X, y))
    assert not bad and bad.loss > 2 * math.log(4)
    binary = nnkit.Sequential(nnkit.Linear(2, 1, rng=0))
    assert train.check_initial_loss(
        binary, nnkit.BCEWithLogitsLoss(), (X, (y > 1).astype(float)[:, None])
    ).expected == (pytest.approx(math.log(2)))
    with pytest.raises(TypeError, match="expected a classification loss .*, got MSELoss"):
        train.check_initial_loss(model, nnkit.MSELoss(), (X, y))
