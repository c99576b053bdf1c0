"""The 2D spectrogram critic with an auxiliary classifier head (AC-GAN, Odena et al. 2017).

:class:`ConvCritic2d` whose pooled last features also predict the class: the ``classify``
method the AC-GAN terms :class:`~audiogan.losses.AuxiliaryClassifierCriticLoss` and
:class:`~audiogan.losses.AuxiliaryClassifierGeneratorLoss` call. The head must not see the
label, so the critic reads it by projection (or not at all), never as a stacked plane.
A forward pass keeps the head's logits (:class:`~audiogan.nn.ClassifierCache`), so classifying
the batch the Trainer just scored costs nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from einops import rearrange

from audiogan._shapes import check_shape
from audiogan.nn.auxiliary_classifier import AuxiliaryClassifier, ClassifierCache
from audiogan.nn.checks import check_positive
from audiogan.nn.conditioning import check_labels
from audiogan.nn.critic2d import ConvCritic2d
from audiogan.registry import register

__all__ = ["AuxiliaryConvCritic2d"]


@register
class AuxiliaryConvCritic2d(ConvCritic2d):
    """:class:`ConvCritic2d` plus a linear head on its spatially averaged last features.

    Args:
        in_shape: ``(channels, freq, frames)``, as for :class:`ConvCritic2d`.
        num_aux_classes: Classes the head predicts (>= 1).
        **kwargs: :class:`ConvCritic2d`'s keyword arguments; ``conditioning`` must be
            ``"projection"`` (or ``num_classes=0``), so that the head cannot read the label.

    Raises:
        ValueError: For ``num_aux_classes < 1`` or a critic that stacks label planes.

    Shapes:
        ``forward(x (batch, *in_shape), labels (batch,) | None) -> (batch,)``;
        ``classify(x (batch, *in_shape)) -> (batch, num_aux_classes)``.
    """

    def __init__(self, in_shape: Sequence[int], *, num_aux_classes: int, **kwargs: Any) -> None:
        super().__init__(in_shape, **kwargs)
        check_positive("AuxiliaryConvCritic2d", num_aux_classes=num_aux_classes)
        if self.label_maps is not None:
            raise ValueError(
                "AuxiliaryConvCritic2d: the head must not see the label; use "
                f"conditioning='projection' (got {self.config['conditioning']!r})"
            )
        self.head = AuxiliaryClassifier(self.config["channels"][-1], num_aux_classes)
        self.config["num_aux_classes"] = num_aux_classes
        self._cache = ClassifierCache(self.score.weight)

    def _pooled(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The last features ``(batch, C, F', T')`` and their spatial mean ``(batch, C)``."""
        check_shape(
            x,
            (None, *self.in_shape),
            "AuxiliaryConvCritic2d input",
            "(batch, channels, freq, frames)",
        )
        h = self.features(x)
        return h, h.mean(dim=(2, 3))

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Score ``x (batch, channels, freq, frames)``: raw scores ``(batch,)``."""
        labels = check_labels(labels, self.num_classes, x.shape[0], "AuxiliaryConvCritic2d")
        h, pooled = self._pooled(x)
        self._cache.put(x, self.head(pooled))
        score = self.score(rearrange(h, "b c f t -> b (c f t)")).squeeze(1)
        if self.projection is not None:
            score = score + self.projection(pooled, labels)
        return score

    def classify(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits ``(batch, num_aux_classes)`` of ``x (batch, channels, freq, frames)``."""
        return self._cache.get(x, lambda t: self.head(self._pooled(t)[1]))
