"""Random polarity inversion of waveforms."""

from __future__ import annotations

from typing import ClassVar

import torch

from audiogan.augment.transform import Draw, Transform

__all__ = ["Polarity"]


class Polarity(Transform):
    """Negate each waveform with probability ``p`` (a sign flip sounds the same).

    Args:
        p: Probability that a sample is negated.

    Example:
        >>> Polarity(p=1.0)(torch.ones(2, 1, 4))[:, 0, 0]  # (batch, channels, num_samples)
        tensor([-1., -1.])
    """

    layouts: ClassVar[dict[int, str]] = {3: "(batch, channels, num_samples)"}

    def _draw(self, active: torch.Tensor, generator: torch.Generator | None) -> Draw:
        return {"sign": 1.0 - 2.0 * active.float()}

    def _augment(self, x: torch.Tensor, draw: Draw) -> torch.Tensor:
        return x * draw["sign"].to(device=x.device, dtype=x.dtype).view(-1, 1, 1)
