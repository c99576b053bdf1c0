"""GANSynth (Engel et al. 2019): pitch-conditioned notes on log-magnitude and instantaneous
frequency, with an auxiliary pitch classifier in the critic.

The generator turns a latent and a one-hot pitch into a ``(2, freq, frames)`` spectrogram of
log-magnitude and instantaneous frequency (:class:`~audiogan.frontends.InstantaneousFrequency`),
which inverts exactly to audio (no Griffin-Lim). The critic scores it and predicts its pitch
(AC-GAN); the losses are GANSynth's: Wasserstein with a gradient penalty (10), the critic's and
the generator's pitch cross-entropies (10 each), ProGAN's drift penalty (0.001), one critic step
per generator step, Adam with betas (0, 0.99), learning rate 8e-4.

The CPU defaults train on the built-in synthesized notes (:class:`~audiogan.data.SynthNotes`:
four timbre families, three velocities, 1 s) of one octave, MIDI 60-72 (13 pitches: each
pitch's map learns twice as often as over two octaves), made at 8 kHz, at ``(2, 256, 32)``
(``n_fft`` 512, hop 256: 15.6 Hz bins, fine enough that the magnitude places every partial and
a decoded note keeps its pitch when the generated IF is off by a little; with 31 Hz bins the
pitch lives in the IF alone), narrow networks (width 16, 3 stages from a 32x4 grid), batch 8
(GANSynth's), 400 steps (about 5 minutes; the pitch got worse after). Four changes from
GANSynth make the pitch learnable in minutes (issue 23, the ``gansynth`` how-to has the
measurements): the generator adds a learned ``(2, freq)`` map per
pitch to its output (``class_bias``), the critic's score reads the pitch by projection
(``projection``) and its head learns the pitch of the real notes only (``ac_on_fake=False``),
and the IF of the real notes' silent bins is set to 0 (``quiet_if=False``: those bins are
silent whatever their IF, and their phase noise was the critic's easiest cue).
``--data DIR`` trains on a folder of NSynth-style notes (:class:`~audiogan.data.NoteFolder`).

``--set families=true`` conditions on the instrument family too (the built-in notes' four
timbre families, or a folder's families read from its file names): the labels join pitch and
family (:class:`~audiogan.data.NoteFamilies`, ``"fm-60"``), and every conditional part is
factored so that what is learned of a pitch is learned from all of its notes: the generator
reads both one-hots (:class:`~audiogan.nn.FactoredOneHot`) and adds a map of the pitch, one
of the family and one of the pair (``class_bias_interaction``), the critic's projection is the
sum of a pitch vector's and a family vector's inner products with its features
(:class:`~audiogan.nn.FactoredProjection`), and a second auxiliary head predicts the family
beside the pitch head (AC-GAN's classifier, one head per factor; the ``gansynth`` how-to has
the measurements).

``full_size`` is GANSynth's best model (IF-Mel, high frequency resolution) as a
fixed-resolution network: 4 s at 16 kHz, ``n_fft`` 2048, hop 512, 128 frames of 1024 mel bands,
MIDI 24-84 (61 pitches), latent 256, widths 256-256-256-256-128-64-32 from a 2x16 grid, batch 8.
GANSynth grows its networks progressively (7 resolutions, 800k images per stage); here every
stage trains from the start. The reason: the Trainer, its checkpoints, EMA and resume assume
one network shape per run, and growing mixes in a new stage's output by a fading weight that
changes the shapes mid-run; StyleGAN2 (Karras et al. 2020) reached ProGAN's quality without
growing. The step budget is GANSynth's non-progressive one (4M images, 500k steps of 8).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.utils.data import Dataset

from audiogan.data import NOTE_FAMILIES, FeatureCache, NoteFamilies, NoteFolder, SynthNotes
from audiogan.frontends import InstantaneousFrequency
from audiogan.losses import (
    AuxiliaryClassifierCriticLoss,
    AuxiliaryClassifierGeneratorLoss,
    DriftPenalty,
    GradientPenalty,
    Penalties,
    Wasserstein,
)
from audiogan.nn import FactoredOneHot, GANSynthCritic, GANSynthGenerator, LabelFactor
from audiogan.recipes.checks import at_least, between, non_negative, optional
from audiogan.recipes.recipe import (
    ConfigError,
    GanRun,
    Recipe,
    RunConfig,
    load_run_config,
    run_options,
)
from audiogan.recipes.spectrogram import SpectrogramData, gan_callbacks, real_examples
from audiogan.train import Trainer, seed_everything

__all__ = [
    "Config",
    "FULL_SIZE",
    "RECIPE",
    "build",
    "evaluate",
    "note_data",
    "note_frontend",
    "quiet_if_to_zero",
]


@dataclass
class Config(RunConfig):
    """GANSynth's settings (and :class:`~audiogan.recipes.recipe.RunConfig`'s).

    Attributes:
        data: A folder of NSynth-style notes ``<instrument>-<pitch>-<velocity>.wav`` (default:
            the built-in synthesized notes).
        pitch_min, pitch_max: The MIDI pitches trained (both included), one class each.
        notes_per_pitch: Built-in notes of each pitch (None: one per family and velocity, 12).
        sample_rate, n_fft, hop_length, frames: The STFT; notes are ``(frames - 1) *
            hop_length`` samples.
        mel: Mel-scaled magnitude and IF (GANSynth's "IF-Mel").
        latent_dim: Latent size.
        width: Widest stage of the generator and the critic (GANSynth: 256).
        num_stages: Doubling (halving) stages; ``freq`` and ``frames`` must be multiples of
            ``2**num_stages``.
        lr: Adam learning rate of both networks (betas 0, 0.99).
        critic_steps: Critic steps per generator step.
        gp_weight: Gradient penalty weight.
        ac_weight: Weight of the critic's and the generator's pitch cross-entropies.
        ac_on_fake: The critic's head also learns the pitch of the fakes (AC-GAN, TF-GAN);
            False: of the real notes only.
        drift: ProGAN's drift penalty weight (0: off).
        class_bias: The generator adds a learned ``(2, freq)`` map of the pitch to its output
            (:class:`~audiogan.nn.GANSynthGenerator`'s ``class_bias``).
        class_bias_gain: How many times faster than the weights those maps learn.
        quiet_if: Keep the IF of the real notes' silent bins (those at the magnitude floor,
            silent whatever their IF); False sets it to 0 (:func:`quiet_if_to_zero`).
        projection: The critic's score also reads the pitch by projection.
        families: Condition on the instrument family too: the generator on (pitch, family),
            the critic's projection on the pitch and the family, each with its own vectors
            (:class:`~audiogan.nn.FactoredProjection`), and a second head of the critic
            predicts the family (AC-GAN). Off by default; runs made before it existed lack it
            in their ``recipe.json`` and resume with it off, as they were made.
        family_weight: With ``families``: the weight of the critic's and the generator's family
            cross-entropies (0: none; the projection alone reads the family).
        class_bias_factored: With ``families``: ``class_bias`` keeps a map per pitch plus a
            map per family, added (:class:`~audiogan.nn.GANSynthGenerator`'s
            ``class_bias_factors``); False: a map per (pitch, family) pair only.
        class_bias_interaction: With ``families`` and ``class_bias_factored``: a map per
            (pitch, family) pair too, added to the pitch's and the family's
            (``class_bias_interaction``): what a family changes at each pitch. Pitch-only runs
            ignore this setting and the one above.
        equalized: ProGAN's equalized learning rate in both networks.
        ema: EMA decay of the generator used for sampling, or None.
        cache: Precompute the features into ``OUT/cache``.
        fakes_per_class: Fakes per pitch in each round of fakes.
        eval_fakes: Fakes per pitch that ``audiogan evaluate`` makes.
    """

    out: str = "runs/gansynth"
    steps: int | None = 400
    batch_size: int = 8
    every: int = 200
    data: str | None = None
    pitch_min: int = 60
    pitch_max: int = 72
    notes_per_pitch: int | None = None
    sample_rate: int = 8000
    n_fft: int = 512
    hop_length: int = 256
    frames: int = 32
    mel: bool = False
    latent_dim: int = 64
    width: int = 16
    num_stages: int = 3
    lr: float = 8e-4
    critic_steps: int = 1
    gp_weight: float = 10.0
    ac_weight: float = 10.0
    ac_on_fake: bool = False
    drift: float = 0.001
    class_bias: bool = True
    class_bias_gain: float = 10.0
    quiet_if: bool = False
    projection: bool = True
    families: bool = False
    family_weight: float = 10.0
    class_bias_factored: bool = True
    class_bias_interaction: bool = True
    equalized: bool = False
    ema: float | None = 0.99
    cache: bool = True
    fakes_per_class: int = 1
    eval_fakes: int = 4


FULL_SIZE: dict[str, Any] = {
    "pitch_min": 24,
    "pitch_max": 84,
    "sample_rate": 16000,
    "n_fft": 2048,
    "hop_length": 512,
    "frames": 128,
    "mel": True,
    "ac_on_fake": True,
    "class_bias": False,
    "projection": False,
    "quiet_if": True,
    "latent_dim": 256,
    "width": 256,
    "num_stages": 6,
    "batch_size": 8,
    "drift": 0.001,
    "ema": None,
    "steps": 500_000,
    "every": 5000,
}


def note_frontend(config: Config) -> InstantaneousFrequency:
    """The config's log-magnitude + IF frontend: waveform <-> ``(2, freq, frames)``."""
    try:
        return InstantaneousFrequency(
            sample_rate=config.sample_rate,
            n_fft=config.n_fft,
            hop_length=config.hop_length,
            frames=config.frames,
            mel=config.mel,
        )
    except ValueError as e:
        raise ConfigError(str(e)) from e


def note_clips(config: Config, num_samples: int) -> Dataset:
    """Notes ``((1, num_samples), class)``: the ``data`` folder or the built-in notes, whose
    class is the pitch, or with ``families`` the pitch and the family
    (:class:`~audiogan.data.NoteFamilies`).

    Raises:
        ConfigError: For a missing folder, one without notes at the pitches, pitches the
            built-in notes cannot make, or (with ``families``) file names that carry no family.
    """
    pitches = list(range(config.pitch_min, config.pitch_max + 1))
    if not pitches:
        raise ConfigError(
            f"pitch_min ({config.pitch_min}) must be <= pitch_max ({config.pitch_max})"
        )
    try:
        if config.data is not None:
            if not Path(config.data).is_dir():
                raise ConfigError(f"--data {config.data}: no such folder")
            notes: Dataset = NoteFolder(config.data, pitches, config.sample_rate, num_samples)
        else:
            notes = SynthNotes(
                config.notes_per_pitch,
                pitches,
                sample_rate=config.sample_rate,
                num_samples=num_samples,
                seed=config.seed,
            )
        return NoteFamilies(notes) if config.families else notes
    except ValueError as e:
        raise ConfigError(str(e)) from e


def quiet_if_to_zero(features: torch.Tensor) -> torch.Tensor:
    """Features ``(..., 2, freq, frames)`` with the IF set to 0 in the bins whose
    log-magnitude is at the floor (-1).

    Those bins decode to silence whatever their IF; a bin loud again after them keeps its
    frequency, its phase shifted by a constant (on the built-in notes the audio changes by
    about 1 % RMS, YIN's pitch by less than 0.001 semitone). In real notes their IF is the
    noise of a phase with no partial in it, a texture a critic would otherwise ask the
    generator to draw, over the bins that carry the pitch too.
    """
    if features.dim() < 3 or features.shape[-3] != 2:
        raise ValueError(
            f"quiet_if_to_zero: expected (..., 2, freq, frames), got {tuple(features.shape)}"
        )
    quiet = features[..., 0, :, :] <= -1.0
    return torch.stack(
        [features[..., 0, :, :], features[..., 1, :, :].masked_fill(quiet, 0.0)], dim=-3
    )


class _QuietIF(Dataset):
    """Items ``(features, label)`` of ``dataset`` through :func:`quiet_if_to_zero`."""

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)  # type: ignore[arg-type]

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        features, label = self.dataset[index]
        return quiet_if_to_zero(features), label


class _QuietIFEncoder(nn.Module):
    """A frontend's encoding of a batch through :func:`quiet_if_to_zero`."""

    def __init__(self, frontend: InstantaneousFrequency) -> None:
        super().__init__()
        self.frontend = frontend

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        """``(batch, 1, time) -> (batch, 2, freq, frames)``."""
        return quiet_if_to_zero(self.frontend(wave))


def note_data(config: Config, clips: Dataset | None = None) -> SpectrogramData:
    """The notes (``clips``, default :func:`note_clips`) as features (cached under
    ``OUT/cache`` when ``cache``), with a real note per class; with ``quiet_if`` off, the IF of
    bins at the magnitude floor is 0 (:func:`quiet_if_to_zero`)."""
    frontend = note_frontend(config)
    if clips is None:
        clips = note_clips(config, frontend.num_samples_for_frames())
    classes = list(clips.classes)
    preprocess: nn.Module | None
    if config.cache:
        dataset: Dataset = FeatureCache(clips, frontend, Path(config.out) / "cache", lazy=True)
        preprocess = None
        if not config.quiet_if:
            dataset = _QuietIF(dataset)
    else:
        dataset, preprocess = clips, frontend if config.quiet_if else _QuietIFEncoder(frontend)

    real, real_labels = real_examples(clips, clips.labels, 1, frontend)
    smallest = min(Counter(clips.labels).values())
    return SpectrogramData(dataset, classes, frontend, preprocess, real, real_labels, smallest)  # type: ignore[arg-type]


def models(
    config: Config, num_classes: int = 0, num_families: int = 0
) -> tuple[GANSynthGenerator, GANSynthCritic]:
    """GANSynth's generator and critic for the config's feature shape, conditioned on
    ``num_classes`` pitches (0: unconditional), and with ``families`` on ``num_families``
    families too (0: the built-in notes' four): labels ``pitch * num_families + family``."""
    shape = note_frontend(config).feature_shape
    sizes = (num_classes, num_families or len(NOTE_FAMILIES))
    factored = config.families and num_classes > 0
    conditioning: Any = FactoredOneHot(sizes) if factored else "onehot"
    if factored:
        num_classes = sizes[0] * sizes[1]
    try:
        generator = GANSynthGenerator(
            config.latent_dim,
            shape,
            num_classes=num_classes,
            conditioning=conditioning,
            width=config.width,
            num_stages=config.num_stages,
            class_bias=config.class_bias and num_classes > 0,
            class_bias_gain=config.class_bias_gain,
            class_bias_factors=sizes
            if factored and config.class_bias and config.class_bias_factored
            else None,
            class_bias_interaction=factored
            and config.class_bias
            and config.class_bias_factored
            and config.class_bias_interaction,
            equalized=config.equalized,
        )
        critic = GANSynthCritic(
            shape,
            num_classes=num_classes,
            head_classes=sizes if factored else None,
            width=config.width,
            num_stages=config.num_stages,
            projection=config.projection and num_classes > 0,
            projection_factors=sizes if factored and config.projection else None,
            equalized=config.equalized,
        )
    except ValueError as e:  # freq or frames not a multiple of 2**num_stages
        raise ConfigError(str(e)) from e
    return generator, critic


def _check_families_unchanged(config: Config) -> None:
    """Refuse to resume a run's checkpoints with ``families`` other than they were made with
    (the generator's conditioning and the critic's heads differ)."""
    out = Path(config.out)
    if not any((out / "checkpoints").glob("*.pt")):
        return
    try:
        _, saved = load_run_config(out)
    except (ConfigError, OSError, ValueError):
        return  # resuming reports it
    before = saved.get("families", False)
    if before in (True, False) and before != config.families:
        made = "with" if before else "without"
        raise ConfigError(
            f"{out} holds checkpoints trained {made} family conditioning (families={before}), "
            f"which cannot resume with families={config.families}: the generator's conditioning "
            "and the critic's heads differ. Leave families as the run had it, or choose another --out"
        )


def build(config: Config) -> GanRun:
    """Data, networks, losses and Trainer of GANSynth."""
    seed_everything(config.seed)
    _check_families_unchanged(config)
    frontend = note_frontend(config)
    clips = note_clips(config, frontend.num_samples_for_frames())
    data = note_data(config, clips)
    metadata: dict[str, Any] = {"class_names": data.classes}
    pitch_target = family_target = None
    if config.families:
        sizes = (len(clips.pitches), len(clips.families))  # type: ignore[attr-defined]
        pitch_target, family_target = LabelFactor(sizes, 0), LabelFactor(sizes, 1)
        metadata |= {"pitches": clips.pitches, "families": clips.families}  # type: ignore[attr-defined]
        generator, critic = models(config, *sizes)
    else:
        generator, critic = models(config, len(data.classes))
    penalties: list[Any] = [  # first: the AC terms reuse the scored batches
        AuxiliaryClassifierCriticLoss(config.ac_weight, config.ac_on_fake, pitch_target)
    ]
    generator_losses: dict[str, Any] = {
        "pitch": (config.ac_weight, AuxiliaryClassifierGeneratorLoss(critic, pitch_target))
    }
    if family_target is not None and config.family_weight > 0:
        penalties.append(
            AuxiliaryClassifierCriticLoss(config.family_weight, config.ac_on_fake, family_target, 1)
        )
        generator_losses["family"] = (
            config.family_weight,
            AuxiliaryClassifierGeneratorLoss(critic, family_target, 1),
        )
    penalties.append(GradientPenalty(weight=config.gp_weight))
    if config.drift > 0:
        penalties.append(DriftPenalty(config.drift))
    trainer = Trainer(
        generator,
        critic,
        Wasserstein(),
        Penalties(*penalties),
        generator_losses=generator_losses,
        generator_lr=config.lr,
        critic_lr=config.lr,
        betas=(0.0, 0.99),
        critic_steps=config.critic_steps,
        ema=config.ema,
        preprocess=data.preprocess,
        frontend=data.frontend,
        callbacks=gan_callbacks(
            config, data.frontend, data.classes, data.real, data.real_labels, config.fakes_per_class
        ),
        metadata=metadata,
        **run_options(config),
    )
    return GanRun("gansynth", config, trainer, data.loader(config))


def evaluate(run_dir: Path, config: Config) -> str:
    """Pitch accuracy (YIN), NDB/K, FD and timbre constancy of a GANSynth run's notes.

    The newest checkpoint's EMA generator makes ``eval_fakes`` notes per pitch, decoded
    exactly by the frontend. Their pitch is read by YIN (:func:`~audiogan.metrics.note_pitch`,
    independent of the critic's head) and counted right within half a semitone; the real notes
    get the same test. NDB/K (k = 20 bins) and the Fréchet distance are computed in the
    embedding of a pitch classifier (:class:`~audiogan.nn.RecurrentClassifier`) trained once on
    the real notes' log-mels (cached in ``run_dir/eval``), fakes against all real notes, beside
    the real notes split in two halves. Timbre constancy
    (:func:`~audiogan.metrics.timbre_constancy`): 6 latents, each at 5 pitches spread over the
    range (with ``families``, latent ``i`` in family ``i mod families``).

    With ``families``, the notes are made per (pitch, family) and their family is read by a
    nearest-centroid classifier of the real notes' :func:`~audiogan.metrics.timbre_features`
    (harmonic levels and loudness envelope; :func:`~audiogan.metrics.nearest_centroid_accuracy`,
    no training, independent of the critic); the real notes get the same test, each left out
    of its own centroid.
    """
    from audiogan.frontends import LogMel
    from audiogan.metrics import (
        embed_features,
        frechet_embedding_distance,
        ndb_score,
        nearest_centroid_accuracy,
        pitch_accuracy,
        timbre_constancy,
        timbre_features,
        train_or_load_classifier,
    )
    from audiogan.nn import RecurrentClassifier
    from audiogan.train import load_generator, run_checkpoint

    checkpoint = run_checkpoint(run_dir)
    config = dataclasses.replace(config, out=str(run_dir))
    frontend = note_frontend(config)
    clips = note_clips(config, frontend.num_samples_for_frames())
    pitches = torch.tensor(clips.pitches)  # type: ignore[attr-defined]
    num_families = len(clips.families) if config.families else 1  # type: ignore[attr-defined]
    real = torch.stack([clips[i][0][0] for i in range(len(clips))])  # (n, time)
    real_classes = torch.tensor(clips.labels)  # pitch * num_families + family
    real_labels = real_classes // num_families  # the pitch
    generator = load_generator(checkpoint)
    g = torch.Generator().manual_seed(config.seed + 1)
    classes = torch.arange(len(clips.classes)).repeat_interleave(config.eval_fakes)  # type: ignore[attr-defined]
    labels = classes // num_families
    with torch.no_grad():
        fake = torch.cat(
            [
                frontend.decode(generator(generator.sample_latent(len(chunk), generator=g), chunk))
                for chunk in classes.split(64)
            ]
        )
    sr = config.sample_rate
    lines = [f"{checkpoint}: {len(fake)} generated notes vs {len(real)} real notes"]
    acc_fake = pitch_accuracy(fake, pitches[labels], sr)
    acc_real = pitch_accuracy(real, pitches[real_labels], sr)
    lines.append(f"pitch accuracy (YIN, +-0.5 semitone): fake {acc_fake:.3f}, real {acc_real:.3f}")
    if config.families:
        real_timbre = timbre_features(real, pitches[real_labels], sr)
        fake_timbre = timbre_features(fake, pitches[labels], sr)
        family = nearest_centroid_accuracy(
            real_timbre, real_classes % num_families, fake_timbre, classes % num_families
        )
        lines.append(
            f"family accuracy (nearest real family centroid of timbre features, chance "
            f"{1 / num_families:.2f}): fake {family['fake']:.3f}, real (leave-one-out) "
            f"{family['real']:.3f}"
        )

    mel = LogMel(sample_rate=sr, n_fft=1024, hop_length=256, n_mels=64)
    real_mel, fake_mel = mel.encode(real), mel.encode(fake)  # (n, 1, 64, frames)
    path = Path(run_dir) / "eval" / "pitch_classifier.pt"
    model = RecurrentClassifier(64, len(pitches))
    pairs = list(zip(real_mel, real_labels.tolist(), strict=True))
    try:
        classifier, _ = train_or_load_classifier(
            path, model, pairs, epochs=15, val_fraction=0.0, seed=config.seed
        )
    except ValueError as e:
        raise ConfigError(f"{e}; delete it to train a new one") from e
    real_emb, fake_emb = embed_features(classifier, real_mel), embed_features(classifier, fake_mel)
    half = torch.randperm(len(real), generator=torch.Generator().manual_seed(0))
    a, b = half[: len(real) // 2], half[len(real) // 2 :]
    k = min(20, len(real) // 4)
    _, ndb_fake = ndb_score(real_emb, fake_emb, k=k, seed=config.seed)
    _, ndb_real = ndb_score(real_emb[a], real_emb[b], k=min(k, len(a) // 2), seed=config.seed)
    fd_fake = frechet_embedding_distance(real_emb, fake_emb)
    fd_real = frechet_embedding_distance(real_emb[a], real_emb[b])
    lines.append(
        f"NDB/K (k={k}, classifier embedding): fake {ndb_fake:.3f}, real halves {ndb_real:.3f}"
    )
    lines.append(f"FD (classifier embedding): fake {fd_fake:.3f}, real halves {fd_real:.3f}")

    spread = torch.linspace(0, len(pitches) - 1, min(5, len(pitches))).round().long()
    z = generator.sample_latent(6, generator=torch.Generator().manual_seed(config.seed + 2))
    with torch.no_grad():
        grid = torch.stack(
            [
                frontend.decode(
                    generator(zi.expand(len(spread), -1), spread * num_families + i % num_families)
                )
                for i, zi in enumerate(z)
            ]
        )  # (latents, pitches, time)
    timbre = timbre_constancy(grid, pitches[spread], sr)
    lines.append(
        f"timbre constancy (harmonic profiles, dB): within a latent {timbre['within']:.2f}, "
        f"between latents {timbre['between']:.2f}, ratio {timbre['ratio']:.2f}"
    )
    return "\n".join(lines)


def _earlier(saved: Mapping[str, Any]) -> dict[str, Any]:
    """What runs made before the pitch fixes had (issue 23's first version): AC-GAN on real and
    fake notes, no per-pitch output map, no projection, the real notes' IF kept as it was."""
    return {
        "ac_on_fake": True,
        "class_bias": False,
        "class_bias_gain": 10.0,
        "quiet_if": True,
        "projection": False,
        "equalized": False,
    }


RECIPE = Recipe(
    name="gansynth",
    summary="GANSynth: pitch-conditioned notes on log-magnitude + instantaneous frequency (AC-GAN)",
    config=Config,
    full_size=FULL_SIZE,
    build=build,
    evaluate=evaluate,
    data_flags=("data",),
    models=models,
    earlier=_earlier,
    checks={
        "pitch_min": between(21, 108),
        "pitch_max": between(21, 108),
        "notes_per_pitch": optional(at_least(1)),
        "ac_weight": non_negative(),
        "family_weight": non_negative(),
        "drift": non_negative(),
        "num_stages": at_least(0),
        "eval_fakes": at_least(1),
    },
)
