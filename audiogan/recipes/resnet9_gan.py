"""A spectrogram GAN whose critic is a ResNet-9 classifier (the ResNet-9 GAN).

An unconditional generator upsamples noise with ConvTranspose2d stages into a log-mel
spectrogram (the data's class labels are dropped); the critic is the ResNet-9 of the fast
CIFAR-10 classifiers with a one-unit head (raw logit). Trained with binary cross-entropy, the
ResNet-9 wins too easily when both models learn at the same rate (its loss falls to ~0 while the
generator's explodes), so, as in the original, it learns 10 times slower: Adam 2e-4 for the
generator and 2e-5 for the critic (two time-scale update rule, TTUR). Both losses are
logged every step to ``OUT/metrics.csv`` and plotted in ``OUT/losses.png``.

The CPU defaults train on the built-in synthetic sounds at 64 mels x 64 frames for 1000 steps
(about 11 minutes on a 2-core CPU), with the ResNet-9's layers spectrally normalized (its
BatchNorm, the original's ``norm="batch"``, let the critic win in short CPU runs). Two
additions keep the generator from collapsing to one pattern, as it did with TTUR alone: a
minibatch standard deviation feature before the ResNet-9's head (``minibatch_std=4``), so that
the critic sees how varied a batch is, and draws its fakes from an EMA of the generator
(measured in the docs' how-to; with the original's BatchNorm the generator still collapses).
``full_size``: the original's sizes, a ResNet-9 of width 64 on 1x128x256 log-mels, batch 64
(``--set norm=batch minibatch_std=0 ema=none``: exactly the original).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch.utils.data import DataLoader

from audiogan.losses import NonSaturating, R1Penalty
from audiogan.nn import ConvGenerator2d, ResNet9Critic, dcgan_init_
from audiogan.recipes.checks import multiple_of
from audiogan.recipes.recipe import GanRun, Recipe, run_options
from audiogan.recipes.spectrogram import (
    SpectrogramConfig,
    augmentation,
    evaluate_audio,
    gan_callbacks,
    with_lecam,
)
from audiogan.recipes.spectrogram import spectrogram_data as _data
from audiogan.train import LambdaCallback, Trainer, seed_everything

#: Generator doubling stages: n_mels and frames must be multiples of 2**STAGES = 16.
STAGES = 4


@dataclass
class Config(SpectrogramConfig):
    """The ResNet-9 GAN's settings (and :class:`~audiogan.recipes.spectrogram.SpectrogramConfig`).

    ``fakes_per_class`` is the number of fakes per round (the generator has no classes).

    Attributes:
        critic_width: ResNet-9 width W: its stages have W, 2W, 4W, 8W channels.
        norm: Normalization in the ResNet-9: ``"spectral"``, ``"batch"`` (the original),
            ``"instance"``, ``"layer"`` or ``"none"``.
        minibatch_std: Group size of the ResNet-9's minibatch standard deviation feature
            (:class:`~audiogan.nn.MinibatchStdDev`), 0 for none (the original).
        width: Generator width C: its stages have 8C, 4C, 2C, C channels.
        latent_dim: Noise size.
        generator_lr: Adam learning rate of the generator.
        critic_lr: Adam learning rate of the critic (TTUR: 10x lower).
        label_smoothing: One-sided label smoothing of the real target (0: none).
        r1_gamma: Weight of an R1 penalty on the real data (0: none), every ``r1_interval``
            critic steps.
        ema: EMA decay of the generator used for fakes and evaluation, or None.
        eval_fakes: Fakes ``audiogan evaluate`` scores (in total: the generator has no
            classes).
    """

    out: str = "runs/resnet9-gan"
    steps: int | None = 1000
    every: int = 100
    clips_per_class: int = 32
    n_mels: int = 64
    frames: int = 64
    fakes_per_class: int = 8
    critic_width: int = 16
    norm: str = "spectral"
    minibatch_std: int = 4
    width: int = 16
    latent_dim: int = 100
    generator_lr: float = 2e-4
    critic_lr: float = 2e-5
    label_smoothing: float = 0.0
    r1_gamma: float = 0.0
    r1_interval: int = 1
    ema: float | None = 0.999
    eval_fakes: int = 160


FULL_SIZE = {
    "n_mels": 128,
    "frames": 256,
    "critic_width": 64,
    "width": 32,
    "batch_size": 64,
}


def features_only(batch: list[tuple[torch.Tensor, int]]) -> torch.Tensor:
    """Collate ``(features, label)`` items into features ``(batch, *shape)``: no labels."""
    return torch.stack([torch.as_tensor(x) for x, _ in batch])


def models(config: Config, num_classes: int = 0) -> tuple[ConvGenerator2d, ResNet9Critic]:
    """The generator and critic of the ResNet-9 GAN on ``(1, n_mels, frames)`` log-mels (it is
    unconditional: ``num_classes`` is ignored), the critic with DCGAN's initialization."""
    shape = (1, config.n_mels, config.frames)
    generator = ConvGenerator2d(  # DCGAN's N(0, 0.02) initialization (its default)
        latent_dim=config.latent_dim,
        out_shape=shape,
        width=config.width * 2 ** (STAGES - 1),
        num_upsamples=STAGES,
    )
    critic = ResNet9Critic(
        in_channels=shape[0],
        width=config.critic_width,
        norm=config.norm,
        minibatch_std=config.minibatch_std,
    )
    dcgan_init_(critic)  # with PyTorch's default initialization the generator collapses
    return generator, critic


def build(config: Config) -> GanRun:
    """Data, models and Trainer of the ResNet-9 GAN."""
    seed_everything(config.seed)  # the models' initial weights: same seed, same run
    data = _data(config)
    loader = DataLoader(
        data.dataset,
        batch_size=config.batch_size,
        shuffle=True,
        drop_last=True,
        num_workers=config.num_workers,
        collate_fn=features_only,  # the GAN is unconditional
    )
    generator, critic = models(config)
    # Real pictures beside the fakes: a shuffled few, not all of the first class.
    shuffled = torch.randperm(len(data.real), generator=torch.Generator().manual_seed(config.seed))
    notes: list[str] = []
    callbacks = gan_callbacks(
        config, data.frontend, None, data.real[shuffled], None, config.fakes_per_class
    )
    callbacks.append(
        LambdaCallback(lambda t: note_balance(t, notes), config.every, config.unit, at_end=True)
    )
    trainer = Trainer(
        generator,
        critic,
        NonSaturating(label_smoothing=config.label_smoothing),  # BCE on logits
        with_lecam(
            R1Penalty(config.r1_gamma, config.r1_interval) if config.r1_gamma > 0 else None,
            config,
        ),
        generator_lr=config.generator_lr,
        critic_lr=config.critic_lr,  # TTUR
        betas=(0.5, 0.999),
        critic_steps=1,
        ema=config.ema,
        augment=augmentation(config, data.smallest_class),
        preprocess=data.preprocess,
        frontend=data.frontend,
        callbacks=callbacks,
        **run_options(config),
    )
    return GanRun("resnet9-gan", config, trainer, loader, notes)


def note_balance(trainer: Trainer, notes: list[str], last: int = 20) -> None:
    """Set ``notes`` to the mean losses of the ``last`` steps: how balanced the fight ended.

    The original saw about 0.46 (critic) and 1.30 (generator) with TTUR, 0.002 and 6.7
    without (the critic winning outright).
    """
    recent = trainer.history[-last:]
    if recent:
        d, g = (sum(h[k] for h in recent) / len(recent) for k in ("critic_loss", "generator_loss"))
        notes[:] = [
            f"mean of the last {len(recent)} steps: critic_loss {d:.3f}, generator_loss {g:.3f}"
        ]


def evaluate(run_dir: Path, config: Config) -> str:
    """:func:`~audiogan.recipes.spectrogram.evaluate_audio` on ``eval_fakes`` fakes in all (the
    generator has no classes), with its collapse check."""
    return evaluate_audio(run_dir, config, fakes_per_class=config.eval_fakes)


RECIPE = Recipe(
    name="resnet9-gan",
    summary="unconditional GAN on log-mels with a ResNet-9 critic, BCE and TTUR",
    config=Config,
    full_size=FULL_SIZE,
    build=build,
    evaluate=evaluate,
    data_flags=("data", "csv"),
    checks={"n_mels": multiple_of(2**STAGES), "frames": multiple_of(2**STAGES)},
    models=models,
)
