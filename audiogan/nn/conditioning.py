"""Class conditioning: one-hot vectors, learned label embeddings, and the projection head.

Generators concatenate a conditioning vector ``(batch, out_features)`` to their latent. Critics
either stack label maps ``(batch, map_channels, *spatial)`` onto their input channels (seeds 000
and 001), or add a projection term to their score (Miyato & Koyama 2018).

Naming: conditioning modules and classifiers take ``n_classes`` (always >= 1); generators and
critics take ``num_classes``, where 0 means unconditional.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from audiogan._shapes import check_shape


def check_labels(
    labels: torch.Tensor | None, num_classes: int, batch: int | None, name: str
) -> torch.Tensor | None:
    """Check the labels given to a block with ``num_classes`` classes (0: unconditional).

    Args:
        labels: Integer class indices ``(batch,)``, or ``None``.
        num_classes: The block's ``num_classes``.
        batch: The batch size of the block's other input (``None``: any).
        name: The block, for the message.

    Returns:
        ``labels`` (``None`` for an unconditional block).

    Raises:
        ValueError: Labels given to an unconditional block, none given to a conditional one, a
            wrong shape or dtype, or (for tensors on the CPU; a CUDA check would sync) a label
            outside ``[0, num_classes)``.
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
    if labels.device.type == "cpu" and labels.numel() > 0:
        lo, hi = int(labels.min()), int(labels.max())
        if lo < 0 or hi >= num_classes:
            raise ValueError(
                f"{name}: labels must lie in [0, {num_classes}), got values in [{lo}, {hi}]"
            )
    return labels


class OneHot(nn.Module):
    """One-hot class vectors (seed 000), without parameters.

    Args:
        n_classes: Number of classes.

    Shapes:
        ``forward(labels (batch,)) -> (batch, n_classes)``;
        ``label_map(labels (batch,), size) -> (batch, n_classes, *size)`` (one constant map per class).
    """

    def __init__(self, n_classes: int) -> None:
        super().__init__()
        if n_classes < 1:
            raise ValueError(f"OneHot: n_classes must be >= 1, got {n_classes}")
        self.config = {"n_classes": n_classes}
        self.num_classes = n_classes
        self.out_features = n_classes
        self.map_channels = n_classes

    def forward(self, labels: torch.Tensor) -> torch.Tensor:
        labels = check_labels(labels, self.num_classes, None, "OneHot")
        return nn.functional.one_hot(labels.long(), self.num_classes).float()

    def label_map(self, labels: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
        """Constant per-class channels ``(batch, n_classes, *size)`` to stack onto a critic's input."""
        vec = self(labels)
        return vec.view(*vec.shape, *([1] * len(size))).expand(*vec.shape, *size)


class LabelEmbedding(nn.Module):
    """A learned ``dim``-vector per class (seed 001: ``dim=16``).

    With ``map_size`` set, the embedding is also mapped by a linear layer to one plane of that size,
    the single extra input channel of seed 001's critic (spectrogram + label map: 2 channels).

    Args:
        n_classes: Number of classes.
        dim: Embedding size.
        map_size: Spatial size ``(freq, frames)`` of the label plane, or ``None`` for the vector only
            (then :meth:`label_map` broadcasts the ``dim`` vector to ``dim`` constant channels).

    Shapes:
        ``forward(labels (batch,)) -> (batch, dim)``;
        ``label_map(labels (batch,), size) -> (batch, map_channels, *size)``.
    """

    def __init__(
        self, n_classes: int, dim: int = 16, map_size: Sequence[int] | None = None
    ) -> None:
        super().__init__()
        if n_classes < 1:
            raise ValueError(f"LabelEmbedding: n_classes must be >= 1, got {n_classes}")
        if dim < 1:
            raise ValueError(f"LabelEmbedding: dim must be >= 1, got {dim}")
        self.config = {
            "n_classes": n_classes,
            "dim": dim,
            "map_size": None if map_size is None else list(map_size),
        }
        self.num_classes = n_classes
        self.out_features = dim
        self.embedding = nn.Embedding(n_classes, dim)
        self.map_size = None if map_size is None else tuple(int(s) for s in map_size)
        if self.map_size is not None:
            self.to_plane = nn.Linear(dim, math.prod(self.map_size))
        self.map_channels = dim if self.map_size is None else 1

    def forward(self, labels: torch.Tensor) -> torch.Tensor:
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


class Projection(nn.Module):
    """Projection-discriminator term ``<embed(y), h>`` (Miyato & Koyama 2018).

    A critic computes its unconditional score ``psi(h)`` from pooled features ``h`` and adds this
    term, so the score becomes ``psi(h) + <embed(y), h>``.

    Args:
        n_classes: Number of classes.
        features: Size of the pooled feature vector ``h``.

    Shapes:
        ``forward(h (batch, features), labels (batch,)) -> (batch,)``.
    """

    def __init__(self, n_classes: int, features: int) -> None:
        super().__init__()
        if n_classes < 1:
            raise ValueError(f"Projection: n_classes must be >= 1, got {n_classes}")
        if features < 1:
            raise ValueError(f"Projection: features must be >= 1, got {features}")
        self.config = {"n_classes": n_classes, "features": features}
        self.num_classes = n_classes
        self.features = features
        self.embedding = nn.Embedding(n_classes, features)
        nn.init.normal_(self.embedding.weight, 0.0, 0.02)

    def forward(self, h: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        check_shape(h, (None, self.features), "Projection features", "(batch, features)")
        labels = check_labels(labels, self.num_classes, h.shape[0], "Projection")
        return (self.embedding(labels.long()) * h).sum(dim=1)


def vector_conditioning(
    kind: str, num_classes: int, embed_dim: int, name: str
) -> OneHot | LabelEmbedding | None:
    """The conditioning module a generator concatenates to its latent (``None`` if unconditional).

    Args:
        kind: ``"embedding"`` or ``"onehot"``.
        num_classes: 0 for an unconditional generator.
        embed_dim: Embedding size for ``"embedding"``.
        name: The block, for the error message.
    """
    if num_classes < 0:
        raise ValueError(f"{name}: num_classes must be >= 0, got {num_classes}")
    if kind not in ("embedding", "onehot"):
        raise ValueError(f"{name}: conditioning must be 'embedding' or 'onehot', got {kind!r}")
    if num_classes == 0:
        return None
    return LabelEmbedding(num_classes, embed_dim) if kind == "embedding" else OneHot(num_classes)
