"""Frontends: waveforms (or pitch sequences) to the features a GAN models, and back.

Every frontend is an ``nn.Module`` that meets :class:`audiogan.protocols.Frontend`
(``encode``, ``decode``, ``feature_shape``, ``sample_rate``, ``config`` and the output hooks
``suffix``, ``save`` and ``plot``), with a pure-function twin in the same module.
"""

from audiogan.frontends.base import (
    AudioFrontend,
    fix_frames,
    frames_for_samples,
    samples_for_frames,
)
from audiogan.frontends.complex_spectrogram import ComplexSpectrogram
from audiogan.frontends.instantaneous_frequency import (
    InstantaneousFrequency,
    instantaneous_frequency,
    instantaneous_frequency_hz,
    mel_weights,
    phase_from_instantaneous_frequency,
)
from audiogan.frontends.logmel import LogMel, db_to_unit, log_mel, unit_to_db
from audiogan.frontends.logspec import LogSpectrogram, log_magnitude, log_spectrogram
from audiogan.frontends.pianoroll import (
    PianoRoll,
    binarize_roll,
    pitches_to_roll,
    roll_to_pitches,
    roll_to_tracks,
)
from audiogan.frontends.streaming import StreamingEncoder, stream_windows
from audiogan.frontends.waveform import Waveform, draw_waveform, waveform_features
from audiogan.music.phrases import segment_pitches

__all__ = [
    "ComplexSpectrogram",
    "InstantaneousFrequency",
    "instantaneous_frequency",
    "instantaneous_frequency_hz",
    "mel_weights",
    "phase_from_instantaneous_frequency",
    "AudioFrontend",
    "LogMel",
    "LogSpectrogram",
    "PianoRoll",
    "StreamingEncoder",
    "Waveform",
    "binarize_roll",
    "db_to_unit",
    "draw_waveform",
    "fix_frames",
    "frames_for_samples",
    "log_magnitude",
    "log_mel",
    "log_spectrogram",
    "pitches_to_roll",
    "roll_to_pitches",
    "roll_to_tracks",
    "samples_for_frames",
    "segment_pitches",
    "stream_windows",
    "unit_to_db",
    "waveform_features",
]
