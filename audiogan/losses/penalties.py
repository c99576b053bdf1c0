"""Critic regularizers: the WGAN-GP gradient penalty and the R1 penalty.

Both are callables with the :class:`audiogan.protocols.Penalty` signature,

``penalty(critic, real, fake, labels=None, scaler=None) -> ()``,

that return a scalar already multiplied by its weight, and by ``interval`` for lazy
regularization (StyleGAN2, Karras et al. 2020, §3.1): the Trainer calls a penalty only on critic
steps where ``critic_step % interval == 0``, and the factor ``interval`` keeps the expected
penalty per step what it would be if it were applied every step. ``interval=1`` (the default)
applies it every critic step.

Inputs are ``(batch, *features)`` of any rank: ``(batch, channels, freq, frames)`` spectrograms,
``(batch, tracks, bars, steps, pitches)`` piano rolls. Gradient norms are taken per sample over
all non-batch axes.

Mixed precision: given the critic's ``torch.amp.GradScaler`` (fp16), the penalty follows the
PyTorch AMP "gradient penalty" recipe: the critic's summed scores are scaled by
``scaler.scale(...)`` before ``torch.autograd.grad`` so that fp16 gradients do not underflow,
the input gradients are multiplied by ``1 / scaler.get_scale()`` (plain multiplication, not
``scaler.unscale_``), and the norm is computed in float32. Call the penalty inside the same
``autocast`` region as the critic's loss, add it to that loss, and back-propagate the total with
``scaler.scale(loss).backward()``. With bf16 autocast no scaler is needed (pass ``None``).

Distributed and compiled critics: the penalty only *calls* the critic, so a critic wrapped in
``DistributedDataParallel`` works (the penalty's graph ends in the same parameters as the main
loss; one ``backward()`` of the total loss reduces everything once). The penalty's own
``torch.autograd.grad`` is taken with respect to the *inputs* only, never the parameters.
Give the penalty the eager critic, never a ``torch.compile`` wrapper: AOTAutograd does not support
the double backward the penalty needs. Keep a reference to the module you compiled (the wrapper
shares its parameters) and pass that, as :class:`~audiogan.train.Trainer` does (its compiled calls
score, its eager critic takes the penalty).
"""

from __future__ import annotations

import math
from typing import Protocol

import torch
from torch import nn

from audiogan.losses.weighted_penalty import check_interval, check_weight

__all__ = ["GradientPenalty", "R1Penalty", "gradient_penalty", "r1_penalty"]


class ScalerLike(Protocol):
    """What the penalties use of ``torch.amp.GradScaler``."""

    def scale(self, outputs: torch.Tensor) -> torch.Tensor: ...

    def get_scale(self) -> float: ...


def _check_inputs(
    real: torch.Tensor, fake: torch.Tensor | None, labels: torch.Tensor | None, owner: str
) -> int:
    """Check ``(batch, *features)`` inputs and labels; return the batch size."""
    if real.ndim < 2:
        raise ValueError(
            f"{owner}: expected real of shape (batch, *features), got {tuple(real.shape)}"
        )
    if real.shape[0] == 0:
        raise ValueError(f"{owner}: expected at least one sample, got real {tuple(real.shape)}")
    if not real.is_floating_point():
        raise TypeError(f"{owner}: expected floating-point real, got dtype {real.dtype}")
    if fake is not None and fake.shape != real.shape:
        raise ValueError(
            f"{owner}: expected fake of the same shape as real {tuple(real.shape)}, "
            f"got {tuple(fake.shape)}"
        )
    if labels is not None and (labels.ndim == 0 or labels.shape[0] != real.shape[0]):
        raise ValueError(
            f"{owner}: expected labels of shape ({real.shape[0]}, ...) (batch first), "
            f"got {tuple(labels.shape)}"
        )
    return real.shape[0]


def _input_gradient(
    critic: nn.Module,
    x: torch.Tensor,
    labels: torch.Tensor | None,
    scaler: ScalerLike | None,
    owner: str,
) -> torch.Tensor:
    """Gradient of the critic's scores w.r.t. its input, differentiable, in at least float32.

    Args:
        critic: ``forward(x, labels=None) -> (batch,)``.
        x: A leaf tensor ``(batch, *features)`` with ``requires_grad=True``.
        labels: Class labels ``(batch, ...)`` for a conditional critic, else None.
        scaler: fp16 GradScaler (or anything with ``scale`` and ``get_scale``), else None.
        owner: Name for error messages.

    Returns:
        ``d sum(scores) / d x`` of shape ``(batch, *features)`` in at least float32 (float64
        inputs stay float64), with a graph
        (``create_graph=True``) so that a loss built on it reaches the critic's parameters.
    """
    out_dtype = torch.promote_types(x.dtype, torch.float32)  # fp16/bf16 -> fp32; fp64 stays
    scores = critic(x) if labels is None else critic(x, labels)
    if not isinstance(scores, torch.Tensor) or scores.shape != (x.shape[0],):
        got = tuple(scores.shape) if isinstance(scores, torch.Tensor) else type(scores).__name__
        raise ValueError(
            f"{owner}: expected critic scores of shape ({x.shape[0]},) (batch,), got {got}"
        )
    if not scores.requires_grad:  # the scores do not depend on x nor on any parameter
        return torch.zeros_like(x, dtype=out_dtype)
    outputs = scores.sum()
    if scaler is not None:
        outputs = scaler.scale(outputs)
    (grad,) = torch.autograd.grad(outputs, x, create_graph=True, allow_unused=True)
    if grad is None:  # the scores depend on parameters only: the input gradient is zero
        return torch.zeros_like(x, dtype=out_dtype)
    grad = grad.to(out_dtype)
    if scaler is not None:
        grad = grad * (1.0 / scaler.get_scale())
    return grad


def _sum_of_squares(grad: torch.Tensor) -> torch.Tensor:
    """Per-sample squared L2 norm over all non-batch axes: ``(batch, *features) -> (batch,)``."""
    return grad.square().flatten(start_dim=1).sum(dim=1)


def _interpolate_grad_norm(
    critic: nn.Module,
    real: torch.Tensor,
    fake: torch.Tensor,
    labels: torch.Tensor | None,
    scaler: ScalerLike | None,
    eps: float,
    generator: torch.Generator | None,
    owner: str,
) -> torch.Tensor:
    """Per-sample ``sqrt(‖∇x̂ D(x̂)‖² + eps)`` at random interpolates, ``(batch,)`` (>= float32)."""
    batch = _check_inputs(real, fake, labels, owner)
    dtype = torch.promote_types(real.dtype, fake.dtype)
    real_, fake_ = real.detach().to(dtype), fake.detach().to(dtype)
    if generator is None:
        alpha = torch.rand(batch, device=real.device, dtype=torch.float32)
    else:
        alpha = torch.rand(batch, device=generator.device, dtype=torch.float32, generator=generator)
    # one α per sample, broadcast over every feature axis: (batch, 1, ..., 1)
    alpha = alpha.to(device=real.device, dtype=dtype).view(batch, *([1] * (real.ndim - 1)))
    interpolates = (fake_ + alpha * (real_ - fake_)).requires_grad_(True)
    grad = _input_gradient(critic, interpolates, labels, scaler, owner)
    return torch.sqrt(_sum_of_squares(grad) + eps)


def _real_grad_squares(
    critic: nn.Module,
    real: torch.Tensor,
    labels: torch.Tensor | None,
    scaler: ScalerLike | None,
    owner: str,
) -> torch.Tensor:
    """Per-sample ``‖∇x D(x)‖²`` at the real data, ``(batch,)`` (>= float32)."""
    x = real.detach().requires_grad_(True)
    return _sum_of_squares(_input_gradient(critic, x, labels, scaler, owner))


def gradient_penalty(
    critic: nn.Module,
    real: torch.Tensor,
    fake: torch.Tensor,
    labels: torch.Tensor | None = None,
    scaler: ScalerLike | None = None,
    *,
    weight: float = 10.0,
    target: float = 1.0,
    eps: float = 1e-12,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """WGAN-GP gradient penalty (Gulrajani et al. 2017), functional form.

    ``x̂ = α·real + (1 − α)·fake`` with a fresh ``α ~ U[0, 1]`` per sample (broadcast over all
    feature axes), ``‖∇x̂ D(x̂)‖`` per sample over all non-batch axes, and
    ``weight · mean((‖∇‖ − target)²)``. ``real`` and ``fake`` are detached, so the penalty's
    gradient reaches the critic's parameters only. The norm is ``sqrt(sum(g²) + eps)``, whose
    gradient stays finite where the critic's input gradient is exactly zero.

    Args:
        critic: ``forward(x (batch, *features), labels=None) -> (batch,)``.
        real: Real data ``(batch, *features)``, e.g. ``(batch, channels, freq, frames)`` or
            ``(batch, tracks, bars, steps, pitches)``.
        fake: Generated data of the same shape.
        labels: Class labels ``(batch,)`` for a conditional critic (passed as
            ``critic(x̂, labels)``), or None (``critic(x̂)``).
        scaler: The critic's fp16 ``GradScaler`` for the AMP recipe, or None.
        weight: λ, the penalty's weight.
        target: The target gradient norm (1 for WGAN-GP; 0 gives a zero-centered penalty).
        eps: Added under the square root of the norm.
        generator: Random generator for α; None draws from the global RNG (so a seeded run is
            reproducible).

    Returns:
        A scalar tensor ``()`` in float32 (float64 for float64 inputs).
    """
    norm = _interpolate_grad_norm(
        critic, real, fake, labels, scaler, eps, generator, "gradient_penalty"
    )
    return weight * (norm - target).square().mean()


def r1_penalty(
    critic: nn.Module,
    real: torch.Tensor,
    labels: torch.Tensor | None = None,
    scaler: ScalerLike | None = None,
    *,
    gamma: float = 10.0,
) -> torch.Tensor:
    """R1 penalty (Mescheder et al. 2018), functional form: ``γ/2 · E‖∇x D(x)‖²`` on real data.

    The critic runs its own forward on ``real.detach().requires_grad_()``; the squared norm is per
    sample over all non-batch axes, in float32.

    Args:
        critic: ``forward(x (batch, *features), labels=None) -> (batch,)``.
        real: Real data ``(batch, *features)``.
        labels: Class labels ``(batch,)`` for a conditional critic, or None.
        scaler: The critic's fp16 ``GradScaler`` for the AMP recipe, or None.
        gamma: γ, the penalty's weight.

    Returns:
        A scalar tensor ``()`` in float32 (float64 for float64 inputs).
    """
    _check_inputs(real, None, labels, "r1_penalty")
    return 0.5 * gamma * _real_grad_squares(critic, real, labels, scaler, "r1_penalty").mean()


class GradientPenalty:
    """WGAN-GP gradient penalty with lazy regularization; see :func:`gradient_penalty`.

    Returns ``interval · weight · mean((‖∇x̂ D(x̂)‖ − target)²)``. The Trainer calls it only on
    critic steps where ``critic_step % interval == 0``. Lazy WGAN-GP (``interval > 1``) is an
    experiment (StyleGAN2 established lazy R1, not lazy GP).

    Args:
        weight: λ (10 in the WGAN-GP paper, the conditional WGAN-GP and MuseGAN on the JSB
            chorales).
        target: Target gradient norm (1; 0 gives a zero-centered penalty).
        interval: Apply every ``interval`` critic steps; the value is multiplied by it.
        eps: Added under the square root of the norm (finite gradients at zero input gradient).
        generator: Random generator for the per-sample α; None (default) uses the global RNG.

    Attributes:
        last_grad_norm: Detached mean per-sample gradient norm of the last call (for logging),
            None before the first call.

    Example:
        One critic step (what the Trainer does), with a linear critic ``(batch, 1, 4, 4) ->
        (batch,)``:

        >>> from torch import nn
        >>> from audiogan.losses import Wasserstein
        >>> critic = nn.Sequential(nn.Flatten(), nn.Linear(16, 1), nn.Flatten(0))
        >>> real, fake = torch.randn(8, 1, 4, 4), torch.randn(8, 1, 4, 4)
        >>> gp, critic_step = GradientPenalty(weight=10.0, interval=1), 0
        >>> loss = Wasserstein().critic_loss(critic(real), critic(fake))
        >>> if critic_step % gp.interval == 0:
        ...     loss = loss + gp(critic, real, fake)  # labels=... for a conditional critic
        >>> loss.backward()
        >>> gp.last_grad_norm.shape  # the logged gradient norm
        torch.Size([])
    """

    def __init__(
        self,
        weight: float = 10.0,
        target: float = 1.0,
        interval: int = 1,
        eps: float = 1e-12,
        generator: torch.Generator | None = None,
    ) -> None:
        check_weight("GradientPenalty", "weight", weight)
        check_weight("GradientPenalty", "target", target)
        check_interval("GradientPenalty", interval)
        if not (math.isfinite(eps) and eps > 0.0):
            raise ValueError(f"GradientPenalty: eps must be a finite number > 0, got {eps!r}")
        self.weight = float(weight)
        self.target = float(target)
        self.interval = interval
        self.eps = float(eps)
        self.generator = generator
        self.last_grad_norm: torch.Tensor | None = None

    def __call__(
        self,
        critic: nn.Module,
        real: torch.Tensor,
        fake: torch.Tensor,
        labels: torch.Tensor | None = None,
        scaler: ScalerLike | None = None,
    ) -> torch.Tensor:
        """The penalty on interpolates of ``real`` and ``fake`` ``(batch, *features)``.

        Args:
            critic: ``forward(x, labels=None) -> (batch,)``; may be wrapped in
                ``DistributedDataParallel``, not in ``torch.compile`` (pass the eager module).
            real: Real data ``(batch, *features)``.
            fake: Generated data, same shape.
            labels: Class labels ``(batch,)`` for a conditional critic, or None.
            scaler: The critic's fp16 ``GradScaler``, or None.

        Returns:
            A scalar tensor ``()``: ``interval · weight · mean((‖∇‖ − target)²)``.
        """
        norm = _interpolate_grad_norm(
            critic, real, fake, labels, scaler, self.eps, self.generator, "GradientPenalty"
        )
        self.last_grad_norm = norm.detach().mean()
        return (self.weight * self.interval) * (norm - self.target).square().mean()

    def __repr__(self) -> str:
        return (
            f"GradientPenalty(weight={self.weight}, target={self.target}, "
            f"interval={self.interval}, eps={self.eps})"
        )


class R1Penalty:
    """R1 penalty with lazy regularization; see :func:`r1_penalty`.

    Returns ``interval · γ/2 · E‖∇x D(x)‖²`` on real data (``fake`` is accepted for the
    :class:`~audiogan.protocols.Penalty` signature and ignored). The Trainer calls it only on
    critic steps where ``critic_step % interval == 0``; StyleGAN2 uses ``interval=16``.
    It runs its own critic forward on the real batch (StyleGAN2 shares that forward with the
    main loss; here the penalty stays independent of the objective).

    Args:
        gamma: γ (10 is common; StyleGAN2 tunes it per dataset).
        interval: Apply every ``interval`` critic steps; the value is multiplied by it.

    Attributes:
        last_grad_norm: Detached mean per-sample gradient norm of the last call (for logging),
            None before the first call.
    """

    def __init__(self, gamma: float = 10.0, interval: int = 1) -> None:
        check_weight("R1Penalty", "gamma", gamma)
        check_interval("R1Penalty", interval)
        self.gamma = float(gamma)
        self.interval = interval
        self.last_grad_norm: torch.Tensor | None = None

    def __call__(
        self,
        critic: nn.Module,
        real: torch.Tensor,
        fake: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        scaler: ScalerLike | None = None,
    ) -> torch.Tensor:
        """The penalty on ``real`` ``(batch, *features)``.

        Args:
            critic: ``forward(x, labels=None) -> (batch,)``; may be wrapped in
                ``DistributedDataParallel``, not in ``torch.compile`` (pass the eager module).
            real: Real data ``(batch, *features)``.
            fake: Ignored (shape-checked against ``real`` when given).
            labels: Class labels ``(batch,)`` for a conditional critic, or None.
            scaler: The critic's fp16 ``GradScaler``, or None.

        Returns:
            A scalar tensor ``()``: ``interval · γ/2 · mean(‖∇‖²)``.
        """
        _check_inputs(real, fake, labels, "R1Penalty")
        squared = _real_grad_squares(critic, real, labels, scaler, "R1Penalty")
        self.last_grad_norm = squared.detach().sqrt().mean()
        return (0.5 * self.gamma * self.interval) * squared.mean()

    def __repr__(self) -> str:
        return f"R1Penalty(gamma={self.gamma}, interval={self.interval})"
