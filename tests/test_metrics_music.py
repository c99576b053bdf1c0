"""Tests for audiogan.metrics.music: hand-built rolls with known values, regressions, properties."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from audiogan.metrics.music import (
    MIX_NOTE,
    default_min_length,
    drum_pattern_rate,
    empty_bar_rate,
    empty_beat_rate,
    format_music_report,
    music_report,
    n_pitches_used,
    pitch_class_entropy,
    pitch_range,
    polyphony,
    polyphony_rate,
    qualified_note_rate,
    roll_mask,
    scale_consistency,
    tonal_centroid,
    tonal_distance,
    tonal_matrix,
    used_pitch_classes,
)

C4 = 60  # with lowest_pitch=0 the pitch index is the MIDI number


def roll(
    batch: int = 1, tracks: int = 1, bars: int = 1, steps: int = 16, pitches: int = 84
) -> torch.Tensor:
    return torch.zeros(batch, tracks, bars, steps, pitches, dtype=torch.bool)


def play(
    r: torch.Tensor,
    pitch: int,
    start: int,
    length: int,
    track: int = 0,
    sample: int = 0,
    bar: int = 0,
):
    """Turn on ``pitch`` for ``length`` steps from ``start`` (within one bar)."""
    r[sample, track, bar, start : start + length, pitch] = True
    return r


def c_major_scale_roll() -> torch.Tensor:
    """One bar: C D E F G A B, two steps each."""
    r = roll()
    for i, offset in enumerate((0, 2, 4, 5, 7, 9, 11)):
        play(r, C4 + offset, 2 * i, 2)
    return r


# --- regressions for the bugs of the published implementations ---------------------------------


def test_c_major_triad_counts_three_pitch_classes():
    r = roll()
    for p in (C4, C4 + 4, C4 + 7):
        play(r, p, 0, 4)
    assert used_pitch_classes(r).item() == 3


def test_four_octaves_of_c_count_one_pitch_class():
    r = roll()
    for octave in range(4):
        play(r, 24 + 12 * octave, 0, 4)
    assert used_pitch_classes(r).item() == 1
    assert pitch_class_entropy(r).item() == 0.0
    assert n_pitches_used(r).item() == 4


def test_lowest_pitch_shifts_pitch_classes():
    # index 0 with lowest_pitch=60 is C; indices 0 and 12 are both C, index 7 is G
    r = roll(pitches=24)
    play(r, 0, 0, 4)
    play(r, 12, 4, 4)
    play(r, 7, 8, 4)
    assert used_pitch_classes(r, lowest_pitch=60).item() == 2
    # index 0 read as C# (61) and index 7 as G# (68): a C# major scale contains both
    assert scale_consistency(r, lowest_pitch=61).item() == 1.0


def test_empty_beat_rate_counts_empty_beats():
    r = roll()
    play(r, C4, 0, 4)  # only the first of four beats sounds
    assert empty_beat_rate(r).item() == pytest.approx(0.75)
    assert empty_beat_rate(r, steps_per_beat=8).item() == pytest.approx(0.5)


def test_empty_beat_rate_where_muspy_differs():
    # One voice holds C4 for steps 0-3 of a 32-step phrase: 7 of its 8 beats are empty. muspy
    # 0.5 returns 0.0 (it marks the note's exclusive end beat as sounding and takes the piece's
    # length, 2 beats, from the last note's end).
    r = roll(bars=2)
    play(r, C4, 0, 4)
    assert empty_beat_rate(r).item() == pytest.approx(7 / 8)


@pytest.mark.parametrize("dtype", [torch.bool, torch.uint8, torch.int64, torch.float32])
def test_qualified_note_rate_on_any_dtype_measures_each_note(dtype):
    r = roll()
    play(r, C4, 0, 1)  # 1 step: not qualified
    play(r, C4, 4, 3)  # 3 steps: qualified
    play(r, C4 + 2, 8, 5)  # 5 steps: qualified
    play(r, C4 + 4, 14, 2)  # 2 steps: not qualified
    assert qualified_note_rate(r.to(dtype), min_length=3).item() == pytest.approx(0.5)
    assert qualified_note_rate(r.to(dtype), min_length=2).item() == pytest.approx(0.75)


@pytest.mark.parametrize(("steps", "expected"), [(16, 2), (4, 2), (48, 2), (96, 3), (192, 6)])
def test_qualified_note_threshold_follows_the_grid(steps, expected):
    assert default_min_length(steps) == expected  # MuseGAN's 3 of 96, scaled, at least 2
    r = roll(steps=steps)
    play(r, C4, 0, expected)  # just long enough
    play(r, C4 + 2, steps // 2, expected - 1)  # one step short
    assert qualified_note_rate(r).item() == pytest.approx(0.5)
    assert qualified_note_rate(r, min_length=expected).item() == pytest.approx(0.5)


def test_one_step_notes_are_not_qualified():
    r = roll()
    for step in range(0, 16, 2):
        play(r, C4, step, 1)
    assert qualified_note_rate(r, min_length=2).item() == 0.0
    assert qualified_note_rate(r, min_length=1).item() == 1.0


def test_signed_float_roll_is_thresholded_at_zero():
    r = play(roll(), C4, 0, 3)
    signed = r.float() * 2 - 1  # {-1, 1}: the generator's tanh range
    assert torch.equal(roll_mask(signed), r)
    assert qualified_note_rate(signed).item() == 1.0
    assert empty_bar_rate(signed).item() == 0.0


def test_polyphony_rate_threshold_two_means_three_or_more():
    r = roll(steps=4)
    play(r, C4, 0, 1)  # step 0: 1 pitch
    play(r, C4, 1, 1)
    play(r, C4 + 4, 1, 1)  # step 1: 2 pitches
    for p in (C4, C4 + 4, C4 + 7):
        play(r, p, 2, 1)  # step 2: 3 pitches; step 3: silent
    assert polyphony_rate(r).item() == pytest.approx(0.25)
    assert polyphony_rate(r, threshold=1).item() == pytest.approx(0.5)
    assert polyphony(r).item() == pytest.approx(6 / 3)  # 6 cells over 3 sounding steps


def test_notes_across_bar_lines_are_one_note():
    r = roll(bars=2)
    play(r, C4, 15, 1, bar=0)
    play(r, C4, 0, 2, bar=1)
    assert qualified_note_rate(r, min_length=3).item() == 1.0
    assert pitch_class_entropy(r).item() == 0.0


# --- hand-built known values -----------------------------------------------------------------


def test_empty_roll():
    r = roll(batch=2, tracks=3, bars=4)
    assert torch.equal(empty_bar_rate(r), torch.ones(3))
    assert torch.equal(empty_beat_rate(r), torch.ones(3))
    for metric in (
        used_pitch_classes,
        qualified_note_rate,
        polyphony,
        pitch_range,
        pitch_class_entropy,
    ):
        assert torch.isnan(metric(r)).all(), metric.__name__
    assert torch.equal(n_pitches_used(r), torch.zeros(3))
    assert torch.equal(polyphony_rate(r), torch.zeros(3))


def test_c_major_scale_bar():
    r = c_major_scale_roll()
    assert scale_consistency(r).item() == 1.0
    assert used_pitch_classes(r).item() == 7
    assert pitch_range(r).item() == 11
    assert n_pitches_used(r).item() == 7
    assert pitch_class_entropy(r).item() == pytest.approx(math.log2(7))
    assert empty_bar_rate(r).item() == 0.0
    assert qualified_note_rate(r, min_length=2).item() == 1.0
    assert polyphony(r).item() == 1.0


def test_chromatic_notes_lower_scale_consistency():
    r = roll()
    for i in range(12):
        play(r, C4 + i, i, 1)
    assert scale_consistency(r).item() == pytest.approx(7 / 12)
    assert pitch_class_entropy(r).item() == pytest.approx(math.log2(12))


def test_empty_bar_rate_per_track_and_batch_average():
    r = roll(batch=2, tracks=2, bars=4)
    play(r, C4, 0, 4, track=0, sample=0, bar=0)  # sample 0, track 0: 3 of 4 bars empty
    for bar in range(4):
        play(r, C4, 0, 4, track=0, sample=1, bar=bar)  # sample 1, track 0: none empty
    per_sample = empty_bar_rate(r, reduce=False)
    assert per_sample.tolist() == [[0.75, 1.0], [0.0, 1.0]]
    assert empty_bar_rate(r).tolist() == [0.375, 1.0]


def test_used_pitch_classes_skip_empty_bars():
    r = roll(bars=2)
    play(r, C4, 0, 2, bar=0)
    play(r, C4 + 4, 2, 2, bar=0)  # bar 0: C, E; bar 1: empty
    assert used_pitch_classes(r).item() == 2.0


def test_undefined_samples_are_ignored_in_the_batch_mean():
    r = roll(batch=2)
    play(r, C4, 0, 1, sample=0)
    assert torch.isnan(qualified_note_rate(r, reduce=False)[1, 0])
    assert qualified_note_rate(r, min_length=2).item() == 0.0


def test_tonal_distance_of_a_track_with_itself_is_zero():
    r = c_major_scale_roll().repeat(1, 2, 1, 1, 1)
    td = tonal_distance(r)
    assert td.shape == (2, 2)
    assert torch.allclose(td, torch.zeros(2, 2), atol=1e-6)


def test_tonal_distance_known_value():
    # One beat, track 0 plays C, track 1 plays G: centroids are columns 0 and 7 of the matrix.
    r = roll(tracks=2, steps=4)
    play(r, C4, 0, 4, track=0)
    play(r, C4 + 7, 0, 4, track=1)
    m = tonal_matrix()
    expected = torch.linalg.norm(m[:, 0] - m[:, 7])
    td = tonal_distance(r)
    assert td[0, 1].item() == pytest.approx(expected.item(), rel=1e-5)
    assert td[1, 0].item() == pytest.approx(td[0, 1].item())


def test_tonal_distance_skips_beats_where_a_track_is_silent():
    r = roll(tracks=2, steps=8)
    play(r, C4, 0, 8, track=0)
    play(r, C4 + 12, 0, 4, track=1)  # second beat: track 1 silent
    assert tonal_distance(r, steps_per_beat=4)[0, 1].item() == pytest.approx(0.0, abs=1e-6)
    assert torch.isnan(tonal_distance(roll(tracks=2))).all()


def test_tonal_matrix_values():
    m = tonal_matrix()
    assert m.shape == (6, 12)
    k = 5
    assert m[0, k].item() == pytest.approx(math.sin(k * 7 * math.pi / 6), abs=1e-6)
    assert m[3, k].item() == pytest.approx(math.cos(k * 3 * math.pi / 2), abs=1e-6)
    assert m[5, k].item() == pytest.approx(0.5 * math.cos(k * 2 * math.pi / 3), abs=1e-6)
    assert torch.isnan(tonal_centroid(torch.zeros(12))).all()


def test_drum_pattern_rate_filter():
    r = roll(steps=96, pitches=4)
    for step in (0, 6, 12, 18):  # on the 16th grid
        r[0, 0, 0, step, 0] = True
    assert drum_pattern_rate(r).item() == pytest.approx(1.0)
    r[0, 0, 0, 31, 1] = True  # one step off the grid (30): weight 0.3
    r[0, 0, 0, 33, 2] = True  # three steps off: weight 0
    assert drum_pattern_rate(r).item() == pytest.approx((4 + 0.3) / 6)


def test_drum_pattern_rate_takes_the_best_shift():
    r = roll(steps=96, pitches=1)
    for step in range(2, 96, 6):  # every hit shifted by two steps: the shift-2 filter fits
        r[0, 0, 0, step, 0] = True
    assert drum_pattern_rate(r).item() == pytest.approx(1.0)


def test_drum_pattern_rate_at_16_steps_with_an_eighth_grid():
    r = roll(pitches=1)
    for step in (0, 2, 4, 7):  # 3 on the eighth grid, 1 off it
        r[0, 0, 0, step, 0] = True
    assert drum_pattern_rate(r, grid=8).item() == pytest.approx((3 + 0.3) / 4)
    assert drum_pattern_rate(r, grid=16).item() == 1.0  # period 1: everything is on the grid


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: empty_bar_rate(torch.zeros(2, 16, 84)), "expected shape"),
        (lambda: empty_beat_rate(roll(steps=12), steps_per_beat=5), "steps_per_beat"),
        (lambda: empty_beat_rate(roll(steps=6)), "steps_per_beat"),
        (lambda: qualified_note_rate(roll(), min_length=0), "min_length"),
        (lambda: default_min_length(0), "steps_per_bar"),
        (lambda: polyphony_rate(roll(), threshold=-1), "threshold"),
        (lambda: drum_pattern_rate(roll(), grid=5), "grid"),
        (lambda: used_pitch_classes(roll(), lowest_pitch=200), "lowest_pitch"),
        (lambda: tonal_centroid(torch.zeros(3, 11)), "chroma"),
    ],
)
def test_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# --- report ----------------------------------------------------------------------------------


def test_music_report_side_by_side():
    scale = c_major_scale_roll()
    voices = [torch.roll(scale, -12 * i, dims=-1) for i in range(4)]  # the scale in four octaves
    real = torch.cat(voices, dim=1).repeat(3, 1, 1, 1, 1)
    fake = roll(batch=2, tracks=4)
    play(fake, C4, 0, 1, track=1)
    names = ["soprano", "alto", "tenor", "bass"]
    report = music_report(real, fake.to(torch.uint8), names)  # min_length 2 at 16 steps
    assert report["empty_bar_rate"]["soprano"] == {"real": 0.0, "fake": 1.0}
    assert report["used_pitch_classes"]["alto"]["real"] == 7.0
    assert report["qualified_note_rate"]["alto"]["fake"] == 0.0
    assert math.isnan(report["qualified_note_rate"]["soprano"]["fake"])
    assert report["polyphony"]["merged"]["real"] == 4.0  # four voices in octaves, merged
    assert report["tonal_distance"]["soprano-bass"]["real"] == pytest.approx(0.0, abs=1e-6)
    assert len(report["tonal_distance"]) == 6
    assert "drum_pattern_rate" not in report
    table = format_music_report(report)
    assert "qualified notes (QN)" in table and "soprano-alto" in table and "nan" in table
    assert MIX_NOTE in table  # says what the merged column is
    assert len(table.splitlines()) == 2 + 10 + 1 + 2 + 6


def test_merged_column_counts_a_unison_of_two_voices_once():
    real = roll(batch=1, tracks=2)
    play(real, C4, 0, 4, track=0)
    play(real, C4, 0, 4, track=1)  # the same note in both voices
    report = music_report(real, real, ["soprano", "alto"])
    assert report["n_pitches_used"]["merged"]["real"] == 1.0
    assert report["polyphony"]["merged"]["real"] == 1.0  # not 2: the unison is one note


def test_music_report_with_a_drum_track():
    real = roll(batch=2, tracks=3, steps=16)
    play(real, C4, 0, 4, track=0)
    play(real, C4 + 4, 0, 4, track=1)
    real[:, 2, 0, ::2, 36] = True  # drums on the eighth grid
    report = music_report(real, real, ["piano", "guitar", "drums"], drum_track=2, drum_grid=8)
    assert report["drum_pattern_rate"] == {"drums": {"real": 1.0, "fake": 1.0}}
    assert "drums" not in report["used_pitch_classes"]
    assert "drums" in report["empty_bar_rate"]
    assert list(report["tonal_distance"]) == ["piano-guitar"]
    assert report["used_pitch_classes"]["merged"]["real"] == 2.0


def test_music_report_errors():
    with pytest.raises(ValueError, match="fake"):
        music_report(roll(tracks=2), roll(tracks=3))
    with pytest.raises(ValueError, match="track_names"):
        music_report(roll(tracks=2), roll(tracks=2), ["a"])
    with pytest.raises(ValueError, match="drum_track"):
        music_report(roll(tracks=2), roll(tracks=2), drum_track=2)


# --- properties ------------------------------------------------------------------------------

rolls = st.tuples(
    st.integers(1, 3),
    st.integers(1, 3),
    st.integers(1, 3),
    st.sampled_from([4, 8, 16]),
    st.integers(0, 2**31),
)


def random_roll(shape_seed: tuple[int, int, int, int, int], density: float = 0.1) -> torch.Tensor:
    batch, tracks, bars, steps, seed = shape_seed
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(batch, tracks, bars, steps, 48, generator=generator) < density


@settings(max_examples=25, deadline=None)
@given(rolls)
def test_rates_are_in_range(shape_seed):
    r = random_roll(shape_seed)
    rates = {
        "EB": empty_bar_rate(r),
        "empty beats": empty_beat_rate(r),
        "QN": qualified_note_rate(r),
        "polyphony rate": polyphony_rate(r),
        "DP": drum_pattern_rate(r, grid=2),
    }
    for name, values in rates.items():
        finite = values[~torch.isnan(values)]
        assert ((finite >= 0) & (finite <= 1 + 1e-6)).all(), name
    upc = used_pitch_classes(r)
    upc = upc[~torch.isnan(upc)]
    assert ((upc >= 0) & (upc <= 12)).all()
    sc = scale_consistency(r)
    sc = sc[~torch.isnan(sc)]
    assert ((sc >= 7 / 12 - 1e-6) & (sc <= 1 + 1e-6)).all()


@settings(max_examples=12, deadline=None)
@given(rolls, st.integers(0, 11))
def test_transposition_by_an_octave_leaves_pitch_class_metrics_unchanged(shape_seed, lowest):
    r = random_roll(shape_seed)
    r[..., -12:] = False  # the top octave would fall off the roll
    up = torch.zeros_like(r)
    up[..., 12:] = r[..., :-12]
    for metric in (used_pitch_classes, pitch_class_entropy, scale_consistency, tonal_distance):
        a, b = metric(r, lowest_pitch=lowest), metric(up, lowest_pitch=lowest)
        assert torch.allclose(a, b, atol=1e-5, equal_nan=True), metric.__name__
    assert torch.allclose(pitch_range(r), pitch_range(up), equal_nan=True)


@settings(max_examples=25, deadline=None)
@given(rolls)
def test_batch_reduction_is_the_nan_mean_of_samples(shape_seed):
    r = random_roll(shape_seed, density=0.05)
    for metric in (empty_bar_rate, used_pitch_classes, qualified_note_rate, polyphony, pitch_range):
        per_sample = metric(r, reduce=False)
        assert per_sample.shape == r.shape[:2]
        defined = ~torch.isnan(per_sample)
        expected = torch.where(defined, per_sample, 0.0).sum(dim=0) / defined.sum(dim=0)  # 0/0: NaN
        assert torch.allclose(metric(r), expected, atol=1e-6, equal_nan=True), metric.__name__
        items = torch.cat([metric(r[i : i + 1], reduce=False) for i in range(r.shape[0])])
        assert torch.allclose(items, per_sample, equal_nan=True), metric.__name__


@settings(max_examples=25, deadline=None)
@given(rolls)
def test_tonal_distance_is_symmetric_with_zero_diagonal(shape_seed):
    r = random_roll(shape_seed, density=0.2)
    td = tonal_distance(r)
    assert torch.allclose(td, td.T, equal_nan=True)
    diagonal = td.diagonal()
    assert torch.allclose(diagonal[~torch.isnan(diagonal)], torch.tensor(0.0), atol=1e-5)
    assert (td[~torch.isnan(td)] >= 0).all()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_matches_cpu():
    r = random_roll((2, 3, 2, 16, 0), density=0.2)
    cuda = r.cuda()
    for metric in (
        empty_bar_rate,
        used_pitch_classes,
        qualified_note_rate,
        scale_consistency,
        tonal_distance,
    ):
        out = metric(cuda)
        assert out.device.type == "cuda"
        assert torch.allclose(out.cpu(), metric(r), atol=1e-5, equal_nan=True), metric.__name__
    report = music_report(cuda, cuda)
    assert report["polyphony"]["track0"]["real"] == report["polyphony"]["track0"]["fake"]
