"""AudioFolder: classes, fraction sampling, the load chain, every documented error, skip mode."""

from __future__ import annotations

import json
import math
import os
import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from torch.utils.data import DataLoader

from audiogan.audio.io import AudioFileError
from audiogan.data.audio_folder import AudioFolder


def _write(
    path: Path,
    seconds: float = 0.1,
    sr: int = 16000,
    channels: int = 1,
    freq: float = 440.0,
    subtype: str = "PCM_16",
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(seconds * sr)) / sr
    tone = 0.5 * np.sin(2 * np.pi * freq * t)
    data = np.stack([tone] * channels, axis=1)
    sf.write(str(path), data, sr, subtype=subtype)
    return path


def _tree(root: Path, counts: dict[str, int], **kw: float) -> Path:
    for name, count in counts.items():
        for k in range(count):
            _write(root / name / f"{name}_{k:02d}.wav", **kw)
    return root


def test_classes_sorted_and_labels(tmp_path: Path) -> None:
    _tree(tmp_path, {"siren": 2, "dog_bark": 1, "engine": 3})
    (tmp_path / ".hidden").mkdir()  # ignored
    ds = AudioFolder(tmp_path, num_samples=800)
    assert ds.classes == ["dog_bark", "engine", "siren"]
    assert ds.class_to_idx == {"dog_bark": 0, "engine": 1, "siren": 2}
    assert len(ds) == 6 and len(ds.files) == 6
    for path, label in zip(ds.files, ds.labels, strict=True):
        assert path.parent.name == ds.classes[label]
    wave, label = ds[0]
    assert wave.shape == (1, 800) and wave.dtype == torch.float32
    assert isinstance(label, int) and label == 0


def test_extensions_case_insensitive_and_recursive(tmp_path: Path) -> None:
    _write(tmp_path / "a" / "x.WAV")
    _write(tmp_path / "a" / "sub" / "y.flac")
    (tmp_path / "a" / "notes.txt").write_text("not audio")
    ds = AudioFolder(tmp_path, num_samples=100)
    assert sorted(p.name for p in ds.files) == ["x.WAV", "y.flac"]
    only_flac = AudioFolder(tmp_path, num_samples=100, extensions=("flac",))
    assert [p.name for p in only_flac.files] == ["y.flac"]


@pytest.mark.parametrize(
    ("count", "fraction", "expected"), [(10, 0.35, 3), (10, 1.0, 10), (2, 0.3, 1), (7, 0.5, 3)]
)
def test_fraction_count(tmp_path: Path, count: int, fraction: float, expected: int) -> None:
    _tree(tmp_path, {"a": count, "b": count}, seconds=0.01)
    ds = AudioFolder(tmp_path, num_samples=10, fraction=fraction)
    assert ds.labels.count(0) == expected and ds.labels.count(1) == expected


def test_fraction_deterministic_per_seed(tmp_path: Path) -> None:
    _tree(tmp_path, {"a": 12, "b": 12}, seconds=0.01)
    picks = {
        seed: AudioFolder(tmp_path, num_samples=10, fraction=0.25, seed=seed).files
        for seed in range(4)
    }
    again = AudioFolder(tmp_path, num_samples=10, fraction=0.25, seed=0).files
    assert again == picks[0]
    assert len({tuple(files) for files in picks.values()}) > 1  # the seed changes the selection
    everything = set(AudioFolder(tmp_path, num_samples=10).files)
    for files in picks.values():
        assert set(files) <= everything and files == sorted(files)


def test_stereo_22k_is_mixed_resampled_and_padded(tmp_path: Path) -> None:
    _write(
        tmp_path / "tone" / "a.wav",
        seconds=0.25,
        sr=22050,
        channels=2,
        freq=1000.0,
        subtype="FLOAT",
    )
    ds = AudioFolder(tmp_path, sample_rate=16000, num_samples=8000)
    wave, _ = ds[0]
    assert wave.shape == (1, 8000)
    body, pad = wave[0, :3900], wave[0, 4100:]
    assert torch.all(pad == 0)  # right pad after 0.25 s * 16 kHz = 4000 samples
    assert body.abs().max() == pytest.approx(0.5, abs=0.02)  # mono mean of two equal channels
    spectrum = torch.fft.rfft(body * torch.hann_window(body.numel()))
    peak_hz = int(spectrum.abs().argmax()) * 16000 / body.numel()
    assert peak_hz == pytest.approx(1000.0, abs=16000 / body.numel() + 1)


def test_trim_keeps_the_start(tmp_path: Path) -> None:
    _write(tmp_path / "c" / "a.wav", seconds=0.2, subtype="FLOAT")
    full, _ = AudioFolder(tmp_path, num_samples=3200)[0]
    short, _ = AudioFolder(tmp_path, num_samples=1000)[0]
    assert torch.equal(short, full[:, :1000])


def test_random_crop_is_a_window_seeded_by_epoch(tmp_path: Path) -> None:
    _write(tmp_path / "c" / "a.wav", seconds=0.2, freq=123.0, subtype="FLOAT")
    full, _ = AudioFolder(tmp_path, num_samples=3200)[0]
    ds = AudioFolder(tmp_path, num_samples=500, random_crop=True, seed=3)
    crops = []
    for epoch in range(4):
        ds.set_epoch(epoch)
        crop, _ = ds[0]
        again, _ = ds[0]
        assert torch.equal(crop, again)  # same (seed, epoch, index): same crop
        windows = full[0].unfold(0, 500, 1)
        assert (windows - crop[0]).abs().amax(dim=1).min() < 1e-6  # a window of the file
        crops.append(crop)
    assert any(not torch.equal(crops[0], c) for c in crops[1:])


def test_transform_gets_mono_waveform_and_batches(tmp_path: Path) -> None:
    _tree(tmp_path, {"a": 2, "b": 2})
    seen: list[tuple[int, ...]] = []

    def transform(wave: torch.Tensor) -> torch.Tensor:
        seen.append(tuple(wave.shape))
        return wave.reshape(1, 10, 40)

    ds = AudioFolder(tmp_path, num_samples=400, transform=transform)
    x, y = next(iter(DataLoader(ds, batch_size=4)))
    assert seen[0] == (400,)
    assert x.shape == (4, 1, 10, 40) and y.tolist() == [0, 0, 1, 1]


def test_cache_key(tmp_path: Path) -> None:
    _tree(tmp_path, {"a": 2, "b": 1})
    ds = AudioFolder(tmp_path, num_samples=100)
    key = ds.cache_key()
    assert json.loads(json.dumps(key)) == key
    rel, size, mtime = key["files"][0]
    assert rel == "a/a_00.wav" and size == (tmp_path / rel).stat().st_size and mtime > 0
    for name in ("sample_rate", "num_samples", "fraction", "seed", "random_crop"):
        assert name in key
    assert key == AudioFolder(tmp_path, num_samples=100).cache_key()
    assert AudioFolder(tmp_path, num_samples=100, seed=1).cache_key() != key
    assert AudioFolder(tmp_path, num_samples=200).cache_key() != key
    st = (tmp_path / "a" / "a_00.wav").stat()
    os.utime(tmp_path / "a" / "a_00.wav", ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert AudioFolder(tmp_path, num_samples=100).cache_key() != key


# ---- errors ----------------------------------------------------------------------------------


def test_root_missing(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"nope.*does not exist"):
        AudioFolder(tmp_path / "nope")


def test_root_is_a_file(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.wav")
    with pytest.raises(ValueError, match=r"a\.wav is not a folder"):
        AudioFolder(path)


def test_no_class_subfolders(tmp_path: Path) -> None:
    _write(tmp_path / "loose.wav")
    with pytest.raises(ValueError, match="holds no class subfolders"):
        AudioFolder(tmp_path)


def test_class_folder_without_audio(tmp_path: Path) -> None:
    _tree(tmp_path, {"good": 1})
    (tmp_path / "empty_class").mkdir()
    (tmp_path / "empty_class" / "readme.txt").write_text("x")
    with pytest.raises(ValueError, match=r"empty_class holds no audio files \(looked for .*\.wav"):
        AudioFolder(tmp_path)


@pytest.mark.parametrize("fraction", [0.0, -0.5, 1.01, math.nan])
def test_fraction_out_of_range(tmp_path: Path, fraction: float) -> None:
    _tree(tmp_path, {"a": 1})
    with pytest.raises(ValueError, match=r"fraction must be in \(0, 1\]"):
        AudioFolder(tmp_path, fraction=fraction)


def test_on_error_value(tmp_path: Path) -> None:
    _tree(tmp_path, {"a": 1})
    with pytest.raises(ValueError, match=r"on_error must be one of .*'ignore'"):
        AudioFolder(tmp_path, on_error="ignore")


@pytest.mark.parametrize("content", [b"", b"this is not audio at all" * 10])
def test_corrupt_file_raises_at_construction(tmp_path: Path, content: bytes) -> None:
    _tree(tmp_path, {"a": 2})
    bad = tmp_path / "a" / "broken.wav"
    bad.write_bytes(content)
    with pytest.raises(AudioFileError, match="broken.wav") as info:
        AudioFolder(tmp_path)
    assert info.value.path == bad


def test_skip_counts_and_names_unreadable_files(tmp_path: Path) -> None:
    _tree(tmp_path, {"a": 3, "b": 2})
    (tmp_path / "a" / "bad1.wav").write_bytes(b"garbage" * 20)
    (tmp_path / "b" / "bad2.wav").write_bytes(b"")
    with pytest.warns(UserWarning, match=r"skipped 2 of 7 files.*bad1\.wav.*bad2\.wav"):
        ds = AudioFolder(tmp_path, num_samples=100, on_error="skip")
    assert len(ds) == 5
    assert [p.name for p, _ in ds.skipped] == ["bad1.wav", "bad2.wav"]
    assert all(reason for _, reason in ds.skipped)
    assert all("bad" not in p.name for p in ds.files)


def test_skip_warning_names_only_the_first_few(tmp_path: Path) -> None:
    _tree(tmp_path, {"a": 1})
    for k in range(8):
        (tmp_path / "a" / f"bad{k}.wav").write_bytes(b"x" * 50)
    with pytest.warns(UserWarning, match=r"skipped 8 of 9 .*and 3 more \(see \.skipped\)"):
        ds = AudioFolder(tmp_path, num_samples=100, on_error="skip")
    assert len(ds.skipped) == 8


def test_skip_leaving_a_class_empty_raises(tmp_path: Path) -> None:
    _tree(tmp_path, {"a": 1})
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "bad.wav").write_bytes(b"x" * 50)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(
            ValueError, match=r"every selected file of class folder .*b is unreadable"
        ):
            AudioFolder(tmp_path, on_error="skip")


def _nan_wav(path: Path) -> Path:
    """A float wav whose header is fine but whose samples are NaN: fails only when decoded."""
    sf.write(str(path), np.full((160, 1), np.nan, dtype=np.float32), 16000, subtype="FLOAT")
    return path


def test_decode_failure_in_getitem_raises_naming_the_file(tmp_path: Path) -> None:
    _tree(tmp_path, {"a": 2})
    _nan_wav(tmp_path / "a" / "a_01.wav")
    ds = AudioFolder(tmp_path, num_samples=100)  # the header check passes
    assert len(ds) == 2
    ds[0]
    with pytest.raises(AudioFileError, match=r"a_01\.wav.*NaN"):
        ds[1]


def test_decode_failure_with_skip_substitutes_the_next_item(tmp_path: Path) -> None:
    _tree(tmp_path, {"a": 2, "b": 1})
    _nan_wav(tmp_path / "a" / "a_01.wav")
    ds = AudioFolder(tmp_path, num_samples=100, on_error="skip")
    with pytest.warns(UserWarning, match=r"a_01\.wav.*substituting"):
        wave, label = ds[1]
    expected, expected_label = ds[2]
    assert torch.equal(wave, expected) and label == expected_label == 1
    assert [p.name for p, _ in ds.skipped] == ["a_01.wav"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # known bad: substituted silently, counted once
        ds[1]
    assert len(ds.skipped) == 1


def test_file_removed_after_construction(tmp_path: Path) -> None:
    _tree(tmp_path, {"a": 1})
    ds = AudioFolder(tmp_path, num_samples=100)
    ds.files[0].unlink()
    with pytest.raises(AudioFileError, match=r"a_00\.wav: no such file"):
        ds[0]
