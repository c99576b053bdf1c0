"""A HiFi-GAN vocoder for LogMel features: hear a spectrogram GAN's fakes without Griffin-Lim.

A paired GAN: the generator (HiFi-GAN V3, narrower) turns the LogMel frontend's own [-1, 1]
features into a waveform; multi-period and multi-scale critics judge it. Least squares, feature
matching (weight 2) and mel L1 (weight 45), Adam (0.8, 0.99), on segments cut from your clips
(or the built-in sounds). The log-mel (16 kHz, n_fft 1024, hop 256) is the spectrogram GANs',
so ``LogMel(..., vocoder=load_vocoder(OUT, mel))`` decodes their fakes
(``examples/decode_with_vocoder.py``). It writes rounds of fakes (two clips decoded beside the originals), checkpoints, and at the end
``decoded/`` with the same two clips through the vocoder and through Griffin-Lim.

    python examples/vocoder.py --out runs/vocoder             # about 10 minutes on 2 CPU cores
    python examples/vocoder.py --data my_sounds/ --n-mels 64 --out runs/my_vocoder
    python examples/vocoder.py --steps 2 --n-mels 16 --width 8 --segment-frames 4 --out /tmp/t
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import torch
from torch.utils.data import DataLoader

from audiogan.data import AudioFolder, SyntheticSounds
from audiogan.frontends import LogMel, Waveform
from audiogan.losses import LeastSquares, MelReconstructionLoss, feature_matching_term
from audiogan.nn import (
    HIFIGAN_PRESETS,
    CriticEnsemble,
    HiFiGANGenerator,
    MultiPeriodCritic,
    MultiScaleCritic,
)
from audiogan.train import (
    CheckpointCallback,
    CSVLogger,
    FakeWriter,
    ProgressBar,
    Trainer,
    load_vocoder,
    seed_everything,
)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", help="a folder of clips (any subfolders; default: built-in sounds)")
    p.add_argument("--out", type=Path, default=Path("runs/vocoder"))
    p.add_argument("--steps", type=int, default=1200)
    p.add_argument("--n-mels", type=int, default=64, help="the spectrogram GAN's mels")
    p.add_argument("--segment-frames", type=int, default=16, help="frames per training segment")
    p.add_argument("--width", type=int, default=128, help="generator width (V3: 256)")
    p.add_argument("--critic-width", type=int, default=1, help="HiFi-GAN's: 32")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--every", type=int, default=300, help="steps between rounds of fakes")
    p.add_argument("--device", default="auto")
    args = p.parse_args(argv)
    seed_everything(0)

    frontend = LogMel(sample_rate=16000, n_fft=1024, hop_length=256, n_mels=args.n_mels)
    frames, segment = args.segment_frames, args.segment_frames * 256
    if args.data:  # a random segment of each clip, a new one each epoch
        clips = AudioFolder(args.data, num_samples=segment, random_crop=True)
    else:
        clips = SyntheticSounds(num_samples=segment)

    def waves(items: list) -> torch.Tensor:  # a batch of clips without labels: (batch, 1, time)
        return torch.stack([wave for wave, _ in items])

    loader = DataLoader(clips, args.batch_size, shuffle=True, drop_last=True, collate_fn=waves)

    def mel_of(real: torch.Tensor) -> torch.Tensor:  # (batch, 1, segment) -> (batch, mels, frames)
        return frontend.to(real.device).encode(real[:, 0])[:, 0, :, :frames]

    generator = HiFiGANGenerator(
        args.n_mels, **{**HIFIGAN_PRESETS["v3"], "width": args.width}
    )  # V3 upsamples 8 * 8 * 4 = 256 samples per frame: the hop
    w = args.critic_width  # MSD's groups: HiFi-GAN's where they divide the channels
    widths = [4 * w, 4 * w, 8 * w, 16 * w, 32 * w, 32 * w, 32 * w]
    pairs = zip((1, 4, 16, 16, 16, 16, 1), [1, *widths[:-1]], widths, strict=True)
    critic = CriticEnsemble(
        MultiPeriodCritic(channels=(w, 4 * w, 16 * w, 32 * w, 32 * w)),
        MultiScaleCritic(channels=widths, groups=[math.gcd(*g) for g in pairs]),
    )
    mel_loss = MelReconstructionLoss.from_frontend(frontend)
    shown = waves([clips[0], clips[1]])  # (2, 1, segment): decoded in each round of fakes
    trainer = Trainer(
        generator,
        critic,
        LeastSquares(),
        generator_lr=args.lr,
        critic_lr=args.lr,
        betas=(0.8, 0.99),
        generator_input=mel_of,  # the generator's input, from each real batch
        generator_losses={
            "mel": (45.0, lambda step: mel_loss(step.fake, step.real)),
            "feature_matching": (2.0, feature_matching_term()),
        },
        frontend=frontend,  # the checkpoints name their log-mels: load_vocoder checks them
        callbacks=[
            ProgressBar(),
            CSVLogger(),
            FakeWriter(
                Waveform(16000, segment),
                inputs=mel_of(shown),
                real=shown,
                every=args.every,
                unit="step",
            ),
            CheckpointCallback(every=args.every, unit="step"),
        ],
        out_dir=args.out,
        device=args.device,
    )
    trainer.fit(loader, steps=args.steps)  # resumes from OUT/checkpoints when there are some

    features = frontend.encode(shown[:, 0])  # (2, 1, n_mels, frames + 1)
    vocoded = LogMel(**frontend.config, vocoder=load_vocoder(args.out, frontend))  # the newest
    names = [args.out / "decoded" / f"clip_{i}" for i in range(len(shown))]
    vocoded.save(features, [f"{n}_vocoder.wav" for n in names])
    frontend.save(features, [f"{n}_griffin_lim.wav" for n in names])
    print(f"step {trainer.step}: {trainer.last_checkpoint}; clips decoded in {names[0].parent}")


if __name__ == "__main__":
    main()
