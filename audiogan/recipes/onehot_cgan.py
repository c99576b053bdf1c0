"""The one-hot conditional GAN on log-mel spectrograms with a BCE loss (the one-hot cGAN).

The class label is a one-hot vector concatenated to the noise; a linear layer projects both to a
small grid of feature maps, and ConvTranspose2d stages with BatchNorm and ReLU double it up to the
spectrogram size (the generator ends in tanh: audiogan's log-mels live in [-1, 1]; the original
used ReLU on its own scale). The critic stacks one-hot label planes on the spectrogram and
downsamples with strided convolutions, BatchNorm and LeakyReLU. Binary cross-entropy on raw
logits (non-saturating generator loss), one critic step per generator step, Adam 2e-4
with betas (0.5, 0.999) for both; both models start from DCGAN's N(0, 0.02) weights (with
PyTorch's default initialization this GAN collapses to one noise pattern).

The CPU defaults train on the built-in synthetic sounds at 32 mels x 128 frames for 40 epochs
(400 steps, a minute or two on a 2-core CPU). ``full_size``: the original's 1x128x512 log-mels
(about 8 s at 16 kHz), a generator of 256-128-64-32 channels on an 8x32 base grid, batch 16.
"""

from __future__ import annotations

from dataclasses import dataclass

from audiogan.losses import NonSaturating
from audiogan.nn import ConvCritic2d, ConvGenerator2d
from audiogan.recipes.checks import multiple_of
from audiogan.recipes.recipe import GanRun, Recipe
from audiogan.recipes.spectrogram import SpectrogramConfig, evaluate_audio, with_lecam
from audiogan.recipes.spectrogram import spectrogram_data as _data
from audiogan.train import Trainer, seed_everything

#: Generator and critic stages: each doubles / halves both axes, so n_mels and frames must
#: be multiples of 2**STAGES = 16. The original: 8x32 -> 128x512.
STAGES = 4


@dataclass
class Config(SpectrogramConfig):
    """The one-hot cGAN's settings (and :class:`~audiogan.recipes.spectrogram.SpectrogramConfig`).

    Attributes:
        width: Width C: the generator's stages have 8C, 4C, 2C, C channels, the
            critic's C, 2C, 4C, 8C.
        latent_dim: Noise size.
        lr: Adam learning rate of both models.
        critic_norm: Normalization in the critic: ``"batch"`` (as in DCGAN and the
            original), ``"none"``, ``"layer"`` or ``"spectral"``.
    """

    out: str = "runs/onehot-cgan"
    steps: int | None = None
    epochs: int | None = 40
    batch_size: int = 16
    every: int = 5
    unit: str = "epoch"
    clips_per_class: int = 32
    n_mels: int = 32
    frames: int = 128
    fakes_per_class: int = 2
    width: int = 16
    latent_dim: int = 100
    lr: float = 2e-4
    critic_norm: str = "batch"


FULL_SIZE = {"n_mels": 128, "frames": 512, "width": 32, "batch_size": 16}


def models(config: Config, num_classes: int = 0) -> tuple[ConvGenerator2d, ConvCritic2d]:
    """The generator and critic of the one-hot cGAN on ``(1, n_mels, frames)`` log-mels, for
    ``num_classes`` classes (0: unconditional)."""
    shape = (1, config.n_mels, config.frames)
    generator = ConvGenerator2d(
        latent_dim=config.latent_dim,
        out_shape=shape,
        num_classes=num_classes,
        conditioning="onehot",  # one-hot label concatenated to the noise
        width=config.width * 2 ** (STAGES - 1),
        num_upsamples=STAGES,
        upsample="transposed",  # ConvTranspose2d(kernel 4, stride 2, padding 1)
        norm="batch",
        activation="relu",
    )
    critic = ConvCritic2d(
        in_shape=shape,
        num_classes=num_classes,
        conditioning="onehot",  # one constant plane per class stacked on the spectrogram
        width=config.width,
        num_downsamples=STAGES,
        norm=config.critic_norm,
        activation="leaky_relu",
    )
    return generator, critic


def build(config: Config) -> GanRun:
    """Data, models and Trainer of the one-hot cGAN."""
    seed_everything(config.seed)  # the models' initial weights: same seed, same run
    data = _data(config)
    generator, critic = models(config, len(data.classes))
    trainer = Trainer(
        generator,
        critic,
        NonSaturating(),  # BCE on logits; the generator maximizes log D(G(z))
        with_lecam(None, config),  # --set lecam=0.3: LeCam regularization (none by default)
        generator_lr=config.lr,
        critic_lr=config.lr,
        betas=(0.5, 0.999),
        critic_steps=1,
        **data.trainer_options(config),
    )
    return GanRun("onehot-cgan", config, trainer, data.loader(config))


RECIPE = Recipe(
    name="onehot-cgan",
    summary="conditional DCGAN on log-mels: one-hot labels on the noise, BCE loss",
    config=Config,
    full_size=FULL_SIZE,
    build=build,
    evaluate=evaluate_audio,
    data_flags=("data", "csv"),
    checks={"n_mels": multiple_of(2**STAGES), "frames": multiple_of(2**STAGES)},
    models=models,
)
