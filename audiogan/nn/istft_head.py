"""An inverse-STFT head: frame-rate features -> STFT magnitude and phase -> waveform.

Vocos (Siuzdak 2023, gemelo-ai/vocos ``heads.py`` ``ISTFTHead``) and iSTFTNet (Kaneko et al.
2022) end their generators in a head that predicts one STFT frame per input frame instead of
upsampling to the sample rate with transposed convolutions. A convolution maps the features
``(batch, in_channels, frames)`` to ``2 * (n_fft // 2 + 1)`` channels, split into ``m`` and ``p``;
the spectrum is ``S = min(exp(m), max_magnitude) * (cos p + i sin p)`` and the waveform its
inverse STFT with a periodic Hann window of ``n_fft``.

Framing (``padding``):

- ``"same"`` (Vocos' ``ISTFT(padding="same")``, the default): the overlap-added frames are
  trimmed by ``(n_fft - hop_length) / 2`` on both sides, like a "same" convolution, so
  ``frames`` frames give exactly ``frames * hop_length`` samples. :func:`torch.istft` cannot
  trim this way (its NOLA check fails at the untrimmed edges, pytorch/pytorch#62323), so
  :func:`istft_same` overlap-adds with :func:`torch.nn.functional.fold` as Vocos does; away
  from the edges it equals :func:`torch.istft` shifted by ``hop_length / 2`` samples.
- ``"center"``: :func:`torch.istft` with ``center=True`` (the published Vocos config, whose mel
  frames are centred too): ``frames`` frames give ``(frames - 1) * hop_length`` samples.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from audiogan._shapes import check_shape
from audiogan.nn.checks import check_choice, check_odd_kernel, check_positive
from audiogan.nn.layers import WAVEFORM_NORMS, apply_weight_norm, resolve_norm
from audiogan.registry import register

__all__ = ["ISTFTHead", "istft_same"]

_PADDINGS = ("same", "center")


def istft_same(
    spec: torch.Tensor, n_fft: int, hop_length: int, window: torch.Tensor
) -> torch.Tensor:
    """Inverse STFT with "same" framing: ``frames`` frames -> ``frames * hop_length`` samples.

    The inverse real FFT of each frame, times ``window``, overlap-added at ``hop_length`` and
    divided by the overlap-added squared window (the least-squares inverse of an STFT with that
    window), with ``(n_fft - hop_length) / 2`` samples trimmed from each end (Vocos'
    ``ISTFT.forward``).

    Args:
        spec: Complex spectrogram ``(batch, n_fft // 2 + 1, frames)``.
        n_fft: FFT size, also the window length.
        hop_length: Samples between frames; ``n_fft - hop_length`` must be even and
            ``hop_length <= n_fft // 2`` (every kept sample is covered by a nonzero window).
        window: ``(n_fft,)`` real window.

    Returns:
        The waveform ``(batch, frames * hop_length)``, in ``spec``'s real dtype.
    """
    if (n_fft - hop_length) % 2 or not 1 <= hop_length <= n_fft // 2:
        raise ValueError(
            f"istft_same: expected 1 <= hop_length <= n_fft // 2 with n_fft - hop_length even, "
            f"got n_fft={n_fft}, hop_length={hop_length}"
        )
    if spec.dim() != 3 or spec.shape[1] != n_fft // 2 + 1 or not spec.is_complex():
        raise ValueError(
            f"istft_same: expected a complex spectrogram (batch, {n_fft // 2 + 1}, frames), "
            f"got {tuple(spec.shape)} {spec.dtype}"
        )
    frames = spec.shape[-1]
    pad = (n_fft - hop_length) // 2
    frames_time = torch.fft.irfft(spec, n_fft, dim=1, norm="backward")  # (B, n_fft, frames)
    frames_time = frames_time * window.to(frames_time)[None, :, None]
    size = (frames - 1) * hop_length + n_fft
    fold = {"output_size": (1, size), "kernel_size": (1, n_fft), "stride": (1, hop_length)}
    y = F.fold(frames_time, **fold)[:, 0, 0, pad : size - pad]  # (B, frames * hop)
    square = window.to(frames_time).square()[None, :, None].expand(1, n_fft, frames)
    envelope = F.fold(square, **fold)[0, 0, 0, pad : size - pad]
    return y / envelope


@register
class ISTFTHead(nn.Module):
    """Features ``(batch, in_channels, frames)`` -> waveform through a predicted STFT.

    See :mod:`audiogan.nn.istft_head`. Vocos' head is ``kernel_size=1`` (its ``nn.Linear``),
    iSTFTNet's a weight-normalized 7-tap convolution (``kernel_size=7, norm="weight"``).

    Args:
        in_channels: Channels of the input features.
        n_fft: FFT size and Hann window length (Vocos 1024, iSTFTNet 16).
        hop_length: Output samples per input frame (Vocos 256, iSTFTNet 4).
        kernel_size: Odd kernel of the convolution to ``n_fft + 2`` channels.
        max_magnitude: Ceiling of ``exp(m)`` (Vocos: ``1e2``; ``None``: no ceiling).
        padding: ``"same"`` (``frames * hop_length`` samples) or ``"center"``
            (``(frames - 1) * hop_length``, :func:`torch.istft`).
        norm: ``"none"`` (Vocos), ``"weight"`` (iSTFTNet) or ``"spectral"`` on the convolution.
        init_std: Weights ~ N(0, init_std) before the norm; ``None`` keeps PyTorch's init.

    Attributes:
        hop_length: Output samples per frame.
        freq: ``n_fft // 2 + 1`` frequency bins.

    Shapes:
        ``forward(x (batch, in_channels, frames)) -> (batch, 1, frames * hop_length)``
        (``"center"``: ``(frames - 1) * hop_length``).

    Example:
        >>> head = ISTFTHead(32, n_fft=64, hop_length=16)
        >>> head(torch.randn(2, 32, 10)).shape
        torch.Size([2, 1, 160])
    """

    window: torch.Tensor

    def __init__(
        self,
        in_channels: int,
        *,
        n_fft: int = 1024,
        hop_length: int = 256,
        kernel_size: int = 1,
        max_magnitude: float | None = 1e2,
        padding: str = "same",
        norm: str = "none",
        init_std: float | None = None,
    ) -> None:
        super().__init__()
        name = "ISTFTHead"
        check_positive(name, in_channels=in_channels)
        check_odd_kernel(name, kernel_size)
        check_choice(name, "padding", padding, _PADDINGS)
        if n_fft < 2 or not 1 <= hop_length <= n_fft // 2:
            raise ValueError(
                f"{name}: expected n_fft >= 2 and 1 <= hop_length <= n_fft // 2, got "
                f"n_fft={n_fft}, hop_length={hop_length}"
            )
        if padding == "same" and (n_fft - hop_length) % 2:
            raise ValueError(
                f"{name}: 'same' padding trims (n_fft - hop_length) / 2 samples per side and "
                f"needs n_fft - hop_length even, got n_fft={n_fft}, hop_length={hop_length}"
            )
        if max_magnitude is not None and not max_magnitude > 0:
            raise ValueError(f"{name}: max_magnitude must be > 0 or None, got {max_magnitude}")
        norm = str(resolve_norm(norm, WAVEFORM_NORMS, f"{name} norm"))
        self.config = {
            "in_channels": int(in_channels),
            "n_fft": int(n_fft),
            "hop_length": int(hop_length),
            "kernel_size": int(kernel_size),
            "max_magnitude": None if max_magnitude is None else float(max_magnitude),
            "padding": padding,
            "norm": norm,
            "init_std": init_std,
        }
        self.in_channels = int(in_channels)
        self.n_fft = int(n_fft)
        self.hop_length = int(hop_length)
        self.freq = self.n_fft // 2 + 1
        self.max_magnitude = self.config["max_magnitude"]
        self.padding = padding
        conv = nn.Conv1d(in_channels, 2 * self.freq, kernel_size, padding=kernel_size // 2)
        if init_std is not None:
            nn.init.normal_(conv.weight, 0.0, init_std)
        self.out = apply_weight_norm(conv, norm)
        self.register_buffer("window", torch.hann_window(self.n_fft), persistent=False)

    def spectrogram(self, x: torch.Tensor) -> torch.Tensor:
        """The predicted complex spectrum ``(batch, n_fft // 2 + 1, frames)`` of ``x``."""
        m, p = self.out(x).float().chunk(2, dim=1)  # (B, freq, frames) each
        magnitude = m.exp()
        if self.max_magnitude is not None:
            magnitude = magnitude.clamp(max=self.max_magnitude)
        return torch.complex(magnitude * p.cos(), magnitude * p.sin())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x (batch, in_channels, frames)`` -> waveform ``(batch, 1, frames * hop_length)``."""
        check_shape(
            x, (None, self.in_channels, None), "ISTFTHead input", "(batch, in_channels, frames)"
        )
        if x.shape[-1] < 1 or (self.padding == "center" and x.shape[-1] < 2):
            raise ValueError(
                f"ISTFTHead: expected at least {1 if self.padding == 'same' else 2} frames, "
                f"got {tuple(x.shape)}"
            )
        spec = self.spectrogram(x)
        with torch.autocast(device_type=x.device.type, enabled=False):
            if self.padding == "same":
                y = istft_same(spec, self.n_fft, self.hop_length, self.window)
            else:
                y = torch.istft(
                    spec, self.n_fft, self.hop_length, self.n_fft, self.window, center=True
                )
        return y.unsqueeze(1)  # (B, 1, samples)
