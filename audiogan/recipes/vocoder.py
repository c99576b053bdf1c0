"""A HiFi-GAN vocoder for the LogMel features: hear the spectrogram GANs without Griffin-Lim.

The generator's input is the :class:`~audiogan.frontends.LogMel` frontend's own features, the
[-1, 1] log-mel ``(batch, n_mels, frames)`` (the wgan-gp recipe's settings by default: 16 kHz,
n_fft 1024, hop 256, 64 mels), so it decodes exactly what the spectrogram GANs generate:
``audiogan train wgan-gp --set vocoder=RUN`` or ``LogMel(..., vocoder=RUN)``. Training follows
HiFi-GAN (Kong et al. 2020): the multi-period and multi-scale discriminators in one
:class:`~audiogan.nn.CriticEnsemble`, least squares, feature matching (weight 2), mel L1
(weight 45), Adam 2e-4 with betas (0.8, 0.99), on segments of ``segment_frames`` frames (32:
8192 samples) cut at random from the clips (``held_out`` clips per class are kept out: the
sample rounds and ``audiogan evaluate`` decode them).

Frame alignment: LogMel's STFT is centred, so a segment of ``S = F * hop`` samples gives
``F + 1`` frames, frame ``t`` centred on sample ``t * hop``. The generator makes ``hop`` samples
per frame; its input is the first ``F`` frames, so frame ``t`` yields samples ``[t * hop,
(t + 1) * hop)`` and its centre is the start of that block (HiFi-GAN's uncentred frames sit half
a hop later, in the middle: a fixed shift the convolutions learn). Of the ``F * hop`` samples
that ``F`` frames give, ``LogMel.decode`` keeps Griffin-Lim's ``(F - 1) * hop``.

CPU defaults: a V3 generator (rates 8-8-4, ResBlock2) with 32 channels instead of 256, critic
widths 1/8 of HiFi-GAN's, batch 8, 1200 steps (about 10 minutes on a 2-core CPU). ``full_size``:
HiFi-GAN V1 (512 channels, rates 8-8-2-2) with the reference's discriminators and batch 16, on
128 mels (the wgan-gp recipe's full size), for a GPU.
"""

from __future__ import annotations

import math
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from torch.utils.data import DataLoader, Dataset, Subset

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
from audiogan.recipes.audio import SpectrogramConfig, gan_callbacks, labelled_clips, logmel
from audiogan.recipes.recipe import ConfigError, GanRun, Recipe
from audiogan.train import Trainer, latest_checkpoint, seed_everything
from audiogan.train.checkpoint import module_spec


@dataclass
class Config(SpectrogramConfig):
    """The vocoder's settings (and :class:`~audiogan.recipes.audio.SpectrogramConfig`: clips of
    ``frames`` frames, ``samples_per_class`` held-out clips per class in each sample round).

    Attributes:
        segment_frames: Frames of a training segment (``segment_frames * hop_length`` samples).
        preset: The HiFi-GAN generator, ``"v1"``, ``"v2"`` or ``"v3"``.
        channels: Its ``initial_channels`` (V1 512, V2 128, V3 256).
        upsample_rates: E.g. ``"8,8,4"`` (default: the preset's); their product is the hop.
        critic_width: ``w``: period discriminators ``w, 4w, 16w, 32w, 32w`` channels, scale
            discriminators ``4w, 4w, 8w, 16w, 32w, 32w, 32w`` (HiFi-GAN: 32; a multiple of 4).
        lr: Adam learning rate of both models.
        held_out: Clips per class kept out of training, for sample rounds and evaluation.
    """

    out: str = "runs/vocoder"
    steps: int | None = 1200
    every: int = 300
    batch_size: int = 8
    samples_per_class: int = 1
    segment_frames: int = 32
    preset: str = "v3"
    channels: int = 32
    upsample_rates: str | None = None
    critic_width: int = 4
    lr: float = 2e-4
    held_out: int = 2


FULL_SIZE = {"preset": "v1", "channels": 512, "critic_width": 32, "batch_size": 16}
FULL_SIZE |= {"n_mels": 128, "steps": 500_000, "every": 5000}


class Segments(Dataset):
    """Random ``(1, segment)`` crops of the clips ``((1, time), label)``, a new crop each visit."""

    def __init__(self, clips: Dataset, segment: int) -> None:
        self.clips, self.segment = clips, segment

    def __len__(self) -> int:
        return len(self.clips)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        wave, label = self.clips[index]  # (1, time)
        start = int(torch.randint(wave.shape[-1] - self.segment + 1, ()))
        return wave[:, start : start + self.segment], label


def drop_labels(items: list[tuple[torch.Tensor, int]]) -> torch.Tensor:
    """Collate ``(wave, label)`` items into the real batch ``(batch, 1, segment)``."""
    return torch.stack([wave for wave, _ in items])


def held_out_clips(config: Config, per_class: int) -> tuple[Dataset, list[int], torch.Tensor]:
    """The clips of ``frames * hop`` samples, the training indices and the first ``per_class``
    of each class's ``held_out`` clips ``(n, 1, time)``."""
    clips = labelled_clips(config, config.frames * config.hop_length)
    labels = [int(y) for y in clips.labels]
    held = [
        [i for i, y in enumerate(labels) if y == c][: config.held_out] for c in sorted(set(labels))
    ]
    kept = {i for h in held for i in h}
    waves = torch.stack([clips[i][0] for h in held for i in h[:per_class]]).float()
    return clips, [i for i in range(len(labels)) if i not in kept], waves


def generator_of(config: Config) -> HiFiGANGenerator:
    """The preset with ``channels``, ``n_mels`` and ``upsample_rates``; they must make the hop."""
    if config.preset not in HIFIGAN_PRESETS:
        raise ConfigError(f"vocoder: preset must be v1, v2 or v3, got {config.preset!r}")
    settings = {**HIFIGAN_PRESETS[config.preset], "initial_channels": config.channels}
    if config.upsample_rates:
        rates = [int(r) for r in config.upsample_rates.split(",") if r.strip().isdigit()]
        settings |= {"upsample_rates": rates, "upsample_kernel_sizes": None}
    if math.prod(settings["upsample_rates"]) != config.hop_length:
        raise ConfigError(
            f"vocoder: upsample_rates {settings['upsample_rates']} must multiply to hop_length "
            f"{config.hop_length} (set e.g. upsample_rates=8,8,4)"
        )
    return HiFiGANGenerator(n_mels=config.n_mels, **settings)


def build(config: Config) -> GanRun:
    """Clips, segments, HiFi-GAN against MPD + MSD, and the Trainer."""
    if config.vocoder is not None or config.critic_width % 4:
        raise ConfigError("vocoder: critic_width must be a multiple of 4 and vocoder none")
    seed_everything(config.seed)  # the models' initial weights: same seed, same run
    frontend, frames = logmel(config), config.segment_frames
    generator, w = generator_of(config), config.critic_width
    critic = CriticEnsemble(
        MPD(channels=(w, 4 * w, 16 * w, 32 * w, 32 * w)),
        MSD(channels=(4 * w, 4 * w, 8 * w, 16 * w, 32 * w, 32 * w, 32 * w)),
    )
    mel_loss = MelReconstructionLoss.from_frontend(frontend)

    def mel_of(real: torch.Tensor) -> torch.Tensor:  # (batch, 1, S) -> (batch, n_mels, frames)
        return frontend.to(real.device).encode(real[:, 0])[:, 0, :, :frames]

    clips, train, waves = held_out_clips(config, config.samples_per_class)  # (n, 1, time)
    loader = DataLoader(
        Segments(Subset(clips, train), frames * config.hop_length),
        batch_size=config.batch_size,
        shuffle=True,
        drop_last=True,
        num_workers=config.workers,
        collate_fn=drop_labels,
    )
    trainer = Trainer(
        generator,
        critic,
        LeastSquares(),
        generator_lr=config.lr,
        critic_lr=config.lr,
        betas=(0.8, 0.99),
        precision=config.precision,
        generator_input=mel_of,
        generator_losses={
            "feature_matching": (2.0, feature_matching_term()),
            "mel": (45.0, lambda step: mel_loss(step.fake, step.real)),
        },
        callbacks=gan_callbacks(
            config,
            Waveform(config.sample_rate, waves.shape[-1]),  # what sample rounds write
            None,
            waves,
            None,
            inputs=frontend.encode(waves[:, 0])[:, 0],  # (n, n_mels, frames)
        ),
        out_dir=config.out,
        device=config.device,
        seed=config.seed,
        metadata={"frontend": module_spec(frontend, with_state=False)},  # what LogMel checks
    )
    return GanRun("vocoder", config, trainer, loader)


def evaluate(run_dir: Path, config: Config, repeats: int = 3) -> str:
    """MR-STFT distance and log-mel L1 to the held-out clips, and CPU time per second of audio
    (one thread, median of ``repeats``), of the newest checkpoint and of Griffin-Lim."""
    checkpoint = latest_checkpoint(Path(run_dir) / "checkpoints")
    if checkpoint is None:
        raise ConfigError(f"{run_dir} has no checkpoint yet: train it first")
    frontend = logmel(config)
    vocoder = LogMel(**frontend.config, vocoder=checkpoint).load_vocoder()
    _, _, waves = held_out_clips(config, config.held_out)  # (n, 1, frames * hop)
    features = frontend.encode(waves[:, 0])  # (n, 1, n_mels, frames)
    original = waves[..., : frontend.num_samples_for_frames()]  # what both decoders return
    distances = [MultiResolutionSTFTLoss(), MelReconstructionLoss.from_frontend(frontend)]
    seconds = original.numel() / config.sample_rate
    lines = [
        f"{checkpoint} vs Griffin-Lim ({frontend.config['griffin_lim_iters']} iterations) on "
        f"{len(waves)} held-out clips ({seconds:.1f} s), distances to the original waveforms:",
        f"{'decoder':<12} {'MR-STFT':>8} {'log-mel L1':>11} {'CPU s per s of audio':>21}",
    ]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for name, model in (("HiFi-GAN", vocoder), ("Griffin-Lim", None)):
            with torch.no_grad():
                decoded = frontend.decode(features, vocoder=model)[:, None]  # (n, 1, time)
                times = []
                for _ in range(repeats):
                    start = time.perf_counter()
                    frontend.decode(features, vocoder=model)
                    times.append(time.perf_counter() - start)
                mrstft, mel = (float(d(decoded, original)) for d in distances)
            speed = statistics.median(times) / seconds
            lines.append(f"{name:<12} {mrstft:>8.3f} {mel:>11.3f} {speed:>21.4f}")
    finally:
        torch.set_num_threads(threads)
    return "\n".join(lines + [f"(CPU: 1 thread, median of {repeats} decodes of all the clips)"])


RECIPE = Recipe(
    name="vocoder",
    summary="HiFi-GAN vocoder for the log-mels: decode spectrogram GANs without Griffin-Lim",
    config=Config,
    full_size=FULL_SIZE,
    build=build,
    evaluate=evaluate,
    data_flags=("data", "csv"),
    generates=False,
)
