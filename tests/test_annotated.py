"""AnnotatedAudio: CSV parsing (header, labels, extensions), the load chain, documented errors."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from audiogan.audio.io import AudioFileError
from audiogan.data.annotated import AnnotatedAudio
from audiogan.data.synthetic import SyntheticSounds, write_annotated_csv


def _write(path: Path, seconds: float = 0.1, sr: int = 16000, channels: int = 1) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(seconds * sr)) / sr
    sf.write(str(path), np.stack([0.3 * np.sin(2 * np.pi * 300 * t)] * channels, axis=1), sr)
    return path


def _setup(
    tmp_path: Path, text: str, names: tuple[str, ...] = ("a.wav", "b.wav", "c.wav")
) -> tuple[Path, Path]:
    audio = tmp_path / "audio"
    for name in names:
        _write(audio / name)
    csv_path = tmp_path / "meta.csv"
    csv_path.write_text(text)
    return csv_path, audio


def test_header_auto_int_labels_missing_extension(tmp_path: Path) -> None:
    csv_path, audio = _setup(tmp_path, "file,label\na,1\nb,0\nc,1\n")
    ds = AnnotatedAudio(csv_path, audio, num_samples=400)
    assert ds.header == ["file", "label"]
    assert [p.name for p in ds.files] == ["a.wav", "b.wav", "c.wav"]
    assert ds.labels == [1, 0, 1]
    assert ds.classes == ["0", "1"] and ds.class_to_idx == {"0": 0, "1": 1}
    wave, label = ds[0]
    assert wave.shape == (1, 400) and label == 1


def test_no_header_auto_and_forced(tmp_path: Path) -> None:
    csv_path, audio = _setup(tmp_path, "a.wav,2\nb,0\n")
    ds = AnnotatedAudio(csv_path, audio, num_samples=100, classes=["0", "1", "2"])
    assert ds.header is None and ds.labels == [2, 0]
    assert ds.classes == ["0", "1", "2"]  # ints are kept: classes cover 0..max
    forced = AnnotatedAudio(csv_path, audio, num_samples=100, has_header=True)
    assert forced.header == ["a.wav", "2"] and forced.labels == [0]


def test_header_detected_from_label_type(tmp_path: Path) -> None:
    csv_path, audio = _setup(tmp_path, "slice,target_id\na,1\nb,0\n")
    ds = AnnotatedAudio(csv_path, audio, num_samples=100)
    assert ds.header == ["slice", "target_id"] and len(ds) == 2


def test_string_labels_map_to_sorted_indices(tmp_path: Path) -> None:
    csv_path, audio = _setup(tmp_path, "file,class\na,siren\nb,dog_bark\nc,siren\n")
    ds = AnnotatedAudio(csv_path, audio, num_samples=100)
    assert ds.classes == ["dog_bark", "siren"]
    assert ds.labels == [1, 0, 1]


def test_other_columns_and_subfolders(tmp_path: Path) -> None:
    text = "fold,slice_file_name,classID,class\n1,fold1/x,3,drill\n2,fold2/y.wav,0,bark\n"
    csv_path, audio = _setup(tmp_path, text, names=("fold1/x.wav", "fold2/y.wav"))
    ids = [str(i) for i in range(10)]  # UrbanSound8K's classIDs; a subset may miss some
    ds = AnnotatedAudio(
        csv_path, audio, num_samples=100, file_column=1, label_column=2, classes=ids
    )
    assert [p.relative_to(audio).as_posix() for p in ds.files] == ["fold1/x.wav", "fold2/y.wav"]
    assert ds.labels == [3, 0]
    by_name = AnnotatedAudio(csv_path, audio, num_samples=100, file_column=1, label_column=3)
    assert by_name.classes == ["bark", "drill"] and by_name.labels == [1, 0]


def test_load_chain_stereo_44k(tmp_path: Path) -> None:
    audio = tmp_path / "audio"
    _write(audio / "s.wav", seconds=0.2, sr=44100, channels=2)
    (tmp_path / "m.csv").write_text("s,0\n")
    wave, _ = AnnotatedAudio(tmp_path / "m.csv", audio, sample_rate=16000, num_samples=4000)[0]
    assert wave.shape == (1, 4000)
    assert torch.all(wave[0, 3300:] == 0) and wave[0, :3000].abs().max() > 0.25


def test_round_trip_with_write_annotated_csv(tmp_path: Path) -> None:
    csv_path = write_annotated_csv(
        tmp_path / "meta.csv",
        tmp_path / "wav",
        clips_per_class=1,
        num_samples=800,
        seed=4,
        string_labels=True,
    )
    lines = csv_path.read_text().splitlines()
    # no extension in the CSV, as the recurrent event classifier writes it
    assert lines[0] == "file,label" and lines[1].split(",")[0] == "00000"
    ds = AnnotatedAudio(csv_path, tmp_path / "wav", num_samples=800)
    synth = SyntheticSounds(clips_per_class=1, num_samples=800, seed=4)
    assert ds.classes == synth.classes and ds.labels == synth.labels
    for i in range(len(ds)):
        wave, _ = ds[i]
        assert torch.allclose(wave, synth.waveform(i), atol=1.0 / 16384)


def test_cache_key(tmp_path: Path) -> None:
    csv_path, audio = _setup(tmp_path, "a,x\nb,y\n")
    key = AnnotatedAudio(csv_path, audio, num_samples=100).cache_key()
    assert json.loads(json.dumps(key)) == key
    assert [entry[0] for entry in key["files"]] == ["a.wav", "b.wav"]
    assert key["labels"] == [0, 1] and key["classes"] == ["x", "y"]
    assert AnnotatedAudio(csv_path, audio, num_samples=200).cache_key() != key


# ---- errors ----------------------------------------------------------------------------------


def test_missing_file_names_path_and_line(tmp_path: Path) -> None:
    csv_path, audio = _setup(tmp_path, "file,label\na,0\nghost,1\n")
    with pytest.raises(
        AudioFileError, match=r"ghost\.wav: no such file \(listed on line 3 of .*meta\.csv\)"
    ):
        AnnotatedAudio(csv_path, audio)


def test_missing_first_file_is_not_mistaken_for_a_header(tmp_path: Path) -> None:
    csv_path, audio = _setup(tmp_path, "ghost,0\na,1\n")
    with pytest.raises(AudioFileError, match=r"ghost\.wav.*line 1"):
        AnnotatedAudio(csv_path, audio)


def test_missing_file_skipped(tmp_path: Path) -> None:
    csv_path, audio = _setup(tmp_path, "file,label\na,0\nghost,1\nb,1\n")
    with pytest.warns(UserWarning, match=r"skipped 1 of 3 .*ghost\.wav"):
        ds = AnnotatedAudio(csv_path, audio, num_samples=100, on_error="skip")
    assert [p.name for p in ds.files] == ["a.wav", "b.wav"] and ds.labels == [0, 1]
    assert ds.skipped[0][0].name == "ghost.wav" and "line 3" in ds.skipped[0][1]


def test_corrupt_file_raises(tmp_path: Path) -> None:
    csv_path, audio = _setup(tmp_path, "a,0\nb,1\n")
    (audio / "b.wav").write_bytes(b"nonsense" * 8)
    with pytest.raises(AudioFileError, match=r"b\.wav.*line 2"):
        AnnotatedAudio(csv_path, audio)


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("file,label\na,0\nb,0,extra\n", r"line 3: expected 2 columns \(as on line 1\), got 3"),
        ("a,0\n\nb\n", r"line 3: expected 2 columns .* got 1"),
        ("file,label\na,0\nb,\n", r"line 3: empty label \(column 1\)"),
        ("file,label\n ,0\n", r"line 2: empty file name \(column 0\)"),
        ("a\nb\n", r"line 1: expected at least 2 columns"),
    ],
)
def test_malformed_rows_named_by_line(tmp_path: Path, text: str, pattern: str) -> None:
    csv_path, audio = _setup(tmp_path, text)
    with pytest.raises(ValueError, match=pattern):
        AnnotatedAudio(csv_path, audio)


def test_negative_int_label(tmp_path: Path) -> None:
    csv_path, audio = _setup(tmp_path, "a,0\nb,-1\n")
    with pytest.raises(ValueError, match="line 2: negative label -1"):
        AnnotatedAudio(csv_path, audio)


def test_classes_refuses_a_label_typo_naming_file_and_line(tmp_path: Path) -> None:
    csv_path, audio = _setup(tmp_path, "file,label\na,dog\nb,dgo\nc,cat\n")
    pattern = r"meta\.csv line 3: label 'dgo' is not one of classes \['cat', 'dog'\] \(did you mean 'dog'\?\)"
    with pytest.raises(ValueError, match=pattern):
        AnnotatedAudio(csv_path, audio, num_samples=100, classes=["cat", "dog"])
    csv_path.write_text("file,label\na,dog\nb,Dog\nc,cat\n")
    with pytest.raises(ValueError, match=r"line 3: label 'Dog' is not one of"):
        AnnotatedAudio(csv_path, audio, num_samples=100, classes=["cat", "dog"])


def test_classes_set_the_order_and_may_have_no_files(tmp_path: Path) -> None:
    csv_path, audio = _setup(tmp_path, "file,label\na,dog\nb,cat\nc,dog\n")
    ds = AnnotatedAudio(csv_path, audio, num_samples=100, classes=["dog", "bird", "cat"])
    assert ds.classes == ["dog", "bird", "cat"] and ds.labels == [0, 2, 0]
    assert ds.class_to_idx == {"dog": 0, "bird": 1, "cat": 2}


@pytest.mark.parametrize(
    ("classes", "pattern"),
    [(["a", "a"], r"lists \['a'\] more than once"), ([], "non-empty"), ("dog", "sequence")],
)
def test_bad_classes(tmp_path: Path, classes: object, pattern: str) -> None:
    csv_path, audio = _setup(tmp_path, "a,a\n")
    with pytest.raises(ValueError, match=pattern):
        AnnotatedAudio(csv_path, audio, classes=classes)  # type: ignore[arg-type]


def test_labels_differing_by_case_or_whitespace_warn(tmp_path: Path) -> None:
    text = "file,label\na,Dog\nb,dog\nc,hot dog\nd,hot  dog\ne,cat\n"
    csv_path, audio = _setup(tmp_path, text, names=tuple(f"{n}.wav" for n in "abcde"))
    with pytest.warns(UserWarning, match=r"meta\.csv: labels that differ only by case") as caught:
        ds = AnnotatedAudio(csv_path, audio, num_samples=100)
    message = str(caught[0].message)
    assert "'Dog' / 'dog'" in message and "'hot  dog' / 'hot dog'" in message
    assert "cat" not in message
    assert ds.classes == ["Dog", "cat", "dog", "hot  dog", "hot dog"]  # still distinct classes
    csv_path.write_text("file,label\na,dog\nb,cat\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        AnnotatedAudio(csv_path, audio, num_samples=100)


def test_integer_labels_with_a_gap_are_an_error(tmp_path: Path) -> None:
    csv_path, audio = _setup(tmp_path, "file,label\na,0\nb,2\nc,0\n")
    pattern = r"meta\.csv: integer labels are class indices, and no row has class \[1\] of 0\.\.2"
    with pytest.raises(ValueError, match=pattern):
        AnnotatedAudio(csv_path, audio, num_samples=100)
    ds = AnnotatedAudio(csv_path, audio, num_samples=100, classes=["0", "1", "2"])
    assert ds.labels == [0, 2, 0] and ds.classes == ["0", "1", "2"]
    csv_path.write_text("file,label\na,00\nb,02\nc,7\n")  # integers compare as str(int(label))
    with pytest.raises(ValueError, match=r"line 4: label '7' is not one of classes"):
        AnnotatedAudio(csv_path, audio, num_samples=100, classes=["0", "1", "2"])


def test_missing_csv_and_audio_dir(tmp_path: Path) -> None:
    csv_path, audio = _setup(tmp_path, "a,0\n")
    with pytest.raises(ValueError, match=r"annotation file .*nope\.csv does not exist"):
        AnnotatedAudio(tmp_path / "nope.csv", audio)
    with pytest.raises(ValueError, match=r"audio_dir .*nodir does not exist"):
        AnnotatedAudio(csv_path, tmp_path / "nodir")


def test_empty_csv_and_header_only(tmp_path: Path) -> None:
    csv_path, audio = _setup(tmp_path, "\n\n")
    with pytest.raises(ValueError, match="holds no rows"):
        AnnotatedAudio(csv_path, audio)
    csv_path.write_text("file,label\n")
    with pytest.raises(ValueError, match="holds no data rows"):
        AnnotatedAudio(csv_path, audio)


def test_bad_arguments(tmp_path: Path) -> None:
    csv_path, audio = _setup(tmp_path, "a,0\n")
    with pytest.raises(ValueError, match="on_error must be one of"):
        AnnotatedAudio(csv_path, audio, on_error="warn")
    with pytest.raises(ValueError, match="has_header must be"):
        AnnotatedAudio(csv_path, audio, has_header="yes")
    with pytest.raises(ValueError, match="distinct non-negative"):
        AnnotatedAudio(csv_path, audio, file_column=1, label_column=1)
    with pytest.raises(ValueError, match="num_samples must be positive"):
        AnnotatedAudio(csv_path, audio, num_samples=0)


def test_decode_failure_in_getitem(tmp_path: Path) -> None:
    csv_path, audio = _setup(tmp_path, "a,0\nb,1\n")
    sf.write(
        str(audio / "b.wav"), np.full((100, 1), np.nan, dtype=np.float32), 16000, subtype="FLOAT"
    )
    ds = AnnotatedAudio(csv_path, audio, num_samples=100)
    with pytest.raises(AudioFileError, match=r"b\.wav.*NaN"):
        ds[1]
    skipping = AnnotatedAudio(csv_path, audio, num_samples=100, on_error="skip")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _, label = skipping[1]  # wraps around to item 0
    assert label == 0 and len(caught) == 1 and "b.wav" in str(caught[0].message)
