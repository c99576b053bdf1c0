"""A careless user's mistakes through the ``audiogan`` command: each ends in one line on stderr
naming the culprit and exit status 2, never a traceback (issue 24, item 6).

Every probe goes through :func:`audiogan.cli.main` as the command does; the settings are checked
where the config is built (:func:`audiogan.recipes.configure`), so the same mistakes are
:class:`~audiogan.recipes.ConfigError` in Python too.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
import torch

from audiogan.audio import save_audio
from audiogan.cli import main
from audiogan.errors import AudioganError
from audiogan.recipes import RECIPES, ConfigError, configure, get_recipe

#: A tiny wgan-gp run: 2 clips per class, 16 x 16 log-mels, one step.
TINY = ["--steps", "1"] + [
    f"--set={item}"
    for item in (
        "clips_per_class=2",
        "batch_size=2",
        "n_mels=16",
        "frames=16",
        "width=2",
        "every=1",
        "fakes_per_class=1",
        "critic_steps=1",
    )
]


def fails(capsys: pytest.CaptureFixture[str], *args: object) -> str:
    """Run ``audiogan args...``; assert exit 2 and one line on stderr; return that line."""
    status = main([str(a) for a in args])
    _, err = capsys.readouterr()
    assert status == 2, err
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert err.startswith(f"audiogan {args[0]}: error: "), err
    return err


@pytest.mark.parametrize(
    ("setting", "allowed"),
    [
        ("lr=-1", "lr must be a number > 0, got -1.0"),
        ("n_mels=7", "n_mels must be a positive multiple of 16, got 7"),
        ("batch_size=0", "batch_size must be an integer >= 1, got 0"),
        ("every=0", "every must be an integer >= 1, got 0"),
        ("width=0", "width must be an integer >= 1, got 0"),
        ("steps=-5", "steps must be an integer >= 1 or none, got -5"),
        ("unit=hour", "unit must be one of 'step', 'epoch', got 'hour'"),
        ("ema=1.5", "ema must be a number in [0, 1) or none, got 1.5"),
        ("critic_steps=0", "critic_steps must be an integer >= 1, got 0"),
        ("gp_weight=-10", "gp_weight must be a number >= 0, got -10.0"),
        ("fraction=2", "fraction must be a number in (0, 1], got 2.0"),
        ("num_workers=-1", "num_workers must be an integer >= 0, got -1"),
        ("sample_rate=0", "sample_rate must be an integer >= 1, got 0"),
        ("lr=nan", "lr must be a number > 0, got nan"),
        ("frames=40", "frames must be a positive multiple of 16, got 40"),
        ("precision=64", "precision must be one of 'auto', '32', 'bf16', '16', got '64'"),
        ("seed=-1", "seed must be a number in [0, 4294967295], got -1"),
    ],
)
def test_a_setting_out_of_range_names_it_and_the_range(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], setting: str, allowed: str
) -> None:
    err = fails(capsys, "train", "wgan-gp", "--out", tmp_path / "run", "--set", setting)
    assert f"wgan-gp setting {allowed}" in err
    assert not (tmp_path / "run").exists()  # refused before anything is written


def test_every_recipe_checks_its_settings_where_the_config_is_built() -> None:
    for name in RECIPES:
        recipe = get_recipe(name)
        configure(recipe), configure(recipe, full_size=True)  # the defaults and presets pass
        with pytest.raises(ConfigError, match=rf"^{name} setting batch_size must be an integer"):
            configure(recipe, overrides={"batch_size": 0})
        lr = "lr" if "lr" in recipe.config.__dataclass_fields__ else "generator_lr"
        with pytest.raises(ConfigError, match=rf"^{name} setting {lr} must be float, got True"):
            configure(recipe, overrides={lr: True})  # Python values are checked by type too
    assert issubclass(ConfigError, AudioganError) and issubclass(ConfigError, ValueError)


def _clip(path: Path) -> None:
    save_audio(path, 0.1 * torch.randn(1, 4000), 16000)


def test_data_folder_without_class_folders_or_with_an_empty_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flat = tmp_path / "flat"
    flat.mkdir()
    _clip(flat / "a.wav")
    err = fails(capsys, "train", "wgan-gp", "--data", flat, "--out", tmp_path / "r1")
    assert f"{flat} holds no class subfolders" in err

    data = tmp_path / "data"
    (data / "dog").mkdir(parents=True)
    (data / "siren").mkdir()
    _clip(data / "dog" / "a.wav")
    err = fails(capsys, "train", "wgan-gp", "--data", data, "--out", tmp_path / "r2")
    assert f"class folder {data / 'siren'} holds no audio files" in err


@pytest.mark.skipif(torch.cuda.is_available(), reason="probes a machine without a GPU")
def test_cuda_device_without_a_gpu(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = fails(capsys, "train", "wgan-gp", "--device", "cuda", "--out", tmp_path / "run")
    assert "device 'cuda': no CUDA GPU is available here" in err
    err = fails(capsys, "train", "wgan-gp", "--device", "gpu", "--out", tmp_path / "run")
    assert "setting device must be auto, cpu, mps, cuda, cuda:N, xpu or xpu:N, got 'gpu'" in err


def test_zero_threads(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    threads = torch.get_num_threads()
    err = fails(capsys, "train", "wgan-gp", "--threads", "0", "--out", tmp_path / "run")
    assert "--threads must be >= 1, got 0" in err
    assert torch.get_num_threads() == threads


def test_out_that_is_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "notes.txt"
    file.write_text("mine\n")
    err = fails(capsys, "train", "wgan-gp", "--out", file)
    assert f"setting out must be a folder path (not an existing file), got '{file}'" in err
    assert file.read_text() == "mine\n"


@pytest.mark.skipif(not os.path.isdir("/sys"), reason="needs POSIX modes (or Linux's /sys)")
def test_out_in_a_read_only_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    if os.geteuid() == 0:  # root writes anywhere but in a read-only file system
        locked = Path("/sys")
    try:
        err = fails(capsys, "train", "wgan-gp", "--out", locked / "run", *TINY)
    finally:
        (tmp_path / "locked").chmod(0o755)
    assert str(locked / "run") in err
    assert "Permission denied" in err or "Operation not permitted" in err


def test_a_full_disk_is_one_line_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk fills while the run writes a file: fsync reports ENOSPC (as it does when the
    written data cannot be placed); the message names the file, not a 44-line traceback."""

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    run = tmp_path / "run"
    err = fails(capsys, "train", "wgan-gp", "--out", run, *TINY)
    assert "No space left on device" in err and str(run) in err
    assert not [p for p in run.rglob("*.tmp")]  # no temporary left behind


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1, 2]", 'expected {"recipe": ..., "config": ...}, got a JSON list'),
        ('{"recipe": "wgan-gp", "config": [1]}', '"config" must be an object, got a JSON list'),
        ('{"recipe": "wgan-gp", "config": {"lr": "fast"}}', "lr must be float, got 'fast'"),
        ('{"recipe": "wgan-gp", "config": {"lr": true}}', "lr must be float, got True"),
        ('{"recipe": "wgan-gp", "config": {"steps": 2.5}}', "steps must be int or none, got 2.5"),
        ('{"recipe": "wgan-gp", "config": {"batch_size": -3}}', "batch_size must be an integer"),
        ('{"recipe": "wgan-gp", "config": {"lr": 1e999}}', "lr must be a number > 0, got inf"),
        ('{"recipe": "wgan-gp", "config": {"seed": 1' + "0" * 400 + "}}", "seed must be a"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"recipe": "wgan-gp", "config": {"x": "' + "a" * 2_000_000 + '"}}', "more than a"),
        (b"\xff\xfe{}", "cannot read"),
    ],
)
def test_a_pathological_recipe_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str | bytes, message: str
) -> None:
    run = tmp_path / "run"
    run.mkdir()
    if isinstance(text, bytes):
        (run / "recipe.json").write_bytes(text)
    else:
        (run / "recipe.json").write_text(text)
    err = fails(capsys, "evaluate", run)
    assert message in err and "recipe.json" in err or "wgan-gp setting" in err, err
    assert message in err


def test_a_latin1_csv_names_the_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("a", "b"):
        _clip(tmp_path / f"{name}.wav")
    csv = tmp_path / "labels.csv"
    csv.write_bytes("file,label\na.wav,dog\nb.wav,caf\u00e9\n".encode("latin-1"))
    err = fails(capsys, "train", "wgan-gp", "--csv", csv, "--out", tmp_path / "run")
    assert f"{csv} line 3: byte 0xe9 is not UTF-8" in err and "save it as UTF-8" in err


def test_a_midi_folder_of_a_hostile_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 1.3 KB MIDI file whose time signature is 4/2**255 (once an endless loop): one line."""
    from test_hostile_files import midi_bytes

    (tmp_path / "midi").mkdir()
    (tmp_path / "midi" / "bad.mid").write_bytes(midi_bytes(255))
    err = fails(capsys, "train", "musegan", "--midi", tmp_path / "midi", "--out", tmp_path / "r")
    assert f"{tmp_path / 'midi' / 'bad.mid'} (time signature 4/5.7896e+76 is not one of" in err
    assert not (tmp_path / "r").exists()
