"""A random time shift of spectrograms, waveforms and piano rolls (DiffAugment's translation)."""

from __future__ import annotations

from typing import ClassVar, Literal

import torch

from audiogan.augment.functional import shift_along, uniform
from audiogan.augment.transform import Draw, Transform, check_positive

__all__ = ["TimeShift"]


class TimeShift(Transform):
    """Shift each sample in time by a random fraction of its length, in ``[-max_shift, max_shift]``.

    The time axis is the last one of a spectrogram ``(batch, channels, freq, frames)`` or a
    waveform ``(batch, channels, num_samples)``, and ``bars × steps`` of a piano roll
    ``(batch, tracks, bars, steps, pitches)`` (a shift may cross bar lines). The shift is drawn
    as a fraction, so one draw moves a waveform and its log-mel by the same time.

    Args:
        max_shift: The largest shift, a fraction of the length (DiffAugment: 1/8).
        mode: ``"circular"`` (what leaves one end comes back at the other) or ``"zeros"`` (the
            emptied positions hold ``fill``; what moves past the end is dropped).
        fill: The value of the emptied positions with ``"zeros"``: silence, i.e. -1 for a
            [-1, 1] log-spectrogram or a piano roll, 0 for a waveform.
        p: Probability that a sample is shifted.

    Example:
        >>> shift = TimeShift(max_shift=0.25, mode="zeros", fill=-1.0, p=1.0)
        >>> shift(torch.rand(8, 1, 64, 32)).shape  # (batch, channels, freq, frames)
        torch.Size([8, 1, 64, 32])
    """

    layouts: ClassVar[dict[int, str]] = {
        3: "(batch, channels, num_samples)",
        4: "(batch, channels, freq, frames)",
        5: "(batch, tracks, bars, steps, pitches)",
    }

    def __init__(
        self,
        max_shift: float = 0.125,
        mode: Literal["circular", "zeros"] = "circular",
        fill: float = 0.0,
        p: float = 0.5,
    ) -> None:
        super().__init__(p)
        self.max_shift = check_positive(max_shift, "max_shift", "TimeShift")
        if self.max_shift > 1:
            raise ValueError(f"TimeShift: max_shift must be a fraction <= 1, got {max_shift}")
        if mode not in ("circular", "zeros"):
            raise ValueError(f"TimeShift: mode must be 'circular' or 'zeros', got {mode!r}")
        self.mode, self.fill = mode, float(fill)

    def _draw(self, active: torch.Tensor, generator: torch.Generator | None) -> Draw:
        u = uniform(active.shape, active.device, generator)
        return {"fraction": (2 * u - 1) * self.max_shift * active}

    def _augment(self, x: torch.Tensor, draw: Draw) -> torch.Tensor:
        roll = x.ndim == 5
        if roll:  # (batch, tracks, bars, steps, pitches) -> (batch, tracks, bars * steps, pitches)
            bars = x.shape[2]
            x = x.flatten(2, 3)
        dim = 2 if roll else -1
        shifts = torch.round(draw["fraction"].to(x.device) * x.shape[dim])
        out = shift_along(x, shifts, dim, circular=self.mode == "circular", fill=self.fill)
        return out.unflatten(2, (bars, -1)) if roll else out

    def extra_repr(self) -> str:
        return f"max_shift={self.max_shift}, mode={self.mode!r}, fill={self.fill}, p={self.p}"
