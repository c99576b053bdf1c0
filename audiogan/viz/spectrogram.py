"""A PNG grid of spectrograms, optionally beside real ones for comparison."""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from audiogan.viz.grid import plot_feature_grid


def _as_images(features: torch.Tensor, name: str) -> torch.Tensor:
    """``(n, channels, freq, frames)`` or ``(n, freq, frames)`` -> ``(n, freq, frames)`` float CPU."""
    if features.dim() == 4:
        features = features[:, 0]  # first channel
    if features.dim() != 3:
        raise ValueError(
            f"{name}: expected shape (n, channels, freq, frames) or (n, freq, frames), "
            f"got {tuple(features.shape)}"
        )
    if features.shape[0] == 0:
        raise ValueError(
            f"{name}: needs at least one spectrogram, got shape {tuple(features.shape)}"
        )
    return features.detach().to("cpu", torch.float32)


def draw_spectrogram(
    features: torch.Tensor,
    ax: Any,
    vmin: float | None = -1.0,
    vmax: float | None = 1.0,
    cmap: str = "magma",
) -> None:
    """Draw one spectrogram on a matplotlib Axes, low frequencies at the bottom, no ticks.

    Needs no matplotlib import of its own: it only calls methods of ``ax``.

    Args:
        features: ``(channels, freq, frames)`` (the first channel is drawn) or ``(freq, frames)``.
        ax: A :class:`matplotlib.axes.Axes`.
        vmin: Value mapped to the bottom of the colour map (default: the ``[-1, 1]`` range of
            audiogan frontends); ``None`` for the data minimum.
        vmax: Value mapped to the top of the colour map; ``None`` for the data maximum.
        cmap: Matplotlib colour map name.

    Raises:
        ValueError: If ``features`` is neither 2-D nor 3-D.
    """
    if features.dim() == 3:
        features = features[0]
    if features.dim() != 2:
        raise ValueError(
            "draw_spectrogram: expected shape (channels, freq, frames) or (freq, frames), "
            f"got {tuple(features.shape)}"
        )
    ax.imshow(
        features.detach().to("cpu", torch.float32).numpy(),
        origin="lower",
        aspect="auto",
        interpolation="nearest",
        cmap=cmap,
        vmin=vmin,
        vmax=vmax,
    )
    ax.set_xticks([])
    ax.set_yticks([])


def plot_spectrogram_grid(
    features: torch.Tensor,
    titles: Sequence[str] | None,
    path: str | os.PathLike,
    ncols: int = 4,
    real: torch.Tensor | None = None,
    real_titles: Sequence[str] | None = None,
    title: str | None = None,
    vmin: float | None = -1.0,
    vmax: float | None = 1.0,
    cmap: str = "magma",
    dpi: int = 100,
) -> Path:
    """Draw spectrograms in a grid (low frequencies at the bottom) and save it as a PNG.

    Args:
        features: ``(n, channels, freq, frames)`` (the first channel is drawn) or
            ``(n, freq, frames)``.
        titles: One title per spectrogram (``None``: their indices).
        path: Destination PNG; parent folders are created.
        ncols: Columns of the grid of generated spectrograms.
        real: Optional real spectrograms of the same layout, drawn in a second grid to the
            right under the heading "real" (the generated ones are then headed "generated").
        real_titles: One title per real spectrogram (``None``: their indices).
        title: Figure title, e.g. the class name.
        vmin: Value mapped to the bottom of the colour map; ``None`` for the data minimum.
            The default matches the ``[-1, 1]`` range of audiogan frontends, so that grids
            of different rounds share one colour scale.
        vmax: Value mapped to the top of the colour map; ``None`` for the data maximum.
        cmap: Matplotlib colour map name.
        dpi: Resolution of the PNG.

    Returns:
        The path written.

    Raises:
        ValueError: If a tensor has the wrong rank, is empty, or the titles do not match.
        ImportError: If matplotlib (extra ``viz``) is missing.
    """
    if ncols < 1:
        raise ValueError(f"plot_spectrogram_grid: ncols must be >= 1, got {ncols}")
    images = _as_images(features, "plot_spectrogram_grid features")
    real_images = None if real is None else _as_images(real, "plot_spectrogram_grid real")
    draw = functools.partial(draw_spectrogram, vmin=vmin, vmax=vmax, cmap=cmap)
    return plot_feature_grid(
        draw, images, path, titles, ncols, real_images, real_titles, title, (2.2, 1.8), dpi
    )
