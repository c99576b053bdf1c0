"""LeCam regularization (audiogan.losses.LeCamPenalty) and Penalties, alone and in the Trainer."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from audiogan.losses import (
    GradientPenalty,
    LeCamPenalty,
    NonSaturating,
    Penalties,
    R1Penalty,
    Wasserstein,
    lecam_penalty,
)
from audiogan.protocols import CriticOutput
from audiogan.train.trainer import Trainer

TESTS = Path(__file__).parent
sys.path.insert(0, str(TESTS))
from test_trainer import TinyCritic, TinyGenerator, make_loader  # noqa: E402


class Lookup(nn.Module):
    """A critic whose score is the input's first value times a weight: scores are set by hand."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.tensor(1.0))

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.weight * x.flatten(1)[:, 0]  # (batch,)


def batch(*scores: float) -> torch.Tensor:
    """Inputs ``(batch, 1, 2, 2)`` on which :class:`Lookup` scores ``scores``."""
    x = torch.zeros(len(scores), 1, 2, 2)
    x[:, 0, 0, 0] = torch.tensor(scores)
    return x


def test_value_on_fixed_inputs_equals_the_formula():
    lecam = LeCamPenalty(weight=0.5, decay=0.9)
    critic = Lookup()
    # first call: the anchors are this batch's means, real 2, fake -1
    value = lecam(critic, batch(3.0, 1.0), batch(-2.0, 0.0))
    assert lecam.anchor_real.tolist() == [2.0] and lecam.anchor_fake.tolist() == [-1.0]
    # relu(real - (-1))^2 = 16, 4; relu(2 - fake)^2 = 16, 4
    assert value.item() == pytest.approx(0.5 * ((16 + 4) / 2 + (16 + 4) / 2))
    # second call: anchors move by (1 - decay) toward the new means (real 0, fake 1) first
    value = lecam(critic, batch(-1.0, 1.0), batch(0.0, 2.0))
    anchor_real, anchor_fake = 0.9 * 2.0 + 0.1 * 0.0, 0.9 * -1.0 + 0.1 * 1.0  # 1.8, -0.8
    assert lecam.anchor_real.item() == pytest.approx(anchor_real)
    assert lecam.anchor_fake.item() == pytest.approx(anchor_fake)
    real_terms = [max(r - anchor_fake, 0) ** 2 for r in (-1.0, 1.0)]
    fake_terms = [max(anchor_real - f, 0) ** 2 for f in (0.0, 2.0)]
    expected = 0.5 * (sum(real_terms) / 2 + sum(fake_terms) / 2)
    assert value.item() == pytest.approx(expected)


def test_two_sided_is_the_papers_formula():
    real, fake = torch.tensor([-1.0, 1.0]), torch.tensor([0.0, 2.0])
    value = lecam_penalty(real, fake, 1.8, -0.8, one_sided=False)
    expected = ((real + 0.8) ** 2).mean() + ((1.8 - fake) ** 2).mean()
    assert value.item() == pytest.approx(expected.item())
    assert lecam_penalty(real, fake, 1.8, -0.8).item() < value.item()  # the relu drops terms


def test_the_gradient_reaches_the_critic_and_not_the_anchors():
    critic = Lookup()
    lecam = LeCamPenalty(weight=1.0)
    lecam(critic, batch(3.0, 1.0), batch(-2.0, 0.0)).backward()
    # d/dw of mean((w r + 1)^2) + mean((2 - w f)^2) at w=1 with the anchors held fixed
    r, f = torch.tensor([3.0, 1.0]), torch.tensor([-2.0, 0.0])
    expected = (2 * (r + 1) * r).mean() + (2 * (2 - f) * -f).mean()
    assert critic.weight.grad.item() == pytest.approx(expected.item())
    assert not lecam.anchor_real.requires_grad


class Pair(nn.Module):
    """An ensemble: two sub-critics, scores ``x[0]`` and ``2 x[0]`` (patch scores ``(batch, 1)``)."""

    def forward(self, x: torch.Tensor) -> CriticOutput:
        s = x.flatten(1)[:, :1]
        return CriticOutput([s, 2 * s], [[], []])


def test_an_ensemble_has_anchors_per_sub_critic_and_sums():
    lecam = LeCamPenalty(weight=1.0, decay=0.0)  # decay 0: the anchors are the batch means
    value = lecam(Pair(), batch(3.0, 1.0), batch(-2.0, 0.0))
    assert lecam.anchor_real.tolist() == [2.0, 4.0]
    assert lecam.anchor_fake.tolist() == [-1.0, -2.0]
    first = lecam_penalty(torch.tensor([3.0, 1.0]), torch.tensor([-2.0, 0.0]), 2.0, -1.0)
    second = lecam_penalty(torch.tensor([6.0, 2.0]), torch.tensor([-4.0, 0.0]), 4.0, -2.0)
    assert value.item() == pytest.approx((first + second).item())


def test_state_dict_round_trip():
    lecam = LeCamPenalty(weight=0.3)
    for _ in range(3):
        lecam(Lookup(), batch(1.0, 2.0), batch(0.5, -0.5))
    fresh = LeCamPenalty(weight=0.3)
    fresh.load_state_dict(lecam.state_dict())
    assert torch.equal(fresh.anchor_real, lecam.anchor_real)
    a = lecam(Lookup(), batch(4.0, 0.0), batch(1.0, 1.0))
    b = fresh(Lookup(), batch(4.0, 0.0), batch(1.0, 1.0))
    assert torch.equal(a, b)


def test_bad_settings_are_errors():
    with pytest.raises(ValueError, match="decay must be in"):
        LeCamPenalty(decay=1.0)
    with pytest.raises(ValueError, match="interval must be"):
        LeCamPenalty(interval=0)
    with pytest.raises(ValueError, match="same shape|one shape"):
        LeCamPenalty()(Lookup(), batch(1.0), batch(1.0, 2.0))
    with pytest.raises(ValueError, match="at least one"):
        Penalties()


def test_penalties_sum_their_members_on_their_intervals():
    torch.manual_seed(0)
    critic = nn.Sequential(nn.Flatten(), nn.Linear(4, 1), nn.Flatten(0))
    real, fake = torch.randn(6, 1, 2, 2), torch.randn(6, 1, 2, 2)
    r1, lecam = R1Penalty(gamma=1.0, interval=2), LeCamPenalty(decay=0.0)
    both = Penalties(r1, lecam)
    for call in range(4):
        value = both(critic, real, fake)
        expected = LeCamPenalty(decay=0.0)(critic, real, fake)
        if call % 2 == 0:
            expected = expected + R1Penalty(gamma=1.0, interval=2)(critic, real, fake)
        assert value.item() == pytest.approx(expected.item())
    assert both.calls == 4
    assert both.last_grad_norm is r1.last_grad_norm
    state = both.state_dict()
    assert state["_extra_state"] == {"calls": 4} and "stateful.0.anchor_real" in state


def test_lecam_in_the_trainer_is_logged_and_checkpointed(tmp_path):
    torch.manual_seed(0)
    trainer = Trainer(
        TinyGenerator(),
        TinyCritic(),
        Wasserstein(),
        Penalties(GradientPenalty(10.0), LeCamPenalty(0.3)),
        out_dir=tmp_path,
        device="cpu",
    )
    trainer.fit(make_loader(n=8, batch=2), steps=3)
    assert {"penalty", "grad_norm"} <= set(trainer.metrics)
    anchors = trainer.penalty.members[1].anchor_real.clone()
    assert anchors.shape == (1,)
    again = Trainer(
        TinyGenerator(),
        TinyCritic(),
        Wasserstein(),
        Penalties(GradientPenalty(10.0), LeCamPenalty(0.3)),
        out_dir=tmp_path,
        device="cpu",
    )
    again.load_checkpoint(trainer.last_checkpoint)
    assert torch.equal(again.penalty.members[1].anchor_real, anchors)
    assert again.penalty.calls == trainer.penalty.calls == 3


def test_lecam_alone_does_not_warn_about_batchnorm_but_a_gradient_penalty_does(tmp_path):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Trainer(
            TinyGenerator(),
            TinyCritic(batchnorm=True),
            NonSaturating(),
            LeCamPenalty(0.3),
            out_dir=tmp_path,
            device="cpu",
        )
    with pytest.warns(UserWarning, match="BatchNorm"):
        Trainer(
            TinyGenerator(),
            TinyCritic(batchnorm=True),
            NonSaturating(),
            Penalties(R1Penalty(), LeCamPenalty(0.3)),
            out_dir=tmp_path,
            device="cpu",
        )
