"""Adversarial objectives, critic penalties, and reconstruction and feature-matching losses.

Objectives turn critic scores ``(batch,)`` into the critic's and the generator's losses;
penalties regularize the critic (WGAN-GP, R1, LeCam; :class:`Penalties` sums several) and
support lazy regularization and fp16 AMP.
Paired GANs (vocoders) add waveform reconstruction losses (:class:`MultiResolutionSTFTLoss`,
:class:`MelReconstructionLoss`, DAC's :class:`MultiScaleMelLoss`) and
:class:`FeatureMatchingLoss` as the Trainer's ``generator_losses``.
"""

from __future__ import annotations

from audiogan.losses.auxiliary_classifier import (
    AuxiliaryClassifierCriticLoss,
    AuxiliaryClassifierGeneratorLoss,
    DriftPenalty,
    classifier_logits,
)
from audiogan.losses.feature_matching import FeatureMatchingLoss, feature_matching_term
from audiogan.losses.lecam import LeCamPenalty, lecam_penalty
from audiogan.losses.mel import MelReconstructionLoss
from audiogan.losses.multiscale_mel import DAC_MEL_SCALES, MultiScaleMelLoss
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
from audiogan.losses.penalty_sum import Penalties
from audiogan.losses.stft import (
    MultiResolutionSTFTLoss,
    STFTLoss,
    WaveformLoss,
    log_magnitude_l1,
    spectral_convergence,
    stft_magnitude,
)
from audiogan.losses.weighted_penalty import WeightedPenalty

__all__ = [
    "AuxiliaryClassifierCriticLoss",
    "AuxiliaryClassifierGeneratorLoss",
    "DriftPenalty",
    "classifier_logits",
    "DAC_MEL_SCALES",
    "MultiScaleMelLoss",
    "AdversarialObjective",
    "FeatureMatchingLoss",
    "GradientPenalty",
    "Hinge",
    "LeCamPenalty",
    "LeastSquares",
    "MelReconstructionLoss",
    "Minimax",
    "MultiResolutionSTFTLoss",
    "NonSaturating",
    "Penalties",
    "R1Penalty",
    "STFTLoss",
    "Wasserstein",
    "WaveformLoss",
    "WeightedPenalty",
    "feature_matching_term",
    "get_objective",
    "gradient_penalty",
    "lecam_penalty",
    "log_magnitude_l1",
    "objective_names",
    "r1_penalty",
    "spectral_convergence",
    "stft_magnitude",
]
