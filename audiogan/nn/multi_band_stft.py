"""DAC's multi-band complex-STFT critic (also Vocos'): each frequency band scored by its own stack.

For each window length (2048, 1024, 512; hop a quarter of it) the waveform's complex STFT is
taken as two channels (real, imaginary), ``(batch, 2, frames, freq)``, and cut along frequency
into five bands (0-0.1, 0.1-0.25, 0.25-0.5, 0.5-0.75, 0.75-1 of the bins). Each band goes through
its own weight-normalized Conv2d stack (a ``(3, 9)`` conv, three ``(3, 9)`` convs striding
frequency by 2, a ``(3, 3)`` conv, LeakyReLU(0.1) after each); the bands are concatenated along
frequency again and one ``(3, 3)`` conv gives the scores (Kumar et al. 2023,
descriptinc/descript-audio-codec ``dac/model/discriminator.py`` ``MRD``; gemelo-ai/vocos
``discriminators.py`` ``DiscriminatorR``).

As Vocos, each sub-critic removes the clip's DC offset and peak-normalizes it to 0.8 first
(DAC does it once for all its discriminators) and takes a centred STFT with a periodic Hann
window (DAC pads by ``(window - hop) / 2`` instead, a shift of the frames); as DAC, the
feature maps are every conv's output, the first included (Vocos leaves the first out).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn

from audiogan.nn.layers import WAVEFORM_NORMS, apply_weight_norm, resolve_norm
from audiogan.nn.waveform_layers import check_waveform, score_each
from audiogan.protocols import CriticOutput
from audiogan.registry import register

__all__ = ["DAC_BANDS", "BandSTFTCritic", "MultiBandDiscriminator", "MultiBandSTFTCritic"]

DAC_BANDS: tuple[tuple[float, float], ...] = (
    (0.0, 0.1),
    (0.1, 0.25),
    (0.25, 0.5),
    (0.5, 0.75),
    (0.75, 1.0),
)
"""DAC's five frequency bands, as fractions of the ``window // 2 + 1`` STFT bins."""


def _check_bands(name: str, bands: Sequence[Sequence[float]]) -> list[list[float]]:
    out = [[float(lo), float(hi)] for lo, hi in bands]
    if not out or any(not 0.0 <= lo < hi <= 1.0 for lo, hi in out):
        raise ValueError(f"{name}: bands must be (low, high) with 0 <= low < high <= 1, got {out}")
    return out


def normalize_volume(x: torch.Tensor) -> torch.Tensor:
    """DAC's and Vocos' input normalization: no DC offset, peak 0.8 (``x (batch, 1, time)``)."""
    x = x - x.mean(dim=-1, keepdim=True)
    return 0.8 * x / (x.abs().amax(dim=-1, keepdim=True) + 1e-9)


@register
class BandSTFTCritic(nn.Module):
    """One window length of :class:`MultiBandSTFTCritic`: complex STFT, one stack per band.

    Args:
        window_length: STFT size and Hann window length.
        bands: Frequency bands as fractions of the bins (:data:`DAC_BANDS`).
        width: Channels of every conv (32).
        hop_factor: Hop as a fraction of the window (0.25).
        normalize: Remove the DC offset and peak-normalize to 0.8 first (Vocos, DAC).
        norm: ``"weight"`` (the references), ``"spectral"`` or ``"none"``.

    Attributes:
        bins: ``(start, stop)`` bin range of each band.
        min_length: The fewest samples it accepts (``window_length // 2 + 1``: reflect padding).

    Shapes:
        ``forward(x (batch, 1, time)) -> (scores (batch, n), features)``: scores from the map
        ``(batch, 1, frames', window_length // 2 + 1 reduced by the strides)``; 5 feature maps
        ``(batch, width, frames, freq')`` per band, then the scores' map.
    """

    window: torch.Tensor

    def __init__(
        self,
        window_length: int = 2048,
        *,
        bands: Sequence[Sequence[float]] = DAC_BANDS,
        width: int = 32,
        hop_factor: float = 0.25,
        normalize: bool = True,
        norm: str = "weight",
    ) -> None:
        super().__init__()
        name = "BandSTFTCritic"
        hop = int(window_length * hop_factor)
        if window_length < 4 or hop < 1 or width < 1:
            raise ValueError(
                f"{name}: expected window_length >= 4, a hop of at least 1 sample and width >= 1, "
                f"got window_length={window_length}, hop_factor={hop_factor}, width={width}"
            )
        fractions = _check_bands(name, bands)
        num_bins = window_length // 2 + 1
        self.bins = [(int(lo * num_bins), int(hi * num_bins)) for lo, hi in fractions]
        if any(stop <= start for start, stop in self.bins):
            raise ValueError(
                f"{name}: every band must hold at least one of the {num_bins} bins, got bins "
                f"{self.bins}"
            )
        norm = str(resolve_norm(norm, WAVEFORM_NORMS, f"{name} norm"))
        self.config = {
            "window_length": int(window_length),
            "bands": fractions,
            "width": int(width),
            "hop_factor": float(hop_factor),
            "normalize": bool(normalize),
            "norm": norm,
        }
        self.window_length = int(window_length)
        self.hop_length = hop
        self.normalize = bool(normalize)
        self.min_length = self.window_length // 2 + 1
        self.register_buffer("window", torch.hann_window(self.window_length), persistent=False)

        def stack() -> nn.ModuleList:
            specs = [(2, (3, 9), (1, 1), (1, 4))]
            specs += [(width, (3, 9), (1, 2), (1, 4))] * 3
            specs += [(width, (3, 3), (1, 1), (1, 1))]
            return nn.ModuleList(
                apply_weight_norm(nn.Conv2d(c_in, width, k, s, padding=p), norm)
                for c_in, k, s, p in specs
            )

        self.band_convs = nn.ModuleList(stack() for _ in self.bins)
        self.conv_post = apply_weight_norm(nn.Conv2d(width, 1, (3, 3), padding=(1, 1)), norm)

    def spectrogram(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The bands ``(batch, 2, frames, stop - start)`` (real, imaginary) of ``x (batch, 1, time)``."""
        x = x.float()
        if self.normalize:
            x = normalize_volume(x)
        spec = torch.stft(
            x.squeeze(1),
            self.window_length,
            self.hop_length,
            window=self.window,
            center=True,
            pad_mode="reflect",
            return_complex=True,
        )  # (B, freq, frames)
        spec = rearrange(torch.view_as_real(spec), "b f t c -> b c t f")
        return [spec[..., start:stop] for start, stop in self.bins]

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Score ``x (batch, 1, time)``: patch scores ``(batch, n)`` and the feature maps."""
        check_waveform(x, f"BandSTFTCritic(window_length={self.window_length})", self.min_length)
        features = []
        outs = []
        for h, stack in zip(self.spectrogram(x), self.band_convs, strict=True):
            for conv in stack:
                h = F.leaky_relu(conv(h), 0.1)
                features.append(h)
            outs.append(h)
        h = self.conv_post(torch.cat(outs, dim=-1))  # (B, 1, frames, freq')
        features.append(h)
        return h.flatten(1), features


@register
class MultiBandSTFTCritic(nn.Module):
    """DAC's and Vocos' multi-band multi-resolution critic: one :class:`BandSTFTCritic` per window.

    Args:
        windows: STFT window lengths (2048, 1024, 512).
        bands: Frequency bands as fractions of the bins (:data:`DAC_BANDS`).
        width: Channels of every conv (32).
        hop_factor: Hop as a fraction of the window (0.25).
        normalize: Remove the DC offset and peak-normalize to 0.8 first.
        norm: ``"weight"`` (the references), ``"spectral"`` or ``"none"``.

    Attributes:
        num_classes: 0 (unconditional).
        min_length: The fewest samples every window accepts (1025 for the defaults).

    Shapes:
        ``forward(x (batch, 1, time >= min_length)) -> CriticOutput``: one score tensor
        ``(batch, n_k)`` and one list of 26 feature maps (5 bands x 5 convs, then the scores'
        map) per window.

    Example:
        >>> D = MultiBandSTFTCritic(windows=(256, 128), width=4)
        >>> out = D(torch.randn(2, 1, 2048))
        >>> [s.shape[0] for s in out.scores], len(out.features[0])
        ([2, 2], 26)
    """

    num_classes: int = 0

    def __init__(
        self,
        *,
        windows: Sequence[int] = (2048, 1024, 512),
        bands: Sequence[Sequence[float]] = DAC_BANDS,
        width: int = 32,
        hop_factor: float = 0.25,
        normalize: bool = True,
        norm: str = "weight",
    ) -> None:
        super().__init__()
        windows = [int(w) for w in windows]
        if not windows:
            raise ValueError("MultiBandSTFTCritic: give at least one window length")
        self.critics = nn.ModuleList(
            BandSTFTCritic(
                w,
                bands=bands,
                width=width,
                hop_factor=hop_factor,
                normalize=normalize,
                norm=norm,
            )
            for w in windows
        )
        sub = self.critics[0].config
        self.config = {
            "windows": windows,
            "bands": sub["bands"],
            "width": sub["width"],
            "hop_factor": sub["hop_factor"],
            "normalize": sub["normalize"],
            "norm": sub["norm"],
        }
        self.min_length = max(c.min_length for c in self.critics)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> CriticOutput:
        """Score ``x (batch, 1, time)`` at every window: one score tensor and feature list each."""
        return score_each(self.critics, x, labels, "MultiBandSTFTCritic", self.min_length)


MultiBandDiscriminator = MultiBandSTFTCritic
"""The paper's name of :class:`MultiBandSTFTCritic` (DAC's ``MRD`` ensemble)."""
