"""What the example scripts share: their command-line flags, spectrogram data, and output report.

The examples import this file as ``_common`` (it sits beside them in ``examples/``). Everything
here is plain audiogan usage; read it together with any example.
"""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset

from audiogan.data import AudioFolder, FeatureCache, SyntheticSounds
from audiogan.frontends import LogMel
from audiogan.train import generate, latest_checkpoint, load_checkpoint

# ----------------------------------------------------------------------------- flags


def add_run_args(
    parser: argparse.ArgumentParser,
    out: str,
    steps: int | None,
    epochs: int | None,
    batch_size: int,
    generate_help: str = "samples per class",
) -> None:
    """Flags of every GAN example: output folder, length, batch, device, precision, generation."""
    run = parser.add_argument_group("run")
    run.add_argument(
        "--out",
        type=Path,
        default=Path(out),
        help="output folder for samples, checkpoints and logs; running again with the same "
        "folder resumes from its newest checkpoint (default: %(default)s)",
    )
    run.add_argument(
        "--steps",
        type=int,
        default=steps,
        help="total generator steps, resumed ones included (default: %(default)s)",
    )
    run.add_argument(
        "--epochs",
        type=int,
        default=epochs,
        help="total epochs; training stops at whichever of --steps / --epochs comes first "
        "(default: %(default)s)",
    )
    run.add_argument("--batch-size", type=int, default=batch_size, help="(default: %(default)s)")
    run.add_argument(
        "--device",
        default="auto",
        help="'auto' (CUDA when available), 'cpu', 'cuda', 'cuda:1' ... (default: %(default)s)",
    )
    run.add_argument(
        "--precision",
        default="auto",
        choices=["auto", "32", "bf16", "16"],
        help="'auto': bf16 on a CUDA device that supports it, else 32; 'bf16': bfloat16 "
        "autocast; '16': float16 autocast with gradient scaling (CUDA only); '32': float32 "
        "(default: %(default)s)",
    )
    run.add_argument("--seed", type=int, default=0, help="(default: %(default)s)")
    run.add_argument(
        "--workers", type=int, default=0, help="DataLoader worker processes (default: 0)"
    )
    run.add_argument(
        "--generate",
        type=int,
        default=0,
        metavar="N",
        help=f"do not train: write N {generate_help} from the newest checkpoint in --out to "
        "OUT/generated/step_<step>/ (one folder per checkpoint; refused when it holds files)",
    )
    run.add_argument(
        "--overwrite",
        action="store_true",
        help="with --generate: replace the files an earlier --generate wrote from the same checkpoint",
    )


def add_spectrogram_args(
    parser: argparse.ArgumentParser, n_mels: int, frames: int, n_per_class: int
) -> None:
    """Flags of the spectrogram examples: data source, log-mel size, feature cache."""
    data = parser.add_argument_group("data")
    data.add_argument(
        "--data",
        type=Path,
        default=None,
        help="your own audio: a folder with one subfolder of clips per class (AudioFolder); "
        "default: the built-in synthetic sounds (5 classes, no download)",
    )
    data.add_argument(
        "--fraction",
        type=float,
        default=1.0,
        help="with --data: share of each class's files to use (default: %(default)s)",
    )
    data.add_argument(
        "--n-per-class",
        type=int,
        default=n_per_class,
        help="without --data: synthetic clips per class (default: %(default)s)",
    )
    data.add_argument("--sample-rate", type=int, default=16000, help="(default: %(default)s)")
    data.add_argument("--n-fft", type=int, default=1024, help="(default: %(default)s)")
    data.add_argument("--hop-length", type=int, default=256, help="(default: %(default)s)")
    data.add_argument("--n-mels", type=int, default=n_mels, help="mel bands (default: %(default)s)")
    data.add_argument(
        "--frames",
        type=int,
        default=frames,
        help="spectrogram frames; clips are cut or padded to match (default: %(default)s)",
    )
    data.add_argument(
        "--cache",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="precompute the log-mels once into a memory-mapped FeatureCache, reused by later "
        "runs (default: on; with --no-cache the Trainer encodes every batch of waveforms on its "
        "device, e.g. for data too large to cache)",
    )
    data.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help="where the feature cache lives (default: OUT/cache)",
    )


def parse_args(
    parser: argparse.ArgumentParser, argv: Sequence[str] | None, full_size: dict[str, Any]
) -> argparse.Namespace:
    """Parse ``argv``; with ``--full-size``, parse again with ``full_size`` as the defaults.

    So ``--full-size`` switches to the sizes of the original system the example reproduces, and
    flags given explicitly still win.
    """
    args = parser.parse_args(argv)
    if getattr(args, "full_size", False):
        parser.set_defaults(**full_size)
        args = parser.parse_args(argv)
    if args.steps is None and args.epochs is None:
        parser.error("give --steps or --epochs")
    return args


def resolve_device(name: str) -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU; anything else as given."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


# ----------------------------------------------------------------------------- data


def make_logmel(args: argparse.Namespace) -> LogMel:
    """The log-mel frontend the flags describe: waveform <-> ``(1, n_mels, frames)`` in [-1, 1]."""
    return LogMel(
        sample_rate=args.sample_rate,
        n_fft=args.n_fft,
        hop_length=args.hop_length,
        n_mels=args.n_mels,
        frames=args.frames,
    )


def spectrogram_dataset(
    args: argparse.Namespace, frontend: LogMel
) -> tuple[Dataset, list[str], LogMel | None]:
    """The training data, its class names, and the frontend the Trainer must apply (or None).

    Clips come from ``--data`` (an AudioFolder) or the built-in SyntheticSounds, each
    ``frontend.num_samples_for_frames()`` samples long. With ``--cache`` (the default) their
    log-mels are computed once into ``OUT/cache`` (or ``--cache-dir``), a later run with the same
    data and frontend maps that file (the conditional WGAN-GP's precomputed spectrograms), and
    the items are ``((1, n_mels, frames), label)``. With ``--no-cache`` the items are waveforms
    ``((1, time), label)`` and the Trainer encodes each batch on its device (``preprocess=``).
    """
    num_samples = frontend.num_samples_for_frames()  # waveform length giving exactly --frames
    if args.data is not None:
        clips = AudioFolder(
            args.data,
            sample_rate=args.sample_rate,
            num_samples=num_samples,
            fraction=args.fraction,
            seed=args.seed,
        )
    else:
        clips = SyntheticSounds(
            args.n_per_class, sample_rate=args.sample_rate, num_samples=num_samples, seed=args.seed
        )
    print(f"data: {clips!r}")
    if not args.cache:
        return clips, list(clips.classes), frontend
    cache_dir = args.cache_dir if args.cache_dir is not None else args.out / "cache"
    features = FeatureCache(clips, frontend, cache_dir)
    print(
        f"features: {len(features)} x {features.feature_shape} in {cache_dir}"
        + (" (built now)" if features.built else " (reused)")
    )
    return features, list(clips.classes), None


def real_examples(
    dataset: Dataset,
    labels: Sequence[int],
    n_per_class: int,
    num_classes: int,
    preprocess: LogMel | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The first ``n_per_class`` items of each class as features: ``((n, *feature_shape), (n,))``.

    The sample pictures show them beside the generated ones. ``preprocess`` encodes waveform
    items ``(1, time)``.
    """
    picked: list[int] = []
    for c in range(num_classes):
        picked += [i for i, y in enumerate(labels) if y == c][:n_per_class]
    items = [dataset[i] for i in picked]
    x = torch.stack([x for x, _ in items])
    if preprocess is not None:
        with torch.no_grad():
            x = preprocess.encode(x[:, 0])  # (n, 1, time) -> (n, *feature_shape)
    return x, torch.tensor([y for _, y in items])


def loader_for(dataset: Dataset, args: argparse.Namespace, **kwargs: Any) -> DataLoader:
    """A shuffling DataLoader with full batches only (BatchNorm and fixed shapes like that)."""
    return DataLoader(
        dataset,
        batch_size=args.batch_size,
        shuffle=True,
        drop_last=True,
        num_workers=args.workers,
        **kwargs,
    )


# ----------------------------------------------------------------------------- runs


def announce_resume(out: Path) -> None:
    """Say whether this run starts fresh or resumes (the Trainer does the resuming)."""
    newest = latest_checkpoint(out / "checkpoints")
    if newest is None:
        print(f"starting a new run in {out}")
    else:
        step = load_checkpoint(newest)["step"]
        print(f"resuming from {newest} (step {step}); delete {out} to start over")


def generate_from_newest(
    out: Path, n: int, device: torch.device, overwrite: bool = False
) -> list[Path]:
    """Write ``n`` samples per class from the newest checkpoint to ``out/generated/step_<step>/``.

    Each checkpoint has its own folder (named like the checkpoint file), so samples of a later
    checkpoint never replace earlier ones. Generating again from the same checkpoint is refused
    while its folder holds files, unless ``overwrite`` (then the folder is emptied first, so no
    file of the earlier generation is left among the new ones).
    :func:`audiogan.train.generation.generate` rebuilds the generator and the frontend from the
    checkpoint alone (their classes and ``config`` are stored in it).

    Raises:
        SystemExit: If ``out`` has no checkpoint, or the folder holds files and not ``overwrite``.
    """
    newest = latest_checkpoint(out / "checkpoints")
    if newest is None:
        raise SystemExit(
            f"no checkpoint in {out / 'checkpoints'}: train first (run without --generate)"
        )
    folder = out / "generated" / newest.stem  # e.g. OUT/generated/step_00000800
    if folder.is_dir() and any(folder.iterdir()):
        if not overwrite:
            raise SystemExit(
                f"{folder} already holds the files of an earlier --generate from {newest.name}; "
                "pass --overwrite to replace them, or train longer for a newer checkpoint"
            )
        shutil.rmtree(folder)
    paths = generate(newest, folder, n_per_class=n, device=device)
    print(f"wrote {len(paths)} files from {newest} to {folder}/:")
    for path in paths:
        print(f"  {path}")
    return paths


def print_outputs(args: argparse.Namespace, trainer: Any, script: str) -> None:
    """Where the run's files are, and how to go on."""
    out = args.out
    rounds = sorted((out / "samples").glob("step_*"))
    print(f"\ndone: step {trainer.step}, epoch {trainer.epoch}. Files:")
    print(f"  gallery (open in a browser): {out / 'index.html'}")
    if rounds:
        print(f"  samples:      {out / 'samples'}/  (newest: {rounds[-1].name}/)")
    print(f"  loss curves:  {out / 'losses.png'}")
    print(f"  metrics log:  {out / 'metrics.csv'}")
    print(f"  checkpoints:  {out / 'checkpoints'}/  (newest: {trainer.last_checkpoint.name})")
    print(f"more samples:   python {script} --out {out} --generate 8")
    longer = (
        f"--epochs {trainer.epoch * 2}"
        if args.epochs is not None
        else f"--steps {trainer.step * 2}"
    )
    print(f"train longer:   python {script} --out {out} {longer}   (plus this run's other flags)")
