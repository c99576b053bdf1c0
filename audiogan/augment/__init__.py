"""Differentiable augmentation for small data, applied to real and fake alike before the critic.

Transforms (each with its probability ``p``, drawn per sample): :class:`TimeShift`,
:class:`TimeMask`, :class:`FrequencyMask` and :class:`SpectrogramGain` for spectrograms
``(batch, channels, freq, frames)``; :class:`TimeShift`, :class:`WaveformGain` and
:class:`Polarity` for waveforms ``(batch, channels, num_samples)``; :class:`Transpose` and
:class:`TimeShift` for piano rolls ``(batch, tracks, bars, steps, pitches)``. :class:`Augment`
composes them (DiffAugment, Zhao et al. 2020); :class:`AdaptiveAugment` steers their
probability by the critic's overfitting (ADA, Karras et al. 2020). The Trainer takes either as
``augment=``.
"""

from __future__ import annotations

from audiogan.augment.adaptive import AdaptiveAugment
from audiogan.augment.functional import band_mask, shift_along, uniform
from audiogan.augment.gain import SpectrogramGain, WaveformGain
from audiogan.augment.masking import FrequencyMask, TimeMask
from audiogan.augment.pipeline import Augment
from audiogan.augment.polarity import Polarity
from audiogan.augment.presets import Layout, augment_from_names, augment_names
from audiogan.augment.shift import TimeShift
from audiogan.augment.transform import Draw, Transform
from audiogan.augment.transpose import Transpose

__all__ = [
    "AdaptiveAugment",
    "Augment",
    "Draw",
    "FrequencyMask",
    "Layout",
    "Polarity",
    "SpectrogramGain",
    "TimeMask",
    "TimeShift",
    "Transform",
    "Transpose",
    "WaveformGain",
    "augment_from_names",
    "augment_names",
    "band_mask",
    "shift_along",
    "uniform",
]
