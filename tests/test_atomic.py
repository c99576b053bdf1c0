"""Atomic writes: their leftovers after a kill are cleaned on the next run, never a user's file
or a running writer's; what they write has the mode of any file the process writes; a full disk
names the file (issue 24, item 9 and "Hardening")."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.utils.data import Dataset

from audiogan._atomic import (
    STALE_AFTER_S,
    TEMP_NAME,
    UNNAMED_STALE_AFTER_S,
    atomic_path,
    remove_stale_temporaries,
)
from audiogan.data import FeatureCache
from audiogan.frontends import Waveform

ROOT = Path(__file__).resolve().parents[1]


def _dead_pid() -> int:
    """The PID of a process that has exited (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _age(path: Path, seconds: float) -> None:
    old = time.time() - seconds
    os.utime(path, (old, old))


def test_stale_temporaries_of_dead_writers_go_and_nothing_else(tmp_path: Path) -> None:
    dead, me = _dead_pid(), os.getpid()
    files = {
        "dead": tmp_path / f".features.npy.{dead}.k2j4x_9a.tmp",
        "dead_but_new": tmp_path / f".features.npy.{dead}.aaaaaaaa.tmp",
        "running": tmp_path / f".features.npy.{me}.bbbbbbbb.tmp",
        "old_unnamed": tmp_path / ".features.npy.cccccccc.tmp",
        "new_unnamed": tmp_path / ".features.npy.dddddddd.tmp",
        "other_target": tmp_path / f".index.json.{dead}.eeeeeeee.tmp",
        "user_tmp": tmp_path / "features.npy.tmp",
        "user_hidden": tmp_path / ".features.npy.my-notes.tmp",
        "user_data": tmp_path / "features.npy",
    }
    for path in files.values():
        path.write_bytes(b"x")
    for key in ("dead", "running", "other_target", "user_tmp", "user_hidden", "user_data"):
        _age(files[key], 2 * STALE_AFTER_S)
    _age(files["old_unnamed"], 2 * UNNAMED_STALE_AFTER_S)
    _age(files["new_unnamed"], UNNAMED_STALE_AFTER_S / 2)

    removed = remove_stale_temporaries(tmp_path, "features.npy")
    assert sorted(removed) == sorted([files["dead"], files["old_unnamed"]])
    assert remove_stale_temporaries(tmp_path) == [files["other_target"]]
    left = {p.name for p in tmp_path.iterdir()}
    for key in ("dead_but_new", "running", "new_unnamed", "user_tmp", "user_hidden", "user_data"):
        assert files[key].name in left


def test_temporary_names_carry_the_writer_pid(tmp_path: Path) -> None:
    with atomic_path(tmp_path / "a.bin") as tmp:
        match = TEMP_NAME.match(tmp.name)
        assert match is not None and match["target"] == "a.bin"
        assert int(match["pid"]) == os.getpid()
        tmp.write_bytes(b"1")


def test_a_feature_cache_killed_while_building_leaves_no_temporary_after_the_next_run(
    tmp_path: Path,
) -> None:
    """A process killed mid-build leaves ``.features.npy.PID.*.tmp`` as large as the cache; the
    next build (the next run) removes it."""
    cache = tmp_path / "cache"
    script = f"""
import os, signal, torch
from torch.utils.data import Dataset
from audiogan.data import FeatureCache
from audiogan.frontends import Waveform
class Slow(Dataset):
    def __len__(self): return 64
    def cache_key(self): return {{"clips": "silence"}}
    def __getitem__(self, i):
        if i == 40: os.kill(os.getpid(), signal.SIGKILL)
        return torch.zeros(1, 4000), 0
FeatureCache(Slow(), Waveform(8000, 4000), {str(cache)!r}, batch_size=8, progress=False)
"""
    killed = subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=False)
    assert killed.returncode == -9
    (left,) = cache.glob(".features.npy.*.tmp")
    assert left.stat().st_size >= 64 * 4000 * 2
    _age(left, 2 * STALE_AFTER_S)

    cached = FeatureCache(Silence(), Waveform(8000, 4000), cache, batch_size=8, progress=False)
    assert len(cached) == 64
    assert not list(cache.glob(".*.tmp"))


class Silence(Dataset):
    """64 silent clips ``((1, 4000), 0)``: what the killed process was caching."""

    def __len__(self) -> int:
        return 64

    def cache_key(self) -> dict[str, str]:
        return {"clips": "silence"}

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        return torch.zeros(1, 4000), 0


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@pytest.mark.skipif(os.name == "nt", reason="POSIX modes")
@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_atomic_writes_get_the_mode_of_any_new_file(tmp_path: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        with atomic_path(tmp_path / "atomic.json") as tmp:
            tmp.write_text("{}")
        (tmp_path / "plain.txt").write_text("")
        np.save(tmp_path / "plain.npy", np.zeros(1))
    finally:
        os.umask(old)
    modes = {p.name: p.stat().st_mode & 0o777 for p in tmp_path.iterdir()}
    assert modes == dict.fromkeys(("atomic.json", "plain.txt", "plain.npy"), 0o666 & ~umask)
    assert _umask() == old


@pytest.mark.skipif(os.name == "nt", reason="POSIX modes")
def test_every_file_of_a_run_has_one_mode(tmp_path: Path) -> None:
    """A short wgan-gp run: recipe.json, checkpoints, cache, samples, logs all 0o666 & ~umask."""
    from audiogan.recipes import configure, get_recipe

    recipe = get_recipe("wgan-gp")
    tiny = {"clips_per_class": 2, "batch_size": 2, "n_mels": 16, "frames": 16, "width": 2}
    tiny |= {"every": 1, "fakes_per_class": 1, "critic_steps": 1, "steps": 1, "device": "cpu"}
    recipe.build(configure(recipe, overrides={**tiny, "out": str(tmp_path / "run")})).fit()
    modes = {p.relative_to(tmp_path): p.stat().st_mode & 0o777 for p in tmp_path.rglob("*")}
    files = {p: m for p, m in modes.items() if (tmp_path / p).is_file()}
    names = {p.name for p in files}
    assert {"recipe.json", "features.npy", "metrics.csv"} <= names
    assert any(p.suffix == ".pt" for p in files)
    assert set(files.values()) == {0o666 & ~_umask()}, files


def test_a_full_disk_names_the_file_being_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    target = tmp_path / "step.pt"
    target.write_bytes(b"previous")
    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError, match="No space left on device") as raised:
        with atomic_path(target) as tmp:
            torch.save({"w": torch.zeros(3)}, tmp)
    assert raised.value.filename == str(target)
    assert target.read_bytes() == b"previous" and list(tmp_path.iterdir()) == [target]

    class Full:
        """A file object whose writes fail as on a full disk (what torch.save sees)."""

        def write(self, data: bytes) -> int:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.undo()
    with pytest.raises(OSError) as raised:
        with atomic_path(target) as tmp:
            Full().write(b"x")
    assert raised.value.errno == errno.ENOSPC and raised.value.filename == str(target)
