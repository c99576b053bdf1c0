"""Random time and frequency masks of spectrograms (SpecAugment; DiffAugment's cutout)."""

from __future__ import annotations

from typing import ClassVar

import torch

from audiogan.augment.functional import band_mask, uniform
from audiogan.augment.transform import Draw, Transform, check_positive

__all__ = ["FrequencyMask", "TimeMask"]


class _BandMask(Transform):
    """A band of random width in ``[0, max_width]`` (a fraction of the axis) at a random place."""

    dim: ClassVar[int] = -1

    def __init__(self, max_width: float = 0.125, fill: float = 0.0, p: float = 0.5) -> None:
        super().__init__(p)
        name = type(self).__name__
        self.max_width = check_positive(max_width, "max_width", name)
        if self.max_width > 1:
            raise ValueError(f"{name}: max_width must be a fraction <= 1, got {max_width}")
        self.fill = float(fill)

    def _draw(self, active: torch.Tensor, generator: torch.Generator | None) -> Draw:
        u = uniform((2, *active.shape), active.device, generator)
        return {"width": u[0] * self.max_width * active, "start": u[1]}

    def _augment(self, x: torch.Tensor, draw: Draw) -> torch.Tensor:
        length = x.shape[self.dim]
        widths = torch.round(draw["width"].to(x.device) * length).long()  # (batch,) in [0, length]
        starts = torch.floor(draw["start"].to(x.device) * (length - widths + 1)).long()
        return band_mask(x, starts, widths, self.dim, fill=self.fill)

    def extra_repr(self) -> str:
        return f"max_width={self.max_width}, fill={self.fill}, p={self.p}"


class TimeMask(_BandMask):
    """Set a random run of frames (samples) of each sample to ``fill``.

    The width is drawn in ``[0, max_width]`` as a fraction of the length, and the place
    uniformly, so one draw masks the same time span of a waveform and its log-mel.

    Args:
        max_width: The widest mask, a fraction of the time axis.
        fill: The masked value: silence, i.e. -1 for a [-1, 1] log-spectrogram, 0 for a waveform.
        p: Probability that a sample is masked.

    Example:
        >>> mask = TimeMask(max_width=0.25, fill=-1.0, p=1.0)
        >>> mask(torch.zeros(4, 1, 16, 32)).min()  # (batch, channels, freq, frames)
        tensor(-1.)
    """

    layouts: ClassVar[dict[int, str]] = {
        3: "(batch, channels, num_samples)",
        4: "(batch, channels, freq, frames)",
    }
    dim: ClassVar[int] = -1


class FrequencyMask(_BandMask):
    """Set a random band of frequency bins of each spectrogram to ``fill``.

    Args:
        max_width: The widest band, a fraction of the frequency axis.
        fill: The masked value: -1 (silence) for a [-1, 1] log-spectrogram.
        p: Probability that a sample is masked.

    Example:
        >>> FrequencyMask(max_width=0.25, fill=-1.0)(torch.zeros(4, 1, 16, 32)).shape
        torch.Size([4, 1, 16, 32])
    """

    layouts: ClassVar[dict[int, str]] = {4: "(batch, channels, freq, frames)"}
    dim: ClassVar[int] = -2
