"""Shared pieces of the waveform blocks: the weight-norm / spectral-norm choice and input checks.

HiFi-GAN's generator and discriminators wrap every convolution in weight normalization
(Salimans & Kingma 2016), the first scale of the multi-scale discriminator in spectral
normalization. Both come from the public :mod:`torch.nn.utils.parametrizations` API, and
:func:`remove_weight_norm` folds weight norm back into plain weights for inference with
:func:`torch.nn.utils.parametrize.remove_parametrizations`, leaving outputs unchanged.
"""

from __future__ import annotations

import functools

import torch
from torch import nn
from torch.nn.utils import parametrizations, parametrize

__all__ = [
    "WAVEFORM_NORMS",
    "apply_waveform_norm",
    "check_waveform",
    "has_weight_norm",
    "remove_weight_norm",
    "resolve_waveform_norm",
]

WAVEFORM_NORMS: tuple[str, ...] = ("weight", "spectral", "none")
"""The norms a waveform block puts on its convolutions."""

_ALIASES = {"wn": "weight", "weight_norm": "weight", "sn": "spectral", "spectral_norm": "spectral"}


def resolve_waveform_norm(norm: str | None, name: str = "norm") -> str:
    """Canonical name of a waveform block's norm: ``"weight"``, ``"spectral"`` or ``"none"``.

    Args:
        norm: A name (``"wn"``/``"sn"`` aliases accepted, case-insensitive) or ``None``.
        name: The argument, for the message.

    Raises:
        ValueError: For anything else.
    """
    key = "none" if norm is None else str(norm).strip().lower()
    key = _ALIASES.get(key, key)
    if key not in WAVEFORM_NORMS:
        raise ValueError(f"{name}: expected one of {WAVEFORM_NORMS}, got {norm!r}")
    return key


def apply_waveform_norm(layer: nn.Module, norm: str) -> nn.Module:
    """Wrap ``layer``'s weight in weight norm or spectral norm (``"none"``: as is); returns it.

    Weight norm splits the weight into a magnitude and a direction along the output axis
    (``dim=0``, as :func:`torch.nn.utils.weight_norm` and the HiFi-GAN reference do), starting from
    the layer's current weight, so initialize the weight first.
    """
    norm = resolve_waveform_norm(norm)
    if norm == "weight":
        return parametrizations.weight_norm(layer)
    if norm == "spectral":
        return parametrizations.spectral_norm(layer)
    return layer


@functools.cache
def _weight_norm_parametrization() -> type[nn.Module]:
    """The class :func:`torch.nn.utils.parametrizations.weight_norm` registers, found through it."""
    probe = parametrizations.weight_norm(nn.Linear(1, 1))
    return type(probe.parametrizations.weight[0])


def _weight_normed(layer: nn.Module) -> bool:
    if not parametrize.is_parametrized(layer, "weight"):
        return False
    kind = _weight_norm_parametrization()
    return any(isinstance(p, kind) for p in layer.parametrizations.weight)


def has_weight_norm(module: nn.Module) -> bool:
    """True when ``module`` or a submodule has a weight-normalized ``weight``."""
    return any(_weight_normed(layer) for layer in module.modules())


def remove_weight_norm(module: nn.Module) -> int:
    """Fold every weight norm inside ``module`` into a plain weight, in place (for inference).

    Uses :func:`torch.nn.utils.parametrize.remove_parametrizations` with
    ``leave_parametrized=True``: each weight keeps its current value, so outputs do not change.
    Spectral norm is left alone. Safe to call twice.

    Returns:
        How many layers were changed.
    """
    layers = [layer for layer in module.modules() if _weight_normed(layer)]
    for layer in layers:
        parametrize.remove_parametrizations(layer, "weight", leave_parametrized=True)
    return len(layers)


def check_waveform(x: torch.Tensor, name: str, min_length: int = 1) -> None:
    """Raise a ValueError unless ``x`` is a waveform batch ``(batch, 1, time)`` of enough samples.

    Args:
        x: The input.
        name: The block, for the message.
        min_length: The fewest samples the block accepts.
    """
    if x.dim() != 3 or x.shape[1] != 1:
        hint = " (add the channel axis: x.unsqueeze(1))" if x.dim() == 2 else ""
        raise ValueError(
            f"{name}: expected a waveform of shape (batch, 1, time), got {tuple(x.shape)}{hint}"
        )
    if x.shape[-1] < min_length:
        raise ValueError(
            f"{name}: expected at least {min_length} samples (batch, 1, time >= {min_length}), "
            f"got {tuple(x.shape)}"
        )
