"""A pipeline of augmentation transforms, applied to real and fake alike before the critic.

Differentiable augmentation (DiffAugment, Zhao et al. 2020): the critic only ever sees augmented
inputs, real and generated, and the generator's gradient flows back through the augmentation,
so a critic trained on few clips cannot simply memorise them. Pass a pipeline to the Trainer
(``Trainer(..., augment=Augment([...]))``); it augments real and fake before every critic
call, in the gradient penalty too.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from audiogan.augment.transform import Draw, Transform, apply_one_draw

__all__ = ["Augment"]


class Augment(nn.Module):
    """Apply transforms in order, each with its own probability, drawn per sample.

    Args:
        transforms: :class:`~audiogan.augment.transform.Transform` objects, in the order they
            apply.

    Example:
        The log-mel augmentation of the spectrogram recipes, on ``(batch, channels, freq,
        frames)`` in [-1, 1] (silence is -1):

        >>> from audiogan.augment import FrequencyMask, SpectrogramGain, TimeMask, TimeShift
        >>> augment = Augment([
        ...     TimeShift(0.125, mode="zeros", fill=-1.0),
        ...     TimeMask(0.125, fill=-1.0),
        ...     FrequencyMask(0.125, fill=-1.0),
        ...     SpectrogramGain(0.1),
        ... ])
        >>> real = torch.rand(8, 1, 64, 64) * 2 - 1
        >>> augment(real).shape
        torch.Size([8, 1, 64, 64])

        One draw for a real and its paired input (here two views of the same batch):

        >>> a, b = augment(real, real.clone())
        >>> torch.equal(a, b)
        True
    """

    def __init__(self, transforms: Sequence[Transform]) -> None:
        super().__init__()
        transforms = list(transforms)
        for t in transforms:
            if not isinstance(t, Transform):
                raise ValueError(
                    f"Augment: expected audiogan.augment Transform objects, got {type(t).__name__}"
                )
        self.transforms = nn.ModuleList(transforms)

    def draw(
        self,
        batch: int,
        device: torch.device | str = "cpu",
        generator: torch.Generator | None = None,
        p: float | torch.Tensor | None = None,
    ) -> list[Draw]:
        """One draw per transform (see :meth:`Transform.draw`); ``p`` overrides every one's."""
        return [t.draw(batch, device, generator, p) for t in self.transforms]

    def apply(self, x: torch.Tensor, draws: Sequence[Draw]) -> torch.Tensor:
        """Apply :meth:`draw`'s draws to ``x`` ``(batch, ...)``, transform after transform."""
        if len(draws) != len(self.transforms):
            raise ValueError(
                f"Augment: expected {len(self.transforms)} draws (one per transform), "
                f"got {len(draws)}"
            )
        for transform, draw in zip(self.transforms, draws, strict=True):
            x = transform.apply(x, draw)
        return x

    def forward(
        self, *tensors: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor | tuple[torch.Tensor, ...]:
        """Draw once for the batch and apply that draw to each tensor.

        Args:
            tensors: One or more tensors ``(batch, ...)`` of one batch size, e.g. a real batch
                and its paired input.
            generator: Draw from this generator, or None for the global RNG.

        Returns:
            The augmented tensor, or a tuple of them for several inputs.
        """
        return apply_one_draw(self, tensors, generator)
