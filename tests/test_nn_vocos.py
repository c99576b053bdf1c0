"""Vocos: the published size, agreement with the reference backbone and head, shapes."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from audiogan.nn import ConvNeXtBlock, VocosGenerator

sys.path.insert(0, str(Path(__file__).parent))
from vocoder_references import RefVocos  # noqa: E402


def count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_published_24khz_config_has_13_5_million_parameters():
    """Vocos' paper and README: 13.5 M parameters for the 24 kHz mel model (configs/vocos.yaml)."""
    with torch.device("meta"):
        G = VocosGenerator()
        ref = RefVocos(100, 512, 1536, 8, 1024, 256)
    assert G.config["n_mels"] == 100 and G.config["width"] == 512
    assert G.config["intermediate_width"] == 1536 and G.config["num_layers"] == 8
    assert G.config["n_fft"] == 1024 and G.hop == 256
    assert count(G) == count(ref) == 13_531_650
    assert round(count(G) / 1e6, 1) == 13.5


def test_outputs_equal_the_reference_with_its_weights():
    torch.manual_seed(0)
    ref = RefVocos(12, 32, 48, 3, 64, 16)
    with torch.no_grad():
        for p in ref.parameters():  # move off the init so that every weight matters
            p.add_(0.05 * torch.randn_like(p))
    state = {k: v for k, v in ref.state_dict().items() if k != "head.istft.window"}
    state["head.out.weight"] = state["head.out.weight"][:, :, None]  # Linear -> 1x1 conv
    G = VocosGenerator(12, width=32, intermediate_width=48, num_layers=3, n_fft=64, hop_length=16)
    G.load_state_dict(state)  # every other key maps by name
    mel = torch.randn(2, 12, 9)
    with torch.no_grad():
        torch.testing.assert_close(G(mel), ref(mel).unsqueeze(1), atol=1e-5, rtol=1e-4)


def test_init_follows_the_reference():
    torch.manual_seed(1)
    G = VocosGenerator(20, width=64, intermediate_width=128, num_layers=4, n_fft=64, hop_length=16)
    block = G.convnext[0]
    torch.testing.assert_close(block.gamma.data, torch.full((64,), 0.25))
    assert block.pwconv1.bias.abs().max() == 0 and G.embed.bias.abs().max() == 0
    weights = torch.cat([b.pwconv1.weight.detach().flatten() for b in G.convnext])
    assert abs(float(weights.std()) - 0.02) < 0.003


@pytest.mark.parametrize("frames", [1, 2, 7, 33])
def test_any_frame_count_gives_frames_times_hop(frames):
    G = VocosGenerator(8, width=16, intermediate_width=32, num_layers=2, n_fft=32, hop_length=8)
    y = G(torch.randn(3, 8, frames))
    assert y.shape == (3, 1, frames * 8) and torch.isfinite(y).all()


def test_center_padding_gives_the_reference_config_length():
    G = VocosGenerator(
        8, width=16, intermediate_width=32, num_layers=1, n_fft=32, hop_length=8, padding="center"
    )
    assert G(torch.randn(2, 8, 10)).shape == (2, 1, 9 * 8)


def test_convnext_block_keeps_shape_and_starts_near_identity():
    block = ConvNeXtBlock(16, intermediate_width=32, layer_scale=1e-6)
    x = torch.randn(2, 16, 11)
    torch.testing.assert_close(block(x), x, atol=1e-4, rtol=0)
    assert ConvNeXtBlock(16, intermediate_width=32, layer_scale=0).gamma is None


def test_wrong_inputs_are_refused():
    G = VocosGenerator(8, width=16, intermediate_width=32, num_layers=1, n_fft=32, hop_length=8)
    with pytest.raises(ValueError, match=r"\(batch, n_mels, frames\)"):
        G(torch.randn(2, 9, 5))
    with pytest.raises(ValueError, match="labels|unconditional"):
        G(torch.randn(2, 8, 5), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="num_layers"):
        VocosGenerator(8, num_layers=0)


def test_rebuilds_from_its_registered_name_and_config():
    from audiogan._build import build_module, class_name

    G = VocosGenerator(8, width=16, intermediate_width=32, num_layers=1, n_fft=32, hop_length=8)
    assert class_name(G) == "VocosGenerator"
    again = build_module("VocosGenerator", G.config)
    assert again.config == G.config
    again.load_state_dict(G.state_dict())
    mel = torch.randn(1, 8, 4)
    with torch.no_grad():
        torch.testing.assert_close(again(mel), G(mel))
