"""export_features: .wav for audio frontends, .mid through to_midi for piano rolls, errors."""

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


class StandInRoll:
    """The piano-roll frontend's export contract: kind, feature_shape, to_midi(item, path) -> Path."""

    kind = "pianoroll"
    feature_shape = (4, 2, 16, 84)

    def __init__(self) -> None:
        self.calls: list[tuple[torch.Tensor, Path]] = []

    def to_midi(self, roll: torch.Tensor, path: str | Path) -> Path:
        self.calls.append((roll, Path(path)))
        Path(path).write_bytes(b"MThd")
        return Path(path)


def test_pianoroll_features_go_through_to_midi(tmp_path: Path) -> None:
    fe = StandInRoll()
    rolls = torch.randn(3, 4, 2, 16, 84)
    paths = export_features(rolls, fe, tmp_path, ["a", "b", "c.mid"])
    assert paths == [tmp_path / "a.mid", tmp_path / "b.mid", tmp_path / "c.mid"]
    assert all(p.read_bytes() == b"MThd" for p in paths)
    assert [p for _, p in fe.calls] == paths
    for i, (roll, _) in enumerate(fe.calls):
        assert torch.equal(roll, rolls[i])


def test_errors(tmp_path: Path) -> None:
    class Other:
        kind = "text"

    with pytest.raises(ValueError, match="kind 'text'"):
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
