"""The raw-waveform frontend: identity features, .wav files as generated, waveform pictures."""

from __future__ import annotations

import doctest
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from audiogan.export import export_features
from audiogan.frontends import Waveform, draw_waveform, waveform_features
from audiogan.frontends import waveform as waveform_module
from audiogan.protocols import Frontend
from audiogan.train.batches import prepare_batch
from audiogan.train.checkpoints import build_module, module_spec
from audiogan.viz import plot_feature_grid

sys.path.insert(0, str(Path(__file__).parent))
from file_checks import check_png  # noqa: E402


def test_meets_the_frontend_protocol():
    fe = Waveform(8000, 256)
    assert isinstance(fe, Frontend)
    assert (fe.feature_shape, fe.sample_rate, fe.suffix) == ((1, 256), 8000, ".wav")
    assert fe.config == {"sample_rate": 8000, "num_samples": 256}
    spec = module_spec(fe)
    assert spec["state"] is None
    again = build_module(spec["class"], spec["config"])
    assert isinstance(again, Waveform) and again.config == fe.config


def test_encode_is_the_identity_up_to_length():
    fe = Waveform(16000, 8)
    wave = torch.randn(3, 2, 8, dtype=torch.float64)
    features = fe.encode(wave)
    assert features.shape == (3, 2, 1, 8) and features.dtype == torch.float64
    assert torch.equal(features[..., 0, :], wave)
    assert torch.equal(fe.decode(features), wave)
    assert torch.equal(fe(wave), features)
    short, long = torch.randn(5), torch.randn(12)
    assert torch.equal(fe.encode(short)[0], torch.cat([short, torch.zeros(3)]))
    assert torch.equal(fe.encode(long)[0], long[:8])
    assert torch.equal(waveform_features(long, 8), fe.encode(long))


def test_as_preprocess_mono_batches_keep_one_channel_axis():
    fe = Waveform(16000, 16)
    waves = torch.randn(4, 1, 16)  # what SyntheticSounds batches hold
    batch = prepare_batch((waves, torch.arange(4)), torch.device("cpu"), preprocess=fe)
    assert torch.equal(batch.real, waves)


def test_errors_say_what_was_expected():
    with pytest.raises(ValueError, match="num_samples must be a positive integer"):
        Waveform(16000, 0)
    with pytest.raises(ValueError, match="sample_rate must be a positive integer"):
        Waveform(-1, 16)
    fe = Waveform(16000, 16)
    with pytest.raises(ValueError, match=r"encode: expected a floating waveform"):
        fe.encode(torch.arange(16))
    with pytest.raises(ValueError, match=r"expected shape \(\.\.\., 1, 16\)"):
        fe.decode(torch.randn(2, 16))
    with pytest.raises(ValueError, match=r"save: expected features \(batch, 1, 16\)"):
        fe.save(torch.randn(1, 16), ["a.wav"])
    with pytest.raises(ValueError, match="expected 2 paths"):
        fe.save(torch.zeros(2, 1, 16), ["a.wav"])
    with pytest.raises(ValueError, match=r"plot: expected one item \(1, 16\)"):
        fe.plot(torch.zeros(2, 1, 16), None)


def test_save_writes_the_samples_as_they_are(tmp_path):
    fe = Waveform(8000, 64)
    t = torch.arange(64) / 8000
    quiet = 0.1 * torch.sin(2 * torch.pi * 440 * t)
    loud = torch.sin(2 * torch.pi * 880 * t) * 1.5  # beyond [-1, 1]: clipped, not rescaled
    paths = fe.save(torch.stack([quiet, loud])[:, None], [tmp_path / "q.wav", tmp_path / "l.wav"])
    assert paths == [tmp_path / "q.wav", tmp_path / "l.wav"]
    audio, rate = sf.read(paths[0])
    assert rate == 8000 and audio.shape == (64,)
    np.testing.assert_allclose(audio, quiet.numpy(), atol=1e-4)  # 16-bit PCM, not normalized
    audio, _ = sf.read(paths[1])
    np.testing.assert_allclose(audio, loud.clamp(-1, 1).numpy(), atol=1e-4)


def test_export_and_a_picture_grid(tmp_path):
    fe = Waveform(8000, 512)
    features = fe.encode(torch.sin(torch.linspace(0, 60, 512)) * torch.linspace(1, 0, 512))
    features = torch.stack([features, 0.5 * features])
    paths = export_features(features, fe, tmp_path, ["a", "b"])
    assert [p.name for p in paths] == ["a.wav", "b.wav"]
    pytest.importorskip("matplotlib")
    check_png(plot_feature_grid(fe.plot, features, tmp_path / "grid.png", titles=["a", "b"]))


def test_plot_draws_the_waveform_on_a_fixed_scale():
    figure = pytest.importorskip("matplotlib.figure")
    fe = Waveform(1000, 100)
    wave = 0.5 * torch.sin(torch.linspace(0, 6, 100))
    ax = figure.Figure().subplots()
    fe.plot(fe.encode(wave), ax)
    line = ax.get_lines()[-1]
    np.testing.assert_allclose(line.get_ydata(), wave.numpy())
    assert line.get_xdata()[-1] == pytest.approx(0.099)  # seconds
    assert ax.get_ylim() == (-1.0, 1.0) and ax.get_xlim() == (0.0, 0.1)
    ax = figure.Figure().subplots()
    draw_waveform(3 * wave, ax)  # beyond [-1, 1]: the scale widens; no rate: samples
    assert ax.get_ylim()[1] == pytest.approx(float(3 * wave.abs().max()))
    assert ax.get_xlim() == (0.0, 100.0)
    with pytest.raises(ValueError, match=r"draw_waveform: expected a waveform"):
        draw_waveform(torch.zeros(1, 1, 4), ax)


def test_module_doctest():
    result = doctest.testmod(waveform_module, verbose=False)
    assert result.attempted > 0 and result.failed == 0
