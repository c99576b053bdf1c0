"""UnivNet's multi-resolution STFT critic (the paper's MRD, also BigVGAN's): 2D convs on magnitudes.

Each sub-critic takes the linear magnitude spectrogram ``(batch, 1, freq, frames)`` of the
waveform at one resolution ``(n_fft, hop_length, win_length)`` and scores it with a Conv2d stack
that strides along time (Jang et al. 2021, UnivNet section 3.2; maum-ai/univnet and
NVIDIA/BigVGAN ``DiscriminatorR``). The waveform is reflect-padded by ``(n_fft - hop) / 2`` on
both sides and the STFT is not centered, as in the references.

The papers' names stay as aliases: ``MultiResolutionSTFTDiscriminator`` is
:class:`MultiResolutionSTFTCritic`, ``STFTDiscriminator`` is :class:`STFTCritic`.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from audiogan.nn.checks import check_choice
from audiogan.nn.layers import WAVEFORM_NORMS, apply_weight_norm, resolve_norm
from audiogan.nn.waveform_layers import accept_old_submodule_name, check_waveform, score_each
from audiogan.protocols import CriticOutput
from audiogan.registry import register

__all__ = [
    "MultiResolutionSTFTCritic",
    "MultiResolutionSTFTDiscriminator",
    "STFTCritic",
    "STFTDiscriminator",
]

_WINDOWS = ("hann", "rectangular")


@register
class STFTCritic(nn.Module):
    """One resolution of :class:`MultiResolutionSTFTCritic`: STFT magnitude, Conv2d stack.

    A ``(3, 9)`` conv, ``len(channels) - 2`` ``(3, 9)`` convs striding time by 2, a ``(3, 3)``
    conv, each with LeakyReLU; then a ``(3, 3)`` conv to one channel of scores (32 channels
    throughout in UnivNet-c32 and BigVGAN).

    Args:
        resolution: ``(n_fft, hop_length, win_length)``, ``win_length <= n_fft``.
        channels: Widths of the conv stack (at least 2).
        norm: ``"weight"`` (the references), ``"spectral"`` or ``"none"`` on every conv.
        window: ``"hann"`` or ``"rectangular"``. The references call :func:`torch.stft` without
            a window, which is rectangular (and leaks); ``"rectangular"`` reproduces them.
        negative_slope: LeakyReLU slope (BigVGAN: 0.1, UnivNet: 0.2).

    Shapes:
        ``forward(x (batch, 1, time)) -> (scores (batch, n), features)``, one map
        ``(batch, channels, n_fft // 2 + 1, frames')`` per conv and the scores' map.
    """

    def __init__(
        self,
        resolution: Sequence[int] = (1024, 120, 600),
        *,
        channels: Sequence[int] = (32, 32, 32, 32, 32),
        norm: str = "weight",
        window: str = "hann",
        negative_slope: float = 0.1,
    ) -> None:
        super().__init__()
        name = "STFTCritic"
        res = [int(r) for r in resolution]
        if len(res) != 3 or min(res) < 1 or res[2] > res[0]:
            raise ValueError(
                f"{name}: resolution must be (n_fft, hop_length, win_length) of positive sizes "
                f"with win_length <= n_fft, got {res}"
            )
        widths = [int(c) for c in channels]
        if len(widths) < 2 or min(widths) < 1:
            raise ValueError(f"{name}: channels must hold at least 2 positive widths, got {widths}")
        check_choice(name, "window", window, _WINDOWS)
        norm = resolve_norm(norm, WAVEFORM_NORMS, f"{name} norm")
        self.config = {
            "resolution": res,
            "channels": widths,
            "norm": norm,
            "window": window,
            "negative_slope": negative_slope,
        }
        self.n_fft, self.hop_length, self.win_length = res
        self.negative_slope = negative_slope
        self.padding = (self.n_fft - self.hop_length) // 2
        # reflect padding needs time > padding; the STFT needs one full frame
        self.min_length = max(self.padding + 1, self.n_fft - 2 * self.padding)
        win = (
            torch.hann_window(self.win_length) if window == "hann" else torch.ones(self.win_length)
        )
        self.register_buffer("window", win, persistent=False)

        ins = [1, *widths[:-1]]
        layers = []
        for i, (c_in, c_out) in enumerate(zip(ins, widths, strict=True)):
            if i == len(widths) - 1:
                conv = nn.Conv2d(c_in, c_out, (3, 3), padding=(1, 1))
            else:
                conv = nn.Conv2d(c_in, c_out, (3, 9), (1, 1 if i == 0 else 2), padding=(1, 4))
            layers.append(apply_weight_norm(conv, norm))
        self.convs = nn.ModuleList(layers)
        self.conv_post = apply_weight_norm(nn.Conv2d(widths[-1], 1, (3, 3), padding=(1, 1)), norm)

    def spectrogram(self, x: torch.Tensor) -> torch.Tensor:
        """Magnitudes ``(batch, 1, n_fft // 2 + 1, frames)`` of ``x (batch, 1, time)``."""
        x = F.pad(x.float(), (self.padding, self.padding), mode="reflect")
        spec = torch.stft(
            x.squeeze(1),
            self.n_fft,
            self.hop_length,
            self.win_length,
            window=self.window,
            center=False,
            return_complex=True,
        )
        return spec.abs().unsqueeze(1)  # |.| of a complex tensor: a zero gradient at 0, not NaN

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Score ``x (batch, 1, time)``: patch scores ``(batch, n)`` and the feature maps."""
        check_waveform(x, f"STFTCritic(resolution={self.config['resolution']})", self.min_length)
        h = self.spectrogram(x)  # (B, 1, F, frames)
        features = []
        for conv in self.convs:
            h = F.leaky_relu(conv(h), self.negative_slope)
            features.append(h)
        h = self.conv_post(h)
        features.append(h)
        return h.flatten(1), features


@register
class MultiResolutionSTFTCritic(nn.Module):
    """UnivNet's MRD: one :class:`STFTCritic` per STFT resolution, as one critic.

    Args:
        resolutions: ``(n_fft, hop_length, win_length)`` per sub-critic (UnivNet's
            ``(1024, 120, 600), (2048, 240, 1200), (512, 50, 240)``).
        channels: Widths of each sub-critic's conv stack.
        norm: ``"weight"`` (the references), ``"spectral"`` or ``"none"``.
        window: ``"hann"`` or ``"rectangular"`` (the references' ``torch.stft`` default).
        negative_slope: LeakyReLU slope (BigVGAN: 0.1, UnivNet: 0.2).

    Attributes:
        num_classes: 0 (unconditional).
        min_length: The fewest samples every resolution accepts (reflect padding and one frame:
            453 samples for the defaults).

    Shapes:
        ``forward(x (batch, 1, time >= min_length)) -> CriticOutput``: one score tensor
        ``(batch, n_k)`` and one list of feature maps per resolution. A ``(batch, time)`` input
        is refused with a hint to add the channel axis.

    Example:
        >>> critic = MultiResolutionSTFTCritic(((64, 16, 32), (128, 32, 64)), channels=(4, 4))
        >>> out = critic(torch.randn(2, 1, 1001))
        >>> [s.shape[0] for s in out.scores]
        [2, 2]
    """

    num_classes: int = 0

    def __init__(
        self,
        resolutions: Sequence[Sequence[int]] = (
            (1024, 120, 600),
            (2048, 240, 1200),
            (512, 50, 240),
        ),
        *,
        channels: Sequence[int] = (32, 32, 32, 32, 32),
        norm: str = "weight",
        window: str = "hann",
        negative_slope: float = 0.1,
    ) -> None:
        super().__init__()
        if not resolutions:
            raise ValueError("MultiResolutionSTFTCritic: give at least one resolution")
        self.critics = nn.ModuleList(
            STFTCritic(
                r, channels=channels, norm=norm, window=window, negative_slope=negative_slope
            )
            for r in resolutions
        )
        accept_old_submodule_name(self, "discriminators", "critics")
        sub = self.critics[0].config
        self.config = {
            "resolutions": [d.config["resolution"] for d in self.critics],
            "channels": sub["channels"],
            "norm": sub["norm"],
            "window": window,
            "negative_slope": negative_slope,
        }
        self.min_length = max(d.min_length for d in self.critics)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> CriticOutput:
        """Score ``x (batch, 1, time)`` at every resolution: one score tensor and feature list each."""
        return score_each(self.critics, x, labels, "MultiResolutionSTFTCritic", self.min_length)


MultiResolutionSTFTDiscriminator = MultiResolutionSTFTCritic
"""UnivNet's name (MRD) of :class:`MultiResolutionSTFTCritic`."""

STFTDiscriminator = STFTCritic
"""UnivNet's name of :class:`STFTCritic`."""
