"""FeatureCache: build, reuse without encoding, stale detection, atomic writes, errors."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from audiogan.audio.io import load_audio, save_audio
from audiogan.data.cache import FEATURES_FILE, INDEX_FILE, FeatureCache, cache_key
from audiogan.frontends.logmel import LogMel
from audiogan.frontends.logspec import LogSpectrogram

SR = 8000
N = 640  # samples per item: 11 frames at hop 64


class CountingLogMel(LogMel):
    """A small LogMel that counts encoded items."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            **{"sample_rate": SR, "n_fft": 128, "hop_length": 64, "n_mels": 16, **kwargs}
        )
        self.items_encoded = 0

    def encode(self, wave: torch.Tensor) -> torch.Tensor:
        self.items_encoded += wave.shape[0]
        return super().encode(wave)


class FailingLogMel(CountingLogMel):
    """Fails on its second batch, like a crash in the middle of a build."""

    def encode(self, wave: torch.Tensor) -> torch.Tensor:
        if self.items_encoded > 0:
            raise RuntimeError("simulated crash mid-build")
        return super().encode(wave)


class Waves:
    """In-memory labelled (or unlabelled) waves with a cache_key."""

    def __init__(self, n: int = 5, seed: int = 0, labelled: bool = True) -> None:
        self.seed, self.labelled = seed, labelled
        self.waves = torch.randn(n, 1, N, generator=torch.Generator().manual_seed(seed)) * 0.3
        self.labels = [i % 3 for i in range(n)]

    def __len__(self) -> int:
        return len(self.waves)

    def __getitem__(self, i: int) -> Any:
        return (self.waves[i], self.labels[i]) if self.labelled else self.waves[i]

    def cache_key(self) -> dict[str, Any]:
        return {"n": len(self), "seed": self.seed, "labelled": self.labelled}


class WavFiles:
    """Wav files in a folder; the cache key lists relative paths with size and mtime."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files = sorted(root.glob("*.wav"))
        self.labels = [int(p.stem.split("_")[0]) for p in self.files]

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        wave, _ = load_audio(self.files[i])
        return wave, self.labels[i]

    def cache_key(self) -> dict[str, Any]:
        return {
            "files": [
                [str(p.relative_to(self.root)), p.stat().st_size, p.stat().st_mtime_ns]
                for p in self.files
            ]
        }


@pytest.fixture
def wav_root(tmp_path: Path) -> Path:
    root = tmp_path / "audio"
    gen = torch.Generator().manual_seed(1)
    for i in range(4):
        save_audio(root / f"{i % 2}_{i}.wav", torch.randn(1, N, generator=gen) * 0.3, SR)
    return root


def test_build_stores_encode_of_every_item(tmp_path: Path) -> None:
    data, fe = Waves(5), CountingLogMel()
    cache = FeatureCache(data, fe, tmp_path / "c", batch_size=2, dtype="float32", progress=False)
    assert cache.built and fe.items_encoded == 5 and len(cache) == 5
    assert cache.feature_shape == (1, 16, 11) and cache.labels == data.labels
    for i in range(5):
        x, y = cache[i]
        assert x.dtype == torch.float32 and y == data.labels[i]
        assert torch.allclose(x, LogMel(**fe.config).encode(data.waves[i]), atol=1e-6)
    on_disk = np.load(tmp_path / "c" / FEATURES_FILE)  # a standard .npy file
    assert on_disk.shape == (5, 1, 16, 11) and on_disk.dtype == np.float32


class FirstSamples:
    """A user's frontend (nothing from audiogan): the first 8 samples of each channel."""

    config = {"samples": 8}

    def __init__(self, feature_shape: tuple[int, ...], per_channel: bool) -> None:
        self.feature_shape, self.per_channel = feature_shape, per_channel

    def encode(self, wave: torch.Tensor) -> torch.Tensor:
        first = wave[..., :8]  # (..., channels, 8)
        return first.unsqueeze(-2) if self.per_channel else first


def test_mono_axis_dropped_only_when_encode_leaves_it_before_feature_shape(tmp_path: Path) -> None:
    """Decided from the encoded shape against feature_shape, for any frontend."""
    data = Waves(3)  # mono items (1, time)
    # (batch, 1, time) -> (batch, 1, 1, 8): one axis too many in front of (1, 8): dropped
    per_channel = FeatureCache(data, FirstSamples((1, 8), True), tmp_path / "a", progress=False)
    assert per_channel.feature_shape == (1, 8)
    # (batch, 1, time) -> (batch, 1, 8): already feature_shape: kept as it is
    whole = FeatureCache(data, FirstSamples((1, 8), False), tmp_path / "b", progress=False)
    assert whole.feature_shape == (1, 8)
    assert torch.allclose(whole[2][0], per_channel[2][0], atol=2e-3)
    assert torch.allclose(whole[2][0], data.waves[2][:, :8], atol=2e-3)


def test_float16_storage_and_unlabelled_items(tmp_path: Path) -> None:
    data = Waves(3, labelled=False)
    cache = FeatureCache(data, CountingLogMel(), tmp_path / "c", progress=False)
    x = cache[1]
    assert isinstance(x, torch.Tensor) and x.dtype == torch.float32 and cache.labels is None
    assert np.load(tmp_path / "c" / FEATURES_FILE, mmap_mode="r").dtype == np.float16
    assert torch.allclose(x, CountingLogMel().encode(data.waves[1]), atol=2e-3)


def test_second_open_reuses_without_encoding(tmp_path: Path) -> None:
    FeatureCache(Waves(5), CountingLogMel(), tmp_path / "c", progress=False)
    fe = CountingLogMel()
    again = FeatureCache(Waves(5), fe, tmp_path / "c", progress=False)
    assert not again.built and fe.items_encoded == 0 and len(again) == 5
    forced = FeatureCache(Waves(5), fe, tmp_path / "c", rebuild=True, progress=False)
    assert forced.built and fe.items_encoded == 5


def test_changed_file_size_or_mtime_rebuilds(tmp_path: Path, wav_root: Path) -> None:
    path = tmp_path / "c"
    first = FeatureCache(WavFiles(wav_root), CountingLogMel(), path, progress=False)
    old0 = first[0][0].clone()

    fe = CountingLogMel()
    assert not FeatureCache(WavFiles(wav_root), fe, path, progress=False).built

    target = sorted(wav_root.glob("*.wav"))[0]
    st = target.stat()
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))  # mtime only
    assert (
        FeatureCache(WavFiles(wav_root), fe, path, progress=False).built and fe.items_encoded == 4
    )

    save_audio(target, torch.ones(1, N) * 0.5, SR, subtype="FLOAT")  # new content and size
    rebuilt = FeatureCache(WavFiles(wav_root), fe, path, progress=False)
    assert rebuilt.built and not torch.allclose(rebuilt[0][0], old0)


def test_changed_frontend_config_state_or_dtype_rebuilds(tmp_path: Path) -> None:
    path, data = tmp_path / "c", Waves(4)
    FeatureCache(data, CountingLogMel(), path, progress=False)
    other = CountingLogMel(n_mels=8)
    cache = FeatureCache(data, other, path, progress=False)
    assert cache.built and cache.feature_shape == (1, 8, 11)
    assert FeatureCache(data, CountingLogMel(n_mels=8), path, dtype="float32", progress=False).built

    waves = data.waves
    spec = LogSpectrogram(sample_rate=SR, n_fft=64, hop_length=32).fit(waves)
    FeatureCache(data, spec, path, progress=False)
    refit = LogSpectrogram(sample_rate=SR, n_fft=64, hop_length=32).fit(waves * 0.1 + 0.01)
    assert refit.config == spec.config
    assert cache_key(data, refit) != cache_key(data, spec)  # the fitted buffers are in the key
    assert FeatureCache(data, refit, path, progress=False).built
    assert not FeatureCache(data, refit, path, progress=False).built


def test_crash_mid_build_leaves_no_valid_cache(tmp_path: Path) -> None:
    path, data = tmp_path / "c", Waves(6)
    FeatureCache(data, CountingLogMel(), path, progress=False)  # a valid old cache
    with pytest.raises(RuntimeError, match="simulated crash"):
        FeatureCache(data, FailingLogMel(), path, batch_size=2, rebuild=True, progress=False)
    assert not (path / INDEX_FILE).exists()
    assert sorted(p.name for p in path.iterdir()) == [FEATURES_FILE]  # no temporary files left
    fe = CountingLogMel()
    assert FeatureCache(data, fe, path, progress=False).built and fe.items_encoded == 6

    fresh = tmp_path / "fresh"
    with pytest.raises(RuntimeError, match="simulated crash"):
        FeatureCache(data, FailingLogMel(), fresh, batch_size=2, progress=False)
    assert list(fresh.iterdir()) == []


@pytest.mark.parametrize("damage", ["truncate", "garbage_index", "drop_features"])
def test_damaged_cache_is_rebuilt(tmp_path: Path, damage: str) -> None:
    path, data = tmp_path / "c", Waves(4)
    FeatureCache(data, CountingLogMel(), path, progress=False)
    features = path / FEATURES_FILE
    if damage == "truncate":
        features.write_bytes(features.read_bytes()[:-10])
    elif damage == "garbage_index":
        (path / INDEX_FILE).write_text("{not json")
    else:
        features.unlink()
    fe = CountingLogMel()
    cache = FeatureCache(data, fe, path, progress=False)
    assert cache.built and fe.items_encoded == 4 and cache[3][0].shape == (1, 16, 11)
    assert json.loads((path / INDEX_FILE).read_text())["num_items"] == 4


def test_works_with_dataloader_and_pickles(tmp_path: Path) -> None:
    cache = FeatureCache(Waves(5), CountingLogMel(), tmp_path / "c", progress=False)
    _ = cache[0]  # opens the memory map
    clone = pickle.loads(pickle.dumps(cache))
    assert torch.equal(clone[2][0], cache[2][0])
    x, y = next(iter(DataLoader(cache, batch_size=4)))
    assert x.shape == (4, 1, 16, 11) and y.tolist() == [0, 1, 2, 0]


@pytest.mark.parametrize("labelled", [True, False])
def test_batched_read_equals_item_reads(tmp_path: Path, labelled: bool) -> None:
    """DataLoader fetches a batch with one __getitems__ call: the same items as one by one."""
    cache = FeatureCache(
        Waves(7, labelled=labelled), CountingLogMel(), tmp_path / "c", progress=False
    )
    indices = [5, 0, 3, 3, 6]  # any order, repeats (a sampler with replacement)
    batched, one_by_one = cache.__getitems__(indices), [cache[i] for i in indices]
    assert len(batched) == len(one_by_one)
    for got, want in zip(batched, one_by_one, strict=True):
        if labelled:
            assert torch.equal(got[0], want[0]) and got[1] == want[1]
        else:
            assert torch.equal(got, want)
    first = next(iter(DataLoader(cache, batch_size=3, sampler=[5, 0, 3])))
    x = first[0] if labelled else first
    assert torch.equal(x, torch.stack([cache[i][0] if labelled else cache[i] for i in (5, 0, 3)]))


def test_errors(tmp_path: Path) -> None:
    class NoKey:
        def __len__(self) -> int:
            return 1

        def __getitem__(self, i: int) -> torch.Tensor:
            return torch.zeros(N)

    with pytest.raises(TypeError, match=r"no cache_key\(\) method"):
        FeatureCache(NoKey(), CountingLogMel(), tmp_path / "a", progress=False)

    class NoConfig:
        def encode(self, wave: torch.Tensor) -> torch.Tensor:
            return wave

    with pytest.raises(TypeError, match="config"):
        FeatureCache(Waves(2), NoConfig(), tmp_path / "b", progress=False)
    with pytest.raises(ValueError, match="empty"):
        FeatureCache(Waves(0), CountingLogMel(), tmp_path / "c", progress=False)
    with pytest.raises(ValueError, match="'float16' or 'float32'"):
        FeatureCache(Waves(2), CountingLogMel(), tmp_path / "d", dtype="int8", progress=False)

    ragged = Waves(2)
    ragged.waves = [torch.zeros(1, N), torch.zeros(1, N + 64)]
    with pytest.raises(ValueError, match="different shapes"):
        FeatureCache(ragged, CountingLogMel(), tmp_path / "e", batch_size=2, progress=False)
    with pytest.raises(ValueError, match="earlier ones to"):  # 11 frames, then 12
        FeatureCache(ragged, CountingLogMel(), tmp_path / "f", batch_size=1, progress=False)
    assert (
        len(
            FeatureCache(
                ragged, CountingLogMel(frames=11), tmp_path / "g", batch_size=1, progress=False
            )
        )
        == 2
    )
