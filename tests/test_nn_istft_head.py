"""The inverse-STFT head: exact inversion, agreement with torch.istft and Vocos' head, shapes."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from audiogan.nn import ISTFTHead, istft_same

sys.path.insert(0, str(Path(__file__).parent))
from vocoder_references import VocosISTFTHead  # noqa: E402


def same_stft(x: torch.Tensor, n_fft: int, hop: int) -> torch.Tensor:
    """The STFT whose frames ``istft_same`` overlap-adds: frame ``t`` starts at ``t * hop - pad``."""
    pad = (n_fft - hop) // 2
    x = F.pad(x, (pad, pad))
    window = torch.hann_window(n_fft, dtype=x.dtype)
    return torch.stft(x, n_fft, hop, window=window, center=False, return_complex=True)


@pytest.mark.parametrize(("n_fft", "hop"), [(1024, 256), (16, 4), (64, 32), (30, 10)])
def test_istft_same_inverts_the_same_framed_stft_exactly(n_fft, hop):
    torch.manual_seed(0)
    frames = 9
    x = torch.randn(3, frames * hop, dtype=torch.float64)
    y = istft_same(
        same_stft(x, n_fft, hop), n_fft, hop, torch.hann_window(n_fft, dtype=torch.float64)
    )
    assert y.shape == x.shape
    torch.testing.assert_close(y, x, atol=1e-10, rtol=0)


@pytest.mark.parametrize(("n_fft", "hop"), [(1024, 256), (16, 4), (64, 16)])
def test_istft_same_is_torch_istft_shifted_by_half_a_hop(n_fft, hop):
    """Away from the edges "same" framing is :func:`torch.istft` (centred) moved by hop / 2."""
    torch.manual_seed(1)
    frames = 12
    spec = torch.randn(2, n_fft // 2 + 1, frames, dtype=torch.complex128)
    window = torch.hann_window(n_fft, dtype=torch.float64)
    same = istft_same(spec, n_fft, hop, window)
    center = torch.istft(spec, n_fft, hop, n_fft, window, center=True)
    assert same.shape[-1] == frames * hop and center.shape[-1] == (frames - 1) * hop
    torch.testing.assert_close(same[:, hop // 2 : hop // 2 + center.shape[-1]], center)


def test_head_equals_vocos_head_with_the_same_weights():
    torch.manual_seed(2)
    ref = VocosISTFTHead(24, 64, 16)
    head = ISTFTHead(24, n_fft=64, hop_length=16)
    head.out.weight.data.copy_(ref.out.weight.data[:, :, None])
    head.out.bias.data.copy_(ref.out.bias.data)
    x = torch.randn(2, 24, 11)
    expected = ref(x.transpose(1, 2))  # (B, T)
    torch.testing.assert_close(head(x), expected.unsqueeze(1), atol=1e-5, rtol=1e-5)


def test_head_magnitude_is_a_clipped_exponential_and_phase_the_angle():
    head = ISTFTHead(4, n_fft=16, hop_length=4, max_magnitude=100.0)
    freq = head.freq
    nn.init.zeros_(head.out.weight)
    m = torch.linspace(-3.0, 6.0, freq)  # exp(6) > 100: clipped
    p = torch.linspace(-3.0, 3.0, freq)
    head.out.bias.data.copy_(torch.cat([m, p]))
    spec = head.spectrogram(torch.randn(1, 4, 5))
    torch.testing.assert_close(spec.abs()[0, :, 0], m.exp().clamp(max=100.0))
    torch.testing.assert_close(spec.angle()[0, :, 0], p, atol=1e-5, rtol=0)
    head_free = ISTFTHead(4, n_fft=16, hop_length=4, max_magnitude=None)
    head_free.load_state_dict(head.state_dict())
    assert head_free.spectrogram(torch.randn(1, 4, 5)).abs().max() > 400


@settings(max_examples=20, deadline=None)
@given(
    frames=st.integers(1, 20),
    hop_exp=st.integers(1, 5),
    ratio=st.sampled_from([2, 4]),
    batch=st.integers(1, 3),
)
def test_head_gives_frames_times_hop_samples(frames, hop_exp, ratio, batch):
    hop = 2**hop_exp
    head = ISTFTHead(3, n_fft=ratio * hop, hop_length=hop)
    y = head(torch.randn(batch, 3, frames))
    assert y.shape == (batch, 1, frames * hop)
    assert torch.isfinite(y).all()


def test_center_padding_uses_torch_istft():
    torch.manual_seed(3)
    head = ISTFTHead(5, n_fft=32, hop_length=8, padding="center")
    x = torch.randn(2, 5, 7)
    y = head(x)
    assert y.shape == (2, 1, 6 * 8)
    expected = torch.istft(head.spectrogram(x), 32, 8, 32, torch.hann_window(32), center=True)
    torch.testing.assert_close(y[:, 0], expected)


def test_weight_norm_and_kernel_options_and_gradients():
    head = ISTFTHead(6, n_fft=16, hop_length=4, kernel_size=7, norm="weight", init_std=0.01)
    assert head.config["norm"] == "weight" and head.out.weight.shape == (18, 6, 7)
    x = torch.randn(2, 6, 9, requires_grad=True)
    head(x).square().sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()


def test_bad_inputs_and_arguments_are_refused():
    head = ISTFTHead(8, n_fft=16, hop_length=4)
    with pytest.raises(ValueError, match=r"\(batch, in_channels, frames\)"):
        head(torch.randn(2, 7, 5))
    with pytest.raises(ValueError, match="even"):
        ISTFTHead(8, n_fft=16, hop_length=5)
    with pytest.raises(ValueError, match="hop_length"):
        ISTFTHead(8, n_fft=16, hop_length=12)
    with pytest.raises(ValueError, match="padding"):
        ISTFTHead(8, padding="valid")
    with pytest.raises(ValueError, match="odd"):
        ISTFTHead(8, kernel_size=2)
    with pytest.raises(ValueError, match="complex"):
        istft_same(torch.randn(1, 9, 3), 16, 4, torch.hann_window(16))


def test_istft_same_gradcheck_in_float64():
    torch.manual_seed(4)
    spec = torch.randn(1, 9, 4, dtype=torch.complex128, requires_grad=True)
    window = torch.hann_window(16, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda s: istft_same(s, 16, 4, window), (spec,))


def test_batched_equals_item_by_item():
    torch.manual_seed(5)
    head = ISTFTHead(6, n_fft=32, hop_length=8)
    x = torch.randn(4, 6, 7)
    with torch.no_grad():
        whole = head(x)
        items = torch.cat([head(x[i : i + 1]) for i in range(4)])
    torch.testing.assert_close(whole, items)
