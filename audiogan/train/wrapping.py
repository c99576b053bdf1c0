"""What a training step calls: the models, DDP-wrapped under torchrun and compiled on request.

The Trainer keeps the plain modules (``trainer.generator``, ``trainer.critic``) for checkpoints,
EMA and sampling, and calls them through :class:`ModelCalls`: under torchrun both are wrapped in
``DistributedDataParallel`` for the length of a ``fit``; with ``compile`` both calls go through
``torch.compile``. The penalty always gets the eager critic (DDP-wrapped when distributed):
a gradient penalty needs double backward, which compiled graphs do not support.

Memory layout: channels_last for convolution-heavy models (4-D NHWC, 5-D NDHWC). cuDNN and
oneDNN run many convolutions faster on channels-last tensors (on this project's 2-core CPU an
iteration of the conditional WGAN-GP took 0.80x the time; see ``benchmarks/train_step.py``).
Only the layout changes: values, shapes and results are the same.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

import torch
from torch import nn

from audiogan.train.distributed import wrap_ddp

__all__ = ["ModelCalls", "to_channels_last", "to_channels_last_"]


class ModelCalls:
    """The callables a training step uses for the generator and the critic.

    Args:
        generator: The generator module.
        critic: The critic module.
        device: The training device (for DDP).
        compile_options: ``torch.compile`` arguments, or None for eager calls.

    Attributes:
        generator: What the step calls to generate. critic: What the step calls to score.
        critic_eager: The critic for the penalty: never compiled.
    """

    def __init__(
        self,
        generator: nn.Module,
        critic: nn.Module,
        device: torch.device,
        compile_options: Mapping[str, Any] | None,
    ) -> None:
        self._modules = (generator, critic)
        self._device = device
        self._options = None if compile_options is None else dict(compile_options)
        self._compiled: tuple[Any, Any] | None = None
        self.wrap(distributed=False)

    def wrap(self, distributed: bool) -> None:
        """Wrap for a distributed ``fit`` (DDP), or go back to the plain modules."""
        g, d = self._modules
        if distributed:
            g, d = wrap_ddp(g, self._device), wrap_ddp(d, self._device)
        self.critic_eager: nn.Module = d
        if self._options is None:
            self.generator, self.critic = g, d
        elif distributed:  # compile the DDP wrappers, as PyTorch recommends
            self.generator, self.critic = (torch.compile(m, **self._options) for m in (g, d))
        else:  # compiled once, reused by every fit
            if self._compiled is None:
                self._compiled = tuple(torch.compile(m, **self._options) for m in (g, d))
            self.generator, self.critic = self._compiled

    @contextlib.contextmanager
    def critic_frozen(self) -> Iterator[None]:
        """No weight gradients for the critic (and no DDP gradient sync) in the generator step."""
        critic = self._modules[1]
        flags = [p.requires_grad for p in critic.parameters()]
        critic.requires_grad_(False)
        try:
            no_sync = getattr(self.critic_eager, "no_sync", None)
            with no_sync() if no_sync is not None else contextlib.nullcontext():
                yield
        finally:
            for p, flag in zip(critic.parameters(), flags, strict=True):
                p.requires_grad_(flag)


def to_channels_last(x: torch.Tensor) -> torch.Tensor:
    """``x`` in channels_last (4-D) or channels_last_3d (5-D) layout; other ranks unchanged."""
    if x.dim() == 4:
        return x.contiguous(memory_format=torch.channels_last)
    if x.dim() == 5:
        return x.contiguous(memory_format=torch.channels_last_3d)
    return x


@torch.no_grad()
def to_channels_last_(module: nn.Module) -> nn.Module:
    """Put every 4-D and 5-D parameter and buffer of ``module`` in channels-last layout, in place.

    Unlike ``module.to(memory_format=torch.channels_last)`` this also handles Conv3d weights
    (MuseGAN's critic), which need ``channels_last_3d``.

    Returns:
        ``module``.
    """
    for tensor in [*module.parameters(), *module.buffers()]:
        if tensor.dim() in (4, 5):
            tensor.data = to_channels_last(tensor.data)
    return module
