"""Fine-tuning: start a fresh Trainer from the weights of another run.

:func:`init_from` copies a trained run's generator (its EMA copy, where the run kept one) and
critic into a Trainer that has not trained yet; the optimizers, schedulers, step counts and
augmentation state stay fresh, so a fine-tuning run is a new run that starts from good weights
(``audiogan train RECIPE --init-from RUN``). The shapes are checked first: a parameter that
differs is an error naming it, except a class embedding (``nn.Embedding``, as in
:class:`~audiogan.nn.LabelEmbedding` and projection conditioning), which follows the class set:
rows of classes both runs know (by the class names in the checkpoints' metadata) are copied,
new classes keep the fresh model's rows. One-hot conditioning widens a layer by the number of
classes and cannot be resized that way.

:func:`freeze_critic_layers` freezes the critic's first layers (FreezeD, Mo et al. 2020): on a
few clips, the lower layers' generic features are kept and only the upper ones adapt.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from audiogan.errors import AudioganError
from audiogan.registry import upgrade_state_keys
from audiogan.train.checkpoints import (
    CheckpointMismatchError,
    class_name,
    load_checkpoint,
    run_checkpoint,
)

if TYPE_CHECKING:
    from audiogan.train.trainer import Trainer

__all__ = [
    "InitFromError",
    "InitReport",
    "freeze_critic_layers",
    "init_from",
    "init_from_command",
]

log = logging.getLogger(__name__)

_LAYERS = (nn.modules.conv._ConvNd, nn.Linear)


class InitFromError(AudioganError, ValueError):
    """Fine-tuning asked of a trainer that has trained already, or a bad layer count."""


@dataclass
class InitReport:
    """What :func:`init_from` did.

    Attributes:
        checkpoint: The checkpoint the weights came from.
        generator_weights: ``"ema"`` (the run's averaged generator) or ``"generator"``.
        resized: Class-embedding parameters fitted to the new class set.
        frozen: The critic's layers frozen (FreezeD).
    """

    checkpoint: Path
    generator_weights: str
    resized: list[str] = field(default_factory=list)
    frozen: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        text = f"initialized from {self.checkpoint} ({self.generator_weights} weights of G"
        if self.resized:
            text += f"; class embeddings fitted to the new classes: {', '.join(self.resized)}"
        if self.frozen:
            text += f"; critic layers frozen: {', '.join(self.frozen)}"
        return text + "); fresh optimizers, step 0"


def init_from(
    trainer: Trainer,
    source: str | Path,
    *,
    freeze_critic: int = 0,
    use_ema: bool = True,
) -> InitReport:
    """Load another run's weights into a trainer that has not trained yet.

    Args:
        trainer: A fresh :class:`~audiogan.train.Trainer` (step 0).
        source: A checkpoint file or a run folder (its newest readable checkpoint).
        freeze_critic: Freeze the critic's first ``freeze_critic`` convolution or linear layers
            (FreezeD); 0 freezes none.
        use_ema: Take the run's EMA generator when it has one (else its raw generator).

    Returns:
        An :class:`InitReport`; the trainer's ``metadata["init_from"]`` names the checkpoint.

    Raises:
        InitFromError: If the trainer has already trained, or ``freeze_critic`` is out of range.
        FileNotFoundError: If ``source`` holds no checkpoint.
        CheckpointMismatchError: Naming each parameter whose shape differs and cannot be
            resized (nothing is loaded then).

    Example:
        >>> from audiogan.losses import Wasserstein
        >>> from audiogan.nn import ConvCritic2d, ConvGenerator2d
        >>> from audiogan.train import Trainer
        >>> def make(out_dir, classes):
        ...     torch.manual_seed(0)
        ...     generator = ConvGenerator2d(8, (1, 16, 16), num_classes=len(classes), width=8,
        ...                                 num_upsamples=2)
        ...     critic = ConvCritic2d((1, 16, 16), num_classes=len(classes), width=4,
        ...                           num_downsamples=2)
        ...     return Trainer(generator, critic, Wasserstein(), weight_clip=0.01, device="cpu",
        ...                    out_dir=out_dir, metadata={"class_names": classes})
        >>> path = make("runs/base", ["dog", "siren"]).save_checkpoint()
        >>> report = init_from(make("runs/tuned", ["siren", "horn", "dog"]), path, freeze_critic=1)
        >>> report.generator_weights, len(report.resized) > 0, len(report.frozen)
        ('generator', True, 1)
    """
    if trainer.step != 0:
        raise InitFromError(
            f"init_from: the trainer has already trained {trainer.step} steps (it resumed a "
            "run?); fine-tuning starts a fresh run in a new out_dir"
        )
    path = run_checkpoint(source)
    state = load_checkpoint(path)
    ema_state = state.get("ema") if use_ema else None
    from_ema = isinstance(ema_state, Mapping) and isinstance(ema_state.get("module"), Mapping)
    generator_state = ema_state["module"] if from_ema else state["generator"]
    old_classes = (state.get("metadata") or {}).get("class_names")
    new_classes = trainer.metadata.get("class_names")
    parts = (
        ("generator", trainer.generator, upgrade_state_keys(dict(generator_state))),
        ("critic", trainer.critic, upgrade_state_keys(dict(state["critic"]))),
    )
    fitted, resized, problems = {}, [], []
    for name, module, theirs in parts:
        merged, changed, lines = _fit_state(module, theirs, old_classes, new_classes)
        fitted[name] = merged
        resized += [f"{name}.{k}" for k in changed]
        if lines:
            problems.append(
                f"the {name} {class_name(module)} differs from the checkpoint's "
                f"{state.get(f'{name}_class')}:\n    " + "\n    ".join(lines)
            )
    if problems:
        raise CheckpointMismatchError(
            f"cannot fine-tune from {path}: " + "; ".join(problems) + "\nonly class embeddings "
            "are resized to a new class set (one-hot conditioning widens a layer and cannot be)"
        )
    frozen = freeze_critic_layers(trainer.critic, freeze_critic)  # checks the count first
    with torch.no_grad():
        for name, module, _ in parts:
            module.load_state_dict(fitted[name])
    if trainer.ema is not None:  # the average starts at the loaded weights
        trainer.ema.module.load_state_dict(trainer.generator.state_dict())
        trainer.ema.num_updates = 0
    trainer.metadata["init_from"] = str(path)
    report = InitReport(path, "ema" if from_ema else "generator", resized, frozen)
    log.info("%s", report)
    return report


def init_from_command(
    trainer: Trainer, source: str | Path, freeze_critic: int, resumed: Path | None
) -> str:
    """What ``audiogan train RECIPE --init-from RUN [--freeze-critic N]`` does, in one line.

    A new run (``resumed`` is None) starts from ``source``'s weights (:func:`init_from`). A
    fine-tuning run that goes on resumes from its own checkpoint instead; only the freezing,
    which checkpoints do not hold, is applied again.
    """
    if resumed is None:
        return str(init_from(trainer, source, freeze_critic=freeze_critic))
    frozen = freeze_critic_layers(trainer.critic, freeze_critic)
    line = f"--init-from {source}: not needed, the run goes on from {resumed}"
    return line + (f"; critic layers frozen: {', '.join(frozen)}" if frozen else "")


def freeze_critic_layers(critic: nn.Module, count: int) -> list[str]:
    """Freeze the first ``count`` convolution or linear layers of a critic (FreezeD).

    Layers are taken in the order the critic registers them (its input side first in
    audiogan's critics); their parameters stop requiring gradients, so the optimizer leaves
    them as they are. Class embeddings are not layers here.

    Args:
        critic: The critic.
        count: How many layers to freeze (0: none).

    Returns:
        The frozen layers' names.

    Raises:
        InitFromError: If ``count`` is negative or more than the critic's layers.

    Example:
        >>> critic = nn.Sequential(nn.Conv2d(1, 4, 3), nn.LeakyReLU(), nn.Flatten(), nn.LazyLinear(1))
        >>> freeze_critic_layers(critic, 1), critic[0].weight.requires_grad
        (['0'], False)
    """
    layers = [(name, m) for name, m in critic.named_modules() if isinstance(m, _LAYERS)]
    if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= len(layers):
        raise InitFromError(
            f"freeze_critic: expected 0 to {len(layers)} (the layers of "
            f"{type(critic).__name__}), got {count!r}"
        )
    for _, layer in layers[:count]:
        layer.requires_grad_(False)
    return [name for name, _ in layers[:count]]


def _fit_state(
    module: nn.Module,
    theirs: Mapping[str, Any],
    old_classes: Sequence[str] | None,
    new_classes: Sequence[str] | None,
) -> tuple[dict[str, Any], list[str], list[str]]:
    """The checkpoint's state fitted to ``module``: ``(state, resized names, problems)``."""
    own = module.state_dict()
    embeddings = {
        f"{name}.weight" for name, m in module.named_modules() if isinstance(m, nn.Embedding)
    }
    merged, resized = dict(own), []
    problems = [f"{k}: missing from the checkpoint" for k in own if k not in theirs]
    problems += [f"{k}: in the checkpoint, not in the model" for k in theirs if k not in own]
    for key, mine in own.items():
        if key not in theirs:
            continue
        value = theirs[key]
        rows = _class_rows(mine, value, old_classes, new_classes) if key in embeddings else None
        if rows is not None:
            merged[key] = rows
            if rows.shape != value.shape or not torch.equal(rows, value):
                resized.append(key)
            continue
        if isinstance(value, torch.Tensor) and value.shape != mine.shape:
            problems.append(f"{key}: checkpoint {tuple(value.shape)}, model {tuple(mine.shape)}")
        else:
            merged[key] = value
    return merged, resized, problems


def _class_rows(
    mine: torch.Tensor,
    theirs: torch.Tensor,
    old_classes: Sequence[str] | None,
    new_classes: Sequence[str] | None,
) -> torch.Tensor | None:
    """A class embedding ``(num_classes, dim)`` for the new classes: the checkpoint's row of each
    class both know (by name), the fresh model's row for the others; None if the widths differ.
    """
    if mine.ndim != 2 or theirs.ndim != 2 or mine.shape[1] != theirs.shape[1]:
        return None
    if old_classes is None or new_classes is None:
        return theirs if theirs.shape == mine.shape else mine.clone()
    if len(old_classes) != theirs.shape[0] or len(new_classes) != mine.shape[0]:
        return None
    rows = mine.clone()
    where = {name: i for i, name in enumerate(old_classes)}
    for i, name in enumerate(new_classes):
        if name in where:
            rows[i] = theirs[where[name]]
    return rows
