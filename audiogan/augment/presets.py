"""Augmentation pipelines by name, as recipe settings give them (``--set augment=shift,mask,gain``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

from audiogan.augment.gain import SpectrogramGain, WaveformGain
from audiogan.augment.masking import FrequencyMask, TimeMask
from audiogan.augment.pipeline import Augment
from audiogan.augment.polarity import Polarity
from audiogan.augment.shift import TimeShift
from audiogan.augment.transform import Transform
from audiogan.augment.transpose import Transpose

__all__ = ["Layout", "augment_from_names", "augment_names"]

#: The data layouts with named augmentations.
Layout = Literal["spectrogram", "waveform", "pianoroll"]

_Make = Callable[[float, float], list[Transform]]  # (p, fill) -> transforms

#: Silence in each layout: a [-1, 1] log-spectrogram's floor, a waveform's zero, an empty roll.
_SILENCE: dict[str, float] = {"spectrogram": -1.0, "waveform": 0.0, "pianoroll": -1.0}


_NAMES: dict[str, dict[str, _Make]] = {
    "spectrogram": {
        "shift": lambda p, fill: [TimeShift(0.125, mode="zeros", fill=fill, p=p)],
        "roll": lambda p, fill: [TimeShift(0.125, mode="circular", p=p)],
        "mask": lambda p, fill: [TimeMask(0.125, fill, p), FrequencyMask(0.125, fill, p)],
        "time_mask": lambda p, fill: [TimeMask(0.125, fill, p)],
        "freq_mask": lambda p, fill: [FrequencyMask(0.125, fill, p)],
        "gain": lambda p, fill: [SpectrogramGain(0.1, p)],
    },
    "waveform": {
        "shift": lambda p, fill: [TimeShift(0.125, mode="zeros", fill=fill, p=p)],
        "roll": lambda p, fill: [TimeShift(0.125, mode="circular", p=p)],
        "gain": lambda p, fill: [WaveformGain(6.0, p)],
        "polarity": lambda p, fill: [Polarity(p)],
    },
    "pianoroll": {
        "transpose": lambda p, fill: [Transpose(5, fill=fill, p=p)],
        "shift": lambda p, fill: [TimeShift(0.125, mode="zeros", fill=fill, p=p)],
        "roll": lambda p, fill: [TimeShift(0.125, mode="circular", p=p)],
    },
}


def augment_names(layout: Layout = "spectrogram") -> list[str]:
    """The names :func:`augment_from_names` knows for a layout."""
    if layout not in _NAMES:
        raise ValueError(f"augment: layout must be one of {sorted(_NAMES)}, got {layout!r}")
    return list(_NAMES[layout])


def augment_from_names(
    names: str | Sequence[str],
    layout: Layout = "spectrogram",
    *,
    p: float = 0.5,
    fill: float | None = None,
) -> Augment:
    """A pipeline from transform names, in the order given, each with probability ``p``.

    Spectrograms ``(batch, channels, freq, frames)`` in [-1, 1]: ``shift`` (zero-filled with
    silence, up to 1/8 of the frames), ``roll`` (circular shift), ``mask`` (a time and a
    frequency mask, each up to 1/8), ``time_mask``, ``freq_mask``, ``gain`` (±0.1, ±5 dB on
    LogMel's scale). Waveforms ``(batch, channels, num_samples)``: ``shift``, ``roll``, ``gain``
    (±6 dB), ``polarity``. Piano rolls ``(batch, tracks, bars, steps, pitches)``: ``transpose``
    (±5 semitones), ``shift``, ``roll``.

    Args:
        names: Comma-separated (``"shift,mask,gain"``) or a sequence; empty gives a pipeline
            that changes nothing.
        layout: ``"spectrogram"``, ``"waveform"`` or ``"pianoroll"``.
        p: Each transform's probability.
        fill: The silence value for shifts and masks (default: -1, 0, -1 by layout).

    Raises:
        ValueError: For an unknown layout or name, listing the known ones.

    Example:
        >>> augment_from_names("shift,mask,gain", p=0.5)
        Augment(
          (transforms): ModuleList(
            (0): TimeShift(max_shift=0.125, mode='zeros', fill=-1.0, p=0.5)
            (1): TimeMask(max_width=0.125, fill=-1.0, p=0.5)
            (2): FrequencyMask(max_width=0.125, fill=-1.0, p=0.5)
            (3): SpectrogramGain(max_shift=0.1, p=0.5)
          )
        )
    """
    known = augment_names(layout)
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",")]
    fill = _SILENCE[layout] if fill is None else float(fill)
    transforms: list[Transform] = []
    for name in names:
        if not name:
            continue
        if name not in known:
            raise ValueError(
                f"augment: unknown {layout} augmentation {name!r}; known: {', '.join(known)}"
            )
        transforms += _NAMES[layout][name](p, fill)
    return Augment(transforms)
