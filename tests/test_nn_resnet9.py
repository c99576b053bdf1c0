"""ResNet-9 backbone, critic and classifier."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from audiogan.nn.resnet9 import ResNet9, ResNet9Classifier, ResNet9Critic


def test_fast_cifar_layout_and_parameter_count() -> None:
    net = ResNet9(3, num_outputs=10)
    convs = [m for m in net.modules() if isinstance(m, nn.Conv2d)]
    assert [(c.in_channels, c.out_channels) for c in convs] == [
        (3, 64),
        (64, 128),
        (128, 128),
        (128, 128),
        (128, 256),
        (256, 512),
        (512, 512),
        (512, 512),
    ]  # 8 convs + 1 linear = 9 layers
    assert sum(isinstance(m, nn.MaxPool2d) for m in net.modules()) == 3
    # The usual ResNet-9 (conv bias + BN) has 6,575,370 parameters on CIFAR-10; the conv biases
    # (2,240 of them) are dropped here because BatchNorm follows every conv.
    assert sum(p.numel() for p in net.parameters()) == 6_575_370 - 2_240


@pytest.mark.parametrize("shape", [(1, 64, 64), (1, 128, 256), (3, 8, 8), (1, 9, 17)])
def test_any_spectrogram_size(shape: tuple[int, int, int]) -> None:
    critic = ResNet9Critic(shape[0], width=2)
    classifier = ResNet9Classifier(shape[0], num_classes=4, width=2)
    x = torch.randn(2, *shape)
    assert critic(x).shape == (2,)
    assert classifier(x).shape == (2, 4)
    assert classifier.embed(x).shape == (2, 16)


def test_batch_of_one() -> None:
    critic = ResNet9Critic(1, num_classes=2, width=2, norm="layer")
    assert critic(torch.randn(1, 1, 16, 16), torch.tensor([1])).shape == (1,)
    assert ResNet9Classifier(1, num_classes=3, width=2).eval()(torch.randn(1, 1, 16, 16)).shape == (
        1,
        3,
    )


@pytest.mark.parametrize("norm", ["layer", "instance", "spectral", "none"])
def test_gp_friendly_critic_scores_are_per_sample(norm: str) -> None:
    critic = ResNet9Critic(1, num_classes=3, width=2, norm=norm).eval()
    x, y = torch.randn(3, 1, 16, 16), torch.tensor([0, 2, 1])
    torch.testing.assert_close(
        critic(x, y), torch.cat([critic(x[i : i + 1], y[i : i + 1]) for i in range(3)])
    )


def test_projection_conditioning_changes_scores() -> None:
    critic = ResNet9Critic(1, num_classes=3, width=2, norm="layer")
    nn.init.normal_(critic.projection.embedding.weight)
    x = torch.randn(2, 1, 16, 16)
    assert not torch.allclose(critic(x, torch.tensor([0, 0])), critic(x, torch.tensor([1, 2])))


def test_critic_score_is_linear_head_plus_projection() -> None:
    critic = ResNet9Critic(1, num_classes=2, width=2, norm="layer").eval()
    x, y = torch.randn(2, 1, 8, 8), torch.tensor([1, 0])
    h = critic.net.features(x)
    expected = critic.net.head(h)[:, 0] + (critic.projection.embedding.weight[y] * h).sum(1)
    torch.testing.assert_close(critic(x, y), expected)


def test_spectral_norm_wraps_every_weight() -> None:
    net = ResNet9(1, num_outputs=1, width=2, norm="spectral")
    layers = [m for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    assert len(layers) == 9 and all(hasattr(m, "parametrizations") for m in layers)
    assert not any(isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)) for m in net.modules())


def test_errors() -> None:
    with pytest.raises(ValueError, match=">= 8"):
        ResNet9(1, num_outputs=1, width=2)(torch.randn(2, 1, 7, 64))
    with pytest.raises(ValueError, match=r"ResNet9 input: expected shape \(\*, 1, \*, \*\)"):
        ResNet9(1, num_outputs=1, width=2)(torch.randn(2, 3, 16, 16))
    with pytest.raises(ValueError, match="norm"):
        ResNet9(1, num_outputs=1, norm="weird")
    with pytest.raises(ValueError, match="dropout"):
        ResNet9(1, num_outputs=1, dropout=1.0)
    with pytest.raises(ValueError, match="num_classes"):
        ResNet9Classifier(1, num_classes=0)
    with pytest.raises(ValueError, match="unconditional"):
        ResNet9Critic(1, width=2)(torch.randn(2, 1, 8, 8), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="required"):
        ResNet9Critic(1, num_classes=2, width=2)(torch.randn(2, 1, 8, 8))
