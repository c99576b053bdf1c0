"""Built-in synthesized notes and NSynth-style note folders."""

from __future__ import annotations

import pytest
import torch

from audiogan.audio.io import save_audio
from audiogan.data import (
    NOTE_FAMILIES,
    NoteFolder,
    SynthNotes,
    midi_to_hz,
    parse_note_name,
    synthesize_note,
)
from audiogan.data._loading import item_generator
from audiogan.metrics import note_pitch


def test_layout_of_items():
    ds = SynthNotes(pitches=[60, 64, 67], velocities=[50, 100], families=["fm", "plucked"])
    assert len(ds) == 3 * 2 * 2
    assert ds.classes == ["60", "64", "67"]
    assert ds.labels[:4] == [0, 1, 2, 0]
    assert ds.note(3) == {"pitch": 60, "velocity": 50, "family": "plucked"}
    assert ds.note(7) == {"pitch": 64, "velocity": 100, "family": "fm"}
    wave, label = ds[4]
    assert wave.shape == (1, 16000) and label == 1 and wave.dtype == torch.float32


def test_deterministic_per_seed_and_index():
    a, b = SynthNotes(seed=3), SynthNotes(seed=3, notes_per_pitch=2)
    assert torch.equal(a.waveform(5), b.waveform(5))
    assert not torch.equal(a.waveform(5), SynthNotes(seed=4).waveform(5))


@pytest.mark.parametrize("family", NOTE_FAMILIES)
def test_every_family_sounds_at_its_pitch(family):
    pitches = [45, 57, 69, 76]
    waves = torch.stack(
        [synthesize_note(family, p, 100, 16000, 16000, item_generator(0, p)) for p in pitches]
    )
    found = note_pitch(waves, 16000)
    assert torch.allclose(found, torch.tensor(pitches, dtype=torch.float32), atol=0.3), found


def test_velocity_sets_the_peak_and_the_note_is_released():
    note = synthesize_note("additive", 60, 64, 16000, 16000, item_generator(1))
    assert abs(float(note.abs().max()) - 0.9 * 64 / 127) < 1e-5
    assert float(note[-1500:].abs().max()) == 0.0  # released before the end


def test_bad_values_are_refused():
    with pytest.raises(ValueError, match="unknown family"):
        synthesize_note("organ", 60, 100, 16000, 100, item_generator(0))
    with pytest.raises(ValueError, match="velocity"):
        synthesize_note("fm", 60, 0, 16000, 100, item_generator(0))
    with pytest.raises(ValueError, match="out of range"):
        SynthNotes(pitches=[100], sample_rate=4000)


def test_midi_to_hz():
    assert midi_to_hz(69) == 440.0
    assert abs(midi_to_hz(60) - 261.6256) < 1e-3


def test_parse_note_name():
    assert parse_note_name("keyboard_electronic_003-064-127.wav") == {
        "instrument": "keyboard_electronic_003",
        "family": "keyboard",
        "pitch": 64,
        "velocity": 127,
    }
    assert parse_note_name("readme.txt") is None


def test_note_folder(tmp_path):
    for name, pitch in (
        ("bass_synthetic_001", 48),
        ("guitar_acoustic_002", 60),
        ("guitar_acoustic_002", 48),
    ):
        wave = synthesize_note("plucked", pitch, 90, 16000, 8000, item_generator(pitch))
        save_audio(tmp_path / "sub" / f"{name}-{pitch:03d}-090.wav", wave[None], 16000)
    (tmp_path / "notes.txt").write_text("not a note")
    ds = NoteFolder(tmp_path, num_samples=16000)
    assert ds.pitches == [48, 60] and ds.classes == ["48", "60"]
    assert len(ds) == 3
    assert sorted(ds.labels) == [0, 0, 1]
    wave, label = ds[0]
    assert wave.shape == (1, 16000)
    assert {n["family"] for n in ds.notes} == {"bass", "guitar"}
    only = NoteFolder(tmp_path, pitches=[60])
    assert len(only) == 1 and only.labels == [0]
    assert "files" in ds.cache_key()
    with pytest.raises(ValueError, match="no note files"):
        NoteFolder(tmp_path, pitches=[70])
