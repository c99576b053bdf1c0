"""HiFi-GAN's generator (Kong et al. 2020): log-mel ``(batch, n_mels, frames)`` -> waveform.

A 7-tap input conv, then one stage per upsample rate: LeakyReLU(0.1), a transposed conv that
multiplies the time axis by the rate and halves the channels, and a multi-receptive-field fusion
(MRF): the mean of one residual block per kernel size. A 7-tap output conv and tanh give the
waveform ``(batch, 1, frames * hop)``, ``hop`` the product of the rates. Every conv is weight
normalized; :meth:`HiFiGANGenerator.remove_weight_norm` folds the norms away for inference.

The paper's three generators are :meth:`HiFiGANGenerator.v1`, :meth:`~HiFiGANGenerator.v2` and
:meth:`~HiFiGANGenerator.v3` (``config_v1.json`` ... ``config_v3.json`` of the reference
implementation, jik876/hifi-gan). Module names follow the reference (``conv_pre``, ``ups``,
``resblocks``, ``conv_post``; ``convs1``/``convs2`` and ``convs`` in the blocks), so its
checkpoints map key by key (``weight_g`` -> ``parametrizations.weight.original0``, ``weight_v``
-> ``parametrizations.weight.original1``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from audiogan._shapes import check_shape
from audiogan.nn.checks import check_odd_kernel, check_positive, check_positive_ints
from audiogan.nn.conditioning import check_labels
from audiogan.nn.init import resolve_init
from audiogan.nn.layers import apply_weight_norm, remove_weight_norm
from audiogan.registry import register

__all__ = ["HIFIGAN_PRESETS", "HiFiGANGenerator", "ResBlock1", "ResBlock2"]

LRELU_SLOPE = 0.1
"""The slope of HiFi-GAN's LeakyReLUs."""

HIFIGAN_PRESETS: dict[str, dict[str, Any]] = {
    "v1": {
        "upsample_rates": [8, 8, 2, 2],
        "upsample_kernel_sizes": [16, 16, 4, 4],
        "width": 512,
        "resblock": "1",
        "resblock_kernel_sizes": [3, 7, 11],
        "resblock_dilations": [[1, 3, 5], [1, 3, 5], [1, 3, 5]],
    },
    "v2": {
        "upsample_rates": [8, 8, 2, 2],
        "upsample_kernel_sizes": [16, 16, 4, 4],
        "width": 128,
        "resblock": "1",
        "resblock_kernel_sizes": [3, 7, 11],
        "resblock_dilations": [[1, 3, 5], [1, 3, 5], [1, 3, 5]],
    },
    "v3": {
        "upsample_rates": [8, 8, 4],
        "upsample_kernel_sizes": [16, 16, 8],
        "width": 256,
        "resblock": "2",
        "resblock_kernel_sizes": [3, 5, 7],
        "resblock_dilations": [[1, 2], [2, 6], [3, 12]],
    },
}
"""The generator settings of the reference's ``config_v1.json``, ``config_v2.json`` and
``config_v3.json`` (hop 256 at 22.05 kHz; published sizes 13.92 M, 0.92 M and 1.46 M parameters)."""


def _conv(
    in_channels: int, out_channels: int, kernel_size: int, dilation: int, init_std: float | None
) -> nn.Module:
    """A weight-normalized "same" Conv1d, its weight drawn from N(0, init_std) first."""
    conv = nn.Conv1d(
        in_channels,
        out_channels,
        kernel_size,
        dilation=dilation,
        padding=dilation * (kernel_size - 1) // 2,
    )
    if init_std is not None:
        nn.init.normal_(conv.weight, 0.0, init_std)
    return apply_weight_norm(conv, "weight")


class _ResBlock(nn.Module):
    """What both residual blocks share: the checked arguments and the config."""

    def __init__(
        self, channels: int, kernel_size: int, dilations: Sequence[int], init_std: float | None
    ) -> None:
        super().__init__()
        name = type(self).__name__
        check_positive(name, channels=channels)
        check_odd_kernel(name, kernel_size)
        self.dilations = check_positive_ints(name, "dilations", dilations)
        self.config = {
            "channels": channels,
            "kernel_size": kernel_size,
            "dilations": self.dilations,
            "init_std": init_std,
        }

    def _convs(self, dilations: Sequence[int]) -> nn.ModuleList:
        """One weight-normed 'same' conv ``channels -> channels`` per entry of ``dilations``."""
        c, k, std = self.config["channels"], self.config["kernel_size"], self.config["init_std"]
        return nn.ModuleList(_conv(c, c, k, d, std) for d in dilations)


class ResBlock1(_ResBlock):
    """HiFi-GAN's residual block "1" (V1, V2): per dilation ``d``, ``x + conv1(lrelu(conv_d(lrelu(x))))``.

    Args:
        channels: Channels in and out.
        kernel_size: Odd kernel of every conv.
        dilations: One dilated conv (followed by an undilated one) per entry; ``(1, 3, 5)`` in
            the paper.
        init_std: Weights ~ N(0, init_std) before weight norm; ``None`` keeps PyTorch's init.

    Shapes:
        ``forward(x (batch, channels, time)) -> (batch, channels, time)``.
    """

    def __init__(
        self,
        channels: int,
        kernel_size: int = 3,
        dilations: Sequence[int] = (1, 3, 5),
        init_std: float | None = 0.01,
    ) -> None:
        super().__init__(channels, kernel_size, dilations, init_std)
        self.convs1 = self._convs(self.dilations)
        self.convs2 = self._convs([1] * len(self.dilations))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x (batch, channels, time)`` -> the same shape."""
        for c1, c2 in zip(self.convs1, self.convs2, strict=True):
            h = c1(F.leaky_relu(x, LRELU_SLOPE))
            x = x + c2(F.leaky_relu(h, LRELU_SLOPE))
        return x


class ResBlock2(_ResBlock):
    """HiFi-GAN's residual block "2" (V3): per dilation ``d``, ``x + conv_d(lrelu(x))``.

    Args:
        channels: Channels in and out.
        kernel_size: Odd kernel of every conv.
        dilations: One dilated conv per entry; ``(1, 2)``, ``(2, 6)``, ``(3, 12)`` in V3.
        init_std: Weights ~ N(0, init_std) before weight norm; ``None`` keeps PyTorch's init.

    Shapes:
        ``forward(x (batch, channels, time)) -> (batch, channels, time)``.
    """

    def __init__(
        self,
        channels: int,
        kernel_size: int = 3,
        dilations: Sequence[int] = (1, 3),
        init_std: float | None = 0.01,
    ) -> None:
        super().__init__(channels, kernel_size, dilations, init_std)
        self.convs = self._convs(self.dilations)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x (batch, channels, time)`` -> the same shape."""
        for conv in self.convs:
            x = x + conv(F.leaky_relu(x, LRELU_SLOPE))
        return x


def default_kernel_size(rate: int) -> int:
    """The transposed-conv kernel for an upsample ``rate``: ``2 * rate`` (3 for a rate of 1)."""
    return 2 * rate if rate > 1 else 3


def _upsample_padding(rate: int, kernel: int) -> tuple[int, int]:
    """``(padding, output_padding)`` making ``ConvTranspose1d(kernel, stride=rate)`` give ``rate * length``.

    The reference's ``padding = (kernel - rate) // 2`` when ``kernel - rate`` is even; otherwise
    one more padding and an output padding of 1 make up the odd sample.
    """
    padding = (kernel - rate + 1) // 2
    return padding, 2 * padding - (kernel - rate)


@register
class HiFiGANGenerator(nn.Module):
    """Log-mel -> waveform: HiFi-GAN's generator, weight normalized, with multi-receptive-field fusion.

    ``conv_pre`` (7 taps, ``n_mels -> width``); per rate ``r_i``: LeakyReLU(0.1),
    ``ConvTranspose1d`` (stride ``r_i``, channels halved), the mean of one residual block per
    entry of ``resblock_kernel_sizes``; then LeakyReLU (slope 0.01, as the reference),
    ``conv_post`` (7 taps, one channel) and tanh. Any rates work: the output has exactly
    ``frames * prod(upsample_rates)`` samples.

    Presets: ``HiFiGANGenerator.v1()``, ``.v2()``, ``.v3()`` (any argument can be overridden,
    e.g. ``HiFiGANGenerator.v1(n_mels=128)``).

    Initialization: conv weights (not ``conv_pre``'s, not the biases) ~ N(0, 0.01) as the
    reference's ``init_weights`` intends, drawn *before* weight norm so the draw is the effective
    weight. The reference calls ``init_weights`` after the old hook-style ``weight_norm``, where it
    is silently a no-op (jik876/hifi-gan issue #145), so its released models started from
    PyTorch's default init: ``init="default"`` reproduces that.

    Args:
        n_mels: Mel bands of the input.
        upsample_rates: Time upsampling of each stage; their product is the hop.
        upsample_kernel_sizes: Transposed-conv kernel of each stage (>= its rate; odd for a rate
            of 1); ``None``: ``2 * rate`` (3 for a rate of 1).
        width: Channels after ``conv_pre``; stage ``i`` ends with
            ``width // 2**(i + 1)`` (at least 1).
        resblock: ``"1"`` (:class:`ResBlock1`, V1/V2) or ``"2"`` (:class:`ResBlock2`, V3).
        resblock_kernel_sizes: Odd kernel of each MRF residual block.
        resblock_dilations: Dilations of each MRF residual block (one list per kernel size).
        init: ``"normal"`` (N(0, 0.01), see above) or ``"default"`` (PyTorch's).

    Attributes:
        hop: Output samples per input frame, ``prod(upsample_rates)``.
        num_classes: 0 (unconditional).

    Shapes:
        ``forward(mel (batch, n_mels, frames)) -> (batch, 1, frames * hop)``, in [-1, 1].

    Example:
        >>> generator = HiFiGANGenerator(80, upsample_rates=(4, 4), width=16)
        >>> generator(torch.randn(2, 80, 10)).shape
        torch.Size([2, 1, 160])
    """

    num_classes: int = 0

    def __init__(
        self,
        n_mels: int = 80,
        *,
        upsample_rates: Sequence[int] = (8, 8, 2, 2),
        upsample_kernel_sizes: Sequence[int] | None = None,
        width: int = 512,
        resblock: str = "1",
        resblock_kernel_sizes: Sequence[int] = (3, 7, 11),
        resblock_dilations: Sequence[Sequence[int]] = ((1, 3, 5), (1, 3, 5), (1, 3, 5)),
        init: str = "normal",
    ) -> None:
        super().__init__()
        name = "HiFiGANGenerator"
        rates = check_positive_ints(name, "upsample_rates", upsample_rates)
        if upsample_kernel_sizes is None:
            kernels = [default_kernel_size(r) for r in rates]
        else:
            kernels = [int(k) for k in upsample_kernel_sizes]
        if len(kernels) != len(rates):
            raise ValueError(
                f"{name}: expected one upsample kernel size per rate ({len(rates)}), got {kernels}"
            )
        for r, k in zip(rates, kernels, strict=True):
            if k < r or (r == 1 and k % 2 == 0):
                raise ValueError(
                    f"{name}: upsample kernel {k} cannot upsample exactly by {r}: a kernel must be "
                    "at least its rate (and odd for a rate of 1)"
                )
        resblock, block_kernels, dilations = check_resblocks(
            name, resblock, resblock_kernel_sizes, resblock_dilations, n_mels, width
        )
        resolve_init(init, ("normal", "default"), f"{name}: init")
        self.config = {
            "n_mels": n_mels,
            "upsample_rates": rates,
            "upsample_kernel_sizes": kernels,
            "width": width,
            "resblock": resblock,
            "resblock_kernel_sizes": block_kernels,
            "resblock_dilations": dilations,
            "init": init,
        }
        self.n_mels = n_mels
        self.hop = math.prod(rates)
        self.num_kernels = len(block_kernels)
        std = 0.01 if init == "normal" else None

        widths = [max(1, width // 2**i) for i in range(len(rates) + 1)]
        self.conv_pre = _conv(n_mels, widths[0], 7, 1, None)  # the reference leaves it as is
        self.ups = nn.ModuleList()
        for i, (rate, kernel) in enumerate(zip(rates, kernels, strict=True)):
            padding, output_padding = _upsample_padding(rate, kernel)
            up = nn.ConvTranspose1d(
                widths[i], widths[i + 1], kernel, rate, padding, output_padding=output_padding
            )
            if std is not None:
                nn.init.normal_(up.weight, 0.0, std)
            self.ups.append(apply_weight_norm(up, "weight"))
        block = ResBlock1 if resblock == "1" else ResBlock2
        self.resblocks = nn.ModuleList(
            block(widths[i + 1], k, d, std)
            for i in range(len(rates))
            for k, d in zip(block_kernels, dilations, strict=True)
        )
        self.conv_post = _conv(widths[-1], 1, 7, 1, std)

    @classmethod
    def v1(cls, **overrides: Any) -> HiFiGANGenerator:
        """The paper's V1 (13.92 M parameters): rates 8-8-2-2, 512 channels, ResBlock1 3/7/11."""
        return cls(**{**HIFIGAN_PRESETS["v1"], **overrides})

    @classmethod
    def v2(cls, **overrides: Any) -> HiFiGANGenerator:
        """The paper's V2 (0.92 M parameters): V1 with 128 channels."""
        return cls(**{**HIFIGAN_PRESETS["v2"], **overrides})

    @classmethod
    def v3(cls, **overrides: Any) -> HiFiGANGenerator:
        """The paper's V3 (1.46 M parameters): rates 8-8-4, 256 channels, ResBlock2 3/5/7."""
        return cls(**{**HIFIGAN_PRESETS["v3"], **overrides})

    def forward(self, mel: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Vocode ``mel (batch, n_mels, frames)``: waveform ``(batch, 1, frames * hop)``."""
        check_shape(
            mel, (None, self.n_mels, None), "HiFiGANGenerator input", "(batch, n_mels, frames)"
        )
        check_labels(labels, 0, mel.shape[0], "HiFiGANGenerator")
        x = self.conv_pre(mel)  # (B, C0, frames)
        for i, up in enumerate(self.ups):
            x = up(F.leaky_relu(x, LRELU_SLOPE))  # (B, C_i+1, frames * r_0 ... r_i)
            blocks = self.resblocks[i * self.num_kernels : (i + 1) * self.num_kernels]
            x = sum(block(x) for block in blocks) / self.num_kernels  # MRF
        x = self.conv_post(F.leaky_relu(x))  # slope 0.01, as the reference
        return torch.tanh(x)  # (B, 1, frames * hop)

    def remove_weight_norm(self) -> HiFiGANGenerator:
        """Fold the weight norms into plain weights for inference (outputs unchanged); returns self.

        The module's ``state_dict`` keys change (``weight`` instead of
        ``parametrizations.weight.original0/1``): rebuild from ``config`` to load a training
        checkpoint, then call this.
        """
        remove_weight_norm(self)
        return self


def check_resblocks(
    name: str,
    resblock: str | int,
    kernel_sizes: Sequence[int],
    dilations: Sequence[Sequence[int]],
    n_mels: int,
    width: int,
) -> tuple[str, list[int], list[list[int]]]:
    """The residual-block settings of a HiFi-GAN-style generator, checked and normalised:
    ``("1" | "2", kernel sizes, dilation lists)``; a ValueError names ``name`` otherwise."""
    resblock = str(resblock)
    if resblock not in ("1", "2"):
        raise ValueError(f"{name}: resblock must be '1' or '2', got {resblock!r}")
    block_kernels = [int(k) for k in kernel_sizes]
    block_dilations = [[int(d) for d in ds] for ds in dilations]
    if not block_kernels or len(block_dilations) != len(block_kernels):
        raise ValueError(
            f"{name}: expected one dilation list per resblock kernel size "
            f"({len(block_kernels)}), got {len(block_dilations)}"
        )
    check_positive(name, n_mels=n_mels, width=width)
    return resblock, block_kernels, block_dilations
