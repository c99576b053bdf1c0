"""The gansynth recipe's settings at a toy size (3 pitches, 4 notes each), shared by its tests."""

from __future__ import annotations

TOY = {
    "sample_rate": 8000,
    "n_fft": 128,
    "hop_length": 64,
    "frames": 32,
    "pitch_min": 60,
    "pitch_max": 62,
    "notes_per_pitch": 4,
    "num_stages": 2,
    "width": 4,
    "latent_dim": 8,
    "batch_size": 4,
    "steps": 2,
    "every": 2,
    "eval_fakes": 2,
    "device": "cpu",
}
