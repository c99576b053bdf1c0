"""Nothing a user types loses a run (issue 24, data loss and reproducibility).

Each test drives the ``audiogan`` command as a user would and compares the run folder's bytes
before and after: a refusal changes nothing, ``generate`` never writes into (or over) a run,
``--overwrite`` replaces only what ``generate`` wrote, no readable checkpoint is an error (never a
silent fresh start), the model's initial weights do not depend on whether a feature cache was
built, and a resume takes the run's own settings from ``recipe.json``.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
import torch
from test_cli import TINY, run

from audiogan.recipes import load_run_config

pytestmark = pytest.mark.slow  # each trains a tiny wgan-gp run for a step or two


def hashes(root: Path) -> dict[str, str]:
    """``{relative path: sha256}`` of every file under ``root``."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def weights(checkpoint: Path) -> dict[str, torch.Tensor]:
    state = torch.load(checkpoint, weights_only=True)
    return {f"{part}.{k}": v for part in ("generator", "critic") for k, v in state[part].items()}


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny wgan-gp run of 2 steps (a checkpoint each step), never written to by the tests."""
    out = tmp_path_factory.mktemp("safety") / "run"
    status = run(_NoCapture(), "train", "wgan-gp", "--out", out, "--steps", 2, *TINY)[0]
    assert status == 0
    return out


class _NoCapture:
    """Stands in for capsys in a module-scoped fixture (output goes to the terminal)."""

    def readouterr(self) -> tuple[str, str]:
        return "", ""


def copy_run(trained: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(trained, tmp_path / "run"))


@pytest.mark.parametrize("where", ["run", "run/checkpoints", ".", "run/samples/mine"])
def test_generate_refuses_an_output_folder_that_is_holds_or_lies_in_the_run(
    trained, tmp_path, capsys, where
):
    out = copy_run(trained, tmp_path)
    before = hashes(tmp_path)
    status, _, err = run(capsys, "generate", out, "--out", tmp_path / where, "--overwrite")
    assert status == 2 and "run folder" in err and len(err.strip().splitlines()) == 1
    assert hashes(tmp_path) == before  # not one byte of the run touched


def test_overwrite_replaces_only_what_generate_wrote(trained, tmp_path, capsys):
    samples = tmp_path / "fakes"
    samples.mkdir()
    (samples / "notes.txt").write_text("my notes")
    status, _, err = run(capsys, "generate", trained, "--out", samples, "-n", 2)
    assert status == 2 and "--overwrite" in err  # a folder with files needs --overwrite
    assert sorted(p.name for p in samples.iterdir()) == ["notes.txt"]
    assert run(capsys, "generate", trained, "--out", samples, "-n", 2, "--overwrite")[0] == 0
    assert len(list(samples.glob("*.wav"))) == 10
    args = ("generate", trained, "--out", samples, "-n", 1, "--class", "siren", "--overwrite")
    assert run(capsys, *args)[0] == 0
    visible = sorted(p.name for p in samples.iterdir() if not p.name.startswith("."))
    assert visible == ["notes.txt", "siren_000.wav"]  # the user's file stays
    assert (samples / "notes.txt").read_text() == "my notes"


def test_no_readable_checkpoint_is_an_error_that_changes_nothing(trained, tmp_path, capsys):
    out = copy_run(trained, tmp_path)
    for path in (out / "checkpoints").glob("*.pt"):
        path.write_bytes(path.read_bytes()[:100])  # truncated, as by a full disk
    before = hashes(out)
    status, stdout, err = run(capsys, "train", "wgan-gp", "--out", out, "--steps", 4, *TINY)
    assert status == 2 and "no readable checkpoint" in err and "step_00000002.pt" in err
    assert "move" in err  # says how to start afresh
    assert "resuming from" not in stdout
    assert hashes(out) == before  # metrics.csv, samples and recipe.json untouched
    for command in ("generate", "evaluate"):
        extra = ("--out", tmp_path / "fakes") if command == "generate" else ()
        status, _, err = run(capsys, command, out, *extra)
        assert status == 2 and "no readable checkpoint" in err


def test_an_unreadable_newest_checkpoint_falls_back_and_says_which(trained, tmp_path, capsys):
    out = copy_run(trained, tmp_path)
    newest = out / "checkpoints" / "step_00000002.pt"
    newest.write_bytes(newest.read_bytes()[:100])
    status, stdout, _ = run(capsys, "train", "wgan-gp", "--out", out, "--steps", 3, *TINY)
    assert status == 0 and "resuming from" in stdout and "step_00000001.pt (step 1)" in stdout
    status, stdout, _ = run(capsys, "generate", out, "--out", tmp_path / "fakes", "-n", 1)
    assert status == 0 and "step_00000003.pt" in stdout  # the newest readable one
    newest = out / "checkpoints" / "step_00000003.pt"
    newest.write_bytes(b"")  # step 2 was written again by the resumed run
    status, report, _ = run(capsys, "evaluate", out)
    assert status == 0 and "step_00000002.pt" in report  # evaluate falls back as train does


def test_a_refused_resume_leaves_the_folder_byte_for_byte(trained, tmp_path, capsys):
    out = copy_run(trained, tmp_path)
    before = hashes(out)
    changed = ("--set", "n_mels=32")  # another model size: the checkpoint does not fit
    status, _, err = run(capsys, "train", "wgan-gp", "--out", out, "--steps", 4, *changed)
    assert status == 2 and "does not fit" in err
    assert hashes(out) == before  # recipe.json and the feature cache included
    status, _, err = run(capsys, "train", "event-classifier", "--out", out, "--epochs", 1)
    assert status == 2 and "holds a run of the recipe 'wgan-gp'" in err
    assert hashes(out) == before  # no data written into the other recipe's run
    assert run(capsys, "evaluate", out)[0] == 0  # and it still evaluates


def test_initial_weights_do_not_depend_on_an_existing_cache(trained, tmp_path, capsys):
    out = copy_run(trained, tmp_path)
    assert (out / "cache" / "features.npy").is_file()
    shutil.rmtree(out / "checkpoints")  # start over in a folder that already has a cache
    (out / "recipe.json").unlink()
    assert run(capsys, "train", "wgan-gp", "--out", out, "--steps", 1, *TINY)[0] == 0
    again = weights(out / "checkpoints" / "step_00000001.pt")
    first = tmp_path / "first"
    assert run(capsys, "train", "wgan-gp", "--out", first, "--steps", 1, *TINY)[0] == 0
    fresh = weights(first / "checkpoints" / "step_00000001.pt")
    assert again.keys() == fresh.keys()
    assert all(torch.equal(again[k], fresh[k]) for k in fresh)


def test_resume_reads_the_runs_settings_and_reports_changes(trained, tmp_path, capsys):
    out = copy_run(trained, tmp_path)
    settings = load_run_config(out)[1]
    status, stdout, _ = run(capsys, "train", "wgan-gp", "--out", out, "--steps", 3)
    assert status == 0 and "resuming from" in stdout  # no settings retyped
    assert "changed here: steps 2 -> 3" in stdout
    assert load_run_config(out)[1] == {**settings, "steps": 3, "out": str(out)}
    status, stdout, _ = run(capsys, "train", "wgan-gp", "--out", out, "--steps", 4, "--seed", 7)
    assert status == 0 and "seed 0 -> 7" in stdout and "the data changes" in stdout
