"""Tests of audiogan.losses.stft, .mel and .feature_matching: the waveform-domain GAN losses.

Closed forms, the invariances the definitions imply, agreement with the reference formulas
(ParallelWaveGAN's ``stft_loss.py``, HiFi-GAN's ``meldataset.py`` / ``models.py``) transcribed
here, shapes, gradients, half precision, and a paired Trainer run with all three as
``generator_losses``.
"""

from __future__ import annotations

import doctest
import json
import math
import re

import pytest
import torch
import torch.nn.functional as F
import torchaudio.functional as AF
from torch import nn
from torch.utils.data import DataLoader

from audiogan import FeatureMatchingLoss, MelReconstructionLoss, MultiResolutionSTFTLoss
from audiogan.frontends import LogMel, LogSpectrogram
from audiogan.losses import (
    LeastSquares,
    STFTLoss,
    feature_matching_term,
    log_magnitude_l1,
    spectral_convergence,
)
from audiogan.losses import feature_matching as feature_matching_module
from audiogan.losses import mel as mel_module
from audiogan.losses import stft as stft_module
from audiogan.losses.ensemble import critic_loss_over, generator_loss_over
from audiogan.protocols import CriticOutput
from audiogan.train import Trainer

SMALL = ((64, 16, 32), (128, 32, 64), (32, 8, 16))  # (n_fft, hop_length, win_length)
TIME = 512


def small_losses() -> dict[str, nn.Module]:
    return {
        "stft": STFTLoss(64, 16, 48),
        "multi_resolution": MultiResolutionSTFTLoss(SMALL),
        "mel": MelReconstructionLoss(sample_rate=8000, n_fft=128, hop_length=32, n_mels=16),
    }


NAMES = list(small_losses())


def wave(*shape: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    return 0.5 * torch.randn(*shape, dtype=dtype)


# ----------------------------------------------------------------------------- values


@pytest.mark.parametrize("name", NAMES)
def test_identical_signals_give_zero_and_different_ones_a_positive_finite_loss(name):
    loss = small_losses()[name]
    x, y = wave(3, 1, TIME), wave(3, 1, TIME)
    assert loss(x, x).item() == 0.0
    value = loss(x, y)
    assert value.shape == () and value.dtype == torch.float32
    assert math.isfinite(value.item()) and value.item() > 0


def test_every_waveform_loss_checks_its_pair_and_the_longest_stft():
    from audiogan.losses import MultiScaleMelLoss, STFTLoss, WaveformLoss

    losses = {
        "STFTLoss(n_fft=64, hop_length=16)": STFTLoss(64, 16),
        "MultiResolutionSTFTLoss": MultiResolutionSTFTLoss(((64, 16, 32), (256, 64, 128))),
        "MelReconstructionLoss": MelReconstructionLoss(
            sample_rate=8000, n_fft=128, hop_length=32, n_mels=16
        ),
        "MultiScaleMelLoss": MultiScaleMelLoss(8000, scales=((32, 5), (64, 10))),
    }
    longest = {name: loss.longest_fft for name, loss in losses.items()}
    assert list(longest.values()) == [64, 256, 128, 64]
    for name, loss in losses.items():
        assert isinstance(loss, WaveformLoss) and loss.loss_name == name
        short = torch.zeros(2, 1, longest[name] // 2)
        with pytest.raises(ValueError, match=rf"^{re.escape(name)}: a centred STFT with"):
            loss(short, short)
        with pytest.raises(ValueError, match=rf"^{re.escape(name)}: expected fake and real"):
            loss(torch.zeros(2, 1, 512), torch.zeros(2, 512))
        wave = torch.randn(3, 2, 512, dtype=torch.float64)
        value = loss(wave, wave.flip(-1))
        assert value.dtype == torch.float64 and value.shape == ()
        torch.testing.assert_close(
            value, loss.compare(wave.reshape(6, 512), wave.flip(-1).reshape(6, 512))
        )


def test_feature_matching_of_identical_maps_is_zero():
    maps = [[torch.randn(2, 4, 8), torch.randn(2, 1, 8)], [torch.randn(2, 3, 5)]]
    assert FeatureMatchingLoss()(maps, maps).item() == 0.0


def test_stft_loss_of_a_constant_against_silence_has_a_closed_form():
    """A constant ``c`` through a periodic Hann window of ``n`` points has exactly two non-zero
    bins per frame: DC ``c * n / 2`` and bin 1 ``c * n / 4``; the other ``n / 2 - 1`` bins and
    every bin of silence are clamped to ``s = sqrt(eps)``."""
    n, c, eps = 16, 0.5, 1e-7
    real = torch.full((2, 64), c, dtype=torch.float64)
    fake = torch.zeros_like(real)
    s, bins = math.sqrt(eps), n // 2 + 1
    dc, first = c * n / 2, c * n / 4
    sc = math.hypot(dc - s, first - s) / math.sqrt(dc**2 + first**2 + (bins - 2) * s**2)
    lm = (math.log(dc / s) + math.log(first / s)) / bins
    only_sc = STFTLoss(n, 4, mag_weight=0.0, eps=eps)
    only_lm = STFTLoss(n, 4, sc_weight=0.0, eps=eps)
    assert only_sc(fake, real).item() == pytest.approx(sc, rel=1e-6)
    assert only_lm(fake, real).item() == pytest.approx(lm, rel=1e-6)
    assert STFTLoss(n, 4, eps=eps)(fake, real).item() == pytest.approx(sc + lm, rel=1e-6)


@pytest.mark.parametrize("gain", [0.25, 3.0])
def test_both_stft_terms_are_invariant_under_one_gain_on_both_signals(gain):
    """SC is homogeneous of degree 0; LM compares logs, so a common gain cancels (the eps clamp
    is far below these magnitudes)."""
    x, y = wave(2, TIME, dtype=torch.float64), wave(2, TIME, dtype=torch.float64)
    for kw in ({"mag_weight": 0.0}, {"sc_weight": 0.0}):
        loss = STFTLoss(64, 16, **kw)
        torch.testing.assert_close(loss(gain * x, gain * y), loss(x, y), rtol=1e-7, atol=0)


@pytest.mark.parametrize("a", [0.5, 2.0])
def test_scaling_only_the_fake_gives_sc_one_minus_a_and_lm_log_a(a):
    """Not invariant: ``fake = a * real`` gives ``SC = |1 - a|``, ``LM = |log a|`` at every
    resolution, and HiFi-GAN's log-mel L1 is ``|log a|`` too (mel filters are linear)."""
    real = wave(2, 1, TIME, dtype=torch.float64)
    fake = a * real
    sc = MultiResolutionSTFTLoss(SMALL, mag_weight=0.0)(fake, real).item()
    lm = MultiResolutionSTFTLoss(SMALL, sc_weight=0.0)(fake, real).item()
    assert sc == pytest.approx(abs(1 - a), rel=1e-6)
    assert lm == pytest.approx(abs(math.log(a)), rel=1e-6)
    mel = MelReconstructionLoss(8000, 128, 32, 16).double()(fake, real).item()
    assert mel == pytest.approx(abs(math.log(a)), rel=1e-4)


def test_sc_is_one_ratio_over_the_batch_and_lm_a_mean_over_items():
    """The batch's SC is ``sqrt(sum_i num_i**2) / sqrt(sum_i den_i**2)``, not the mean of the
    items' ratios; LM of equal-length items is the mean of the items' LM."""
    loss = STFTLoss(64, 16)
    fake, real = wave(3, TIME, dtype=torch.float64), wave(3, TIME, dtype=torch.float64)
    fm, rm = loss.magnitude(fake), loss.magnitude(real)
    num = torch.stack([torch.linalg.vector_norm(rm[i] - fm[i]) for i in range(3)])
    den = torch.stack([torch.linalg.vector_norm(rm[i]) for i in range(3)])
    torch.testing.assert_close(spectral_convergence(fm, rm), num.norm() / den.norm())
    assert not torch.allclose(spectral_convergence(fm, rm), (num / den).mean())
    items = torch.stack([log_magnitude_l1(fm[i], rm[i]) for i in range(3)])
    torch.testing.assert_close(log_magnitude_l1(fm, rm), items.mean())


# ------------------------------------------------------------------ reference implementations


def pwg_stft(x, fft_size, hop_size, win_length, window, floor):
    """ParallelWaveGAN's ``stft`` (return_complex=False read through view_as_real)."""
    x_stft = torch.view_as_real(
        torch.stft(x, fft_size, hop_size, win_length, window, return_complex=True)
    )
    real, imag = x_stft[..., 0], x_stft[..., 1]
    return torch.sqrt(torch.clamp(real**2 + imag**2, min=floor)).transpose(2, 1)


def pwg_multi_resolution(x, y, floor=1e-7):
    """ParallelWaveGAN's MultiResolutionSTFTLoss: (sc_loss, mag_loss), each averaged."""
    sc_loss, mag_loss = 0.0, 0.0
    for fs, ss, wl in zip([1024, 2048, 512], [120, 240, 50], [600, 1200, 240], strict=True):
        window = torch.hann_window(wl, dtype=x.dtype)
        x_mag = pwg_stft(x, fs, ss, wl, window, floor)
        y_mag = pwg_stft(y, fs, ss, wl, window, floor)
        sc_loss += torch.norm(y_mag - x_mag, p="fro") / torch.norm(y_mag, p="fro")
        mag_loss += F.l1_loss(torch.log(y_mag), torch.log(x_mag))
    return sc_loss / 3, mag_loss / 3


@pytest.mark.parametrize("floor", [1e-7, 1e-8])  # ParallelWaveGAN's clamp, auraloss's eps
def test_multi_resolution_loss_agrees_with_parallel_wavegan(floor):
    fake, real = wave(2, 3000, dtype=torch.float64), wave(2, 3000, dtype=torch.float64)
    fake[1, :1000] = 0.0  # some silence, where the clamp acts
    sc, mag = pwg_multi_resolution(fake, real, floor)
    ours = MultiResolutionSTFTLoss(eps=floor)
    torch.testing.assert_close(ours(fake, real), sc + mag)
    torch.testing.assert_close(MultiResolutionSTFTLoss(mag_weight=0.0, eps=floor)(fake, real), sc)


def hifigan_mel(y, n_fft, num_mels, sampling_rate, hop_size, win_size, fmin, fmax, pad):
    """HiFi-GAN's ``mel_spectrogram`` with the Slaney filters librosa gives; ``pad`` samples of
    reflect padding each side (HiFi-GAN: ``(n_fft - hop) / 2``; a centred STFT: ``n_fft // 2``)."""
    mel_basis = AF.melscale_fbanks(
        n_fft // 2 + 1, fmin, fmax, num_mels, sampling_rate, "slaney", "slaney"
    ).T.to(y)
    y = F.pad(y.unsqueeze(1), (pad, pad), mode="reflect").squeeze(1)
    spec = torch.view_as_real(
        torch.stft(
            y,
            n_fft,
            hop_length=hop_size,
            win_length=win_size,
            window=torch.hann_window(win_size, dtype=y.dtype),
            center=False,
            return_complex=True,
        )
    )
    spec = torch.sqrt(spec.pow(2).sum(-1) + (1e-9))
    return torch.log(torch.clamp(torch.matmul(mel_basis, spec), min=1e-5))


def test_mel_loss_agrees_with_hifigan_and_keeps_its_factor_outside():
    sr, n_fft, hop, mels = 8000, 128, 32, 16
    fake, real = wave(2, TIME, dtype=torch.float64), wave(2, TIME, dtype=torch.float64)
    ours = MelReconstructionLoss(sr, n_fft, hop, mels, mel_scale="slaney", norm="slaney").double()
    args = (n_fft, mels, sr, hop, n_fft, 0.0, sr / 2)
    centred = F.l1_loss(hifigan_mel(real, *args, n_fft // 2), hifigan_mel(fake, *args, n_fft // 2))
    torch.testing.assert_close(ours(fake, real), centred)  # same definition, centred framing
    shifted = F.l1_loss(
        hifigan_mel(real, *args, (n_fft - hop) // 2), hifigan_mel(fake, *args, (n_fft - hop) // 2)
    )
    assert ours(fake, real).item() == pytest.approx(shifted.item(), rel=0.1)  # HiFi-GAN's frames


def test_mel_loss_from_a_frontend_uses_its_mel_parameters():
    frontend = LogMel(sample_rate=8000, n_fft=128, hop_length=32, n_mels=16, f_min=50.0)
    loss = MelReconstructionLoss.from_frontend(frontend)
    for key in ("sample_rate", "n_fft", "hop_length", "n_mels", "f_min", "f_max"):
        assert loss.config[key] == frontend.config[key]
    torch.testing.assert_close(loss.filterbank, frontend.mel.mel_scale.fb)
    x = wave(2, TIME)
    assert loss.log_mel(x).shape == (2, 16, frontend.frames_for_num_samples(TIME))
    assert MelReconstructionLoss.from_frontend(frontend, clamp_min=1e-3).config["clamp_min"] == 1e-3
    with pytest.raises(ValueError, match=r"log-mel frontend .* LogSpectrogram without \['n_mels'"):
        MelReconstructionLoss.from_frontend(LogSpectrogram(n_fft=128, hop_length=32))


# ----------------------------------------------------------------------------- feature matching


def hifigan_feature_loss(fmap_r, fmap_g):
    loss = 0
    for dr, dg in zip(fmap_r, fmap_g, strict=True):
        for rl, gl in zip(dr, dg, strict=True):
            loss += torch.mean(torch.abs(rl - gl))
    return loss * 2


def test_feature_matching_of_constant_maps_is_the_sum_of_differences():
    values = [[(1.0, 0.0), (3.0, 2.5)], [(-1.0, 1.0)]]  # (real, fake) per sub-critic and layer
    shapes = [[(2, 4, 8), (2, 1, 8)], [(2, 3, 5, 2)]]
    pairs = list(zip(shapes, values, strict=True))
    real = [[torch.full(s, r) for s, (r, _) in zip(ss, vs, strict=True)] for ss, vs in pairs]
    fake = [[torch.full(s, f) for s, (_, f) in zip(ss, vs, strict=True)] for ss, vs in pairs]
    expected = sum(abs(r - f) for vs in values for r, f in vs)
    assert FeatureMatchingLoss()(real, fake).item() == pytest.approx(expected)


def test_feature_matching_is_half_of_hifigans_feature_loss_and_detaches_real():
    real = [[torch.randn(2, 4, 8, requires_grad=True), torch.randn(2, 1, 8)], [torch.randn(2, 3)]]
    fake = [[torch.randn(2, 4, 8, requires_grad=True), torch.randn(2, 1, 8)], [torch.randn(2, 3)]]
    ours = FeatureMatchingLoss()(real, fake)
    torch.testing.assert_close(2 * ours, hifigan_feature_loss(real, fake))
    ours.backward()
    assert real[0][0].grad is None and fake[0][0].grad is not None


def test_feature_matching_names_what_does_not_fit():
    fm = FeatureMatchingLoss()
    a, b = torch.zeros(2, 4, 8), torch.zeros(2, 4, 7)
    with pytest.raises(ValueError, match=r"sub-critic 1, layer 0: .* \(2, 4, 8\), got \(2, 4, 7\)"):
        fm([[a], [a]], [[a], [b]])
    with pytest.raises(ValueError, match=r"sub-critic 0: expected as many .* \(2\), got 1"):
        fm([[a, a]], [[a]])
    with pytest.raises(ValueError, match=r"as many sub-critics .* \(2\), got 1"):
        fm([[a], [a]], [[a]])
    with pytest.raises(ValueError, match="no feature maps"):
        fm([[]], [[]])  # what a plain-score critic gives


# ----------------------------------------------------------------------------- shapes and dtypes


def test_the_channel_axis_is_optional_and_channels_fold_into_the_batch():
    loss = MultiResolutionSTFTLoss(SMALL)
    x, y = wave(2, TIME), wave(2, TIME)
    torch.testing.assert_close(loss(x[:, None], y[:, None]), loss(x, y))
    x2, y2 = wave(2, 3, TIME), wave(2, 3, TIME)
    torch.testing.assert_close(loss(x2, y2), loss(x2.reshape(6, TIME), y2.reshape(6, TIME)))


@pytest.mark.parametrize("name", NAMES)
def test_shapes_and_lengths_that_do_not_fit_are_named(name):
    loss = small_losses()[name]
    with pytest.raises(ValueError, match=r"same shape, got fake \(2, 1, 512\) and real \(2, 512\)"):
        loss(wave(2, 1, TIME), wave(2, TIME))
    with pytest.raises(ValueError, match=r"floating waveform .* got \(512,\)"):
        loss(wave(TIME), wave(TIME))
    with pytest.raises(ValueError, match="floating waveform"):
        loss(torch.zeros(2, TIME, dtype=torch.long), torch.zeros(2, TIME, dtype=torch.long))
    with pytest.raises(
        ValueError, match=r"n_fft // 2 = (32|64) .* needs time > (32|64), got time 20"
    ):
        loss(wave(2, 20), wave(2, 20))


def test_resolutions_and_windows_are_checked_and_config_is_json():
    with pytest.raises(ValueError, match="win_length <= n_fft"):
        STFTLoss(64, 16, 128)
    with pytest.raises(ValueError, match=r"unknown window 'kaiser'"):
        STFTLoss(64, 16, window="kaiser")
    with pytest.raises(ValueError, match="triples"):
        MultiResolutionSTFTLoss([(64, 16)])
    loss = MultiResolutionSTFTLoss(SMALL, window="hamming")
    assert MultiResolutionSTFTLoss(**json.loads(json.dumps(loss.config))).config == loss.config
    assert loss.state_dict() == {}  # windows are non-persistent buffers
    assert loss.double().losses[0].window.dtype == torch.float64
    torch.testing.assert_close(loss.losses[0].window, torch.hamming_window(32, dtype=torch.float64))


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
@pytest.mark.parametrize("name", NAMES)
def test_half_precision_inputs_under_autocast_give_finite_float32_losses(name, dtype):
    loss = small_losses()[name]
    x, y = wave(2, 1, TIME), wave(2, 1, TIME)
    expected = loss(x, y)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        value = loss(x.to(dtype), y.to(dtype))
    assert value.dtype == torch.float32 and torch.isfinite(value)
    torch.testing.assert_close(value, expected, rtol=0.05, atol=0.0)
    maps = [[torch.randn(2, 4, 8, dtype=dtype)]], [[torch.randn(2, 4, 8, dtype=dtype)]]
    assert FeatureMatchingLoss()(*maps).dtype == torch.float32


@pytest.mark.cuda
@pytest.mark.parametrize("name", NAMES)
def test_fp16_autocast_on_cuda_gives_a_float32_loss(name):
    loss = small_losses()[name].cuda()
    x, y = wave(2, 1, TIME).cuda(), wave(2, 1, TIME).cuda()
    expected = loss(x, y)
    with torch.autocast("cuda", dtype=torch.float16):
        value = loss(x.half(), y.half())
    assert value.dtype == torch.float32
    torch.testing.assert_close(value, expected, rtol=0.02, atol=0.0)


# ----------------------------------------------------------------------------- gradients


class TinyGenerator(nn.Module):
    """``inputs (batch, 2, time / 2) -> (batch, 1, time)``: a paired (vocoder-like) generator."""

    def __init__(self) -> None:
        super().__init__()
        self.up = nn.ConvTranspose1d(2, 4, kernel_size=2, stride=2)
        self.out = nn.Conv1d(4, 1, kernel_size=3, padding=1)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.out(F.leaky_relu(self.up(inputs), 0.1)))


def inputs_of(real: torch.Tensor) -> torch.Tensor:
    """``(batch, 1, time) -> (batch, 2, time / 2)``: even and odd samples."""
    return real.reshape(real.shape[0], -1, 2).transpose(1, 2).contiguous()


@pytest.mark.parametrize("name", NAMES)
def test_gradients_reach_the_generator(name):
    loss, generator = small_losses()[name], TinyGenerator()
    real = wave(2, 1, TIME)
    loss(generator(inputs_of(real)), real).backward()
    for p in generator.parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0


def test_gradients_reach_the_generator_through_feature_matching():
    generator, critic = TinyGenerator(), TwoScaleCritic()
    real = wave(2, 1, TIME)
    fake_out, real_out = critic(generator(inputs_of(real))), critic(real)
    FeatureMatchingLoss()(real_out.features, fake_out.features).backward()
    for p in generator.parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0


def test_gradcheck_in_float64():
    fake = torch.randn(1, 48, dtype=torch.float64, requires_grad=True)
    real = torch.randn(1, 48, dtype=torch.float64)
    stft = STFTLoss(16, 4, 12)
    mel = MelReconstructionLoss(800, 16, 4, 4).double()
    assert torch.autograd.gradcheck(lambda f: stft(f, real), (fake,))
    assert torch.autograd.gradcheck(lambda f: mel(f, real), (fake,))


# ----------------------------------------------------------------------------- ensembles and Trainer


def test_least_squares_over_an_ensemble_is_hifigans_discriminator_and_generator_loss():
    """Constant patch scores ``r_k`` / ``f_k`` per sub-critic: HiFi-GAN's discriminator_loss is
    ``sum_k (1 - r_k)**2 + f_k**2`` and its generator_loss ``sum_k (1 - f_k)**2``."""
    r, f = [0.5, 2.0, -1.0], [0.25, 1.0, 3.0]
    shapes = [(2, 7), (2, 3, 4), (2,)]
    real = CriticOutput([torch.full(s, v) for s, v in zip(shapes, r, strict=True)], [[]] * 3)
    fake = CriticOutput([torch.full(s, v) for s, v in zip(shapes, f, strict=True)], [[]] * 3)
    d = sum((1 - a) ** 2 + b**2 for a, b in zip(r, f, strict=True))
    g = sum((1 - b) ** 2 for b in f)
    assert critic_loss_over(LeastSquares(), real, fake).item() == pytest.approx(d)
    assert generator_loss_over(LeastSquares(), fake).item() == pytest.approx(g)


class SubCritic(nn.Module):
    def __init__(self, pool: int) -> None:
        super().__init__()
        self.pool = pool
        self.conv = nn.Conv1d(1, 4, kernel_size=5, stride=2, padding=2)
        self.out = nn.Conv1d(4, 1, kernel_size=3, padding=1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        x = F.avg_pool1d(x, self.pool) if self.pool > 1 else x
        h = F.leaky_relu(self.conv(x), 0.1)
        score = self.out(h)  # (batch, 1, frames): patch scores
        return score.flatten(1), [h, score]


class TwoScaleCritic(nn.Module):
    """HiFi-GAN's multi-scale idea: the waveform and a 2x average-pooled copy."""

    def __init__(self) -> None:
        super().__init__()
        self.subs = nn.ModuleList([SubCritic(1), SubCritic(2)])

    def forward(self, x: torch.Tensor) -> CriticOutput:
        outs = [sub(x) for sub in self.subs]
        return CriticOutput([s for s, _ in outs], [f for _, f in outs])


def test_a_paired_trainer_run_logs_each_term(tmp_path):
    mel = MelReconstructionLoss.from_frontend(LogMel(8000, n_fft=128, hop_length=32, n_mels=16))
    stft = MultiResolutionSTFTLoss(SMALL)
    trainer = Trainer(
        TinyGenerator(),
        TwoScaleCritic(),
        LeastSquares(),
        out_dir=tmp_path,
        device="cpu",
        generator_input=inputs_of,
        generator_losses={
            "mel": (45.0, lambda s: mel(s.fake, s.real)),
            "feature_matching": (2.0, feature_matching_term()),
            "stft": (1.0, lambda s: stft(s.fake, s.real)),
        },
    )
    trainer.fit(DataLoader(wave(4, 1, TIME), batch_size=2), steps=2)
    assert len(trainer.history) == 2
    for row in trainer.history:
        for name in ("mel", "feature_matching", "stft", "generator_loss", "critic_loss"):
            assert math.isfinite(row[name]) and row[name] >= 0, (name, row)


@pytest.mark.parametrize("module", [stft_module, mel_module, feature_matching_module])
def test_module_doctests(module):
    result = doctest.testmod(module, extraglobs={"torch": torch}, verbose=False)
    assert result.attempted > 0 and result.failed == 0
