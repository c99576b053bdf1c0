"""A spectrogram GAN whose discriminator is a ResNet-9 classifier (the ResNet-9 GAN).

The generator upsamples noise with ConvTranspose2d stages into a log-mel spectrogram; the
discriminator is the ResNet-9 of the fast CIFAR-10 classifiers with a one-unit head (raw logit).
Trained with binary cross-entropy, the ResNet-9 wins too easily when both models learn at the same
rate (its loss falls to ~0 while the generator's explodes), so, as in the original ResNet-9 GAN,
the discriminator learns 10 times slower: Adam 2e-4 for G and 2e-5 for D (two time-scale update
rule, TTUR). Both losses are logged every step to OUT/metrics.csv and plotted in OUT/losses.png.

The defaults train on built-in synthetic sounds (their labels unused: the GAN is unconditional)
at 64 mels x 64 frames in a few minutes on a 2-core CPU::

    python examples/resnet9_gan.py --out runs/resnet9               # train (again: resumes)
    python examples/resnet9_gan.py --out runs/resnet9 --generate 8  # 8 wavs
    python examples/resnet9_gan.py --data my_sounds/ --full-size --out runs/mine

``--data`` takes a folder with one subfolder per class (AudioFolder; the classes are ignored).
``--full-size``: 1x128x256 spectrograms, ResNet-9 of width 64 (the original), batch 64.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import torch
from _common import (
    add_run_args,
    add_spectrogram_args,
    announce_resume,
    generate_from_newest,
    loader_for,
    make_logmel,
    parse_args,
    print_outputs,
    resolve_device,
    spectrogram_dataset,
)

from audiogan.losses import NonSaturating
from audiogan.nn import ConvGenerator2d, ResNet9Critic, dcgan_init_
from audiogan.train import (
    CheckpointCallback,
    CSVLogger,
    ProgressBar,
    SampleWriter,
    Trainer,
)

STAGES = 4  # generator doubling stages: --n-mels and --frames must be multiples of 16

#: What --full-size means.
FULL_SIZE = {"n_mels": 128, "frames": 256, "width": 64, "channels": 32, "batch_size": 64}


def features_only(batch: list[tuple[torch.Tensor, int]]) -> torch.Tensor:
    """DataLoader collate function that drops the labels: the GAN is unconditional."""
    return torch.stack([x for x, _ in batch])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_run_args(
        parser,
        out="runs/resnet9_gan",
        steps=500,
        epochs=None,
        batch_size=32,
        generate_help="samples",
    )
    add_spectrogram_args(parser, n_mels=64, frames=64, n_per_class=32)
    model = parser.add_argument_group("model and training")
    model.add_argument(
        "--width",
        type=int,
        default=16,
        help="ResNet-9 width: its stages have W, 2W, 4W, 8W channels (default: %(default)s; original: 64)",
    )
    model.add_argument(
        "--norm",
        default="spectral",
        choices=["spectral", "batch", "instance", "layer", "none"],
        help="normalization in the ResNet-9 (default: %(default)s; the original ResNet-9 GAN kept "
        "the classifier's BatchNorm: --norm batch, which in short CPU runs let the discriminator win and the "
        "generator collapse to one pattern, even with TTUR)",
    )
    model.add_argument(
        "--channels",
        type=int,
        default=16,
        help="generator width: its stages have 8C, 4C, 2C, C channels (default: %(default)s)",
    )
    model.add_argument("--latent-dim", type=int, default=100, help="(default: %(default)s)")
    model.add_argument(
        "--generator-lr",
        type=float,
        default=2e-4,
        help="generator learning rate (default: %(default)s)",
    )
    model.add_argument(
        "--critic-lr",
        type=float,
        default=2e-5,
        help="discriminator learning rate, 10x lower than the generator's (default: %(default)s)",
    )
    model.add_argument(
        "--full-size",
        action="store_true",
        help="--n-mels 128 --frames 256 --width 64 --channels 32 --batch-size 64 (flags given "
        "explicitly still win); meant for a GPU",
    )
    output = parser.add_argument_group("output")
    output.add_argument(
        "--sample-every",
        type=int,
        default=20,
        help="epochs between sample rounds (default: %(default)s)",
    )
    output.add_argument(
        "--checkpoint-every",
        type=int,
        default=20,
        help="epochs between checkpoints (default: %(default)s)",
    )
    output.add_argument(
        "--samples", type=int, default=8, help="samples per round (default: %(default)s)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(build_parser(), argv, FULL_SIZE)
    if args.generate:  # no training: N wavs from the newest checkpoint
        device = resolve_device(args.device)
        generate_from_newest(args.out, args.generate, device, overwrite=args.overwrite)
        return

    # 1. Data: log-mel spectrograms (1, n_mels, frames); the labels are dropped by the loader.
    frontend = make_logmel(args)
    dataset, _, preprocess = spectrogram_dataset(args, frontend)
    loader = loader_for(dataset, args, collate_fn=features_only)
    shape = frontend.feature_shape

    # 2. Models: an unconditional ConvTranspose generator and the ResNet-9 discriminator, its
    #    layers spectrally normalized by default (the original ResNet-9 GAN: BatchNorm, as the
    #    classifier it was taken from; fine for BCE, not for a gradient penalty).
    generator = ConvGenerator2d(
        latent_dim=args.latent_dim,
        out_shape=shape,
        base_channels=args.channels * 2 ** (STAGES - 1),
        n_upsamples=STAGES,
    )
    critic = ResNet9Critic(in_channels=shape[0], width=args.width, norm=args.norm)
    # DCGAN's initialization (weights ~ N(0, 0.02)): with PyTorch's default one the generator
    # here collapses to a single noise pattern while the discriminator wins.
    dcgan_init_(critic)  # ConvGenerator2d starts from it already (its default init="dcgan")
    real = features_only([dataset[i] for i in range(min(args.samples, len(dataset)))])
    if preprocess is not None:  # waveforms (n, 1, time) -> features
        real = preprocess.encode(real[:, 0])

    # 3. BCE with TTUR: the discriminator learns 10x slower than the generator.
    trainer = Trainer(
        generator,
        critic,
        NonSaturating(),
        generator_lr=args.generator_lr,
        critic_lr=args.critic_lr,
        betas=(0.5, 0.999),
        n_critic=1,
        precision=args.precision,
        preprocess=preprocess,
        frontend=frontend,  # stored in the checkpoints: --generate rebuilds it
        callbacks=[
            ProgressBar(),
            CSVLogger(),  # OUT/metrics.csv: step, epoch, critic_loss, generator_loss, real_score, fake_score
            # The SampleWriter also redraws OUT/losses.png (D and G losses against the step).
            SampleWriter(
                frontend, n_per_class=args.samples, every=args.sample_every, unit="epoch", real=real
            ),
            CheckpointCallback(every=args.checkpoint_every, unit="epoch"),
        ],
        out_dir=args.out,
        device=args.device,
        seed=args.seed,
    )
    print(trainer.summary(loader))
    announce_resume(args.out)
    trainer.fit(loader, epochs=args.epochs, steps=args.steps, resume="auto")

    # How balanced the fight ended: the original ResNet-9 GAN saw D ~0.46 and G ~1.30 with TTUR,
    # D ~0.002 and G ~6.7 without (the discriminator winning outright).
    recent = trainer.history[-20:]
    critic_loss = sum(h["critic_loss"] for h in recent) / len(recent)
    generator_loss = sum(h["generator_loss"] for h in recent) / len(recent)
    print(
        f"mean of the last {len(recent)} steps: critic_loss {critic_loss:.3f}, generator_loss {generator_loss:.3f}"
    )
    print_outputs(args, trainer, "examples/resnet9_gan.py")


if __name__ == "__main__":
    main()
