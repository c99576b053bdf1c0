"""The parts of a GAN, as protocols any user class can satisfy.

A user's own generator, critic, loss or frontend plugs into :class:`audiogan.train.Trainer`
as long as it has these methods; inheriting from anything in audiogan is never required.
Shapes use named axes: ``(batch, channels, freq, frames)`` for spectrograms,
``(batch, tracks, bars, steps, pitches)`` for piano rolls.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple, Protocol, runtime_checkable

import torch


@runtime_checkable
class Frontend(Protocol):
    """Turns waveforms (or pitch grids) into features and back, and saves and draws features.

    Everything audiogan calls on a frontend is declared here; output code (``export_features``,
    ``FakeWriter``, ``TensorBoardLogger``, ``generate``) never asks what kind of frontend it
    has, it calls the hooks. Audiogan's own: :class:`~audiogan.frontends.LogMel` and
    :class:`~audiogan.frontends.LogSpectrogram` (``.wav``, spectrogram pictures),
    :class:`~audiogan.frontends.PianoRoll` (``.mid``, piano-roll pictures).

    Attributes:
        feature_shape: Shape of one item of features, e.g. ``(channels, freq, frames)`` or
            ``(tracks, bars, steps, pitches)``; an entry may be ``None`` where it varies.
        sample_rate: Samples per second of the waveforms ``decode`` returns; 0 when ``decode``
            returns no waveform (a piano roll's pitch grid). Audio loggers play ``decode``'s
            output only when it is positive.
        config: JSON-able constructor arguments: the feature cache's key and what a checkpoint
            stores to rebuild an audiogan frontend.
        suffix: File suffix of :meth:`save`, e.g. ``".wav"`` or ``".mid"``.
    """

    feature_shape: tuple[int | None, ...]
    sample_rate: int
    config: dict[str, Any]
    suffix: str

    def encode(self, wave: torch.Tensor) -> torch.Tensor:
        """``(..., time) -> (..., *feature_shape)``, normalized to the generator's output range."""
        ...

    def decode(self, features: torch.Tensor) -> torch.Tensor:
        """``(..., *feature_shape) -> (..., time)``: what ``encode`` takes."""
        ...

    def save(self, features: torch.Tensor, paths: Sequence[str | os.PathLike]) -> list[Path]:
        """Write ``features (batch, *feature_shape)`` to ``paths`` (one file per item, in one
        batched call so that e.g. Griffin-Lim runs once) and return the paths written."""
        ...

    def plot(self, features: torch.Tensor, ax: Any) -> None:
        """Draw one item ``(*feature_shape)`` on a :class:`matplotlib.axes.Axes`."""
        ...


@runtime_checkable
class Generator(Protocol):
    """A sampling GAN's generator: noise (and labels) -> features.

    What audiogan calls on it: the Trainer, :func:`~audiogan.train.callbacks.fixed_fakes`,
    :class:`~audiogan.train.FakeWriter` and :func:`~audiogan.train.generate` draw
    ``sample_latent`` and call the module; they read ``num_classes`` to know whether to pass
    labels. Optional: ``config`` (JSON-able constructor arguments; a checkpoint stores it so that
    ``generate`` can rebuild an audiogan generator), and a ``dtype`` argument of
    ``sample_latent`` (audiogan's generators follow their own device and dtype by default).

    Attributes:
        num_classes: Number of classes of the labels it takes; 0 for an unconditional generator.
    """

    num_classes: int

    def sample_latent(
        self,
        n: int,
        device: torch.device | str | None = None,
        generator: torch.Generator | None = None,
    ) -> Any:
        """What ``forward`` takes for ``n`` samples: a tensor, or a tuple (MuseGAN's four inputs)."""
        ...

    def __call__(self, z: Any, labels: torch.Tensor | None = None) -> torch.Tensor:
        """``(batch, *feature_shape)`` features from a latent and labels ``(batch,)``."""
        ...


@runtime_checkable
class PairedGenerator(Protocol):
    """A paired GAN's generator (a vocoder): an input taken from the batch -> an output.

    The Trainer calls it with ``inputs`` from the batch (a loader's ``{"real", "inputs"}``
    mapping, or ``Trainer(generator_input=fn)`` applied to the real batch), e.g. a log-mel
    ``(batch, n_mels, frames)`` -> a waveform ``(batch, 1, time)``; it never samples a latent.
    """

    def __call__(self, inputs: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """``(batch, *feature_shape)`` outputs, the real batch's shape."""
        ...


@runtime_checkable
class Critic(Protocol):
    """Scores real and generated features (raw scores, no sigmoid).

    The Trainer calls it on the real batch and on the generator's output, with labels when the
    loader yields them, and passes it to the penalty. It returns scores ``(batch,)``, or for an
    ensemble a :class:`CriticOutput` (one score tensor and one list of feature maps per
    sub-critic). A critic trained with a gradient penalty must score each sample independently
    of the rest of the batch (no BatchNorm: the Trainer warns).
    """

    def __call__(
        self, x: torch.Tensor, labels: torch.Tensor | None = None
    ) -> torch.Tensor | CriticOutput:
        """Scores ``(batch,)`` or a :class:`CriticOutput` for ``x (batch, *feature_shape)``."""
        ...


@runtime_checkable
class Conditioning(Protocol):
    """Class conditioning that a generator or critic plugs in (``conditioning=<module>``).

    Any ``nn.Module`` with these members works; :class:`~audiogan.nn.OneHot` and
    :class:`~audiogan.nn.LabelEmbedding` are two. The block takes its ``num_classes`` from it.

    - ``num_classes``: number of classes (>= 1); labels are integers ``(batch,)`` in
      ``[0, num_classes)``.
    - ``out_features``: size of the vector ``forward(labels (batch,)) -> (batch, out_features)``
      that a generator concatenates to its latent.
    - ``map_channels``: channels of ``label_map(labels (batch,), size) -> (batch, map_channels,
      *size)`` that a critic stacks onto its input (``size`` is the input's spatial shape, e.g.
      ``(freq, frames)``). A module with a fixed ``map_size`` attribute must match the critic's.

    A projection-style module (Miyato & Koyama 2018, like :class:`~audiogan.nn.Projection`) is
    the other kind a critic accepts: instead of ``out_features``, ``map_channels`` and
    ``label_map`` it has ``num_classes``, ``features`` (the size of the critic's pooled features
    ``h``) and ``forward(h (batch, features), labels (batch,)) -> (batch,)``, a term added to the
    critic's score. Critics tell the kinds apart by ``label_map``.

    A block's ``config`` stores the module as ``{"class": path, "config": module.config}``;
    only audiogan classes are rebuilt from it (a checkpoint cannot import code), so a block with
    a user's conditioning class is rebuilt by passing an instance again.
    """

    num_classes: int
    out_features: int
    map_channels: int

    def forward(self, labels: torch.Tensor) -> torch.Tensor:
        """``labels (batch,) -> (batch, out_features)``, the vector a generator concatenates."""
        ...

    def label_map(self, labels: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
        """``labels (batch,) -> (batch, map_channels, *size)``, the maps a critic stacks."""
        ...


@runtime_checkable
class Objective(Protocol):
    """Adversarial losses from raw scores; objects that never call ``backward()`` themselves.

    For ensembles the Trainer applies them to each sub-critic's scores, flattened to
    ``(n,)``, and sums. Optional: ``needs_lipschitz = True`` when the objective is meaningful
    only with a Lipschitz critic (Wasserstein); the Trainer then warns if there is no penalty,
    weight clipping or spectral norm.
    """

    def critic_loss(self, real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
        """``()`` loss the critic minimizes, from scores ``(n,)`` on real and generated data."""
        ...

    def generator_loss(
        self, fake_scores: torch.Tensor, real_scores: torch.Tensor | None = None
    ) -> torch.Tensor:
        """``()`` loss the generator minimizes, from the scores ``(n,)`` of its samples."""
        ...


@runtime_checkable
class Penalty(Protocol):
    """A critic regularizer, already weighted (and multiplied by ``interval`` when lazy).

    The Trainer calls it on critic steps where ``critic_updates % interval == 0``, with the eager
    critic (double backward does not run through compiled graphs) and, under fp16, the critic's
    GradScaler for the AMP gradient-penalty recipe. Optional: ``last_grad_norm``, a tensor the
    Trainer logs as ``grad_norm``.

    Attributes:
        interval: Apply every ``interval`` critic steps (1: every step).
    """

    interval: int

    def __call__(
        self,
        critic: torch.nn.Module,
        real: torch.Tensor,
        fake: torch.Tensor,
        labels: torch.Tensor | None = None,
        scaler: torch.amp.GradScaler | None = None,
    ) -> torch.Tensor:
        """The ``()`` penalty on ``real`` and ``fake`` ``(batch, *feature_shape)``."""
        ...


@runtime_checkable
class CacheableDataset(Protocol):
    """A data set of clips (or rolls) that :class:`~audiogan.data.FeatureCache` can cache.

    Every audiogan data set is one (:class:`~audiogan.data.AudioFolder`,
    :class:`~audiogan.data.SyntheticSounds`, :class:`~audiogan.data.MidiFolder`, ...). Items
    are ``(clip, label)`` pairs, a clip being e.g. a waveform ``(channels, num_samples)`` or what
    the data set's ``transform`` makes of it, or bare clips (piano rolls ``(tracks, bars, steps,
    pitches)``). Optional: ``classes``, the class names, which the cache passes on.
    """

    def __len__(self) -> int:
        """The number of items."""
        ...

    def __getitem__(self, index: int) -> tuple[Any, int] | torch.Tensor:
        """Item ``index``: ``(clip, label)`` or a bare clip."""
        ...

    def cache_key(self) -> dict[str, Any]:
        """A JSON-able identity of the content and loading parameters (for files: relative
        paths with size and mtime): a changed key invalidates a feature cache."""
        ...


class CriticOutput(NamedTuple):
    """What an ensemble critic returns (HiFi-GAN's multi-period / multi-scale critics).

    A critic's ``forward`` returns either raw scores ``(batch,)`` or one of these (a plain tuple
    ``(scores, features)`` of the same two lists is accepted too). The Trainer sums the objective
    over the sub-critics and hands the feature maps to generator-side losses such as feature
    matching.

    Attributes:
        scores: One raw score tensor per sub-critic, ``(batch, ...)`` (trailing axes are patch or
            frame scores, averaged by the objective).
        features: One list of feature maps ``(batch, ...)`` per sub-critic (empty lists when the
            critic exposes none).
    """

    scores: list[torch.Tensor]
    features: list[list[torch.Tensor]]
