"""The ``audiogan`` command with the main job (``wgan-gp``), as a user runs it.

Training runs a few steps at a tiny size, again in the same folder (it must resume), then
``generate`` and ``evaluate`` work from the run folder. Mistakes end in one line and status 2.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest

from audiogan.cli import main
from audiogan.recipes import RECIPES, configure, get_recipe, load_run_config, save_run_config
from audiogan.train import load_checkpoint

sys.path.insert(0, str(Path(__file__).parent))
from file_checks import check_png, check_round, check_wav, logged_steps  # noqa: E402

CLASSES = ["dog_bark", "drilling", "engine_idling", "siren", "street_music"]
# 10 clips (2 per class), batch 2, 16 mels x 16 frames, a narrow model, a round every step
TINY = [
    f"--set={item}"
    for item in (
        "clips_per_class=2",
        "batch_size=2",
        "n_mels=16",
        "frames=16",
        "width=4",
        "every=1",
        "fakes_per_class=1",
    )
]


def run(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    """``audiogan args...`` in-process: (exit status, stdout, stderr)."""
    status = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return status, out, err


def generated(folder: Path) -> list[Path]:
    """The files in ``folder`` but ``generate``'s hidden list of the files it wrote."""
    return sorted(p for p in folder.iterdir() if not p.name.startswith("."))


def test_recipes_lists_every_recipe_and_one_recipes_settings(capsys):
    status, out, _ = run(capsys, "recipes")
    assert status == 0
    assert [line.split()[0] for line in out.splitlines()] == list(RECIPES)
    status, out, _ = run(capsys, "recipes", "wgan-gp")
    assert status == 0 and "lr = 0.0005  [0.0001]" in out and "n_mels = 64  [128]" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "nope"], "no recipe 'nope'; the recipes are: wgan-gp, "),
        (["train", "wgan-gp", "--set", "colour=red"], "has no setting 'colour'"),
        (["train", "wgan-gp", "--set", "steps=many"], "steps must be int or none, got 'many'"),
        (["train", "wgan-gp", "--set", "lr"], "--set takes KEY=VALUE"),
        (
            ["train", "wgan-gp", "--data", "/no/such/folder"],
            "--data /no/such/folder: no such folder",
        ),
        (["train", "wgan-gp", "--midi", "songs/"], "takes --data, --csv, not --midi"),
        (["generate", "/no/such/run", "--out", "x"], "no such checkpoint file or run folder"),
        (["evaluate", "/no/such/run"], "is not a recipe run folder"),
    ],
)
def test_mistakes_are_one_line_and_status_2(capsys, args, message):
    status, out, err = run(capsys, *args)
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and message in err, err


def test_full_size_is_the_original_wgan_gp_and_set_wins():
    recipe = get_recipe("wgan-gp")
    full = configure(recipe, full_size=True)
    got = (full.n_mels, full.frames, full.batch_size, full.lr, full.critic_steps, full.gp_weight)
    assert (*got, full.embed_dim, full.ema, full.epochs) == (
        128,
        256,
        64,
        1e-4,
        5,
        10.0,
        16,
        None,
        100,
    )
    tuned = configure(
        recipe, full_size=True, overrides={"lr": "2e-4", "ema": "none", "cache": "false"}
    )
    assert (tuned.lr, tuned.ema, tuned.cache, tuned.n_mels) == (2e-4, None, False, 128)
    demo = configure(recipe)
    assert (demo.n_mels, demo.frames, demo.steps, demo.epochs) == (64, 64, 2000, None)


@pytest.mark.slow
def test_train_resume_generate_evaluate(tmp_path, capsys):
    out = tmp_path / "run"
    status, first, _ = run(capsys, "train", "wgan-gp", "--out", out, "--steps", 2, *TINY)
    assert status == 0 and "starting a new run" in first and "batches per epoch" in first
    assert load_checkpoint(out / "checkpoints" / "step_00000002.pt")["step"] == 2
    assert logged_steps(out) == [1, 2]
    check_round(out / "fakes" / "step_000002", ".wav", [f"{c}_00" for c in CLASSES])
    check_png(out / "fakes" / "step_000002" / "all_classes.png")  # every class, beside reals
    check_png(out / "losses.png")
    assert str(out / "index.html") in first  # it says where its files are
    assert "augment=auto: ADA on (" in first  # a folder this small: adaptive augmentation
    assert "augment_p" in (out / "metrics.csv").read_text().splitlines()[0]
    assert load_run_config(out)[0] == "wgan-gp"

    settings = load_run_config(out)[1]
    grouped = ["--set", *(item.removeprefix("--set=") for item in TINY)]  # --set a=1 b=2 ...
    status, second, _ = run(capsys, "train", "wgan-gp", "--out", out, "--steps", 4, *grouped)
    assert status == 0 and "resuming from" in second
    assert load_run_config(out)[1] == {**settings, "steps": 4}  # the same settings as repeated
    assert logged_steps(out) == [1, 2, 3, 4]  # continued, not started over

    samples = tmp_path / "fakes"
    status, text, _ = run(capsys, "generate", out, "--out", samples, "-n", 2)
    assert status == 0 and "step_00000004.pt" in text
    files = sorted(p.name for p in generated(samples))
    assert files == sorted(f"{c}_{i:03d}.wav" for c in CLASSES for i in range(2))
    for path in generated(samples):
        check_wav(path)
    written = {p: p.read_bytes() for p in samples.iterdir()}
    status, _, err = run(capsys, "generate", out, "--out", samples, "-n", 1)
    assert status == 2 and "--overwrite" in err  # never silently over earlier files
    assert {p: p.read_bytes() for p in samples.iterdir()} == written
    status, _, _ = run(
        capsys, "generate", out, "--out", samples, "-n", 1, "--class", "siren", "--overwrite"
    )
    assert status == 0 and [p.name for p in generated(samples)] == ["siren_000.wav"]
    status, _, err = run(capsys, "generate", out, "--out", tmp_path / "x", "--class", "cat")
    assert status == 2 and "no class 'cat'" in err

    status, report, _ = run(capsys, "evaluate", out)
    assert status == 0 and "accuracy" in report and "Fréchet distance" in report and "NDB" in report
    assert (out / "eval" / "classifier.pt").is_file()  # trained once, then reused


@pytest.mark.slow
def test_own_folder_without_cache_and_another_recipes_folder(tmp_path, capsys):
    from audiogan.data import write_audio_folder

    write_audio_folder(
        tmp_path / "sounds", clips_per_class=5, num_samples=2000, classes=["siren", "drilling"]
    )
    out = tmp_path / "run"
    args = ["train", "wgan-gp", "--out", out, "--data", tmp_path / "sounds", "--steps", 1, *TINY]
    status, text, _ = run(capsys, *args, "--set", "cache=false")
    assert status == 0
    assert not (out / "cache").exists()  # the Trainer encoded each batch
    check_round(out / "fakes" / "step_000001", ".wav", ["drilling_00", "siren_00"])
    state = load_checkpoint(out / "checkpoints" / "step_00000001.pt")
    assert state["metadata"]["class_names"] == ["drilling", "siren"]
    fields = dataclasses.asdict(configure(get_recipe("wgan-gp")))
    assert set(load_run_config(out)[1]) == set(fields)

    other = tmp_path / "other"
    save_run_config(other, "another-recipe", configure(get_recipe("wgan-gp")))
    status, _, err = run(capsys, "train", "wgan-gp", "--out", other, "--steps", 1, *TINY)
    assert status == 2 and "holds a run of the recipe 'another-recipe'" in err
    assert not (other / "checkpoints").exists()
