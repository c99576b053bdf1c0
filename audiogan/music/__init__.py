"""Symbolic music: MIDI files and music21 streams as notes on a step grid, and the one path from
them to piano-roll pitch grids.

A file (:func:`read_piece`) or stream (:func:`stream_piece`) becomes a :class:`Piece` (parts in
quarter notes, bar lines from time signatures or measures); :meth:`Piece.steps` puts its notes on a
step grid; :func:`assign_voices` maps instruments to a roll's tracks; :func:`fit_range` brings
pitches into the roll's range; :func:`cut_phrases` / :func:`segment_pitches` cut the grid into
phrases. :class:`~audiogan.frontends.PianoRoll`, :class:`~audiogan.data.MidiFolder` and
:class:`~audiogan.data.JSBChorales` all read music this way.
"""

from __future__ import annotations

from audiogan.music.midi import (
    MIDI_RESOLUTION,
    MidiFileError,
    Note,
    Track,
    read_midi,
    read_piece,
    tracks_to_grid,
    write_midi,
)
from audiogan.music.phrases import Phrases, cut_phrases, segment_pitches
from audiogan.music.piece import Part, Piece, bar_lines
from audiogan.music.score import (
    stream_bar_quarters,
    stream_pickup,
    stream_piece,
    stream_to_tracks,
)
from audiogan.music.voices import (
    assign_voices,
    fit_range,
    highest_pitch,
    note_activity,
    split_by_pitch,
)

__all__ = [
    "MIDI_RESOLUTION",
    "MidiFileError",
    "Note",
    "Part",
    "Phrases",
    "Piece",
    "Track",
    "assign_voices",
    "bar_lines",
    "cut_phrases",
    "fit_range",
    "highest_pitch",
    "note_activity",
    "read_midi",
    "read_piece",
    "segment_pitches",
    "split_by_pitch",
    "stream_bar_quarters",
    "stream_piece",
    "stream_pickup",
    "stream_to_tracks",
    "tracks_to_grid",
    "write_midi",
]
