"""Standard normal latents on a generator's own device and dtype."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


def module_device_dtype(module: nn.Module) -> tuple[torch.device, torch.dtype]:
    """Device and dtype of ``module``'s first floating-point parameter (or buffer).

    A module without any gives the CPU and :func:`torch.get_default_dtype`.
    """
    tensors = (*module.parameters(), *module.buffers())
    for t in tensors:
        if t.is_floating_point():
            return t.device, t.dtype
    return torch.device("cpu"), torch.get_default_dtype()


def sample_normal(
    module: nn.Module,
    shapes: Sequence[tuple[int, ...]],
    device: torch.device | str | None = None,
    generator: torch.Generator | None = None,
    dtype: torch.dtype | None = None,
) -> list[torch.Tensor]:
    """Standard normal tensors of ``shapes``, on ``module``'s device and dtype unless told otherwise.

    The draws come from ``generator`` on that generator's device (so a CPU generator gives the
    same numbers for a model on any device) and are then moved to ``device``.

    Args:
        module: The generator; its parameters give the default device and dtype.
        shapes: One shape per tensor.
        device: Where the tensors go (default: the module's device).
        generator: Random generator; default the global one of ``device``.
        dtype: Floating dtype (default: the module's).

    Returns:
        One tensor per shape.
    """
    own_device, own_dtype = module_device_dtype(module)
    device = own_device if device is None else torch.device(device)
    dtype = own_dtype if dtype is None else dtype
    draw_on = device if generator is None else generator.device
    return [
        torch.randn(shape, device=draw_on, generator=generator, dtype=dtype).to(device)
        for shape in shapes
    ]


class LatentMixin:
    """``sample_latent`` for a generator whose latent is one ``(n, latent_dim)`` tensor.

    Mixed into an ``nn.Module`` with a ``latent_dim`` attribute (``class G(LatentMixin,
    nn.Module)``); the latents follow the module's own device and dtype (see
    :func:`sample_normal`), so ``G.double()`` gets float64 latents.
    """

    latent_dim: int

    def sample_latent(
        self,
        n: int,
        device: torch.device | str | None = None,
        generator: torch.Generator | None = None,
        dtype: torch.dtype | None = None,
    ) -> torch.Tensor:
        """Standard normal latents ``(n, latent_dim)``.

        Args:
            n: Batch size.
            device: Default: the generator's parameters' device.
            generator: Random generator, drawn from on its own device.
            dtype: Default: the generator's parameters' dtype (so ``G.double()`` gets float64).
        """
        if not isinstance(self, nn.Module):
            raise TypeError(f"{type(self).__name__}: LatentMixin needs an nn.Module")
        (z,) = sample_normal(self, [(n, self.latent_dim)], device, generator, dtype)
        return z
