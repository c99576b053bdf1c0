"""Random gain: a shift of a log-spectrogram, a factor on a waveform (DiffAugment's brightness)."""

from __future__ import annotations

from typing import ClassVar

import torch

from audiogan.augment.functional import uniform
from audiogan.augment.transform import Draw, Transform, check_positive

__all__ = ["SpectrogramGain", "WaveformGain"]


class SpectrogramGain(Transform):
    """Add a random offset in ``[-max_shift, max_shift]`` to each log-spectrogram.

    In a log (dB) domain a gain is an addition. On :class:`~audiogan.frontends.LogMel`'s scale,
    which maps ``[db_floor, db_ceil]`` (100 dB by default) onto [-1, 1], a shift ``s`` is a gain of
    ``s · (db_ceil - db_floor) / 2`` dB: the default 0.1 is ±5 dB. Values are not clipped
    (clipping would stop the gradient at the ends).

    Args:
        max_shift: The largest offset, in the spectrogram's units.
        p: Probability that a sample's gain changes.

    Example:
        >>> gain = SpectrogramGain(max_shift=0.1, p=1.0)
        >>> x = torch.zeros(4, 1, 16, 32)  # (batch, channels, freq, frames)
        >>> offsets = gain(x).flatten(1)
        >>> bool((offsets == offsets[:, :1]).all() and offsets.abs().max() <= 0.1)
        True
    """

    layouts: ClassVar[dict[int, str]] = {4: "(batch, channels, freq, frames)"}

    def __init__(self, max_shift: float = 0.1, p: float = 0.5) -> None:
        super().__init__(p)
        self.max_shift = check_positive(max_shift, "max_shift", "SpectrogramGain")

    def _draw(self, active: torch.Tensor, generator: torch.Generator | None) -> Draw:
        u = uniform(active.shape, active.device, generator)
        return {"offset": (2 * u - 1) * self.max_shift * active}

    def _augment(self, x: torch.Tensor, draw: Draw) -> torch.Tensor:
        return x + draw["offset"].to(device=x.device, dtype=x.dtype).view(-1, 1, 1, 1)

    def extra_repr(self) -> str:
        return f"max_shift={self.max_shift}, p={self.p}"


class WaveformGain(Transform):
    """Multiply each waveform by a random gain of ``[-max_db, max_db]`` dB (drawn uniform in dB).

    Args:
        max_db: The largest gain in decibels (the factor is ``10 ** (dB / 20)``).
        p: Probability that a sample's gain changes.

    Example:
        >>> wave = torch.ones(4, 1, 100)  # (batch, channels, num_samples)
        >>> factor = WaveformGain(max_db=6.0, p=1.0)(wave)[:, 0, 0]
        >>> bool(((factor >= 10 ** (-6 / 20)) & (factor <= 10 ** (6 / 20))).all())
        True
    """

    layouts: ClassVar[dict[int, str]] = {3: "(batch, channels, num_samples)"}

    def __init__(self, max_db: float = 6.0, p: float = 0.5) -> None:
        super().__init__(p)
        self.max_db = check_positive(max_db, "max_db", "WaveformGain")

    def _draw(self, active: torch.Tensor, generator: torch.Generator | None) -> Draw:
        u = uniform(active.shape, active.device, generator)
        return {"db": (2 * u - 1) * self.max_db * active}

    def _augment(self, x: torch.Tensor, draw: Draw) -> torch.Tensor:
        factor = torch.pow(10.0, draw["db"].to(x.device) / 20.0)  # 1 where not active
        return x * factor.to(x.dtype).view(-1, 1, 1)

    def extra_repr(self) -> str:
        return f"max_db={self.max_db}, p={self.p}"
