"""Raw-waveform frontend: the features are the samples themselves (WaveGAN and other waveform GANs).

``encode`` right-pads with zeros or trims a waveform ``(..., time)`` to ``num_samples`` and adds
a channel axis, ``(..., 1, num_samples)``; ``decode`` takes the axis away again. Nothing is
rescaled: audio in [-1, 1] is already the range of a tanh generator. :meth:`Waveform.save`
writes the samples as ``.wav`` files as they are (clipped to [-1, 1], not peak-normalized, so a
quiet generator sounds quiet) and :meth:`Waveform.plot` draws them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from audiogan._shapes import check_trailing
from audiogan.audio.io import save_audio
from audiogan.audio.transforms import pad_or_trim
from audiogan.frontends.base import check_wave
from audiogan.registry import register

_FEATURE_AXES = "(..., channels, time)"


def waveform_features(wave: torch.Tensor, num_samples: int) -> torch.Tensor:
    """Pure-function twin of :meth:`Waveform.encode`.

    Args:
        wave: ``(..., time)`` floating waveform.
        num_samples: Length of the features: longer waveforms are trimmed (the first
            ``num_samples`` samples are kept), shorter ones right-padded with zeros.

    Returns:
        ``(..., 1, num_samples)``, the samples unchanged.
    """
    check_wave(wave, "waveform_features")
    return pad_or_trim(wave, num_samples).unsqueeze(-2)


def draw_waveform(wave: torch.Tensor, ax: Any, sample_rate: int = 0) -> None:
    """Draw one waveform on a matplotlib Axes: amplitude against time, no ticks.

    The vertical range is [-1, 1] (wider only if the samples go beyond), so pictures of
    different rounds compare. Needs no matplotlib import of its own: it only calls methods of
    ``ax`` (the convention of :func:`audiogan.viz.draw_spectrogram`).

    Args:
        wave: ``(time,)`` or ``(channels, time)`` (each channel drawn over the others).
        ax: A :class:`matplotlib.axes.Axes`.
        sample_rate: Samples per second, for a time axis in seconds; 0 for one in samples.

    Raises:
        ValueError: If ``wave`` is neither 1-D nor 2-D or holds no sample.
    """
    if wave.dim() == 1:
        wave = wave[None]
    if wave.dim() != 2 or wave.shape[-1] == 0:
        raise ValueError(
            f"draw_waveform: expected a waveform (time,) or (channels, time), got {tuple(wave.shape)}"
        )
    values = wave.detach().to("cpu", torch.float32)
    time = values.shape[-1]
    scale = float(sample_rate) if sample_rate > 0 else 1.0
    t = (torch.arange(time, dtype=torch.float32) / scale).numpy()
    ax.axhline(0.0, color="tab:gray", linewidth=0.4)
    for channel in values:
        ax.plot(t, channel.numpy(), color="tab:blue", linewidth=0.6)
    peak = float(values.nan_to_num().abs().max())
    limit = max(1.0, peak)
    ax.set_xlim(0.0, time / scale)
    ax.set_ylim(-limit, limit)
    ax.set_xticks([])
    ax.set_yticks([])


@register
class Waveform(nn.Module):
    """Identity frontend for waveform GANs: ``encode (..., time) -> (..., 1, num_samples)``.

    Meets :class:`audiogan.protocols.Frontend`: :meth:`save` writes ``.wav`` files at
    :attr:`sample_rate`, :meth:`plot` draws the waveform. Pass it as the Trainer's
    ``preprocess`` (or ``frontend``) so checkpoints store it and
    :func:`~audiogan.train.generate` writes audio.

    Args:
        sample_rate: Samples per second of the waveforms.
        num_samples: Samples per item (16384 for the paper's WaveGAN at 16 kHz).

    Example:
        >>> import torch
        >>> fe = Waveform(16000, 16384)
        >>> fe.encode(torch.randn(2, 16000)).shape
        torch.Size([2, 1, 16384])
    """

    #: File suffix of :meth:`save`.
    suffix: str = ".wav"

    def __init__(self, sample_rate: int = 16000, num_samples: int = 16384) -> None:
        super().__init__()
        for name, value in (("sample_rate", sample_rate), ("num_samples", num_samples)):
            if isinstance(value, bool) or int(value) != value or value < 1:
                raise ValueError(f"Waveform: {name} must be a positive integer, got {value!r}")
        self.sample_rate = int(sample_rate)
        self.num_samples = int(num_samples)
        self.feature_shape: tuple[int, ...] = (1, self.num_samples)
        self.config: dict[str, Any] = {
            "sample_rate": self.sample_rate,
            "num_samples": self.num_samples,
        }

    def encode(self, wave: torch.Tensor) -> torch.Tensor:
        """Waveform ``(..., time)`` -> features ``(..., 1, num_samples)`` (padded or trimmed)."""
        check_wave(wave, "Waveform.encode")
        return waveform_features(wave, self.num_samples)

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        """Same as :meth:`encode`."""
        return self.encode(wave)

    def decode(self, features: torch.Tensor) -> torch.Tensor:
        """Features ``(..., 1, num_samples)`` -> waveform ``(..., num_samples)``."""
        check_trailing(features, self.feature_shape, "Waveform.decode features", _FEATURE_AXES)
        return features[..., 0, :]

    @torch.no_grad()
    def save(self, features: torch.Tensor, paths: Sequence[str | os.PathLike]) -> list[Path]:
        """Write one ``.wav`` file per item, at :attr:`sample_rate`, samples as they are.

        Args:
            features: ``(batch, 1, num_samples)``.
            paths: ``batch`` destination files, written as given (parent folders are created).

        Returns:
            The paths written, in order.

        Raises:
            ValueError: If ``features`` is not ``(batch, 1, num_samples)``, holds NaN or
                infinite samples, or ``paths`` does not have one entry per item.
        """
        if not isinstance(features, torch.Tensor) or features.dim() != 3:
            got = tuple(features.shape) if isinstance(features, torch.Tensor) else type(features)
            raise ValueError(
                f"Waveform.save: expected features (batch, 1, {self.num_samples}) "
                f"(batch, channels, time), got {got}"
            )
        check_trailing(features, self.feature_shape, "Waveform.save features", _FEATURE_AXES)
        if len(paths) != features.shape[0]:
            raise ValueError(
                f"Waveform.save: expected {features.shape[0]} paths (one per item), got {len(paths)}"
            )
        return [
            save_audio(path, wave, self.sample_rate)
            for path, wave in zip(paths, features.detach().cpu(), strict=True)
        ]

    def plot(self, features: torch.Tensor, ax: Any) -> None:
        """Draw one item, ``(1, num_samples)``, on a matplotlib Axes (see :func:`draw_waveform`).

        Raises:
            ValueError: If ``features`` is not ``(1, num_samples)``.
        """
        if not isinstance(features, torch.Tensor) or tuple(features.shape) != self.feature_shape:
            got = tuple(features.shape) if isinstance(features, torch.Tensor) else type(features)
            raise ValueError(
                f"Waveform.plot: expected one item (1, {self.num_samples}) (channels, time), got {got}"
            )
        draw_waveform(features, ax, self.sample_rate)

    def extra_repr(self) -> str:
        return f"sample_rate={self.sample_rate}, num_samples={self.num_samples}"
