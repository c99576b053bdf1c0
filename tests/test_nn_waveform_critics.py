"""Waveform critics (MPD, MSD, MRD), their ensemble, and a HiFi-GAN run in the Trainer."""

from __future__ import annotations

import doctest
import math

import pytest
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

import audiogan.nn.critic_ensemble
import audiogan.nn.multi_period
import audiogan.nn.multi_resolution
import audiogan.nn.multi_scale
from audiogan.frontends import LogMel
from audiogan.losses import LeastSquares
from audiogan.nn import (
    CriticEnsemble,
    HiFiGANGenerator,
    MultiPeriodCritic,
    MultiResolutionSTFTCritic,
    MultiScaleCritic,
    PeriodCritic,
    has_spectral_norm,
    has_weight_norm,
)
from audiogan.protocols import CriticOutput
from audiogan.train import Trainer


def mpd(**kw) -> MultiPeriodCritic:
    return MultiPeriodCritic(channels=(4, 8, 8), **kw)


def msd(**kw) -> MultiScaleCritic:
    return MultiScaleCritic(channels=(4,) * 7, groups=(1, 2, 4, 4, 4, 4, 1), **kw)


def mrd(**kw) -> MultiResolutionSTFTCritic:
    return MultiResolutionSTFTCritic(
        ((64, 16, 32), (128, 32, 64), (32, 8, 16)), channels=(4, 4, 4), **kw
    )


CRITICS = {"mpd": (mpd, 5, 4), "msd": (msd, 3, 8), "mrd": (mrd, 3, 4)}  # (make, subs, maps)


@pytest.mark.parametrize("name", list(CRITICS))
@pytest.mark.parametrize("length", [257, 1001, 1023])
def test_odd_lengths_give_batch_first_lists(name, length):
    make, subs, maps = CRITICS[name]
    D = make()
    out = D(torch.randn(3, 1, length))
    assert isinstance(out, CriticOutput) and D.num_classes == 0
    assert len(out.scores) == len(out.features) == subs
    for scores, features in zip(out.scores, out.features, strict=True):
        assert scores.dim() == 2 and scores.shape[0] == 3 and torch.isfinite(scores).all()
        assert len(features) == maps
        assert all(f.shape[0] == 3 for f in features)
        assert features[-1].flatten(1).shape == scores.shape  # the last map holds the scores


@pytest.mark.parametrize("name", list(CRITICS))
def test_each_sample_is_scored_alone(name):
    """Batched scores equal item-by-item scores: no batch statistics (safe for a penalty)."""
    D = CRITICS[name][0]()
    x = torch.randn(3, 1, 600)
    batched = D(x).scores
    for i in range(3):
        for whole, alone in zip(batched, D(x[i : i + 1]).scores, strict=True):
            torch.testing.assert_close(whole[i : i + 1], alone, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", list(CRITICS))
def test_gradients_reach_the_generator(name):
    G = HiFiGANGenerator(n_mels=4, upsample_rates=(4, 4), width=8)
    D = CRITICS[name][0]()
    out = D(G(torch.randn(2, 4, 20)))  # (2, 1, 320)
    sum(s.square().mean() for s in out.scores).backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in G.parameters())


@pytest.mark.parametrize("name", list(CRITICS))
def test_config_rebuilds_the_critic(name):
    D = CRITICS[name][0]()
    E = type(D)(**D.config)
    E.load_state_dict(D.state_dict())
    x = torch.randn(2, 1, 700)
    for a, b in zip(D(x).scores, E(x).scores, strict=True):
        torch.testing.assert_close(a, b)


@pytest.mark.parametrize("name", list(CRITICS))
def test_inputs_are_checked(name):
    D = CRITICS[name][0]()
    with pytest.raises(
        ValueError, match=r"expected a waveform of shape \(batch, 1, time\).*unsqueeze"
    ):
        D(torch.randn(2, 700))
    with pytest.raises(ValueError, match=r"\(batch, 1, time\), got \(2, 2, 700\)"):
        D(torch.randn(2, 2, 700))
    with pytest.raises(ValueError, match="unconditional"):
        D(torch.randn(2, 1, 700), torch.tensor([0, 1]))


def test_period_critic_folds_after_reflect_padding():
    d = PeriodCritic(3, channels=(2, 2))
    x = torch.randn(1, 1, 10)
    padded = F.pad(x, (0, 2), mode="reflect")  # 12 = 4 x 3
    torch.testing.assert_close(d(x)[0], d(padded)[0])
    assert d(x)[1][0].shape[-1] == 3  # the period is the last axis
    with pytest.raises(ValueError, match="at least 3 samples"):
        d(torch.randn(1, 1, 2))


def test_norm_choices():
    assert has_weight_norm(mpd()) and not has_spectral_norm(mpd())
    assert has_spectral_norm(mpd(norm="spectral")) and not has_weight_norm(mpd(norm="spectral"))
    D = msd()  # HiFi-GAN: spectral norm on the raw scale, weight norm on the pooled ones
    assert has_spectral_norm(D.critics[0]) and not has_weight_norm(D.critics[0])
    assert all(has_weight_norm(d) and not has_spectral_norm(d) for d in D.critics[1:])
    assert not has_weight_norm(mrd(norm="none")) and has_weight_norm(mrd())
    with pytest.raises(ValueError, match="norm"):
        mpd(norm="batch")


def test_scales_see_pooled_waveforms():
    D = msd()
    out = D(torch.randn(1, 1, 1000))
    lengths = [f[0].shape[-1] for f in out.features]
    assert lengths == [1000, 501, 251]  # AvgPool1d(4, 2, padding=2): T // 2 + 1


def test_reference_widths_and_groups_are_the_defaults():
    D = MultiScaleCritic(scales=1)
    convs = D.critics[0].convs
    assert [c.out_channels for c in convs] == [128, 128, 256, 512, 1024, 1024, 1024]
    assert [c.groups for c in convs] == [1, 4, 16, 16, 16, 16, 1]
    assert [c.kernel_size[0] for c in convs] == [15, 41, 41, 41, 41, 41, 5]
    P = MultiPeriodCritic(periods=(2,)).critics[0]
    assert [c.out_channels for c in P.convs] == [32, 128, 512, 1024, 1024]
    assert [c.stride for c in P.convs] == [(3, 1)] * 4 + [(1, 1)]
    with pytest.raises(ValueError, match="groups must divide"):
        MultiScaleCritic(channels=(4,) * 7)


def test_stft_resolutions_and_short_inputs():
    D = MultiResolutionSTFTCritic()
    assert D.config["resolutions"] == [[1024, 120, 600], [2048, 240, 1200], [512, 50, 240]]
    assert D.min_length == 905  # reflect padding of (2048 - 240) / 2 needs more samples
    small = mrd()
    spec = small.critics[0].spectrogram(torch.randn(2, 1, 1000))
    assert spec.shape == (2, 1, 33, 1000 // 16)  # n_fft // 2 + 1 bins, time / hop frames
    with pytest.raises(ValueError, match="at least"):
        small(torch.randn(2, 1, 40))


def test_spectrogram_of_silence_has_finite_gradients():
    D = mrd()
    x = torch.zeros(1, 1, 500, requires_grad=True)
    sum(s.sum() for s in D(x).scores).backward()
    assert torch.isfinite(x.grad).all()


def test_ensemble_concatenates_members():
    a, b = mpd(), msd()
    D = CriticEnsemble(a, b)
    x = torch.randn(2, 1, 800)
    out, out_a, out_b = D(x), a(x), b(x)
    assert len(out.scores) == len(out.features) == 8 and D.num_classes == 0
    for got, want in zip(out.scores, out_a.scores + out_b.scores, strict=True):
        torch.testing.assert_close(got, want)
    rebuilt = CriticEnsemble(**D.config)
    rebuilt.load_state_dict(D.state_dict())
    torch.testing.assert_close(rebuilt(x).scores[-1], out.scores[-1])
    with pytest.raises(ValueError, match="at least one"):
        CriticEnsemble()


def feature_matching(step) -> torch.Tensor:
    """HiFi-GAN's feature loss: L1 between the critic's maps on real and generated audio."""
    real, fake = step.real_output.features, step.fake_output.features
    return sum(
        F.l1_loss(f, r.detach())
        for rs, fs in zip(real, fake, strict=True)
        for r, f in zip(rs, fs, strict=True)
    )


def test_hifigan_trains_two_steps_in_the_trainer(tmp_path):
    hop, frames = 16, 16
    fe = LogMel(sample_rate=8000, n_fft=64, hop_length=hop, n_mels=8, frames=frames)
    mel = lambda real: fe.encode(real.squeeze(1)).squeeze(1)  # noqa: E731  (batch, 8, frames)
    t = torch.arange(hop * frames) / 8000
    waves = torch.stack([0.5 * torch.sin(2 * math.pi * f * t) for f in (220, 330, 440, 550)])
    G = HiFiGANGenerator(n_mels=8, upsample_rates=(4, 4), width=8)
    D = CriticEnsemble(mpd(), msd())
    trainer = Trainer(
        G,
        D,
        LeastSquares(),
        generator_input=mel,
        generator_losses={"feature_matching": (2.0, feature_matching)},
        betas=(0.8, 0.99),
        out_dir=tmp_path,
        device="cpu",
    )
    trainer.fit(DataLoader(waves[:, None], batch_size=2), steps=2)
    assert len(trainer.history) == 2
    for row in trainer.history:
        for key in ("critic_loss", "generator_loss", "feature_matching"):
            assert math.isfinite(row[key])


@pytest.mark.parametrize(
    "module",
    [
        audiogan.nn.multi_period,
        audiogan.nn.multi_scale,
        audiogan.nn.multi_resolution,
        audiogan.nn.critic_ensemble,
    ],
)
def test_module_doctests(module):
    assert doctest.testmod(module).failed == 0
