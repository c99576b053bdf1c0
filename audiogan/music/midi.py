"""MIDI files: read into a :class:`~audiogan.music.piece.Piece` or as notes on a step grid, written
from notes.

A step is ``1 / steps_per_beat`` of a quarter note (with the default ``steps_per_beat=4``, a
sixteenth note). :func:`read_piece` reads a file's parts in quarter notes with its bar lines;
:func:`read_midi` quantizes them to the step grid (round to nearest; a note never shrinks below
one step); :func:`write_midi` writes notes on that grid at a fixed tempo; :func:`tracks_to_grid`
turns notes into the ``(time, tracks)`` pitch grid (MIDI numbers, NaN for silence) that
:func:`audiogan.frontends.pianoroll.pitches_to_roll` one-hot encodes. music21 streams are read
by :mod:`audiogan.music.score`.

``pretty_midi`` is optional (``pip install 'audiogan[music]'``) and imported only when a
function needs it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from audiogan._optional import require
from audiogan.errors import AudioganError
from audiogan.music.piece import EPS, Part, Piece, bar_lines, last_end

#: Ticks per quarter note of the MIDI files :func:`write_midi` writes (divisible by 2, 3, 4, 8, 16).
MIDI_RESOLUTION = 480
#: The largest time-signature denominator read (x/256); a file's denominator byte is a power
#: of two and can say 2**255, a bar of ~1e-76 quarter notes.
_MAX_DENOMINATOR = 256
#: The most bars a file may have (about 55 hours of 4/4 at 120 quarter notes a minute).
_MAX_BARS = 100_000


class MidiFileError(AudioganError, ValueError):
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


def read_piece(path: str | os.PathLike) -> Piece:
    """Read a MIDI file's instruments and bar lines, in quarter notes (its ticks / resolution).

    Times go through the file's own tick resolution, so tempo changes never move a note off the
    beat. Bar lines come from the file's time signatures (a later one at the same tick wins); a
    file without one at its start is 4/4 until its first one (as in ``pretty_midi``), and the
    file's start is a bar line. Instruments come in ``pretty_midi``'s order (first note-on per
    program, channel and track); instruments without notes are not listed.

    Args:
        path: A ``.mid``/``.midi`` file.

    Returns:
        The :class:`~audiogan.music.piece.Piece`.

    Raises:
        MidiFileError: If the file is missing or can't be parsed as MIDI, has a time signature
            outside 1/1 .. 255/256, or more than 100000 bars.
    """
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

    def quarters(seconds: Sequence[float]) -> np.ndarray:
        return np.array([pm.time_to_tick(t) for t in seconds], dtype=np.float64) / resolution

    parts = [
        Part(
            name=str(inst.name),
            program=int(inst.program),
            is_drum=bool(inst.is_drum),
            starts=quarters([n.start for n in inst.notes]),
            ends=quarters([n.end for n in inst.notes]),
            pitches=np.array([n.pitch for n in inst.notes], dtype=np.int64),
        )
        for inst in pm.instruments
        if inst.notes
    ]
    changes: dict[float, float] = {}
    for ts in sorted(pm.time_signature_changes, key=lambda ts: ts.time):
        if not (1 <= ts.numerator and 1 <= ts.denominator <= _MAX_DENOMINATOR):
            raise MidiFileError(
                path,
                f"time signature {ts.numerator}/{ts.denominator:.6g} is not one of 1/1 to "
                f"255/{_MAX_DENOMINATOR}",
            )
        pos = float(quarters([ts.time])[0])
        changes[pos] = 4.0 * ts.numerator / ts.denominator  # a later one at the same tick wins
    meters = sorted(changes.items())
    if not meters or meters[0][0] > EPS:
        meters.insert(0, (0.0, 4.0))  # 4/4 until the first time signature
    end = last_end(parts)
    bars = (max(end, meters[-1][0]) - meters[0][0]) / min(length for _, length in meters)
    if bars > _MAX_BARS:
        raise MidiFileError(
            path, f"about {bars:.3g} bars, more than {_MAX_BARS} (a corrupt time signature?)"
        )
    return Piece(parts, bar_lines(meters, end))


def part_to_track(piece: Piece, part: Part, steps_per_beat: int) -> Track:
    """A part's notes on a grid of ``steps_per_beat`` steps per quarter note, sorted by (start,
    pitch); see :meth:`~audiogan.music.piece.Piece.steps`."""
    starts, ends = piece.steps(part, steps_per_beat=steps_per_beat)
    notes = [
        Note(s, e, p)
        for s, e, p in zip(starts.tolist(), ends.tolist(), part.pitches.tolist(), strict=True)
    ]
    notes.sort(key=lambda n: (n.start, n.pitch))
    return Track(part.name, part.program, part.is_drum, notes)


def read_midi(path: str | os.PathLike, steps_per_beat: int = 4) -> list[Track]:
    """Read a MIDI file's instruments as notes on a step grid.

    Step ``k`` starts at quarter note ``k / steps_per_beat`` of the file (see
    :func:`read_piece`; the bar lines are not used): onsets and offsets are rounded to the
    nearest step and a note never shrinks below one step.

    Args:
        path: A ``.mid``/``.midi`` file.
        steps_per_beat: Grid steps per quarter note.

    Returns:
        One :class:`Track` per instrument with notes, notes sorted by start then pitch.

    Raises:
        MidiFileError: If the file is missing or can't be read (see :func:`read_piece`).
        ValueError: If ``steps_per_beat`` is not positive.
    """
    if steps_per_beat < 1:
        raise ValueError(f"steps_per_beat must be a positive integer, got {steps_per_beat}")
    piece = read_piece(path)
    return [part_to_track(piece, part, steps_per_beat) for part in piece.parts]


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


def tracks_to_grid(tracks: Sequence[Track], num_steps: int | None = None) -> np.ndarray:
    """Notes -> pitch grid, keeping the highest sounding pitch of each track at each step.

    Args:
        tracks: The tracks, in the order of the grid's columns.
        num_steps: Length of the grid; notes past it are cut. ``None``: up to the last note's end.

    Returns:
        ``(time, tracks)`` float32 MIDI numbers, NaN where a track is silent.
    """
    if num_steps is None:
        num_steps = max((n.end for t in tracks for n in t.notes), default=0)
    grid = np.full((num_steps, len(tracks)), np.nan, dtype=np.float32)
    for k, track in enumerate(tracks):
        for n in track.notes:
            s, e = max(n.start, 0), min(n.end, num_steps)
            if e > s:
                grid[s:e, k] = np.fmax(grid[s:e, k], np.float32(n.pitch))
    return grid
