"""Training precision: fp32, bf16 autocast, or fp16 autocast with a GradScaler per optimizer."""

from __future__ import annotations

import contextlib
from typing import Literal

import torch

__all__ = ["Precision", "PrecisionName", "auto_precision"]

PrecisionName = Literal["auto", "32", "bf16", "16"]
_NAMES = ("auto", "32", "bf16", "16")


def auto_precision(device: torch.device) -> str:
    """``"bf16"`` on a CUDA device that supports bfloat16, ``"32"`` everywhere else.

    bf16 keeps float32's range, so it needs no loss scaling and trains GANs with the same
    settings as float32; CPUs gain little from it, so they stay in float32.
    """
    if device.type == "cuda" and torch.cuda.is_available() and torch.cuda.is_bf16_supported():
        return "bf16"
    return "32"


class Precision:
    """What a precision setting means on a device.

    * ``"auto"``: ``"bf16"`` on CUDA devices that support it, ``"32"`` elsewhere
      (:func:`auto_precision`); :attr:`name` holds the resolved choice.
    * ``"32"``: plain float32, no autocast.
    * ``"bf16"``: ``torch.autocast(dtype=torch.bfloat16)``; bf16 has float32's range, so no
      loss scaling (the PyTorch AMP docs pair GradScaler with float16 only).
    * ``"16"``: ``torch.autocast(dtype=torch.float16)`` on CUDA with one ``GradScaler`` per
      optimizer; the critic's scaler goes to the penalty for the AMP gradient-penalty recipe.

    :meth:`scaler` always returns a ``torch.amp.GradScaler``; outside ``"16"`` it is disabled
    (``scale`` returns its input, ``step`` calls ``optimizer.step()``), so the training step has
    one code path.

    Args:
        name: ``"auto"``, ``"32"``, ``"bf16"`` or ``"16"`` (``32``, ``16`` as ints too).
        device: The training device.

    Raises:
        ValueError: For an unknown name, or ``"16"`` on a device other than CUDA.
    """

    def __init__(self, name: str | int, device: torch.device) -> None:
        name = str(name)
        if name not in _NAMES:
            raise ValueError(f"precision must be one of {_NAMES}, got {name!r}")
        if name == "auto":
            name = auto_precision(device)
        if name == "16" and device.type != "cuda":
            raise ValueError(
                f"precision='16' (float16 with GradScaler) needs a CUDA device, got {device}; "
                "use precision='bf16' or '32' on CPU"
            )
        self.name = name
        self.device = device

    @property
    def dtype(self) -> torch.dtype | None:
        """The autocast dtype, or None for float32."""
        return {"32": None, "bf16": torch.bfloat16, "16": torch.float16}[self.name]

    def autocast(self) -> contextlib.AbstractContextManager:
        """A context that runs the forward passes in this precision."""
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=self.dtype)

    def scaler(self) -> torch.amp.GradScaler:
        """A new GradScaler, enabled only for ``"16"``."""
        return torch.amp.GradScaler(self.device.type, enabled=self.name == "16")

    def __repr__(self) -> str:
        return f"Precision({self.name!r}, device={self.device})"
