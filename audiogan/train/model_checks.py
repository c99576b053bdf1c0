"""Sanity checks of the parts handed to the Trainer, with errors that name the culprit.

They run at construction (do the parts have the methods the Trainer calls, is a Wasserstein
critic constrained, does a penalized critic contain BatchNorm) and on the first step of a
``fit`` (do the generator's samples have the real batch's shape, does the critic accept both).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import torch
from torch import nn

from audiogan.nn.init import has_spectral_norm, warn_if_batchnorm

__all__ = [
    "check_fake_fits",
    "check_fit_args",
    "check_parts",
    "check_settings",
    "critic_failure",
    "warn_unconstrained_critic",
]


def check_settings(
    n_critic: int,
    keep_checkpoints: int,
    grad_clip: float | None,
    weight_clip: float | None,
    metadata: Any,
    generator_input: Any,
) -> None:
    """Check the Trainer's plain settings.

    Raises:
        ValueError: Naming the setting, what it must be, and what came.
    """
    if isinstance(n_critic, bool) or not isinstance(n_critic, int) or n_critic < 1:
        raise ValueError(f"Trainer: n_critic must be an integer >= 1, got {n_critic!r}")
    if keep_checkpoints < 1:
        raise ValueError(f"Trainer: keep_checkpoints must be >= 1, got {keep_checkpoints}")
    for name, value in (("grad_clip", grad_clip), ("weight_clip", weight_clip)):
        if value is not None and not (math.isfinite(value) and value > 0):
            raise ValueError(f"Trainer: {name} must be a positive number or None, got {value!r}")
    if metadata is not None and not isinstance(metadata, dict):
        raise ValueError(f"Trainer: metadata must be a dict, got {type(metadata).__name__}")
    if generator_input is not None and not callable(generator_input):
        raise ValueError("Trainer: generator_input must be a callable real -> inputs")


def check_fit_args(epochs: Any, steps: Any) -> None:
    """``fit`` needs ``epochs`` or ``steps`` (or both), as non-negative integers.

    Raises:
        ValueError: Naming the argument and what came.
    """
    if epochs is None and steps is None:
        raise ValueError(
            "Trainer.fit: pass epochs=... or steps=... (totals, resumed steps included)"
        )
    for name, value in (("epochs", epochs), ("steps", steps)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 0
        ):
            raise ValueError(f"Trainer.fit: {name} must be a non-negative integer, got {value!r}")


def check_parts(generator: nn.Module, objective: Any, penalty: Any, samples_latent: bool) -> None:
    """Check that each part has what the Trainer calls on it.

    Args:
        generator: Needs ``sample_latent`` when ``samples_latent`` (a sampling GAN).
        objective: Needs ``critic_loss`` and ``generator_loss``.
        penalty: None, or a callable ``penalty(critic, real, fake, labels, scaler)``.
        samples_latent: False for a paired GAN, whose generator input comes from the batch.

    Raises:
        ValueError: Naming the part and the missing method.
    """
    needs: list[tuple[str, Any, tuple[str, ...]]] = [
        ("objective", objective, ("critic_loss", "generator_loss"))
    ]
    if samples_latent:
        needs.append(("generator", generator, ("sample_latent",)))
    for name, part, methods in needs:
        missing = [m for m in methods if not callable(getattr(part, m, None))]
        if missing:
            hint = (
                " (or pass generator_input=... for a generator that maps batch inputs)"
                if name == "generator"
                else ""
            )
            raise ValueError(
                f"Trainer: the {name} {type(part).__name__} has no {', '.join(missing)}(){hint}"
            )
    if penalty is not None and not callable(penalty):
        raise ValueError(
            f"Trainer: penalty must be callable(critic, real, fake, labels, scaler), got {penalty!r}"
        )


def warn_unconstrained_critic(
    objective: Any, critic: nn.Module, penalty: Any, weight_clip: float | None
) -> None:
    """Warn when a Wasserstein-type objective has no Lipschitz constraint, or a penalized critic BatchNorm."""
    if getattr(objective, "needs_lipschitz", False) and penalty is None and weight_clip is None:
        if not has_spectral_norm(critic):
            warnings.warn(
                f"Trainer: {type(objective).__name__} needs a Lipschitz critic, but there is no "
                "penalty (e.g. GradientPenalty), no weight_clip and no spectral norm in the "
                "critic; its scores can grow without bound",
                UserWarning,
                stacklevel=3,
            )
    if penalty is not None:
        warn_if_batchnorm(critic)


def check_fake_fits(
    real: torch.Tensor, fake: torch.Tensor, generator: nn.Module, step: int, preprocessed: bool
) -> None:
    """The generator's samples must have the real batch's feature shape (the critic sees both).

    Raises:
        ValueError: Naming both shapes.
    """
    if tuple(real.shape[1:]) != tuple(fake.shape[1:]):
        hint = " after preprocess" if preprocessed else ""
        raise ValueError(
            f"step {step}: the loader's batch has shape {tuple(real.shape)}{hint} but the "
            f"generator {type(generator).__name__} makes {tuple(fake.shape)} (batch, *features); "
            "the critic sees both, so their feature shapes must match"
        )


def critic_failure(
    critic: nn.Module,
    x: torch.Tensor,
    real: torch.Tensor,
    fake: torch.Tensor,
    step: int,
    error: Exception,
) -> ValueError:
    """The error to raise when the critic fails on its first batch of a fit."""
    return ValueError(
        f"step {step}: the critic {type(critic).__name__} failed on a batch of shape "
        f"{tuple(x.shape)}; the loader's batch has shape {tuple(real.shape)} and the generator "
        f"makes {tuple(fake.shape)} (batch, *features): the critic must accept both ({error})"
    )
