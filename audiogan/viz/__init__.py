"""Plots of spectrograms, piano rolls and training curves as PNG files (extra ``viz``: matplotlib).

Every function draws on a bare :class:`matplotlib.figure.Figure` with the Agg canvas: no display
is needed, pyplot's global state and backend are left alone, and nothing stays open after saving.
``draw_spectrogram`` and ``draw_pianoroll`` draw one item on an Axes (the frontends' ``plot``
hooks use them); :func:`plot_feature_grid` lays any plotting hook out in a grid.
"""

from __future__ import annotations

from audiogan.viz.grid import feature_grid_image, grid_figure, plot_feature_grid
from audiogan.viz.losses import plot_losses
from audiogan.viz.pianoroll import draw_pianoroll, plot_pianoroll
from audiogan.viz.spectrogram import draw_spectrogram, plot_spectrogram_grid

__all__ = [
    "draw_pianoroll",
    "draw_spectrogram",
    "feature_grid_image",
    "grid_figure",
    "plot_feature_grid",
    "plot_losses",
    "plot_pianoroll",
    "plot_spectrogram_grid",
]
