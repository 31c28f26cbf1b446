"""Tests for nnkit/serialization.py: save and load."""

import os
import pickle

import numpy as np
import pytest

import nnkit


def model(seed=0):
    nnkit.manual_seed(seed)
    return nnkit.Sequential(nnkit.Linear(3, 5), nnkit.ReLU(), nnkit.Linear(5, 2))


def test_round_trip_gives_identical_predictions(tmp_path):
    a, b = model(0), model(1)
    path = nnkit.save(a, tmp_path / "m.npz")
    assert nnkit.load(b, path) is b
    x = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    np.testing.assert_array_equal(a(x), b(x))


def test_file_is_a_plain_npz_without_pickles(tmp_path):
    path = nnkit.save(model(), tmp_path / "m.npz")
    with np.load(path, allow_pickle=False) as f:
        assert sorted(f.files) == ["0.bias", "0.weight", "2.bias", "2.weight"]
        assert f["0.weight"].dtype == np.float32


def test_write_is_atomic_and_leaves_no_temporary_files(tmp_path, monkeypatch):
    path = tmp_path / "m.npz"
    nnkit.save(model(0), path)
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez_compressed", boom)
    with pytest.raises(OSError, match="disk full"):
        nnkit.save(model(1), path)
    assert path.read_bytes() == before  # the old file is intact
    assert os.listdir(tmp_path) == ["m.npz"]


def test_missing_extra_and_wrong_shape_keys(tmp_path):
    path = nnkit.save(model(), tmp_path / "m.npz")
    with pytest.raises(KeyError, match=r"missing keys \['4.bias', '4.weight'\]"):
        nnkit.load(
            nnkit.Sequential(nnkit.Linear(3, 5), nnkit.ReLU(), nnkit.Linear(5, 2), nnkit.Tanh(), nnkit.Linear(2, 2)),
            path,
        )
    with pytest.raises(KeyError, match=r"unexpected keys \['2.bias', '2.weight'\]"):
        nnkit.load(nnkit.Sequential(nnkit.Linear(3, 5)), path)
    with pytest.raises(ValueError, match=r"'2.weight' expected shape \(3, 5\), got shape \(2, 5\)"):
        nnkit.load(nnkit.Sequential(nnkit.Linear(3, 5), nnkit.ReLU(), nnkit.Linear(5, 3)), path)


def test_pickled_files_are_refused(tmp_path):
    evil = tmp_path / "evil.npz"
    np.savez(evil, **{"0.weight": np.array([object()], dtype=object)})
    with pytest.raises(ValueError, match="holds pickled objects, which nnkit never loads"):
        nnkit.load(model(), evil)
    raw = tmp_path / "raw.pkl"
    raw.write_bytes(pickle.dumps({"0.weight": 1}))
    with pytest.raises(ValueError, match="holds pickled objects|could not read"):
        nnkit.load(model(), raw)


def test_not_an_archive(tmp_path):
    single = tmp_path / "single.npy"
    np.save(single, np.zeros(3))
    with pytest.raises(ValueError, match="expected an .npz archive written by nnkit.save, got a single array"):
        nnkit.load(model(), single)
    with pytest.raises(FileNotFoundError):
        nnkit.load(model(), tmp_path / "nope.npz")
    with pytest.raises(TypeError, match="save expected an nnkit Module, got dict"):
        nnkit.save({}, tmp_path / "x.npz")


def test_state_dict_loads_into_torch(torch, tmp_path):
    path = nnkit.save(model(), tmp_path / "m.npz")
    ref = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.ReLU(), torch.nn.Linear(5, 2))
    with np.load(path, allow_pickle=False) as f:
        ref.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})
    x = np.ones((2, 3), np.float32)
    np.testing.assert_allclose(ref(torch.from_numpy(x)).detach().numpy(), model()(x), rtol=1e-6)
