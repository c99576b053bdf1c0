"""A callback that saves a checkpoint every N steps or epochs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from audiogan.train.callbacks.base import Callback, Unit

if TYPE_CHECKING:
    from audiogan.train.trainer import Trainer

__all__ = ["CheckpointCallback"]


class CheckpointCallback(Callback):
    """Call :meth:`Trainer.save_checkpoint` every ``every`` steps or epochs (rank 0 only).

    Checkpoints go to ``out_dir/checkpoints/step_XXXXXXXX.pt``; the trainer keeps the newest
    ``keep_checkpoints`` of them and always writes one more when ``fit`` returns, so
    ``at_end`` is off by default.

    Args:
        every: Save every ``every`` units.
        unit: ``"step"`` or ``"epoch"``.
        at_end: Also save at the end of ``fit`` (the trainer already does).

    Example:
        >>> cb = CheckpointCallback(every=500, unit="step")
    """

    def __init__(self, every: int = 1, unit: Unit = "epoch", at_end: bool = False) -> None:
        super().__init__(every=every, unit=unit, at_end=at_end)

    def run(self, trainer: Trainer) -> None:
        trainer.save_checkpoint()
