"""Objective metrics for generated symbolic music, on binarized piano rolls.

The metrics of the MuseGAN paper (Dong, Hsiao, Yang & Yang, "MuseGAN: Multi-track Sequential
Generative Adversarial Networks for Symbolic Music Generation and Accompaniment", AAAI 2018) and of
the muspy toolkit (Dong, Chen, McAuley & Berg-Kirkpatrick, ISMIR 2020), computed in batches on CPU
or CUDA.

Conventions shared by every function:

* Input: a piano roll ``(batch, tracks, bars, steps, pitches)``. A cell is *on* when its value is
  ``> 0``: bool, ``uint8``/integer ``{0, 1}`` and float ``{0, 1}`` or ``{-1, 1}`` rolls all work.
* ``lowest_pitch`` is the MIDI number of pitch index 0; pitch classes are
  ``(index + lowest_pitch) % 12`` (true pitch classes: a C-major triad is 3 classes and C in four
  octaves is 1 class, unlike the published MuseGAN/pypianoroll code).
* A note is a run of consecutive on-steps of one pitch, bars joined into one time axis.
* Each function returns one value per track, averaged over the batch ignoring NaN, ``(tracks,)``
  (``reduce=False``: ``(batch, tracks)``). A value is NaN where it is undefined (e.g. UPC of a
  track whose bars are all empty, QN of a track with no notes).

Example:
    Random rolls ``(batch, tracks, bars, steps, pitches)`` stand in for real and generated ones:

    >>> import torch
    >>> from audiogan.metrics.music import format_music_report, music_report
    >>> real = torch.rand(4, 2, 2, 16, 48) > 0.97
    >>> fake = torch.rand(4, 2, 2, 16, 48) > 0.9
    >>> report = music_report(real, fake, ["soprano", "bass"], lowest_pitch=36)
    >>> report["empty_bar_rate"]["soprano"]  # {"real": ..., "fake": ...} per metric and column
    {'real': 0.0, 'fake': 0.0}
    >>> table = format_music_report(report)  # one row per metric, real | fake per track
    >>> print(table.splitlines()[2])
    empty bars (EB)            0.000   0.000    0.000   0.000    0.000   0.000
"""

from __future__ import annotations

from audiogan.metrics.music_pitch import (
    n_pitches_used,
    pitch_class_entropy,
    pitch_range,
    scale_consistency,
    used_pitch_classes,
)
from audiogan.metrics.music_report import (
    MIX_COLUMN,
    MIX_NOTE,
    MUSIC_METRIC_LABELS,
    format_music_report,
    music_report,
)
from audiogan.metrics.music_rhythm import (
    default_min_length,
    drum_pattern_rate,
    empty_bar_rate,
    empty_beat_rate,
    polyphony,
    polyphony_rate,
    qualified_note_rate,
)
from audiogan.metrics.music_roll import roll_mask
from audiogan.metrics.music_tonal import tonal_centroid, tonal_distance, tonal_matrix

__all__ = [
    "MIX_COLUMN",
    "MIX_NOTE",
    "MUSIC_METRIC_LABELS",
    "default_min_length",
    "roll_mask",
    "drum_pattern_rate",
    "empty_bar_rate",
    "empty_beat_rate",
    "format_music_report",
    "music_report",
    "n_pitches_used",
    "pitch_class_entropy",
    "pitch_range",
    "polyphony",
    "polyphony_rate",
    "qualified_note_rate",
    "scale_consistency",
    "tonal_centroid",
    "tonal_distance",
    "tonal_matrix",
    "used_pitch_classes",
]
