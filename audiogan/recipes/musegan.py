"""MuseGAN on the Bach chorales (or your MIDI files): four voices, two bars, written as MIDI.

Phrases are piano rolls ``(4 voices SATB, 2 bars, 16 steps, 84 pitches)`` in {-1, 1} of the
chorales music21 ships (parsed once into ``cache_dir``, default ``$AUDIOGAN_CACHE`` or
``~/.cache/audiogan``) or of a folder of MIDI files (``midi``). The generator turns four noises
into one bar per voice and bar; a Conv3d critic reads the roll. As in Mark Liu's "Learn Generative
AI with PyTorch", ch. 13: WGAN-GP (weight 10), 5 critic steps, Adam 1e-3, betas (0.5, 0.9). The
run's notes and ``audiogan evaluate`` set the music metrics of fakes beside real phrases, per
voice. Beyond the book, measured on the chorales (the table in the docs' MuseGAN how-to): one
pitch or a rest per voice and step (``output="argmax"``, straight-through), resize upsampling,
critic streams of note onsets and pitch classes, and EMA sampling bring QN, EB and UPC within
10 % of the real chorales'; ``--set output=tanh upsample=transposed streams= ema=none`` is the
book's network. CPU defaults: width 16, 1600 steps (about 17 minutes on a 2-core CPU);
``full_size``: the book's width 128, batch 64.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from audiogan.data import JSBChorales, MidiFolder
from audiogan.frontends import PianoRoll
from audiogan.losses import GradientPenalty, Wasserstein
from audiogan.metrics import format_music_report, music_report
from audiogan.nn import MuseCritic, MuseGenerator
from audiogan.nn.layers import UPSAMPLES
from audiogan.nn.musegan import OUTPUTS, STREAMS
from audiogan.recipes.recipe import ConfigError, GanRun, Recipe, RunConfig, run_options
from audiogan.recipes.spectrogram import gan_callbacks
from audiogan.train import (
    LambdaCallback,
    Trainer,
    fixed_fakes,
    load_generator,
    run_checkpoint,
    seed_everything,
)


@dataclass
class Config(RunConfig):
    """MuseGAN's settings (and :class:`~audiogan.recipes.recipe.RunConfig`).

    Attributes:
        midi: A folder of ``.mid``/``.midi`` files to train on, all of them (default: chorales).
        split: Chorales to train on (by chorale): ``train``, ``valid``, ``test`` or ``all``.
        max_chorales: Build from the first N chorales of the catalogue only (a quick look).
        cache_dir: Where the parsed chorales are cached.
        width: Width C: critic channels C, its linear layer and the generator width 8C.
        output: The generator's output units (see :class:`~audiogan.nn.MuseGenerator`):
            ``"tanh"`` (the book), ``"deterministic"``/``"stochastic"`` binary neurons, or a
            per-voice distribution over pitches and a rest, ``"softmax"``, ``"argmax"`` or
            ``"gumbel"``.
        tau: Softmax temperature of the one-hot outputs.
        upsample: How the bar generators double the steps: ``"transposed"`` (the book) or
            ``"resize"`` (nearest-neighbour doubling and a conv).
        streams: Extra critic streams, comma-separated: ``"onset"`` (note changes per step),
            ``"chroma"`` (pitch classes per beat); ``""`` for the book's critic (see
            :class:`~audiogan.nn.musegan.RollStreams`).
        latent_dim, lr, critic_steps, gp_weight: Size of each noise, Adam's learning rate, critic
            steps per generator step, gradient penalty weight.
        ema: EMA decay of the generator used for sampling and the metrics, or None.
        num_fakes: MIDI files per round of fakes; report_fakes: phrases of the music metrics.
    """

    out: str = "runs/musegan"
    steps: int | None = 1600
    batch_size: int = 16
    every: int = 10
    unit: str = "epoch"
    midi: str | None = None
    split: str = "train"
    max_chorales: int | None = None
    cache_dir: str | None = None
    width: int = 16
    output: str = "argmax"
    tau: float = 1.0
    upsample: str = "resize"
    streams: str = "onset,chroma"
    latent_dim: int = 32
    lr: float = 1e-3
    critic_steps: int = 5
    gp_weight: float = 10.0
    ema: float | None = 0.999
    num_fakes: int = 4
    report_fakes: int = 64


FULL_SIZE = {"width": 128, "batch_size": 64, "every": 25}


def phrases(config: Config, split: str | None = None) -> JSBChorales | MidiFolder:
    """The MIDI folder's phrases, or the chorales' ``split`` (default: the config's)."""
    split = config.split if split is None else split
    if split not in ("train", "valid", "test", "all"):
        raise ConfigError(f"musegan: split must be train, valid, test or all, got {split!r}")
    if config.midi is None:
        split_or_all = None if split == "all" else split
        return JSBChorales(config.cache_dir, split_or_all, max_chorales=config.max_chorales)
    if not Path(config.midi).is_dir():
        raise ConfigError(f"--midi {config.midi}: no such folder")
    try:
        return MidiFolder(config.midi, PianoRoll(), on_error="skip")  # warns of skipped files
    except ValueError as e:  # no file gave a phrase
        raise ConfigError(str(e)) from e


def reference(config: Config, train: JSBChorales | MidiFolder) -> tuple[np.ndarray, str]:
    """The real rolls the music metrics are set beside: the test chorales, else ``train``'s."""
    test = phrases(config, "test") if config.midi is None else None
    if test is not None and len(test) > 0:
        return test.data, "the test chorales"
    return train.data, config.midi or f"split {config.split} (no test chorale built)"


def music_table(generator: nn.Module, real: np.ndarray, what: str, config: Config) -> str:
    """Music metrics of ``report_fakes`` phrases of ``generator`` beside ``real``, per voice."""
    fake, _ = fixed_fakes(generator, config.report_fakes, seed=config.seed + 1)
    fe = PianoRoll()  # fakes binarized as the MIDI holds them; qualified notes: an eighth or more
    rolls = real, fe.binarize(fake)  # (n, tracks, bars, steps, pitches), on where > 0
    report = music_report(*rolls, fe.track_names, fe.lowest_pitch, steps_per_beat=fe.steps_per_beat)
    header = f"music metrics: real = {len(real)} phrases of {what}, fake = {len(fake)} generated"
    return header + "\n" + format_music_report(report)


def critic_streams(config: Config) -> list[str]:
    """The critic's extra streams named in ``config.streams``, after checking ``output`` and
    ``upsample`` too.

    Raises:
        ConfigError: For an unknown output, upsampling or stream, in one line.
    """
    if config.output not in OUTPUTS:
        raise ConfigError(
            f"musegan: output must be one of {', '.join(OUTPUTS)}, got {config.output!r}"
        )
    if config.upsample not in UPSAMPLES:
        raise ConfigError(
            f"musegan: upsample must be one of {', '.join(UPSAMPLES)}, got {config.upsample!r}"
        )
    streams = [name.strip() for name in config.streams.split(",") if name.strip()]
    if any(name not in STREAMS for name in streams) or len(set(streams)) != len(streams):
        raise ConfigError(
            f"musegan: streams must be distinct names among {', '.join(STREAMS)} "
            f"(comma-separated), got {config.streams!r}"
        )
    return streams


def models(config: Config, num_classes: int = 0) -> tuple[MuseGenerator, MuseCritic]:
    """MuseGAN's generator and critic on :class:`~audiogan.frontends.PianoRoll`'s
    ``(tracks, bars, steps_per_bar, pitches)`` rolls (unconditional: ``num_classes`` is ignored).

    Raises:
        ConfigError: For an unknown output, upsampling or critic stream.
    """
    streams = critic_streams(config)
    c, shape = config.width, PianoRoll().feature_shape  # (tracks, bars, steps_per_bar, pitches)
    generator = MuseGenerator(
        config.latent_dim,
        shape,
        width=8 * c,
        linear_width=8 * c,
        output=config.output,
        tau=config.tau,
        upsample=config.upsample,
    )
    critic = MuseCritic(  # no BatchNorm: GP
        in_shape=shape, width=c, linear_width=8 * c, streams=streams
    )
    return generator, critic


def build(config: Config) -> GanRun:
    """Data, models and Trainer of MuseGAN."""
    critic_streams(config)  # settings first: a mistake costs no data loading
    seed_everything(config.seed)  # the models' initial weights: same seed, same run
    data = phrases(config)
    if len(data) // config.batch_size < config.critic_steps:  # a generator step takes critic_steps
        raise ConfigError(f"{len(data)} phrases: fewer than critic_steps batches of batch_size")
    frontend = PianoRoll()  # the layout; writes MIDI (66 quarter notes a minute) and draws rolls
    generator, critic = models(config)
    real = torch.as_tensor(data.data[: config.num_fakes]).float()  # drawn beside the fakes
    notes: list[str] = []  # the music metrics, after each round and at the end
    real_rolls, what = reference(config, data)

    def note_music(trainer: Trainer) -> None:
        notes[:] = ["", music_table(trainer.sampling_generator, real_rolls, what, config)]

    callbacks = gan_callbacks(config, frontend, None, real, None, config.num_fakes)
    trainer = Trainer(
        generator,
        critic,
        Wasserstein(),
        GradientPenalty(weight=config.gp_weight),
        generator_lr=config.lr,
        critic_lr=config.lr,
        betas=(0.5, 0.9),
        critic_steps=config.critic_steps,
        ema=config.ema,
        frontend=frontend,  # stored in the checkpoints: `audiogan generate` writes MIDI
        callbacks=[*callbacks, LambdaCallback(note_music, config.every, config.unit, at_end=True)],
        **run_options(config),
    )
    loader = DataLoader(
        data,
        batch_size=config.batch_size,
        shuffle=True,
        drop_last=True,
        num_workers=config.num_workers,
    )
    return GanRun("musegan", config, trainer, loader, notes)


def evaluate(run_dir: Path, config: Config) -> str:
    """The music metrics of the newest checkpoint's (EMA) generator beside real phrases."""
    checkpoint = run_checkpoint(run_dir)  # the newest readable one
    real, what = reference(config, phrases(config))
    return f"{checkpoint}\n" + music_table(load_generator(checkpoint), real, what, config)


RECIPE = Recipe(
    name="musegan",
    summary="MuseGAN on Bach chorales or a MIDI folder: 4 voices, 2 bars, written as MIDI",
    config=Config,
    full_size=FULL_SIZE,
    build=build,
    evaluate=evaluate,
    data_flags=("midi",),
    models=models,
)
