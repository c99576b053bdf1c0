"""How constant a timbre stays across pitches: harmonic profiles of notes of one latent.

GANSynth holds a latent fixed and changes the pitch label to play one instrument across a
keyboard. :func:`harmonic_profile` describes a note's timbre independently of its pitch: the
levels of its first ``num_harmonics`` harmonics (read from the magnitude spectrum of its
loudest stretch at multiples of the known fundamental), in dB re the strongest, clipped at
-60 dB. :func:`timbre_constancy` compares notes of the same latent at different pitches with
notes of different latents at the same pitch: the mean profile distance within a latent, the
mean between latents, and their ratio (below 1: each latent keeps its own timbre across
pitches; about 1: the pitch label, not the latent, decides the timbre).
"""

from __future__ import annotations

import math

import torch

__all__ = ["harmonic_profile", "timbre_constancy"]


def harmonic_profile(
    waves: torch.Tensor,
    pitches: torch.Tensor,
    sample_rate: int,
    num_harmonics: int = 8,
    window: int = 4096,
) -> torch.Tensor:
    """Levels of the first harmonics of each note, in dB re its strongest, ``(batch, K)``.

    Args:
        waves: Notes ``(batch, time)``.
        pitches: Their MIDI pitches ``(batch,)`` (the fundamentals).
        sample_rate: Samples per second.
        num_harmonics: ``K``; harmonics at or above Nyquist read -60 dB.
        window: Samples of the Hann-windowed stretch analysed, starting where the note is
            loudest (a note shorter than this is zero-padded).

    Raises:
        ValueError: If the shapes do not match.
    """
    if waves.dim() != 2 or pitches.shape != (waves.shape[0],):
        raise ValueError(
            f"harmonic_profile: expected waves (batch, time) and pitches (batch,), got "
            f"{tuple(waves.shape)} and {tuple(pitches.shape)}"
        )
    x = waves.double()
    if x.shape[1] < window:
        x = torch.nn.functional.pad(x, (0, window - x.shape[1]))
    energy = x.square().unfold(1, window, window // 4).sum(-1)  # (batch, hops)
    start = energy.argmax(dim=1) * (window // 4)
    idx = start[:, None] + torch.arange(window)[None]
    segment = x.gather(1, idx) * torch.hann_window(window, dtype=x.dtype)
    spectrum = torch.fft.rfft(segment, 4 * window).abs()  # zero-padded: finer bins
    f0 = 440.0 * 2.0 ** ((pitches.double() - 69) / 12)
    k = torch.arange(1, num_harmonics + 1, dtype=x.dtype)
    hz = f0[:, None] * k[None]
    bins = (hz * 4 * window / sample_rate).round().long()
    valid = hz < sample_rate / 2
    bins = bins.clamp(max=spectrum.shape[1] - 1)
    # the peak within +-3 % of each harmonic's frequency
    spread = (bins.double() * 0.03).ceil().long().clamp_min(1)
    offsets = torch.arange(-int(spread.max()), int(spread.max()) + 1)
    around = (bins[..., None] + offsets).clamp(0, spectrum.shape[1] - 1)
    inside = offsets.abs()[None, None] <= spread[..., None]
    levels = spectrum[:, None, :].expand(-1, num_harmonics, -1).gather(2, around)
    levels = torch.where(inside, levels, torch.zeros_like(levels)).amax(-1)
    db = 20 * torch.log10(levels.clamp_min(1e-12))
    db = db - db.masked_fill(~valid, -math.inf).amax(dim=1, keepdim=True)
    return db.clamp(-60.0, 0.0).masked_fill(~valid, -60.0).float()


def timbre_constancy(
    waves: torch.Tensor, pitches: torch.Tensor, sample_rate: int, num_harmonics: int = 8
) -> dict[str, float]:
    """Profile distances within and between latents of notes ``(latents, pitches, time)``.

    Args:
        waves: ``waves[i, j]`` is latent ``i`` at ``pitches[j]``; at least 2 latents and 2
            pitches.
        pitches: MIDI pitches ``(pitches,)``.
        sample_rate: Samples per second.
        num_harmonics: Harmonics in each profile.

    Returns:
        ``within``: the mean distance (dB, RMS over the harmonics) between the pitches of one
        latent; ``between``: the mean distance between latents at one pitch; ``ratio``:
        ``within / between``.

    Raises:
        ValueError: For fewer than 2 latents or pitches, or mismatched shapes.
    """
    if waves.dim() != 3 or waves.shape[0] < 2 or waves.shape[1] < 2:
        raise ValueError(
            f"timbre_constancy: expected waves (latents >= 2, pitches >= 2, time), got {tuple(waves.shape)}"
        )
    if pitches.shape != (waves.shape[1],):
        raise ValueError(
            f"timbre_constancy: expected pitches ({waves.shape[1]},), got {tuple(pitches.shape)}"
        )
    n_lat, n_pitch = waves.shape[:2]
    profiles = harmonic_profile(
        waves.reshape(n_lat * n_pitch, -1), pitches.repeat(n_lat), sample_rate, num_harmonics
    ).reshape(n_lat, n_pitch, -1)

    def mean_pairwise(x: torch.Tensor) -> float:  # x: (groups, members, K)
        d = (x[:, :, None] - x[:, None]).square().mean(-1).sqrt()  # (groups, m, m)
        m = x.shape[1]
        return float(d.sum() / (x.shape[0] * m * (m - 1)))

    within = mean_pairwise(profiles)
    between = mean_pairwise(profiles.transpose(0, 1))
    return {"within": within, "between": between, "ratio": within / max(between, 1e-12)}
