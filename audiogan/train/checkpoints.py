"""Checkpoints: the files (atomic writes, the last K kept, safe loading, which one a run resumes
from) and what a Trainer checkpoint holds and how it is restored.

A checkpoint is one ``torch.save`` file ``step_00001234.pt`` in a folder (the Trainer uses
``out_dir/checkpoints``). It is written to a temporary file in the same folder, flushed to disk
with ``fsync`` and renamed over the final name with ``os.replace``, so a process killed while
writing leaves the previous checkpoints intact (and at worst a stray ``*.tmp`` file, which
:func:`list_checkpoints` ignores). Files are read with ``torch.load(weights_only=True)``: a
checkpoint holds only tensors and plain Python values and cannot run code when loaded.

:func:`trainer_state` gathers everything an exact resume needs (models, EMA, optimizers,
schedulers, scalers, counters, the epoch order and the RNG states, :mod:`~audiogan.train.seeding`).
:func:`restore_trainer` checks that the weights fit the models before it changes anything, so a
checkpoint of another model is an error naming the file and the mismatching parameters and never
half-loads. :func:`resume_or_seed` decides what ``resume="auto"`` reads: the newest checkpoint,
falling back to an older one only when the newest cannot be read at all.
"""

from __future__ import annotations

import logging
import os
import re
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from audiogan._atomic import atomic_path
from audiogan._build import build_module, class_name, class_path
from audiogan.errors import AudioganError
from audiogan.registry import upgrade_state_keys, upgrade_trainer_settings
from audiogan.train.seeding import capture_rng_state, restore_rng_state, seed_everything

if TYPE_CHECKING:
    from audiogan.train.trainer import Trainer

__all__ = [
    "CHECKPOINT_VERSION",
    "CheckpointMismatchError",
    "UnreadableCheckpointError",
    "atomic_save",
    "build_module",
    "checkpoint_path",
    "class_name",
    "class_path",
    "latest_checkpoint",
    "list_checkpoints",
    "load_checkpoint",
    "module_spec",
    "newest_readable_checkpoint",
    "prune_checkpoints",
    "restore_trainer",
    "resume_or_seed",
    "run_checkpoint",
    "state_mismatches",
    "trainer_state",
]

log = logging.getLogger(__name__)

_NAME = re.compile(r"^step_(\d+)\.pt$")


# ----------------------------------------------------------------------------- files


def checkpoint_path(directory: str | os.PathLike, step: int) -> Path:
    """The file name of the checkpoint taken after ``step`` generator steps."""
    return Path(directory) / f"step_{step:08d}.pt"


def atomic_save(obj: Any, path: str | os.PathLike) -> Path:
    """``torch.save`` to ``path`` so that readers see either the old file or the complete new one.

    Writes to a temporary file in the same folder, flushes and fsyncs it, renames it over
    ``path`` with ``os.replace`` (atomic on POSIX and Windows) and fsyncs the folder.

    Args:
        obj: What to save (tensors and plain Python values, for ``weights_only`` loading).
        path: Destination; its folder is created if needed.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.
    """
    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        torch.save(obj, f)
    return path


def list_checkpoints(directory: str | os.PathLike) -> list[Path]:
    """Checkpoint files ``step_*.pt`` in ``directory``, oldest (lowest step) first.

    Temporary files of interrupted writes are ignored; a missing folder gives ``[]``.
    """
    directory = Path(directory)
    if not directory.is_dir():
        return []
    found = []
    for p in directory.iterdir():
        m = _NAME.match(p.name)
        if m and p.is_file():
            found.append((int(m.group(1)), p))
    return [p for _, p in sorted(found)]


def latest_checkpoint(directory: str | os.PathLike) -> Path | None:
    """The newest checkpoint file in ``directory`` (highest step), or None if there is none.

    The file is not opened: use :func:`newest_readable_checkpoint` to skip unreadable ones.
    """
    found = list_checkpoints(directory)
    return found[-1] if found else None


class UnreadableCheckpointError(AudioganError, ValueError):
    """A folder holds checkpoint files but none of them can be read (truncated or corrupt)."""


def newest_readable_checkpoint(directory: str | os.PathLike) -> tuple[Path, dict[str, Any]] | None:
    """The newest checkpoint in ``directory`` that can be read, with its contents.

    An unreadable file (truncated, corrupt, not a checkpoint) is skipped with a warning naming it
    and the one before it is tried. A readable one is returned whether or not it fits any model
    (the caller checks that, so a checkpoint of another model is an error, never a fresh start).

    Returns:
        ``(path, state)``, or None when the folder holds no checkpoint file at all.

    Raises:
        UnreadableCheckpointError: If there are checkpoint files but none can be read (the
            message names them and says how to start afresh).
    """
    found = list_checkpoints(directory)
    skipped = []
    for candidate in reversed(found):
        try:
            state = load_checkpoint(candidate)
        except ValueError as e:
            skipped.append(f"{candidate.name} ({e})")
            continue
        if skipped:
            warnings.warn(
                f"using {candidate}; skipped unreadable checkpoints: {'; '.join(skipped)}",
                UserWarning,
                stacklevel=2,
            )
        return candidate, state
    if not found:
        return None
    names = ", ".join(p.name for p in found)
    raise UnreadableCheckpointError(
        f"no readable checkpoint in {directory} ({len(found)} unreadable: {names}); to start a "
        f"fresh run, use another output folder or move {directory} away"
    )


def run_checkpoint(source: str | os.PathLike) -> Path:
    """The checkpoint a command works from: ``source`` itself when it is a file, else the newest
    readable checkpoint of a run folder (``source/checkpoints``) or of a checkpoint folder.

    Args:
        source: A checkpoint file, a run folder or a folder of checkpoints.

    Raises:
        FileNotFoundError: If ``source`` does not exist or holds no checkpoint.
        UnreadableCheckpointError: If it holds checkpoints but none can be read.
    """
    source = Path(source)
    if source.is_file():
        return source
    if not source.is_dir():
        raise FileNotFoundError(f"{source}: no such checkpoint file or run folder")
    folder = source / "checkpoints" if (source / "checkpoints").is_dir() else source
    found = newest_readable_checkpoint(folder)
    if found is None:
        raise FileNotFoundError(f"no checkpoint in {folder}: train first")
    return found[0]


def prune_checkpoints(directory: str | os.PathLike, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` checkpoints, and stray temporary files.

    Args:
        directory: The checkpoint folder.
        keep: How many to keep (``>= 1``).

    Returns:
        The checkpoint files deleted.
    """
    if keep < 1:
        raise ValueError(f"prune_checkpoints: keep must be >= 1, got {keep}")
    found = list_checkpoints(directory)
    removed = found[:-keep]
    for p in removed:
        p.unlink(missing_ok=True)
    for p in Path(directory).glob(".step_*.pt.*.tmp"):
        p.unlink(missing_ok=True)
    return removed


def load_checkpoint(
    path: str | os.PathLike, map_location: str | torch.device = "cpu"
) -> dict[str, Any]:
    """Read a checkpoint with ``torch.load(weights_only=True)``.

    Args:
        path: A checkpoint file.
        map_location: Where to put its tensors (CPU by default; ``load_state_dict`` moves them).

    Returns:
        The checkpoint dict.

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        ValueError: If the file is not a readable checkpoint (truncated, or not made by
            audiogan), naming the file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as e:  # truncated files raise RuntimeError, pickle errors UnpicklingError
        raise ValueError(f"cannot read checkpoint {path}: {e}") from e
    if not isinstance(state, dict) or "generator" not in state or "step" not in state:
        raise ValueError(
            f"{path} is not an audiogan checkpoint (expected a dict with 'generator' and 'step')"
        )
    return state


# ----------------------------------------------------------------------------- modules


def module_spec(module: nn.Module, with_state: bool = True) -> dict[str, Any]:
    """Describe a module for a checkpoint's metadata: class name, ``config``, state.

    ``Trainer(frontend=...)`` stores its frontend this way, so that
    :func:`audiogan.train.generation.generate` rebuilds it from the checkpoint.

    Args:
        module: A module with a ``config`` dict of its constructor arguments.
        with_state: Also store its ``state_dict`` (e.g. normalization statistics).

    Returns:
        ``{"class": str, "config": dict | None, "state": dict[str, Tensor] | None}``.
    """
    config = getattr(module, "config", None)
    state = None
    if with_state and isinstance(module, nn.Module):
        state = {k: v.detach().cpu() for k, v in module.state_dict().items()} or None
    return {
        "class": class_name(module),
        "config": dict(config) if config is not None else None,
        "state": state,
    }


# ----------------------------------------------------------------------------- trainer state

CHECKPOINT_VERSION = 2


class CheckpointMismatchError(AudioganError, ValueError):
    """A checkpoint that is readable but does not fit the Trainer's models."""


def trainer_state(trainer: Trainer) -> dict[str, Any]:
    """Everything a Trainer checkpoint holds (tensors and plain values only)."""
    return {
        "version": CHECKPOINT_VERSION,
        "step": trainer.step,
        "epoch": trainer.epoch,
        "batch_in_epoch": trainer.batch_in_epoch,
        "critic_updates": trainer.critic_updates,
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
        # the augmentation's and the penalty's own state (ADA's p, LeCam's anchors), if any
        "augment": _part_state(getattr(trainer, "augment", None)),
        "penalty": _part_state(trainer.penalty),
        "rng": capture_rng_state(),
        "generator_class": class_name(trainer.generator),
        "generator_config": getattr(trainer.generator, "config", None),
        "critic_class": class_name(trainer.critic),
        "critic_config": getattr(trainer.critic, "config", None),
        "metadata": trainer.metadata,
        "history": trainer.history,
        "trainer": {
            "critic_steps": trainer.critic_steps,
            "critic_start": trainer.critic_start,
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
    for name in ("generator", "critic"):
        state[name] = upgrade_state_keys(state[name])
    if isinstance(state.get("ema"), dict) and isinstance(state["ema"].get("module"), dict):
        state["ema"]["module"] = upgrade_state_keys(state["ema"]["module"])
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
    players = {"generator": trainer.generator_player, "critic": trainer.critic_player}
    now = {model: _hyperparameters(player.optimizer) for model, player in players.items()}
    for model, player in players.items():
        player.optimizer.load_state_dict(state[f"{model}_optimizer"])
        name = f"{model}_scheduler"
        _load_scheduler(player.scheduler, state.get(name), name, path)
    changes = [line for model in MODELS for line in _settle_optimizer(trainer, model, now[model])]
    saved = upgrade_trainer_settings(state.get("trainer") or {})
    for setting in ("critic_steps", "critic_start"):  # the given one wins, else the saved one
        current = getattr(trainer, setting)
        kept = int(saved.get(setting, current))
        if kept == current:
            continue
        if setting in trainer.given_settings:
            changes.append(f"{setting} {kept} -> {current} (given)")
        else:
            changes.append(f"{setting} {kept} kept from the checkpoint (not given)")
            setattr(trainer, setting, kept)
    if changes:
        log.warning(
            "resuming from %s with settings that differ from the checkpoint's: %s",
            path,
            "; ".join(changes),
        )
    trainer.generator_scaler.load_state_dict(state["generator_scaler"])
    trainer.critic_scaler.load_state_dict(state["critic_scaler"])
    trainer.epoch_order.load_state_dict(state.get("epoch_order", {}))
    for part in ("augment", "penalty"):
        _load_part_state(getattr(trainer, part, None), state.get(part), part, path)
    trainer.step = int(state["step"])
    trainer.epoch = int(state["epoch"])
    trainer.batch_in_epoch = int(state.get("batch_in_epoch", 0))
    # runs made before issue 20 called the count "critic_steps" (today the Trainer's setting)
    trainer.critic_updates = int(state.get("critic_updates", state.get("critic_steps", 0)))
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
    player = trainer.generator_player if model == "generator" else trainer.critic_player
    optimizer, scheduler = player.optimizer, player.scheduler
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


def resume_or_seed(trainer: Trainer, resume: str | Path | bool | None) -> Path | None:
    """Start a ``fit``: restore a checkpoint into ``trainer``, or seed every RNG for a fresh run.

    Args:
        trainer: The trainer.
        resume: ``"auto"``/``True`` (the newest readable checkpoint in ``checkpoint_dir``, if
            any), a checkpoint path, or ``None``/``False`` (fresh).

    Returns:
        The checkpoint restored, or None for a fresh run.

    Raises:
        UnreadableCheckpointError: If the folder holds checkpoints but none can be read.
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


def _part_state(part: Any) -> dict[str, Any] | None:
    """The state of an augmentation or a penalty that has one (a module), else None."""
    return part.state_dict() if isinstance(part, torch.nn.Module) else None


def _load_part_state(part: Any, state: dict[str, Any] | None, name: str, path: Path) -> None:
    """Restore an augmentation's or a penalty's state where the checkpoint and the trainer both
    have one; one that does not fit (another kind of augment or penalty) starts afresh."""
    if not state or not isinstance(part, torch.nn.Module):
        return
    try:
        part.load_state_dict(state)
    except (RuntimeError, KeyError, ValueError) as e:
        warnings.warn(
            f"Trainer: the {name} state in {path} does not fit this trainer's "
            f"{type(part).__name__}; it starts afresh ({e})",
            UserWarning,
            stacklevel=4,
        )


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
