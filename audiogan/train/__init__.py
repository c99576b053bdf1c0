"""Training: the Trainer, callbacks, checkpoints, EMA, DDP and generation from checkpoints."""

from audiogan.train.callback import Callback, LambdaCallback
from audiogan.train.callbacks import (
    CSVLogger,
    ProgressBar,
    SampleWriter,
    TensorBoardLogger,
    fixed_samples,
    write_gallery,
)
from audiogan.train.checkpoint import (
    latest_checkpoint,
    list_checkpoints,
    load_checkpoint,
    module_spec,
)
from audiogan.train.checkpoint_callback import CheckpointCallback
from audiogan.train.ema import EMA
from audiogan.train.generation import generate, load_generator
from audiogan.train.layout import to_channels_last, to_channels_last_
from audiogan.train.trainer import NonFiniteLossError, Trainer

__all__ = [
    "EMA",
    "CSVLogger",
    "Callback",
    "CheckpointCallback",
    "LambdaCallback",
    "NonFiniteLossError",
    "ProgressBar",
    "SampleWriter",
    "TensorBoardLogger",
    "Trainer",
    "fixed_samples",
    "generate",
    "latest_checkpoint",
    "list_checkpoints",
    "load_checkpoint",
    "load_generator",
    "module_spec",
    "to_channels_last",
    "to_channels_last_",
    "write_gallery",
]
