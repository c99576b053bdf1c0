"""The ``audiogan`` command: list, train, generate from and evaluate the recipes.

``audiogan`` and ``python -m audiogan`` are the same program::

    audiogan recipes                                    # one line per recipe
    audiogan train wgan-gp --out runs/demo              # train on built-in data (again: resumes)
    audiogan train wgan-gp --data my_sounds/ --full-size --out runs/mine   # your folder, on a GPU
    audiogan generate runs/demo --out fakes/ -n 8     # wav (or MIDI) from the newest checkpoint
    audiogan evaluate runs/demo                         # metrics of the fakes beside real data
    audiogan train my_recipe.py --out runs/mine         # a copied and edited recipe module
    audiogan evaluate runs/mine --recipe my_recipe.py   # its runs: name the file again

Mistakes a user makes (an unknown recipe, a missing folder, a ``--set`` key the recipe does not
have, a checkpoint of another model) end with one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
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
  audiogan train wgan-gp --set lr=1e-4 --set width=32 --out runs/tuned
  audiogan train wgan-gp --set augment=shift,mask,gain --set ada_target=0.6 --out runs/small
  audiogan train wgan-gp --data new_sounds/ --init-from runs/demo --freeze-critic 2 --out runs/ft
  audiogan train my_recipe.py --out runs/mine    (a copy of audiogan/recipes/wgan_gp.py, edited)
Running again with the same --out resumes from the newest checkpoint; Ctrl-C saves one.""",
    "generate": """examples:
  audiogan generate runs/demo --out fakes/ -n 8
  audiogan generate runs/demo/checkpoints/step_00000800.pt --out fakes/ -n 4 --class siren
  audiogan generate runs/mine --recipe my_recipe.py --out fakes/   (a run of a recipe file)""",
    "evaluate": """examples:
  audiogan evaluate runs/demo
  audiogan evaluate runs/musegan
  audiogan evaluate runs/mine --recipe my_recipe.py   (a run of a recipe file)""",
    "render": """examples:
  audiogan render song.mid --with runs/gansynth --out song.wav
  audiogan render runs/musegan --with runs/gansynth --out chorale.wav --phrases 4
  audiogan render runs/musegan --with runs/gansynth   (into runs/musegan/rendered/, in its gallery)""",
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

    def command(name: str, summary: str) -> argparse.ArgumentParser:
        """A subcommand whose ``--help`` ends with its examples, as written."""
        raw = argparse.RawDescriptionHelpFormatter
        return commands.add_parser(name, help=summary, epilog=EXAMPLES[name], formatter_class=raw)

    def recipe_file_option(command: argparse.ArgumentParser) -> None:
        command.add_argument(
            "--recipe",
            metavar="FILE",
            help="the recipe file of a run trained from one (audiogan imports no file a "
            "recipe.json names)",
        )

    train = command("train", "train a recipe")
    train.add_argument(
        "recipe",
        help="a recipe name (see `audiogan recipes`), or a recipe file my_recipe.py (a copied "
        "and edited recipe module defining RECIPE)",
    )
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
    train.add_argument(
        "--init-from",
        type=Path,
        metavar="RUN",
        help="fine-tune: start from another run's weights (a run folder or a checkpoint)",
    )
    train.add_argument(
        "--freeze-critic",
        type=int,
        default=0,
        metavar="N",
        help="with --init-from: freeze the critic's first N layers (FreezeD)",
    )
    train.add_argument(
        "--threads",
        type=int,
        metavar="N",
        help="torch CPU threads (default: the cores the load average leaves idle, at least 1)",
    )
    train.add_argument(
        "--set",
        action="extend",
        nargs="+",
        default=[],
        metavar="KEY=VALUE",
        help="recipe settings (see `audiogan recipes RECIPE`): --set a=1 b=2, or repeated",
    )

    generate = command("generate", "write fakes (generated audio or MIDI) from a checkpoint")
    generate.add_argument("source", type=Path, help="a checkpoint file or a run folder")
    generate.add_argument("--out", type=Path, required=True, metavar="DIR")
    generate.add_argument("-n", type=int, default=4, help="fakes per class (default: 4)")
    generate.add_argument("--class", dest="classes", action="append", metavar="NAME")
    generate.add_argument(
        "--family",
        dest="families",
        action="append",
        metavar="NAME",
        help="only this instrument family (a family-conditioned gansynth run); repeatable",
    )
    generate.add_argument("--seed", type=int, default=0)
    generate.add_argument("--device", default="cpu")
    generate.add_argument("--no-ema", action="store_true", help="raw generator weights")
    generate.add_argument("--overwrite", action="store_true", help="replace files in --out")
    recipe_file_option(generate)

    evaluate = command("evaluate", "metrics of a run's fakes beside its training data")
    evaluate.add_argument("source", type=Path, help="a run folder or a checkpoint in one")
    recipe_file_option(evaluate)

    render = command(
        "render",
        "play a MIDI file or a musegan run's phrases with a note GAN (a .wav and a picture)",
    )
    render.add_argument("score", type=Path, help="a .mid file, or a musegan run folder")
    render.add_argument(
        "--with",
        dest="note_run",
        type=Path,
        required=True,
        metavar="RUN",
        help="a note-GAN run folder or checkpoint (the gansynth recipe)",
    )
    render.add_argument(
        "--out",
        type=Path,
        metavar="FILE.wav",
        help="the wav to write (default for a musegan run: RUN/rendered/, played by its gallery)",
    )
    render.add_argument("--seed", type=int, default=0, help="seed of the voices' timbres")
    render.add_argument(
        "--family",
        dest="families",
        action="append",
        metavar="NAME",
        help="instrument family of a family-conditioned note run: once for every voice, or "
        "repeated for voice 1, 2, ... (cycled; default: the run's families in turn); "
        "prints the family each voice got",
    )
    render.add_argument("--phrases", type=int, default=2, help="phrases of a musegan run")
    render.add_argument("--device", default="cpu")
    render.add_argument("--threads", type=int, metavar="N", help="torch CPU threads")
    render.add_argument("--no-picture", action="store_true", help="no spectrogram .png")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit status (0, or 2 for a user's mistake).

    The library's own errors (:class:`~audiogan.errors.AudioganError`: a setting out of range,
    an unreadable file, a checkpoint of another model) and the system's (a folder that cannot
    be written, a full disk) are printed alone, in one line naming the culprit.
    """
    from audiogan.errors import AudioganError
    from audiogan.train import CheckpointMismatchError

    args = build_parser().parse_args(argv)
    try:
        _check_machine(args)
        {
            "recipes": _recipes,
            "train": _train,
            "generate": _generate,
            "evaluate": _evaluate,
            "render": _render,
        }[args.command](args)
    except (AudioganError, CheckpointMismatchError) as e:
        print(f"audiogan {args.command}: error: {_one_line(str(e))}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"audiogan {args.command}: error: {_os_error(e, args)}", file=sys.stderr)
        return 2
    return 0


def _check_machine(args: argparse.Namespace) -> None:
    """``--threads`` (at least 1; default :func:`_default_threads`, for every command that
    computes) and ``train``'s ``--device`` (present here), before anything is built or
    written."""
    import torch

    from audiogan.recipes import ConfigError
    from audiogan.recipes.checks import check_device

    if args.command == "recipes":
        return
    threads = getattr(args, "threads", None)
    if threads is not None and threads < 1:
        raise ConfigError(f"--threads must be >= 1, got {threads}")
    if threads is None:
        torch.set_num_threads(_default_threads())
    if getattr(args, "device", None) is not None and args.command == "train":
        check_device(args.device)


def _default_threads() -> int:
    """torch's CPU threads when ``--threads`` is not given: the cores no other process is
    using (the CPUs less the 1-minute load average, at least 1), at most torch's current count
    (by default one per core).

    torch starts one thread per core whatever else runs; on a busy machine its threads then
    wait for each other: a CPU wgan-gp step took 21.5 s with 2 threads on a 2-core machine
    at a load of 7, 2.5 s with 1. An idle machine keeps all its cores.
    """
    import os

    import torch

    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # not on Windows, or not available here
        return torch.get_num_threads()
    return max(1, min(torch.get_num_threads(), round((os.cpu_count() or 1) - load)))


def _one_line(message: str) -> str:
    """A message on one line (a file name or a wrapped error may hold line breaks)."""
    return " ".join(message.split("\n"))


def _os_error(e: OSError, args: argparse.Namespace) -> str:
    """One line for an error of the system: what failed, on which file."""
    import errno

    reason = e.strerror or str(e)
    if e.filename is not None:
        return f"{e.filename}: {reason}"
    out = getattr(args, "out", None) or getattr(args, "source", None)
    if e.errno == errno.ENOSPC:
        return f"No space left on device (writing in {out})"
    return f"{reason} (in {out})" if out is not None else reason


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

    from audiogan.recipes import ConfigError, GanRun, configure, resolve_recipe, saved_settings

    recipe = resolve_recipe(args.recipe)
    if args.freeze_critic and args.init_from is None:
        raise ConfigError("--freeze-critic goes with --init-from RUN")
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
    # Nothing is written before the folder is checked: another recipe's run is refused here,
    # a checkpoint that does not fit is refused by run.resume() below.
    saved = saved_settings(Path(overrides["out"]), recipe.name, recipe.file)
    config = configure(recipe, full_size=args.full_size, overrides=overrides, saved=saved)
    if saved is not None:
        print(_resumed_settings(recipe, saved, config, Path(overrides["out"])))
    run = recipe.build(config)
    print(f"{recipe.name}: {run.summary()}")
    if isinstance(run, GanRun):  # GANs resume from RUN/checkpoints; others say so in summary()
        restored = run.resume()
        print(
            f"resuming from {restored} (step {run.trainer.step})"
            if restored
            else f"starting a new run in {run.out_dir}"
        )
        if args.init_from is not None:
            from audiogan.train.fine_tune import init_from_command

            print(init_from_command(run.trainer, args.init_from, args.freeze_critic, restored))
    elif args.init_from is not None:
        raise ConfigError(f"recipe {recipe.name} is not a GAN: it takes no --init-from")
    run.fit()
    print("\n".join(run.outputs()))


def _resumed_settings(recipe: Recipe, saved: dict, config: object, out: Path) -> str:
    """One line: the run's own settings are used, and which ones this command changed."""
    import dataclasses

    from audiogan.recipes import configure

    before = dataclasses.asdict(configure(recipe, saved=saved))
    after = dataclasses.asdict(config)
    changed = [k for k in after if k != "out" and before.get(k) != after[k]]
    line = f"using the settings of {out / 'recipe.json'}"
    if changed:
        line += "; changed here: " + ", ".join(
            f"{k} {before[k]!r} -> {after[k]!r}" for k in changed
        )
    if "seed" in changed:
        line += " (the seed also draws the built-in clips, so the data changes)"
    return line


def _generate(args: argparse.Namespace) -> None:
    from audiogan.recipes import ConfigError
    from audiogan.train import generate, run_checkpoint

    source = args.source
    folders = [source] if source.is_dir() else [source.parent, source.parent.parent]
    run_dir = next((f for f in folders if (f / "recipe.json").is_file()), None)
    recipe = None if run_dir is None else _recipe_of(run_dir, args.recipe)
    if recipe is not None and not recipe.generates:
        note = recipe.generate_note or (
            "which has no generator: nothing to generate (`audiogan evaluate` reports on it)"
        )
        raise ConfigError(f"{args.source} is a run of the recipe {recipe.name}, {note}")
    checkpoint = run_checkpoint(source)
    _check_output_folder(args.out, checkpoint, args.overwrite)
    generator = None
    if recipe is not None and recipe.file is not None and recipe.models is not None:
        generator = _recipe_generator(recipe, run_dir, checkpoint)  # the file's own models
    try:
        paths = generate(
            checkpoint,
            args.out,
            fakes_per_class=args.n,
            seed=args.seed,
            device=args.device,
            generator=generator,
            use_ema=not args.no_ema,
            classes=args.classes,
            families=args.families,
        )
    except ValueError as e:  # a class name the generator does not have, n < 1 ...
        raise ConfigError(str(e)) from e
    _record_generated(args.out, paths)
    print(f"wrote {len(paths)} files from {checkpoint} to {args.out}")


#: In a folder ``audiogan generate`` wrote to: the names of the files it wrote there (JSON).
GENERATED_LIST = ".audiogan-generated.json"


def _check_output_folder(out: Path, checkpoint: Path, overwrite: bool) -> None:
    """Refuse an output folder that is, holds or lies in the run; with ``overwrite``, remove
    only the files an earlier ``generate`` wrote there (a user's other files stay)."""
    from audiogan.recipes import ConfigError

    run = checkpoint.parent.parent if checkpoint.parent.name == "checkpoints" else checkpoint.parent
    target = out.resolve()
    for folder in {run.resolve(), checkpoint.parent.resolve()}:
        if target == folder or folder in target.parents or target in folder.parents:
            raise ConfigError(
                f"--out {out} is, holds or lies inside the run folder {run} of {checkpoint.name}; "
                "write the fakes to a folder outside the run"
            )
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out} is a file, not a folder")
    if not (out.is_dir() and any(out.iterdir())):
        return
    if not overwrite:
        raise ConfigError(f"{out} already holds files; pass --overwrite to replace them")
    for name in _generated_names(out):
        (out / name).unlink(missing_ok=True)
    (out / GENERATED_LIST).unlink(missing_ok=True)


def _generated_names(out: Path) -> list[str]:
    """The plain file names an earlier ``generate`` listed in ``out``; [] if none or unreadable."""
    import json

    try:
        names = json.loads((out / GENERATED_LIST).read_text())
    except (OSError, ValueError):
        return []
    if not isinstance(names, list):
        return []
    return [n for n in names if isinstance(n, str) and n and Path(n).name == n]


def _record_generated(out: Path, paths: Sequence[Path]) -> None:
    import json

    from audiogan._atomic import atomic_path

    names = sorted({*_generated_names(out), *(Path(p).name for p in paths)})
    with atomic_path(out / GENERATED_LIST) as tmp:
        Path(tmp).write_text(json.dumps(names, indent=0) + "\n")


def _evaluate(args: argparse.Namespace) -> None:
    from audiogan.recipes import configure, load_run_config, recipe_for_run

    run_dir = args.source
    if run_dir.is_file():  # a checkpoint: RUN/checkpoints/step_*.pt
        run_dir = run_dir.parent.parent
    _, fields = load_run_config(run_dir)
    recipe = recipe_for_run(run_dir, args.recipe)
    config = configure(recipe, saved=fields)
    print(recipe.evaluate(run_dir, config))


def _render(args: argparse.Namespace) -> None:
    from audiogan.recipes import ConfigError
    from audiogan.render import render

    if args.phrases < 1:
        raise ConfigError(f"--phrases must be >= 1, got {args.phrases}")
    if args.threads is not None:
        import torch

        torch.set_num_threads(args.threads)
    voice_families: list[str] = []
    try:
        written = render(
            args.score,
            args.note_run,
            args.out,
            seed=args.seed,
            num_phrases=args.phrases,
            picture=not args.no_picture,
            device=args.device,
            families=args.families,
            on_rendered=lambda rendered: voice_families.extend(rendered.families),
        )
    except (ValueError, FileNotFoundError) as e:  # not a score, not a note GAN, no checkpoint
        raise ConfigError(str(e)) from e
    for v, family in enumerate(voice_families, start=1):
        print(f"voice {v}: {family}")
    for path in written:
        print(path)


def _recipe_of(run_dir: Path, recipe_file: str | None) -> Recipe | None:
    """The recipe of the run in ``run_dir``: the recipe file passed again for a run of one
    (:func:`~audiogan.recipes.recipe_for_run`: an error without it), else the built-in recipe
    its ``recipe.json`` names, or None (an unreadable file, an unknown name)."""
    from audiogan.recipes import RECIPES, ConfigError, load_run_config, recipe_for_run
    from audiogan.recipes.recipe import run_recipe_file

    try:
        name, _ = load_run_config(run_dir)
        from_file = run_recipe_file(run_dir) is not None
    except ConfigError:
        return None
    if from_file or recipe_file is not None:
        return recipe_for_run(run_dir, recipe_file)
    return RECIPES.get(name)


def _recipe_generator(recipe: Recipe, run_dir: Path, checkpoint: Path) -> object:
    """The generator a recipe file's ``models`` builds for its run (weights loaded later)."""
    from audiogan.recipes import configure, load_run_config
    from audiogan.train import load_checkpoint

    _, fields = load_run_config(run_dir)
    config = configure(recipe, saved=fields)
    state = load_checkpoint(checkpoint)
    num_classes = (state.get("generator_config") or {}).get("num_classes", 0)
    generator, _ = recipe.models(config, num_classes=num_classes)
    return generator


def _key_value(item: str) -> tuple[str, str]:
    from audiogan.recipes import ConfigError

    key, sep, value = item.partition("=")
    if not sep or not key:
        raise ConfigError(f"--set takes KEY=VALUE, got {item!r}")
    return key.strip(), value.strip()


if __name__ == "__main__":
    sys.exit(main())
