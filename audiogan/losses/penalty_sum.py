"""Several critic penalties as one, each on its own lazy interval."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

__all__ = ["Penalties"]


class Penalties(nn.Module):
    """The sum of several penalties, e.g. a gradient penalty and LeCam, for the Trainer's ``penalty``.

    The Trainer calls it on every critic step (its ``interval`` is 1); it counts its calls and
    applies each member on the calls where ``calls % member.interval == 0`` (each member's value
    is already multiplied by its interval). Members that are modules (with state, such as
    :class:`~audiogan.losses.LeCamPenalty`'s anchors) are submodules, so the Trainer's
    checkpoints keep their state; the call count is kept too.

    Args:
        penalties: Callables ``penalty(critic, real, fake, labels, scaler) -> ()``.

    Attributes:
        last_grad_norm: The first member's ``last_grad_norm`` that is set (the Trainer logs it).
        last_values: Each member's latest value (detached), by position.

    Example:
        >>> from audiogan.losses import GradientPenalty, LeCamPenalty
        >>> critic = nn.Sequential(nn.Flatten(), nn.Linear(16, 1), nn.Flatten(0))
        >>> both = Penalties(GradientPenalty(10.0), LeCamPenalty(0.01))
        >>> both(critic, torch.randn(8, 1, 4, 4), torch.randn(8, 1, 4, 4)).shape
        torch.Size([])
    """

    interval = 1

    def __init__(self, *penalties: Any) -> None:
        super().__init__()
        if not penalties:
            raise ValueError("Penalties: expected at least one penalty")
        for p in penalties:
            if not callable(p):
                raise ValueError(
                    f"Penalties: each must be callable(critic, real, fake, labels, scaler), got {p!r}"
                )
        self.members = list(penalties)
        self.stateful = nn.ModuleList([p for p in penalties if isinstance(p, nn.Module)])
        self.calls = 0
        self.last_values: list[torch.Tensor | None] = [None] * len(penalties)

    @property
    def input_gradients(self) -> bool:
        """Whether a member takes gradients with respect to the input (a gradient penalty)."""
        return any(getattr(p, "input_gradients", True) for p in self.members)

    @property
    def last_grad_norm(self) -> torch.Tensor | None:
        for p in self.members:
            norm = getattr(p, "last_grad_norm", None)
            if norm is not None:
                return norm
        return None

    def forward(
        self,
        critic: nn.Module,
        real: torch.Tensor,
        fake: torch.Tensor,
        labels: torch.Tensor | None = None,
        scaler: Any = None,
    ) -> torch.Tensor:
        """The sum of the members due on this call, on ``real`` and ``fake`` ``(batch, *features)``.

        Returns:
            A ``()`` tensor (0 when no member is due).
        """
        total = torch.zeros((), device=real.device)
        for i, penalty in enumerate(self.members):
            if self.calls % getattr(penalty, "interval", 1) == 0:
                value = penalty(critic, real, fake, labels, scaler)
                self.last_values[i] = value.detach()
                total = total + value
        self.calls += 1
        return total

    def get_extra_state(self) -> dict[str, Any]:
        return {"calls": self.calls}

    def set_extra_state(self, state: dict[str, Any]) -> None:
        self.calls = int(state.get("calls", 0))

    def __repr__(self) -> str:
        return "Penalties(" + ", ".join(repr(p) for p in self.members) + ")"
