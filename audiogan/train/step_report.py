"""What a training step reports: its scalars, read in one host sync, and its NaN/inf guard.

:class:`StepMetrics` keeps a step's scalars on the device and reads them, with the guard's
flags and the stop request, in the step's one host sync.

NaN and infinite losses (:class:`LossGuard`): stop with an error naming the step and the loss,
or skip the update.

With ``on_nan="raise"`` (the default) training stops with an error that names the step and the
first bad update, without saving, so the last good checkpoint stays. On the CPU each loss is
checked before its update (reading a CPU tensor costs no device sync), so the weights in memory
never take a bad update. On an accelerator the losses are checked together in the step's one
host sync, after its updates (``defer=True``): the checkpoint on disk is the last good state,
the weights in memory may hold the bad update. With ``on_nan="skip"`` each loss is checked before
its update (a host sync per update on an accelerator) and a non-finite one skips the update and
is counted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import torch

from audiogan.protocols import CriticOutput
from audiogan.train.distributed import all_reduce_min_tensor

__all__ = ["LossGuard", "NonFiniteLossError", "StepMetrics", "mean_score"]

_FIRST = ("critic_loss", "generator_loss", "real_score", "fake_score", "penalty", "grad_norm")


class StepMetrics:
    """Collects a step's scalars as device tensors; :meth:`read` averages and fetches them.

    Example:
        >>> m = StepMetrics()
        >>> m.add("critic_loss", torch.tensor(1.0)); m.add("critic_loss", torch.tensor(3.0))
        >>> m.read([torch.tensor(True)])
        ({'critic_loss': 2.0}, [1.0])
    """

    def __init__(self) -> None:
        self._values: dict[str, list[torch.Tensor]] = {name: [] for name in _FIRST}

    def add(self, name: str, value: torch.Tensor) -> None:
        """Record one value ``()`` of ``name`` (the step reports the mean of its values)."""
        self._values.setdefault(name, []).append(value.detach().float())

    def read(self, flags: list[torch.Tensor]) -> tuple[dict[str, float], list[float]]:
        """The means of every recorded scalar, and ``flags`` reduced by minimum over ranks.

        This is the step's one host sync: scalars and flags travel in one tensor.

        Args:
            flags: Boolean device tensors ``()`` (e.g. "this loss is finite"), each agreed over
                ranks by a minimum (a flag is true only if it is true on every rank).

        Returns:
            ``({name: mean}, [flag as 0.0 or 1.0, ...])``.
        """
        means = {k: torch.stack(v).mean() for k, v in self._values.items() if v}
        agreed = all_reduce_min_tensor(torch.stack(flags).float())
        numbers = torch.cat([torch.stack(list(means.values())), agreed]).tolist()
        return dict(zip(means, numbers, strict=False)), numbers[len(means) :]


def mean_score(out: CriticOutput) -> torch.Tensor:
    """The mean score ``()`` of a critic's output, over the batch and the sub-critics (detached)."""
    return torch.stack([s.detach().float().mean() for s in out.scores]).mean()


log = logging.getLogger(__name__)


class NonFiniteLossError(FloatingPointError):
    """A loss became NaN or infinite. The message names the step and the loss."""


class LossGuard:
    """Watches the losses of a training step for NaN/inf.

    Args:
        on_nan: ``"raise"`` or ``"skip"``.
        defer: Check ``"raise"``-mode losses once per step (in the step's host sync) instead of
            before each update; the Trainer defers on accelerators, not on the CPU.

    Attributes:
        skipped: Updates skipped so far (``"skip"`` mode).
    """

    def __init__(self, on_nan: str, defer: bool = False) -> None:
        if on_nan not in ("raise", "skip"):
            raise ValueError(f"Trainer: on_nan must be 'raise' or 'skip', got {on_nan!r}")
        self.on_nan = on_nan
        self.defer = defer
        self.skipped = 0
        self.kept: Callable[[], Path | None] = lambda: None  # the newest good checkpoint
        self._watched: list[tuple[str, torch.Tensor, torch.Tensor, torch.Tensor | None]] = []

    def begin_step(self) -> None:
        """Forget the previous step's losses."""
        self._watched = []

    def allows(
        self,
        loss: torch.Tensor,
        what: str,
        main: torch.Tensor,
        penalty: torch.Tensor | None,
        step: int,
    ) -> bool:
        """Whether the update of ``loss`` may go ahead (``"skip"`` mode checks it now, on all ranks).

        Args:
            loss: The loss to be minimized ``()``.
            what: Names it in messages, e.g. ``"critic loss (critic step 2 of 5)"``.
            main: Its objective part ``()``. penalty: Its penalty part, or None.
            step: The step being taken (1-based), for messages.
        """
        entry = (what, loss.detach(), main.detach(), penalty)
        if self.on_nan == "raise" and self.defer:
            self._watched.append(entry)
            return True
        if bool(all_reduce_min_tensor(torch.isfinite(loss).all().float()) > 0):
            return True
        if self.on_nan == "raise":
            self._watched.append(entry)
            self.check([0.0] * len(self._watched), step)
        self.skipped += 1
        log.warning(
            "step %d: %s is %s; update skipped (%d so far)", step, what, loss.item(), self.skipped
        )
        return False

    def flags(self) -> list[torch.Tensor]:
        """One device flag per watched loss: finite or not (read in the step's host sync)."""
        return [torch.isfinite(loss).all() for _, loss, _, _ in self._watched]

    def check(self, finite: list[float], step: int) -> None:
        """Raise for the first watched loss whose flag (all-reduced over ranks) is 0.

        Args:
            finite: One flag per watched loss, 1.0 if finite on every rank.
            step: The step (1-based), for the message.

        Raises:
            NonFiniteLossError: Naming the step, the loss and its parts, and the checkpoint kept.
        """
        for (what, loss, main, penalty), ok in zip(self._watched, finite, strict=True):
            if ok > 0.5:
                continue
            kept = self.kept()
            parts = f"loss={main.item()}" + (
                "" if penalty is None else f", penalty={penalty.item()}"
            )
            raise NonFiniteLossError(
                f"step {step}: the {what} is {loss.item()} ({parts}); training stopped without "
                f"saving, so the last good checkpoint is kept ({kept if kept else 'none written yet'}). "
                "Lower the learning rates, use precision='32' or pass on_nan='skip' to skip such updates."
            )
