"""The base of the penalty modules: a weight, a lazy interval, and the Penalty call.

A penalty the Trainer calls (:class:`~audiogan.protocols.Penalty`) returns its value already
weighted and multiplied by its ``interval`` (lazy regularization: applied every ``interval``
critic steps, so scaled up to keep its average). :class:`WeightedPenalty` holds that plumbing,
checked once, and a subclass writes only its unweighted term; :class:`~audiogan.losses.
LeCamPenalty`, :class:`~audiogan.losses.DriftPenalty` and
:class:`~audiogan.losses.AuxiliaryClassifierCriticLoss` are three.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

__all__ = ["WeightedPenalty", "check_interval", "check_weight"]


def check_interval(owner: str, interval: int) -> None:
    """Raise a ValueError unless ``interval`` is an integer >= 1 (``True`` and ``2.0`` fail)."""
    if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
        raise ValueError(f"{owner}: interval must be an integer >= 1, got {interval!r}")


def check_weight(owner: str, name: str, value: float) -> None:
    """Raise a ValueError unless ``value`` is a finite number >= 0."""
    if not (math.isfinite(value) and value >= 0.0):
        raise ValueError(f"{owner}: {name} must be a finite number >= 0, got {value!r}")


class WeightedPenalty(nn.Module):
    """A critic penalty ``interval · weight · term(critic, real, fake, labels)``.

    Subclasses implement :meth:`term`, the unweighted ``()`` penalty; calling the module (what
    the Trainer does on critic steps where ``critic_updates % interval == 0``) weights it.

    Args:
        weight: The term's weight (a finite number >= 0).
        interval: Apply every ``interval`` critic steps; the value is multiplied by it.

    A subclass whose term takes no gradient through the critic's input (LeCam) sets the class
    attribute ``input_gradients = False``, which the Trainer reads.
    """

    def __init__(self, weight: float, interval: int = 1) -> None:
        super().__init__()
        check_weight(type(self).__name__, "weight", weight)
        check_interval(type(self).__name__, interval)
        self.weight, self.interval = float(weight), interval

    def forward(
        self,
        critic: nn.Module,
        real: torch.Tensor,
        fake: torch.Tensor,
        labels: torch.Tensor | None = None,
        scaler: Any = None,
    ) -> torch.Tensor:
        """``interval · weight · term`` on ``real`` and ``fake`` ``(batch, *feature_shape)``.

        Args:
            critic: The eager critic, ``forward(x, labels=None)``.
            real: Real data ``(batch, *feature_shape)``.
            fake: Generated data, same shape.
            labels: Class labels ``(batch,)``, or None.
            scaler: Accepted for the Penalty signature (no input gradient is taken).

        Returns:
            A ``()`` tensor.
        """
        return (self.weight * self.interval) * self.term(critic, real, fake, labels)

    def term(
        self, critic: nn.Module, real: torch.Tensor, fake: torch.Tensor, labels: torch.Tensor | None
    ) -> torch.Tensor:
        """The unweighted ``()`` penalty; what a subclass writes."""
        raise NotImplementedError(f"{type(self).__name__} must implement term()")
