"""YIN pitch estimation and note pitch accuracy."""

from __future__ import annotations

import math

import pytest
import torch

from audiogan.metrics import hz_to_midi, note_pitch, pitch_accuracy, yin_pitch

SR = 16000


def harmonic(f0: float, n: int = 16000, harmonics: int = 6) -> torch.Tensor:
    t = torch.arange(n, dtype=torch.float64) / SR
    return sum(torch.sin(2 * math.pi * k * f0 * t) / k for k in range(1, harmonics + 1)).float()


@pytest.mark.parametrize("f0", [82.4, 196.0, 440.0, 1000.0])
def test_yin_finds_the_fundamental(f0):
    hz, aperiodicity = yin_pitch(harmonic(f0), SR)
    assert float((hz - f0).abs().nanmean()) < 0.01 * f0
    assert float(aperiodicity.max()) < 0.1


def test_missing_fundamental_and_strong_second_harmonic_are_no_octave_error():
    t = torch.arange(16000, dtype=torch.float64) / SR
    wave = (0.3 * torch.sin(2 * math.pi * 220 * t) + torch.sin(2 * math.pi * 440 * t)).float()
    assert abs(float(note_pitch(wave, SR)) - float(hz_to_midi(torch.tensor(220.0)))) < 0.1


def test_silence_and_noise_are_unvoiced():
    hz, _ = yin_pitch(torch.zeros(8000), SR)
    assert bool(hz.isnan().all())
    noise = torch.randn(8000, generator=torch.Generator().manual_seed(0)) * 0.3
    hz, _ = yin_pitch(noise, SR)
    assert float(hz.isnan().float().mean()) > 0.8
    assert math.isnan(float(note_pitch(torch.zeros(8000), SR)))


def test_batched_and_accuracy():
    waves = torch.stack([harmonic(midi) for midi in (220.0, 261.63, 329.63)])
    pitches = torch.tensor([57, 60, 64])
    assert pitch_accuracy(waves, pitches, SR) == 1.0
    assert pitch_accuracy(waves, pitches + 1, SR) == 0.0
    assert (
        abs(
            pitch_accuracy(
                torch.cat([waves, torch.zeros(1, 16000)]), torch.tensor([57, 60, 64, 60]), SR
            )
            - 0.75
        )
        < 1e-6
    )
    assert yin_pitch(waves[None], SR)[0].shape[:2] == (1, 3)


def test_bad_input():
    with pytest.raises(ValueError, match="at least"):
        yin_pitch(torch.zeros(100), SR)
    with pytest.raises(ValueError, match="f_min"):
        yin_pitch(torch.zeros(8000), SR, f_min=500, f_max=100)
    with pytest.raises(ValueError, match="pitches"):
        pitch_accuracy(torch.zeros(2, 8000), torch.zeros(3), SR)
