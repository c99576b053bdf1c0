"""Adversarial objectives and critic penalties.

Objectives turn critic scores ``(batch,)`` into the critic's and the generator's losses;
penalties regularize the critic (WGAN-GP, R1) and support lazy regularization and fp16 AMP.
"""

from __future__ import annotations

from audiogan.losses.objectives import (
    AdversarialObjective,
    Hinge,
    LeastSquares,
    Minimax,
    NonSaturating,
    Wasserstein,
    get_objective,
    objective_names,
)
from audiogan.losses.penalties import GradientPenalty, R1Penalty, gradient_penalty, r1_penalty

__all__ = [
    "AdversarialObjective",
    "GradientPenalty",
    "Hinge",
    "LeastSquares",
    "Minimax",
    "NonSaturating",
    "R1Penalty",
    "Wasserstein",
    "get_objective",
    "gradient_penalty",
    "objective_names",
    "r1_penalty",
]
