"""Tests for audiogan.data.chorales: the music21 chorales builder and the Jsb16thSeparated loader."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from audiogan.data.chorales import (
    SKIP_REASONS,
    JSBChorales,
    chorale_names,
    chorale_split,
    default_cache_dir,
    load_jsb16th_npz,
)
from audiogan.frontends.pianoroll import roll_to_pitches

NAN = np.nan


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("audiogan_cache")


@pytest.fixture(scope="module")
def five(cache_dir):
    return JSBChorales(root=cache_dir, max_chorales=5, progress=False)


def test_shapes_values_and_items(five):
    assert five.data.shape[1:] == (4, 2, 16, 84)
    assert len(five) == len(five.data) == len(five.names) > 5  # several phrases per chorale
    assert set(np.unique(five.data).tolist()) == {-1, 1}
    assert ((five.data > 0).sum(-1) <= 1).all()  # monophonic voices
    x = five[0]
    assert isinstance(x, torch.Tensor) and x.dtype == torch.float32 and x.shape == (4, 2, 16, 84)
    assert five.n_chorales == 5
    assert five.n_four_voice + five.skipped["not_four_voices"] + five.skipped["unreadable"] == 5
    assert set(five.skipped) == set(SKIP_REASONS)
    # the roll and the pitch grid agree
    back = roll_to_pitches(torch.from_numpy(five.data).float()).numpy()
    np.testing.assert_array_equal(back, five.grids)


def test_voice_and_time_order_against_music21(five):
    from music21 import corpus

    name = five.names[0]
    score = corpus.parse(name)
    pickup = 0.0
    first = score.parts[0].getElementsByClass("Measure").first()
    if first.duration.quarterLength < first.barDuration.quarterLength:
        pickup = float(first.duration.quarterLength)
    phrase = five.grids[0]  # (time, tracks): the first two full bars
    for k in (0, 3):  # soprano is track 0, bass is track 3
        notes = [n for n in score.parts[k].flatten().notes if pickup <= n.offset < pickup + 8]
        assert len(notes) >= 4
        for n in notes:
            assert phrase[round((float(n.offset) - pickup) * 4), k] == n.pitch.midi
    assert np.nanmean(phrase[:, 0]) > np.nanmean(phrase[:, 3])


def test_cache_is_reused(five, cache_dir, monkeypatch):
    assert (cache_dir / "jsb_chorales.npz").is_file()

    def no_build(self, progress):
        raise AssertionError("the cache should have been reused")

    monkeypatch.setattr(JSBChorales, "_build", no_build)
    again = JSBChorales(root=cache_dir, max_chorales=5, progress=False)
    np.testing.assert_array_equal(again.data, five.data)
    assert again.names == five.names and again.skipped == five.skipped


def test_splits_partition_by_chorale(five, cache_dir):
    parts = {
        s: JSBChorales(root=cache_dir, split=s, max_chorales=5, progress=False)
        for s in ("train", "valid", "test")
    }
    assert sum(len(p) for p in parts.values()) == len(five)
    for s, p in parts.items():
        assert all(chorale_split(n) == s for n in p.names)
    assert parts["train"].cache_key()["split"] == "train"
    json.dumps(parts["train"].cache_key())


def test_rebuilt_when_parameters_change(tmp_path):
    back_to_back = JSBChorales(root=tmp_path, max_chorales=3, progress=False)
    overlapping = JSBChorales(root=tmp_path, max_chorales=3, hop_bars=1, progress=False)
    with np.load(tmp_path / "jsb_chorales.npz") as f:
        assert json.loads(str(f["meta"]))["params"]["hop_bars"] == 1
    name = back_to_back.names[0]
    a = back_to_back.grids[[n == name for n in back_to_back.names]]
    b = overlapping.grids[[n == name for n in overlapping.names]]
    # k back-to-back phrases cover 2k full bars; one-bar hops give 2k - 1 (or 2k with a bar left over)
    assert len(b) in (2 * len(a) - 1, 2 * len(a))
    np.testing.assert_array_equal(b[::2][: len(a)], a)
    np.testing.assert_array_equal(b[1][:16], a[0][16:])  # overlapping by one bar


def test_rebuild_flag_and_corrupt_cache(tmp_path):
    (tmp_path / "jsb_chorales.npz").write_bytes(b"garbage")
    ds = JSBChorales(root=tmp_path, max_chorales=2, progress=False)  # unreadable cache: rebuilt
    assert len(ds) > 0
    again = JSBChorales(root=tmp_path, max_chorales=2, progress=False, rebuild=True)
    np.testing.assert_array_equal(again.data, ds.data)


def test_argument_errors(tmp_path):
    with pytest.raises(ValueError, match="split must be"):
        JSBChorales(root=tmp_path, split="training")
    with pytest.raises(ValueError, match="hop_bars"):
        JSBChorales(root=tmp_path, hop_bars=0)
    with pytest.raises(ValueError, match="max_chorales"):
        JSBChorales(root=tmp_path, max_chorales=0)


def test_catalogue_and_default_cache_dir(monkeypatch, tmp_path):
    names = chorale_names()
    assert len(names) == len(set(names)) > 300 and names[0] == "bach/bwv269"
    monkeypatch.setenv("AUDIOGAN_CACHE", str(tmp_path))
    assert default_cache_dir() == tmp_path
    monkeypatch.delenv("AUDIOGAN_CACHE")
    assert default_cache_dir().name == "audiogan"


# ---------------------------------------------------------------- Jsb16thSeparated.npz


def write_jsb_npz(path, splits):
    """Write pieces the way Jsb16thSeparated.npz stores them: object arrays of (T, 4) floats."""
    arrays = {}
    for key, pieces in splits.items():
        obj = np.empty(len(pieces), dtype=object)
        for i, p in enumerate(pieces):
            obj[i] = np.asarray(p, dtype=np.float64)
        arrays[key] = obj
    np.savez(path, **arrays)
    return path


def piece(length, seed, low=36, high=82):
    rng = np.random.default_rng(seed)
    return rng.integers(low, high, size=(length, 4)).astype(np.float64)


def test_load_jsb16th_npz_book_pipeline(tmp_path):
    a = piece(40, 0)
    a[:2, 3] = NAN  # a rest in the first beat: the whole beat (4 rows) is skipped
    a[10, 1] = NAN  # a rest inside the phrase stays a rest
    b = piece(20, 1)  # too short for a 32-step phrase: dropped
    c = piece(64, 2)
    path = write_jsb_npz(
        tmp_path / "Jsb16thSeparated.npz", {"train": [a, b, c], "valid": [c], "test": [a]}
    )
    rolls = load_jsb16th_npz(path, "train")
    assert rolls.shape == (2, 4, 2, 16, 84) and rolls.dtype == np.int8
    assert set(np.unique(rolls).tolist()) == {-1, 1}
    got = roll_to_pitches(torch.from_numpy(rolls).float()).numpy()
    np.testing.assert_array_equal(got[0], a[4:36])  # voices stay voices: no (4,2,16)->(32,4) mix-up
    np.testing.assert_array_equal(got[1], c[:32])
    assert (rolls[0, 1, 0, 10 - 4] == -1).all()  # the rest is all -1, never pitch 83
    assert load_jsb16th_npz(path, "valid").shape == (1, 4, 2, 16, 84)
    assert load_jsb16th_npz(path, "train", hop_steps=16).shape == (4, 4, 2, 16, 84)  # a: 1, c: 3


def test_load_jsb16th_npz_errors_and_range(tmp_path):
    path = write_jsb_npz(tmp_path / "j.npz", {"train": [piece(40, 0)]})
    with pytest.raises(ValueError, match="has no split 'test'"):
        load_jsb16th_npz(path, "test")
    with pytest.raises(ValueError, match="split must be one of"):
        load_jsb16th_npz(path, "all")
    bad = write_jsb_npz(tmp_path / "bad.npz", {"train": [np.zeros((40, 3))]})
    with pytest.raises(ValueError, match=r"bad.npz: train\[0\] should be \(time, 4\)"):
        load_jsb16th_npz(bad, "train")
    (tmp_path / "junk.npz").write_bytes(b"junk")
    with pytest.raises(ValueError, match="junk.npz: not a readable"):
        load_jsb16th_npz(tmp_path / "junk.npz")
    with pytest.warns(UserWarning, match="dropped 1 of 1"):
        out = load_jsb16th_npz(path, "train", pitches=48, lowest_pitch=48)
    assert out.shape == (0, 4, 2, 16, 48)
