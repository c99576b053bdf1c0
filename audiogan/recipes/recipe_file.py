"""Recipes of your own: a copied and edited recipe module, loaded from its file.

Copy a recipe module (``audiogan/recipes/wgan_gp.py`` ...), edit it, and train it::

    audiogan train path/to/my_recipe.py --out runs/mine
    audiogan generate runs/mine --recipe path/to/my_recipe.py --out fakes/
    audiogan evaluate runs/mine --recipe path/to/my_recipe.py

The file defines ``RECIPE``, a :class:`~audiogan.recipes.recipe.Recipe`. Loading it runs the
file's code, which is what the user asks for by naming it on the command line. The run's
``recipe.json`` records the file, but audiogan never imports a file because a ``recipe.json``
names it: ``generate`` and ``evaluate`` on such a run need the file passed again
(:func:`recipe_for_run`), and say so otherwise.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from audiogan.recipes.recipe import ConfigError, Recipe, load_run_config, run_recipe_file

__all__ = ["is_recipe_file", "load_recipe_file", "recipe_for_run", "resolve_recipe"]


def is_recipe_file(arg: str | Path) -> bool:
    """Whether a recipe argument names a file (it ends in ``.py``) rather than a recipe name."""
    return str(arg).endswith(".py")


def load_recipe_file(path: str | Path) -> Recipe:
    """The ``RECIPE`` a Python file defines, with its ``file`` set, its runs recording it.

    The file is imported as a module of its own (its folder is not put on ``sys.path``), so it
    imports audiogan and anything installed, as a copied recipe module does.

    Args:
        path: A ``.py`` file defining ``RECIPE = Recipe(...)``.

    Returns:
        That recipe, whose ``build`` marks each run with the file (``GanRun.recipe_file``, written
        to ``recipe.json``).

    Raises:
        ConfigError: If the file is missing, is not a ``.py`` file, or defines no ``RECIPE``.
    """
    path = Path(path).expanduser().resolve()
    if not is_recipe_file(path):
        raise ConfigError(f"a recipe file is a .py file defining RECIPE, got {path}")
    if not path.is_file():
        raise ConfigError(f"no recipe file {path}")
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:12]
    module_name = f"audiogan_user_recipe_{path.stem}_{digest}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ConfigError(f"cannot import the recipe file {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses and pickling look their module up here
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    recipe = getattr(module, "RECIPE", None)
    if not isinstance(recipe, Recipe):
        raise ConfigError(
            f"{path} defines no RECIPE = audiogan.recipes.Recipe(...) (copy a module of "
            "audiogan/recipes, e.g. wgan_gp.py, and edit it)"
        )
    return dataclasses.replace(recipe, build=_marking(recipe.build, str(path)), file=str(path))


def _marking(build: Callable[[Any], Any], file: str) -> Callable[[Any], Any]:
    """``build`` whose runs record ``file`` (a run with a ``recipe_file`` attribute)."""

    @functools.wraps(build)
    def marked(config: Any) -> Any:
        run = build(config)
        if hasattr(run, "recipe_file"):
            run.recipe_file = file
        return run

    return marked


def resolve_recipe(arg: str | Path) -> Recipe:
    """A recipe from a command-line argument: a recipe name, or a ``.py`` recipe file.

    Raises:
        ConfigError: For an unknown name or a file that is not a recipe.
    """
    if is_recipe_file(arg):
        return load_recipe_file(arg)
    from audiogan.recipes import get_recipe

    return get_recipe(str(arg))


def recipe_for_run(run_dir: str | Path, recipe: str | Path | None = None) -> Recipe:
    """The recipe of the run in ``run_dir``: a built-in one by the name its ``recipe.json``
    holds, or the recipe file the user passes again (``--recipe FILE``) for a run of a file.

    Args:
        run_dir: The run folder.
        recipe: What the user passed (a recipe file, or a name), or None.

    Raises:
        ConfigError: If the run was made from a recipe file and ``recipe`` is None (the message
            names the file to pass), or ``recipe`` is another recipe than the run's.
    """
    run_dir = Path(run_dir)
    name, _ = load_run_config(run_dir)
    recorded = run_recipe_file(run_dir)
    if recipe is None:
        if recorded is not None:
            raise ConfigError(
                f"{run_dir} is a run of the recipe file {recorded}; audiogan imports no file that "
                f"a recipe.json names: pass it again with --recipe {recorded}"
            )
        from audiogan.recipes import get_recipe

        return get_recipe(name)
    chosen = resolve_recipe(recipe)
    if chosen.name != name:
        raise ConfigError(
            f"{run_dir} is a run of the recipe {name!r}; --recipe {recipe} is {chosen.name!r}"
        )
    return chosen
