"""Generator, critic and classifier blocks, conditioning modules, norm/activation lookup."""

from audiogan.nn.conditioning import LabelEmbedding, OneHot, Projection
from audiogan.nn.critic2d import ConvCritic2d
from audiogan.nn.generator2d import ConvGenerator2d
from audiogan.nn.init import (
    BatchNormInCriticWarning,
    dcgan_init_,
    has_spectral_norm,
    warn_if_batchnorm,
)
from audiogan.nn.layers import ACTIVATIONS, NORMS, apply_spectral_norm, make_activation, make_norm
from audiogan.nn.musegan import BarGenerator, MuseCritic, MuseGenerator, MuseLatent, TemporalNetwork
from audiogan.nn.recurrent import RecurrentClassifier, StreamState
from audiogan.nn.resnet9 import ResNet9, ResNet9Classifier, ResNet9Critic

__all__ = [
    "ACTIVATIONS",
    "NORMS",
    "BarGenerator",
    "BatchNormInCriticWarning",
    "ConvCritic2d",
    "ConvGenerator2d",
    "LabelEmbedding",
    "MuseCritic",
    "MuseGenerator",
    "MuseLatent",
    "OneHot",
    "Projection",
    "RecurrentClassifier",
    "ResNet9",
    "ResNet9Classifier",
    "ResNet9Critic",
    "StreamState",
    "TemporalNetwork",
    "apply_spectral_norm",
    "dcgan_init_",
    "has_spectral_norm",
    "make_activation",
    "make_norm",
    "warn_if_batchnorm",
]
