"""Generator-side losses beside the adversarial one: reconstruction, feature matching, anything.

Paired GANs (vocoders) add weighted terms to the generator's adversarial loss: a mel or
multi-resolution STFT reconstruction loss, and feature matching between the critic's feature maps
on real and generated data (HiFi-GAN: ``adversarial + 2 * feature_matching + 45 * mel``). The
Trainer takes them as ``generator_losses={name: (weight, fn)}`` and calls each ``fn`` with a
:class:`GeneratorStep`, which holds what one generator step produced::

    Trainer(G, D, LeastSquares(), generator_input=mel_of, generator_losses={
        "mel": (45.0, lambda s: mel_loss(s.fake, s.real)),
        "feature_matching": (2.0, lambda s: fm_loss(s.real_output.features, s.fake_output.features)),
    })

Each term's unweighted value is logged under its name in ``Trainer.metrics``.

Before the critic's start (``Trainer(critic_start=N)``, a reconstruction-only warm-up) the critic
does not run: a term that reads ``step.fake_output`` or ``step.real_output`` raises
:class:`CriticNotRunError` there, and the Trainer leaves that term out of the step.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import torch

from audiogan.protocols import CriticOutput

__all__ = [
    "CriticNotRunError",
    "GeneratorLossFn",
    "GeneratorStep",
    "check_generator_losses",
    "generator_terms",
    "generator_total",
]


class CriticNotRunError(LookupError):
    """A generator-side term read the critic's output in a step where the critic does not run
    (the warm-up before ``Trainer(critic_start=N)``): the Trainer leaves the term out."""


@dataclass
class GeneratorStep:
    """What a generator-side loss sees in one generator step.

    Attributes:
        fake: The generator's output ``(batch, *feature_shape)``, with gradients to the generator.
        real: The real batch ``(batch, *feature_shape)``.
        labels: Class labels ``(batch,)`` or None.
        inputs: The generator's input for a paired GAN, or None.
        critic_on_fake: Returns the critic's output on ``fake``; None in a warm-up step.
        critic_on_real: Returns the critic's output on ``real``; None in a warm-up step.
    """

    fake: torch.Tensor
    real: torch.Tensor
    labels: torch.Tensor | None
    inputs: torch.Tensor | None
    critic_on_fake: Callable[[], CriticOutput] | None = field(repr=False)
    critic_on_real: Callable[[], CriticOutput] | None = field(repr=False)

    @functools.cached_property
    def fake_output(self) -> CriticOutput:
        """The critic's :class:`~audiogan.protocols.CriticOutput` on ``fake``.

        Raises:
            CriticNotRunError: In a warm-up step, where the critic does not run.
        """
        if self.critic_on_fake is None:
            raise CriticNotRunError("the critic does not run before critic_start")
        return self.critic_on_fake()

    @functools.cached_property
    def real_output(self) -> CriticOutput:
        """The critic's output on ``real``, computed on first use, without gradients.

        Raises:
            CriticNotRunError: In a warm-up step, where the critic does not run.
        """
        if self.critic_on_real is None:
            raise CriticNotRunError("the critic does not run before critic_start")
        with torch.no_grad():
            return self.critic_on_real()


#: A generator-side loss: ``fn(step) -> ()``.
GeneratorLossFn = Callable[[GeneratorStep], torch.Tensor]

_RESERVED = {
    "step",
    "epoch",
    "critic_loss",
    "generator_loss",
    "real_score",
    "fake_score",
    "penalty",
    "grad_norm",
    "skipped_steps",
    "generator_lr",
    "critic_lr",
}


def check_generator_losses(
    losses: Mapping[str, tuple[float, GeneratorLossFn]] | None,
) -> dict[str, tuple[float, GeneratorLossFn]]:
    """Validate ``{name: (weight, fn)}``: names free for metrics, finite weights >= 0, callables.

    Raises:
        ValueError: Naming the offending entry.
    """
    checked: dict[str, tuple[float, GeneratorLossFn]] = {}
    for name, entry in (losses or {}).items():
        if not isinstance(name, str) or not name.isidentifier() or name in _RESERVED:
            raise ValueError(
                f"Trainer: generator_losses names must be identifiers other than "
                f"{sorted(_RESERVED)}, got {name!r}"
            )
        if not (isinstance(entry, tuple) and len(entry) == 2):
            raise ValueError(
                f"Trainer: generator_losses[{name!r}] must be a pair (weight, fn), got {entry!r}"
            )
        weight, fn = entry
        if isinstance(weight, bool) or not isinstance(weight, (int, float)):
            raise ValueError(f"Trainer: generator_losses[{name!r}] weight must be a number")
        if not (math.isfinite(weight) and weight >= 0):
            raise ValueError(
                f"Trainer: generator_losses[{name!r}] weight must be finite and >= 0, got {weight}"
            )
        if not callable(fn):
            raise ValueError(
                f"Trainer: generator_losses[{name!r}] must hold a callable fn(step) -> loss"
            )
        checked[name] = (float(weight), fn)
    return checked


def generator_terms(
    losses: Mapping[str, tuple[float, GeneratorLossFn]], step: GeneratorStep
) -> dict[str, torch.Tensor]:
    """Each term's unweighted ``()`` value on ``step``, by name.

    In a warm-up step (the critic does not run) the terms that read the critic raise
    :class:`CriticNotRunError` and sit out: they are missing from the result.
    """
    terms = {}
    for name, (_, fn) in losses.items():
        try:
            terms[name] = fn(step)
        except CriticNotRunError:
            continue
    return terms


def generator_total(
    adversarial: torch.Tensor | None,
    losses: Mapping[str, tuple[float, GeneratorLossFn]],
    terms: Mapping[str, torch.Tensor],
    critic_start: int,
) -> torch.Tensor:
    """The generator's loss: ``adversarial + sum of weight * term`` over the terms computed.

    Args:
        adversarial: The objective's generator loss, or None in a warm-up step.
        losses: The Trainer's ``generator_losses``, for the weights.
        terms: What :func:`generator_terms` returned.
        critic_start: The Trainer's, for the message.

    Raises:
        ValueError: In a warm-up step where every term reads the critic (nothing to train on).
    """
    parts = [] if adversarial is None else [adversarial]
    parts += [weight * terms[name] for name, (weight, _) in losses.items() if name in terms]
    if not parts:
        raise ValueError(
            f"Trainer: critic_start={critic_start}, but every generator_losses "
            "term reads the critic: nothing trains the generator before the critic starts"
        )
    return sum(parts[1:], parts[0])
