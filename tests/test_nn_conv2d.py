"""ConvGenerator2d and ConvCritic2d: seed layouts, sizes, conditioning, errors, per-sample scores."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from audiogan.nn.critic2d import ConvCritic2d
from audiogan.nn.generator2d import ConvGenerator2d


def _convt_channels(g: ConvGenerator2d) -> list[tuple[int, int]]:
    return [
        (m.in_channels, m.out_channels) for m in g.modules() if isinstance(m, nn.ConvTranspose2d)
    ]


def test_seed_000_layout() -> None:
    g = ConvGenerator2d(100, (1, 128, 512), num_classes=5, conditioning="onehot", width=256)
    assert g.base_grid == (8, 32)
    assert g.project.in_features == 105 and g.project.out_features == 256 * 8 * 32
    assert _convt_channels(g) == [(256, 128), (128, 64), (64, 32), (32, 1)]


def test_seed_001_layout() -> None:
    g = ConvGenerator2d(100, (1, 128, 256), num_classes=5, embed_dim=16, width=512)
    assert g.base_grid == (8, 16)
    assert g.project.in_features == 116
    assert _convt_channels(g) == [(512, 256), (256, 128), (128, 64), (64, 1)]
    critic = ConvCritic2d((1, 128, 256), num_classes=5, embed_dim=16)
    convs = [m for m in critic.features if isinstance(m, nn.Conv2d)]
    assert [(c.in_channels, c.out_channels) for c in convs] == [
        (2, 32),
        (32, 64),
        (64, 128),
        (128, 256),
    ]
    assert critic.score.in_features == 256 * 8 * 16


@pytest.mark.parametrize("out_shape", [(1, 128, 512), (1, 128, 256), (1, 16, 16), (2, 32, 48)])
def test_generator_and_critic_at_seed_and_test_sizes(out_shape: tuple[int, int, int]) -> None:
    g = ConvGenerator2d(8, out_shape, num_classes=3, width=4).eval()
    critic = ConvCritic2d(out_shape, num_classes=3, width=2, max_channels=4)
    labels = torch.tensor([2])
    x = g(g.sample_latent(1), labels)  # batch of one
    assert x.shape == (1, *out_shape)
    assert x.abs().max() <= 1.0  # tanh
    assert critic(x, labels).shape == (1,)


@settings(max_examples=12, deadline=None)
@given(
    n_up=st.integers(0, 3),
    base_f=st.integers(1, 3),
    base_t=st.integers(1, 3),
    channels=st.integers(1, 2),
    upsample=st.sampled_from(["transposed", "resize"]),
    refine=st.integers(0, 2),
)
def test_generator_reaches_any_base_times_power_of_two(
    n_up: int, base_f: int, base_t: int, channels: int, upsample: str, refine: int
) -> None:
    shape = (channels, base_f * 2**n_up, base_t * 2**n_up)
    g = ConvGenerator2d(
        4,
        shape,
        width=4,
        num_upsamples=n_up,
        upsample=upsample,
        num_refine_convs=refine,
        norm="layer",
    )
    assert g(g.sample_latent(2)).shape == (2, *shape)


def test_refine_convs_work_at_the_output_size() -> None:
    plain = ConvGenerator2d(8, (1, 16, 16), width=16, num_upsamples=2)
    g = ConvGenerator2d(8, (1, 16, 16), width=16, num_upsamples=2, num_refine_convs=2)
    assert _convt_channels(g) == [(16, 8), (8, 4)]  # the last stage keeps 4 hidden maps
    convs = [m for m in g.stages if isinstance(m, nn.Conv2d)]
    assert [(c.in_channels, c.out_channels, c.stride) for c in convs] == [
        (4, 4, (1, 1)),
        (4, 1, (1, 1)),
    ]
    assert g(g.sample_latent(3)).shape == (3, 1, 16, 16)
    assert "num_refine_convs" not in plain.config  # older configs and checkpoints stay as they were
    assert ConvGenerator2d(**g.config).state_dict().keys() == g.state_dict().keys()


def test_output_activations() -> None:
    z = torch.randn(4, 4) * 10
    raw = ConvGenerator2d(4, (1, 8, 8), width=4, num_upsamples=2, out_activation=None, norm="none")
    relu = ConvGenerator2d(
        4, (1, 8, 8), width=4, num_upsamples=2, out_activation="relu", norm="none"
    )
    relu.load_state_dict(raw.state_dict())
    torch.testing.assert_close(relu(z), raw(z).clamp_min(0))
    assert raw(z).min() < 0


def test_generator_batch_of_one_in_training() -> None:
    g = ConvGenerator2d(4, (1, 16, 16), width=4, num_upsamples=3)  # base grid 2x2: BatchNorm works
    assert g(g.sample_latent(1)).shape == (1, 1, 16, 16)


def test_generator_is_batch_consistent_in_eval() -> None:
    g = ConvGenerator2d(4, (1, 16, 16), num_classes=3, width=4).eval()
    z, y = g.sample_latent(3), torch.tensor([0, 2, 1])
    whole = g(z, y)
    one_by_one = torch.cat([g(z[i : i + 1], y[i : i + 1]) for i in range(3)])
    torch.testing.assert_close(whole, one_by_one)


@pytest.mark.parametrize("conditioning", ["embedding", "onehot"])
def test_generator_output_depends_on_label(conditioning: str) -> None:
    g = ConvGenerator2d(
        4, (1, 8, 8), num_classes=3, conditioning=conditioning, width=4, num_upsamples=2
    ).eval()
    z = g.sample_latent(2)
    assert not torch.allclose(g(z, torch.tensor([0, 0])), g(z, torch.tensor([1, 2])))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"out_shape": (1, 100, 30)}, "base size times 16"),
        ({"out_shape": (1, 16)}, "out_shape"),
        ({"out_shape": (1, 16, 16), "num_upsamples": -1}, "num_upsamples"),
        ({"channels": [8, 4]}, "one per upsampling stage"),
        ({"upsample": "bilinear"}, "upsample"),
        ({"num_refine_convs": -1}, "num_refine_convs"),
        ({"norm": "spectral"}, "norm"),
        ({"norm": "fancy"}, "norm"),
        ({"activation": "swishy"}, "activation"),
        ({"conditioning": "projection", "num_classes": 2}, "conditioning"),
        ({"num_classes": -1}, "num_classes"),
        ({"norm": "instance"}, "1x1 base grid"),
    ],
)
def test_generator_construction_errors(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        ConvGenerator2d(**{"latent_dim": 4, "out_shape": (1, 16, 16), "width": 4, **kwargs})


def test_generator_input_errors() -> None:
    g = ConvGenerator2d(4, (1, 16, 16), width=4)
    with pytest.raises(ValueError, match=r"ConvGenerator2d latent: expected shape \(\*, 4\)"):
        g(torch.randn(2, 5))
    with pytest.raises(ValueError, match="unconditional"):
        g(torch.randn(2, 4), torch.tensor([0, 1]))
    cg = ConvGenerator2d(4, (1, 16, 16), num_classes=3, width=4)
    with pytest.raises(ValueError, match="required"):
        cg(torch.randn(2, 4))
    with pytest.raises(ValueError, match="integer"):
        cg(torch.randn(2, 4), torch.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        cg(torch.randn(2, 4), torch.tensor([0, 3]))
    with pytest.raises(ValueError, match="labels"):
        cg(torch.randn(2, 4), torch.tensor([0, 1, 2]))


@pytest.mark.parametrize(
    ("conditioning", "extra_channels"), [("embedding", 1), ("onehot", 3), ("projection", 0)]
)
def test_critic_conditioning_channels_and_effect(conditioning: str, extra_channels: int) -> None:
    critic = ConvCritic2d((2, 16, 16), num_classes=3, conditioning=conditioning, width=4)
    assert critic.features[0].in_channels == 2 + extra_channels
    if critic.projection is not None:
        nn.init.normal_(critic.projection.embedding.weight)
    x = torch.randn(2, 2, 16, 16)
    assert not torch.allclose(critic(x, torch.tensor([0, 0])), critic(x, torch.tensor([1, 2])))


@pytest.mark.parametrize("norm", ["none", "layer", "instance", "spectral"])
def test_critic_scores_are_per_sample(norm: str) -> None:
    """Without BatchNorm a sample's score does not depend on the rest of the batch (needed by the GP)."""
    critic = ConvCritic2d((1, 32, 32), num_classes=2, width=4, norm=norm).eval()
    x, y = torch.randn(4, 1, 32, 32), torch.tensor([0, 1, 1, 0])
    whole = critic(x, y)
    torch.testing.assert_close(
        whole, torch.cat([critic(x[i : i + 1], y[i : i + 1]) for i in range(4)])
    )


def test_critic_has_no_batchnorm_unless_asked() -> None:
    def has_bn(m: nn.Module) -> bool:
        return any(isinstance(x, nn.BatchNorm2d) for x in m.modules())

    assert not has_bn(ConvCritic2d((1, 16, 16), width=4))
    assert has_bn(ConvCritic2d((1, 16, 16), width=4, norm="batch"))


def test_critic_spectral_norm_wraps_every_weight() -> None:
    critic = ConvCritic2d((1, 16, 16), width=4, norm="spectral")
    layers = [m for m in critic.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    assert len(layers) == 5
    assert all(hasattr(m, "parametrizations") for m in layers)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"in_shape": (1, 24, 16)}, "divisible by 16"),
        ({"in_shape": (1, 16)}, "in_shape"),
        ({"num_downsamples": 0}, "num_downsamples"),
        ({"conditioning": "film"}, "conditioning"),
        ({"norm": "group"}, "norm"),
        ({"channels": [4, 8]}, "one per stage"),
        ({"norm": "instance"}, "1x1 grid"),
    ],
)
def test_critic_construction_errors(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        ConvCritic2d(**{"in_shape": (1, 16, 16), "width": 4, **kwargs})


def test_critic_input_errors() -> None:
    critic = ConvCritic2d((1, 16, 16), width=4)
    with pytest.raises(ValueError, match=r"ConvCritic2d input: expected shape \(\*, 1, 16, 16\)"):
        critic(torch.randn(2, 1, 16, 32))
    with pytest.raises(ValueError, match="unconditional"):
        critic(torch.randn(2, 1, 16, 16), torch.tensor([0, 1]))
    conditional = ConvCritic2d((1, 16, 16), num_classes=2, width=4)
    with pytest.raises(ValueError, match="required"):
        conditional(torch.randn(2, 1, 16, 16))
    with pytest.raises(ValueError, match=r"\[0, 2\)"):
        conditional(torch.randn(2, 1, 16, 16), torch.tensor([-1, 0]))


@pytest.mark.parametrize(
    "make",
    [
        lambda init: ConvGenerator2d(16, (1, 16, 16), width=32, num_upsamples=2, init=init),
        lambda init: ConvCritic2d((1, 16, 16), width=32, num_downsamples=2, init=init),
    ],
)
def test_dcgan_init_is_the_default_and_can_be_turned_off(make):
    torch.manual_seed(0)
    convs = [
        m.weight for m in make("dcgan").modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))
    ]
    assert all(abs(w.std().item() - 0.02) < 0.005 for w in convs)
    assert make("dcgan").config["init"] == "dcgan"
    default = [
        m.weight
        for m in make("default").modules()
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))
    ]
    assert any(abs(w.std().item() - 0.02) > 0.01 for w in default)
    with pytest.raises(ValueError, match="init must be"):
        make("xavier")


@pytest.mark.slow
def test_conditional_blocks_compile_with_fullgraph_on_cpu() -> None:
    """No host sync nor graph break in forward: the label value check is skipped when compiling."""
    torch.compiler.reset()
    g = ConvGenerator2d(8, (1, 16, 16), num_classes=3, width=8, num_upsamples=2).eval()
    critic = ConvCritic2d((1, 16, 16), num_classes=3, width=4, num_downsamples=2).eval()
    z, y = g.sample_latent(4), torch.tensor([0, 1, 2, 1])
    compiled_g = torch.compile(g, fullgraph=True)
    compiled_critic = torch.compile(critic, fullgraph=True)
    with torch.no_grad():
        x = compiled_g(z, y)
        torch.testing.assert_close(x, g(z, y), rtol=1e-4, atol=1e-5)
        torch.testing.assert_close(compiled_critic(x, y), critic(x, y), rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match=r"\[0, 3\)"):  # eager CPU calls still check values
        g(z, torch.tensor([0, 1, 2, 3]))
