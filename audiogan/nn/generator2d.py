"""DCGAN-style 2D generator for spectrograms ``(channels, freq, frames)``.

The generators of the one-hot cGAN and of the conditional WGAN-GP with label embedding.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from einops import rearrange
from torch import nn

from audiogan._shapes import check_shape
from audiogan.nn.checks import check_at_least, check_positive, check_sizes, check_stage_channels
from audiogan.nn.conditioning import (
    ConditioningSpec,
    check_labels,
    conditioning_vector,
    vector_conditioning,
)
from audiogan.nn.init import dcgan_init_, resolve_init
from audiogan.nn.latent import LatentMixin
from audiogan.nn.layers import (
    ActSpec,
    NormSpec,
    has_bias_free_norm,
    make_activation,
    make_norm,
    resolve_activation,
    resolve_norm,
    resolve_upsample,
)
from audiogan.registry import register


@register
class ConvGenerator2d(LatentMixin, nn.Module):
    """Latent (and label) -> spectrogram: linear projection, reshape, upsampling stack.

    The latent ``(batch, latent_dim)``, with the label's conditioning vector concatenated, is
    projected to ``channels[0]`` maps on a base grid of ``out_shape[1:] / 2**num_upsamples``, then each
    of ``num_upsamples`` stages doubles the grid (ConvTranspose2d k4 s2 p1, or a nearest resize and a
    3x3 conv), with norm and activation between stages and ``out_activation`` at the end.

    The one-hot cGAN: ``ConvGenerator2d(100, (1, 128, 512), num_classes=n, conditioning="onehot",
    width=256)`` (base grid 8x32, channels 256-128-64-32-1). The conditional WGAN-GP with
    label embedding: ``ConvGenerator2d(100, (1, 128, 256), num_classes=n, embed_dim=16,
    width=512)``. Both end in ReLU; pass ``out_activation="relu"`` for that.

    Conditioning is pluggable: ``conditioning=OneHot(5)``, ``LabelEmbedding(5, 32)`` or a user's
    module meeting :class:`audiogan.protocols.Conditioning` (its ``out_features`` vector is
    concatenated to the latent) works as well as the names, and sets ``num_classes``.

    Args:
        latent_dim: Size of the latent vector.
        out_shape: ``(channels, freq, frames)``; ``freq`` and ``frames`` must be divisible by
            ``2**num_upsamples``.
        num_classes: Number of classes to condition on; 0 for unconditional. With a conditioning
            instance, 0 or the instance's ``num_classes`` (it is taken from the instance).
        conditioning: ``"embedding"`` (learned ``embed_dim`` vector), ``"onehot"``, or a
            conditioning module instance (stored in ``config`` as ``{"class", "config"}``).
        embed_dim: Label embedding size for ``"embedding"``.
        width: Channels on the base grid; stage ``i`` has ``width // 2**i``
            (at least 1). Ignored when ``channels`` is given.
        channels: Explicit channels entering each upsampling stage (``num_upsamples`` entries).
        num_upsamples: Number of doubling stages.
        upsample: ``"transposed"`` (ConvTranspose2d) or ``"resize"`` (nearest resize + conv).
        num_refine_convs: 3x3 convs at the output size after the last stage (0: the last stage
            draws the output). With ``n > 0`` the last stage draws half its input's maps, ``n - 1``
            convs with norm and activation refine them and a last conv maps them to the output
            channels: capacity where fine detail is drawn (harmonic stripes a few bins apart).
        norm: ``"batch"``, ``"instance"``, ``"layer"``, ``"none"`` or a class (after the projection
            and every stage but the last).
        activation: Hidden activation, by name or class.
        out_activation: Output activation by name or class (``"tanh"`` matches features in
            [-1, 1]); ``None`` for raw outputs.
        init: ``"dcgan"`` (weights ~ N(0, 0.02), :func:`~audiogan.nn.init.dcgan_init_`; BCE
            GANs such as the one-hot cGAN collapse without it) or ``"default"`` (PyTorch's).

    Shapes:
        ``forward(z (batch, latent_dim), labels (batch,) | None) -> (batch, *out_shape)``.
    """

    def __init__(
        self,
        latent_dim: int = 100,
        out_shape: Sequence[int] = (1, 128, 256),
        *,
        num_classes: int = 0,
        conditioning: ConditioningSpec = "embedding",
        embed_dim: int = 16,
        width: int = 512,
        channels: Sequence[int] | None = None,
        num_upsamples: int = 4,
        upsample: str = "transposed",
        num_refine_convs: int = 0,
        norm: NormSpec = "batch",
        activation: ActSpec = "relu",
        out_activation: ActSpec = "tanh",
        init: str = "dcgan",
    ) -> None:
        super().__init__()
        name = "ConvGenerator2d"
        resolve_init(init, ("dcgan", "default"), f"{name}: init")
        out_shape = check_sizes(name, "out_shape", out_shape, ("channels", "freq", "frames"))
        check_positive(name, latent_dim=latent_dim)
        check_at_least(name, 0, num_upsamples=num_upsamples, num_refine_convs=num_refine_convs)
        resolve_upsample(upsample, f"{name}: upsample")
        out_c, freq, frames = out_shape
        scale = 2**num_upsamples
        if freq % scale or frames % scale:
            raise ValueError(
                f"{name}: out_shape {out_shape} cannot be reached with num_upsamples={num_upsamples}: freq ({freq}) "
                f"and frames ({frames}) must both be a base size times {scale}; change out_shape or num_upsamples"
            )
        if channels is None:
            check_positive(name, width=width)
            channels = [max(1, width // 2**i) for i in range(max(num_upsamples, 1))]
        channels = check_stage_channels(
            name, channels, max(num_upsamples, 1), stage="upsampling stage"
        )
        norm_kind = resolve_norm(norm, ("batch", "instance", "layer", "none"), f"{name} norm")
        act_kind = resolve_activation(activation, f"{name} activation")
        out_act_kind = resolve_activation(out_activation, f"{name} out_activation")
        if norm_kind == "instance" and freq * frames == scale * scale:
            raise ValueError(
                f"{name}: norm='instance' needs more than one position per map, but out_shape {out_shape} starts "
                f"from a 1x1 base grid with num_upsamples={num_upsamples}; use norm='layer' or fewer num_upsamples"
            )

        cond_module, num_classes, cond_config = vector_conditioning(
            conditioning, num_classes, embed_dim, name
        )
        self.config = {
            "latent_dim": latent_dim,
            "out_shape": list(out_shape),
            "num_classes": num_classes,
            "conditioning": cond_config,
            "embed_dim": embed_dim,
            "width": width,
            "channels": channels,
            "num_upsamples": num_upsamples,
            "upsample": upsample,
            **({"num_refine_convs": num_refine_convs} if num_refine_convs else {}),
            "norm": norm_kind,
            "activation": act_kind,
            "out_activation": None if out_act_kind == "none" else out_act_kind,
            "init": init,
        }
        self.latent_dim = latent_dim
        self.out_shape = out_shape
        self.num_classes = num_classes
        self.base_grid = (freq // scale, frames // scale)
        self.conditioning = cond_module
        cond_dim = 0 if self.conditioning is None else self.conditioning.out_features

        bias = not has_bias_free_norm(norm_kind)
        self.project = nn.Linear(
            latent_dim + cond_dim, channels[0] * self.base_grid[0] * self.base_grid[1], bias=bias
        )
        self.project_act = nn.Sequential(
            make_norm(norm_kind, channels[0]), make_activation(act_kind)
        )

        stages: list[nn.Module] = []
        widths = [*channels, out_c]
        if num_refine_convs and num_upsamples:  # the last stage keeps hidden maps for the convs
            widths[-1] = max(1, widths[-2] // 2)
        for i in range(num_upsamples):
            last = i == num_upsamples - 1 and not num_refine_convs
            c_in, c_out = widths[i], widths[i + 1]
            stages.append(_upsample_conv(c_in, c_out, upsample, bias=last or bias))
            if not last:
                stages += [make_norm(norm_kind, c_out), make_activation(act_kind)]
        hidden = widths[-1] if num_upsamples else channels[0]
        for j in range(num_refine_convs):  # 3x3 convs at the output size; the last one maps out
            last = j == num_refine_convs - 1
            c_out = out_c if last else hidden
            stages.append(nn.Conv2d(hidden, c_out, 3, padding=1, bias=last or bias))
            if not last:
                stages += [make_norm(norm_kind, c_out), make_activation(act_kind)]
        if num_upsamples == 0 and not num_refine_convs:  # a 3x3 conv maps to out channels
            stages.append(nn.Conv2d(channels[0], out_c, kernel_size=3, padding=1))
        stages.append(make_activation(out_act_kind))
        self.stages = nn.Sequential(*stages)
        if init == "dcgan":
            dcgan_init_(self)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Generate ``(batch, *out_shape)`` from ``z (batch, latent_dim)`` and ``labels (batch,)``."""
        check_shape(z, (None, self.latent_dim), "ConvGenerator2d latent", "(batch, latent_dim)")
        labels = check_labels(labels, self.num_classes, z.shape[0], "ConvGenerator2d")
        if self.conditioning is not None:
            cond = conditioning_vector(
                self.conditioning, labels, z.shape[0], z.dtype, "ConvGenerator2d"
            )
            z = torch.cat([z, cond], dim=1)  # (B, latent_dim + out_features)
        f0, t0 = self.base_grid
        h = rearrange(self.project(z), "b (c f t) -> b c f t", f=f0, t=t0)  # (B, C0, F0, T0)
        return self.stages(self.project_act(h))  # (B, C, F, T)


def _upsample_conv(c_in: int, c_out: int, mode: str, bias: bool) -> nn.Module:
    """One doubling stage: ``(B, c_in, F, T) -> (B, c_out, 2F, 2T)``."""
    if mode == "transposed":
        return nn.ConvTranspose2d(c_in, c_out, kernel_size=4, stride=2, padding=1, bias=bias)
    return nn.Sequential(
        nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(c_in, c_out, 3, padding=1, bias=bias)
    )
