"""music21 streams read into a :class:`~audiogan.music.piece.Piece` or as notes on a step grid.

A :class:`music21.stream.Score` gives one part per part; any other stream (a Part, a Stream of
notes) gives one part. Chords give all their pitches; grace notes (zero duration) and unpitched
notes are skipped. Bar lines are the measures of the first part. ``music21`` is optional
(``pip install 'audiogan[music]'``) and imported only when a function needs it.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from audiogan._optional import require
from audiogan.music.midi import Track, part_to_track
from audiogan.music.piece import Part, Piece, bar_lines, extend_bar_lines, last_end


def stream_bar_quarters(score: Any) -> list[float]:
    """Distinct bar lengths (in quarter notes) of the time signatures found in a music21 stream."""
    meter = require("music21.meter", feature="music21 import")
    found = score.recurse().getElementsByClass(meter.TimeSignature)
    return sorted({float(ts.barDuration.quarterLength) for ts in found})


def _pickup_and_bar(score: Any) -> tuple[float, float]:
    """``(pickup, bar)`` in quarter notes: the anacrusis length (0.0 if none) and its bar length."""
    stream = require("music21.stream", feature="music21 import")
    meter = require("music21.meter", feature="music21 import")
    parts = list(score.parts) if isinstance(score, stream.Score) else [score]
    if not parts:
        return 0.0, 0.0
    first = parts[0].getElementsByClass(stream.Measure).first()
    if first is None:
        return 0.0, 0.0
    ts = first.timeSignature or parts[0].recurse().getElementsByClass(meter.TimeSignature).first()
    if ts is None:
        return 0.0, 0.0
    bar = float(ts.barDuration.quarterLength)
    length = float(first.duration.quarterLength)
    return (length if 0 < length < bar else 0.0), bar


def stream_pickup(score: Any) -> float:
    """Length in quarter notes of a music21 stream's anacrusis, 0.0 if it starts on a bar line.

    The first measure of the first part is a pickup when it is shorter than the bar of its time
    signature; the pickup's length is that measure's duration.
    """
    return _pickup_and_bar(score)[0]


def _part(part: Any, shift: float) -> Part:
    """One music21 part (or stream of notes) as a :class:`Part`, times moved by ``shift``."""
    inst = part.getInstrument(returnDefault=False) if hasattr(part, "getInstrument") else None
    program = inst.midiProgram if inst is not None and inst.midiProgram is not None else 0
    starts, ends, pitches = [], [], []
    for el in part.flatten().notes:
        ql = float(Fraction(el.quarterLength))
        if ql <= 0:  # grace note
            continue
        start = float(Fraction(el.offset)) + shift
        for p in el.pitches if el.isChord else ([el.pitch] if hasattr(el, "pitch") else []):
            starts.append(start)
            ends.append(start + ql)
            pitches.append(int(p.midi))
    return Part(
        name=str(getattr(part, "partName", None) or part.id or ""),
        program=int(program),
        is_drum=False,
        starts=np.asarray(starts, dtype=np.float64),
        ends=np.asarray(ends, dtype=np.float64),
        pitches=np.asarray(pitches, dtype=np.int64),
    )


def stream_piece(score: Any, align_pickup: bool = True) -> Piece:
    """Read a music21 stream's parts (in score order) and bar lines (its measures).

    Args:
        score: A music21 stream.
        align_pickup: If the piece opens with an anacrusis (see :func:`stream_pickup`), delay
            everything so the pickup ends on a bar line: the first bar is rests followed by the
            pickup, and every later bar line is a bar line of the piece.

    Returns:
        The :class:`~audiogan.music.piece.Piece`; without measures, bars of the first time
        signature (4/4 without one) from the start.

    Raises:
        TypeError: If ``score`` is not a music21 stream.
    """
    stream = require("music21.stream", feature="music21 import")
    meter = require("music21.meter", feature="music21 import")
    if not isinstance(score, stream.Stream):
        raise TypeError(f"expected a music21 stream, got {type(score).__name__}")
    streams = list(score.parts) if isinstance(score, stream.Score) else [score]
    pickup, bar = _pickup_and_bar(score) if align_pickup else (0.0, 0.0)
    shift = bar - pickup if pickup > 0 else 0.0
    parts = [_part(s, shift) for s in streams]
    end = last_end(parts)
    measures = list(streams[0].getElementsByClass(stream.Measure)) if streams else []
    if not measures:
        ts = score.recurse().getElementsByClass(meter.TimeSignature).first()
        length = float(ts.barDuration.quarterLength) if ts is not None else 4.0
        return Piece(parts, bar_lines([(0.0, length)], end))
    lines = [float(m.offset) + shift for m in measures]
    lines.append(lines[-1] + float(measures[-1].barDuration.quarterLength))
    if shift > 0:  # the pickup's bar: rests, then the pickup
        lines[0] = 0.0
        if len(measures) == 1:
            lines[1] = bar
    return Piece(parts, extend_bar_lines(lines, end))


def stream_to_tracks(score: Any, steps_per_beat: int = 4, align_pickup: bool = True) -> list[Track]:
    """Read a music21 stream's parts as notes on a step grid (parts -> tracks, in score order).

    Chords give all their pitches (so :func:`~audiogan.music.midi.tracks_to_grid` keeps the
    highest); see :func:`stream_piece`.

    Args:
        score: A music21 stream.
        steps_per_beat: Grid steps per quarter note.
        align_pickup: If the piece opens with an anacrusis, delay everything so the pickup ends
            on a bar line: the grid then starts with a bar of rests followed by the pickup, and
            step ``k * steps_per_bar`` is a downbeat of the piece.

    Returns:
        One :class:`~audiogan.music.midi.Track` per part (name from ``partName`` or ``id``,
        program from the part's instrument, 0 when it has none).
    """
    if steps_per_beat < 1:
        raise ValueError(f"steps_per_beat must be a positive integer, got {steps_per_beat}")
    piece = stream_piece(score, align_pickup)
    return [part_to_track(piece, part, steps_per_beat) for part in piece.parts]
