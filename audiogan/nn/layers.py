"""Norm and activation layers chosen by name or class, and the spectral- and weight-norm options.

Blocks take ``norm`` and ``activation`` as a name (``"batch"``, ``"leaky_relu"`` ...) or as an
``nn.Module`` class, and resolve them here, in one place (like timm's ``get_norm_layer`` /
``get_act_layer``). Names keep a block's ``config`` JSON-able; known torch classes are turned
back into their names by :func:`resolve_norm` and :func:`resolve_activation`.

Norm names:

- ``"batch"``: ``BatchNorm{1,2,3}d``. Mixes the samples of a batch, so it breaks the per-sample
  gradient penalty of WGAN-GP: keep it out of critics trained with a penalty
  (see :func:`audiogan.nn.init.warn_if_batchnorm`).
- ``"instance"``: ``InstanceNorm{1,2,3}d(affine=True)``, per sample and channel.
- ``"layer"``: ``GroupNorm(1, channels)``: per sample over all channels and positions (layer norm
  for feature maps, with a per-channel affine).
- ``"spectral"``: no norm layer; the block's conv and linear weights get spectral normalization
  (:func:`apply_spectral_norm`, or :func:`apply_weight_norm` layer by layer).
- ``"weight"``: no norm layer; each conv's weight is weight-normalized (Salimans & Kingma 2016,
  as HiFi-GAN does), see :func:`apply_weight_norm`; :func:`remove_weight_norm` folds it back into
  plain weights for inference, leaving outputs unchanged.
- ``"none"`` (or ``None``): identity.

:func:`resolve_norm` is the one resolver of these names for every block; each block passes the
names it supports (the waveform blocks: :data:`WAVEFORM_NORMS`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import torch
from torch import nn
from torch.nn.utils import parametrizations, parametrize

NormSpec = str | type[nn.Module] | None
"""A norm given by name (see the module docstring), by ``nn.Module`` class, or ``None``."""

ActSpec = str | type[nn.Module] | None
"""An activation given by name (see :data:`ACTIVATIONS`), by ``nn.Module`` class, or ``None``."""

NORMS: tuple[str, ...] = ("batch", "instance", "layer", "spectral", "weight", "none")
"""Every norm name; each block supports some of them (its ``allowed`` in :func:`resolve_norm`)."""

WAVEFORM_NORMS: tuple[str, ...] = ("weight", "spectral", "none")
"""The norms a waveform block (HiFi-GAN and its critics) puts on its convolutions."""

_NORM_ALIASES: dict[str, str] = {
    "bn": "batch",
    "batchnorm": "batch",
    "in": "instance",
    "instancenorm": "instance",
    "ln": "layer",
    "layernorm": "layer",
    "sn": "spectral",
    "spectral_norm": "spectral",
    "wn": "weight",
    "weight_norm": "weight",
    "identity": "none",
    "": "none",
}

_NORM_CLASSES: dict[type[nn.Module], str] = {
    nn.BatchNorm1d: "batch",
    nn.BatchNorm2d: "batch",
    nn.BatchNorm3d: "batch",
    nn.InstanceNorm1d: "instance",
    nn.InstanceNorm2d: "instance",
    nn.InstanceNorm3d: "instance",
    nn.Identity: "none",
}

UPSAMPLES: tuple[str, ...] = ("transposed", "resize")
"""How a generator stage upsamples: ``"transposed"`` (a strided transposed conv) or ``"resize"``
(nearest-neighbour resize, then a conv: no checkerboard artifacts)."""


def resolve_upsample(mode: str, name: str = "upsample") -> str:
    """``mode`` if it is one of :data:`UPSAMPLES`.

    Raises:
        ValueError: For anything else (the message lists the modes).
    """
    if mode not in UPSAMPLES:
        raise ValueError(f"{name} must be one of {', '.join(UPSAMPLES)}, got {mode!r}")
    return mode


ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(0.2),
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
    "mish": nn.Mish,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "none": nn.Identity,
}
"""Activation names and their factories; ``"leaky_relu"`` has slope 0.2 (DCGAN)."""

_ACT_ALIASES: dict[str, str] = {
    "lrelu": "leaky_relu",
    "leakyrelu": "leaky_relu",
    "swish": "silu",
    "identity": "none",
    "linear": "none",
    "": "none",
}

_ACT_CLASSES: dict[type[nn.Module], str] = {
    nn.ReLU: "relu",
    nn.ELU: "elu",
    nn.GELU: "gelu",
    nn.SiLU: "silu",
    nn.Mish: "mish",
    nn.Tanh: "tanh",
    nn.Sigmoid: "sigmoid",
    nn.Identity: "none",
}


def resolve_norm(
    norm: NormSpec, allowed: tuple[str, ...] = NORMS, name: str = "norm"
) -> str | type[nn.Module]:
    """Canonical form of a norm: one of ``allowed`` names, or a user's ``nn.Module`` class.

    Args:
        norm: A name (aliases such as ``"bn"`` or ``"sn"`` accepted, case-insensitive), a norm
            class (torch's BatchNorm/InstanceNorm classes map back to their names) or ``None``.
        allowed: The names this block supports.
        name: The argument's name, for the error message.

    Raises:
        ValueError: For an unknown name or a name the block does not support.
    """
    if norm is None:
        key = "none"
    elif isinstance(norm, str):
        key = norm.strip().lower()
        key = _NORM_ALIASES.get(key, key)
    elif isinstance(norm, type) and issubclass(norm, nn.Module):
        if norm not in _NORM_CLASSES:
            return norm
        key = _NORM_CLASSES[norm]
    else:
        raise ValueError(f"{name}: expected a name, an nn.Module class or None, got {norm!r}")
    if key not in allowed:
        raise ValueError(
            f"{name}: unknown or unsupported norm {norm!r}; choose one of {list(allowed)}"
        )
    return key


def resolve_activation(act: ActSpec, name: str = "activation") -> str | type[nn.Module]:
    """Canonical form of an activation: a name of :data:`ACTIVATIONS` or a user's class.

    Raises:
        ValueError: For an unknown name.
    """
    if act is None:
        return "none"
    if isinstance(act, str):
        key = act.strip().lower()
        key = _ACT_ALIASES.get(key, key)
        if key not in ACTIVATIONS:
            raise ValueError(
                f"{name}: unknown activation {act!r}; choose one of {sorted(ACTIVATIONS)} or pass a class"
            )
        return key
    if isinstance(act, type) and issubclass(act, nn.Module):
        return _ACT_CLASSES.get(act, act)
    raise ValueError(f"{name}: expected a name, an nn.Module class or None, got {act!r}")


def make_norm(norm: NormSpec, num_features: int, dims: int = 2) -> nn.Module:
    """A norm layer over ``num_features`` channels of ``dims``-D feature maps.

    Args:
        norm: See :func:`resolve_norm`. ``"spectral"``, ``"weight"`` and ``"none"`` give
            ``nn.Identity`` (spectral and weight norm wrap weights instead, see
            :func:`apply_spectral_norm` and :func:`apply_weight_norm`). A class is called as
            ``cls(num_features)``.
        num_features: Channels of the input ``(batch, num_features, *spatial)``.
        dims: Spatial rank: 1, 2 or 3.
    """
    if dims not in (1, 2, 3):
        raise ValueError(f"make_norm: dims must be 1, 2 or 3, got {dims}")
    kind = resolve_norm(norm)
    if not isinstance(kind, str):
        return kind(num_features)
    if kind == "batch":
        return (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)[dims - 1](num_features)
    if kind == "instance":
        return (nn.InstanceNorm1d, nn.InstanceNorm2d, nn.InstanceNorm3d)[dims - 1](
            num_features, affine=True
        )
    if kind == "layer":
        return nn.GroupNorm(1, num_features)
    return nn.Identity()


def make_activation(act: ActSpec) -> nn.Module:
    """A fresh activation module from a name (see :data:`ACTIVATIONS`), a class, or ``None`` (identity)."""
    kind = resolve_activation(act)
    if isinstance(kind, str):
        return ACTIVATIONS[kind]()
    return kind()


def has_bias_free_norm(norm: NormSpec) -> bool:
    """True when ``norm`` subtracts a per-channel mean, making a preceding conv bias redundant."""
    kind = resolve_norm(norm)
    return kind in ("batch", "instance", "layer") or not isinstance(kind, str)


def apply_spectral_norm(module: nn.Module) -> nn.Module:
    """Spectral-normalize the weight of every conv and linear layer inside ``module`` (in place).

    Uses :func:`torch.nn.utils.parametrizations.spectral_norm`; layers already parametrized are
    left alone. Returns ``module``.
    """
    kinds = (
        nn.Conv1d,
        nn.Conv2d,
        nn.Conv3d,
        nn.ConvTranspose1d,
        nn.ConvTranspose2d,
        nn.ConvTranspose3d,
        nn.Linear,
    )
    for layer in list(module.modules()):
        if isinstance(layer, kinds) and not parametrize.is_parametrized(layer, "weight"):
            parametrizations.spectral_norm(layer)
    return module


def apply_weight_norm(layer: nn.Module, norm: NormSpec = "weight") -> nn.Module:
    """Wrap ``layer``'s weight in weight norm or spectral norm (``"none"``: as is); returns it.

    Weight norm splits the weight into a magnitude and a direction along the output axis
    (``dim=0``, as :func:`torch.nn.utils.weight_norm` and the HiFi-GAN reference do), starting from
    the layer's current weight, so initialize the weight first.

    Args:
        layer: A conv or linear layer.
        norm: One of :data:`WAVEFORM_NORMS` (aliases as in :func:`resolve_norm`).

    Raises:
        ValueError: For another norm.
    """
    kind = resolve_norm(norm, WAVEFORM_NORMS)
    if kind == "weight":
        return parametrizations.weight_norm(layer)
    if kind == "spectral":
        return parametrizations.spectral_norm(layer)
    return layer


@functools.cache
def parametrization_class(apply: Callable[[nn.Module], nn.Module]) -> type[nn.Module]:
    """The class a parametrization function registers, found by applying it to a probe layer.

    Args:
        apply: :func:`torch.nn.utils.parametrizations.weight_norm` or
            :func:`~torch.nn.utils.parametrizations.spectral_norm` (public API only: the
            classes they register are private to torch).
    """
    probe = apply(nn.Linear(1, 1))
    return type(probe.parametrizations.weight[0])


def _weight_normed(layer: nn.Module) -> bool:
    if not parametrize.is_parametrized(layer, "weight"):
        return False
    kind = parametrization_class(parametrizations.weight_norm)
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


def weight_of(layer: nn.Module) -> torch.Tensor:
    """The trainable weight tensor of ``layer``, also under a spectral-norm parametrization."""
    if parametrize.is_parametrized(layer, "weight"):
        return layer.parametrizations.weight.original
    return layer.weight
