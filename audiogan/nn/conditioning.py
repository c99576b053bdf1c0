"""Class conditioning: one-hot vectors, learned label embeddings, and the projection head.

Generators concatenate a conditioning vector ``(batch, out_features)`` to their latent. Critics
either stack label maps ``(batch, map_channels, *spatial)`` onto their input channels (the one-hot
cGAN and the conditional WGAN-GP with label embedding), or add a projection term to their score
(Miyato & Koyama 2018).

A block takes its conditioning as a name (``"embedding"``, ``"onehot"``, ``"projection"``, with
``num_classes``) or as a module instance: :class:`OneHot`, :class:`LabelEmbedding`,
:class:`Projection`, or a user's own ``nn.Module`` that meets
:class:`audiogan.protocols.Conditioning`. An instance sets the block's ``num_classes``.

A block's ``config`` stores an instance as ``{"class": "audiogan.nn.conditioning.OneHot",
"config": {"num_classes": 5}}`` and the block rebuilds it from that dict, so checkpoints rebuild
the block. Only audiogan classes are rebuilt this way (a config cannot import code): a block
built with a user's conditioning class raises a ``ValueError`` naming that class when it is
rebuilt from its ``config``; build it with an instance again and load its ``state_dict``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch
from torch import nn

from audiogan._build import build_module, class_name, is_audiogan_path
from audiogan._shapes import check_shape
from audiogan.nn.checks import check_at_least, check_positive
from audiogan.registry import register

ConditioningSpec = str | nn.Module | Mapping[str, Any]
"""A block's conditioning: a name, a module instance, or the ``{"class", "config"}`` dict that a
block's ``config`` stores for an instance."""


def check_labels(
    labels: torch.Tensor | None, num_classes: int, batch: int | None, name: str
) -> torch.Tensor | None:
    """Check the labels given to a block with ``num_classes`` classes (0: unconditional).

    The value check reads the labels' minimum and maximum, a host sync; it runs in eager mode on
    the CPU only, never on CUDA tensors nor under :func:`torch.compile` (so a compiled block has
    no graph break here). The shape and dtype checks always run.

    Args:
        labels: Integer class indices ``(batch,)``, or ``None``.
        num_classes: The block's ``num_classes``.
        batch: The batch size of the block's other input (``None``: any).
        name: The block, for the message.

    Returns:
        ``labels`` (``None`` for an unconditional block).

    Raises:
        ValueError: Labels given to an unconditional block, none given to a conditional one, a
            wrong shape or dtype, or (CPU tensors in eager mode) a label outside
            ``[0, num_classes)``.
    """
    if num_classes == 0:
        if labels is not None:
            raise ValueError(
                f"{name}: labels were given but the block is unconditional (num_classes=0)"
            )
        return None
    if labels is None:
        raise ValueError(
            f"{name}: labels (batch,) are required, the block is conditional (num_classes={num_classes})"
        )
    if not isinstance(labels, torch.Tensor):
        raise ValueError(
            f"{name}: labels must be an integer tensor (batch,), got {type(labels).__name__}"
        )
    if labels.is_floating_point() or labels.is_complex() or labels.dtype == torch.bool:
        raise ValueError(f"{name}: labels must be integer class indices, got dtype {labels.dtype}")
    check_shape(labels, (batch,), f"{name} labels", "(batch,)")
    if not torch.compiler.is_compiling() and labels.device.type == "cpu" and labels.numel() > 0:
        lo, hi = int(labels.min()), int(labels.max())
        if lo < 0 or hi >= num_classes:
            raise ValueError(
                f"{name}: labels must lie in [0, {num_classes}), got values in [{lo}, {hi}]"
            )
    return labels


@register
class OneHot(nn.Module):
    """One-hot class vectors (the one-hot cGAN's conditioning), without parameters.

    Args:
        num_classes: Number of classes.

    Shapes:
        ``forward(labels (batch,)) -> (batch, num_classes)``;
        ``label_map(labels (batch,), size) -> (batch, num_classes, *size)`` (one constant map per
        class).
    """

    def __init__(self, num_classes: int) -> None:
        super().__init__()
        check_positive("OneHot", num_classes=num_classes)
        self.config = {"num_classes": num_classes}
        self.num_classes = num_classes
        self.out_features = num_classes
        self.map_channels = num_classes

    def forward(self, labels: torch.Tensor) -> torch.Tensor:
        """One-hot vectors ``(batch, num_classes)`` (float32) of ``labels (batch,)``."""
        labels = check_labels(labels, self.num_classes, None, "OneHot")
        return nn.functional.one_hot(labels.long(), self.num_classes).float()

    def label_map(self, labels: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
        """Constant per-class channels ``(batch, num_classes, *size)`` to stack onto a critic's input."""
        vec = self(labels)
        return vec.view(*vec.shape, *([1] * len(size))).expand(*vec.shape, *size)


@register
class LabelEmbedding(nn.Module):
    """A learned ``dim``-vector per class (the conditional WGAN-GP with label embedding: ``dim=16``).

    With ``map_size`` set, the embedding is also mapped by a linear layer to one plane of that
    size, the single extra input channel of that system's critic (spectrogram + label plane: 2
    channels).

    Args:
        num_classes: Number of classes.
        dim: Embedding size.
        map_size: Spatial size (e.g. ``(freq, frames)``) of the label plane, or ``None`` for the
            vector only (then :meth:`label_map` broadcasts the ``dim`` vector to ``dim``
            constant channels of any size).

    Shapes:
        ``forward(labels (batch,)) -> (batch, dim)``;
        ``label_map(labels (batch,), size) -> (batch, map_channels, *size)``.
    """

    def __init__(
        self, num_classes: int, dim: int = 16, map_size: Sequence[int] | None = None
    ) -> None:
        super().__init__()
        check_positive("LabelEmbedding", num_classes=num_classes, dim=dim)
        self.config = {
            "num_classes": num_classes,
            "dim": dim,
            "map_size": None if map_size is None else list(map_size),
        }
        self.num_classes = num_classes
        self.out_features = dim
        self.embedding = nn.Embedding(num_classes, dim)
        self.map_size = None if map_size is None else tuple(int(s) for s in map_size)
        if self.map_size is not None:
            self.to_plane = nn.Linear(dim, math.prod(self.map_size))
        self.map_channels = dim if self.map_size is None else 1

    def forward(self, labels: torch.Tensor) -> torch.Tensor:
        """Embeddings ``(batch, dim)`` of ``labels (batch,)``."""
        labels = check_labels(labels, self.num_classes, None, "LabelEmbedding")
        return self.embedding(labels.long())

    def label_map(self, labels: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
        """Label channels ``(batch, map_channels, *size)`` to stack onto a critic's input."""
        vec = self(labels)
        size = tuple(size)
        if self.map_size is None:
            return vec.view(*vec.shape, *([1] * len(size))).expand(*vec.shape, *size)
        if size != self.map_size:
            raise ValueError(
                f"LabelEmbedding: label map built for size {self.map_size}, asked for {size}"
            )
        return self.to_plane(vec).view(vec.shape[0], 1, *size)


@register
class Projection(nn.Module):
    """Projection-discriminator term ``<embed(y), h>`` (Miyato & Koyama 2018).

    A critic computes its unconditional score ``psi(h)`` from pooled features ``h`` and adds this
    term, so the score becomes ``psi(h) + <embed(y), h>``. This is the projection-style
    conditioning of :class:`audiogan.protocols.Conditioning`: it has ``num_classes`` and
    ``features`` and no ``label_map``.

    Args:
        num_classes: Number of classes.
        features: Size of the pooled feature vector ``h``.

    Shapes:
        ``forward(h (batch, features), labels (batch,)) -> (batch,)``.
    """

    def __init__(self, num_classes: int, features: int) -> None:
        super().__init__()
        check_positive("Projection", num_classes=num_classes, features=features)
        self.config = {"num_classes": num_classes, "features": features}
        self.num_classes = num_classes
        self.features = features
        self.embedding = nn.Embedding(num_classes, features)
        nn.init.normal_(self.embedding.weight, 0.0, 0.02)

    def forward(self, h: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """The projection term ``(batch,)`` of features ``h (batch, features)``."""
        check_shape(h, (None, self.features), "Projection features", "(batch, features)")
        labels = check_labels(labels, self.num_classes, h.shape[0], "Projection")
        return (self.embedding(labels.long()) * h).sum(dim=1)


# ----------------------------------------------------------------------------- blocks' helpers


def conditioning_config(module: nn.Module) -> dict[str, Any]:
    """What a block's ``config`` stores for a conditioning instance.

    Returns:
        ``{"class": name, "config": module.config or None}``: the registered name of an audiogan
        class (``"LabelEmbedding"``), the ``module.QualName`` of a user's.
    """
    config = getattr(module, "config", None)
    return {
        "class": class_name(module),
        "config": None if config is None else dict(config),
    }


def build_conditioning(spec: Mapping[str, Any], name: str = "block") -> nn.Module:
    """Rebuild a conditioning module from what :func:`conditioning_config` stored.

    Only audiogan classes are imported (:mod:`audiogan._build`): a config cannot make this
    import or run arbitrary code.

    Args:
        spec: ``{"class": str, "config": dict}``.
        name: The block, for the message.

    Raises:
        ValueError: For a class outside audiogan (a user's own conditioning class: build the
            block with an instance of it instead), a missing config, or an unknown class.
    """
    path = spec.get("class")
    config = spec.get("config")
    if not isinstance(path, str):
        raise ValueError(
            f"{name}: a conditioning dict must be {{'class': str, 'config': dict}} as a block's "
            f"config stores it, got {dict(spec)!r}"
        )
    if "." in path and not is_audiogan_path(path):
        cls_name = path.rpartition(".")[2]
        raise ValueError(
            f"{name}: cannot rebuild the conditioning module {path!r} from a config: only audiogan "
            f"classes are rebuilt (a config cannot import code). Build the block with an instance "
            f"again, {name}(..., conditioning={cls_name or path}(...)), then load its state_dict"
        )
    try:
        return build_module(path, config)
    except ValueError as e:
        raise ValueError(f"{name}: the conditioning module: {e}") from e


def resolve_conditioning(
    conditioning: ConditioningSpec,
    num_classes: int,
    names: Mapping[str, Callable[[int], nn.Module]],
    name: str,
) -> tuple[nn.Module | None, int, str | dict[str, Any]]:
    """A block's conditioning module, its number of classes and what its ``config`` stores.

    Args:
        conditioning: A name of ``names``, a module instance, or a stored ``{"class", "config"}``.
        num_classes: The block's ``num_classes`` argument (0: unconditional for a name; taken
            from the instance for an instance).
        names: The names the block understands, each with its factory ``f(num_classes)``.
        name: The block, for the messages.

    Returns:
        ``(module or None when unconditional, num_classes, config value)``.

    Raises:
        ValueError: An unknown name, a negative ``num_classes``, something that is not an
            ``nn.Module``, an instance without ``num_classes >= 1``, or a ``num_classes`` that
            conflicts with the instance's.
    """
    check_at_least(name, 0, num_classes=num_classes)
    if isinstance(conditioning, str):
        if conditioning not in names:
            choices = ", ".join(repr(n) for n in names)
            raise ValueError(
                f"{name}: conditioning must be one of {choices} or a conditioning module "
                f"(see audiogan.protocols.Conditioning), got {conditioning!r}"
            )
        module = names[conditioning](num_classes) if num_classes > 0 else None
        return module, num_classes, conditioning
    if isinstance(conditioning, Mapping):
        conditioning = build_conditioning(conditioning, name)
    if not isinstance(conditioning, nn.Module):
        raise ValueError(
            f"{name}: conditioning must be a name or an nn.Module instance "
            f"(see audiogan.protocols.Conditioning), got {type(conditioning).__name__}"
        )
    k = getattr(conditioning, "num_classes", None)
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise ValueError(
            f"{name}: the conditioning module {type(conditioning).__name__} must have an integer "
            f"num_classes >= 1, got {k!r}"
        )
    if num_classes not in (0, k):
        raise ValueError(
            f"{name}: num_classes={num_classes} conflicts with the conditioning module's "
            f"num_classes={k}; leave num_classes at 0 (it is taken from the module) or make them equal"
        )
    return conditioning, k, conditioning_config(conditioning)


def vector_conditioning(
    conditioning: ConditioningSpec, num_classes: int, embed_dim: int, name: str
) -> tuple[nn.Module | None, int, str | dict[str, Any]]:
    """The conditioning a generator concatenates to its latent.

    Args:
        conditioning: ``"embedding"`` (a learned ``embed_dim`` vector), ``"onehot"``, or an
            instance with ``out_features`` and ``forward(labels (batch,)) -> (batch, out_features)``.
        num_classes: 0 for an unconditional generator (with a name).
        embed_dim: Embedding size for ``"embedding"``.
        name: The block, for the messages.

    Returns:
        See :func:`resolve_conditioning`.
    """
    module, k, config = resolve_conditioning(
        conditioning,
        num_classes,
        {"embedding": lambda n: LabelEmbedding(n, embed_dim), "onehot": OneHot},
        name,
    )
    if module is not None:
        out = getattr(module, "out_features", None)
        if not isinstance(out, int) or isinstance(out, bool) or out < 1:
            raise ValueError(
                f"{name}: a generator concatenates the conditioning vector (batch, out_features) to "
                f"its latent, so its conditioning module needs an integer out_features >= 1; "
                f"{type(module).__name__} has {out!r} (a projection is for critics)"
            )
    return module, k, config


def label_map_names(
    embed_dim: int, grid: Sequence[int], features: int
) -> dict[str, Callable[[int], nn.Module]]:
    """The conditioning names of a critic whose input grid is fixed, for :func:`critic_conditioning`.

    Args:
        embed_dim: Channels of the ``"embedding"`` label maps.
        grid: The critic's input grid, e.g. ``(freq, frames)`` or ``(num_samples,)``: the
            ``"embedding"`` maps are learned at that size.
        features: Size of the critic's pooled features, which ``"projection"`` works on.

    Returns:
        Factories of ``num_classes`` ``n``: ``"embedding"`` makes ``LabelEmbedding(n, embed_dim,
        map_size=grid)``, ``"onehot"`` makes ``OneHot(n)`` and ``"projection"`` makes
        ``Projection(n, features)``.
    """
    size = tuple(int(s) for s in grid)
    return {
        "embedding": lambda n: LabelEmbedding(n, embed_dim, map_size=size),
        "onehot": OneHot,
        "projection": lambda n: Projection(n, features),
    }


def critic_conditioning(
    conditioning: ConditioningSpec,
    num_classes: int,
    names: Mapping[str, Callable[[int], nn.Module]],
    name: str,
    features: int,
    grid: Sequence[int] | None = None,
) -> tuple[nn.Module | None, nn.Module | None, int, str | dict[str, Any]]:
    """A critic's conditioning: label maps stacked on its input, or a projection term.

    A module with a ``label_map`` method is a label-map conditioning (it needs ``map_channels``);
    otherwise it must be projection-style, with ``features`` equal to the critic's pooled
    feature size.

    Args:
        conditioning: A name of ``names``, an instance, or a stored ``{"class", "config"}``.
        num_classes: The critic's ``num_classes`` argument.
        names: The names the critic understands, each with its factory ``f(num_classes)``.
        name: The critic, for the messages.
        features: Size of the pooled features a projection works on.
        grid: The critic's input grid (the ``size`` it asks label maps for), when fixed; a
            module's ``map_size`` must equal it.

    Returns:
        ``(label_maps or None, projection or None, num_classes, config value)``.
    """
    module, k, config = resolve_conditioning(conditioning, num_classes, names, name)
    if module is None:
        return None, None, k, config
    kind = type(module).__name__
    if callable(getattr(module, "label_map", None)):
        channels = getattr(module, "map_channels", None)
        if not isinstance(channels, int) or isinstance(channels, bool) or channels < 1:
            raise ValueError(
                f"{name}: a label-map conditioning needs an integer map_channels >= 1 (the channels "
                f"label_map stacks onto the input), {kind} has {channels!r}"
            )
        map_size = getattr(module, "map_size", None)
        if map_size is not None and grid is not None and tuple(map_size) != tuple(grid):
            raise ValueError(
                f"{name}: the conditioning module's label maps have size {tuple(map_size)}, the "
                f"critic's input grid is {tuple(grid)}"
            )
        return module, None, k, config
    got = getattr(module, "features", None)
    if not isinstance(got, int) or isinstance(got, bool):
        raise ValueError(
            f"{name}: {kind} is neither a label-map conditioning (label_map, map_channels) nor a "
            f"projection (features, forward(h, labels)); see audiogan.protocols.Conditioning"
        )
    if got != features:
        raise ValueError(
            f"{name}: the projection works on {got} features, but the critic's pooled features "
            f"have {features}; build it with features={features}"
        )
    return None, module, k, config


def conditioning_vector(
    module: nn.Module, labels: torch.Tensor, batch: int, dtype: torch.dtype, name: str
) -> torch.Tensor:
    """``module(labels)``, checked to be ``(batch, out_features)``, in ``dtype``.

    Raises:
        ValueError: If the module returns another shape than its ``out_features`` promise.
    """
    vec = module(labels)
    check_shape(
        vec, (batch, module.out_features), f"{name} conditioning vector", "(batch, out_features)"
    )
    return vec.to(dtype)


def stack_label_maps(
    module: nn.Module, x: torch.Tensor, labels: torch.Tensor, name: str
) -> torch.Tensor:
    """``x (batch, channels, *grid)`` with ``module.label_map(labels, grid)`` stacked on channels.

    Returns:
        ``(batch, channels + map_channels, *grid)`` in ``x``'s dtype.

    Raises:
        ValueError: If the label maps are not ``(batch, map_channels, *grid)``.
    """
    grid = tuple(x.shape[2:])
    maps = module.label_map(labels, grid)
    check_shape(
        maps,
        (x.shape[0], module.map_channels, *grid),
        f"{name} label maps",
        "(batch, map_channels, *grid)",
    )
    return torch.cat([x, maps.to(x.dtype)], dim=1)
