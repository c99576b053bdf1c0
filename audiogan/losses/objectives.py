"""Adversarial objectives: the critic's and the generator's loss from raw critic scores.

Every objective is a small object with two methods,

- ``critic_loss(real_scores (batch,), fake_scores (batch,)) -> ()``
- ``generator_loss(fake_scores (batch,), real_scores=None) -> ()``

that return scalar tensors and never call ``backward()`` themselves: the Trainer owns the
optimization step. Scores are the critic's raw outputs (no sigmoid), one per sample. Half
precision scores (fp16/bf16 under autocast) are promoted to float32 before the loss is taken.

Which critic constraint goes with which objective:

- :class:`Wasserstein` needs a Lipschitz critic (``needs_lipschitz = True``): pair it with
  :class:`~audiogan.losses.penalties.GradientPenalty`, spectral norm or weight clipping; the
  Trainer warns when there is none.
- :class:`NonSaturating`, :class:`Minimax`, :class:`LeastSquares` and :class:`Hinge` are bounded
  or saturate by themselves; a penalty (R1) is optional.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
import torch.nn.functional as F

from audiogan._shapes import check_shape

__all__ = [
    "AdversarialObjective",
    "Hinge",
    "LeastSquares",
    "Minimax",
    "NonSaturating",
    "Wasserstein",
    "get_objective",
    "objective_names",
]


def _scores(x: torch.Tensor, name: str) -> torch.Tensor:
    """Check that ``x`` is ``(batch,)`` with batch >= 1 and return it in at least float32."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(
            f"{name}: expected a torch.Tensor of shape (batch,), got {type(x).__name__}"
        )
    check_shape(x, (None,), name, "(batch,)")
    if x.shape[0] == 0:
        raise ValueError(
            f"{name}: expected at least one score, got an empty batch {tuple(x.shape)}"
        )
    if x.dtype in (torch.float16, torch.bfloat16):
        return x.float()
    if not x.is_floating_point():
        raise TypeError(f"{name}: expected floating-point scores, got dtype {x.dtype}")
    return x


def _bce_critic_loss(
    real: torch.Tensor, fake: torch.Tensor, label_smoothing: float
) -> torch.Tensor:
    """``BCE(real, 1 - label_smoothing) + BCE(fake, 0)`` on logits, each a batch mean."""
    real_target = torch.full_like(real, 1.0 - label_smoothing)
    real_loss = F.binary_cross_entropy_with_logits(real, real_target)
    fake_loss = F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))
    return real_loss + fake_loss


def _check_smoothing(owner: str, label_smoothing: float) -> None:
    if not 0.0 <= label_smoothing < 1.0:
        raise ValueError(f"{owner}: label_smoothing must be in [0, 1), got {label_smoothing}")


class AdversarialObjective:
    """Base class of the built-in objectives (user objectives need only the two methods).

    Attributes:
        needs_lipschitz: True when the objective is only meaningful with a Lipschitz-constrained
            critic (gradient penalty, spectral norm or weight clipping).
    """

    needs_lipschitz: ClassVar[bool] = False

    def critic_loss(self, real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
        """The critic's loss; lower is better for the critic.

        Args:
            real_scores: Critic scores on real data, ``(batch,)``.
            fake_scores: Critic scores on generated data, ``(batch,)`` (the batch may differ).

        Returns:
            A scalar tensor ``()``.
        """
        real = _scores(real_scores, f"{type(self).__name__}.critic_loss real_scores")
        fake = _scores(fake_scores, f"{type(self).__name__}.critic_loss fake_scores")
        return self._critic_loss(real, fake)

    def generator_loss(
        self, fake_scores: torch.Tensor, real_scores: torch.Tensor | None = None
    ) -> torch.Tensor:
        """The generator's loss; lower is better for the generator.

        Args:
            fake_scores: Critic scores on generated data, ``(batch,)``.
            real_scores: Critic scores on real data, ``(batch,)``; unused by the built-in
                objectives (accepted for relativistic objectives), shape-checked when given.

        Returns:
            A scalar tensor ``()``.
        """
        fake = _scores(fake_scores, f"{type(self).__name__}.generator_loss fake_scores")
        if real_scores is not None:
            _scores(real_scores, f"{type(self).__name__}.generator_loss real_scores")
        return self._generator_loss(fake)

    def _critic_loss(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def _generator_loss(self, fake: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


@dataclass(frozen=True)
class NonSaturating(AdversarialObjective):
    """Binary cross-entropy on logits with the non-saturating generator loss.

    The loss of the one-hot cGAN and of the ResNet-9 GAN.

    ``critic_loss = BCE(real, 1 - label_smoothing) + BCE(fake, 0)`` and
    ``generator_loss = BCE(fake, 1) = mean(softplus(-fake))``, each BCE a mean over the batch,
    computed from logits (``binary_cross_entropy_with_logits``) for numerical stability.

    Args:
        label_smoothing: One-sided label smoothing (Salimans et al. 2016): the real target of the
            critic becomes ``1 - label_smoothing``; fake targets and the generator's target stay
            as they are. In ``[0, 1)``; 0.1 is a common choice.
    """

    label_smoothing: float = 0.0

    def __post_init__(self) -> None:
        _check_smoothing("NonSaturating", self.label_smoothing)

    def _critic_loss(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        return _bce_critic_loss(real, fake, self.label_smoothing)

    def _generator_loss(self, fake: torch.Tensor) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))


@dataclass(frozen=True)
class Minimax(AdversarialObjective):
    """The original minimax GAN objective (Goodfellow et al. 2014).

    The critic's loss equals :class:`NonSaturating`'s; the generator minimizes
    ``-BCE(fake, 0) = mean(log(1 - sigmoid(fake)))``, which saturates (vanishing gradients) when
    the critic confidently rejects the samples. Mostly useful for comparisons.

    Args:
        label_smoothing: One-sided smoothing of the critic's real target, as in
            :class:`NonSaturating`.
    """

    label_smoothing: float = 0.0

    def __post_init__(self) -> None:
        _check_smoothing("Minimax", self.label_smoothing)

    def _critic_loss(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        return _bce_critic_loss(real, fake, self.label_smoothing)

    def _generator_loss(self, fake: torch.Tensor) -> torch.Tensor:
        return -F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))


@dataclass(frozen=True)
class LeastSquares(AdversarialObjective):
    """Least-squares GAN (Mao et al. 2017) with configurable targets.

    ``critic_loss = mean((real - real_target)**2) + mean((fake - fake_target)**2)`` and
    ``generator_loss = mean((fake - generator_target)**2)`` (no factor 1/2, like the code of
    MuseGAN on the JSB chorales).

    The defaults 1/0/1 are the usual ``a=0, b=1, c=1`` scheme. The LSGAN paper's other scheme is
    ``LeastSquares(real_target=1.0, fake_target=-1.0, generator_target=0.0)``. MuseGAN on the JSB
    chorales says "real 1, fake -1" but its loss ``-mean(pred * target)`` is the Wasserstein loss
    written with ±1 targets (use :class:`Wasserstein`); for least squares with those targets use
    ``LeastSquares(real_target=1.0, fake_target=-1.0, generator_target=1.0)``.

    Args:
        real_target: The critic's target score on real data.
        fake_target: The critic's target score on generated data; must differ from real_target.
        generator_target: The score the generator pushes its samples towards.
    """

    real_target: float = 1.0
    fake_target: float = 0.0
    generator_target: float = 1.0

    def __post_init__(self) -> None:
        if self.real_target == self.fake_target:
            raise ValueError(
                f"LeastSquares: real_target and fake_target must differ, got both {self.real_target}"
            )

    def _critic_loss(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        return (real - self.real_target).square().mean() + (fake - self.fake_target).square().mean()

    def _generator_loss(self, fake: torch.Tensor) -> torch.Tensor:
        return (fake - self.generator_target).square().mean()


@dataclass(frozen=True)
class Wasserstein(AdversarialObjective):
    """Wasserstein GAN objective (Arjovsky et al. 2017); needs a Lipschitz critic.

    ``critic_loss = mean(fake) - mean(real)`` (the negated estimate of the Wasserstein-1
    distance) and ``generator_loss = -mean(fake)``. Pair it with
    :class:`~audiogan.losses.penalties.GradientPenalty` (WGAN-GP, as the conditional WGAN-GP and
    MuseGAN on the JSB chorales do).
    """

    needs_lipschitz: ClassVar[bool] = True

    def _critic_loss(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        return fake.mean() - real.mean()

    def _generator_loss(self, fake: torch.Tensor) -> torch.Tensor:
        return -fake.mean()


@dataclass(frozen=True)
class Hinge(AdversarialObjective):
    """Hinge objective (Lim & Ye 2017; SAGAN, BigGAN, MelGAN).

    ``critic_loss = mean(relu(1 - real)) + mean(relu(1 + fake))`` and
    ``generator_loss = -mean(fake)``.
    """

    def _critic_loss(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        return F.relu(1.0 - real).mean() + F.relu(1.0 + fake).mean()

    def _generator_loss(self, fake: torch.Tensor) -> torch.Tensor:
        return -fake.mean()


_REGISTRY: dict[str, type[AdversarialObjective]] = {
    "non_saturating": NonSaturating,
    "nonsaturating": NonSaturating,
    "ns": NonSaturating,
    "bce": NonSaturating,
    "minimax": Minimax,
    "least_squares": LeastSquares,
    "lsgan": LeastSquares,
    "ls": LeastSquares,
    "wasserstein": Wasserstein,
    "wgan": Wasserstein,
    "hinge": Hinge,
}


def objective_names() -> list[str]:
    """The names :func:`get_objective` accepts, sorted."""
    return sorted(_REGISTRY)


def get_objective(name: str, **kwargs: Any) -> AdversarialObjective:
    """Build a built-in objective by name.

    Args:
        name: ``"non_saturating"`` (or ``"bce"``, ``"ns"``), ``"minimax"``, ``"least_squares"``
            (or ``"lsgan"``, ``"ls"``), ``"wasserstein"`` (or ``"wgan"``), ``"hinge"``;
            case-insensitive, ``-`` and ``_`` alike.
        **kwargs: Passed to the objective's constructor (e.g. ``label_smoothing=0.1``).

    Returns:
        The objective.

    Raises:
        ValueError: If the name is unknown (the message lists the known names).

    Example:
        >>> get_objective("lsgan", fake_target=-1.0)
        LeastSquares(real_target=1.0, fake_target=-1.0, generator_target=1.0)
    """
    key = name.strip().lower().replace("-", "_")
    if key not in _REGISTRY:
        raise ValueError(
            f"get_objective: unknown objective {name!r}; expected one of {objective_names()}"
        )
    return _REGISTRY[key](**kwargs)
