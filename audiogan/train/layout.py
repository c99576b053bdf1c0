"""Memory layout: channels_last for convolution-heavy models (4-D NHWC, 5-D NDHWC).

cuDNN and oneDNN run many convolutions faster on channels-last tensors (on this project's 2-core
CPU an iteration of the conditional WGAN-GP took 0.80x the time; see
``benchmarks/train_step.py``).
Only the layout changes: values, shapes and results are the same.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["to_channels_last", "to_channels_last_"]


def to_channels_last(x: torch.Tensor) -> torch.Tensor:
    """``x`` in channels_last (4-D) or channels_last_3d (5-D) layout; other ranks unchanged."""
    if x.dim() == 4:
        return x.contiguous(memory_format=torch.channels_last)
    if x.dim() == 5:
        return x.contiguous(memory_format=torch.channels_last_3d)
    return x


@torch.no_grad()
def to_channels_last_(module: nn.Module) -> nn.Module:
    """Put every 4-D and 5-D parameter and buffer of ``module`` in channels-last layout, in place.

    Unlike ``module.to(memory_format=torch.channels_last)`` this also handles Conv3d weights
    (MuseGAN's critic), which need ``channels_last_3d``.

    Returns:
        ``module``.
    """
    for tensor in [*module.parameters(), *module.buffers()]:
        if tensor.dim() in (4, 5):
            tensor.data = to_channels_last(tensor.data)
    return module
