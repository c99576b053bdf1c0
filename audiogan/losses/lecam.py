"""LeCam regularization of the critic (Tseng et al. 2021), for GANs trained on little data.

The critic's scores are pulled toward moving anchors: its scores on real data toward the
running mean of its past fake scores, and its scores on fakes toward the running mean of its
past real scores. A critic that drifts apart on a small training set (memorising it) pays for
it, which keeps its predictions in the range where the generator still learns. As in the
authors' code (``google/lecam-gan``, ``lecam_reg`` in ``biggan_cifar/losses.py`` and
``stylegan2/lecam_loss.py``), the anchors are exponential moving averages (decay 0.99) of the
batch means, updated with the current batch before the penalty uses them, and each term is
one-sided::

    penalty = weight * (mean(relu(D(real) - anchor_fake)²) + mean(relu(anchor_real - D(fake))²))

(the paper's formula, without the ``relu``, is ``one_sided=False``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from audiogan.losses.ensemble import as_critic_output
from audiogan.losses.weighted_penalty import WeightedPenalty

__all__ = ["LeCamPenalty", "lecam_penalty"]


def lecam_penalty(
    real_scores: torch.Tensor,
    fake_scores: torch.Tensor,
    anchor_real: torch.Tensor | float,
    anchor_fake: torch.Tensor | float,
    *,
    one_sided: bool = True,
) -> torch.Tensor:
    """The LeCam penalty of scores against given anchors (unweighted), functional form.

    Args:
        real_scores: The critic's scores on real data ``(batch,)`` (or ``(batch, ...)``).
        fake_scores: Its scores on fakes, same layout.
        anchor_real: The anchor of the real scores (a running mean), pulled on by the fakes.
        anchor_fake: The anchor of the fake scores, pulled on by the reals.
        one_sided: The authors' code (True): only reals above ``anchor_fake`` and fakes below
            ``anchor_real`` pay. False: the paper's two-sided squared distances.

    Returns:
        ``mean(relu(real - anchor_fake)²) + mean(relu(anchor_real - fake)²)``, a ``()`` tensor
        in at least float32.

    Example:
        >>> lecam_penalty(torch.tensor([2.0, 0.0]), torch.tensor([-1.0, 1.0]), 1.0, 0.5)
        tensor(3.1250)
    """
    real = real_scores.float() - anchor_fake
    fake = anchor_real - fake_scores.float()
    if one_sided:
        real, fake = torch.relu(real), torch.relu(fake)
    return real.square().mean() + fake.square().mean()


class LeCamPenalty(WeightedPenalty):
    """LeCam regularization as a critic penalty, beside :class:`~audiogan.losses.GradientPenalty`.

    A penalty with the :class:`~audiogan.protocols.Penalty` signature: it runs the critic on
    ``real`` and ``fake`` (the Trainer passes its augmented batches), updates the anchors with
    the batch means of the scores, and returns ``interval · weight ·`` :func:`lecam_penalty`.
    The first call sets the anchors to that batch's means. Over a critic ensemble
    (:class:`~audiogan.protocols.CriticOutput`) each sub-critic has its own pair of anchors and
    the penalties are summed, like the objective. The anchors are buffers: a Trainer keeps them
    in its checkpoints. To use it with a gradient penalty, pass both:
    ``Trainer(..., penalty=Penalties(GradientPenalty(10.0), LeCamPenalty(0.01)))``.

    Args:
        weight: λ (the authors: 0.3 for BigGAN on CIFAR with 10-20 % of the data, 0.01 for
            StyleGAN2 with ADA, both with logit-scale hinge or non-saturating losses). A
            Wasserstein critic's scores are unbounded and the penalty grows with their square:
            start far lower there (in 30 steps of the ``wgan-gp`` recipe, 0.3 took the critic's
            loss from -43 to -1.1).
        decay: The anchors' EMA decay (0.99 in the authors' code).
        one_sided: The authors' code (True), or the paper's two-sided formula (False).
        interval: Apply every ``interval`` critic steps; the value is multiplied by it.

    Attributes:
        anchor_real, anchor_fake: The running means, one entry per sub-critic (empty before
            the first call).
        input_gradients: False: no gradient with respect to the input is taken (so the
            Trainer's BatchNorm and Lipschitz warnings for gradient penalties do not apply).

    Example:
        >>> critic = nn.Sequential(nn.Flatten(), nn.Linear(16, 1), nn.Flatten(0))
        >>> lecam = LeCamPenalty(weight=0.3)
        >>> real, fake = torch.randn(8, 1, 4, 4), torch.randn(8, 1, 4, 4)
        >>> lecam(critic, real, fake).shape, lecam.anchor_real.shape
        (torch.Size([]), torch.Size([1]))
    """

    input_gradients = False

    def __init__(
        self, weight: float = 0.3, decay: float = 0.99, one_sided: bool = True, interval: int = 1
    ) -> None:
        if not isinstance(weight, (int, float)):
            raise ValueError(f"LeCamPenalty: weight must be a finite number >= 0, got {weight!r}")
        super().__init__(weight, interval)
        if not (isinstance(decay, (int, float)) and 0.0 <= decay < 1.0):
            raise ValueError(f"LeCamPenalty: decay must be in [0, 1), got {decay!r}")
        self.decay, self.one_sided = float(decay), bool(one_sided)
        self.register_buffer("anchor_real", torch.zeros(0))
        self.register_buffer("anchor_fake", torch.zeros(0))

    def term(
        self, critic: nn.Module, real: torch.Tensor, fake: torch.Tensor, labels: torch.Tensor | None
    ) -> torch.Tensor:
        """The unweighted penalty on the critic's scores of ``real`` and ``fake``.

        Args:
            critic: ``forward(x, labels=None)`` -> scores ``(batch,)`` or a ``CriticOutput``.
            real: Real data ``(batch, *features)``.
            fake: Generated data, same shape.
            labels: Class labels ``(batch,)`` for a conditional critic, or None.

        Returns:
            A ``()`` tensor: the sum over sub-critics of :func:`lecam_penalty`.
        """
        if real.ndim < 1 or fake.shape != real.shape:
            raise ValueError(
                "LeCamPenalty: expected real and fake of one shape (batch, *features), got "
                f"{tuple(real.shape)} and {tuple(fake.shape)}"
            )
        args = () if labels is None else (labels,)
        name = type(critic).__name__
        real_out = as_critic_output(critic(real.detach(), *args), real.shape[0], name)
        fake_out = as_critic_output(critic(fake.detach(), *args), fake.shape[0], name)
        return self._anchored(real_out.scores, fake_out.scores)

    def from_scores(
        self,
        real_scores: torch.Tensor | Sequence[torch.Tensor],
        fake_scores: torch.Tensor | Sequence[torch.Tensor],
    ) -> torch.Tensor:
        """Update the anchors with these scores and return the weighted penalty on them.

        Args:
            real_scores: Scores on real data ``(batch,)``, or one tensor per sub-critic.
            fake_scores: Scores on fakes, in the same layout.

        Returns:
            A ``()`` tensor: ``interval · weight · sum of`` :func:`lecam_penalty` per sub-critic.
        """
        return (self.weight * self.interval) * self._anchored(real_scores, fake_scores)

    def _anchored(
        self,
        real_scores: torch.Tensor | Sequence[torch.Tensor],
        fake_scores: torch.Tensor | Sequence[torch.Tensor],
    ) -> torch.Tensor:
        """Update the anchors; the unweighted sum of :func:`lecam_penalty` per sub-critic."""
        reals = [real_scores] if isinstance(real_scores, torch.Tensor) else list(real_scores)
        fakes = [fake_scores] if isinstance(fake_scores, torch.Tensor) else list(fake_scores)
        if len(reals) != len(fakes) or not reals:
            raise ValueError(
                f"LeCamPenalty: {len(reals)} real score tensors but {len(fakes)} fake ones"
            )
        self._update_anchors(reals, fakes)
        return sum(
            lecam_penalty(r, f, self.anchor_real[i], self.anchor_fake[i], one_sided=self.one_sided)
            for i, (r, f) in enumerate(zip(reals, fakes, strict=True))
        )

    @torch.no_grad()
    def _update_anchors(self, reals: list[torch.Tensor], fakes: list[torch.Tensor]) -> None:
        real_means = torch.stack([r.detach().float().mean() for r in reals])  # (sub-critics,)
        fake_means = torch.stack([f.detach().float().mean() for f in fakes])
        if self.anchor_real.numel() == 0:  # the first batch sets them
            self.anchor_real = real_means.clone()
            self.anchor_fake = fake_means.clone()
            return
        if self.anchor_real.device != real_means.device:  # e.g. a CPU checkpoint on a GPU run
            self.anchor_real = self.anchor_real.to(real_means.device)
            self.anchor_fake = self.anchor_fake.to(real_means.device)
        if self.anchor_real.shape != real_means.shape:
            raise ValueError(
                f"LeCamPenalty: anchors for {self.anchor_real.numel()} sub-critics, "
                f"got scores of {real_means.numel()}"
            )
        self.anchor_real.lerp_(real_means, 1.0 - self.decay)
        self.anchor_fake.lerp_(fake_means, 1.0 - self.decay)

    def _load_from_state_dict(self, state_dict: dict[str, Any], prefix: str, *args: Any) -> None:
        for name in ("anchor_real", "anchor_fake"):  # anchors are sized by the first call
            if prefix + name in state_dict:
                shape = state_dict[prefix + name].shape
                setattr(self, name, torch.empty(shape, device=getattr(self, name).device))
        super()._load_from_state_dict(state_dict, prefix, *args)

    def extra_repr(self) -> str:
        return (
            f"weight={self.weight}, decay={self.decay}, one_sided={self.one_sided}, "
            f"interval={self.interval}"
        )
