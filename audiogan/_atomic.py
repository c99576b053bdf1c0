"""Atomic file writes: readers see the old file or the complete new one, never a partial one.

Used by checkpoints, the feature cache, the chorales cache and ``recipe.json``. A process killed
while writing leaves at most a hidden temporary file beside the target,
``.NAME.PID.XXXXXXXX.tmp`` (PID: the writing process), and the target untouched; the next
atomic write into that folder removes such leftovers of processes no longer running
(:func:`remove_stale_temporaries`). Files are written with the permissions of any file the
process creates (``0o666`` less the umask: ``0o644`` typically), not ``mkstemp``'s ``0o600``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

#: A temporary file of :func:`atomic_path`: ``.NAME.PID.XXXXXXXX.tmp`` (``mkstemp``'s 8 random
#: characters); earlier versions wrote ``.NAME.XXXXXXXX.tmp``, without the PID.
TEMP_NAME = re.compile(r"^\.(?P<target>.+?)\.(?:(?P<pid>\d+)\.)?(?P<random>[a-z0-9_]{8})\.tmp$")

#: A temporary file without a PID (an earlier version's) is stale once this old, in seconds.
UNNAMED_STALE_AFTER_S = 600.0
#: A temporary file of a process not running here is stale once this old (a process on another
#: machine writing into a shared folder looks dead from here).
STALE_AFTER_S = 60.0

# Errors of fsync that mean the data did not reach the disk (others: fsync unsupported here).
_LOST_WRITE = (errno.ENOSPC, errno.EIO, getattr(errno, "EDQUOT", errno.ENOSPC))
_umask_lock = threading.Lock()


def fsync_path(path: str | os.PathLike) -> None:
    """Flush a file's or folder's data to disk (a folder: its entries, i.e. a rename).

    Folders cannot be opened for fsync on some systems (Windows) or file systems; that is
    not an error.

    Raises:
        OSError: If the disk is full (``ENOSPC``, ``EDQUOT``) or failed (``EIO``) while
            flushing: the data is not on the disk.
    """
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as e:
        if e.errno in _LOST_WRITE:
            raise OSError(e.errno, e.strerror, str(path)) from e
    finally:
        os.close(fd)


def _umask() -> int:
    """The process's umask: from ``/proc`` on Linux, else read by setting it (under a lock,
    set to the common ``0o022`` for that instant)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _umask_lock:
        umask = os.umask(0o022)
        os.umask(umask)
    return umask


def _file_mode() -> int:
    """``0o666`` less the process's umask: the mode ``open()`` gives a new file."""
    return 0o666 & ~_umask()


def _alive(pid: int) -> bool:
    """Whether a process ``pid`` runs on this machine (True when that cannot be told)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):  # another user's process, or no signals here
        return True
    return True


def remove_stale_temporaries(folder: str | os.PathLike, target: str | None = None) -> list[Path]:
    """Remove the leftovers of :func:`atomic_path` writes that were killed.

    Only files named as :func:`atomic_path` names its temporaries (:data:`TEMP_NAME`) are
    considered, and of them only those whose writing process is no longer running on this
    machine and that are older than :data:`STALE_AFTER_S`, or, without a PID in the name
    (earlier versions), older than :data:`UNNAMED_STALE_AFTER_S`. A user's own files, and the temporaries of running writers
    (another training process, this one), are never touched.

    Args:
        folder: The folder to clean (not searched recursively).
        target: Only the temporaries of this file name (e.g. ``"features.npy"``); default all.

    Returns:
        The files removed.
    """
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        match = TEMP_NAME.match(entry.name)
        if match is None or (target is not None and match["target"] != target):
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            pid, age = match["pid"], now - entry.stat(follow_symlinks=False).st_mtime
            if pid is not None:
                stale = age > STALE_AFTER_S and not _alive(int(pid))
            else:
                stale = age > UNNAMED_STALE_AFTER_S
            if stale:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:  # gone meanwhile, or not ours to remove
            continue
    return removed


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; write it inside the ``with`` block.

    On a normal exit the temporary file is fsynced and renamed over ``path`` with
    ``os.replace`` (atomic on POSIX and Windows), then the folder is fsynced. On an exception
    the temporary file is removed and ``path`` is left as it was; an ``OSError`` that names no
    file (a full disk while writing) is raised again naming ``path``. The folder is created if
    needed, and stale temporaries of earlier killed writes of ``path`` are removed
    (:func:`remove_stale_temporaries`). The file gets the mode a new file of ``open()`` gets.

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
    remove_stale_temporaries(path.parent, path.name)
    prefix = f".{path.name}.{os.getpid()}."
    fd, name = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=path.parent)
    tmp = Path(name)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, _file_mode())
        else:  # Windows
            os.chmod(tmp, _file_mode())
    finally:
        os.close(fd)
    try:
        yield tmp
        fsync_path(tmp)
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        if e.errno is not None and e.filename in (None, str(tmp)):  # name the file written
            raise OSError(e.errno, e.strerror, str(path)) from e
        raise
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_path(path.parent)
