"""Stop signals during training: finish the step, save a checkpoint, return.

While :class:`StopRequest` is active (the Trainer's ``fit``), SIGINT (Ctrl-C) and SIGTERM (what
SLURM, Kubernetes and ``make`` send before killing a job) do not kill the process:

1. the first signal asks the loop to stop after the current step; ``fit`` then writes its final
   checkpoint and returns, so a stop loses at most the step in progress, however rarely
   checkpoints are written otherwise;
2. a second signal while that checkpoint is being written (:meth:`StopRequest.protect`) is
   noted and the write finishes: the run is never left without it; a second signal at any other
   time aborts at once with ``KeyboardInterrupt`` (the last checkpoint written stays);
3. a third signal aborts even a checkpoint write (the write is atomic: the previous checkpoint
   stays intact).

Outside the main thread signal handlers cannot be installed, and signals behave as usual.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Iterator
from types import FrameType, TracebackType
from typing import Any

__all__ = ["STOP_SIGNALS", "StopRequest"]

log = logging.getLogger(__name__)

#: The signals that ask a training run to stop.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopRequest:
    """A context manager that turns stop signals into a request to stop after the step.

    Attributes:
        requested: True once a stop signal arrived (or :meth:`request` was called).
        signals: Stop signals received while active.
    """

    def __init__(self) -> None:
        self.requested = False
        self.signals = 0
        self._saving = False
        self._previous: dict[int, Any] = {}

    @property
    def saving(self) -> bool:
        """True inside :meth:`protect` (while the final checkpoint is written)."""
        return self._saving

    def request(self) -> None:
        """Ask the loop to stop after the current step, as a stop signal does."""
        self.requested = True

    @contextlib.contextmanager
    def protect(self) -> Iterator[None]:
        """Within this block (the final checkpoint write) a second signal waits for the end."""
        self._saving = True
        try:
            yield
        finally:
            self._saving = False

    def _handler(self, signum: int, frame: FrameType | None) -> None:
        self.signals += 1
        name = signal.Signals(signum).name
        if self.signals == 1:
            self.requested = True
            log.warning(
                "%s: stopping after this step and saving a checkpoint (send it again to abort)",
                name,
            )
        elif self.signals == 2 and self._saving:
            log.warning("%s: writing the final checkpoint first (once more to abort)", name)
        else:
            self._restore()
            raise KeyboardInterrupt

    def _restore(self) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)
        self._previous = {}

    def __enter__(self) -> StopRequest:
        self.requested = False
        self.signals = 0
        if threading.current_thread() is threading.main_thread():
            for signum in STOP_SIGNALS:
                self._previous[signum] = signal.getsignal(signum)
                signal.signal(signum, self._handler)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._restore()
