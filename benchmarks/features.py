"""Benchmark: log-mel throughput per item in DataLoader workers, batched on the device, cached.

Three ways to feed a spectrogram GAN its log-mels, each timed in items per second through a
``DataLoader`` with the same batch size, and the result moved to the device:

- ``per_item``: the frontend as the dataset's transform, run on each clip in the DataLoader
  workers (the one-hot cGAN's way; each worker computes with one thread, as DataLoader sets it);
- ``batched``: the workers only load and collate waveforms; the frontend encodes whole batches on
  the device (the Trainer's ``preprocess``, through :func:`audiogan.train.batches.prepare_batch`);
- ``cache``: a :class:`~audiogan.data.FeatureCache` (float16 memory map) built once, its build
  time reported apart, read through a loader of the same batch size (``--cache-workers``,
  default 0: slicing a memory map costs less than passing the slice through a worker process).

Two sources of clips: ``memory`` (waveforms held in RAM: the frontend's cost alone) and
``files`` (wav files read by :class:`~audiogan.data.AudioFolder`: decoding is part of
``per_item`` and ``batched``, not of ``cache``). The paths are interleaved round by round; the
median epoch is reported, and the first batch of each path is checked against ``per_item``.

Usage::

    python benchmarks/features.py                    # 128 mels x 256 frames (~4 s clips)
    python benchmarks/features.py --quick            # tiny, seconds (the tests run it)
    python benchmarks/features.py --source memory --workers 4 --json features.json
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import torch
from _machine import machine  # benchmarks/_machine.py, beside this script
from torch.utils.data import DataLoader, Dataset

from audiogan.audio import save_audio
from audiogan.data import AudioFolder, FeatureCache
from audiogan.frontends import LogMel
from audiogan.train.batches import prepare_batch

PATHS = ("per_item", "batched", "cache")
SOURCES = ("memory", "files")
#: The targets, as ratios of items per second to ``per_item``'s.
TARGETS = {"batched": 5.0, "cache": 20.0}


class Clips(Dataset):
    """Labelled waveforms held in memory: items ``(wave (1, time) or transform(wave), label)``.

    Args:
        waves: ``(items, 1, time)``.
        labels: ``(items,)`` class indices.
        transform: Called on each ``(time,)`` waveform (e.g. a frontend's ``encode``), or None.
    """

    def __init__(
        self,
        waves: torch.Tensor,
        labels: torch.Tensor,
        transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ) -> None:
        self.waves, self.labels, self.transform = waves, labels, transform

    def __len__(self) -> int:
        return len(self.waves)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        wave = self.waves[index]
        if self.transform is not None:
            with torch.no_grad():
                wave = self.transform(wave[0])
        return wave, int(self.labels[index])

    def cache_key(self) -> dict[str, Any]:
        """What FeatureCache keys the set by: its size and a digest of its samples."""
        return {
            "dataset": "Clips",
            "shape": list(self.waves.shape),
            "sum": float(self.waves.double().sum()),
        }


def make_clips(items: int, num_samples: int, sample_rate: int, classes: int = 2) -> Clips:
    """Tones with harmonics and noise, one pitch per item: ``(items, 1, num_samples)``."""
    g = torch.Generator().manual_seed(0)
    t = torch.arange(num_samples) / sample_rate
    f0 = 110 * 2 ** (3 * torch.rand(items, 1, generator=g))  # (items, 1)
    waves = sum(torch.sin(2 * math.pi * k * f0 * t) / k for k in (1, 2, 3))  # (items, time)
    waves = 0.4 * waves + 0.05 * torch.randn(items, num_samples, generator=g)
    return Clips(waves.clamp(-1, 1).unsqueeze(1), torch.arange(items) % classes)


def write_files(clips: Clips, root: Path, sample_rate: int) -> Path:
    """``clips`` as ``root/class_<k>/<i>.wav`` (16-bit PCM), an AudioFolder tree."""
    for i in range(len(clips)):
        wave, label = clips[i]
        save_audio(root / f"class_{label}" / f"{i:05d}.wav", wave, sample_rate, subtype="PCM_16")
    return root


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class Pipeline:
    """One way to get log-mels: a loader and what is done to each of its batches."""

    def __init__(
        self,
        name: str,
        dataset: Dataset,
        to_features: Callable[[Any], torch.Tensor],
        args: argparse.Namespace,
        device: torch.device,
        workers: int,
    ) -> None:
        self.name = name
        self.to_features = to_features
        self.device = device
        self.loader = DataLoader(
            dataset,
            batch_size=args.batch,
            num_workers=workers,
            persistent_workers=workers > 0,
            pin_memory=device.type == "cuda",
        )

    def epoch(self) -> float:
        """Seconds for one pass over the data set, features on the device."""
        synchronize(self.device)
        begin = time.perf_counter()
        for raw in self.loader:
            self.to_features(raw)
        synchronize(self.device)
        return time.perf_counter() - begin

    def first_batch(self) -> torch.Tensor:
        return self.to_features(next(iter(self.loader))).float().cpu()


def run_source(
    source: str,
    clips: Clips,
    frontend: LogMel,
    args: argparse.Namespace,
    device: torch.device,
    tmp: Path,
) -> dict[str, Any]:
    """Time the three paths on ``source``, with files and the cache under ``tmp``; JSON-able."""
    sr, num_samples = frontend.sample_rate, clips.waves.shape[-1]
    cpu_frontend = LogMel(**frontend.config)  # the workers' copy
    device_frontend = LogMel(**frontend.config).to(device)

    def dataset(transform: Callable[[torch.Tensor], torch.Tensor] | None) -> Dataset:
        if source == "memory":
            return Clips(clips.waves, clips.labels, transform)
        return AudioFolder(tmp / "clips", sr, num_samples, transform=transform)

    if source == "files":
        write_files(clips, tmp / "clips", sr)
    begin = time.perf_counter()
    cache = FeatureCache(
        dataset(None),
        device_frontend,
        tmp / "cache",
        batch_size=args.batch,
        device=device,
        progress=False,
        num_workers=args.workers,
    )
    build_s = time.perf_counter() - begin

    def moved(raw: Any) -> torch.Tensor:
        return raw[0].to(device, non_blocking=True)

    def encoded(raw: Any) -> torch.Tensor:
        return prepare_batch(raw, device, preprocess=device_frontend).real

    paths = [
        Pipeline("per_item", dataset(cpu_frontend.encode), moved, args, device, args.workers),
        Pipeline("batched", dataset(None), encoded, args, device, args.workers),
        Pipeline("cache", cache, moved, args, device, args.cache_workers),
    ]
    reference = paths[0].first_batch()
    max_abs_diff = {}
    for p in paths[1:]:
        x = p.first_batch()
        if x.shape != reference.shape:
            raise RuntimeError(
                f"features.py: {p.name} gives batches {tuple(x.shape)}, per_item "
                f"{tuple(reference.shape)}"
            )
        max_abs_diff[p.name] = float((x - reference).abs().max())
    for p in paths:  # warm-up: workers started, allocator and FFT plans ready
        p.epoch()

    seconds: dict[str, list[float]] = {p.name: [] for p in paths}
    for k in range(args.rounds):
        for p in [*paths[k % 3 :], *paths[: k % 3]]:
            seconds[p.name].append(p.epoch())
        shown = ", ".join(f"{p.name} {len(clips) / seconds[p.name][-1]:.0f}" for p in paths)
        print(f"  {source} round {k + 1}/{args.rounds} (items/s): {shown}", flush=True)

    results: dict[str, dict[str, Any]] = {}
    for name, t in seconds.items():
        median = statistics.median(t)
        results[name] = {
            "items_per_s": len(clips) / median,
            "ms_per_item": median / len(clips) * 1e3,
            "round_items_per_s": [len(clips) / x for x in t],
            "spread": (max(t) - min(t)) / median,
        }
    results["cache"]["build_s"] = build_s
    base = results["per_item"]["items_per_s"]
    ratios = {
        "batched_vs_per_item": results["batched"]["items_per_s"] / base,
        "cache_vs_per_item": results["cache"]["items_per_s"] / base,
        "cache_vs_batched": results["cache"]["items_per_s"] / results["batched"]["items_per_s"],
    }
    return {
        "paths": results,
        "ratios": ratios,
        "max_abs_diff_vs_per_item": max_abs_diff,
        "targets": {
            name: {
                "ratio": ratios[f"{name}_vs_per_item"],
                "target": f">= {want:g}",
                "met": ratios[f"{name}_vs_per_item"] >= want,
            }
            for name, want in TARGETS.items()
        },
    }


def print_table(source: str, result: dict[str, Any], items: int) -> None:
    print(f"\n{source}: {items} clips")
    print(f"{'path':<10}{'items/s':>10}{'ms/item':>10}{'spread':>8}{'vs per_item':>13}")
    base = result["paths"]["per_item"]["items_per_s"]
    for name, r in result["paths"].items():
        print(
            f"{name:<10}{r['items_per_s']:>10.0f}{r['ms_per_item']:>10.3f}"
            f"{r['spread'] * 100:>7.0f}%{r['items_per_s'] / base:>12.1f}x"
        )
    print(f"cache build: {result['paths']['cache']['build_s']:.2f} s (encode + write, once)")
    for name, t in result["targets"].items():
        print(
            f"target: {name} {t['ratio']:.1f}x per_item ({t['target']}): "
            f"{'met' if t['met'] else 'missed'}"
        )


def parse_args(argv: Iterable[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="auto", help="'auto' (CUDA if present), 'cpu', 'cuda'")
    parser.add_argument("--quick", action="store_true", help="tiny clips, 2 rounds: seconds")
    parser.add_argument("--source", nargs="+", choices=SOURCES, default=list(SOURCES))
    parser.add_argument("--items", type=int, default=None, help="clips (default 256; CUDA 1024)")
    parser.add_argument("--batch", type=int, default=None, help="batch size (default 32)")
    parser.add_argument(
        "--workers", type=int, default=None, help="per_item and batched loader workers (default 2)"
    )
    parser.add_argument(
        "--cache-workers",
        type=int,
        default=0,
        help="cache loader workers (default 0: a memory-map read is cheaper than a worker hop)",
    )
    parser.add_argument(
        "--threads", type=int, default=None, help="torch.set_num_threads (default 1 on a CPU)"
    )
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds (median)")
    parser.add_argument("--n-mels", type=int, default=None, help="mel bands (default 128)")
    parser.add_argument("--frames", type=int, default=None, help="frames per clip (default 256)")
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    args = parser.parse_args(None if argv is None else list(argv))
    cuda = args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available())
    q = args.quick
    args.items = args.items or (32 if q else 1024 if cuda else 256)
    args.batch = args.batch or (8 if q else 32)
    args.workers = args.workers if args.workers is not None else (1 if q else 2)
    args.rounds = args.rounds or (2 if q else 5)
    args.n_mels = args.n_mels or (32 if q else 128)
    args.frames = args.frames or (32 if q else 256)
    return args


def main(argv: Iterable[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    if args.device == "auto":
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    else:
        device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit("features: --device cuda given but no CUDA device is available")
    if args.threads is not None or device.type == "cpu":
        torch.set_num_threads(args.threads or 1)
    frontend = LogMel(n_mels=args.n_mels, frames=args.frames)
    num_samples = frontend.num_samples_for_frames()
    info = machine(device)
    print(
        f"device: {info.get('gpu') or info['processor']} ({device.type}, "
        f"{torch.get_num_threads()} threads) | torch {torch.__version__}\n"
        f"log-mel {args.n_mels} x {args.frames} ({num_samples} samples at "
        f"{frontend.sample_rate} Hz), {args.items} clips, batch {args.batch}, "
        f"{args.workers} workers ({args.cache_workers} for the cache), {args.rounds} rounds"
    )
    clips = make_clips(args.items, num_samples, frontend.sample_rate)
    with tempfile.TemporaryDirectory(prefix="audiogan-bench-") as tmp:
        results = {
            s: run_source(s, clips, frontend, args, device, Path(tmp) / s) for s in args.source
        }
    for source, result in results.items():
        print_table(source, result, args.items)
    report = {
        "benchmark": "features",
        "machine": info,
        "settings": {
            "frontend": frontend.config,
            "items": args.items,
            "batch": args.batch,
            "workers": args.workers,
            "cache_workers": args.cache_workers,
            "threads": torch.get_num_threads(),
            "rounds": args.rounds,
            "command": " ".join(sys.argv),
        },
        "sources": results,
    }
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2))
        print(f"\nwrote {args.json}")
    return report


if __name__ == "__main__":
    main()
