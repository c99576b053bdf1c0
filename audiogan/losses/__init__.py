"""Adversarial objectives, critic penalties, and reconstruction and feature-matching losses.

Objectives turn critic scores ``(batch,)`` into the critic's and the generator's losses;
penalties regularize the critic (WGAN-GP, R1) and support lazy regularization and fp16 AMP.
Paired GANs (vocoders) add waveform reconstruction losses (:class:`MultiResolutionSTFTLoss`,
:class:`MelReconstructionLoss`) and :class:`FeatureMatchingLoss` as the Trainer's
``generator_losses``.
"""

from __future__ import annotations

from audiogan.losses.feature_matching import FeatureMatchingLoss, feature_matching_term
from audiogan.losses.mel import MelReconstructionLoss
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
from audiogan.losses.stft import (
    MultiResolutionSTFTLoss,
    STFTLoss,
    log_magnitude_l1,
    spectral_convergence,
    stft_magnitude,
)

__all__ = [
    "AdversarialObjective",
    "FeatureMatchingLoss",
    "GradientPenalty",
    "Hinge",
    "LeastSquares",
    "MelReconstructionLoss",
    "Minimax",
    "MultiResolutionSTFTLoss",
    "NonSaturating",
    "R1Penalty",
    "STFTLoss",
    "Wasserstein",
    "feature_matching_term",
    "get_objective",
    "gradient_penalty",
    "log_magnitude_l1",
    "objective_names",
    "r1_penalty",
    "spectral_convergence",
    "stft_magnitude",
]
