"""Tests for audiogan.music.midi: notes on a step grid <-> MIDI files and music21 streams."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audiogan.music.midi import (
    MidiFileError,
    Note,
    Track,
    read_midi,
    tracks_to_grid,
    write_midi,
)
from audiogan.music.score import stream_bar_quarters, stream_pickup, stream_to_tracks


@st.composite
def monophonic_notes(draw: st.DrawFn) -> list[Note]:
    """Non-overlapping notes on a grid, possibly with gaps."""
    notes, t = [], draw(st.integers(0, 3))
    for _ in range(draw(st.integers(0, 6))):
        length = draw(st.integers(1, 8))
        notes.append(Note(t, t + length, draw(st.integers(0, 127))))
        t += length + draw(st.integers(0, 3))
    return notes


@settings(max_examples=25, deadline=None)
@given(st.lists(monophonic_notes(), min_size=1, max_size=3), st.sampled_from([60.0, 66.0, 137.5]))
def test_write_read_round_trip(tmp_path_factory, tracks_notes, tempo):
    path = tmp_path_factory.mktemp("midi") / "x.mid"
    tracks = [Track(f"t{k}", k, False, notes) for k, notes in enumerate(tracks_notes)]
    write_midi(tracks, path, tempo=tempo)
    back = {t.name: t for t in read_midi(path)}
    for t in tracks:
        if t.notes:  # pretty_midi drops instruments without notes
            assert back[t.name].notes == t.notes
            assert back[t.name].program == t.program


def test_write_midi_drum_flag_and_time_signature(tmp_path):
    import pretty_midi

    path = write_midi(
        [Track("kit", 0, True, [Note(0, 1, 36)])], tmp_path / "d.mid", beats_per_bar=3
    )
    pm = pretty_midi.PrettyMIDI(str(path))
    assert pm.instruments[0].is_drum
    ts = pm.time_signature_changes[0]
    assert (ts.numerator, ts.denominator) == (3, 4)


def test_write_midi_errors(tmp_path):
    with pytest.raises(ValueError, match="ends before it starts"):
        write_midi([Track("a", 0, False, [Note(4, 4, 60)])], tmp_path / "e.mid")
    with pytest.raises(ValueError, match="outside MIDI 0..127"):
        write_midi([Track("a", 0, False, [Note(0, 1, 128)])], tmp_path / "e.mid")
    with pytest.raises(ValueError, match="tempo must be positive"):
        write_midi([], tmp_path / "e.mid", tempo=0)
    with pytest.raises(ValueError, match="velocity"):
        write_midi([], tmp_path / "e.mid", velocity=0)


def test_read_midi_errors_name_the_file(tmp_path):
    with pytest.raises(MidiFileError, match="nothing.mid: no such file"):
        read_midi(tmp_path / "nothing.mid")
    empty = tmp_path / "empty.mid"
    empty.write_bytes(b"")
    with pytest.raises(MidiFileError, match="empty.mid: not a readable MIDI file"):
        read_midi(empty)
    assert issubclass(MidiFileError, ValueError)


def test_tracks_to_grid_keeps_highest_pitch_and_rests():
    tracks = [
        Track("a", notes=[Note(0, 4, 60), Note(2, 3, 67), Note(6, 8, 55)]),
        Track("b", notes=[]),
    ]
    grid = tracks_to_grid(tracks)
    assert grid.shape == (8, 2) and grid.dtype == np.float32
    np.testing.assert_array_equal(grid[:, 0], [60, 60, 67, 60, np.nan, np.nan, 55, 55])
    assert np.isnan(grid[:, 1]).all()
    assert tracks_to_grid(tracks, num_steps=3).shape == (3, 2)


def test_stream_to_tracks_on_a_small_score():
    from music21 import chord, meter, note, stream

    score = stream.Score()
    for name, items in (
        ("Upper", [note.Note("C5"), chord.Chord(["E4", "G4"])]),
        ("Lower", [note.Rest(), note.Note("C3")]),
    ):
        part = stream.Part()
        part.partName = name
        m = stream.Measure(number=1)
        m.timeSignature = meter.TimeSignature("2/4")
        for it in items:
            m.append(it)
        part.append(m)
        score.insert(0, part)
    tracks = stream_to_tracks(score)
    assert [t.name for t in tracks] == ["Upper", "Lower"]
    assert tracks[0].notes == [Note(0, 4, 72), Note(4, 8, 64), Note(4, 8, 67)]
    assert tracks[1].notes == [Note(4, 8, 48)]
    assert stream_bar_quarters(score) == [2.0]
    assert stream_pickup(score) == 0.0
    np.testing.assert_array_equal(tracks_to_grid(tracks)[:, 0], [72] * 4 + [67] * 4)


def test_stream_pickup_shifts_to_the_bar_line():
    from music21 import corpus

    score = corpus.parse("bach/bwv66.6")  # 4/4 with a one-beat pickup
    assert stream_pickup(score) == 1.0
    aligned = stream_to_tracks(score)
    raw = stream_to_tracks(score, align_pickup=False)
    assert aligned[0].notes[0] == Note(
        12, 14, 73
    )  # the pickup's first eighth note, on beat 4 of bar 0
    assert raw[0].notes[0] == Note(0, 2, 73)
    with pytest.raises(TypeError, match="music21 stream"):
        stream_to_tracks([1, 2, 3])
