"""Write generated features to files people can listen to: ``.wav`` for audio, ``.mid`` for piano rolls."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from audiogan.audio.io import save_audio


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
    frontend: Any,
    directory: str | os.PathLike,
    names: list[str],
) -> list[Path]:
    """Decode features and write one file per item into ``directory`` (created if needed).

    For ``frontend.kind == "audio"`` the items are decoded with ``frontend.decode`` (batched) and
    written as ``<name>.wav`` at ``frontend.sample_rate``, peak-normalized to 0.99 (silence stays
    silent). For ``frontend.kind == "pianoroll"`` each item is written with
    ``frontend.to_midi(item, path)`` as ``<name>.mid``.

    Args:
        features: ``(n, *feature_shape)``, e.g. ``(n, 1, freq, frames)`` or
            ``(n, tracks, bars, steps, pitches)``.
        frontend: The frontend that produced (or defines) the features.
        directory: Destination folder.
        names: ``n`` unique file names without suffix (a ``.wav``/``.mid`` suffix is kept).

    Returns:
        The paths written, in the order of ``names``.

    Raises:
        ValueError: If the frontend's kind is neither ``"audio"`` nor ``"pianoroll"``, if the
            number of names differs from the number of items, or a name is empty, repeated or
            contains a folder.
    """
    kind = getattr(frontend, "kind", None)
    if kind not in ("audio", "pianoroll"):
        raise ValueError(
            f"export_features: cannot export features of frontend kind {kind!r} "
            f"({type(frontend).__name__}); expected 'audio' or 'pianoroll'"
        )
    if not isinstance(features, torch.Tensor) or features.dim() < 2:
        shape = (
            tuple(features.shape) if isinstance(features, torch.Tensor) else type(features).__name__
        )
        raise ValueError(f"export_features: expected features (n, *feature_shape), got {shape}")
    feature_shape = getattr(frontend, "feature_shape", None)
    if feature_shape is not None:
        want = tuple(feature_shape)
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
    suffix = ".wav" if kind == "audio" else ".mid"
    paths = [directory / (name if name.endswith(suffix) else name + suffix) for name in names]

    if kind == "audio":
        with torch.no_grad():
            waves = frontend.decode(features.detach())  # (n, time)
        return [
            save_audio(path, wave, frontend.sample_rate, normalize=True)
            for path, wave in zip(paths, waves, strict=True)
        ]

    written = []
    for path, item in zip(paths, features.detach().cpu(), strict=True):
        out = frontend.to_midi(item, path)
        written.append(Path(out) if out is not None else path)
    return written
