"""A vocoder for the LogMel features: hear the spectrogram GANs better than by Griffin-Lim.

Its input is the :class:`~audiogan.frontends.LogMel` frontend's own [-1, 1] features ``(batch,
n_mels, frames)`` (by default the wgan-gp recipe's: 16 kHz, n_fft 1024, hop 256, 64 mels), so it
decodes exactly what the spectrogram GANs generate (``audiogan train wgan-gp --set
vocoder=RUN``, or ``LogMel(..., vocoder=load_vocoder(RUN, LogMel(...)))``). Its GAN vocoders
train as HiFi-GAN (Kong et al. 2020): multi-period and multi-scale critics, least squares, feature matching (weight 2) and mel
L1 (weight 45), Adam with betas (0.8, 0.99), on segments of ``segment_frames`` frames cut at
random from the clips; ``held_out`` clips per class are kept for the rounds of fakes and
``audiogan evaluate``. ``generator`` picks a learned Griffin-Lim (Deep Griffin-Lim Iteration,
Masuyama et al. 2019; the CPU default), HiFi-GAN, iSTFTNet (Kaneko et al. 2022) or Vocos
(Siuzdak 2023), ``critic`` the critics (HiFi-GAN's MPD and MSD, UnivNet's MRD, DAC's and Vocos'
multi-band STFT critic, EnCodec's complex STFT critic), ``critic_start`` a reconstruction-only
warm-up (ParallelWaveGAN, Vocos), ``multiscale_mel_weight`` DAC's seven-scale mel loss.

Frame alignment: LogMel's STFT is centred, so a segment of ``F * hop`` samples gives ``F + 1``
frames, frame ``t`` centred on sample ``t * hop``. The generator's input is the first ``F``
frames; frame ``t`` makes samples ``[t * hop, (t + 1) * hop)``, so its centre is the start of
its block (HiFi-GAN's uncentred frames sit half a hop later, mid-block: a fixed shift the
convolutions learn). Of the ``F * hop`` samples, ``LogMel.decode`` keeps Griffin-Lim's
``(F - 1) * hop``: the last hop lies past the last frame's centre. Vocos here inverts a centred
STFT, and the learned Griffin-Lim iterates one, so they read all ``F + 1`` frames and frame ``t``
is centred on sample ``t * hop`` exactly.

CPU defaults, the best of the attempts in docs/howto/vocoder.rst within 15 minutes of one CPU
core (the only one there that beats 32 Griffin-Lim iterations on PESQ, periodicity and V/UV F1):
the learned Griffin-Lim (``generator=degli``): a magnitude network of 2 ConvNeXt blocks of width
128 on the pseudo-inverse of the mel filterbank, 12 fast Griffin-Lim iterations of which the
last 2 add DeGLI's network of 8 channels (0.33 M parameters); 4500 steps on the mel L1 (45),
the multi-resolution STFT loss (45) and the log-magnitude L1 (45) alone; the critics (MPD and
the multi-band STFT critic at 1/32 of the published widths, STFT critics 4 channels) join at
step 4500, after the default run. Batch 8 of 16-frame segments (4096 samples; the originals:
8192 to 16384), Adam 1e-3. ``full_size``: the published Vocos (width 512, 8 blocks, 13.5 M
parameters at 100 mels; ``generator=hifigan`` or ``istftnet`` with it: HiFi-GAN V1, iSTFTNet
C8C8I on V1's trunk), the published critic widths (32) without a warm-up (Vocos'
``pretrain_mel_steps`` is 0), 8192-sample segments, batch 16, Adam 2e-4, on 128 mels (the
wgan-gp recipe's full size), for a GPU.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, Subset

from audiogan.data import FeatureCache
from audiogan.frontends import LogMel, Waveform
from audiogan.losses import (
    LeastSquares,
    MelReconstructionLoss,
    MultiResolutionSTFTLoss,
    MultiScaleMelLoss,
    feature_matching_term,
)
from audiogan.metrics import (
    DECODER_METRICS,
    DecoderTable,
    available_metrics,
    compare_decoders,
    time_decoder,
)
from audiogan.nn import (
    HIFIGAN_PRESETS,
    ComplexMultiScaleSTFTCritic,
    CriticEnsemble,
    DeepGriffinLimGenerator,
    HiFiGANGenerator,
    ISTFTNetGenerator,
    MultiBandSTFTCritic,
    MultiResolutionSTFTCritic,
    VocosGenerator,
)
from audiogan.nn import MultiPeriodCritic as MPD
from audiogan.nn import MultiScaleCritic as MSD
from audiogan.recipes import spectrogram
from audiogan.recipes.recipe import ConfigError, GanRun, Recipe, run_options
from audiogan.recipes.spectrogram import SpectrogramConfig, logmel
from audiogan.train import Trainer, load_vocoder, run_checkpoint, seed_everything
from audiogan.train.checkpoints import module_spec


@dataclass
class Config(SpectrogramConfig):
    """The vocoder's settings, beside :class:`~audiogan.recipes.spectrogram.SpectrogramConfig`'s (there:
    clips of ``frames`` frames, their waveforms kept in ``OUT/cache`` with ``cache``, and
    ``fakes_per_class`` held-out clips per class decoded in each round of fakes).

    Attributes:
        segment_frames: Frames of a training segment (``segment_frames * hop_length`` samples).
        generator: ``"hifigan"`` (:class:`~audiogan.nn.HiFiGANGenerator`), ``"istftnet"``
            (:class:`~audiogan.nn.ISTFTNetGenerator`: the preset's trunk cut to
            ``upsample_rates``, then an inverse STFT of n_fft 16, hop 4) or ``"vocos"``
            (:class:`~audiogan.nn.VocosGenerator`: ConvNeXt at frame rate, an inverse STFT of
            the log-mel's ``n_fft`` and hop) or ``"degli"``
            (:class:`~audiogan.nn.DeepGriffinLimGenerator`: a learned magnitude and Deep
            Griffin-Lim Iteration at the log-mel's ``n_fft`` and hop).
        preset: HiFi-GAN's ``"v1"``, ``"v2"`` or ``"v3"``: the hifigan generator, and the
            residual blocks of the istftnet one.
        width: The generator's base width (HiFi-GAN V1 512, V2 128, V3 256; iSTFTNet 512;
            Vocos' ``dim`` 512, its ConvNeXt expansion ``3 * width``; degli: its magnitude
            network's).
        num_layers: ConvNeXt blocks of Vocos (8) or of degli's magnitude network.
        num_iters: degli: Griffin-Lim iterations in all.
        dnn_iters: degli: the last ones that add DeGLI's network.
        phase_width: degli: channels of DeGLI's network.
        upsample_rates: E.g. ``"8,8,4"`` (default: the preset's; istftnet: ``"8,8"``); their
            product (istftnet: times 4) is the hop.
        critic: ``+``-joined critics: ``mpd`` (:class:`~audiogan.nn.MultiPeriodCritic`),
            ``msd`` (:class:`~audiogan.nn.MultiScaleCritic`), ``mrd``
            (:class:`~audiogan.nn.MultiResolutionSTFTCritic`), ``multiband``
            (:class:`~audiogan.nn.MultiBandSTFTCritic`, DAC's and Vocos'), ``complex``
            (:class:`~audiogan.nn.ComplexMultiScaleSTFTCritic`, EnCodec's).
        critic_width: ``w``: period critics ``w, 4w, 16w, 32w, 32w`` channels, scale
            critics ``4w, 4w, 8w, 16w, 32w, 32w, 32w``, the STFT critics ``max(w, 4)`` per
            conv (the published critics: 32).
        critic_start: Steps of reconstruction-only warm-up before the critic joins
            (``Trainer(critic_start=...)``: the mel terms alone, no feature matching).
        lr: Adam learning rate of both models.
        stft_weight: Weight of a multi-resolution STFT loss on the generator
            (:class:`~audiogan.losses.MultiResolutionSTFTLoss`, Parallel WaveGAN's), beside
            HiFi-GAN's mel L1; 0 for none (HiFi-GAN).
        multiscale_mel_weight: Weight of DAC's and BigVGAN-v2's seven-scale mel loss
            (:class:`~audiogan.losses.MultiScaleMelLoss`; they use 15), beside the mel L1; 0
            for none.
        magnitude_weight: degli: weight of the L1 distance of its log-magnitude estimate to the
            real segment's (:meth:`~audiogan.nn.DeepGriffinLimGenerator.magnitude_loss`); 0 for
            none. The other generators have no magnitude estimate: they leave it out.
        held_out: Clips per class kept out of training, for rounds of fakes and evaluation.
    """

    out: str = "runs/vocoder"
    steps: int | None = 4500
    every: int = 1500
    batch_size: int = 8
    fakes_per_class: int = 1
    segment_frames: int = 16
    generator: str = "degli"
    preset: str = "v3"
    width: int = 128
    num_layers: int = 2
    num_iters: int = 12
    dnn_iters: int = 2
    phase_width: int = 8
    upsample_rates: str | None = None
    critic: str = "mpd+multiband"
    critic_width: int = 1
    critic_start: int = 4500
    lr: float = 1e-3
    stft_weight: float = 45.0
    multiscale_mel_weight: float = 0.0
    magnitude_weight: float = 45.0
    held_out: int = 2


#: The Griffin-Lim iterations :func:`evaluate` compares the vocoder with.
GRIFFIN_LIM_ITERS = (32, 100)

FULL_SIZE = {"generator": "vocos", "width": 512, "num_layers": 8, "preset": "v1"}
FULL_SIZE |= {"critic_width": 32, "batch_size": 16, "lr": 2e-4, "segment_frames": 32}
FULL_SIZE |= {"n_mels": 128, "steps": 500_000, "every": 5000}
FULL_SIZE |= {"critic_start": 0, "stft_weight": 0.0, "magnitude_weight": 0.0}  # Vocos' config


def clips_and_held_out(config: Config, per_class: int) -> tuple[Dataset, list[int], torch.Tensor]:
    """Clips of ``frames * hop`` samples (kept in ``OUT/cache`` with ``cache``), the training
    indices, and the first ``per_class`` of each class's ``held_out`` clips ``(n, 1, time)``."""
    size = config.frames * config.hop_length
    clips = spectrogram.labelled_clips(config, size)
    train, held = spectrogram.held_out_split(clips.labels, config.held_out)
    held_out = torch.stack([clips[i][0] for h in held for i in h[:per_class]]).float()
    if config.cache:  # built on first use, after the run folder's checkpoint is checked
        where, wave = Path(config.out) / "cache", Waveform(config.sample_rate, size)
        clips = FeatureCache(clips, wave, where, dtype="float32", progress=False, lazy=True)
    return clips, train, held_out


#: The ``generator`` setting's choices.
GENERATORS = ("hifigan", "istftnet", "vocos", "degli")
#: The names :func:`decoder_table` gives the vocoders.
DECODER_NAMES = {
    HiFiGANGenerator: "HiFi-GAN",
    ISTFTNetGenerator: "iSTFTNet",
    VocosGenerator: "Vocos",
    DeepGriffinLimGenerator: "Deep Griffin-Lim",
}
#: iSTFTNet's inverse STFT (C8C8I): n_fft and hop of its head.
ISTFTNET_HEAD = (16, 4)


def generator_of(config: Config) -> nn.Module:
    """The ``generator`` at ``width`` for ``n_mels``; its upsampling (and head) make the hop.

    hifigan: the preset with ``upsample_rates``; istftnet: the preset's residual blocks, rates
    ``upsample_rates`` (8, 8) and :data:`ISTFTNET_HEAD`; vocos: ``num_layers`` ConvNeXt blocks of
    ``width`` (expansion ``3 * width``) and a centred inverse STFT of the log-mel's n_fft and hop,
    so its ``frames`` centred input frames give ``(frames - 1) * hop`` samples, frame ``t``
    centred on sample ``t * hop`` as in :class:`~audiogan.frontends.LogMel`.
    """
    if config.generator not in GENERATORS:
        raise ConfigError(
            f"vocoder: generator must be one of {', '.join(GENERATORS)}, got {config.generator!r}"
        )
    if config.preset not in HIFIGAN_PRESETS:
        raise ConfigError(f"vocoder: preset must be v1, v2 or v3, got {config.preset!r}")
    width, num_layers = config.width, config.num_layers
    if config.generator == "vocos":
        return VocosGenerator(
            config.n_mels,
            width=width,
            intermediate_width=3 * width,
            num_layers=num_layers,
            n_fft=config.n_fft,
            hop_length=config.hop_length,
            padding="center",
        )
    if config.generator == "degli":
        return deep_griffin_lim_of(config, width, num_layers)
    settings = {**HIFIGAN_PRESETS[config.preset], "width": width}
    head_hop = ISTFTNET_HEAD[1] if config.generator == "istftnet" else 1
    if config.generator == "istftnet":
        settings |= {"upsample_rates": [8, 8], "upsample_kernel_sizes": None}
    if config.upsample_rates:  # e.g. "8,8,4", transposed-conv kernels 2 * rate
        rates = [int(r) for r in config.upsample_rates.split(",") if r.strip().isdigit()]
        settings |= {"upsample_rates": rates, "upsample_kernel_sizes": None}
    if math.prod(settings["upsample_rates"]) * head_hop != config.hop_length:
        head = f" times the head's hop {head_hop}" if head_hop > 1 else ""
        raise ConfigError(
            f"vocoder: upsample_rates {settings['upsample_rates']}{head} must multiply to "
            f"hop_length {config.hop_length} (set e.g. upsample_rates="
            f"{'8,8' if head_hop > 1 else '8,8,4'})"
        )
    if config.generator == "istftnet":
        n_fft, hop = ISTFTNET_HEAD
        return ISTFTNetGenerator(config.n_mels, n_fft=n_fft, hop_length=hop, **settings)
    return HiFiGANGenerator(config.n_mels, **settings)


def deep_griffin_lim_of(config: Config, width: int, num_layers: int) -> nn.Module:
    """degli: :class:`~audiogan.nn.DeepGriffinLimGenerator` for the config's log-mels, its
    magnitude network ``num_layers`` ConvNeXt blocks of ``width``, ``num_iters`` fast
    Griffin-Lim iterations of which the last ``dnn_iters`` add DeGLI's network of
    ``phase_width`` channels."""
    mel = {k: v for k, v in logmel(config).config.items() if k in _DEGLI_MEL}
    if not 0 <= config.dnn_iters <= config.num_iters or config.num_iters < 1:
        raise ConfigError(
            f"vocoder: degli needs 0 <= dnn_iters <= num_iters and num_iters >= 1, got "
            f"dnn_iters={config.dnn_iters}, num_iters={config.num_iters}"
        )
    return DeepGriffinLimGenerator(
        **mel,
        num_iters=config.num_iters,
        dnn_iters=config.dnn_iters,
        width=config.phase_width,
        magnitude_width=width,
        magnitude_layers=num_layers,
    )


#: The log-mel parameters a DeepGriffinLimGenerator takes.
_DEGLI_MEL = ("n_mels", "sample_rate", "n_fft", "hop_length", "f_min", "f_max")
_DEGLI_MEL += ("db_floor", "db_ceil")


def input_frames(generator: nn.Module, frames: int) -> int:
    """Log-mel frames the generator reads to make ``frames * hop`` samples: one more for a
    centred inverse STFT (vocos, degli), whose ``frames + 1`` frames give ``frames * hop``."""
    centred = (getattr(generator, "config", None) or {}).get("padding") == "center"
    return frames + 1 if centred or getattr(generator, "centred", False) else frames


def critic_of(w: int, critic: str = "mpd+msd") -> CriticEnsemble:
    """The ``+``-joined critics at width ``w`` (the published ones at 32).

    ``mpd``: channels ``w, 4w, 16w, 32w, 32w``; ``msd``: ``4w, 4w, 8w, 16w, 32w, 32w, 32w``,
    conv groups HiFi-GAN's 1-4-16-16-16-16-1 where they divide the channels, else the largest
    common divisor; ``mrd``, ``multiband``, ``complex``: ``max(w, 4)`` channels per conv.
    """
    names = [name.strip() for name in critic.split("+")]
    if any(name not in CRITICS for name in names) or len(set(names)) < len(names):
        raise ConfigError(
            f"vocoder: critic must join distinct names of {', '.join(CRITICS)} with +, "
            f"got {critic!r}"
        )
    return CriticEnsemble(*(CRITICS[name](w) for name in names))


def _msd(w: int) -> nn.Module:
    widths = [4 * w, 4 * w, 8 * w, 16 * w, 32 * w, 32 * w, 32 * w]
    pairs = zip((1, 4, 16, 16, 16, 16, 1), [1, *widths[:-1]], widths, strict=True)
    groups = [math.gcd(g, c_in, c_out) for g, c_in, c_out in pairs]
    return MSD(channels=widths, groups=groups)


#: The ``critic`` setting's names: ``critic_width -> critic``.
CRITICS = {
    "mpd": lambda w: MPD(channels=(w, 4 * w, 16 * w, 32 * w, 32 * w)),
    "msd": _msd,
    "mrd": lambda w: MultiResolutionSTFTCritic(channels=(max(w, 4),) * 5),
    "multiband": lambda w: MultiBandSTFTCritic(width=max(w, 4)),
    "complex": lambda w: ComplexMultiScaleSTFTCritic(width=max(w, 4)),
}


def models(config: Config, num_classes: int = 0) -> tuple[nn.Module, CriticEnsemble]:
    """The vocoder (:func:`generator_of`, log-mels ``(batch, n_mels, frames)`` -> waveforms
    ``(batch, 1, num_samples)``) and its critic ensemble (:func:`critic_of`); ``num_classes`` is
    ignored (a vocoder has no labels).

    Raises:
        ConfigError: For an unknown generator, preset or critic, or rates that miss the hop.
    """
    return generator_of(config), critic_of(config.critic_width, config.critic)


def build(config: Config) -> GanRun:
    """Clips, segments, the generator, its reconstruction terms and critics, and the Trainer."""
    if config.vocoder is not None:
        raise ConfigError("the vocoder recipe trains a vocoder: its setting vocoder stays none")
    if not 1 <= config.segment_frames <= config.frames:
        raise ConfigError(f"vocoder: segment_frames must be 1 to frames ({config.frames})")
    seed_everything(config.seed)  # the models' initial weights: same seed, same run
    frontend = logmel(config)
    generator, critic = models(config)
    mel_loss = MelReconstructionLoss.from_frontend(frontend)
    frames = input_frames(generator, config.segment_frames)  # of the segment's frames + 1

    def mel_of(real: torch.Tensor) -> torch.Tensor:  # (batch, 1, S) -> (batch, n_mels, frames)
        return frontend.to(real.device).encode(real[:, 0])[:, 0, :, :frames]

    clips, train, waves = clips_and_held_out(config, config.fakes_per_class)  # (n, 1, time)
    loader = DataLoader(
        spectrogram.Segments(Subset(clips, train), config.segment_frames * config.hop_length),
        batch_size=config.batch_size,
        shuffle=True,
        drop_last=True,
        num_workers=config.num_workers,
        collate_fn=spectrogram.drop_labels,
    )
    losses = {"feature_matching": (2.0, feature_matching_term())}
    losses["mel"] = (45.0, lambda step: mel_loss(step.fake, step.real))
    if config.stft_weight > 0:
        stft_loss = MultiResolutionSTFTLoss()
        losses["stft"] = (config.stft_weight, lambda step: stft_loss(step.fake, step.real))
    if config.multiscale_mel_weight > 0:
        multiscale = MultiScaleMelLoss(sample_rate=config.sample_rate)
        losses["multiscale_mel"] = (
            config.multiscale_mel_weight,
            lambda step: multiscale(step.fake, step.real),
        )
    if config.magnitude_weight > 0 and isinstance(generator, DeepGriffinLimGenerator):
        losses["magnitude"] = (
            config.magnitude_weight,
            lambda step: generator.magnitude_loss(step.inputs, step.real),
        )
    clip_frames = input_frames(generator, config.frames)
    held_out_mel = LogMel(**{**frontend.config, "frames": clip_frames})
    mels = held_out_mel.encode(waves[:, 0])[:, 0]  # (n, n_mels, frames): decoded each round
    rounds = Waveform(config.sample_rate, waves.shape[-1])  # what the rounds of fakes write
    trainer = Trainer(
        generator,
        critic,
        LeastSquares(),
        generator_lr=config.lr,
        critic_lr=config.lr,
        betas=(0.8, 0.99),
        critic_start=config.critic_start,
        generator_input=mel_of,
        generator_losses=losses,
        callbacks=spectrogram.gan_callbacks(config, rounds, None, waves, None, inputs=mels),
        metadata={"frontend": module_spec(frontend, with_state=False)},  # what LogMel checks
        **run_options(config),
    )
    return GanRun("vocoder", config, trainer, loader)


def decoder_table(frontend: LogMel, vocoder: nn.Module, waves: torch.Tensor) -> DecoderTable:
    """The vocoder and Griffin-Lim (each of :data:`GRIFFIN_LIM_ITERS`) decode the log-mels of
    ``waves (n, 1, time)``; :func:`~audiogan.metrics.compare_decoders` compares each output with
    ``waves`` cut to its length ``(frames - 1) * hop``, by every metric whose package is
    installed (log-mel L1 with the frontend's mels), beside its CPU seconds per second of audio
    (:func:`~audiogan.metrics.time_decoder`: one thread, median of 3)."""
    features = frontend.encode(waves[:, 0])  # (n, 1, n_mels, frames)
    original = waves[..., : (features.shape[-1] - 1) * frontend.hop_length]  # (n, 1, time)
    name = DECODER_NAMES.get(type(vocoder), "vocoder")
    decoders = {name: partial(frontend.decode, features, vocoder=vocoder)}
    mels = {k: v for k, v in frontend.config.items() if k != "vocoder"}  # Griffin-Lim's
    for iters in GRIFFIN_LIM_ITERS:
        griffin_lim = LogMel(**{**mels, "griffin_lim_iters": iters})
        decoders[f"Griffin-Lim {iters}"] = partial(griffin_lim.decode, features)
    decoded, cpu_seconds = {}, {}
    for name, decode in decoders.items():
        wave, cpu_seconds[name] = time_decoder(decode)  # (n, time)
        decoded[name] = wave[:, None]
    metrics = available_metrics()
    table = compare_decoders(
        original,
        decoded,
        frontend.sample_rate,
        cpu_seconds=cpu_seconds,
        metrics=metrics,
        log_mel=MelReconstructionLoss.from_frontend(frontend),
    )
    missing = [DECODER_METRICS[key][0] for key in DECODER_METRICS if key not in metrics]
    if missing:
        table.notes.append(f"{', '.join(missing)}: pip install 'audiogan[eval]'")
    return table


def evaluate(run_dir: Path, config: Config) -> str:
    """The newest checkpoint and Griffin-Lim on the held-out clips: :func:`decoder_table`."""
    checkpoint = run_checkpoint(run_dir)  # the newest readable one
    frontend = logmel(config)
    vocoder = load_vocoder(checkpoint, frontend)
    config = dataclasses.replace(config, out=str(run_dir))  # the run's clip cache
    _, _, waves = clips_and_held_out(config, config.held_out)  # (n, 1, frames * hop)
    table = decoder_table(frontend, vocoder, waves)
    iters = " and ".join(str(i) for i in GRIFFIN_LIM_ITERS)
    return (
        f"{checkpoint} vs Griffin-Lim ({iters} iterations), on {table.num_clips} held-out "
        f"clips ({table.seconds:.1f} s) against the originals; pitch metrics by CREPE full "
        "(CARGAN); CPU s/s: CPU seconds per second of audio, 1 thread, median of 3:\n"
        + table.to_text()
    )


def _earlier(saved: Mapping[str, Any]) -> dict[str, Any]:
    """What runs made before a setting existed had: HiFi-GAN against MPD + MSD from step 0,
    no multi-scale mel or magnitude loss (``Recipe.earlier``)."""
    return {
        "generator": "hifigan",
        "critic": "mpd+msd",
        "critic_start": 0,
        "multiscale_mel_weight": 0.0,
        "magnitude_weight": 0.0,
    }


RECIPE = Recipe(
    name="vocoder",
    summary="vocoder for the log-mels: a learned Griffin-Lim (default), Vocos, HiFi-GAN, iSTFTNet",
    config=Config,
    full_size=FULL_SIZE,
    build=build,
    evaluate=evaluate,
    data_flags=("data", "csv"),
    generates=False,
    generate_note="which decodes log-mels, it does not sample: its rounds of fakes (RUN/fakes) "
    "hold held-out clips decoded; decode a spectrogram GAN's samples with it by `audiogan train "
    "wgan-gp --set vocoder=RUN` (LogMel(vocoder=load_vocoder(RUN, ...)) in Python); `audiogan "
    "evaluate RUN` compares it with Griffin-Lim",
    models=models,
    earlier=_earlier,
)
