"""A grid of feature pictures, each drawn by a plotting hook such as a frontend's ``plot``.

A *plotting hook* is any callable ``plot(item, ax)`` that draws one item (e.g. one
``(*feature_shape)`` tensor) on a :class:`matplotlib.axes.Axes`. Every frontend has one
(:meth:`audiogan.protocols.Frontend.plot`), so the same grid shows spectrograms, piano rolls or
a user's own features: :class:`~audiogan.train.callbacks.FakeWriter` saves it as a PNG and
:class:`~audiogan.train.callbacks.TensorBoardLogger` logs it as an image.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from audiogan._optional import require

#: ``plot(item, ax)``: draws one item on a matplotlib Axes.
PlotHook = Callable[[torch.Tensor, Any], Any]


def _items(features: torch.Tensor, name: str) -> torch.Tensor:
    if not isinstance(features, torch.Tensor) or features.dim() < 1 or features.shape[0] == 0:
        got = tuple(features.shape) if isinstance(features, torch.Tensor) else type(features)
        raise ValueError(f"{name}: expected at least one item (n >= 1, ...), got {got}")
    return features.detach().to("cpu", torch.float32)


def _titles(titles: Sequence[str] | None, n: int, name: str) -> list[str]:
    if titles is None:
        return [str(i) for i in range(n)]
    if len(titles) != n:
        raise ValueError(f"{name}: expected {n} titles (one per item), got {len(titles)}")
    return [str(t) for t in titles]


def _draw_cells(
    fig: Any, plot: PlotHook, items: torch.Tensor, titles: list[str], ncols: int
) -> None:
    nrows = math.ceil(len(items) / ncols)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for i, ax in enumerate(axes.flat):
        if i >= len(items):
            ax.set_axis_off()
            continue
        plot(items[i], ax)
        ax.set_title(titles[i], fontsize=8)


def grid_figure(
    plot: PlotHook,
    features: torch.Tensor,
    titles: Sequence[str] | None = None,
    ncols: int = 4,
    real: torch.Tensor | None = None,
    real_titles: Sequence[str] | None = None,
    title: str | None = None,
    cell_size: tuple[float, float] = (2.2, 1.8),
) -> Any:
    """A bare (Agg, pyplot-free) matplotlib Figure with one cell per item, drawn by ``plot``.

    Args:
        plot: The plotting hook, ``plot(item, ax)``, e.g. ``frontend.plot``.
        features: ``(n, ...)``: ``n >= 1`` items, each handed to ``plot`` as ``features[i]``.
        titles: One title per item (``None``: their indices).
        ncols: Columns of the grid of ``features``.
        real: Optional real items ``(m, ...)``, drawn in a second grid to the right under the
            heading "real" (the generated ones are then headed "generated").
        real_titles: One title per real item (``None``: their indices).
        title: Figure title, e.g. the class name.
        cell_size: Width and height of one cell in inches.

    Returns:
        The :class:`matplotlib.figure.Figure`; call ``fig.clear()`` when done with it.

    Raises:
        ValueError: If ``ncols < 1``, a tensor is empty, or the titles do not match.
        ImportError: If matplotlib (extra ``viz``) is missing.
    """
    if ncols < 1:
        raise ValueError(f"grid_figure: ncols must be >= 1, got {ncols}")
    items = _items(features, "grid_figure features")
    names = _titles(titles, len(items), "grid_figure titles")
    real_items = real_names = None
    if real is not None:
        real_items = _items(real, "grid_figure real")
        real_names = _titles(real_titles, len(real_items), "grid_figure real_titles")

    figure_cls = require("matplotlib.figure", feature="plotting features").Figure
    cols = min(ncols, len(items))
    rows = math.ceil(len(items) / cols)
    real_cols = min(ncols, len(real_items)) if real_items is not None else 0
    if real_items is not None:
        rows = max(rows, math.ceil(len(real_items) / real_cols))
    cell_w, cell_h = cell_size
    fig = figure_cls(
        figsize=(cell_w * (cols + real_cols) + 0.3, cell_h * rows + (0.6 if title else 0.3)),
        layout="constrained",
    )
    if title:
        fig.suptitle(title)
    if real_items is None or real_names is None:
        _draw_cells(fig, plot, items, names, cols)
    else:
        left, right = fig.subfigures(1, 2, width_ratios=[cols, real_cols])
        left.suptitle("generated", fontsize=9)
        right.suptitle("real", fontsize=9)
        _draw_cells(left, plot, items, names, cols)
        _draw_cells(right, plot, real_items, real_names, real_cols)
    return fig


def plot_feature_grid(
    plot: PlotHook,
    features: torch.Tensor,
    path: str | os.PathLike,
    titles: Sequence[str] | None = None,
    ncols: int = 4,
    real: torch.Tensor | None = None,
    real_titles: Sequence[str] | None = None,
    title: str | None = None,
    cell_size: tuple[float, float] = (2.2, 1.8),
    dpi: int = 100,
) -> Path:
    """Draw ``features`` (and ``real`` beside them) with a plotting hook and save a PNG.

    Args:
        plot: ``plot(item, ax)``, e.g. ``frontend.plot``.
        features: ``(n, ...)`` items, e.g. ``(n, *feature_shape)``.
        path: Destination PNG; parent folders are created.
        titles, ncols, real, real_titles, title, cell_size: As for :func:`grid_figure`.
        dpi: Resolution of the PNG.

    Returns:
        The path written.

    Raises:
        ValueError: As for :func:`grid_figure`.
        ImportError: If matplotlib (extra ``viz``) is missing.

    Example:
        >>> from audiogan.frontends import LogMel
        >>> fe = LogMel(n_mels=32, frames=32)
        >>> plot_feature_grid(fe.plot, torch.rand(2, 1, 32, 32) * 2 - 1, "grid.png").is_file()
        True
    """
    fig = grid_figure(plot, features, titles, ncols, real, real_titles, title, cell_size)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", dpi=dpi)
    fig.clear()  # a bare Figure is not tracked by pyplot: clearing frees it at once
    return path


def feature_grid_image(
    plot: PlotHook,
    features: torch.Tensor,
    titles: Sequence[str] | None = None,
    ncols: int = 4,
    real: torch.Tensor | None = None,
    real_titles: Sequence[str] | None = None,
    title: str | None = None,
    cell_size: tuple[float, float] = (2.2, 1.8),
    dpi: int = 100,
) -> np.ndarray:
    """The grid of :func:`plot_feature_grid` as pixels, e.g. for TensorBoard's ``add_image``.

    Args:
        plot, features, titles, ncols, real, real_titles, title, cell_size: As for
            :func:`grid_figure`.
        dpi: Pixels per inch.

    Returns:
        ``(height, width, 3)`` uint8 RGB.

    Raises:
        ValueError: As for :func:`grid_figure`.
        ImportError: If matplotlib (extra ``viz``) is missing.
    """
    fig = grid_figure(plot, features, titles, ncols, real, real_titles, title, cell_size)
    agg = require("matplotlib.backends.backend_agg", feature="plotting features")
    fig.set_dpi(dpi)
    canvas = agg.FigureCanvasAgg(fig)
    canvas.draw()
    pixels = np.asarray(canvas.buffer_rgba())[..., :3].copy()
    fig.clear()
    return pixels
