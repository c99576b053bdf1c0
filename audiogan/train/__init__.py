"""Training: the Trainer, callbacks, checkpoints, EMA, DDP and generation from checkpoints."""

from audiogan.train.batches import Batch
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
    seed_everything,
)
from audiogan.train.checkpoint_callback import CheckpointCallback
from audiogan.train.checkpoint_state import CheckpointMismatchError
from audiogan.train.ema import EMA
from audiogan.train.epoch_order import EpochOrder
from audiogan.train.generation import generate, load_generator
from audiogan.train.generator_losses import GeneratorStep
from audiogan.train.layout import to_channels_last, to_channels_last_
from audiogan.train.nonfinite import NonFiniteLossError
from audiogan.train.precision import Precision, auto_precision
from audiogan.train.trainer import Trainer

__all__ = [
    "EMA",
    "Batch",
    "CheckpointMismatchError",
    "EpochOrder",
    "GeneratorStep",
    "Precision",
    "auto_precision",
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
    "seed_everything",
    "write_gallery",
]
