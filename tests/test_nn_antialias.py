"""BigVGAN's anti-aliased activation: the Kaiser-sinc filter's numbers, resampling, aliasing."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from audiogan.nn import (
    AntiAliasedActivation,
    DownSample1d,
    Snake,
    SnakeBeta,
    UpSample1d,
    kaiser_sinc_filter,
)

sys.path.insert(0, str(Path(__file__).parent))
from vocoder_references import (  # noqa: E402
    RefActivation1d,
    RefDownSample1d,
    RefSnakeBeta,
    RefUpSample1d,
    ref_kaiser_sinc_filter1d,
)


@pytest.mark.parametrize(
    ("cutoff", "half_width", "kernel_size"),
    [(0.25, 0.3, 12), (0.5, 0.6, 12), (0.125, 0.15, 24), (0.25, 0.3, 11), (0.1, 0.05, 64)],
)
def test_filter_equals_bigvgans(cutoff, half_width, kernel_size):
    ours = kaiser_sinc_filter(cutoff, half_width, kernel_size)
    torch.testing.assert_close(
        ours, ref_kaiser_sinc_filter1d(cutoff, half_width, kernel_size)[0, 0]
    )


def test_filter_of_the_x2_layers_from_the_formula_in_numpy():
    """12 taps, cutoff 1/4, half width 0.3: Kaiser's beta for A = 2.285 * 5 * pi * 1.2 + 7.95 dB."""
    a = 2.285 * 5 * math.pi * 1.2 + 7.95
    beta = 0.5842 * (a - 21) ** 0.4 + 0.07886 * (a - 21) if a <= 50 else 0.1102 * (a - 8.7)
    t = np.arange(-6, 6) + 0.5
    taps = 0.5 * np.kaiser(12, beta) * np.sinc(0.5 * t)
    taps /= taps.sum()
    ours = kaiser_sinc_filter(0.25, 0.3, 12).double().numpy()
    np.testing.assert_allclose(ours, taps, rtol=1e-5, atol=1e-7)
    assert ours.sum() == pytest.approx(1.0) and np.allclose(ours, ours[::-1])


def test_resamplers_and_activation_equal_bigvgans():
    torch.manual_seed(0)
    x = torch.randn(2, 3, 57)
    torch.testing.assert_close(UpSample1d(2, 12)(x), RefUpSample1d(2, 12)(x))
    torch.testing.assert_close(DownSample1d(2, 12)(x), RefDownSample1d(2, 12)(x))
    torch.testing.assert_close(UpSample1d(3)(x), RefUpSample1d(3)(x))
    ours, ref = SnakeBeta(3, logscale=True), RefSnakeBeta(3, alpha_logscale=True)
    params = torch.randn(2, 3) * 0.3
    for m in (ours, ref):
        m.alpha.data.copy_(params[0])
        m.beta.data.copy_(params[1])
    torch.testing.assert_close(AntiAliasedActivation(ours)(x), RefActivation1d(ref)(x))


@settings(max_examples=25, deadline=None)
@given(time=st.integers(1, 300), channels=st.integers(1, 4))
def test_any_length_is_kept(time, channels):
    act = AntiAliasedActivation(Snake(channels))
    assert act(torch.randn(1, channels, time)).shape == (1, channels, time)


def test_identity_activation_passes_a_low_tone_and_resampling_removes_aliasing():
    n = 2048
    t = torch.arange(n, dtype=torch.float32)
    low = torch.sin(2 * math.pi * 0.02 * t).view(1, 1, n)
    passed = AntiAliasedActivation(nn.Identity())(low)
    inner = slice(64, n - 64)
    torch.testing.assert_close(passed[..., inner], low[..., inner], atol=0.02, rtol=0)
    # A strong nonlinearity on a 0.23-cycle tone: its 3rd harmonic (0.69) aliases to 0.31 when
    # applied at the sample rate; the x2 path keeps (most of) it out.
    tone = torch.sin(2 * math.pi * 0.23 * t).view(1, 1, n)
    window = torch.hann_window(n)

    def alias_energy(y: torch.Tensor) -> float:
        spec = torch.fft.rfft(y[0, 0] * window).abs()
        k = round(0.31 * n)
        return float(spec[k - 3 : k + 4].square().sum() / spec.square().sum())

    naive = alias_energy(torch.sign(tone) * tone.abs().sqrt())
    smooth = alias_energy(AntiAliasedActivation(_SignSqrt())(tone))
    assert smooth < 0.1 * naive


class _SignSqrt(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sign(x) * x.abs().sqrt()


def test_config_rebuilds_the_activation():
    act = AntiAliasedActivation(SnakeBeta(5, logscale=True), up_kernel_size=12)
    again = AntiAliasedActivation(**act.config)
    assert isinstance(again.act, SnakeBeta) and again.act.logscale and again.config == act.config


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="cutoff"):
        kaiser_sinc_filter(0.7, 0.3, 12)
    with pytest.raises(ValueError, match="ratio"):
        UpSample1d(0)
    with pytest.raises(ValueError, match="activation"):
        AntiAliasedActivation("snake")
    with pytest.raises(ValueError, match=r"\(batch, channels, time\)"):
        AntiAliasedActivation(Snake(2))(torch.randn(2, 8))
