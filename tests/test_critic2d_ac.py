"""AuxiliaryConvCritic2d: ConvCritic2d's score plus a class head that never sees the label."""

from __future__ import annotations

import pytest
import torch

from audiogan.losses import AuxiliaryClassifierCriticLoss, AuxiliaryClassifierGeneratorLoss
from audiogan.nn import AuxiliaryConvCritic2d, ConvCritic2d
from audiogan.registry import lookup


def critic(**kwargs) -> AuxiliaryConvCritic2d:
    torch.manual_seed(0)
    options = {"num_classes": 3, "conditioning": "projection", "width": 4, "num_downsamples": 2}
    return AuxiliaryConvCritic2d((1, 8, 8), num_aux_classes=3, **(options | kwargs))


def test_scores_like_the_plain_critic_and_classifies_without_the_label() -> None:
    ac = critic()
    torch.manual_seed(0)
    plain = ConvCritic2d(
        (1, 8, 8), num_classes=3, conditioning="projection", width=4, num_downsamples=2
    )
    x, y = torch.randn(5, 1, 8, 8), torch.tensor([0, 1, 2, 0, 1])
    assert torch.equal(ac(x, y), plain(x, y))  # same weights from the same seed, same score
    logits = ac.classify(x)
    assert logits.shape == (5, 3)
    h = ac.features(x).mean(dim=(2, 3))  # the head reads the pooled features only
    assert torch.allclose(logits, h @ ac.head.linear.weight.T + ac.head.linear.bias)


def test_classifying_the_batch_just_scored_reuses_its_logits() -> None:
    ac = critic()
    x, y = torch.randn(4, 1, 8, 8), torch.tensor([0, 1, 2, 0])
    ac(x, y)
    first = ac.classify(x)
    assert first is ac.classify(x)  # served from the forward pass
    with torch.no_grad():
        ac.score.weight.add_(1.0)  # an update: the cached logits are not served
    again = ac.classify(x)
    assert again is not first and torch.allclose(again, first)  # the head did not change


def test_the_ac_gan_terms_train_the_head_and_reach_the_generator() -> None:
    ac = critic()
    x, y = torch.randn(4, 1, 8, 8), torch.tensor([0, 1, 2, 0])
    fake = torch.randn(4, 1, 8, 8, requires_grad=True)
    loss = AuxiliaryClassifierCriticLoss(1.0)(ac, x, fake.detach(), y)
    loss.backward()
    assert ac.head.linear.weight.grad is not None and ac.head.linear.weight.grad.abs().sum() > 0

    class Step:
        labels, fake = y, None

    step = Step()
    step.fake = fake
    AuxiliaryClassifierGeneratorLoss(ac)(step).backward()
    assert fake.grad is not None and fake.grad.abs().sum() > 0


def test_refuses_a_label_plane_and_no_classes() -> None:
    with pytest.raises(ValueError, match="must not see the label"):
        critic(conditioning="embedding")
    with pytest.raises(ValueError, match="num_aux_classes must be >= 1"):
        AuxiliaryConvCritic2d((1, 8, 8), num_aux_classes=0, width=4, num_downsamples=2)
    with pytest.raises(ValueError, match=r"\(batch, channels, freq, frames\)"):
        critic().classify(torch.randn(2, 8, 8))


def test_rebuilds_from_its_config() -> None:
    ac = critic()
    again = lookup("AuxiliaryConvCritic2d")(**ac.config)
    again.load_state_dict(ac.state_dict())
    x = torch.randn(2, 1, 8, 8)
    assert torch.equal(again.classify(x), ac.classify(x))
