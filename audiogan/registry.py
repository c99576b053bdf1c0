"""Stable names of the modules that checkpoints rebuild, and the renames they survive.

A checkpoint (and a block's ``config`` that holds a sub-module) names a class by its registered
name, e.g. ``"ConvGenerator2d"``, not by where it lives, so moving a class to another file does
not break the runs made before. Every rebuildable audiogan class registers with
:func:`register`; :func:`lookup` finds it by that name, by an old name or old class path of the
alias table (:mod:`audiogan._aliases`), or, for a run made before the registry, by its
``audiogan.*`` class path. Only audiogan classes are ever returned: a file cannot make audiogan
import or run anyone else's code.

Example:
    >>> from audiogan.registry import lookup, registered_name
    >>> from audiogan.nn import MultiPeriodCritic
    >>> registered_name(MultiPeriodCritic)
    'MultiPeriodCritic'
    >>> lookup("audiogan.nn.multi_period.MultiPeriodDiscriminator") is MultiPeriodCritic
    True
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, TypeVar

from audiogan import _aliases
from audiogan._renamed import renamed_arguments

__all__ = [
    "lookup",
    "register",
    "registered_name",
    "upgrade_config",
    "upgrade_recipe_settings",
    "upgrade_state_keys",
    "upgrade_trainer_settings",
]

T = TypeVar("T", bound=type)

_REGISTRY: dict[str, type] = {}

# The subpackages whose classes register; imported on a lookup miss.
_PACKAGES = ("audiogan.nn", "audiogan.frontends", "audiogan.train", "audiogan.metrics")


def register(cls: T) -> T:
    """Class decorator: make ``cls`` rebuildable under its class name (its stable name).

    Its constructor also accepts the old argument names of :data:`audiogan._aliases.CONFIG_KEYS`
    (with a FutureWarning, :func:`audiogan._renamed.renamed_arguments`).

    Raises:
        ValueError: If another class holds that name already, or ``cls`` is not an audiogan class.
    """
    name = cls.__name__
    if not _is_audiogan_path(f"{cls.__module__}.{name}"):
        raise ValueError(f"register: only audiogan classes register, got {cls.__module__}.{name}")
    held = _REGISTRY.get(name)
    if held is not None and held is not cls and held.__qualname__ != cls.__qualname__:
        raise ValueError(f"register: the name {name!r} is taken by {held.__module__}.{name}")
    _REGISTRY[name] = cls
    renames = _aliases.CONFIG_KEYS.get(name)
    if renames and "__renamed_arguments__" not in vars(cls.__init__):
        cls.__init__ = renamed_arguments(renames, owner=name)(cls.__init__)  # type: ignore[misc]
    return cls


def registered_name(obj: object) -> str | None:
    """The stable name of ``obj``'s class (or of the class ``obj``), or None if not registered."""
    cls = obj if isinstance(obj, type) else type(obj)
    return cls.__name__ if _REGISTRY.get(cls.__name__) is cls else None


def _is_audiogan_path(path: str) -> bool:
    module_name, _, name = path.rpartition(".")
    return bool(name) and (module_name == "audiogan" or module_name.startswith("audiogan."))


def _canonical(name: str) -> str:
    """The registered name an old name or old class path stands for (``name`` if none)."""
    seen: set[str] = set()
    while name not in seen:
        seen.add(name)
        renamed = _aliases.CLASSES.get(name)
        if renamed is None and "." in name and _is_audiogan_path(name):
            short = name.rpartition(".")[2]
            renamed = _aliases.CLASSES.get(short, short)
        if renamed is None or renamed == name:
            return name
        name = renamed
    return name


def lookup(name: str) -> type:
    """The audiogan class a checkpoint's class name stands for.

    Args:
        name: A registered name (``"ConvGenerator2d"``), an old name of the alias table
            (``"MultiPeriodDiscriminator"``), or an ``audiogan.*`` class path (runs made before
            the registry: ``"audiogan.nn.generator2d.ConvGenerator2d"``).

    Raises:
        ValueError: If the name is not an audiogan class: another package's class path, or a
            name nothing registered.
    """
    if "." in name and not _is_audiogan_path(name):
        raise ValueError(
            f"cannot rebuild {name!r}: only audiogan classes are rebuilt from a checkpoint or "
            "config; pass an instance of your own class instead"
        )
    key = _canonical(name)
    if key not in _REGISTRY:
        for package in _PACKAGES:
            importlib.import_module(package)
    if key in _REGISTRY:
        return _REGISTRY[key]
    if "." in name:  # an unregistered audiogan class by its path (a run made before the registry)
        module_name, _, short = name.rpartition(".")
        try:
            return getattr(importlib.import_module(module_name), short)
        except (ImportError, AttributeError) as e:
            raise ValueError(f"cannot rebuild {name}: {e}") from e
    raise ValueError(
        f"cannot rebuild {name!r}: no audiogan class has that name (was the run made by a newer "
        "audiogan?)"
    )


def upgrade_config(cls: type, config: dict[str, Any]) -> dict[str, Any]:
    """``config`` with the old argument names and values of ``cls`` renamed (a new dict).

    The renames come from :data:`audiogan._aliases.CONFIG_KEYS` (``base_channels`` ->
    ``width`` ...), :data:`audiogan._aliases.CONFIG_VALUES` (``upsample="transpose"`` ->
    ``"transposed"`` ...) and :data:`audiogan._aliases.CONFIG_UPGRADES` (arguments merged into
    one). A config already in today's names comes back unchanged.
    """
    name = cls.__name__
    out = dict(config)
    for old, new in _aliases.CONFIG_KEYS.get(name, {}).items():
        if old in out and new not in out:
            out[new] = out.pop(old)
    for key, values in _aliases.CONFIG_VALUES.items():
        value = out.get(key)
        if isinstance(value, str) and value in values:
            out[key] = values[value]
    upgrade: Callable[[dict[str, Any]], dict[str, Any]] | None = _aliases.CONFIG_UPGRADES.get(name)
    return upgrade(out) if upgrade is not None else out


def upgrade_state_keys(state_dict: dict[str, Any]) -> dict[str, Any]:
    """``state_dict`` with renamed submodules renamed in its keys (:data:`~audiogan._aliases.STATE_KEYS`).

    ``"members.0.discriminators.1.convs.0.bias"`` becomes ``"members.0.critics.1.convs.0.bias"``;
    the same dict comes back when no key needs it.
    """
    renames = _aliases.STATE_KEYS

    def upgrade(key: str) -> str:
        return ".".join(renames.get(part, part) for part in key.split("."))

    if not any(part in renames for key in state_dict for part in key.split(".")):
        return state_dict
    return type(state_dict)((upgrade(k), v) for k, v in state_dict.items())


def upgrade_trainer_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """A checkpoint's Trainer settings with old names renamed (``n_critic`` -> ``critic_steps``)."""
    out = dict(settings)
    for old, new in _aliases.TRAINER.items():
        if old in out and new not in out:
            out[new] = out.pop(old)
    return out


def upgrade_recipe_settings(recipe: str, settings: dict[str, Any]) -> dict[str, Any]:
    """A run's recipe settings (``recipe.json``, ``--set``) with old names and values renamed.

    ``samples_per_class`` -> ``fakes_per_class``, ``n_critic`` -> ``critic_steps`` ... (every
    recipe, :data:`~audiogan._aliases.RECIPE_SETTINGS`) and the renames of one recipe
    (:data:`~audiogan._aliases.RECIPE_SETTINGS_OF`). A recipe's rename to a name that was
    itself a setting before (resnet-gan's ``width`` -> ``critic_width``, ``channels`` ->
    ``width``) applies only to old settings: those holding a name that is no setting today.
    Given an old name and today's name, today's wins.
    """
    own = _aliases.RECIPE_SETTINGS_OF.get(recipe, {})
    renames = {**_aliases.RECIPE_SETTINGS, **own}
    today = set(renames.values())
    old = any(key in own and key not in today for key in settings)

    def target(key: str) -> str:
        new = renames.get(key, key)
        return key if new != key and key in today and not old else new

    out: dict[str, Any] = {}
    for key, value in settings.items():
        new = target(key)
        if new != key and new in settings and target(new) == new:
            continue  # today's name given as well: it wins
        out[new] = value
    for key, values in _aliases.RECIPE_VALUES.items():
        value = out.get(key)
        if isinstance(value, str) and value in values:
            out[key] = values[value]
    return out
