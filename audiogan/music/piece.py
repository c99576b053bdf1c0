"""A piece of music as parts in quarter notes plus its bar lines, and its steps on a grid.

:class:`Piece` is what every reader of :mod:`audiogan.music` makes (a MIDI file:
:func:`~audiogan.music.midi.read_piece`; a music21 stream:
:func:`~audiogan.music.score.stream_piece`) and what every piano-roll path starts from
(:class:`~audiogan.frontends.PianoRoll`, :class:`~audiogan.data.MidiFolder`,
:class:`~audiogan.data.JSBChorales`). Times are quarter notes from the piece's start, so tempo
changes never move a note off the beat. :meth:`Piece.steps` puts a part's notes on a step grid,
either ``steps_per_beat`` steps per quarter note (the bar lines ignored) or ``steps_per_bar``
equal steps in every bar (a bar of another length stretched or squeezed to fit).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Tolerance (in quarter notes) when comparing positions with bar lines.
EPS = 1e-6


@dataclass
class Part:
    """One instrument or voice: notes in quarter notes from the piece's start.

    Attributes:
        name: The instrument's or part's name.
        program: General MIDI program (0 when unknown).
        is_drum: True for a drum instrument (MIDI channel 10).
        starts: ``(notes,)`` float64 onsets.
        ends: ``(notes,)`` float64 offsets.
        pitches: ``(notes,)`` int64 MIDI numbers.
    """

    name: str
    program: int
    is_drum: bool
    starts: np.ndarray
    ends: np.ndarray
    pitches: np.ndarray


@dataclass
class Piece:
    """Parts and bar lines of one piece of music.

    Attributes:
        parts: The instruments or voices, in file (score) order.
        bar_lines: ``(bars + 1,)`` increasing positions in quarter notes; ``bar_lines[0]`` is at
            or before every onset and ``bar_lines[-1]`` at or after every offset.
    """

    parts: list[Part]
    bar_lines: np.ndarray

    @property
    def bar_lengths(self) -> np.ndarray:
        """``(bars,)`` length of each bar in quarter notes."""
        return np.diff(self.bar_lines)

    def steps(
        self,
        part: Part,
        *,
        steps_per_beat: int | None = None,
        steps_per_bar: int | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """A part's notes on a step grid: ``(starts, ends)`` int64 step indices.

        Onsets and offsets are rounded to the nearest step (half to even) and a note lasts at
        least one step. Give exactly one of the two grids.

        Args:
            part: One of :attr:`parts`.
            steps_per_beat: Steps per quarter note, from the piece's start; bar lines ignored.
            steps_per_bar: Equal steps in every bar, step 0 at ``bar_lines[0]``.

        Returns:
            ``(starts, ends)``, each ``(notes,)``, ``ends > starts``.

        Raises:
            ValueError: If not exactly one grid is given, or it is not a positive integer.
        """
        if (steps_per_beat is None) == (steps_per_bar is None):
            raise ValueError("Piece.steps: give exactly one of steps_per_beat, steps_per_bar")
        per = steps_per_beat if steps_per_bar is None else steps_per_bar
        if int(per) != per or per < 1:
            raise ValueError(f"Piece.steps: steps per beat or bar must be >= 1, got {per!r}")
        if steps_per_beat is not None:
            starts = np.rint(part.starts * steps_per_beat).astype(np.int64)
            ends = np.rint(part.ends * steps_per_beat).astype(np.int64)
        else:
            starts = _bar_steps(part.starts, self.bar_lines, int(per))
            ends = _bar_steps(part.ends, self.bar_lines, int(per))
        return starts, np.maximum(ends, starts + 1)


def last_end(parts: Sequence[Part]) -> float:
    """The last offset of any note of ``parts`` in quarter notes (0.0 without notes)."""
    return max((float(p.ends.max()) for p in parts if len(p.ends)), default=0.0)


def _bar_steps(q: np.ndarray, lines: np.ndarray, steps_per_bar: int) -> np.ndarray:
    """Quarter-note positions -> step indices: each bar holds ``steps_per_bar`` equal steps."""
    bar = np.clip(np.searchsorted(lines, q + EPS, side="right") - 1, 0, len(lines) - 2)
    frac = (q - lines[bar]) / (lines[bar + 1] - lines[bar])
    return bar * steps_per_bar + np.rint(frac * steps_per_bar).astype(np.int64)


def bar_lines(meters: Sequence[tuple[float, float]], end: float) -> np.ndarray:
    """Bar lines from ``(position, bar length)`` meter changes, in quarter notes.

    A change that falls inside a bar cuts that bar short; the last meter goes on until ``end``
    (at least one bar).

    Args:
        meters: Sorted by position, the first at the piece's start; lengths > 0.
        end: The piece's last offset.

    Returns:
        ``(bars + 1,)`` float64 bar lines from ``meters[0][0]``.
    """
    lines = [meters[0][0]]
    for i, (pos, length) in enumerate(meters):
        if pos > lines[-1] + EPS:
            lines.append(pos)
        if i + 1 < len(meters):
            stop = meters[i + 1][0]
            while lines[-1] + length <= stop + EPS:
                lines.append(lines[-1] + length)
        else:
            while lines[-1] < end - EPS or len(lines) < 2:
                lines.append(lines[-1] + length)
    return np.asarray(lines, dtype=np.float64)


def extend_bar_lines(lines: Sequence[float], end: float) -> np.ndarray:
    """Repeat the last bar's length until the bar lines reach ``end`` (``lines``: 2 or more)."""
    out = list(lines)
    length = out[-1] - out[-2]
    while out[-1] < end - EPS:
        out.append(out[-1] + length)
    return np.asarray(out, dtype=np.float64)
