"""The callback base: hooks that receive the Trainer, run every N steps or epochs."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from audiogan.train.trainer import Trainer

Unit = Literal["step", "epoch"]


class Callback:
    """Base class: override the hooks you need; each receives the :class:`Trainer`.

    ``every`` and ``unit`` say how often :meth:`run` fires: after every ``every``-th
    generator step (``unit="step"``) or epoch (``unit="epoch"``), and once more at the
    end of ``fit`` if the last step was not already covered (``at_end=True``).
    Subclasses usually implement only :meth:`run`.

    What a callback can read from the trainer: ``step`` (generator steps done),
    ``epoch`` (epochs done), ``metrics`` (latest scalar values, e.g. ``critic_loss``,
    ``generator_loss``, ``penalty``), ``history`` (one dict per step), ``out_dir``,
    ``is_main_process``, ``sampling_generator`` (EMA weights when present), ``device``.
    """

    def __init__(self, every: int = 1, unit: Unit = "epoch", at_end: bool = True) -> None:
        if every < 1:
            raise ValueError(f"{type(self).__name__}: every must be >= 1, got {every}")
        if unit not in ("step", "epoch"):
            raise ValueError(f"{type(self).__name__}: unit must be 'step' or 'epoch', got {unit!r}")
        self.every = every
        self.unit: Unit = unit
        self.at_end = at_end
        self._last_run: int | None = None  # trainer.step at the last run

    #: Only rank 0 runs callbacks with ``main_process_only`` (file writers); others run everywhere.
    main_process_only: bool = True

    def on_fit_start(self, trainer: Trainer) -> None:
        """Called once before the first step."""

    def on_step_end(self, trainer: Trainer) -> None:
        """Called after each generator step; fires :meth:`run` when due."""
        if self.unit == "step" and trainer.step % self.every == 0:
            self._fire(trainer)

    def on_epoch_end(self, trainer: Trainer) -> None:
        """Called after each epoch; fires :meth:`run` when due."""
        if self.unit == "epoch" and trainer.epoch % self.every == 0:
            self._fire(trainer)

    def on_fit_end(self, trainer: Trainer) -> None:
        """Called once after the last step (also after an interrupt); runs :meth:`run` unless it already ran at this step."""
        if self.at_end and self._last_run != trainer.step:
            self._fire(trainer)

    def run(self, trainer: Trainer) -> None:
        """The work of the callback. Override this."""

    def _fire(self, trainer: Trainer) -> None:
        self._last_run = trainer.step
        self.run(trainer)


class LambdaCallback(Callback):
    """Wrap any callable ``fn(trainer)`` as a callback.

    Example:
        >>> cb = LambdaCallback(lambda t: print(t.step), every=100, unit="step")
    """

    def __init__(
        self,
        fn: Callable[[Trainer], None],
        every: int = 1,
        unit: Unit = "epoch",
        at_end: bool = False,
        main_process_only: bool = True,
    ) -> None:
        super().__init__(every=every, unit=unit, at_end=at_end)
        self.fn = fn
        self.main_process_only = main_process_only

    def run(self, trainer: Trainer) -> None:
        self.fn(trainer)
