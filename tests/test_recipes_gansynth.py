"""The gansynth recipe at a toy size: training, evaluation, rendering, and the command line."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

from audiogan.cli import main
from audiogan.metrics import note_pitch, pitch_accuracy
from audiogan.recipes import ConfigError, configure, get_recipe
from audiogan.recipes.gansynth import (
    FULL_SIZE,
    models,
    note_clips,
    note_data,
    note_frontend,
    quiet_if_to_zero,
)

sys.path.insert(0, str(Path(__file__).parent))
from gansynth_toy import TOY  # noqa: E402


@pytest.mark.slow
def test_full_size_is_gansynths_configuration():
    config = configure(get_recipe("gansynth"), full_size=True)
    assert note_frontend(config).feature_shape == (2, 1024, 128)  # IF-Mel, 1024 bands x 128 frames
    generator, critic = models(config, 61)
    assert generator.base_grid == (16, 2)
    assert generator.config["channels"] == [256, 256, 256, 256, 128, 64, 32]
    assert critic.config["channels"] == [32, 64, 128, 256, 256, 256, 256]
    assert (config.pitch_max - config.pitch_min + 1, config.latent_dim, config.batch_size) == (
        61,
        256,
        8,
    )
    assert FULL_SIZE["drift"] == 0.001
    assert generator.class_bias is None and critic.projection is None  # GANSynth's own
    assert (config.quiet_if, config.ac_on_fake) == (True, True)


def test_cpu_defaults_fit_the_networks():
    config = configure(get_recipe("gansynth"))
    assert note_frontend(config).feature_shape == (2, 256, 32)
    generator, critic = models(config, 25)
    assert generator.class_bias is not None and critic.projection is not None
    assert (config.quiet_if, config.ac_on_fake) == (False, False)
    with pytest.raises(ConfigError, match="multiples"):
        models(configure(get_recipe("gansynth"), overrides={"frames": 36}), 25)
    with pytest.raises(ConfigError, match="pitch_min"):
        configure(get_recipe("gansynth"), overrides={"pitch_min": 10})


def test_quiet_if_to_zero_keeps_the_audio():
    config = configure(get_recipe("gansynth"))
    frontend = note_frontend(config)
    clips = note_clips(config, frontend.num_samples_for_frames())
    features = frontend.encode(torch.stack([clips[i][0][0] for i in (0, 30, 61)]))
    quiet = features[:, 0] <= -1.0
    assert 0.2 < float(quiet.float().mean()) < 0.9  # the notes have silent bins, with noisy IF
    assert float(features[:, 1][quiet].abs().mean()) > 0.2
    masked = quiet_if_to_zero(features)
    assert torch.equal(masked[:, 0], features[:, 0])
    assert float(masked[:, 1][quiet].abs().max()) == 0.0
    assert torch.equal(masked[:, 1][~quiet], features[:, 1][~quiet])
    # a bin loud again after a silent stretch keeps its frequency, its phase shifted: the audio
    # changes by about 1 % RMS, its pitch not at all
    before, after = frontend.decode(features), frontend.decode(masked)
    assert float((after - before).square().mean()) < 0.02**2 * float(before.square().mean())
    rate = config.sample_rate
    assert torch.allclose(note_pitch(after, rate), note_pitch(before, rate), atol=0.01)
    with pytest.raises(ValueError, match="2, freq, frames"):
        quiet_if_to_zero(torch.zeros(3, 256, 32))
    data = note_data(configure(get_recipe("gansynth"), overrides={"cache": False}))
    wave, _ = data.dataset[0]
    assert torch.equal(data.preprocess(wave[None]), quiet_if_to_zero(frontend(wave[None])))


def test_default_features_keep_the_pitch_when_the_generated_if_is_off():
    """The CPU default's STFT (n_fft 512, hop 256 at 8 kHz: 15.6 Hz bins) resolves the partials
    by magnitude, so a decoded note keeps its YIN pitch when its instantaneous frequency is off
    by noise of std 0.3: a generator need not draw the IF exactly. The old default (n_fft 256,
    hop 128: 31 Hz bins, the pitch in the IF alone) lost a quarter of the real notes so."""
    config = configure(get_recipe("gansynth"))
    frontend = note_frontend(config)
    clips = note_clips(config, frontend.num_samples_for_frames())
    index = list(range(0, len(clips), 6))  # every pitch, every family
    real = torch.stack([clips[i][0][0] for i in index])
    pitches = torch.tensor([int(clips.classes[clips.labels[i]]) for i in index])
    features = frontend.encode(real)
    assert pitch_accuracy(frontend.decode(features), pitches, config.sample_rate) == 1.0
    noise = torch.randn(features[:, 1].shape, generator=torch.Generator().manual_seed(0))
    features[:, 1] += 0.3 * noise
    assert pitch_accuracy(frontend.decode(features), pitches, config.sample_rate) >= 0.9


@pytest.mark.slow
def test_train_evaluate_and_render(tmp_path):
    pretty_midi = pytest.importorskip("pretty_midi")
    recipe = get_recipe("gansynth")
    run = recipe.build(configure(recipe, overrides={**TOY, "out": str(tmp_path / "run")}))
    run.fit()
    assert run.trainer.step == 2 and "pitch" in run.trainer.metrics
    report = recipe.evaluate(
        tmp_path / "run", configure(recipe, overrides={**TOY, "out": str(tmp_path / "run")})
    )
    for line in ("pitch accuracy (YIN", "NDB/K", "FD (classifier", "timbre constancy"):
        assert line in report

    pm = pretty_midi.PrettyMIDI()
    inst = pretty_midi.Instrument(program=0)
    for i, pitch in enumerate((60, 61, 62, 74)):  # 74: outside the run's pitches, an octave moved
        inst.notes.append(
            pretty_midi.Note(velocity=100, pitch=pitch, start=0.3 * i, end=0.3 * i + 0.2)
        )
    pm.instruments.append(inst)
    pm.write(str(tmp_path / "score.mid"))
    out = tmp_path / "out" / "score.wav"
    assert (
        main(
            [
                "render",
                str(tmp_path / "score.mid"),
                "--with",
                str(tmp_path / "run"),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert out.is_file() and out.with_suffix(".png").is_file()
    from audiogan.audio.io import load_audio

    wave, sr = load_audio(out)
    assert sr == 8000 and wave.shape[-1] == pytest.approx(int(1.1 * 8000) + 1 + 400, abs=2)

    # a musegan run's phrases, rendered into the run, where its gallery plays them
    from audiogan.frontends import PianoRoll
    from audiogan.losses import GradientPenalty, Wasserstein
    from audiogan.nn import MuseCritic, MuseGenerator
    from audiogan.train import Trainer, write_gallery

    roll = PianoRoll(tracks=2, bars=2, steps_per_bar=4, pitches=12, lowest_pitch=60, tempo=120.0)
    songs = tmp_path / "songs"
    trainer = Trainer(
        MuseGenerator(4, roll.feature_shape, width=8, linear_width=8),
        MuseCritic(roll.feature_shape),
        Wasserstein(),
        GradientPenalty(),
        frontend=roll,
        out_dir=songs,
    )
    trainer.save_checkpoint(songs / "checkpoints" / "step_00000000.pt")
    write_gallery(songs)
    assert main(["render", str(songs), "--with", str(tmp_path / "run"), "--seed", "3"]) == 0
    rendered = songs / "rendered" / "run_seed3.wav"
    assert rendered.is_file() and rendered.with_suffix(".png").is_file()
    page = (songs / "index.html").read_text(encoding="utf-8")
    assert 'src="rendered/run_seed3.wav"' in page and "rendered scores" in page

    assert (
        main(
            [
                "render",
                str(tmp_path / "score.mid"),
                "--with",
                str(tmp_path / "nothing"),
                "--out",
                str(out),
            ]
        )
        == 2
    )


def test_render_refuses_a_run_that_is_not_a_note_gan(tmp_path, capsys):
    (tmp_path / "a.mid").write_bytes(b"not midi")
    assert (
        main(
            [
                "render",
                str(tmp_path / "a.mid"),
                "--with",
                str(tmp_path),
                "--out",
                str(tmp_path / "x.wav"),
            ]
        )
        == 2
    )
    assert "audiogan render: error:" in capsys.readouterr().err
    assert torch.__version__  # the command did not crash with a traceback
    assert main(["render", str(tmp_path / "a.mid"), "--with", str(tmp_path)]) == 2
    assert "give the .wav to write" in capsys.readouterr().err


def test_a_run_made_before_the_pitch_fixes_keeps_its_settings():
    """recipe.json of the first gansynth version lacks the settings added since: a resume gets
    the values that run had, not today's defaults (whose networks differ)."""
    recipe = get_recipe("gansynth")
    old = {k: v for k, v in TOY.items()} | {"n_fft": 256, "hop_length": 128, "frames": 64}
    config = configure(recipe, saved=old)
    assert (config.ac_on_fake, config.class_bias, config.quiet_if, config.projection) == (
        True,
        False,
        True,
        False,
    )
    today = configure(recipe)
    assert (today.class_bias, today.projection) == (True, True)
