"""iSTFTNet (Kaneko et al. 2022): HiFi-GAN with fewer upsampling stages, then an inverse STFT.

HiFi-GAN V1 upsamples mel frames by 8, 8, 2 and 2 with transposed convolutions and
multi-receptive-field residual blocks. iSTFTNet keeps the first stages (``C8C8I``: 8 and 8) and
replaces the last ones with an inverse STFT of a small frame (``n_fft`` 16, hop 4): a
weight-normalized 7-tap convolution predicts the magnitude and phase of one STFT frame per
sample of the upsampled features (:class:`~audiogan.nn.ISTFTHead`), so the hop is
``prod(upsample_rates) * hop_length`` (256 for C8C8I). The trunk is built from HiFi-GAN's own
blocks (:class:`~audiogan.nn.ResBlock1` / :class:`~audiogan.nn.ResBlock2`) with the reference's
module names (``conv_pre``, ``ups``, ``resblocks``; rishikksh20/iSTFTNet-pytorch ``models.py``);
the head's convolution is ``head.out`` (the reference's ``conv_post``).

Two choices differ from that reference and are options or framing: the magnitude is
``min(exp(m), max_magnitude)`` (Vocos' safeguard; ``max_magnitude=None`` for the reference's
plain ``exp``) and the phase enters as ``cos p + i sin p`` (the reference feeds ``sin p`` as the
phase, which confines it to [-1, 1] radians); the reference reflect-pads one frame and inverts
with a centred STFT, :class:`ISTFTHead`'s "same" framing gives the same ``frames * hop`` samples
directly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from audiogan._shapes import check_shape
from audiogan.nn.checks import check_positive_ints
from audiogan.nn.conditioning import check_labels
from audiogan.nn.hifigan import LRELU_SLOPE, ResBlock1, ResBlock2, check_resblocks
from audiogan.nn.istft_head import ISTFTHead
from audiogan.nn.layers import apply_weight_norm, remove_weight_norm
from audiogan.registry import register

__all__ = ["ISTFTNetGenerator"]


def _weight_normed_conv(in_channels: int, out_channels: int, kernel_size: int) -> nn.Module:
    conv = nn.Conv1d(in_channels, out_channels, kernel_size, padding=kernel_size // 2)
    return apply_weight_norm(conv, "weight")


@register
class ISTFTNetGenerator(nn.Module):
    """Log-mel -> waveform: HiFi-GAN's upsampling trunk cut short, then :class:`ISTFTHead`.

    ``conv_pre`` (7 taps, ``n_mels -> width``); per rate ``r_i``: LeakyReLU(0.1), a
    ``ConvTranspose1d`` (stride ``r_i``, channels halved), the mean of one HiFi-GAN residual block
    per kernel size (MRF); LeakyReLU(0.01); then the head: a weight-normalized 7-tap conv to
    ``n_fft + 2`` channels and an inverse STFT of hop ``hop_length``. The defaults are the paper's
    ``C8C8I`` (V1's trunk with rates 8, 8, 512 channels; ``n_fft`` 16, hop 4).

    Initialization: the transposed convs, the residual blocks and the head's conv ~ N(0, 0.01)
    before weight norm (``init="normal"``, as :class:`~audiogan.nn.HiFiGANGenerator`), or
    PyTorch's (``init="default"``).

    Args:
        n_mels: Mel bands of the input.
        upsample_rates: Time upsampling of each transposed-conv stage.
        upsample_kernel_sizes: Kernel of each stage (``None``: ``2 * rate``); ``kernel - rate``
            must be even.
        width: Channels after ``conv_pre``; stage ``i`` ends with ``width // 2**(i + 1)``.
        resblock: ``"1"`` (:class:`~audiogan.nn.ResBlock1`) or ``"2"``
            (:class:`~audiogan.nn.ResBlock2`).
        resblock_kernel_sizes: Odd kernel of each MRF residual block.
        resblock_dilations: Dilations of each MRF residual block.
        n_fft: FFT size of the head (16).
        hop_length: Head hop (4).
        max_magnitude: Ceiling of the head's ``exp`` magnitude (``None``: none).
        init: ``"normal"`` or ``"default"``.

    Attributes:
        hop: Output samples per mel frame, ``prod(upsample_rates) * hop_length``.
        num_classes: 0 (unconditional).

    Shapes:
        ``forward(mel (batch, n_mels, frames)) -> (batch, 1, frames * hop)``, not squashed.

    Example:
        >>> G = ISTFTNetGenerator(16, upsample_rates=(4,), width=16, n_fft=16, hop_length=4)
        >>> G.hop, G(torch.randn(2, 16, 10)).shape
        (16, torch.Size([2, 1, 160]))
    """

    num_classes: int = 0

    def __init__(
        self,
        n_mels: int = 80,
        *,
        upsample_rates: Sequence[int] = (8, 8),
        upsample_kernel_sizes: Sequence[int] | None = None,
        width: int = 512,
        resblock: str = "1",
        resblock_kernel_sizes: Sequence[int] = (3, 7, 11),
        resblock_dilations: Sequence[Sequence[int]] = ((1, 3, 5), (1, 3, 5), (1, 3, 5)),
        n_fft: int = 16,
        hop_length: int = 4,
        max_magnitude: float | None = 1e2,
        init: str = "normal",
    ) -> None:
        super().__init__()
        name = "ISTFTNetGenerator"
        rates = check_positive_ints(name, "upsample_rates", upsample_rates)
        kernels = (
            [2 * r for r in rates]
            if upsample_kernel_sizes is None
            else [int(k) for k in upsample_kernel_sizes]
        )
        if len(kernels) != len(rates) or any(
            k < r or (k - r) % 2 for r, k in zip(rates, kernels, strict=False)
        ):
            raise ValueError(
                f"{name}: expected one upsample kernel per rate, each >= its rate with "
                f"kernel - rate even (exact upsampling), got rates {rates}, kernels {kernels}"
            )
        resblock, block_kernels, dilations = check_resblocks(
            name, resblock, resblock_kernel_sizes, resblock_dilations, n_mels, width
        )
        if init not in ("normal", "default"):
            raise ValueError(f"{name}: init must be 'normal' or 'default', got {init!r}")
        self.config = {
            "n_mels": int(n_mels),
            "upsample_rates": rates,
            "upsample_kernel_sizes": kernels,
            "width": int(width),
            "resblock": resblock,
            "resblock_kernel_sizes": block_kernels,
            "resblock_dilations": dilations,
            "n_fft": int(n_fft),
            "hop_length": int(hop_length),
            "max_magnitude": max_magnitude,
            "init": init,
        }
        self.n_mels = int(n_mels)
        self.hop = math.prod(rates) * int(hop_length)
        self.num_kernels = len(block_kernels)
        std = 0.01 if init == "normal" else None

        widths = [max(1, width // 2**i) for i in range(len(rates) + 1)]
        self.conv_pre = _weight_normed_conv(n_mels, widths[0], 7)
        self.ups = nn.ModuleList()
        for i, (rate, kernel) in enumerate(zip(rates, kernels, strict=True)):
            up = nn.ConvTranspose1d(widths[i], widths[i + 1], kernel, rate, (kernel - rate) // 2)
            if std is not None:
                nn.init.normal_(up.weight, 0.0, std)
            self.ups.append(apply_weight_norm(up, "weight"))
        block = ResBlock1 if resblock == "1" else ResBlock2
        self.resblocks = nn.ModuleList(
            block(widths[i + 1], kernel_size=k, dilations=d, init_std=std)
            for i in range(len(rates))
            for k, d in zip(block_kernels, dilations, strict=True)
        )
        self.head = ISTFTHead(
            widths[-1],
            n_fft=n_fft,
            hop_length=hop_length,
            kernel_size=7,
            max_magnitude=max_magnitude,
            norm="weight",
            init_std=std,
        )

    def trunk(self, mel: torch.Tensor) -> torch.Tensor:
        """HiFi-GAN's stages: features ``(batch, width // 2**len(rates), frames * prod(rates))``."""
        x = self.conv_pre(mel)
        for i, up in enumerate(self.ups):
            x = up(F.leaky_relu(x, LRELU_SLOPE))
            blocks = self.resblocks[i * self.num_kernels : (i + 1) * self.num_kernels]
            x = sum(block(x) for block in blocks) / self.num_kernels  # MRF
        return F.leaky_relu(x)  # slope 0.01, as the reference

    def forward(self, mel: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Vocode ``mel (batch, n_mels, frames)``: waveform ``(batch, 1, frames * hop)``."""
        check_shape(
            mel, (None, self.n_mels, None), "ISTFTNetGenerator input", "(batch, n_mels, frames)"
        )
        check_labels(labels, 0, mel.shape[0], "ISTFTNetGenerator")
        return self.head(self.trunk(mel))

    def remove_weight_norm(self) -> ISTFTNetGenerator:
        """Fold the weight norms into plain weights for inference (outputs unchanged); returns self."""
        remove_weight_norm(self)
        return self
