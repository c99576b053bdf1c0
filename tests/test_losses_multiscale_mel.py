"""The multi-scale mel loss of DAC / BigVGAN-v2: the reference's values, properties."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

from audiogan.losses import DAC_MEL_SCALES, MultiScaleMelLoss

sys.path.insert(0, str(Path(__file__).parent))
from vocoder_references import RefMultiScaleMelSpectrogramLoss  # noqa: E402


def test_scales_are_dacs():
    assert [w for w, _ in DAC_MEL_SCALES] == [32, 64, 128, 256, 512, 1024, 2048]
    assert [m for _, m in DAC_MEL_SCALES] == [5, 10, 20, 40, 80, 160, 320]


@pytest.mark.parametrize("sample_rate", [22050, 44100])
def test_equals_bigvgans_loss(sample_rate):
    """BigVGAN's ``MultiScaleMelSpectrogramLoss`` (librosa's filters, scipy's window)."""
    pytest.importorskip("librosa")
    torch.manual_seed(0)
    real = torch.randn(2, 1, 4000) * 0.3
    fake = real + 0.1 * torch.randn(2, 1, 4000)
    expected = RefMultiScaleMelSpectrogramLoss(sample_rate)(fake, real)
    ours = MultiScaleMelLoss(sample_rate)(fake, real)
    torch.testing.assert_close(ours, expected.float(), atol=1e-5, rtol=1e-5)


def test_filters_are_librosas_slaney_filters():
    librosa = pytest.importorskip("librosa")
    loss = MultiScaleMelLoss(16000)
    for i, (w, m) in enumerate(DAC_MEL_SCALES):
        expected = torch.from_numpy(librosa.filters.mel(sr=16000, n_fft=w, n_mels=m))
        torch.testing.assert_close(getattr(loss, f"filterbank_{i}"), expected, atol=1e-6, rtol=1e-4)


def test_zero_for_identical_positive_otherwise_and_differentiable():
    loss = MultiScaleMelLoss(16000)
    real = torch.randn(3, 4096)
    assert float(loss(real, real)) == 0.0
    fake = (0.5 * real).requires_grad_()
    value = loss(fake, real)
    assert value > 0
    value.backward()
    assert fake.grad is not None and torch.isfinite(fake.grad).all()


def test_a_gain_moves_every_unclamped_log_mel_by_its_log():
    """Scaling by g shifts each log10 mel by log10(g) where neither side hits the clamp; with
    one scale and loud noise, the loss is |log10 g|."""
    torch.manual_seed(1)
    loss = MultiScaleMelLoss(16000, scales=((256, 20),))
    real = torch.randn(2, 1, 8000)
    assert float(loss(2.0 * real, real)) == pytest.approx(0.30103, rel=1e-4)


def test_mag_weight_and_power_options():
    real = torch.randn(1, 4096)
    fake = 0.5 * real
    base = MultiScaleMelLoss(16000)(fake, real)
    assert MultiScaleMelLoss(16000, mag_weight=1.0)(fake, real) > base
    torch.testing.assert_close(MultiScaleMelLoss(16000, power=2.0)(fake, real), 2 * base)


def test_refusals():
    loss = MultiScaleMelLoss(16000)
    with pytest.raises(ValueError, match="time > 1024"):
        loss(torch.randn(1, 1000), torch.randn(1, 1000))
    with pytest.raises(ValueError, match="same shape"):
        loss(torch.randn(1, 4096), torch.randn(2, 4096))
    with pytest.raises(ValueError, match="f_max"):
        MultiScaleMelLoss(16000, f_max=9000)
