"""The conditional WGAN-GP on log-mel spectrograms, with a learned label embedding: the main job.

A generator turns noise and a class label (a 16-d embedding) into a log-mel spectrogram; a
critic scores spectrograms with the label stacked as an extra plane. Wasserstein loss with a
gradient penalty (weight 10), 5 critic steps per generator step, Adam with betas (0.5, 0.9).

The CPU defaults train on the built-in synthetic sounds at 64 mels x 64 frames for 800 generator
steps (about 5 minutes on a 2-core CPU); to learn that fast they use Adam 5e-4 (the original:
1e-4) and sample from an EMA of the generator (decay 0.99; the original: none). ``full_size``:
1x128x256 log-mels, critic 32-64-128-256 channels, batch 64, Adam 1e-4, no EMA, 100 epochs.
"""

from __future__ import annotations

from dataclasses import dataclass

from audiogan.losses import GradientPenalty, Wasserstein
from audiogan.nn import ConvCritic2d, ConvGenerator2d
from audiogan.recipes.audio import SpectrogramConfig, evaluate_audio
from audiogan.recipes.audio import spectrogram_data as _data
from audiogan.recipes.recipe import GanRun, Recipe
from audiogan.train import Trainer, seed_everything

#: Generator and critic stages: each doubles / halves both axes, so n_mels and frames must be
#: multiples of 2**STAGES = 16.
STAGES = 4


@dataclass
class Config(SpectrogramConfig):
    """The conditional WGAN-GP's settings (and :class:`~audiogan.recipes.audio.SpectrogramConfig`).

    Attributes:
        channels: Width C: the critic has C, 2C, 4C, 8C channels, the generator 16C ... 2C.
        latent_dim: Noise size.
        embed_dim: Label embedding size.
        lr: Adam learning rate of both models.
        n_critic: Critic steps per generator step.
        gp_weight: Gradient penalty weight.
        ema: EMA decay of the generator used for sampling, or None.
        init: ``"default"`` (PyTorch's) or ``"dcgan"`` (N(0, 0.02)) weight initialization.
        channels_last: Channels-last layout (0.80-0.84x the step time on a 2-core CPU).
    """

    out: str = "runs/wgan-gp"
    steps: int | None = 800
    every: int = 200
    channels: int = 16
    latent_dim: int = 100
    embed_dim: int = 16
    lr: float = 5e-4
    n_critic: int = 5
    gp_weight: float = 10.0
    ema: float | None = 0.99
    init: str = "default"
    channels_last: bool = False


FULL_SIZE = {
    "n_mels": 128,
    "frames": 256,
    "channels": 32,
    "batch_size": 64,
    "lr": 1e-4,
    "ema": None,
    "steps": None,
    "epochs": 100,
    "every": 20,
    "unit": "epoch",
}


def build(config: Config) -> GanRun:
    """Data, models and Trainer of the conditional WGAN-GP."""
    seed_everything(config.seed)  # the models' initial weights: same seed, same run
    data = _data(config)
    shape = data.frontend.feature_shape  # (1, n_mels, frames)
    num_classes = len(data.classes)
    generator = ConvGenerator2d(
        latent_dim=config.latent_dim,
        out_shape=shape,
        num_classes=num_classes,
        conditioning="embedding",
        embed_dim=config.embed_dim,
        base_channels=config.channels * 2**STAGES,
        n_upsamples=STAGES,
        init=config.init,
    )
    critic = ConvCritic2d(  # no BatchNorm: it would break the per-sample gradient penalty
        in_shape=shape,
        num_classes=num_classes,
        conditioning="embedding",  # the label as a learned plane stacked on the spectrogram
        embed_dim=config.embed_dim,
        base_channels=config.channels,
        n_downsamples=STAGES,
        init=config.init,
    )
    trainer = Trainer(
        generator,
        critic,
        Wasserstein(),
        GradientPenalty(weight=config.gp_weight),
        generator_lr=config.lr,
        critic_lr=config.lr,
        betas=(0.5, 0.9),
        n_critic=config.n_critic,
        ema=config.ema,
        channels_last=config.channels_last,
        **data.trainer_options(config),
    )
    return GanRun("wgan-gp", config, trainer, data.loader(config))


RECIPE = Recipe(
    name="wgan-gp",
    summary="conditional WGAN-GP on log-mels with a label embedding (the main job)",
    config=Config,
    full_size=FULL_SIZE,
    build=build,
    evaluate=evaluate_audio,
    data_flags=("data", "csv"),
)
