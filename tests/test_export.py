"""export_features: files through the frontend's save hook (.wav, .mid, a user's own), errors."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from audiogan.audio.io import load_audio
from audiogan.export import export_features
from audiogan.frontends.logmel import LogMel

SR = 8000


def small_logmel() -> LogMel:
    return LogMel(
        sample_rate=SR, n_fft=256, hop_length=64, n_mels=32, frames=32, griffin_lim_iters=8
    )


def test_audio_features_become_peak_normalized_wavs(tmp_path: Path) -> None:
    fe = small_logmel()
    t = torch.arange(fe.num_samples_for_frames()) / SR
    waves = torch.stack([0.1 * torch.sin(2 * math.pi * f * t) for f in (500.0, 1500.0)])
    paths = export_features(fe.encode(waves), fe, tmp_path / "out", ["low", "high.wav"])
    assert paths == [tmp_path / "out" / "low.wav", tmp_path / "out" / "high.wav"]
    for path, freq in zip(paths, (500.0, 1500.0), strict=True):
        wave, sr = load_audio(path)
        assert sr == SR and wave.shape == (1, fe.num_samples_for_frames())
        assert wave.abs().max().item() == pytest.approx(0.99, abs=1e-3)
        spectrum = torch.fft.rfft(wave[0]).abs()
        assert float(spectrum.argmax()) * SR / wave.shape[-1] == pytest.approx(freq, abs=60.0)


class UserFrontend:
    """A user's own frontend, subclassing nothing from audiogan: text files of numbers."""

    feature_shape = (2, 3)
    sample_rate = 0
    config: dict = {}
    suffix = ".txt"

    def __init__(self) -> None:
        self.calls: list[tuple[torch.Tensor, list[Path]]] = []

    def encode(self, wave: torch.Tensor) -> torch.Tensor:
        return wave.reshape(*wave.shape[:-1], 2, 3)

    def decode(self, features: torch.Tensor) -> torch.Tensor:
        return features.flatten(-2)

    def save(self, features: torch.Tensor, paths: list[Path]) -> list[Path]:
        self.calls.append((features, list(paths)))
        for item, path in zip(features, paths, strict=True):
            Path(path).write_text(" ".join(f"{v:g}" for v in item.flatten().tolist()))
        return [Path(p) for p in paths]

    def plot(self, features: torch.Tensor, ax) -> None:
        ax.imshow(features.numpy())


def test_a_user_frontend_saves_the_whole_batch_in_one_call(tmp_path: Path) -> None:
    from audiogan.protocols import Frontend

    fe = UserFrontend()
    assert isinstance(fe, Frontend)
    features = torch.arange(18.0).reshape(3, 2, 3)
    paths = export_features(features, fe, tmp_path, ["a", "b", "c.txt"])
    assert paths == [tmp_path / "a.txt", tmp_path / "b.txt", tmp_path / "c.txt"]
    assert paths[1].read_text() == "6 7 8 9 10 11"
    ((batch, given),) = fe.calls  # one batched call
    assert torch.equal(batch, features) and given == paths


def test_pianoroll_features_become_midi_files(tmp_path: Path) -> None:
    pytest.importorskip("pretty_midi")
    from audiogan.frontends.pianoroll import PianoRoll

    fe = PianoRoll(tracks=2, bars=1, steps_per_bar=4, pitches=12, lowest_pitch=60)
    rolls = torch.randn(3, 2, 1, 4, 12)
    paths = export_features(rolls, fe, tmp_path, ["a", "b", "c.mid"])
    assert paths == [tmp_path / "a.mid", tmp_path / "b.mid", tmp_path / "c.mid"]
    for path, roll in zip(paths, rolls, strict=True):
        assert torch.equal(fe.from_midi(path)[0], fe.binarize(roll))


def test_errors(tmp_path: Path) -> None:
    class Other:
        feature_shape = (3,)

    with pytest.raises(TypeError, match="has no suffix, save"):
        export_features(torch.zeros(1, 3), Other(), tmp_path, ["x"])
    fe = small_logmel()
    x = torch.zeros(2, 1, 32, 32)
    with pytest.raises(ValueError, match="expected 2 names"):
        export_features(x, fe, tmp_path, ["one"])
    with pytest.raises(ValueError, match="duplicates"):
        export_features(x, fe, tmp_path, ["same", "same"])
    with pytest.raises(ValueError, match="without a folder"):
        export_features(x, fe, tmp_path, ["ok", "sub/dir"])
    with pytest.raises(ValueError, match=r"expected features \(n, 1, 32, 32\)"):
        export_features(torch.zeros(2, 1, 32, 31), fe, tmp_path, ["a", "b"])
    assert list(tmp_path.iterdir()) == []
