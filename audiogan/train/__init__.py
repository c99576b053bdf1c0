"""Training: the Trainer, callbacks, checkpoints, EMA, DDP and generation from checkpoints."""

from audiogan.train.batches import Batch
from audiogan.train.callbacks import (
    Callback,
    CheckpointCallback,
    CSVLogger,
    FakeWriter,
    LambdaCallback,
    ProgressBar,
    SampleWriter,
    StandingStats,
    TensorBoardLogger,
    fake_rounds,
    fixed_fakes,
    fixed_samples,
    recompute_norm_stats,
    write_gallery,
)
from audiogan.train.checkpoints import (
    CheckpointMismatchError,
    UnreadableCheckpointError,
    latest_checkpoint,
    list_checkpoints,
    load_checkpoint,
    module_spec,
    newest_readable_checkpoint,
    run_checkpoint,
)
from audiogan.train.ema import EMA
from audiogan.train.epoch_order import EpochOrder
from audiogan.train.fine_tune import InitFromError, InitReport, freeze_critic_layers, init_from
from audiogan.train.generation import generate, load_generator, load_vocoder
from audiogan.train.generator_losses import GeneratorStep
from audiogan.train.player import Player
from audiogan.train.precision import Precision, auto_precision
from audiogan.train.seeding import seed_everything
from audiogan.train.step_report import NonFiniteLossError
from audiogan.train.trainer import Trainer
from audiogan.train.wrapping import to_channels_last, to_channels_last_

__all__ = [
    "EMA",
    "Batch",
    "CheckpointMismatchError",
    "EpochOrder",
    "GeneratorStep",
    "InitFromError",
    "InitReport",
    "Precision",
    "auto_precision",
    "CSVLogger",
    "Callback",
    "CheckpointCallback",
    "LambdaCallback",
    "NonFiniteLossError",
    "Player",
    "FakeWriter",
    "ProgressBar",
    "SampleWriter",
    "StandingStats",
    "TensorBoardLogger",
    "Trainer",
    "UnreadableCheckpointError",
    "fake_rounds",
    "fixed_fakes",
    "fixed_samples",
    "freeze_critic_layers",
    "generate",
    "init_from",
    "latest_checkpoint",
    "list_checkpoints",
    "load_checkpoint",
    "load_generator",
    "load_vocoder",
    "module_spec",
    "newest_readable_checkpoint",
    "recompute_norm_stats",
    "run_checkpoint",
    "to_channels_last",
    "to_channels_last_",
    "seed_everything",
    "write_gallery",
]
