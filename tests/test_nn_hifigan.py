"""HiFi-GAN's generator: presets, any hop, weight norm removal, published sizes, rebuild."""

from __future__ import annotations

import doctest
import math

import pytest
import torch

import audiogan.nn.hifigan as hifigan_module
from audiogan.nn import (
    HIFIGAN_PRESETS,
    HiFiGANGenerator,
    ResBlock1,
    ResBlock2,
    has_weight_norm,
    remove_weight_norm,
)


def tiny(**kw) -> HiFiGANGenerator:
    kw.setdefault("n_mels", 8)
    kw.setdefault("width", 16)
    kw.setdefault("resblock_kernel_sizes", (3, 5))
    kw.setdefault("resblock_dilations", ((1, 3), (1, 2)))
    return HiFiGANGenerator(**kw)


@pytest.mark.parametrize("preset", ["v1", "v2", "v3"])
def test_presets_give_hop_256_waveforms(preset):
    G = getattr(HiFiGANGenerator, preset)(n_mels=8, width=16)
    assert G.hop == 256 and G.num_classes == 0
    for key in ("upsample_rates", "upsample_kernel_sizes", "resblock", "resblock_dilations"):
        assert G.config[key] == HIFIGAN_PRESETS[preset][key]
    y = G(torch.randn(2, 8, 3))
    assert y.shape == (2, 1, 3 * 256)
    assert y.abs().max() <= 1


def test_presets_match_the_reference_configs():
    v1, v2, v3 = (HIFIGAN_PRESETS[k] for k in ("v1", "v2", "v3"))
    assert v1["upsample_rates"] == [8, 8, 2, 2] and v1["upsample_kernel_sizes"] == [16, 16, 4, 4]
    assert v1["width"] == 512 and v1["resblock"] == "1"
    assert v1["resblock_kernel_sizes"] == [3, 7, 11] and v1["resblock_dilations"] == [[1, 3, 5]] * 3
    assert {**v2, "width": 512} == v1 and v2["width"] == 128
    assert v3["upsample_rates"] == [8, 8, 4] and v3["upsample_kernel_sizes"] == [16, 16, 8]
    assert v3["width"] == 256 and v3["resblock"] == "2"
    assert v3["resblock_kernel_sizes"] == [3, 5, 7]
    assert v3["resblock_dilations"] == [[1, 2], [2, 6], [3, 12]]


# Table 1 of the paper, in millions: the sizes of the inference model (weights and biases, weight
# norm folded away), truncated to two decimals (V1: 13,926,017 -> 13.92, V2: 925,985 -> 0.92,
# V3: 1,462,273 -> 1.46). While training, weight norm adds one magnitude per output channel of
# each conv (V1: 10,113 more, 13,936,130 in all, which would round to 13.94).
PUBLISHED_M = {"v1": 13.92, "v2": 0.92, "v3": 1.46}


@pytest.mark.parametrize("preset", ["v1", "v2", "v3"])
def test_parameter_counts_match_the_paper(preset):
    G = getattr(HiFiGANGenerator, preset)()  # 80 mels
    training = sum(p.numel() for p in G.parameters())
    magnitudes = sum(
        m.parametrizations.weight.original0.numel()
        for m in G.modules()
        if has_weight_norm(m) and hasattr(m, "parametrizations")
    )
    inference = sum(p.numel() for p in G.remove_weight_norm().parameters())
    assert math.floor(inference / 1e4) / 100 == PUBLISHED_M[preset]
    assert training == inference + magnitudes


@pytest.mark.parametrize(
    ("rates", "kernels"),
    [((3,), None), ((5, 2), None), ((4, 3, 1), None), ((2, 3), (3, 7)), ((2,), (5,))],
)
def test_any_rates_give_frames_times_hop(rates, kernels):
    G = tiny(upsample_rates=rates, upsample_kernel_sizes=kernels)
    assert G.hop == math.prod(rates)
    for frames in (1, 4, 7):
        assert G(torch.randn(2, 8, frames)).shape == (2, 1, frames * G.hop)


def test_default_kernels_are_twice_the_rate():
    assert tiny(upsample_rates=(8, 5, 2)).config["upsample_kernel_sizes"] == [16, 10, 4]
    assert tiny(upsample_rates=(2, 1)).config["upsample_kernel_sizes"] == [4, 3]


@pytest.mark.parametrize("n_mels", [1, 13, 80])
def test_any_n_mels(n_mels):
    G = tiny(n_mels=n_mels, upsample_rates=(2, 2))
    assert G(torch.randn(1, n_mels, 5)).shape == (1, 1, 20)


def test_remove_weight_norm_keeps_outputs():
    G = tiny(upsample_rates=(4, 2)).eval()
    mel = torch.randn(2, 8, 6)
    before = G(mel)
    assert has_weight_norm(G)
    assert G.remove_weight_norm() is G
    assert not has_weight_norm(G)
    assert torch.equal(G(mel), before)  # the folded weights are the very same numbers
    assert remove_weight_norm(G) == 0  # nothing left to remove
    assert not any("parametrizations" in k for k in G.state_dict())


def test_every_conv_is_weight_normed():
    G = tiny(upsample_rates=(2,))
    convs = [m for m in G.modules() if isinstance(m, (torch.nn.Conv1d, torch.nn.ConvTranspose1d))]
    assert convs and all(has_weight_norm(c) for c in convs)


def test_init_draws_the_effective_weights_from_n_0_001():
    G = HiFiGANGenerator(n_mels=8, upsample_rates=(2, 2), width=64)
    G.remove_weight_norm()
    weights = torch.cat([m.weight.flatten() for m in G.resblocks.modules() if hasattr(m, "weight")])
    assert weights.std().item() == pytest.approx(0.01, rel=0.05)
    assert abs(weights.mean().item()) < 1e-3
    default = HiFiGANGenerator(n_mels=8, upsample_rates=(2, 2), width=64, init="default")
    default.remove_weight_norm()
    assert default.resblocks[0].convs1[0].weight.std().item() > 0.02  # PyTorch's init is wider


def test_config_rebuilds_the_generator():
    G = tiny(upsample_rates=(3, 2), upsample_kernel_sizes=(7, 4), resblock="2")
    H = HiFiGANGenerator(**G.config)
    H.load_state_dict(G.state_dict())
    mel = torch.randn(1, 8, 4)
    torch.testing.assert_close(H(mel), G(mel))
    assert H.config == G.config


def test_gradients_reach_every_parameter():
    G = tiny(upsample_rates=(2, 2))
    G(torch.randn(2, 8, 5)).square().mean().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in G.parameters())


@pytest.mark.parametrize("shape", [(2, 9, 4), (2, 8), (2, 1, 8, 4)])
def test_wrong_input_shapes_say_expected_and_got(shape):
    G = tiny(upsample_rates=(2,))
    with pytest.raises(ValueError, match=r"expected shape \(\*, 8, \*\).*got"):
        G(torch.randn(*shape))


def test_labels_are_refused():
    with pytest.raises(ValueError, match="unconditional"):
        tiny(upsample_rates=(2,))(torch.randn(2, 8, 3), torch.tensor([0, 1]))


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"upsample_rates": (4,), "upsample_kernel_sizes": (3,)}, "at least its rate"),
        ({"upsample_rates": (1,), "upsample_kernel_sizes": (2,)}, "odd for a rate of 1"),
        ({"upsample_rates": (2, 2), "upsample_kernel_sizes": (4,)}, "one upsample kernel"),
        ({"upsample_rates": ()}, "positive integers"),
        ({"resblock": "3"}, "resblock"),
        ({"resblock_dilations": ((1,),)}, "one dilation list"),
        ({"resblock_kernel_sizes": (4, 5)}, "odd"),
        ({"init": "xavier"}, "init"),
    ],
)
def test_bad_settings_are_refused(kw, match):
    with pytest.raises(ValueError, match=match):
        tiny(**kw)


def test_resblocks_keep_shape():
    x = torch.randn(2, 4, 17)
    assert ResBlock1(4, 5, (1, 3, 5))(x).shape == x.shape
    assert ResBlock2(4, 3, (1, 2))(x).shape == x.shape
    assert len(ResBlock1(4, 3, (1, 3)).convs1) == 2 and len(ResBlock2(4, 3, (1, 3, 9)).convs) == 3


def test_module_doctests():
    assert doctest.testmod(hifigan_module).failed == 0
