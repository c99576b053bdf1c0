"""Generator, critic and classifier blocks, conditioning modules, norm/activation lookup."""

from audiogan.nn.binary import BinaryNeurons, OneHotUnits, straight_through
from audiogan.nn.conditioning import LabelEmbedding, OneHot, Projection
from audiogan.nn.critic2d import ConvCritic2d
from audiogan.nn.critic_ensemble import CriticEnsemble
from audiogan.nn.generator2d import ConvGenerator2d
from audiogan.nn.hifigan import HIFIGAN_PRESETS, HiFiGANGenerator, ResBlock1, ResBlock2
from audiogan.nn.init import (
    BatchNormInCriticWarning,
    dcgan_init_,
    has_spectral_norm,
    warn_if_batchnorm,
)
from audiogan.nn.layers import ACTIVATIONS, NORMS, apply_spectral_norm, make_activation, make_norm
from audiogan.nn.minibatch_std import MinibatchStdDev
from audiogan.nn.multi_period import MultiPeriodDiscriminator, PeriodDiscriminator
from audiogan.nn.multi_resolution import MultiResolutionSTFTDiscriminator, STFTDiscriminator
from audiogan.nn.multi_scale import MultiScaleDiscriminator, ScaleDiscriminator
from audiogan.nn.musegan import (
    BarGenerator,
    MuseCritic,
    MuseGenerator,
    MuseLatent,
    RollStreams,
    TemporalNetwork,
)
from audiogan.nn.recurrent import RecurrentClassifier, StreamState
from audiogan.nn.resnet9 import ResNet9, ResNet9Classifier, ResNet9Critic
from audiogan.nn.waveform_layers import has_weight_norm, remove_weight_norm
from audiogan.nn.wavegan import PhaseShuffle, WaveGANCritic, WaveGANGenerator

__all__ = [
    "ACTIVATIONS",
    "HIFIGAN_PRESETS",
    "NORMS",
    "BarGenerator",
    "BatchNormInCriticWarning",
    "BinaryNeurons",
    "ConvCritic2d",
    "ConvGenerator2d",
    "CriticEnsemble",
    "HiFiGANGenerator",
    "LabelEmbedding",
    "MinibatchStdDev",
    "MultiPeriodDiscriminator",
    "MultiResolutionSTFTDiscriminator",
    "MultiScaleDiscriminator",
    "MuseCritic",
    "MuseGenerator",
    "MuseLatent",
    "OneHot",
    "OneHotUnits",
    "PeriodDiscriminator",
    "PhaseShuffle",
    "Projection",
    "RecurrentClassifier",
    "ResBlock1",
    "ResBlock2",
    "ResNet9",
    "ResNet9Classifier",
    "ResNet9Critic",
    "RollStreams",
    "STFTDiscriminator",
    "ScaleDiscriminator",
    "StreamState",
    "TemporalNetwork",
    "WaveGANCritic",
    "WaveGANGenerator",
    "apply_spectral_norm",
    "dcgan_init_",
    "has_spectral_norm",
    "has_weight_norm",
    "make_activation",
    "make_norm",
    "remove_weight_norm",
    "straight_through",
    "warn_if_batchnorm",
]
