"""A HiFi-GAN vocoder for the LogMel features: hear the spectrogram GANs without Griffin-Lim.

Its input is the :class:`~audiogan.frontends.LogMel` frontend's own [-1, 1] features ``(batch,
n_mels, frames)`` (by default the wgan-gp recipe's: 16 kHz, n_fft 1024, hop 256, 64 mels), so it
decodes exactly what the spectrogram GANs generate (``audiogan train wgan-gp --set
vocoder=RUN``, or ``LogMel(..., vocoder=RUN)``). Trained as HiFi-GAN (Kong et al. 2020):
multi-period and multi-scale discriminators, least squares, feature matching (weight 2) and mel
L1 (weight 45), Adam with betas (0.8, 0.99), on segments of ``segment_frames`` frames cut at
random from the clips; ``held_out`` clips per class are kept for the sample rounds and
``audiogan evaluate``.

Frame alignment: LogMel's STFT is centred, so a segment of ``F * hop`` samples gives ``F + 1``
frames, frame ``t`` centred on sample ``t * hop``. The generator's input is the first ``F``
frames; frame ``t`` makes samples ``[t * hop, (t + 1) * hop)``, so its centre is the start of
its block (HiFi-GAN's uncentred frames sit half a hop later, mid-block: a fixed shift the
convolutions learn). Of the ``F * hop`` samples, ``LogMel.decode`` keeps Griffin-Lim's
``(F - 1) * hop``: the last hop lies past the last frame's centre.

CPU defaults: V3 (rates 8-8-4) with 128 instead of 256 channels, discriminators 1/32 as wide as
HiFi-GAN's (the critic costs most of a step), batch 8 of 16-frame segments (4096 samples; the
original: 8192), Adam 1e-3 (the original: 2e-4; a short run learns faster), 1200 steps: about
10 minutes on a 2-core CPU. ``full_size``: V1 (512 channels, rates 8-8-2-2), the original's
discriminators, 8192-sample segments, batch 16, Adam 2e-4, on 128 mels (the wgan-gp recipe's
full size), for a GPU.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path

import torch
from torch.utils.data import DataLoader, Dataset, Subset

from audiogan.data import FeatureCache
from audiogan.frontends import LogMel, Waveform
from audiogan.losses import (
    LeastSquares,
    MelReconstructionLoss,
    MultiResolutionSTFTLoss,
    feature_matching_term,
)
from audiogan.nn import HIFIGAN_PRESETS, CriticEnsemble, HiFiGANGenerator
from audiogan.nn import MultiPeriodDiscriminator as MPD
from audiogan.nn import MultiScaleDiscriminator as MSD
from audiogan.recipes import audio
from audiogan.recipes.audio import SpectrogramConfig, logmel
from audiogan.recipes.recipe import ConfigError, GanRun, Recipe
from audiogan.train import Trainer, latest_checkpoint, seed_everything
from audiogan.train.checkpoint import module_spec


@dataclass
class Config(SpectrogramConfig):
    """The vocoder's settings, beside :class:`~audiogan.recipes.audio.SpectrogramConfig`'s (there:
    clips of ``frames`` frames, their waveforms kept in ``OUT/cache`` with ``cache``, and
    ``samples_per_class`` held-out clips per class decoded in each sample round).

    Attributes:
        segment_frames: Frames of a training segment (``segment_frames * hop_length`` samples).
        preset: The HiFi-GAN generator, ``"v1"``, ``"v2"`` or ``"v3"``.
        channels: Its ``initial_channels`` (V1 512, V2 128, V3 256).
        upsample_rates: E.g. ``"8,8,4"`` (default: the preset's); their product is the hop.
        critic_width: ``w``: period discriminators ``w, 4w, 16w, 32w, 32w`` channels, scale
            discriminators ``4w, 4w, 8w, 16w, 32w, 32w, 32w`` (HiFi-GAN: 32).
        lr: Adam learning rate of both models.
        stft_weight: Weight of a multi-resolution STFT loss on the generator
            (:class:`~audiogan.losses.MultiResolutionSTFTLoss`, Parallel WaveGAN's), beside
            HiFi-GAN's mel L1; 0 for none (HiFi-GAN).
        held_out: Clips per class kept out of training, for sample rounds and evaluation.
    """

    out: str = "runs/vocoder"
    steps: int | None = 1200
    every: int = 300
    batch_size: int = 8
    samples_per_class: int = 1
    segment_frames: int = 16
    preset: str = "v3"
    channels: int = 128
    upsample_rates: str | None = None
    critic_width: int = 1
    lr: float = 1e-3
    stft_weight: float = 0.0
    held_out: int = 2


FULL_SIZE = {"preset": "v1", "channels": 512, "critic_width": 32, "batch_size": 16, "lr": 2e-4}
FULL_SIZE |= {"segment_frames": 32, "n_mels": 128, "steps": 500_000, "every": 5000}


def clips_and_held_out(config: Config, per_class: int) -> tuple[Dataset, list[int], torch.Tensor]:
    """Clips of ``frames * hop`` samples (kept in ``OUT/cache`` with ``cache``), the training
    indices, and the first ``per_class`` of each class's ``held_out`` clips ``(n, 1, time)``."""
    size = config.frames * config.hop_length
    clips = audio.labelled_clips(config, size)
    train, held = audio.held_out_split(clips.labels, config.held_out)
    if config.cache:
        where, wave = Path(config.out) / "cache", Waveform(config.sample_rate, size)
        clips = FeatureCache(clips, wave, where, dtype="float32", progress=False)
    return clips, train, torch.stack([clips[i][0] for h in held for i in h[:per_class]]).float()


def generator_of(config: Config) -> HiFiGANGenerator:
    """The preset with ``channels``, ``n_mels`` and ``upsample_rates``; they must make the hop."""
    if config.preset not in HIFIGAN_PRESETS:
        raise ConfigError(f"vocoder: preset must be v1, v2 or v3, got {config.preset!r}")
    settings = {**HIFIGAN_PRESETS[config.preset], "initial_channels": config.channels}
    if config.upsample_rates:  # e.g. "8,8,4", transposed-conv kernels 2 * rate
        rates = [int(r) for r in config.upsample_rates.split(",") if r.strip().isdigit()]
        settings |= {"upsample_rates": rates, "upsample_kernel_sizes": None}
    if math.prod(settings["upsample_rates"]) != config.hop_length:
        raise ConfigError(
            f"vocoder: upsample_rates {settings['upsample_rates']} must multiply to hop_length "
            f"{config.hop_length} (set e.g. upsample_rates=8,8,4)"
        )
    return HiFiGANGenerator(config.n_mels, **settings)


def critic_of(w: int) -> CriticEnsemble:
    """MPD and MSD at width ``w`` (HiFi-GAN's at 32); MSD's conv groups are HiFi-GAN's
    1-4-16-16-16-16-1 where they divide the channels, else the largest common divisor."""
    widths = [4 * w, 4 * w, 8 * w, 16 * w, 32 * w, 32 * w, 32 * w]
    pairs = zip((1, 4, 16, 16, 16, 16, 1), [1, *widths[:-1]], widths, strict=True)
    groups = [math.gcd(g, c_in, c_out) for g, c_in, c_out in pairs]
    return CriticEnsemble(
        MPD(channels=(w, 4 * w, 16 * w, 32 * w, 32 * w)), MSD(channels=widths, groups=groups)
    )


def build(config: Config) -> GanRun:
    """Clips, segments, HiFi-GAN against MPD + MSD, and the Trainer."""
    if config.vocoder is not None:
        raise ConfigError("the vocoder recipe trains a vocoder: its setting vocoder stays none")
    if not 1 <= config.segment_frames <= config.frames:
        raise ConfigError(f"vocoder: segment_frames must be 1 to frames ({config.frames})")
    seed_everything(config.seed)  # the models' initial weights: same seed, same run
    frontend, frames = logmel(config), config.segment_frames
    generator, critic = generator_of(config), critic_of(config.critic_width)
    mel_loss = MelReconstructionLoss.from_frontend(frontend)

    def mel_of(real: torch.Tensor) -> torch.Tensor:  # (batch, 1, S) -> (batch, n_mels, frames)
        return frontend.to(real.device).encode(real[:, 0])[:, 0, :, :frames]

    clips, train, waves = clips_and_held_out(config, config.samples_per_class)  # (n, 1, time)
    loader = DataLoader(
        audio.Segments(Subset(clips, train), frames * config.hop_length),
        batch_size=config.batch_size,
        shuffle=True,
        drop_last=True,
        num_workers=config.workers,
        collate_fn=audio.drop_labels,
    )
    losses = {"feature_matching": (2.0, feature_matching_term())}
    losses["mel"] = (45.0, lambda step: mel_loss(step.fake, step.real))
    if config.stft_weight > 0:
        stft_loss = MultiResolutionSTFTLoss()
        losses["stft"] = (config.stft_weight, lambda step: stft_loss(step.fake, step.real))
    mels = frontend.encode(waves[:, 0])[:, 0]  # (n, n_mels, frames): decoded each round
    rounds = Waveform(config.sample_rate, waves.shape[-1])  # what the sample rounds write
    trainer = Trainer(
        generator,
        critic,
        LeastSquares(),
        generator_lr=config.lr,
        critic_lr=config.lr,
        betas=(0.8, 0.99),
        precision=config.precision,
        generator_input=mel_of,
        generator_losses=losses,
        callbacks=audio.gan_callbacks(config, rounds, None, waves, None, inputs=mels),
        out_dir=config.out,
        device=config.device,
        seed=config.seed,
        metadata={"frontend": module_spec(frontend, with_state=False)},  # what LogMel checks
    )
    return GanRun("vocoder", config, trainer, loader)


def evaluate(run_dir: Path, config: Config) -> str:
    """The newest checkpoint and Griffin-Lim on the held-out clips: distances and CPU time."""
    checkpoint = latest_checkpoint(Path(run_dir) / "checkpoints")
    if checkpoint is None:
        raise ConfigError(f"{run_dir} has no checkpoint yet: train it first")
    frontend = logmel(config)
    vocoder = LogMel(**frontend.config, vocoder=checkpoint).load_vocoder()
    config = dataclasses.replace(config, out=str(run_dir))  # the run's clip cache
    _, _, waves = clips_and_held_out(config, config.held_out)  # (n, 1, frames * hop)
    iters = frontend.config["griffin_lim_iters"]
    seconds = len(waves) * frontend.num_samples_for_frames() / config.sample_rate
    return (
        f"{checkpoint} vs Griffin-Lim ({iters} iterations), on {len(waves)} held-out clips "
        f"({seconds:.1f} s); distances to the originals, time in 1 CPU thread (median of 3):\n"
        + audio.compare_decoders(frontend, {"HiFi-GAN": vocoder, "Griffin-Lim": None}, waves)
    )


RECIPE = Recipe(
    name="vocoder",
    summary="HiFi-GAN vocoder for the log-mels: decode spectrogram GANs without Griffin-Lim",
    config=Config,
    full_size=FULL_SIZE,
    build=build,
    evaluate=evaluate,
    data_flags=("data", "csv"),
    generates=False,
    generate_note="which decodes log-mels, it does not sample: its sample rounds (RUN/samples) "
    "hold held-out clips decoded; decode a spectrogram GAN's samples with it by `audiogan train "
    "wgan-gp --set vocoder=RUN` (LogMel(vocoder=RUN) in Python); `audiogan evaluate RUN` "
    "compares it with Griffin-Lim",
)
