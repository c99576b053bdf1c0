"""What a Trainer checkpoint holds, how it is restored, and which checkpoint a run resumes from.

:func:`trainer_state` gathers everything an exact resume needs (models, EMA, optimizers,
schedulers, scalers, counters, the epoch order and the RNG states). :func:`restore_trainer`
checks that the weights fit the models before it changes anything, so a checkpoint of another
model is an error naming the file and the mismatching parameters and never half-loads.
:func:`resume_candidates` decides what ``resume="auto"`` reads: the newest checkpoint, falling
back to an older one only when the newest cannot be read at all.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from audiogan.train.checkpoint import (
    capture_rng_state,
    class_path,
    list_checkpoints,
    load_checkpoint,
    restore_rng_state,
    seed_everything,
)

if TYPE_CHECKING:
    from audiogan.train.trainer import Trainer

__all__ = [
    "CHECKPOINT_VERSION",
    "CheckpointMismatchError",
    "newest_readable_checkpoint",
    "resume_or_seed",
    "restore_trainer",
    "state_mismatches",
    "trainer_state",
]

log = logging.getLogger(__name__)

CHECKPOINT_VERSION = 2


class CheckpointMismatchError(ValueError):
    """A checkpoint that is readable but does not fit the Trainer's models."""


def trainer_state(trainer: Trainer) -> dict[str, Any]:
    """Everything a Trainer checkpoint holds (tensors and plain values only)."""
    return {
        "version": CHECKPOINT_VERSION,
        "step": trainer.step,
        "epoch": trainer.epoch,
        "batch_in_epoch": trainer.batch_in_epoch,
        "critic_steps": trainer.critic_steps,
        "skipped_steps": trainer.skipped_steps,
        "generator": trainer.generator.state_dict(),
        "critic": trainer.critic.state_dict(),
        "ema": trainer.ema.state_dict() if trainer.ema is not None else None,
        "generator_optimizer": trainer.generator_optimizer.state_dict(),
        "critic_optimizer": trainer.critic_optimizer.state_dict(),
        "generator_scheduler": _state_or_none(trainer.generator_scheduler),
        "critic_scheduler": _state_or_none(trainer.critic_scheduler),
        "generator_scaler": trainer.generator_scaler.state_dict(),
        "critic_scaler": trainer.critic_scaler.state_dict(),
        "epoch_order": trainer.epoch_order.state_dict(),
        "rng": capture_rng_state(),
        "generator_class": class_path(trainer.generator),
        "generator_config": getattr(trainer.generator, "config", None),
        "critic_class": class_path(trainer.critic),
        "critic_config": getattr(trainer.critic, "config", None),
        "metadata": trainer.metadata,
        "history": trainer.history,
        "trainer": {
            "n_critic": trainer.n_critic,
            "precision": trainer.precision.name,
            "seed": trainer.seed,
            "world_size": trainer.world_size,
        },
    }


def state_mismatches(
    module: torch.nn.Module, state: Mapping[str, Any], limit: int = 6
) -> list[str]:
    """How a ``state_dict`` differs from ``module``'s: missing, unexpected and reshaped entries.

    Returns:
        Up to ``limit`` lines such as ``"net.0.weight: checkpoint (64, 1, 4, 4), model (32, 1, 4, 4)"``
        (and one line counting the rest); empty when the state fits.
    """
    own = module.state_dict()
    lines = [f"{k}: missing from the checkpoint" for k in own if k not in state]
    lines += [f"{k}: in the checkpoint, not in the model" for k in state if k not in own]
    for k, v in own.items():
        theirs = state.get(k)
        if isinstance(theirs, torch.Tensor) and isinstance(v, torch.Tensor):
            if theirs.shape != v.shape:
                lines.append(f"{k}: checkpoint {tuple(theirs.shape)}, model {tuple(v.shape)}")
    if len(lines) > limit:
        lines = [*lines[:limit], f"... and {len(lines) - limit} more"]
    return lines


def restore_trainer(trainer: Trainer, state: dict[str, Any], path: Path) -> None:
    """Put a checkpoint's state into ``trainer`` (see :meth:`Trainer.load_checkpoint`).

    Raises:
        CheckpointMismatchError: If the checkpoint's models do not fit the trainer's (nothing is
            changed then), or it was written by an incompatible version.
    """
    how = (
        f"to start a fresh run, use another out_dir or move {path.parent} away "
        "(or pass resume=False, which still writes into the same folder)"
    )
    if state.get("version") != CHECKPOINT_VERSION:
        raise CheckpointMismatchError(
            f"checkpoint {path} has format version {state.get('version')}, this audiogan reads "
            f"version {CHECKPOINT_VERSION}; {how}"
        )
    problems = []
    for name, module in (("generator", trainer.generator), ("critic", trainer.critic)):
        lines = state_mismatches(module, state[name])
        if lines:
            problems.append(
                f"the {name} {class_path(module)} does not fit the checkpoint's "
                f"{state.get(f'{name}_class')}:\n    " + "\n    ".join(lines)
            )
    if problems:
        raise CheckpointMismatchError(
            f"checkpoint {path} does not fit this trainer's models; "
            + "; ".join(problems)
            + f"\n{how}"
        )
    trainer.generator.load_state_dict(state["generator"])
    trainer.critic.load_state_dict(state["critic"])
    if state.get("ema") is not None:
        if trainer.ema is None:
            warnings.warn(
                f"Trainer: {path} has EMA weights but this trainer has no ema; ignoring them",
                UserWarning,
                stacklevel=3,
            )
        else:
            trainer.ema.load_state_dict(state["ema"])
    now = {model: _hyperparameters(getattr(trainer, f"{model}_optimizer")) for model in MODELS}
    trainer.generator_optimizer.load_state_dict(state["generator_optimizer"])
    trainer.critic_optimizer.load_state_dict(state["critic_optimizer"])
    for name in ("generator_scheduler", "critic_scheduler"):
        _load_scheduler(getattr(trainer, name), state.get(name), name, path)
    changes = [line for model in MODELS for line in _settle_optimizer(trainer, model, now[model])]
    saved_n_critic = int(state.get("trainer", {}).get("n_critic", trainer.n_critic))
    if saved_n_critic != trainer.n_critic:
        if "n_critic" in trainer.given_settings:
            changes.append(f"n_critic {saved_n_critic} -> {trainer.n_critic} (given)")
        else:
            changes.append(f"n_critic {saved_n_critic} kept from the checkpoint (not given)")
            trainer.n_critic = saved_n_critic
    if changes:
        log.warning(
            "resuming from %s with settings that differ from the checkpoint's: %s",
            path,
            "; ".join(changes),
        )
    trainer.generator_scaler.load_state_dict(state["generator_scaler"])
    trainer.critic_scaler.load_state_dict(state["critic_scaler"])
    trainer.epoch_order.load_state_dict(state.get("epoch_order", {}))
    trainer.step = int(state["step"])
    trainer.epoch = int(state["epoch"])
    trainer.batch_in_epoch = int(state.get("batch_in_epoch", 0))
    trainer.critic_steps = int(state.get("critic_steps", 0))
    trainer.skipped_steps = int(state.get("skipped_steps", 0))
    trainer.history = list(state.get("history", []))
    trainer.metrics = {
        k: v
        for k, v in (trainer.history[-1] if trainer.history else {}).items()
        if k not in ("step", "epoch")
    }
    for key, value in state.get("metadata", {}).items():
        trainer.metadata.setdefault(key, value)
    if trainer.rank == 0:
        restore_rng_state(state["rng"])
    else:  # only rank 0's stream is stored
        seed_everything((trainer.seed * 1_000_003 + trainer.rank) * 1_009 + trainer.step)


MODELS = ("generator", "critic")
_GIVEN = {"generator": ("generator_lr", "betas"), "critic": ("critic_lr", "betas")}


def _hyperparameters(optimizer: torch.optim.Optimizer) -> list[dict[str, Any]]:
    """Each parameter group's settings (lr, betas, ...), without its parameters."""
    return [{k: v for k, v in g.items() if k != "params"} for g in optimizer.param_groups]


def _settle_optimizer(trainer: Trainer, model: str, now: list[dict[str, Any]]) -> list[str]:
    """After loading the checkpoint's optimizer state, put back the settings given now.

    An optimizer passed to the Trainer brings all its settings; the default Adam brings the
    learning rate and betas that were given. Under a scheduler, a given learning rate becomes
    the new base and the current rate keeps its ratio to the base (the schedule's progress).

    Returns:
        One line per setting that differs from the checkpoint's, saying which one is used.
    """
    given = trainer.given_settings
    optimizer = getattr(trainer, f"{model}_optimizer")
    scheduler = getattr(trainer, f"{model}_scheduler")
    if f"{model}_optimizer" in given:
        wins = set().union(*(g.keys() for g in now))
    else:
        wins = {k.split("_")[-1] for k in _GIVEN[model] if k in given}  # "lr", "betas"
    lines = []
    for i, (group, current) in enumerate(zip(optimizer.param_groups, now, strict=False)):
        for key, value in current.items():
            scheduled = key == "lr" and scheduler is not None  # compare the schedule's base
            saved = group.get("initial_lr" if scheduled else key)
            if scheduled:
                value = current.get("initial_lr", value)
            if key == "initial_lr" or saved == value:
                continue
            where = f"{model} {key}" + (f" (group {i})" if len(now) > 1 else "")
            if key not in wins:
                lines.append(f"{where} {saved} kept from the checkpoint (not given)")
            elif scheduled:
                lines.append(f"{where} {saved} -> {value} (given; the schedule's base)")
                group["lr"] *= value / saved if saved else 1.0
                group["initial_lr"] = scheduler.base_lrs[i] = value
            else:
                lines.append(f"{where} {saved} -> {value} (given)")
                group[key] = value
    return lines


def newest_readable_checkpoint(directory: Path) -> tuple[Path, dict[str, Any]] | None:
    """The newest checkpoint in ``directory`` that can be read, with its contents.

    An unreadable file (truncated, corrupt, not a checkpoint) is skipped with a warning and the
    one before it is tried; a readable one is returned whether or not it fits the models (the
    caller checks that, so a checkpoint of another model is an error, never a silent fresh start).
    """
    for candidate in reversed(list_checkpoints(directory)):
        try:
            return candidate, load_checkpoint(candidate)
        except ValueError as e:
            warnings.warn(
                f"Trainer: skipping unreadable checkpoint {candidate}: {e}",
                UserWarning,
                stacklevel=3,
            )
    return None


def resume_or_seed(trainer: Trainer, resume: str | Path | bool | None) -> Path | None:
    """Start a ``fit``: restore a checkpoint into ``trainer``, or seed every RNG for a fresh run.

    Args:
        trainer: The trainer.
        resume: ``"auto"``/``True`` (the newest readable checkpoint in ``checkpoint_dir``, if
            any), a checkpoint path, or ``None``/``False`` (fresh).

    Returns:
        The checkpoint restored, or None for a fresh run.

    Raises:
        CheckpointMismatchError: If the checkpoint does not fit the trainer's models.
    """
    found = None
    if resume in ("auto", True):
        found = newest_readable_checkpoint(trainer.checkpoint_dir)
    elif resume not in (None, False):
        found = (Path(resume), load_checkpoint(resume))
    if found is None:
        seed_everything(trainer.seed + trainer.rank)
        return None
    path, state = found
    restore_trainer(trainer, state, path)
    log.info("resumed from %s at step %d, epoch %d", path, trainer.step, trainer.epoch)
    return path


def _state_or_none(obj: Any) -> dict[str, Any] | None:
    return obj.state_dict() if obj is not None else None


def _load_scheduler(scheduler: Any, state: dict[str, Any] | None, name: str, path: Path) -> None:
    if scheduler is not None and state is not None:
        scheduler.load_state_dict(state)
    elif scheduler is not None:
        warnings.warn(
            f"Trainer: {path} has no {name} state; the {name} starts from its beginning",
            UserWarning,
            stacklevel=4,
        )
