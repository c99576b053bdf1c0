"""The log-magnitude + instantaneous-frequency and complex-STFT frontends: exact inversion, IF of
a pure tone, shapes, mel option."""

from __future__ import annotations

import math

import pytest
import torch

from audiogan.frontends import (
    ComplexSpectrogram,
    InstantaneousFrequency,
    instantaneous_frequency,
    instantaneous_frequency_hz,
    mel_weights,
    phase_from_instantaneous_frequency,
)
from audiogan.protocols import Frontend

SR = 16000


def tones(n: int, freqs=(220.0, 661.0), amps=(0.5, 0.2)) -> torch.Tensor:
    t = torch.arange(n, dtype=torch.float32) / SR
    return sum(
        a * torch.sin(2 * math.pi * f * t + i)
        for i, (f, a) in enumerate(zip(freqs, amps, strict=True))
    )


def test_meets_the_frontend_protocol():
    for fe in (
        InstantaneousFrequency(n_fft=256, hop_length=64, frames=8),
        ComplexSpectrogram(n_fft=256, hop_length=64),
    ):
        assert isinstance(fe, Frontend)
    assert InstantaneousFrequency(n_fft=256, hop_length=64, frames=8).feature_shape == (2, 128, 8)


@pytest.mark.parametrize("n_fft,hop", [(256, 64), (512, 128), (512, 256)])
def test_if_round_trip_is_exact_for_tones(n_fft, hop):
    fe = InstantaneousFrequency(n_fft=n_fft, hop_length=hop, frames=40)
    wave = tones(fe.num_samples_for_frames())
    features = fe.encode(wave)
    assert features.shape == (2, n_fft // 2, 40)
    assert features.min() >= -1 and features.max() <= 1
    back = fe.decode(features)
    assert back.shape == wave.shape
    assert float((back - wave).norm() / wave.norm()) < 1e-3


def test_if_round_trip_of_noise_is_bounded_by_the_nyquist_bin_and_floor():
    fe = InstantaneousFrequency(n_fft=256, hop_length=64, frames=50)
    noise = (
        torch.randn(3, fe.num_samples_for_frames(), generator=torch.Generator().manual_seed(0))
        * 0.1
    )
    back = fe.decode(fe.encode(noise))
    rel = (back - noise).norm(dim=-1) / noise.norm(dim=-1)
    assert bool(
        (rel < 0.1).all()
    )  # white noise puts ~1/128 of its energy in the dropped Nyquist bin


def test_silence_decodes_to_silence():
    fe = InstantaneousFrequency(n_fft=256, hop_length=64, frames=16)
    silent = torch.zeros(fe.num_samples_for_frames())
    features = fe.encode(silent)
    assert bool((features[0] == -1).all())
    assert float(fe.decode(features).abs().max()) == 0.0


@pytest.mark.parametrize("freq", [110.0, 437.3, 1234.5, 3000.0])
def test_if_of_a_pure_tone_is_its_frequency(freq):
    fe = InstantaneousFrequency(n_fft=512, hop_length=128, frames=64)
    wave = torch.sin(
        2 * math.pi * freq * torch.arange(fe.num_samples_for_frames(), dtype=torch.float64) / SR
    )
    hz = fe.frequencies_hz(fe.encode(wave.float()))
    k = round(freq * 512 / SR)
    inner = hz[k, 4:-4]  # frames away from the reflect-padded ends
    assert float((inner - freq).abs().max()) < 0.5


def test_if_channel_is_the_wrapped_phase_advance():
    phase = torch.tensor([[0.1, 0.1 + 3.0, 0.1 + 6.0, 0.1 + 9.0]])
    got = instantaneous_frequency(phase)
    advance = (3.0 + math.pi) % (2 * math.pi) - math.pi
    assert torch.allclose(got[0, 1:], torch.full((3,), advance / math.pi))
    assert torch.allclose(got[0, 0], torch.tensor(0.1 / math.pi))
    back = phase_from_instantaneous_frequency(got)
    assert torch.allclose(torch.cos(back), torch.cos(phase), atol=1e-5)


def test_instantaneous_frequency_hz_checks_the_bins():
    with pytest.raises(ValueError, match="expected"):
        instantaneous_frequency_hz(torch.zeros(2, 100, 4), 256, 64, SR)


def test_mel_option_round_trips_tones_approximately():
    fe = InstantaneousFrequency(n_fft=512, hop_length=128, frames=64, mel=True, n_mels=128)
    assert fe.feature_shape == (2, 128, 64)
    wave = tones(fe.num_samples_for_frames())
    back = fe.decode(fe.encode(wave))
    assert float((back - wave).norm() / wave.norm()) < 0.05
    with pytest.raises(ValueError, match="mel=False"):
        fe.frequencies_hz(fe.encode(wave))


def test_mel_weights_have_no_empty_band_and_average():
    w = mel_weights(128, 128, SR)
    assert w.shape == (128, 128)
    assert torch.allclose(w.sum(0), torch.ones(128))
    assert bool((w.max(0).values > 0).all())


def test_batched_equals_item_by_item():
    fe = InstantaneousFrequency(n_fft=256, hop_length=64, frames=20)
    waves = torch.randn(2, 3, fe.num_samples_for_frames()) * 0.1
    batched = fe.encode(waves)
    assert batched.shape == (2, 3, 2, 128, 20)
    assert torch.allclose(batched[1, 2], fe.encode(waves[1, 2]), atol=1e-6)
    assert fe.decode(batched).shape == waves.shape


def test_bad_arguments_and_features_are_refused():
    with pytest.raises(ValueError, match="hop_length <= n_fft // 2"):
        InstantaneousFrequency(n_fft=256, hop_length=200)
    with pytest.raises(ValueError, match="needs mel=True"):
        InstantaneousFrequency(n_mels=64)
    fe = InstantaneousFrequency(n_fft=256, hop_length=64, frames=8)
    with pytest.raises(ValueError, match=r"expected features \(\.\.\., 2, 128, 8\)"):
        fe.decode(torch.zeros(1, 128, 8))


@pytest.mark.parametrize("compression", [1.0, 0.3])
def test_complex_round_trip_is_exact(compression):
    fe = ComplexSpectrogram(n_fft=256, hop_length=64, frames=40, compression=compression)
    wave = tones(fe.num_samples_for_frames())
    features = fe.encode(wave)
    assert features.shape == (2, 128, 40)
    assert float(features.abs().max()) <= 1.0
    back = fe.decode(features)
    assert float((back - wave).norm() / wave.norm()) < 1e-3  # but for the Nyquist bin


def test_complex_full_scale_sine_has_magnitude_one():
    fe = ComplexSpectrogram(n_fft=256, hop_length=64, frames=30)
    wave = torch.sin(
        2 * math.pi * 2000.0 * torch.arange(fe.num_samples_for_frames()) / SR
    )  # bin 32
    features = fe.encode(wave)
    magnitude = features.square().sum(0).sqrt()
    assert abs(float(magnitude[32, 10]) - 1.0) < 1e-3


def test_plots_draw_the_magnitude():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    for fe in (
        InstantaneousFrequency(n_fft=256, hop_length=64, frames=8),
        ComplexSpectrogram(n_fft=256, hop_length=64, frames=8),
    ):
        fig, ax = plt.subplots()
        fe.plot(fe.encode(tones(fe.num_samples_for_frames())), ax)
        plt.close(fig)
