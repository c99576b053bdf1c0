"""What the critic sees under the Trainer's ``augment=``: DiffAugment and adaptive augmentation.

Real and fake batches are augmented before every critic call, the penalty's included, with
differentiable transforms (DiffAugment, Zhao et al. 2020), so the generator learns through
them. A paired GAN's real and fake are aligned (a vocoder's output and its target), so they
share one random draw; a sampling GAN's get a draw each. An adaptive augmentation (ADA, Karras
et al. 2020) learns its probability from the critic's scores after each critic batch.
"""

from __future__ import annotations

import torch
from torch import nn

from audiogan.protocols import CriticOutput
from audiogan.train.batches import Batch
from audiogan.train.step_report import StepMetrics

__all__ = ["critic_views", "observe_scores"]


def critic_views(
    augment: nn.Module | None, batch: Batch, fake: torch.Tensor, real: bool = True
) -> tuple[torch.Tensor, torch.Tensor]:
    """Real and fake ``(batch, *feature_shape)`` as the critic sees them.

    Args:
        augment: The Trainer's ``augment`` (``augment(*tensors)`` applies one draw to each), or
            None: both come back as they are.
        batch: The batch; its ``real`` is augmented, and its ``inputs`` tell a paired GAN.
        fake: The generator's output for the batch.
        real: False leaves the real batch unaugmented (the generator phase reads it only for
            feature matching, and not always).

    Returns:
        ``(real, fake)``: a paired GAN's with one shared draw, else with a draw each.
    """
    if augment is None:
        return batch.real, fake
    if batch.inputs is not None:
        return augment(batch.real, fake)
    return (augment(batch.real) if real else batch.real), augment(fake)


def observe_scores(
    augment: nn.Module | None,
    real_out: CriticOutput,
    fake_out: CriticOutput,
    stats: StepMetrics,
) -> None:
    """Hand an adaptive augmentation the critic's scores and log its probability as ``augment_p``.

    An augmentation without an ``observe(real_scores, fake_scores)`` method (or a tensor ``p``)
    is left alone.
    """
    if callable(getattr(augment, "observe", None)):
        augment.observe(real_out.scores, fake_out.scores)
    p = getattr(augment, "p", None)
    if isinstance(p, torch.Tensor):
        stats.add("augment_p", p)
