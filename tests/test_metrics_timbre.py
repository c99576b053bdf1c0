"""Harmonic profiles and timbre constancy across pitches."""

from __future__ import annotations

import math

import pytest
import torch

from audiogan.data import midi_to_hz
from audiogan.metrics import harmonic_profile, timbre_constancy

SR = 16000


def tone(pitch: int, amps, n: int = 8000) -> torch.Tensor:
    t = torch.arange(n, dtype=torch.float64) / SR
    f0 = midi_to_hz(pitch)
    return sum(a * torch.sin(2 * math.pi * (k + 1) * f0 * t) for k, a in enumerate(amps)).float()


def test_profile_of_known_harmonics():
    amps = [1.0, 0.5, 0.25, 0.1]
    profile = harmonic_profile(tone(57, amps)[None], torch.tensor([57]), SR, num_harmonics=4)
    expected = torch.tensor([20 * math.log10(a) for a in amps])
    assert torch.allclose(profile[0], expected, atol=0.3), profile


def test_harmonics_above_nyquist_read_the_floor():
    profile = harmonic_profile(tone(100, [1.0])[None], torch.tensor([100]), SR, num_harmonics=4)
    assert profile[0, 0] == 0 and bool((profile[0, 2:] == -60).all())  # 2637 Hz: 3rd at 7.9 kHz


def test_constancy_tells_latent_timbre_from_pitch_timbre():
    pitches = [52, 60, 67]
    timbres = [[1.0, 0.8, 0.1, 0.05], [1.0, 0.1, 0.7, 0.3], [0.3, 1.0, 0.2, 0.6]]
    by_latent = torch.stack([torch.stack([tone(p, a) for p in pitches]) for a in timbres])
    held = timbre_constancy(by_latent, torch.tensor(pitches), SR, num_harmonics=4)
    assert held["within"] < 0.5 and held["between"] > 5 and held["ratio"] < 0.1
    by_pitch = torch.stack(
        [torch.stack([tone(p, a) for p, a in zip(pitches, timbres, strict=True)])] * 2
    )
    lost = timbre_constancy(by_pitch, torch.tensor(pitches), SR, num_harmonics=4)
    assert lost["between"] < 0.5 and lost["ratio"] > 10


def test_bad_shapes():
    with pytest.raises(ValueError, match="latents >= 2"):
        timbre_constancy(torch.zeros(1, 3, 100), torch.tensor([60, 61, 62]), SR)
    with pytest.raises(ValueError, match="pitches"):
        harmonic_profile(torch.zeros(2, 100), torch.tensor([60]), SR)
