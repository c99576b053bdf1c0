"""What a recipe is: a config with CPU defaults, a full-size preset, and functions that build.

A recipe module (``audiogan.recipes.wgan_gp`` ...) holds a :class:`Recipe`: its config class (a
dataclass whose defaults train in minutes on a 2-core CPU), the field values of ``full_size``
(the source system's sizes and settings, for a GPU), ``build(config) -> Run`` and
``evaluate(run_dir, config) -> str``. The command line (:mod:`audiogan.cli`) and Python users go
through the same functions: settings given as text (``--set steps=200``) are parsed by the
config's field types, and ``full_size`` applies the preset before the overrides.

>>> from audiogan.recipes import configure, get_recipe
>>> recipe = get_recipe("wgan-gp")
>>> config = configure(recipe, full_size=False, overrides={"steps": "200", "out": "runs/a"})
>>> config.steps, config.out, config.n_mels
(200, 'runs/a', 64)
>>> big = configure(recipe, full_size=True)
>>> big.epochs, big.batch_size, (big.n_mels, big.frames)
(100, 64, (128, 256))

Then ``recipe.build(config).fit()`` trains (see :mod:`audiogan.recipes`).

A run folder holds ``recipe.json`` (the recipe's name and config), so ``audiogan evaluate`` and
a second ``audiogan train`` know what the run is.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from audiogan._atomic import atomic_path

__all__ = [
    "RECIPE_FILE",
    "ConfigError",
    "GanRun",
    "Recipe",
    "Run",
    "RunConfig",
    "configure",
    "load_run_config",
    "save_run_config",
]

RECIPE_FILE = "recipe.json"


class ConfigError(ValueError):
    """A recipe setting that does not exist or does not parse: one line for the user."""


@dataclass
class RunConfig:
    """The settings every recipe has.

    Attributes:
        out: Run folder: samples, checkpoints, logs (training again in it resumes).
        steps: Total generator steps (None: by ``epochs``).
        epochs: Total epochs (None: by ``steps``); training stops at whichever comes first.
        batch_size: Batch size.
        device: ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda:1"`` ...
        precision: ``"auto"`` (bf16 on CUDA where supported, else 32), ``"32"``, ``"bf16"``,
            ``"16"``.
        seed: Seed of the run (data order, latents).
        workers: DataLoader worker processes.
        every: Generator steps (or epochs, see ``unit``) between sample rounds and checkpoints.
        unit: ``"step"`` or ``"epoch"``.
    """

    out: str = "runs/audiogan"
    steps: int | None = 800
    epochs: int | None = None
    batch_size: int = 32
    device: str = "auto"
    precision: str = "auto"
    seed: int = 0
    workers: int = 0
    every: int = 100
    unit: str = "step"


class Run(Protocol):
    """What ``build`` returns: something to ``fit`` and a list of where its files are."""

    out_dir: Path

    def summary(self) -> str:
        """One line: what is trained, where, on how much data."""
        ...

    def fit(self) -> None:
        """Train (resuming from the run folder's newest checkpoint)."""
        ...

    def outputs(self) -> list[str]:
        """Lines naming the files the run wrote."""
        ...


@dataclass
class GanRun:
    """A GAN recipe's run: a Trainer, its loader, and the config that made them.

    Attributes:
        name: The recipe's name (written to ``recipe.json`` with ``config``).
        config: The recipe's config; ``steps`` and ``epochs`` say how long to train.
        trainer: The assembled Trainer (its ``out_dir`` is the run folder).
        loader: The training batches.
        notes: Extra lines for :meth:`outputs`.
    """

    name: str
    config: RunConfig
    trainer: Any
    loader: Iterable[Any]
    notes: list[str] = field(default_factory=list)

    @property
    def out_dir(self) -> Path:
        """The run folder."""
        return Path(self.trainer.out_dir)

    def summary(self) -> str:
        """The Trainer's one-line summary with the loader's batches per epoch."""
        return self.trainer.summary(self.loader)

    def fit(self) -> None:
        """Write ``recipe.json``, then ``trainer.fit`` with ``resume="auto"`` (Ctrl-C saves)."""
        save_run_config(self.out_dir, self.name, self.config)
        steps, epochs = self.config.steps, self.config.epochs
        self.trainer.fit(self.loader, epochs=epochs, steps=steps, resume="auto")

    def outputs(self) -> list[str]:
        """Where the samples, gallery, loss curves, metrics and checkpoints are."""
        out = self.out_dir
        rounds = sorted((out / "samples").glob("step_*"))
        lines = [f"run folder: {out} (step {self.trainer.step}, epoch {self.trainer.epoch})"]
        if rounds:
            lines.append(f"newest samples: {rounds[-1]}")
        for name, what in (
            ("index.html", "gallery of every sample round"),
            ("losses.png", "loss curves"),
            ("metrics.csv", "losses per step"),
        ):
            if (out / name).exists():
                lines.append(f"{what}: {out / name}")
        if self.trainer.last_checkpoint is not None:
            lines.append(f"checkpoint: {self.trainer.last_checkpoint}")
        return lines + self.notes


@dataclass(frozen=True)
class Recipe:
    """One system audiogan assembles.

    Attributes:
        name: What ``audiogan train NAME`` takes, e.g. ``"wgan-gp"``.
        summary: One line for ``audiogan recipes``.
        config: The config dataclass (a :class:`RunConfig` subclass); its defaults are the CPU
            defaults.
        full_size: Field values of the source system's full size (``--full-size``).
        build: ``build(config) -> Run``.
        evaluate: ``evaluate(run_dir, config) -> report text``.
        data_flags: Which data flags it takes (``"data"``, ``"csv"``, ``"midi"``).
        generates: Whether its runs hold a generator (a :class:`GanRun`, checkpoints in
            ``RUN/checkpoints``) for ``audiogan generate``; False for a classifier, or a vocoder
            (it decodes, it does not sample).
        generate_note: What ``audiogan generate`` says instead on a run of a recipe that does
            not generate; default: that it has no generator.
    """

    name: str
    summary: str
    config: type
    full_size: Mapping[str, Any]
    build: Callable[[Any], Run]
    evaluate: Callable[[Path, Any], str]
    data_flags: tuple[str, ...] = ()
    generates: bool = True
    generate_note: str = ""


def configure(
    recipe: Recipe, full_size: bool = False, overrides: Mapping[str, Any] | None = None
) -> Any:
    """The recipe's config: its defaults, then ``full_size``, then ``overrides`` (which win).

    Args:
        recipe: The recipe.
        full_size: Apply the recipe's full-size preset.
        overrides: ``{field: value}``; string values are parsed by the field's type
            (``"none"`` for None, ``true``/``false`` for booleans), so ``--set key=value``
            strings pass straight through.

    Raises:
        ConfigError: For an unknown field or a value that does not parse, in one line.
    """
    config = recipe.config()
    if full_size:
        config = dataclasses.replace(config, **recipe.full_size)
    if overrides:
        config = dataclasses.replace(config, **parse_overrides(recipe, overrides))
    return config


def parse_overrides(recipe: Recipe, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """``{field: value}`` with each string value parsed by the field's type."""
    hints = typing.get_type_hints(recipe.config)
    names = [f.name for f in dataclasses.fields(recipe.config)]
    parsed = {}
    for key, value in overrides.items():
        name = key.replace("-", "_")
        if name not in hints or name not in names:
            raise ConfigError(
                f"recipe {recipe.name} has no setting {key!r}; its settings: {', '.join(names)}"
            )
        parsed[name] = _parse(value, hints[name], f"{recipe.name} setting {name}")
    return parsed


def _parse(value: Any, hint: Any, what: str) -> Any:
    if not isinstance(value, str):
        return value
    options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    if type(None) in options and value.lower() in ("none", "null", ""):
        return None
    for option in options:
        if option is bool:
            if value.lower() in ("true", "1", "yes", "on"):
                return True
            if value.lower() in ("false", "0", "no", "off"):
                return False
        elif option in (int, float):
            try:
                return option(value)
            except ValueError:
                continue
        elif option is str:
            return value
    wanted = " or ".join(
        "none" if o is type(None) else getattr(o, "__name__", str(o)) for o in options
    )
    raise ConfigError(f"{what} must be {wanted}, got {value!r}")


def save_run_config(out_dir: Path, name: str, config: Any) -> Path:
    """Write ``out_dir/recipe.json``: the recipe's name and config (atomically).

    Raises:
        ConfigError: If the folder holds a run of another recipe.
    """
    path = Path(out_dir) / RECIPE_FILE
    if path.is_file():
        earlier, _ = load_run_config(out_dir)
        if earlier != name:
            raise ConfigError(
                f"{out_dir} holds a run of the recipe {earlier!r}, not {name!r}; choose another --out"
            )
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"recipe": name, "config": dataclasses.asdict(config)}
    with atomic_path(path) as tmp:
        Path(tmp).write_text(json.dumps(payload, indent=1) + "\n")
    return path


def load_run_config(out_dir: Path) -> tuple[str, dict[str, Any]]:
    """``(recipe name, config fields)`` from ``out_dir/recipe.json``.

    The file is plain JSON and only data: the recipe is looked up by name among
    :data:`~audiogan.recipes.RECIPES`, and every config value must be a JSON scalar (string,
    number, boolean or null; recipe settings are scalars), so a file cannot name a class or an
    object to build.

    Raises:
        ConfigError: If the folder holds no readable ``recipe.json``, or it is not
            ``{"recipe": name, "config": {field: scalar}}`` (the message names the file).
    """
    path = Path(out_dir) / RECIPE_FILE
    try:
        payload = json.loads(path.read_text())
        if not isinstance(payload, dict):
            raise TypeError(
                f'expected {{"recipe": ..., "config": ...}}, got a JSON {type(payload).__name__}'
            )
        name, fields = payload["recipe"], dict(payload["config"])
        if not isinstance(name, str):
            raise TypeError(f"the recipe name must be a string, got {name!r:.80}")
        for key, value in fields.items():
            if value is not None and not isinstance(value, (str, int, float, bool)):
                raise TypeError(f"config field {key!r} must be a scalar, got {value!r:.80}")
        return name, fields
    except FileNotFoundError:
        raise ConfigError(
            f"{out_dir} is not a recipe run folder (no {RECIPE_FILE}); train it with "
            "`audiogan train RECIPE --out DIR`"
        ) from None
    except (ValueError, KeyError, TypeError) as e:
        raise ConfigError(f"cannot read {path}: {e}") from e
