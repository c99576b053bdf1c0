"""Seeding and RNG state: seed every generator, capture and restore them, run a block seeded.

The helpers capture and restore the Python, NumPy, torch CPU and CUDA generators as plain values
and tensors, so that they survive ``weights_only`` checkpoint loading
(:mod:`~audiogan.train.checkpoints`); :func:`forked_rng` gives the data order
(:mod:`~audiogan.train.epoch_order`) its own stream.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

__all__ = ["capture_rng_state", "forked_rng", "restore_rng_state", "seed_everything"]


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
