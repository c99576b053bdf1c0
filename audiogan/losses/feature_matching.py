"""Feature matching: L1 between a critic's feature maps on real and on generated data.

MelGAN (Kumar et al. 2019) and HiFi-GAN (Kong et al. 2020) add to the generator's loss

``FM = sum over sub-critics k and layers l of mean |real_features[k][l] - fake_features[k][l]|``

where ``real_features[k][l]`` is layer ``l``'s output of sub-critic ``k`` on the real batch
(detached: only the generator learns from this term) and the mean runs over every element of
that map. :class:`FeatureMatchingLoss` is this sum, MelGAN's definition. HiFi-GAN's
``feature_loss`` returns ``2 * FM`` and MelGAN weights it by 10: give the factor as the
Trainer's weight, ``generator_losses={"feature_matching": (2.0, feature_matching_term())}``, so
that the logged metric is the plain sum.

The feature maps come from a critic that returns a
:class:`~audiogan.protocols.CriticOutput`; the Trainer's
:class:`~audiogan.train.generator_losses.GeneratorStep` holds both outputs, and
:func:`feature_matching_term` turns the loss into the ``fn(step)`` the Trainer takes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import torch
from torch import nn

if TYPE_CHECKING:
    from audiogan.train.generator_losses import GeneratorStep

__all__ = ["FeatureMatchingLoss", "feature_matching_term"]

FeatureMaps = Sequence[Sequence[torch.Tensor]]


class FeatureMatchingLoss(nn.Module):
    """``sum_k sum_l mean |real[k][l] - fake[k][l]|`` with ``real`` detached (no factor 2).

    See :mod:`audiogan.losses.feature_matching`. Maps in half precision are compared in
    float32; the loss is a float32 (or float64) scalar ``()``.

    Example:
        >>> fm = FeatureMatchingLoss()
        >>> real = [[torch.full((2, 4, 8), 1.0), torch.full((2, 1, 8), 3.0)]]
        >>> fake = [[torch.zeros(2, 4, 8), torch.full((2, 1, 8), 2.5)]]
        >>> float(fm(real, fake))  # |1 - 0| + |3 - 2.5|
        1.5
    """

    def __init__(self) -> None:
        super().__init__()
        self.config: dict[str, object] = {}

    def forward(self, real_features: FeatureMaps, fake_features: FeatureMaps) -> torch.Tensor:
        """The feature matching loss.

        Args:
            real_features: One list per sub-critic of its feature maps on real data, each
                ``(batch, ...)`` (e.g. ``(batch, channels, frames)``).
            fake_features: The same structure and shapes on generated data.

        Returns:
            A scalar ``()``.

        Raises:
            ValueError: If the structures differ (naming the sub-critic), a pair of maps differ
                in shape (naming the sub-critic and the layer), or there is no map at all.
        """
        if not isinstance(real_features, (list, tuple)) or not isinstance(
            fake_features, (list, tuple)
        ):
            raise ValueError(
                "FeatureMatchingLoss: expected one list of feature maps per sub-critic for real "
                f"and fake, got {type(real_features).__name__} and {type(fake_features).__name__}"
            )
        if len(real_features) != len(fake_features):
            raise ValueError(
                f"FeatureMatchingLoss: expected as many sub-critics in fake as in real "
                f"({len(real_features)}), got {len(fake_features)}"
            )
        terms = []
        for k, (real_maps, fake_maps) in enumerate(zip(real_features, fake_features, strict=True)):
            if len(real_maps) != len(fake_maps):
                raise ValueError(
                    f"FeatureMatchingLoss: sub-critic {k}: expected as many feature maps in fake "
                    f"as in real ({len(real_maps)}), got {len(fake_maps)}"
                )
            for layer, (r, f) in enumerate(zip(real_maps, fake_maps, strict=True)):
                if r.shape != f.shape:
                    raise ValueError(
                        f"FeatureMatchingLoss: sub-critic {k}, layer {layer}: expected the fake "
                        f"map to have the real map's shape {tuple(r.shape)}, got {tuple(f.shape)}"
                    )
                dtype = torch.promote_types(torch.promote_types(r.dtype, f.dtype), torch.float32)
                terms.append((r.detach().to(dtype) - f.to(dtype)).abs().mean())
        if not terms:
            raise ValueError(
                "FeatureMatchingLoss: got no feature maps; the critic must return a "
                "CriticOutput whose features hold each sub-critic's intermediate maps"
            )
        return torch.stack(terms).sum()


def feature_matching_term(
    loss: FeatureMatchingLoss | None = None,
) -> Callable[[GeneratorStep], torch.Tensor]:
    """A Trainer generator-loss ``fn(step) = loss(step.real_output.features, step.fake_output.features)``.

    Args:
        loss: The loss (default: a new :class:`FeatureMatchingLoss`).

    Returns:
        The function for ``Trainer(generator_losses={"feature_matching": (2.0, fn)})``.
    """
    fm = FeatureMatchingLoss() if loss is None else loss

    def term(step: GeneratorStep) -> torch.Tensor:
        return fm(step.real_output.features, step.fake_output.features)

    return term
