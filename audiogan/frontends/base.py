"""What the spectrogram frontends share: frame arithmetic, frame fixing, leading-dim packing.

Both :class:`~audiogan.frontends.logmel.LogMel` and
:class:`~audiogan.frontends.logspec.LogSpectrogram` run a centred STFT (``center=True``), so a
waveform of ``num_samples`` samples gives ``1 + num_samples // hop_length`` frames, and
Griffin-Lim turns ``frames`` frames back into ``(frames - 1) * hop_length`` samples.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
import torchaudio.functional as AF
from einops import pack, unpack
from torch import nn


def frames_for_samples(num_samples: int, hop_length: int) -> int:
    """Number of frames a centred STFT gives for ``num_samples`` samples: ``1 + n // hop``."""
    if num_samples < 0 or hop_length <= 0:
        raise ValueError(
            f"frames_for_samples: expected num_samples >= 0 and hop_length > 0, got {num_samples}, {hop_length}"
        )
    return 1 + num_samples // hop_length


def samples_for_frames(frames: int, hop_length: int) -> int:
    """The shortest waveform length giving exactly ``frames`` frames: ``(frames - 1) * hop``.

    This is also the length Griffin-Lim returns for ``frames`` frames. For the seeds'
    128x256 and 128x512 log-mels (hop 256): 65280 and 130816 samples at 16 kHz.
    """
    if frames < 1 or hop_length <= 0:
        raise ValueError(
            f"samples_for_frames: expected frames >= 1 and hop_length > 0, got {frames}, {hop_length}"
        )
    return (frames - 1) * hop_length


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


def stft_power(packed: torch.Tensor, n_fft: int, hop_length: int, power: float) -> torch.Tensor:
    """``|STFT|**power`` with a Hann window: ``(batch, time) -> (batch, n_fft // 2 + 1, frames)``.

    The same analysis as torchaudio's ``Spectrogram`` transform (centered, reflect padding), with
    the window built on the fly for the pure-function twins of the frontends.
    """
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
    implement :meth:`encode` and :meth:`decode`; ``forward`` is ``encode``.

    Args:
        sample_rate: Samples per second of the waveforms.
        n_fft: FFT size.
        hop_length: Samples between STFT frames.
        frames: Fixed number of frames of the features (pad with the floor value / trim), or
            ``None`` to let the frame count follow the input length.
    """

    kind: str = "audio"
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

    def _check_wave(self, wave: torch.Tensor) -> None:
        if not isinstance(wave, torch.Tensor) or wave.dim() < 1:
            shape = tuple(wave.shape) if isinstance(wave, torch.Tensor) else type(wave).__name__
            raise ValueError(
                f"{type(self).__name__}.encode: expected a waveform (..., time), got {shape}"
            )
        if not wave.is_floating_point():
            raise ValueError(
                f"{type(self).__name__}.encode: expected a floating waveform, got {wave.dtype}"
            )

    def _check_features(self, features: torch.Tensor) -> None:
        expected = (1, self.freq_bins) if self.frames is None else (1, self.freq_bins, self.frames)
        shape = tuple(features.shape)
        ok = features.dim() >= 3 and tuple(shape[-3:][: len(expected)]) == expected
        if not ok:
            want = ", ".join(str(e) for e in expected) + (
                "" if self.frames is not None else ", frames"
            )
            raise ValueError(
                f"{type(self).__name__}.decode: expected features (..., {want}) (..., channels, freq, frames), got {shape}"
            )

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in self.config.items())
