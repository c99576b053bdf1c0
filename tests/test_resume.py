"""Exact resume (k steps + stop + resume == uninterrupted, bit for bit) and Ctrl-C handling."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch
from torch.utils.data import BatchSampler, DataLoader, Dataset, Sampler

from audiogan.losses import GradientPenalty, Wasserstein
from audiogan.train.callbacks.checkpoint import CheckpointCallback
from audiogan.train.checkpoints import (
    CheckpointMismatchError,
    checkpoint_path,
    latest_checkpoint,
    list_checkpoints,
    load_checkpoint,
)
from audiogan.train.trainer import Trainer

TESTS = Path(__file__).parent
sys.path.insert(0, str(TESTS))
from test_trainer import SHAPE, TinyCritic, TinyGenerator, make_loader, make_trainer  # noqa: E402


class NoisyLabelled(Dataset):
    """Labelled items with augmentation noise from the global torch RNG (drawn per item)."""

    def __init__(self, n: int = 18, num_classes: int = 3) -> None:
        g = torch.Generator().manual_seed(1)
        self.x = torch.rand(n, *SHAPE, generator=g) * 2 - 1
        self.y = torch.randint(0, num_classes, (n,), generator=g)

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int):
        return self.x[i] + 0.01 * torch.randn(SHAPE), self.y[i]


def _trainer(out_dir: Path, init_seed: int = 0) -> Trainer:
    torch.manual_seed(init_seed)  # the resumed run starts from different weights on purpose
    g, d = TinyGenerator(num_classes=3), TinyCritic(num_classes=3, dropout=0.25)
    return Trainer(
        g,
        d,
        Wasserstein(),
        GradientPenalty(10.0),
        critic_steps=2,
        ema=0.9,
        out_dir=out_dir,
        device="cpu",
        seed=7,
    )


def _loader() -> DataLoader:
    return DataLoader(NoisyLabelled(), batch_size=2, shuffle=True)  # 9 batches: 4 steps per epoch


def _assert_same_state(a: Trainer, b: Trainer) -> None:
    for name in ("generator", "critic"):
        sa, sb = getattr(a, name).state_dict(), getattr(b, name).state_dict()
        assert sa.keys() == sb.keys()
        for k in sa:
            assert torch.equal(sa[k], sb[k]), f"{name}.{k} differs"
    for k, v in a.ema.module.state_dict().items():
        assert torch.equal(v, b.ema.module.state_dict()[k]), f"ema.{k} differs"
    for name in ("generator_optimizer", "critic_optimizer"):
        sa, sb = getattr(a, name).state_dict()["state"], getattr(b, name).state_dict()["state"]
        for i in sa:
            for k in sa[i]:
                assert torch.equal(sa[i][k], sb[i][k]), f"{name}[{i}].{k} differs"
    assert (a.step, a.epoch, a.critic_updates) == (b.step, b.epoch, b.critic_updates)
    assert a.history == b.history


@pytest.mark.parametrize("stop_at", [3, 4])  # mid-epoch, and at the end of epoch 0's last step
def test_resume_is_bit_exact(tmp_path, stop_at):
    straight = _trainer(tmp_path / "straight").fit(_loader(), steps=9)
    assert straight.epoch == 2  # crosses two epoch boundaries

    first = _trainer(tmp_path / "resumed").fit(_loader(), steps=stop_at)
    assert first.step == stop_at
    resumed = _trainer(tmp_path / "resumed", init_seed=123)
    assert not torch.equal(resumed.generator.net.weight, straight.generator.net.weight)
    resumed.fit(_loader(), steps=9)  # resume="auto": the newest checkpoint in out_dir
    _assert_same_state(straight, resumed)


class LazyRandomSampler(Sampler[int]):
    """A custom sampler that draws each index from the global torch RNG while it is iterated."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __iter__(self):
        for _ in range(self.n):
            yield int(torch.randint(self.n, ()))

    def __len__(self) -> int:
        return self.n


class OwnGeneratorSampler(Sampler[int]):
    """A custom sampler with its own generator, a fresh permutation per epoch."""

    def __init__(self, n: int, seed: int) -> None:
        self.n = n
        self.generator = torch.Generator().manual_seed(seed)

    def __iter__(self):
        return iter(torch.randperm(self.n, generator=self.generator).tolist())

    def __len__(self) -> int:
        return self.n


LOADERS = {
    # PyTorch's reproducibility notes: a loader with its own seeded generator
    "own_generator": lambda: DataLoader(
        NoisyLabelled(), batch_size=2, shuffle=True, generator=torch.Generator().manual_seed(5)
    ),
    "lazy_custom_sampler": lambda: DataLoader(
        NoisyLabelled(), batch_size=2, sampler=LazyRandomSampler(18)
    ),
    "custom_sampler_with_generator": lambda: DataLoader(
        NoisyLabelled(), batch_size=2, sampler=OwnGeneratorSampler(18, seed=3)
    ),
    "batch_sampler": lambda: DataLoader(
        NoisyLabelled(),
        batch_sampler=BatchSampler(OwnGeneratorSampler(18, seed=4), batch_size=2, drop_last=True),
    ),
}


@pytest.mark.parametrize("stop_at", [3, 4, 6])  # mid-epoch, at an epoch boundary, in epoch 1
@pytest.mark.parametrize("kind", sorted(LOADERS))
def test_resume_is_bit_exact_for_any_loader(tmp_path, kind, stop_at):
    make = LOADERS[kind]
    straight = _trainer(tmp_path / "straight").fit(make(), steps=9)
    assert straight.epoch == 2
    _trainer(tmp_path / "resumed").fit(make(), steps=stop_at)
    resumed = _trainer(tmp_path / "resumed", init_seed=123).fit(make(), steps=9)
    _assert_same_state(straight, resumed)


@pytest.mark.parametrize("stop_at", [3, 4])
def test_resume_is_bit_exact_with_worker_processes(tmp_path, stop_at):
    def make() -> DataLoader:  # augmentation noise drawn in the workers
        g = torch.Generator().manual_seed(5)
        return DataLoader(NoisyLabelled(), batch_size=2, shuffle=True, num_workers=2, generator=g)

    straight = _trainer(tmp_path / "straight").fit(make(), steps=9)
    _trainer(tmp_path / "resumed").fit(make(), steps=stop_at)
    resumed = _trainer(tmp_path / "resumed", init_seed=123).fit(make(), steps=9)
    _assert_same_state(straight, resumed)


def test_auto_resume_refuses_a_checkpoint_of_another_model(tmp_path):
    make_trainer(tmp_path).fit(make_loader(), steps=2)
    saved = latest_checkpoint(tmp_path / "checkpoints")
    before = saved.read_bytes()
    torch.manual_seed(0)
    wider = Trainer(
        TinyGenerator(latent=6),
        TinyCritic(),
        Wasserstein(),
        GradientPenalty(),
        out_dir=tmp_path,
        device="cpu",
    )
    with pytest.raises(CheckpointMismatchError) as info:
        wider.fit(make_loader(), steps=4)
    message = str(info.value)
    assert str(saved) in message and "net.weight" in message and "(16, 4)" in message
    assert "(16, 6)" in message and "out_dir" in message  # says how to start fresh
    assert wider.step == 0  # nothing was loaded
    assert list_checkpoints(tmp_path / "checkpoints") == [saved]  # nothing overwritten
    assert saved.read_bytes() == before


def test_resume_by_epochs_and_explicit_path(tmp_path):
    straight = _trainer(tmp_path / "a").fit(_loader(), epochs=2)
    _trainer(tmp_path / "b").fit(_loader(), steps=2)
    resumed = _trainer(tmp_path / "c", init_seed=3)
    resumed.fit(_loader(), epochs=2, resume=checkpoint_path(tmp_path / "b" / "checkpoints", 2))
    _assert_same_state(straight, resumed)


def test_resume_false_starts_fresh_and_auto_skips_unreadable(tmp_path):
    make_trainer(tmp_path).fit(make_loader(), steps=2)
    fresh = make_trainer(tmp_path)
    fresh.fit(make_loader(), steps=1, resume=False)
    assert fresh.history[0]["step"] == 1 and len(fresh.history) == 1
    # the newest file is corrupt: auto-resume warns and takes the one before
    make_trainer(tmp_path).fit(make_loader(), steps=3)
    newest = latest_checkpoint(tmp_path / "checkpoints")
    assert newest.name == "step_00000003.pt"
    newest.write_bytes(newest.read_bytes()[:100])
    again = make_trainer(tmp_path)
    with pytest.warns(UserWarning, match="step_00000003.pt"):
        again.fit(make_loader(), steps=3)
    assert [h["step"] for h in again.history] == [1, 2, 3]


def test_in_memory_trainer_continues_without_reloading(tmp_path):
    trainer = make_trainer(tmp_path, callbacks=[CheckpointCallback(every=1, unit="step")])
    trainer.fit(make_loader(), steps=2)
    trainer.fit(make_loader(), steps=4)  # continues from memory (step 2), not from a file
    assert [h["step"] for h in trainer.history] == [1, 2, 3, 4]
    assert load_checkpoint(latest_checkpoint(tmp_path / "checkpoints"))["step"] == 4


STOP_CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    sys.path.insert(0, {tests!r})
    import audiogan.train.trainer as trainer_module
    from test_trainer import make_loader, make_trainer
    from audiogan.train.callbacks.base import LambdaCallback
    from audiogan.train.callbacks.checkpoint import CheckpointCallback

    out = Path(sys.argv[1])
    save = trainer_module.atomic_save

    def slow_final_save(obj, path):  # the final write takes a while: signals can arrive during it
        if trainer.stop_request.saving:
            (out / "saving").touch()
            time.sleep(1.5)
        return save(obj, path)

    trainer_module.atomic_save = slow_final_save

    def progress(t):
        (out / "progress").write_text(str(t.step))
        time.sleep(0.2)

    callbacks = [LambdaCallback(progress, every=1, unit="step")]
    if "--every-step" in sys.argv:
        callbacks.append(CheckpointCallback(every=1, unit="step"))
    else:
        callbacks.append(CheckpointCallback(every=1000, unit="step"))  # rarely: only the final one
    trainer = make_trainer(out, callbacks=callbacks)
    trainer.fit(make_loader(), steps=10**9)
    print("STOPPED", trainer.step, trainer.interrupted, flush=True)
    """
)


def _start_child(tmp_path: Path, *flags: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", STOP_CHILD.format(tests=str(TESTS)), str(tmp_path), *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(proc: subprocess.Popen, path: Path, check=lambda: True) -> None:
    deadline = time.monotonic() + 120
    while not (path.exists() and check()):
        assert proc.poll() is None, proc.communicate()[1]
        assert time.monotonic() < deadline, f"no {path}"
        time.sleep(0.02)


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_stop_signal_saves_a_checkpoint_and_exits_cleanly(tmp_path, signum):
    """Checkpoints every 1000 steps only: the stop still loses at most the step in progress."""
    proc = _start_child(tmp_path)
    try:
        progress = tmp_path / "progress"
        _wait_for(proc, progress, lambda: int(progress.read_text() or 0) >= 2)
        done = int(progress.read_text())
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    _, step, interrupted = out.split()
    assert interrupted == "True" and done <= int(step) <= done + 2  # at most the step in progress
    assert "Traceback" not in err and signal.Signals(signum).name in err
    state = load_checkpoint(latest_checkpoint(tmp_path / "checkpoints"))
    assert state["step"] == int(step)


@pytest.mark.slow
def test_a_second_signal_during_the_final_write_waits_for_it(tmp_path):
    proc = _start_child(tmp_path)
    try:
        _wait_for(proc, tmp_path / "progress")
        proc.send_signal(signal.SIGTERM)
        _wait_for(proc, tmp_path / "saving")
        proc.send_signal(signal.SIGTERM)  # while the final checkpoint is being written
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "writing the final checkpoint first" in err
    step = int(out.split()[1])
    assert load_checkpoint(latest_checkpoint(tmp_path / "checkpoints"))["step"] == step


@pytest.mark.slow
def test_a_third_signal_aborts_the_write_and_keeps_the_previous_checkpoint(tmp_path):
    proc = _start_child(tmp_path, "--every-step")
    try:
        _wait_for(proc, tmp_path / "checkpoints" / "step_00000002.pt")
        proc.send_signal(signal.SIGTERM)
        _wait_for(proc, tmp_path / "saving")
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode != 0 and "KeyboardInterrupt" in err
    newest = latest_checkpoint(tmp_path / "checkpoints")
    state = load_checkpoint(newest)  # the previous checkpoint, whole
    assert state["step"] >= 2
    assert not list((tmp_path / "checkpoints").glob("*.tmp"))  # no half-written file left


# ----------------------------------------------------------------------------- changed settings


def _lrs(trainer: Trainer) -> tuple[float, float]:
    return (
        trainer.generator_optimizer.param_groups[0]["lr"],
        trainer.critic_optimizer.param_groups[0]["lr"],
    )


def test_resume_given_settings_win_and_the_rest_is_restored(tmp_path, caplog):
    make_trainer(
        tmp_path, generator_lr=2e-4, critic_lr=3e-4, betas=(0.0, 0.99), critic_steps=2
    ).fit(make_loader(), steps=2)
    # nothing given: everything comes back from the checkpoint, and nothing is said
    restored = make_trainer(tmp_path)
    with caplog.at_level("WARNING", logger="audiogan.train.checkpoints"):
        restored.fit(make_loader(), steps=3)
    assert _lrs(restored) == (2e-4, 3e-4) and restored.critic_steps == 2
    assert restored.generator_optimizer.param_groups[0]["betas"] == (0.0, 0.99)
    assert "kept from the checkpoint" in caplog.text  # it says what it kept
    caplog.clear()
    # a new learning rate and critic_steps given: they win, betas still come from the checkpoint
    changed = make_trainer(tmp_path, generator_lr=1e-4, critic_steps=1)
    with caplog.at_level("WARNING", logger="audiogan.train.checkpoints"):
        changed.fit(make_loader(), steps=4)
    assert _lrs(changed) == (1e-4, 3e-4) and changed.critic_steps == 1
    assert changed.generator_optimizer.param_groups[0]["betas"] == (0.0, 0.99)
    messages = [r.getMessage() for r in caplog.records if "differ" in r.getMessage()]
    assert len(messages) == 1  # one message listing every difference
    assert "generator lr 0.0002 -> 0.0001 (given)" in messages[0]
    assert "critic_steps 2 -> 1 (given)" in messages[0]
    assert "critic lr 0.0003 kept from the checkpoint (not given)" in messages[0]
    assert "generator betas (0.0, 0.99) kept from the checkpoint" in messages[0]


def test_resume_with_an_optimizer_given_takes_all_its_settings(tmp_path):
    make_trainer(tmp_path, critic_lr=3e-4).fit(make_loader(), steps=2)
    torch.manual_seed(0)
    g, d = TinyGenerator(), TinyCritic()
    given = Trainer(
        g,
        d,
        Wasserstein(),
        GradientPenalty(10.0),
        out_dir=tmp_path,
        device="cpu",
        critic_optimizer=lambda ps: torch.optim.Adam(ps, lr=5e-5, betas=(0.1, 0.2)),
    )
    given.fit(make_loader(), steps=3)
    group = given.critic_optimizer.param_groups[0]
    assert (group["lr"], group["betas"]) == (5e-5, (0.1, 0.2))


def test_resume_with_a_scheduler_moves_the_base_and_keeps_the_progress(tmp_path):
    def exp(opt):
        return torch.optim.lr_scheduler.ExponentialLR(opt, 0.5)

    make_trainer(tmp_path, generator_lr=1e-3, generator_scheduler=exp).fit(make_loader(), steps=2)
    resumed = make_trainer(tmp_path, generator_lr=2e-3, generator_scheduler=exp)
    resumed.fit(make_loader(), steps=3)
    # base 1e-3 decayed twice (2.5e-4) -> base 2e-3 at the same point (5e-4), then one step more
    assert _lrs(resumed)[0] == pytest.approx(2e-3 * 0.5**3)
    assert resumed.generator_scheduler.base_lrs == [2e-3]
