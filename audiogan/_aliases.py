"""Every rename of a saved name: classes, their arguments and values, recipe settings.

Runs made before a rename name the old spellings in their checkpoints (class names, the
``config`` of each module, the Trainer's settings) and in ``recipe.json``. The tables here map
them to today's names; :mod:`audiogan.registry` applies them when a checkpoint rebuilds a module,
:mod:`audiogan.train.checkpoints` to the Trainer's settings, and
:func:`audiogan.recipes.load_run_config` to a run's settings. Add a row for every rename of a
saved name; never remove one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

CLASSES: dict[str, str] = {
    # The papers' names became critics (issue 20).
    "MultiPeriodDiscriminator": "MultiPeriodCritic",
    "PeriodDiscriminator": "PeriodCritic",
    "MultiScaleDiscriminator": "MultiScaleCritic",
    "ScaleDiscriminator": "ScaleCritic",
    "MultiResolutionSTFTDiscriminator": "MultiResolutionSTFTCritic",
    "STFTDiscriminator": "STFTCritic",
}
"""Old class name (or old ``audiogan.*`` class path) -> registered name."""

CONFIG_KEYS: dict[str, dict[str, str]] = {
    "ConvGenerator2d": {"base_channels": "width", "n_upsamples": "num_upsamples"},
    "ConvCritic2d": {"base_channels": "width", "n_downsamples": "num_downsamples"},
    "HiFiGANGenerator": {"initial_channels": "width"},
    "WaveGANGenerator": {"model_size": "width"},
    "WaveGANCritic": {"model_size": "width"},
    "RecurrentClassifier": {"n_features": "num_features"},
    "MuseGenerator": {"hid_channels": "width", "hid_features": "linear_width"},
    "MuseCritic": {"hid_channels": "width", "hid_features": "linear_width"},
}
"""Per registered class: old constructor argument -> new one."""

CONFIG_VALUES: dict[str, dict[str, str]] = {
    "upsample": {"transpose": "transposed", "nearest": "resize"},
}
"""Per constructor argument (any class): old value -> new one."""


def _waveform_shape(key: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """WaveGAN's ``channels`` and ``num_samples`` became one shape, ``key`` (issue 20)."""

    def upgrade(config: dict[str, Any]) -> dict[str, Any]:
        if "num_samples" not in config or key in config:
            return config
        out = dict(config)
        out[key] = [int(out.pop("channels", 1)), int(out.pop("num_samples"))]
        return out

    return upgrade


CONFIG_UPGRADES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "WaveGANGenerator": _waveform_shape("out_shape"),
    "WaveGANCritic": _waveform_shape("in_shape"),
}
"""Per registered class: a function rewriting an old config whose arguments were merged."""

STATE_KEYS: dict[str, str] = {"discriminators": "critics"}
"""Submodule names inside a saved ``state_dict`` (one dotted component): old -> new."""

TRAINER: dict[str, str] = {"n_critic": "critic_steps"}
"""The Trainer's saved settings (a checkpoint's ``"trainer"``): old name -> new one."""

RECIPE_SETTINGS: dict[str, str] = {
    "n_critic": "critic_steps",
    "samples_per_class": "fakes_per_class",
    "n_per_class": "clips_per_class",
    "workers": "num_workers",
}
"""Recipe settings (``recipe.json``, ``--set``), every recipe: old name -> new one."""

RECIPE_SETTINGS_OF: dict[str, dict[str, str]] = {
    "wgan-gp": {"channels": "width"},
    "onehot-cgan": {"channels": "width"},
    "vocoder": {"channels": "width"},
    "musegan": {"channels": "width", "samples": "num_fakes", "report_samples": "report_fakes"},
    "resnet9-gan": {"channels": "width", "width": "critic_width", "eval_samples": "eval_fakes"},
}
"""Recipe settings renamed in one recipe only: recipe name -> {old name: new name}."""

RECIPE_VALUES: dict[str, dict[str, str]] = {
    "upsample": {"transpose": "transposed", "nearest": "resize"},
}
"""Recipe settings' old values, every recipe: setting -> {old value: new value}."""
