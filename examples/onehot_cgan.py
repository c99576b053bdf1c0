"""One-hot conditional GAN on log-mel spectrograms with a BCE loss (the one-hot cGAN).

The class label is a one-hot vector concatenated to the noise; a linear layer projects both to a
small grid of feature maps, and ConvTranspose2d stages with BatchNorm and ReLU double it up to the
spectrogram size. The discriminator stacks one-hot label planes on the spectrogram and
downsamples with strided convolutions and LeakyReLU. Both are trained with binary cross-entropy on
raw logits (non-saturating generator loss), Adam with betas (0.5, 0.999), and samples are written
after every epoch.

The defaults train on built-in synthetic sounds at 32 mels x 128 frames in a few minutes on a
2-core CPU::

    python examples/onehot_cgan.py --out runs/onehot               # train (again: resumes)
    python examples/onehot_cgan.py --out runs/onehot --generate 8  # 8 wavs per class
    python examples/onehot_cgan.py --data my_sounds/ --full-size --out runs/mine

``--full-size`` uses the original one-hot cGAN's sizes: 1x128x512 spectrograms (about 8 s at
16 kHz) and a generator of 256-128-64-32 channels on an 8x32 base grid.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from _common import (
    add_run_args,
    add_spectrogram_args,
    announce_resume,
    generate_from_newest,
    loader_for,
    make_logmel,
    parse_args,
    print_outputs,
    real_examples,
    resolve_device,
    spectrogram_dataset,
)

from audiogan.losses import NonSaturating
from audiogan.nn import ConvCritic2d, ConvGenerator2d
from audiogan.train import (
    CheckpointCallback,
    CSVLogger,
    ProgressBar,
    SampleWriter,
    Trainer,
)

#: Doubling stages of the generator (and halving stages of the critic): --n-mels and --frames
#: must be multiples of 2**STAGES = 16. The original one-hot cGAN: 8x32 -> 128x512.
STAGES = 4

#: What --full-size means: the original one-hot cGAN's sizes.
FULL_SIZE = {"n_mels": 128, "frames": 512, "channels": 32, "batch_size": 16}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_run_args(parser, out="runs/onehot_cgan", steps=None, epochs=40, batch_size=16)
    add_spectrogram_args(parser, n_mels=32, frames=128, n_per_class=32)
    model = parser.add_argument_group("model and training")
    model.add_argument(
        "--channels",
        type=int,
        default=16,
        help="width: the generator's stages have 8C, 4C, 2C, C channels, the discriminator's "
        "C, 2C, 4C, 8C (default: %(default)s; the original one-hot cGAN: 32)",
    )
    model.add_argument("--latent-dim", type=int, default=100, help="(default: %(default)s)")
    model.add_argument(
        "--lr",
        type=float,
        default=2e-4,
        help="Adam learning rate of G and D (default: %(default)s)",
    )
    model.add_argument(
        "--critic-norm",
        default="batch",
        choices=["batch", "none", "layer", "spectral"],
        help="normalization in the discriminator (default: %(default)s, as in DCGAN)",
    )
    model.add_argument(
        "--full-size",
        action="store_true",
        help="the original one-hot cGAN's sizes: --n-mels 128 --frames 512 --channels 32 "
        "--batch-size 16 (flags given explicitly still win); meant for a GPU",
    )
    output = parser.add_argument_group("output")
    output.add_argument(
        "--sample-every",
        type=int,
        default=1,
        help="epochs between sample rounds (default: %(default)s)",
    )
    output.add_argument(
        "--checkpoint-every",
        type=int,
        default=5,
        help="epochs between checkpoints (default: %(default)s)",
    )
    output.add_argument(
        "--samples-per-class", type=int, default=2, help="per round (default: %(default)s)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(build_parser(), argv, FULL_SIZE)
    if args.generate:  # no training: N wavs per class from the newest checkpoint
        device = resolve_device(args.device)
        generate_from_newest(args.out, args.generate, device, overwrite=args.overwrite)
        return

    # 1. Data: log-mel spectrograms (1, n_mels, frames) in [-1, 1] with class labels.
    frontend = make_logmel(args)
    dataset, classes, preprocess = spectrogram_dataset(args, frontend)
    loader = loader_for(dataset, args)
    shape = frontend.feature_shape

    # 2. Models, conditioned by one-hot labels: concatenated to the noise in the generator,
    #    stacked as constant planes on the spectrogram in the discriminator. The generator ends
    #    in tanh: audiogan's log-mels live in [-1, 1] (the original one-hot cGAN used ReLU on
    #    its own scale).
    generator = ConvGenerator2d(
        latent_dim=args.latent_dim,
        out_shape=shape,
        num_classes=len(classes),
        conditioning="onehot",
        base_channels=args.channels * 2 ** (STAGES - 1),
        n_upsamples=STAGES,
        upsample="transpose",  # ConvTranspose2d(kernel 4, stride 2, padding 1)
        norm="batch",
        activation="relu",
    )
    critic = ConvCritic2d(
        in_shape=shape,
        num_classes=len(classes),
        conditioning="onehot",
        base_channels=args.channels,
        n_downsamples=STAGES,
        norm=args.critic_norm,
        activation="leaky_relu",
    )
    # Both blocks start from DCGAN's initialization (weights ~ N(0, 0.02), their default
    # init="dcgan"): with PyTorch's default one this BCE GAN collapses to one noise pattern.
    real, real_labels = real_examples(
        dataset, dataset.labels, args.samples_per_class, len(classes), preprocess
    )

    # 3. BCE on logits (BCEWithLogits; the generator maximizes log D(G(z))), one D step per G
    #    step, Adam(2e-4, betas=(0.5, 0.999)) for both.
    trainer = Trainer(
        generator,
        critic,
        NonSaturating(),
        generator_lr=args.lr,
        critic_lr=args.lr,
        betas=(0.5, 0.999),
        n_critic=1,
        precision=args.precision,
        preprocess=preprocess,
        frontend=frontend,  # stored in the checkpoints: --generate rebuilds it
        callbacks=[
            ProgressBar(),
            CSVLogger(),
            SampleWriter(
                frontend,
                class_names=classes,
                n_per_class=args.samples_per_class,
                every=args.sample_every,
                unit="epoch",
                real=real,
                real_labels=real_labels,
            ),
            CheckpointCallback(every=args.checkpoint_every, unit="epoch"),
        ],
        out_dir=args.out,
        device=args.device,
        seed=args.seed,
        metadata={"class_names": classes},
    )
    print(trainer.summary(loader))
    announce_resume(args.out)
    trainer.fit(loader, epochs=args.epochs, steps=args.steps, resume="auto")
    print_outputs(args, trainer, "examples/onehot_cgan.py")


if __name__ == "__main__":
    main()
