"""HiFi-GAN's multi-period critic (the paper's MPD): the waveform folded by each period, 2D convs.

A period-``p`` sub-critic reflect-pads the waveform ``(batch, 1, time)`` to a multiple of
``p`` and folds it to ``(batch, 1, time / p, p)``: column ``j`` holds samples ``j, j + p, ...``,
so a ``(kernel, 1)`` conv stack looks at one phase of the period at a time (Kong et al. 2020,
section 2.2). Periods 2, 3, 5, 7, 11 (primes, to overlap little).

The paper's names stay as aliases: ``MultiPeriodDiscriminator`` is :class:`MultiPeriodCritic`,
``PeriodDiscriminator`` is :class:`PeriodCritic`.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn

from audiogan.nn.checks import check_positive, check_positive_ints
from audiogan.nn.layers import WAVEFORM_NORMS, apply_weight_norm, resolve_norm
from audiogan.nn.waveform_layers import accept_old_submodule_name, check_waveform, score_each
from audiogan.protocols import CriticOutput
from audiogan.registry import register

__all__ = ["MultiPeriodCritic", "MultiPeriodDiscriminator", "PeriodCritic", "PeriodDiscriminator"]

LRELU_SLOPE = 0.1


def _check_channels(name: str, channels: Sequence[int], at_least: int) -> list[int]:
    widths = [int(c) for c in channels]
    if len(widths) < at_least or min(widths) < 1:
        raise ValueError(
            f"{name}: channels must hold at least {at_least} positive widths, got {widths}"
        )
    return widths


@register
class PeriodCritic(nn.Module):
    """One period of :class:`MultiPeriodCritic`: fold by ``period``, Conv2d stack, patch scores.

    Every conv of ``channels`` has a ``(kernel_size, 1)`` kernel and LeakyReLU(0.1); all but the
    last stride ``(stride, 1)``; a ``(3, 1)`` conv gives one channel of scores.

    Args:
        period: The fold width ``p``.
        channels: Widths of the conv stack (32-128-512-1024-1024 in HiFi-GAN).
        kernel_size: Kernel along the folded time axis.
        stride: Stride of all convs but the last.
        norm: ``"weight"`` (HiFi-GAN), ``"spectral"`` or ``"none"`` on every conv.

    Shapes:
        ``forward(x (batch, 1, time)) -> (scores (batch, n), features)``, one feature map
        ``(batch, channels, time', period)`` per conv and the scores' map ``(batch, 1, time', period)``.
    """

    def __init__(
        self,
        period: int,
        *,
        channels: Sequence[int] = (32, 128, 512, 1024, 1024),
        kernel_size: int = 5,
        stride: int = 3,
        norm: str = "weight",
    ) -> None:
        super().__init__()
        name = "PeriodCritic"
        check_positive(name, period=period, kernel_size=kernel_size, stride=stride)
        widths = _check_channels(name, channels, 1)
        norm = resolve_norm(norm, WAVEFORM_NORMS, f"{name} norm")
        self.config = {
            "period": period,
            "channels": widths,
            "kernel_size": kernel_size,
            "stride": stride,
            "norm": norm,
        }
        self.period = period
        pad = (kernel_size - 1) // 2
        ins = [1, *widths[:-1]]
        self.convs = nn.ModuleList(
            apply_weight_norm(
                nn.Conv2d(
                    c_in,
                    c_out,
                    (kernel_size, 1),
                    (stride if i < len(widths) - 1 else 1, 1),
                    padding=(pad, 0),
                ),
                norm,
            )
            for i, (c_in, c_out) in enumerate(zip(ins, widths, strict=True))
        )
        self.conv_post = apply_weight_norm(nn.Conv2d(widths[-1], 1, (3, 1), padding=(1, 0)), norm)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Score ``x (batch, 1, time)``: patch scores ``(batch, n)`` and the feature maps."""
        check_waveform(x, f"PeriodCritic(period={self.period})", self.period)
        rest = x.shape[-1] % self.period
        if rest:
            x = F.pad(x, (0, self.period - rest), mode="reflect")
        h = rearrange(x, "b c (t p) -> b c t p", p=self.period)  # (B, 1, T/p, p)
        features = []
        for conv in self.convs:
            h = F.leaky_relu(conv(h), LRELU_SLOPE)
            features.append(h)
        h = self.conv_post(h)  # (B, 1, T', p)
        features.append(h)
        return h.flatten(1), features


@register
class MultiPeriodCritic(nn.Module):
    """HiFi-GAN's MPD: one :class:`PeriodCritic` per period, as one critic.

    Args:
        periods: The fold widths (2, 3, 5, 7, 11 in HiFi-GAN).
        channels: Widths of each sub-critic's conv stack.
        kernel_size: Kernel along the folded time axis.
        stride: Stride of all convs but the last.
        norm: ``"weight"`` (HiFi-GAN), ``"spectral"`` or ``"none"``.

    Attributes:
        num_classes: 0 (unconditional).

    Shapes:
        ``forward(x (batch, 1, time >= max(periods))) -> CriticOutput``: one score tensor
        ``(batch, n_k)`` and one list of feature maps per period. A ``(batch, time)`` input is
        refused with a hint to add the channel axis.

    Example:
        >>> critic = MultiPeriodCritic(channels=(4, 8))
        >>> out = critic(torch.randn(2, 1, 1001))
        >>> [s.shape[0] for s in out.scores], len(out.features[0])
        ([2, 2, 2, 2, 2], 3)
    """

    num_classes: int = 0

    def __init__(
        self,
        *,
        periods: Sequence[int] = (2, 3, 5, 7, 11),
        channels: Sequence[int] = (32, 128, 512, 1024, 1024),
        kernel_size: int = 5,
        stride: int = 3,
        norm: str = "weight",
    ) -> None:
        super().__init__()
        periods = check_positive_ints("MultiPeriodCritic", "periods", periods)
        self.critics = nn.ModuleList(
            PeriodCritic(p, channels=channels, kernel_size=kernel_size, stride=stride, norm=norm)
            for p in periods
        )
        accept_old_submodule_name(self, "discriminators", "critics")
        sub = self.critics[0].config
        self.config = {
            "periods": periods,
            "channels": sub["channels"],
            "kernel_size": kernel_size,
            "stride": stride,
            "norm": sub["norm"],
        }

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> CriticOutput:
        """Score ``x (batch, 1, time)`` with every period: one score tensor and feature list each."""
        return score_each(self.critics, x, labels, "MultiPeriodCritic", max(self.config["periods"]))


MultiPeriodDiscriminator = MultiPeriodCritic
"""HiFi-GAN's name of :class:`MultiPeriodCritic`."""

PeriodDiscriminator = PeriodCritic
"""HiFi-GAN's name of :class:`PeriodCritic`."""
