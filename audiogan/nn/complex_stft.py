"""EnCodec's multi-scale complex-STFT critic (MS-STFTD): real and imaginary parts as 2 channels.

Each scale takes the complex STFT of the waveform (Hann window, not centred, normalized by the
window's energy as torchaudio's ``Spectrogram(normalized=True)``), stacks real and imaginary
parts as two channels ``(batch, 2, frames, freq)`` and scores them with a Conv2d stack: a
``(3, 9)`` conv, three ``(3, 9)`` convs striding frequency by 2 and dilating time by 1, 2 and 4,
a ``(3, 3)`` conv, LeakyReLU(0.2) after each, and a ``(3, 3)`` conv to one channel of scores
(Défossez et al. 2022, section 3.4; facebookresearch/encodec ``msstftd.py``). As the reference,
every conv but the first is weight normalized, and the feature maps are the five activations
(not the scores). The paper's five scales have windows 2048, 1024, 512, 256 and 128 with a
quarter-window hop.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn

from audiogan.nn.checks import check_positive
from audiogan.nn.layers import WAVEFORM_NORMS, apply_weight_norm, resolve_norm
from audiogan.nn.waveform_layers import check_waveform, score_each
from audiogan.protocols import CriticOutput
from audiogan.registry import register

__all__ = ["ComplexMultiScaleSTFTCritic", "ComplexSTFTCritic", "MultiScaleSTFTDiscriminator"]


def _padding(kernel: Sequence[int], dilation: Sequence[int] = (1, 1)) -> tuple[int, int]:
    return ((kernel[0] - 1) * dilation[0] // 2, (kernel[1] - 1) * dilation[1] // 2)


@register
class ComplexSTFTCritic(nn.Module):
    """One scale of :class:`ComplexMultiScaleSTFTCritic` (EnCodec's ``DiscriminatorSTFT``).

    Args:
        n_fft: FFT size.
        hop_length: Samples between frames (``None``: ``n_fft // 4``).
        win_length: Hann window length (``None``: ``n_fft``).
        width: Channels of the first conv (EnCodec: 32).
        max_width: Cap on the channels.
        width_growth: Channel growth per conv (EnCodec's ``filters_scale``, 1).
        kernel_size: ``(time, freq)`` kernel of the inner convs.
        stride: ``(time, freq)`` stride of the dilated convs.
        dilations: Time dilation of each strided conv.
        normalized: Divide the STFT by ``sqrt(sum(window**2))`` (EnCodec: True).
        norm: ``"weight"`` (EnCodec), ``"spectral"`` or ``"none"`` on every conv but the first
            (which EnCodec leaves plain).
        negative_slope: LeakyReLU slope (0.2).

    Attributes:
        min_length: The fewest samples it accepts: one full frame, ``n_fft``.

    Shapes:
        ``forward(x (batch, 1, time)) -> (scores (batch, n), features)``, 5 feature maps
        ``(batch, channels, frames, freq')``; ``frames = 1 + (time - n_fft) // hop_length``.
    """

    window: torch.Tensor

    def __init__(
        self,
        n_fft: int = 1024,
        *,
        hop_length: int | None = None,
        win_length: int | None = None,
        width: int = 32,
        max_width: int = 1024,
        width_growth: int = 1,
        kernel_size: Sequence[int] = (3, 9),
        stride: Sequence[int] = (1, 2),
        dilations: Sequence[int] = (1, 2, 4),
        normalized: bool = True,
        norm: str = "weight",
        negative_slope: float = 0.2,
    ) -> None:
        super().__init__()
        name = "ComplexSTFTCritic"
        hop = n_fft // 4 if hop_length is None else int(hop_length)
        win = n_fft if win_length is None else int(win_length)
        kernel = [int(k) for k in kernel_size]
        strides = [int(s) for s in stride]
        dils = [int(d) for d in dilations]
        if n_fft < 2 or hop < 1 or not 1 <= win <= n_fft:
            raise ValueError(
                f"{name}: expected n_fft >= 2, hop_length >= 1 and 1 <= win_length <= n_fft, got "
                f"{n_fft}, {hop}, {win}"
            )
        if (
            len(kernel) != 2
            or len(strides) != 2
            or min(kernel + strides) < 1
            or min(dils, default=1) < 1
        ):
            raise ValueError(
                f"{name}: expected 2D kernel_size and stride and dilations >= 1, got "
                f"{kernel}, {strides}, {dils}"
            )
        check_positive(name, width=width, max_width=max_width, width_growth=width_growth)
        norm = str(resolve_norm(norm, WAVEFORM_NORMS, f"{name} norm"))
        self.config = {
            "n_fft": int(n_fft),
            "hop_length": hop,
            "win_length": win,
            "width": int(width),
            "max_width": int(max_width),
            "width_growth": int(width_growth),
            "kernel_size": kernel,
            "stride": strides,
            "dilations": dils,
            "normalized": bool(normalized),
            "norm": norm,
            "negative_slope": float(negative_slope),
        }
        self.n_fft, self.hop_length, self.win_length = int(n_fft), hop, win
        self.normalized = bool(normalized)
        self.negative_slope = float(negative_slope)
        self.min_length = self.n_fft
        self.register_buffer("window", torch.hann_window(win), persistent=False)

        convs = [nn.Conv2d(2, width, kernel, padding=_padding(kernel))]  # plain, as EnCodec's
        c_in = width  # EnCodec's min(width_growth * width, max_width) fails for a growth > 1
        for i, d in enumerate(dils):
            c_out = min(width_growth ** (i + 1) * width, max_width)
            conv = nn.Conv2d(
                c_in, c_out, kernel, strides, dilation=(d, 1), padding=_padding(kernel, (d, 1))
            )
            convs.append(apply_weight_norm(conv, norm))
            c_in = c_out
        c_out = min(width_growth ** (len(dils) + 1) * width, max_width)
        square = (kernel[0], kernel[0])
        convs.append(
            apply_weight_norm(nn.Conv2d(c_in, c_out, square, padding=_padding(square)), norm)
        )
        self.convs = nn.ModuleList(convs)
        self.conv_post = apply_weight_norm(
            nn.Conv2d(c_out, 1, square, padding=_padding(square)), norm
        )

    def spectrogram(self, x: torch.Tensor) -> torch.Tensor:
        """Real and imaginary parts ``(batch, 2, frames, n_fft // 2 + 1)`` of ``x (batch, 1, time)``."""
        spec = torch.stft(
            x.float().squeeze(1),
            self.n_fft,
            self.hop_length,
            self.win_length,
            window=self.window,
            center=False,
            return_complex=True,
        )  # (B, freq, frames)
        if self.normalized:
            spec = spec / self.window.square().sum().sqrt()
        spec = torch.stack([spec.real, spec.imag], dim=1)  # (B, 2, freq, frames)
        return rearrange(spec, "b c f t -> b c t f")

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Score ``x (batch, 1, time)``: patch scores ``(batch, n)`` and the 5 feature maps."""
        check_waveform(x, f"ComplexSTFTCritic(n_fft={self.n_fft})", self.min_length)
        h = self.spectrogram(x)
        features = []
        for conv in self.convs:
            h = F.leaky_relu(conv(h), self.negative_slope)
            features.append(h)
        h = self.conv_post(h)  # (B, 1, frames, freq')
        return h.flatten(1), features


@register
class ComplexMultiScaleSTFTCritic(nn.Module):
    """EnCodec's MS-STFT critic: one :class:`ComplexSTFTCritic` per scale, as one critic.

    Args:
        n_ffts: FFT size of each scale (the paper's 2048, 1024, 512, 256, 128).
        hop_lengths: Hop of each scale (``None``: a quarter of each FFT size).
        win_lengths: Window of each scale (``None``: the FFT sizes).
        width: Channels of each scale's convs (32).
        normalized: Normalize each STFT by its window's energy.
        norm: ``"weight"`` (EnCodec), ``"spectral"`` or ``"none"``.
        negative_slope: LeakyReLU slope (0.2).

    Attributes:
        num_classes: 0 (unconditional).
        min_length: The fewest samples every scale accepts (the largest FFT size).

    Shapes:
        ``forward(x (batch, 1, time >= min_length)) -> CriticOutput``: one score tensor
        ``(batch, n_k)`` and one list of 5 feature maps per scale.

    Example:
        >>> D = ComplexMultiScaleSTFTCritic(n_ffts=(256, 128), width=4)
        >>> out = D(torch.randn(2, 1, 1024))
        >>> [s.shape[0] for s in out.scores], len(out.features[0])
        ([2, 2], 5)
    """

    num_classes: int = 0

    def __init__(
        self,
        *,
        n_ffts: Sequence[int] = (2048, 1024, 512, 256, 128),
        hop_lengths: Sequence[int] | None = None,
        win_lengths: Sequence[int] | None = None,
        width: int = 32,
        normalized: bool = True,
        norm: str = "weight",
        negative_slope: float = 0.2,
    ) -> None:
        super().__init__()
        ffts = [int(n) for n in n_ffts]
        hops = [n // 4 for n in ffts] if hop_lengths is None else [int(h) for h in hop_lengths]
        wins = list(ffts) if win_lengths is None else [int(w) for w in win_lengths]
        if not ffts or not len(ffts) == len(hops) == len(wins):
            raise ValueError(
                "ComplexMultiScaleSTFTCritic: expected at least one scale and as many hop and "
                f"window lengths as FFT sizes, got {ffts}, {hops}, {wins}"
            )
        self.critics = nn.ModuleList(
            ComplexSTFTCritic(
                n,
                hop_length=h,
                win_length=w,
                width=width,
                normalized=normalized,
                norm=norm,
                negative_slope=negative_slope,
            )
            for n, h, w in zip(ffts, hops, wins, strict=True)
        )
        sub = self.critics[0].config
        self.config = {
            "n_ffts": ffts,
            "hop_lengths": hops,
            "win_lengths": wins,
            "width": sub["width"],
            "normalized": sub["normalized"],
            "norm": sub["norm"],
            "negative_slope": sub["negative_slope"],
        }
        self.min_length = max(c.min_length for c in self.critics)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> CriticOutput:
        """Score ``x (batch, 1, time)`` at every scale: one score tensor and feature list each."""
        return score_each(self.critics, x, labels, "ComplexMultiScaleSTFTCritic", self.min_length)


MultiScaleSTFTDiscriminator = ComplexMultiScaleSTFTCritic
"""The paper's name of :class:`ComplexMultiScaleSTFTCritic` (EnCodec's MS-STFTD)."""
