"""iSTFTNet: HiFi-GAN's trunk cut short + the iSTFT head; the reference's size and trunk."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from audiogan.nn import HiFiGANGenerator, ISTFTNetGenerator, has_weight_norm

sys.path.insert(0, str(Path(__file__).parent))
from vocoder_references import RefISTFTNetGenerator  # noqa: E402


def count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_c8c8i_has_the_reference_generators_parameter_count():
    """rishikksh20/iSTFTNet-pytorch ``config_v1.json`` (C8C8I): 13,262,244 while training."""
    with torch.device("meta"):
        G = ISTFTNetGenerator()
        ref = RefISTFTNetGenerator()
    assert G.hop == 256 and G.config["upsample_rates"] == [8, 8]
    assert G.config["n_fft"] == 16 and G.config["hop_length"] == 4
    assert count(G) == count(ref) == 13_262_244
    # HiFi-GAN V1 loses its last two stages: smaller, and the same trunk widths
    with torch.device("meta"):
        v1 = HiFiGANGenerator.v1()
    assert count(G) < count(v1)


def test_trunk_and_head_conv_equal_the_reference_with_its_weights():
    """With the reference's weights, the head's conv output equals the reference's ``conv_post``
    output away from the edges (the reference reflect-pads one frame on the left first)."""
    torch.manual_seed(0)
    kw = {
        "upsample_rates": (4, 2),
        "upsample_kernel_sizes": (8, 4),
        "resblock_kernel_sizes": (3, 5),
        "resblock_dilations": ((1, 3), (1, 2)),
    }
    ref = RefISTFTNetGenerator(
        num_mels=10,
        upsample_rates=kw["upsample_rates"],
        upsample_kernel_sizes=kw["upsample_kernel_sizes"],
        upsample_initial_channel=32,
        resblock_kernel_sizes=kw["resblock_kernel_sizes"],
        resblock_dilation_sizes=kw["resblock_dilations"],
        gen_istft_n_fft=16,
    )
    G = ISTFTNetGenerator(10, width=32, n_fft=16, hop_length=4, max_magnitude=None, **kw)
    state = ref.state_dict()
    state = {k.replace("conv_post.", "head.out."): v for k, v in state.items()}
    G.load_state_dict(state)
    mel = torch.randn(2, 10, 6)
    with torch.no_grad():
        spec, phase = ref(mel)  # (B, 9, frames * 8 + 1) each
        features = G.trunk(mel)
        m, p = G.head.out(features).chunk(2, dim=1)  # (B, 9, frames * 8)
    inner = slice(4, features.shape[-1] - 4)
    shifted = slice(5, features.shape[-1] - 3)
    torch.testing.assert_close(m.exp()[..., inner], spec[..., shifted], rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(p.sin()[..., inner], phase[..., shifted], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(("rates", "frames"), [((8, 8), 3), ((4,), 7), ((2, 2), 1)])
def test_output_is_frames_times_hop(rates, frames):
    G = ISTFTNetGenerator(
        8, upsample_rates=rates, width=16, resblock_kernel_sizes=(3,), resblock_dilations=((1,),)
    )
    y = G(torch.randn(2, 8, frames))
    assert G.hop == 4 * torch.tensor(rates).prod().item()
    assert y.shape == (2, 1, frames * G.hop) and torch.isfinite(y).all()


def test_resblock_2_and_weight_norm_removal_keep_outputs():
    torch.manual_seed(1)
    G = ISTFTNetGenerator(
        8,
        upsample_rates=(4,),
        width=16,
        resblock="2",
        resblock_kernel_sizes=(3, 5),
        resblock_dilations=((1, 2), (2, 6)),
    ).eval()
    mel = torch.randn(1, 8, 5)
    with torch.no_grad():
        before = G(mel)
        assert has_weight_norm(G)
        G.remove_weight_norm()
        assert not has_weight_norm(G)
        torch.testing.assert_close(G(mel), before, atol=1e-5, rtol=1e-4)


def test_rebuilds_from_config_and_refuses_bad_arguments():
    G = ISTFTNetGenerator(8, upsample_rates=(4,), width=16)
    assert ISTFTNetGenerator(**G.config).config == G.config
    with pytest.raises(ValueError, match="kernel"):
        ISTFTNetGenerator(8, upsample_rates=(4,), upsample_kernel_sizes=(7,))
    with pytest.raises(ValueError, match=r"\(batch, n_mels, frames\)"):
        G(torch.randn(2, 7, 5))
