"""A PNG of a multi-track piano roll: one panel per track, bar lines, pitch on the y axis."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import torch
from einops import rearrange

from audiogan._optional import require


def plot_pianoroll(
    roll: torch.Tensor,
    path: str | os.PathLike,
    track_names: Sequence[str] | None = None,
    lowest_pitch: int = 0,
    title: str | None = None,
    cmap: str = "Greys",
    dpi: int = 100,
) -> Path:
    """Draw a piano roll, one panel per track, and save it as a PNG.

    Values are drawn as they are (a binary roll as on/off cells; a generator's raw output as
    shades), with the colour scale spanning the roll's own minimum to maximum.

    Args:
        roll: ``(tracks, bars, steps, pitches)``; bool, int or float.
        path: Destination PNG; parent folders are created.
        track_names: One name per track (default ``"track 0"``, ``"track 1"`` ...).
        lowest_pitch: MIDI pitch of pitch index 0, for the y axis labels.
        title: Figure title.
        cmap: Matplotlib colour map name.
        dpi: Resolution of the PNG.

    Returns:
        The path written.

    Raises:
        ValueError: If ``roll`` is not 4-D or the track names do not match the tracks.
        ImportError: If matplotlib (extra ``viz``) is missing.
    """
    if roll.dim() != 4:
        raise ValueError(
            f"plot_pianoroll: expected roll of shape (tracks, bars, steps, pitches), got {tuple(roll.shape)}"
        )
    tracks, bars, steps, pitches = roll.shape
    if track_names is None:
        track_names = [f"track {i}" for i in range(tracks)]
    if len(track_names) != tracks:
        raise ValueError(
            f"plot_pianoroll: expected {tracks} track_names (one per track), got {len(track_names)}"
        )
    values = roll.detach().to("cpu", torch.float32)
    lo, hi = float(values.min()), float(values.max())
    if hi <= lo:  # a constant roll (e.g. silence): still draw it, on a non-empty scale
        hi = lo + 1.0
    timeline = rearrange(values, "t b s p -> t p (b s)")  # (tracks, pitches, time)

    figure_cls = require("matplotlib.figure", feature="plotting piano rolls").Figure
    fig = figure_cls(
        figsize=(max(4.0, 0.06 * bars * steps + 1.5), 1.6 * tracks + 0.6), layout="constrained"
    )
    if title:
        fig.suptitle(title)
    axes = fig.subplots(tracks, 1, squeeze=False, sharex=True)[:, 0]
    extent = (0, bars * steps, lowest_pitch - 0.5, lowest_pitch + pitches - 0.5)
    for track, ax in enumerate(axes):
        ax.imshow(
            timeline[track].numpy(),
            origin="lower",
            aspect="auto",
            interpolation="nearest",
            cmap=cmap,
            vmin=lo,
            vmax=hi,
            extent=extent,
        )
        for bar in range(1, bars):
            ax.axvline(bar * steps, color="tab:red", linewidth=0.8)
        ax.set_ylabel(str(track_names[track]), fontsize=8)
        ax.tick_params(labelsize=7)
    axes[-1].set_xlabel("step")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", dpi=dpi)
    fig.clear()
    return path
