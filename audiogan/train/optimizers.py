"""Optimizers and learning-rate schedulers for the generator and the critic.

The Trainer takes, for each model, an optimizer (``None`` for Adam, an instance over the model's
own parameters, or a factory ``params -> Optimizer``) and optionally a scheduler (an instance over
that optimizer, or a factory ``optimizer -> LRScheduler``). These helpers resolve the three forms
and say clearly what was wrong when an argument does not fit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import nn
from torch.optim.lr_scheduler import LRScheduler

__all__ = ["OptimizerArg", "SchedulerArg", "apply_update", "make_optimizer", "make_scheduler"]

#: An optimizer over the model's parameters, a factory ``params -> Optimizer``, or None (Adam).
OptimizerArg = (
    torch.optim.Optimizer | Callable[[Iterable[nn.Parameter]], torch.optim.Optimizer] | None
)
#: A scheduler over the model's optimizer, a factory ``optimizer -> LRScheduler``, or None.
SchedulerArg = LRScheduler | Callable[[torch.optim.Optimizer], LRScheduler] | None


def make_optimizer(
    arg: OptimizerArg, module: nn.Module, lr: float, betas: tuple[float, float], name: str
) -> torch.optim.Optimizer:
    """Adam(lr, betas) by default; an optimizer instance as is; a factory called on the parameters.

    Args:
        arg: ``None``, an optimizer, or a factory ``params -> Optimizer``.
        module: The model it optimizes.
        lr: Learning rate of the default Adam.
        betas: Betas of the default Adam.
        name: The Trainer argument, for messages (``"generator_optimizer"``, ``"critic_optimizer"``).

    Raises:
        ValueError: If an instance holds parameters of another module, or a factory returns
            something that is not an optimizer.
    """
    model = name.removesuffix("_optimizer")
    if arg is None:
        return torch.optim.Adam(module.parameters(), lr=lr, betas=betas)
    if isinstance(arg, torch.optim.Optimizer):
        owned = {id(p) for p in module.parameters()}
        theirs = [p for group in arg.param_groups for p in group["params"]]
        if not theirs or any(id(p) not in owned for p in theirs):
            raise ValueError(
                f"Trainer: {name} must optimize the {model}'s own parameters; it holds parameters "
                "of another module"
            )
        return arg
    if callable(arg):
        opt = arg(module.parameters())
        if not isinstance(opt, torch.optim.Optimizer):
            raise ValueError(
                f"Trainer: the {name} factory must return a torch.optim.Optimizer, "
                f"got {type(opt).__name__}"
            )
        return opt
    raise ValueError(
        f"Trainer: {name} must be None, an Optimizer or a callable params -> Optimizer, "
        f"got {type(arg).__name__}"
    )


def make_scheduler(
    arg: SchedulerArg, optimizer: torch.optim.Optimizer, name: str
) -> LRScheduler | None:
    """A learning-rate scheduler over ``optimizer``, or None.

    Args:
        arg: ``None``, a scheduler built over ``optimizer``, or a factory ``optimizer -> scheduler``
            (e.g. ``lambda opt: torch.optim.lr_scheduler.ExponentialLR(opt, 0.999)``).
        optimizer: The optimizer it schedules (the Trainer's, after :func:`make_optimizer`).
        name: The Trainer argument, for messages.

    Raises:
        ValueError: If an instance schedules another optimizer, or a factory returns something
            without ``step``/``state_dict``/``load_state_dict``.
    """
    if arg is None:
        return None
    sched: Any = arg
    if not _is_scheduler(arg):
        if not callable(arg):
            raise ValueError(
                f"Trainer: {name} must be None, an LRScheduler or a callable optimizer -> "
                f"LRScheduler, got {type(arg).__name__}"
            )
        sched = arg(optimizer)
        if not _is_scheduler(sched):
            raise ValueError(
                f"Trainer: the {name} factory must return a learning-rate scheduler (step, "
                f"state_dict, load_state_dict), got {type(sched).__name__}"
            )
    if getattr(sched, "optimizer", optimizer) is not optimizer:
        raise ValueError(
            f"Trainer: {name} schedules another optimizer; build it over the Trainer's optimizer "
            "or pass a factory optimizer -> scheduler"
        )
    return sched


def apply_update(
    loss: torch.Tensor,
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler,
    params: Iterable[nn.Parameter],
    grad_clip: float | None = None,
) -> None:
    """``zero_grad``, backward (scaled under fp16), optional global-norm clipping, ``step``.

    Args:
        loss: The ``()`` loss to minimize.
        optimizer: The optimizer of ``params``.
        scaler: A GradScaler (disabled outside fp16: then it changes nothing).
        params: The parameters to clip.
        grad_clip: Max global gradient norm, or None.
    """
    optimizer.zero_grad(set_to_none=True)
    scaler.scale(loss).backward()
    if grad_clip is not None:
        scaler.unscale_(optimizer)
        torch.nn.utils.clip_grad_norm_(params, grad_clip)
    scaler.step(optimizer)
    scaler.update()


def _is_scheduler(obj: object) -> bool:
    return (
        isinstance(obj, LRScheduler)
        or all(callable(getattr(obj, m, None)) for m in ("step", "state_dict", "load_state_dict"))
        and hasattr(obj, "optimizer")
    )
