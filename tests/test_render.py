"""Rendering scores with a note model: pitches, rests, and one timbre per voice."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from audiogan.data import midi_to_hz
from audiogan.frontends import InstantaneousFrequency
from audiogan.metrics import harmonic_profile, note_pitch
from audiogan.render import (
    NoteModel,
    ScoreNote,
    read_score,
    render_voices,
    shape_note,
    tracks_to_voices,
)

SR = 8000
PITCHES = list(range(55, 80))


class ToneGenerator(nn.Module):
    """A stand-in note GAN: harmonic tones at the label's pitch whose harmonic levels come from
    the latent (one timbre per latent), encoded by the real frontend."""

    def __init__(self, frontend: InstantaneousFrequency) -> None:
        super().__init__()
        self.frontend, self.num_classes, self.latent_dim = frontend, len(PITCHES), 6
        self.scale = nn.Parameter(torch.ones(()))

    def sample_latent(self, n, device=None, generator=None):
        return torch.randn(n, self.latent_dim, generator=generator)

    def forward(self, z, labels):
        n = self.frontend.num_samples_for_frames()
        t = torch.arange(n, dtype=torch.float64) / SR
        f0 = midi_to_hz(torch.tensor(PITCHES, dtype=torch.float64)[labels])[:, None]
        k = torch.arange(1, self.latent_dim + 1, dtype=torch.float64)
        amps = (1.0 + 0.8 * torch.tanh(z.double())) / k / 3  # (batch, harmonics)
        wave = (amps[:, :, None] * torch.sin(2 * math.pi * k[None, :, None] * f0[:, None] * t)).sum(
            1
        )
        envelope = torch.clamp(t / 0.01, max=1.0) * torch.where(
            t < 0.75, 1.0, torch.exp(-(t - 0.75) / 0.03)
        )
        return self.frontend.encode((0.5 * wave * envelope).float())


@pytest.fixture(scope="module")
def model() -> NoteModel:
    frontend = InstantaneousFrequency(SR, n_fft=256, hop_length=128, frames=64)
    return NoteModel(ToneGenerator(frontend), frontend, PITCHES)


def melody() -> list[ScoreNote]:
    # quarter notes with rests between them; 64 repeats at 2.4 s
    return [
        ScoreNote(0.0, 0.4, 60, 100),
        ScoreNote(0.6, 1.0, 64, 80),
        ScoreNote(1.2, 1.6, 67, 110),
        ScoreNote(1.8, 2.2, 72, 60),
        ScoreNote(2.4, 2.8, 64, 100),
    ]


def segment(wave: torch.Tensor, note: ScoreNote, margin: float = 0.05) -> torch.Tensor:
    return wave[int((note.start + margin) * SR) : int((note.end - margin) * SR)]


def test_detected_pitches_match_the_score(model):
    voice = melody()
    rendered = render_voices([voice], model, seed=1)
    for note in voice:
        found = float(note_pitch(segment(rendered.wave, note), SR, f_min=100.0))
        assert abs(found - note.pitch) < 0.25, (note, found)


def test_silence_where_the_score_rests(model):
    voice = melody()
    rendered = render_voices([voice], model, seed=1, release=0.05)
    wave = rendered.wave
    for before, after in zip(voice, voice[1:], strict=False):
        gap = wave[int((before.end + 0.05) * SR) + 1 : int(after.start * SR) - 1]
        assert gap.numel() > 0 and float(gap.abs().max()) == 0.0
    assert float(wave[int((voice[-1].end + 0.05) * SR) + 1 :].abs().sum()) == 0.0
    assert wave.numel() == int(math.ceil(2.8 * SR)) + int(0.05 * SR) + 1


def test_a_voice_keeps_its_timbre_through_the_piece(model):
    lead = melody()
    second = [ScoreNote(n.start, n.end, n.pitch - 5, n.velocity) for n in lead]
    rendered = render_voices([lead, []], model, seed=3)
    other = render_voices([second, lead], model, seed=3)  # voice 1 of `other` has another latent
    # the same pitch in the same voice at two times: the same sound
    first, again = (rendered.wave[round(n.start * SR) + 400 :][:2400] for n in (lead[1], lead[4]))
    first, again = first / first.abs().max(), again / again.abs().max()
    assert torch.allclose(first, again, atol=1e-4)
    # harmonic profiles across the voice's pitches stay close; another voice's differ
    waves = [segment(rendered.wave, n) for n in lead]
    length = min(w.numel() for w in waves)
    mine = harmonic_profile(
        torch.stack([w[:length] for w in waves]), torch.tensor([n.pitch for n in lead]), SR, 6, 1024
    )
    theirs = harmonic_profile(
        torch.stack([segment(other.wave, n)[:length] for n in lead[:1]]),
        torch.tensor([60]),
        SR,
        6,
        1024,
    )
    within = (mine - mine.mean(0)).abs().mean()
    between = (theirs[0] - mine.mean(0)).abs().mean()
    assert within < 1.0 and between > 3 * within
    assert not torch.equal(rendered.latents[0], other.latents[1])


def test_velocity_scales_and_out_of_range_pitches_are_moved_by_octaves(model):
    low = ScoreNote(0.0, 0.5, 43, 127)  # below the model's 55..79: generated at 55, an octave down
    high = ScoreNote(0.0, 0.5, 84, 127)  # above: generated at 72, an octave up
    assert model.placement(43) == (0, -1) and model.placement(84) == (PITCHES.index(72), 1)
    for note in (low, high):
        wave = render_voices([[note]], model, seed=0).wave
        assert abs(float(note_pitch(segment(wave, note), SR, f_min=60.0)) - note.pitch) < 0.25
    loud = render_voices([[ScoreNote(0, 0.3, 60, 127)]], model).wave.abs().max()
    soft = render_voices([[ScoreNote(0, 0.3, 60, 32)]], model).wave.abs().max()
    assert abs(float(soft / loud) - 32 / 127) < 0.02


def test_shape_note_cuts_loops_and_releases():
    note = torch.sin(torch.arange(8000) * 0.1)
    short = shape_note(note, 1000, 127, 200, 100)
    assert short.numel() == 1200 and torch.allclose(short[:1000], note[:1000] / note.abs().max())
    assert float(short[-1].abs()) < 1e-3
    long = shape_note(note, 20000, 64, 400, 240)
    assert long.numel() == 20400
    assert float(long[:20000].abs().max()) <= 64 / 127 + 1e-6
    with pytest.raises(ValueError, match="duration"):
        shape_note(note, 0, 100, 10, 10)


def test_latents_are_per_voice_and_seeded(model):
    a = render_voices([melody(), melody()], model, seed=5)
    b = render_voices([melody(), melody()], model, seed=5)
    assert torch.equal(a.latents, b.latents) and torch.equal(a.wave, b.wave)
    assert not torch.equal(a.latents[0], a.latents[1])
    with pytest.raises(ValueError, match="latents"):
        render_voices([melody()], model, latents=torch.zeros(2, 6))
    with pytest.raises(ValueError, match="no notes"):
        render_voices([[]], model)


def test_read_score_and_tracks(tmp_path):
    pretty_midi = pytest.importorskip("pretty_midi")
    pm = pretty_midi.PrettyMIDI()
    for program, pitches in ((0, (60, 62)), (40, (48,))):
        inst = pretty_midi.Instrument(program=program)
        for i, p in enumerate(pitches):
            inst.notes.append(
                pretty_midi.Note(velocity=90, pitch=p, start=0.5 * i, end=0.5 * i + 0.4)
            )
        pm.instruments.append(inst)
    drums = pretty_midi.Instrument(program=0, is_drum=True)
    drums.notes.append(pretty_midi.Note(velocity=90, pitch=36, start=0, end=0.1))
    pm.instruments.append(drums)
    pm.write(str(tmp_path / "a.mid"))
    voices = read_score(tmp_path / "a.mid")
    assert [[n.pitch for n in v] for v in voices] == [[60, 62], [48]]
    second = voices[0][1]
    assert (second.pitch, second.velocity) == (62, 90)
    assert second.start == pytest.approx(0.5) and second.end == pytest.approx(0.9)
    with pytest.raises(FileNotFoundError):
        read_score(tmp_path / "missing.mid")

    from audiogan.music import Note, Track

    voices = tracks_to_voices([Track(notes=[Note(0, 4, 60)]), Track(is_drum=True)], 0.125, 70)
    assert voices == [[ScoreNote(0.0, 0.5, 60, 70)]]


def test_musegan_phrases_become_voices(tmp_path):
    pytest.importorskip("pretty_midi")
    from audiogan.frontends import PianoRoll
    from audiogan.losses import GradientPenalty, Wasserstein
    from audiogan.nn import MuseCritic, MuseGenerator
    from audiogan.render import musegan_phrases
    from audiogan.train import Trainer

    roll = PianoRoll(tracks=2, bars=2, steps_per_bar=4, pitches=12, lowest_pitch=60, tempo=120.0)
    generator = MuseGenerator(4, roll.feature_shape, width=8, linear_width=8)
    critic = MuseCritic(roll.feature_shape)
    trainer = Trainer(
        generator, critic, Wasserstein(), GradientPenalty(), frontend=roll, out_dir=tmp_path
    )
    trainer.save_checkpoint(tmp_path / "checkpoints" / "step_00000000.pt")
    voices = musegan_phrases(tmp_path, num_phrases=2, seed=1)
    assert len(voices) == 2 and any(voices)
    seconds_per_step = 60.0 / 120.0 / roll.steps_per_beat
    notes = [n for voice in voices for n in voice]
    assert all(60 <= n.pitch < 72 and n.end > n.start for n in notes)
    assert max(n.end for n in notes) <= 2 * 2 * 4 * seconds_per_step + 1e-9  # two phrases
    assert voices == musegan_phrases(tmp_path, num_phrases=2, seed=1)
