"""The multi-scale mel loss of DAC and BigVGAN-v2: L1 between log10 mels at seven STFT sizes.

At each scale ``(window_length, n_mels)`` of ``(32, 5), (64, 10), ..., (2048, 320)`` the
waveform's centred STFT (periodic Hann window, hop ``window_length // 4``, reflect padding)
gives magnitudes ``|S|``; librosa's Slaney mel filters (``n_mels`` bands from 0 Hz to Nyquist,
area-normalized) map them to mels; the loss adds ``mean |log10(clamp(mel_fake, 1e-5)**pow) -
log10(clamp(mel_real, 1e-5)**pow)|`` over the scales (descriptinc/descript-audio-codec
``dac/nn/loss.py`` ``MelSpectrogramLoss`` with ``conf/base.yml``'s settings; NVIDIA/BigVGAN
``loss.py`` ``MultiScaleMelSpectrogramLoss``). Short windows resolve time, long ones frequency,
so no single STFT size's blur dominates. ``mag_weight`` adds DAC's L1 between the linear mels
(0 in both references). The references weight the sum by 15 in the generator loss: give that as
the Trainer's weight.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import torch
import torchaudio.functional as AF

from audiogan.losses.stft import WaveformLoss

__all__ = ["DAC_MEL_SCALES", "MultiScaleMelLoss"]

DAC_MEL_SCALES: tuple[tuple[int, int], ...] = (
    (32, 5),
    (64, 10),
    (128, 20),
    (256, 40),
    (512, 80),
    (1024, 160),
    (2048, 320),
)
"""``(window_length, n_mels)`` of DAC's and BigVGAN-v2's seven scales."""


class MultiScaleMelLoss(WaveformLoss):
    """Sum over scales of the L1 distance between log10 mel magnitudes (DAC, BigVGAN-v2).

    See :mod:`audiogan.losses.multiscale_mel`. ``forward(fake, real)`` takes waveforms
    ``(batch, time)`` or ``(batch, channels, time)`` of the same shape with
    ``time > max(window_length) // 2``, computes in float32 with autocast disabled, and returns a
    scalar ``()``.

    Args:
        sample_rate: Samples per second (sets the mel filters).
        scales: ``(window_length, n_mels)`` per scale (:data:`DAC_MEL_SCALES`).
        f_min: Lowest mel filter edge in Hz.
        f_max: Highest edge (``None``: Nyquist).
        clamp_min: Floor of the mel magnitude before the log (``1e-5``).
        power: Exponent of the clamped mel before the log (``pow``, 1).
        mag_weight: Weight of the L1 between linear mels (0).
        log_weight: Weight of the L1 between log10 mels (1).

    Example:
        >>> loss = MultiScaleMelLoss(sample_rate=16000)
        >>> x = torch.randn(2, 1, 4096)
        >>> float(loss(x, x)), bool(loss(0.5 * x, x) > 0)
        (0.0, True)
    """

    def __init__(
        self,
        sample_rate: int = 22050,
        *,
        scales: Sequence[Sequence[int]] = DAC_MEL_SCALES,
        f_min: float = 0.0,
        f_max: float | None = None,
        clamp_min: float = 1e-5,
        power: float = 1.0,
        mag_weight: float = 0.0,
        log_weight: float = 1.0,
    ) -> None:
        super().__init__()
        name = "MultiScaleMelLoss"
        pairs = [(int(w), int(m)) for w, m in scales]
        if not pairs or any(w < 4 or m < 1 for w, m in pairs):
            raise ValueError(
                f"{name}: expected (window_length >= 4, n_mels >= 1) per scale, got {pairs}"
            )
        top = sample_rate / 2 if f_max is None else float(f_max)
        if sample_rate <= 0 or not 0.0 <= f_min < top <= sample_rate / 2:
            raise ValueError(
                f"{name}: expected sample_rate > 0 and 0 <= f_min < f_max <= sample_rate / 2, got "
                f"sample_rate={sample_rate}, f_min={f_min}, f_max={top}"
            )
        if not clamp_min > 0:
            raise ValueError(f"{name}: clamp_min must be > 0, got {clamp_min}")
        self.config = {
            "sample_rate": int(sample_rate),
            "scales": [list(p) for p in pairs],
            "f_min": float(f_min),
            "f_max": None if f_max is None else float(f_max),
            "clamp_min": float(clamp_min),
            "power": float(power),
            "mag_weight": float(mag_weight),
            "log_weight": float(log_weight),
        }
        self.scales = pairs
        self.clamp_min = float(clamp_min)
        self.power = float(power)
        self.mag_weight = float(mag_weight)
        self.log_weight = float(log_weight)
        self.max_window = max(w for w, _ in pairs)
        for i, (w, m) in enumerate(pairs):
            with warnings.catch_warnings():  # few bins per band at the small windows: empty filters
                warnings.simplefilter("ignore", UserWarning)
                fb = AF.melscale_fbanks(
                    w // 2 + 1, float(f_min), top, m, int(sample_rate), "slaney", "slaney"
                )  # (freq, n_mels)
            self.register_buffer(f"window_{i}", torch.hann_window(w), persistent=False)
            self.register_buffer(f"filterbank_{i}", fb.T.contiguous(), persistent=False)

    def mel(self, wave: torch.Tensor, scale: int) -> torch.Tensor:
        """Mel magnitudes ``(batch, n_mels, 1 + time // hop)`` of ``wave (batch, time)`` at a scale."""
        w, _ = self.scales[scale]
        window = getattr(self, f"window_{scale}").to(wave)
        spec = torch.stft(
            wave, w, w // 4, window=window, center=True, pad_mode="reflect", return_complex=True
        )  # (batch, freq, frames)
        return getattr(self, f"filterbank_{scale}").to(wave) @ spec.abs()

    @property
    def longest_fft(self) -> int:  # type: ignore[override]
        return self.max_window

    def compare(self, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        """The weighted log-mel (and mel) L1 distances summed over scales, waveforms ``(n, time)``."""
        total = fake.new_zeros(())
        for i in range(len(self.scales)):
            mel_fake, mel_real = self.mel(fake, i), self.mel(real, i)
            log_fake = mel_fake.clamp_min(self.clamp_min).pow(self.power).log10()
            log_real = mel_real.clamp_min(self.clamp_min).pow(self.power).log10()
            total = total + self.log_weight * (log_fake - log_real).abs().mean()
            if self.mag_weight:
                total = total + self.mag_weight * (mel_fake - mel_real).abs().mean()
        return total
