"""Paired GANs: the reconstruction-only warm-up (``critic_start``) and the one reused fake."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from audiogan.losses import LeastSquares
from audiogan.train.trainer import Trainer

sys.path.insert(0, str(Path(__file__).parent))
from test_trainer_paired import LOSSES, TwoScaleCritic, Upsampler, inputs_of, waves  # noqa: E402


def make(tmp_path: Path, **kw) -> Trainer:
    torch.manual_seed(0)
    kw.setdefault("generator_losses", LOSSES)
    return Trainer(
        Upsampler(),
        TwoScaleCritic(),
        LeastSquares(),
        generator_input=inputs_of,
        out_dir=tmp_path,
        device="cpu",
        seed=3,
        **kw,
    )


def loader() -> DataLoader:
    return DataLoader(waves(), batch_size=2, shuffle=True)  # 4 batches: 4 steps per epoch


class Calls:
    """Counts a module's training forward calls (the preflight's checks run in eval mode)."""

    def __init__(self, module: torch.nn.Module) -> None:
        self.n = 0
        module.register_forward_hook(lambda m, *_: setattr(self, "n", self.n + m.training))


def test_before_critic_start_the_critic_neither_runs_nor_updates(tmp_path):
    trainer = make(tmp_path, critic_start=3)
    critic_before = {k: v.clone() for k, v in trainer.critic.state_dict().items()}
    generator_before = [p.detach().clone() for p in trainer.generator.parameters()]
    critic_calls = Calls(trainer.critic)
    trainer.fit(loader(), steps=3)
    assert critic_calls.n == 0 and trainer.critic_updates == 0
    for k, v in trainer.critic.state_dict().items():
        assert torch.equal(v, critic_before[k])
    assert trainer.critic_optimizer.state_dict()["state"] == {}
    assert any(
        not torch.equal(p0, p1)
        for p0, p1 in zip(generator_before, trainer.generator.parameters(), strict=True)
    )
    # the warm-up logs its reconstruction term alone: no adversarial loss, no feature matching
    assert set(trainer.history[0]) == {"step", "epoch", "l1", "skipped_steps"}
    trainer.fit(loader(), steps=5)  # the critic joins at step 4: one update per step
    assert trainer.critic_updates == 2 and critic_calls.n > 0
    assert {"critic_loss", "generator_loss", "feature_matching"} <= set(trainer.history[-1])


def test_a_warm_up_update_is_the_gradient_of_the_reconstruction_terms_alone(tmp_path):
    """With SGD(lr=1) the generator's warm-up step is minus the gradient of 45 * L1."""
    sgd = lambda ps: torch.optim.SGD(ps, lr=1.0)  # noqa: E731
    trainer = make(tmp_path, generator_optimizer=sgd, critic_start=1)
    real = waves(4)
    g = Upsampler()
    g.load_state_dict(trainer.generator.state_dict())
    fake = g(inputs_of(real))
    grads = torch.autograd.grad(45.0 * F.l1_loss(fake, real), list(g.parameters()))
    before = [p.detach().clone() for p in trainer.generator.parameters()]
    metrics = trainer.train_step([trainer.prepare(real)])
    for p0, p1, grad in zip(before, trainer.generator.parameters(), grads, strict=True):
        torch.testing.assert_close(p0 - p1.detach(), grad, rtol=1e-5, atol=1e-6)
    assert metrics["l1"] == pytest.approx(F.l1_loss(fake, real).item(), rel=1e-5)


def _assert_same(a: Trainer, b: Trainer) -> None:
    for name in ("generator", "critic"):
        sa, sb = getattr(a, name).state_dict(), getattr(b, name).state_dict()
        for k in sa:
            assert torch.equal(sa[k], sb[k]), f"{name}.{k} differs"
    for name in ("generator_optimizer", "critic_optimizer"):
        sa, sb = getattr(a, name).state_dict()["state"], getattr(b, name).state_dict()["state"]
        assert sa.keys() == sb.keys()
        for i in sa:
            for k in sa[i]:
                assert torch.equal(sa[i][k], sb[i][k]), f"{name}[{i}].{k} differs"
    assert (a.step, a.epoch, a.critic_updates) == (b.step, b.epoch, b.critic_updates)
    assert a.history == b.history


@pytest.mark.parametrize("critic_start", [3, 6])  # the boundary in the first half, the second
def test_resume_across_the_critic_start_is_bit_exact(tmp_path, critic_start):
    straight = make(tmp_path / "straight", critic_start=critic_start).fit(loader(), steps=8)
    assert straight.critic_updates == 8 - critic_start
    make(tmp_path / "resumed", critic_start=critic_start).fit(loader(), steps=4)
    resumed = make(tmp_path / "resumed", critic_start=critic_start).fit(loader(), steps=8)
    _assert_same(straight, resumed)


def test_critic_start_is_restored_from_the_checkpoint_when_not_given(tmp_path):
    make(tmp_path, critic_start=6).fit(loader(), steps=2)
    again = make(tmp_path)
    again.resume()
    assert again.critic_start == 6
    given = make(tmp_path, critic_start=1)
    given.resume()
    assert given.critic_start == 1


def test_a_warm_up_needs_a_term_that_does_not_read_the_critic(tmp_path):
    only_fm = {"feature_matching": LOSSES["feature_matching"]}
    with pytest.raises(ValueError, match="every generator_losses term reads the critic"):
        make(tmp_path, generator_losses=only_fm, critic_start=2).fit(loader(), steps=1)
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError, match="critic_start must be an integer >= 0"):
            make(tmp_path, critic_start=bad)


def test_one_fake_serves_both_updates_and_changes_nothing(tmp_path):
    """The generator runs once per paired step (HiFi-GAN's step); the training is unchanged."""
    reused = make(tmp_path / "reused")
    fresh = make(tmp_path / "fresh")
    fresh.reuse_fake = False
    reused_calls, fresh_calls = Calls(reused.generator), Calls(fresh.generator)
    reused.fit(loader(), steps=5)
    fresh.fit(loader(), steps=5)
    assert (reused_calls.n, fresh_calls.n) == (5, 10)
    _assert_same(reused, fresh)


def test_with_two_critic_steps_the_last_fake_is_reused(tmp_path):
    trainer = make(tmp_path, critic_steps=2)
    calls = Calls(trainer.generator)
    trainer.fit(loader(), steps=2)  # 2 critic fakes per step, the second one reused
    assert calls.n == 4 and trainer.critic_updates == 4
