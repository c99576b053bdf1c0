"""Shape checks at block boundaries, with errors that say what was expected and what came."""

from __future__ import annotations

from collections.abc import Sequence

import torch


def check_shape(
    x: torch.Tensor, expected: Sequence[int | None], name: str = "input", axes: str = ""
) -> None:
    """Raise a ValueError unless ``x.shape`` matches ``expected``.

    Args:
        x: The tensor to check.
        expected: One entry per dimension; ``None`` accepts any size there.
        name: What ``x`` is, for the message (e.g. ``"ConvCritic2d input"``).
        axes: Names of the axes, for the message (e.g. ``"(batch, channels, freq, frames)"``).

    Raises:
        ValueError: If the rank or any fixed size differs.
    """
    shape = tuple(x.shape)
    ok = len(shape) == len(expected) and all(
        e is None or e == s for e, s in zip(expected, shape, strict=False)
    )
    if not ok:
        want = "(" + ", ".join("*" if e is None else str(e) for e in expected) + ")"
        axes_txt = f" {axes}" if axes else ""
        raise ValueError(f"{name}: expected shape {want}{axes_txt}, got {shape}")


def check_trailing(
    x: torch.Tensor, expected: Sequence[int], name: str = "input", axes: str = ""
) -> None:
    """Raise a ValueError unless the last ``len(expected)`` dims of ``x`` equal ``expected``.

    Leading dims are free: this is the check for ``(..., channels, freq, frames)`` inputs.
    """
    shape = tuple(x.shape)
    n = len(expected)
    if len(shape) < n or tuple(shape[len(shape) - n :]) != tuple(expected):
        axes_txt = f" {axes}" if axes else ""
        raise ValueError(
            f"{name}: expected shape (..., {', '.join(map(str, expected))}){axes_txt}, got {shape}"
        )
