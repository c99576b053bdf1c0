"""audiogan.music's one path to pitch grids: bar lines, steps, voices, range and phrases."""

from __future__ import annotations

import numpy as np
import pytest

from audiogan.music import (
    Part,
    Piece,
    assign_voices,
    bar_lines,
    cut_phrases,
    fit_range,
    note_activity,
    read_piece,
)

NAN = np.nan


def _part(notes: list[tuple[float, float, int]], name: str = "p") -> Part:
    starts, ends, pitches = (np.asarray(x) for x in zip(*notes, strict=True))
    return Part(name, 0, False, starts.astype(float), ends.astype(float), pitches.astype(np.int64))


def _active(*pitches_per_step: tuple[int, ...]) -> np.ndarray:
    act = np.zeros((len(pitches_per_step), 128), dtype=bool)
    for t, ps in enumerate(pitches_per_step):
        act[t, list(ps)] = True
    return act


def test_bar_lines_cut_a_bar_short_at_a_mid_bar_change() -> None:
    # 4/4 from 0, 3/4 from quarter 6 (inside the second bar): that bar is cut to 2 quarters.
    np.testing.assert_allclose(bar_lines([(0.0, 4.0), (6.0, 3.0)], end=11.0), [0, 4, 6, 9, 12])
    np.testing.assert_allclose(bar_lines([(0.0, 4.0)], end=0.0), [0, 4])  # at least one bar


def test_steps_on_beats_ignore_bar_lines_and_on_bars_stretch_them() -> None:
    piece = Piece([_part([(0.0, 1.0, 60), (4.0, 5.5, 62)])], np.array([0.0, 4.0, 7.0]))
    starts, ends = piece.steps(piece.parts[0], steps_per_beat=4)
    assert starts.tolist() == [0, 16] and ends.tolist() == [4, 22]
    # bar 1 is 3 quarters long: 16 steps of 3/16 quarter each
    starts, ends = piece.steps(piece.parts[0], steps_per_bar=16)
    assert starts.tolist() == [0, 16] and ends.tolist() == [4, 24]
    with pytest.raises(ValueError, match="exactly one"):
        piece.steps(piece.parts[0])


def test_assign_voices_rules() -> None:
    a, b = _active((72,), (74,)), _active((48, 55), (50,))
    # by name, case-insensitive, in the roll's track order
    grid = assign_voices([a, b], ["Bass", "soprano"], ["soprano", "bass"])
    np.testing.assert_array_equal(grid, [[55, 72], [50, 74]])
    # chosen by index
    np.testing.assert_array_equal(
        assign_voices([a, b], ["x", "y"], ["s", "b"], select=[1]), [[55, NAN], [50, NAN]]
    )
    # one instrument: split by pitch order (highest first, lowest last)
    np.testing.assert_array_equal(assign_voices([b], ["piano"], ["s", "b"]), [[55, 48], [50, NAN]])
    # fewer instruments than tracks
    silent = assign_voices([a, b], ["x", "y"], ["s", "a", "b"])
    np.testing.assert_array_equal(silent, [[72, 55, NAN], [74, 50, NAN]])
    split = assign_voices([a, b], ["x", "y"], ["s", "a", "b"], fewer_tracks="split")
    np.testing.assert_array_equal(split, [[72, 55, 48], [74, NAN, 50]])
    with pytest.raises(ValueError, match="fewer than the roll's 3 tracks"):
        assign_voices([a, b], ["x", "y"], ["s", "a", "b"], fewer_tracks="skip")
    # more instruments than tracks
    np.testing.assert_array_equal(assign_voices([a, b], ["x", "y"], ["t"]), [[72], [74]])
    with pytest.raises(ValueError, match="song: has 2 instruments/parts but the piano roll has 1"):
        assign_voices([a, b], ["x", "y"], ["t"], more_tracks="raise", source="song")


def test_fit_range_by_octaves_to_rests_or_an_error() -> None:
    grid = np.array([[30.0, NAN], [100.0, 60.0]], dtype=np.float32)
    np.testing.assert_array_equal(fit_range(grid, 36, 83), [[42, NAN], [76, 60]])
    np.testing.assert_array_equal(fit_range(grid, 36, 83, "drop"), [[NAN, NAN], [NAN, 60]])
    with pytest.raises(ValueError, match="x: track 0 has pitch 30, outside"):
        fit_range(grid, 36, 83, "raise", source="x")
    with pytest.raises(ValueError, match="at least 12 pitches"):
        fit_range(grid, 60, 70)


def test_cut_phrases_skips_other_meters_and_silence() -> None:
    grid = np.full((4 * 4, 1), NAN, dtype=np.float32)  # 4 bars of 4 steps
    grid[:8, 0] = 60  # bars 0-1 sound, bars 2-3 silent
    lengths = np.array([4.0, 4.0, 4.0, 4.0])
    every = cut_phrases(grid, lengths, bars=1, steps_per_bar=4, hop_bars=1, bar_quarters=4.0)
    assert every.start_bars == [0, 1] and every.skipped == {"silent": 2, "meter": 0}
    lengths[1] = 3.0  # a 3/4 bar
    strict = cut_phrases(grid, lengths, bars=1, steps_per_bar=4, hop_bars=1, bar_quarters=4.0)
    assert strict.start_bars == [0] and strict.skipped == {"silent": 2, "meter": 1}
    stretched = cut_phrases(grid, lengths, bars=1, steps_per_bar=4, hop_bars=1)
    assert stretched.start_bars == [0, 1]
    short = cut_phrases(grid[:4], lengths, bars=2, steps_per_bar=4, hop_bars=2)
    assert short.problem is not None and "shorter than one phrase" in short.problem


def test_note_activity_cuts_notes_past_the_end() -> None:
    act = note_activity(np.array([0, 3]), np.array([2, 9]), np.array([60, 61]), 5)
    assert act.shape == (5, 128)
    assert act[:, 60].tolist() == [True, True, False, False, False]
    assert act[:, 61].tolist() == [False, False, False, True, True]


def test_read_piece_time_signatures_give_bar_lines(tmp_path) -> None:
    pretty_midi = pytest.importorskip("pretty_midi")
    pm = pretty_midi.PrettyMIDI(resolution=480, initial_tempo=120.0)  # a quarter is 0.5 s
    pm.time_signature_changes.append(pretty_midi.TimeSignature(3, 4, 0.0))
    pm.time_signature_changes.append(pretty_midi.TimeSignature(2, 4, 3.0))  # at quarter 6
    inst = pretty_midi.Instrument(0, name="lead")
    inst.notes.append(pretty_midi.Note(100, 60, 0.0, 4.5))  # quarters 0..9
    pm.instruments.append(inst)
    pm.instruments.append(pretty_midi.Instrument(0, name="empty"))  # no notes: not listed
    pm.write(str(tmp_path / "m.mid"))
    piece = read_piece(tmp_path / "m.mid")
    assert [p.name for p in piece.parts] == ["lead"]
    np.testing.assert_allclose(piece.bar_lines, [0, 3, 6, 8, 10])
    np.testing.assert_allclose(piece.parts[0].ends, [9.0])
