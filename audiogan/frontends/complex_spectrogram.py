"""Complex-STFT frontend: real and imaginary parts as two channels, ``(..., time) <-> (..., 2,
freq, frames)``, inverted exactly by the inverse STFT.

``encode``: the centred STFT (periodic Hann window, ``center=True``, reflect padding) with the
Nyquist bin dropped (``n_fft // 2`` bins), divided by ``sum(window) / 2`` so that a full-scale
sine has magnitude 1 in its bin, then power-law compressed, ``|X| ** compression * exp(i
angle(X))`` (``compression=1``: none; about 0.3 is common for complex-spectrogram models, it
lifts quiet bins toward the loud ones), and split into real and imaginary channels. With
``frames`` set, the frame axis is right-padded with zeros or trimmed. Values stay within [-1, 1]
for a clip whose every bin is at most a full-scale sine. ``decode`` undoes the compression and
runs the inverse STFT: the round trip is exact to float precision but for the Nyquist bin.
"""

from __future__ import annotations

from typing import Any

import torch

from audiogan.frontends.base import (
    fix_frames,
    module_dtype,
    pack_leading,
    unpack_leading,
)
from audiogan.frontends.two_channel_stft import TwoChannelSTFT
from audiogan.registry import register
from audiogan.viz.spectrogram import draw_spectrogram

__all__ = ["ComplexSpectrogram"]


@register
class ComplexSpectrogram(TwoChannelSTFT):
    """Real and imaginary STFT channels: ``(..., time) <-> (..., 2, n_fft // 2, frames)``.

    See :mod:`audiogan.frontends.complex_spectrogram` for the mapping.

    Args:
        sample_rate: Samples per second.
        n_fft: FFT size (window length); ``freq`` is ``n_fft // 2``.
        hop_length: Samples between frames (at most ``n_fft // 2`` for an exact inverse).
        frames: Fixed frame count (pad with zeros or trim), or ``None`` to follow the input.
        compression: Exponent of the magnitude, in (0, 1].

    Example:
        >>> fe = ComplexSpectrogram(n_fft=256, hop_length=64, frames=32)
        >>> wave = torch.randn(3, fe.num_samples_for_frames()) * 0.1
        >>> fe.encode(wave).shape
        torch.Size([3, 2, 128, 32])
    """

    def __init__(
        self,
        sample_rate: int = 16000,
        n_fft: int = 1024,
        hop_length: int = 256,
        frames: int | None = None,
        compression: float = 1.0,
    ) -> None:
        super().__init__(sample_rate, n_fft, hop_length, frames)
        if not 0.0 < compression <= 1.0:
            raise ValueError(
                f"ComplexSpectrogram: compression must be in (0, 1], got {compression}"
            )
        self.config = {
            "sample_rate": self.sample_rate,
            "n_fft": self.n_fft,
            "hop_length": self.hop_length,
            "frames": self.frames,
            "compression": float(compression),
        }
        self.compression = float(compression)
        self.freq_bins = self.n_fft // 2
        self.scale = self.n_fft / 4.0  # sum of the periodic Hann window / 2

    def encode(self, wave: torch.Tensor) -> torch.Tensor:
        """Waveform ``(..., time)`` -> ``(..., 2, n_fft // 2, frames)`` (real, imaginary).

        Raises:
            ValueError: If ``wave`` is not floating or has ``n_fft // 2`` samples or fewer.
        """
        spec, shapes = self.spectra(wave)
        spec = spec / self.scale  # (batch, freq, frames) complex
        if self.compression != 1.0:
            spec = torch.polar(spec.abs() ** self.compression, spec.angle())
        parts = fix_frames(torch.view_as_real(spec).movedim(-1, 1), self.frames, 0.0)
        return unpack_leading(parts, shapes, "channels freq frames")

    def decode(self, features: torch.Tensor) -> torch.Tensor:
        """``(..., 2, n_fft // 2, frames)`` -> waveform ``(..., (frames - 1) * hop_length)``.

        Raises:
            ValueError: If the features do not fit.
        """
        self._check_features(features)
        packed, shapes = pack_leading(features.to(module_dtype(self)), "channels freq frames")
        spec = torch.complex(packed[:, 0], packed[:, 1])
        if self.compression != 1.0:
            spec = torch.polar(spec.abs() ** (1.0 / self.compression), spec.angle())
        return unpack_leading(self.istft(spec * self.scale), shapes, "time")

    def plot(self, features: torch.Tensor, ax: Any) -> None:
        """Draw one item's magnitude ``sqrt(re^2 + im^2)`` mapped to [-1, 1] on an Axes.

        Raises:
            ValueError: If ``features`` is not ``(2, freq, frames)``.
        """
        self.check_item(features, "plot")
        magnitude = features.float().square().sum(0).sqrt()
        draw_spectrogram((2.0 * magnitude.clamp(0.0, 1.0) - 1.0)[None], ax)
