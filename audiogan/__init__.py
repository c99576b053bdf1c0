"""audiogan: composable GAN components for audio and music, on PyTorch.

The most used parts are re-exported here; every part also lives in the subpackage named for
what it is: :mod:`audiogan.frontends`, :mod:`audiogan.data`, :mod:`audiogan.nn`,
:mod:`audiogan.losses`, :mod:`audiogan.train`, :mod:`audiogan.metrics`, :mod:`audiogan.audio`,
:mod:`audiogan.music`, :mod:`audiogan.viz`.

Example:
    >>> import torch
    >>> import audiogan as ag
    >>> frontend = ag.LogMel(n_mels=64, frames=64)
    >>> G = ag.ConvGenerator2d(64, frontend.feature_shape, num_classes=5, base_channels=64)
    >>> G(G.sample_latent(2), labels=torch.tensor([0, 3])).shape
    torch.Size([2, 1, 64, 64])
"""

from __future__ import annotations

from audiogan.audio import AudioFileError, load_audio, mix_down, pad_or_trim, resample, save_audio
from audiogan.data import (
    AnnotatedAudio,
    AudioFolder,
    FeatureCache,
    JSBChorales,
    MidiFolder,
    SyntheticSounds,
    write_annotated_csv,
    write_audio_folder,
)
from audiogan.export import export_features
from audiogan.frontends import LogMel, LogSpectrogram, PianoRoll, StreamingEncoder, Waveform
from audiogan.losses import (
    FeatureMatchingLoss,
    GradientPenalty,
    Hinge,
    LeastSquares,
    MelReconstructionLoss,
    Minimax,
    MultiResolutionSTFTLoss,
    NonSaturating,
    R1Penalty,
    Wasserstein,
    get_objective,
)
from audiogan.nn import (
    ConvCritic2d,
    ConvGenerator2d,
    CriticEnsemble,
    HiFiGANGenerator,
    LabelEmbedding,
    MultiPeriodDiscriminator,
    MultiResolutionSTFTDiscriminator,
    MultiScaleDiscriminator,
    MuseCritic,
    MuseGenerator,
    OneHot,
    Projection,
    RecurrentClassifier,
    ResNet9,
    ResNet9Classifier,
    ResNet9Critic,
    WaveGANCritic,
    WaveGANGenerator,
    dcgan_init_,
)
from audiogan.protocols import (
    Conditioning,
    Critic,
    CriticOutput,
    Frontend,
    Generator,
    Objective,
    PairedGenerator,
    Penalty,
)
from audiogan.train import (
    EMA,
    Callback,
    CheckpointCallback,
    CheckpointMismatchError,
    CSVLogger,
    GeneratorStep,
    LambdaCallback,
    NonFiniteLossError,
    ProgressBar,
    SampleWriter,
    TensorBoardLogger,
    Trainer,
    generate,
    load_generator,
    seed_everything,
)

__version__ = "0.1.0"

__all__ = [
    "EMA",
    "CheckpointMismatchError",
    "Conditioning",
    "CriticOutput",
    "GeneratorStep",
    "PairedGenerator",
    "AnnotatedAudio",
    "AudioFileError",
    "AudioFolder",
    "CSVLogger",
    "Callback",
    "CheckpointCallback",
    "ConvCritic2d",
    "ConvGenerator2d",
    "Critic",
    "CriticEnsemble",
    "FeatureCache",
    "FeatureMatchingLoss",
    "Frontend",
    "Generator",
    "GradientPenalty",
    "HiFiGANGenerator",
    "Hinge",
    "JSBChorales",
    "LabelEmbedding",
    "LambdaCallback",
    "LeastSquares",
    "LogMel",
    "LogSpectrogram",
    "MelReconstructionLoss",
    "MidiFolder",
    "Minimax",
    "MultiResolutionSTFTLoss",
    "MultiPeriodDiscriminator",
    "MultiResolutionSTFTDiscriminator",
    "MultiScaleDiscriminator",
    "MuseCritic",
    "MuseGenerator",
    "NonFiniteLossError",
    "NonSaturating",
    "Objective",
    "OneHot",
    "Penalty",
    "PianoRoll",
    "ProgressBar",
    "Projection",
    "R1Penalty",
    "RecurrentClassifier",
    "ResNet9",
    "ResNet9Classifier",
    "ResNet9Critic",
    "SampleWriter",
    "StreamingEncoder",
    "SyntheticSounds",
    "TensorBoardLogger",
    "Trainer",
    "Wasserstein",
    "WaveGANCritic",
    "WaveGANGenerator",
    "Waveform",
    "__version__",
    "dcgan_init_",
    "export_features",
    "generate",
    "get_objective",
    "load_audio",
    "load_generator",
    "mix_down",
    "pad_or_trim",
    "resample",
    "save_audio",
    "seed_everything",
    "write_annotated_csv",
    "write_audio_folder",
]
