"""A PNG grid of spectrograms, optionally beside real ones for comparison."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from audiogan._optional import require


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


def _titles(titles: Sequence[str] | None, n: int, name: str) -> list[str]:
    if titles is None:
        return [str(i) for i in range(n)]
    if len(titles) != n:
        raise ValueError(f"{name}: expected {n} titles (one per spectrogram), got {len(titles)}")
    return [str(t) for t in titles]


def _draw_grid(
    fig: Any,
    images: torch.Tensor,
    titles: list[str],
    ncols: int,
    vmin: float | None,
    vmax: float | None,
    cmap: str,
) -> None:
    nrows = math.ceil(len(images) / ncols)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if i >= len(images):
            ax.set_axis_off()
            continue
        ax.imshow(
            images[i].numpy(),
            origin="lower",
            aspect="auto",
            interpolation="nearest",
            cmap=cmap,
            vmin=vmin,
            vmax=vmax,
        )
        ax.set_title(titles[i], fontsize=8)


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
    names = _titles(titles, len(images), "plot_spectrogram_grid titles")
    real_images = real_names = None
    if real is not None:
        real_images = _as_images(real, "plot_spectrogram_grid real")
        real_names = _titles(real_titles, len(real_images), "plot_spectrogram_grid real_titles")

    figure_cls = require("matplotlib.figure", feature="plotting spectrograms").Figure
    cols = min(ncols, len(images))
    rows = math.ceil(len(images) / cols)
    real_cols = min(ncols, len(real_images)) if real_images is not None else 0
    if real_images is not None:
        rows = max(rows, math.ceil(len(real_images) / real_cols))
    cell_w, cell_h = 2.2, 1.8
    fig = figure_cls(
        figsize=(cell_w * (cols + real_cols) + 0.3, cell_h * rows + (0.6 if title else 0.3)),
        layout="constrained",
    )
    if title:
        fig.suptitle(title)
    if real_images is None:
        _draw_grid(fig, images, names, cols, vmin, vmax, cmap)
    else:
        left, right = fig.subfigures(1, 2, width_ratios=[cols, real_cols])
        left.suptitle("generated", fontsize=9)
        right.suptitle("real", fontsize=9)
        _draw_grid(left, images, names, cols, vmin, vmax, cmap)
        _draw_grid(right, real_images, real_names, real_cols, vmin, vmax, cmap)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", dpi=dpi)
    fig.clear()  # a bare Figure is not tracked by pyplot: clearing frees it at once
    return path
