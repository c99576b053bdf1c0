"""Rebuild audiogan modules from a class path and a config, without importing anyone else's code.

Checkpoints (:mod:`audiogan.train.checkpoint`) and blocks that store a conditioning module in
their ``config`` (:mod:`audiogan.nn.conditioning`) both describe a module as its class path and
constructor arguments. Only classes from the ``audiogan`` package are rebuilt, so a file cannot
make audiogan import or run arbitrary code.
"""

from __future__ import annotations

import importlib
from typing import Any

from torch import nn

__all__ = ["build_module", "class_path", "is_audiogan_path"]


def class_path(obj: object) -> str:
    """``module.QualName`` of ``obj``'s class, e.g. ``"audiogan.nn.generator2d.ConvGenerator2d"``."""
    cls = obj if isinstance(obj, type) else type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def is_audiogan_path(path: str) -> bool:
    """True for a class path inside the ``audiogan`` package."""
    module_name, _, name = path.rpartition(".")
    return bool(name) and (module_name == "audiogan" or module_name.startswith("audiogan."))


def build_module(path: str, config: dict[str, Any] | None) -> nn.Module:
    """Rebuild an audiogan module from its class path and ``config``: ``cls(**config)``.

    Raises:
        ValueError: If the class is not an audiogan class, cannot be found, is not an
            ``nn.Module``, or there is no config.
    """
    if not is_audiogan_path(path):
        raise ValueError(
            f"cannot rebuild {path!r}: only audiogan classes are rebuilt from a checkpoint or "
            "config; pass an instance of your own class instead"
        )
    if config is None:
        raise ValueError(f"cannot rebuild {path}: it has no config")
    module_name, _, name = path.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError) as e:
        raise ValueError(f"cannot rebuild {path}: {e}") from e
    if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
        raise ValueError(f"cannot rebuild {path}: not an nn.Module class")
    return cls(**config)
