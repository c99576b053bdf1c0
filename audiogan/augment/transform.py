"""What every augmentation transform is: a per-sample random draw, then its application.

A transform's :meth:`~Transform.draw` decides, for each sample of a batch, whether it is
augmented (with probability ``p``) and with which parameters; :meth:`~Transform.apply` applies
such a draw to a tensor. Keeping the two apart lets one draw be applied to several tensors: a
real clip and its paired input (a vocoder's waveform and its log-mel), or several views of one
batch. Time parameters are drawn as fractions of the length, so one draw fits tensors of
different time resolutions. ``forward(*tensors)`` draws once and applies that draw to each.
"""

from __future__ import annotations

import math
from typing import ClassVar

import torch
from torch import nn

from audiogan.augment.functional import uniform

__all__ = ["Draw", "Transform", "check_probability"]

#: One draw of a transform: named per-sample parameters, each ``(batch,)``.
Draw = dict[str, torch.Tensor]


def check_probability(p: float, owner: str) -> float:
    """``p`` as a float in [0, 1].

    Raises:
        ValueError: Naming ``owner`` and what came.
    """
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
        raise ValueError(f"{owner}: p must be a probability in [0, 1], got {p!r}")
    return float(p)


def check_positive(value: float, name: str, owner: str) -> float:
    """``value`` as a finite float > 0.

    Raises:
        ValueError: Naming ``owner``, ``name`` and what came.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{owner}: {name} must be a number > 0, got {value!r}")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{owner}: {name} must be a finite number > 0, got {value!r}")
    return float(value)


class Transform(nn.Module):
    """Base class of the augmentation transforms (subclasses set :attr:`layouts`).

    Subclasses implement ``_draw(active, generator) -> Draw`` (the parameters of every sample,
    neutral where ``active`` is False) and ``_augment(x, draw) -> x``; the base class checks the
    input's layout and the draw's batch size.

    Args:
        p: Probability that a sample is augmented, drawn per sample.

    Attributes:
        layouts: The input ranks a transform takes, with their axis names, e.g.
            ``{4: "(batch, channels, freq, frames)"}``.
    """

    layouts: ClassVar[dict[int, str]] = {}

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        self.p = check_probability(p, type(self).__name__)

    def draw(
        self,
        batch: int,
        device: torch.device | str = "cpu",
        generator: torch.Generator | None = None,
        p: float | torch.Tensor | None = None,
    ) -> Draw:
        """Draw which samples are augmented and their parameters.

        Args:
            batch: The batch size.
            device: Where the draw's tensors go (the data's device).
            generator: Draw from this generator, or None for the global RNG of ``device``.
            p: Overrides :attr:`p` (a float or a ``()`` tensor, as adaptive augmentation passes).

        Returns:
            Named per-sample parameters, each ``(batch,)``; ``"active"`` says which samples
            are augmented.
        """
        if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
            raise ValueError(f"{type(self).__name__}.draw: batch must be >= 1, got {batch!r}")
        device = torch.device(device)
        probability = self.p if p is None else p
        active = uniform((batch,), device, generator) < probability  # (batch,) bool
        return {"active": active, **self._draw(active, generator)}

    def apply(self, x: torch.Tensor, draw: Draw) -> torch.Tensor:
        """Apply a draw of :meth:`draw` to ``x``, whose layout is one of :attr:`layouts`.

        Raises:
            ValueError: If ``x``'s rank is not one of :attr:`layouts`, or its batch size is not
                the draw's.
        """
        name = type(self).__name__
        if x.ndim not in self.layouts:
            expected = " or ".join(self.layouts.values())
            raise ValueError(f"{name}: expected {expected}, got shape {tuple(x.shape)}")
        if not x.is_floating_point():
            raise TypeError(f"{name}: expected a floating-point tensor, got dtype {x.dtype}")
        if x.shape[0] != draw["active"].shape[0]:
            raise ValueError(
                f"{name}: the draw is for a batch of {draw['active'].shape[0]}, "
                f"got shape {tuple(x.shape)}"
            )
        return self._augment(x, draw)

    def forward(
        self, *tensors: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor | tuple[torch.Tensor, ...]:
        """Draw once and apply that draw to each tensor (all with the same batch size).

        Returns:
            The augmented tensor, or a tuple of them for several inputs.
        """
        return apply_one_draw(self, tensors, generator)

    def _draw(self, active: torch.Tensor, generator: torch.Generator | None) -> Draw:
        raise NotImplementedError(f"{type(self).__name__} does not implement _draw")

    def _augment(self, x: torch.Tensor, draw: Draw) -> torch.Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement _augment")

    def extra_repr(self) -> str:
        return f"p={self.p}"


def apply_one_draw(
    transform: nn.Module,
    tensors: tuple[torch.Tensor, ...],
    generator: torch.Generator | None,
    p: float | torch.Tensor | None = None,
) -> torch.Tensor | tuple[torch.Tensor, ...]:
    """``transform.draw`` once for the batch, ``transform.apply`` of it to each tensor.

    Raises:
        ValueError: Without tensors, or for tensors of different batch sizes.
    """
    name = type(transform).__name__
    if not tensors:
        raise ValueError(f"{name}: expected at least one tensor (batch, ...)")
    batch = tensors[0].shape[0] if tensors[0].ndim else 0
    if any(t.ndim == 0 or t.shape[0] != batch for t in tensors):
        raise ValueError(
            f"{name}: one draw needs tensors of one batch size, got shapes "
            f"{[tuple(t.shape) for t in tensors]}"
        )
    draw = transform.draw(batch, tensors[0].device, generator, p)
    out = tuple(transform.apply(t, draw) for t in tensors)
    return out[0] if len(out) == 1 else out
