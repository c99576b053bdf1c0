"""Weight initialization (its names, DCGAN's), the BatchNorm-in-a-penalized-critic check, spectral-norm detection."""

from __future__ import annotations

import warnings

import torch
from torch import nn
from torch.nn.utils import parametrizations, parametrize

from audiogan.nn.checks import check_greater
from audiogan.nn.layers import parametrization_class, weight_of

_WEIGHTED = (
    nn.Conv1d,
    nn.Conv2d,
    nn.Conv3d,
    nn.ConvTranspose1d,
    nn.ConvTranspose2d,
    nn.ConvTranspose3d,
    nn.Linear,
)
_BATCHNORMS = (
    nn.BatchNorm1d,
    nn.BatchNorm2d,
    nn.BatchNorm3d,
    nn.SyncBatchNorm,
    nn.LazyBatchNorm1d,
    nn.LazyBatchNorm2d,
    nn.LazyBatchNorm3d,
)
_NORMS = (
    *_BATCHNORMS,
    nn.InstanceNorm1d,
    nn.InstanceNorm2d,
    nn.InstanceNorm3d,
    nn.GroupNorm,
    nn.LayerNorm,
)


INITS: tuple[str, ...] = ("dcgan", "normal", "xavier", "default")
"""Every block's ``init`` names (each block supports some of them, see :func:`resolve_init`):

- ``"dcgan"``: conv and linear weights ~ N(0, 0.02), norm weights ~ N(1, 0.02), biases 0
  (:func:`dcgan_init_`; Radford et al. 2016).
- ``"normal"``: HiFi-GAN's conv weights ~ N(0, 0.01).
- ``"xavier"``: Glorot-uniform weights and zero biases (TensorFlow's default, WaveGAN's).
- ``"default"``: PyTorch's own initialization of each layer.
"""


def resolve_init(init: str, allowed: tuple[str, ...] = INITS, name: str = "init") -> str:
    """``init`` if it is one of ``allowed`` (names of :data:`INITS`).

    Raises:
        ValueError: For another name (the message lists ``allowed``).
    """
    if init not in allowed:
        raise ValueError(f"{name} must be one of {list(allowed)}, got {init!r}")
    return init


class BatchNormInCriticWarning(UserWarning):
    """A critic trained with a gradient penalty contains BatchNorm."""


@torch.no_grad()
def dcgan_init_(module: nn.Module, std: float = 0.02) -> nn.Module:
    """DCGAN initialization (Radford et al. 2016), in place; returns ``module``.

    Conv, transposed-conv and linear weights ~ N(0, std) and biases 0; affine norm weights
    ~ N(1, std) and biases 0. Spectral-normalized layers get their underlying weight initialized.
    Embeddings and recurrent layers keep their own initialization.

    Args:
        module: A model; every submodule is visited.
        std: Standard deviation of the normal draws.
    """
    check_greater("dcgan_init_", "std", std)
    for layer in module.modules():
        if isinstance(layer, _WEIGHTED):
            nn.init.normal_(weight_of(layer), 0.0, std)
            if getattr(layer, "bias", None) is not None:
                nn.init.zeros_(layer.bias)
        elif (
            isinstance(layer, _NORMS)
            and getattr(layer, "weight", None) is not None
            and not nn.parameter.is_lazy(layer.weight)
        ):
            nn.init.normal_(layer.weight, 1.0, std)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
    return module


def batchnorm_layers(module: nn.Module) -> list[str]:
    """Names of the BatchNorm layers (any rank, SyncBatchNorm included) inside ``module``."""
    return [
        name or type(module).__name__
        for name, layer in module.named_modules()
        if isinstance(layer, _BATCHNORMS)
    ]


def warn_if_batchnorm(critic: nn.Module) -> bool:
    """Warn when ``critic``, about to be trained with a gradient penalty, contains BatchNorm.

    BatchNorm normalizes each sample with statistics of the whole batch, so the critic's gradient
    with respect to one sample depends on the others and the per-sample gradient penalty no
    longer constrains what it should (Gulrajani et al. 2017, section 4). Use layer norm, instance
    norm, spectral norm or no norm in such a critic. The Trainer calls this when a gradient penalty
    is configured.

    Args:
        critic: The critic module (a ``DistributedDataParallel`` or compiled wrapper is searched too).

    Returns:
        True if a :class:`BatchNormInCriticWarning` was issued.
    """
    names = batchnorm_layers(critic)
    if not names:
        return False
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    warnings.warn(
        f"{type(critic).__name__} contains BatchNorm ({shown}) but is trained with a gradient penalty: BatchNorm "
        "mixes the samples of a batch and breaks the per-sample penalty. Use norm='layer', 'instance', "
        "'spectral' or 'none' for this critic.",
        BatchNormInCriticWarning,
        stacklevel=2,
    )
    return True


def _hook_spectral_norm_names(layer: nn.Module) -> bool:
    """True when ``layer`` has what the old :func:`torch.nn.utils.spectral_norm` adds to it."""
    params = {name for name, _ in layer.named_parameters(recurse=False)}
    buffers = {name for name, _ in layer.named_buffers(recurse=False)}
    return any(p.endswith("_orig") and {f"{p[:-5]}_u", f"{p[:-5]}_v"} <= buffers for p in params)


def has_spectral_norm(module: nn.Module) -> bool:
    """True when ``module`` or any submodule has a spectral-normalized tensor.

    Two styles are recognized, through public API only:

    - :func:`torch.nn.utils.parametrizations.spectral_norm` (what
      :func:`~audiogan.nn.layers.apply_spectral_norm` uses): a tensor parametrized
      (:func:`torch.nn.utils.parametrize.is_parametrized`) with that function's parametrization
      class, on any tensor name, not only ``weight``;
    - the older hook-style :func:`torch.nn.utils.spectral_norm`: its hook is only reachable
      through private attributes, so it is recognized by the tensors it documents adding: a
      parameter ``<name>_orig`` with buffers ``<name>_u`` and ``<name>_v``.

    Args:
        module: A model; every submodule is visited (a ``DistributedDataParallel`` or compiled
            wrapper is searched too).
    """
    spectral = parametrization_class(parametrizations.spectral_norm)
    for layer in module.modules():
        if parametrize.is_parametrized(layer):
            for plist in layer.parametrizations.values():
                if any(isinstance(p, spectral) for p in plist):
                    return True
        if _hook_spectral_norm_names(layer):
            return True
    return False
