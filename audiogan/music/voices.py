"""Voices of a piano roll: note activity -> one monophonic pitch per track and step, in range.

The one set of rules :class:`~audiogan.frontends.PianoRoll` and
:class:`~audiogan.data.MidiFolder` map instruments (parts) to a roll's tracks with
(:func:`assign_voices`), and the one way they bring pitches into the roll's range
(:func:`fit_range`). Activity is ``(time, 128)`` bool, True where a MIDI pitch sounds; a pitch
grid is ``(time, tracks)`` float32 MIDI numbers, NaN for a rest.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

MIDI_PITCHES = 128
FEWER_TRACKS = ("silent", "split", "skip")
MORE_TRACKS = ("first", "raise")
OUT_OF_RANGE = ("octave", "drop", "raise")


def note_activity(
    starts: np.ndarray, ends: np.ndarray, pitches: np.ndarray, num_steps: int
) -> np.ndarray:
    """Notes on a step grid -> ``(num_steps, 128)`` bool activity (notes past the end are cut).

    Args:
        starts: ``(notes,)`` int onsets in steps.
        ends: ``(notes,)`` int offsets in steps (exclusive).
        pitches: ``(notes,)`` int MIDI numbers 0..127.
        num_steps: Length of the grid.
    """
    active = np.zeros((num_steps, MIDI_PITCHES), dtype=bool)
    for s, e, p in zip(starts.tolist(), ends.tolist(), pitches.tolist(), strict=True):
        active[max(s, 0) : min(e, num_steps), p] = True
    return active


def highest_pitch(active: np.ndarray) -> np.ndarray:
    """``(time, 128)`` activity -> ``(time,)`` float32 highest sounding MIDI pitch, NaN if none."""
    top = MIDI_PITCHES - 1 - np.argmax(active[:, ::-1], axis=1)
    return np.where(active.any(axis=1), top, np.nan).astype(np.float32)


def split_by_pitch(active: np.ndarray, tracks: int) -> np.ndarray:
    """Split polyphonic note activity into voices by pitch order at each step.

    The highest sounding note goes to track 0, the next ones to tracks 1, 2, ..., and the
    lowest always to the last track: two notes fill the first and the last track, one note the
    first; more than ``tracks`` notes drop the inner ones beyond ``tracks - 1`` from the top.

    Args:
        active: ``(time, 128)`` bool, True where a MIDI pitch sounds.
        tracks: Voices to make.

    Returns:
        ``(time, tracks)`` float32 pitch grid: MIDI numbers, NaN for a rest.

    Raises:
        ValueError: If ``active`` is not ``(time, 128)`` or ``tracks < 1``.
    """
    if active.ndim != 2 or active.shape[1] != MIDI_PITCHES:
        raise ValueError(f"active: expected shape (time, 128), got {active.shape}")
    if tracks < 1:
        raise ValueError(f"tracks must be a positive integer, got {tracks}")
    time = active.shape[0]
    ranked = np.sort(np.where(active, np.arange(MIDI_PITCHES), -1), axis=1)[:, ::-1]
    count = active.sum(axis=1)
    grid = np.full((time, tracks), np.nan, dtype=np.float32)
    if tracks == 1:
        grid[:, 0] = np.where(count > 0, ranked[:, 0], np.nan)
        return grid
    top_voices = np.where(count >= 2, np.minimum(count - 1, tracks - 1), count)
    for k in range(tracks - 1):
        grid[:, k] = np.where(k < top_voices, ranked[:, k], np.nan)
    lowest = ranked[np.arange(time), np.maximum(count - 1, 0)]
    grid[:, tracks - 1] = np.where(count >= 2, lowest, np.nan)
    return grid


def _in_order(active: Sequence[np.ndarray], time: int, tracks: int) -> np.ndarray:
    """Instrument ``i`` -> track ``i`` (its highest pitch); missing tracks silent."""
    grid = np.full((time, tracks), np.nan, dtype=np.float32)
    for k, act in enumerate(active[:tracks]):
        grid[:, k] = highest_pitch(act)
    return grid


def assign_voices(
    active: Sequence[np.ndarray],
    names: Sequence[str],
    track_names: Sequence[str],
    *,
    select: Sequence[int] | None = None,
    fewer_tracks: str = "silent",
    more_tracks: str = "first",
    source: str = "the piece",
) -> np.ndarray:
    """Map instruments to a roll's tracks, one monophonic pitch per track and step.

    The first rule that applies:

    - *Chosen*: ``select`` gives the instruments of tracks 0, 1, ... by index.
    - *By name* (case-insensitive, names distinct), when every instrument's name is one of
      ``track_names`` (files written by :meth:`PianoRoll.save` read back track for track, a
      silent track being absent from the file) or every track name is an instrument's (a
      chorale's Soprano, Alto, Tenor and Bass parts; other parts, such as a horn, dropped).
    - *One instrument* is split into voices by pitch order (:func:`split_by_pitch`).
    - *In order*: instrument ``i`` -> track ``i``. More instruments than tracks: the first
      ones (``more_tracks="first"``) or a ValueError (``"raise"``). Fewer: the remaining
      tracks are silent (``fewer_tracks="silent"``), all instruments are merged and split by
      pitch order (``"split"``), or a ValueError (``"skip"``: the caller skips the piece).

    A track that gets a polyphonic instrument keeps its highest sounding pitch at each step.

    Args:
        active: One ``(time, 128)`` bool activity per instrument, all of one length.
        names: One name per instrument.
        track_names: The roll's track names (their number is the number of tracks).
        select: Instrument indices, in track order (at most one per track).
        fewer_tracks: ``"silent"``, ``"split"`` or ``"skip"``.
        more_tracks: ``"first"`` or ``"raise"``.
        source: Name of the piece, for error messages.

    Returns:
        ``(time, tracks)`` float32 pitch grid, NaN for a rest.

    Raises:
        ValueError: For a bad ``select``, an unknown policy, or as the policies say.
    """
    tracks = len(track_names)
    if fewer_tracks not in FEWER_TRACKS:
        raise ValueError(f"fewer_tracks must be one of {FEWER_TRACKS}, got {fewer_tracks!r}")
    if more_tracks not in MORE_TRACKS:
        raise ValueError(f"more_tracks must be one of {MORE_TRACKS}, got {more_tracks!r}")
    if len(names) != len(active):
        raise ValueError(f"names: expected {len(active)} (one per instrument), got {len(names)}")
    time = active[0].shape[0] if active else 0
    if select is not None:
        if len(select) > tracks:
            raise ValueError(f"instruments: at most {tracks} indices, got {len(select)}")
        bad = [i for i in select if not 0 <= i < len(active)]
        if bad:
            raise ValueError(f"{source}: has {len(active)} instruments/parts, no index {bad[0]}")
        return _in_order([active[i] for i in select], time, tracks)
    wanted = [n.lower() for n in track_names]
    lowered = [n.strip().lower() for n in names]
    if (
        active
        and len(set(lowered)) == len(lowered)
        and (all(n in wanted for n in lowered) or all(w in lowered for w in wanted))
    ):
        grid = np.full((time, tracks), np.nan, dtype=np.float32)
        for n, act in zip(lowered, active, strict=True):
            if n in wanted:
                grid[:, wanted.index(n)] = highest_pitch(act)
        return grid
    if len(active) == 1:
        return split_by_pitch(active[0], tracks)
    if len(active) > tracks and more_tracks == "raise":
        raise ValueError(
            f"{source}: has {len(active)} instruments/parts but the piano roll has {tracks} "
            f"tracks; pass instruments=[...] to choose which ones"
        )
    if len(active) < tracks:
        if fewer_tracks == "skip":
            raise ValueError(
                f"{len(active)} pitched instruments, fewer than the roll's {tracks} tracks "
                f'(fewer_tracks="skip")'
            )
        if fewer_tracks == "split":
            return split_by_pitch(np.logical_or.reduce(active), tracks)
    return _in_order(active, time, tracks)


def fit_range(
    grid: np.ndarray,
    low: int,
    high: int,
    policy: str = "octave",
    source: str = "the piece",
) -> np.ndarray:
    """Bring the pitches of a grid into ``low..high``.

    Args:
        grid: ``(time, tracks)`` MIDI numbers, NaN for a rest.
        low: Lowest pitch kept.
        high: Highest pitch kept.
        policy: ``"octave"`` moves a pitch outside the range by octaves into it (needs
            ``high - low >= 11``), ``"drop"`` makes it a rest, ``"raise"`` raises.
        source: Name of the piece, for error messages.

    Returns:
        ``(time, tracks)`` float32, every sounding pitch in ``low..high``.

    Raises:
        ValueError: For an unknown policy, ``"octave"`` with fewer than 12 pitches, or with
            ``"raise"`` a pitch outside the range (the message names the track and pitch).
    """
    if policy not in OUT_OF_RANGE:
        raise ValueError(f"out_of_range must be one of {OUT_OF_RANGE}, got {policy!r}")
    if policy == "octave" and high - low + 1 < 12:
        raise ValueError(
            f'out_of_range="octave" needs at least 12 pitches, the roll has {high - low + 1}'
        )
    with np.errstate(invalid="ignore"):
        below, above = grid < low, grid > high
    outside = below | above
    if policy == "raise" and outside.any():
        step, track = np.argwhere(outside)[0]
        raise ValueError(
            f"{source}: track {track} has pitch {grid[step, track]:g}, outside the roll's MIDI "
            f'range {low}..{high}; use out_of_range="octave" or "drop"'
        )
    if policy == "drop":
        return np.where(outside, np.nan, grid).astype(np.float32)
    up = grid + 12 * np.ceil((low - grid) / 12)
    down = grid - 12 * np.ceil((grid - high) / 12)
    return np.where(below, up, np.where(above, down, grid)).astype(np.float32)
