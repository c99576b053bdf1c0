"""Waveform transforms: resample, mix down, pad or trim. Inputs are ``(..., time)``."""

from __future__ import annotations

import math
from functools import lru_cache

import torch
import torch.nn.functional as F
import torchaudio.functional as AF


@lru_cache(maxsize=32)
def _resample_kernel(orig: int, new: int, dtype: torch.dtype) -> tuple[torch.Tensor, int]:
    # torchaudio's private kernel builder is stable across 2.x; caching it per rate pair
    # avoids rebuilding the sinc kernel for every file of a data set.
    from torchaudio.functional.functional import _get_sinc_resample_kernel

    gcd = math.gcd(orig, new)
    kernel, width = _get_sinc_resample_kernel(orig, new, gcd, dtype=dtype)
    return kernel, width


def resample(waveform: torch.Tensor, orig_sr: int, new_sr: int) -> torch.Tensor:
    """Resample ``(..., time)`` from ``orig_sr`` to ``new_sr`` with a cached sinc kernel.

    Equal to :func:`torchaudio.functional.resample` with its default arguments. The result has
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
    try:
        from torchaudio.functional.functional import _apply_sinc_resample_kernel

        gcd = math.gcd(orig_sr, new_sr)
        kernel, width = _resample_kernel(orig_sr, new_sr, waveform.dtype)
        return _apply_sinc_resample_kernel(
            waveform, orig_sr, new_sr, gcd, kernel.to(waveform.device), width
        )
    except ImportError:  # a torchaudio without the private helpers: fall back to the public call
        return AF.resample(waveform, orig_sr, new_sr)


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
