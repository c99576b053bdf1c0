"""Norm/activation resolution by name or class, and spectral normalization."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from audiogan.nn.layers import (
    apply_spectral_norm,
    has_bias_free_norm,
    make_activation,
    make_norm,
    resolve_activation,
    resolve_norm,
    weight_of,
)


@pytest.mark.parametrize(
    ("norm", "dims", "cls"),
    [
        ("batch", 1, nn.BatchNorm1d),
        ("batch", 2, nn.BatchNorm2d),
        ("BN", 3, nn.BatchNorm3d),
        ("instance", 2, nn.InstanceNorm2d),
        ("in", 3, nn.InstanceNorm3d),
        ("layer", 2, nn.GroupNorm),
        ("spectral", 2, nn.Identity),
        ("none", 2, nn.Identity),
        (None, 2, nn.Identity),
    ],
)
def test_make_norm_by_name(norm: str | None, dims: int, cls: type[nn.Module]) -> None:
    layer = make_norm(norm, 6, dims)
    assert type(layer) is cls


def test_layer_norm_normalizes_each_sample_over_all_non_batch_dims() -> None:
    x = torch.randn(3, 4, 5, 6) * torch.tensor([1.0, 5.0, 0.1])[:, None, None, None] + 7
    y = make_norm("layer", 4)(x)
    torch.testing.assert_close(y.mean(dim=(1, 2, 3)), torch.zeros(3), atol=1e-5, rtol=0)
    v = x.var(dim=(1, 2, 3), unbiased=False)
    expected = v / (v + 1e-5)  # GroupNorm's eps
    torch.testing.assert_close(y.var(dim=(1, 2, 3), unbiased=False), expected, atol=1e-5, rtol=1e-4)


def test_instance_norm_is_affine() -> None:
    layer = make_norm("instance", 4)
    assert layer.affine and layer.weight.shape == (4,)


def test_classes_resolve_to_names_and_custom_classes_pass_through() -> None:
    class MyNorm(nn.Module):
        def __init__(self, c: int) -> None:
            super().__init__()
            self.c = c

    assert resolve_norm(nn.BatchNorm2d) == "batch"
    assert resolve_norm(nn.InstanceNorm1d) == "instance"
    assert resolve_norm(MyNorm) is MyNorm
    assert make_norm(MyNorm, 5).c == 5
    assert resolve_activation(nn.ReLU) == "relu"
    assert resolve_activation(nn.Hardswish) is nn.Hardswish
    assert isinstance(make_activation(nn.Hardswish), nn.Hardswish)


def test_activations_by_name() -> None:
    assert isinstance(make_activation("relu"), nn.ReLU)
    leaky = make_activation("LeakyReLU")
    assert isinstance(leaky, nn.LeakyReLU) and leaky.negative_slope == 0.2
    assert isinstance(make_activation(None), nn.Identity)
    assert isinstance(make_activation("swish"), nn.SiLU)
    assert make_activation("relu") is not make_activation("relu")


def test_errors_name_the_argument() -> None:
    with pytest.raises(ValueError, match="generator norm: unknown or unsupported norm 'fancy'"):
        resolve_norm("fancy", name="generator norm")
    with pytest.raises(ValueError, match="unsupported norm 'spectral'"):
        resolve_norm("spectral", allowed=("batch", "none"))
    with pytest.raises(ValueError, match="act: unknown activation 'relu6x'"):
        resolve_activation("relu6x", name="act")
    with pytest.raises(ValueError, match="nn.Module class"):
        resolve_norm(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="dims"):
        make_norm("batch", 4, dims=4)


def test_bias_free_norms() -> None:
    assert (
        has_bias_free_norm("batch")
        and has_bias_free_norm("layer")
        and has_bias_free_norm("instance")
    )
    assert not has_bias_free_norm("none") and not has_bias_free_norm("spectral")


def test_spectral_norm_makes_the_largest_singular_value_one() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(2, 3, 3), nn.Linear(5, 4))
    with torch.no_grad():
        model[1].weight.mul_(10)
    apply_spectral_norm(model)
    apply_spectral_norm(model)  # idempotent: no double wrapping
    assert len(model[1].parametrizations.weight) == 1
    for _ in range(30):  # power iterations run in training-mode forwards
        model[1](torch.randn(2, 5))
    sigma = torch.linalg.matrix_norm(model[1].weight.detach(), ord=2)
    torch.testing.assert_close(sigma, torch.tensor(1.0), atol=1e-3, rtol=0)
    assert weight_of(model[1]) is model[1].parametrizations.weight.original
    assert weight_of(nn.Linear(2, 2)).shape == (2, 2)
