"""The argument checks blocks share, with errors that name the block, the argument and the value.

Every block checks its constructor arguments before building layers, so a wrong value fails at
once with a message such as ``"ConvCritic2d: width must be >= 1, got 0"`` instead of deep inside
a ``Conv2d``. The messages always read ``"<owner>: <argument> must ..., got <value>"``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TypeVar

T = TypeVar("T")


def _names(names: Sequence[str]) -> str:
    """``"a"``, ``"a and b"``, ``"a, b and c"``."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def check_at_least(owner: str, minimum: int, /, **values: float) -> None:
    """Raise a ValueError naming every one of ``values`` below ``minimum``.

    Args:
        owner: The block, for the message (e.g. ``"ConvCritic2d"``).
        minimum: The smallest value allowed.
        **values: The arguments to check, by name.

    Raises:
        ValueError: E.g. ``"ConvCritic2d: width must be >= 1, got 0"``; with several failing
            arguments, ``"Block: width and depth must be >= 1, got 0, -1"``.
    """
    bad = [(name, value) for name, value in values.items() if value < minimum]
    if bad:
        got = ", ".join(str(value) for _, value in bad)
        names = _names([name for name, _ in bad])
        raise ValueError(f"{owner}: {names} must be >= {minimum}, got {got}")


def check_positive(owner: str, /, **values: float) -> None:
    """Raise a ValueError naming every one of ``values`` below 1 (sizes and counts).

    Raises:
        ValueError: E.g. ``"LabelEmbedding: dim must be >= 1, got 0"``.
    """
    check_at_least(owner, 1, **values)


def check_odd_kernel(owner: str, kernel_size: int) -> None:
    """Raise a ValueError unless ``kernel_size`` is odd and >= 1 (a 'same' conv's kernel).

    Raises:
        ValueError: E.g. ``"ConvNeXtBlock: kernel_size must be odd (a 'same' conv keeps the
            length), got 4"``.
    """
    if kernel_size < 1 or kernel_size % 2 == 0:
        raise ValueError(
            f"{owner}: kernel_size must be odd (a 'same' conv keeps the length), got {kernel_size}"
        )


def check_greater(owner: str, name: str, value: float, bound: float = 0.0) -> None:
    """Raise a ValueError unless ``value > bound`` (scales, temperatures, magnitudes).

    Raises:
        ValueError: E.g. ``"OneHotUnits: tau must be > 0, got 0.0"`` (NaN fails too).
    """
    if not value > bound:
        raise ValueError(f"{owner}: {name} must be > {bound:g}, got {value}")


def check_positive_ints(owner: str, name: str, values: Iterable[int]) -> list[int]:
    """``values`` as a non-empty list of integers >= 1 (upsampling rates, dilations, periods).

    Raises:
        ValueError: E.g. ``"HiFiGANGenerator: upsample_rates must be positive integers, got
            [8, 0]"``, also for an empty list.
    """
    out = [int(v) for v in values]
    if not out or min(out) < 1:
        raise ValueError(f"{owner}: {name} must be positive integers, got {out}")
    return out


def check_factors(
    owner: str,
    name: str,
    factors: Iterable[int] | None,
    num_classes: int,
    needs: str = "",
    enabled: bool = True,
) -> list[int] | None:
    """``factors`` (None, or the label factors' class counts) as a list whose product is
    ``num_classes``: the sizes of a joint label such as (pitches, families).

    Args:
        needs: The argument the factors need, named in the message (``"projection"``).
        enabled: Whether that argument is on (factors without it are an error).

    Raises:
        ValueError: E.g. ``"GANSynthCritic: projection_factors [5, 2] needs projection and
            positive counts whose product is num_classes (15)"``.
    """
    if factors is None:
        return None
    counts = [int(k) for k in factors]
    if not enabled or not counts or min(counts) < 1 or math.prod(counts) != num_classes:
        what = f"needs {needs} and" if needs else "must be"
        raise ValueError(
            f"{owner}: {name} {counts} {what} positive counts whose product is num_classes "
            f"({num_classes})"
        )
    return counts


def check_choice(owner: str, name: str, value: T, allowed: Iterable[T]) -> T:
    """``value`` if it is one of ``allowed``.

    Raises:
        ValueError: E.g. ``"MuseGenerator: output must be one of ('tanh', ...), got 'relu'"``.
    """
    allowed = tuple(allowed)
    if value not in allowed:
        raise ValueError(f"{owner}: {name} must be one of {allowed}, got {value!r}")
    return value


def check_sizes(
    owner: str, name: str, shape: Iterable[int], axes: Sequence[str]
) -> tuple[int, ...]:
    """``shape`` as a tuple of one positive size per name of ``axes``.

    Args:
        owner: The block, for the message.
        name: The argument, e.g. ``"in_shape"``.
        shape: The sizes given.
        axes: The axis names, e.g. ``("channels", "freq", "frames")``.

    Raises:
        ValueError: E.g. ``"ConvCritic2d: in_shape must be (channels, freq, frames) of positive
            sizes, got (1, 0, 64)"``, also for the wrong number of sizes or non-integers.
    """
    want = f"({', '.join(axes)})"
    try:
        out = tuple(int(s) for s in shape)
    except (TypeError, ValueError):
        raise ValueError(
            f"{owner}: {name} must be {want} of positive sizes, got {shape!r}"
        ) from None
    if len(out) != len(axes) or min(out) < 1:
        raise ValueError(f"{owner}: {name} must be {want} of positive sizes, got {out}")
    return out


def check_stage_channels(
    owner: str, channels: Iterable[int], num_stages: int, stage: str = "stage"
) -> list[int]:
    """An explicit per-stage ``channels`` list: ``num_stages`` positive counts.

    Raises:
        ValueError: E.g. ``"ConvCritic2d: channels must hold 4 positive counts (one per stage),
            got [32, 64]"``.
    """
    out = [int(c) for c in channels]
    if len(out) != num_stages or not out or min(out) < 1:
        raise ValueError(
            f"{owner}: channels must hold {num_stages} positive counts (one per {stage}), got {out}"
        )
    return out
