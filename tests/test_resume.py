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
from audiogan.train.checkpoint import (
    checkpoint_path,
    latest_checkpoint,
    list_checkpoints,
    load_checkpoint,
)
from audiogan.train.checkpoint_callback import CheckpointCallback
from audiogan.train.checkpoint_state import CheckpointMismatchError
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
        n_critic=2,
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
    assert (a.step, a.epoch, a.critic_steps) == (b.step, b.epoch, b.critic_steps)
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


SIGINT_CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    sys.path.insert(0, {tests!r})
    from test_trainer import make_loader, make_trainer
    from audiogan.train.callback import LambdaCallback

    out = Path(sys.argv[1])
    ready = LambdaCallback(lambda t: (out / "ready").touch() if t.step == 2 else None, every=1, unit="step")
    trainer = make_trainer(out, callbacks=[ready])
    trainer.fit(make_loader(), steps=10**9)
    print("STOPPED", trainer.step, trainer.interrupted, flush=True)
    """
)


@pytest.mark.slow
def test_sigint_saves_a_checkpoint_and_exits_cleanly(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-c", SIGINT_CHILD.format(tests=str(TESTS)), str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not (tmp_path / "ready").exists():
            assert proc.poll() is None, proc.communicate()[1]
            assert time.monotonic() < deadline
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    _, step, interrupted = out.split()
    assert interrupted == "True" and int(step) >= 2
    assert "Traceback" not in err
    state = load_checkpoint(latest_checkpoint(tmp_path / "checkpoints"))
    assert state["step"] == int(step)
