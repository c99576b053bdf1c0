"""The five kinds of parts, as protocols any user class can satisfy.

A user's own generator, critic, loss or frontend plugs into :class:`audiogan.train.Trainer`
as long as it has these methods; inheriting from anything in audiogan is never required.
Shapes use named axes: ``(batch, channels, freq, frames)`` for spectrograms,
``(batch, tracks, bars, steps, pitches)`` for piano rolls.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import torch


@runtime_checkable
class Frontend(Protocol):
    """Turns waveforms into features and back.

    ``encode(wave (..., time)) -> (..., *feature_shape)`` normalized to the generator's output
    range; ``decode(features (..., *feature_shape)) -> (..., time)``.
    """

    feature_shape: tuple[int, ...]

    def encode(self, wave: torch.Tensor) -> torch.Tensor: ...

    def decode(self, features: torch.Tensor) -> torch.Tensor: ...


@runtime_checkable
class Generator(Protocol):
    """``sample_latent(n)`` returns what ``forward`` takes; ``forward(z, labels=None) -> features``."""

    def sample_latent(
        self,
        n: int,
        device: torch.device | str | None = None,
        generator: torch.Generator | None = None,
    ) -> Any: ...

    def __call__(self, z: Any, labels: torch.Tensor | None = None) -> torch.Tensor: ...


@runtime_checkable
class Critic(Protocol):
    """``forward(x, labels=None) -> (batch,)`` raw scores (no sigmoid)."""

    def __call__(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor: ...


@runtime_checkable
class Objective(Protocol):
    """Adversarial losses; objects that never call ``backward()`` themselves."""

    def critic_loss(self, real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor: ...

    def generator_loss(
        self, fake_scores: torch.Tensor, real_scores: torch.Tensor | None = None
    ) -> torch.Tensor: ...


@runtime_checkable
class Penalty(Protocol):
    """A critic regularizer, already weighted (and multiplied by ``interval`` when lazy).

    The Trainer calls it on critic steps where ``critic_step % interval == 0``.
    ``scaler`` is the critic's fp16 GradScaler, for the AMP gradient-penalty recipe.
    """

    interval: int

    def __call__(
        self,
        critic: torch.nn.Module,
        real: torch.Tensor,
        fake: torch.Tensor,
        labels: torch.Tensor | None = None,
        scaler: torch.amp.GradScaler | None = None,
    ) -> torch.Tensor: ...
