"""Log metrics to TensorBoard, and pictures (drawn by the frontend) and audio of fixed fakes."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from audiogan._optional import require
from audiogan._renamed import renamed_arguments
from audiogan.train.callbacks.base import Callback, Unit
from audiogan.train.callbacks.fakes import (
    check_output_hooks,
    file_stems,
    fixed_fakes,
    module_device,
    unwrap,
)
from audiogan.viz import feature_grid_image

if TYPE_CHECKING:
    from audiogan.protocols import Frontend
    from audiogan.train.trainer import Trainer


class TensorBoardLogger(Callback):
    """Write ``trainer.metrics`` as TensorBoard scalars, and optionally pictures and sound of fakes.

    Scalars go out every ``every`` ``unit`` s. With a ``frontend``, every ``media_every``
    ``media_unit`` s (and at the end of ``fit``) it also logs ``fakes_per_class`` fakes per class
    from a fixed latent (the same every time): one image per class (``fakes/<class>``), a grid
    of the fakes each drawn by ``frontend.plot`` (spectrograms, piano rolls, ...), and, when
    ``frontend.sample_rate > 0`` (``decode`` gives waveforms), each decoded waveform
    (``audio/<class>_00`` ...). A resumed run purges the events after its start step, so curves
    don't fold back on themselves. Rank 0 only.

    Args:
        log_dir: Event file folder (default ``trainer.out_dir / "tensorboard"``).
        every: Scalars every ``every`` units.
        unit: ``"step"`` or ``"epoch"`` for the scalars.
        frontend: Meets :class:`~audiogan.protocols.Frontend`; its ``plot`` draws the images
            (matplotlib, extra ``viz``), ``decode`` and ``sample_rate`` give the sound.
        class_names: Names of the generator's classes, for the tags (default ``class_0`` ...).
        fakes_per_class: Samples per class (or in all, unconditional) per media round.
        media_every: Media every ``media_every`` media units.
        media_unit: ``"step"`` or ``"epoch"`` for the media.
        seed: Seed of the fixed latent.
        at_end: Log once more at the end of ``fit`` if the last step was not logged.

    Raises:
        ImportError: If TensorBoard (extra ``logs``) is not installed.
        TypeError: If ``frontend`` lacks ``plot``, ``decode`` or ``sample_rate``.
    """

    @renamed_arguments(n_per_class="fakes_per_class")
    def __init__(
        self,
        log_dir: str | os.PathLike | None = None,
        every: int = 1,
        unit: Unit = "step",
        frontend: Frontend | None = None,
        class_names: Sequence[str] | None = None,
        fakes_per_class: int = 2,
        media_every: int = 1,
        media_unit: Unit = "epoch",
        seed: int = 0,
        at_end: bool = True,
    ) -> None:
        super().__init__(every=every, unit=unit, at_end=at_end)
        self._summary_writer_cls = require(
            "torch.utils.tensorboard", feature="TensorBoard logging"
        ).SummaryWriter
        if media_every < 1:
            raise ValueError(f"TensorBoardLogger: media_every must be >= 1, got {media_every}")
        if media_unit not in ("step", "epoch"):
            raise ValueError(
                f"TensorBoardLogger: media_unit must be 'step' or 'epoch', got {media_unit!r}"
            )
        if fakes_per_class < 1:
            raise ValueError(
                f"TensorBoardLogger: fakes_per_class must be >= 1, got {fakes_per_class}"
            )
        if frontend is not None:
            check_output_hooks(frontend, "TensorBoardLogger", ("plot", "decode", "sample_rate"))
        self.log_dir = Path(log_dir) if log_dir is not None else None
        self.frontend = frontend
        self.class_names = list(class_names) if class_names is not None else None
        self.fakes_per_class = fakes_per_class
        self.media_every = media_every
        self.media_unit: Unit = media_unit
        self.seed = seed
        self.writer: Any = None
        self._media_step: int | None = None
        self._scalar_step: int | None = None

    def _open(self, trainer: Trainer) -> Any:
        if self.writer is None:
            log_dir = (
                self.log_dir if self.log_dir is not None else Path(trainer.out_dir) / "tensorboard"
            )
            purge = int(trainer.step) if trainer.step > 0 else None
            self.writer = self._summary_writer_cls(log_dir=str(log_dir), purge_step=purge)
        return self.writer

    def on_fit_start(self, trainer: Trainer) -> None:
        if getattr(trainer, "is_main_process", True):
            self.close()
            self._media_step = self._scalar_step = None
            self._open(trainer)

    def on_step_end(self, trainer: Trainer) -> None:
        super().on_step_end(trainer)
        if self.media_unit == "step" and trainer.step % self.media_every == 0:
            self.log_media(trainer)

    def on_epoch_end(self, trainer: Trainer) -> None:
        super().on_epoch_end(trainer)
        if self.media_unit == "epoch" and trainer.epoch % self.media_every == 0:
            self.log_media(trainer)

    def on_fit_end(self, trainer: Trainer) -> None:
        super().on_fit_end(trainer)
        if self.at_end and self._media_step != trainer.step:
            self.log_media(trainer)
        self.close()

    def run(self, trainer: Trainer) -> None:
        if not getattr(trainer, "is_main_process", True):
            return
        step = int(trainer.step)
        if self._scalar_step == step:
            return  # logged already (e.g. the final run after an epoch end)
        self._scalar_step = step
        writer = self._open(trainer)
        for key, value in dict(trainer.metrics).items():
            if isinstance(value, torch.Tensor):
                if value.numel() != 1:
                    continue
                value = value.item()
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                writer.add_scalar(key, float(value), step)
        writer.add_scalar("epoch", int(trainer.epoch), step)

    def log_media(self, trainer: Trainer) -> None:
        """Log images (and audio) of the fixed fakes at the trainer's current step."""
        if self.frontend is None or not getattr(trainer, "is_main_process", True):
            return
        writer = self._open(trainer)
        step = int(trainer.step)
        generator = unwrap(trainer.sampling_generator)
        features, labels = fixed_fakes(generator, self.fakes_per_class, self.seed, trainer.device)
        num_classes = int(getattr(generator, "num_classes", 0))
        names = self.class_names or [f"class_{i}" for i in range(num_classes)]
        if num_classes and len(names) != num_classes:
            raise ValueError(
                f"TensorBoardLogger: class_names has {len(names)} entries but the generator has {num_classes} classes"
            )
        groups = file_stems(names) if labels is not None else [("fake", "fakes", None)]
        sample_rate = int(self.frontend.sample_rate)
        for group, title, class_index in groups:
            items = features if class_index is None else features[labels == class_index]
            stems = [f"{group}_{i:02d}" for i in range(len(items))]
            image = feature_grid_image(
                self.frontend.plot, items, stems, ncols=min(4, len(items)), title=title
            )
            writer.add_image(f"fakes/{group}", image, step, dataformats="HWC")
            if sample_rate <= 0:
                continue  # decode gives no waveform (e.g. a piano roll's pitch grid)
            device = module_device(self.frontend) if isinstance(self.frontend, nn.Module) else "cpu"
            with torch.no_grad():
                waves = self.frontend.decode(items.to(device)).float().cpu()
            for i, wave in enumerate(waves):
                mono = wave.reshape(-1, wave.shape[-1]).mean(0).clamp(-1.0, 1.0)  # (time,)
                writer.add_audio(
                    f"audio/{group}_{i:02d}", mono.unsqueeze(0), step, sample_rate=sample_rate
                )
        writer.flush()
        self._media_step = step

    def close(self) -> None:
        """Flush and close the event file (idempotent)."""
        if self.writer is not None:
            self.writer.close()
            self.writer = None
