"""Import optional dependencies with an error that names the extra to install."""

from __future__ import annotations

import importlib
from types import ModuleType

#: Which ``pip install audiogan[extra]`` provides each optional module.
EXTRAS: dict[str, str] = {
    "music21": "music",
    "pretty_midi": "music",
    "matplotlib": "viz",
    "matplotlib.pyplot": "viz",
    "torch.utils.tensorboard": "logs",
    "tensorboard": "logs",
    "pesq": "eval",
    "pystoi": "eval",
    "torchcrepe": "eval",
}


def require(module: str, feature: str | None = None) -> ModuleType:
    """Import ``module`` or raise an ImportError that says which extra provides it.

    Args:
        module: Dotted module name, e.g. ``"pretty_midi"``.
        feature: What the caller wanted to do, for the message (e.g. ``"MIDI export"``).

    Returns:
        The imported module.

    Raises:
        ImportError: If the module is not installed; the message names the extra,
            e.g. ``pip install 'audiogan[music]'``.
    """
    try:
        return importlib.import_module(module)
    except ImportError as err:
        extra = EXTRAS.get(module, EXTRAS.get(module.split(".")[0]))
        what = f"{feature} needs" if feature else "This feature needs"
        hint = f"pip install 'audiogan[{extra}]'" if extra else f"pip install {module}"
        raise ImportError(
            f"{what} the optional package '{module}', which is not installed: {hint}"
        ) from err
