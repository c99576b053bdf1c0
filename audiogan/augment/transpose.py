"""Random transposition of piano rolls."""

from __future__ import annotations

from typing import ClassVar

import torch

from audiogan.augment.functional import shift_along, uniform
from audiogan.augment.transform import Draw, Transform

__all__ = ["Transpose"]


class Transpose(Transform):
    """Move every track of a piano roll up or down by a random whole number of semitones.

    The interval is drawn uniformly from ``-max_semitones ... max_semitones``, one per sample
    (all tracks move together, so the harmony stays). Notes moved past the lowest or highest
    pitch are dropped; the emptied pitches hold ``fill``.

    Args:
        max_semitones: The widest transposition (an integer >= 1).
        fill: The value of a silent pitch: -1 for audiogan's {-1, 1} rolls, 0 for {0, 1} rolls.
        p: Probability that a sample is transposed.

    Example:
        >>> roll = -torch.ones(2, 4, 2, 16, 84)  # (batch, tracks, bars, steps, pitches)
        >>> roll[..., 40] = 1.0
        >>> moved = Transpose(max_semitones=5, p=1.0)(roll)
        >>> ((moved == 1).sum(-1) == 1).all().item()  # each step still holds one note
        True
    """

    layouts: ClassVar[dict[int, str]] = {5: "(batch, tracks, bars, steps, pitches)"}

    def __init__(self, max_semitones: int = 5, fill: float = -1.0, p: float = 0.5) -> None:
        super().__init__(p)
        if isinstance(max_semitones, bool) or not isinstance(max_semitones, int):
            raise ValueError(f"Transpose: max_semitones must be an integer, got {max_semitones!r}")
        if max_semitones < 1:
            raise ValueError(f"Transpose: max_semitones must be >= 1, got {max_semitones}")
        self.max_semitones, self.fill = max_semitones, float(fill)

    def _draw(self, active: torch.Tensor, generator: torch.Generator | None) -> Draw:
        u = uniform(active.shape, active.device, generator)
        span = 2 * self.max_semitones + 1
        semitones = torch.floor(u * span).clamp(max=span - 1) - self.max_semitones
        return {"semitones": semitones * active}

    def _augment(self, x: torch.Tensor, draw: Draw) -> torch.Tensor:
        return shift_along(x, draw["semitones"], -1, circular=False, fill=self.fill)

    def extra_repr(self) -> str:
        return f"max_semitones={self.max_semitones}, fill={self.fill}, p={self.p}"
