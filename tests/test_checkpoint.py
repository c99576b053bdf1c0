"""Checkpoint files: atomic writes, keep-last-K, safe loading, RNG capture, and a real SIGKILL mid-write."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from audiogan.train.callbacks.checkpoint import CheckpointCallback
from audiogan.train.checkpoints import (
    atomic_save,
    build_module,
    checkpoint_path,
    class_path,
    latest_checkpoint,
    list_checkpoints,
    load_checkpoint,
    module_spec,
    prune_checkpoints,
)
from audiogan.train.seeding import capture_rng_state, forked_rng, restore_rng_state

TESTS = Path(__file__).parent
sys.path.insert(0, str(TESTS))
from test_trainer import TinyCritic, TinyGenerator, make_loader, make_trainer  # noqa: E402


def _minimal(step: int) -> dict:
    return {"step": step, "generator": {"w": torch.full((2,), float(step))}}


def test_atomic_save_round_trip_and_no_temp_left(tmp_path):
    path = atomic_save(_minimal(3), tmp_path / "sub" / "step_00000003.pt")
    assert load_checkpoint(path)["generator"]["w"].tolist() == [3.0, 3.0]
    assert [p.name for p in path.parent.iterdir()] == ["step_00000003.pt"]
    atomic_save(_minimal(4), path)  # overwrite in place
    assert load_checkpoint(path)["step"] == 4


def test_failed_write_keeps_previous_file_and_removes_temp(tmp_path, monkeypatch):
    path = atomic_save(_minimal(1), tmp_path / "step_00000001.pt")

    def broken(obj, f, *a, **k):
        f.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", broken)
    with pytest.raises(OSError, match="disk full"):
        atomic_save(_minimal(2), path)
    monkeypatch.undo()
    assert load_checkpoint(path)["step"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["step_00000001.pt"]


def test_list_latest_and_prune(tmp_path):
    for step in (10, 2, 30, 4):
        atomic_save(_minimal(step), checkpoint_path(tmp_path, step))
    (tmp_path / ".step_00000040.pt.abc.tmp").write_bytes(b"junk")  # an interrupted write
    (tmp_path / "notes.txt").write_text("not a checkpoint")
    assert [p.name for p in list_checkpoints(tmp_path)] == [
        "step_00000002.pt",
        "step_00000004.pt",
        "step_00000010.pt",
        "step_00000030.pt",
    ]
    assert latest_checkpoint(tmp_path).name == "step_00000030.pt"
    removed = prune_checkpoints(tmp_path, keep=2)
    assert [p.name for p in removed] == ["step_00000002.pt", "step_00000004.pt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "notes.txt",
        "step_00000010.pt",
        "step_00000030.pt",
    ]
    assert latest_checkpoint(tmp_path / "missing") is None
    with pytest.raises(ValueError, match="keep"):
        prune_checkpoints(tmp_path, keep=0)


def test_load_errors_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.pt"):
        load_checkpoint(tmp_path / "nope.pt")
    good = atomic_save(_minimal(1), tmp_path / "good.pt")
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(good.read_bytes()[:40])
    with pytest.raises(ValueError, match="truncated.pt"):
        load_checkpoint(truncated)
    other = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(1)}, other)
    with pytest.raises(ValueError, match="not an audiogan checkpoint"):
        load_checkpoint(other)


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_load_is_weights_only_and_refuses_code(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"step": 1, "generator": {}, "payload": _Evil()}, path)
    with pytest.raises(ValueError, match="evil.pt"):
        load_checkpoint(path)


def test_rng_capture_restore_round_trip():
    state = capture_rng_state()
    first = (random.random(), np.random.rand(), torch.rand(3))  # noqa: NPY002
    restore_rng_state(state)
    again = (random.random(), np.random.rand(), torch.rand(3))  # noqa: NPY002
    assert first[0] == again[0] and first[1] == again[1] and torch.equal(first[2], again[2])
    # the state survives a weights_only file
    restore_rng_state(state)
    path = Path(
        atomic_save(
            {"step": 0, "generator": {}, "rng": state},
            Path(os.environ.get("TMPDIR", "/tmp")) / f"rng_{os.getpid()}.pt",
        )
    )
    loaded = load_checkpoint(path)["rng"]
    path.unlink()
    restore_rng_state(loaded)
    assert random.random() == first[0]
    assert np.random.rand() == first[1]  # noqa: NPY002
    assert torch.equal(torch.rand(3), first[2])


def test_forked_rng_is_seeded_and_isolated():
    torch.manual_seed(5)
    expected_next = torch.rand(2)
    torch.manual_seed(5)
    with forked_rng(123):
        inside = (torch.rand(2), random.random())
    assert torch.equal(torch.rand(2), expected_next)  # the outer stream is untouched
    with forked_rng(123):
        assert torch.equal(torch.rand(2), inside[0]) and random.random() == inside[1]


def test_build_module_only_rebuilds_audiogan_classes():
    with pytest.raises(ValueError, match="only audiogan classes"):
        build_module("os.system", {})
    with pytest.raises(ValueError, match="only audiogan classes"):
        build_module("test_trainer.TinyGenerator", {"latent": 4})
    with pytest.raises(ValueError, match="no config"):
        build_module("audiogan.train.ema.EMA", None)
    with pytest.raises(ValueError, match="not an nn.Module"):
        build_module("audiogan.train.ema.EMA", {})
    with pytest.raises(ValueError, match="cannot rebuild"):
        build_module("audiogan.nowhere.Thing", {})


def test_module_spec_and_class_path():
    g = TinyGenerator(num_classes=2)
    spec = module_spec(g)
    assert spec["class"] == "test_trainer.TinyGenerator" == class_path(g)
    assert spec["config"] == {"latent": 4, "shape": [1, 4, 4], "num_classes": 2}
    assert set(spec["state"]) == set(g.state_dict())


def test_trainer_checkpoint_contents(tmp_path):
    trainer = make_trainer(
        tmp_path,
        ema=0.9,
        metadata={"class_names": ["a"]},
        keep_checkpoints=2,
        callbacks=[CheckpointCallback(every=1, unit="step")],
    )
    trainer.fit(make_loader(n=8), steps=3)
    files = list_checkpoints(tmp_path / "checkpoints")
    assert [p.name for p in files] == ["step_00000002.pt", "step_00000003.pt"]  # keep the last 2
    state = load_checkpoint(files[-1])
    assert state["step"] == 3 and state["epoch"] == 0 and state["batch_in_epoch"] == 3
    for key in (
        "generator",
        "critic",
        "ema",
        "generator_optimizer",
        "critic_optimizer",
        "generator_scaler",
        "critic_scaler",
        "rng",
    ):
        assert key in state, key
    assert state["generator_class"] == "test_trainer.TinyGenerator"
    assert state["critic_config"] == TinyCritic().config
    assert state["metadata"] == {"class_names": ["a"]}
    assert len(state["history"]) == 3
    assert set(state["rng"]) >= {"python", "numpy", "torch"}


WRITER = textwrap.dedent(
    """
    import io, sys, time
    from pathlib import Path
    import torch
    sys.path.insert(0, {tests!r})
    from test_trainer import make_loader, make_trainer
    from audiogan.train.callbacks.checkpoint import CheckpointCallback

    out = Path(sys.argv[1])
    real_save = torch.save

    def slow_save(obj, f, *args, **kwargs):  # a disk that stalls half-way through the 2nd checkpoint
        if isinstance(obj, dict) and obj.get("step", 0) >= 2:
            buf = io.BytesIO()
            real_save(obj, buf)
            f.write(buf.getvalue()[: len(buf.getvalue()) // 2])
            f.flush()
            (out / "writing").touch()
            time.sleep(300)
        return real_save(obj, f, *args, **kwargs)

    torch.save = slow_save
    trainer = make_trainer(out, callbacks=[CheckpointCallback(every=1, unit="step")])
    trainer.fit(make_loader(), steps=5)
    """
)


@pytest.mark.slow
def test_sigkill_while_writing_leaves_previous_checkpoint_loadable(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", WRITER.format(tests=str(TESTS)), str(tmp_path)])
    try:
        deadline = time.monotonic() + 120
        while not (tmp_path / "writing").exists():
            assert proc.poll() is None, "writer exited early"
            assert time.monotonic() < deadline, "writer never reached the 2nd checkpoint"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    ckpt_dir = tmp_path / "checkpoints"
    assert any(p.name.endswith(".tmp") for p in ckpt_dir.iterdir())  # killed mid-write
    assert latest_checkpoint(ckpt_dir).name == "step_00000001.pt"
    assert load_checkpoint(latest_checkpoint(ckpt_dir))["step"] == 1
    trainer = make_trainer(tmp_path)  # resume picks it up and carries on
    trainer.fit(make_loader(), steps=2)
    assert trainer.history[0]["step"] == 1 and trainer.step == 2
    assert not any(p.name.endswith(".tmp") for p in ckpt_dir.iterdir())  # stray temp cleaned up
