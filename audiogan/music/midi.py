"""MIDI files and music21 streams as lists of notes on a step grid.

Everything here works in *steps*: a step is ``1 / steps_per_beat`` of a quarter note (with the
default ``steps_per_beat=4``, a sixteenth note). :func:`read_midi` and :func:`stream_to_tracks`
quantize onsets and offsets to that grid (round to nearest; a note never shrinks below one
step); :func:`write_midi` writes notes on that grid at a fixed tempo; :func:`tracks_to_grid`
turns notes into the ``(time, tracks)`` pitch grid (MIDI numbers, NaN for silence) that
:func:`audiogan.frontends.pianoroll.pitches_to_roll` one-hot encodes.

``pretty_midi`` and ``music21`` are optional (``pip install 'audiogan[music]'``) and imported
only when a function needs them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from audiogan._optional import require

#: Ticks per quarter note of the MIDI files :func:`write_midi` writes (divisible by 2, 3, 4, 8, 16).
MIDI_RESOLUTION = 480


class MidiFileError(ValueError):
    """A MIDI file is missing, unreadable or corrupt. The message names the file."""

    def __init__(self, path: str | os.PathLike, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


@dataclass(frozen=True)
class Note:
    """One note on the step grid: sounds from step ``start`` up to (not including) ``end``."""

    start: int
    end: int
    pitch: int


@dataclass
class Track:
    """One instrument or voice: its name, General MIDI program, drum flag and notes."""

    name: str = ""
    program: int = 0
    is_drum: bool = False
    notes: list[Note] = field(default_factory=list)


def _quantize(start: float, end: float, steps_per_beat: int) -> tuple[int, int]:
    """Quarter-note times -> step indices ``(start, end)``, rounded, at least one step long."""
    s = round(start * steps_per_beat)
    e = round(end * steps_per_beat)
    return s, max(e, s + 1)


def read_midi(path: str | os.PathLike, steps_per_beat: int = 4) -> list[Track]:
    """Read a MIDI file's instruments as notes on a step grid.

    Times are converted through the file's own tick resolution, so tempo changes don't move
    notes off the beat grid: step ``k`` starts at quarter note ``k / steps_per_beat`` of the
    file. Instruments come in ``pretty_midi``'s order (first note-on per program, channel and
    track); instruments without notes are not listed (``pretty_midi`` drops them).

    Args:
        path: A ``.mid``/``.midi`` file.
        steps_per_beat: Grid steps per quarter note.

    Returns:
        One :class:`Track` per instrument, notes sorted by start then pitch.

    Raises:
        MidiFileError: If the file is missing or can't be parsed as MIDI.
        ValueError: If ``steps_per_beat`` is not positive.
    """
    if steps_per_beat < 1:
        raise ValueError(f"steps_per_beat must be a positive integer, got {steps_per_beat}")
    pretty_midi = require("pretty_midi", feature="MIDI import")
    path = Path(path)
    if not path.is_file():
        raise MidiFileError(path, "no such file")
    try:
        pm = pretty_midi.PrettyMIDI(str(path))
    except Exception as err:  # mido/pretty_midi raise many types (OSError, EOFError, KeyError...)
        raise MidiFileError(
            path, f"not a readable MIDI file ({type(err).__name__}: {err})"
        ) from err
    resolution = float(pm.resolution)
    tracks = []
    for inst in pm.instruments:
        notes = []
        for n in inst.notes:
            s, e = _quantize(
                pm.time_to_tick(n.start) / resolution,
                pm.time_to_tick(n.end) / resolution,
                steps_per_beat,
            )
            notes.append(Note(s, e, int(n.pitch)))
        notes.sort(key=lambda n: (n.start, n.pitch))
        tracks.append(Track(inst.name, int(inst.program), bool(inst.is_drum), notes))
    return tracks


def write_midi(
    tracks: Sequence[Track],
    path: str | os.PathLike,
    steps_per_beat: int = 4,
    tempo: float = 120.0,
    beats_per_bar: int | None = 4,
    velocity: int = 100,
) -> Path:
    """Write notes on a step grid to a MIDI file, one MIDI track per :class:`Track`.

    Args:
        tracks: The tracks; each keeps its name (as the MIDI track name), program and drum flag.
        path: Where to write; parent folders are created.
        steps_per_beat: Grid steps per quarter note.
        tempo: Quarter notes per minute.
        beats_per_bar: Written as a ``beats_per_bar/4`` time signature at time 0; ``None``
            writes none.
        velocity: Velocity of every note, 1..127.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        ValueError: If ``tempo``, ``steps_per_beat`` or ``velocity`` is out of range, or a note
            has ``end <= start`` or a pitch outside 0..127.
    """
    if steps_per_beat < 1:
        raise ValueError(f"steps_per_beat must be a positive integer, got {steps_per_beat}")
    if not tempo > 0:
        raise ValueError(f"tempo must be positive (quarter notes per minute), got {tempo}")
    if not 1 <= velocity <= 127:
        raise ValueError(f"velocity must be in 1..127, got {velocity}")
    pretty_midi = require("pretty_midi", feature="MIDI export")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    seconds_per_step = 60.0 / tempo / steps_per_beat
    pm = pretty_midi.PrettyMIDI(resolution=MIDI_RESOLUTION, initial_tempo=float(tempo))
    if beats_per_bar is not None:
        pm.time_signature_changes.append(pretty_midi.TimeSignature(int(beats_per_bar), 4, 0.0))
    for k, track in enumerate(tracks):
        inst = pretty_midi.Instrument(
            program=int(track.program), is_drum=bool(track.is_drum), name=track.name
        )
        for n in track.notes:
            if n.end <= n.start:
                raise ValueError(f"track {k} ({track.name!r}): note {n} ends before it starts")
            if not 0 <= n.pitch <= 127:
                raise ValueError(f"track {k} ({track.name!r}): pitch {n.pitch} outside MIDI 0..127")
            inst.notes.append(
                pretty_midi.Note(
                    velocity=int(velocity),
                    pitch=int(n.pitch),
                    start=n.start * seconds_per_step,
                    end=n.end * seconds_per_step,
                )
            )
        pm.instruments.append(inst)
    pm.write(str(path))
    return path


def tracks_to_grid(tracks: Sequence[Track], n_steps: int | None = None) -> np.ndarray:
    """Notes -> pitch grid, keeping the highest sounding pitch of each track at each step.

    Args:
        tracks: The tracks, in the order of the grid's columns.
        n_steps: Length of the grid; notes past it are cut. ``None``: up to the last note's end.

    Returns:
        ``(time, tracks)`` float32 MIDI numbers, NaN where a track is silent.
    """
    if n_steps is None:
        n_steps = max((n.end for t in tracks for n in t.notes), default=0)
    grid = np.full((n_steps, len(tracks)), np.nan, dtype=np.float32)
    for k, track in enumerate(tracks):
        for n in track.notes:
            s, e = max(n.start, 0), min(n.end, n_steps)
            if e > s:
                grid[s:e, k] = np.fmax(grid[s:e, k], np.float32(n.pitch))
    return grid


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


def stream_to_tracks(score: Any, steps_per_beat: int = 4, align_pickup: bool = True) -> list[Track]:
    """Read a music21 stream's parts as notes on a step grid (parts -> tracks, in score order).

    A :class:`music21.stream.Score` gives one track per part; any other stream (a Part, a
    Stream of notes) gives one track. Chords give all their pitches (so
    :func:`tracks_to_grid` keeps the highest); grace notes (zero duration) and unpitched
    notes are skipped.

    Args:
        score: A music21 stream.
        steps_per_beat: Grid steps per quarter note.
        align_pickup: If the piece opens with an anacrusis, delay everything so the pickup ends
            on a bar line: the grid then starts with a bar of rests followed by the pickup, and
            step ``k * steps_per_bar`` is a downbeat of the piece.

    Returns:
        One :class:`Track` per part (name from ``partName`` or ``id``, program from the part's
        instrument, 0 when it has none).
    """
    stream = require("music21.stream", feature="music21 import")
    if steps_per_beat < 1:
        raise ValueError(f"steps_per_beat must be a positive integer, got {steps_per_beat}")
    if not isinstance(score, stream.Stream):
        raise TypeError(f"expected a music21 stream, got {type(score).__name__}")
    parts = list(score.parts) if isinstance(score, stream.Score) else [score]
    shift = 0.0
    if align_pickup:
        pickup, bar = _pickup_and_bar(score)
        if pickup > 0:
            shift = bar - pickup
    tracks = []
    for part in parts:
        inst = part.getInstrument(returnDefault=False) if hasattr(part, "getInstrument") else None
        program = inst.midiProgram if inst is not None and inst.midiProgram is not None else 0
        name = str(getattr(part, "partName", None) or part.id or "")
        notes = []
        for el in part.flatten().notes:
            ql = float(Fraction(el.quarterLength))
            if ql <= 0:  # grace note
                continue
            pitches = el.pitches if el.isChord else ([el.pitch] if hasattr(el, "pitch") else [])
            start = float(Fraction(el.offset)) + shift
            s, e = _quantize(start, start + ql, steps_per_beat)
            notes.extend(Note(s, e, int(p.midi)) for p in pitches)
        notes.sort(key=lambda n: (n.start, n.pitch))
        tracks.append(Track(name, int(program), False, notes))
    return tracks
