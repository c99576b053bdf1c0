"""Plots of spectrograms, piano rolls and training curves as PNG files (extra ``viz``: matplotlib).

Every function draws on a bare :class:`matplotlib.figure.Figure` with the Agg canvas: no display
is needed, pyplot's global state and backend are left alone, and nothing stays open after saving.
"""

from __future__ import annotations

from audiogan.viz.losses import plot_losses
from audiogan.viz.pianoroll import plot_pianoroll
from audiogan.viz.spectrogram import plot_spectrogram_grid

__all__ = ["plot_losses", "plot_pianoroll", "plot_spectrogram_grid"]
