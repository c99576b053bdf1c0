"""Differentiable augmentation (audiogan.augment): transforms, pipeline, ADA, and the Trainer hook."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.utils.data import DataLoader

from audiogan.augment import (
    AdaptiveAugment,
    Augment,
    FrequencyMask,
    Polarity,
    SpectrogramGain,
    TimeMask,
    TimeShift,
    Transpose,
    WaveformGain,
    augment_from_names,
    augment_names,
    shift_along,
)
from audiogan.losses import GradientPenalty, LeCamPenalty, Penalties, Wasserstein
from audiogan.train.trainer import Trainer

TESTS = Path(__file__).parent
sys.path.insert(0, str(TESTS))
from test_resume import NoisyLabelled  # noqa: E402
from test_trainer import TinyCritic, TinyGenerator, make_loader  # noqa: E402
from test_trainer_paired import TIME, TwoScaleCritic, Upsampler, inputs_of  # noqa: E402

SPEC = (6, 2, 16, 24)  # (batch, channels, freq, frames)
WAVE = (6, 1, 200)  # (batch, channels, num_samples)
ROLL = (6, 2, 2, 8, 12)  # (batch, tracks, bars, steps, pitches)
SMALL = {3: (3, 1, 12), 4: (3, 1, 4, 6), 5: (3, 1, 2, 3, 5)}  # one of each layout, small

#: Every transform, at p=1, on an input of its layout.
CASES = [
    (TimeShift(0.25, mode="circular", p=1.0), SPEC),
    (TimeShift(0.25, mode="zeros", fill=-1.0, p=1.0), SPEC),
    (TimeShift(0.25, mode="zeros", p=1.0), WAVE),
    (TimeShift(0.25, mode="circular", p=1.0), ROLL),
    (TimeMask(0.3, fill=-1.0, p=1.0), SPEC),
    (TimeMask(0.3, p=1.0), WAVE),
    (FrequencyMask(0.3, fill=-1.0, p=1.0), SPEC),
    (SpectrogramGain(0.2, p=1.0), SPEC),
    (WaveformGain(6.0, p=1.0), WAVE),
    (Polarity(p=1.0), WAVE),
    (Transpose(3, p=1.0), ROLL),
]
IDS = [f"{type(t).__name__}-{len(shape)}d-{i}" for i, (t, shape) in enumerate(CASES)]


# ------------------------------------------------------------------ every transform


@pytest.mark.parametrize(("transform", "shape"), CASES, ids=IDS)
def test_gradients_flow_through_every_transform(transform, shape):
    torch.manual_seed(0)
    shape = SMALL[len(shape)]  # gradcheck's numerical Jacobian is (numel, numel)
    x = torch.randn(shape, dtype=torch.float64, requires_grad=True)
    draw = transform.draw(shape[0], "cpu", torch.Generator().manual_seed(3))
    # for a fixed draw each transform is differentiable in x (a gather, a mask, an affine map)
    assert torch.autograd.gradcheck(lambda t: transform.apply(t, draw), (x,))
    weights = torch.randn(shape, dtype=torch.float64)
    (transform.apply(x, draw) * weights).sum().backward()
    assert torch.isfinite(x.grad).all()
    assert x.grad.abs().sum() > 0  # the gradient reaches the input (not blocked everywhere)


@pytest.mark.parametrize(("transform", "shape"), CASES, ids=IDS)
@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**31 - 1))
def test_p_zero_is_the_identity(transform, shape, seed):
    x = torch.randn(shape, generator=torch.Generator().manual_seed(seed))
    generator = torch.Generator().manual_seed(seed)
    off = transform.apply(x, transform.draw(shape[0], "cpu", generator, p=0.0))
    assert torch.equal(off, x)


def test_p_zero_pipeline_and_ada_are_the_identity():
    x = torch.randn(SPEC)
    pipeline = augment_from_names("shift,roll,mask,gain", p=0.0)
    assert torch.equal(pipeline(x), x)
    assert torch.equal(AdaptiveAugment(augment_from_names("shift,mask,gain", p=1.0))(x), x)


@pytest.mark.parametrize(("transform", "shape"), CASES, ids=IDS)
def test_one_draw_is_applied_alike_to_paired_tensors(transform, shape):
    torch.manual_seed(0)
    x = torch.randn(shape)
    a, b = transform(x, x.clone())
    assert torch.equal(a, b)
    assert not torch.equal(a, x) or isinstance(transform, TimeShift)  # (a shift may draw 0)
    g1, g2 = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    assert torch.equal(transform(x, generator=g1), transform(x, generator=g2))  # seeded


def test_a_time_draw_moves_a_waveform_and_its_frames_by_the_same_time():
    hop, frames = 8, 32
    shift = TimeShift(0.5, mode="circular", p=1.0)
    draw = shift.draw(16, "cpu", torch.Generator().manual_seed(0))
    wave = torch.zeros(16, 1, hop * frames)
    wave[..., 0] = 1.0  # an impulse at sample 0
    spec = torch.zeros(16, 1, 4, frames)
    spec[..., 0] = 1.0  # at frame 0
    wave_at = shift.apply(wave, draw)[:, 0].argmax(-1)  # (batch,) where the impulse went
    frame_at = shift.apply(spec, draw)[:, 0, 0].argmax(-1)
    moved_samples = (wave_at + hop * frames // 2) % (hop * frames) - hop * frames // 2
    moved_frames = (frame_at + frames // 2) % frames - frames // 2
    assert ((moved_samples - hop * moved_frames).abs() <= hop // 2).all()
    assert moved_frames.abs().max() > 0


def test_paired_augmentation_through_the_pipeline_and_ada():
    x = torch.randn(SPEC)
    for augment in (
        augment_from_names("shift,mask,gain", p=1.0),
        AdaptiveAugment(augment_from_names("shift,mask,gain"), p=1.0),
    ):
        a, b = augment(x, x.clone())
        assert torch.equal(a, b) and not torch.equal(a, x)


# ------------------------------------------------------------------ what each transform does


def test_time_shift_is_a_per_sample_roll_or_a_filled_shift():
    x = torch.randn(SPEC)
    circular = TimeShift(0.5, mode="circular", p=1.0)
    draw = circular.draw(SPEC[0], "cpu", torch.Generator().manual_seed(1))
    shifts = torch.round(draw["fraction"] * SPEC[-1]).long()
    out = circular.apply(x, draw)
    for b in range(SPEC[0]):
        assert torch.equal(out[b], torch.roll(x[b], int(shifts[b]), dims=-1))
    filled = TimeShift(0.5, mode="zeros", fill=-1.0, p=1.0).apply(x, draw)
    for b in range(SPEC[0]):
        k = int(shifts[b])
        expected = torch.full_like(x[b], -1.0)
        if k >= 0:
            expected[..., k:] = x[b][..., : SPEC[-1] - k]
        else:
            expected[..., :k] = x[b][..., -k:]
        assert torch.equal(filled[b], expected)


def test_a_piano_roll_shifts_across_bar_lines():
    x = torch.randn(ROLL)
    shift = TimeShift(0.5, mode="circular", p=1.0)
    draw = shift.draw(ROLL[0], "cpu", torch.Generator().manual_seed(2))
    flat = x.flatten(2, 3)  # (batch, tracks, bars * steps, pitches)
    shifts = torch.round(draw["fraction"] * flat.shape[2]).long()
    out = shift.apply(x, draw)
    for b in range(ROLL[0]):
        expected = torch.roll(flat[b], int(shifts[b]), dims=1).view(ROLL[1:])
        assert torch.equal(out[b], expected)


def test_masks_cover_one_band_within_the_limit():
    x = torch.zeros(64, 1, 20, 40)
    for mask, dim, length in (
        (TimeMask(0.25, 1.0, 1.0), -1, 40),
        (FrequencyMask(0.25, 1.0, 1.0), -2, 20),
    ):
        out = mask(x)
        masked = out.amax(dim=(1, 2) if dim == -1 else (1, 3))  # (batch, length): 1 in the band
        widths = masked.sum(-1)
        assert (widths <= round(0.25 * length)).all() and widths.max() > 0
        runs = (masked.diff(dim=-1) != 0).sum(-1)  # one contiguous band: at most 2 edges
        assert (runs <= 2).all()
        # the band spans every other axis
        assert torch.equal(out.amin(dim=(1, 2) if dim == -1 else (1, 3)), masked)


def test_gains_and_polarity():
    x = torch.randn(SPEC)
    gain = SpectrogramGain(0.2, p=1.0)
    draw = gain.draw(SPEC[0], "cpu")
    assert torch.allclose(
        gain.apply(x, draw) - x, draw["offset"].view(-1, 1, 1, 1).expand_as(x), atol=1e-6
    )
    wave = torch.randn(WAVE)
    wave_gain = WaveformGain(6.0, p=1.0)
    draw = wave_gain.draw(WAVE[0], "cpu")
    ratio = wave_gain.apply(wave, draw) / wave
    assert torch.allclose(ratio, (10 ** (draw["db"] / 20)).view(-1, 1, 1).expand_as(wave))
    flip = Polarity(p=0.5)
    draw = flip.draw(WAVE[0], "cpu", torch.Generator().manual_seed(0))
    signs = torch.where(draw["active"], -1.0, 1.0).view(-1, 1, 1)
    assert torch.equal(flip.apply(wave, draw), wave * signs)


def test_transpose_moves_notes_and_drops_what_leaves_the_range():
    roll = -torch.ones(1, 1, 1, 2, 12)
    roll[..., 0, 10] = 1.0  # a note near the top
    roll[..., 1, 1] = 1.0  # one near the bottom
    up = Transpose(3, p=1.0)
    draw = {"active": torch.tensor([True]), "semitones": torch.tensor([2.0])}
    out = up.apply(roll, draw)
    assert out[..., 0, :].max() == -1  # 10 + 2 = 12 is past the top: dropped
    assert out[..., 1, 3] == 1 and out[..., 1, :].sum() == -10
    draws = Transpose(3, p=1.0).draw(4000, "cpu", torch.Generator().manual_seed(0))["semitones"]
    assert set(draws.tolist()) == set(range(-3, 4))  # uniform over -3 ... 3


def test_shift_along_matches_roll():
    x = torch.arange(10.0).repeat(3, 1)
    out = shift_along(x, torch.tensor([0, 3, -2]), dim=1)
    for b, k in enumerate((0, 3, -2)):
        assert torch.equal(out[b], torch.roll(x[b], k))


@pytest.mark.parametrize(("transform", "shape"), CASES, ids=IDS)
def test_a_wrong_layout_is_an_error_naming_the_expected_axes(transform, shape):
    bad = torch.randn(shape[:2])  # (batch, channels): no transform takes it
    with pytest.raises(ValueError, match=r"expected \(batch, "):
        transform(bad)
    with pytest.raises(ValueError, match="draw is for a batch of 3"):
        transform.apply(torch.randn(shape), transform.draw(3, "cpu"))


def test_bad_settings_and_names_are_errors():
    with pytest.raises(ValueError, match="p must be a probability"):
        TimeShift(p=1.5)
    with pytest.raises(ValueError, match="mode must be"):
        TimeShift(mode="reflect")
    with pytest.raises(ValueError, match="known: shift, roll, mask"):
        augment_from_names("shift,blur")
    with pytest.raises(ValueError, match="Transform objects"):
        Augment([nn.Identity()])
    assert augment_names("waveform") == ["shift", "roll", "gain", "polarity"]
    assert len(augment_from_names("")(torch.randn(SPEC)).shape) == 4  # empty: no transforms


def test_per_sample_probability():
    draw = TimeMask(p=0.3).draw(20000, "cpu", torch.Generator().manual_seed(0))
    assert abs(draw["active"].float().mean().item() - 0.3) < 0.02
    assert (draw["width"][~draw["active"]] == 0).all()


# ------------------------------------------------------------------ adaptive augmentation


def _ada(**kw) -> AdaptiveAugment:
    options = {"target": 0.6, "interval": 2, "kimg": 1.0, **kw}
    return AdaptiveAugment(augment_from_names("shift,mask,gain"), **options)


def test_ada_follows_its_formula():
    ada = _ada(interval=4, kimg=2.0)
    for k in range(1, 13):
        ada.observe(torch.full((8,), 3.0))  # r_t = 1 > 0.6
        intervals = k // 4
        assert float(ada.p) == pytest.approx(intervals * 8 * 4 / 2000)
    assert float(ada.last_signal) == 1.0


def test_ada_rises_when_the_critic_separates_and_falls_when_it_does_not():
    torch.manual_seed(0)
    ada = _ada(p=0.5)
    for _ in range(20):  # the critic calls every real real: r_t = 1
        ada.observe(torch.rand(16) + 0.1)
    high = float(ada.p)
    assert high > 0.5
    for _ in range(20):  # it cannot tell: signs at random, r_t ~ 0 < 0.6
        ada.observe(torch.randn(16))
    assert float(ada.p) < high
    for _ in range(200):
        ada.observe(torch.randn(16))
    assert float(ada.p) == 0.0  # clamped at 0


def test_ada_midpoint_signal_ignores_a_constant_offset():
    torch.manual_seed(0)
    sign, midpoint = _ada(p=0.5), _ada(p=0.5, signal="midpoint")
    for _ in range(20):  # a Wasserstein critic that cannot separate, its scores shifted by +50
        real, fake = torch.randn(16) + 50, torch.randn(16) + 50
        sign.observe(real, fake)
        midpoint.observe(real, fake)
    assert float(sign.p) > 0.5  # ADA's sign reads the offset as overfitting
    assert float(midpoint.p) < 0.5  # the midpoint signal does not
    separated = _ada(signal="midpoint")
    for _ in range(10):
        separated.observe(torch.randn(16) + 60, torch.randn(16) + 50)
    assert float(separated.p) > 0
    with pytest.raises(ValueError, match="needs the fake scores"):
        separated.observe(torch.randn(16))


def test_ada_state_dict_round_trip_and_ensemble_scores():
    ada = _ada(interval=3)
    for _ in range(4):  # one adjustment, and one observation into the next interval
        ada.observe([torch.ones(4, 5), torch.ones(4)])  # two sub-critics, patch scores
    state = ada.state_dict()
    fresh = _ada(interval=3)
    fresh.load_state_dict(state)
    assert fresh.observations == 4 and torch.equal(fresh.p, ada.p)
    assert torch.equal(fresh.sums, ada.sums) and fresh.sums[1] == 24  # 4 * 5 + 4 signs
    for a in (ada, fresh):
        a.observe(torch.ones(4))
        a.observe(torch.ones(4))
    assert torch.equal(fresh.p, ada.p)


# ------------------------------------------------------------------ the Trainer


class Plus(nn.Module):
    """An "augmentation" that adds 100 and counts its calls: shows where the Trainer uses it."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[int] = []

    def forward(self, *tensors: torch.Tensor):
        self.calls.append(len(tensors))
        out = tuple(t + 100.0 for t in tensors)
        return out[0] if len(out) == 1 else out


class SpyCritic(TinyCritic):
    def __init__(self) -> None:
        super().__init__()
        self.smallest: list[float] = []

    def forward(self, x, labels=None):
        if self.training:  # not the Trainer's first-fit check (eval mode, before the first step)
            self.smallest.append(float(x.detach().min()))
        return super().forward(x, labels)


def test_the_trainer_augments_real_and_fake_before_every_critic_call(tmp_path):
    torch.manual_seed(0)
    critic, augment = SpyCritic(), Plus()
    trainer = Trainer(
        TinyGenerator(),
        critic,
        Wasserstein(),
        Penalties(GradientPenalty(10.0), LeCamPenalty(0.3)),
        critic_steps=2,
        augment=augment,
        out_dir=tmp_path,
        device="cpu",
    )
    trainer.fit(make_loader(n=8, batch=2), steps=2)
    # critic calls: real, fake, GP interpolates, LeCam real and fake; then the generator's fake
    assert len(critic.smallest) == 2 * (2 * 5 + 1)
    assert min(critic.smallest) > 90  # every input the critic saw was augmented (+100)
    assert augment.calls == [1, 1, 1, 1, 1] * 2  # real, fake (x2 critic steps), fake


def test_a_paired_gan_augments_its_real_and_fake_with_one_draw(tmp_path):
    torch.manual_seed(0)
    augment = Plus()
    real = torch.rand(8, 1, TIME) * 2 - 1
    trainer = Trainer(
        Upsampler(),
        TwoScaleCritic(),
        Wasserstein(),
        None,
        generator_input=inputs_of,
        weight_clip=0.1,
        augment=augment,
        out_dir=tmp_path,
        device="cpu",
    )
    trainer.fit(DataLoader(real, batch_size=4), steps=2)
    assert augment.calls == [2, 2] * 2  # (real, fake) together: critic step, generator step


def test_ada_in_the_trainer_rises_against_an_overfitting_critic(tmp_path):
    torch.manual_seed(0)
    ada = AdaptiveAugment(augment_from_names("shift,mask,gain"), interval=1, kimg=0.1)
    trainer = Trainer(
        TinyGenerator(),
        TinyCritic(),
        Wasserstein(),
        GradientPenalty(10.0),
        augment=ada,
        critic_lr=1e-2,
        generator_lr=1e-6,  # the generator barely moves: the critic separates easily
        out_dir=tmp_path,
        device="cpu",
    )
    with torch.no_grad():
        trainer.critic.head.bias.fill_(5.0)  # every score positive: ADA's sign says "overfit"
    trainer.fit(make_loader(n=16, batch=4), steps=8)
    assert trainer.metrics["augment_p"] > 0
    assert float(ada.p) == pytest.approx(min(1.0, 8 * 4 / 100))
    assert [h["augment_p"] for h in trainer.history] == sorted(
        h["augment_p"] for h in trainer.history
    )


def _resumable(out_dir: Path) -> Trainer:
    torch.manual_seed(0)
    ada = AdaptiveAugment(
        augment_from_names("shift,mask,gain"), interval=3, kimg=0.1, p=0.5, signal="midpoint"
    )
    return Trainer(
        TinyGenerator(num_classes=3),
        TinyCritic(num_classes=3, dropout=0.25),
        Wasserstein(),
        Penalties(GradientPenalty(10.0), LeCamPenalty(0.3, interval=2)),
        critic_steps=2,
        ema=0.9,
        augment=ada,
        out_dir=out_dir,
        device="cpu",
        seed=7,
    )


def _loader() -> DataLoader:
    return DataLoader(NoisyLabelled(), batch_size=2, shuffle=True)  # 4 steps per epoch


@pytest.mark.parametrize("stop_at", [3, 4])
def test_resume_with_ada_and_lecam_is_exact(tmp_path, stop_at):
    straight = _resumable(tmp_path / "straight").fit(_loader(), steps=8)
    assert 0 < float(straight.augment.p) < 1  # p moved, and not to a bound
    first = _resumable(tmp_path / "resumed").fit(_loader(), steps=stop_at)
    assert first.step == stop_at
    resumed = _resumable(tmp_path / "resumed")
    resumed.fit(_loader(), steps=8)  # resume="auto"
    for name in ("generator", "critic", "augment", "penalty"):
        a, b = getattr(straight, name).state_dict(), getattr(resumed, name).state_dict()
        assert a.keys() == b.keys()
        for key in a:
            if isinstance(a[key], torch.Tensor):
                assert torch.equal(a[key], b[key]), f"{name}.{key} differs"
            else:
                assert a[key] == b[key], f"{name}.{key} differs"
    assert straight.history == resumed.history
    assert straight.augment.observations == resumed.augment.observations == 16
    assert straight.penalty.calls == 16


def test_the_trainer_rejects_an_augment_that_cannot_be_called(tmp_path):
    with pytest.raises(ValueError, match="augment must be"):
        Trainer(
            TinyGenerator(),
            TinyCritic(),
            Wasserstein(),
            GradientPenalty(),
            augment=3,
            out_dir=tmp_path,
            device="cpu",
        )


# ------------------------------------------------------------------ the recipe setting

TINY = [
    *("--device", "cpu", "--steps", "2"),
    *("--set", "clips_per_class=4", "--set", "batch_size=4", "--set", "critic_steps=2"),
    *("--set", "n_mels=16", "--set", "frames=16", "--set", "width=4", "--set", "every=2"),
]


def test_the_wgan_gp_recipe_takes_augment_ada_and_lecam_settings(tmp_path, capsys):
    from audiogan.cli import main
    from audiogan.train import load_checkpoint

    settings_ = ["augment=shift,mask,gain", "ada_target=0.6", "ada_kimg=0.01", "lecam=0.3"]
    extra = [a for s in settings_ for a in ("--set", s)]
    status = main(["train", "wgan-gp", "--out", str(tmp_path / "run"), *TINY, *extra])
    out, err = capsys.readouterr()
    assert status == 0, out + err
    state = load_checkpoint(tmp_path / "run" / "checkpoints" / "step_00000002.pt")
    assert state["augment"]["p"].shape == () and state["augment"]["_extra_state"] == {
        "observations": 4
    }
    assert state["penalty"]["stateful.0.anchor_real"].shape == (1,)
    assert all("augment_p" in h for h in state["history"])

    status = main(
        ["train", "wgan-gp", "--out", str(tmp_path / "bad"), *TINY, "--set", "augment=blur"]
    )
    out, err = capsys.readouterr()
    assert status != 0 and "unknown spectrogram augmentation 'blur'" in out + err


@pytest.mark.parametrize("name", ["onehot-cgan", "resnet9-gan"])
def test_the_other_spectrogram_gans_take_the_settings_too(name, tmp_path):
    from audiogan.recipes import configure, get_recipe

    recipe = get_recipe(name)
    settings_ = {"clips_per_class": "4", "n_mels": "16", "frames": "16", "out": str(tmp_path)}
    settings_ |= {"augment": "roll,gain", "ada_target": "0.6", "lecam": "0.3"}
    trainer = recipe.build(configure(recipe, overrides=settings_)).trainer
    assert isinstance(trainer.augment, AdaptiveAugment)
    assert len(trainer.augment.augment.transforms) == 2
    lecam = (
        trainer.penalty if isinstance(trainer.penalty, LeCamPenalty) else trainer.penalty.members[1]
    )
    assert isinstance(lecam, LeCamPenalty) and lecam.weight == 0.3


@pytest.mark.parametrize("name", ["wgan-gp", "resnet9-gan"])
def test_auto_augment_turns_ada_on_for_small_folders_only(name, tmp_path):
    from audiogan.recipes import configure, get_recipe

    recipe = get_recipe(name)
    settings_ = {"clips_per_class": "4", "n_mels": "16", "frames": "16", "out": str(tmp_path)}
    settings_ |= {"augment": "auto", "auto_augment_clips": "4"}
    trainer = recipe.build(configure(recipe, overrides=settings_)).trainer
    assert isinstance(trainer.augment, AdaptiveAugment)  # 4 clips a class: at most 4
    assert trainer.augment.target == 0.3 and trainer.augment.signal == "midpoint"
    names = [type(t).__name__ for t in trainer.augment.augment.transforms]
    assert names == ["TimeShift", "TimeMask", "FrequencyMask", "SpectrogramGain"]
    settings_ |= {"ada_target": "0.5"}
    assert recipe.build(configure(recipe, overrides=settings_)).trainer.augment.target == 0.5
    settings_ |= {"clips_per_class": "5"}  # more clips than auto_augment_clips: off
    assert recipe.build(configure(recipe, overrides=settings_)).trainer.augment is None


def test_auto_augment_reads_the_smallest_class_of_a_folder(tmp_path):
    import numpy as np
    import soundfile as sf

    from audiogan.recipes import ConfigError, configure, get_recipe
    from audiogan.recipes.spectrogram import augmentation, spectrogram_data

    for word, count in (("yes", 6), ("no", 3)):
        (tmp_path / "data" / word).mkdir(parents=True)
        for i in range(count):
            sf.write(tmp_path / "data" / word / f"{i}.wav", np.zeros(4096, "float32"), 16000)
    recipe = get_recipe("wgan-gp")
    config = configure(
        recipe,
        overrides={"data": str(tmp_path / "data"), "n_mels": "16", "frames": "16"}
        | {"out": str(tmp_path / "run"), "augment": "auto", "auto_augment_clips": "3"},
    )
    assert spectrogram_data(config).smallest_class == 3
    assert isinstance(augmentation(config, 3), AdaptiveAugment)
    assert augmentation(config, 4) is None
    with pytest.raises(ConfigError, match="augment=auto needs the data's clips per class"):
        augmentation(config)
