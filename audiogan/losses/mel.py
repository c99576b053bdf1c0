"""Mel reconstruction loss: L1 between the log-mel spectrograms of two waveforms (HiFi-GAN).

HiFi-GAN (Kong et al. 2020, ``train.py`` and ``meldataset.py`` of jik876/hifi-gan) trains its
generator with ``45 * F.l1_loss(mel(real), mel(fake))``, where ``mel`` is

1. the STFT magnitude ``sqrt(|STFT|**2 + 1e-9)`` (power 1, not power 2);
2. a mel filterbank applied to it;
3. ``log(clamp(mel, min=1e-5))`` (natural log, HiFi-GAN's ``dynamic_range_compression``).

:class:`MelReconstructionLoss` computes exactly that, with the mel parameters of audiogan's
:class:`~audiogan.frontends.LogMel` (its defaults, or :meth:`MelReconstructionLoss.from_frontend`):
a periodic Hann window of ``n_fft``, a centred STFT (reflect padding), torchaudio's HTK mel
filters without normalization. Two differences from HiFi-GAN's code, both options or framing:
HiFi-GAN uses librosa's Slaney filters (``mel_scale="slaney", norm="slaney"`` here) and pads
``(n_fft - hop) / 2`` samples without centring (the frames are shifted, the definition is the
same). It does not use the frontend's ``[-1, 1]`` dB features: their clip at the dB floor and
ceiling has no gradient, HiFi-GAN's log of a clamped magnitude has one almost everywhere.

The factor 45 is not inside the loss: give it as the Trainer's weight,
``generator_losses={"mel": (45.0, lambda s: mel_loss(s.fake, s.real))}``, so that the logged
``mel`` metric is the plain L1 distance (HiFi-GAN's logged "Mel-Spec. Error" is also unweighted).
"""

from __future__ import annotations

from typing import Any

import torch
import torchaudio.functional as AF

from audiogan.losses.stft import WaveformLoss, check_length

__all__ = ["MelReconstructionLoss"]


class MelReconstructionLoss(WaveformLoss):
    """``mean |log_mel(real) - log_mel(fake)|`` with HiFi-GAN's log-mel (no factor 45).

    See :mod:`audiogan.losses.mel` for the definition. ``forward(fake, real)`` takes waveforms
    ``(batch, time)`` or ``(batch, channels, time)`` of the same shape with ``time > n_fft // 2``,
    computes in float32 with autocast disabled, and returns a scalar ``()``.

    Args:
        sample_rate: Samples per second.
        n_fft: FFT size (window length).
        hop_length: Samples between frames.
        n_mels: Mel bands.
        f_min: Lowest mel filter edge in Hz.
        f_max: Highest mel filter edge in Hz (default ``sample_rate // 2``; HiFi-GAN's
            ``fmax_for_loss`` is ``None``, the full band).
        mel_scale: ``"htk"`` (LogMel's) or ``"slaney"`` (librosa's default, HiFi-GAN's).
        norm: ``None`` (LogMel's) or ``"slaney"`` (area-normalized filters, HiFi-GAN's).
        clamp_min: Floor of the mel magnitude before the log (HiFi-GAN: ``1e-5``).

    Example:
        >>> loss = MelReconstructionLoss(sample_rate=8000, n_fft=256, hop_length=64, n_mels=32)
        >>> x = torch.randn(2, 1, 1024)
        >>> float(loss(x, x)), bool(loss(0.5 * x, x) > 0)
        (0.0, True)
    """

    window: torch.Tensor
    filterbank: torch.Tensor

    def __init__(
        self,
        sample_rate: int = 16000,
        n_fft: int = 1024,
        hop_length: int = 256,
        n_mels: int = 128,
        f_min: float = 0.0,
        f_max: float | None = None,
        mel_scale: str = "htk",
        norm: str | None = None,
        clamp_min: float = 1e-5,
    ) -> None:
        super().__init__()
        if sample_rate <= 0 or n_fft < 2 or hop_length < 1 or n_mels < 1:
            raise ValueError(
                "MelReconstructionLoss: expected sample_rate > 0, n_fft >= 2, hop_length >= 1 "
                f"and n_mels >= 1, got sample_rate={sample_rate}, n_fft={n_fft}, "
                f"hop_length={hop_length}, n_mels={n_mels}"
            )
        f_top = float(sample_rate // 2) if f_max is None else float(f_max)
        if not 0.0 <= f_min < f_top <= sample_rate / 2:
            raise ValueError(
                "MelReconstructionLoss: expected 0 <= f_min < f_max <= sample_rate / 2, "
                f"got f_min={f_min}, f_max={f_top}"
            )
        if mel_scale not in ("htk", "slaney") or norm not in (None, "slaney"):
            raise ValueError(
                "MelReconstructionLoss: expected mel_scale 'htk' or 'slaney' and norm None or "
                f"'slaney', got mel_scale={mel_scale!r}, norm={norm!r}"
            )
        if not clamp_min > 0:
            raise ValueError(f"MelReconstructionLoss: clamp_min must be > 0, got {clamp_min}")
        self.config = {
            "sample_rate": int(sample_rate),
            "n_fft": int(n_fft),
            "hop_length": int(hop_length),
            "n_mels": int(n_mels),
            "f_min": float(f_min),
            "f_max": None if f_max is None else float(f_max),
            "mel_scale": mel_scale,
            "norm": norm,
            "clamp_min": float(clamp_min),
        }
        self.n_fft = int(n_fft)
        self.hop_length = int(hop_length)
        self.clamp_min = float(clamp_min)
        fb = AF.melscale_fbanks(
            n_fft // 2 + 1, float(f_min), f_top, n_mels, sample_rate, norm, mel_scale
        )  # (freq, n_mels)
        self.register_buffer("window", torch.hann_window(n_fft), persistent=False)
        self.register_buffer("filterbank", fb, persistent=False)

    @classmethod
    def from_frontend(cls, frontend: Any, **kwargs: Any) -> MelReconstructionLoss:
        """The loss with a log-mel frontend's mel parameters.

        Args:
            frontend: A :class:`~audiogan.frontends.LogMel` (anything whose ``config`` has
                ``sample_rate``, ``n_fft``, ``hop_length``, ``n_mels``, ``f_min``, ``f_max``).
            **kwargs: Overrides and the other arguments (``mel_scale``, ``norm``, ``clamp_min``).

        Raises:
            ValueError: If the frontend's config lacks one of those keys (not a mel frontend).
        """
        keys = ("sample_rate", "n_fft", "hop_length", "n_mels", "f_min", "f_max")
        config = getattr(frontend, "config", None)
        missing = [k for k in keys if not isinstance(config, dict) or k not in config]
        if missing:
            raise ValueError(
                f"MelReconstructionLoss.from_frontend: expected a log-mel frontend whose config "
                f"has {list(keys)}, got {type(frontend).__name__} without {missing}"
            )
        return cls(**{**{k: config[k] for k in keys}, **kwargs})

    def log_mel(self, wave: torch.Tensor) -> torch.Tensor:
        """HiFi-GAN's log-mel: ``(batch, time) -> (batch, n_mels, 1 + time // hop_length)``."""
        check_length(wave.shape[-1], self.n_fft, "MelReconstructionLoss")
        spec = torch.stft(
            wave,
            self.n_fft,
            hop_length=self.hop_length,
            window=self.window.to(wave),
            center=True,
            pad_mode="reflect",
            return_complex=True,
        )  # (batch, freq, frames)
        magnitude = (spec.real.square() + spec.imag.square() + 1e-9).sqrt()
        mel = torch.matmul(self.filterbank.to(wave).transpose(0, 1), magnitude)
        return mel.clamp_min(self.clamp_min).log()  # (batch, n_mels, frames)

    @property
    def longest_fft(self) -> int:  # type: ignore[override]
        return self.n_fft

    def compare(self, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        """The L1 distance of the log-mels of waveforms ``(n, time)``."""
        return (self.log_mel(real) - self.log_mel(fake)).abs().mean()
