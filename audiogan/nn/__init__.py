"""Generator, critic and classifier blocks, conditioning modules, norm/activation lookup."""

from audiogan.nn.antialias import (
    AntiAliasedActivation,
    DownSample1d,
    UpSample1d,
    kaiser_sinc_filter,
)
from audiogan.nn.auxiliary_classifier import AuxiliaryClassifier, ClassifierCache
from audiogan.nn.binary import BinaryNeurons, OneHotUnits, straight_through
from audiogan.nn.complex_stft import (
    ComplexMultiScaleSTFTCritic,
    ComplexSTFTCritic,
    MultiScaleSTFTDiscriminator,
)
from audiogan.nn.conditioning import LabelEmbedding, OneHot, Projection
from audiogan.nn.critic2d import ConvCritic2d
from audiogan.nn.critic2d_ac import AuxiliaryConvCritic2d
from audiogan.nn.critic_ensemble import CriticEnsemble
from audiogan.nn.deep_griffin_lim import DeepGriffinLimGenerator, mel_pseudo_inverse
from audiogan.nn.factored import (
    FactoredOneHot,
    FactoredProjection,
    LabelFactor,
    join_labels,
    split_labels,
)
from audiogan.nn.gansynth import (
    EqualizedConv2d,
    EqualizedLinear,
    GANSynthCritic,
    GANSynthGenerator,
    PixelNorm,
    gansynth_widths,
)
from audiogan.nn.generator2d import ConvGenerator2d
from audiogan.nn.hifigan import HIFIGAN_PRESETS, HiFiGANGenerator, ResBlock1, ResBlock2
from audiogan.nn.init import (
    INITS,
    BatchNormInCriticWarning,
    dcgan_init_,
    has_spectral_norm,
    resolve_init,
    warn_if_batchnorm,
)
from audiogan.nn.istft_head import ISTFTHead, istft_same
from audiogan.nn.istftnet import ISTFTNetGenerator
from audiogan.nn.layers import (
    ACTIVATIONS,
    NORMS,
    UPSAMPLES,
    WAVEFORM_NORMS,
    apply_spectral_norm,
    apply_weight_norm,
    has_weight_norm,
    make_activation,
    make_norm,
    remove_weight_norm,
    resolve_norm,
)
from audiogan.nn.minibatch_std import MinibatchStdDev
from audiogan.nn.multi_band_stft import (
    DAC_BANDS,
    BandSTFTCritic,
    MultiBandDiscriminator,
    MultiBandSTFTCritic,
)
from audiogan.nn.multi_period import (
    MultiPeriodCritic,
    MultiPeriodDiscriminator,
    PeriodCritic,
    PeriodDiscriminator,
)
from audiogan.nn.multi_resolution import (
    MultiResolutionSTFTCritic,
    MultiResolutionSTFTDiscriminator,
    STFTCritic,
    STFTDiscriminator,
)
from audiogan.nn.multi_scale import (
    MultiScaleCritic,
    MultiScaleDiscriminator,
    ScaleCritic,
    ScaleDiscriminator,
)
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
from audiogan.nn.snake import Snake, SnakeBeta, snake_activation
from audiogan.nn.vocos import ConvNeXtBlock, VocosGenerator
from audiogan.nn.wavegan import PhaseShuffle, WaveGANCritic, WaveGANGenerator

__all__ = [
    "AuxiliaryClassifier",
    "AuxiliaryConvCritic2d",
    "ClassifierCache",
    "EqualizedConv2d",
    "EqualizedLinear",
    "GANSynthCritic",
    "GANSynthGenerator",
    "PixelNorm",
    "gansynth_widths",
    "AntiAliasedActivation",
    "DownSample1d",
    "UpSample1d",
    "kaiser_sinc_filter",
    "ComplexMultiScaleSTFTCritic",
    "ComplexSTFTCritic",
    "MultiScaleSTFTDiscriminator",
    "ISTFTHead",
    "istft_same",
    "ISTFTNetGenerator",
    "DAC_BANDS",
    "BandSTFTCritic",
    "MultiBandDiscriminator",
    "MultiBandSTFTCritic",
    "Snake",
    "SnakeBeta",
    "snake_activation",
    "ConvNeXtBlock",
    "VocosGenerator",
    "DeepGriffinLimGenerator",
    "mel_pseudo_inverse",
    "ACTIVATIONS",
    "HIFIGAN_PRESETS",
    "INITS",
    "NORMS",
    "UPSAMPLES",
    "WAVEFORM_NORMS",
    "BarGenerator",
    "BatchNormInCriticWarning",
    "BinaryNeurons",
    "ConvCritic2d",
    "ConvGenerator2d",
    "CriticEnsemble",
    "HiFiGANGenerator",
    "FactoredOneHot",
    "FactoredProjection",
    "LabelFactor",
    "join_labels",
    "split_labels",
    "LabelEmbedding",
    "MinibatchStdDev",
    "MultiPeriodCritic",
    "MultiPeriodDiscriminator",
    "MultiResolutionSTFTCritic",
    "MultiResolutionSTFTDiscriminator",
    "MultiScaleCritic",
    "MultiScaleDiscriminator",
    "MuseCritic",
    "MuseGenerator",
    "MuseLatent",
    "OneHot",
    "OneHotUnits",
    "PeriodCritic",
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
    "STFTCritic",
    "STFTDiscriminator",
    "ScaleCritic",
    "ScaleDiscriminator",
    "StreamState",
    "TemporalNetwork",
    "WaveGANCritic",
    "WaveGANGenerator",
    "apply_spectral_norm",
    "apply_weight_norm",
    "dcgan_init_",
    "has_spectral_norm",
    "has_weight_norm",
    "make_activation",
    "make_norm",
    "remove_weight_norm",
    "resolve_init",
    "resolve_norm",
    "straight_through",
    "warn_if_batchnorm",
]
