"""Conditioning modules: exact values, label maps, the projection term, label checks, and every
conditional block with every kind of conditioning instance (a user's own included)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from audiogan.nn.conditioning import (
    LabelEmbedding,
    OneHot,
    Projection,
    build_conditioning,
    check_labels,
    conditioning_config,
    vector_conditioning,
)
from audiogan.nn.critic2d import ConvCritic2d
from audiogan.nn.generator2d import ConvGenerator2d
from audiogan.nn.musegan import MuseCritic, MuseGenerator
from audiogan.nn.resnet9 import ResNet9Critic
from audiogan.protocols import Conditioning


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
    num_classes=st.integers(1, 4),
    seed=st.integers(0, 99),
)
def test_projection_is_dot_with_the_class_embedding(
    batch: int, features: int, num_classes: int, seed: int
) -> None:
    g = torch.Generator().manual_seed(seed)
    proj = Projection(num_classes, features)
    h = torch.randn(batch, features, generator=g)
    y = torch.randint(0, num_classes, (batch,), generator=g)
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
    assert vector_conditioning("embedding", 0, 16, "G") == (None, 0, "embedding")
    module, num_classes, config = vector_conditioning("embedding", 3, 16, "G")
    assert isinstance(module, LabelEmbedding) and module.out_features == 16
    assert (num_classes, config) == (3, "embedding")
    assert isinstance(vector_conditioning("onehot", 3, 16, "G")[0], OneHot)
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


# ----------------------------------------------------------------------------- pluggable modules


class ScaledOneHot(nn.Module):
    """A user's own conditioning (not an audiogan class): one-hot vectors times a learned scale."""

    def __init__(self, num_classes: int) -> None:
        super().__init__()
        self.config = {"num_classes": num_classes}
        self.num_classes = num_classes
        self.out_features = num_classes
        self.map_channels = 1
        self.scale = nn.Parameter(torch.linspace(1.0, 2.0, num_classes))

    def forward(self, labels: torch.Tensor) -> torch.Tensor:
        return nn.functional.one_hot(labels.long(), self.num_classes).float() * self.scale

    def label_map(self, labels: torch.Tensor, size: tuple[int, ...]) -> torch.Tensor:
        plane = self.scale[labels.long()]  # (B,)
        return plane.view(-1, 1, *([1] * len(size))).expand(-1, 1, *size)


ROLL = (2, 2, 4, 12)  # (tracks, bars, steps_per_bar, pitches)

# name -> (build(conditioning, num_classes), input shape or None for a generator, pooled features)
BLOCKS: dict[str, tuple[Callable[..., nn.Module], tuple[int, ...] | None, int]] = {
    "ConvGenerator2d": (
        lambda c, k=0: ConvGenerator2d(
            4, (1, 8, 8), num_classes=k, conditioning=c, width=4, num_upsamples=2
        ),
        None,
        0,
    ),
    "MuseGenerator": (
        lambda c, k=0: MuseGenerator(
            4, ROLL, width=8, linear_width=8, num_classes=k, conditioning=c
        ),
        None,
        0,
    ),
    "ConvCritic2d": (
        lambda c, k=0: ConvCritic2d((1, 16, 16), num_classes=k, conditioning=c, width=4),
        (1, 16, 16),
        32,
    ),
    "ResNet9Critic": (
        lambda c, k=0: ResNet9Critic(1, num_classes=k, conditioning=c, width=2, norm="layer"),
        (1, 8, 8),
        16,
    ),
    "MuseCritic": (
        lambda c, k=0: MuseCritic(ROLL, width=4, linear_width=8, num_classes=k, conditioning=c),
        ROLL,
        8,
    ),
}
GENERATORS = ["ConvGenerator2d", "MuseGenerator"]
CRITICS = ["ConvCritic2d", "ResNet9Critic", "MuseCritic"]


def _instances(block: str) -> dict[str, Callable[[], nn.Module]]:
    """Every conditioning instance that makes sense for ``block``, by kind."""
    kinds: dict[str, Callable[[], nn.Module]] = {
        "onehot": lambda: OneHot(3),
        "embedding": lambda: LabelEmbedding(3, 5),
        "user": lambda: ScaledOneHot(3),
    }
    _, shape, features = BLOCKS[block]
    if shape is not None:
        kinds["projection"] = lambda: Projection(3, features)
        if block != "ResNet9Critic":  # a plane of the critic's fixed input grid
            kinds["embedding-plane"] = lambda: LabelEmbedding(3, 5, map_size=shape[1:])
    return kinds


PAIRS = [(block, kind) for block in BLOCKS for kind in _instances(block)]


def _call(m: nn.Module, block: str, labels: torch.Tensor, seed: int = 0) -> torch.Tensor:
    shape = BLOCKS[block][1]
    if shape is None:
        z = m.sample_latent(len(labels), generator=torch.Generator().manual_seed(seed))
        return m(z, labels)
    x = torch.randn(len(labels), *shape, generator=torch.Generator().manual_seed(seed))
    return m(x, labels)


@pytest.mark.parametrize(("block", "kind"), PAIRS, ids=[f"{b}-{k}" for b, k in PAIRS])
def test_blocks_take_conditioning_instances(block: str, kind: str) -> None:
    build, shape, _ = BLOCKS[block]
    cond = _instances(block)[kind]()
    assert isinstance(cond, Conditioning) == (kind != "projection")
    m = build(cond).eval()
    assert m.num_classes == 3 and m.config["num_classes"] == 3  # taken from the instance
    assert any(sub is cond for sub in m.modules())  # the instance itself, registered
    for sub in m.modules():  # move projections off their small init: labels visibly change scores
        if isinstance(sub, Projection):
            nn.init.normal_(sub.embedding.weight)
    a = _call(m, block, torch.tensor([0, 1]))
    b = _call(m, block, torch.tensor([2, 2]))
    assert a.shape == ((2, *m.out_shape) if shape is None else (2,))
    assert torch.isfinite(a).all()
    assert not torch.allclose(a, b)  # the labels reach the output
    # equal explicit num_classes is fine, a conflicting one is an error
    assert build(_instances(block)[kind](), 3).num_classes == 3
    with pytest.raises(ValueError, match=r"num_classes=4 conflicts with .* num_classes=3"):
        build(_instances(block)[kind](), 4)


@pytest.mark.parametrize(("block", "kind"), PAIRS, ids=[f"{b}-{k}" for b, k in PAIRS])
def test_instance_round_trips_through_config(block: str, kind: str) -> None:
    build, _, _ = BLOCKS[block]
    m = build(_instances(block)[kind]()).eval()
    stored = json.loads(json.dumps(m.config))  # JSON-able, as a checkpoint stores it
    if kind == "user":
        assert stored["conditioning"]["class"].endswith("ScaledOneHot")
        with pytest.raises(ValueError, match=r"only audiogan classes .*ScaledOneHot\(\.\.\.\)"):
            type(m)(**stored)
        return
    assert stored["conditioning"]["class"] in ("OneHot", "LabelEmbedding", "Projection")
    rebuilt = type(m)(**stored).eval()
    assert rebuilt.config == m.config
    rebuilt.load_state_dict(m.state_dict())
    labels = torch.tensor([2, 0])
    torch.testing.assert_close(_call(rebuilt, block, labels), _call(m, block, labels))


def test_checkpoint_build_module_rebuilds_a_block_with_an_instance() -> None:
    from audiogan.train.checkpoints import build_module, class_path

    g = ConvGenerator2d(4, (1, 8, 8), conditioning=LabelEmbedding(3, 7), num_upsamples=2).eval()
    rebuilt = build_module(class_path(g), g.config).eval()
    rebuilt.load_state_dict(g.state_dict())
    z, y = g.sample_latent(2), torch.tensor([1, 2])
    torch.testing.assert_close(rebuilt(z, y), g(z, y))
    assert rebuilt.conditioning.out_features == 7


@pytest.mark.parametrize("block", GENERATORS)
def test_generators_need_a_vector_conditioning(block: str) -> None:
    with pytest.raises(ValueError, match="out_features"):
        BLOCKS[block][0](Projection(3, 8))


@pytest.mark.parametrize("block", CRITICS)
def test_critic_conditioning_errors(block: str) -> None:
    build, shape, features = BLOCKS[block]
    with pytest.raises(
        ValueError, match=rf"projection works on {features + 1} features.*{features}"
    ):
        build(Projection(3, features + 1))

    class NoKind(nn.Module):
        num_classes = 3

    with pytest.raises(ValueError, match="neither a label-map conditioning"):
        build(NoKind())
    with pytest.raises(ValueError, match="nn.Module instance"):
        build(OneHot)  # the class, not an instance
    with pytest.raises(ValueError, match="num_classes >= 1"):
        build(nn.Identity())
    with pytest.raises(ValueError, match="conditioning must be one of"):
        build("film", 3)
    if block != "ResNet9Critic":
        wrong = tuple(s + 12 for s in shape[1:])
        with pytest.raises(ValueError, match="label maps have size"):
            build(LabelEmbedding(3, 2, map_size=wrong))


def test_stored_conditioning_dicts_are_checked() -> None:
    not_audiogan = {"class": "os.system", "config": {"command": "true"}}
    with pytest.raises(ValueError, match="only audiogan classes"):
        ConvGenerator2d(4, (1, 8, 8), conditioning=not_audiogan, num_upsamples=2)
    with pytest.raises(ValueError, match="has no config"):
        build_conditioning({"class": "audiogan.nn.conditioning.OneHot", "config": None}, "G")
    with pytest.raises(ValueError, match="cannot rebuild"):
        build_conditioning({"class": "audiogan.nn.conditioning.Nope", "config": {}}, "G")
    with pytest.raises(ValueError, match="'class': str"):
        build_conditioning({"config": {}}, "G")
    assert isinstance(build_conditioning(conditioning_config(OneHot(2)), "G"), OneHot)


def test_a_module_that_breaks_its_promise_is_named() -> None:
    class Liar(ScaledOneHot):
        def forward(self, labels: torch.Tensor) -> torch.Tensor:
            return super().forward(labels)[:, :2]  # out_features says 3

        def label_map(self, labels: torch.Tensor, size: tuple[int, ...]) -> torch.Tensor:
            return super().label_map(labels, size).expand(-1, 2, *size)  # map_channels says 1

    y = torch.tensor([0, 2])
    for block in GENERATORS:
        with pytest.raises(ValueError, match=rf"{block} conditioning vector: expected shape"):
            _call(BLOCKS[block][0](Liar(3)), block, y)
    for block in CRITICS:
        with pytest.raises(ValueError, match=rf"{block} label maps: expected shape \(2, 1,"):
            _call(BLOCKS[block][0](Liar(3)), block, y)
