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
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import torch

from audiogan.protocols import CriticOutput

__all__ = ["GeneratorLossFn", "GeneratorStep", "check_generator_losses"]


@dataclass
class GeneratorStep:
    """What a generator-side loss sees in one generator step.

    Attributes:
        fake: The generator's output ``(batch, *feature_shape)``, with gradients to the generator.
        real: The real batch ``(batch, *feature_shape)``.
        labels: Class labels ``(batch,)`` or None.
        inputs: The generator's input for a paired GAN, or None.
        fake_output: The critic's :class:`~audiogan.protocols.CriticOutput` on ``fake``.
    """

    fake: torch.Tensor
    real: torch.Tensor
    labels: torch.Tensor | None
    inputs: torch.Tensor | None
    fake_output: CriticOutput
    critic_on_real: Callable[[], CriticOutput] = field(repr=False)

    @functools.cached_property
    def real_output(self) -> CriticOutput:
        """The critic's output on ``real``, computed on first use, without gradients."""
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
