"""Vocos (Siuzdak 2023): a ConvNeXt backbone kept at frame rate and an inverse-STFT head.

Mel features ``(batch, n_mels, frames)`` go through a 7-tap embedding convolution and a
LayerNorm, ``num_layers`` ConvNeXt blocks (depthwise 7-tap conv, LayerNorm, pointwise
``width -> intermediate_width -> width`` with GELU, a learned per-channel layer scale, a
residual), a final LayerNorm, and :class:`~audiogan.nn.ISTFTHead`: no upsampling layer, the
hop comes from the inverse STFT (gemelo-ai/vocos ``models.py`` ``VocosBackbone``, ``modules.py``
``ConvNeXtBlock``, ``heads.py`` ``ISTFTHead``). Module names follow the reference
(``embed``, ``norm``, ``convnext``, ``final_layer_norm``, ``head.out``): a Vocos checkpoint's
``backbone.*`` keys load without their ``backbone.`` prefix, and its head's ``nn.Linear`` weight
gains a trailing axis of 1 (this block's 1x1 convolution).

The constructor's defaults are the published 24 kHz mel configuration (``configs/vocos.yaml``:
100 mels, dim 512, intermediate dim 1536, 8 layers, n_fft 1024, hop 256): 13.5 M parameters.
That model frames its mels and its head with ``padding="center"``; the default here is
``"same"``, so ``frames`` mel frames give exactly ``frames * 256`` samples.
"""

from __future__ import annotations

import torch
from torch import nn

from audiogan._shapes import check_shape
from audiogan.nn.checks import check_odd_kernel, check_positive
from audiogan.nn.conditioning import check_labels
from audiogan.nn.istft_head import ISTFTHead
from audiogan.registry import register

__all__ = ["ConvNeXtBlock", "VocosGenerator"]


class ConvNeXtBlock(nn.Module):
    """Vocos' 1D ConvNeXt block: ``x + gamma * pw2(gelu(pw1(norm(dwconv(x)))))``.

    Args:
        width: Channels in and out.
        intermediate_width: Channels of the pointwise expansion.
        layer_scale: Initial value of the per-channel scale ``gamma`` (``0``: no scale).
        kernel_size: Odd kernel of the depthwise convolution.

    Shapes:
        ``forward(x (batch, width, frames)) -> (batch, width, frames)``.
    """

    def __init__(
        self, width: int, *, intermediate_width: int, layer_scale: float, kernel_size: int = 7
    ) -> None:
        super().__init__()
        check_positive("ConvNeXtBlock", width=width, intermediate_width=intermediate_width)
        check_odd_kernel("ConvNeXtBlock", kernel_size)
        self.dwconv = nn.Conv1d(
            width, width, kernel_size, padding=kernel_size // 2, groups=width
        )  # depthwise
        self.norm = nn.LayerNorm(width, eps=1e-6)
        self.pwconv1 = nn.Linear(width, intermediate_width)
        self.act = nn.GELU()
        self.pwconv2 = nn.Linear(intermediate_width, width)
        self.gamma = (
            nn.Parameter(torch.full((width,), float(layer_scale))) if layer_scale > 0 else None
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x (batch, width, frames)`` -> the same shape."""
        h = self.dwconv(x).transpose(1, 2)  # (B, frames, width)
        h = self.pwconv2(self.act(self.pwconv1(self.norm(h))))
        if self.gamma is not None:
            h = self.gamma * h
        return x + h.transpose(1, 2)


@register
class VocosGenerator(nn.Module):
    """Mel features -> waveform: Vocos' ConvNeXt backbone at frame rate + :class:`ISTFTHead`.

    See :mod:`audiogan.nn.vocos`. Backbone convolutions and linear layers start from N(0, 0.02)
    (``trunc_normal_`` with its default bounds ±2, as the reference) and zero biases; the head
    keeps PyTorch's init, as the reference.

    Args:
        n_mels: Mel bands of the input (Vocos: 100).
        width: Backbone channels (Vocos' ``dim``, 512).
        intermediate_width: ConvNeXt expansion (Vocos' ``intermediate_dim``, 1536).
        num_layers: ConvNeXt blocks (8).
        n_fft: FFT size of the head (1024).
        hop_length: Samples per input frame (256).
        layer_scale: Initial layer scale (``None``: ``1 / num_layers``, the reference's).
        max_magnitude: Ceiling of the head's ``exp`` magnitude (``1e2``).
        padding: The head's framing, ``"same"`` or ``"center"`` (:class:`ISTFTHead`).

    Attributes:
        hop: Output samples per input frame, ``hop_length``.
        num_classes: 0 (unconditional).

    Shapes:
        ``forward(mel (batch, n_mels, frames)) -> (batch, 1, frames * hop_length)``
        (``"center"``: ``(frames - 1) * hop_length``). The output is not squashed into [-1, 1].

    Example:
        >>> G = VocosGenerator(16, width=32, intermediate_width=64, num_layers=2, n_fft=64,
        ...                    hop_length=16)
        >>> G(torch.randn(2, 16, 10)).shape
        torch.Size([2, 1, 160])
    """

    num_classes: int = 0

    def __init__(
        self,
        n_mels: int = 100,
        *,
        width: int = 512,
        intermediate_width: int = 1536,
        num_layers: int = 8,
        n_fft: int = 1024,
        hop_length: int = 256,
        layer_scale: float | None = None,
        max_magnitude: float | None = 1e2,
        padding: str = "same",
    ) -> None:
        super().__init__()
        name = "VocosGenerator"
        check_positive(
            name,
            n_mels=n_mels,
            width=width,
            intermediate_width=intermediate_width,
            num_layers=num_layers,
        )
        scale = 1.0 / num_layers if layer_scale is None else float(layer_scale)
        self.config = {
            "n_mels": int(n_mels),
            "width": int(width),
            "intermediate_width": int(intermediate_width),
            "num_layers": int(num_layers),
            "n_fft": int(n_fft),
            "hop_length": int(hop_length),
            "layer_scale": layer_scale,
            "max_magnitude": max_magnitude,
            "padding": padding,
        }
        self.n_mels = int(n_mels)
        self.hop = int(hop_length)
        self.embed = nn.Conv1d(n_mels, width, 7, padding=3)
        self.norm = nn.LayerNorm(width, eps=1e-6)
        self.convnext = nn.ModuleList(
            ConvNeXtBlock(width, intermediate_width=intermediate_width, layer_scale=scale)
            for _ in range(num_layers)
        )
        self.final_layer_norm = nn.LayerNorm(width, eps=1e-6)
        for m in self.modules():
            if isinstance(m, (nn.Conv1d, nn.Linear)):
                nn.init.trunc_normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)
        self.head = ISTFTHead(
            width,
            n_fft=n_fft,
            hop_length=hop_length,
            max_magnitude=max_magnitude,
            padding=padding,
        )

    def backbone(self, mel: torch.Tensor) -> torch.Tensor:
        """The frame-rate features ``(batch, width, frames)`` the head reads."""
        x = self.norm(self.embed(mel).transpose(1, 2)).transpose(1, 2)  # (B, width, frames)
        for block in self.convnext:
            x = block(x)
        return self.final_layer_norm(x.transpose(1, 2)).transpose(1, 2)

    def forward(self, mel: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Vocode ``mel (batch, n_mels, frames)``: waveform ``(batch, 1, frames * hop_length)``."""
        check_shape(
            mel, (None, self.n_mels, None), "VocosGenerator input", "(batch, n_mels, frames)"
        )
        check_labels(labels, 0, mel.shape[0], "VocosGenerator")
        return self.head(self.backbone(mel))
