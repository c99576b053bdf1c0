"""Shared helpers for the music metrics: note masks of piano rolls, notes, pitch classes, reduction.

Every music metric takes a piano roll ``(batch, tracks, bars, steps, pitches)``. A cell counts as
*on* when its value is ``> 0``: bool rolls, ``uint8`` / integer ``{0, 1}`` rolls and float rolls in
``{0, 1}`` or ``{-1, 1}`` (the generator's tanh range, as in the MuseGAN paper's thresholding at 0)
are all accepted. Pitch index ``i`` is MIDI pitch ``i + lowest_pitch``, so its pitch class is
``(i + lowest_pitch) % 12``.
"""

from __future__ import annotations

import numpy as np
import torch
from einops import rearrange

ROLL_AXES = "(batch, tracks, bars, steps, pitches)"

#: Semitone offsets of the major and natural-minor scales (muspy ``scale_consistency``).
MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
MINOR_SCALE = (0, 2, 3, 5, 7, 8, 10)


def roll_mask(roll: torch.Tensor | np.ndarray, name: str = "roll") -> torch.Tensor:
    """The bool note mask of a piano roll: True where a cell is on (``> 0``).

    Not to be confused with :func:`audiogan.frontends.binarize_roll`, which turns a generator's
    real-valued output into a {-1, 1} roll in the model's range (argmax or threshold).

    Args:
        roll: Piano roll ``(batch, tracks, bars, steps, pitches)``: bool, integer or float.
        name: What the argument is called, for error messages.

    Returns:
        A bool tensor of the same shape, on the same device.

    Raises:
        ValueError: If ``roll`` does not have five dimensions or is complex.
    """
    if isinstance(roll, np.ndarray):
        roll = torch.from_numpy(roll)
    if not isinstance(roll, torch.Tensor):
        raise ValueError(f"{name}: expected a torch.Tensor {ROLL_AXES}, got {type(roll).__name__}")
    if roll.dim() != 5:
        raise ValueError(
            f"{name}: expected shape (*, *, *, *, *) {ROLL_AXES}, got {tuple(roll.shape)}"
        )
    if roll.is_complex():
        raise ValueError(f"{name}: expected a real (bool, integer or float) roll, got {roll.dtype}")
    if roll.dtype == torch.bool:
        return roll
    return roll > 0


def check_lowest_pitch(lowest_pitch: int) -> None:
    """Raise a ValueError unless ``lowest_pitch`` is a MIDI pitch number (0..127)."""
    if not isinstance(lowest_pitch, (int, np.integer)) or not 0 <= int(lowest_pitch) <= 127:
        raise ValueError(
            f"lowest_pitch: expected a MIDI pitch number in 0..127, got {lowest_pitch!r}"
        )


def pitch_class_matrix(pitches: int, lowest_pitch: int, device: torch.device) -> torch.Tensor:
    """One-hot map from pitch index to pitch class.

    Args:
        pitches: Size of the roll's pitch axis.
        lowest_pitch: MIDI number of pitch index 0.
        device: Where to put the matrix.

    Returns:
        ``(pitches, 12)`` float32 matrix with a 1 at ``[i, (i + lowest_pitch) % 12]``.
    """
    check_lowest_pitch(lowest_pitch)
    classes = (torch.arange(pitches, device=device) + int(lowest_pitch)) % 12
    return torch.nn.functional.one_hot(classes, 12).float()


def scale_masks(device: torch.device) -> torch.Tensor:
    """The 24 major and natural-minor scales as pitch-class masks.

    Returns:
        ``(24, 12)`` float32: rows 0-11 are the major scales on C, C#, ..., B; rows 12-23 the
        natural-minor scales on the same roots.
    """
    masks = torch.zeros(24, 12, device=device)
    for row, (root, scale) in enumerate(
        (r, s) for s in (MAJOR_SCALE, MINOR_SCALE) for r in range(12)
    ):
        masks[row, [(root + step) % 12 for step in scale]] = 1.0
    return masks


def flatten_time(on: torch.Tensor) -> torch.Tensor:
    """``(batch, tracks, bars, steps, pitches)`` to ``(batch, tracks, time, pitches)``, bars joined."""
    return rearrange(on, "b t bars steps p -> b t (bars steps) p")


def note_onsets(on_time: torch.Tensor) -> torch.Tensor:
    """Mark the first step of every note.

    A note is a run of consecutive on-steps of the same pitch (so two repeated notes with no gap
    between them read as one long note: a binarized roll cannot tell them apart).

    Args:
        on_time: Bool ``(..., time, pitches)``.

    Returns:
        Bool ``(..., time, pitches)``, True where a cell is on and the step before it is off.
    """
    before = torch.zeros_like(on_time[..., :1, :])
    previous = torch.cat([before, on_time[..., :-1, :]], dim=-2)
    return on_time & ~previous


def safe_ratio(numerator: torch.Tensor, denominator: torch.Tensor) -> torch.Tensor:
    """``numerator / denominator`` as float32, NaN where ``denominator == 0``."""
    num = numerator.float()
    den = denominator.float()
    nan = torch.full_like(num, float("nan"))
    return torch.where(den > 0, num / den.clamp(min=1e-12), nan)


def reduce_batch(values: torch.Tensor, reduce: bool) -> torch.Tensor:
    """Average per-sample values over the batch axis (axis 0), ignoring NaN.

    Args:
        values: ``(batch, ...)`` per-sample values, NaN where a sample's value is undefined.
        reduce: If False, return ``values`` unchanged.

    Returns:
        ``(...)`` the NaN-ignoring batch mean (NaN where every sample is NaN), or ``values``.
    """
    if not reduce:
        return values
    return torch.nanmean(values, dim=0)


def check_divides(total: int, part: int, what_total: str, what_part: str) -> None:
    """Raise a ValueError unless ``part`` is a positive divisor of ``total``."""
    if not isinstance(part, (int, np.integer)) or part < 1 or total % part:
        raise ValueError(
            f"{what_part}: expected a positive divisor of {what_total} ({total}), got {part!r}"
        )


def resolve_steps_per_beat(steps: int, steps_per_beat: int | None) -> int:
    """Resolve ``steps_per_beat`` (None: four beats a bar) and check that it divides ``steps``."""
    if steps_per_beat is None:
        if steps % 4:
            raise ValueError(
                f"steps_per_beat: steps per bar ({steps}) is not divisible by 4; pass steps_per_beat"
            )
        return steps // 4
    check_divides(steps, steps_per_beat, "steps per bar", "steps_per_beat")
    return int(steps_per_beat)
