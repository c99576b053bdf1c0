"""One side of the game: a module with its optimizer, learning-rate scheduler and gradient scaler.

The Trainer holds two :class:`Player` objects, the generator's and the critic's, so a training
step says what it updates (``self.critic_player.update(loss)``). The Trainer takes, for each
model, an optimizer (``None`` for Adam, an instance over the model's own parameters, or a factory
``params -> Optimizer``) and optionally a scheduler (an instance over that optimizer, or a factory
``optimizer -> LRScheduler``); :func:`make_optimizer` and :func:`make_scheduler` resolve the three
forms and say clearly what was wrong when an argument does not fit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.optim.lr_scheduler import LRScheduler

from audiogan.train.ema import EMA

__all__ = [
    "OptimizerArg",
    "Player",
    "SchedulerArg",
    "apply_update",
    "make_optimizer",
    "make_scheduler",
]

#: An optimizer over the model's parameters, a factory ``params -> Optimizer``, or None (Adam).
OptimizerArg = (
    torch.optim.Optimizer | Callable[[Iterable[nn.Parameter]], torch.optim.Optimizer] | None
)
#: A scheduler over the model's optimizer, a factory ``optimizer -> LRScheduler``, or None.
SchedulerArg = LRScheduler | Callable[[torch.optim.Optimizer], LRScheduler] | None


@dataclass(eq=False)
class Player:
    """A module and everything that updates it: optimizer, scheduler, gradient scaler.

    Args:
        module: The generator or the critic.
        optimizer: The optimizer over ``module``'s parameters.
        scheduler: Its learning-rate scheduler (stepped once per generator step), or None.
        scaler: A GradScaler (enabled under fp16 only; otherwise it changes nothing).
        grad_clip: Max global gradient norm, or None.
        weight_clip: Clamp the parameters to ``[-c, c]`` after each update (a WGAN critic), or
            None.
        ema: An :class:`~audiogan.train.ema.EMA` of ``module`` updated after each update (the
            generator's), or None.

    Example:
        >>> net = nn.Linear(2, 1)
        >>> player = Player(net, torch.optim.SGD(net.parameters(), lr=1.0), None,
        ...                 torch.amp.GradScaler("cpu", enabled=False))
        >>> player.update(net.weight.sum())  # d(sum w)/dw = 1: each weight drops by lr
        >>> player.learning_rate
        1.0
    """

    module: nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: LRScheduler | None
    scaler: torch.amp.GradScaler
    grad_clip: float | None = None
    weight_clip: float | None = None
    ema: EMA | None = None

    @classmethod
    def build(
        cls,
        name: str,
        module: nn.Module,
        optimizer: OptimizerArg,
        scheduler: SchedulerArg,
        lr: float,
        betas: tuple[float, float],
        scaler: torch.amp.GradScaler,
        **options: Any,
    ) -> Player:
        """A player from the Trainer's arguments (:func:`make_optimizer`, :func:`make_scheduler`).

        Args:
            name: ``"generator"`` or ``"critic"``, for messages (``"critic_optimizer"`` ...).
            module: The model.
            optimizer: ``None`` (Adam), an optimizer over ``module`` or a factory.
            scheduler: ``None``, a scheduler over that optimizer or a factory.
            lr: Learning rate of the default Adam.
            betas: Betas of the default Adam.
            scaler: The model's GradScaler.
            **options: ``grad_clip``, ``weight_clip``, ``ema``.
        """
        opt = make_optimizer(optimizer, module, lr, betas, f"{name}_optimizer")
        sched = make_scheduler(scheduler, opt, f"{name}_scheduler")
        return cls(module, opt, sched, scaler, **options)

    def update(self, loss: torch.Tensor) -> None:
        """One optimizer step on ``loss`` ``()``, then the weight clipping and the EMA update."""
        apply_update(loss, self.optimizer, self.scaler, self.module.parameters(), self.grad_clip)
        if self.weight_clip is not None:
            with torch.no_grad():
                for p in self.module.parameters():
                    p.clamp_(-self.weight_clip, self.weight_clip)
        if self.ema is not None:
            self.ema.update(self.module)

    def step_schedule(self) -> None:
        """Advance the learning-rate schedule by one generator step (nothing without one)."""
        if self.scheduler is not None:
            self.scheduler.step()

    @property
    def learning_rate(self) -> float:
        """The current learning rate (of the first parameter group)."""
        if self.scheduler is not None:
            return float(self.scheduler.get_last_lr()[0])
        return float(self.optimizer.param_groups[0]["lr"])


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
