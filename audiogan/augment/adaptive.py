"""Adaptive augmentation (ADA, Karras et al. 2020): the probability follows the critic's overfitting.

The critic's outputs on the real batches it trains on tell how much it overfits:
``r_t = E[sign(D(real))]`` is near 0 while it cannot tell training clips from fakes and near 1
once it has memorised them. Every ``interval`` critic batches the probability ``p`` of every
transform moves by a fixed step toward keeping ``r_t`` at ``target`` (StyleGAN2-ADA's
``training_loop.py``)::

    p <- clamp(p + sign(r_t - target) * images / (kimg * 1000), 0, max_p)

where ``images`` is the number of real clips seen in the interval (batch × interval), so ``p``
can go from 0 to 1 in ``kimg`` thousand clips. ``p`` and the running sums are buffers: they are
in :meth:`~torch.nn.Module.state_dict`, so a checkpoint holds them and a resumed run goes on
exactly. Under ``torch.distributed`` the sums are added over the processes before each
adjustment, as StyleGAN2-ADA does.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

import torch
import torch.distributed as dist
from torch import nn

from audiogan.augment.pipeline import Augment
from audiogan.augment.transform import Transform, apply_one_draw, check_probability

__all__ = ["AdaptiveAugment"]

Signal = Literal["sign", "midpoint"]


class AdaptiveAugment(nn.Module):
    """An :class:`~audiogan.augment.Augment` whose probability is steered by the critic.

    Every transform is applied with the one adaptive probability :attr:`p` (their own ``p`` is
    not used). The Trainer calls :meth:`observe` with the critic's scores after each critic
    batch; outside a Trainer, call it yourself.

    Args:
        augment: The pipeline, or its transforms.
        target: The value of the overfitting signal to hold (ADA: 0.6).
        interval: Critic batches between adjustments (ADA: 4).
        kimg: Thousands of real clips over which ``p`` can rise from 0 to 1 (ADA: 500, for
            runs of millions of images; CPU runs of ~100k clips want tens).
        p: The starting probability (ADA: 0).
        max_p: The largest probability.
        signal: ``"sign"``: ADA's ``r_t = E[sign(D(real))]``, for critics whose scores are
            logits centred on 0 (non-saturating, hinge). ``"midpoint"``: ``E[sign(D(real) - m)]``
            with ``m`` the midpoint of the batch's mean real and mean fake scores; it does not
            change when a constant is added to every score, as a Wasserstein critic's scores
            allow (0 when the critic cannot separate real from fake, 1 when it always does).

    Attributes:
        p: The current probability, a ``()`` tensor (``float(ada.p)`` to read it).
        last_signal: The signal of the last completed interval, a ``()`` tensor (0 before).

    Example:
        >>> from audiogan.augment import Augment, TimeShift
        >>> ada = AdaptiveAugment(Augment([TimeShift(0.125)]), target=0.6, interval=1, kimg=1)
        >>> for _ in range(10):  # a critic that separates: every real score positive
        ...     ada.observe(torch.ones(50))
        >>> round(float(ada.p), 3)  # 10 steps of 50 / 1000
        0.5
    """

    def __init__(
        self,
        augment: Augment | Sequence[Transform],
        *,
        target: float = 0.6,
        interval: int = 4,
        kimg: float = 500.0,
        p: float = 0.0,
        max_p: float = 1.0,
        signal: Signal = "sign",
    ) -> None:
        super().__init__()
        self.augment = augment if isinstance(augment, Augment) else Augment(augment)
        if not (isinstance(target, (int, float)) and -1.0 <= target <= 1.0):
            raise ValueError(f"AdaptiveAugment: target must be in [-1, 1], got {target!r}")
        if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
            raise ValueError(f"AdaptiveAugment: interval must be an integer >= 1, got {interval!r}")
        if not (isinstance(kimg, (int, float)) and math.isfinite(kimg) and kimg > 0):
            raise ValueError(f"AdaptiveAugment: kimg must be a number > 0, got {kimg!r}")
        if signal not in ("sign", "midpoint"):
            raise ValueError(
                f"AdaptiveAugment: signal must be 'sign' or 'midpoint', got {signal!r}"
            )
        self.max_p = check_probability(max_p, "AdaptiveAugment")
        if check_probability(p, "AdaptiveAugment") > self.max_p:
            raise ValueError(f"AdaptiveAugment: p={p} is above max_p={max_p}")
        self.target, self.interval, self.kimg = float(target), interval, float(kimg)
        self.signal = signal
        self.register_buffer("p", torch.tensor(float(p)))
        self.register_buffer("last_signal", torch.tensor(0.0))
        # running sums of the current interval: signs, their count, real clips seen
        self.register_buffer("sums", torch.zeros(3))
        self.observations = 0  # critic batches observed (resume: in the extra state)

    def forward(
        self, *tensors: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor | tuple[torch.Tensor, ...]:
        """Augment with probability :attr:`p`: one draw applied to each tensor ``(batch, ...)``."""
        return apply_one_draw(self.augment, tensors, generator, p=self.p)

    @torch.no_grad()
    def observe(
        self,
        real_scores: torch.Tensor | Sequence[torch.Tensor],
        fake_scores: torch.Tensor | Sequence[torch.Tensor] | None = None,
    ) -> None:
        """Add one critic batch's scores to the signal; adjust :attr:`p` every ``interval`` calls.

        Args:
            real_scores: The critic's scores on the (augmented) real batch, ``(batch,)`` or
                ``(batch, ...)``, or one such tensor per sub-critic of an ensemble.
            fake_scores: The same on the fake batch (needed by ``signal="midpoint"``).
        """
        reals = _as_list(real_scores)
        if self.signal == "sign":
            signs = [torch.sign(r.float()).flatten() for r in reals]
        else:
            if fake_scores is None:
                raise ValueError("AdaptiveAugment: signal='midpoint' needs the fake scores too")
            fakes = _as_list(fake_scores)
            if len(fakes) != len(reals):
                raise ValueError(
                    f"AdaptiveAugment: {len(reals)} real score tensors but {len(fakes)} fake"
                )
            signs = [
                torch.sign(r.float() - (r.float().mean() + f.float().mean()) / 2).flatten()
                for r, f in zip(reals, fakes, strict=True)
            ]
        signs_all = torch.cat(signs).to(self.sums.device)
        batch = float(reals[0].shape[0]) if reals[0].ndim else 1.0
        self.sums[0] += signs_all.sum()  # on the device: no host sync
        self.sums[1] += signs_all.numel()
        self.sums[2] += batch
        self.observations += 1
        if self.observations % self.interval == 0:
            self._adjust()

    def _adjust(self) -> None:
        """ADA's step: ``p += sign(r_t - target) * images / (kimg * 1000)``, then reset the sums."""
        sums = self.sums.clone()
        if dist.is_available() and dist.is_initialized():
            dist.all_reduce(sums)  # every process's signs and clips
        signal = sums[0] / sums[1].clamp(min=1.0)
        step = torch.sign(signal - self.target) * sums[2] / (self.kimg * 1000.0)
        self.p.copy_((self.p + step).clamp(0.0, self.max_p))
        self.last_signal.copy_(signal)
        self.sums.zero_()

    def get_extra_state(self) -> dict[str, Any]:
        return {"observations": self.observations}

    def set_extra_state(self, state: dict[str, Any]) -> None:
        self.observations = int(state.get("observations", 0))

    def extra_repr(self) -> str:
        return (
            f"target={self.target}, interval={self.interval}, kimg={self.kimg}, "
            f"max_p={self.max_p}, signal={self.signal!r}"
        )


def _as_list(scores: torch.Tensor | Sequence[torch.Tensor]) -> list[torch.Tensor]:
    items = [scores] if isinstance(scores, torch.Tensor) else list(scores)
    if not items or not all(isinstance(s, torch.Tensor) for s in items):
        raise ValueError(
            "AdaptiveAugment.observe: expected scores (batch, ...) or one tensor per sub-critic"
        )
    return [s.detach() for s in items]
