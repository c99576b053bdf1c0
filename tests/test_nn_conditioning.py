"""Conditioning modules: exact values, label maps, the projection term, label checks."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from audiogan.nn.conditioning import (
    LabelEmbedding,
    OneHot,
    Projection,
    check_labels,
    vector_conditioning,
)


def test_onehot_values_and_label_map() -> None:
    onehot = OneHot(4)
    labels = torch.tensor([2, 0, 3])
    torch.testing.assert_close(onehot(labels), torch.eye(4)[labels])
    maps = onehot.label_map(labels, (3, 5))
    assert maps.shape == (3, 4, 3, 5)
    torch.testing.assert_close(maps, torch.eye(4)[labels][:, :, None, None].expand(3, 4, 3, 5))
    assert onehot.out_features == onehot.map_channels == 4


def test_label_embedding_vector_and_maps() -> None:
    emb = LabelEmbedding(5, dim=3)
    labels = torch.tensor([4, 1])
    torch.testing.assert_close(emb(labels), emb.embedding.weight[labels])
    assert emb.label_map(labels, (2, 6)).shape == (2, 3, 2, 6)
    plane = LabelEmbedding(5, dim=3, map_size=(2, 6))
    assert plane.map_channels == 1
    expected = plane.to_plane(plane.embedding.weight[labels]).view(2, 1, 2, 6)
    torch.testing.assert_close(plane.label_map(labels, (2, 6)), expected)
    with pytest.raises(ValueError, match=r"built for size \(2, 6\)"):
        plane.label_map(labels, (2, 7))


def test_projection_closed_form() -> None:
    proj = Projection(2, 3)
    with torch.no_grad():
        proj.embedding.weight.copy_(torch.tensor([[1.0, 0.0, -1.0], [0.5, 2.0, 0.0]]))
    h = torch.tensor([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]])
    torch.testing.assert_close(proj(h, torch.tensor([0, 1])), torch.tensor([-2.0, 4.5]))


@settings(max_examples=20, deadline=None)
@given(
    batch=st.integers(1, 5),
    features=st.integers(1, 6),
    n_classes=st.integers(1, 4),
    seed=st.integers(0, 99),
)
def test_projection_is_dot_with_the_class_embedding(
    batch: int, features: int, n_classes: int, seed: int
) -> None:
    g = torch.Generator().manual_seed(seed)
    proj = Projection(n_classes, features)
    h = torch.randn(batch, features, generator=g)
    y = torch.randint(0, n_classes, (batch,), generator=g)
    expected = torch.stack([proj.embedding.weight[y[i]] @ h[i] for i in range(batch)])
    torch.testing.assert_close(proj(h, y), expected)


@pytest.mark.parametrize(
    ("labels", "num_classes", "match"),
    [
        (torch.tensor([0, 1]), 0, "unconditional"),
        (None, 3, "required"),
        (torch.tensor([0.0, 1.0]), 3, "integer"),
        (torch.tensor([True, False]), 3, "integer"),
        (torch.tensor([[0], [1]]), 3, r"labels: expected shape \(2\)"),
        (torch.tensor([0, 1, 2]), 3, r"labels: expected shape \(2\)"),
        (torch.tensor([0, 3]), 3, r"\[0, 3\), got values in \[0, 3\]"),
        (torch.tensor([-1, 0]), 3, r"\[0, 3\)"),
        ([0, 1], 3, "integer tensor"),
    ],
)
def test_check_labels_errors(labels: object, num_classes: int, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        check_labels(labels, num_classes, 2, "Block")  # type: ignore[arg-type]


def test_check_labels_passes_valid_labels() -> None:
    assert check_labels(None, 0, 2, "Block") is None
    labels = torch.tensor([0, 2], dtype=torch.int32)
    assert check_labels(labels, 3, 2, "Block") is labels


def test_vector_conditioning_factory() -> None:
    assert vector_conditioning("embedding", 0, 16, "G") is None
    assert isinstance(vector_conditioning("embedding", 3, 16, "G"), LabelEmbedding)
    assert isinstance(vector_conditioning("onehot", 3, 16, "G"), OneHot)
    with pytest.raises(ValueError, match="G: conditioning"):
        vector_conditioning("projection", 3, 16, "G")


@pytest.mark.parametrize(
    "build",
    [
        lambda: OneHot(0),
        lambda: LabelEmbedding(0),
        lambda: LabelEmbedding(3, 0),
        lambda: Projection(2, 0),
    ],
)
def test_constructor_errors(build: object) -> None:
    with pytest.raises(ValueError, match=">= 1"):
        build()  # type: ignore[operator]
