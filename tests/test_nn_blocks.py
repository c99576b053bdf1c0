"""One sweep over every audiogan.nn block: shapes, finite outputs, gradients, config round trip."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import torch
from torch import nn

from audiogan.nn.conditioning import LabelEmbedding, OneHot, Projection
from audiogan.nn.critic2d import ConvCritic2d
from audiogan.nn.generator2d import ConvGenerator2d
from audiogan.nn.musegan import BarGenerator, MuseCritic, MuseGenerator, TemporalNetwork
from audiogan.nn.recurrent import RecurrentClassifier
from audiogan.nn.resnet9 import ResNet9, ResNet9Classifier, ResNet9Critic

B = 3
TINY_ROLL = (2, 2, 8, 24)  # (tracks, bars, steps_per_bar, pitches)


@dataclass
class Case:
    """A block, how to call it, and the output shape expected for a batch of ``B``."""

    build: Callable[[], nn.Module]
    call: Callable[[nn.Module, int], torch.Tensor]
    out_shape: tuple[int, ...]


def _gen_call(m: nn.Module, n: int) -> torch.Tensor:
    labels = torch.arange(n) % m.num_classes if m.num_classes else None
    return m(m.sample_latent(n), labels)


def _critic_call(shape: tuple[int, ...]) -> Callable[[nn.Module, int], torch.Tensor]:
    def call(m: nn.Module, n: int) -> torch.Tensor:
        labels = torch.arange(n) % m.num_classes if m.num_classes else None
        return m(torch.randn(n, *shape).clamp(-1, 1), labels)

    return call


def _plain_call(shape: tuple[int, ...]) -> Callable[[nn.Module, int], torch.Tensor]:
    return lambda m, n: m(torch.randn(n, *shape))


def _projection_call(m: nn.Module, n: int) -> torch.Tensor:
    return m(torch.randn(n, m.features), torch.arange(n) % m.num_classes)


def _labels_call(m: nn.Module, n: int) -> torch.Tensor:
    return m(torch.arange(n) % m.num_classes)


CASES: dict[str, Case] = {
    "gen2d": Case(lambda: ConvGenerator2d(8, (1, 16, 16), width=8), _gen_call, (1, 16, 16)),
    "gen2d-embed-nearest-instance": Case(
        lambda: ConvGenerator2d(
            8, (2, 16, 32), num_classes=3, width=8, upsample="resize", norm="instance"
        ),
        _gen_call,
        (2, 16, 32),
    ),
    "gen2d-onehot-layer": Case(
        lambda: ConvGenerator2d(
            8,
            (1, 8, 16),
            num_classes=4,
            conditioning="onehot",
            width=8,
            num_upsamples=2,
            norm="layer",
        ),
        _gen_call,
        (1, 8, 16),
    ),
    "critic2d": Case(lambda: ConvCritic2d((1, 16, 16), width=4), _critic_call((1, 16, 16)), ()),
    "critic2d-embedding-layer": Case(
        lambda: ConvCritic2d((1, 16, 32), num_classes=3, width=4, norm="layer"),
        _critic_call((1, 16, 32)),
        (),
    ),
    "critic2d-onehot-instance": Case(
        lambda: ConvCritic2d(
            (2, 32, 16), num_classes=3, conditioning="onehot", width=4, norm="instance"
        ),
        _critic_call((2, 32, 16)),
        (),
    ),
    "critic2d-projection-spectral": Case(
        lambda: ConvCritic2d(
            (1, 16, 16), num_classes=3, conditioning="projection", width=4, norm="spectral"
        ),
        _critic_call((1, 16, 16)),
        (),
    ),
    "gen2d-onehot-instance": Case(
        lambda: ConvGenerator2d(
            8, (1, 8, 16), conditioning=OneHot(4), width=8, num_upsamples=2, norm="layer"
        ),
        _gen_call,
        (1, 8, 16),
    ),
    "critic2d-embedding-instance": Case(
        lambda: ConvCritic2d((1, 16, 16), conditioning=LabelEmbedding(3, 2), width=4, norm="layer"),
        _critic_call((1, 16, 16)),
        (),
    ),
    "critic2d-projection-instance": Case(
        lambda: ConvCritic2d((1, 16, 16), conditioning=Projection(3, 32), width=4),
        _critic_call((1, 16, 16)),
        (),
    ),
    "resnet9": Case(lambda: ResNet9(1, num_outputs=5, width=4), _plain_call((1, 16, 16)), (5,)),
    "resnet9-critic": Case(lambda: ResNet9Critic(1, width=4), _critic_call((1, 16, 24)), ()),
    "resnet9-critic-projection-layer": Case(
        lambda: ResNet9Critic(3, num_classes=4, width=4, norm="layer", activation="leaky_relu"),
        _critic_call((3, 8, 8)),
        (),
    ),
    "resnet9-critic-onehot-instance": Case(
        lambda: ResNet9Critic(2, conditioning=OneHot(3), width=4, norm="layer"),
        _critic_call((2, 8, 8)),
        (),
    ),
    "resnet9-critic-spectral": Case(
        lambda: ResNet9Critic(1, width=4, norm="spectral"), _critic_call((1, 16, 16)), ()
    ),
    "resnet9-classifier": Case(
        lambda: ResNet9Classifier(1, num_classes=6, width=4, dropout=0.2),
        _plain_call((1, 16, 16)),
        (6,),
    ),
    "temporal": Case(lambda: TemporalNetwork(4, width=8, bars=3), _plain_call((4,)), (4, 3)),
    "bar": Case(
        lambda: BarGenerator(4, linear_width=16, width=8, steps_per_bar=8, pitches=24),
        _plain_call((16,)),
        (8, 24),
    ),
    "muse-gen": Case(
        lambda: MuseGenerator(4, TINY_ROLL, width=8, linear_width=8), _gen_call, TINY_ROLL
    ),
    "muse-gen-conditional": Case(
        lambda: MuseGenerator(4, TINY_ROLL, width=8, linear_width=8, num_classes=3, embed_dim=2),
        _gen_call,
        TINY_ROLL,
    ),
    "muse-critic": Case(
        lambda: MuseCritic(TINY_ROLL, width=4, linear_width=8), _critic_call(TINY_ROLL), ()
    ),
    "muse-critic-conditional": Case(
        lambda: MuseCritic(TINY_ROLL, width=4, linear_width=8, num_classes=3),
        _critic_call(TINY_ROLL),
        (),
    ),
    "muse-gen-onehot-instance": Case(
        lambda: MuseGenerator(4, TINY_ROLL, width=8, linear_width=8, conditioning=OneHot(3)),
        _gen_call,
        TINY_ROLL,
    ),
    "muse-critic-embedding-instance": Case(
        lambda: MuseCritic(TINY_ROLL, width=4, linear_width=8, conditioning=LabelEmbedding(3, 2)),
        _critic_call(TINY_ROLL),
        (),
    ),
    "rnn": Case(lambda: RecurrentClassifier(8, 3, 6, 1, cell="rnn"), _plain_call((1, 8, 5)), (3,)),
    "gru-bidirectional": Case(
        lambda: RecurrentClassifier(8, 3, 6, 2, bidirectional=True, dropout=0.1),
        _plain_call((8, 5)),
        (3,),
    ),
    "lstm-last": Case(
        lambda: RecurrentClassifier(8, 3, 6, 2, cell="lstm", pooling="last"),
        _plain_call((8, 5)),
        (3,),
    ),
    "onehot": Case(lambda: OneHot(4), _labels_call, (4,)),
    "embedding": Case(lambda: LabelEmbedding(4, 5), _labels_call, (5,)),
    "projection": Case(lambda: Projection(4, 6), _projection_call, ()),
}


@pytest.fixture(params=sorted(CASES), ids=sorted(CASES))
def case(request: pytest.FixtureRequest) -> Case:
    return CASES[request.param]


def test_shape_and_finite(case: Case) -> None:
    m = case.build()
    out = case.call(m, B)
    assert out.shape == (B, *case.out_shape)
    assert torch.isfinite(out).all()


def test_gradients_reach_every_parameter(case: Case) -> None:
    m = case.build()
    params = dict(m.named_parameters())
    out = case.call(m, B)
    if not params:  # OneHot: nothing to train, and nothing in the graph
        assert not out.requires_grad
        return
    (out * torch.randn_like(out)).sum().backward()
    missing = [name for name, p in params.items() if p.grad is None]
    assert not missing, f"no gradient for {missing}"
    assert all(torch.isfinite(p.grad).all() for p in params.values())
    assert sum(float(p.grad.abs().sum()) for p in params.values()) > 0


def test_config_round_trip(case: Case) -> None:
    m = case.build()
    json.dumps(m.config)  # JSON-able primitives only
    rebuilt = type(m)(**json.loads(json.dumps(m.config)))
    assert rebuilt.config == m.config
    shapes = {k: v.shape for k, v in m.state_dict().items()}
    assert {k: v.shape for k, v in rebuilt.state_dict().items()} == shapes
    rebuilt.load_state_dict(m.state_dict())
    m.eval()
    rebuilt.eval()
    torch.manual_seed(1)
    a = case.call(m, B)
    torch.manual_seed(1)
    b = case.call(rebuilt, B)
    torch.testing.assert_close(a, b)


def test_num_classes_attribute(case: Case) -> None:
    m = case.build()
    assert "n_classes" not in m.config  # one name per concept
    if "num_classes" in m.config:
        assert m.num_classes == m.config["num_classes"]
        assert isinstance(m.num_classes, int)


def _generators() -> list[str]:
    return [k for k, c in CASES.items() if hasattr(c.build(), "sample_latent")]


@pytest.mark.parametrize("name", _generators())
def test_sample_latent_is_reproducible(name: str) -> None:
    m = CASES[name].build()
    a: Any = m.sample_latent(2, generator=torch.Generator().manual_seed(3))
    b: Any = m.sample_latent(2, generator=torch.Generator().manual_seed(3))
    for x, y in zip(
        a if isinstance(a, tuple) else (a,), b if isinstance(b, tuple) else (b,), strict=True
    ):
        assert x.shape[0] == 2
        torch.testing.assert_close(x, y)


def _tensors(z: Any) -> tuple[torch.Tensor, ...]:
    return tuple(z) if isinstance(z, (tuple, list)) else (z,)


def _labels_for(m: nn.Module, n: int, device: torch.device | str = "cpu") -> torch.Tensor | None:
    return torch.arange(n, device=device) % m.num_classes if m.num_classes else None


@pytest.mark.parametrize("name", _generators())
def test_sample_latent_follows_the_module_dtype(name: str) -> None:
    m = CASES[name].build().double()
    z = m.sample_latent(2)
    assert all(t.dtype == torch.float64 and t.device.type == "cpu" for t in _tensors(z))
    out = m(z, _labels_for(m, 2))
    assert out.dtype == torch.float64 and torch.isfinite(out).all()
    told = m.sample_latent(2, dtype=torch.float32)
    assert all(t.dtype == torch.float32 for t in _tensors(told))
    # the same draws as an unconverted module's, up to the dtype
    a = CASES[name].build().sample_latent(2, generator=torch.Generator().manual_seed(5))
    b = m.sample_latent(2, generator=torch.Generator().manual_seed(5), dtype=torch.float32)
    for x, y in zip(_tensors(a), _tensors(b), strict=True):
        torch.testing.assert_close(x, y)


def test_double_generator_runs_on_its_own_latent() -> None:
    g = ConvGenerator2d(8, (1, 16, 16), num_classes=3, width=8)
    g.double()
    assert g(g.sample_latent(2), torch.tensor([0, 2])).dtype == torch.float64


@pytest.mark.cuda
@pytest.mark.parametrize("name", _generators())
def test_sample_latent_follows_the_module_device(name: str) -> None:
    m = CASES[name].build().cuda()
    z = m.sample_latent(2)
    assert all(t.device.type == "cuda" for t in _tensors(z))
    assert m(z, _labels_for(m, 2, "cuda")).device.type == "cuda"
    # a CPU generator draws on the CPU: the same numbers for a model on any device
    on_gpu = m.sample_latent(2, generator=torch.Generator().manual_seed(3))
    on_cpu = CASES[name].build().sample_latent(2, generator=torch.Generator().manual_seed(3))
    for x, y in zip(_tensors(on_gpu), _tensors(on_cpu), strict=True):
        assert x.device.type == "cuda"
        torch.testing.assert_close(x.cpu(), y)
    assert m.sample_latent(2, device="cpu")[0].device.type == "cpu"
