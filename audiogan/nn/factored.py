"""Labels that join several factors, such as a note's pitch and its instrument family.

A conditional block takes one integer label per item. A label that carries several factors (a
pitch among ``P`` and a family among ``F``) is their row-major index: ``label = pitch * F +
family``, one of ``P * F`` classes; :func:`join_labels` and :func:`split_labels` convert.

- :class:`FactoredOneHot` is a generator's conditioning vector for such labels: the one-hot of
  each factor, concatenated (``P + F`` features rather than the ``P * F`` of a one-hot of the
  joint class), so a family's timbre is shared across its pitches.
- :class:`FactoredProjection` is a critic's projection term for such labels: a learned vector
  per value of each factor, and the sum of their inner products with the critic's features,
  so each vector learns from every item that shares its factor's value.
- :class:`LabelFactor` maps joint labels to one factor, the ``target`` of an AC-GAN loss term
  whose head predicts that factor (:class:`~audiogan.losses.AuxiliaryClassifierCriticLoss`).

Example:
    >>> import torch
    >>> labels = join_labels([torch.tensor([0, 2]), torch.tensor([1, 3])], (3, 4))
    >>> labels.tolist(), [f.tolist() for f in split_labels(labels, (3, 4))]
    ([1, 11], [[0, 2], [1, 3]])
    >>> FactoredOneHot((3, 4))(labels).tolist()[1]
    [0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from audiogan._shapes import check_shape
from audiogan.nn.conditioning import check_labels
from audiogan.registry import register

__all__ = ["FactoredOneHot", "FactoredProjection", "LabelFactor", "join_labels", "split_labels"]


def _check_sizes(sizes: Sequence[int], name: str) -> tuple[int, ...]:
    sizes = tuple(int(s) for s in sizes)
    if not sizes or min(sizes) < 1:
        raise ValueError(f"{name}: sizes must be one or more positive counts, got {list(sizes)}")
    return sizes


def split_labels(labels: torch.Tensor, sizes: Sequence[int]) -> tuple[torch.Tensor, ...]:
    """The factors ``(batch,)`` of joint labels ``(batch,)`` (row-major: the last factor
    varies fastest).

    Raises:
        ValueError: For labels outside ``[0, prod(sizes))`` or sizes that are not positive.
    """
    sizes = _check_sizes(sizes, "split_labels")
    labels = check_labels(labels, math.prod(sizes), None, "split_labels")
    factors = []
    rest = labels.long()
    for size in reversed(sizes):
        factors.append(rest % size)
        rest = torch.div(rest, size, rounding_mode="floor")
    return tuple(reversed(factors))


def join_labels(factors: Sequence[torch.Tensor], sizes: Sequence[int]) -> torch.Tensor:
    """Joint labels ``(batch,)`` of one ``(batch,)`` tensor per factor.

    Raises:
        ValueError: For a count of factors other than ``len(sizes)`` or a factor out of range.
    """
    sizes = _check_sizes(sizes, "join_labels")
    if len(factors) != len(sizes):
        raise ValueError(f"join_labels: {len(factors)} factors for {len(sizes)} sizes")
    joint = torch.zeros_like(torch.as_tensor(factors[0]), dtype=torch.long)
    for i, (factor, size) in enumerate(zip(factors, sizes, strict=True)):
        factor = check_labels(
            torch.as_tensor(factor), size, joint.shape[0], f"join_labels factor {i}"
        )
        joint = joint * size + factor.long()
    return joint


@register
class FactoredOneHot(nn.Module):
    """The one-hot vectors of each factor of joint labels, concatenated.

    A conditioning module (see :class:`audiogan.protocols.Conditioning`) for a generator:
    ``GANSynthGenerator(..., conditioning=FactoredOneHot((13, 4)))`` is conditioned on 13
    pitches and 4 families (52 classes) by a vector of 17.

    Args:
        sizes: The count of each factor, e.g. ``(pitches, families)``.

    Shapes:
        ``forward(labels (batch,)) -> (batch, sum(sizes))``.
    """

    def __init__(self, sizes: Sequence[int]) -> None:
        super().__init__()
        self.sizes = _check_sizes(sizes, "FactoredOneHot")
        self.config = {"sizes": list(self.sizes)}
        self.num_classes = math.prod(self.sizes)
        self.out_features = sum(self.sizes)

    def forward(self, labels: torch.Tensor) -> torch.Tensor:
        """Concatenated one-hots ``(batch, sum(sizes))`` (float32) of ``labels (batch,)``."""
        factors = split_labels(labels, self.sizes)
        return torch.cat(
            [nn.functional.one_hot(f, s).float() for f, s in zip(factors, self.sizes, strict=True)],
            dim=1,
        )


@register
class FactoredProjection(nn.Module):
    """The projection term of joint labels, one embedding per factor:
    ``sum_k <embed_k(y_k), h>`` (Miyato & Koyama 2018, factored).

    :class:`~audiogan.nn.Projection` learns a vector per joint class: with 13 pitches and 4
    families, 52 vectors, each learning from the items of one (pitch, family) pair. Here the
    pitch ``y_0`` and the family ``y_1`` each have their own vectors (13 + 4), and the term is
    the sum of their inner products with the features ``h``: each pitch vector learns from
    every item of that pitch whatever its family, as in a pitch-only critic. It is the
    projection of a one-hot of each factor, concatenated (:class:`FactoredOneHot`), through
    one ``(sum(sizes), features)`` matrix, as Miyato & Koyama's ``y^T V h`` of a one-hot ``y``.

    Args:
        sizes: The count of each factor, e.g. ``(pitches, families)``.
        features: Size of the pooled feature vector ``h``.

    Shapes:
        ``forward(h (batch, features), labels (batch,)) -> (batch,)``.
    """

    def __init__(self, sizes: Sequence[int], features: int) -> None:
        super().__init__()
        self.sizes = _check_sizes(sizes, "FactoredProjection")
        if features < 1:
            raise ValueError(f"FactoredProjection: features must be >= 1, got {features}")
        self.config = {"sizes": list(self.sizes), "features": int(features)}
        self.num_classes = math.prod(self.sizes)
        self.features = int(features)
        self.embeddings = nn.ModuleList(nn.Embedding(size, features) for size in self.sizes)
        for embedding in self.embeddings:
            nn.init.normal_(embedding.weight, 0.0, 0.02)

    def forward(self, h: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """The term ``(batch,)`` of features ``h (batch, features)`` and joint labels
        ``(batch,)``: ``sum_k <embeddings[k](factor_k), h>``."""
        check_shape(h, (None, self.features), "FactoredProjection features", "(batch, features)")
        labels = check_labels(labels, self.num_classes, h.shape[0], "FactoredProjection")
        factors = split_labels(labels, self.sizes)
        vectors = sum(e(f) for e, f in zip(self.embeddings, factors, strict=True))
        return (vectors * h).sum(dim=1)


class LabelFactor:
    """Joint labels -> factor ``index`` (e.g. the family of a (pitch, family) label).

    A picklable ``target`` for the AC-GAN loss terms.

    Args:
        sizes: The count of each factor.
        index: Which factor to return.
    """

    def __init__(self, sizes: Sequence[int], index: int) -> None:
        self.sizes = _check_sizes(sizes, "LabelFactor")
        if not 0 <= index < len(self.sizes):
            raise ValueError(f"LabelFactor: index {index} for {len(self.sizes)} factors")
        self.index = int(index)

    def __call__(self, labels: torch.Tensor) -> torch.Tensor:
        """The factor ``(batch,)`` of joint labels ``(batch,)``."""
        return split_labels(labels, self.sizes)[self.index]

    def __repr__(self) -> str:
        return f"LabelFactor({list(self.sizes)}, {self.index})"
