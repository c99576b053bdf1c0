"""Pitch grids cut into phrases of whole bars: windows, bars of another length, silent phrases.

A pitch grid is ``(time, tracks)`` float32 MIDI numbers, NaN for a rest, with ``steps_per_bar``
steps in every bar from step 0 (:meth:`~audiogan.music.piece.Piece.steps`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from audiogan.music.piece import EPS


def segment_pitches(
    grid: np.ndarray | torch.Tensor,
    segment_steps: int,
    hop_steps: int | None = None,
    pad: bool = True,
) -> np.ndarray:
    """Cut a pitch grid into windows of ``segment_steps`` steps.

    Args:
        grid: ``(time, tracks)`` MIDI numbers, NaN for rests.
        segment_steps: Window length in steps.
        hop_steps: Step between window starts (default ``segment_steps``: back to back).
        pad: Keep a last, incomplete window, padded with rests (NaN); otherwise drop it.

    Returns:
        ``(segments, segment_steps, tracks)`` float32; ``(0, segment_steps, tracks)`` if none fit.
    """
    g = np.asarray(grid.cpu() if isinstance(grid, torch.Tensor) else grid, dtype=np.float32)
    if g.ndim != 2:
        raise ValueError(f"grid: expected shape (time, tracks), got {g.shape}")
    hop = segment_steps if hop_steps is None else hop_steps
    if segment_steps < 1 or hop < 1:
        raise ValueError(f"segment_steps and hop_steps must be >= 1, got {segment_steps}, {hop}")
    time, n_tracks = g.shape
    last = time - 1 if pad else time - segment_steps
    starts = range(0, last + 1, hop) if time > 0 else range(0)
    out = np.full((len(starts), segment_steps, n_tracks), np.nan, dtype=np.float32)
    for i, s in enumerate(starts):
        chunk = g[s : s + segment_steps]
        out[i, : len(chunk)] = chunk
    return out


@dataclass
class Phrases:
    """The phrases of one piece and what was left out.

    Attributes:
        grids: ``(phrases, bars * steps_per_bar, tracks)`` float32 pitch grids, NaN = rest.
        start_bars: The bar of the piece each phrase starts at.
        skipped: Phrases left out, by reason: ``"meter"`` (a bar of another length),
            ``"silent"``.
        problem: Why the piece gave no phrase, None if it gave some.
    """

    grids: np.ndarray
    start_bars: list[int]
    skipped: dict[str, int] = field(default_factory=lambda: {"silent": 0, "meter": 0})
    problem: str | None = None


def cut_phrases(
    grid: np.ndarray,
    bar_lengths: np.ndarray,
    bars: int,
    steps_per_bar: int,
    hop_bars: int,
    pad: bool = False,
    bar_quarters: float | None = None,
) -> Phrases:
    """Cut a piece's pitch grid into phrases of ``bars`` bars every ``hop_bars`` bars.

    Args:
        grid: ``(time, tracks)`` pitch grid of the piece, ``time`` a multiple of
            ``steps_per_bar``.
        bar_lengths: ``(bars of the piece,)`` length of each of its bars in quarter notes.
        bars: Bars per phrase.
        steps_per_bar: Steps per bar.
        hop_bars: Bars between the starts of consecutive phrases.
        pad: Keep a last, incomplete phrase, filled with rests.
        bar_quarters: Skip a phrase holding a bar whose length is not this many quarter notes
            (``None``: keep every bar, stretched or squeezed to ``steps_per_bar`` steps).

    Returns:
        The kept :class:`Phrases`; phrases silent in every track are skipped too.
    """
    num_bars = grid.shape[0] // steps_per_bar
    phrases = segment_pitches(grid, bars * steps_per_bar, hop_bars * steps_per_bar, pad=pad)
    if len(phrases) == 0:
        return Phrases(
            phrases,
            [],
            problem=(
                f"shorter than one phrase ({num_bars} bars, a phrase is {bars}; pad=True keeps "
                f"a padded one)"
            ),
        )
    starts = np.arange(len(phrases)) * hop_bars
    bar_ok = np.ones(num_bars + bars, dtype=bool)  # bars past the end are padding
    if bar_quarters is not None:
        lengths = np.asarray(bar_lengths)[:num_bars]
        bar_ok[: len(lengths)] = np.abs(lengths - bar_quarters) < EPS
    meter_ok = np.array([bar_ok[b : b + bars].all() for b in starts], dtype=bool)
    sounding = ~np.isnan(phrases).reshape(len(phrases), -1).all(axis=1)
    skipped = {"silent": int((meter_ok & ~sounding).sum()), "meter": int((~meter_ok).sum())}
    keep = meter_ok & sounding
    if keep.any():
        return Phrases(phrases[keep], starts[keep].tolist(), skipped)
    parts = []
    if skipped["meter"]:
        parts.append(
            f"{skipped['meter']} with a bar of another length than the roll's "
            f"{bar_quarters:g} quarter notes"
        )
    if skipped["silent"]:
        parts.append(f"{skipped['silent']} silent")
    return Phrases(
        phrases[keep], [], skipped, f"all {len(phrases)} phrases skipped: {', '.join(parts)}"
    )
