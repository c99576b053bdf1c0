"""Read ``.npz`` files that hold object arrays without running code from the file.

``np.load(..., allow_pickle=True)`` unpickles object arrays, and a pickle may call any
importable function (``os.system``, ``builtins.eval``...) while it loads. Data sets such as
``Jsb16thSeparated.npz`` store ragged data that way: an object array whose items are numeric
arrays. :func:`load_npz` reads such files itself:

- plain (non-object) members through numpy's own reader with ``allow_pickle=False``;
- object members with :class:`ArrayUnpickler`, which builds numpy arrays and dtypes and nothing
  else. A pickle that names any other global (a function, a class, a numpy helper other than
  ``_reconstruct``) is refused with an :class:`UnsafeFileError` naming the file, the member
  and the global, before anything is called.

Pickles written by Python 2 (as ``Jsb16thSeparated.npz`` is) load with ``encoding="latin1"``,
as numpy recommends for them.
"""

from __future__ import annotations

import io
import os
import pickle
import zipfile
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from audiogan.errors import AudioganError

__all__ = ["ArrayUnpickler", "UnsafeFileError", "load_npz"]

# numpy.(_)core.multiarray._reconstruct, taken from numpy itself so that the numpy.core shim of
# numpy 2 (which warns on access) is never imported.
_RECONSTRUCT = np.ndarray.__reduce__(np.empty(0))[0]

#: ``(module, name)`` of the only globals an object array's pickle may name.
ALLOWED_GLOBALS: dict[tuple[str, str], Any] = {
    ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,  # numpy 1.x and Python 2 files
    ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,  # numpy >= 2
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
}


class UnsafeFileError(AudioganError, ValueError):
    """A data file asks to run or import something other than numpy arrays. Names the file."""


class ArrayUnpickler(pickle.Unpickler):
    """An unpickler that builds only numpy arrays and dtypes (see :data:`ALLOWED_GLOBALS`).

    Args:
        file: The pickle stream.
        source: What to name in errors (e.g. ``"data.npz, member 'train'"``).
    """

    def __init__(self, file: BinaryIO, source: str) -> None:
        super().__init__(file, encoding="latin1")
        self.source = source

    def find_class(self, module: str, name: str) -> Any:
        found = ALLOWED_GLOBALS.get((module, name))
        if found is None:
            raise UnsafeFileError(
                f"{self.source}: refused to load: its pickle names {module}.{name}; only numpy "
                "arrays and dtypes are read from data files (nothing in it was run)"
            )
        return found

    def persistent_load(self, pid: Any) -> Any:
        raise UnsafeFileError(f"{self.source}: refused to load: its pickle holds a persistent id")


def _read_member(data: bytes, source: str) -> np.ndarray:
    """One ``.npy`` member: the header, then raw data or (object dtype) a pickle of the array."""
    fp = io.BytesIO(data)
    version = np.lib.format.read_magic(fp)
    if version == (1, 0):
        shape, _, dtype = np.lib.format.read_array_header_1_0(fp)
    elif version == (2, 0):
        shape, _, dtype = np.lib.format.read_array_header_2_0(fp)
    else:  # 3.0 (utf-8 field names) is parsed by numpy's reader below
        shape, dtype = None, None
    if dtype is None or not dtype.hasobject:
        fp.seek(0)
        return np.lib.format.read_array(fp, allow_pickle=False)
    array = ArrayUnpickler(fp, source).load()
    if not isinstance(array, np.ndarray) or array.shape != shape:
        raise ValueError(
            f"{source}: the pickled array does not match its header (expected shape {shape}, "
            f"got {type(array).__name__} {getattr(array, 'shape', '')})"
        )
    return array


def load_npz(path: str | os.PathLike, keys: list[str] | None = None) -> dict[str, np.ndarray]:
    """Read the arrays of an ``.npz`` file, object arrays included, without running its code.

    Args:
        path: The ``.npz`` file (a zip of ``.npy`` files, as :func:`numpy.savez` writes).
        keys: Read only these members (default: all).

    Returns:
        ``{name: array}``, in the file's order (or the order of ``keys``).

    Raises:
        UnsafeFileError: If an object array's pickle names anything but numpy arrays and dtypes
            (the file and the global are named; nothing was called).
        ValueError: If the file is not a readable ``.npz`` or lacks one of ``keys`` (the
            message names the file).
    """
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as zf:
            members = {n.removesuffix(".npy"): n for n in zf.namelist() if n.endswith(".npy")}
            wanted = list(members) if keys is None else list(keys)
            missing = [k for k in wanted if k not in members]
            if not missing:
                return {
                    key: _read_member(zf.read(members[key]), f"{path}, array {key!r}")
                    for key in wanted
                }
    except UnsafeFileError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, pickle.UnpicklingError) as err:
        raise ValueError(f"{path}: not a readable .npz file ({type(err).__name__}: {err})") from err
    except (TypeError, AttributeError, IndexError, KeyError) as err:  # a damaged or crafted pickle
        raise ValueError(f"{path}: not a readable .npz file ({type(err).__name__}: {err})") from err
    raise ValueError(f"{path}: has no array {missing[0]!r}; its keys are {sorted(members)}")
