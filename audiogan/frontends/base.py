"""What the spectrogram frontends share: frame arithmetic, frame fixing, leading-dim packing,
and the output hooks (``suffix``, ``save`` as ``.wav``, ``plot`` as a spectrogram image).

Both :class:`~audiogan.frontends.logmel.LogMel` and
:class:`~audiogan.frontends.logspec.LogSpectrogram` run a centred STFT (``center=True``), so a
waveform of ``num_samples`` samples gives ``1 + num_samples // hop_length`` frames, and
Griffin-Lim turns ``frames`` frames back into ``(frames - 1) * hop_length`` samples.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
import torchaudio.functional as AF
from einops import pack, unpack
from torch import nn

from audiogan.audio.io import save_audio
from audiogan.viz.spectrogram import draw_spectrogram


def frames_for_samples(num_samples: int, hop_length: int) -> int:
    """Number of frames a centred STFT gives for ``num_samples`` samples: ``1 + n // hop``."""
    if num_samples < 0 or hop_length <= 0:
        raise ValueError(
            f"frames_for_samples: expected num_samples >= 0 and hop_length > 0, got {num_samples}, {hop_length}"
        )
    return 1 + num_samples // hop_length


def samples_for_frames(frames: int, hop_length: int) -> int:
    """The shortest waveform length giving exactly ``frames`` frames: ``(frames - 1) * hop``.

    This is also the length Griffin-Lim returns for ``frames`` frames. For the 128x256 log-mels
    of the conditional WGAN-GP and the 128x512 ones of the one-hot cGAN (hop 256): 65280 and
    130816 samples at 16 kHz.
    """
    if frames < 1 or hop_length <= 0:
        raise ValueError(
            f"samples_for_frames: expected frames >= 1 and hop_length > 0, got {frames}, {hop_length}"
        )
    return (frames - 1) * hop_length


def check_wave_length(wave: torch.Tensor, n_fft: int, name: str) -> None:
    """Raise a ValueError unless ``wave (..., time)`` is long enough for a centred STFT.

    The STFT reflect-pads ``n_fft // 2`` samples on each side, which needs more than
    ``n_fft // 2`` samples: shorter waveforms (and empty ones) are refused here with a message,
    not deep inside ``torch.stft``.
    """
    if wave.shape[-1] <= n_fft // 2:
        raise ValueError(
            f"{name}: expected a waveform (..., time) of at least {n_fft // 2 + 1} samples "
            f"(n_fft // 2 + 1 for n_fft={n_fft}), got {tuple(wave.shape)}"
        )


def check_wave(wave: torch.Tensor, name: str, n_fft: int | None = None) -> None:
    """Raise a ValueError unless ``wave`` is a floating ``(..., time)`` tensor (with ``n_fft``,
    long enough for a centred STFT: :func:`check_wave_length`); the message starts with
    ``name``."""
    if not isinstance(wave, torch.Tensor) or wave.dim() < 1 or not wave.is_floating_point():
        got = (
            f"{tuple(wave.shape)} {wave.dtype}"
            if isinstance(wave, torch.Tensor)
            else type(wave).__name__
        )
        raise ValueError(f"{name}: expected a floating waveform (..., time), got {got}")
    if n_fft is not None:
        check_wave_length(wave, n_fft, name)


def fix_frames(features: torch.Tensor, frames: int | None, value: float = -1.0) -> torch.Tensor:
    """Right-pad with ``value`` or trim the last axis of ``(..., frames_in)`` to ``frames``.

    ``frames=None`` returns the input unchanged.
    """
    if frames is None:
        return features
    n = features.shape[-1]
    if n < frames:
        return F.pad(features, (0, frames - n), value=value)
    return features[..., :frames]


def pack_leading(x: torch.Tensor, trailing: str) -> tuple[torch.Tensor, list[torch.Size]]:
    """Pack any leading dims of ``x`` into one batch axis: ``(..., *trailing) -> (batch, *trailing)``.

    Args:
        x: The tensor.
        trailing: einops names of the trailing axes that stay, e.g. ``"time"`` or ``"freq frames"``.

    Returns:
        The packed tensor and the shapes to hand to :func:`unpack_leading`.
    """
    packed, shapes = pack([x], f"* {trailing}")
    return packed, shapes


def unpack_leading(x: torch.Tensor, shapes: list[torch.Size], trailing: str) -> torch.Tensor:
    """Undo :func:`pack_leading`: ``(batch, *trailing) -> (..., *trailing)``."""
    return unpack(x, shapes, f"* {trailing}")[0]


def module_dtype(module: nn.Module, default: torch.dtype = torch.float32) -> torch.dtype:
    """The floating dtype of ``module``'s first floating buffer or parameter (``default`` if none)."""
    for t in (*module.buffers(), *module.parameters()):
        if t.is_floating_point():
            return t.dtype
    return default


def batch_apply(fn: Callable[[torch.Tensor], torch.Tensor], packed: torch.Tensor) -> torch.Tensor:
    """``fn(packed)`` for ``packed (batch, time)``, also when ``batch`` is 0.

    ``torch.stft`` refuses an empty batch (a leading axis of size 0, e.g. ``(0, channels,
    time)``); then ``fn`` runs on one row of zeros and the result is cut back to 0 rows, so the
    features have their usual trailing shape.
    """
    if packed.shape[0] > 0:
        return fn(packed)
    return fn(packed.new_zeros((1, *packed.shape[1:])))[:0]


def stft_power(packed: torch.Tensor, n_fft: int, hop_length: int, power: float) -> torch.Tensor:
    """``|STFT|**power`` with a Hann window: ``(batch, time) -> (batch, n_fft // 2 + 1, frames)``.

    The same analysis as torchaudio's ``Spectrogram`` transform (centered, reflect padding), with
    the window built on the fly for the pure-function twins of the frontends.
    """
    if packed.shape[0] == 0:
        return batch_apply(lambda x: stft_power(x, n_fft, hop_length, power), packed)
    window = torch.hann_window(n_fft, dtype=packed.dtype, device=packed.device)
    return AF.spectrogram(
        packed,
        pad=0,
        window=window,
        n_fft=n_fft,
        hop_length=hop_length,
        win_length=n_fft,
        power=power,
        normalized=False,
    )


class AudioFrontend(nn.Module):
    """Base class of the STFT-based frontends: ``(..., time) <-> (..., 1, freq, frames)``.

    Subclasses set ``self.config`` (their constructor arguments), ``self.freq_bins`` and
    implement :meth:`encode` and :meth:`decode`; ``forward`` is ``encode``. The output hooks of
    the :class:`~audiogan.protocols.Frontend` protocol are shared: :meth:`save` decodes a batch
    at once (one batched Griffin-Lim) and writes ``.wav`` files, :meth:`plot` draws a
    spectrogram.

    Args:
        sample_rate: Samples per second of the waveforms.
        n_fft: FFT size.
        hop_length: Samples between STFT frames.
        frames: Fixed number of frames of the features (pad with the floor value / trim), or
            ``None`` to let the frame count follow the input length.
    """

    #: File suffix of :meth:`save`.
    suffix: str = ".wav"
    config: dict[str, Any]

    def __init__(self, sample_rate: int, n_fft: int, hop_length: int, frames: int | None) -> None:
        super().__init__()
        if sample_rate <= 0:
            raise ValueError(
                f"{type(self).__name__}: sample_rate must be positive, got {sample_rate}"
            )
        if n_fft <= 1 or hop_length <= 0:
            raise ValueError(
                f"{type(self).__name__}: expected n_fft > 1 and hop_length > 0, got n_fft={n_fft}, hop_length={hop_length}"
            )
        if frames is not None and frames < 1:
            raise ValueError(f"{type(self).__name__}: frames must be None or >= 1, got {frames}")
        self.sample_rate = int(sample_rate)
        self.n_fft = int(n_fft)
        self.hop_length = int(hop_length)
        self.frames = None if frames is None else int(frames)
        self.freq_bins = 0

    @property
    def feature_shape(self) -> tuple[int, ...]:
        """``(1, freq, frames)``; the last entry is ``None`` when ``frames`` is ``None`` (variable)."""
        return (1, self.freq_bins, self.frames)  # type: ignore[return-value]

    def num_samples_for_frames(self, frames: int | None = None) -> int:
        """Waveform length that gives exactly ``frames`` frames (default: ``self.frames``)."""
        frames = self.frames if frames is None else frames
        if frames is None:
            raise ValueError(
                f"{type(self).__name__}: frames is None; pass the number of frames wanted"
            )
        return samples_for_frames(frames, self.hop_length)

    def frames_for_num_samples(self, num_samples: int) -> int:
        """Frames that ``num_samples`` samples give before any pad/trim to ``self.frames``."""
        return frames_for_samples(num_samples, self.hop_length)

    def encode(self, wave: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def decode(self, features: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        """Same as :meth:`encode`."""
        return self.encode(wave)

    @torch.no_grad()
    def save(self, features: torch.Tensor, paths: Sequence[str | os.PathLike]) -> list[Path]:
        """Decode a batch of features at once and write one ``.wav`` file per item.

        Each waveform is written at :attr:`sample_rate`, peak-normalized to 0.99 (silence stays
        silent). The features are moved to this frontend's device for decoding.

        Args:
            features: ``(batch, 1, freq, frames)``.
            paths: ``batch`` destination files, written as given (parent folders are created).

        Returns:
            The paths written, in order.

        Raises:
            ValueError: If ``features`` is not ``(batch, 1, freq, frames)`` or ``paths`` does
                not have one entry per item.
        """
        if not isinstance(features, torch.Tensor) or features.dim() != 4:
            shape = tuple(features.shape) if isinstance(features, torch.Tensor) else type(features)
            raise ValueError(
                f"{type(self).__name__}.save: expected features (batch, channels, freq, frames), got {shape}"
            )
        self._check_features(features, "save")
        if len(paths) != features.shape[0]:
            raise ValueError(
                f"{type(self).__name__}.save: expected {features.shape[0]} paths (one per item), got {len(paths)}"
            )
        device = next(iter(self.buffers()), features).device
        waves = self.decode(features.detach().to(device))  # (batch, time)
        return [
            save_audio(path, wave, self.sample_rate, normalize=True)
            for path, wave in zip(paths, waves, strict=True)
        ]

    def plot(self, features: torch.Tensor, ax: Any) -> None:
        """Draw one item's spectrogram on a matplotlib Axes (low frequencies at the bottom).

        The colour scale is the features' [-1, 1] range, so pictures of different rounds
        compare (see :func:`audiogan.viz.draw_spectrogram`).

        Args:
            features: ``(1, freq, frames)``, one item.
            ax: A :class:`matplotlib.axes.Axes`.

        Raises:
            ValueError: If ``features`` is not ``(1, freq, frames)``.
        """
        if not isinstance(features, torch.Tensor) or features.dim() != 3:
            shape = tuple(features.shape) if isinstance(features, torch.Tensor) else type(features)
            raise ValueError(
                f"{type(self).__name__}.plot: expected one item (channels, freq, frames), got {shape}"
            )
        self._check_features(features, "plot")
        draw_spectrogram(features, ax)

    def _check_wave(self, wave: torch.Tensor) -> None:
        check_wave(wave, f"{type(self).__name__}.encode", self.n_fft)

    def _check_features(self, features: torch.Tensor, what: str = "decode") -> None:
        expected = (1, self.freq_bins) if self.frames is None else (1, self.freq_bins, self.frames)
        shape = tuple(features.shape)
        ok = features.dim() >= 3 and tuple(shape[-3:][: len(expected)]) == expected
        if not ok:
            want = ", ".join(str(e) for e in expected) + (
                "" if self.frames is not None else ", frames"
            )
            raise ValueError(
                f"{type(self).__name__}.{what}: expected features (..., {want}) (..., channels, freq, frames), got {shape}"
            )

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in self.config.items())
