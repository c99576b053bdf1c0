"""Reference music metrics of the real JSB chorales (train split vs test split), for the docs.

Run: ``python benchmarks/jsb_reference_metrics.py [--cache DIR]``. Builds the chorales from
music21's corpus on first use (about a minute or two), then prints the report twice: with the
qualified-note threshold at 2 and at 3 steps (of 16 per bar).
"""

from __future__ import annotations

import argparse
import time

import torch

from audiogan.data.chorales import JSBChorales
from audiogan.metrics.music import format_music_report, music_report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cache", default=None, help="chorales cache folder (default: $AUDIOGAN_CACHE)"
    )
    args = parser.parse_args(argv)
    start = time.perf_counter()
    train = JSBChorales(root=args.cache, split="train")
    test = JSBChorales(root=args.cache, split="test")
    print(
        f"data: {len(train)} train and {len(test)} test phrases ({time.perf_counter() - start:.1f} s)"
    )
    names = ["soprano", "alto", "tenor", "bass"]
    real, other = torch.from_numpy(train.data), torch.from_numpy(test.data)
    for min_length in (2, 3):
        report = music_report(
            real,
            other,
            names,
            lowest_pitch=train.lowest_pitch,
            min_length=min_length,
            steps_per_beat=4,
        )
        print(f"\nmin_length={min_length}: 'real' = train split, 'fake' = test split")
        print(format_music_report(report))


if __name__ == "__main__":
    main()
