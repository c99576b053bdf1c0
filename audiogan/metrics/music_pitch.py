"""Pitch music metrics: used pitch classes, pitch range, pitches used, entropy, scale consistency.

All functions take a piano roll ``(batch, tracks, bars, steps, pitches)`` whose cells are on when
``> 0``, compute one value per sample and track, and by default return the NaN-ignoring mean over
the batch, ``(tracks,)`` float32; with ``reduce=False`` they return ``(batch, tracks)``. Pitch
classes are ``(pitch index + lowest_pitch) % 12``, the true pitch classes (the MuseGAN and
pypianoroll 1.0.4 code sum blocks of adjacent semitones instead).
"""

from __future__ import annotations

import math

import torch

from audiogan.metrics.music_roll import (
    flatten_time,
    note_onsets,
    pitch_class_matrix,
    reduce_batch,
    roll_mask,
    safe_ratio,
    scale_masks,
)


def used_pitch_classes(
    roll: torch.Tensor, *, lowest_pitch: int = 0, reduce: bool = True
) -> torch.Tensor:
    """Used pitch classes per bar (UPC), averaged over the NON-EMPTY bars.

    Dong et al., "MuseGAN", AAAI 2018: "UPC: number of used pitch classes per bar (from 0 to 12)".
    As in the authors' evaluation, empty bars are left out of the average (so UPC is not pulled to
    0 by rests; EB reports those). A C-major triad counts 3 classes; C in four octaves counts 1.

    Args:
        roll: ``(batch, tracks, bars, steps, pitches)``, on where ``> 0``.
        lowest_pitch: MIDI number of pitch index 0.
        reduce: Average over the batch (default) or return per-sample values.

    Returns:
        ``(tracks,)`` (or ``(batch, tracks)``) in ``[1, 12]``; NaN for a sample/track whose bars are
        all empty.
    """
    on = roll_mask(roll)
    classes = pitch_class_matrix(on.shape[-1], lowest_pitch, on.device)
    used = on.any(dim=3).float() @ classes > 0  # (b, t, bars, 12)
    per_bar = used.sum(dim=-1)
    nonempty = per_bar > 0
    return reduce_batch(safe_ratio(per_bar.sum(dim=-1), nonempty.sum(dim=-1)), reduce)


def pitch_range(roll: torch.Tensor, *, reduce: bool = True) -> torch.Tensor:
    """Pitch range: highest minus lowest pitch played, in semitones.

    muspy ``pitch_range`` (Dong et al., muspy, ISMIR 2020).

    Args:
        roll: ``(batch, tracks, bars, steps, pitches)``, on where ``> 0``.
        reduce: Average over the batch (default) or return per-sample values.

    Returns:
        ``(tracks,)`` (or ``(batch, tracks)``) ``>= 0``; NaN for a sample/track with no notes.
    """
    on = roll_mask(roll)
    n_pitches = on.shape[-1]
    used = on.any(dim=3).any(dim=2)  # (b, t, p)
    index = torch.arange(n_pitches, device=on.device)
    highest = torch.where(used, index, -1).max(dim=-1).values
    lowest = torch.where(used, index, n_pitches).min(dim=-1).values
    span = (highest - lowest).float()
    return reduce_batch(torch.where(used.any(dim=-1), span, float("nan")), reduce)


def n_pitches_used(roll: torch.Tensor, *, reduce: bool = True) -> torch.Tensor:
    """Number of distinct pitches played.

    muspy ``n_pitches_used`` (Dong et al., muspy, ISMIR 2020); 0 for a silent track.

    Args:
        roll: ``(batch, tracks, bars, steps, pitches)``, on where ``> 0``.
        reduce: Average over the batch (default) or return per-sample values.

    Returns:
        ``(tracks,)`` (or ``(batch, tracks)``) in ``[0, pitches]``.
    """
    on = roll_mask(roll)
    return reduce_batch(on.any(dim=3).any(dim=2).sum(dim=-1).float(), reduce)


def pitch_class_entropy(
    roll: torch.Tensor, *, lowest_pitch: int = 0, reduce: bool = True
) -> torch.Tensor:
    """Pitch-class entropy: Shannon entropy (bits) of the histogram of notes by pitch class.

    muspy ``pitch_class_entropy`` (Dong et al., muspy, ISMIR 2020; after Wu & Yang, ISMIR 2020):
    ``-sum_c P(c) log2 P(c)`` where ``P(c)`` is the fraction of NOTES (not time steps) of pitch
    class ``c``. 0 for one pitch class, ``log2(12)`` for all twelve equally often.

    Args:
        roll: ``(batch, tracks, bars, steps, pitches)``, on where ``> 0``.
        lowest_pitch: MIDI number of pitch index 0.
        reduce: Average over the batch (default) or return per-sample values.

    Returns:
        ``(tracks,)`` (or ``(batch, tracks)``) in ``[0, log2 12]``; NaN for a sample/track with no
        notes.
    """
    histogram = _note_class_histogram(roll, lowest_pitch)  # (b, t, 12)
    total = histogram.sum(dim=-1, keepdim=True)
    prob = safe_ratio(histogram, total.expand_as(histogram))
    entropy = -torch.special.xlogy(prob, prob).sum(dim=-1) / math.log(2.0)
    return reduce_batch(entropy, reduce)


def scale_consistency(
    roll: torch.Tensor, *, lowest_pitch: int = 0, reduce: bool = True
) -> torch.Tensor:
    """Scale consistency: the largest fraction of notes that fit one major or minor scale.

    muspy ``scale_consistency`` (Dong et al., muspy, ISMIR 2020; after Mogren, C-RNN-GAN, 2016): the
    maximum over the 24 major and natural-minor scales of the fraction of notes whose pitch class is
    in the scale (MuseGAN's "in scale" metric, best key). A C-major scale scores 1.

    Args:
        roll: ``(batch, tracks, bars, steps, pitches)``, on where ``> 0``.
        lowest_pitch: MIDI number of pitch index 0.
        reduce: Average over the batch (default) or return per-sample values.

    Returns:
        ``(tracks,)`` (or ``(batch, tracks)``) in ``[7/12, 1]``; NaN for a sample/track with no notes.
    """
    histogram = _note_class_histogram(roll, lowest_pitch)
    in_scale = histogram @ scale_masks(histogram.device).T  # (b, t, 24)
    best = in_scale.max(dim=-1).values
    return reduce_batch(safe_ratio(best, histogram.sum(dim=-1)), reduce)


def _note_class_histogram(roll: torch.Tensor, lowest_pitch: int) -> torch.Tensor:
    """Count notes (runs of on-steps) by pitch class: ``(batch, tracks, 12)`` float32."""
    on = roll_mask(roll)
    classes = pitch_class_matrix(on.shape[-1], lowest_pitch, on.device)
    per_pitch = note_onsets(flatten_time(on)).sum(dim=2).float()  # (b, t, p)
    return per_pitch @ classes
