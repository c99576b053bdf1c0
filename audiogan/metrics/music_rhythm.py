"""Temporal music metrics: empty bars and beats, qualified notes, polyphony, drum patterns.

All functions take a piano roll ``(batch, tracks, bars, steps, pitches)`` whose cells are on when
``> 0`` (bool, ``uint8``, ``{0, 1}`` or ``{-1, 1}`` floats), compute one value per sample and
track, and by default return the NaN-ignoring mean over the batch, ``(tracks,)`` float32; with
``reduce=False`` they return ``(batch, tracks)``. Bars are joined into one time axis, so a note
held across a bar line is one note.
"""

from __future__ import annotations

import numpy as np
import torch
from einops import rearrange

from audiogan.metrics.music_roll import (
    check_divides,
    flatten_time,
    note_onsets,
    reduce_batch,
    resolve_steps_per_beat,
    roll_mask,
    safe_ratio,
)


def empty_bar_rate(roll: torch.Tensor, *, reduce: bool = True) -> torch.Tensor:
    """Empty-bar rate (EB): the fraction of bars in which a track plays nothing.

    Dong et al., "MuseGAN", AAAI 2018, Sec. "Objective Metrics": "EB: ratio of empty bars (in %)".
    An all-empty roll has EB 1.

    Args:
        roll: ``(batch, tracks, bars, steps, pitches)``, on where ``> 0``.
        reduce: Average over the batch (default) or return per-sample values.

    Returns:
        ``(tracks,)`` (or ``(batch, tracks)``) in ``[0, 1]``.
    """
    on = roll_mask(roll)
    nonempty = on.any(dim=-1).any(dim=-1)  # (b, t, bars)
    return reduce_batch(1.0 - nonempty.float().mean(dim=-1), reduce)


def empty_beat_rate(
    roll: torch.Tensor, *, steps_per_beat: int | None = None, reduce: bool = True
) -> torch.Tensor:
    """Empty-beat rate: the fraction of beats in which a track plays nothing.

    The definition of muspy's ``empty_beat_rate`` (Dong et al., muspy, ISMIR 2020): number of
    empty beats divided by the number of beats. A beat is empty when no cell of the track is on
    in any of its steps, and the beats are those of the whole roll. This counts the EMPTY beats
    (pypianoroll 1.0.4 returns the non-empty fraction instead), and it differs from muspy 0.5's
    code, which marks a note's exclusive end beat as occupied and takes the piece's length from
    its last note: one voice holding C4 for steps 0-3 of a 32-step phrase (4 steps a beat) has
    7 of 8 beats empty, 0.875 here; muspy returns 0.0 (the note's beats 0 and 1 out of a piece
    two beats long). See the metrics page of the docs.

    Args:
        roll: ``(batch, tracks, bars, steps, pitches)``, on where ``> 0``.
        steps_per_beat: Steps per beat; must divide ``steps``. ``None``: ``steps // 4`` (four
            beats a bar, e.g. 4 at 16 steps per bar, 24 at MuseGAN's 96).
        reduce: Average over the batch (default) or return per-sample values.

    Returns:
        ``(tracks,)`` (or ``(batch, tracks)``) in ``[0, 1]``.
    """
    on = roll_mask(roll)
    steps = on.shape[3]
    spb = resolve_steps_per_beat(steps, steps_per_beat)
    beats = rearrange(on, "b t bars (beats s) p -> b t (bars beats) (s p)", s=spb)
    nonempty = beats.any(dim=-1)
    return reduce_batch(1.0 - nonempty.float().mean(dim=-1), reduce)


def default_min_length(steps_per_bar: int) -> int:
    """The qualified-note threshold of :func:`qualified_note_rate` for a grid, in steps.

    MuseGAN's 3 steps at 96 steps per bar (a 32nd note) scaled to ``steps_per_bar``, rounded,
    and at least 2: on a coarser grid a 32nd note is less than a step, so every note would
    qualify, and the one-step notes QN exists to catch are the shortest the grid holds. 16 steps
    per bar: 2 (an eighth note); 48: 2; 96: 3; 192: 6.

    Args:
        steps_per_bar: Steps per bar of the roll (``>= 1``).
    """
    if not isinstance(steps_per_bar, (int, np.integer)) or steps_per_bar < 1:
        raise ValueError(f"steps_per_bar: expected an integer >= 1, got {steps_per_bar!r}")
    return max(2, round(3 * int(steps_per_bar) / 96))


def qualified_note_rate(
    roll: torch.Tensor, *, min_length: int | None = None, reduce: bool = True
) -> torch.Tensor:
    """Qualified-note rate (QN): the fraction of notes at least ``min_length`` steps long.

    Dong et al., "MuseGAN", AAAI 2018: "QN: ratio of 'qualified' notes (in %). We consider a note no
    shorter than three time steps (i.e. a 32th note) as a qualified note." A note is a run of
    consecutive on-steps of the same pitch, and each note's own length is compared with
    ``min_length`` (``>=``), so a one-step note is never qualified when ``min_length > 1``. Works
    for bool, integer and float rolls alike (pypianoroll 1.0.4 fails on bool/uint8 and measures
    the wrong lengths). A note cut off by the end of the roll counts with the length it has.

    Which ``min_length``: the paper's 3 is for 96 steps per bar (3 steps = 1/32 bar). At 16 steps
    per bar that threshold is half a step, so every note would qualify; there the default is 2
    (an eighth note), the share of notes longer than a single sixteenth, which catches the
    fragmented one-step notes QN exists to detect (see :func:`default_min_length`). With 3 at 16
    steps per bar the real JSB chorales score only 0.56-0.83 per voice.

    Args:
        roll: ``(batch, tracks, bars, steps, pitches)``, on where ``> 0``.
        min_length: Shortest qualified note in steps (``>= 1``); None: follows the grid,
            ``default_min_length(steps)`` (2 at 16 steps per bar, 3 at 96).
        reduce: Average over the batch (default) or return per-sample values.

    Returns:
        ``(tracks,)`` (or ``(batch, tracks)``) in ``[0, 1]``; NaN for a sample/track with no notes.
    """
    mask = roll_mask(roll)
    if min_length is None:
        min_length = default_min_length(mask.shape[3])
    if not isinstance(min_length, (int, np.integer)) or min_length < 1:
        raise ValueError(f"min_length: expected an integer >= 1, got {min_length!r}")
    on = flatten_time(mask)  # (b, t, time, p)
    time = on.shape[2]
    onsets = note_onsets(on)
    n_notes = onsets.sum(dim=(-1, -2))
    if min_length > time:
        qualified = torch.zeros_like(n_notes)
    else:
        # window[t] = number of on-steps in [t, t + min_length): the note starting at an onset t
        # is at least min_length long iff that whole window is on.
        zero = torch.zeros_like(on[:, :, :1, :], dtype=torch.int32)
        cumulative = torch.cat([zero, on.to(torch.int32).cumsum(dim=2)], dim=2)
        window = cumulative[:, :, min_length:] - cumulative[:, :, : time - min_length + 1]
        long_start = onsets[:, :, : time - min_length + 1] & (window == min_length)
        qualified = long_start.sum(dim=(-1, -2))
    return reduce_batch(safe_ratio(qualified, n_notes), reduce)


def polyphony(roll: torch.Tensor, *, reduce: bool = True) -> torch.Tensor:
    """Polyphony: the mean number of pitches on at once, over the steps where any pitch is on.

    muspy ``polyphony`` (Dong et al., muspy, ISMIR 2020): total on-cells divided by the number of
    time steps with at least one pitch on. A monophonic track has polyphony 1.

    Args:
        roll: ``(batch, tracks, bars, steps, pitches)``, on where ``> 0``.
        reduce: Average over the batch (default) or return per-sample values.

    Returns:
        ``(tracks,)`` (or ``(batch, tracks)``) ``>= 1``; NaN for a sample/track that is all silent.
    """
    on = flatten_time(roll_mask(roll))
    per_step = on.sum(dim=-1)  # (b, t, time)
    return reduce_batch(safe_ratio(per_step.sum(dim=-1), (per_step > 0).sum(dim=-1)), reduce)


def polyphony_rate(roll: torch.Tensor, *, threshold: int = 2, reduce: bool = True) -> torch.Tensor:
    """Polyphony rate: the fraction of time steps with MORE than ``threshold`` pitches on.

    muspy ``polyphony_rate(music, threshold=2)`` (Dong et al., muspy, ISMIR 2020): steps where the
    number of pitches on is ``> threshold`` (strictly greater), divided by ALL time steps (silent
    ones included). With the default ``threshold=2`` a step counts when 3 or more pitches sound;
    use ``threshold=1`` for "two or more" (MuseGAN's code counts ``>= 2``).

    Args:
        roll: ``(batch, tracks, bars, steps, pitches)``, on where ``> 0``.
        threshold: A step counts when strictly more than this many pitches are on.
        reduce: Average over the batch (default) or return per-sample values.

    Returns:
        ``(tracks,)`` (or ``(batch, tracks)``) in ``[0, 1]``.
    """
    if not isinstance(threshold, (int, np.integer)) or threshold < 0:
        raise ValueError(f"threshold: expected an integer >= 0, got {threshold!r}")
    on = flatten_time(roll_mask(roll))
    per_step = on.sum(dim=-1)
    return reduce_batch((per_step > threshold).float().mean(dim=-1), reduce)


def drum_pattern_rate(roll: torch.Tensor, *, grid: int = 16, reduce: bool = True) -> torch.Tensor:
    """Drum-pattern rate (DP): the share of drum onsets that fall on a regular grid.

    Dong et al., "MuseGAN", AAAI 2018: "DP: ratio of notes in 8- or 16-beat patterns, common ones
    for Rock songs in 4/4 time". As in the authors' code (``metric_drum_pattern``), each bar's
    onsets are weighted by a filter that is 1 on the grid, 0.3 one step off it and 0 elsewhere
    (their ``tile([1, .3, 0, 0, 0, .3], 16)`` at 96 steps per bar), the best of all shifts of the
    filter is kept, and the score is divided by the bar's number of onsets; bars without onsets
    are skipped and the rest averaged.

    Adapted to any resolution: the grid period is ``steps // grid`` steps (6 at 96 steps and
    ``grid=16``, which is the authors' filter exactly). With period 1 every onset is on the grid
    and DP is 1 by construction; so at 16 steps per bar use ``grid=8`` (period 2, filter
    ``[1, .3]``: eighth-note pattern). Meant for a drum track: select it, e.g. ``roll[:, [9]]``,
    or read that track's entry.

    Args:
        roll: ``(batch, tracks, bars, steps, pitches)``, on where ``> 0``.
        grid: Grid positions per bar; must divide ``steps``.
        reduce: Average over the batch (default) or return per-sample values.

    Returns:
        ``(tracks,)`` (or ``(batch, tracks)``) in ``[0, 1]``; NaN for a sample/track with no onsets.
    """
    on = roll_mask(roll)
    steps = on.shape[3]
    check_divides(steps, grid, "steps per bar", "grid")
    period = steps // grid
    weights = torch.zeros(period, device=on.device)
    weights[0] = 1.0
    if period > 1:
        weights[1] = 0.3
        weights[-1] = 0.3
    onsets = note_onsets(flatten_time(on))
    per_step = rearrange(onsets.sum(dim=-1), "b t (bars steps) -> b t bars steps", steps=steps)
    histogram = rearrange(per_step, "b t bars (g k) -> b t bars g k", k=period).sum(dim=-2).float()
    # filters[s, j] = weight of grid position j when the filter is shifted by s
    filters = torch.stack([torch.roll(weights, shift) for shift in range(period)])
    best = (histogram @ filters.T).max(dim=-1).values  # (b, t, bars)
    per_bar = safe_ratio(best, histogram.sum(dim=-1))
    return reduce_batch(torch.nanmean(per_bar, dim=-1), reduce)
