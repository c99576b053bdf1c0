"""channels_last layout: same numbers, different memory order, in the Trainer and for Conv3d."""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from audiogan.losses import GradientPenalty, Wasserstein
from audiogan.nn import ConvCritic2d, ConvGenerator2d, MuseCritic
from audiogan.train import Trainer
from audiogan.train.wrapping import to_channels_last, to_channels_last_


def test_to_channels_last_handles_4d_5d_and_leaves_the_rest():
    x4, x5, x2 = torch.randn(2, 3, 4, 5), torch.randn(2, 3, 4, 5, 6), torch.randn(2, 3)
    assert to_channels_last(x4).is_contiguous(memory_format=torch.channels_last)
    assert to_channels_last(x5).is_contiguous(memory_format=torch.channels_last_3d)
    assert to_channels_last(x2) is x2
    assert torch.equal(to_channels_last(x5), x5)
    critic = to_channels_last_(MuseCritic(width=4, linear_width=8))
    conv3d = [m.weight for m in critic.modules() if isinstance(m, nn.Conv3d)]
    assert conv3d and all(w.is_contiguous(memory_format=torch.channels_last_3d) for w in conv3d)
    roll = torch.randn(2, 4, 2, 16, 84)
    torch.testing.assert_close(critic(to_channels_last(roll)), critic(roll))


def _fit(tmp_path, channels_last: bool) -> Trainer:
    torch.manual_seed(0)
    G = ConvGenerator2d(8, (1, 16, 16), num_classes=2, width=16, num_upsamples=2, norm="none")
    D = ConvCritic2d((1, 16, 16), num_classes=2, width=4, num_downsamples=2)
    data = TensorDataset(torch.rand(8, 1, 16, 16) * 2 - 1, torch.arange(8) % 2)
    trainer = Trainer(
        G,
        D,
        Wasserstein(),
        GradientPenalty(),
        critic_steps=2,
        device="cpu",
        channels_last=channels_last,
        out_dir=tmp_path,
        seed=0,
    )
    return trainer.fit(DataLoader(data, batch_size=4), steps=2, resume=False)


def test_trainer_channels_last_gives_the_same_weights(tmp_path):
    plain, last = _fit(tmp_path / "plain", False), _fit(tmp_path / "last", True)
    convs = [m.weight for m in last.critic.modules() if isinstance(m, nn.Conv2d)]
    assert all(w.is_contiguous(memory_format=torch.channels_last) for w in convs)
    for (name, a), b in zip(
        plain.critic.state_dict().items(), last.critic.state_dict().values(), strict=True
    ):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5, msg=name)
    for a, b in zip(
        plain.generator.state_dict().values(), last.generator.state_dict().values(), strict=True
    ):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)
