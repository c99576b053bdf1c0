"""Pictures of multi-track piano rolls: a PNG with one panel per track, or one roll on an Axes."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from einops import rearrange

from audiogan._optional import require


def _check_roll(roll: torch.Tensor, track_names: Sequence[str] | None, name: str) -> list[str]:
    """The track names (default ``"track 0"`` ...), after checking ``roll`` is 4-D and matches."""
    if roll.dim() != 4:
        raise ValueError(
            f"{name}: expected roll of shape (tracks, bars, steps, pitches), got {tuple(roll.shape)}"
        )
    tracks = roll.shape[0]
    if track_names is None:
        return [f"track {i}" for i in range(tracks)]
    if len(track_names) != tracks:
        raise ValueError(
            f"{name}: expected {tracks} track_names (one per track), got {len(track_names)}"
        )
    return [str(n) for n in track_names]


def _value_range(values: torch.Tensor) -> tuple[float, float]:
    lo, hi = float(values.min()), float(values.max())
    if hi <= lo:  # a constant roll (e.g. silence): still draw it, on a non-empty scale
        hi = lo + 1.0
    return lo, hi


def draw_pianoroll(
    roll: torch.Tensor,
    ax: Any,
    track_names: Sequence[str] | None = None,
    cmap: str = "Greys",
) -> None:
    """Draw one multi-track piano roll on a single matplotlib Axes.

    Tracks are stacked top to bottom (track 0 on top, high pitches up within each track),
    separated by grey lines and labelled on the y axis; bar lines are red. Values are drawn
    as they are, on a colour scale from the roll's own minimum to its maximum. Needs no
    matplotlib import of its own: it only calls methods of ``ax``.

    Args:
        roll: ``(tracks, bars, steps, pitches)``; bool, int or float.
        ax: A :class:`matplotlib.axes.Axes`.
        track_names: One name per track (default ``"track 0"``, ``"track 1"`` ...).
        cmap: Matplotlib colour map name.

    Raises:
        ValueError: If ``roll`` is not 4-D or the track names do not match the tracks.
    """
    names = _check_roll(roll, track_names, "draw_pianoroll")
    tracks, bars, steps, pitches = roll.shape
    values = roll.detach().to("cpu", torch.float32)
    lo, hi = _value_range(values)
    image = rearrange(values.flip(-1), "t b s p -> (t p) (b s)")  # row 0: track 0, top pitch
    ax.imshow(
        image.numpy(),
        origin="upper",
        aspect="auto",
        interpolation="antialiased",  # many pitch rows in a small cell: keep one-row notes visible
        cmap=cmap,
        vmin=lo,
        vmax=hi,
        extent=(0, bars * steps, tracks * pitches, 0),
    )
    for track in range(1, tracks):
        ax.axhline(track * pitches, color="tab:gray", linewidth=0.6)
    for bar in range(1, bars):
        ax.axvline(bar * steps, color="tab:red", linewidth=0.8)
    ax.set_yticks([(k + 0.5) * pitches for k in range(tracks)], names, fontsize=7)
    ax.set_xticks([])


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
    track_names = _check_roll(roll, track_names, "plot_pianoroll")
    tracks, bars, steps, pitches = roll.shape
    values = roll.detach().to("cpu", torch.float32)
    lo, hi = _value_range(values)
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
