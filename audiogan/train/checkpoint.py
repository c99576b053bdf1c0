"""Checkpoint files: atomic writes, the last K kept, safe loading, RNG state capture and restore.

A checkpoint is one ``torch.save`` file ``step_00001234.pt`` in a folder (the Trainer uses
``out_dir/checkpoints``). It is written to a temporary file in the same folder, flushed to disk
with ``fsync`` and renamed over the final name with ``os.replace``, so a process killed while
writing leaves the previous checkpoints intact (and at worst a stray ``*.tmp`` file, which
:func:`list_checkpoints` ignores). Files are read with ``torch.load(weights_only=True)``: a
checkpoint holds only tensors and plain Python values and cannot run code when loaded.

The RNG helpers capture and restore the Python, NumPy, torch CPU and CUDA generators as plain
values and tensors, so that they survive ``weights_only`` loading.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from audiogan._atomic import atomic_path
from audiogan._build import build_module, class_path

__all__ = [
    "atomic_save",
    "build_module",
    "capture_rng_state",
    "checkpoint_path",
    "class_path",
    "forked_rng",
    "latest_checkpoint",
    "list_checkpoints",
    "load_checkpoint",
    "module_spec",
    "prune_checkpoints",
    "restore_rng_state",
    "seed_everything",
]

_NAME = re.compile(r"^step_(\d+)\.pt$")


# ----------------------------------------------------------------------------- files


def checkpoint_path(directory: str | os.PathLike, step: int) -> Path:
    """The file name of the checkpoint taken after ``step`` generator steps."""
    return Path(directory) / f"step_{step:08d}.pt"


def atomic_save(obj: Any, path: str | os.PathLike) -> Path:
    """``torch.save`` to ``path`` so that readers see either the old file or the complete new one.

    Writes to a temporary file in the same folder, flushes and fsyncs it, renames it over
    ``path`` with ``os.replace`` (atomic on POSIX and Windows) and fsyncs the folder.

    Args:
        obj: What to save (tensors and plain Python values, for ``weights_only`` loading).
        path: Destination; its folder is created if needed.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.
    """
    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        torch.save(obj, f)
    return path


def list_checkpoints(directory: str | os.PathLike) -> list[Path]:
    """Checkpoint files ``step_*.pt`` in ``directory``, oldest (lowest step) first.

    Temporary files of interrupted writes are ignored; a missing folder gives ``[]``.
    """
    directory = Path(directory)
    if not directory.is_dir():
        return []
    found = []
    for p in directory.iterdir():
        m = _NAME.match(p.name)
        if m and p.is_file():
            found.append((int(m.group(1)), p))
    return [p for _, p in sorted(found)]


def latest_checkpoint(directory: str | os.PathLike) -> Path | None:
    """The newest checkpoint in ``directory`` (highest step), or None if there is none."""
    found = list_checkpoints(directory)
    return found[-1] if found else None


def prune_checkpoints(directory: str | os.PathLike, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` checkpoints, and stray temporary files.

    Args:
        directory: The checkpoint folder.
        keep: How many to keep (``>= 1``).

    Returns:
        The checkpoint files deleted.
    """
    if keep < 1:
        raise ValueError(f"prune_checkpoints: keep must be >= 1, got {keep}")
    found = list_checkpoints(directory)
    removed = found[:-keep]
    for p in removed:
        p.unlink(missing_ok=True)
    for p in Path(directory).glob(".step_*.pt.*.tmp"):
        p.unlink(missing_ok=True)
    return removed


def load_checkpoint(
    path: str | os.PathLike, map_location: str | torch.device = "cpu"
) -> dict[str, Any]:
    """Read a checkpoint with ``torch.load(weights_only=True)``.

    Args:
        path: A checkpoint file.
        map_location: Where to put its tensors (CPU by default; ``load_state_dict`` moves them).

    Returns:
        The checkpoint dict.

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        ValueError: If the file is not a readable checkpoint (truncated, or not made by
            audiogan), naming the file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as e:  # truncated files raise RuntimeError, pickle errors UnpicklingError
        raise ValueError(f"cannot read checkpoint {path}: {e}") from e
    if not isinstance(state, dict) or "generator" not in state or "step" not in state:
        raise ValueError(
            f"{path} is not an audiogan checkpoint (expected a dict with 'generator' and 'step')"
        )
    return state


# ----------------------------------------------------------------------------- modules


def module_spec(module: nn.Module, with_state: bool = True) -> dict[str, Any]:
    """Describe a module for a checkpoint's metadata: class path, ``config`` and its state.

    ``Trainer(frontend=...)`` stores its frontend this way, so that
    :func:`audiogan.train.generation.generate` rebuilds it from the checkpoint.

    Args:
        module: A module with a ``config`` dict of its constructor arguments.
        with_state: Also store its ``state_dict`` (e.g. normalization statistics).

    Returns:
        ``{"class": str, "config": dict | None, "state": dict[str, Tensor] | None}``.
    """
    config = getattr(module, "config", None)
    state = None
    if with_state and isinstance(module, nn.Module):
        state = {k: v.detach().cpu() for k, v in module.state_dict().items()} or None
    return {
        "class": class_path(module),
        "config": dict(config) if config is not None else None,
        "state": state,
    }


# ----------------------------------------------------------------------------- RNG


def seed_everything(seed: int) -> None:
    """Seed Python's ``random``, NumPy's global generator and torch (CPU and CUDA).

    Call it before building the models: their initial weights come from these generators, and
    the Trainer seeds them again (from its own ``seed``) only when a fresh ``fit`` starts. Same
    seed, same data, same settings on the CPU then give bit-identical runs; the recipes do this.

    Example:
        >>> import torch
        >>> seed_everything(0); a = torch.nn.Linear(2, 2).weight
        >>> seed_everything(0); b = torch.nn.Linear(2, 2).weight
        >>> torch.equal(a, b)
        True
    """
    random.seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002 (the global legacy RNG is what user code draws from)
    torch.manual_seed(seed)


def capture_rng_state() -> dict[str, Any]:
    """The Python, NumPy, torch CPU and CUDA generator states, as ``weights_only``-safe values."""
    version, internal, gauss = random.getstate()
    _, key, pos, has_gauss, cached = np.random.get_state(legacy=True)  # noqa: NPY002
    state: dict[str, Any] = {
        "python": [version, list(internal), gauss],
        "numpy": {
            "key": torch.from_numpy(key.astype(np.int64)),
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "gauss": float(cached),
        },
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state: dict[str, Any]) -> None:
    """Restore what :func:`capture_rng_state` captured (CUDA only when present on both sides)."""
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    np_state = state["numpy"]
    key = np_state["key"].numpy().astype(np.uint32)
    np.random.set_state(("MT19937", key, np_state["pos"], np_state["has_gauss"], np_state["gauss"]))  # noqa: NPY002
    torch.set_rng_state(state["torch"])
    cuda = state.get("cuda")
    if cuda is not None and torch.cuda.is_available():
        n = min(len(cuda), torch.cuda.device_count())
        for i in range(n):
            torch.cuda.set_rng_state(cuda[i], i)


@contextlib.contextmanager
def forked_rng(seed: int) -> Iterator[None]:
    """Run a block with the Python, NumPy and torch CPU generators seeded with ``seed``.

    Their states are restored on exit, so the block neither depends on nor disturbs the random
    stream around it (the Trainer builds each epoch's data order this way).
    """
    py, npy, cpu = random.getstate(), np.random.get_state(), torch.get_rng_state()  # noqa: NPY002
    try:
        seed_everything(seed)
        yield
    finally:
        random.setstate(py)
        np.random.set_state(npy)  # noqa: NPY002
        torch.set_rng_state(cpu)
