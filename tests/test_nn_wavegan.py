"""WaveGAN: shapes, lengths, conditioning, phase shuffle, and end-to-end training on raw waveforms."""

from __future__ import annotations

import doctest

import pytest
import soundfile as sf
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.utils.data import DataLoader

import audiogan
from audiogan.data import SyntheticSounds
from audiogan.frontends import Waveform
from audiogan.losses import GradientPenalty, Wasserstein
from audiogan.nn import (
    LabelEmbedding,
    OneHot,
    PhaseShuffle,
    Projection,
    WaveGANCritic,
    WaveGANGenerator,
)
from audiogan.nn import wavegan as wavegan_module
from audiogan.nn.init import batchnorm_layers
from audiogan.nn.wavegan import phase_shuffle, wavegan_strides
from audiogan.protocols import Critic, Generator
from audiogan.train import FakeWriter, Trainer, generate, latest_checkpoint

TINY_G = {"out_shape": (1, 1024), "width": 2}  # generator
TINY_D = {"in_shape": (1, 1024), "width": 2}  # critic


def _n_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def _layers(module: nn.Module, kind: type[nn.Module]) -> list[tuple[int, int, int, int]]:
    return [
        (m.in_channels, m.out_channels, m.kernel_size[0], m.stride[0])
        for m in module.modules()
        if isinstance(m, kind)
    ]


# ----------------------------------------------------------------------------- architecture


def test_paper_size_layers_and_parameter_counts():
    G, D = WaveGANGenerator(), WaveGANCritic()
    assert _layers(G, nn.ConvTranspose1d) == [
        (1024, 512, 25, 4),
        (512, 256, 25, 4),
        (256, 128, 25, 4),
        (128, 64, 25, 4),
        (64, 1, 25, 4),
    ]
    assert G.project.out_features == 1024 * 16
    assert _layers(D, nn.Conv1d) == [
        (1, 64, 25, 4),
        (64, 128, 25, 4),
        (128, 256, 25, 4),
        (256, 512, 25, 4),
        (512, 1024, 25, 4),
    ]
    assert D.score.in_features == 1024 * 16
    assert sum(isinstance(m, PhaseShuffle) and m.max_shift == 2 for m in D.modules()) == 4
    assert _n_params(G) == 19_065_345
    assert _n_params(D) == 17_427_969
    assert batchnorm_layers(G) == [] and batchnorm_layers(D) == []
    assert (G.latent_dim, G.num_classes, G.out_shape, D.in_shape) == (
        100,
        0,
        (1, 16384),
        (1, 16384),
    )


def test_paper_size_forward():
    G, D = WaveGANGenerator(), WaveGANCritic()
    with torch.no_grad():
        wave = G(G.sample_latent(1))
        assert wave.shape == (1, 1, 16384)
        assert wave.abs().max() <= 1
        assert D(wave).shape == (1,)


@pytest.mark.parametrize(
    ("num_samples", "strides"),
    [
        (64, [4]),
        (128, [4, 2]),
        (1024, [4, 4, 4]),
        (16384, [4] * 5),
        (32768, [4] * 5 + [2]),
        (65536, [4] * 6),
    ],
)
def test_lengths(num_samples, strides):
    assert wavegan_strides(num_samples) == strides
    G = WaveGANGenerator(8, (1, num_samples), width=1)
    D = WaveGANCritic((1, num_samples), width=1)
    assert [s for *_, s in _layers(G, nn.ConvTranspose1d)] == strides
    assert [s for *_, s in _layers(D, nn.Conv1d)] == strides
    # channels halve to width before the output, as in the reference's longer slices
    assert G.project.out_features == 16 * 2 ** (len(strides) - 1)
    with torch.no_grad():
        wave = G(G.sample_latent(2))
        assert wave.shape == (2, 1, num_samples)
        assert D(wave).shape == (2,)


@pytest.mark.parametrize("bad", [0, 16, 32, 100, 1000, 2048 * 3, 16384.0, True, "16384"])
def test_bad_num_samples_is_a_clear_error(bad):
    for block in (WaveGANGenerator, WaveGANCritic):
        with pytest.raises(ValueError, match=r"num_samples must be 16 \* 4\*\*k or 32 \* 4\*\*k"):
            block((1, bad), width=1) if block is WaveGANCritic else block(8, (1, bad), width=1)


def test_bad_arguments():
    with pytest.raises(ValueError, match="width must be >= 1"):
        WaveGANGenerator(width=0)
    with pytest.raises(ValueError, match="init must be one of"):
        WaveGANCritic(init="kaiming", **TINY_D)
    with pytest.raises(ValueError, match="upsample must be"):
        WaveGANGenerator(upsample="linear", **TINY_G)
    with pytest.raises(
        ValueError, match=r"phase_shuffle must be an integer >= 0 below 64 \(the shortest"
    ):
        WaveGANCritic(phase_shuffle=64, **TINY_D)
    with pytest.raises(ValueError, match="unsupported norm 'batch'"):
        WaveGANCritic(norm="batch", **TINY_D)


def test_tiny_options_and_shapes():
    z = torch.randn(3, 100)
    for G in (
        WaveGANGenerator(**TINY_G),
        WaveGANGenerator(upsample="resize", norm="batch", **TINY_G),
        WaveGANGenerator(norm="layer", init="dcgan", kernel_size=24, out_shape=(2, 1024), width=2),
    ):
        out = G(z)
        assert out.shape == (3, G.out_shape[0], 1024)
        assert out.abs().max() <= 1
    x = torch.randn(3, 1, 1024)
    for D in (
        WaveGANCritic(**TINY_D),
        WaveGANCritic(norm="spectral", **TINY_D),
        WaveGANCritic(norm="layer", phase_shuffle=0, init="default", **TINY_D),
        WaveGANCritic(norm="instance", kernel_size=24, **TINY_D),
    ):
        assert D(x).shape == (3,)
    with pytest.raises(ValueError, match=r"WaveGANCritic input: expected shape \(\*, 1, 1024\)"):
        WaveGANCritic(**TINY_D)(torch.randn(3, 1024))
    with pytest.raises(ValueError, match=r"WaveGANGenerator latent: expected shape \(\*, 100\)"):
        WaveGANGenerator(**TINY_G)(torch.randn(3, 64))


def test_config_rebuilds_the_blocks():
    for block in (
        WaveGANGenerator(num_classes=3, conditioning=OneHot(3), **TINY_G),
        WaveGANCritic(num_classes=3, conditioning="projection", phase_shuffle=1, **TINY_D),
    ):
        again = type(block)(**block.config)
        assert again.config == block.config
        again.load_state_dict(block.state_dict())


def test_sample_latent_follows_device_and_dtype():
    G = WaveGANGenerator(latent_dim=7, **TINY_G)
    z = G.sample_latent(3)
    assert z.shape == (3, 7) and z.dtype == torch.float32 and z.device.type == "cpu"
    assert G.sample_latent(2, dtype=torch.float64).dtype == torch.float64
    G.double()
    assert G.sample_latent(2).dtype == torch.float64
    assert G(G.sample_latent(2)).dtype == torch.float64
    a = G.sample_latent(4, generator=torch.Generator().manual_seed(3))
    b = G.sample_latent(4, generator=torch.Generator().manual_seed(3))
    torch.testing.assert_close(a, b)


# ----------------------------------------------------------------------------- conditioning


@pytest.mark.parametrize(
    "conditioning",
    ["embedding", "onehot", OneHot(3), LabelEmbedding(3, 5)],
    ids=["embedding", "onehot", "OneHot", "LabelEmbedding"],
)
def test_conditional_generator(conditioning):
    num_classes = 0 if isinstance(conditioning, nn.Module) else 3
    G = WaveGANGenerator(latent_dim=8, num_classes=num_classes, conditioning=conditioning, **TINY_G)
    assert G.num_classes == 3
    z = G.sample_latent(1).repeat(3, 1)
    out = G(z, torch.tensor([0, 1, 2]))
    assert out.shape == (3, 1, 1024)
    assert not torch.allclose(out[0], out[1])  # the label changes the sound
    with pytest.raises(ValueError, match="labels .* are required"):
        G(z)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\)"):
        G(z, torch.tensor([0, 1, 3]))
    with pytest.raises(ValueError, match="labels must be integer class indices"):
        G(z, torch.zeros(3))


@pytest.mark.parametrize(
    "conditioning",
    [
        "embedding",
        "onehot",
        "projection",
        OneHot(3),
        LabelEmbedding(3, 4),
        LabelEmbedding(3, 4, map_size=(1024,)),
        Projection(3, 8),
    ],
    ids=["embedding", "onehot", "projection", "OneHot", "LabelEmbedding", "track", "Projection"],
)
def test_conditional_critic(conditioning):
    num_classes = 0 if isinstance(conditioning, nn.Module) else 3
    D = WaveGANCritic(num_classes=num_classes, conditioning=conditioning, **TINY_D).eval()
    assert D.num_classes == 3
    if conditioning == "embedding":
        assert D.label_maps.map_channels == 1 and D.features[0].in_channels == 2
    x = torch.randn(1, 1, 1024).repeat(3, 1, 1)
    scores = D(x, torch.tensor([0, 1, 2]))
    assert scores.shape == (3,)
    assert not torch.allclose(scores[0], scores[1])
    with pytest.raises(
        ValueError, match=r"WaveGANCritic labels: expected shape \(3\) \(batch,\), got \(2,\)"
    ):
        D(x, torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="labels .* are required"):
        D(x)


def test_unconditional_blocks_refuse_labels_and_mismatched_conditioning():
    with pytest.raises(ValueError, match="unconditional"):
        WaveGANGenerator(**TINY_G)(torch.randn(2, 100), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="unconditional"):
        WaveGANCritic(**TINY_D)(torch.randn(2, 1, 1024), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="the projection works on 4 features"):
        WaveGANCritic(conditioning=Projection(3, 4), **TINY_D)
    with pytest.raises(ValueError, match="label maps have size"):
        WaveGANCritic(conditioning=LabelEmbedding(3, 4, map_size=(512,)), **TINY_D)
    with pytest.raises(ValueError, match="out_features"):
        WaveGANGenerator(conditioning=Projection(3, 4), **TINY_G)


def test_gradients_reach_every_parameter():
    G = WaveGANGenerator(latent_dim=8, num_classes=3, **TINY_G)
    D = WaveGANCritic(num_classes=3, conditioning="embedding", **TINY_D)
    P = WaveGANCritic(num_classes=3, conditioning="projection", **TINY_D)
    labels = torch.tensor([0, 2, 1, 1])
    wave = G(G.sample_latent(4), labels)
    (D(wave, labels).sum() + P(wave, labels).sum()).backward()
    for name, module in (("G", G), ("D", D), ("P", P)):
        for pname, p in module.named_parameters():
            assert p.grad is not None, f"{name}.{pname} got no gradient"
            assert torch.isfinite(p.grad).all(), f"{name}.{pname}"
            assert p.grad.abs().sum() > 0, f"{name}.{pname} got a zero gradient"


def test_critic_is_random_in_training_only():
    D = WaveGANCritic(**TINY_D)
    x = torch.randn(8, 1, 1024)
    torch.manual_seed(1)
    a = D(x)
    torch.manual_seed(1)
    torch.testing.assert_close(D(x), a)  # the torch RNG drives phase shuffle: seeding repeats it
    assert not torch.allclose(D(x), a)
    D.eval()
    torch.testing.assert_close(D(x), D(x))
    torch.testing.assert_close(D(x[:3]), D(x)[:3])  # no batch statistics: items are independent


# ----------------------------------------------------------------------------- phase shuffle


def _reference_shift(x: torch.Tensor, k: int) -> torch.Tensor:
    """One item ``(channels, time)`` shifted by ``k`` as the reference code does it: reflect-pad
    ``k`` samples on the left (``-k`` on the right), then keep ``time`` samples from the left."""
    left, right = max(k, 0), max(-k, 0)
    padded = F.pad(x[None], (left, right), mode="reflect")[0] if k else x
    return padded[:, right : right + x.shape[-1]]


def test_phase_shuffle_shifts_each_item_with_reflect_padding():
    x = torch.randn(40, 3, 20)
    torch.manual_seed(5)
    out = PhaseShuffle(3)(x)
    torch.manual_seed(5)
    shifts = torch.randint(-3, 4, (40,))
    assert len(set(shifts.tolist())) > 1  # items draw their own shift
    for item, k, got in zip(x, shifts.tolist(), out, strict=True):
        torch.testing.assert_close(got, _reference_shift(item, k), rtol=0, atol=0)
        if k > 0:  # delayed: the start mirrors x[k], x[k-1] ... about the first sample
            torch.testing.assert_close(got[:, k:], item[:, :-k], rtol=0, atol=0)
            torch.testing.assert_close(got[:, :k], item[:, 1 : k + 1].flip(-1), rtol=0, atol=0)
        elif k < 0:
            torch.testing.assert_close(got[:, :k], item[:, -k:], rtol=0, atol=0)
            torch.testing.assert_close(got[:, k:], item[:, k - 1 : -1].flip(-1), rtol=0, atol=0)


def test_phase_shuffle_draws_every_shift_in_range_for_all_channels_alike():
    max_shift, time = 2, 16
    x = torch.arange(time, dtype=torch.float32).repeat(500, 4, 1)  # (500, 4, 16): position values
    out = PhaseShuffle(max_shift=max_shift)(x)
    shifts = time // 2 - out[:, :, time // 2]  # out[t] = x[t - k]
    assert torch.equal(shifts, shifts[:, :1].expand_as(shifts))  # one shift per item
    assert set(shifts[:, 0].long().tolist()) == set(range(-max_shift, max_shift + 1))


def test_phase_shuffle_is_identity_in_eval_mode_and_with_zero():
    x = torch.randn(4, 2, 10)
    assert PhaseShuffle(2).eval()(x) is x
    assert PhaseShuffle(0)(x) is x
    assert phase_shuffle(x, torch.zeros(4, dtype=torch.long), 0) is x


def test_phase_shuffle_errors():
    with pytest.raises(ValueError, match="max_shift must be an integer >= 0"):
        PhaseShuffle(-1)
    with pytest.raises(ValueError, match=r"PhaseShuffle input: expected shape \(\*, \*, \*\)"):
        PhaseShuffle(2)(torch.randn(4, 10))
    with pytest.raises(ValueError, match=r"radius must be in \[0, time\)"):
        PhaseShuffle(4)(torch.randn(2, 1, 4))
    with pytest.raises(ValueError, match=r"shifts must lie in \[-1, 1\]"):
        phase_shuffle(torch.randn(2, 1, 8), torch.tensor([0, 2]), 1)
    with pytest.raises(ValueError, match="shifts must be integers"):
        phase_shuffle(torch.randn(2, 1, 8), torch.tensor([0.0, 1.0]), 1)


@settings(max_examples=30, deadline=None)
@given(
    time=st.integers(2, 12),
    data=st.data(),
)
def test_phase_shuffle_matches_the_reference_for_any_shifts(time, data):
    radius = data.draw(st.integers(0, time - 1))
    ks = data.draw(st.lists(st.integers(-radius, radius), min_size=1, max_size=4))
    x = torch.randn(len(ks), 2, time, generator=torch.Generator().manual_seed(time))
    out = phase_shuffle(x, torch.tensor(ks), radius)
    for item, k, got in zip(x, ks, out, strict=True):
        assert torch.equal(got, _reference_shift(item, k))


def test_phase_shuffle_gradcheck():
    x = torch.randn(3, 2, 9, dtype=torch.float64, requires_grad=True)
    shifts = torch.tensor([-2, 0, 2])
    assert torch.autograd.gradcheck(lambda t: phase_shuffle(t, shifts, 2), (x,))


def test_module_doctest():
    result = doctest.testmod(wavegan_module, verbose=False)
    assert result.attempted > 0 and result.failed == 0


def test_exports_and_protocols():
    assert audiogan.WaveGANGenerator is WaveGANGenerator
    assert audiogan.WaveGANCritic is WaveGANCritic
    assert audiogan.Waveform is Waveform
    assert isinstance(WaveGANGenerator(**TINY_G), Generator)
    assert isinstance(WaveGANCritic(**TINY_D), Critic)


# ----------------------------------------------------------------------------- end to end


def _sounds() -> SyntheticSounds:
    return SyntheticSounds(2, sample_rate=16000, num_samples=1024)  # 10 items ((1, 1024), label)


def _trainer(out_dir, num_classes: int, callbacks=()) -> Trainer:
    torch.manual_seed(0)  # the same initial weights in every run
    G = WaveGANGenerator(latent_dim=16, num_classes=num_classes, **TINY_G)
    D = WaveGANCritic(num_classes=num_classes, **TINY_D)
    return Trainer(
        G,
        D,
        Wasserstein(),
        GradientPenalty(),
        critic_steps=2,
        preprocess=Waveform(16000, 1024),
        callbacks=callbacks,
        out_dir=out_dir,
        device="cpu",
        seed=0,
        metadata={"class_names": list(_sounds().classes)} if num_classes else None,
    )


def _check_wavs(paths, names) -> None:
    assert sorted(p.name for p in paths) == sorted(f"{n}.wav" for n in names)
    for path in paths:
        audio, rate = sf.read(path)
        assert rate == 16000 and audio.shape == (1024,)
        assert abs(audio).max() <= 1


def _waves_only(items: list) -> torch.Tensor:
    """Collate ``((1, time), label)`` items into waveforms ``(batch, 1, time)``, labels dropped."""
    return torch.stack([wave for wave, _ in items])


@pytest.mark.slow
def test_unconditional_wavegan_trains_resumes_and_generates(tmp_path):
    loader = DataLoader(_sounds(), batch_size=4, shuffle=True, collate_fn=_waves_only)
    first = _trainer(tmp_path / "run", 0).fit(loader, steps=2)
    assert [h["step"] for h in first.history] == [1, 2]
    resumed = _trainer(tmp_path / "run", 0).fit(loader, steps=4)
    assert [h["step"] for h in resumed.history] == [1, 2, 3, 4]
    assert resumed.history[:2] == first.history
    straight = _trainer(tmp_path / "straight", 0).fit(loader, steps=4)
    assert straight.history == resumed.history  # phase shuffle draws from the seeded torch RNG
    assert all(torch.isfinite(torch.tensor(h["critic_loss"])) for h in resumed.history)
    checkpoint = latest_checkpoint(tmp_path / "run" / "checkpoints")
    paths = generate(
        checkpoint, tmp_path / "generated", fakes_per_class=2
    )  # frontend from metadata
    _check_wavs(paths, ["fake_000", "fake_001"])


@pytest.mark.slow
def test_conditional_wavegan_trains_resumes_and_writes_samples(tmp_path):
    classes = _sounds().classes
    loader = DataLoader(_sounds(), batch_size=4, shuffle=True)
    writer = FakeWriter(
        Waveform(16000, 1024), classes, fakes_per_class=1, every=2, unit="step", gallery=False
    )
    _trainer(tmp_path / "run", 5, [writer]).fit(loader, steps=2)
    resumed = _trainer(tmp_path / "run", 5, [writer]).fit(loader, steps=4)
    assert [h["step"] for h in resumed.history] == [1, 2, 3, 4]
    for step in (2, 4):
        folder = tmp_path / "run" / "fakes" / f"step_{step:06d}"
        _check_wavs(sorted(folder.glob("*.wav")), [f"{c}_00" for c in classes])
        assert (folder / "all_classes.png").is_file()
        assert (folder / "siren.png").is_file()
    checkpoint = latest_checkpoint(tmp_path / "run" / "checkpoints")
    paths = generate(checkpoint, tmp_path / "generated", fakes_per_class=1, classes=["siren"])
    _check_wavs(paths, ["siren_000"])
