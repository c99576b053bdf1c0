"""Rebuild audiogan modules from a class name and a config, without importing anyone else's code.

Checkpoints (:mod:`audiogan.train.checkpoints`) and blocks that store a conditioning module in
their ``config`` (:mod:`audiogan.nn.conditioning`) both describe a module as its class name
(:func:`class_name`: the stable registered name of :mod:`audiogan.registry`, or the class path
of a user's class) and constructor arguments. Only classes from the ``audiogan`` package are
rebuilt, so a file cannot make audiogan import or run arbitrary code; old names and old
arguments of renamed classes are upgraded on the way (:mod:`audiogan._aliases`).
"""

from __future__ import annotations

from typing import Any

from torch import nn

from audiogan.registry import lookup, registered_name, upgrade_config

__all__ = ["build_module", "class_name", "class_path", "is_audiogan_path"]


def class_path(obj: object) -> str:
    """``module.QualName`` of ``obj``'s class, e.g. ``"audiogan.nn.generator2d.ConvGenerator2d"``."""
    cls = obj if isinstance(obj, type) else type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def class_name(obj: object) -> str:
    """The name a checkpoint stores for ``obj``'s class: its registered name if it has one
    (``"ConvGenerator2d"``), else its class path (``"my_package.MyGenerator"``)."""
    return registered_name(obj) or class_path(obj)


def is_audiogan_path(path: str) -> bool:
    """True for a class path inside the ``audiogan`` package."""
    module_name, _, name = path.rpartition(".")
    return bool(name) and (module_name == "audiogan" or module_name.startswith("audiogan."))


def build_module(path: str, config: dict[str, Any] | None) -> nn.Module:
    """Rebuild an audiogan module from its class name and ``config``: ``cls(**config)``.

    Args:
        path: A registered name, an old name or an ``audiogan.*`` class path
            (see :func:`audiogan.registry.lookup`).
        config: Its constructor arguments; old argument names and values are upgraded
            (:func:`audiogan.registry.upgrade_config`).

    Raises:
        ValueError: If the class is not an audiogan class, cannot be found, is not an
            ``nn.Module``, or there is no config.
    """
    cls = lookup(path)
    if config is None:
        raise ValueError(f"cannot rebuild {path}: it has no config")
    if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
        raise ValueError(f"cannot rebuild {path}: not an nn.Module class")
    return cls(**upgrade_config(cls, config))
