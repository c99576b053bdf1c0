"""Conditional WGAN-GP on log-mel spectrograms: the README's main job.

A generator turns noise and a class label (a learned 16-d embedding) into a log-mel spectrogram;
a critic scores spectrograms with the label stacked as an extra plane. Training follows the
original conditional WGAN-GP: Wasserstein loss with a gradient penalty (weight 10), 5 critic
steps per generator step, Adam with betas (0.5, 0.9), mixed precision on a GPU, precomputed
spectrograms, checkpoints, and every few epochs wav samples of each class plus pictures of them
beside real spectrograms.

The defaults train on built-in synthetic sounds (dog bark, drilling, engine idling, siren,
street music) at 64 mels x 64 frames for 800 generator steps, in about 5 minutes on a 2-core
CPU. To learn that fast they use Adam 5e-4 (the original: 1e-4) and sample from a moving average
of the generator's weights (--ema 0.99; the original: none)::

    python examples/audio_cgan.py --out runs/demo               # train (again: resumes)
    python examples/audio_cgan.py --out runs/demo --generate 8  # 8 wavs per class
    python examples/audio_cgan.py --data my_sounds/ --full-size --out runs/mine   # on a GPU

Each sample round writes OUT/samples/step_N/all_classes.png: a row of generated spectrograms
per class beside real ones. ``--data`` takes a folder with one subfolder of clips per class.
``--full-size`` uses the original's sizes and settings: 1x128x256 spectrograms (about 4 s at
16 kHz), generator 512-256-128-64 channels, critic 32-64-128-256, batch 64, Adam 1e-4, no EMA,
100 epochs with samples and checkpoints every 20.
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
    real_examples,
    resolve_device,
    spectrogram_dataset,
)

from audiogan.losses import GradientPenalty, Wasserstein
from audiogan.nn import ConvCritic2d, ConvGenerator2d
from audiogan.train import (
    CheckpointCallback,
    CSVLogger,
    LambdaCallback,
    ProgressBar,
    SampleWriter,
    Trainer,
    fixed_samples,
)
from audiogan.train.callbacks.samples import round_name
from audiogan.viz import plot_spectrogram_grid

#: The stages of the generator and critic: each doubles / halves both spectrogram axes, so
#: --n-mels and --frames must be multiples of 2**STAGES = 16.
STAGES = 4

#: What --full-size means: the original conditional WGAN-GP's sizes and settings (a GPU run over
#: many epochs).
FULL_SIZE = {
    "n_mels": 128,
    "frames": 256,
    "channels": 32,
    "batch_size": 64,
    "lr": 1e-4,
    "ema": None,
    "steps": None,
    "epochs": 100,
    "sample_every": 20,
    "checkpoint_every": 20,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_run_args(parser, out="runs/audio_cgan", steps=800, epochs=None, batch_size=32)
    add_spectrogram_args(parser, n_mels=64, frames=64, n_per_class=64)
    model = parser.add_argument_group("model and training")
    model.add_argument(
        "--channels",
        type=int,
        default=16,
        help="width: the critic's convs have C, 2C, 4C, 8C channels and the generator's "
        "16C, 8C, 4C, 2C (default: %(default)s; the original conditional WGAN-GP: 32)",
    )
    model.add_argument("--latent-dim", type=int, default=100, help="(default: %(default)s)")
    model.add_argument(
        "--embed-dim", type=int, default=16, help="label embedding size (default: %(default)s)"
    )
    model.add_argument(
        "--lr",
        type=float,
        default=5e-4,
        help="Adam learning rate of G and D (default: %(default)s, to learn in minutes; "
        "the original conditional WGAN-GP and --full-size: 1e-4)",
    )
    model.add_argument(
        "--init",
        choices=("default", "dcgan"),
        default="default",
        help="weight initialization of both models: PyTorch's, or DCGAN's N(0, 0.02) "
        "(default: %(default)s, which learns these classes faster under WGAN-GP)",
    )
    model.add_argument(
        "--n-critic",
        type=int,
        default=5,
        help="critic steps per generator step (default: %(default)s)",
    )
    model.add_argument(
        "--gp-weight",
        type=float,
        default=10.0,
        help="gradient penalty weight (default: %(default)s)",
    )
    model.add_argument(
        "--ema",
        type=float,
        default=0.99,
        help="sample from an exponential moving average of the generator's weights with this "
        "decay: smoother samples (default: %(default)s; --full-size: off, as in the original "
        "conditional WGAN-GP)",
    )
    model.add_argument(
        "--channels-last",
        action="store_true",
        help="keep weights and batches in channels-last layout: 0.80-0.84x the step time on a "
        "2-core CPU at 64x64 and at the full size 1x128x256 (benchmarks/bench_train_step.py)",
    )
    model.add_argument(
        "--full-size",
        action="store_true",
        help="the original conditional WGAN-GP's sizes and settings, for a GPU: --n-mels 128 "
        "--frames 256 --channels 32 --batch-size 64 --lr 1e-4, no EMA, 100 epochs, samples and "
        "checkpoints every 20 (flags given explicitly still win)",
    )
    output = parser.add_argument_group("output")
    output.add_argument(
        "--sample-every",
        type=int,
        default=50,
        help="epochs between sample rounds (wav per class, spectrogram PNGs, loss curves) "
        "(default: %(default)s)",
    )
    output.add_argument(
        "--checkpoint-every",
        type=int,
        default=50,
        help="epochs between checkpoints (default: %(default)s)",
    )
    output.add_argument(
        "--samples-per-class", type=int, default=4, help="per round (default: %(default)s)"
    )
    return parser


def class_overview(
    trainer: Trainer,
    classes: list[str],
    real: torch.Tensor,
    real_labels: torch.Tensor,
    n_per_class: int,
) -> None:
    """One picture of every class: a row of generated spectrograms per class, real ones on the right.

    It goes into the sample round's folder (``OUT/samples/step_N/all_classes.png``) and uses the
    same fixed latent as the SampleWriter (seed 0), so it shows the same samples as the wavs.
    """
    features, labels = fixed_samples(trainer.sampling_generator, n_per_class, seed=0)
    # the samples come class by class, n_per_class of each
    titles = [f"{classes[c]} {i % n_per_class}" for i, c in enumerate(labels.tolist())]
    plot_spectrogram_grid(
        features,
        titles,
        trainer.out_dir / "samples" / round_name(trainer.step) / "all_classes.png",
        ncols=n_per_class,
        real=real,
        real_titles=[f"real {classes[c]}" for c in real_labels.tolist()],
        title=f"step {trainer.step}: generated (left) and real (right), one class per row",
    )


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(build_parser(), argv, FULL_SIZE)

    # --generate N: no training, just decode N samples per class from the newest checkpoint.
    # The checkpoint stores the generator's and the frontend's class and config.
    if args.generate:
        device = resolve_device(args.device)
        generate_from_newest(args.out, args.generate, device, overwrite=args.overwrite)
        return

    # 1. Data: log-mel spectrograms (1, n_mels, frames) in [-1, 1] with integer class labels,
    #    precomputed (preprocess None) or encoded batch by batch by the Trainer (preprocess set).
    frontend = make_logmel(args)
    dataset, classes, preprocess = spectrogram_dataset(args, frontend)
    loader = loader_for(dataset, args)
    shape = frontend.feature_shape  # (1, n_mels, frames)

    # 2. Models. The generator's last layer is tanh (the original conditional WGAN-GP used ReLU
    #    on its own dB scale; audiogan's log-mels live in [-1, 1]). No BatchNorm in the critic:
    #    it would break the per-sample gradient penalty.
    generator = ConvGenerator2d(
        latent_dim=args.latent_dim,
        out_shape=shape,
        num_classes=len(classes),
        conditioning="embedding",
        embed_dim=args.embed_dim,
        base_channels=args.channels * 2**STAGES,
        n_upsamples=STAGES,
        init=args.init,
    )
    critic = ConvCritic2d(
        in_shape=shape,
        num_classes=len(classes),
        conditioning="embedding",  # the label as a learned plane stacked on the spectrogram
        embed_dim=args.embed_dim,
        base_channels=args.channels,
        n_downsamples=STAGES,
        init=args.init,
    )

    # 3. What the sample pictures show beside the generated spectrograms: real ones, per class.
    real, real_labels = real_examples(
        dataset, dataset.labels, args.samples_per_class, len(classes), preprocess
    )

    # 4. The trainer: WGAN-GP, 5 critic steps, Adam(lr, betas=(0.5, 0.9)) for both models.
    trainer = Trainer(
        generator,
        critic,
        Wasserstein(),
        GradientPenalty(weight=args.gp_weight),
        generator_lr=args.lr,
        critic_lr=args.lr,
        betas=(0.5, 0.9),
        n_critic=args.n_critic,
        precision=args.precision,  # auto: bf16 on a GPU that supports it, else float32
        ema=args.ema,
        channels_last=args.channels_last,
        preprocess=preprocess,
        frontend=frontend,  # stored in every checkpoint, so that --generate can rebuild it
        callbacks=[
            ProgressBar(),
            CSVLogger(),  # OUT/metrics.csv: critic_loss, generator_loss, penalty ... per step
            LambdaCallback(  # before the SampleWriter, so that its gallery shows this picture too
                lambda t: class_overview(t, classes, real, real_labels, args.samples_per_class),
                every=args.sample_every,
                unit="epoch",
                at_end=True,
            ),
            # OUT/samples/step_N/: <class>_00.wav ... and <class>.png (generated beside real);
            # OUT/losses.png (loss curves) and OUT/index.html (a gallery of every round)
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
        metadata={"class_names": classes},  # stored in every checkpoint: --generate names files
    )
    print(trainer.summary(loader))
    announce_resume(args.out)

    # 5. Train. resume="auto" continues from the newest checkpoint in OUT/checkpoints, if any.
    #    Ctrl-C stops after the current step and saves a checkpoint.
    trainer.fit(loader, epochs=args.epochs, steps=args.steps, resume="auto")
    print_outputs(args, trainer, "examples/audio_cgan.py")


if __name__ == "__main__":
    main()
