"""The ``audiogan`` command: list, train, generate from and evaluate the recipes.

``audiogan`` and ``python -m audiogan`` are the same program::

    audiogan recipes                                    # one line per recipe
    audiogan train wgan-gp --out runs/demo              # train on built-in data (again: resumes)
    audiogan train wgan-gp --data my_sounds/ --full-size --out runs/mine   # your folder, on a GPU
    audiogan generate runs/demo --out samples/ -n 8     # wav (or MIDI) from the newest checkpoint
    audiogan evaluate runs/demo                         # metrics of the samples beside real data

Mistakes a user makes (an unknown recipe, a missing folder, a ``--set`` key the recipe does not
have, a checkpoint of another model) end with one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from audiogan.recipes import Recipe

__all__ = ["main"]

EXAMPLES = {
    "train": """examples:
  audiogan train wgan-gp --out runs/demo --steps 800
  audiogan train wgan-gp --data my_sounds/ --out runs/mine        (one subfolder per class)
  audiogan train wgan-gp --csv labels.csv --out runs/csv           (rows: file,label)
  audiogan train musegan --midi my_midi/ --out runs/songs
  audiogan train wgan-gp --full-size --device cuda --out runs/big  (the source system's size)
  audiogan train wgan-gp --set lr=1e-4 --set channels=32 --out runs/tuned
Running again with the same --out resumes from the newest checkpoint; Ctrl-C saves one.""",
    "generate": """examples:
  audiogan generate runs/demo --out samples/ -n 8
  audiogan generate runs/demo/checkpoints/step_00000800.pt --out samples/ -n 4 --class siren""",
    "evaluate": """examples:
  audiogan evaluate runs/demo
  audiogan evaluate runs/musegan""",
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``audiogan`` command and its subcommands."""
    parser = argparse.ArgumentParser(
        prog="audiogan",
        description="Train, sample and evaluate audiogan's recipes (GANs for audio and music).",
        epilog="run `audiogan COMMAND --help` for each command's options and examples",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    recipes = commands.add_parser("recipes", help="list the recipes, or one recipe's settings")
    recipes.add_argument("recipe", nargs="?", help="show this recipe's settings and defaults")

    raw = argparse.RawDescriptionHelpFormatter
    train = commands.add_parser(
        "train", help="train a recipe", epilog=EXAMPLES["train"], formatter_class=raw
    )
    train.add_argument("recipe", help="a recipe name (see `audiogan recipes`)")
    train.add_argument(
        "--data", metavar="DIR", help="audio folder, one subfolder of clips per class"
    )
    train.add_argument("--csv", metavar="FILE", help="CSV of file,label rows (annotated audio)")
    train.add_argument("--midi", metavar="DIR", help="folder of .mid/.midi files (music recipes)")
    train.add_argument("--out", metavar="DIR", help="run folder (default: runs/RECIPE)")
    train.add_argument("--steps", type=int, metavar="N", help="total generator steps")
    train.add_argument("--epochs", type=int, metavar="N", help="total epochs")
    train.add_argument("--full-size", action="store_true", help="the source system's sizes")
    train.add_argument("--device", help="auto (default), cpu, cuda, cuda:1 ...")
    train.add_argument("--precision", choices=("auto", "32", "bf16", "16"))
    train.add_argument("--seed", type=int)
    train.add_argument("--threads", type=int, metavar="N", help="torch CPU threads")
    train.add_argument(
        "--set",
        action="extend",
        nargs="+",
        default=[],
        metavar="KEY=VALUE",
        help="recipe settings (see `audiogan recipes RECIPE`): --set a=1 b=2, or repeated",
    )

    generate = commands.add_parser(
        "generate",
        help="write samples from a checkpoint",
        epilog=EXAMPLES["generate"],
        formatter_class=raw,
    )
    generate.add_argument("source", type=Path, help="a checkpoint file or a run folder")
    generate.add_argument("--out", type=Path, required=True, metavar="DIR")
    generate.add_argument("-n", type=int, default=4, help="samples per class (default: 4)")
    generate.add_argument("--class", dest="classes", action="append", metavar="NAME")
    generate.add_argument("--seed", type=int, default=0)
    generate.add_argument("--device", default="cpu")
    generate.add_argument("--no-ema", action="store_true", help="raw generator weights")
    generate.add_argument("--overwrite", action="store_true", help="replace files in --out")

    evaluate = commands.add_parser(
        "evaluate",
        help="metrics of a run's samples beside its training data",
        epilog=EXAMPLES["evaluate"],
        formatter_class=raw,
    )
    evaluate.add_argument("source", type=Path, help="a run folder or a checkpoint in one")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit status (0, or 2 for a user's mistake)."""
    from audiogan.audio import AudioFileError
    from audiogan.recipes import ConfigError
    from audiogan.train import CheckpointMismatchError

    args = build_parser().parse_args(argv)
    try:
        {"recipes": _recipes, "train": _train, "generate": _generate, "evaluate": _evaluate}[
            args.command
        ](args)
    except (ConfigError, CheckpointMismatchError, AudioFileError, FileNotFoundError) as e:
        print(f"audiogan {args.command}: error: {e}", file=sys.stderr)
        return 2
    return 0


def _recipes(args: argparse.Namespace) -> None:
    import dataclasses

    from audiogan.recipes import RECIPES, get_recipe

    if args.recipe is None:
        width = max(len(name) for name in RECIPES)
        for name, recipe in RECIPES.items():
            print(f"{name:<{width}}  {recipe.summary}")
        return
    recipe = get_recipe(args.recipe)
    print(f"{recipe.name}: {recipe.summary}")
    print("settings (audiogan train --set KEY=VALUE), default [--full-size]:")
    for f in dataclasses.fields(recipe.config):
        default = getattr(recipe.config(), f.name)
        full = f"  [{recipe.full_size[f.name]}]" if f.name in recipe.full_size else ""
        print(f"  {f.name} = {default}{full}")


def _train(args: argparse.Namespace) -> None:
    import torch

    from audiogan.recipes import ConfigError, GanRun, configure, get_recipe
    from audiogan.train import latest_checkpoint

    recipe = get_recipe(args.recipe)
    overrides = dict(_key_value(item) for item in args.set)
    for flag in ("data", "csv", "midi"):
        if getattr(args, flag) is not None:
            if flag not in recipe.data_flags:
                takes = ", ".join(f"--{f}" for f in recipe.data_flags) or "no data flags"
                raise ConfigError(f"recipe {recipe.name} takes {takes}, not --{flag}")
            overrides[flag] = getattr(args, flag)
    for flag in ("out", "steps", "epochs", "device", "precision", "seed"):
        if getattr(args, flag) is not None:
            overrides[flag] = getattr(args, flag)
    overrides.setdefault("out", f"runs/{recipe.name}")
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    config = configure(recipe, full_size=args.full_size, overrides=overrides)
    run = recipe.build(config)
    newest = latest_checkpoint(run.out_dir / "checkpoints")
    print(f"{recipe.name}: {run.summary()}")
    if isinstance(run, GanRun):  # GANs resume from RUN/checkpoints; others say so in summary()
        print(f"resuming from {newest}" if newest else f"starting a new run in {run.out_dir}")
    run.fit()
    print("\n".join(run.outputs()))


def _generate(args: argparse.Namespace) -> None:
    from audiogan.recipes import ConfigError
    from audiogan.train import generate, latest_checkpoint

    checkpoint = args.source
    folders = [checkpoint] if checkpoint.is_dir() else [checkpoint.parent, checkpoint.parent.parent]
    recipe = next((r for r in map(_recipe_of, folders) if r is not None), None)
    if recipe is not None and not recipe.generates:
        note = recipe.generate_note or (
            "which has no generator: nothing to generate (`audiogan evaluate` reports on it)"
        )
        raise ConfigError(f"{args.source} is a run of the recipe {recipe.name}, {note}")
    if checkpoint.is_dir():
        folder = checkpoint / "checkpoints" if (checkpoint / "checkpoints").is_dir() else checkpoint
        checkpoint = latest_checkpoint(folder)
        if checkpoint is None:
            raise ConfigError(f"no checkpoint in {folder}: train first")
    elif not checkpoint.is_file():
        raise ConfigError(f"{args.source}: no such checkpoint file or run folder")
    if args.out.is_dir() and any(args.out.iterdir()):
        if not args.overwrite:
            raise ConfigError(f"{args.out} already holds files; pass --overwrite to replace them")
        shutil.rmtree(args.out)
    try:
        paths = generate(
            checkpoint,
            args.out,
            n_per_class=args.n,
            seed=args.seed,
            device=args.device,
            use_ema=not args.no_ema,
            classes=args.classes,
        )
    except ValueError as e:  # a class name the generator does not have, n < 1 ...
        raise ConfigError(str(e)) from e
    print(f"wrote {len(paths)} files from {checkpoint} to {args.out}")


def _evaluate(args: argparse.Namespace) -> None:
    from audiogan.recipes import configure, get_recipe, load_run_config

    run_dir = args.source
    if run_dir.is_file():  # a checkpoint: RUN/checkpoints/step_*.pt
        run_dir = run_dir.parent.parent
    name, fields = load_run_config(run_dir)
    recipe = get_recipe(name)
    config = configure(recipe, overrides=fields)
    print(recipe.evaluate(run_dir, config))


def _recipe_of(run_dir: Path) -> Recipe | None:
    """The recipe that ``run_dir/recipe.json`` names, or None (no such file, unknown recipe)."""
    from audiogan.recipes import RECIPES, ConfigError, load_run_config

    try:
        name, _ = load_run_config(run_dir)
    except ConfigError:
        return None
    return RECIPES.get(name)


def _key_value(item: str) -> tuple[str, str]:
    from audiogan.recipes import ConfigError

    key, sep, value = item.partition("=")
    if not sep or not key:
        raise ConfigError(f"--set takes KEY=VALUE, got {item!r}")
    return key.strip(), value.strip()


if __name__ == "__main__":
    sys.exit(main())
