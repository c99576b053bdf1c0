"""The auxiliary-classifier head of an AC-GAN critic (Odena et al. 2017): pooled features ->
class logits, beside the real/fake score.

A critic with this head has a ``classify(x) -> (batch, num_classes)`` method; the AC-GAN loss
terms :class:`~audiogan.losses.AuxiliaryClassifierCriticLoss` and
:class:`~audiogan.losses.AuxiliaryClassifierGeneratorLoss` call it. GANSynth's critic predicts
the pitch this way (its ``discriminator_ac_loss_weight`` and ``generator_ac_loss_weight``: 10).

:class:`ClassifierCache` keeps the logits of the inputs a critic last scored, so ``classify``
on the very tensor the Trainer just scored costs nothing: the Trainer's critic step scores the
real and the fake batch, then calls its penalty with the same two tensors.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from audiogan._shapes import check_shape
from audiogan.nn.checks import check_positive
from audiogan.registry import register

__all__ = ["AuxiliaryClassifier", "ClassifierCache"]


@register
class AuxiliaryClassifier(nn.Module):
    """A linear head: pooled features ``(batch, features) -> logits (batch, num_classes)``.

    Args:
        features: Size of the critic's pooled features.
        num_classes: Number of classes it predicts.
    """

    def __init__(self, features: int, num_classes: int) -> None:
        super().__init__()
        check_positive("AuxiliaryClassifier", features=features, num_classes=num_classes)
        self.config = {"features": features, "num_classes": num_classes}
        self.features, self.num_classes = features, num_classes
        self.linear = nn.Linear(features, num_classes)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        """Logits ``(batch, num_classes)`` of pooled features ``h (batch, features)``."""
        check_shape(h, (None, self.features), "AuxiliaryClassifier features", "(batch, features)")
        return self.linear(h)


class ClassifierCache:
    """The logits of the last few inputs a critic scored, by tensor identity.

    An entry serves a later ``classify`` of the same tensor object only while nothing changed:
    the tensor's and the watched parameter's in-place version counters (an optimizer step or a
    ``load_state_dict`` bumps them) and whether autograd is recording. Otherwise the logits are
    recomputed, so the cache never changes a result, only skips work.

    Args:
        watched: A parameter of the critic (its version counter tells of updates).
        size: Entries kept (the Trainer's critic step needs 2: real and fake).
    """

    def __init__(self, watched: torch.Tensor, size: int = 4) -> None:
        self.watched, self.size = watched, size
        self.entries: list[tuple[torch.Tensor, tuple[int, int, bool], torch.Tensor]] = []

    def _key(self, x: torch.Tensor) -> tuple[int, int, bool]:
        return (x._version, self.watched._version, torch.is_grad_enabled())

    def put(self, x: torch.Tensor, logits: torch.Tensor) -> None:
        """Remember ``logits`` for ``x`` (dropping the oldest entry beyond ``size``)."""
        self.entries = [e for e in self.entries if e[0] is not x][-(self.size - 1) :]
        self.entries.append((x, self._key(x), logits))

    def get(self, x: torch.Tensor, compute: Callable[[torch.Tensor], torch.Tensor]) -> torch.Tensor:
        """The cached logits of ``x`` if still valid, else ``compute(x)``."""
        key = self._key(x)
        for tensor, saved, logits in reversed(self.entries):
            if tensor is x and saved == key:
                return logits
        return compute(x)

    def clear(self) -> None:
        """Forget every entry (and the tensors they hold)."""
        self.entries = []
