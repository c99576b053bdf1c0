"""A training step's scalars: kept on the device, read together in the step's one host sync."""

from __future__ import annotations

import torch

from audiogan.train.distributed import all_reduce_min_tensor

__all__ = ["StepMetrics"]

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
