"""GANSynth's log-magnitude and instantaneous-frequency frontend: ``(..., time) <-> (..., 2,
freq, frames)``, inverted exactly (no Griffin-Lim).

Engel et al., "GANSynth: Adversarial Neural Audio Synthesis" (ICLR 2019); the reference code is
``magenta/models/gansynth/lib/spectral_ops.py`` and ``specgrams_helper.py``. ``encode``:

1. ``X`` = centred STFT (periodic Hann window, ``center=True``, reflect padding) with the
   Nyquist bin dropped: ``n_fft // 2`` bins (GANSynth: ``n_fft`` 2048, hop 512, 1024 bins).
2. Channel 0, the log-magnitude: ``|X| ** 2`` in dB re a full-scale sine, mapped linearly from
   ``[db_floor, db_ceil]`` to [-1, 1] as in :mod:`audiogan.frontends.logmel` (GANSynth maps
   ``log |X|`` with fixed constants; a dB range gives the same affine map with readable ends).
3. Channel 1, the instantaneous frequency (IF): the phase ``angle(X)`` unwrapped along time,
   differenced along time and divided by pi, with the first frame's phase itself in frame 0
   (magenta's ``instantaneous_frequency``). Every value lies in [-1, 1].
4. With ``mel=True`` ("IF-Mel", GANSynth's best model): the power and the *unwrapped* phase are
   both projected onto ``n_mels`` mel bands (each band a normalized triangular weighting of the
   linear bins), and the IF is taken of the mel phase (magenta's
   ``specgrams_to_melspecgrams``).
5. With ``frames`` set, the frame axis is right-padded (log-magnitude -1, IF 0) or trimmed.

``decode`` inverts: the magnitude from channel 0 (values at the floor, -1, decode to silence),
the phase as the cumulative sum of ``pi * IF`` along time, a zero Nyquist bin, then the inverse
STFT. Without ``mel`` this is exact up to the dB floor (bins quieter than ``db_floor`` are
zeroed), the ceiling and the Nyquist bin: the round trip of a clip well above the floor is
exact to float precision. With ``mel`` the mel projection loses detail and ``decode`` uses its
pseudo-inverse (least squares, as magenta's ``melspecgrams_to_specgrams``); the round trip is
approximate.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from audiogan.frontends.base import (
    fix_frames,
    module_dtype,
    pack_leading,
    unpack_leading,
)
from audiogan.frontends.logmel import (
    DB_CEIL,
    DB_FLOOR,
    _check_db_range,
    power_to_unit,
    reference_power,
    unit_to_power,
)
from audiogan.frontends.two_channel_stft import TwoChannelSTFT
from audiogan.registry import register
from audiogan.viz.spectrogram import draw_spectrogram

__all__ = [
    "InstantaneousFrequency",
    "instantaneous_frequency",
    "instantaneous_frequency_hz",
    "mel_weights",
    "phase_from_instantaneous_frequency",
]


def instantaneous_frequency(phase: torch.Tensor) -> torch.Tensor:
    """IF of a phase ``(..., freq, frames)`` in radians: ``(..., freq, frames)`` in [-1, 1].

    Frame 0 holds ``phase[..., 0] / pi`` (wrapped), frame ``t`` the wrapped phase advance from
    frame ``t - 1`` divided by pi: the same values as unwrapping along time and differencing.
    :func:`phase_from_instantaneous_frequency` inverts it (modulo ``2 pi``).
    """
    first = phase[..., :1]
    step = phase[..., 1:] - phase[..., :-1]
    dphase = torch.cat([first, step], dim=-1)
    return torch.remainder(dphase + math.pi, 2 * math.pi) / math.pi - 1.0


def phase_from_instantaneous_frequency(if_unit: torch.Tensor) -> torch.Tensor:
    """Phase ``(..., freq, frames)`` in radians (unwrapped): ``pi * cumsum(IF)`` along frames."""
    return torch.cumsum(if_unit * math.pi, dim=-1)


def instantaneous_frequency_hz(
    if_unit: torch.Tensor, n_fft: int, hop_length: int, sample_rate: int
) -> torch.Tensor:
    """Frequencies in Hz ``(..., freq, frames)`` of a linear IF ``(..., n_fft // 2, frames)``.

    A sinusoid of frequency ``f`` advances its phase by ``2 pi f hop / sample_rate`` per frame;
    bin ``k``'s phase advance is known modulo ``2 pi``, so ``f`` is recovered as the frequency
    nearest to the bin's centre ``k * sample_rate / n_fft`` with that advance (the phase
    vocoder's estimate). Exact for a steady tone whose frequency is within
    ``sample_rate / (2 * hop_length)`` of the bin's centre. Frame 0 (an absolute phase, not an
    advance) gives no frequency and holds the bin's centre.

    Raises:
        ValueError: If the frequency axis does not have ``n_fft // 2`` bins.
    """
    freq = if_unit.shape[-2] if if_unit.dim() >= 2 else -1
    if freq != n_fft // 2:
        raise ValueError(
            f"instantaneous_frequency_hz: expected (..., {n_fft // 2}, frames) for n_fft={n_fft}, "
            f"got {tuple(if_unit.shape)}"
        )
    k = torch.arange(freq, dtype=if_unit.dtype, device=if_unit.device)[:, None]
    expected = 2 * math.pi * k * hop_length / n_fft  # the centre's advance per hop
    deviation = torch.remainder(if_unit * math.pi - expected + math.pi, 2 * math.pi) - math.pi
    hz = (expected + deviation) * sample_rate / (2 * math.pi * hop_length)
    centre = (k * sample_rate / n_fft).expand_as(hz[..., :1])
    return torch.cat([centre, hz[..., 1:]], dim=-1)


def mel_weights(
    n_freqs: int, n_mels: int, sample_rate: int, f_min: float = 0.0, f_max: float | None = None
) -> torch.Tensor:
    """Mel projection ``(n_freqs, n_mels)`` of linear bins ``k * sample_rate / (2 n_freqs)``.

    Band ``m`` is a triangle centred at the ``m``-th of ``n_mels`` centres equally spaced on the
    HTK mel scale between ``f_min`` and ``f_max``, half as wide as the distance to its
    neighbours but never narrower than one linear bin (so no band is empty, even with as many
    bands as bins, GANSynth's setting); each column sums to 1, a weighted mean of the bins.
    """
    if n_freqs < 2 or n_mels < 1:
        raise ValueError(
            f"mel_weights: expected n_freqs >= 2, n_mels >= 1, got {n_freqs}, {n_mels}"
        )
    top = sample_rate / 2 if f_max is None else float(f_max)

    def to_mel(f: torch.Tensor) -> torch.Tensor:
        return 2595.0 * torch.log10(1.0 + f / 700.0)

    mels = torch.linspace(
        float(to_mel(torch.tensor(f_min))), float(to_mel(torch.tensor(top))), n_mels + 2
    )
    edges = 700.0 * (10.0 ** (mels / 2595.0) - 1.0)  # (n_mels + 2,) Hz
    centres, lower, upper = edges[1:-1], edges[:-2], edges[2:]
    bin_hz = sample_rate / (2 * n_freqs)
    freqs = torch.arange(n_freqs, dtype=torch.float64)[:, None] * bin_hz
    left = (centres - lower).clamp_min(bin_hz).double()
    right = (upper - centres).clamp_min(bin_hz).double()
    d = freqs - centres.double()
    w = torch.where(d < 0, 1.0 + d / left, 1.0 - d / right).clamp_min(0.0)
    return (w / w.sum(dim=0, keepdim=True)).float()


@register
class InstantaneousFrequency(TwoChannelSTFT):
    """Log-magnitude + instantaneous frequency: ``(..., time) <-> (..., 2, freq, frames)``.

    See :mod:`audiogan.frontends.instantaneous_frequency` for the mapping. GANSynth's features
    (4 s at 16 kHz, 2x1024x128 as ``(channels, freq, frames)``) are
    ``InstantaneousFrequency(n_fft=2048, hop_length=512, frames=128)``, and its IF-Mel model's
    ``InstantaneousFrequency(n_fft=2048, hop_length=512, frames=128, mel=True)``.

    Args:
        sample_rate: Samples per second.
        n_fft: FFT size (window length); ``freq`` is ``n_fft // 2`` (or ``n_mels``).
        hop_length: Samples between frames (at most ``n_fft // 2`` for an exact inverse).
        frames: Fixed frame count (pad or trim), or ``None`` to follow the input.
        mel: Project onto mel bands (IF-Mel).
        n_mels: Mel bands with ``mel`` (default ``n_fft // 2``, as in GANSynth).
        db_floor: dB (re a full-scale sine) mapped to -1; quieter bins decode to silence.
        db_ceil: dB mapped to +1.

    Example:
        >>> fe = InstantaneousFrequency(n_fft=256, hop_length=64, frames=32)
        >>> wave = torch.sin(2 * math.pi * 440 * torch.arange(fe.num_samples_for_frames()) / 16000)
        >>> fe.encode(wave).shape
        torch.Size([2, 128, 32])
        >>> float((fe.decode(fe.encode(wave)) - wave).abs().max()) < 1e-3
        True
    """

    def __init__(
        self,
        sample_rate: int = 16000,
        n_fft: int = 1024,
        hop_length: int = 256,
        frames: int | None = None,
        mel: bool = False,
        n_mels: int | None = None,
        db_floor: float = DB_FLOOR,
        db_ceil: float = DB_CEIL,
    ) -> None:
        super().__init__(sample_rate, n_fft, hop_length, frames)
        name = "InstantaneousFrequency"
        _check_db_range(db_floor, db_ceil, name)
        if n_mels is not None and not mel:
            raise ValueError(f"{name}: n_mels={n_mels} needs mel=True")
        bands = (n_fft // 2 if n_mels is None else int(n_mels)) if mel else n_fft // 2
        if bands < 1:
            raise ValueError(f"{name}: n_mels must be >= 1, got {n_mels}")
        self.config = {
            "sample_rate": self.sample_rate,
            "n_fft": self.n_fft,
            "hop_length": self.hop_length,
            "frames": self.frames,
            "mel": bool(mel),
            "n_mels": None if n_mels is None else int(n_mels),
            "db_floor": float(db_floor),
            "db_ceil": float(db_ceil),
        }
        self.mel = bool(mel)
        self.freq_bins = bands
        self.db_floor, self.db_ceil = float(db_floor), float(db_ceil)
        self.ref = reference_power(n_fft)
        if self.mel:
            to_mel = mel_weights(n_fft // 2, bands, sample_rate)
            self.register_buffer("to_mel", to_mel, persistent=False)  # (freq, n_mels)
            self.register_buffer("from_mel", torch.linalg.pinv(to_mel), persistent=False)

    def encode(self, wave: torch.Tensor) -> torch.Tensor:
        """Waveform ``(..., time)`` -> ``(..., 2, freq, frames)`` in [-1, 1].

        Raises:
            ValueError: If ``wave`` is not floating or has ``n_fft // 2`` samples or fewer.
        """
        spec, shapes = self.spectra(wave)  # (batch, n_fft // 2, frames) complex
        power = spec.abs().square()
        phase = spec.angle()
        if self.mel:
            power = torch.einsum("bft,fm->bmt", power, self.to_mel)
            phase = torch.einsum("bft,fm->bmt", _unwrap(phase), self.to_mel)
        mag = fix_frames(power_to_unit(power, self.ref, self.db_floor, self.db_ceil), self.frames)
        freq = fix_frames(instantaneous_frequency(phase), self.frames, 0.0)
        return unpack_leading(torch.stack([mag, freq], dim=1), shapes, "channels freq frames")

    def decode(self, features: torch.Tensor) -> torch.Tensor:
        """``(..., 2, freq, frames)`` -> waveform ``(..., (frames - 1) * hop_length)``.

        Raises:
            ValueError: If the features are not ``(..., 2, freq, frames)``.
        """
        self._check_features(features)
        packed, shapes = pack_leading(features.to(module_dtype(self)), "channels freq frames")
        unit, if_unit = packed[:, 0], packed[:, 1]
        power = unit_to_power(unit, self.ref, self.db_floor, self.db_ceil)
        power = torch.where(unit <= -1.0, torch.zeros_like(power), power)
        phase = phase_from_instantaneous_frequency(if_unit.clamp(-1.0, 1.0))
        if self.mel:
            power = torch.einsum("bmt,mf->bft", power, self.from_mel).clamp_min(0.0)
            phase = torch.einsum("bmt,mf->bft", phase, self.from_mel)
        return unpack_leading(self.istft(torch.polar(power.sqrt(), phase)), shapes, "time")

    def plot(self, features: torch.Tensor, ax: Any) -> None:
        """Draw one item's log-magnitude (channel 0) on a matplotlib Axes.

        Raises:
            ValueError: If ``features`` is not ``(2, freq, frames)``.
        """
        self.check_item(features, "plot")
        draw_spectrogram(features[:1], ax)

    def frequencies_hz(self, features: torch.Tensor) -> torch.Tensor:
        """Each bin's instantaneous frequency in Hz ``(..., freq, frames)`` (linear IF only).

        See :func:`instantaneous_frequency_hz`.

        Raises:
            ValueError: With ``mel=True`` (a mel band has no single bin centre), or features
                that do not fit.
        """
        if self.mel:
            raise ValueError("InstantaneousFrequency.frequencies_hz: needs mel=False")
        self._check_features(features, "frequencies_hz")
        return instantaneous_frequency_hz(
            features[..., 1, :, :], self.n_fft, self.hop_length, self.sample_rate
        )


def _unwrap(phase: torch.Tensor) -> torch.Tensor:
    """Phase ``(..., frames)`` unwrapped along the last axis (numpy's ``unwrap``)."""
    step = torch.remainder(phase[..., 1:] - phase[..., :-1] + math.pi, 2 * math.pi) - math.pi
    return torch.cat([phase[..., :1], phase[..., :1] + torch.cumsum(step, dim=-1)], dim=-1)
