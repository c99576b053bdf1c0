"""Objectives over critic ensembles: one loss summed over the sub-critics' scores.

A critic returns raw scores ``(batch,)``, or a :class:`~audiogan.protocols.CriticOutput` with one
score tensor ``(batch, ...)`` and one list of feature maps per sub-critic (HiFi-GAN's
multi-period and multi-scale critics). :func:`as_critic_output` brings both forms to a
``CriticOutput``; :func:`critic_loss_over` and :func:`generator_loss_over` apply an objective to
each sub-critic and sum, as HiFi-GAN's ``discriminator_loss`` / ``generator_loss`` do. Patch or
frame scores ``(batch, ...)`` are flattened to ``(batch * ...,)``, so the objective's batch mean
becomes the mean over samples and patches. With a single ``(batch,)`` score the result is exactly
``objective.critic_loss(real, fake)``.
"""

from __future__ import annotations

from typing import Any

import torch

from audiogan.protocols import CriticOutput, Objective

__all__ = ["as_critic_output", "critic_loss_over", "generator_loss_over"]


def as_critic_output(out: Any, batch: int, name: str = "critic") -> CriticOutput:
    """Bring a critic's return value to a :class:`~audiogan.protocols.CriticOutput`.

    Args:
        out: Scores ``(batch,)``, a ``CriticOutput``, or a tuple ``(scores list, features list)``.
        batch: The batch size of the critic's input.
        name: The critic, for messages.

    Returns:
        ``CriticOutput([scores], [[]])`` for a plain score tensor, else the ensemble's lists.

    Raises:
        ValueError: For anything else, or score tensors whose first axis is not ``batch``.
    """
    if isinstance(out, torch.Tensor):
        if out.shape != (batch,):
            raise ValueError(
                f"the critic {name} must return scores of shape (batch,) = ({batch},), got "
                f"{tuple(out.shape)} (an ensemble returns a CriticOutput(scores, features))"
            )
        return CriticOutput([out], [[]])
    if not (isinstance(out, tuple) and len(out) == 2):
        raise ValueError(
            f"the critic {name} must return scores (batch,) or a CriticOutput(scores, features), "
            f"got {type(out).__name__}"
        )
    scores, features = out
    if not isinstance(scores, (list, tuple)) or not scores:
        raise ValueError(
            f"the critic {name} returned no sub-critic scores: {type(scores).__name__}"
        )
    if not isinstance(features, (list, tuple)) or len(features) != len(scores):
        raise ValueError(
            f"the critic {name} returned {len(scores)} score tensors but feature maps for "
            f"{len(features) if isinstance(features, (list, tuple)) else type(features).__name__} "
            "sub-critics; give one list of feature maps per sub-critic"
        )
    for i, s in enumerate(scores):
        if not isinstance(s, torch.Tensor) or s.dim() < 1 or s.shape[0] != batch:
            got = tuple(s.shape) if isinstance(s, torch.Tensor) else type(s).__name__
            raise ValueError(
                f"the critic {name}'s sub-critic {i} must return scores (batch, ...) with "
                f"batch={batch}, got {got}"
            )
    return CriticOutput(list(scores), [list(f) for f in features])


def critic_loss_over(objective: Objective, real: CriticOutput, fake: CriticOutput) -> torch.Tensor:
    """``sum_k objective.critic_loss(real.scores[k], fake.scores[k])`` over the sub-critics.

    Args:
        objective: Has ``critic_loss(real_scores (n,), fake_scores (n,)) -> ()``.
        real: The critic's output on real data.
        fake: The critic's output on generated data.

    Returns:
        The summed loss ``()``.
    """
    losses = [
        objective.critic_loss(r.reshape(-1), f.reshape(-1))
        for r, f in zip(real.scores, fake.scores, strict=True)
    ]
    return losses[0] if len(losses) == 1 else torch.stack(losses).sum()


def generator_loss_over(objective: Objective, fake: CriticOutput) -> torch.Tensor:
    """``sum_k objective.generator_loss(fake.scores[k])`` over the sub-critics.

    Args:
        objective: Has ``generator_loss(fake_scores (n,)) -> ()``.
        fake: The critic's output on generated data.

    Returns:
        The summed loss ``()``.
    """
    losses = [objective.generator_loss(f.reshape(-1)) for f in fake.scores]
    return losses[0] if len(losses) == 1 else torch.stack(losses).sum()
