"""The base of audiogan's own errors: what a user got wrong, said in one line.

Every error audiogan raises about its input (a setting out of range, an unreadable audio or MIDI
file, a checkpoint of another model, a data file asking to run code) derives from
:class:`AudioganError`, so a program (the ``audiogan`` command among them) can catch the
library's errors apart from bugs and print their message alone. The subclasses also derive
from :class:`ValueError`, as they did before this base existed.

>>> from audiogan.errors import AudioganError
>>> from audiogan.recipes import ConfigError
>>> issubclass(ConfigError, AudioganError) and issubclass(ConfigError, ValueError)
True
"""

from __future__ import annotations

__all__ = ["AudioganError"]


class AudioganError(Exception):
    """An error in what audiogan was given; its message names the culprit in one line."""
