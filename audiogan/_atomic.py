"""Atomic file writes: readers see the old file or the complete new one, never a partial one.

Used by checkpoints, the feature cache and the chorales cache. A process killed while writing
leaves at most a hidden temporary file beside the target, and the target untouched.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


def fsync_path(path: str | os.PathLike) -> None:
    """Flush a file's or folder's data to disk (a folder: its entries, i.e. a rename).

    Folders cannot be opened for fsync on some systems (Windows) or file systems; that is
    not an error.
    """
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; write it inside the ``with`` block.

    On a normal exit the temporary file is fsynced and renamed over ``path`` with
    ``os.replace`` (atomic on POSIX and Windows), then the folder is fsynced. On an exception
    the temporary file is removed and ``path`` is left as it was. The folder is created if
    needed.

    Example:
        >>> import json, tempfile
        >>> target = Path(tempfile.mkdtemp()) / "index.json"
        >>> with atomic_path(target) as tmp:
        ...     _ = tmp.write_text(json.dumps({"ok": True}))
        >>> json.loads(target.read_text())
        {'ok': True}
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        fsync_path(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_path(path.parent)
