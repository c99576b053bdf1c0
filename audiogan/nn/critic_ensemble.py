"""Several critics as one: their sub-critic scores and feature maps, concatenated.

HiFi-GAN trains its generator against the multi-period and the multi-scale critics at
once; the :class:`~audiogan.train.Trainer` takes one critic, so ``CriticEnsemble(MPD, MSD)``
runs both and returns one :class:`~audiogan.protocols.CriticOutput` whose lists hold MPD's
sub-critics, then MSD's. The objective is then summed over all of them
(:mod:`audiogan.losses.ensemble`), as HiFi-GAN sums its two critics' losses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from audiogan._build import build_module, class_name
from audiogan.losses.ensemble import as_critic_output
from audiogan.protocols import CriticOutput
from audiogan.registry import register

__all__ = ["CriticEnsemble"]


@register
class CriticEnsemble(nn.Module):
    """Run several critics on the same input and concatenate their sub-critic lists.

    Each member returns scores ``(batch,)`` (one sub-critic) or a
    :class:`~audiogan.protocols.CriticOutput`; the ensemble's output lists the members'
    sub-critics in order. Members are rebuilt from ``config`` when they are audiogan blocks.

    Args:
        *members: The critics, as modules or as ``{"class": name, "config": dict}`` specs.
        critics: More members, after the positional ones (how ``config`` rebuilds the ensemble).

    Attributes:
        num_classes: The members' ``num_classes`` (they must agree; 0 when none has one).

    Shapes:
        ``forward(x (batch, ...), labels (batch,) | None) -> CriticOutput`` with
        ``sum(len(member's scores))`` score tensors ``(batch, ...)`` and as many feature lists.

    Example:
        >>> from audiogan.nn import MultiPeriodCritic, MultiScaleCritic
        >>> D = CriticEnsemble(
        ...     MultiPeriodCritic(channels=(4, 8)),
        ...     MultiScaleCritic(channels=(16,) * 7),
        ... )
        >>> len(D(torch.randn(2, 1, 1001)).scores)
        8
    """

    def __init__(
        self,
        *members: nn.Module | Mapping[str, Any],
        critics: Sequence[nn.Module | Mapping[str, Any]] = (),
    ) -> None:
        super().__init__()
        modules = [
            build_module(m["class"], m.get("config")) if isinstance(m, Mapping) else m
            for m in (*members, *critics)
        ]
        if not modules:
            raise ValueError("CriticEnsemble: give at least one critic")
        for i, m in enumerate(modules):
            if not isinstance(m, nn.Module):
                raise ValueError(
                    f"CriticEnsemble: member {i} must be an nn.Module or a "
                    f"{{'class', 'config'}} spec, got {type(m).__name__}"
                )
        classes = {int(getattr(m, "num_classes", 0)) for m in modules}
        if len(classes) > 1:
            raise ValueError(
                f"CriticEnsemble: the members disagree on num_classes: {sorted(classes)}"
            )
        self.num_classes = classes.pop()
        self.members = nn.ModuleList(modules)
        self.config = {
            "critics": [
                {"class": class_name(m), "config": getattr(m, "config", None)} for m in modules
            ]
        }

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> CriticOutput:
        """Every member's sub-critic scores and feature maps on ``x (batch, ...)``, in order."""
        scores: list[torch.Tensor] = []
        features: list[list[torch.Tensor]] = []
        for m in self.members:
            out = m(x) if labels is None else m(x, labels)
            out = as_critic_output(out, x.shape[0], type(m).__name__)
            scores.extend(out.scores)
            features.extend(out.features)
        return CriticOutput(scores, features)
