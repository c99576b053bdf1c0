"""Exponential moving average of a generator's weights, used for sampling."""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import nn

__all__ = ["EMA"]


class EMA:
    """A frozen copy of a module whose weights track ``decay``-weighted averages of the original's.

    After each generator step, ``ema.update(generator)`` sets every floating-point parameter to
    ``d * ema + (1 - d) * current`` and copies the buffers (e.g. BatchNorm running
    statistics) as they are. The averaged copy, :attr:`module`, stays in eval mode with
    ``requires_grad=False``; samples drawn from it are usually smoother than from the raw
    generator (Karras et al. 2018; Yazıcı et al. 2019).

    With ``warmup`` the decay of update ``n`` (counting from 0) is ``d = min(decay, (1 + n) /
    (10 + n))``, so the copy follows the fast-changing early generator instead of averaging in
    its random initial weights for thousands of steps; without it ``d = decay``.

    Args:
        module: The generator to track (copied with ``copy.deepcopy``; not modified).
        decay: Weight of the running average per update, in ``[0, 1)`` (0.999 is common).
        warmup: Ramp the decay up from 0.1 as above.

    Example:
        >>> g = torch.nn.Linear(2, 2)
        >>> ema = EMA(g, decay=0.9)
        >>> _ = torch.nn.init.zeros_(g.weight)
        >>> ema.update(g)
    """

    def __init__(self, module: nn.Module, decay: float = 0.999, warmup: bool = True) -> None:
        if not 0.0 <= float(decay) < 1.0:
            raise ValueError(f"EMA: decay must be in [0, 1), got {decay}")
        self.decay = float(decay)
        self.warmup = bool(warmup)
        self.module = copy.deepcopy(module).eval()
        self.module.requires_grad_(False)
        self.num_updates = 0

    @torch.no_grad()
    def update(self, module: nn.Module) -> None:
        """Move the average toward ``module``'s current weights (same architecture as the copy).

        Raises:
            ValueError: If ``module`` has different parameter or buffer names than the copy.
        """
        ema_params = dict(self.module.named_parameters())
        params = dict(module.named_parameters())
        if ema_params.keys() != params.keys():
            raise ValueError(
                f"EMA.update: {type(module).__name__} has parameters {sorted(params)[:4]}..., "
                f"the averaged copy has {sorted(ema_params)[:4]}...; pass the module the EMA was built from"
            )
        float_pairs = [(ema_params[k], p) for k, p in params.items() if p.is_floating_point()]
        if float_pairs:
            targets = [e for e, _ in float_pairs]
            sources = [p.detach().to(e.dtype) for e, p in float_pairs]
            torch._foreach_lerp_(targets, sources, 1.0 - self.current_decay())
        for k, p in params.items():
            if not p.is_floating_point():
                ema_params[k].copy_(p)
        ema_buffers = dict(self.module.named_buffers())
        for k, b in module.named_buffers():
            if k in ema_buffers:
                ema_buffers[k].copy_(b)
        self.num_updates += 1

    def current_decay(self) -> float:
        """The decay the next :meth:`update` uses (see the class docstring)."""
        if not self.warmup:
            return self.decay
        n = self.num_updates
        return min(self.decay, (1.0 + n) / (10.0 + n))

    def to(self, device: torch.device | str) -> EMA:
        """Move the averaged copy to ``device``; returns self."""
        self.module.to(device)
        return self

    def state_dict(self) -> dict[str, Any]:
        """The averaged weights, the decay and the number of updates."""
        return {
            "module": self.module.state_dict(),
            "decay": self.decay,
            "warmup": self.warmup,
            "num_updates": self.num_updates,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned."""
        self.module.load_state_dict(state["module"])
        self.decay = float(state["decay"])
        self.warmup = bool(state.get("warmup", False))
        self.num_updates = int(state["num_updates"])

    def __repr__(self) -> str:
        return (
            f"EMA({type(self.module).__name__}, decay={self.decay}, warmup={self.warmup}, "
            f"num_updates={self.num_updates})"
        )
