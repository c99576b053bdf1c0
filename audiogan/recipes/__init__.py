"""Recipes: the systems audiogan assembles, each a config with CPU defaults and a full-size preset.

``audiogan recipes`` lists them and ``audiogan train NAME`` runs one; in Python:

>>> from audiogan.recipes import RECIPES, configure, get_recipe
>>> list(RECIPES)
['wgan-gp', 'onehot-cgan', 'resnet9-gan', 'musegan', 'event-classifier', 'vocoder', 'gansynth']
>>> recipe = get_recipe("wgan-gp")
>>> config = configure(recipe, overrides={"steps": 200, "out": "runs/a"})
>>> recipe.build(config).fit()  # minutes on a CPU: not run by the doctests  # doctest: +SKIP

A copied and edited recipe module trains from its file (``audiogan train my_recipe.py``,
:func:`load_recipe_file`); each recipe's ``models(config)`` builds its networks alone.

``build`` returns a :class:`~audiogan.recipes.recipe.Run`: its ``fit()`` trains and
``outputs()`` lists the files written (``tests/test_recipes_*.py`` train every recipe at a toy
size).
"""

from __future__ import annotations

from audiogan.recipes import (
    event_classifier,
    gansynth,
    musegan,
    onehot_cgan,
    resnet9_gan,
    vocoder,
    wgan_gp,
)
from audiogan.recipes.recipe import (
    ConfigError,
    GanRun,
    Recipe,
    Run,
    RunConfig,
    configure,
    load_run_config,
    run_options,
    run_recipe_file,
    save_run_config,
    saved_settings,
)
from audiogan.recipes.recipe_file import load_recipe_file, recipe_for_run, resolve_recipe

__all__ = [
    "RECIPES",
    "ConfigError",
    "GanRun",
    "Recipe",
    "Run",
    "RunConfig",
    "configure",
    "get_recipe",
    "load_recipe_file",
    "load_run_config",
    "recipe_for_run",
    "resolve_recipe",
    "run_options",
    "run_recipe_file",
    "save_run_config",
    "saved_settings",
]

#: Every recipe by name, in the order ``audiogan recipes`` lists them.
RECIPES: dict[str, Recipe] = {
    recipe.name: recipe
    for recipe in (
        wgan_gp.RECIPE,
        onehot_cgan.RECIPE,
        resnet9_gan.RECIPE,
        musegan.RECIPE,
        event_classifier.RECIPE,
        vocoder.RECIPE,
        gansynth.RECIPE,
    )
}


def get_recipe(name: str) -> Recipe:
    """The recipe called ``name``.

    Raises:
        ConfigError: For an unknown name, listing the known ones.
    """
    try:
        return RECIPES[name]
    except KeyError:
        raise ConfigError(
            f"no recipe {name!r}; the recipes are: {', '.join(RECIPES)} (see `audiogan recipes`)"
        ) from None
