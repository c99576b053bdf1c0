"""Minibatch standard deviation (Karras et al., ProGAN 2018): a critic input that sees diversity.

A critic that scores each sample on its own cannot tell a batch of one repeated pattern from a
batch of varied ones, so a generator can collapse onto one pattern the critic likes. This layer
appends one feature: the standard deviation of every feature over a group of samples, averaged
over the features, the same value for every sample of the group. A collapsed batch has a
standard deviation near 0, which the critic learns to score as fake.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from audiogan.nn.checks import check_at_least
from audiogan.registry import register


@register
class MinibatchStdDev(nn.Module):
    """Append the mean standard deviation over groups of ``group_size`` samples as a feature.

    Samples ``n`` and ``n + M`` (``M = batch // group``) share a group, as in StyleGAN2's layer.
    A batch that ``group_size`` does not divide uses the largest group that divides it
    (``gcd(batch, group_size)``), so a batch of one gets 0.

    Args:
        group_size: Samples per group (ProGAN and StyleGAN2: 4); at least 2.

    Shapes:
        ``forward(x (batch, features)) -> (batch, features + 1)``;
        ``forward(x (batch, channels, *spatial)) -> (batch, channels + 1, *spatial)``.
    """

    def __init__(self, group_size: int = 4) -> None:
        super().__init__()
        check_at_least("MinibatchStdDev", 2, group_size=group_size)
        self.group_size = group_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` with one more feature (dim 1): its group's mean standard deviation."""
        if x.dim() < 2:
            raise ValueError(
                f"MinibatchStdDev: expected (batch, features, ...), got shape {tuple(x.shape)}"
            )
        batch = x.shape[0]
        group = math.gcd(batch, self.group_size)
        y = x.float().reshape(group, batch // group, *x.shape[1:])  # (G, M, C, ...)
        std = (y.var(dim=0, unbiased=False) + 1e-8).sqrt()  # (M, C, ...)
        std = std.flatten(1).mean(dim=1)  # (M,): one value per group
        feature = std.repeat(group).to(x.dtype)  # (batch,): sample n is in group n % M
        feature = feature.reshape(batch, 1, *([1] * (x.dim() - 2))).expand(batch, 1, *x.shape[2:])
        return torch.cat([x, feature], dim=1)

    def extra_repr(self) -> str:
        return f"group_size={self.group_size}"
