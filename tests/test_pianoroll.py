"""Tests for audiogan.frontends.pianoroll: encode/decode, binarize, MIDI and music21 import."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from audiogan.frontends.pianoroll import (
    PianoRoll,
    binarize_roll,
    pitches_to_roll,
    roll_to_pitches,
    roll_to_tracks,
    segment_pitches,
)
from audiogan.music.midi import MidiFileError, Note, Track, read_midi, write_midi

NAN = float("nan")


def random_pitches(
    shape: tuple[int, ...], seed: int = 0, low: int = 0, high: int = 84, rest: float = 0.2
) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    p = torch.randint(low, high, shape, generator=g).float()
    p[torch.rand(shape, generator=g) < rest] = NAN
    return p


def same(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Equal, NaN matching NaN."""
    return a.shape == b.shape and bool(((a == b) | (a.isnan() & b.isnan())).all())


# ---------------------------------------------------------------- encode / decode


def test_frontend_attributes_and_config_rebuild():
    pr = PianoRoll()
    assert pr.suffix == ".mid"
    assert pr.feature_shape == (4, 2, 16, 84)
    assert (pr.tracks, pr.bars, pr.steps_per_bar, pr.pitches) == (4, 2, 16, 84)
    assert pr.sample_rate == 0
    assert pr.track_names == ("soprano", "alto", "tenor", "bass")
    assert pr.steps_per_second == pytest.approx(66 / 60 * 4)
    clone = type(pr)(**pr.config)
    assert clone.config == pr.config
    assert isinstance(pr.config["programs"], list)
    assert PianoRoll(tracks=2).track_names == ("track0", "track1")


def test_encode_shape_range_and_one_hot():
    pr = PianoRoll()
    p = random_pitches((3, 32, 4))
    roll = pr.encode(p)
    assert roll.shape == (3, 4, 2, 16, 84)
    assert set(roll.unique().tolist()) <= {-1.0, 1.0}
    on = (roll > 0).sum(-1)  # (3, 4, 2, 16)
    rests = p.isnan().reshape(3, 2, 16, 4).permute(0, 3, 1, 2)
    assert torch.equal(on, (~rests).long())


def test_encode_places_time_and_track_on_the_right_axes():
    pr = PianoRoll()
    p = torch.full((32, 4), NAN)
    p[0, 0] = 60  # bar 0, step 0, soprano
    p[17, 3] = 40  # bar 1, step 1, bass
    roll = pr.encode(p)
    assert roll[0, 0, 0, 60] == 1 and roll[3, 1, 1, 40] == 1
    assert (roll > 0).sum() == 2


def test_lowest_pitch_offsets_the_index():
    pr = PianoRoll(pitches=48, lowest_pitch=36)
    p = torch.full((32, 4), 36.0)
    p[5, 2] = 83
    roll = pr.encode(p)
    assert roll.shape[-1] == 48
    assert roll[0, 0, 0, 0] == 1 and roll[2, 0, 5, 47] == 1
    assert same(pr.decode(roll), p)


@settings(max_examples=30, deadline=None)
@given(
    arrays(
        np.float64, (2, 32, 4), elements=st.one_of(st.integers(0, 83).map(float), st.just(math.nan))
    )
)
def test_pitches_roll_pitches_round_trip(p):
    x = torch.from_numpy(p).float()
    assert same(roll_to_pitches(pitches_to_roll(x, 2, 16, 84)), x)


def test_batched_equals_item_by_item():
    pr = PianoRoll()
    p = random_pitches((2, 3, 32, 4), seed=1)
    batched = pr.encode(p)
    for i in range(2):
        for j in range(3):
            assert torch.equal(batched[i, j], pr.encode(p[i, j]))
    assert same(pr.decode(batched), p)


def test_decode_raw_output_uses_threshold():
    pr = PianoRoll()
    raw = torch.full((4, 2, 16, 84), -0.9)
    raw[0, 0, 0, 10] = 0.3  # sounds
    raw[1, 0, 0, 20] = -0.1  # strongest, but not above 0: rest
    out = pr.decode(raw)
    assert out[0, 0] == 10 and out[0, 1].isnan()
    assert pr.decode(raw, threshold=None)[0, 1] == 20


def test_encode_errors():
    pr = PianoRoll()
    with pytest.raises(ValueError, match=r"expected shape \(\.\.\., 32, 4\)"):
        pr.encode(torch.zeros(31, 4))
    with pytest.raises(ValueError, match="MIDI numbers in 0..83"):
        pr.encode(torch.full((32, 4), 84.0))
    with pytest.raises(ValueError, match="whole MIDI numbers"):
        pr.encode(torch.full((32, 4), 60.5))
    with pytest.raises(ValueError, match=r"expected shape \(\.\.\., 4, 2, 16, 84\)"):
        pr.decode(torch.zeros(4, 2, 16, 83))


def test_constructor_errors():
    with pytest.raises(ValueError, match="programs"):
        PianoRoll(programs=(0, 0))
    with pytest.raises(ValueError, match="MIDI 0..127"):
        PianoRoll(lowest_pitch=60, pitches=84)
    with pytest.raises(ValueError, match="distinct"):
        PianoRoll(tracks=2, track_names=("a", "A"))
    with pytest.raises(ValueError, match="tempo"):
        PianoRoll(tempo=0)


# ---------------------------------------------------------------- binarize

rolls = arrays(np.float32, (2, 3, 5, 7), elements=st.floats(-1, 1, width=32))


@settings(max_examples=50, deadline=None)
@given(rolls)
def test_argmax_without_threshold_gives_exactly_one_note(r):
    out = binarize_roll(torch.from_numpy(r), "argmax", threshold=None)
    assert set(out.unique().tolist()) <= {-1.0, 1.0}
    assert torch.equal((out > 0).sum(-1), torch.ones(2, 3, 5, dtype=torch.long))
    # the +1 sits on a maximum
    x = torch.from_numpy(r)
    assert torch.equal(x[out > 0], x.max(-1).values.flatten())


@settings(max_examples=50, deadline=None)
@given(rolls, st.floats(-1, 1))
def test_argmax_with_threshold_silences_weak_steps(r, t):
    x = torch.from_numpy(r)
    out = binarize_roll(x, "argmax", threshold=t)
    assert set(out.unique().tolist()) <= {-1.0, 1.0}
    n_on = (out > 0).sum(-1)
    assert torch.equal(n_on, (x.max(-1).values > t).long())


@settings(max_examples=50, deadline=None)
@given(rolls, st.floats(-1, 1))
def test_threshold_mode_is_elementwise(r, t):
    x = torch.from_numpy(r)
    out = binarize_roll(x, "threshold", threshold=t)
    assert torch.equal(out > 0, x > t)
    assert set(out.unique().tolist()) <= {-1.0, 1.0}


def test_binarize_is_idempotent_on_rolls_and_breaks_ties_upward():
    pr = PianoRoll()
    roll = pr.encode(random_pitches((32, 4), seed=2))
    assert torch.equal(pr.binarize(roll), roll)
    tie = torch.full((4, 2, 16, 84), -1.0)
    tie[0, 0, 0, [10, 30]] = 0.5
    assert pr.binarize(tie)[0, 0, 0].argmax() == 30
    assert pr.decode(tie)[0, 0] == 30


def test_binarize_errors():
    with pytest.raises(ValueError, match="mode must be one of"):
        binarize_roll(torch.zeros(4, 2, 16, 84), "softmax")
    with pytest.raises(ValueError, match="needs a number"):
        binarize_roll(torch.zeros(4, 2, 16, 84), "threshold", None)


# ---------------------------------------------------------------- notes and MIDI


def test_roll_to_tracks_merges_held_notes_and_splits_changes():
    p = torch.full((32, 4), NAN)
    p[0:4, 0] = 60  # one held note of 4 steps
    p[4:6, 0] = 62
    p[8:10, 0] = 62  # same pitch after a rest: a new note
    p[16:32, 3] = 40  # crosses nothing but a bar line inside the roll
    tracks = roll_to_tracks(pitches_to_roll(p, 2, 16), names=["s", "a", "t", "b"])
    assert tracks[0].notes == [Note(0, 4, 60), Note(4, 6, 62), Note(8, 10, 62)]
    assert tracks[1].notes == [] and tracks[2].notes == []
    assert tracks[3].notes == [Note(16, 32, 40)]
    assert [t.name for t in tracks] == ["s", "a", "t", "b"]


def test_roll_to_tracks_polyphonic_threshold_mode():
    roll = torch.full((1, 1, 8, 12), -1.0)
    roll[0, 0, 0:4, [0, 4, 7]] = 1.0  # a held C major triad
    tracks = roll_to_tracks(roll, lowest_pitch=60, mode="threshold")
    assert tracks[0].notes == [Note(0, 4, 60), Note(0, 4, 64), Note(0, 4, 67)]
    assert roll_to_tracks(roll, lowest_pitch=60)[0].notes == [Note(0, 4, 67)]  # argmax: highest


def test_roll_midi_roll_round_trip(tmp_path):
    pr = PianoRoll(programs=(52, 52, 0, 32))
    p = random_pitches((32, 4), seed=3, low=36, high=82, rest=0.15)
    p[-3:, :] = NAN  # trailing rests: the file ends early, import pads them back
    p[:, 2] = NAN  # a silent track: absent from the file, matched back by track names
    roll = pr.encode(p)
    path = pr.to_midi(roll, tmp_path / "song.mid")
    assert path.is_file()
    back = pr.from_midi(path)
    assert back.shape == (1, 4, 2, 16, 84)
    assert torch.equal(back[0], roll)


def test_to_midi_writes_notes_programs_and_tempo(tmp_path):
    import pretty_midi

    pr = PianoRoll(programs=(52, 53, 54, 32), tempo=90.0)
    p = torch.full((32, 4), NAN)
    p[0:8, 0] = 72
    p[8:16, 0] = 72  # 16 steps of one pitch: a single held note, never re-struck
    p[0:32, 3] = 48
    path = pr.to_midi(pr.encode(p), tmp_path / "x.mid")
    pm = pretty_midi.PrettyMIDI(str(path))
    assert pm.get_tempo_changes()[1][0] == pytest.approx(90.0, rel=1e-5)  # stored in microseconds
    by_name = {i.name: i for i in pm.instruments}
    assert set(by_name) == {"soprano", "bass"}
    assert by_name["soprano"].program == 52 and by_name["bass"].program == 32
    step = 60 / 90 / 4
    (s,) = by_name["soprano"].notes
    assert (s.pitch, s.start, s.end) == (72, 0.0, pytest.approx(16 * step))
    (b,) = by_name["bass"].notes
    assert b.pitch == 48 and b.end == pytest.approx(32 * step)


def test_save_writes_one_midi_file_per_item_as_to_midi_does(tmp_path):
    pr = PianoRoll(tracks=2, pitches=24, lowest_pitch=48)
    raw = torch.rand(3, 2, 2, 16, 24) * 2 - 1  # a generator's tanh output: binarized on the way
    paths = pr.save(raw, [tmp_path / "a.mid", tmp_path / "b.mid", tmp_path / "c.mid"])
    assert paths == [tmp_path / "a.mid", tmp_path / "b.mid", tmp_path / "c.mid"]
    for path, item in zip(paths, raw, strict=True):
        assert torch.equal(pr.from_midi(path)[0], pr.binarize(item))
    with pytest.raises(ValueError, match="expected 3 paths"):
        pr.save(raw, [tmp_path / "x.mid"])
    with pytest.raises(ValueError, match=r"expected features \(batch, 2, 2, 16, 24\)"):
        pr.save(raw[0], [tmp_path / "x.mid"])


def test_plot_draws_the_binarized_roll_with_track_names():
    figure = pytest.importorskip("matplotlib.figure")
    pr = PianoRoll(tracks=2, pitches=24, lowest_pitch=48, track_names=("melody", "bass"))
    ax = figure.Figure().subplots()
    raw = torch.rand(2, 2, 16, 24) * 2 - 1
    pr.plot(raw, ax)
    (image,) = ax.get_images()
    assert set(np.unique(image.get_array()).tolist()) == {-1.0, 1.0}  # as the MIDI file holds it
    assert [t.get_text() for t in ax.get_yticklabels()] == ["melody", "bass"]
    with pytest.raises(ValueError, match=r"expected one roll \(2, 2, 16, 24\)"):
        pr.plot(raw[None], ax)


def test_to_midi_of_segments_plays_them_in_order(tmp_path):
    pr = PianoRoll()
    p = random_pitches((3, 32, 4), seed=4, low=40, high=80)
    rolls = pr.encode(p)
    back = pr.from_midi(pr.to_midi(rolls, tmp_path / "long.mid"))
    assert torch.equal(back, rolls)
    overlapping = pr.from_midi(tmp_path / "long.mid", hop_bars=1)
    assert overlapping.shape[0] == 6  # starts at bars 0..5, the last padded with rests
    assert torch.equal(overlapping[1, :, 0], rolls[0, :, 1])


def test_from_midi_track_assignment_and_range(tmp_path):
    pr = PianoRoll(tracks=2, pitches=24, lowest_pitch=48)
    tracks = [
        Track("piano", 0, False, [Note(0, 4, 30)]),
        Track("bass", 33, False, [Note(0, 4, 50)]),
    ]
    path = write_midi(tracks, tmp_path / "two.mid")
    roll = pr.from_midi(path)  # names don't match: in order; 30 folded up by octaves to 54
    assert roll.shape == (1, 2, 2, 16, 24)
    assert pr.decode(roll[0])[0].tolist() == [54.0, 50.0]
    dropped = pr.decode(pr.from_midi(path, out_of_range="drop")[0])
    assert dropped[0, 0].isnan() and dropped[0, 1] == 50
    with pytest.raises(ValueError, match="pitch 30, outside"):
        pr.from_midi(path, out_of_range="raise")
    swapped = pr.decode(pr.from_midi(path, instruments=[1, 0])[0])
    assert swapped[0].tolist() == [50.0, 54.0]
    one = PianoRoll(tracks=1)
    with pytest.raises(ValueError, match="2 instruments/parts but the piano roll has 1"):
        one.from_midi(path)


def test_from_midi_bad_files(tmp_path):
    pr = PianoRoll()
    with pytest.raises(MidiFileError, match="no such file"):
        pr.from_midi(tmp_path / "missing.mid")
    bad = tmp_path / "bad.mid"
    bad.write_bytes(b"not a midi file at all")
    with pytest.raises(MidiFileError, match="bad.mid"):
        pr.from_midi(bad)


def test_read_midi_quantizes_in_beats_whatever_the_tempo(tmp_path):
    path = write_midi([Track("x", 0, False, [Note(2, 6, 60)])], tmp_path / "t.mid", tempo=150.0)
    assert read_midi(path)[0].notes == [Note(2, 6, 60)]
    assert read_midi(path, steps_per_beat=8)[0].notes == [Note(4, 12, 60)]


def test_segment_pitches():
    g = np.arange(10, dtype=np.float32).reshape(5, 2)
    seg = segment_pitches(g, 2)
    assert seg.shape == (3, 2, 2) and np.isnan(seg[2, 1]).all()
    assert segment_pitches(g, 2, pad=False).shape == (2, 2, 2)
    assert segment_pitches(g, 2, hop_steps=1, pad=False).shape == (4, 2, 2)
    assert segment_pitches(np.zeros((0, 4)), 32).shape == (0, 32, 4)


# ---------------------------------------------------------------- music21


def test_from_music21_keeps_voices_and_time_order():
    from music21 import corpus

    score = corpus.parse("bach/bwv66.6")
    pr = PianoRoll()
    rolls = pr.from_music21(score)
    pitches = pr.decode(rolls).reshape(-1, 4)  # segments laid end to end: (time, tracks)
    # bwv66.6 opens with a one-beat pickup: bar 0 is 3 beats of rests, then the pickup.
    assert torch.isnan(pitches[:12]).all()
    for k, part in enumerate(score.parts):
        for n in part.flatten().notes[:8]:  # read from music21 directly, in order
            step = round((float(n.offset) + 3) * 4)
            assert pitches[step, k] == n.pitch.midi, f"track {k} ({part.partName}) at {n.offset}"
    soprano = [n.pitch.midi for n in score.parts[0].flatten().notes[:6]]
    assert soprano == [73, 71, 69, 71, 73, 76]
    assert distinct_runs(pitches[:, 0])[:6] == soprano
    assert score.parts[3].partName == "Bass"
    assert np.nanmean(pitches[:, 3].numpy()) < np.nanmean(pitches[:, 2].numpy())
    no_pickup = pr.decode(pr.from_music21(score, align_pickup=False)).reshape(-1, 4)
    assert no_pickup[0, 0] == 73


def distinct_runs(column: torch.Tensor) -> list[int]:
    """Pitches of a track, one per change (held or repeated notes count once)."""
    out: list[int] = []
    prev = None
    for v in column.tolist():
        if not math.isnan(v) and v != prev:
            out.append(int(v))
        prev = v
    return out


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_encode_decode_binarize():
    pr = PianoRoll().cuda()
    p = random_pitches((2, 32, 4)).cuda()
    roll = pr.encode(p)
    assert roll.is_cuda
    assert same(pr.decode(roll).cpu(), p.cpu())
    assert torch.equal(pr.binarize(roll), roll)
