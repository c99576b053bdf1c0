"""DCGAN-style 2D critic for spectrograms ``(channels, freq, frames)``.

The critics of the one-hot cGAN and of the conditional WGAN-GP with label embedding.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from einops import rearrange
from torch import nn

from audiogan._shapes import check_shape
from audiogan.nn.checks import check_positive, check_sizes, check_stage_channels
from audiogan.nn.conditioning import (
    ConditioningSpec,
    check_labels,
    critic_conditioning,
    label_map_names,
    stack_label_maps,
)
from audiogan.nn.init import dcgan_init_, resolve_init
from audiogan.nn.layers import (
    ActSpec,
    NormSpec,
    apply_spectral_norm,
    has_bias_free_norm,
    make_activation,
    make_norm,
    resolve_activation,
    resolve_norm,
)
from audiogan.registry import register

_CRITIC_NORMS = ("none", "layer", "instance", "spectral", "batch")


@register
class ConvCritic2d(nn.Module):
    """Spectrogram (and label) -> one raw score per sample.

    ``num_downsamples`` strided convolutions (k4 s2 p1) with LeakyReLU(0.2) halve the grid, the
    feature maps are flattened and a linear layer gives the score (the critic of the conditional
    WGAN-GP with label embedding: 32-64-128-256 channels on ``(2, 128, 256)`` inputs, then a linear
    read-out). No norm after the first conv.

    Conditioning: ``"embedding"`` stacks one learned label plane (the conditional WGAN-GP:
    spectrogram + label plane = 2 channels), ``"onehot"`` stacks ``num_classes`` constant one-hot
    planes (the one-hot cGAN), and ``"projection"`` adds ``<embed(y), h>`` on the spatially
    averaged features ``h``. An instance works too: a label-map module (``OneHot(5)``,
    ``LabelEmbedding(5, 16)`` for 16 constant channels, ``LabelEmbedding(5, 16, map_size=(freq,
    frames))`` for one plane, or a user's module meeting :class:`audiogan.protocols.Conditioning`)
    stacks its ``map_channels``; a projection-style module (``Projection(5, channels[-1])``) adds
    its term.

    Args:
        in_shape: ``(channels, freq, frames)``; ``freq`` and ``frames`` divisible by ``2**num_downsamples``.
        num_classes: Number of classes to condition on; 0 for unconditional. With a conditioning
            instance, 0 or the instance's ``num_classes`` (it is taken from the instance).
        conditioning: ``"embedding"``, ``"onehot"``, ``"projection"`` or a conditioning module
            instance (stored in ``config`` as ``{"class", "config"}``).
        embed_dim: Label embedding size for ``"embedding"``.
        width: Channels of the first conv; doubled at every stage up to ``max_channels``.
        channels: Explicit channels of each stage (``num_downsamples`` entries); overrides the above.
        max_channels: Cap for the doubling schedule.
        num_downsamples: Number of halving stages.
        norm: ``"none"``, ``"layer"``, ``"instance"``, ``"spectral"`` (spectral norm on every conv and
            linear weight) or ``"batch"``. BatchNorm mixes samples and breaks the per-sample gradient
            penalty; it is allowed for BCE/LSGAN training only (the Trainer warns).
        activation: Hidden activation (default LeakyReLU(0.2)).
        init: ``"dcgan"`` (weights ~ N(0, 0.02), :func:`~audiogan.nn.init.dcgan_init_`) or
            ``"default"`` (PyTorch's).

    Shapes:
        ``forward(x (batch, *in_shape), labels (batch,) | None) -> (batch,)``.
    """

    def __init__(
        self,
        in_shape: Sequence[int] = (1, 128, 256),
        *,
        num_classes: int = 0,
        conditioning: ConditioningSpec = "embedding",
        embed_dim: int = 16,
        width: int = 32,
        channels: Sequence[int] | None = None,
        max_channels: int = 512,
        num_downsamples: int = 4,
        norm: NormSpec = "none",
        activation: ActSpec = "leaky_relu",
        init: str = "dcgan",
    ) -> None:
        super().__init__()
        name = "ConvCritic2d"
        resolve_init(init, ("dcgan", "default"), f"{name}: init")
        in_shape = check_sizes(name, "in_shape", in_shape, ("channels", "freq", "frames"))
        check_positive(name, num_downsamples=num_downsamples)
        in_c, freq, frames = in_shape
        scale = 2**num_downsamples
        if freq % scale or frames % scale:
            raise ValueError(
                f"{name}: in_shape {in_shape} cannot be reduced with num_downsamples={num_downsamples}: freq ({freq}) "
                f"and frames ({frames}) must both be divisible by {scale}; change in_shape or num_downsamples"
            )
        if channels is None:
            check_positive(name, width=width)
            channels = [min(max_channels, width * 2**i) for i in range(num_downsamples)]
        channels = check_stage_channels(name, channels, num_downsamples)
        norm_kind = resolve_norm(norm, _CRITIC_NORMS, f"{name} norm")
        act_kind = resolve_activation(activation, f"{name} activation")
        if norm_kind == "instance" and num_downsamples > 1 and freq * frames == scale * scale:
            raise ValueError(
                f"{name}: norm='instance' needs more than one position per map, but in_shape {in_shape} ends on a "
                f"1x1 grid after {num_downsamples} stages; use norm='layer' or fewer num_downsamples"
            )

        self.label_maps, self.projection, num_classes, cond_config = critic_conditioning(
            conditioning,
            num_classes,
            label_map_names(embed_dim, (freq, frames), channels[-1]),
            name,
            features=channels[-1],
            grid=(freq, frames),
        )
        self.config = {
            "in_shape": list(in_shape),
            "num_classes": num_classes,
            "conditioning": cond_config,
            "embed_dim": embed_dim,
            "width": width,
            "channels": channels,
            "max_channels": max_channels,
            "num_downsamples": num_downsamples,
            "norm": norm_kind,
            "activation": act_kind,
            "init": init,
        }
        self.in_shape = in_shape
        self.num_classes = num_classes
        extra = 0 if self.label_maps is None else self.label_maps.map_channels

        layer_norm = "none" if norm_kind == "spectral" else norm_kind
        bias = not has_bias_free_norm(layer_norm)
        layers: list[nn.Module] = []
        widths = [in_c + extra, *channels]
        for i in range(num_downsamples):
            first = i == 0
            layers.append(
                nn.Conv2d(
                    widths[i], widths[i + 1], kernel_size=4, stride=2, padding=1, bias=first or bias
                )
            )
            if not first:
                layers.append(make_norm(layer_norm, widths[i + 1]))
            layers.append(make_activation(act_kind))
        self.features = nn.Sequential(*layers)
        self.score = nn.Linear(channels[-1] * (freq // scale) * (frames // scale), 1)
        if norm_kind == "spectral":
            apply_spectral_norm(self.features)
            apply_spectral_norm(self.score)
        if init == "dcgan":
            dcgan_init_(self)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Score ``x (batch, channels, freq, frames)``: raw scores ``(batch,)``."""
        check_shape(
            x, (None, *self.in_shape), "ConvCritic2d input", "(batch, channels, freq, frames)"
        )
        labels = check_labels(labels, self.num_classes, x.shape[0], "ConvCritic2d")
        if self.label_maps is not None:
            x = stack_label_maps(self.label_maps, x, labels, "ConvCritic2d")
        h = self.features(x)  # (B, C, F', T')
        score = self.score(rearrange(h, "b c f t -> b (c f t)")).squeeze(1)
        if self.projection is not None:
            score = score + self.projection(h.mean(dim=(2, 3)), labels)
        return score
