"""Saving and loading parameters as ``.npz`` files: no pickles, atomic writes."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

import numpy as np

from .module import Module

PathLike = str | os.PathLike

_TMP_MARK = ".nnkit-tmp-"  # temporary files are named .<name>.nnkit-tmp-XXXXXXXX


def _as_path(path: PathLike, where: str) -> Path:
    try:
        return Path(os.fspath(path))
    except TypeError:
        raise TypeError(f"{where} expected a file path (str or os.PathLike), got {type(path).__name__}") from None


def _new_file_mode(target: Path) -> int:
    """The mode a write of ``target`` should give: an existing file's own, else ``0o666`` minus the umask."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        umask = os.umask(0o022)  # reading the umask means setting it: put it straight back
        os.umask(umask)
        return 0o666 & ~umask


def save(module: Module, path: PathLike) -> Path:
    """Write ``module.state_dict()`` to ``path`` as a compressed ``.npz``; return the path.

    The arrays are first written to a temporary file in the same folder, named
    ``.<name>.nnkit-tmp-XXXXXXXX`` (hidden, beside ``path``), which is then renamed over
    ``path``: an interrupted save never leaves a half-written ``path``, and the old file stays
    intact until the new one is complete. Only a process killed outright (``SIGKILL``, a power
    cut) can leave such a temporary file behind; it is safe to delete.

    A new file gets the usual permissions (``0o666`` minus the umask, as ``np.savez`` gives);
    a file that is replaced keeps its own. A missing folder or a ``path`` that is a folder
    raises an error naming ``path``.

    >>> import nnkit, tempfile, os
    >>> model = nnkit.Sequential(nnkit.Linear(2, 3), nnkit.ReLU())
    >>> path = nnkit.save(model, os.path.join(tempfile.mkdtemp(), "model.npz"))
    >>> _ = nnkit.load(nnkit.Sequential(nnkit.Linear(2, 3), nnkit.ReLU()), path)
    """
    if not isinstance(module, Module):
        raise TypeError(f"save expected an nnkit Module, got {type(module).__name__}")
    target = _as_path(path, "save")
    if target.is_dir():
        raise IsADirectoryError(f"save expected a file path, got {str(target)!r}, which is a folder")
    folder = target.parent
    if not folder.is_dir():
        if folder.exists():
            raise NotADirectoryError(f"save could not write {target}: {folder} is a file, not a folder")
        raise FileNotFoundError(f"save could not write {target}: the folder {folder} does not exist")
    mode = _new_file_mode(target)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}{_TMP_MARK}", dir=folder)
    except OSError as exc:
        raise OSError(exc.errno, f"save could not write {target}: {exc.strerror} in the folder {folder}") from exc
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez_compressed(f, **module.state_dict())
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return target


def _what_is_wrong(head: bytes) -> str | None:
    """Why a file that starts with ``head`` is not an ``.npz`` archive, or ``None`` if it looks like one."""
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):  # a zip archive (an empty one ends at once)
        return None
    if not head:
        return "is empty (0 bytes)"
    if head.startswith(b"\x93NUMPY"):
        return "holds a single array (.npy format), not an archive of named arrays"
    if head[:1] == b"\x80":
        return "is a Python pickle, which nnkit never loads (loading a pickle can run any code)"
    if all(32 <= b < 127 or b in b"\t\r\n" for b in head):
        return f"is a text file (it starts with {head[:40].decode('ascii')!r})"
    return f"is not a zip archive, as an .npz file is (it starts with {head[:8]!r}, not b'PK\\x03\\x04')"


def load(module: Module, path: PathLike) -> Module:
    """Load parameters saved by :func:`save` into ``module`` (in place) and return it.

    The file is read with ``allow_pickle=False``: pickles are refused with ``ValueError``. So
    are files that are not ``.npz`` archives (saying what they are instead: a text file, a
    single ``.npy`` array, an empty file) and damaged or truncated archives, naming ``path``.
    Every entry is checked before any parameter is written, so a failed load leaves
    ``module`` unchanged: missing or unexpected keys raise ``KeyError``, a wrong shape
    ``ValueError``, each naming the parameter.

    >>> import nnkit, tempfile, os, numpy as np
    >>> a, b = nnkit.Linear(2, 2, rng=0), nnkit.Linear(2, 2, rng=1)
    >>> path = nnkit.save(a, os.path.join(tempfile.mkdtemp(), "a.npz"))
    >>> bool(np.array_equal(nnkit.load(b, path).weight.data, a.weight.data))
    True
    """
    if not isinstance(module, Module):
        raise TypeError(f"load expected an nnkit Module, got {type(module).__name__}")
    source = _as_path(path, "load")
    if source.is_dir():
        raise IsADirectoryError(f"load expected an .npz file, got {str(source)!r}, which is a folder")
    with open(source, "rb") as f:
        problem = _what_is_wrong(f.read(64))
        if problem:
            raise ValueError(f"load expected an .npz archive written by nnkit.save, but {source} {problem}")
        f.seek(0)
        state, pickled = {}, None
        try:
            with np.load(f, allow_pickle=False) as archive:
                for key in archive.files:
                    try:
                        state[key] = archive[key]
                    except ValueError as exc:
                        if "allow_pickle" not in str(exc):
                            raise
                        pickled = key
                        break
        except Exception as exc:  # zipfile, zlib and numpy's format reader each fail their own way on a bad byte
            raise ValueError(
                f"load could not read {source}: the archive is damaged or truncated ({type(exc).__name__}: {exc})"
            ) from exc
    if pickled is not None:
        raise ValueError(f"load refused {source}: entry '{pickled}' holds pickled objects, which nnkit never loads")
    try:
        module.load_state_dict(state)
    except (KeyError, ValueError, TypeError) as exc:
        raise type(exc)(f"load {source}: {exc.args[0]}") from exc
    return module
