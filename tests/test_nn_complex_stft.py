"""EnCodec's multi-scale complex-STFT critic: the reference's outputs and size, shapes."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from audiogan.nn import (
    ComplexMultiScaleSTFTCritic,
    ComplexSTFTCritic,
    CriticEnsemble,
    MultiBandSTFTCritic,
    MultiScaleSTFTDiscriminator,
    has_weight_norm,
)

sys.path.insert(0, str(Path(__file__).parent))
from vocoder_references import RefDiscriminatorSTFT  # noqa: E402


def count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_parameter_count_equals_encodecs():
    """94,466 parameters per scale with 32 filters (the first conv has no weight norm, as in
    EnCodec), 472,330 for the paper's five scales."""
    with torch.device("meta"):
        D = ComplexMultiScaleSTFTCritic()
        refs = [RefDiscriminatorSTFT(32, n, n // 4, n) for n in (2048, 1024, 512, 256, 128)]
    assert D.config["n_ffts"] == [2048, 1024, 512, 256, 128]
    assert D.config["hop_lengths"] == [512, 256, 128, 64, 32]
    assert [count(c) for c in D.critics] == [count(r) for r in refs] == [94_466] * 5
    assert count(D) == 472_330
    assert not has_weight_norm(D.critics[0].convs[0]) and has_weight_norm(D.critics[0].convs[1])


def test_width_growth_doubles_the_channels_up_to_the_cap():
    """(EnCodec's own code miscounts the second conv's inputs when ``filters_scale > 1``.)"""
    D = ComplexSTFTCritic(128, width=4, width_growth=2, max_width=16)
    assert [c.out_channels for c in D.convs] == [4, 8, 16, 16, 16]
    _, features = D(torch.randn(1, 1, 500))
    assert [f.shape[1] for f in features] == [4, 8, 16, 16, 16]
    assert MultiScaleSTFTDiscriminator is ComplexMultiScaleSTFTCritic


@pytest.mark.parametrize(("n_fft", "hop", "win"), [(256, 64, 256), (128, 32, 96)])
def test_scores_and_features_equal_encodecs(n_fft, hop, win):
    torch.manual_seed(0)
    ref = RefDiscriminatorSTFT(8, n_fft, hop, win)
    ours = ComplexSTFTCritic(n_fft, hop_length=hop, win_length=win, width=8)
    ours.load_state_dict({k: v for k, v in ref.state_dict().items() if not k.startswith("spec_")})
    x = torch.randn(2, 1, 2000)
    with torch.no_grad():
        scores, features = ours(x)
        ref_scores, ref_features = ref(x)
    torch.testing.assert_close(scores, ref_scores.flatten(1), atol=1e-5, rtol=1e-4)
    assert len(features) == len(ref_features) == 5
    for a, b in zip(features, ref_features, strict=True):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("time", [512, 777, 5000])
def test_shapes_for_any_length_and_in_an_ensemble(time):
    D = ComplexMultiScaleSTFTCritic(n_ffts=(512, 128), width=4)
    out = D(torch.randn(2, 1, time))
    for features, n_fft in zip(out.features, (512, 128), strict=True):
        frames = 1 + (time - n_fft) // (n_fft // 4)
        assert features[0].shape == (2, 4, frames, n_fft // 2 + 1)
    both = CriticEnsemble(D, MultiBandSTFTCritic(windows=(256,), width=4))
    assert len(both(torch.randn(2, 1, time)).scores) == 3


def test_gradients_reach_the_input():
    D = ComplexMultiScaleSTFTCritic(n_ffts=(128,), width=4)
    x = torch.randn(2, 1, 600, requires_grad=True)
    D(x).scores[0].mean().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


def test_rebuild_and_refusals():
    D = ComplexMultiScaleSTFTCritic(n_ffts=(128, 64), width=4)
    assert ComplexMultiScaleSTFTCritic(**D.config).config == D.config
    with pytest.raises(ValueError, match="at least 2048 samples"):
        ComplexMultiScaleSTFTCritic()(torch.randn(1, 1, 2000))
    with pytest.raises(ValueError, match="as many hop"):
        ComplexMultiScaleSTFTCritic(n_ffts=(128, 64), hop_lengths=(32,))
    with pytest.raises(ValueError, match="win_length"):
        ComplexSTFTCritic(128, win_length=256)
