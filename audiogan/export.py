"""Write generated features to files people can listen to, through the frontend's ``save`` hook."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from audiogan.protocols import Frontend


def _check_names(names: list[str], n: int) -> None:
    if len(names) != n:
        raise ValueError(f"export_features: expected {n} names (one per item), got {len(names)}")
    if len(set(names)) != len(names):
        dupes = sorted({x for x in names if names.count(x) > 1})
        raise ValueError(f"export_features: names must be unique, got duplicates {dupes}")
    for name in names:
        if (
            not isinstance(name, str)
            or not name
            or name in (".", "..")
            or "/" in name
            or os.sep in name
        ):
            raise ValueError(
                f"export_features: each name must be a plain file name without a folder, got {name!r}"
            )


def export_features(
    features: torch.Tensor,
    frontend: Frontend,
    directory: str | os.PathLike,
    names: list[str],
) -> list[Path]:
    """Write one file per item into ``directory`` (created if needed) through ``frontend.save``.

    The file of item ``i`` is ``<names[i]><frontend.suffix>``; the whole batch goes to
    ``frontend.save`` in one call (audiogan's spectrogram frontends decode it with one batched
    Griffin-Lim and write peak-normalized ``.wav`` files; :class:`~audiogan.frontends.PianoRoll`
    writes ``.mid`` files). Any object with ``feature_shape``, ``suffix`` and ``save`` works.

    Args:
        features: ``(n, *feature_shape)``, e.g. ``(n, 1, freq, frames)`` or
            ``(n, tracks, bars, steps, pitches)``.
        frontend: The frontend that produced (or defines) the features.
        directory: Destination folder.
        names: ``n`` unique file names without suffix (a name already ending in
            ``frontend.suffix`` is kept as it is).

    Returns:
        The paths written, in the order of ``names``.

    Raises:
        TypeError: If ``frontend`` lacks ``feature_shape``, ``suffix`` or ``save``.
        ValueError: If the features do not match ``frontend.feature_shape``, the number of names
            differs from the number of items, or a name is empty, repeated or contains a folder.
    """
    missing = [a for a in ("feature_shape", "suffix", "save") if not hasattr(frontend, a)]
    if missing:
        raise TypeError(
            f"export_features: the frontend ({type(frontend).__name__}) has no {', '.join(missing)}; "
            "a frontend saves its own features (see audiogan.protocols.Frontend)"
        )
    if not isinstance(features, torch.Tensor) or features.dim() < 2:
        shape = (
            tuple(features.shape) if isinstance(features, torch.Tensor) else type(features).__name__
        )
        raise ValueError(f"export_features: expected features (n, *feature_shape), got {shape}")
    want = tuple(frontend.feature_shape)
    got = tuple(features.shape[1:])
    if len(got) != len(want) or any(
        w is not None and w != g for w, g in zip(want, got, strict=True)
    ):
        raise ValueError(
            f"export_features: expected features (n, {', '.join(map(str, want))}), got {tuple(features.shape)}"
        )
    _check_names(list(names), features.shape[0])
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    suffix = str(frontend.suffix)
    paths = [directory / (name if name.endswith(suffix) else name + suffix) for name in names]
    with torch.no_grad():
        written = frontend.save(features.detach(), paths)
    return [Path(p) for p in written]
