"""No file audiogan reads can run code: one malicious file per entry point, refused, running nothing.

Each malicious file carries a payload that would create a marker file if it ever ran (a pickle
whose ``__reduce__`` calls ``os.system("touch MARKER")``, a classifier file naming
``subprocess.Popen`` as its class ...). Every test checks that the load is refused with a clear
error and that the marker does not exist. The legitimate layouts (the ragged object arrays of
``Jsb16thSeparated.npz``, also as Python 2 wrote them; audiogan classifiers) still load.
"""

from __future__ import annotations

import io
import json
import logging
import os
import struct
import zipfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from audiogan._safe_npz import UnsafeFileError, load_npz
from audiogan.data.cache import FEATURES_FILE, INDEX_FILE, FeatureCache
from audiogan.data.chorales import JSBChorales, load_jsb16th_npz
from audiogan.frontends.logmel import LogMel
from audiogan.metrics.classifier_training import (
    load_classifier,
    save_classifier,
    train_or_load_classifier,
)
from audiogan.nn.recurrent import RecurrentClassifier
from audiogan.recipes.recipe import ConfigError, load_run_config
from audiogan.train.checkpoints import load_checkpoint


class Payload:
    """Pickles as a call of ``fn(*args)``: what a crafted file does to run code when loaded."""

    def __init__(self, fn: Any, *args: Any) -> None:
        self.fn, self.args = fn, args

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return self.fn, self.args


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    """The file a payload would create; each test asserts it never appears."""
    return tmp_path / "PWNED"


def touch(marker: Path) -> Payload:
    return Payload(os.system, f"touch {marker}")


def object_array(items: list[Any]) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):
        out[i] = item
    return out


def pieces(seed: int, count: int) -> list[np.ndarray]:
    """``count`` pieces laid out as in Jsb16thSeparated.npz: ``(T, 4)`` MIDI pitches, T varies."""
    rng = np.random.default_rng(seed)
    return [rng.integers(40, 80, size=(int(rng.integers(32, 80)), 4)) for _ in range(count)]


# -- Jsb16thSeparated.npz: ragged object arrays --------------------------------------------


def test_ragged_object_arrays_round_trip(tmp_path: Path) -> None:
    splits = {"train": pieces(0, 5), "valid": pieces(1, 2), "test": pieces(2, 3)}
    path = tmp_path / "Jsb16thSeparated.npz"
    np.savez(path, **{k: object_array(v) for k, v in splits.items()})
    loaded = load_npz(path)
    assert list(loaded) == ["train", "valid", "test"]
    for key, want in splits.items():
        got = loaded[key]
        assert got.dtype == object and got.shape == (len(want),)
        for a, b in zip(got, want, strict=True):
            assert a.dtype == b.dtype and np.array_equal(a, b)
    rolls = load_jsb16th_npz(path, "train")
    assert rolls.shape == (5, 4, 2, 16, 84) and rolls.dtype == np.int8


def py2_object_array_pickle(items: list[np.ndarray]) -> bytes:
    """An object array of float64 arrays pickled the way Python 2's numpy did (protocol 2):
    ``numpy.core.multiarray._reconstruct``, byte strings (``str``) for the data and dtype fields.
    This is how the published Jsb16thSeparated.npz is written."""

    def text(b: bytes) -> bytes:  # a Python 2 str: SHORT_BINSTRING / BINSTRING
        return b"U" + bytes([len(b)]) + b if len(b) < 256 else b"T" + struct.pack("<i", len(b)) + b

    def num(n: int) -> bytes:  # BININT
        return b"J" + struct.pack("<i", n)

    def tup(*parts: bytes) -> bytes:  # MARK ... TUPLE
        return b"(" + b"".join(parts) + b"t"

    def dtype(descr: bytes, order: bytes, flags: int) -> bytes:
        state = tup(num(3), text(order), b"N", b"N", b"N", num(-1), num(-1), num(flags))
        return b"cnumpy\ndtype\n" + tup(text(descr), num(0), num(1)) + b"R" + state + b"b"

    def array(shape: tuple[int, ...], dt: bytes, data: bytes) -> bytes:
        new = tup(b"cnumpy\nndarray\n", tup(num(0)), text(b"b"))  # (ndarray, (0,), "b")
        state = tup(num(1), tup(*(num(n) for n in shape)), dt, b"\x89", data)
        return b"cnumpy.core.multiarray\n_reconstruct\n" + new + b"R" + state + b"b"

    elements = b"(" + b"".join(
        array(x.shape, dtype(b"f8", b"<", 0), text(x.astype("<f8").tobytes())) for x in items
    )
    return b"\x80\x02" + array((len(items),), dtype(b"O8", b"|", 63), elements + b"l") + b"."


def write_npz_member(zf: zipfile.ZipFile, name: str, count: int, pickled: bytes) -> None:
    fp = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        fp, {"descr": "|O", "fortran_order": False, "shape": (count,)}
    )
    zf.writestr(f"{name}.npy", fp.getvalue() + pickled)


def test_python2_pickles_load_as_numpy_loads_them(tmp_path: Path) -> None:
    splits = {
        k: [p.astype(np.float64) for p in pieces(i, 3)] for i, k in enumerate(["train", "test"])
    }
    splits["train"][1][:4] = np.nan  # rests, as in the published file
    path = tmp_path / "py2.npz"
    with zipfile.ZipFile(path, "w") as zf:
        for key, items in splits.items():
            write_npz_member(zf, key, len(items), py2_object_array_pickle(items))
    ours = load_npz(path)
    with np.load(path, allow_pickle=True, encoding="latin1") as theirs:  # trusted here: ours
        for key, items in splits.items():
            assert len(ours[key]) == len(theirs[key]) == len(items)
            for a, b, c in zip(ours[key], theirs[key], items, strict=True):
                np.testing.assert_array_equal(a, c)
                np.testing.assert_array_equal(b, c)
    assert load_jsb16th_npz(path, "train").shape[0] == 3  # the rest rows are skipped


@pytest.mark.parametrize("how", ["os.system", "builtins.eval", "nested", "py2"])
def test_malicious_npz_is_refused_and_runs_nothing(tmp_path: Path, marker: Path, how: str) -> None:
    path = tmp_path / "Jsb16thSeparated.npz"
    good = pieces(0, 2)
    if how == "py2":  # a Python 2 style pickle with a GLOBAL for posix.system
        bad = b"\x80\x02cposix\nsystem\n" + b"(U" + bytes([len(f"touch {marker}")])
        bad += f"touch {marker}".encode() + b"tR."
        with zipfile.ZipFile(path, "w") as zf:
            write_npz_member(zf, "train", 1, bad)
        forbidden = "posix.system"
    else:
        if how == "os.system":
            evil: Any = touch(marker)
        elif how == "builtins.eval":
            evil = Payload(eval, f"open({str(marker)!r}, 'w').close()")
        else:  # hidden inside a legitimate piece list, in a nested object array
            evil = object_array([good[0], object_array([good[1], touch(marker)])])
        np.savez(path, train=object_array([*good, evil]), valid=object_array(good))
        forbidden = "builtins.eval" if how == "builtins.eval" else ".system"
    with pytest.raises(UnsafeFileError, match=rf"Jsb16thSeparated.npz.*names \S*{forbidden}"):
        load_jsb16th_npz(path, "train")
    with pytest.raises(ValueError, match="only numpy arrays and dtypes"):
        load_npz(path)
    assert not marker.exists()


def test_npz_errors_name_the_file(tmp_path: Path) -> None:
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="junk.npz: not a readable .npz"):
        load_npz(tmp_path / "junk.npz")
    np.savez(tmp_path / "plain.npz", a=np.arange(3))
    with pytest.raises(ValueError, match=r"plain.npz: has no array 'b'; its keys are \['a'\]"):
        load_npz(tmp_path / "plain.npz", ["b"])
    assert np.array_equal(load_npz(tmp_path / "plain.npz", ["a"])["a"], np.arange(3))
    with pytest.raises(ValueError, match="missing.npz: not a readable"):
        load_npz(tmp_path / "missing.npz")


# -- torch files: checkpoints and saved classifiers -------------------------------------------


def test_checkpoint_with_a_pickle_payload_is_refused(tmp_path: Path, marker: Path) -> None:
    path = tmp_path / "step_00000001.pt"
    torch.save({"generator": touch(marker), "step": 1}, path)
    with pytest.raises(ValueError, match=r"cannot read checkpoint .*step_00000001.pt"):
        load_checkpoint(path)
    assert not marker.exists()


def test_classifier_with_a_pickle_payload_is_refused(tmp_path: Path, marker: Path) -> None:
    path = tmp_path / "classifier.pt"
    torch.save({"class": "x:y", "config": touch(marker), "state_dict": {}}, path)
    with pytest.raises(ValueError, match=r"classifier.pt: cannot read the classifier file"):
        load_classifier(path)
    assert not marker.exists()


@pytest.mark.parametrize(
    ("class_name", "config"),
    [
        ("subprocess:Popen", {"args": ["touch", "{marker}"]}),
        ("posix:system", {"command": "touch {marker}"}),
        ("os:system", {"command": "touch {marker}"}),
        ("builtins:eval", {"source": "open('{marker}', 'w').close()"}),
    ],
)
def test_classifier_naming_a_foreign_callable_is_refused(
    tmp_path: Path, marker: Path, class_name: str, config: dict[str, Any]
) -> None:
    path = tmp_path / "classifier.pt"
    config = json.loads(json.dumps(config).replace("{marker}", str(marker)))
    torch.save({"class": class_name, "config": config, "state_dict": {}}, path)
    with pytest.raises(ValueError, match=rf"{class_name}'?, which is not an audiogan class.*cls="):
        load_classifier(path)
    assert not marker.exists()


def test_classifier_naming_an_audiogan_function_is_refused(tmp_path: Path, marker: Path) -> None:
    path = tmp_path / "classifier.pt"
    name = "audiogan.metrics.classifier_training:save_classifier"
    torch.save({"class": name, "config": {}, "state_dict": {}}, path)
    with pytest.raises(ValueError, match="is not an nn.Module class"):
        load_classifier(path)


class MyClassifier(nn.Module):
    """A user's classifier: loaded with cls=, never imported from the file."""

    def __init__(self, num_features: int = 3, num_classes: int = 2) -> None:
        super().__init__()
        self.config = {"num_features": num_features, "num_classes": num_classes}
        self.linear = nn.Linear(num_features, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x)


def test_audiogan_and_own_classifiers_still_load(tmp_path: Path) -> None:
    model = RecurrentClassifier(num_features=4, num_classes=3, hidden_size=5, num_layers=1).eval()
    save_classifier(model, tmp_path / "rnn.pt")
    loaded = load_classifier(tmp_path / "rnn.pt")  # an audiogan class: rebuilt from the file
    x = torch.randn(2, 4, 6)
    assert type(loaded) is RecurrentClassifier and torch.equal(loaded(x), model(x))

    mine = MyClassifier()
    save_classifier(mine, tmp_path / "mine.pt")
    again, was_loaded = train_or_load_classifier(tmp_path / "mine.pt", MyClassifier(), [])
    assert was_loaded and type(again) is MyClassifier
    assert torch.equal(again.linear.weight, mine.linear.weight)
    with pytest.raises(ValueError, match="other settings"):
        train_or_load_classifier(tmp_path / "mine.pt", MyClassifier(num_classes=3), [])
    with pytest.raises(ValueError, match="other settings"):
        train_or_load_classifier(tmp_path / "rnn.pt", MyClassifier(), [])


# -- caches --------------------------------------------------------------------------------


class Waves:
    """Four labelled waves with a cache key."""

    def __init__(self) -> None:
        self.waves = torch.randn(4, 1, 640, generator=torch.Generator().manual_seed(0)) * 0.3

    def __len__(self) -> int:
        return 4

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        return self.waves[i], i % 2

    def cache_key(self) -> dict[str, Any]:
        return {"waves": 4}


def small_logmel() -> LogMel:
    return LogMel(sample_rate=8000, n_fft=128, hop_length=64, n_mels=8)


@pytest.mark.parametrize(
    "tamper",
    [
        {"labels": ["os.system", "os.system", "os.system", "os.system"], "frontend": "os.system"},
        {"labels": [{"py/object": "subprocess.Popen"}] * 4},
        {"item_shape": "__import__('os').system('touch x')"},
        {"labels": [0, 1, 0]},  # a label list that does not fit the data
    ],
)
def test_cache_index_naming_odd_things_is_not_used(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, tamper: dict[str, Any]
) -> None:
    path = tmp_path / "cache"
    FeatureCache(Waves(), small_logmel(), path, progress=False)
    index = json.loads((path / INDEX_FILE).read_text())
    (path / INDEX_FILE).write_text(json.dumps({**index, **tamper}))
    with caplog.at_level(logging.INFO, logger="audiogan.data.cache"):
        cache = FeatureCache(Waves(), small_logmel(), path, progress=False)
    assert cache.built and "malformed index" in caplog.text
    assert cache.labels == [0, 1, 0, 1] and cache[3][1] == 1


def test_cache_index_that_is_not_an_object_is_not_used(tmp_path: Path) -> None:
    path = tmp_path / "cache"
    FeatureCache(Waves(), small_logmel(), path, progress=False)
    (path / INDEX_FILE).write_text(json.dumps(["os.system", "touch x"]))
    assert FeatureCache(Waves(), small_logmel(), path, progress=False).built


def test_cache_features_with_a_pickle_payload_are_not_loaded(tmp_path: Path, marker: Path) -> None:
    path = tmp_path / "cache"
    FeatureCache(Waves(), small_logmel(), path, progress=False)
    np.save(path / FEATURES_FILE, object_array([touch(marker)] * 4), allow_pickle=True)
    index = json.loads((path / INDEX_FILE).read_text())
    index["features_bytes"] = (path / FEATURES_FILE).stat().st_size  # the index agrees
    (path / INDEX_FILE).write_text(json.dumps(index))
    cache = FeatureCache(Waves(), small_logmel(), path, progress=False)
    assert cache.built and cache[0][0].shape == (1, 8, 11)
    assert not marker.exists()


def test_chorale_cache_with_a_pickle_payload_is_not_loaded(tmp_path: Path, marker: Path) -> None:
    params = {"format": 1}
    path = tmp_path / "jsb_chorales.npz"
    np.savez(
        path,
        pitches=np.zeros((1, 32, 4), np.float32),
        phrase_chorale=np.zeros(1, np.int32),
        chorales=np.asarray(["bach/x"]),
        meta=object_array([touch(marker)]),
    )
    owner = SimpleNamespace(cache_path=path, build_params=lambda: params)
    assert JSBChorales._load_cache(owner) is None  # type: ignore[arg-type]  # rebuilt instead
    assert not marker.exists()


# -- MIDI, audio and recipe.json -----------------------------------------------------------


def test_midi_and_audio_files_holding_a_pickle_are_refused(tmp_path: Path, marker: Path) -> None:
    import pickle

    from audiogan.audio.io import AudioFileError, load_audio
    from audiogan.music.midi import MidiFileError, read_midi

    pytest.importorskip("pretty_midi")
    blob = pickle.dumps(touch(marker))
    (tmp_path / "song.mid").write_bytes(blob)
    (tmp_path / "clip.wav").write_bytes(blob)
    with pytest.raises(MidiFileError, match="song.mid: not a readable MIDI file"):
        read_midi(tmp_path / "song.mid")
    with pytest.raises(AudioFileError, match="clip.wav: cannot decode"):
        load_audio(tmp_path / "clip.wav")
    assert not marker.exists()


@pytest.mark.parametrize(
    ("payload", "pattern"),
    [
        ({"recipe": "wgan-gp", "config": {"steps": {"py/object": "os.system"}}}, "'steps' must be"),
        ({"recipe": {"py/function": "os.system"}, "config": {}}, "recipe name must be"),
        (["os.system", "touch x"], "expected {.recipe"),
    ],
)
def test_recipe_json_holding_objects_is_refused(tmp_path: Path, payload: Any, pattern: str) -> None:
    (tmp_path / "recipe.json").write_text(json.dumps(payload))
    with pytest.raises(ConfigError, match=rf"cannot read \S*recipe.json: .*{pattern}"):
        load_run_config(tmp_path)


def test_recipe_json_with_a_pickle_is_refused(tmp_path: Path, marker: Path) -> None:
    import pickle

    (tmp_path / "recipe.json").write_bytes(pickle.dumps(touch(marker)))
    with pytest.raises(ConfigError, match="cannot read"):
        load_run_config(tmp_path)
    assert not marker.exists()
