"""MidiFolder: MIDI files and music21 streams cut into MuseGAN piano-roll phrases."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from audiogan.data.midi_folder import MidiFolder
from audiogan.frontends.pianoroll import PianoRoll, pitches_to_roll
from audiogan.music.midi import MidiFileError
from audiogan.music.voices import split_by_pitch

pretty_midi = pytest.importorskip("pretty_midi")

#: (start, end, pitch), times in quarter notes.
Notes = Sequence[tuple[float, float, int]]


def _write(
    path: Path,
    instruments: Sequence[tuple[str, Notes] | tuple[str, Notes, bool]],
    tempo: float = 120.0,
    time_signatures: Sequence[tuple[float, int, int]] = (),
    tempo_change: tuple[float, float] | None = None,
) -> Path:
    """Write a MIDI file, times in quarter notes; ``(name, notes[, is_drum])`` per instrument.

    ``tempo_change=(at_quarter, new_tempo)`` then adds a tempo change: the notes keep their
    ticks (their beats) and move in seconds.
    """
    pm = pretty_midi.PrettyMIDI(resolution=480, initial_tempo=tempo)
    sec = 60.0 / tempo
    for q, num, den in time_signatures:
        pm.time_signature_changes.append(pretty_midi.TimeSignature(num, den, q * sec))
    for entry in instruments:
        name, notes = entry[0], entry[1]
        is_drum = bool(entry[2]) if len(entry) > 2 else False
        inst = pretty_midi.Instrument(program=0, is_drum=is_drum, name=name)
        for start, end, pitch in notes:
            inst.notes.append(pretty_midi.Note(100, pitch, start * sec, end * sec))
        pm.instruments.append(inst)
    path.parent.mkdir(parents=True, exist_ok=True)
    pm.write(str(path))
    if tempo_change is not None:
        mido = pytest.importorskip("mido")
        midi = mido.MidiFile(str(path))
        at, new = tempo_change
        track, now, events = midi.tracks[0], 0, []
        for msg in track:
            now += msg.time
            events.append((now, msg))
        events.append((round(at * 480), mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(new))))
        events.sort(key=lambda e: (e[0], e[1].type == "end_of_track"))
        track.clear()
        last = 0
        for tick, msg in events:
            track.append(msg.copy(time=tick - last))
            last = tick
        midi.save(str(path))
    return path


def _on(roll: torch.Tensor) -> set[tuple[int, int, int, int]]:
    """The (track, bar, step, pitch index) of every +1 of a roll."""
    return {tuple(i) for i in (roll > 0).nonzero().tolist()}


def _bars(n: int, pitch: int = 60) -> Notes:
    """One whole-bar note in each of ``n`` 4/4 bars."""
    return [(4.0 * b, 4.0 * b + 4.0, pitch) for b in range(n)]


def test_four_track_file_lands_in_tracks_steps_and_pitches(tmp_path: Path) -> None:
    # Instruments in file order, with a drum track in between (dropped) and a tempo change
    # (quantization is in the file's beats, so it moves nothing).
    _write(
        tmp_path / "satb.mid",
        [
            ("melody", [(0.0, 1.0, 72), (1.0, 1.5, 74), (4.0, 8.0, 76)]),
            ("kit", [(0.0, 0.25, 36), (2.0, 2.25, 38)], True),
            ("inner", [(0.5, 2.0, 67)]),
            ("third", [(3.0, 3.25, 64)]),
            ("low", [(0.0, 8.0, 48)]),
        ],
        tempo=90.0,
        tempo_change=(2.0, 150.0),
    )
    ds = MidiFolder(tmp_path)
    assert len(ds) == 1 and ds.names == ["satb.mid"] and ds.start_bars == [0]
    assert ds.files == [tmp_path / "satb.mid"]
    expected = (
        {(0, 0, s, 72) for s in range(4)}
        | {(0, 0, s, 74) for s in (4, 5)}
        | {(0, 1, s, 76) for s in range(16)}
        | {(1, 0, s, 67) for s in range(2, 8)}
        | {(2, 0, 12, 64)}
        | {(3, b, s, 48) for b in (0, 1) for s in range(16)}
    )
    roll = ds[0]
    assert _on(roll) == expected
    assert roll.shape == (4, 2, 16, 84) and roll.dtype == torch.float32
    np.testing.assert_array_equal(ds.grids[0, 12], [np.nan, np.nan, 64, 48])


def test_pianoroll_files_round_trip_by_track_name(tmp_path: Path) -> None:
    pr = PianoRoll()
    gen = np.random.default_rng(0)
    grid = gen.integers(40, 80, size=(2 * pr.n_steps, 4)).astype(np.float32)
    grid[gen.random(grid.shape) < 0.3] = np.nan
    grid[:, 1] = np.nan  # a silent alto is missing from the file: matched by name anyway
    rolls = pr.encode(torch.from_numpy(grid).reshape(2, pr.n_steps, 4))
    pr.to_midi(rolls, tmp_path / "gen.mid")  # (segments, ...) played one after the other
    ds = MidiFolder(tmp_path, pr)
    assert len(ds) == 2 and ds.start_bars == [0, 2]
    torch.testing.assert_close(torch.as_tensor(ds.data).float(), rolls)


def test_single_track_chords_are_split_by_pitch_order(tmp_path: Path) -> None:
    _write(
        tmp_path / "piano.mid",
        [
            (
                "piano",
                [(0.0, 1.0, p) for p in (48, 64, 60, 72)]  # four notes: one per voice
                + [(1.0, 2.0, p) for p in (50, 74)]  # two: soprano and bass
                + [(2.0, 3.0, 65)]  # one: soprano
                + [(3.0, 4.0, p) for p in (45, 55, 62, 69, 77)],  # five: the fourth is dropped
            )
        ],
    )
    ds = MidiFolder(tmp_path, pad=True)
    g = ds.grids[0]
    np.testing.assert_array_equal(g[0], [72, 64, 60, 48])
    np.testing.assert_array_equal(g[4], [74, np.nan, np.nan, 50])
    np.testing.assert_array_equal(g[8], [65, np.nan, np.nan, np.nan])
    np.testing.assert_array_equal(g[12], [77, 69, 62, 45])
    assert ((ds.data > 0).sum(-1) <= 1).all()  # every track monophonic


def test_split_by_pitch_function() -> None:
    active = np.zeros((3, 128), dtype=bool)
    active[0, [40, 50, 60]] = True
    active[2, 70] = True
    np.testing.assert_array_equal(split_by_pitch(active, 2), [[60, 40], [np.nan] * 2, [70, np.nan]])
    np.testing.assert_array_equal(split_by_pitch(active, 1), [[60], [np.nan], [70]])
    with pytest.raises(ValueError, match=r"expected shape \(time, 128\), got \(3, 12\)"):
        split_by_pitch(active[:, :12], 2)


@pytest.mark.parametrize(
    ("kwargs", "count", "starts"),
    [
        ({}, 2, [0, 2]),
        ({"hop_bars": 1}, 4, [0, 1, 2, 3]),
        ({"pad": True}, 3, [0, 2, 4]),
        ({"bars": 1}, 5, [0, 1, 2, 3, 4]),
        ({"bars": 4, "hop_bars": 2}, 1, [0]),
    ],
)
def test_phrase_count_for_a_file_of_n_bars(
    tmp_path: Path, kwargs: dict, count: int, starts: list[int]
) -> None:
    _write(tmp_path / "five_bars.mid", [("a", _bars(5))])
    ds = MidiFolder(tmp_path, tracks=1, **kwargs)
    assert len(ds) == count and ds.start_bars == starts
    bars = kwargs.get("bars", 2)
    assert ds.data.shape == (count, 1, bars, 16, 84)
    for phrase, start in zip(ds.grids, ds.start_bars, strict=True):
        sounding = ~np.isnan(phrase[:, 0])
        assert sounding.sum() == 16 * min(bars, 5 - start)  # a padded phrase is rests at the end


def test_silent_phrases_are_skipped_and_counted(tmp_path: Path) -> None:
    notes = [(0.0, 8.0, 60), (16.0, 20.0, 62)]  # bars 0-1, silence in 2-3, bar 4
    _write(tmp_path / "gap.mid", [("a", notes)])
    ds = MidiFolder(tmp_path, pad=True)
    assert ds.start_bars == [0, 4] and ds.phrases_skipped == {"silent": 1, "meter": 0}
    assert not ds.skipped


def test_corrupt_file_is_named_or_skipped_and_reported(tmp_path: Path) -> None:
    _write(tmp_path / "good.mid", [("a", _bars(2))])
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "broken.MID").write_bytes(b"MThd\x00\x00\x00\x06garbage")
    with pytest.raises(MidiFileError, match=r"broken\.MID: not a readable MIDI file"):
        MidiFolder(tmp_path)
    with pytest.warns(UserWarning, match=r"skipped 1 of 2 files \(1 unreadable\).*broken\.MID"):
        ds = MidiFolder(tmp_path, on_error="skip")
    assert [(Path(p).name, "readable" in r) for p, r in ds.skipped] == [("broken.MID", True)]
    assert len(ds) == 1 and ds.names == ["good.mid"]


def test_folder_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"root .*missing does not exist"):
        MidiFolder(tmp_path / "missing")
    (tmp_path / "notes.txt").write_text("no music")
    (tmp_path / ".hidden").mkdir()
    _write(tmp_path / ".hidden" / "x.mid", [("a", _bars(2))])  # hidden: ignored
    with pytest.raises(ValueError, match=r"no \.mid/\.midi files in "):
        MidiFolder(tmp_path)
    with pytest.raises(ValueError, match="is not a folder"):
        MidiFolder(tmp_path / "notes.txt")
    with pytest.raises(ValueError, match="on_error must be one of"):
        MidiFolder(tmp_path, on_error="ignore")


def test_files_without_phrases_are_reported(tmp_path: Path) -> None:
    _write(tmp_path / "drums.mid", [("kit", [(0.0, 1.0, 36)], True)])
    _write(tmp_path / "short.mid", [("a", _bars(1))])
    with pytest.raises(ValueError, match=r"no files of .* gave a phrase") as err:
        MidiFolder(tmp_path)
    assert "drums.mid (only drum tracks)" in str(err.value)
    assert "short.mid (shorter than one phrase (1 bars, a phrase is 2" in str(err.value)
    _write(tmp_path / "ok.mid", [("a", _bars(2))])
    with pytest.warns(UserWarning, match=r"skipped 2 of 3 files \(0 unreadable\)"):
        ds = MidiFolder(tmp_path)
    assert [Path(p).name for p, _ in ds.skipped] == ["drums.mid", "short.mid"]


def test_time_signatures(tmp_path: Path) -> None:
    # 3/4: bars of 3 quarter notes. The default roll's bar is 4 (16 / 4): phrases skipped.
    _write(
        tmp_path / "waltz.mid",
        [("a", [(0.0, 3.0, 60), (3.0, 6.0, 62)])],
        time_signatures=[(0, 3, 4)],
    )
    with pytest.raises(ValueError, match=r"another length than the roll's 4 quarter notes"):
        MidiFolder(tmp_path)
    ds = MidiFolder(tmp_path, steps_per_bar=12)  # 12 / 4: a 3/4 bar
    assert {(b, s) for _, b, s, _ in _on(ds[0])} == {(b, s) for b in (0, 1) for s in range(12)}
    stretched = MidiFolder(tmp_path, other_meters="stretch")  # each 3/4 bar over 16 steps
    assert _on(stretched[0]) == {(0, 0, s, 60) for s in range(16)} | {
        (0, 1, s, 62) for s in range(16)
    }


def test_time_signature_change_moves_bar_lines(tmp_path: Path) -> None:
    # Two bars of 4/4, then 2/4 bars: with "stretch" each 2/4 bar is 16 steps.
    notes = [(0.0, 8.0, 60), (8.0, 10.0, 62), (10.0, 11.0, 64)]
    _write(tmp_path / "m.mid", [("a", notes)], time_signatures=[(0, 4, 4), (8, 2, 4)])
    ds = MidiFolder(tmp_path, other_meters="stretch")
    assert len(ds) == 2 and ds.start_bars == [0, 2]
    assert _on(ds[1]) == {(0, 0, s, 62) for s in range(16)} | {(0, 1, s, 64) for s in range(8)}
    strict = MidiFolder(tmp_path)
    assert strict.start_bars == [0] and strict.phrases_skipped["meter"] == 1


def test_out_of_range_octave_or_drop(tmp_path: Path) -> None:
    _write(tmp_path / "r.mid", [("a", [(0.0, 4.0, 100), (4.0, 8.0, 30), (8.0, 16.0, 60)])])
    octave = MidiFolder(tmp_path, tracks=1, lowest_pitch=36, pitches=48)  # MIDI 36..83
    assert octave.start_bars == [0, 2]
    np.testing.assert_array_equal(octave.grids[0, ::16, 0], [76, 42])  # moved by octaves
    dropped = MidiFolder(tmp_path, tracks=1, lowest_pitch=36, pitches=48, out_of_range="drop")
    assert dropped.start_bars == [2] and dropped.phrases_skipped["silent"] == 1


def test_fewer_tracks_policies(tmp_path: Path) -> None:
    _write(
        tmp_path / "two.mid", [("rh", [(0.0, 8.0, 72)]), ("lh", [(0.0, 8.0, 48), (0.0, 8.0, 55)])]
    )
    silent = MidiFolder(tmp_path)
    np.testing.assert_array_equal(silent.grids[0, 0], [72, 55, np.nan, np.nan])
    split = MidiFolder(tmp_path, fewer_tracks="split")
    np.testing.assert_array_equal(split.grids[0, 0], [72, 55, np.nan, 48])
    with pytest.raises(ValueError, match=r"2 pitched instruments, fewer than the roll's 4 tracks"):
        MidiFolder(tmp_path, fewer_tracks="skip")
    more = MidiFolder(tmp_path, tracks=1)  # more instruments than tracks: the first ones
    np.testing.assert_array_equal(more.grids[0, :, 0], np.full(32, 72))


def test_music21_streams(tmp_path: Path) -> None:
    music21 = pytest.importorskip("music21")
    from music21 import chord, meter, note, stream

    score = stream.Score()
    for k, pitch in enumerate(("C5", "G4", "E4", "C3")):
        part = stream.Part(id=f"p{k}")
        m0 = stream.Measure(number=0)
        m0.append(meter.TimeSignature("4/4"))
        m0.append(note.Note(pitch, quarterLength=1.0))  # a one-beat pickup
        part.append(m0)
        for number in (1, 2):
            m = stream.Measure(number=number)
            m.append(note.Note(pitch, quarterLength=4.0))
            part.append(m)
        score.insert(0, part)
    ds = MidiFolder.from_streams(score, pad=True)
    assert ds.root is None and ds.files == [] and ds.names == ["stream0", "stream0"]
    # The pickup ends on the first bar line: bar 0 is 3 beats of rests, then the pickup.
    expected = {(k, 0, s, p) for k, p in enumerate((72, 67, 64, 48)) for s in range(12, 16)} | {
        (k, 1, s, p) for k, p in enumerate((72, 67, 64, 48)) for s in range(16)
    }
    assert ds.start_bars == [0, 2] and _on(ds[0]) == expected

    chords = stream.Stream([chord.Chord(["C3", "E4", "G4", "C5"], quarterLength=8.0)])
    both = MidiFolder.from_streams([chords, score], names=["chords", "satb"], pad=True)
    assert both.names == ["chords", "satb", "satb"]
    np.testing.assert_array_equal(both.grids[0, 0], [72, 67, 64, 48])
    with pytest.raises(TypeError, match=r"streams\[1\] should be a music21 stream"):
        MidiFolder.from_streams([chords, "not a stream"])
    assert music21.__version__


def test_items_batch_like_jsb_chorales(tmp_path: Path) -> None:
    for k in range(3):
        _write(tmp_path / f"f{k}.mid", [(f"v{j}", _bars(4, 50 + 7 * j + k)) for j in range(4)])
    pr = PianoRoll(tracks=4, bars=2, steps_per_bar=16, pitches=84, lowest_pitch=0)
    ds = MidiFolder(tmp_path, pr)
    assert len(ds) == 6 and ds.feature_shape == pr.feature_shape
    batches = list(DataLoader(ds, batch_size=4, shuffle=True, drop_last=False))
    x = torch.cat(batches)
    assert x.shape == (6, *pr.feature_shape) and x.dtype == torch.float32
    assert set(x.unique().tolist()) == {-1.0, 1.0}
    # the roll and the pitch grid agree, as for JSBChorales
    torch.testing.assert_close(
        pitches_to_roll(torch.from_numpy(ds.grids), 2, 16, 84, 0), torch.as_tensor(ds.data).float()
    )
    assert next(iter(DataLoader(ds, batch_size=2, num_workers=1))).shape == (2, 4, 2, 16, 84)


def test_arguments_and_splits(tmp_path: Path) -> None:
    for k in range(12):
        _write(tmp_path / f"piece{k:02d}.mid", [("a", _bars(2, 60 + k))])
    with pytest.raises(ValueError, match=r"tracks=3 disagrees with the frontend's tracks=4"):
        MidiFolder(tmp_path, PianoRoll(), tracks=3)
    assert MidiFolder(tmp_path, PianoRoll(), tracks=4).feature_shape == (4, 2, 16, 84)
    with pytest.raises(ValueError, match="fewer_tracks must be one of"):
        MidiFolder(tmp_path, fewer_tracks="fill")
    with pytest.raises(ValueError, match="split must be None or one of"):
        MidiFolder(tmp_path, split="dev")
    every = MidiFolder(tmp_path)
    parts = {s: MidiFolder(tmp_path, split=s).names for s in ("train", "valid", "test")}
    assert sorted(sum(parts.values(), [])) == every.names  # a partition by file
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert MidiFolder(tmp_path).cache_key() == every.cache_key()
    assert "MidiFolder(root=" in repr(every)


@pytest.mark.parametrize("name", ["bach/bwv66.6", "bach/bwv1.6"])
def test_chorale_streams_match_pianoroll_from_music21(name: str) -> None:
    corpus = pytest.importorskip("music21.corpus")
    score = corpus.parse(name)  # bwv1.6 has a horn part before the four voices
    pr = PianoRoll()
    ds = MidiFolder.from_streams(score, pr, pad=True)
    parts = [p.partName for p in score.parts]
    satb = [parts.index(v) for v in ("Soprano", "Alto", "Tenor", "Bass")]
    ref = pr.from_music21(score, instruments=satb)  # the same grid, segments from the pickup bar
    assert ds.start_bars == list(range(0, 2 * len(ref), 2))
    torch.testing.assert_close(torch.as_tensor(ds.data).float(), ref)
