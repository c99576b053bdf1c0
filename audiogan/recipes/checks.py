"""The allowed values of recipe settings, checked where a config is built.

One table, :data:`SETTING_CHECKS`, gives the allowed range of every setting by name (a setting
means the same in every recipe that has it: ``lr`` is a learning rate, ``ema`` a decay); a
recipe adds what only its models need (``Recipe.checks``: the spectrogram GANs' ``n_mels`` must
be a multiple of 16). :func:`check_config` checks each field's type (from the config's type
hints) and range and raises a one-line :class:`~audiogan.recipes.recipe.ConfigError` naming the
setting, the allowed range and the value given.

>>> from audiogan.recipes.checks import at_least, multiple_of
>>> at_least(1).allows(0), at_least(1).allowed
(False, 'an integer >= 1')
>>> multiple_of(16).allows(48), multiple_of(16).allowed
(True, 'a positive multiple of 16')
"""

from __future__ import annotations

import math
import re
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

__all__ = [
    "SETTING_CHECKS",
    "Check",
    "at_least",
    "between",
    "check_config",
    "check_device",
    "multiple_of",
    "non_negative",
    "norm_of",
    "one_of",
    "optional",
    "positive",
]


@dataclass(frozen=True)
class Check:
    """An allowed range of a setting: a test and its words for the message.

    Attributes:
        test: ``test(value) -> bool``, True when ``value`` is allowed (never raises for a value
            of the setting's type).
        allowed: What is allowed, e.g. ``"a number > 0"``.
    """

    test: Callable[[Any], bool]
    allowed: str

    def allows(self, value: Any) -> bool:
        """Whether ``value`` is allowed."""
        return bool(self.test(value))


def _finite(value: Any) -> bool:
    if isinstance(value, int):  # math.isfinite overflows on ints beyond a float's range
        return not isinstance(value, bool)
    return isinstance(value, float) and math.isfinite(value)


def positive() -> Check:
    """A finite number > 0."""
    return Check(lambda v: _finite(v) and v > 0, "a number > 0")


def at_least(low: float) -> Check:
    """A finite number (an integer for an integer setting) >= ``low``."""
    return Check(lambda v: _finite(v) and v >= low, f"an integer >= {low}")


def non_negative() -> Check:
    """A finite number >= 0."""
    return Check(lambda v: _finite(v) and v >= 0, "a number >= 0")


def between(low: float, high: float, *, low_open: bool = False, high_open: bool = False) -> Check:
    """A finite number in the interval from ``low`` to ``high`` (ends open or closed)."""

    def test(v: Any) -> bool:
        if not _finite(v):
            return False
        above = v > low if low_open else v >= low
        below = v < high if high_open else v <= high
        return above and below

    left, right = "(" if low_open else "[", ")" if high_open else "]"
    return Check(test, f"a number in {left}{low}, {high}{right}")


def multiple_of(n: int) -> Check:
    """A positive integer multiple of ``n`` (e.g. a size halved ``log2(n)`` times)."""
    return Check(lambda v: _finite(v) and v > 0 and v % n == 0, f"a positive multiple of {n}")


def one_of(*names: str) -> Check:
    """One of ``names``."""
    return Check(lambda v: v in names, "one of " + ", ".join(repr(n) for n in names))


def optional(check: Check) -> Check:
    """``check``, or None."""
    return Check(lambda v: v is None or check.allows(v), f"{check.allowed} or none")


def norm_of(*names: str) -> Check:
    """A normalization :func:`~audiogan.nn.layers.resolve_norm` maps to one of ``names``
    (aliases such as ``"bn"`` or ``"sn"`` included)."""
    from audiogan.nn.layers import resolve_norm

    def test(value: Any) -> bool:
        try:
            resolve_norm(value, names)
        except ValueError:
            return False
        return isinstance(value, str)

    return Check(test, "one of " + ", ".join(repr(n) for n in names))


_DEVICE = re.compile(r"^(auto|cpu|mps|(cuda|xpu)(:\d+)?)$")


def _device_syntax(value: Any) -> bool:
    return isinstance(value, str) and bool(_DEVICE.match(value))


def _folder_or_new(value: Any) -> bool:
    return isinstance(value, str) and bool(value) and not Path(value).is_file()


#: The allowed range of each setting, by name, in every recipe that has it. Old and new
#: spellings (``n_critic`` / ``critic_steps``, ``workers`` / ``num_workers``) share a check.
SETTING_CHECKS: dict[str, Check] = {
    "out": Check(_folder_or_new, "a folder path (not an existing file)"),
    "steps": optional(at_least(1)),
    "epochs": optional(at_least(1)),
    "batch_size": at_least(1),
    "device": Check(_device_syntax, "auto, cpu, mps, cuda, cuda:N, xpu or xpu:N"),
    "precision": one_of("auto", "32", "bf16", "16"),
    "seed": between(0, 2**32 - 1),
    "workers": at_least(0),
    "num_workers": at_least(0),
    "every": at_least(1),
    "unit": one_of("step", "epoch"),
    # spectrogram data and log-mel
    "fraction": between(0, 1, low_open=True),
    "n_per_class": at_least(1),
    "clips_per_class": at_least(1),
    "sample_rate": at_least(1),
    "n_fft": at_least(2),
    "hop_length": at_least(1),
    "n_mels": at_least(1),
    "frames": at_least(1),
    "samples_per_class": at_least(1),
    "fakes_per_class": at_least(1),
    # models and optimization
    "channels": at_least(1),
    "width": at_least(1),
    "critic_width": at_least(1),
    "latent_dim": at_least(1),
    "embed_dim": at_least(1),
    "hidden_size": at_least(1),
    "num_layers": at_least(1),
    "lr": positive(),
    "generator_lr": positive(),
    "critic_lr": positive(),
    "n_critic": at_least(1),
    "critic_steps": at_least(1),
    "gp_weight": non_negative(),
    "ema": optional(between(0, 1, high_open=True)),
    "tau": positive(),
    "dropout": between(0, 1, high_open=True),
    "label_smoothing": between(0, 1, high_open=True),
    "r1_gamma": non_negative(),
    "r1_interval": at_least(1),
    "minibatch_std": at_least(0),
    "stft_weight": non_negative(),
    "segment_frames": at_least(1),
    "held_out": at_least(1),
    "init": one_of("default", "dcgan"),
    "norm": norm_of("spectral", "batch", "instance", "layer", "none"),
    "critic_norm": norm_of("batch", "none", "layer", "instance", "spectral"),
    "cell": one_of("gru", "rnn", "lstm"),
    # classifier, music, evaluation
    "test_fraction": between(0, 1, low_open=True, high_open=True),
    "threshold": between(0, 1),
    "chunk": at_least(1),
    "max_chorales": optional(at_least(1)),
    "samples": at_least(1),
    "num_fakes": at_least(1),
    "report_samples": at_least(1),
    "report_fakes": at_least(1),
    "eval_samples": at_least(1),
    "eval_fakes": at_least(1),
}


def _type_ok(value: Any, hint: Any) -> bool:
    options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    for option in options:
        if option is type(None) and value is None:
            return True
        if option is bool and isinstance(value, bool):
            return True
        if option is int and isinstance(value, int) and not isinstance(value, bool):
            return True
        if option is float and isinstance(value, (int, float)) and not isinstance(value, bool):
            return True
        if option is str and isinstance(value, str):
            return True
    return False


def _type_name(hint: Any) -> str:
    options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    return " or ".join(
        "none" if o is type(None) else getattr(o, "__name__", str(o)) for o in options
    )


def check_config(name: str, config: Any, extra: Mapping[str, Check] | None = None) -> None:
    """Check every field of a recipe's config: its type, then its range.

    Args:
        name: The recipe's name (for the message).
        config: The config (a dataclass instance).
        extra: The recipe's own checks, applied after :data:`SETTING_CHECKS`' (both must pass).

    Raises:
        ConfigError: For the first field of the wrong type or out of range, in one line:
            ``"wgan-gp setting lr must be a number > 0, got -1.0"``.
    """
    from audiogan.recipes.recipe import ConfigError

    hints = typing.get_type_hints(type(config))
    for f in fields(config):
        value = getattr(config, f.name)
        hint = hints.get(f.name)
        if hint is not None and not _type_ok(value, hint):
            raise ConfigError(
                f"{name} setting {f.name} must be {_type_name(hint)}, got {value!r:.80}"
            )
        for check in (SETTING_CHECKS.get(f.name), (extra or {}).get(f.name)):
            if check is not None and not check.allows(value):
                raise ConfigError(
                    f"{name} setting {f.name} must be {check.allowed}, got {value!r:.80}"
                )


def check_device(device: str) -> None:
    """Check that a training device exists on this machine (``auto`` always does).

    Raises:
        ConfigError: For a CUDA device without CUDA, or an index beyond the GPUs present; an
            MPS device without MPS.
    """
    import torch

    from audiogan.recipes.recipe import ConfigError

    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ConfigError(
                f"device {device!r}: no CUDA GPU is available here (use --device cpu or auto)"
            )
        index = int(device.partition(":")[2] or 0)
        if index >= torch.cuda.device_count():
            raise ConfigError(
                f"device {device!r}: this machine has {torch.cuda.device_count()} CUDA GPU(s), "
                f"cuda:0 to cuda:{torch.cuda.device_count() - 1}"
            )
    elif device == "mps" and not torch.backends.mps.is_available():
        raise ConfigError("device 'mps': MPS is not available here (use --device cpu or auto)")
