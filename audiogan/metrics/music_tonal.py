"""Tonal distance between tracks (Harte, Sandler & Gasser 2006 tonal centroid), as in MuseGAN."""

from __future__ import annotations

import math

import torch
from einops import rearrange

from audiogan.metrics.music_roll import (
    pitch_class_matrix,
    reduce_batch,
    resolve_steps_per_beat,
    roll_mask,
    safe_ratio,
)


def tonal_matrix(
    radii: tuple[float, float, float] = (1.0, 1.0, 0.5), device: torch.device | str | None = None
) -> torch.Tensor:
    """The 6 x 12 matrix that maps a chroma vector to its tonal centroid (Harte et al. 2006).

    Rows are ``r1 sin(k 7pi/6), r1 cos(k 7pi/6)`` (circle of fifths), ``r2 sin(k 3pi/2),
    r2 cos(k 3pi/2)`` (minor thirds), ``r3 sin(k 2pi/3), r3 cos(k 2pi/3)`` (major thirds) for pitch
    class ``k = 0..11``, with radii ``(1, 1, 0.5)``: "Detecting harmonic change in musical audio",
    ACM AMCMM 2006, used by MuseGAN's ``get_tonal_matrix``.

    Returns:
        ``(6, 12)`` float32.
    """
    k = torch.arange(12, dtype=torch.float64)
    rows = []
    for radius, angle in zip(
        radii, (7.0 * math.pi / 6.0, 3.0 * math.pi / 2.0, 2.0 * math.pi / 3.0), strict=True
    ):
        rows += [radius * torch.sin(k * angle), radius * torch.cos(k * angle)]
    return torch.stack(rows).float().to(device)


def tonal_centroid(chroma: torch.Tensor) -> torch.Tensor:
    """Tonal centroid of chroma vectors, each L1-normalised first.

    Args:
        chroma: ``(..., 12)`` non-negative pitch-class weights.

    Returns:
        ``(..., 6)``; NaN where a chroma vector sums to 0 (no note: no tonal centre).
    """
    if chroma.shape[-1] != 12:
        raise ValueError(
            f"chroma: expected shape (..., 12) (..., pitch classes), got {tuple(chroma.shape)}"
        )
    chroma = chroma.float()
    normalised = safe_ratio(chroma, chroma.sum(dim=-1, keepdim=True).expand_as(chroma))
    return normalised @ tonal_matrix(device=chroma.device).T


def tonal_distance(
    roll: torch.Tensor,
    *,
    lowest_pitch: int = 0,
    steps_per_beat: int | None = None,
    reduce: bool = True,
) -> torch.Tensor:
    """Tonal distance (TD) between every pair of tracks: lower means more harmonious.

    Dong et al., "MuseGAN", AAAI 2018: "TD: tonal distance [Harte et al. 2006]. It measures the
    harmonicity between a pair of tracks." As in the authors' code (``metrics_harmonicity``): for
    each beat, each track's chroma (on-cells summed over the beat's steps, by TRUE pitch class
    ``(index + lowest_pitch) % 12``) is L1-normalised and mapped to its 6-d tonal centroid
    (:func:`tonal_matrix`); TD is the euclidean distance between the two tracks' centroids,
    averaged over the beats where both tracks play (beats where either is silent are skipped).
    A track's distance to itself is 0.

    Args:
        roll: ``(batch, tracks, bars, steps, pitches)``, on where ``> 0``.
        lowest_pitch: MIDI number of pitch index 0.
        steps_per_beat: Steps per beat; must divide ``steps``. ``None``: ``steps // 4`` (MuseGAN:
            24 of 96).
        reduce: Average over the batch (default) or return per-sample values.

    Returns:
        ``(tracks, tracks)`` (or ``(batch, tracks, tracks)``) symmetric, entry ``[i, j]`` the
        distance between tracks ``i`` and ``j``; NaN where the two never play in the same beat.
    """
    on = roll_mask(roll)
    spb = resolve_steps_per_beat(on.shape[3], steps_per_beat)
    classes = pitch_class_matrix(on.shape[-1], lowest_pitch, on.device)
    beats = rearrange(on, "b t bars (beats s) p -> b t (bars beats) s p", s=spb)
    chroma = beats.sum(dim=-2).float() @ classes  # (b, t, beats, 12)
    centroid = tonal_centroid(chroma)  # (b, t, beats, 6)
    diff = centroid.unsqueeze(2) - centroid.unsqueeze(1)  # (b, t, t, beats, 6)
    distance = diff.square().sum(dim=-1).sqrt()
    return reduce_batch(torch.nanmean(distance, dim=-1), reduce)
