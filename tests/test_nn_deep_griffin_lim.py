"""DeepGriffinLimGenerator: untrained it is torchaudio's fast Griffin-Lim from the pseudo-inverse
magnitude (and LogMel's Griffin-Lim decode); shapes, frame alignment, gradients, rebuilding."""

from __future__ import annotations

import pytest
import torch
import torchaudio.functional as AF

from audiogan.frontends import LogMel
from audiogan.frontends.logmel import unit_to_power
from audiogan.nn import DeepGriffinLimGenerator, mel_pseudo_inverse

# A small log-mel: 16 kHz, n_fft 256, hop 64, 24 mels.
MEL = {"sample_rate": 16000, "n_fft": 256, "hop_length": 64, "n_mels": 24}
SMALL = {"width": 4, "magnitude_width": 8, "magnitude_layers": 1}


def generator(**kwargs: object) -> DeepGriffinLimGenerator:
    settings = {"n_fft": 256, "hop_length": 64, **SMALL, **kwargs}
    return DeepGriffinLimGenerator(24, **settings)


def features(batch: int = 2, num_samples: int = 4096) -> torch.Tensor:
    """Log-mels ``(batch, 24, frames)`` of chirps plus a little noise."""
    torch.manual_seed(0)
    t = torch.arange(num_samples) / 16000
    f0 = torch.linspace(200.0, 800.0, batch)[:, None]
    wave = 0.5 * torch.sin(2 * torch.pi * f0 * t * (1 + 2 * t)) + 0.01 * torch.randn(
        batch, num_samples
    )
    return LogMel(**MEL).encode(wave)[:, 0]


def perturb(G: DeepGriffinLimGenerator, std: float = 0.05) -> None:
    """Move both zero-initialised output layers off zero, so that every weight matters."""
    with torch.no_grad():
        for p in (G.phase.net[-1].weight, G.magnitude.out.weight):
            p.normal_(0.0, std)


@pytest.mark.parametrize("momentum", [0.0, 0.99])
def test_untrained_equals_torchaudio_griffin_lim_from_the_pseudo_inverse(momentum: float) -> None:
    """Both output layers start at zero: the model is K iterations of (fast) Griffin-Lim, and
    its magnitude is sqrt(relu(pinv(fb.T) @ mel power)). In float64 the two agree to rounding."""
    G = generator(num_iters=6, dnn_iters=3, momentum=momentum).double()
    mel = features().double()
    fb = AF.melscale_fbanks(129, 0.0, 8000.0, 24, 16000).double()
    power = unit_to_power(mel, G.ref)
    magnitude = torch.relu(torch.linalg.pinv(fb.T) @ power).sqrt()
    with torch.no_grad():  # the filterbank's inverse is kept in float32: its rounding
        torch.testing.assert_close(G.initial_magnitude(mel), magnitude, atol=1e-4, rtol=1e-4)
        start = G.initial_magnitude(mel)
        torch.testing.assert_close(G.estimate_magnitude(mel), start, atol=0.0, rtol=0.0)
        wave = G(mel)[:, 0]
    window = G.window  # float32's periodic Hann window, in float64
    expected = AF.griffinlim(start, window, 256, 64, 256, 1.0, 6, momentum, None, False)
    torch.testing.assert_close(wave, expected, atol=1e-9, rtol=1e-9)


def test_untrained_equals_logmel_griffin_lim_decode() -> None:
    """LogMel(griffin_lim_iters=K).decode (InverseMelScale's least squares, then GriffinLim with
    momentum 0.99) gives the same waveform: the recipe's frame alignment is Griffin-Lim's."""
    mel = features().double()
    G = generator(num_iters=8, dnn_iters=2).double()
    fe = LogMel(**MEL, griffin_lim_iters=8).double()
    with torch.no_grad():
        ours, theirs = G(mel)[:, 0], fe.decode(mel[:, None])
    assert ours.shape == theirs.shape == (2, (mel.shape[-1] - 1) * 64)
    assert theirs.abs().max() > 0.3  # 1e-4 is rounding: the inverse filterbank kept in float32
    torch.testing.assert_close(ours, theirs, atol=1e-4, rtol=0.0)


def test_pseudo_inverse_is_the_least_squares_minimum_norm_solution() -> None:
    fb = AF.melscale_fbanks(129, 0.0, 8000.0, 24, 16000)
    pinv = mel_pseudo_inverse(fb)
    assert pinv.shape == (129, 24) and pinv.dtype == fb.dtype
    mel = torch.rand(24, 5, dtype=torch.float64)
    lstsq = torch.linalg.lstsq(fb.double().T, mel, driver="gelsd").solution
    torch.testing.assert_close(pinv.double() @ mel, lstsq, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(fb.T @ (pinv @ mel.float()), mel.float(), atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("frames", [4, 5, 17])
def test_frames_give_frames_minus_one_hops(frames: int) -> None:
    G = generator(num_iters=3, dnn_iters=1)
    perturb(G)
    y = G(torch.rand(3, 24, frames) * 2 - 1)
    assert y.shape == (3, 1, (frames - 1) * 64) and torch.isfinite(y).all()
    assert G.hop == 64 and G.n_mels == 24 and G.centred


def test_gradients_reach_every_parameter() -> None:
    G = generator(num_iters=4, dnn_iters=2)
    perturb(G)
    G(features()).square().mean().backward()
    for name, p in G.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, name


def test_the_network_changes_the_output_only_where_it_runs() -> None:
    """dnn_iters=0 is plain Griffin-Lim whatever the phase network's weights; with dnn_iters > 0
    a nonzero phase network moves the waveform; the magnitude network scales the magnitude."""
    mel = features()
    plain, learned = generator(num_iters=4, dnn_iters=0), generator(num_iters=4, dnn_iters=2)
    learned.load_state_dict(plain.state_dict())
    with torch.no_grad():
        reference = plain(mel)
        plain.phase.net[-1].weight.normal_(0.0, 0.05)
        learned.phase.net[-1].weight.copy_(plain.phase.net[-1].weight)
        torch.testing.assert_close(plain(mel), reference)
        assert (learned(mel) - reference).abs().max() > 1e-3
        plain.magnitude.out.bias.fill_(0.5)
        ratio = plain.estimate_magnitude(mel) / plain.initial_magnitude(mel).clamp_min(1e-12)
        kept = plain.initial_magnitude(mel) > 0
        torch.testing.assert_close(ratio[kept], torch.full_like(ratio[kept], 0.5).exp())


def test_wrong_inputs_and_settings_are_refused() -> None:
    G = generator(num_iters=2, dnn_iters=1)
    with pytest.raises(ValueError, match=r"\(batch, n_mels, frames\)"):
        G(torch.zeros(2, 23, 5))
    with pytest.raises(ValueError, match=r"\(frames - 1\) \* hop_length > n_fft // 2 = 128"):
        G(torch.zeros(2, 24, 3))  # 128 samples: the STFT's reflect padding needs more
    with pytest.raises(ValueError, match="labels|unconditional"):
        G(torch.zeros(2, 24, 5), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="dnn_iters"):
        generator(num_iters=2, dnn_iters=3)
    with pytest.raises(ValueError, match="momentum"):
        generator(momentum=1.0)


def test_rebuilds_from_its_registered_name_and_config() -> None:
    from audiogan._build import build_module, class_name

    G = generator(num_iters=3, dnn_iters=1)
    perturb(G)
    assert class_name(G) == "DeepGriffinLimGenerator"
    assert not any(k.endswith(("pinv", "window")) for k in G.state_dict())  # rebuilt from config
    again = build_module("DeepGriffinLimGenerator", G.config)
    assert again.config == G.config
    again.load_state_dict(G.state_dict())
    mel = features(1)
    with torch.no_grad():
        torch.testing.assert_close(again(mel), G(mel))


def test_magnitude_loss_is_the_log_magnitude_l1_and_trains_the_magnitude_only() -> None:
    """L1 of log(estimate + floor) - log(|STFT(real)| + floor), floor the amplitude of the dB
    floor (-80 dB re a full-scale sine: 64 * 1e-4 at n_fft 256); its gradient reaches the
    magnitude network and not DeGLI's network."""
    torch.manual_seed(0)
    real = 0.3 * torch.randn(2, 1, 15 * 64)
    mel = LogMel(**MEL).encode(real[:, 0])[:, 0]  # (2, 24, 16): 16 centred frames
    G = generator(num_iters=2, dnn_iters=1)
    perturb(G)
    loss = G.magnitude_loss(mel, real)
    true = torch.stft(real[:, 0], 256, 64, window=torch.hann_window(256), return_complex=True)
    floor = 64 * 1e-4
    expected = (G.estimate_magnitude(mel) + floor).log() - (true.abs() + floor).log()
    torch.testing.assert_close(loss, expected.abs().mean())
    loss.backward()
    assert G.magnitude.out.weight.grad.abs().sum() > 0
    assert all(p.grad is None for p in G.phase.parameters())
    with pytest.raises(ValueError, match=r"\(batch, 1, num_samples\)"):
        G.magnitude_loss(mel, real[:, 0])
