"""Ctrl-C during training: finish the current step, save a checkpoint, return.

While :class:`StopRequest` is active (the Trainer's ``fit``), the first SIGINT only sets a flag
that the loop reads after each step; a second SIGINT aborts at once with ``KeyboardInterrupt``.
Outside the main thread signal handlers cannot be installed, and Ctrl-C behaves as usual.
"""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType, TracebackType
from typing import Any

__all__ = ["StopRequest"]

log = logging.getLogger(__name__)


class StopRequest:
    """A context manager that turns the first Ctrl-C into a request to stop after the step.

    Attributes:
        requested: True once Ctrl-C was pressed (or :meth:`request` was called).
    """

    def __init__(self) -> None:
        self.requested = False
        self._previous: Any = None
        self._installed = False

    def request(self) -> None:
        """Ask the loop to stop after the current step, as Ctrl-C does."""
        self.requested = True

    def _handler(self, signum: int, frame: FrameType | None) -> None:
        if self.requested:  # the second Ctrl-C aborts now
            signal.signal(signal.SIGINT, self._previous)
            raise KeyboardInterrupt
        self.requested = True
        log.warning(
            "Ctrl-C: stopping after this step and saving a checkpoint (Ctrl-C again to abort)"
        )

    def __enter__(self) -> StopRequest:
        self.requested = False
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.getsignal(signal.SIGINT)
            signal.signal(signal.SIGINT, self._handler)
            self._installed = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, self._previous)
            self._installed = False
