"""The conditional WGAN-GP on log-mel spectrograms, with a learned label embedding: the main job.

A generator turns noise and a class label (a 16-d embedding) into a log-mel spectrogram; a
critic scores spectrograms with the label stacked as an extra plane. Wasserstein loss with a
gradient penalty (weight 10), 5 critic steps per generator step, Adam with betas (0.5, 0.9).

The CPU defaults train at 64 mels x 64 frames for 2000 generator steps of batch 16 (about 15
minutes of one core) and differ from the original where measurements on a folder of noisy
speech chose (docs/howto/real-recordings.rst): the critic (32-64-128-256 channels) reads the
label by projection and also classifies each spectrogram, and the generator is trained to
make spectrograms it classifies as their label (AC-GAN terms, weight 10); 2 critic steps per
generator step, Adam 5e-4 (the original: 1e-4), two 3x3 convs at the output size after the
generator's last stage (the original: none; they draw voiced speech's harmonic stripes),
samples from an EMA of the generator (decay 0.99; the original: none) whose BatchNorm
statistics are recomputed from its own outputs before each round of fakes and checkpoint
(standing statistics). ``full_size`` is the original: 1x128x256 log-mels, a label plane, no
classifier, no refining convs, 5 critic steps, batch 64, Adam 1e-4, no EMA, 100 epochs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from torch.optim import Optimizer
from torch.optim.lr_scheduler import LambdaLR

from audiogan.losses import (
    AuxiliaryClassifierCriticLoss,
    AuxiliaryClassifierGeneratorLoss,
    GradientPenalty,
    Penalties,
    R1Penalty,
    get_objective,
)
from audiogan.nn import AuxiliaryConvCritic2d, ConvCritic2d, ConvGenerator2d
from audiogan.recipes.checks import at_least, multiple_of, non_negative, one_of
from audiogan.recipes.recipe import ConfigError, GanRun, Recipe
from audiogan.recipes.spectrogram import (
    SpectrogramConfig,
    augment_notes,
    evaluate_audio,
    with_lecam,
)
from audiogan.recipes.spectrogram import spectrogram_data as _data
from audiogan.train import Trainer, seed_everything
from audiogan.train.callbacks.standing_stats import StandingStats

#: Generator and critic stages: each doubles / halves both axes, so n_mels and frames must be
#: multiples of 2**STAGES = 16.
STAGES = 4


@dataclass
class Config(SpectrogramConfig):
    """The conditional WGAN-GP's settings (and :class:`~audiogan.recipes.spectrogram.SpectrogramConfig`).

    Attributes:
        width: Width C: the generator has 16C ... 2C channels (and C at the output size with
            ``num_refine_convs``).
        critic_width: Width C of the critic: C, 2C, 4C, 8C channels.
        latent_dim: Noise size.
        embed_dim: Label embedding size.
        lr: Adam learning rate of the generator.
        critic_lr: Adam learning rate of the critic.
        conditioning: How the critic reads the label: ``"embedding"`` (a learned label plane
            stacked on the spectrogram) or ``"projection"`` (the inner product of a label
            embedding with the critic's pooled features, Miyato & Koyama 2018).
        upsample: The generator's stages: ``"transposed"`` (strided transposed convs) or
            ``"resize"`` (nearest resize + 3x3 conv).
        num_refine_convs: 3x3 convs at the output size after the generator's last stage (0:
            the last stage draws the output; n: it draws ``width`` maps, n - 1 convs with
            BatchNorm and ReLU refine them and a last conv maps them out). 2 draws the harmonic
            stripes of voiced speech that 0 blurs (docs/howto/real-recordings.rst).
        critic_steps: Critic steps per generator step.
        critic_norm: The critic's normalization: ``"none"`` or ``"spectral"`` (spectral norm on
            every conv and the score, Miyato et al. 2018: a Lipschitz critic without the gradient
            penalty's double backward), or ``"layer"`` / ``"instance"``.
        objective: The adversarial objective, a name of :func:`~audiogan.losses.get_objective`
            (``"wasserstein"``, ``"hinge"``, ``"non_saturating"`` ...).
        gp_weight: Gradient penalty weight (0: none).
        ac_weight: Weight of the AC-GAN terms (0: none): the critic (which then reads the label
            by projection) also classifies real and fake spectrograms, and the generator is
            trained to make spectrograms it classifies as their label (Odena et al. 2017).
        r1_gamma: Weight of an R1 penalty on the real clips (0: none), every ``r1_interval``
            critic steps.
        lr_decay: ``"none"`` or ``"linear"``: both learning rates fall linearly to 0 at the
            last of ``steps`` (as the original WGAN-GP code trains; needs ``steps``; a run
            resumed with more ``steps`` follows the line to its new end).
        ema: EMA decay of the generator used for sampling, or None.
        standing_stats: With ``ema``: before each round of fakes and each checkpoint, recompute
            the EMA generator's BatchNorm statistics from this many batches of its own outputs
            (:class:`~audiogan.train.callbacks.StandingStats`; 0: keep the live generator's).
        augment: As in :class:`~audiogan.recipes.spectrogram.SpectrogramConfig`; the default
            ``"auto"`` turns ADA on (``shift,mask,gain``, target 0.3) for folders of at most
            ``auto_augment_clips`` (8) clips per class, where it helped the small-folder runs
            of docs/howto/real-recordings.rst on every number, and leaves larger folders alone.
        init: ``"default"`` (PyTorch's) or ``"dcgan"`` (N(0, 0.02)) weight initialization.
        channels_last: Channels-last layout (0.80-0.84x the step time on a 2-core CPU).
    """

    out: str = "runs/wgan-gp"
    steps: int | None = 2000
    batch_size: int = 16
    every: int = 500
    width: int = 16
    critic_width: int = 32
    latent_dim: int = 100
    embed_dim: int = 16
    lr: float = 5e-4
    critic_lr: float = 5e-4
    conditioning: str = "projection"
    upsample: str = "transposed"
    num_refine_convs: int = 2
    critic_steps: int = 2
    critic_norm: str = "none"
    objective: str = "wasserstein"
    gp_weight: float = 10.0
    r1_gamma: float = 0.0
    r1_interval: int = 1
    ac_weight: float = 10.0
    lr_decay: str = "none"
    augment: str = "auto"
    auto_augment_clips: int = 8
    ema: float | None = 0.99
    standing_stats: int = 32
    init: str = "default"
    channels_last: bool = False


FULL_SIZE = {
    "n_mels": 128,
    "frames": 256,
    "width": 32,
    "critic_width": 32,
    "batch_size": 64,
    "lr": 1e-4,
    "critic_lr": 1e-4,
    "conditioning": "embedding",
    "num_refine_convs": 0,
    "augment": "",
    "critic_steps": 5,
    "ac_weight": 0.0,
    "ema": None,
    "standing_stats": 0,
    "steps": None,
    "epochs": 100,
    "every": 20,
    "unit": "epoch",
}


def models(config: Config, num_classes: int = 0) -> tuple[ConvGenerator2d, ConvCritic2d]:
    """The generator and critic of the conditional WGAN-GP on ``(1, n_mels, frames)`` log-mels.

    Args:
        config: The recipe's settings (sizes, conditioning, ``ac_weight`` ...).
        num_classes: The data's classes (0: unconditional).

    Raises:
        ConfigError: ``ac_weight > 0`` without ``conditioning=projection``.
    """
    shape = (1, config.n_mels, config.frames)
    generator = ConvGenerator2d(
        latent_dim=config.latent_dim,
        out_shape=shape,
        num_classes=num_classes,
        conditioning="embedding",
        embed_dim=config.embed_dim,
        width=config.width * 2**STAGES,
        num_upsamples=STAGES,
        upsample=config.upsample,
        num_refine_convs=config.num_refine_convs,
        init=config.init,
    )
    aux = {"num_aux_classes": num_classes} if config.ac_weight > 0 else {}
    if aux and config.conditioning != "projection":
        raise ConfigError(
            "ac_weight > 0 needs conditioning=projection (the head must not see the label)"
        )
    critic_class = AuxiliaryConvCritic2d if aux else ConvCritic2d
    critic = critic_class(  # no BatchNorm: it would break the per-sample gradient penalty
        in_shape=shape,
        **aux,
        num_classes=num_classes,
        conditioning=config.conditioning,  # a learned label plane, or projection
        embed_dim=config.embed_dim,
        width=config.critic_width,
        num_downsamples=STAGES,
        norm=config.critic_norm,
        init=config.init,
    )
    return generator, critic


def build(config: Config) -> GanRun:
    """Data, models and Trainer of the conditional WGAN-GP."""
    seed_everything(config.seed)  # the models' initial weights: same seed, same run
    data = _data(config)
    num_classes = len(data.classes)
    generator, critic = models(config, num_classes)
    aux = {"num_aux_classes": num_classes} if config.ac_weight > 0 else {}
    try:
        objective = get_objective(config.objective)
    except ValueError as e:
        raise ConfigError(f"objective: {e}") from e
    penalties = [GradientPenalty(weight=config.gp_weight)] if config.gp_weight > 0 else []
    if config.r1_gamma > 0:
        penalties.append(R1Penalty(config.r1_gamma, config.r1_interval))
    lecam = with_lecam(None, config)  # --set lecam=0.01 adds LeCam
    if lecam is not None:
        penalties.append(lecam)
    generator_losses = {}
    if aux:
        penalties.append(AuxiliaryClassifierCriticLoss(config.ac_weight))
        generator_losses["classifier"] = (
            config.ac_weight,
            AuxiliaryClassifierGeneratorLoss(critic),
        )
    penalty = Penalties(*penalties) if len(penalties) > 1 else (penalties or [None])[0]
    options = data.trainer_options(config)
    if config.lr_decay == "linear":
        if config.steps is None:
            raise ConfigError("lr_decay=linear needs steps (the step at which the rates reach 0)")
        options["generator_scheduler"] = options["critic_scheduler"] = _linear_decay(config.steps)
    if config.ema is not None and config.standing_stats > 0:  # before fakes and checkpoints
        every = {"every": config.every, "unit": config.unit, "seed": config.seed}
        stats = StandingStats(config.standing_stats, config.batch_size, **every)
        options["callbacks"].insert(0, stats)
    trainer = Trainer(
        generator,
        critic,
        objective,
        penalty,
        generator_lr=config.lr,
        critic_lr=config.critic_lr,
        betas=(0.5, 0.9),
        critic_steps=config.critic_steps,
        ema=config.ema,
        generator_losses=generator_losses or None,
        channels_last=config.channels_last,
        **options,
    )
    notes = augment_notes(config, data.smallest_class, options["augment"])
    return GanRun("wgan-gp", config, trainer, data.loader(config), notes)


def _linear_decay(steps: int) -> Callable[[Optimizer], LambdaLR]:
    """A scheduler factory: the rate times ``1 - step / steps`` (0 from ``steps`` on).

    The factor is a closure, which a scheduler's state does not save: a run resumed with more
    ``steps`` goes on along the line to its new last step instead of training at rate 0.
    """
    return lambda optimizer: LambdaLR(optimizer, lambda step: max(0.0, 1.0 - step / steps))


def _earlier(saved: Mapping[str, Any]) -> dict[str, Any]:
    """What runs made before a setting existed had: one width and learning rate for both
    models, a label plane, transposed convs drawing the output, WGAN-GP."""
    return {
        "critic_width": saved.get("width", 16),
        "critic_lr": saved.get("lr", 5e-4),
        "conditioning": "embedding",
        "upsample": "transposed",
        "num_refine_convs": 0,
        "augment": "",
        "objective": "wasserstein",
        "r1_gamma": 0.0,
        "r1_interval": 1,
        "ac_weight": 0.0,
        "standing_stats": 0,
    }


RECIPE = Recipe(
    name="wgan-gp",
    summary="conditional WGAN-GP on log-mels with a label embedding (the main job)",
    config=Config,
    full_size=FULL_SIZE,
    build=build,
    evaluate=evaluate_audio,
    data_flags=("data", "csv"),
    checks={
        "n_mels": multiple_of(2**STAGES),
        "frames": multiple_of(2**STAGES),
        "conditioning": one_of("embedding", "projection"),
        "upsample": one_of("transposed", "resize"),
        "num_refine_convs": non_negative(),
        "critic_norm": one_of("none", "spectral", "layer", "instance"),
        "ac_weight": non_negative(),
        "r1_interval": at_least(1),
        "standing_stats": non_negative(),
        "lr_decay": one_of("none", "linear"),
    },
    earlier=_earlier,
    models=models,
)
