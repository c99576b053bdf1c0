"""AC-GAN loss terms (Odena et al. 2017) and ProGAN's drift penalty, as Trainer parts.

A critic with an auxiliary classifier (a ``classify(x) -> (batch, num_classes)`` method, such
as :class:`~audiogan.nn.GANSynthCritic`) learns to predict the label of real and generated
data, and the generator learns to make data whose label it predicts:

- :class:`AuxiliaryClassifierCriticLoss`: ``weight * (CE(classify(real), y) + CE(classify(fake),
  y))`` (TF-GAN's ``acgan_discriminator_loss``), a critic-side term with the penalty protocol, so
  it plugs in as the Trainer's ``penalty`` (beside a gradient penalty:
  ``Penalties(AuxiliaryClassifierCriticLoss(10), GradientPenalty(10))``);
- :class:`AuxiliaryClassifierGeneratorLoss`: ``CE(classify(fake), y)``, a generator-side term
  for ``Trainer(generator_losses={"classifier": (10.0, AuxiliaryClassifierGeneratorLoss(critic))})``;
- :class:`DriftPenalty`: ``weight * mean(critic(real) ** 2)``, ProGAN's term that keeps WGAN
  scores near 0 (GANSynth: ``real_score_penalty_weight`` 0.001).

GANSynth weights both AC terms by 10. ``target`` maps the Trainer's labels to the classes the
head predicts, e.g. the pitch of a label that also carries an instrument family
(:class:`~audiogan.nn.LabelFactor`); ``head`` picks the head of a critic with several
(``classify(x, head)``, :class:`~audiogan.nn.GANSynthCritic`'s ``head_classes``): one term per
factor, a pitch head and a family head, each with its own ``target``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from audiogan.losses.weighted_penalty import WeightedPenalty

__all__ = [
    "AuxiliaryClassifierCriticLoss",
    "AuxiliaryClassifierGeneratorLoss",
    "DriftPenalty",
    "classifier_logits",
]


def classifier_logits(critic: nn.Module, x: torch.Tensor, name: str, head: int = 0) -> torch.Tensor:
    """``critic.classify(x)`` (unwrapping DDP), or ``critic.classify(x, head)`` for a head
    other than 0, checked to be ``(batch, n)``.

    Give the eager critic, not a ``torch.compile`` wrapper (the Trainer's penalties get its eager
    critic).

    Raises:
        ValueError: If the critic has no ``classify`` or it returns another shape.
    """
    module = getattr(critic, "module", critic)
    classify = getattr(module, "classify", None)
    if not callable(classify):
        raise ValueError(
            f"{name}: the critic {type(module).__name__} has no classify(x) -> (batch, "
            "num_classes) method (an auxiliary classifier head, e.g. GANSynthCritic)"
        )
    logits = classify(x) if head == 0 else classify(x, head)
    if not isinstance(logits, torch.Tensor) or logits.dim() != 2 or logits.shape[0] != x.shape[0]:
        got = tuple(logits.shape) if isinstance(logits, torch.Tensor) else type(logits).__name__
        raise ValueError(
            f"{name}: classify must return (batch, num_classes) = ({x.shape[0]}, n), got {got}"
        )
    return logits


def _targets(
    labels: torch.Tensor | None, target: Callable[[torch.Tensor], torch.Tensor] | None, name: str
) -> torch.Tensor:
    if labels is None:
        raise ValueError(f"{name}: needs labels (batch,); the data has none")
    return (labels if target is None else target(labels)).long()


class AuxiliaryClassifierCriticLoss(WeightedPenalty):
    """The critic's AC-GAN term: cross-entropy of its class predictions on real and fake data.

    Meets the Trainer's penalty protocol (``interval`` 1, already weighted), so it goes in as
    ``penalty=`` or inside :class:`~audiogan.losses.Penalties`.

    Args:
        weight: Weight of the term (GANSynth: 10).
        on_fake: Also classify the fakes (with the labels they were made for), as AC-GAN and
            TF-GAN do; False trains the head on real data only.
        target: Maps labels ``(batch,)`` to the head's classes (default: the labels).
        head: Which head of the critic (``classify(x, head)``; 0: ``classify(x)``).

    Attributes:
        last_accuracy: The head's accuracy on the last real batch (a detached ``()`` tensor).
    """

    def __init__(
        self,
        weight: float = 10.0,
        on_fake: bool = True,
        target: Callable[[torch.Tensor], torch.Tensor] | None = None,
        head: int = 0,
    ) -> None:
        super().__init__(weight)
        self.on_fake, self.target, self.head = bool(on_fake), target, int(head)
        self.last_accuracy: torch.Tensor | None = None

    def term(
        self, critic: nn.Module, real: torch.Tensor, fake: torch.Tensor, labels: torch.Tensor | None
    ) -> torch.Tensor:
        """The unweighted ``()`` loss on ``real`` and ``fake`` ``(batch, *feature_shape)``."""
        name = "AuxiliaryClassifierCriticLoss"
        y = _targets(labels, self.target, name)
        logits = classifier_logits(critic, real, name, self.head)
        loss = F.cross_entropy(logits.float(), y)
        self.last_accuracy = (logits.argmax(dim=1) == y).float().mean().detach()
        if self.on_fake:
            fake_logits = classifier_logits(critic, fake, name, self.head)
            loss = loss + F.cross_entropy(fake_logits.float(), y)
        return loss


class AuxiliaryClassifierGeneratorLoss:
    """The generator's AC-GAN term: cross-entropy of the critic's predictions on its fakes.

    A generator-side loss for ``Trainer(generator_losses={name: (weight, this)})``; it holds
    the critic (whose ``classify`` it calls on the step's fakes).

    Args:
        critic: The critic with the auxiliary head.
        target: Maps labels ``(batch,)`` to the head's classes (default: the labels).
        head: Which head of the critic (``classify(x, head)``; 0: ``classify(x)``).
    """

    def __init__(
        self,
        critic: nn.Module,
        target: Callable[[torch.Tensor], torch.Tensor] | None = None,
        head: int = 0,
    ) -> None:
        self.critic, self.target, self.head = critic, target, int(head)

    def __call__(self, step: Any) -> torch.Tensor:
        """The unweighted ``()`` loss of a :class:`~audiogan.train.GeneratorStep`'s fakes and
        labels."""
        name = "AuxiliaryClassifierGeneratorLoss"
        y = _targets(step.labels, self.target, name)
        logits = classifier_logits(self.critic, step.fake, name, self.head)
        return F.cross_entropy(logits.float(), y)


class DriftPenalty(WeightedPenalty):
    """ProGAN's drift penalty ``weight * mean(critic(real) ** 2)`` (keeps WGAN scores near 0).

    Meets the penalty protocol. When the critic has just scored ``real`` (the Trainer's critic
    step), its score is recomputed here: the penalty sees only the critic and the batch.

    Args:
        weight: GANSynth and ProGAN: 0.001.
    """

    def __init__(self, weight: float = 0.001) -> None:
        super().__init__(weight)

    def term(
        self, critic: nn.Module, real: torch.Tensor, fake: torch.Tensor, labels: torch.Tensor | None
    ) -> torch.Tensor:
        """The unweighted ``()`` penalty ``mean(critic(real) ** 2)``."""
        scores = critic(real) if labels is None else critic(real, labels)
        return scores.float().square().mean()
