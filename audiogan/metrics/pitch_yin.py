"""YIN pitch estimation (de Cheveigné & Kawahara 2002) and note-level pitch accuracy.

An independent pitch estimator for generated notes: it knows nothing of any GAN, needs no
weights, and runs batched on any device. Per frame of ``frame_length`` samples (hop
``hop_length``, the first frame starting at sample 0):

1. the difference function ``d(tau) = sum_j (x_j - x_{j+tau})^2`` over the frame, for lags up
   to ``sample_rate / f_min`` (computed with an FFT cross-correlation and running energies);
2. the cumulative mean normalized difference ``d'(tau) = d(tau) * tau / sum_{k<=tau} d(k)``;
3. the first lag at least ``sample_rate / f_max`` where ``d'`` dips below ``threshold``, moved
   to the bottom of that dip (else the global minimum: such frames are unvoiced);
4. parabolic interpolation of ``d'`` around that lag; ``f0 = sample_rate / lag``.

A frame is voiced when its ``d'`` minimum is below ``threshold`` and its RMS is above
``silence_db`` (dB re full scale). :func:`note_pitch` takes the median f0 of a note's voiced
frames as its MIDI pitch; :func:`pitch_accuracy` counts notes within ``tolerance`` semitones of
the wanted pitch, the measure GANSynth's paper reports with a pitch classifier (here YIN, which
no model trained).
"""

from __future__ import annotations

import math

import torch

from audiogan.frontends.base import pack_leading, unpack_leading

__all__ = ["hz_to_midi", "note_pitch", "pitch_accuracy", "yin_pitch"]


def hz_to_midi(hz: torch.Tensor) -> torch.Tensor:
    """MIDI pitch (69 = 440 Hz, fractional) of frequencies in Hz; NaN where ``hz`` <= 0 or NaN."""
    hz = torch.as_tensor(hz, dtype=torch.float32)
    return torch.where(hz > 0, 69.0 + 12.0 * torch.log2(hz.clamp_min(1e-6) / 440.0), math.nan)


def yin_pitch(
    wave: torch.Tensor,
    sample_rate: int,
    *,
    f_min: float = 50.0,
    f_max: float = 2000.0,
    frame_length: int | None = None,
    hop_length: int = 256,
    threshold: float = 0.15,
    silence_db: float = -50.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Frame-wise f0 of ``wave (..., time)`` by YIN.

    Args:
        wave: Floating waveform ``(..., time)``, at least ``frame_length + sample_rate / f_min``
            samples.
        sample_rate: Samples per second.
        f_min: Lowest f0 searched (sets the longest lag).
        f_max: Highest f0 searched (sets the shortest lag).
        frame_length: Samples per frame (default: the next power of 2 above
            ``2 * sample_rate / f_min``, two periods of the lowest f0).
        hop_length: Samples between frames.
        threshold: YIN's absolute threshold on ``d'``.
        silence_db: Frames quieter than this (RMS, dB re full scale) are unvoiced.

    Returns:
        ``(f0 (..., frames) in Hz, NaN where unvoiced; aperiodicity (..., frames))``, the
        aperiodicity being ``d'`` at the chosen lag (0: perfectly periodic).

    Raises:
        ValueError: For a non-floating wave, bad frequencies or a wave too short for a frame.
    """
    if not isinstance(wave, torch.Tensor) or not wave.is_floating_point() or wave.dim() < 1:
        raise ValueError("yin_pitch: expected a floating waveform (..., time)")
    if not 0 < f_min < f_max <= sample_rate / 2:
        raise ValueError(
            f"yin_pitch: expected 0 < f_min < f_max <= sample_rate / 2, got {f_min}, {f_max}"
        )
    tau_max = int(math.ceil(sample_rate / f_min))
    tau_min = max(2, int(math.floor(sample_rate / f_max)))
    window = frame_length or 1 << int(math.ceil(math.log2(2 * tau_max)))
    span = window + tau_max
    if wave.shape[-1] < span:
        raise ValueError(
            f"yin_pitch: expected at least {span} samples (frame_length {window} + the longest "
            f"lag {tau_max}), got {wave.shape[-1]}"
        )
    packed, shapes = pack_leading(wave.double(), "time")
    frames = packed.unfold(-1, span, hop_length)  # (batch, n_frames, span)
    head = frames[..., :window]
    size = 1 << int(math.ceil(math.log2(2 * span)))
    spec = torch.fft.rfft(frames, size) * torch.fft.rfft(head, size).conj()
    corr = torch.fft.irfft(spec, size)[..., : tau_max + 1]  # r(tau), (batch, n_frames, lags)
    energy = torch.cumsum(frames.square(), dim=-1)
    energy = torch.cat([torch.zeros_like(energy[..., :1]), energy], dim=-1)
    lags = torch.arange(tau_max + 1, device=wave.device)
    e_tau = energy[..., lags + window] - energy[..., lags]  # sum_{j=tau}^{tau+W-1} x_j^2
    diff = (energy[..., window : window + 1] + e_tau - 2 * corr).clamp_min(0.0)
    running = torch.cumsum(diff[..., 1:], dim=-1)
    cmnd = torch.ones_like(diff)
    cmnd[..., 1:] = diff[..., 1:] * lags[1:] / running.clamp_min(1e-12)
    cmnd[..., :tau_min] = math.inf
    below = cmnd < threshold
    has_dip = below.any(dim=-1)
    first = torch.where(has_dip, below.double().argmax(dim=-1), cmnd.argmin(dim=-1))
    # walk down to the bottom of the dip: the first lag after `first` where d' rises again
    tau = first.clone()
    for _ in range(tau_max):  # bounded walk; stops as soon as no frame moves
        nxt = (tau + 1).clamp(max=tau_max)
        here = cmnd.gather(-1, tau[..., None])[..., 0]
        step = (cmnd.gather(-1, nxt[..., None])[..., 0] < here) & (nxt > tau)
        if not bool(step.any()):
            break
        tau = torch.where(step, nxt, tau)
    # parabolic interpolation around tau
    lo = (tau - 1).clamp(min=1)
    hi = (tau + 1).clamp(max=tau_max)
    y0 = cmnd.gather(-1, lo[..., None])[..., 0]
    y1 = cmnd.gather(-1, tau[..., None])[..., 0]
    y2 = cmnd.gather(-1, hi[..., None])[..., 0]
    denom = y0 - 2 * y1 + y2
    shift = torch.where(
        (denom.abs() > 1e-12) & torch.isfinite(denom) & (lo < tau) & (tau < hi),
        0.5 * (y0 - y2) / denom,
        torch.zeros_like(denom),
    ).clamp(-1.0, 1.0)
    f0 = sample_rate / (tau.double() + shift)
    rms = head.square().mean(dim=-1).sqrt()
    loud = 20 * torch.log10(rms.clamp_min(1e-12)) > silence_db
    voiced = has_dip & loud
    f0 = torch.where(voiced, f0, torch.full_like(f0, math.nan)).float()
    aperiodicity = y1.clamp(max=1.0).float()
    return (
        unpack_leading(f0, shapes, "frames"),
        unpack_leading(aperiodicity, shapes, "frames"),
    )


def note_pitch(wave: torch.Tensor, sample_rate: int, **yin_options: float) -> torch.Tensor:
    """The MIDI pitch (fractional) of each note ``(..., time)``: the median over its voiced
    frames of :func:`yin_pitch`; NaN for a note with no voiced frame. Returns ``(...)``."""
    f0, _ = yin_pitch(wave, sample_rate, **yin_options)  # type: ignore[arg-type]
    return torch.nanmedian(hz_to_midi(f0), dim=-1).values


def pitch_accuracy(
    waves: torch.Tensor,
    pitches: torch.Tensor,
    sample_rate: int,
    tolerance: float = 0.5,
    **yin_options: float,
) -> float:
    """Share of notes ``waves (batch, time)`` whose YIN pitch is within ``tolerance``
    semitones of ``pitches (batch,)`` (MIDI); a note with no voiced frame counts as wrong.

    Raises:
        ValueError: If the shapes do not match.
    """
    if waves.dim() != 2 or pitches.shape != (waves.shape[0],):
        raise ValueError(
            f"pitch_accuracy: expected waves (batch, time) and pitches (batch,), got "
            f"{tuple(waves.shape)} and {tuple(pitches.shape)}"
        )
    if waves.shape[0] == 0:
        return math.nan
    found = note_pitch(waves, sample_rate, **yin_options)
    hits = (found - pitches.to(found)).abs() <= tolerance  # NaN compares False
    return float(hits.float().mean())
