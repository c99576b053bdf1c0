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
from torch.utils.data import DataLoader, Dataset

from audiogan.losses import GradientPenalty, Wasserstein
from audiogan.train.checkpoint import checkpoint_path, latest_checkpoint, load_checkpoint
from audiogan.train.checkpoint_callback import CheckpointCallback
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
