"""Tests for nnkit/serialization.py: save and load."""

import gc
import os
import pickle
import re
import signal
import subprocess
import sys
import warnings
from pathlib import Path

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
    with pytest.raises(ValueError, match=r"raw\.pkl is a Python pickle, which nnkit never loads"):
        nnkit.load(model(), raw)


def test_not_an_archive(tmp_path):
    single = tmp_path / "single.npy"
    np.save(single, np.zeros(3))
    with pytest.raises(
        ValueError,
        match=r"^load expected an \.npz archive written by nnkit\.save, but .*single\.npy holds a single array",
    ):
        nnkit.load(model(), single)
    with pytest.raises(FileNotFoundError, match="nope.npz"):
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


# --- load: validate, then write; say what is wrong with a file -----------------------------------


def test_a_failed_load_leaves_the_module_unchanged(tmp_path):
    # a mismatch in the second layer used to raise after the first layer had been overwritten
    path = nnkit.save(model(0), tmp_path / "m.npz")
    target = nnkit.Sequential(nnkit.Linear(3, 5), nnkit.ReLU(), nnkit.Linear(5, 3))
    before = target.state_dict()
    with pytest.raises(ValueError, match=r"^load .*m\.npz: .*'2.weight' expected shape \(3, 5\), got shape \(2, 5\)$"):
        nnkit.load(target, path)
    for name, value in target.state_dict().items():
        np.testing.assert_array_equal(value, before[name], err_msg=name)


def test_every_corrupted_byte_gives_an_error_naming_the_file(tmp_path):
    # one bad byte used to raise a raw BadZipFile (or NotImplementedError) without the path
    saved = model(0)
    raw = nnkit.save(saved, tmp_path / "m.npz").read_bytes()
    bad = tmp_path / "bad.npz"
    outcomes = set()
    for i in range(len(raw)):
        damaged = bytearray(raw)
        damaged[i] ^= 0xFF
        bad.write_bytes(bytes(damaged))
        target = model(1)
        try:
            nnkit.load(target, bad)
        except (ValueError, KeyError) as exc:
            assert str(bad) in str(exc), (i, exc)
            outcomes.add(type(exc).__name__)
            continue
        for (name, value), expected in zip(target.state_dict().items(), saved.state_dict().values()):
            np.testing.assert_array_equal(value, expected, err_msg=f"byte {i}: {name}")  # an unused byte
        outcomes.add("loaded")
    assert {"ValueError", "loaded"} <= outcomes


@pytest.mark.parametrize(
    ("content", "what"),
    [
        (b"hello world\n", r"is a text file \(it starts with 'hello world\\n'\)$"),
        (b"", r"is empty \(0 bytes\)$"),
        (
            b"\x00\x01\x02garbage",
            r"is not a zip archive, as an \.npz file is \(it starts with b'\\x00\\x01\\x02garba', not b'PK",
        ),
    ],
)
def test_a_file_that_is_not_an_archive_is_described(tmp_path, content, what):
    # a text file named .npz used to be reported as holding pickled objects
    path = tmp_path / "m.npz"
    path.write_bytes(content)
    with pytest.raises(
        ValueError, match=rf"^load expected an \.npz archive written by nnkit\.save, but .*m\.npz {what}"
    ):
        nnkit.load(model(), path)


def test_load_closes_the_file_whatever_happens(tmp_path):
    # a truncated archive used to leave its file open (a ResourceWarning)
    raw = nnkit.save(model(0), tmp_path / "m.npz").read_bytes()
    cases = {"good": raw, "truncated": raw[:300], "text": b"hello", "flipped": raw[:100] + b"\x00" + raw[101:]}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for name, content in cases.items():
            path = tmp_path / f"{name}.npz"
            path.write_bytes(content)
            try:
                nnkit.load(model(1), path)
            except ValueError:
                pass
        gc.collect()
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []


def test_load_and_save_refuse_a_folder(tmp_path):
    with pytest.raises(IsADirectoryError, match=r"^load expected an \.npz file, got '.*', which is a folder$"):
        nnkit.load(model(), tmp_path)
    with pytest.raises(TypeError, match=r"^load expected a file path \(str or os\.PathLike\), got int$"):
        nnkit.load(model(), 3)


# --- save: clear errors, permissions, recognisable temporary files --------------------------------


def test_save_into_a_missing_folder_names_the_target(tmp_path):
    # the error used to name the temporary file, .m.npz.XXXX.tmp
    target = tmp_path / "missing" / "m.npz"
    with pytest.raises(
        FileNotFoundError,
        match=rf"^save could not write {re.escape(str(target))}: the folder .*missing does not exist$",
    ):
        nnkit.save(model(), target)


def test_save_to_a_folder_is_refused(tmp_path, monkeypatch):
    # save(model, ".") used to fail with "OSError: Device or resource busy"
    monkeypatch.chdir(tmp_path)
    with pytest.raises(IsADirectoryError, match=r"^save expected a file path, got '\.', which is a folder$"):
        nnkit.save(model(), ".")
    with pytest.raises(IsADirectoryError, match="which is a folder"):
        nnkit.save(model(), tmp_path)
    assert os.listdir(tmp_path) == []


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_save_respects_the_umask_and_keeps_an_existing_files_mode(tmp_path):
    # files used to be 0600 (from mkstemp), where np.savez gives 0666 minus the umask
    old = os.umask(0o022)
    try:
        path = nnkit.save(model(), tmp_path / "a.npz")
        assert oct(os.stat(path).st_mode & 0o777) == oct(0o644)
        os.umask(0o077)
        assert oct(os.stat(nnkit.save(model(), tmp_path / "b.npz")).st_mode & 0o777) == oct(0o600)
        os.chmod(path, 0o640)
        nnkit.save(model(1), path)  # replacing a file keeps its mode
        assert oct(os.stat(path).st_mode & 0o777) == oct(0o640)
    finally:
        os.umask(old)


def test_the_temporary_file_is_named_after_the_target(tmp_path, monkeypatch):
    seen = []
    real = np.savez_compressed

    def spy(f, **arrays):
        seen.extend(os.listdir(tmp_path))
        real(f, **arrays)

    monkeypatch.setattr(np, "savez_compressed", spy)
    nnkit.save(model(), tmp_path / "m.npz")
    assert len(seen) == 1 and re.fullmatch(r"\.m\.npz\.nnkit-tmp-\w+", seen[0]), seen
    assert os.listdir(tmp_path) == ["m.npz"]
    assert ".<name>.nnkit-tmp-XXXXXXXX" in nnkit.save.__doc__


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_save_killed_mid_write_leaves_a_recognisable_file(tmp_path):
    # the orphan used to be named .m.npz.XXXXXXXX.tmp, with nothing saying where it came from
    script = (
        "import os, signal, numpy as np, nnkit\n"
        "np.savez_compressed = lambda f, **a: os.kill(os.getpid(), signal.SIGKILL)\n"
        f"nnkit.save(nnkit.Linear(2, 2), {str(tmp_path / 'm.npz')!r})\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).parents[1], check=False)
    assert done.returncode == -signal.SIGKILL
    (leftover,) = os.listdir(tmp_path)
    assert re.fullmatch(r"\.m\.npz\.nnkit-tmp-\w+", leftover), leftover
