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

A run folder holds ``recipe.json`` (the recipe's name and config, and the recipe file of a
recipe loaded from one: :mod:`~audiogan.recipes.recipe_file`), so ``audiogan evaluate`` and a
second ``audiogan train`` know what the run is.
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
from audiogan.errors import AudioganError
from audiogan.recipes.checks import Check, check_config
from audiogan.registry import upgrade_recipe_settings

__all__ = [
    "RECIPE_FILE",
    "ConfigError",
    "GanRun",
    "Recipe",
    "Run",
    "RunConfig",
    "configure",
    "load_run_config",
    "run_options",
    "run_recipe_file",
    "save_run_config",
    "saved_settings",
]

RECIPE_FILE = "recipe.json"

#: The largest ``recipe.json`` read (a recipe's settings take about 1 KB).
MAX_RECIPE_FILE_BYTES = 1 << 20


class ConfigError(AudioganError, ValueError):
    """A recipe setting that does not exist or does not parse: one line for the user."""


@dataclass
class RunConfig:
    """The settings every recipe has.

    Attributes:
        out: Run folder: fakes, checkpoints, logs (training again in it resumes).
        steps: Total generator steps (None: by ``epochs``).
        epochs: Total epochs (None: by ``steps``); training stops at whichever comes first.
        batch_size: Batch size.
        device: ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda:1"`` ...
        precision: ``"auto"`` (bf16 on CUDA where supported, else 32), ``"32"``, ``"bf16"``,
            ``"16"``.
        seed: Seed of the run (data order, latents).
        num_workers: DataLoader worker processes.
        every: Generator steps (or epochs, see ``unit``) between rounds of fakes and checkpoints.
        unit: ``"step"`` or ``"epoch"``.
    """

    out: str = "runs/audiogan"
    steps: int | None = 800
    epochs: int | None = None
    batch_size: int = 32
    device: str = "auto"
    precision: str = "auto"
    seed: int = 0
    num_workers: int = 0
    every: int = 100
    unit: str = "step"


def run_options(config: RunConfig) -> dict[str, Any]:
    """The Trainer options every GAN recipe passes the same way, from the settings all recipes
    have: ``precision``, ``device``, ``seed`` and the run folder (``out_dir``).

    Example:
        >>> run_options(RunConfig(out="runs/a", seed=3))
        {'precision': 'auto', 'device': 'auto', 'seed': 3, 'out_dir': 'runs/a'}
    """
    return {
        "precision": config.precision,
        "device": config.device,
        "seed": config.seed,
        "out_dir": config.out,
    }


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
        recipe_file: The recipe file the run's recipe came from (recorded in ``recipe.json``),
            or None for a built-in recipe; set by :func:`~audiogan.recipes.load_recipe_file`'s
            ``build``.
    """

    name: str
    config: RunConfig
    trainer: Any
    loader: Iterable[Any]
    notes: list[str] = field(default_factory=list)
    recipe_file: str | None = None
    resumed_from: Path | None = field(default=None, init=False)
    _checked: bool = field(default=False, init=False, repr=False)

    @property
    def out_dir(self) -> Path:
        """The run folder."""
        return Path(self.trainer.out_dir)

    def summary(self) -> str:
        """The Trainer's one-line summary with the loader's batches per epoch."""
        return self.trainer.summary(self.loader)

    def resume(self) -> Path | None:
        """Check the run folder before anything is written there, and restore its checkpoint.

        ``recipe.json``, if present, must name this recipe, and the newest readable checkpoint
        (if any) must fit the models; it is restored into the trainer (else the RNGs are seeded
        for a fresh run). A refusal leaves the folder exactly as it was.

        Returns:
            The checkpoint restored (also in :attr:`resumed_from`), or None for a fresh run.

        Raises:
            ConfigError: If the folder holds a run of another recipe.
            UnreadableCheckpointError: If it holds checkpoints but none can be read.
            CheckpointMismatchError: If the checkpoint does not fit the models.
        """
        saved_settings(self.out_dir, self.name, self.recipe_file)
        self.resumed_from = self.trainer.resume("auto")
        self._checked = True
        return self.resumed_from

    def fit(self) -> None:
        """:meth:`resume` (unless done), write ``recipe.json``, build the feature caches, then
        ``trainer.fit`` (Ctrl-C saves)."""
        if not self._checked:
            self.resume()
        save_run_config(self.out_dir, self.name, self.config, self.recipe_file)
        for cache in feature_caches(self.loader):
            cache.build()
        steps, epochs = self.config.steps, self.config.epochs
        self.trainer.fit(self.loader, epochs=epochs, steps=steps, resume="auto")

    def outputs(self) -> list[str]:
        """Where the fakes, gallery, loss curves, metrics and checkpoints are."""
        out = self.out_dir
        from audiogan.train.callbacks.gallery import fake_rounds

        rounds = fake_rounds(out)
        lines = [f"run folder: {out} (step {self.trainer.step}, epoch {self.trainer.epoch})"]
        if rounds:
            lines.append(f"newest fakes: {rounds[0][1]}")
        for name, what in (
            ("index.html", "gallery of every round of fakes"),
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
        checks: Allowed values only this recipe's models need, by setting (e.g. ``n_mels``
            a multiple of 16), checked besides :data:`~audiogan.recipes.checks.SETTING_CHECKS`.
        earlier: ``earlier(saved) -> {setting: value}``: the values that a run saved before a
            setting was added had for it (its ``recipe.json`` lacks the setting); a saved run's
            own settings win over them, so a run made before a default changed resumes and
            evaluates as it was made. None: every setting has always been there.
        models: ``models(config, num_classes=0) -> (generator, critic)``: the recipe's networks
            as ``build`` makes them (``num_classes``: the data's classes; recipes without labels
            ignore it), for benchmarks, examples and a user's own loop. None for a recipe
            without a GAN.
        file: The recipe file it was loaded from (:func:`~audiogan.recipes.load_recipe_file`),
            or None for a built-in recipe.
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
    checks: Mapping[str, Check] = field(default_factory=dict)
    earlier: Callable[[Mapping[str, Any]], Mapping[str, Any]] | None = None
    models: Callable[..., tuple[Any, Any]] | None = None
    file: str | None = None


def configure(
    recipe: Recipe,
    full_size: bool = False,
    overrides: Mapping[str, Any] | None = None,
    saved: Mapping[str, Any] | None = None,
) -> Any:
    """The recipe's config: its defaults, then ``saved``, then ``full_size``, then ``overrides``
    (which win).

    Args:
        recipe: The recipe.
        full_size: Apply the recipe's full-size preset.
        overrides: ``{field: value}``; string values are parsed by the field's type
            (``"none"`` for None, ``true``/``false`` for booleans), so ``--set key=value``
            strings pass straight through.
        saved: The settings of an earlier run (``load_run_config(run)[1]``), so a resumed run
            keeps them without their being typed again; settings it lacks take the values it
            was made with (``recipe.earlier``), else the defaults.

    Raises:
        ConfigError: For an unknown field, a value that does not parse, or a value of the wrong
            type or outside its allowed range (:func:`~audiogan.recipes.checks.check_config`),
            in one line naming the setting and what it allows.
    """
    config = recipe.config()
    if saved:
        if recipe.earlier is not None:
            saved = {**recipe.earlier(saved), **saved}
        config = dataclasses.replace(config, **parse_overrides(recipe, saved))
    if full_size:
        config = dataclasses.replace(config, **recipe.full_size)
    if overrides:
        config = dataclasses.replace(config, **parse_overrides(recipe, overrides))
    check_config(recipe.name, config, recipe.checks)
    return config


def parse_overrides(recipe: Recipe, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """``{field: value}`` with each string value parsed by the field's type.

    Old setting names (``n_critic``, ``samples_per_class`` ...) are read as today's
    (:func:`audiogan.registry.upgrade_recipe_settings`).
    """
    hints = typing.get_type_hints(recipe.config)
    names = [f.name for f in dataclasses.fields(recipe.config)]
    parsed = {}
    overrides = {key.replace("-", "_"): value for key, value in overrides.items()}
    for key, value in upgrade_recipe_settings(recipe.name, overrides).items():
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


def feature_caches(loader: Any) -> list[Any]:
    """The lazy :class:`~audiogan.data.FeatureCache` objects a loader reads: its data set, or
    the data set one of its attributes holds (a wrapper such as random crops of cached clips)."""
    from audiogan.data import FeatureCache

    dataset = getattr(loader, "dataset", None)
    candidates = [dataset, *vars(dataset).values()] if hasattr(dataset, "__dict__") else [dataset]
    return [c for c in candidates if isinstance(c, FeatureCache)]


def saved_settings(
    out_dir: Path, name: str, recipe_file: str | None = None
) -> dict[str, Any] | None:
    """The settings of the run in ``out_dir`` (its ``recipe.json``), or None when there is none.

    Args:
        out_dir: The run folder.
        name: The recipe about to train there.
        recipe_file: The file that recipe was loaded from, or None for a built-in recipe.

    Raises:
        ConfigError: If the folder holds a run of another recipe (a built-in recipe's run and a
            recipe file's are different recipes, even under one name), or an unreadable
            ``recipe.json``.
    """
    if not (Path(out_dir) / RECIPE_FILE).is_file():
        return None
    earlier, fields = load_run_config(out_dir)
    if earlier != name:
        raise ConfigError(
            f"{out_dir} holds a run of the recipe {earlier!r}, not {name!r}; choose another --out"
        )
    earlier_file = run_recipe_file(out_dir)
    if (earlier_file is None) != (recipe_file is None):
        made = f"the recipe file {earlier_file}" if earlier_file else f"the built-in {name}"
        now = f"the recipe file {recipe_file}" if recipe_file else f"the built-in {name}"
        raise ConfigError(f"{out_dir} holds a run of {made}, not of {now}; choose another --out")
    return fields


def save_run_config(out_dir: Path, name: str, config: Any, recipe_file: str | None = None) -> Path:
    """Write ``out_dir/recipe.json``: the recipe's name and config (atomically), and the
    recipe file it came from (``"recipe_file"``, absent for a built-in recipe).

    Raises:
        ConfigError: If the folder holds a run of another recipe.
    """
    path = Path(out_dir) / RECIPE_FILE
    saved_settings(out_dir, name, recipe_file)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload: dict[str, Any] = {"recipe": name, "config": dataclasses.asdict(config)}
    if recipe_file is not None:
        payload["recipe_file"] = str(recipe_file)
    with atomic_path(path) as tmp:
        Path(tmp).write_text(json.dumps(payload, indent=1) + "\n")
    return path


def load_run_config(out_dir: Path) -> tuple[str, dict[str, Any]]:
    """``(recipe name, config fields)`` from ``out_dir/recipe.json``.

    Settings renamed since the run was made come back under today's names
    (:func:`audiogan.registry.upgrade_recipe_settings`: ``samples_per_class`` ->
    ``fakes_per_class`` ...), so older runs resume and evaluate.

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
        size = path.stat().st_size
        if size > MAX_RECIPE_FILE_BYTES:
            raise ValueError(
                f"{size} bytes, more than a recipe's settings ({MAX_RECIPE_FILE_BYTES})"
            )
        payload = json.loads(path.read_bytes().decode("utf-8"))
        if not isinstance(payload, dict):
            raise TypeError(
                f'expected {{"recipe": ..., "config": ...}}, got a JSON {type(payload).__name__}'
            )
        name, fields = payload["recipe"], payload["config"]
        if not isinstance(fields, dict):
            raise TypeError(f'"config" must be an object, got a JSON {type(fields).__name__}')
        if not isinstance(name, str):
            raise TypeError(f"the recipe name must be a string, got {name!r:.80}")
        for key, value in fields.items():
            if value is not None and not isinstance(value, (str, int, float, bool)):
                raise TypeError(f"config field {key!r} must be a scalar, got {value!r:.80}")
        if not isinstance(payload.get("recipe_file", ""), str):
            raise TypeError(f"recipe_file must be a string, got {payload['recipe_file']!r:.80}")
        return name, upgrade_recipe_settings(name, fields)
    except FileNotFoundError:
        raise ConfigError(
            f"{out_dir} is not a recipe run folder (no {RECIPE_FILE}); train it with "
            "`audiogan train RECIPE --out DIR`"
        ) from None
    except (ValueError, KeyError, TypeError, RecursionError) as e:
        what = "nested too deeply" if isinstance(e, RecursionError) else e
        raise ConfigError(f"cannot read {path}: {what}") from None
    except IsADirectoryError:
        raise ConfigError(f"cannot read {path}: it is a folder") from None


def run_recipe_file(out_dir: Path) -> str | None:
    """The recipe file ``out_dir/recipe.json`` records (a run of a recipe loaded from a file), or
    None (a built-in recipe's run). Only the name is read: nothing is imported.

    Raises:
        ConfigError: If the folder holds no readable ``recipe.json``.
    """
    load_run_config(out_dir)  # checks the file
    payload = json.loads((Path(out_dir) / RECIPE_FILE).read_bytes().decode("utf-8"))
    return payload.get("recipe_file")
