"""Distributed data parallel helpers: torchrun detection, process groups, sharded loaders.

A script launched with ``torchrun --nproc_per_node=N train.py`` gets ``RANK``, ``LOCAL_RANK``
and ``WORLD_SIZE`` in its environment. :class:`~audiogan.train.Trainer` reads them through
:func:`dist_env`, starts the process group (gloo on CPU, NCCL on CUDA) with
:func:`init_distributed`, wraps the generator and the critic in ``DistributedDataParallel`` and
gives each rank its shard of the data with :func:`distributed_loader`. Only rank 0 writes files.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler, RandomSampler, SequentialSampler

__all__ = [
    "DistEnv",
    "all_reduce_min_tensor",
    "barrier",
    "destroy_distributed",
    "dist_env",
    "distributed_loader",
    "init_distributed",
    "is_distributed",
    "is_main_process",
    "process_group",
    "resolve_device",
    "wrap_ddp",
]


@dataclass(frozen=True)
class DistEnv:
    """Where this process sits in a torchrun job (``world_size == 1`` when not launched by torchrun)."""

    rank: int = 0
    local_rank: int = 0
    world_size: int = 1

    @property
    def enabled(self) -> bool:
        """True when more than one process takes part."""
        return self.world_size > 1


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as e:
        raise ValueError(f"environment variable {name} must be an integer, got {value!r}") from e


def dist_env() -> DistEnv:
    """Read ``RANK``, ``LOCAL_RANK`` and ``WORLD_SIZE`` as set by torchrun (defaults 0, 0, 1)."""
    world = _env_int("WORLD_SIZE", 1)
    rank = _env_int("RANK", 0)
    local = _env_int("LOCAL_RANK", rank)
    if world < 1 or not 0 <= rank < world:
        raise ValueError(f"inconsistent torchrun environment: RANK={rank}, WORLD_SIZE={world}")
    return DistEnv(rank=rank, local_rank=local, world_size=world)


def is_distributed() -> bool:
    """True when a process group with more than one process is running."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def is_main_process() -> bool:
    """True on rank 0 (or when not distributed): the process that writes files."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank() == 0
    return dist_env().rank == 0


def init_distributed(device: torch.device) -> bool:
    """Start the default process group for a torchrun job, if there is one and none runs yet.

    Uses NCCL for CUDA devices and gloo otherwise; the rendezvous comes from torchrun's
    environment (``MASTER_ADDR``, ``MASTER_PORT``, ``RANK``, ``WORLD_SIZE``).

    Args:
        device: The device this rank trains on (``cuda:LOCAL_RANK`` under torchrun with GPUs).

    Returns:
        True if this call started the group (the caller should then destroy it), else False.
    """
    env = dist_env()
    if not env.enabled or not dist.is_available() or dist.is_initialized():
        return False
    backend = "nccl" if device.type == "cuda" else "gloo"
    if device.type == "cuda":
        torch.cuda.set_device(device)
        dist.init_process_group(backend, device_id=device)
    else:
        dist.init_process_group(backend)
    return True


def destroy_distributed() -> None:
    """Tear down the default process group if one is running."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def barrier() -> None:
    """Wait for every rank (no-op when not distributed)."""
    if is_distributed():
        dist.barrier()


def all_reduce_min_tensor(t: torch.Tensor) -> torch.Tensor:
    """Elementwise minimum of ``t`` across ranks, without a host sync (``t`` itself when alone)."""
    if not is_distributed():
        return t
    t = t.clone()
    dist.all_reduce(t, op=dist.ReduceOp.MIN)
    return t


@contextlib.contextmanager
def process_group(device: torch.device) -> Iterator[bool]:
    """Under torchrun, run a block inside the default process group (started here if needed).

    Yields:
        True when more than one process takes part (the models should be wrapped in DDP).
    """
    created = init_distributed(device) if dist_env().enabled else False
    try:
        yield is_distributed()
    finally:
        if created:
            destroy_distributed()


def wrap_ddp(module: nn.Module, device: torch.device) -> DistributedDataParallel:
    """``DistributedDataParallel(module)`` on ``device`` (its CUDA index, or CPU with gloo)."""
    ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(module, device_ids=ids, find_unused_parameters=False)


def distributed_loader(loader: DataLoader, seed: int = 0) -> DataLoader:
    """Give this rank its shard of ``loader``'s data through a ``DistributedSampler``.

    A loader that already uses a ``DistributedSampler`` is returned as is. Otherwise a new
    ``DataLoader`` over the same dataset is built with the same batch size (per rank: the global
    batch is ``world_size * batch_size``), workers, collate function and ``drop_last``, and a
    ``DistributedSampler`` that shuffles if the original loader did (``shuffle=True``).
    Returns ``loader`` unchanged when not distributed.

    Raises:
        ValueError: For a loader with a custom ``batch_sampler`` or sampler, which cannot be
            sharded automatically: build it with a ``DistributedSampler`` yourself.
    """
    if not is_distributed() or isinstance(loader.sampler, DistributedSampler):
        return loader
    if loader.batch_size is None:
        raise ValueError(
            "distributed_loader: the loader uses a custom batch_sampler; under torchrun build it "
            "with a torch.utils.data.DistributedSampler yourself"
        )
    if not isinstance(loader.sampler, (RandomSampler, SequentialSampler)):
        raise ValueError(
            f"distributed_loader: cannot shard a loader with sampler {type(loader.sampler).__name__}; "
            "under torchrun pass a loader built with a torch.utils.data.DistributedSampler"
        )
    sampler = DistributedSampler(
        loader.dataset,
        shuffle=isinstance(loader.sampler, RandomSampler),
        seed=seed,
        drop_last=loader.drop_last,
    )
    extra = {}
    if loader.num_workers > 0:
        extra = {
            "prefetch_factor": loader.prefetch_factor,
            "persistent_workers": loader.persistent_workers,
        }
    return DataLoader(
        loader.dataset,
        batch_size=loader.batch_size,
        sampler=sampler,
        num_workers=loader.num_workers,
        collate_fn=loader.collate_fn,
        pin_memory=loader.pin_memory,
        drop_last=loader.drop_last,
        timeout=loader.timeout,
        worker_init_fn=loader.worker_init_fn,
        **extra,
    )


def resolve_device(device: str | torch.device, env: DistEnv) -> torch.device:
    """The training device: ``"auto"`` is CUDA when available, else the CPU; a CUDA device
    without an index is ``cuda:LOCAL_RANK`` under torchrun, else the current CUDA device."""
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(device)
    if device.type == "cuda" and device.index is None:
        index = env.local_rank if env.enabled else torch.cuda.current_device()
        device = torch.device("cuda", index)
    return device
