"""Standing statistics: BatchNorm running statistics recomputed for the weights that sample.

An :class:`~audiogan.train.EMA` copy of a generator averages the weights but copies the
BatchNorm running statistics of the live generator, which were gathered with other weights;
in eval mode the copy then normalises with statistics that do not match its own activations.
Recomputing them from the copy's own outputs ("standing statistics", Brock et al. 2019, BigGAN)
removes the mismatch: on a folder of noisy speech it raised an independent judge's accuracy on
the fakes of the same checkpoint from 0.825 to 0.892 (docs/howto/real-recordings.rst).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

from audiogan.train.callbacks.base import Callback, Unit

if TYPE_CHECKING:
    from audiogan.train.trainer import Trainer

__all__ = ["StandingStats", "recompute_norm_stats"]


@torch.no_grad()
def recompute_norm_stats(
    generator: nn.Module,
    num_batches: int = 32,
    batch_size: int = 32,
    seed: int = 0,
) -> int:
    """Replace the BatchNorm running statistics of ``generator`` with those of its own outputs.

    Every BatchNorm layer's running mean and variance are reset and then averaged (equal
    weights) over ``num_batches`` forward passes in training mode, each on ``batch_size``
    latents from ``generator.sample_latent`` (or ``torch.randn(batch_size, generator.latent_dim)``)
    and, for a conditional generator (``num_classes > 0``), labels drawn uniformly. The other
    layers stay in eval mode; the weights, each layer's momentum and mode, and the global
    random state are left as they were (the draws use their own ``torch.Generator``).

    Args:
        generator: A generator ``forward(z (batch, latent_dim)[, labels (batch,)])`` with a
            ``latent_dim`` attribute.
        num_batches: Forward passes to average over.
        batch_size: Latents per pass (the training batch size matches training's statistics).
        seed: Seed of the latents and labels.

    Returns:
        The number of BatchNorm layers updated (0: none, the generator is unchanged).

    Raises:
        ValueError: For ``num_batches < 1``, ``batch_size < 2`` or a generator without
            ``latent_dim``.

    Example:
        >>> from audiogan.nn import ConvGenerator2d
        >>> g = ConvGenerator2d(8, (1, 16, 16), width=8, num_upsamples=2, num_classes=3)
        >>> recompute_norm_stats(g.eval(), num_batches=2, batch_size=4)  # two BatchNorm layers
        2
    """
    if num_batches < 1:
        raise ValueError(f"recompute_norm_stats: num_batches must be >= 1, got {num_batches}")
    if batch_size < 2:
        raise ValueError(
            f"recompute_norm_stats: batch_size must be >= 2 (BatchNorm needs a batch), got {batch_size}"
        )
    norms = [m for m in generator.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    norms = [m for m in norms if m.track_running_stats]
    if not norms:
        return 0
    latent_dim = getattr(generator, "latent_dim", None)
    if latent_dim is None:
        raise ValueError(
            f"recompute_norm_stats: {type(generator).__name__} has no latent_dim attribute"
        )
    num_classes = int(getattr(generator, "num_classes", 0) or 0)
    device = next(generator.parameters()).device
    rng = torch.Generator(device=device).manual_seed(seed)
    saved = [(m, m.momentum, m.training) for m in norms]
    was_training = generator.training
    generator.eval()
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # a cumulative average over the passes
        m.train()
    try:
        for _ in range(num_batches):
            if hasattr(generator, "sample_latent"):
                z = generator.sample_latent(batch_size, device=device, generator=rng)
            else:
                z = torch.randn(batch_size, latent_dim, device=device, generator=rng)
            if num_classes:
                labels = torch.randint(num_classes, (batch_size,), device=device, generator=rng)
                generator(z, labels)
            else:
                generator(z)
    finally:
        for m, momentum, training in saved:
            m.momentum = momentum
            m.train(training)
        generator.train(was_training)
        for m, _, training in saved:
            m.train(training)
    return len(norms)


class StandingStats(Callback):
    """Recompute the sampling generator's BatchNorm statistics before fakes and checkpoints use it.

    Put it before :class:`~audiogan.train.FakeWriter` and
    :class:`~audiogan.train.CheckpointCallback` in the callback list, with the same ``every``
    and ``unit``: each time they fire, :func:`recompute_norm_stats` runs on
    ``trainer.sampling_generator`` (the EMA copy where there is one) first, so the fakes and the
    checkpoint's EMA weights carry statistics of those weights. The next EMA update copies the
    live generator's statistics again; training itself never reads the copy.

    Args:
        num_batches: Forward passes to average over.
        batch_size: Latents per pass.
        every: Fire every this many ``unit``.
        unit: ``"step"`` or ``"epoch"``.
        seed: Seed of the latents (the same draws each time).
    """

    main_process_only = False  # cheap, and every rank then holds the same copy

    def __init__(
        self,
        num_batches: int = 32,
        batch_size: int = 32,
        every: int = 1,
        unit: Unit = "epoch",
        seed: int = 0,
    ) -> None:
        super().__init__(every=every, unit=unit)
        if num_batches < 1 or batch_size < 2:
            raise ValueError(
                f"StandingStats: num_batches must be >= 1 and batch_size >= 2, got {num_batches} "
                f"and {batch_size}"
            )
        self.num_batches, self.batch_size, self.seed = int(num_batches), int(batch_size), seed

    def run(self, trainer: Trainer) -> None:
        recompute_norm_stats(
            trainer.sampling_generator, self.num_batches, self.batch_size, seed=self.seed
        )
