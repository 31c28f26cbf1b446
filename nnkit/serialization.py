"""Saving and loading parameters as ``.npz`` files: no pickles, atomic writes."""

from __future__ import annotations

import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from .module import Module

PathLike = str | os.PathLike


def save(module: Module, path: PathLike) -> Path:
    """Write ``module.state_dict()`` to ``path`` as a compressed ``.npz``.

    The file is written to a temporary file in the same folder and then renamed over
    ``path``, so a crash never leaves a half-written file. Returns the path.

    >>> import nnkit, tempfile, os
    >>> model = nnkit.Sequential(nnkit.Linear(2, 3), nnkit.ReLU())
    >>> path = nnkit.save(model, os.path.join(tempfile.mkdtemp(), "model.npz"))
    >>> _ = nnkit.load(nnkit.Sequential(nnkit.Linear(2, 3), nnkit.ReLU()), path)
    """
    if not isinstance(module, Module):
        raise TypeError(f"save expected an nnkit Module, got {type(module).__name__}")
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez_compressed(f, **module.state_dict())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return target


def load(module: Module, path: PathLike) -> Module:
    """Load parameters saved by :func:`save` into ``module`` (in place) and return it.

    The file is read with ``allow_pickle=False``: a file holding pickled objects is
    refused with ``ValueError``. Missing or unexpected keys raise ``KeyError`` and a
    wrong shape ``ValueError``, each naming the parameter.

    >>> import nnkit, tempfile, os, numpy as np
    >>> a, b = nnkit.Linear(2, 2, rng=0), nnkit.Linear(2, 2, rng=1)
    >>> path = nnkit.save(a, os.path.join(tempfile.mkdtemp(), "a.npz"))
    >>> bool(np.array_equal(nnkit.load(b, path).weight.data, a.weight.data))
    True
    """
    if not isinstance(module, Module):
        raise TypeError(f"load expected an nnkit Module, got {type(module).__name__}")
    try:
        archive = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise
    except ValueError as exc:
        raise ValueError(f"load refused {path}: it holds pickled objects, which nnkit never loads") from exc
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ValueError(f"load could not read {path} as an .npz archive: {exc}") from exc
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(f"load expected an .npz archive written by nnkit.save, got a single array in {path}")
    state = {}
    with archive:
        for key in archive.files:
            try:
                state[key] = archive[key]
            except ValueError as exc:
                raise ValueError(
                    f"load refused {path}: entry '{key}' holds pickled objects, which nnkit never loads"
                ) from exc
    module.load_state_dict(state)
    return module
