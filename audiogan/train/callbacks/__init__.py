"""Callbacks: the base (:mod:`~audiogan.train.callbacks.base`) and ready-made ones: checkpoints,
progress bar, CSV and TensorBoard logs, the writer of fakes with an HTML gallery.

Pass them to the Trainer, e.g.
``Trainer(..., callbacks=[ProgressBar(), CSVLogger(), FakeWriter(frontend, every=5)])``.
"""

from __future__ import annotations

from audiogan.train.callbacks.base import Callback, LambdaCallback
from audiogan.train.callbacks.checkpoint import CheckpointCallback
from audiogan.train.callbacks.csv_log import CSVLogger
from audiogan.train.callbacks.fakes import (
    FakeWriter,
    SampleWriter,
    fixed_fakes,
    fixed_samples,
    paired_fakes,
    paired_samples,
)
from audiogan.train.callbacks.gallery import fake_rounds, write_gallery
from audiogan.train.callbacks.progress import ProgressBar
from audiogan.train.callbacks.standing_stats import StandingStats, recompute_norm_stats
from audiogan.train.callbacks.tensorboard import TensorBoardLogger

__all__ = [
    "CSVLogger",
    "Callback",
    "CheckpointCallback",
    "LambdaCallback",
    "FakeWriter",
    "ProgressBar",
    "SampleWriter",
    "StandingStats",
    "TensorBoardLogger",
    "fake_rounds",
    "fixed_fakes",
    "fixed_samples",
    "paired_fakes",
    "paired_samples",
    "recompute_norm_stats",
    "write_gallery",
]
