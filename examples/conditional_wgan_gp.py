"""The conditional WGAN-GP on your own clips: log-mels, a learned label embedding, 5 critic steps.

A generator turns noise and a class label into a log-mel spectrogram; a critic scores
spectrograms with the label as an extra learned plane. Wasserstein loss with a gradient penalty
(weight 10), 5 critic steps per generator step, Adam (0.5, 0.9), sampling from an EMA of the
generator. Your clips are read once into a feature cache under ``--out``; without ``--data`` it
trains on the built-in sounds (five synthesized classes, no download). Run it again with the same
``--out`` and it resumes. It writes rounds of fakes (wav, pictures, ``index.html``), ``metrics.csv``,
checkpoints, and at the end ``generated/<class>_000.wav`` ... from the newest checkpoint.

    python examples/conditional_wgan_gp.py --data my_sounds/ --out runs/mine  # a subfolder per class
    python examples/conditional_wgan_gp.py --out runs/builtin                  # the built-in sounds
    python examples/conditional_wgan_gp.py --steps 2 --size 16 --width 2 --out /tmp/tiny
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from torch.utils.data import DataLoader

from audiogan.data import AudioFolder, FeatureCache, SyntheticSounds
from audiogan.frontends import LogMel
from audiogan.losses import GradientPenalty, Wasserstein
from audiogan.recipes import wgan_gp
from audiogan.train import (
    CheckpointCallback,
    CSVLogger,
    FakeWriter,
    ProgressBar,
    Trainer,
    generate,
    seed_everything,
)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", help="a folder of clips, one subfolder per class (default: built-in)")
    p.add_argument("--out", type=Path, default=Path("runs/conditional_wgan_gp"))
    p.add_argument("--steps", type=int, default=800, help="generator steps in all")
    p.add_argument("--size", type=int, default=64, help="mels = frames (a multiple of 16)")
    p.add_argument("--width", type=int, default=16, help="critic C, 2C, 4C, 8C; generator 16C..")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--every", type=int, default=200, help="steps between rounds of fakes")
    p.add_argument("--clips-per-class", type=int, default=64, help="built-in clips per class")
    p.add_argument("--device", default="auto")
    args = p.parse_args(argv)
    seed_everything(0)  # the models' initial weights

    # Data: clips of the right length -> log-mels (1, size, size) in [-1, 1], computed once.
    frontend = LogMel(sample_rate=16000, n_mels=args.size, frames=args.size)
    num_samples = frontend.num_samples_for_frames()
    if args.data:
        clips = AudioFolder(args.data, sample_rate=16000, num_samples=num_samples)
    else:
        clips = SyntheticSounds(args.clips_per_class, sample_rate=16000, num_samples=num_samples)
    features = FeatureCache(clips, frontend, args.out / "cache", progress=False)
    loader = DataLoader(features, batch_size=args.batch_size, shuffle=True, drop_last=True)
    first = [clips.labels.index(c) for c in range(len(clips.classes))]  # a real clip per class
    real = torch.stack([features[i][0] for i in first]).float()

    # Models: the wgan-gp recipe's (audiogan/recipes/wgan_gp.py, `models`): a ConvGenerator2d
    # and a ConvCritic2d of 4 stages each, the label as a 16-d embedding in both, PyTorch's
    # initialization (it learns faster in a short CPU run than DCGAN's N(0, 0.02)), no BatchNorm
    # in the critic (it would break the per-sample gradient penalty).
    num_classes = len(clips.classes)
    sizes = wgan_gp.Config(
        n_mels=args.size, frames=args.size, width=args.width, critic_width=args.width
    )
    generator, critic = wgan_gp.models(sizes, num_classes)

    trainer = Trainer(
        generator,
        critic,
        Wasserstein(),
        GradientPenalty(weight=10.0),
        generator_lr=args.lr,
        critic_lr=args.lr,
        betas=(0.5, 0.9),
        critic_steps=5,
        ema=0.99,
        frontend=frontend,  # stored in the checkpoints: generate() writes wav from them
        metadata={"class_names": clips.classes},
        callbacks=[
            ProgressBar(),
            CSVLogger(),
            FakeWriter(
                frontend,
                class_names=clips.classes,
                fakes_per_class=2,
                every=args.every,
                unit="step",
                real=real,
                real_labels=torch.arange(num_classes),
            ),
            CheckpointCallback(every=args.every, unit="step"),
        ],
        out_dir=args.out,
        device=args.device,
    )
    trainer.fit(loader, steps=args.steps)  # resumes from OUT/checkpoints when there are some
    paths = generate(trainer.last_checkpoint, args.out / "generated", fakes_per_class=2)
    print(
        f"step {trainer.step}: {trainer.last_checkpoint}; {len(paths)} wav files in {paths[0].parent}"
    )


if __name__ == "__main__":
    main()
