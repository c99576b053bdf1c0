"""Snake and SnakeBeta: periodic activations with a learned frequency per channel.

Snake (Liu Ziyin et al. 2020) is ``x + sin(alpha * x)**2 / alpha``: monotone on average, with a
periodic ripple whose frequency ``alpha`` each channel learns, a useful bias for audio.
BigVGAN (Lee et al. 2023, NVIDIA/BigVGAN ``activations.py``) uses it in every residual block,
and SnakeBeta, ``x + sin(alpha * x)**2 / beta``, with a separate magnitude ``beta``. With
``logscale=True`` the parameters are stored as logarithms (initialized to ``log(alpha)``), as
BigVGAN's ``alpha_logscale`` (BigVGAN-v2 uses it). ``1e-9`` is added to the divisor, as the
reference, so a zero ``alpha`` or ``beta`` does not divide by zero.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from audiogan.nn.checks import check_positive
from audiogan.registry import register

__all__ = ["Snake", "SnakeBeta", "snake_activation"]

_EPS = 1e-9


def snake_activation(
    x: torch.Tensor, alpha: torch.Tensor, beta: torch.Tensor | None = None
) -> torch.Tensor:
    """``x + sin(alpha * x)**2 / (beta + 1e-9)`` (``beta`` defaults to ``alpha``: Snake).

    Args:
        x: Features ``(batch, channels, time)``.
        alpha: Frequencies, broadcastable to ``x`` (e.g. ``(1, channels, 1)``).
        beta: Magnitudes divisors like ``alpha``, or ``None`` for Snake.
    """
    divisor = alpha if beta is None else beta
    return x + (1.0 / (divisor + _EPS)) * torch.sin(x * alpha).pow(2)


@register
class Snake(nn.Module):
    """``x + sin(alpha * x)**2 / alpha`` with one learned ``alpha`` per channel.

    Args:
        channels: Channels of the input.
        alpha: Initial frequency (BigVGAN: 1).
        logscale: Store ``log(alpha)`` (initialized to ``log(alpha)``, i.e. 0 for the default).
        trainable: Whether ``alpha`` is learned.

    Shapes:
        ``forward(x (batch, channels, time)) -> (batch, channels, time)``.

    Example:
        >>> act = Snake(4)
        >>> torch.allclose(act(torch.zeros(2, 4, 8)), torch.zeros(2, 4, 8))
        True
    """

    def __init__(
        self, channels: int, *, alpha: float = 1.0, logscale: bool = False, trainable: bool = True
    ) -> None:
        super().__init__()
        name = type(self).__name__
        check_positive(name, channels=channels)
        if logscale and not alpha > 0:
            raise ValueError(
                f"{name}: logscale stores log(alpha), so alpha must be > 0, got {alpha}"
            )
        self.config = {
            "channels": int(channels),
            "alpha": float(alpha),
            "logscale": bool(logscale),
            "trainable": bool(trainable),
        }
        self.channels = int(channels)
        self.logscale = bool(logscale)
        self.start = math.log(alpha) if logscale else float(alpha)
        self.alpha = nn.Parameter(torch.full((channels,), self.start), requires_grad=trainable)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x (batch, channels, time)`` -> the same shape."""
        if x.dim() != 3 or x.shape[1] != self.channels:
            raise ValueError(
                f"{type(self).__name__}: expected (batch, {self.channels}, time), "
                f"got {tuple(x.shape)}"
            )
        beta = getattr(self, "beta", None)
        return snake_activation(
            x, self._value(self.alpha), None if beta is None else self._value(beta)
        )

    def _value(self, parameter: torch.Tensor) -> torch.Tensor:
        """A per-channel parameter as ``(1, channels, 1)``, exponentiated when log-scaled."""
        value = parameter[None, :, None]
        return value.exp() if self.logscale else value


@register
class SnakeBeta(Snake):
    """``x + sin(alpha * x)**2 / beta`` with learned ``alpha`` and ``beta`` per channel.

    Args:
        channels: Channels of the input.
        alpha: Initial frequency and magnitude divisor (BigVGAN initializes both alike).
        logscale: Store ``log(alpha)`` and ``log(beta)`` (BigVGAN-v2).
        trainable: Whether ``alpha`` and ``beta`` are learned.

    Shapes:
        ``forward(x (batch, channels, time)) -> (batch, channels, time)``.

    Example:
        >>> act = SnakeBeta(4, logscale=True)
        >>> act(torch.randn(2, 4, 8)).shape
        torch.Size([2, 4, 8])
    """

    def __init__(
        self, channels: int, *, alpha: float = 1.0, logscale: bool = False, trainable: bool = True
    ) -> None:
        super().__init__(channels, alpha=alpha, logscale=logscale, trainable=trainable)
        self.beta = nn.Parameter(torch.full((channels,), self.start), requires_grad=trainable)
