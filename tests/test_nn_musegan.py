"""MuseGAN blocks: the seed's shapes and parameter counts, its bar/track order, other sizes, errors."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from audiogan.nn.musegan import (
    BarGenerator,
    MuseCritic,
    MuseGenerator,
    RollStreams,
    TemporalNetwork,
)


def n_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def convt(c_in: int, c_out: int, kh: int, kw: int) -> int:
    return c_in * c_out * kh * kw + c_out  # weight + bias


def bn(c: int) -> int:
    return 2 * c


# The seed's layers at its defaults (z 32, generator width 1024 -> bar generators 512,
# linear_width 1024; critic width 128, linear_width 1024), counted layer by layer.
SEED_TEMPORAL = convt(32, 1024, 2, 1) + bn(1024) + convt(1024, 32, 1, 1) + bn(32)
SEED_BAR = (
    (128 * 1024 + 1024)
    + bn(1024)
    + convt(512, 512, 2, 1)
    + bn(512)
    + convt(512, 256, 2, 1)
    + bn(256)
    + convt(256, 256, 2, 1)
    + bn(256)
    + convt(256, 256, 1, 7)
    + bn(256)
    + convt(256, 1, 1, 12)
)
SEED_CRITIC = (
    (4 * 128 * 2 + 128)
    + (128 * 128 * 1 + 128)
    + (128 * 128 * 12 + 128)
    + (128 * 128 * 7 + 128)
    + 2 * (128 * 128 * 2 + 128)
    + (128 * 256 * 4 + 256)
    + (256 * 512 * 3 + 512)
    + (512 * 1024 + 1024)
    + (1024 * 1 + 1)
)


def test_seed_parameter_counts() -> None:
    assert (SEED_TEMPORAL, SEED_BAR, SEED_CRITIC) == (101_472, 1_517_313, 1_446_401)
    g = MuseGenerator()
    assert n_params(g.chords_network) == SEED_TEMPORAL
    assert n_params(g.melody_networks["melodygen_0"]) == SEED_TEMPORAL
    assert n_params(g.bar_generators["bargen_3"]) == SEED_BAR
    assert n_params(g) == 5 * SEED_TEMPORAL + 4 * SEED_BAR == 6_576_612
    assert n_params(MuseCritic()) == SEED_CRITIC


def test_seed_critic_kernels_and_shapes() -> None:
    critic = MuseCritic()
    convs = [m for m in critic.modules() if isinstance(m, nn.Conv3d)]
    assert [c.kernel_size for c in convs] == [
        (2, 1, 1),
        (1, 1, 1),
        (1, 1, 12),
        (1, 1, 7),
        (1, 2, 1),
        (1, 2, 1),
        (1, 4, 1),
        (1, 3, 1),
    ]
    assert [c.stride for c in convs] == [
        (1, 1, 1),
        (1, 1, 1),
        (1, 1, 12),
        (1, 1, 7),
        *[(1, 2, 1)] * 4,
    ]
    assert [m.negative_slope for m in critic.modules() if isinstance(m, nn.LeakyReLU)] == [0.3] * 9
    linears = [m for m in critic.modules() if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(512, 1024), (1024, 1)]
    shapes: list[tuple[int, ...]] = []
    hooks = [
        c.register_forward_hook(lambda m, i, o: shapes.append(tuple(o.shape[1:]))) for c in convs
    ]
    scores = critic(torch.randn(2, 4, 2, 16, 84))
    for h in hooks:
        h.remove()
    assert scores.shape == (2,)
    assert shapes == [
        (128, 1, 16, 84),
        (128, 1, 16, 84),
        (128, 1, 16, 7),
        (128, 1, 16, 1),
        (128, 1, 8, 1),
        (128, 1, 4, 1),
        (256, 1, 2, 1),
        (512, 1, 1, 1),
    ]


def test_seed_generator_layers_and_output() -> None:
    g = MuseGenerator()
    bar = g.bar_generators["bargen_0"]
    convs = [m for m in bar.modules() if isinstance(m, nn.ConvTranspose2d)]
    assert [(c.in_channels, c.out_channels, c.kernel_size, c.stride) for c in convs] == [
        (512, 512, (2, 1), (2, 1)),
        (512, 256, (2, 1), (2, 1)),
        (256, 256, (2, 1), (2, 1)),
        (256, 256, (1, 7), (1, 7)),
        (256, 1, (1, 12), (1, 12)),
    ]
    z = g.sample_latent(2)
    assert [tuple(t.shape) for t in z] == [(2, 32), (2, 32), (2, 4, 32), (2, 4, 32)]
    with torch.no_grad():
        out = g(z)
    assert out.shape == (2, 4, 2, 16, 84)
    assert out.abs().max() <= 1.0


def _seed_order_reference(g: MuseGenerator, z: tuple[torch.Tensor, ...]) -> torch.Tensor:
    """The seed's forward loop over bars and tracks, with tracks cat on dim 1 and bars on dim 2."""
    chords, style, melody, groove = z
    chord_outs = g.chords_network(chords)
    bar_outs = []
    for bar in range(g.bars):
        track_outs = []
        for track in range(g.tracks):
            melody_out = g.melody_networks[f"melodygen_{track}"](melody[:, track, :])[:, :, bar]
            zz = torch.cat([chord_outs[:, :, bar], style, melody_out, groove[:, track, :]], dim=1)
            roll = g.bar_generators[f"bargen_{track}"](zz)  # (B, steps, pitches)
            track_outs.append(
                roll[:, None, None]
            )  # (B, 1, 1, steps, pitches), as the seed reshapes
        bar_outs.append(torch.cat(track_outs, dim=1))
    return torch.tanh(torch.cat(bar_outs, dim=2))


@pytest.mark.parametrize("train", [True, False])
def test_generator_matches_seed_bar_track_order(train: bool) -> None:
    g = MuseGenerator(4, (3, 3, 4, 12), width=8, linear_width=8)
    g.train(train)
    z = g.sample_latent(4)
    with torch.no_grad():
        torch.testing.assert_close(g(z), _seed_order_reference(g, z))


@pytest.mark.parametrize(
    ("tracks", "bars", "steps", "pitches", "linear_width"),
    [(1, 1, 2, 12, 8), (3, 4, 12, 36, 12), (2, 2, 32, 24, 8), (2, 3, 6, 12, 12)],
)
def test_other_sizes(tracks: int, bars: int, steps: int, pitches: int, linear_width: int) -> None:
    shape = (tracks, bars, steps, pitches)
    g = MuseGenerator(4, shape, width=8, linear_width=linear_width)
    critic = MuseCritic(shape, width=4, linear_width=8)
    out = g(g.sample_latent(2))
    assert out.shape == (2, tracks, bars, steps, pitches)
    scores = critic(out)
    assert scores.shape == (2,)
    assert torch.isfinite(scores).all()


@pytest.mark.parametrize("steps", [2, 3, 4, 6, 12, 16, 24, 48, 96])
def test_critic_step_plan_reaches_one(steps: int) -> None:
    critic = MuseCritic((1, 1, steps, 12), width=2, linear_width=4)
    assert critic(torch.randn(1, 1, 1, steps, 12)).shape == (1,)
    assert critic.hidden[0].in_features == 4 * 2  # everything collapsed to one position


def test_temporal_network_shapes() -> None:
    for bars in (1, 2, 5):
        t = TemporalNetwork(3, width=4, bars=bars)
        assert t(torch.randn(2, 3)).shape == (2, 3, bars)


def test_conditional_generator_and_critic_use_labels() -> None:
    g = MuseGenerator(4, (2, 2, 4, 12), width=8, linear_width=8, num_classes=3).eval()
    critic = MuseCritic((2, 2, 4, 12), width=4, linear_width=8, num_classes=3)
    nn.init.normal_(critic.projection.embedding.weight)
    z = g.sample_latent(2)
    a, b = g(z, torch.tensor([0, 1])), g(z, torch.tensor([2, 2]))
    assert not torch.allclose(a, b)
    assert not torch.allclose(critic(a, torch.tensor([0, 1])), critic(a, torch.tensor([2, 2])))


@pytest.mark.parametrize("output", ["softmax", "argmax", "gumbel"])
def test_one_hot_outputs_are_monophonic_voices(output: str) -> None:
    torch.manual_seed(0)
    g = MuseGenerator(4, (3, 2, 8, 24), width=8, linear_width=8, output=output)
    assert g.bar_generators["bargen_0"].rest_head is not None  # one rest logit per step
    z = g.sample_latent(5)
    out = g(z)
    assert out.shape == (5, 3, 2, 8, 24)
    # a distribution over the 24 pitches and a rest: the pitches' share is at most 1
    p = (out + 1) / 2
    assert (p.sum(-1) <= 1 + 1e-5).all() and (p >= 0).all()
    out.sum().backward()  # differentiable (straight-through for argmax and gumbel)
    assert all(q.grad is not None for q in g.bar_generators["bargen_0"].parameters())
    with torch.no_grad():
        hard = g.eval()(z)
    assert set(hard.unique().tolist()) <= {-1.0, 1.0}
    assert ((hard > 0).sum(-1) <= 1).all()  # at most one pitch per voice and step


@pytest.mark.parametrize("output", ["deterministic", "stochastic"])
def test_binary_outputs_are_hard(output: str) -> None:
    g = MuseGenerator(4, (2, 2, 4, 12), width=8, linear_width=8, output=output)
    assert g.bar_generators["bargen_0"].rest_head is None
    out = g(g.sample_latent(3))
    assert set(out.detach().unique().tolist()) <= {-1.0, 1.0}
    out.sum().backward()
    assert g.bar_generators["bargen_0"].project[0].weight.grad is not None


def test_tanh_output_is_the_books_and_keeps_its_parameters() -> None:
    g = MuseGenerator(4, (2, 2, 4, 12), width=8, linear_width=8)
    softmax = MuseGenerator(4, (2, 2, 4, 12), width=8, linear_width=8, output="softmax")
    extra = 2 * (4 + 1)  # a 1x1 rest conv (4 channels -> 1) in each of the 2 bar generators
    assert n_params(softmax) == n_params(g) + extra
    assert g.config["output"] == "tanh" and softmax.config["output"] == "softmax"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"output": "sigmoid"}, "output must be one of"),
        ({"upsample": "bilinear"}, "upsample must be one of"),
        ({"out_shape": (4, 2, 16, 100)}, "multiple of 12"),
        ({"out_shape": (4, 2, 24, 84)}, "linear_width"),
        ({"out_channels": 2}, "out_channels"),
        (
            {"out_shape": (0, 2, 16, 84)},
            r"out_shape \(tracks, bars, steps_per_bar, pitches\) needs tracks >= 1, got \(0, 2, 16, 84\)",
        ),
        ({"out_shape": (4, 0, 16, 84)}, "needs bars >= 1"),
        (
            {"out_shape": (4, 2, 16)},
            r"out_shape must be \(tracks, bars, steps_per_bar, pitches\) \(4 sizes\), got \(4, 2, 16\)",
        ),
        ({"latent_dim": 0}, "latent_dim"),
        ({"linear_width": 10}, "divide"),
    ],
)
def test_generator_errors(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        MuseGenerator(**{"latent_dim": 4, "width": 8, "linear_width": 8, **kwargs})


def test_resize_upsampling_has_no_even_odd_pattern() -> None:
    # A one-step base (linear_width == width) doubled to 8 steps: nearest-neighbour
    # doubling and a conv with replicated edges keep every step alike; the book's stride-2
    # transposed convs give even and odd steps their own weights.
    torch.manual_seed(0)
    z = torch.randn(3, 16)
    resize = BarGenerator(
        4, linear_width=8, width=8, steps_per_bar=8, pitches=12, upsample="resize"
    ).eval()
    out = resize(z)  # (3, 8, 12)
    torch.testing.assert_close(out, out[:, :1].expand_as(out))
    assert resize.config["upsample"] == "resize"
    transposed = BarGenerator(4, linear_width=8, width=8, steps_per_bar=8, pitches=12).eval()
    out = transposed(z)
    assert not torch.allclose(out[:, 0], out[:, 1])
    g = MuseGenerator(4, (2, 2, 8, 12), width=8, linear_width=8, upsample="resize")
    assert g(g.sample_latent(2)).shape == (2, 2, 2, 8, 12)


def test_roll_streams_see_note_changes_and_pitch_classes() -> None:
    x = -torch.ones(1, 2, 2, 8, 24)  # 2 tracks, 2 bars of 8 steps, 24 pitches
    x[0, 0, 0, 0:4, 0] = 1  # C held for 4 steps
    x[0, 0, 0, 4:8, 14] = 1  # then D (an octave up), held across the bar line
    x[0, 0, 1, 0:2, 14] = 1
    maps = RollStreams((2, 2, 8, 24)).maps(x)
    onset = maps["onset"][0, 0]  # (time,)
    assert onset.tolist() == [0.5, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0.5, 0, 0, 0, 0, 0]
    assert maps["onset"][0, 1].abs().sum() == 0  # a silent track never changes
    chroma = maps["chroma"][0, 0]  # (bars, beats, 12): share of each pitch class per beat
    assert chroma.shape == (2, 4, 12)
    assert chroma[0, 0, 0] == 1 and chroma[0, 2, 2] == 1 and chroma[1, 0, 2] == 1
    assert chroma[1, 1].sum() == 0  # a rest


def test_critic_streams_add_features_before_the_hidden_layer() -> None:
    book = MuseCritic((2, 2, 8, 24), width=4, linear_width=8)
    both = MuseCritic((2, 2, 8, 24), width=4, linear_width=8, streams=("onset", "chroma"))
    assert both.hidden[0].in_features == book.hidden[0].in_features + 2 * 4 * 4
    assert both.config["streams"] == ["onset", "chroma"]
    x = torch.randn(3, 2, 2, 8, 24, requires_grad=True)
    score = both(x)
    assert score.shape == (3,)
    (grad,) = torch.autograd.grad(score.sum(), x, create_graph=True)  # the gradient penalty's
    grad.square().sum().backward()
    assert both.streams.readers["onset"][1].weight.grad is not None


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"streams": ("pitch",)}, "streams must be distinct names"),
        ({"streams": ("onset", "onset")}, "streams must be distinct names"),
        ({"in_shape": (4, 2, 16, 30)}, "multiple of 12"),
        ({"in_shape": (4, 2, 5, 84)}, "power of two"),
        ({"in_shape": (4, 2, 1, 84)}, "power of two"),
        ({"in_shape": (4, 2, 20, 84)}, "power of two"),
        (
            {"in_shape": (4, 2, 16, 84, 1)},
            r"in_shape must be \(tracks, bars, steps_per_bar, pitches\)",
        ),
        ({"in_shape": (4, 2, -16, 84)}, "needs steps_per_bar >= 1"),
        ({"out_features": 2}, "out_features"),
    ],
)
def test_critic_errors(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        MuseCritic(**{"width": 4, "linear_width": 8, **kwargs})


def test_forward_errors_name_the_culprit() -> None:
    g = MuseGenerator(4, (2, 2, 4, 12), width=8, linear_width=8)
    chords, style, melody, groove = g.sample_latent(2)
    with pytest.raises(ValueError, match="tuple"):
        g(chords)
    with pytest.raises(ValueError, match="melody"):
        g((chords, style, melody[:, :1], groove))
    with pytest.raises(ValueError, match="style"):
        g((chords, style[:1], melody, groove))
    with pytest.raises(ValueError, match="unconditional"):
        g((chords, style, melody, groove), torch.tensor([0, 1]))
    critic = MuseCritic((2, 2, 4, 12), width=4, linear_width=8, num_classes=2)
    with pytest.raises(ValueError, match=r"MuseCritic input: expected shape \(\*, 2, 2, 4, 12\)"):
        critic(torch.randn(2, 2, 2, 4, 13), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="labels"):
        critic(torch.randn(2, 2, 2, 4, 12))
    with pytest.raises(ValueError, match="BarGenerator input"):
        BarGenerator(4, linear_width=8, width=4, steps_per_bar=4, pitches=12)(torch.randn(2, 15))
