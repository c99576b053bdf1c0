"""SyntheticSounds: determinism, range, shapes, class separability, and the writers' round trips."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import torchaudio
from hypothesis import given, settings
from hypothesis import strategies as st

from audiogan.data._loading import item_generator
from audiogan.data.audio_folder import AudioFolder
from audiogan.data.synthetic import SYNTH_CLASSES, SyntheticSounds, synthesize, write_audio_folder


def test_labels_classes_and_shapes() -> None:
    ds = SyntheticSounds(clips_per_class=2, num_samples=1600)
    assert len(ds) == 10 and ds.classes == list(SYNTH_CLASSES)
    assert ds.class_to_idx == {name: i for i, name in enumerate(SYNTH_CLASSES)}
    assert ds.labels == [0, 1, 2, 3, 4] * 2
    wave, label = ds[7]
    assert wave.shape == (1, 1600) and wave.dtype == torch.float32 and label == 2


def test_deterministic_per_seed_and_index() -> None:
    a = SyntheticSounds(clips_per_class=1, num_samples=2000, seed=5)
    b = SyntheticSounds(clips_per_class=3, num_samples=2000, seed=5)
    for i in range(len(a)):  # item i depends only on (seed, i): a prefix of the larger set
        assert torch.equal(a[i][0], b[i][0])
    assert torch.equal(b[4][0], b[4][0])
    other = SyntheticSounds(clips_per_class=1, num_samples=2000, seed=6)
    assert all(not torch.equal(a[i][0], other[i][0]) for i in range(len(a)))


def test_varied_within_a_class() -> None:
    ds = SyntheticSounds(clips_per_class=3, num_samples=2000)
    for c in range(len(ds.classes)):
        waves = [ds[c + k * len(ds.classes)][0] for k in range(3)]
        assert not torch.allclose(waves[0], waves[1]) and not torch.allclose(waves[1], waves[2])


@settings(max_examples=25, deadline=None)
@given(
    name=st.sampled_from(SYNTH_CLASSES),
    sample_rate=st.integers(4000, 48000),
    num_samples=st.integers(1, 3000),
    seed=st.integers(0, 2**31),
)
def test_range_and_shape_for_any_rate_and_length(
    name: str, sample_rate: int, num_samples: int, seed: int
) -> None:
    wave = synthesize(name, sample_rate, num_samples, item_generator(seed, 0))
    assert wave.shape == (num_samples,) and wave.dtype == torch.float32
    assert torch.isfinite(wave).all()
    peak = wave.abs().max().item()
    assert 0.3 - 1e-6 <= peak <= 0.9 + 1e-6  # peak normalized to a random level in [0.3, 0.9]


def test_nearest_centroid_separates_the_classes() -> None:
    """A nearest-centroid classifier on mean log-mel spectra (dB of the time-averaged mel power,
    loudness removed) fitted on one seed classifies another seed's sounds."""
    mel = torchaudio.transforms.MelSpectrogram(16000, n_fft=1024, hop_length=256, n_mels=128)

    def features(ds: SyntheticSounds) -> torch.Tensor:
        waves = torch.stack([ds.waveform(i)[0] for i in range(len(ds))])  # (items, time)
        spectrum = 10 * torch.log10(mel(waves).mean(-1) + 1e-10)  # (items, n_mels)
        return spectrum - spectrum.mean(dim=1, keepdim=True)

    train = SyntheticSounds(clips_per_class=4, num_samples=8000, seed=0)
    test = SyntheticSounds(clips_per_class=8, num_samples=8000, seed=1)
    x_train, y_train = features(train), torch.tensor(train.labels)
    centroids = torch.stack([x_train[y_train == c].mean(0) for c in range(len(train.classes))])
    predicted = torch.cdist(features(test), centroids).argmin(dim=1)
    accuracy = (predicted == torch.tensor(test.labels)).float().mean().item()
    assert accuracy >= 0.95


def test_subset_of_classes_is_sorted() -> None:
    ds = SyntheticSounds(clips_per_class=1, num_samples=500, classes=("siren", "dog_bark"))
    assert ds.classes == ["dog_bark", "siren"] and ds.labels == [0, 1]


def test_transform_and_cache_key() -> None:
    ds = SyntheticSounds(
        clips_per_class=1, num_samples=400, transform=lambda w: w.reshape(1, 20, 20)
    )
    x, _ = ds[0]
    assert x.shape == (1, 20, 20)
    key = SyntheticSounds(clips_per_class=2, num_samples=400).cache_key()
    assert json.loads(json.dumps(key)) == key
    assert key == SyntheticSounds(clips_per_class=2, num_samples=400).cache_key()
    assert key != SyntheticSounds(clips_per_class=2, num_samples=400, seed=1).cache_key()
    assert "transform" in ds.cache_key() and ds.cache_key()["transform"] is not None


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"classes": ("dog_bark", "cat_meow")}, r"unknown classes \['cat_meow'\]"),
        ({"classes": ("siren", "siren")}, "classes repeat"),
        ({"clips_per_class": 0}, "clips_per_class must be positive"),
        ({"num_samples": -1}, "num_samples must be positive"),
    ],
)
def test_bad_arguments(kwargs: dict, pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        SyntheticSounds(**kwargs)


def test_synthesize_unknown_class() -> None:
    with pytest.raises(ValueError, match="unknown class 'thunder'"):
        synthesize("thunder", 16000, 100, item_generator(0))


def test_index_out_of_range() -> None:
    ds = SyntheticSounds(clips_per_class=1, num_samples=100)
    assert torch.equal(ds[-1][0], ds[4][0])
    with pytest.raises(IndexError, match="index 5 out of range for 5 items"):
        ds[5]


def test_write_audio_folder_round_trip(tmp_path: Path) -> None:
    root = write_audio_folder(tmp_path / "synth", clips_per_class=2, num_samples=800, seed=3)
    assert sorted(p.name for p in (root / "siren").iterdir()) == [
        "siren_0000.wav",
        "siren_0001.wav",
    ]
    folder = AudioFolder(root, sample_rate=16000, num_samples=800)
    synth = SyntheticSounds(clips_per_class=2, num_samples=800, seed=3)
    assert folder.classes == synth.classes
    assert sorted(folder.labels) == sorted(synth.labels)
    for i in range(len(synth)):
        name = synth.classes[synth.labels[i]]
        j = folder.files.index(root / name / f"{name}_{i // 5:04d}.wav")
        wave, label = folder[j]
        assert label == synth.labels[i]
        assert torch.allclose(wave, synth.waveform(i), atol=1.0 / 16384)  # PCM_16 quantization
