"""What the Trainer checks before it trains, with errors that name the culprit.

At construction (:func:`check_settings`, :func:`check_parts`, :func:`check_augment`,
:func:`warn_unconstrained_critic`): do the parts have the methods the Trainer calls, is a
Wasserstein critic constrained, does a penalized critic contain BatchNorm. Once per ``fit``,
before the first step (:func:`preflight`): do the first batches' labels fit the generator, do
the generator's fakes have the real batch's shape, does the critic accept both. Also how long a
run is and what it trains, in numbers (:func:`planned_steps`) and in one line
(:func:`run_summary`).
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import torch
from torch import nn

from audiogan.losses.ensemble import as_critic_output
from audiogan.nn.init import has_spectral_norm, warn_if_batchnorm
from audiogan.protocols import Objective, Penalty
from audiogan.train.batches import Batch, check_labels_fit

__all__ = [
    "check_augment",
    "check_critic_start",
    "check_fake_fits",
    "check_fit_args",
    "check_parts",
    "check_settings",
    "critic_failure",
    "critic_steps_of",
    "loader_length",
    "planned_steps",
    "preflight",
    "run_summary",
    "warn_unconstrained_critic",
]


def check_settings(
    critic_steps: int,
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
    if isinstance(critic_steps, bool) or not isinstance(critic_steps, int) or critic_steps < 1:
        raise ValueError(f"Trainer: critic_steps must be an integer >= 1, got {critic_steps!r}")
    if keep_checkpoints < 1:
        raise ValueError(f"Trainer: keep_checkpoints must be >= 1, got {keep_checkpoints}")
    for name, value in (("grad_clip", grad_clip), ("weight_clip", weight_clip)):
        if value is not None and not (math.isfinite(value) and value > 0):
            raise ValueError(f"Trainer: {name} must be a positive number or None, got {value!r}")
    if metadata is not None and not isinstance(metadata, dict):
        raise ValueError(f"Trainer: metadata must be a dict, got {type(metadata).__name__}")
    if generator_input is not None and not callable(generator_input):
        raise ValueError("Trainer: generator_input must be a callable real -> inputs")


def critic_steps_of(critic_steps: int | None, n_critic: int | None) -> int | None:
    """``critic_steps``, or its old name ``n_critic`` when only that is given.

    Raises:
        ValueError: If both are given and disagree.
    """
    if n_critic is None:
        return critic_steps
    if critic_steps is not None and critic_steps != n_critic:
        raise ValueError(
            f"Trainer: critic_steps={critic_steps} and n_critic={n_critic} (its old name) "
            "disagree; pass critic_steps only"
        )
    return n_critic


def check_critic_start(critic_start: Any) -> int:
    """``critic_start``, an integer >= 0.

    Raises:
        ValueError: Naming what came.
    """
    if isinstance(critic_start, bool) or not isinstance(critic_start, int) or critic_start < 0:
        raise ValueError(f"Trainer: critic_start must be an integer >= 0, got {critic_start!r}")
    return critic_start


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
    objective: Objective, critic: nn.Module, penalty: Penalty | None, weight_clip: float | None
) -> None:
    """Warn when a Wasserstein-type objective has no Lipschitz constraint, or a penalized critic BatchNorm.

    A penalty with ``input_gradients = False`` (LeCam) neither constrains the critic nor minds
    BatchNorm.
    """
    if not getattr(penalty, "input_gradients", True):
        penalty = None
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
    """The error to raise when the critic fails on the first batch of a fit."""
    return ValueError(
        f"step {step}: the critic {type(critic).__name__} failed on a batch of shape "
        f"{tuple(x.shape)}; the loader's batch has shape {tuple(real.shape)} and the generator "
        f"makes {tuple(fake.shape)} (batch, *features): the critic must accept both ({error})"
    )


def check_augment(augment: Any, device: torch.device) -> Any:
    """The Trainer's ``augment`` on ``device`` (None stays None).

    Raises:
        ValueError: If it is not callable as ``augment(*tensors)``.
    """
    if augment is None:
        return None
    if not callable(augment):
        raise ValueError(
            "Trainer: augment must be an audiogan.augment.Augment or AdaptiveAugment (a callable "
            f"augment(*tensors)), got {type(augment).__name__}"
        )
    return augment.to(device) if isinstance(augment, nn.Module) else augment


def preflight(
    generator: nn.Module,
    critic: nn.Module,
    batches: Sequence[Batch],
    step: int,
    preprocessed: bool = False,
    autocast: Callable[[], contextlib.AbstractContextManager[Any]] = contextlib.nullcontext,
) -> None:
    """The first-fit checks, run once before a ``fit``'s first step on its first batches.

    Every batch's labels must fit the generator (:func:`~audiogan.train.batches.check_labels_fit`);
    on the first batch the generator makes fakes, which must have the real batch's shape, and the
    critic scores real and fake. The models run in eval mode under ``no_grad`` with the RNG
    forked, so nothing of the training run changes (no batch-norm statistics, no spectral-norm
    iteration, no random draw): a resumed run stays equal to an uninterrupted one.

    Args:
        generator: ``forward(z, labels=None)`` with ``sample_latent``, or a paired GAN's
            ``forward(inputs[, labels])``.
        critic: ``forward(x, labels=None)``.
        batches: The first step's :class:`~audiogan.train.batches.Batch` objects.
        step: The step about to run (1-based), for messages.
        preprocessed: The real batches went through ``preprocess`` (for messages).
        autocast: The training precision's autocast context.

    Raises:
        ValueError: Labels that do not fit, fakes of another shape than the real batch, or a
            critic that fails on (or returns the wrong shape for) real or fake.
    """
    for batch in batches:
        check_labels_fit(batch, generator)
    batch = batches[0]
    device = batch.real.device
    modes = generator.training, critic.training
    generator.eval()
    critic.eval()
    try:
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
            with torch.no_grad(), autocast():
                source = batch.inputs
                if source is None:
                    source = generator.sample_latent(batch.size, device=device)
                fake = (
                    generator(source) if batch.labels is None else generator(source, batch.labels)
                )
                check_fake_fits(batch.real, fake, generator, step, preprocessed)
                for x in (batch.real, fake):
                    try:
                        out = critic(x) if batch.labels is None else critic(x, batch.labels)
                    except RuntimeError as e:
                        raise critic_failure(critic, x, batch.real, fake, step, e) from e
                    as_critic_output(out, x.shape[0], type(critic).__name__)
    finally:
        generator.train(modes[0])
        critic.train(modes[1])


def loader_length(loader: Iterable[Any] | None) -> int | None:
    """``len(loader)``, or None for a loader without a length."""
    try:
        return len(loader)  # type: ignore[arg-type]
    except TypeError:
        return None


def planned_steps(
    loader: Iterable[Any], epochs: int | None, steps: int | None, critic_steps: int
) -> int | None:
    """The generator steps a ``fit`` reaches in all (None if the loader has no length).

    Raises:
        ValueError: If the loader has fewer batches per epoch than ``critic_steps``.
    """
    n = loader_length(loader)
    if n is not None and n < critic_steps:
        raise ValueError(
            f"Trainer.fit: the loader yields {n} batches per epoch, fewer than "
            f"critic_steps={critic_steps}; one generator step needs critic_steps batches"
        )
    totals = [steps] if steps is not None else []
    if epochs is not None and n is not None:
        totals.append(epochs * (n // critic_steps))
    return min(totals) if totals else None


def run_summary(
    generator: nn.Module,
    critic: nn.Module,
    device: Any,
    precision: str,
    critic_steps: int,
    compiled: bool = False,
    loader: Iterable[Any] | None = None,
) -> str:
    """Both models' parameter counts, device, precision, and batches per epoch, in one line.

    Example:
        >>> from torch import nn
        >>> run_summary(nn.Linear(10, 10), nn.Linear(10, 1), "cpu", "32", 5, loader=range(20))
        'generator Linear 0.00 M params, critic Linear 0.00 M params, device cpu, precision 32, 20 batches per epoch (4 generator steps)'
    """
    parts = [
        f"{name} {type(m).__name__} {sum(p.numel() for p in m.parameters()) / 1e6:.2f} M params"
        for name, m in (("generator", generator), ("critic", critic))
    ]
    parts += [f"device {device}", f"precision {precision}"]
    if compiled:
        parts.append("compiled")
    n = loader_length(loader)
    if n is not None:
        parts.append(f"{n} batches per epoch ({n // critic_steps} generator steps)")
    return ", ".join(parts)
