"""Binary and one-hot output units with straight-through gradients, for piano-roll generators.

A generator that writes a piano roll has to end in something the critic compares with real
rolls, which are binary (and, for a monophonic voice, one-hot per step). Three ways are here:

- :class:`BinaryNeurons`: independent on/off units (BinaryMuseGAN, Dong & Yang, "Convolutional
  Generative Adversarial Networks with Binary Neurons for Polyphonic Music Generation", ISMIR
  2018). The forward pass outputs hard 0/1 values, by thresholding the sigmoid at 0.5
  (*deterministic*) or by drawing a Bernoulli of it (*stochastic*); the backward pass uses the
  sigmoid's gradient (the "sigmoid-adjusted" straight-through estimator).
- :class:`OneHotUnits`: one distribution per position over ``classes`` along ``dim``, e.g. a
  voice's pitches plus a rest at every step. ``"softmax"`` passes the probabilities on (a
  continuous relaxation, as WGAN-GP language models do), ``"argmax"`` outputs the argmax
  one-hot with the softmax's gradient (straight-through), ``"gumbel"`` a one-hot *sample* with
  the gradient of the Gumbel-softmax (Jang et al. 2017; Maddison et al. 2017).
- :func:`straight_through`: the one-line estimator behind both.

In eval mode ``"softmax"`` outputs the argmax one-hot too, so samples are what a MIDI file can
hold; ``"gumbel"`` and ``"stochastic"`` keep sampling (their samples are the model).

Every output can be ``signed`` (``2 y - 1``, in {-1, 1} like the rolls of
:class:`~audiogan.frontends.PianoRoll`).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from audiogan.nn.checks import check_choice, check_greater

__all__ = ["BINARY_MODES", "ONE_HOT_MODES", "BinaryNeurons", "OneHotUnits", "straight_through"]

#: Modes of :class:`BinaryNeurons`.
BINARY_MODES = ("deterministic", "stochastic")
#: Modes of :class:`OneHotUnits`.
ONE_HOT_MODES = ("softmax", "argmax", "gumbel")


def straight_through(hard: torch.Tensor, soft: torch.Tensor) -> torch.Tensor:
    """``hard`` in the forward pass, the gradient of ``soft`` in the backward pass.

    Args:
        hard: The value to output (its gradient is ignored), any shape.
        soft: A differentiable stand-in of the same shape.

    Returns:
        A tensor equal to ``hard`` whose gradient flows to ``soft`` as if it were ``soft``.
    """
    if hard.shape != soft.shape:
        raise ValueError(
            f"straight_through: hard and soft must have the same shape, got "
            f"{tuple(hard.shape)} and {tuple(soft.shape)}"
        )
    return soft + (hard.to(soft.dtype) - soft).detach()


class BinaryNeurons(nn.Module):
    """Logits -> hard 0/1 units with the sigmoid's gradient (Dong & Yang 2018).

    Args:
        mode: ``"deterministic"`` (on where ``sigmoid(x) > 0.5``, i.e. ``x > 0``) or
            ``"stochastic"`` (on with probability ``sigmoid(x)``).
        signed: Output ``2 y - 1`` in {-1, 1} instead of {0, 1}.

    Shapes:
        ``forward(logits (...)) -> (...)``, the same shape and dtype.
    """

    def __init__(self, mode: str = "deterministic", signed: bool = True) -> None:
        super().__init__()
        check_choice("BinaryNeurons", "mode", mode, BINARY_MODES)
        self.mode = mode
        self.signed = bool(signed)

    def extra_repr(self) -> str:
        return f"mode={self.mode!r}, signed={self.signed}"

    def forward(self, logits: torch.Tensor) -> torch.Tensor:
        """Hard units of the same shape as ``logits``; gradients as ``sigmoid(logits)``'s."""
        p = torch.sigmoid(logits)
        with torch.no_grad():
            hard = torch.bernoulli(p) if self.mode == "stochastic" else (p > 0.5).to(p.dtype)
        y = straight_through(hard, p)
        return 2 * y - 1 if self.signed else y


class OneHotUnits(nn.Module):
    """Logits -> one distribution (or one-hot choice) over the classes along ``dim``.

    Args:
        mode: ``"softmax"``: the probabilities while training, the argmax one-hot in eval
            mode. ``"argmax"``: always the argmax one-hot, with the softmax's gradient.
            ``"gumbel"``: a one-hot sample (Gumbel-max), with the gradient of the Gumbel-softmax
            at temperature ``tau``; it samples in eval mode too.
        tau: Softmax temperature (``> 0``); the logits are divided by it in every mode.
        dim: The class axis.
        signed: Output ``2 y - 1`` (a one-hot becomes one +1 among -1s).

    Shapes:
        ``forward(logits (..., classes, ...)) -> (..., classes, ...)``: the same shape, summing
        to 1 along ``dim`` (``2 - classes`` when ``signed``).
    """

    def __init__(
        self, mode: str = "softmax", tau: float = 1.0, dim: int = -1, signed: bool = True
    ) -> None:
        super().__init__()
        check_choice("OneHotUnits", "mode", mode, ONE_HOT_MODES)
        check_greater("OneHotUnits", "tau", tau)
        self.mode = mode
        self.tau = float(tau)
        self.dim = int(dim)
        self.signed = bool(signed)

    def extra_repr(self) -> str:
        return f"mode={self.mode!r}, tau={self.tau:g}, dim={self.dim}, signed={self.signed}"

    def forward(self, logits: torch.Tensor) -> torch.Tensor:
        """One-hot choices (or probabilities) of the same shape as ``logits``."""
        if self.mode == "gumbel":
            u = torch.rand_like(logits).clamp_(torch.finfo(logits.dtype).tiny, 1.0)
            logits = logits - torch.log(-torch.log(u))  # + Gumbel(0, 1) noise
        soft = F.softmax(logits / self.tau, dim=self.dim)
        if self.mode == "softmax" and self.training:
            y = soft
        else:
            index = soft.argmax(dim=self.dim, keepdim=True)
            hard = torch.zeros_like(soft).scatter_(self.dim, index, 1.0)
            y = straight_through(hard, soft)
        return 2 * y - 1 if self.signed else y
