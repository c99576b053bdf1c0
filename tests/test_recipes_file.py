"""Recipes of one's own: a copied and edited recipe module trains from its file, ``generate`` and
``evaluate`` work on its runs when the file is named again, and ``recipe.json`` never makes
audiogan import a file. Also each recipe's ``models`` and the Trainer options they all share."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

import audiogan.recipes.wgan_gp as wgan_gp_module
from audiogan.recipes import (
    RECIPES,
    ConfigError,
    RunConfig,
    configure,
    get_recipe,
    load_recipe_file,
    recipe_for_run,
    run_options,
    run_recipe_file,
)

sys.path.insert(0, str(Path(__file__).parent))
from test_cli import TINY, generated, run  # noqa: E402
from test_recipes_gansynth import TOY as GANSYNTH_TOY  # noqa: E402
from test_recipes_vocoder import MEL as VOCODER_MEL  # noqa: E402


def copied_recipe(folder: Path, name: str = "my-gan", extra: str = "") -> Path:
    """``wgan_gp.py`` copied to ``folder/my_recipe.py``, renamed ``name`` (and ``extra`` code)."""
    text = Path(wgan_gp_module.__file__).read_text()
    assert text.count('name="wgan-gp"') == 1 and text.count('GanRun("wgan-gp"') == 1
    text = text.replace('name="wgan-gp"', f'name="{name}"')
    text = text.replace('GanRun("wgan-gp"', f'GanRun("{name}"')
    text = text.replace("    critic_steps: int = 5\n", "    critic_steps: int = 2\n")  # an edit
    path = folder / "my_recipe.py"
    path.write_text(text + extra)
    return path


def test_a_copied_recipe_trains_generates_and_evaluates_from_its_file(tmp_path, capsys):
    recipe_file = copied_recipe(tmp_path)
    out = tmp_path / "run"
    status, text, err = run(capsys, "train", recipe_file, "--out", out, "--steps", 1, *TINY)
    assert status == 0, err
    assert text.startswith("my-gan: ")
    saved = json.loads((out / "recipe.json").read_text())
    assert saved["recipe"] == "my-gan" and saved["recipe_file"] == str(recipe_file.resolve())
    assert saved["config"]["critic_steps"] == 2  # the file's own default
    assert run_recipe_file(out) == str(recipe_file.resolve())

    # again in the same folder: it resumes
    status, text, err = run(capsys, "train", recipe_file, "--out", out, "--steps", 2, *TINY)
    assert status == 0 and "resuming from" in text, err

    # generate and evaluate need the file named again
    for command in (["generate", out, "--out", tmp_path / "fakes"], ["evaluate", out]):
        status, _, err = run(capsys, *command)
        assert status == 2 and f"--recipe {recipe_file.resolve()}" in err
        assert not (tmp_path / "fakes").exists()
    status, text, err = run(
        capsys, "generate", out, "--recipe", recipe_file, "--out", tmp_path / "fakes", "-n", 1
    )
    assert status == 0, err
    assert len(generated(tmp_path / "fakes")) == 5  # one per built-in class
    status, report, err = run(capsys, "evaluate", out, "--recipe", recipe_file)
    assert status == 0 and "step_00000002.pt" in report, err

    # another recipe named as the run's recipe is refused
    status, _, err = run(capsys, "evaluate", out, "--recipe", "wgan-gp")
    assert status == 2 and "is a run of the recipe 'my-gan'" in err


def test_a_recipe_file_and_the_built_in_recipe_of_its_name_keep_to_their_own_runs(tmp_path, capsys):
    recipe_file = copied_recipe(tmp_path, name="wgan-gp")  # the name kept
    out = tmp_path / "run"
    assert run(capsys, "train", recipe_file, "--out", out, "--steps", 1, *TINY)[0] == 0
    status, _, err = run(capsys, "train", "wgan-gp", "--out", out, "--steps", 2, *TINY)
    assert status == 2 and "holds a run of the recipe file" in err
    built_in = tmp_path / "built-in"
    assert run(capsys, "train", "wgan-gp", "--out", built_in, "--steps", 1, *TINY)[0] == 0
    status, _, err = run(capsys, "train", recipe_file, "--out", built_in, "--steps", 2, *TINY)
    assert status == 2 and "holds a run of the built-in wgan-gp" in err


def test_recipe_json_never_makes_audiogan_import_the_file_it_names(tmp_path, capsys):
    marker = tmp_path / "imported"
    recipe_file = copied_recipe(tmp_path, extra=f"\nopen({str(marker)!r}, 'w').close()\n")
    out = tmp_path / "run"
    assert run(capsys, "train", recipe_file, "--out", out, "--steps", 1, *TINY)[0] == 0
    marker.unlink()  # training imported it: the user named it
    for command in (["evaluate", out], ["generate", out, "--out", tmp_path / "fakes"]):
        assert run(capsys, *command)[0] == 2
    with pytest.raises(ConfigError, match="pass it again with --recipe"):
        recipe_for_run(out)
    assert not marker.exists()


def test_a_file_that_is_not_a_recipe_is_one_clear_error(tmp_path, capsys):
    (tmp_path / "empty.py").write_text("x = 1\n")
    with pytest.raises(ConfigError, match="defines no RECIPE"):
        load_recipe_file(tmp_path / "empty.py")
    status, _, err = run(capsys, "train", tmp_path / "missing.py", "--out", tmp_path / "r")
    assert status == 2 and "no recipe file" in err
    assert not (tmp_path / "r").exists()


def test_a_loaded_recipe_keeps_everything_but_records_its_file(tmp_path):
    recipe = load_recipe_file(copied_recipe(tmp_path))
    assert recipe.name == "my-gan" and recipe.file == str((tmp_path / "my_recipe.py").resolve())
    assert recipe.config().critic_steps == 2
    assert get_recipe("wgan-gp").file is None


GANS = [name for name, recipe in RECIPES.items() if recipe.models is not None]


def test_every_gan_recipe_exposes_its_models():
    assert set(GANS) == set(RECIPES) - {"event-classifier"}
    for name in GANS:
        recipe = get_recipe(name)
        generator, critic = recipe.models(configure(recipe), num_classes=3)
        assert isinstance(generator, nn.Module) and isinstance(critic, nn.Module), name


@pytest.mark.parametrize("name", ["wgan-gp", "onehot-cgan", "resnet9-gan"])
def test_a_sampling_recipes_models_are_the_ones_it_trains(name, tmp_path):
    """``models`` builds what ``build`` trains: same classes, same parameter shapes; and the
    critic scores the generator's fakes ``(batch, 1, n_mels, frames)``."""
    recipe = get_recipe(name)
    tiny = {"clips_per_class": 2, "n_mels": 16, "frames": 16, "width": 4, "out": str(tmp_path)}
    config = configure(recipe, overrides=tiny)
    trainer = recipe.build(config).trainer
    num_classes = getattr(trainer.generator, "num_classes", 0)
    generator, critic = recipe.models(config, num_classes=num_classes)
    for ours, trained in ((generator, trainer.generator), (critic, trainer.critic)):
        assert type(ours) is type(trained)
        shapes = {k: v.shape for k, v in ours.state_dict().items()}
        assert shapes == {k: v.shape for k, v in trained.state_dict().items()}
    labels = torch.arange(2) % max(num_classes, 1) if num_classes else None
    z = generator.sample_latent(2)
    fake = generator(z) if labels is None else generator(z, labels)
    assert fake.shape == (2, 1, 16, 16)
    scores = critic(fake) if labels is None else critic(fake, labels)
    assert scores.shape[0] == 2


def test_every_gan_recipe_passes_the_shared_trainer_options(monkeypatch, tmp_path):
    """Each GAN recipe's Trainer gets precision, device, seed and run folder from the config
    (:func:`~audiogan.recipes.run_options`)."""

    class Stop(Exception):
        pass

    seen = {}

    def recording_trainer(*args, **kwargs):
        seen.update(kwargs)
        raise Stop

    spectrograms = {"clips_per_class": 2, "n_mels": 16, "frames": 16}
    tiny = {
        "wgan-gp": spectrograms,
        "onehot-cgan": spectrograms,
        "resnet9-gan": spectrograms,
        "musegan": {"max_chorales": 3, "split": "all", "batch_size": 2, "report_fakes": 4},
        "vocoder": {**VOCODER_MEL, "clips_per_class": 2, "held_out": 1, "width": 16},
        "gansynth": GANSYNTH_TOY,
    }
    for name in GANS:
        recipe = get_recipe(name)
        module = sys.modules[recipe.build.__module__]
        monkeypatch.setattr(module, "Trainer", recording_trainer)
        overrides = {**tiny[name], "out": str(tmp_path / name), "seed": 7, "device": "cpu"}
        if name == "musegan":
            overrides["cache_dir"] = str(tmp_path / "jsb")
        config = configure(recipe, overrides={**overrides, "precision": "32"})
        seen.clear()
        with pytest.raises(Stop):
            recipe.build(config)
        expected = run_options(config)
        assert {k: seen.get(k) for k in expected} == expected, name


def test_run_options_are_the_settings_every_recipe_has():
    config = RunConfig(out="runs/x", device="cpu", precision="bf16", seed=5)
    assert run_options(config) == {
        "precision": "bf16",
        "device": "cpu",
        "seed": 5,
        "out_dir": "runs/x",
    }
