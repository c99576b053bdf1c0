"""The package as a user gets it: the wheel's contents, and the ``audiogan`` command installed from it.

The slow test builds the wheel from a copy of the checkout, checks what it holds (the package with
its recipes and ``py.typed``, the license, the entry point; no tests, docs or examples), installs
it into a fresh virtual environment and runs the installed ``audiogan`` command from a folder
outside the checkout: list the recipes, train two steps, generate wav files.

The fresh environment does not download torch again: it is made with ``--without-pip`` on the
base interpreter, the wheel goes in with ``pip --python ... install --no-deps``, and a ``.pth``
file adds a folder of links to this environment's installed packages, everything but audiogan
itself (its editable-install hook would map ``import audiogan`` back to the source tree). The test
then checks that ``audiogan`` is imported from the fresh environment.

The fast test checks that ``python -m audiogan`` is the same program as ``audiogan``.
"""

from __future__ import annotations

import configparser
import email.parser
import fnmatch
import json
import os
import shutil
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

REPO = Path(__file__).resolve().parents[1]

# Left out of the copy the wheel is built from: environments, VCS data, build leftovers, caches
# and run folders (the in-tree build writes build/ and *.egg-info, and a stale build/lib would
# carry deleted modules into the wheel).
COPY_IGNORED = [
    ".git",
    ".venv",
    "runs",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
    "_build",
    ".lead",
]

# Entries of the developer's site-packages that belong to audiogan itself (an editable install's
# finder and .pth hook, a regular install, a legacy develop link): not given to the fresh venv.
OWN_ENTRIES = [
    "audiogan",
    "audiogan-*",
    "audiogan.*",
    "__editable__*audiogan*",
    "easy-install.pth",
    "__pycache__",
]

# The smallest wgan-gp run that goes through every stage (features, steps, samples, checkpoint).
TINY_TRAIN = [
    "--steps",
    "2",
    "--set",
    "clips_per_class=4",
    "--set",
    "n_mels=16",
    "--set",
    "frames=16",
    "--set",
    "width=2",
    "--set",
    "batch_size=4",
    "--set",
    "every=1",
    "--set",
    "critic_steps=1",
]


def run(cmd: list[str | Path], *, cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run ``cmd``; return its stdout (fail with both streams if it fails)."""
    result = subprocess.run(
        [str(c) for c in cmd],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    command = " ".join(map(str, cmd))
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def copy_source(dst: Path) -> Path:
    """Copy the checkout to ``dst``, less environments, caches and build output."""

    def ignore(folder: str, names: list[str]) -> set[str]:
        left_out = {n for n in names if any(fnmatch.fnmatch(n, p) for p in COPY_IGNORED)}
        # Any virtual environment, whatever its name.
        left_out |= {n for n in names if (Path(folder) / n / "pyvenv.cfg").is_file()}
        return left_out

    shutil.copytree(REPO, dst, ignore=ignore, symlinks=True)
    return dst


def build_wheel(tmp_path: Path) -> Path:
    """Build audiogan's wheel offline with this environment's setuptools; return its path."""
    source = copy_source(tmp_path / "source")
    wheelhouse = tmp_path / "wheelhouse"
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--disable-pip-version-check",
            "-q",
            "-w",
            wheelhouse,
            source,
        ],
        cwd=tmp_path,
    )
    (wheel,) = wheelhouse.glob("audiogan-*.whl")
    return wheel


def check_wheel_contents(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        (dist_info,) = {n.split("/")[0] for n in names if n.split("/")[0].endswith(".dist-info")}
        metadata = email.parser.Parser().parsestr(zf.read(f"{dist_info}/METADATA").decode())
        entry_points = configparser.ConfigParser()
        entry_points.read_string(zf.read(f"{dist_info}/entry_points.txt").decode())

    # Only the package and its metadata: no tests/, docs/, examples/, benchmarks/, runs/.
    assert {n.split("/")[0] for n in names} == {"audiogan", dist_info}, sorted(names)
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)

    # Every module of the source package, the recipes among them, and the typing marker.
    source_modules = {
        p.relative_to(REPO).as_posix()
        for p in (REPO / "audiogan").rglob("*.py")
        if "__pycache__" not in p.parts
    }
    assert source_modules <= names, sorted(source_modules - names)
    assert {"audiogan/recipes/__init__.py", "audiogan/recipes/wgan_gp.py"} <= names
    assert "audiogan/py.typed" in names
    assert "audiogan/__main__.py" in names

    # PEP 639 license metadata, and no license classifier beside it.
    assert metadata["License-Expression"] == "MIT"
    assert metadata.get_all("License-File") == ["LICENSE"]
    assert f"{dist_info}/licenses/LICENSE" in names
    assert not any(c.startswith("License ::") for c in metadata.get_all("Classifier"))
    assert metadata["Requires-Python"] == ">=3.10"
    requirements = metadata.get_all("Requires-Dist")
    assert any(r.startswith("torch") and not r.startswith("torchaudio") for r in requirements)
    assert any(r.startswith("torchaudio") for r in requirements)

    assert entry_points["console_scripts"]["audiogan"] == "audiogan.cli:main"


def dependency_links(folder: Path) -> Path:
    """A folder of links to this environment's installed packages, audiogan's own left out."""
    folder.mkdir()
    site_dirs = list(site.getsitepackages())
    if site.ENABLE_USER_SITE:
        site_dirs.append(site.getusersitepackages())
    for site_dir in map(Path, site_dirs):
        if not site_dir.is_dir():
            continue
        for entry in sorted(site_dir.iterdir()):
            own = any(fnmatch.fnmatch(entry.name, p) for p in OWN_ENTRIES)
            if own or entry.name.endswith(".egg-link") or (folder / entry.name).exists():
                continue
            (folder / entry.name).symlink_to(entry)
    return folder


def fresh_venv(tmp_path: Path, wheel: Path) -> Path:
    """A new virtual environment with the wheel installed and the dependencies linked in."""
    venv = tmp_path / "fresh-venv"
    # From inside a venv, `-m venv` makes the new one on the base interpreter, not on this one.
    run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=tmp_path)
    python = venv / "bin" / "python"
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            python,
            "install",
            "--no-deps",
            "--no-index",
            "--disable-pip-version-check",
            "-q",
            wheel,
        ],
        cwd=tmp_path,
    )
    site_packages = Path(
        run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            cwd=tmp_path,
        ).strip()
    )
    deps = dependency_links(tmp_path / "deps")
    # addsitedir, not a bare path line, so that the dependencies' own .pth files still run.
    (site_packages / "zz_audiogan_test_deps.pth").write_text(
        f"import site; site.addsitedir({str(deps)!r})\n"
    )
    return venv


@pytest.mark.slow
def test_wheel_installs_and_its_command_trains_and_generates(tmp_path: Path) -> None:
    pytest.importorskip("setuptools", minversion="77", reason="pyproject.toml needs setuptools>=77")
    assert REPO not in tmp_path.resolve().parents, "the run must happen outside the checkout"

    wheel = build_wheel(tmp_path)
    check_wheel_contents(wheel)

    venv = fresh_venv(tmp_path, wheel)
    python = venv / "bin" / "python"
    command = venv / "bin" / "audiogan"
    assert command.read_text().splitlines()[0] == f"#!{python}"

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME"}}
    env.update(
        VIRTUAL_ENV=str(venv),
        PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        PYTHONNOUSERSITE="1",
        OMP_NUM_THREADS="1",
    )

    # The command's interpreter imports audiogan from the fresh venv, never from the checkout.
    where = json.loads(
        run(
            [
                python,
                "-c",
                "import json, sys, audiogan, audiogan.cli, importlib.metadata as m; "
                "print(json.dumps({'file': audiogan.__file__, 'cli': audiogan.cli.__file__, "
                "'dist': str(m.distribution('audiogan').locate_file('')), 'path': sys.path}))",
            ],
            cwd=elsewhere,
            env=env,
        )
    )
    for key in ("file", "cli", "dist"):
        assert venv.resolve() in Path(where[key]).resolve().parents, (key, where)
    assert (Path(where["file"]).parent / "py.typed").is_file()
    assert not any((elsewhere / p).resolve() == REPO for p in where["path"]), where["path"]

    listing = run([command, "recipes"], cwd=elsewhere, env=env)
    assert "wgan-gp" in listing

    run([command, "train", "wgan-gp", "--out", "RUN", *TINY_TRAIN], cwd=elsewhere, env=env)
    assert sorted((elsewhere / "RUN" / "checkpoints").glob("*.pt"))

    run([command, "generate", "RUN", "--out", "SAMPLES", "-n", "1"], cwd=elsewhere, env=env)
    wavs = sorted((elsewhere / "SAMPLES").glob("*.wav"))
    assert wavs
    for wav in wavs:
        audio, rate = sf.read(wav, dtype="float32")
        assert rate > 0 and audio.shape[0] > 0, wav
        assert np.isfinite(audio).all(), wav


@pytest.mark.parametrize("args", [["recipes"], ["--help"]])
def test_python_dash_m_is_the_audiogan_command(
    args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from audiogan.cli import main

    result = subprocess.run(
        [sys.executable, "-W", "default", "-m", "audiogan", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "RuntimeWarning" not in result.stderr, result.stderr

    # The same output as the command's own entry point (argparse's --help exits 0).
    try:
        status = main(args)
    except SystemExit as e:
        status = e.code
    assert status == 0
    assert result.stdout == capsys.readouterr().out
    if args == ["--help"]:
        assert result.stdout.startswith("usage: audiogan ")
