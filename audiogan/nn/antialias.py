"""BigVGAN's anti-aliased activation: upsample x2, activate, low-pass and downsample x2.

A pointwise nonlinearity such as :class:`~audiogan.nn.Snake` creates harmonics above the
Nyquist frequency, which fold back as aliasing. BigVGAN (Lee et al. 2023, after StyleGAN3's
alias-free layers; NVIDIA/BigVGAN ``alias_free_activation/torch``) applies it at twice the
sample rate instead: :class:`UpSample1d` (zero-stuffing and a Kaiser-windowed sinc low-pass at
a quarter of the new rate), the activation, then :class:`DownSample1d` (the same low-pass and
every second sample). Both filters have 12 taps and replicate-pad the edges, so the length is
kept: ``(batch, channels, time) -> (batch, channels, time)``.

:func:`kaiser_sinc_filter` is the reference's ``kaiser_sinc_filter1d``: a sinc of cutoff
``cutoff`` (in cycles per sample) under a Kaiser window whose ``beta`` follows Kaiser's formula
for the transition ``half_width``, normalized to unit sum (no leakage of a constant).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from audiogan._build import build_module, class_name
from audiogan.nn.checks import check_positive
from audiogan.registry import register

__all__ = ["AntiAliasedActivation", "DownSample1d", "UpSample1d", "kaiser_sinc_filter"]


def kaiser_sinc_filter(cutoff: float, half_width: float, kernel_size: int) -> torch.Tensor:
    """A Kaiser-windowed sinc low-pass of ``kernel_size`` taps, summing to 1: ``(kernel_size,)``.

    Args:
        cutoff: Cutoff in cycles per sample, in ``[0, 0.5]`` (0 gives zeros).
        half_width: Half the transition band, in cycles per sample (sets the Kaiser ``beta``).
        kernel_size: Taps; even sizes are centred between two samples.
    """
    if not 0.0 <= cutoff <= 0.5 or kernel_size < 1 or not half_width > 0:
        raise ValueError(
            "kaiser_sinc_filter: expected 0 <= cutoff <= 0.5, half_width > 0 and kernel_size >= 1, "
            f"got cutoff={cutoff}, half_width={half_width}, kernel_size={kernel_size}"
        )
    even = kernel_size % 2 == 0
    half_size = kernel_size // 2
    attenuation = 2.285 * (half_size - 1) * math.pi * 4 * half_width + 7.95  # Kaiser, in dB
    if attenuation > 50.0:
        beta = 0.1102 * (attenuation - 8.7)
    elif attenuation >= 21.0:
        beta = 0.5842 * (attenuation - 21) ** 0.4 + 0.07886 * (attenuation - 21.0)
    else:
        beta = 0.0
    window = torch.kaiser_window(kernel_size, periodic=False, beta=beta)
    if even:
        time = torch.arange(-half_size, half_size) + 0.5
    else:
        time = torch.arange(kernel_size) - half_size
    if cutoff == 0:
        return torch.zeros(kernel_size)
    taps = 2 * cutoff * window * torch.sinc(2 * cutoff * time)
    return taps / taps.sum()


def _check_ratio(name: str, ratio: int, kernel_size: int | None) -> int:
    check_positive(name, ratio=ratio)
    size = int(6 * ratio // 2) * 2 if kernel_size is None else int(kernel_size)
    if size < ratio:
        raise ValueError(f"{name}: kernel_size must be >= ratio {ratio}, got {size}")
    return size


class UpSample1d(nn.Module):
    """Upsample by ``ratio``: zero-stuffing and a Kaiser-sinc low-pass (BigVGAN's ``UpSample1d``).

    The input is replicate-padded, upsampled by a transposed convolution with the filter (times
    ``ratio``, to keep the level), and the padding's share cut off.

    Args:
        ratio: Upsampling factor.
        kernel_size: Filter taps (``None``: ``6 * ratio`` rounded to even, 12 for 2).

    Shapes:
        ``forward(x (batch, channels, time)) -> (batch, channels, ratio * time)``.
    """

    filter: torch.Tensor

    def __init__(self, ratio: int = 2, kernel_size: int | None = None) -> None:
        super().__init__()
        self.ratio = int(ratio)
        self.kernel_size = _check_ratio("UpSample1d", self.ratio, kernel_size)
        self.pad = self.kernel_size // self.ratio - 1
        self.pad_left = self.pad * self.ratio + (self.kernel_size - self.ratio) // 2
        self.pad_right = self.pad * self.ratio + (self.kernel_size - self.ratio + 1) // 2
        taps = kaiser_sinc_filter(0.5 / self.ratio, 0.6 / self.ratio, self.kernel_size)
        self.register_buffer("filter", taps.view(1, 1, -1), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(batch, channels, time) -> (batch, channels, ratio * time)``."""
        channels = x.shape[1]
        x = F.pad(x, (self.pad, self.pad), mode="replicate")
        weight = self.filter.to(x).expand(channels, -1, -1)
        x = self.ratio * F.conv_transpose1d(x, weight, stride=self.ratio, groups=channels)
        return x[..., self.pad_left : x.shape[-1] - self.pad_right]


class DownSample1d(nn.Module):
    """Low-pass with a Kaiser-sinc filter, keep every ``ratio``-th sample (``DownSample1d``).

    Args:
        ratio: Downsampling factor.
        kernel_size: Filter taps (``None``: ``6 * ratio`` rounded to even, 12 for 2).

    Shapes:
        ``forward(x (batch, channels, time)) -> (batch, channels, ceil(time / ratio))``.
    """

    filter: torch.Tensor

    def __init__(self, ratio: int = 2, kernel_size: int | None = None) -> None:
        super().__init__()
        self.ratio = int(ratio)
        self.kernel_size = _check_ratio("DownSample1d", self.ratio, kernel_size)
        even = self.kernel_size % 2 == 0
        self.pad_left = self.kernel_size // 2 - int(even)
        self.pad_right = self.kernel_size // 2
        taps = kaiser_sinc_filter(0.5 / self.ratio, 0.6 / self.ratio, self.kernel_size)
        self.register_buffer("filter", taps.view(1, 1, -1), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(batch, channels, time) -> (batch, channels, ceil(time / ratio))``."""
        channels = x.shape[1]
        x = F.pad(x, (self.pad_left, self.pad_right), mode="replicate")
        weight = self.filter.to(x).expand(channels, -1, -1)
        return F.conv1d(x, weight, stride=self.ratio, groups=channels)


@register
class AntiAliasedActivation(nn.Module):
    """``downsample(activation(upsample(x)))``: BigVGAN's ``Activation1d``, for any generator.

    Args:
        activation: The pointwise activation, a module (e.g. ``Snake(channels)``) or a
            ``{"class": name, "config": dict}`` spec of an audiogan one (how ``config``
            rebuilds it).
        up_ratio: Upsampling factor (2).
        down_ratio: Downsampling factor (2).
        up_kernel_size: Taps of the upsampling filter (12).
        down_kernel_size: Taps of the downsampling filter (12).

    Shapes:
        ``forward(x (batch, channels, time)) -> (batch, channels, time)`` for equal ratios
        (``ceil(up_ratio * time / down_ratio)`` otherwise).

    Example:
        >>> from audiogan.nn import Snake
        >>> act = AntiAliasedActivation(Snake(8))
        >>> act(torch.randn(2, 8, 100)).shape
        torch.Size([2, 8, 100])
    """

    def __init__(
        self,
        activation: nn.Module | Mapping[str, Any],
        *,
        up_ratio: int = 2,
        down_ratio: int = 2,
        up_kernel_size: int = 12,
        down_kernel_size: int = 12,
    ) -> None:
        super().__init__()
        if isinstance(activation, Mapping):
            activation = build_module(activation["class"], activation.get("config"))
        if not isinstance(activation, nn.Module):
            raise ValueError(
                "AntiAliasedActivation: activation must be an nn.Module or a {'class', 'config'} "
                f"spec, got {type(activation).__name__}"
            )
        self.act = activation
        self.upsample = UpSample1d(up_ratio, up_kernel_size)
        self.downsample = DownSample1d(down_ratio, down_kernel_size)
        self.config = {
            "activation": {
                "class": class_name(activation),
                "config": getattr(activation, "config", None),
            },
            "up_ratio": int(up_ratio),
            "down_ratio": int(down_ratio),
            "up_kernel_size": int(up_kernel_size),
            "down_kernel_size": int(down_kernel_size),
        }

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x (batch, channels, time)`` -> ``(batch, channels, time)`` (equal ratios)."""
        if x.dim() != 3:
            raise ValueError(
                f"AntiAliasedActivation: expected (batch, channels, time), got {tuple(x.shape)}"
            )
        return self.downsample(self.act(self.upsample(x)))
