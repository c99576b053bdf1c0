"""Waveform transforms: resample, mix down, pad or trim. Inputs are ``(..., time)``."""

from __future__ import annotations

from functools import lru_cache

import torch
import torch.nn.functional as F
from torchaudio.transforms import Resample


@lru_cache(maxsize=32)
def _resampler(orig: int, new: int, dtype: torch.dtype, device: torch.device) -> Resample:
    """torchaudio's ``Resample`` for one rate pair, dtype and device: its sinc kernel is built
    once and reused for every file of a data set."""
    return Resample(orig, new, dtype=dtype).to(device)


def resample(waveform: torch.Tensor, orig_sr: int, new_sr: int) -> torch.Tensor:
    """Resample ``(..., time)`` from ``orig_sr`` to ``new_sr`` with :class:`torchaudio.transforms.Resample`.

    Equal to :func:`torchaudio.functional.resample` with its default arguments; one
    ``Resample`` (one sinc kernel) is kept per rate pair, dtype and device. The result has
    ``ceil(time * new_sr / orig_sr)`` samples; an empty input (no samples, or a leading axis of
    size 0) gives an empty result of that shape.

    Raises:
        ValueError: If a rate is not positive, or the waveform is not floating (and the rates
            differ).
    """
    if orig_sr <= 0 or new_sr <= 0:
        raise ValueError(f"resample: sample rates must be positive, got {orig_sr} -> {new_sr}")
    if orig_sr == new_sr:
        return waveform
    if not waveform.is_floating_point():
        raise ValueError(f"resample: expected a floating waveform, got {waveform.dtype}")
    if waveform.numel() == 0:  # torchaudio cannot reshape an empty batch
        length = -(-waveform.shape[-1] * new_sr // orig_sr)
        return waveform.new_zeros((*waveform.shape[:-1], length))
    return _resampler(int(orig_sr), int(new_sr), waveform.dtype, waveform.device)(waveform)


def mix_down(waveform: torch.Tensor) -> torch.Tensor:
    """Average the channels of ``(channels, time)`` (or ``(..., channels, time)``) to one: ``(..., 1, time)``.

    Raises:
        ValueError: If the waveform is not floating, has fewer than 2 dims or no channel.
    """
    if waveform.dim() < 2:
        raise ValueError(f"mix_down: expected (..., channels, time), got {tuple(waveform.shape)}")
    if not waveform.is_floating_point():
        raise ValueError(f"mix_down: expected a floating waveform, got {waveform.dtype}")
    if waveform.shape[-2] == 0:
        raise ValueError(
            f"mix_down: expected at least one channel in (..., channels, time), got {tuple(waveform.shape)}"
        )
    return waveform.mean(dim=-2, keepdim=True)


def pad_or_trim(
    waveform: torch.Tensor,
    length: int,
    random_crop: bool = False,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Right-pad with zeros or trim ``(..., time)`` to exactly ``length`` samples.

    Args:
        waveform: ``(..., time)``.
        length: Target number of samples (> 0).
        random_crop: When trimming, take a random window (drawn from ``generator``) instead
            of the first ``length`` samples.
        generator: Random source for ``random_crop``, for reproducible crops.

    Returns:
        ``(..., length)``; the kept samples are unchanged.
    """
    if length <= 0:
        raise ValueError(f"pad_or_trim: length must be positive, got {length}")
    n = waveform.shape[-1]
    if n < length:
        return F.pad(waveform, (0, length - n))
    if n > length:
        start = 0
        if random_crop:
            start = int(torch.randint(0, n - length + 1, (1,), generator=generator).item())
        return waveform[..., start : start + length]
    return waveform
