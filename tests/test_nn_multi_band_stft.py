"""DAC's / Vocos' multi-band complex-STFT critic: the reference's outputs and size, shapes."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from audiogan.losses.ensemble import as_critic_output
from audiogan.nn import (
    DAC_BANDS,
    BandSTFTCritic,
    CriticEnsemble,
    MultiBandDiscriminator,
    MultiBandSTFTCritic,
    MultiPeriodCritic,
)

sys.path.insert(0, str(Path(__file__).parent))
from vocoder_references import RefDiscriminatorR  # noqa: E402


def count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_bands_and_parameter_count_are_the_references():
    """DAC's bands for a 2048 window: bins 0-102-256-512-768-1025. Per window 471,330 parameters
    while training (470,529 with weight norm folded), 1,413,990 for the three windows."""
    with torch.device("meta"):
        D = MultiBandSTFTCritic()
        refs = [RefDiscriminatorR(w) for w in (2048, 1024, 512)]
    assert D.critics[0].bins == [(0, 102), (102, 256), (256, 512), (512, 768), (768, 1025)]
    assert [list(b) for b in DAC_BANDS] == D.config["bands"]
    assert [count(c) for c in D.critics] == [count(r) for r in refs] == [471_330] * 3
    assert count(D) == 1_413_990
    assert MultiBandDiscriminator is MultiBandSTFTCritic


def test_scores_and_features_equal_vocos_discriminator_r():
    """Vocos' ``DiscriminatorR`` (DAC's MRD with Vocos' framing) with the same weights; Vocos
    leaves each band's first feature map out, audiogan keeps it (as DAC)."""
    torch.manual_seed(0)
    ref = RefDiscriminatorR(256, channels=8)
    ours = BandSTFTCritic(256, width=8)
    ours.load_state_dict({k: v for k, v in ref.state_dict().items() if not k.startswith("spec_")})
    x = torch.randn(2, 1, 3000) * 0.3 + 0.1
    with torch.no_grad():
        scores, features = ours(x)
        ref_scores, ref_features = ref(x.squeeze(1))  # Vocos calls it on (batch, time)
    torch.testing.assert_close(scores, ref_scores.flatten(1), atol=1e-5, rtol=1e-4)
    kept = [f for i, f in enumerate(features[:-1]) if i % 5 != 0] + [features[-1]]
    assert len(features) == 26 and len(kept) == len(ref_features)
    for a, b in zip(kept, ref_features, strict=True):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4)


def test_volume_normalization_makes_scores_gain_invariant():
    torch.manual_seed(1)
    D = MultiBandSTFTCritic(windows=(128, 64), width=4)
    x = torch.randn(2, 1, 1000)
    with torch.no_grad():
        a, b = D(x), D(5.0 * x + 0.3)
    for s, t in zip(a.scores, b.scores, strict=True):
        torch.testing.assert_close(s, t, atol=1e-4, rtol=1e-4)
    plain = MultiBandSTFTCritic(windows=(128,), width=4, normalize=False)
    with torch.no_grad():
        assert not torch.allclose(plain(x).scores[0], plain(5.0 * x).scores[0])


@pytest.mark.parametrize("time", [257, 1000, 4097])
def test_shapes_for_any_length_and_in_an_ensemble(time):
    D = MultiBandSTFTCritic(windows=(512, 256), width=4)
    out = D(torch.randn(3, 1, time))
    frames = [1 + time // (w // 4) for w in (512, 256)]
    for scores, features, n in zip(out.scores, out.features, frames, strict=True):
        assert scores.shape[0] == 3 and features[0].shape[:3] == (3, 4, n)
    both = CriticEnsemble(MultiPeriodCritic(channels=(4, 8)), D)
    merged = as_critic_output(both(torch.randn(3, 1, time)), 3, "ensemble")
    assert len(merged.scores) == 7


def test_gradients_reach_the_input():
    D = MultiBandSTFTCritic(windows=(128,), width=4)
    x = torch.randn(2, 1, 600, requires_grad=True)
    out = D(x)
    (out.scores[0].mean() + sum(f.mean() for f in out.features[0])).backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


def test_rebuild_and_refusals():
    D = MultiBandSTFTCritic(windows=(128,), width=4, norm="spectral")
    assert MultiBandSTFTCritic(**D.config).config == D.config
    with pytest.raises(ValueError, match=r"at least 1025 samples"):
        MultiBandSTFTCritic()(torch.randn(1, 1, 1000))
    with pytest.raises(ValueError, match=r"\(batch, 1, time\)"):
        D(torch.randn(2, 600))
    with pytest.raises(ValueError, match="bands"):
        MultiBandSTFTCritic(bands=((0.5, 0.2),))
    with pytest.raises(ValueError, match="labels|unconditional"):
        D(torch.randn(2, 1, 600), torch.tensor([0, 1]))
