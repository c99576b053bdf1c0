"""Collapse checks for unconditional generators: how samples spread over the data's classes.

A generator that has collapsed makes one pattern, or a few, whatever its noise. With a classifier
trained on the real data, :func:`class_spread` measures that from three sides: the share of the
samples each class gets (a collapsed generator piles them into one or two classes), the mean
distance between two samples (near 0 when every sample is alike) and NDB/K on the classifier's
embeddings (:func:`~audiogan.metrics.ndb_score`), each beside the real data's own value.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from audiogan.metrics.audio import ArrayLike, embed_features, ndb_score, predict_logits

__all__ = ["class_spread", "format_class_spread", "mean_pairwise_l1"]

#: A class counts as covered when it gets at least this share of the items.
COVERED_SHARE = 0.05


def mean_pairwise_l1(x: torch.Tensor, n: int = 256) -> float:
    """Mean per-element L1 distance between two different items among the first ``n``.

    Args:
        x: ``(items, *shape)`` with at least 2 items.
        n: Items used (the distance matrix is ``n x n``).

    Returns:
        The mean over ordered pairs of different items of ``mean(|x_i - x_j|)``: 0 when every
        item is the same.

    Raises:
        ValueError: With fewer than 2 items.
    """
    if x.dim() < 1 or x.shape[0] < 2:
        raise ValueError(f"mean_pairwise_l1: expected at least 2 items, got shape {tuple(x.shape)}")
    flat = torch.as_tensor(x)[:n].flatten(1).double()
    distances = torch.cdist(flat, flat, p=1) / max(flat.shape[1], 1)
    m = len(flat)
    return float(distances.sum() / (m * (m - 1)))


def class_spread(
    classifier: nn.Module,
    real: ArrayLike,
    fake: ArrayLike,
    class_names: Sequence[str] | None = None,
    *,
    ndb_k: int | None = None,
    seed: int = 0,
    batch_size: int = 64,
) -> dict:
    """Class shares, covered classes, pairwise distance and NDB/K of samples beside real data.

    Args:
        classifier: ``forward(x) -> (batch, classes)`` logits and ``embed(x) -> (batch, dim)``,
            trained on real data.
        real: ``(n_real, *feature_shape)`` real items.
        fake: ``(n_fake, *feature_shape)`` generated samples.
        class_names: One name per class (default the indices).
        ndb_k: NDB bins; default ``max(2, n_real // 20)`` (20 real items a bin).
        seed: NDB's k-means seed.
        batch_size: Items per forward pass.

    Returns:
        A dict: ``classes`` (the names), ``shares`` (``real`` and ``fake``: each class's share of
        the items), ``covered`` (per side, the classes with at least :data:`COVERED_SHARE` of
        the items), ``pairwise_l1`` (per side, :func:`mean_pairwise_l1`), ``ndb_over_k`` and
        ``ndb_k``. Print it with :func:`format_class_spread`.
    """
    items = {"real": torch.as_tensor(real).float(), "fake": torch.as_tensor(fake).float()}
    shares: dict[str, list[float]] = {}
    for side, x in items.items():
        logits = predict_logits(classifier, x, batch_size=batch_size)
        counts = torch.bincount(logits.argmax(dim=1), minlength=logits.shape[1]).double()
        shares[side] = (counts / counts.sum()).tolist()
    num_classes = len(shares["real"])
    names = list(class_names) if class_names is not None else [str(k) for k in range(num_classes)]
    if len(names) != num_classes:
        raise ValueError(f"class_names: expected {num_classes} names, got {len(names)}")
    k = max(2, len(items["real"]) // 20) if ndb_k is None else ndb_k
    embedded = [embed_features(classifier, x, batch_size=batch_size) for x in items.values()]
    _, ndb_over_k = ndb_score(*embedded, k=min(k, len(items["real"])), seed=seed)
    return {
        "classes": names,
        "shares": shares,
        "covered": {side: sum(v >= COVERED_SHARE for v in s) for side, s in shares.items()},
        "pairwise_l1": {side: mean_pairwise_l1(x) for side, x in items.items()},
        "ndb_over_k": ndb_over_k,
        "ndb_k": min(k, len(items["real"])),
    }


def format_class_spread(report: dict, digits: int = 3) -> str:
    """A :func:`class_spread` report as a text table, real and generated side by side."""
    f = f"{{:>10.{digits}f}}"
    lines = [f"{'class spread':<22}{'real':>10}{'generated':>11}"]
    for k, name in enumerate(report["classes"]):
        real, fake = report["shares"]["real"][k], report["shares"]["fake"][k]
        lines.append(f"  {name:<20}{f.format(real)} {f.format(fake)}")
    covered = report["covered"]
    lines.append(f"{'classes >= 5 %':<22}{covered['real']:>10d} {covered['fake']:>10d}")
    l1 = report["pairwise_l1"]
    lines.append(f"{'mean pairwise L1':<22}{f.format(l1['real'])} {f.format(l1['fake'])}")
    ndb = f"NDB/K (K={report['ndb_k']})"
    lines.append(f"{ndb:<22}{'':>10} {f.format(report['ndb_over_k'])}")
    return "\n".join(lines)
