"""The order of each epoch's batches, fixed so that a resumed run sees exactly the same data.

A run stopped in the middle of epoch ``e`` must, on resume, see the rest of epoch ``e`` in the
order the uninterrupted run would have, and every later epoch too. Three things decide that
order, and :class:`EpochOrder` pins each:

- the global random generators, which samplers without their own generator draw from:
  each epoch's order is drawn inside :func:`~audiogan.train.seeding.forked_rng` seeded from
  ``(seed, epoch, rank)``, so it depends on nothing the model did;
- the loader's own ``torch.Generator`` objects (``DataLoader(generator=...)``, a sampler's
  ``generator``): their states at the start of the epoch are part of the checkpoint and are put
  back before the epoch is redrawn;
- samplers that draw lazily while they are iterated (a custom sampler): for a plain
  ``DataLoader`` over a map-style dataset, the whole epoch's list of batch indices is drawn up
  front and a loader over that fixed list (same dataset, workers and collate function) yields
  the batches.

On resume the batches already consumed in the epoch are drawn again and dropped, so worker
processes see the same batches in the same order as in the uninterrupted run.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Iterator
from typing import Any

import torch
from torch.utils.data import DataLoader, IterableDataset

from audiogan.train.seeding import forked_rng

__all__ = ["EpochOrder", "loader_generators"]

_END = object()
_NOT_COPIED = {"dataset", "batch_size", "shuffle", "sampler", "batch_sampler", "drop_last"}


def loader_generators(loader: Any) -> list[torch.Generator]:
    """The ``torch.Generator`` objects a loader draws its order from (each once), in a fixed order."""
    found: list[torch.Generator] = []
    batch_sampler = getattr(loader, "batch_sampler", None)
    for owner in (
        loader,
        getattr(loader, "sampler", None),
        batch_sampler,
        getattr(batch_sampler, "sampler", None),
    ):
        g = getattr(owner, "generator", None)
        if isinstance(g, torch.Generator) and all(g is not f for f in found):
            found.append(g)
    return found


class _FixedBatches:
    """A batch sampler that yields a list of index batches fixed at the start of each epoch."""

    def __init__(self) -> None:
        self.batches: list[Any] = []

    def __iter__(self) -> Iterator[Any]:
        return iter(self.batches)

    def __len__(self) -> int:
        return len(self.batches)


class EpochOrder:
    """Yields each epoch's batches in an order fixed by ``(seed, epoch, rank)`` and the checkpoint.

    Args:
        seed: The run's seed.
        rank: This process's rank under torchrun (0 otherwise).
    """

    def __init__(self, seed: int, rank: int = 0) -> None:
        self.seed = int(seed)
        self.rank = int(rank)
        self._start_states: list[torch.Tensor] | None = None  # loader generators, epoch start
        self._restore: list[torch.Tensor] | None = None
        self._fixed: tuple[DataLoader, DataLoader, _FixedBatches] | None = None  # loader, rebuilt

    def batches(self, loader: Iterable[Any], epoch: int, skip: int = 0) -> Iterator[Any]:
        """The batches of ``epoch`` after the first ``skip``.

        Args:
            loader: Any iterable of batches; a plain ``DataLoader`` gets the full treatment
                described in the module docstring.
            epoch: The epoch number (0-based).
            skip: Batches of this epoch already consumed (drawn again and dropped).
        """
        generators = loader_generators(loader)
        if self._restore is not None:
            if len(self._restore) == len(generators):
                for g, state in zip(generators, self._restore, strict=True):
                    g.set_state(state)
            self._restore = None
        self._start_states = [g.get_state() for g in generators]
        seed = ((self.seed * 1_000_003 + epoch) * 1_009 + self.rank) % 2**63
        with forked_rng(seed):
            it = iter(self._fixed_order(loader))
            first = next(it, _END)
            for _ in range(max(skip - 1, 0)):
                next(it, _END)
        if skip == 0 and first is not _END:
            yield first
        yield from it

    def end_epoch(self, loader: Iterable[Any]) -> None:
        """Record the loader generators' states as the start of the next epoch."""
        self._start_states = [g.get_state() for g in loader_generators(loader)]

    def state_dict(self) -> dict[str, Any]:
        """The loader generators' states at the start of the current epoch."""
        return {"generator_states": self._start_states}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore them into the loader at the start of the next :meth:`batches` call."""
        self._restore = state.get("generator_states")
        self._start_states = self._restore

    def _fixed_order(self, loader: Iterable[Any]) -> Iterable[Any]:
        """A loader over this epoch's batch list drawn now, or ``loader`` itself if not possible."""
        if (
            type(loader) is not DataLoader
            or isinstance(loader.dataset, IterableDataset)
            or loader.batch_sampler is None
        ):
            return loader
        if self._fixed is None or self._fixed[0] is not loader:
            fixed = _FixedBatches()
            self._fixed = (loader, _rebuild(loader, fixed), fixed)
        _, rebuilt, fixed = self._fixed
        fixed.batches = list(loader.batch_sampler)
        return rebuilt


def _rebuild(loader: DataLoader, batch_sampler: _FixedBatches) -> DataLoader:
    """A ``DataLoader`` like ``loader`` (dataset, workers, collate, pinning...) over ``batch_sampler``."""
    kwargs = {}
    for name in inspect.signature(DataLoader.__init__).parameters:
        if name in _NOT_COPIED or name == "self" or not hasattr(loader, name):
            continue
        kwargs[name] = getattr(loader, name)
    if loader.num_workers == 0:
        kwargs.pop("prefetch_factor", None)
        kwargs.pop("persistent_workers", None)
    return DataLoader(loader.dataset, batch_sampler=batch_sampler, **kwargs)
