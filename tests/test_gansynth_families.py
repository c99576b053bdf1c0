"""Conditioning GANSynth on an instrument family: joint labels, the networks, the data, the
nearest-centroid family check, and the recipe from training to rendering."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from audiogan.data import NoteFamilies, NoteFolder, SynthNotes, midi_to_hz, parse_note_name
from audiogan.frontends import InstantaneousFrequency
from audiogan.losses import AuxiliaryClassifierCriticLoss, AuxiliaryClassifierGeneratorLoss
from audiogan.metrics import harmonic_profile, nearest_centroid_accuracy, timbre_features
from audiogan.nn import (
    FactoredOneHot,
    FactoredProjection,
    GANSynthCritic,
    GANSynthGenerator,
    LabelFactor,
    Projection,
    join_labels,
    split_labels,
)
from audiogan.render import NoteModel, ScoreNote, render_voices

SHAPE = (2, 32, 16)
SIZES = (5, 3)  # 5 pitches x 3 families: 15 classes

sys.path.insert(0, str(Path(__file__).parent))
from gansynth_toy import TOY as GANSYNTH_TOY  # noqa: E402


def family_networks(
    joint: bool = False, interaction: bool = False
) -> tuple[GANSynthGenerator, GANSynthCritic]:
    g = GANSynthGenerator(
        16,
        SHAPE,
        conditioning=FactoredOneHot(SIZES),
        width=8,
        num_stages=3,
        class_bias=True,
        class_bias_factors=None if joint else SIZES,
        **({"class_bias_interaction": True} if interaction else {}),
    )
    c = GANSynthCritic(
        SHAPE,
        num_classes=15,
        head_classes=SIZES,
        width=8,
        num_stages=3,
        projection=True,
        projection_factors=None if joint else SIZES,
    )
    return g, c


# --- joint labels ------------------------------------------------------------------------------


def test_joint_labels_round_trip_row_major():
    pitch, family = torch.meshgrid(torch.arange(5), torch.arange(3), indexing="ij")
    joint = join_labels([pitch.flatten(), family.flatten()], SIZES)
    assert joint.tolist() == list(range(15))  # pitch * 3 + family
    p, f = split_labels(joint, SIZES)
    assert torch.equal(p, pitch.flatten()) and torch.equal(f, family.flatten())
    assert LabelFactor(SIZES, 1)(torch.tensor([7, 14])).tolist() == [1, 2]
    with pytest.raises(ValueError, match=r"\[0, 15\)"):
        split_labels(torch.tensor([15]), SIZES)
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        join_labels([torch.tensor([0]), torch.tensor([3])], SIZES)
    with pytest.raises(ValueError, match="index 2"):
        LabelFactor(SIZES, 2)


def test_factored_one_hot_is_the_factors_one_hots():
    onehot = FactoredOneHot(SIZES)
    assert (onehot.num_classes, onehot.out_features) == (15, 8)
    vec = onehot(torch.tensor([7]))  # pitch 2, family 1
    assert vec.tolist() == [[0, 0, 1, 0, 0, 0, 1, 0]]


# --- the networks ------------------------------------------------------------------------------


def test_shapes_with_family_labels_and_rebuild():
    g, c = family_networks()
    y = torch.tensor([0, 7, 14, 3])
    x = g(g.sample_latent(4), y)
    assert x.shape == (4, *SHAPE) and g.num_classes == 15
    assert g.class_bias.shape == (5 + 3, 2, 32, 1)  # a map per pitch, one per family
    assert family_networks(joint=True)[0].class_bias.shape == (15, 2, 32, 1)  # per pair
    assert c(x, y).shape == (4,)
    assert c.classify(x).shape == (4, 5) and c.classify(x, 1).shape == (4, 3)
    assert torch.equal(torch.cat([c.classify(x), c.classify(x, 1)], 1), c.head(c._trunk(x)))
    rebuilt = GANSynthGenerator(**g.config)
    rebuilt.load_state_dict(g.state_dict())
    z = g.sample_latent(4, generator=torch.Generator().manual_seed(0))
    assert torch.equal(rebuilt(z, y), g(z, y))
    assert GANSynthCritic(**c.config).config == c.config
    # a pitch-only critic keeps its old config and head (checkpoints keep their names)
    plain = GANSynthCritic(SHAPE, num_classes=5, width=8, num_stages=3)
    assert "head_classes" not in plain.config and plain.head.linear.weight.shape[0] == 5


def test_factored_class_maps_add_a_pitch_map_and_a_family_map():
    g, _ = family_networks()
    bias = torch.randn(g.class_bias.shape)
    with torch.no_grad():
        g.class_bias.copy_(bias)
    maps = g._class_maps(torch.tensor([7, 1]))  # (pitch 2, family 1), (pitch 0, family 1)
    assert torch.equal(maps[0], bias[2] + bias[5 + 1])
    assert torch.equal(maps[1], bias[0] + bias[5 + 1])
    z = g.sample_latent(2, generator=torch.Generator().manual_seed(1))
    y = torch.tensor([7, 7])
    with_maps = g(z, y)
    with torch.no_grad():
        g.class_bias.zero_()
    added = with_maps - g(z, y)
    expected = g.class_bias_gain * (bias[2] + bias[6])  # (2, 32, 1), the same in every frame
    assert torch.allclose(added, expected.expand_as(added), atol=1e-5)
    with pytest.raises(ValueError, match="class_bias_factors"):
        GANSynthGenerator(
            16, SHAPE, num_classes=15, num_stages=3, class_bias=True, class_bias_factors=(5, 4)
        )


def test_factored_projection_is_the_sum_of_each_factors_inner_product():
    torch.manual_seed(0)
    proj = FactoredProjection(SIZES, 6)
    h = torch.randn(4, 6)
    y = torch.tensor([0, 7, 14, 5])  # (0, 0), (2, 1), (4, 2), (1, 2)
    pitch, family = proj.embeddings[0].weight, proj.embeddings[1].weight
    expected = torch.stack(
        [h[i] @ pitch[int(y[i]) // 3] + h[i] @ family[int(y[i]) % 3] for i in range(4)]
    )
    assert torch.allclose(proj(h, y), expected, atol=1e-6)
    # Miyato & Koyama's y^T V h, with y the concatenated one-hots and V the stacked vectors
    v = torch.cat([pitch, family])  # (5 + 3, 6)
    assert torch.allclose(proj(h, y), ((FactoredOneHot(SIZES)(y) @ v) * h).sum(1), atol=1e-6)
    assert proj.num_classes == 15 and FactoredProjection(**proj.config).config == proj.config
    # each pitch vector learns from the items of its pitch in every family
    proj(h, y).sum().backward()
    assert torch.allclose(proj.embeddings[0].weight.grad[4], h[2])
    assert torch.allclose(proj.embeddings[1].weight.grad[2], h[2] + h[3])
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 15\)"):
        proj(h, torch.tensor([0, 1, 2, 15]))
    with pytest.raises(ValueError, match=r"\(batch, features\)"):
        proj(torch.randn(4, 5), y)


def test_critic_score_adds_the_factored_projection():
    _, c = family_networks()
    assert isinstance(c.projection, FactoredProjection)
    assert c.config["projection_factors"] == list(SIZES)
    x, y = torch.randn(3, *SHAPE), torch.tensor([1, 8, 13])
    h = c._trunk(x)
    expected = c.score(h).squeeze(1) + c.projection(h, y)
    assert torch.allclose(c(x, y), expected, atol=1e-5)
    assert {"projection.embeddings.0.weight", "projection.embeddings.1.weight"} <= set(
        c.state_dict()
    )
    rebuilt = GANSynthCritic(**c.config)
    rebuilt.load_state_dict(c.state_dict())
    assert torch.equal(rebuilt(x, y), c(x, y))
    # the joint projection and a pitch-only critic keep their names (checkpoints load)
    joint = family_networks(joint=True)[1]
    assert (
        "projection_factors" not in joint.config and joint.projection.embedding.num_embeddings == 15
    )
    plain = GANSynthCritic(SHAPE, num_classes=5, width=8, num_stages=3, projection=True)
    assert "projection_factors" not in plain.config
    assert "projection.embedding.weight" in plain.state_dict()
    with pytest.raises(ValueError, match="projection_factors"):
        GANSynthCritic(
            SHAPE, num_classes=15, num_stages=3, projection=True, projection_factors=(5, 4)
        )
    with pytest.raises(ValueError, match="needs projection"):
        GANSynthCritic(SHAPE, num_classes=15, num_stages=3, projection_factors=SIZES)


def test_interaction_maps_add_a_pitch_a_family_and_a_pair_map():
    g = family_networks(interaction=True)[0]
    assert g.class_bias.shape == (5 + 3 + 15, 2, 32, 1)
    assert g.config["class_bias_interaction"] is True
    bias = torch.randn(g.class_bias.shape)
    with torch.no_grad():
        g.class_bias.copy_(bias)
    maps = g._class_maps(torch.tensor([7, 14]))  # (pitch 2, family 1), (pitch 4, family 2)
    assert torch.equal(maps[0], bias[2] + bias[5 + 1] + bias[8 + 7])
    assert torch.equal(maps[1], bias[4] + bias[5 + 2] + bias[8 + 14])
    rebuilt = GANSynthGenerator(**g.config)
    rebuilt.load_state_dict(g.state_dict())
    assert torch.equal(rebuilt._class_maps(torch.tensor([3])), g._class_maps(torch.tensor([3])))
    assert "class_bias_interaction" not in family_networks()[0].config
    with pytest.raises(ValueError, match="class_bias_interaction needs class_bias_factors"):
        GANSynthGenerator(
            16, SHAPE, num_classes=15, num_stages=3, class_bias=True, class_bias_interaction=True
        )


def test_family_labels_out_of_range_and_bad_heads():
    g, c = family_networks()
    z = g.sample_latent(2)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 15\)"):
        g(z, torch.tensor([0, 15]))
    x = torch.zeros(2, *SHAPE)
    with pytest.raises(ValueError, match=r"\[0, 15\)"):
        c(x, torch.tensor([-1, 2]))
    with pytest.raises(ValueError, match="no head 2"):
        c.classify(x, 2)
    with pytest.raises(ValueError, match="product is num_classes"):
        GANSynthCritic(SHAPE, num_classes=15, head_classes=(5, 4), width=8, num_stages=3)
    with pytest.raises(ValueError, match="needs num_classes"):
        GANSynthCritic(SHAPE, head_classes=(5, 3), width=8, num_stages=3)


def test_the_family_head_terms_are_cross_entropies_of_the_family():
    _, c = family_networks()
    x = torch.randn(6, *SHAPE)
    y = torch.tensor([0, 4, 8, 10, 13, 14])
    target = LabelFactor(SIZES, 1)
    term = AuxiliaryClassifierCriticLoss(2.0, on_fake=False, target=target, head=1)
    c(x, y)  # scored: the head's logits are cached
    expected = F.cross_entropy(c.classify(x, 1), y % 3)
    assert torch.allclose(term.term(c, x, x, y), expected)
    step = type("Step", (), {"fake": x, "labels": y})()
    loss = AuxiliaryClassifierGeneratorLoss(c, target, head=1)(step)
    assert torch.allclose(loss, expected)
    pitch = AuxiliaryClassifierGeneratorLoss(c, LabelFactor(SIZES, 0))(step)
    assert torch.allclose(pitch, F.cross_entropy(c.classify(x), y // 3))


# --- the data ----------------------------------------------------------------------------------


def test_built_in_notes_labelled_by_pitch_and_family():
    notes = SynthNotes(4, [60, 62], velocities=[90], sample_rate=8000, num_samples=800)
    ds = NoteFamilies(notes)
    assert ds.families == ["additive", "fm", "plucked", "sawtooth"]
    assert ds.classes[:5] == ["additive-60", "fm-60", "plucked-60", "sawtooth-60", "additive-62"]
    for i in range(len(ds)):
        info = notes.note(i)
        wave, label = ds[i]
        assert label == ds.pitches.index(info["pitch"]) * 4 + ds.families.index(info["family"])
        assert torch.equal(wave, notes[i][0])
    assert ds.cache_key()["notes"] == notes.cache_key()


def test_note_folder_families_from_file_names(tmp_path):
    from audiogan.audio.io import save_audio

    assert parse_note_name("synth_lead_synthetic_000-072-100.wav")["family"] == "synth_lead"
    assert parse_note_name("guitar_acoustic_001-060-075.wav")["family"] == "guitar"
    assert parse_note_name("piano-060-100.wav")["family"] is None
    wave = torch.zeros(1, 800)
    for name in ("bass_synthetic_001-060-090", "guitar_acoustic_002-061-090", "mallet_x-060-100"):
        save_audio(tmp_path / f"{name}.wav", wave, 8000)
    ds = NoteFamilies(NoteFolder(tmp_path, sample_rate=8000, num_samples=800))
    assert ds.families == ["bass", "guitar", "mallet"] and ds.pitches == [60, 61]
    names = [p.name for p in ds.notes.files]
    labels = dict(zip(names, ds.labels, strict=True))
    assert labels == {
        "bass_synthetic_001-060-090.wav": 0,  # pitch 0 * 3 + bass
        "guitar_acoustic_002-061-090.wav": 4,  # pitch 1 * 3 + guitar
        "mallet_x-060-100.wav": 2,
    }
    save_audio(tmp_path / "piano-061-100.wav", wave, 8000)
    save_audio(tmp_path / "take3-060-090.wav", wave, 8000)
    with pytest.raises(ValueError, match="piano-061-100.wav.*take3-060-090.wav"):
        NoteFamilies(NoteFolder(tmp_path, sample_rate=8000, num_samples=800))


# --- the nearest-centroid family check ---------------------------------------------------------


def test_nearest_centroid_accuracy_closed_form():
    real = torch.tensor([[0.0, 0.0], [0.0, 2.0], [10.0, 0.0], [10.0, 2.0]])
    labels = torch.tensor([0, 0, 1, 1])
    fake = torch.tensor([[1.0, 1.0], [9.0, 1.0], [2.0, 1.0]])
    result = nearest_centroid_accuracy(real, labels, fake, torch.tensor([0, 1, 1]))
    assert result == {"fake": pytest.approx(2 / 3), "real": 1.0}
    # leave-one-out: [0,0] vs [4,0] (its class without it) and [5,0]: right; [4,0] vs [0,0]
    # and [5,0]: wrong; [5,0] is alone in its class: not scored
    real = torch.tensor([[0.0, 0.0], [4.0, 0.0], [5.0, 0.0]])
    out = nearest_centroid_accuracy(real, torch.tensor([0, 0, 1]), real[:1], torch.tensor([0]))
    assert out["real"] == 0.5
    # within groups: a fake is compared with its own group's classes only
    grouped = nearest_centroid_accuracy(
        torch.tensor([[0.0], [1.0], [10.0], [11.0]]),
        torch.tensor([0, 1, 0, 1]),
        torch.tensor([[0.9], [10.1]]),
        torch.tensor([1, 0]),
        torch.tensor([0, 0, 1, 1]),
        torch.tensor([0, 1]),
    )
    assert grouped["fake"] == 1.0
    with pytest.raises(ValueError, match="without real items"):
        nearest_centroid_accuracy(real, torch.tensor([0, 0, 1]), real[:1], torch.tensor([2]))


def test_timbre_features_tell_the_built_in_families_apart():
    ds = NoteFamilies(SynthNotes(None, [60, 64, 67], sample_rate=8000, num_samples=7936))
    waves = torch.stack([ds[i][0][0] for i in range(len(ds))])
    labels = torch.tensor(ds.labels)
    pitches = torch.tensor(ds.pitches)[labels // 4]
    features = timbre_features(waves, pitches, 8000)
    assert features.shape == (len(ds), 8 + 16)
    family = labels % 4
    # chance is 0.25; the synthesized families differ in spectrum and envelope
    assert nearest_centroid_accuracy(features, family, features, family)["real"] >= 0.6


# --- rendering with a family per voice ---------------------------------------------------------


class FamilyTones(nn.Module):
    """A stand-in note GAN of 2 families: ``pure`` (a sine) and ``rich`` (8 harmonics)."""

    pitches = list(range(55, 80))

    def __init__(self, frontend: InstantaneousFrequency) -> None:
        super().__init__()
        self.frontend, self.num_classes, self.latent_dim = frontend, 2 * len(self.pitches), 4
        self.scale = nn.Parameter(torch.ones(()))

    def sample_latent(self, n, device=None, generator=None):
        return torch.randn(n, self.latent_dim, generator=generator)

    def forward(self, z, labels):
        n, sr = self.frontend.num_samples_for_frames(), self.frontend.sample_rate
        t = torch.arange(n, dtype=torch.float64) / sr
        f0 = midi_to_hz(torch.tensor(self.pitches, dtype=torch.float64)[labels // 2])[:, None]
        k = torch.arange(1, 9, dtype=torch.float64)
        amps = torch.where((labels % 2)[:, None] == 1, 1.0 / k, (k == 1).double())
        wave = (amps[:, :, None] * torch.sin(2 * math.pi * k[None, :, None] * f0[:, None] * t)).sum(
            1
        )
        return self.frontend.encode((0.3 * wave).float())


def test_each_voice_plays_its_family():
    frontend = InstantaneousFrequency(8000, n_fft=256, hop_length=128, frames=64)
    generator = FamilyTones(frontend)
    with pytest.raises(ValueError, match="needs families"):
        NoteModel(generator, frontend, generator.pitches)
    model = NoteModel(generator, frontend, generator.pitches, ["pure", "rich"])
    voices = [[ScoreNote(0.0, 1.0, 60)], [ScoreNote(1.5, 2.5, 64)]]

    def second_harmonic(rendered, v: int) -> float:
        note = voices[v][0]
        part = rendered.wave[int((note.start + 0.2) * 8000) : int((note.end - 0.2) * 8000)]
        return float(harmonic_profile(part[None], torch.tensor([note.pitch]), 8000, 2)[0, 1])

    both = render_voices(voices, model, seed=0)  # default: the families in turn
    assert both.families == ["pure", "rich"]
    assert second_harmonic(both, 0) < -40 and second_harmonic(both, 1) > -10
    rich = render_voices(voices, model, seed=0, families=["rich"])
    assert rich.families == ["rich", "rich"] and second_harmonic(rich, 0) > -10
    with pytest.raises(ValueError, match="no family 'organ'; the families are pure, rich"):
        render_voices(voices, model, families=["organ"])
    plain = NoteModel(
        GANSynthGenerator(8, (2, 128, 64), num_classes=25, width=4, num_stages=2),
        frontend,
        generator.pitches,
    )
    with pytest.raises(ValueError, match="not conditioned on an instrument family"):
        render_voices(voices, plain, families=["rich"])


# --- the recipe, end to end --------------------------------------------------------------------

TOY = {**GANSYNTH_TOY, "families": True}  # 4 notes per pitch: one per family


def toy_run(out, steps: int):
    from audiogan.recipes import configure, get_recipe

    recipe = get_recipe("gansynth")
    config = configure(recipe, overrides={**TOY, "steps": steps, "out": str(out)})
    run = recipe.build(config)
    run.fit()
    return recipe, config, run


@pytest.mark.slow
def test_recipe_trains_resumes_generates_and_renders_by_family(tmp_path, capsys):
    pretty_midi = pytest.importorskip("pretty_midi")
    from audiogan.cli import main
    from audiogan.recipes import ConfigError, configure
    from audiogan.render import render
    from audiogan.train import generate, load_checkpoint

    _, _, straight = toy_run(tmp_path / "straight", 4)
    toy_run(tmp_path / "run", 2)
    recipe, config, resumed = toy_run(tmp_path / "run", 4)  # resumes at step 2
    assert resumed.resumed_from.name == "step_00000002.pt"
    assert {"pitch", "family"} <= set(resumed.trainer.metrics)
    for a, b in zip(
        straight.trainer.generator.state_dict().values(),
        resumed.trainer.generator.state_dict().values(),
        strict=True,
    ):
        assert torch.equal(a, b)  # 2 + 2 steps = 4 steps, exactly
    state = load_checkpoint(tmp_path / "run" / "checkpoints" / "step_00000004.pt")
    meta = state["metadata"]
    assert meta["families"] == ["additive", "fm", "plucked", "sawtooth"]
    assert meta["pitches"] == [60, 61, 62] and meta["class_names"][:2] == ["additive-60", "fm-60"]
    # a map per pitch, per family and per pair; a projection vector per pitch and per family
    assert state["generator"]["class_bias"].shape[0] == 3 + 4 + 3 * 4
    assert state["critic"]["projection.embeddings.0.weight"].shape[0] == 3
    assert state["critic"]["projection.embeddings.1.weight"].shape[0] == 4

    # resuming it without families names the mismatch
    with pytest.raises(ConfigError, match="trained with family conditioning"):
        recipe.build(
            configure(recipe, overrides={**TOY, "families": False, "out": str(tmp_path / "run")})
        )

    # generate: every (pitch, family), one family, or one pitch's families
    out = tmp_path / "fakes"
    assert main(["generate", str(tmp_path / "run"), "--out", str(out), "-n", "1"]) == 0
    assert len(list(out.glob("*.wav"))) == 12
    fm = ["generate", str(tmp_path / "run"), "--out", str(tmp_path / "fm"), "-n", "2"]
    assert main([*fm, "--family", "fm"]) == 0
    assert sorted(p.name for p in (tmp_path / "fm").glob("*.wav")) == [
        f"fm-{p}_{i:03d}.wav" for p in (60, 61, 62) for i in range(2)
    ]
    paths = generate(
        tmp_path / "run" / "checkpoints" / "step_00000004.pt",
        tmp_path / "c61",
        fakes_per_class=1,
        classes=["61"],
        families=["plucked", "sawtooth"],
    )
    assert [p.name for p in paths] == ["plucked-61_000.wav", "sawtooth-61_000.wav"]
    capsys.readouterr()
    organ = ["generate", str(tmp_path / "run"), "--out", str(tmp_path / "x"), "--family", "organ"]
    assert main(organ) == 2
    assert "no family 'organ'; the families are additive, fm, plucked, sawtooth" in (
        capsys.readouterr().err
    )

    # evaluate reports the family beside the pitch
    report = recipe.evaluate(tmp_path / "run", config)
    assert "pitch accuracy (YIN" in report and "family accuracy (nearest real family" in report

    # render a two-voice score: both voices plucked from the command line, per voice in Python
    pm = pretty_midi.PrettyMIDI()
    for v in range(2):
        inst = pretty_midi.Instrument(program=0)
        inst.notes.append(pretty_midi.Note(velocity=100, pitch=60 + v, start=0.0, end=0.3))
        pm.instruments.append(inst)
    pm.write(str(tmp_path / "score.mid"))
    wav = tmp_path / "out" / "score.wav"
    args = ["render", str(tmp_path / "score.mid"), "--with", str(tmp_path / "run")]
    capsys.readouterr()
    assert main([*args, "--out", str(wav), "--family", "plucked", "--no-picture"]) == 0
    assert wav.is_file()
    assert capsys.readouterr().out.splitlines() == [
        "voice 1: plucked",
        "voice 2: plucked",
        str(wav),
    ]
    assert main([*args, "--out", str(wav), "--no-picture"]) == 0  # the run's families in turn
    assert capsys.readouterr().out.splitlines()[:2] == ["voice 1: additive", "voice 2: fm"]
    assert main([*args, "--out", str(wav), "--family", "organ"]) == 2
    got = []
    written = render(
        tmp_path / "score.mid",
        tmp_path / "run",
        tmp_path / "py.wav",
        families=["fm", "sawtooth"],
        picture=False,
        on_rendered=lambda rendered: got.append(rendered.families),
    )
    assert written == [tmp_path / "py.wav"] and got == [["fm", "sawtooth"]]

    # a pitch-only run refuses families when generating and rendering
    plain = recipe.build(
        configure(recipe, overrides={**TOY, "families": False, "out": str(tmp_path / "plain")})
    )
    plain.trainer.save_checkpoint(tmp_path / "plain" / "checkpoints" / "step_00000000.pt")
    with pytest.raises(ValueError, match="not conditioned on an instrument family"):
        generate(
            tmp_path / "plain" / "checkpoints" / "step_00000000.pt",
            tmp_path / "p",
            families=["fm"],
        )
    with pytest.raises(ValueError, match="not conditioned on an instrument family"):
        render(tmp_path / "score.mid", tmp_path / "plain", tmp_path / "p.wav", families=["fm"])


def test_runs_made_before_families_resume_without_them():
    from audiogan.recipes import configure, get_recipe
    from audiogan.recipes.gansynth import models

    recipe = get_recipe("gansynth")
    old = {k: v for k, v in TOY.items() if k != "families"}
    config = configure(recipe, saved=old)
    assert config.families is False and configure(recipe).families is False
    generator, critic = models(config, 13)
    assert generator.num_classes == 13 and critic.config["num_classes"] == 13
    # pitch-only networks of the defaults are as they were: configs, checkpoint names, maps
    generator, critic = models(configure(recipe), 13)
    assert set(generator.config) == {
        "latent_dim",
        "out_shape",
        "num_classes",
        "conditioning",
        "embed_dim",
        "width",
        "channels",
        "num_stages",
        "out_activation",
        "class_bias",
        "class_bias_gain",
        "equalized",
    }
    assert "projection_factors" not in critic.config and critic.head_classes == (13,)
    assert isinstance(critic.projection, Projection) and generator.class_bias.shape[0] == 13
    assert "projection.embedding.weight" in critic.state_dict()
    generator, critic = models(configure(recipe, overrides={"families": True}), 13)
    assert generator.num_classes == 52 and critic.head_classes == (13, 4)
    assert generator.class_bias.shape[0] == 13 + 4 + 52  # per pitch, per family, per pair
    assert isinstance(critic.projection, FactoredProjection)
    assert critic.config["projection_factors"] == [13, 4]
    main_only = {"families": True, "class_bias_interaction": False}
    assert models(configure(recipe, overrides=main_only), 13)[0].class_bias.shape[0] == 13 + 4
    joint = configure(recipe, overrides={"families": True, "class_bias_factored": False})
    assert models(joint, 13)[0].class_bias.shape[0] == 52  # a map per pair only
