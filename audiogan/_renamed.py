"""Old keyword names of public functions and constructors, accepted with a warning.

A rename of an argument (issue 20: ``n_per_class`` -> ``fakes_per_class``, ``base_channels`` ->
``width`` ...) keeps code written against the old name running: the call goes through with the
new name and a :class:`FutureWarning` says what to write instead. Functions name their renames
with :func:`renamed_arguments`; registered classes get the constructor renames of
:data:`audiogan._aliases.CONFIG_KEYS` from :func:`audiogan.registry.register`.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def renamed_arguments(
    renames: Mapping[str, str] | None = None, *, owner: str | None = None, **old_to_new: str
) -> Callable[[F], F]:
    """Decorator: accept each old keyword name as its new one, with a FutureWarning.

    Args:
        renames: ``{old name: new name}`` (or give them as keywords: ``n_per_class="fakes_per_class"``).
        owner: The name in messages (default: the function's, or the class's for ``__init__``).

    Returns:
        A decorator; the wrapped function keeps its signature (``inspect.signature`` follows
        ``__wrapped__``) and records the table in ``__renamed_arguments__``.

    Raises:
        TypeError: At a call, when both an old name and its new one are given.
    """
    table = {**dict(renames or {}), **old_to_new}

    def decorate(fn: F) -> F:
        name = owner or fn.__qualname__.removesuffix(".__init__")

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for old, new in table.items():
                if old not in kwargs:
                    continue
                if new in kwargs:
                    raise TypeError(
                        f"{name}: got {old}= and {new}=; {old} is the old name of {new}"
                    )
                warnings.warn(
                    f"{name}({old}=...) is now {name}({new}=...); the old name still works",
                    FutureWarning,
                    stacklevel=2,
                )
                kwargs[new] = kwargs.pop(old)
            return fn(*args, **kwargs)

        wrapper.__renamed_arguments__ = dict(table)  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate
