"""MuseGAN on Bach chorales: four voices, two bars, written as MIDI.

The data are two-bar phrases of the Bach chorales that the music21 package ships (no download),
as piano rolls (4 voices SATB, 2 bars, 16 steps per bar, 84 pitches) in {-1, 1}. The generator
takes four noises (chords and melody vary from bar to bar, style and groove do not); temporal
networks spread them over the bars and one bar generator per voice writes each bar. The critic
reads the whole roll with Conv3d layers. Training follows the book (Mark Liu, "Learn Generative
AI with PyTorch", chapter 13): Wasserstein loss with a gradient penalty of weight 10, 5 critic
steps per generator step, Adam 1e-3 with betas (0.5, 0.9).

Every few epochs the run writes MIDI files and piano-roll pictures of generated phrases (and
pictures of real ones); at the end it prints the MuseGAN music metrics of its samples beside
those of the real phrases (empty bars, pitch classes per bar, qualified notes, polyphony, tonal
distance between voices ...). The defaults use smaller networks than the book and run in a few
minutes on a 2-core CPU::

    python examples/musegan_chorales.py --out runs/chorales                # train (again: resumes)
    python examples/musegan_chorales.py --out runs/chorales --generate 8   # 8 MIDI files
    python examples/musegan_chorales.py --full-size --steps 20000 --out runs/chorales_full   # GPU

The first run parses the chorales (about 1-2 minutes) and caches the piano rolls in
$AUDIOGAN_CACHE (default ~/.cache/audiogan; --cache-dir to choose); --max-chorales N builds
from the first N chorales only, for a quick look.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import torch
from _common import (
    add_run_args,
    announce_resume,
    generate_from_newest,
    parse_args,
    print_outputs,
    resolve_device,
)
from torch.utils.data import DataLoader

from audiogan.data import JSBChorales
from audiogan.frontends import PianoRoll
from audiogan.losses import GradientPenalty, Wasserstein
from audiogan.metrics.music import format_music_report, music_report
from audiogan.nn import MuseCritic, MuseGenerator
from audiogan.train import (
    CheckpointCallback,
    CSVLogger,
    ProgressBar,
    SampleWriter,
    Trainer,
    fixed_samples,
)

#: What --full-size means: the book's networks, batch 64.
FULL_SIZE = {"channels": 128, "batch_size": 64, "sample_every": 25, "checkpoint_every": 25}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_run_args(
        parser,
        out="runs/musegan_chorales",
        steps=600,
        epochs=None,
        batch_size=16,
        generate_help="MIDI files",
    )
    data = parser.add_argument_group("data")
    data.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help="where the parsed chorales are cached (default: $AUDIOGAN_CACHE or ~/.cache/audiogan)",
    )
    data.add_argument(
        "--split",
        default="train",
        choices=["train", "valid", "test", "all"],
        help="chorales to train on, split by chorale (default: %(default)s)",
    )
    data.add_argument(
        "--max-chorales",
        type=int,
        default=None,
        help="build from the first N chorales of the catalogue only (quick runs)",
    )
    model = parser.add_argument_group("model and training")
    model.add_argument(
        "--channels",
        type=int,
        default=16,
        help="width C: critic Conv3d channels C and linear width 8C; generator temporal channels "
        "8C and bar generator width 8C (default: %(default)s; the book: 128)",
    )
    model.add_argument(
        "--latent-dim",
        type=int,
        default=32,
        help="size of each of the four noises (default: %(default)s)",
    )
    model.add_argument(
        "--lr",
        type=float,
        default=1e-3,
        help="Adam learning rate of G and D (default: %(default)s)",
    )
    model.add_argument(
        "--n-critic",
        type=int,
        default=5,
        help="critic steps per generator step (default: %(default)s)",
    )
    model.add_argument("--gp-weight", type=float, default=10.0, help="(default: %(default)s)")
    model.add_argument(
        "--full-size",
        action="store_true",
        help="the book's networks: --channels 128 --batch-size 64, samples and checkpoints every "
        "25 epochs (flags given explicitly still win)",
    )
    output = parser.add_argument_group("output")
    output.add_argument(
        "--sample-every",
        type=int,
        default=10,
        help="epochs between sample rounds (default: %(default)s)",
    )
    output.add_argument(
        "--checkpoint-every",
        type=int,
        default=10,
        help="epochs between checkpoints (default: %(default)s)",
    )
    output.add_argument(
        "--samples", type=int, default=4, help="MIDI files per sample round (default: %(default)s)"
    )
    output.add_argument(
        "--report-samples",
        type=int,
        default=64,
        help="generated phrases the final music metrics are computed on (default: %(default)s)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(build_parser(), argv, FULL_SIZE)
    if args.generate:  # no training: N MIDI files from the newest checkpoint
        device = resolve_device(args.device)
        generate_from_newest(args.out, args.generate, device, overwrite=args.overwrite)
        return

    # 1. Data: (4, 2, 16, 84) piano rolls in {-1, 1}, no labels. Parsed once, then cached.
    print("loading the JSB chorales (the first time, parsing them takes a minute or two) ...")
    chorales = JSBChorales(
        root=args.cache_dir,
        split=None if args.split == "all" else args.split,
        max_chorales=args.max_chorales,
    )
    print(
        f"{len(chorales)} two-bar phrases from {args.split} chorales "
        f"(skipped: {chorales.skipped}); cache {chorales.cache_path}"
    )
    loader = DataLoader(
        chorales, batch_size=args.batch_size, shuffle=True, drop_last=True, num_workers=args.workers
    )
    # The frontend knows the layout, writes MIDI (66 quarter notes per minute, as in the book)
    # and draws piano rolls; it has no waveform.
    frontend = PianoRoll(tracks=4, bars=2, steps_per_bar=16, pitches=84, lowest_pitch=0)

    # 2. Models. The critic has no BatchNorm (it is trained with a gradient penalty).
    c = args.channels
    generator = MuseGenerator(
        latent_dim=args.latent_dim,
        out_shape=frontend.feature_shape,  # (tracks, bars, steps_per_bar, pitches)
        hid_channels=8 * c,
        hid_features=8 * c,
    )
    critic = MuseCritic(in_shape=frontend.feature_shape, hid_channels=c, hid_features=8 * c)
    real = torch.as_tensor(chorales.data[: args.samples]).float()  # shown beside the samples

    # 3. WGAN-GP as in the book: 5 critic steps, GP 10, Adam(1e-3, betas=(0.5, 0.9)).
    trainer = Trainer(
        generator,
        critic,
        Wasserstein(),
        GradientPenalty(weight=args.gp_weight),
        generator_lr=args.lr,
        critic_lr=args.lr,
        betas=(0.5, 0.9),
        n_critic=args.n_critic,
        precision=args.precision,
        frontend=frontend,  # stored in the checkpoints: --generate writes MIDI from them
        callbacks=[
            ProgressBar(),
            CSVLogger(),
            # OUT/samples/step_N/: sample_00.mid ... and sample.png, the rolls drawn by the
            # frontend (argmax per voice and step, as the MIDI holds them) beside real ones;
            # OUT/losses.png; OUT/index.html
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

    # 4. Music metrics of generated phrases beside those of the real ones. The generator's raw
    #    output is binarized as the MIDI files are: the loudest pitch per voice and step, a rest
    #    where no pitch is above 0. Qualified notes count notes of at least 2 steps (an eighth).
    generated, _ = fixed_samples(trainer.sampling_generator, args.report_samples, seed=1)
    generated = frontend.binarize(generated)  # (n, 4, 2, 16, 84) in {-1, 1}
    report = music_report(
        torch.as_tensor(chorales.data).float(),
        generated,
        track_names=frontend.track_names,
        lowest_pitch=frontend.lowest_pitch,
        min_length=2,
        steps_per_beat=4,
    )
    print(
        f"\nmusic metrics: real = {len(chorales)} chorale phrases, fake = {len(generated)} generated"
    )
    print(format_music_report(report))
    print_outputs(args, trainer, "examples/musegan_chorales.py")


if __name__ == "__main__":
    main()
