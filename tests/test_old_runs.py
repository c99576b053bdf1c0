"""Runs made before the renames of issue 20 still generate and resume.

``tests/fixtures/runs/<recipe>/`` hold tiny runs trained by audiogan as it was before the
vocabulary changed (``recipe.json`` and the newest checkpoint): class paths such as
``audiogan.nn.generator2d.ConvGenerator2d``, configs with ``base_channels``/``n_upsamples``, a
vocoder critic of ``MultiPeriodDiscriminator``/``MultiScaleDiscriminator`` whose weights sit
under ``discriminators.*``, Trainer settings with ``n_critic`` and settings such as
``samples_per_class`` and ``channels``. Each is copied to a temporary folder, then generated
from and trained on for one more step.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch

from audiogan import nn as agnn
from audiogan._build import build_module, class_name
from audiogan.cli import main
from audiogan.recipes import configure, get_recipe, load_run_config
from audiogan.registry import lookup, register, upgrade_config, upgrade_recipe_settings
from audiogan.train import load_checkpoint
from audiogan.train.generation import load_generator

FIXTURES = Path(__file__).parent / "fixtures" / "runs"
# The step of each run's checkpoint. The vocoder's is its step-0 checkpoint (built, not trained:
# its critic's Adam state alone would be a megabyte); its recipe.json says steps=1 (not the 0
# it was trained with: today a run's saved steps must be >= 1).
STEPS = {"wgan-gp": 2, "musegan": 2, "vocoder": 0}


def copy_run(recipe: str, tmp_path: Path) -> Path:
    """A copy of the fixture run (never train in the fixture itself)."""
    run = tmp_path / recipe
    shutil.copytree(FIXTURES / recipe, run)
    return run


def checkpoint_of(run: Path, step: int) -> Path:
    return run / "checkpoints" / f"step_{step:08d}.pt"


def audiogan(capsys: pytest.CaptureFixture[str], *args: object) -> str:
    status = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert status == 0, f"audiogan {args} failed:\n{out}\n{err}"
    return out


def test_the_fixtures_are_runs_of_the_old_names() -> None:
    """What the tests below rely on: the fixtures name classes, arguments and settings as
    audiogan did before the renames (if a fixture is ever remade, these fail)."""
    gan = load_checkpoint(checkpoint_of(FIXTURES / "wgan-gp", 2))
    assert gan["generator_class"] == "audiogan.nn.generator2d.ConvGenerator2d"
    assert {"base_channels", "n_upsamples"} <= gan["generator_config"].keys()
    assert gan["generator_config"]["upsample"] == "transpose"
    assert gan["trainer"]["n_critic"] == 5 and gan["critic_steps"] == 10
    vocoder = load_checkpoint(checkpoint_of(FIXTURES / "vocoder", 0))
    members = [m["class"] for m in vocoder["critic_config"]["critics"]]
    assert members == [
        "audiogan.nn.multi_period.MultiPeriodDiscriminator",
        "audiogan.nn.multi_scale.MultiScaleDiscriminator",
    ]
    assert any(".discriminators." in key for key in vocoder["critic"])
    assert "initial_channels" in vocoder["generator_config"]
    muse = load_checkpoint(checkpoint_of(FIXTURES / "musegan", 2))
    assert {"hid_channels", "hid_features"} <= muse["generator_config"].keys()
    assert {"hid_channels", "hid_features"} <= muse["critic_config"].keys()
    settings = json.loads((FIXTURES / "wgan-gp" / "recipe.json").read_text())["config"]
    assert {"samples_per_class", "n_per_class", "n_critic", "channels", "workers"} <= set(settings)


def test_old_class_names_and_paths_find_todays_classes() -> None:
    assert lookup("audiogan.nn.generator2d.ConvGenerator2d") is agnn.ConvGenerator2d
    assert lookup("ConvGenerator2d") is agnn.ConvGenerator2d
    assert lookup("audiogan.nn.multi_period.MultiPeriodDiscriminator") is agnn.MultiPeriodCritic
    assert lookup("MultiScaleDiscriminator") is agnn.MultiScaleCritic
    assert lookup("STFTDiscriminator") is agnn.STFTCritic
    # the papers' names are today's classes, and a checkpoint names them by the stable name
    assert agnn.MultiPeriodDiscriminator is agnn.MultiPeriodCritic
    assert class_name(agnn.MultiPeriodDiscriminator()) == "MultiPeriodCritic"
    assert class_name(agnn.ConvGenerator2d(8, (1, 8, 8), width=4, num_upsamples=1)) == (
        "ConvGenerator2d"
    )


def test_only_audiogan_classes_are_rebuilt() -> None:
    with pytest.raises(ValueError, match="only audiogan classes"):
        build_module("os.system", {})
    with pytest.raises(ValueError, match="no audiogan class has that name"):
        build_module("NoSuchBlock", {})
    with pytest.raises(ValueError, match="only audiogan classes"):
        build_module("audiogan_lookalike.Model", {})

    class Outsider(torch.nn.Module):
        pass

    with pytest.raises(ValueError, match="only audiogan classes register"):
        register(Outsider)


def test_old_arguments_and_values_are_upgraded() -> None:
    old = {"latent_dim": 8, "out_shape": [1, 8, 8], "base_channels": 4, "n_upsamples": 1}
    new = upgrade_config(agnn.ConvGenerator2d, {**old, "upsample": "nearest"})
    assert new == {
        "latent_dim": 8,
        "out_shape": [1, 8, 8],
        "width": 4,
        "num_upsamples": 1,
        "upsample": "resize",
    }
    assert agnn.ConvGenerator2d(**new).config["width"] == 4
    assert upgrade_config(agnn.ConvGenerator2d, {**old, "upsample": "transpose"})["upsample"] == (
        "transposed"
    )
    wave = upgrade_config(agnn.WaveGANCritic, {"num_samples": 1024, "channels": 2, "model_size": 4})
    assert wave == {"in_shape": [2, 1024], "width": 4}
    critic = build_module(
        "audiogan.nn.wavegan.WaveGANCritic", {"num_samples": 1024, "model_size": 2}
    )
    assert critic.in_shape == (1, 1024) and critic.config["width"] == 2
    muse = upgrade_config(agnn.MuseCritic, {"hid_channels": 2, "hid_features": 4})
    assert muse == {"width": 2, "linear_width": 4}
    generator = build_module(
        "audiogan.nn.musegan.MuseGenerator",
        {"latent_dim": 4, "out_shape": [1, 1, 4, 12], "hid_channels": 8, "hid_features": 8},
    )
    assert (generator.config["width"], generator.config["linear_width"]) == (8, 8)


def test_old_recipe_settings_are_read_as_todays() -> None:
    name, fields = load_run_config(FIXTURES / "wgan-gp")
    assert name == "wgan-gp"
    assert fields["fakes_per_class"] == 4 and fields["clips_per_class"] == 4
    assert fields["critic_steps"] == 5 and fields["width"] == 1 and fields["num_workers"] == 0
    assert not {"samples_per_class", "n_per_class", "n_critic", "channels"} & set(fields)
    # resnet9-gan's critic width was `width`, its generator's `channels`
    old = upgrade_recipe_settings("resnet9-gan", {"width": 64, "channels": 32})
    assert old == {"critic_width": 64, "width": 32}
    assert upgrade_recipe_settings("resnet9-gan", {"width": 8}) == {"width": 8}
    # --set with an old name still works; today's name wins over the old one
    config = configure(get_recipe("wgan-gp"), overrides={"n_critic": "3", "channels": "2"})
    assert (config.critic_steps, config.width) == (3, 2)
    assert upgrade_recipe_settings("wgan-gp", {"n_critic": 3, "critic_steps": 4}) == {
        "critic_steps": 4
    }


@pytest.mark.parametrize(("recipe", "suffix"), [("wgan-gp", ".wav"), ("musegan", ".mid")])
def test_generates_from_an_old_run(
    recipe: str, suffix: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = copy_run(recipe, tmp_path)
    out = tmp_path / "fakes"
    audiogan(capsys, "generate", run, "--out", out, "-n", 1)
    written = sorted(p for p in out.iterdir() if p.suffix == suffix)
    assert written and all(p.stat().st_size > 0 for p in written)
    if recipe == "wgan-gp":  # one per class of the run's five
        assert len(written) == 5


def test_an_old_vocoder_decodes(tmp_path: Path) -> None:
    run = copy_run("vocoder", tmp_path)
    vocoder = load_generator(checkpoint_of(run, 0))
    assert isinstance(vocoder, agnn.HiFiGANGenerator) and vocoder.config["width"] == 8
    wave = vocoder(torch.randn(1, 16, 4))  # (batch, n_mels, frames)
    assert wave.shape == (1, 1, 4 * vocoder.hop) and torch.isfinite(wave).all()


@pytest.mark.parametrize("recipe", ["wgan-gp", "musegan", "vocoder"])
def test_resumes_an_old_run(
    recipe: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = copy_run(recipe, tmp_path)
    step = STEPS[recipe] + 1
    extra = [f"--set=cache_dir={tmp_path / 'jsb'}"] if recipe == "musegan" else []
    text = audiogan(capsys, "train", recipe, "--out", run, "--steps", step, "--threads", 1, *extra)
    assert f"resuming from {checkpoint_of(run, STEPS[recipe])}" in text
    state = load_checkpoint(checkpoint_of(run, step))
    assert state["step"] == step
    # the new checkpoint names today's classes and settings
    assert "." not in state["generator_class"] and "." not in state["critic_class"]
    assert "critic_steps" in state["trainer"] and "n_critic" not in state["trainer"]
    assert state["critic_updates"] >= 1
    if recipe == "vocoder":
        assert not any("discriminators" in key for key in state["critic"])
        classes = [m["class"] for m in state["critic_config"]["critics"]]
        assert classes == ["MultiPeriodCritic", "MultiScaleCritic"]
    _, fields = load_run_config(run)
    assert "width" in fields and "channels" not in fields


def test_the_trainer_still_takes_n_critic(tmp_path: Path) -> None:
    from audiogan.losses import NonSaturating
    from audiogan.train import Trainer

    def trainer(**settings: int) -> Trainer:
        generator = agnn.ConvGenerator2d(8, (1, 8, 8), width=4, num_upsamples=1)
        critic = agnn.ConvCritic2d((1, 8, 8), width=4, num_downsamples=1)
        return Trainer(
            generator, critic, NonSaturating(), out_dir=tmp_path, device="cpu", **settings
        )

    assert trainer(n_critic=3).critic_steps == 3 == trainer(critic_steps=3).critic_steps
    assert trainer().critic_steps == 1
    with pytest.raises(ValueError, match="critic_steps=2 and n_critic=3"):
        trainer(critic_steps=2, n_critic=3)


def test_an_old_critic_state_dict_loads_into_todays_critic() -> None:
    """``discriminators.*`` weights load into ``critics.*`` by ``load_state_dict`` itself."""
    state = load_checkpoint(checkpoint_of(FIXTURES / "vocoder", 0))
    critic = build_module(state["critic_class"], state["critic_config"])
    assert [type(m) for m in critic.members] == [agnn.MultiPeriodCritic, agnn.MultiScaleCritic]
    critic.load_state_dict(state["critic"])  # strict: every old key found its new place
    old = "members.0.discriminators.0.convs.0.bias"
    new = "members.0.critics.0.convs.0.bias"
    assert torch.equal(critic.state_dict()[new], state["critic"][old])
