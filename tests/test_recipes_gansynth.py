"""The gansynth recipe at a toy size: training, evaluation, rendering, and the command line."""

from __future__ import annotations

import pytest
import torch

from audiogan.cli import main
from audiogan.recipes import ConfigError, configure, get_recipe
from audiogan.recipes.gansynth import FULL_SIZE, models, note_frontend

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


def test_cpu_defaults_fit_the_networks():
    config = configure(get_recipe("gansynth"))
    assert note_frontend(config).feature_shape == (2, 128, 64)
    models(config, 25)
    with pytest.raises(ConfigError, match="multiples"):
        models(configure(get_recipe("gansynth"), overrides={"frames": 36}), 25)
    with pytest.raises(ConfigError, match="pitch_min"):
        configure(get_recipe("gansynth"), overrides={"pitch_min": 10})


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
