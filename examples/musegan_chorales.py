"""MuseGAN on the Bach chorales: four voices, two bars, piano rolls in, MIDI files out.

Phrases are piano rolls ``(4 voices SATB, 2 bars, 16 steps, 84 pitches)`` in {-1, 1} of the
chorales music21 ships (parsed once, about 1-2 minutes, and cached in ``--cache-dir``, default
``$AUDIOGAN_CACHE`` or ``~/.cache/audiogan``). The generator turns four noises (chords, style,
melody, groove) into one bar per voice and bar, with one pitch or a rest per voice and step; a
Conv3d critic reads the roll, with extra streams of note onsets and pitch classes. WGAN-GP
(weight 10), 5 critic steps, Adam 1e-3 (0.5, 0.9), as in Mark Liu's "Learn Generative AI with
PyTorch", ch. 13; sampling from an EMA of the generator. It writes rounds of fakes (MIDI, piano-roll
pictures), checkpoints, ``midi/fake_000.mid`` ... and prints music metrics beside the real ones.

    python examples/musegan_chorales.py --out runs/chorales           # about 17 min on 2 CPU cores
    python examples/musegan_chorales.py --steps 2 --width 2 --batch-size 2 --max-chorales 3 \\
        --split all --out /tmp/tiny                                    # a tiny run
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from torch.utils.data import DataLoader

from audiogan.data import JSBChorales
from audiogan.frontends import PianoRoll
from audiogan.losses import GradientPenalty, Wasserstein
from audiogan.metrics import format_music_report, music_report
from audiogan.recipes import musegan
from audiogan.train import (
    CheckpointCallback,
    CSVLogger,
    FakeWriter,
    ProgressBar,
    Trainer,
    fixed_fakes,
    generate,
    seed_everything,
)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=Path("runs/musegan_chorales"))
    p.add_argument("--steps", type=int, default=1600, help="generator steps in all")
    p.add_argument("--width", type=int, default=16, help="C: critic C and 8C, generator 8C")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--every", type=int, default=200, help="steps between rounds of fakes")
    p.add_argument("--samples", type=int, default=4, help="MIDI files per round and at the end")
    p.add_argument("--split", choices=("train", "valid", "test", "all"), default="train")
    p.add_argument("--max-chorales", type=int, help="only the first N chorales (a quick look)")
    p.add_argument("--cache-dir", help="where the parsed chorales are kept")
    p.add_argument("--device", default="auto")
    args = p.parse_args(argv)
    seed_everything(0)

    split = None if args.split == "all" else args.split
    data = JSBChorales(args.cache_dir, split, max_chorales=args.max_chorales, progress=False)
    loader = DataLoader(data, batch_size=args.batch_size, shuffle=True, drop_last=True)
    frontend = PianoRoll()  # the roll layout; writes MIDI files and draws piano rolls
    # The musegan recipe's models (audiogan/recipes/musegan.py, `models`) on the roll layout
    # (tracks, bars, steps_per_bar, pitches): one pitch or a rest per voice and step
    # (output="argmax", straight-through), resize upsampling, onset and chroma critic streams.
    config = musegan.Config(
        width=args.width, latent_dim=32, output="argmax", upsample="resize", streams="onset,chroma"
    )
    generator, critic = musegan.models(config)
    real = torch.as_tensor(data.data[: args.samples]).float()  # drawn beside the samples
    trainer = Trainer(
        generator,
        critic,
        Wasserstein(),
        GradientPenalty(weight=10.0),
        generator_lr=1e-3,
        critic_lr=1e-3,
        betas=(0.5, 0.9),
        critic_steps=5,
        ema=0.999,
        frontend=frontend,  # stored in the checkpoints: generate() writes MIDI from them
        callbacks=[
            ProgressBar(),
            CSVLogger(),
            FakeWriter(
                frontend, fakes_per_class=args.samples, every=args.every, unit="step", real=real
            ),
            CheckpointCallback(every=args.every, unit="step"),
        ],
        out_dir=args.out,
        device=args.device,
    )
    trainer.fit(loader, steps=args.steps)  # resumes from OUT/checkpoints when there are some
    paths = generate(trainer.last_checkpoint, args.out / "midi", fakes_per_class=args.samples)
    print(f"step {trainer.step}: {len(paths)} MIDI files in {paths[0].parent}")

    # Music metrics (empty bars, pitch classes per bar, qualified notes ...) per voice.
    fake, _ = fixed_fakes(trainer.sampling_generator, 4 * args.samples, seed=1)
    rolls = data.data, frontend.binarize(fake)  # on where > 0, as the MIDI holds them
    report = music_report(
        *rolls, frontend.track_names, frontend.lowest_pitch, steps_per_beat=frontend.steps_per_beat
    )
    print(format_music_report(report))


if __name__ == "__main__":
    main()
