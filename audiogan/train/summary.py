"""How long a training run is and what it trains, in numbers and in one line."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from torch import nn

__all__ = ["loader_length", "planned_steps", "run_summary"]


def loader_length(loader: Iterable[Any] | None) -> int | None:
    """``len(loader)``, or None for a loader without a length."""
    try:
        return len(loader)  # type: ignore[arg-type]
    except TypeError:
        return None


def planned_steps(
    loader: Iterable[Any], epochs: int | None, steps: int | None, n_critic: int
) -> int | None:
    """The generator steps a ``fit`` reaches in all (None if the loader has no length).

    Raises:
        ValueError: If the loader has fewer batches per epoch than ``n_critic``.
    """
    n = loader_length(loader)
    if n is not None and n < n_critic:
        raise ValueError(
            f"Trainer.fit: the loader yields {n} batches per epoch, fewer than "
            f"n_critic={n_critic}; one generator step needs n_critic batches"
        )
    totals = [steps] if steps is not None else []
    if epochs is not None and n is not None:
        totals.append(epochs * (n // n_critic))
    return min(totals) if totals else None


def run_summary(
    generator: nn.Module,
    critic: nn.Module,
    device: Any,
    precision: str,
    n_critic: int,
    compiled: bool = False,
    loader: Iterable[Any] | None = None,
) -> str:
    """Both models' parameter counts, device, precision, and batches per epoch, in one line.

    Example:
        >>> from torch import nn
        >>> run_summary(nn.Linear(10, 10), nn.Linear(10, 1), "cpu", "32", 5, loader=range(20))
        'generator Linear 0.00 M params, critic Linear 0.00 M params, device cpu, precision 32, 20 batches per epoch (4 generator steps)'
    """
    parts = [
        f"{name} {type(m).__name__} {sum(p.numel() for p in m.parameters()) / 1e6:.2f} M params"
        for name, m in (("generator", generator), ("critic", critic))
    ]
    parts += [f"device {device}", f"precision {precision}"]
    if compiled:
        parts.append("compiled")
    n = loader_length(loader)
    if n is not None:
        parts.append(f"{n} batches per epoch ({n // n_critic} generator steps)")
    return ", ".join(parts)
