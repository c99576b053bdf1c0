"""A fixed judge for runs on a few clips per class of the built-in sounds (issue 22, section 5).

``audiogan evaluate RUN`` trains its classifier on 90 % of the run's own clips and holds out
the other 10 %: at ``clips_per_class=8`` that is 35 clips to learn from and 5 to compare
against, so its numbers mean little and differ from run size to run size. This script judges
every run with the same library classifier (a :class:`~audiogan.nn.RecurrentClassifier`, as
``audiogan evaluate`` trains) fitted once on 64 clips per class of the built-in sounds drawn
with another seed, and compares the run's fakes with 32 held-out clips per class of a third
seed: clips no run trains on (:class:`~audiogan.data.SyntheticSounds` item ``i`` depends on its
seed and ``i`` only). The nearest-train distance is against the run's own training clips (the
first ``clips_per_class`` of each class at the run's seed).

Usage::

    python benchmarks/builtin_small_report.py runs/b8_scratch     # newest checkpoint
    python benchmarks/builtin_small_report.py runs/b8_scratch/checkpoints/step_00000300.pt

The judge is trained on first use and saved to ``--judge`` (default
``runs/builtin_judge/classifier.pt``).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import torch

from audiogan.data import SyntheticSounds
from audiogan.frontends import LogMel
from audiogan.metrics import (
    audio_report,
    format_audio_report,
    format_distribution_report,
    small_n_report,
    train_or_load_classifier,
)
from audiogan.nn import RecurrentClassifier
from audiogan.recipes import configure, get_recipe, load_run_config
from audiogan.recipes.spectrogram import logmel
from audiogan.train import load_generator, run_checkpoint
from audiogan.train.callbacks import fixed_fakes

#: Seeds of the judge's training clips and of the held-out clips (no run trains on these).
JUDGE_SEED, HELD_OUT_SEED = 101, 102
JUDGE_CLIPS, HELD_OUT_CLIPS = 64, 32


def encoded(clips_per_class: int, seed: int, frontend: LogMel) -> tuple[torch.Tensor, torch.Tensor]:
    """The first ``clips_per_class`` built-in clips of each class at ``seed`` as log-mels
    ``(n, 1, n_mels, frames)`` and labels ``(n,)``."""
    sounds = SyntheticSounds(
        clips_per_class,
        sample_rate=frontend.sample_rate,
        num_samples=frontend.num_samples_for_frames(),
        seed=seed,
    )
    waves = torch.stack([sounds.waveform(i) for i in range(len(sounds))])  # (n, 1, time)
    with torch.no_grad():
        features = torch.cat(
            [frontend.encode(waves[i : i + 64, 0]) for i in range(0, len(waves), 64)]
        )
    return features, torch.tensor(sounds.labels)


def report(
    source: Path,
    judge_path: Path,
    fakes_per_class: int = 32,
    judge_clips: int = JUDGE_CLIPS,
    held_out_clips: int = HELD_OUT_CLIPS,
) -> str:
    """The judge's accuracy on the run's fakes and the small-n metrics in its embedding.

    Args:
        source: A run folder of the ``wgan-gp`` recipe (or another spectrogram recipe) on the
            built-in sounds, or one of its checkpoints.
        judge_path: The judge's file: loaded if there, else trained and saved there.
        fakes_per_class: Fakes per class of the EMA generator (latent seed: the run's + 1).
        judge_clips: Built-in clips per class the judge is trained on (seed ``JUDGE_SEED``).
        held_out_clips: Held-out clips per class (seed ``HELD_OUT_SEED``).

    Raises:
        SystemExit: If the run trained on a folder or CSV, not the built-in sounds.
    """
    source = Path(source)
    run_dir = source if source.is_dir() else source.parent.parent
    name, saved = load_run_config(run_dir)
    config = configure(get_recipe(name), saved=saved)
    if config.data is not None or config.csv is not None:
        raise SystemExit(
            f"{run_dir} trained on {config.data or config.csv}, not the built-in sounds"
        )
    checkpoint = run_checkpoint(source)
    frontend = logmel(dataclasses.replace(config, vocoder=None))
    classes = SyntheticSounds(1).classes
    judge_x, judge_y = encoded(judge_clips, JUDGE_SEED, frontend)
    model = RecurrentClassifier(config.n_mels, len(classes))
    pairs = list(zip(judge_x, judge_y.tolist(), strict=True))
    options = dict(epochs=15, val_fraction=0.0, seed=0)
    judge, _ = train_or_load_classifier(judge_path, model, pairs, **options)
    real, real_labels = encoded(held_out_clips, HELD_OUT_SEED, frontend)
    train, _ = encoded(config.clips_per_class, config.seed, frontend)
    generator = load_generator(checkpoint)
    fake, fake_labels = fixed_fakes(generator, fakes_per_class, seed=config.seed + 1)
    audio = audio_report(judge, real, real_labels, fake, fake_labels, class_names=classes)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        fresh = RecurrentClassifier(config.n_mels, len(classes))
    small = small_n_report(
        judge,
        real,
        fake,
        real_labels=real_labels,
        fake_labels=fake_labels,
        train=train,
        class_names=classes,
        fresh_classifier=fresh,
        seed=config.seed,
    )
    header = (
        f"{checkpoint} ({config.clips_per_class} clips per class) vs {len(real)} held-out "
        f"built-in clips (judge: {judge_path})"
    )
    return "\n".join(
        [header, format_audio_report(audio), "", "small-n metrics (same embedding)"]
        + [format_distribution_report(small)]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "source", type=Path, help="a run folder of the built-in sounds, or a checkpoint"
    )
    parser.add_argument("--judge", type=Path, default=Path("runs/builtin_judge/classifier.pt"))
    parser.add_argument("--fakes-per-class", type=int, default=32)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    print(report(args.source, args.judge, args.fakes_per_class))
    return 0


if __name__ == "__main__":
    sys.exit(main())
