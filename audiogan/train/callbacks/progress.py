"""A tqdm progress bar over generator steps, with the latest losses in its postfix."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TextIO

import torch

from audiogan.train.callbacks.base import Callback

if TYPE_CHECKING:
    from audiogan.train.trainer import Trainer


def format_metrics(metrics: dict[str, Any], digits: int = 4) -> dict[str, str]:
    """Metrics as short strings for a postfix: numbers with ``digits`` significant digits."""
    out = {}
    for key, value in metrics.items():
        if isinstance(value, torch.Tensor) and value.numel() == 1:
            value = value.item()
        out[key] = (
            f"{value:.{digits}g}"
            if isinstance(value, (int, float)) and not isinstance(value, bool)
            else str(value)
        )
    return out


class ProgressBar(Callback):
    """Show training progress in steps, with ``trainer.metrics`` (critic_loss, generator_loss ...) beside it.

    Uses ``tqdm.auto`` (a widget in notebooks, text in terminals). On a resumed run the bar
    starts at the trainer's current step. Rank 0 only.

    Args:
        total: Steps of the whole run (default: ``trainer.total_steps`` when the trainer
            knows it, else an open-ended counter).
        every: Refresh the bar and its postfix every ``every`` steps.
        file: Where to draw (default: stderr).
        leave: Keep the finished bar on screen.
    """

    def __init__(
        self,
        total: int | None = None,
        every: int = 1,
        file: TextIO | None = None,
        leave: bool = True,
    ) -> None:
        super().__init__(every=every, unit="step", at_end=True)
        self.total = total
        self.file = file
        self.leave = leave
        self.bar: Any = None

    def on_fit_start(self, trainer: Trainer) -> None:
        if not getattr(trainer, "is_main_process", True):
            return
        from tqdm.auto import tqdm

        total = self.total if self.total is not None else getattr(trainer, "total_steps", None)
        self.close()
        self.bar = tqdm(
            total=total,
            initial=int(trainer.step),
            unit="step",
            dynamic_ncols=True,
            file=self.file,
            leave=self.leave,
            desc="train",
        )

    def run(self, trainer: Trainer) -> None:
        if self.bar is None:
            return
        postfix = {"epoch": str(int(trainer.epoch)), **format_metrics(dict(trainer.metrics))}
        self.bar.set_postfix(postfix, refresh=False)
        self.bar.update(int(trainer.step) - self.bar.n)  # draws the bar with the new postfix

    def on_fit_end(self, trainer: Trainer) -> None:
        super().on_fit_end(trainer)
        self.close()

    def close(self) -> None:
        """Close the bar (idempotent)."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None
