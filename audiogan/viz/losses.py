"""A PNG of training curves from the Trainer's history (one dict of scalars per step)."""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from audiogan._optional import require

#: History keys that count steps, not losses: never plotted as curves.
_INDEX_KEYS = ("step", "epoch")


def _scalar(value: Any) -> float | None:
    """A plain float for numbers and one-element tensors/arrays, else ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return float(value.item())
    if isinstance(value, np.ndarray) and value.size == 1:
        return float(value.item())
    return None


def _running_mean(values: np.ndarray, window: int) -> np.ndarray:
    """Mean of the last ``window`` values at each point (shorter at the start)."""
    cumsum = np.cumsum(np.insert(values, 0, 0.0))
    idx = np.arange(1, len(values) + 1)
    start = np.maximum(idx - window, 0)
    return (cumsum[idx] - cumsum[start]) / (idx - start)


def plot_losses(
    history: Sequence[Mapping[str, Any]],
    path: str | os.PathLike,
    keys: Sequence[str] | None = None,
    smooth: int = 1,
    title: str | None = None,
    dpi: int = 100,
) -> Path:
    """Plot one curve per metric against the step, each in its own panel, and save a PNG.

    Args:
        history: One mapping per step, e.g. ``{"step": 10, "critic_loss": 0.7, "generator_loss": 1.2}``.
            The x axis is each entry's ``"step"`` (its 1-based position when absent).
            A metric missing from some entries (a lazy penalty) is drawn where present.
        path: Destination PNG; parent folders are created.
        keys: Metrics to draw, in order (default: every numeric key except ``step`` and
            ``epoch``, in order of first appearance).
        smooth: Window of a running mean drawn over the raw curve (1: raw curve only).
        title: Figure title.
        dpi: Resolution of the PNG.

    Returns:
        The path written.

    Raises:
        ValueError: If ``history`` is empty, a requested key never occurs, nothing numeric
            is left to plot, or ``smooth < 1``.
        ImportError: If matplotlib (extra ``viz``) is missing.
    """
    if len(history) == 0:
        raise ValueError("plot_losses: history is empty, nothing to plot")
    if smooth < 1:
        raise ValueError(f"plot_losses: smooth must be >= 1, got {smooth}")
    seen: dict[str, None] = {}
    for entry in history:
        for key, value in entry.items():
            if key not in _INDEX_KEYS and _scalar(value) is not None:
                seen.setdefault(key, None)
    if keys is None:
        keys = list(seen)
        if not keys:
            raise ValueError("plot_losses: history holds no numeric metrics besides step/epoch")
    else:
        missing = [k for k in keys if k not in seen]
        if missing:
            raise ValueError(
                f"plot_losses: keys {missing} never occur in history (it has {list(seen)})"
            )

    figure_cls = require("matplotlib.figure", feature="plotting losses").Figure
    fig = figure_cls(figsize=(7.0, 1.9 * len(keys) + 0.5), layout="constrained")
    if title:
        fig.suptitle(title)
    axes = fig.subplots(len(keys), 1, squeeze=False, sharex=True)[:, 0]
    for key, ax in zip(keys, axes, strict=True):
        xs, ys = [], []
        for i, entry in enumerate(history):
            y = _scalar(entry.get(key))
            if y is None or not math.isfinite(y):
                continue
            step = _scalar(entry.get("step"))
            xs.append(step if step is not None else i + 1)
            ys.append(y)
        x, y = np.asarray(xs), np.asarray(ys)
        ax.plot(x, y, linewidth=0.8, alpha=0.45 if smooth > 1 else 1.0, color="tab:blue")
        if smooth > 1 and len(y) > 1:
            ax.plot(x, _running_mean(y, smooth), linewidth=1.4, color="tab:blue")
        ax.set_ylabel(key, fontsize=8)
        ax.grid(True, alpha=0.3)
        ax.tick_params(labelsize=7)
    axes[-1].set_xlabel("step")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", dpi=dpi)
    fig.clear()
    return path
