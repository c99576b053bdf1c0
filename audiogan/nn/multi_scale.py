"""HiFi-GAN's multi-scale critic (the paper's MSD, from MelGAN): the waveform and pooled copies.

Scale 0 sees the raw waveform, scale ``k`` the waveform average-pooled ``k`` times by
``AvgPool1d(4, 2, padding=2)`` (x2, x4 ...), each through a strided, grouped Conv1d stack
(Kumar et al. 2019; Kong et al. 2020, section 2.3). HiFi-GAN puts spectral norm on the first
scale and weight norm on the others.

The paper's names stay as aliases: ``MultiScaleDiscriminator`` is :class:`MultiScaleCritic`,
``ScaleDiscriminator`` is :class:`ScaleCritic`.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from audiogan.nn.checks import check_positive
from audiogan.nn.conditioning import check_labels
from audiogan.nn.layers import WAVEFORM_NORMS, apply_weight_norm, resolve_norm
from audiogan.nn.waveform_layers import accept_old_submodule_name, check_waveform
from audiogan.protocols import CriticOutput
from audiogan.registry import register

__all__ = ["MultiScaleCritic", "MultiScaleDiscriminator", "ScaleCritic", "ScaleDiscriminator"]

LRELU_SLOPE = 0.1
_KERNELS = (15, 41, 41, 41, 41, 41, 5)
_STRIDES = (1, 2, 2, 4, 4, 1, 1)
_CHANNELS = (128, 128, 256, 512, 1024, 1024, 1024)
_GROUPS = (1, 4, 16, 16, 16, 16, 1)


@register
class ScaleCritic(nn.Module):
    """One scale of :class:`MultiScaleCritic`: seven Conv1d + LeakyReLU(0.1), patch scores.

    Kernels 15, 41 (x5), 5 with strides 1, 2, 2, 4, 4, 1, 1 ("same" padding), then a 3-tap conv
    to one channel of scores.

    Args:
        channels: The seven widths (128-128-256-512-1024-1024-1024 in HiFi-GAN).
        groups: The seven conv groups (1-4-16-16-16-16-1); each divides its conv's in and out
            channels.
        norm: ``"weight"``, ``"spectral"`` or ``"none"`` on every conv.

    Shapes:
        ``forward(x (batch, 1, time)) -> (scores (batch, n), features)``, one map
        ``(batch, channels, time')`` per conv and the scores' map ``(batch, 1, n)``.
    """

    def __init__(
        self,
        *,
        channels: Sequence[int] = _CHANNELS,
        groups: Sequence[int] = _GROUPS,
        norm: str = "weight",
    ) -> None:
        super().__init__()
        name = "ScaleCritic"
        widths, grouping = [int(c) for c in channels], [int(g) for g in groups]
        if len(widths) != len(_KERNELS) or len(grouping) != len(_KERNELS):
            raise ValueError(
                f"{name}: expected {len(_KERNELS)} channels and {len(_KERNELS)} groups, got "
                f"channels={widths}, groups={grouping}"
            )
        ins = [1, *widths[:-1]]
        for i, (c_in, c_out, g) in enumerate(zip(ins, widths, grouping, strict=True)):
            if g < 1 or c_in % g or c_out % g:
                raise ValueError(
                    f"{name}: conv {i} maps {c_in} -> {c_out} channels in {g} groups; the groups "
                    "must divide both (choose channels that are multiples of the groups)"
                )
        norm = resolve_norm(norm, WAVEFORM_NORMS, f"{name} norm")
        self.config = {"channels": widths, "groups": grouping, "norm": norm}
        self.convs = nn.ModuleList(
            apply_weight_norm(nn.Conv1d(c_in, c_out, k, s, groups=g, padding=k // 2), norm)
            for c_in, c_out, k, s, g in zip(ins, widths, _KERNELS, _STRIDES, grouping, strict=True)
        )
        self.conv_post = apply_weight_norm(nn.Conv1d(widths[-1], 1, 3, padding=1), norm)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Score ``x (batch, 1, time)``: patch scores ``(batch, n)`` and the feature maps."""
        check_waveform(x, "ScaleCritic")
        features = []
        h = x
        for conv in self.convs:
            h = F.leaky_relu(conv(h), LRELU_SLOPE)
            features.append(h)
        h = self.conv_post(h)  # (B, 1, n)
        features.append(h)
        return h.flatten(1), features


@register
class MultiScaleCritic(nn.Module):
    """HiFi-GAN's MSD: :class:`ScaleCritic` on the waveform and its x2, x4 ... poolings.

    Args:
        scales: Number of scales (3 in HiFi-GAN: raw, x2, x4).
        channels: The seven widths of each sub-critic.
        groups: The seven conv groups.
        norm: Norm of every scale but the first: ``"weight"`` (HiFi-GAN), ``"spectral"``,
            ``"none"``.
        first_norm: Norm of the first (raw) scale: ``"spectral"`` in HiFi-GAN.

    Attributes:
        num_classes: 0 (unconditional).

    Shapes:
        ``forward(x (batch, 1, time)) -> CriticOutput``: one score tensor ``(batch, n_k)`` and
        one list of feature maps per scale. A ``(batch, time)`` input is refused with a hint to
        add the channel axis.

    Example:
        >>> critic = MultiScaleCritic(channels=(16,) * 7)
        >>> out = critic(torch.randn(2, 1, 1001))
        >>> len(out.scores), out.scores[0].shape[0]
        (3, 2)
    """

    num_classes: int = 0

    def __init__(
        self,
        *,
        scales: int = 3,
        channels: Sequence[int] = _CHANNELS,
        groups: Sequence[int] = _GROUPS,
        norm: str = "weight",
        first_norm: str = "spectral",
    ) -> None:
        super().__init__()
        check_positive("MultiScaleCritic", scales=scales)
        norm = resolve_norm(norm, WAVEFORM_NORMS, "MultiScaleCritic norm")
        first_norm = resolve_norm(first_norm, WAVEFORM_NORMS, "MultiScaleCritic first_norm")
        self.critics = nn.ModuleList(
            ScaleCritic(channels=channels, groups=groups, norm=first_norm if k == 0 else norm)
            for k in range(scales)
        )
        accept_old_submodule_name(self, "discriminators", "critics")
        self.pool = nn.AvgPool1d(4, 2, padding=2)
        sub = self.critics[0].config
        self.config = {
            "scales": scales,
            "channels": sub["channels"],
            "groups": sub["groups"],
            "norm": norm,
            "first_norm": first_norm,
        }

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> CriticOutput:
        """Score ``x (batch, 1, time)`` at every scale: one score tensor and feature list each."""
        check_waveform(x, "MultiScaleCritic")
        check_labels(labels, 0, x.shape[0], "MultiScaleCritic")
        scores, features = [], []
        for k, d in enumerate(self.critics):
            if k > 0:
                x = self.pool(x)  # (B, 1, T // 2 + 1)
            s, f = d(x)
            scores.append(s)
            features.append(f)
        return CriticOutput(scores, features)


MultiScaleDiscriminator = MultiScaleCritic
"""HiFi-GAN's (and MelGAN's) name of :class:`MultiScaleCritic`."""

ScaleDiscriminator = ScaleCritic
"""HiFi-GAN's name of :class:`ScaleCritic`."""
