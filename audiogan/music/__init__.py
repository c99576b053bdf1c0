"""Symbolic music: MIDI files and music21 streams as notes on a step grid."""

from __future__ import annotations

from audiogan.music.midi import (
    MIDI_RESOLUTION,
    MidiFileError,
    Note,
    Track,
    read_midi,
    stream_bar_quarters,
    stream_pickup,
    stream_to_tracks,
    tracks_to_grid,
    write_midi,
)

__all__ = [
    "MIDI_RESOLUTION",
    "MidiFileError",
    "Note",
    "Track",
    "read_midi",
    "stream_bar_quarters",
    "stream_pickup",
    "stream_to_tracks",
    "tracks_to_grid",
    "write_midi",
]
