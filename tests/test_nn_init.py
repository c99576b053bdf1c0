"""DCGAN initialization and the BatchNorm-in-a-penalized-critic warning."""

from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn

from audiogan.nn.critic2d import ConvCritic2d
from audiogan.nn.init import (
    BatchNormInCriticWarning,
    batchnorm_layers,
    dcgan_init_,
    has_spectral_norm,
    warn_if_batchnorm,
)
from audiogan.nn.layers import apply_spectral_norm
from audiogan.nn.musegan import MuseCritic
from audiogan.nn.resnet9 import ResNet9Critic


def test_dcgan_init_statistics() -> None:
    model = nn.Sequential(
        nn.Conv2d(64, 64, 5), nn.BatchNorm2d(4096), nn.Linear(300, 300), nn.Embedding(3, 4)
    )
    emb_before = model[3].weight.clone()
    assert dcgan_init_(model) is model
    for w in (model[0].weight, model[2].weight):
        assert abs(w.mean().item()) < 2e-3
        assert abs(w.std().item() - 0.02) < 1e-3
    assert abs(model[1].weight.mean().item() - 1.0) < 2e-3
    assert abs(model[1].weight.std().item() - 0.02) < 2e-3
    for b in (model[0].bias, model[1].bias, model[2].bias):
        assert torch.count_nonzero(b) == 0
    torch.testing.assert_close(model[3].weight, emb_before)  # embeddings keep their init


def test_dcgan_init_reaches_spectral_normalized_weights() -> None:
    layer = apply_spectral_norm(nn.Linear(400, 400))
    dcgan_init_(layer, std=0.5)
    assert abs(layer.parametrizations.weight.original.std().item() - 0.5) < 0.02
    with pytest.raises(ValueError, match="std"):
        dcgan_init_(layer, std=0.0)


@pytest.mark.parametrize(
    "critic",
    [ConvCritic2d((1, 16, 16), width=4, norm="batch"), ResNet9Critic(1, width=2)],
    ids=["conv2d-batch", "resnet9-default"],
)
def test_warns_on_batchnorm_in_critic(critic: nn.Module) -> None:
    with pytest.warns(BatchNormInCriticWarning, match="breaks the per-sample penalty") as record:
        assert warn_if_batchnorm(critic) is True
    assert type(critic).__name__ in str(record[0].message)
    assert batchnorm_layers(critic)[0] in str(record[0].message)


@pytest.mark.parametrize(
    "critic",
    [
        ConvCritic2d((1, 16, 16), width=4, norm="layer"),
        ResNet9Critic(1, width=2, norm="spectral"),
        MuseCritic(width=4, linear_width=8),
    ],
    ids=["conv2d-layer", "resnet9-spectral", "musecritic"],
)
def test_silent_without_batchnorm(critic: nn.Module) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert warn_if_batchnorm(critic) is False


def test_batchnorm_layers_lists_every_rank_and_sync_bn() -> None:
    model = nn.Sequential(
        nn.BatchNorm1d(2),
        nn.Sequential(nn.BatchNorm3d(2)),
        nn.SyncBatchNorm(2),
        nn.InstanceNorm2d(2),
    )
    assert batchnorm_layers(model) == ["0", "1.0", "2"]
    assert batchnorm_layers(nn.BatchNorm2d(3)) == ["BatchNorm2d"]


def test_batchnorm_layers_lists_lazy_batchnorm() -> None:
    assert batchnorm_layers(nn.Sequential(nn.LazyBatchNorm2d(), nn.GroupNorm(1, 2))) == ["0"]
    dcgan_init_(nn.Sequential(nn.LazyBatchNorm2d()))  # uninitialized weights are left alone


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (lambda: nn.Linear(3, 4), False),
        (lambda: nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Linear(2, 1)), False),
        (lambda: nn.utils.parametrizations.spectral_norm(nn.Linear(3, 4)), True),
        (
            lambda: nn.Sequential(
                nn.Conv2d(1, 2, 3), nn.utils.parametrizations.spectral_norm(nn.Linear(2, 1))
            ),
            True,
        ),
        (lambda: apply_spectral_norm(nn.Sequential(nn.Conv2d(1, 2, 3))), True),
        # spectral norm of another tensor than ``weight``
        (lambda: nn.utils.parametrizations.spectral_norm(nn.Bilinear(2, 2, 3), "weight"), True),
        # other parametrizations are not spectral norm
        (lambda: nn.utils.parametrizations.weight_norm(nn.Linear(3, 4)), False),
        (lambda: nn.utils.parametrizations.orthogonal(nn.Linear(3, 3)), False),
        # the older hook-style API
        (lambda: nn.Sequential(nn.utils.spectral_norm(nn.Linear(3, 4))), True),
        (lambda: nn.utils.spectral_norm(nn.Conv2d(1, 2, 3), name="bias", dim=0), True),
        (lambda: nn.utils.remove_spectral_norm(nn.utils.spectral_norm(nn.Linear(3, 4))), False),
        (lambda: ConvCritic2d((1, 16, 16), width=4, norm="spectral"), True),
        (lambda: ConvCritic2d((1, 16, 16), width=4, norm="layer"), False),
        (lambda: ResNet9Critic(1, width=2, norm="spectral"), True),
    ],
)
def test_has_spectral_norm(build, expected: bool) -> None:
    assert has_spectral_norm(build()) is expected
