"""Log the step, epoch and latest metrics to a CSV file every N steps or epochs."""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from audiogan.train.callbacks.base import Callback, Unit

if TYPE_CHECKING:
    from audiogan.train.trainer import Trainer

_INDEX = ("step", "epoch")


def _value(value: Any) -> Any:
    """Plain Python numbers for tensors (one element), everything else unchanged."""
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return value.item()
    return value


class CSVLogger(Callback):
    """Append one row per run: ``step``, ``epoch``, then one column per metric.

    Columns follow the order in which metrics first appear. When a metric appears that the
    file has no column for yet (e.g. a lazy penalty first reported at step 16), the file is
    rewritten once with the wider header, earlier rows getting an empty cell there; rows
    missing a metric also get an empty cell. So the file always has a single header line
    that names every column and reads with ``csv.DictReader`` or ``pandas.read_csv``.

    Resuming: at the start of ``fit`` an existing file is kept and appended to, without a
    second header; rows with a step after the trainer's current step (logged by a run that
    died after its last checkpoint) are dropped first, so resumed logs hold no duplicate
    steps. Starting again from step 0 in the same folder therefore starts the log afresh.
    At most one row is written per step.

    Args:
        path: The CSV file (default ``trainer.out_dir / "metrics.csv"``).
        every: Log every ``every`` units.
        unit: ``"step"`` or ``"epoch"``.
        at_end: Log once more at the end of ``fit`` if the last step was not logged.
    """

    def __init__(
        self,
        path: str | os.PathLike | None = None,
        every: int = 1,
        unit: Unit = "step",
        at_end: bool = True,
    ) -> None:
        super().__init__(every=every, unit=unit, at_end=at_end)
        self.path = Path(path) if path is not None else None
        self._last_step: int | None = None

    def resolve_path(self, trainer: Trainer) -> Path:
        """The file this logger writes for ``trainer``."""
        return self.path if self.path is not None else Path(trainer.out_dir) / "metrics.csv"

    def on_fit_start(self, trainer: Trainer) -> None:
        if not getattr(trainer, "is_main_process", True):
            return
        path = self.resolve_path(trainer)
        self._last_step = None
        if not _has_content(path):
            return
        columns, rows = _read(path)
        kept = [row for row in rows if _step_of(row) <= trainer.step]
        if len(kept) != len(rows):
            _write(path, columns, kept)
        self._last_step = max((_step_of(row) for row in kept), default=None)

    def run(self, trainer: Trainer) -> None:
        if not getattr(trainer, "is_main_process", True):
            return
        if self._last_step is not None and trainer.step <= self._last_step:
            return  # this step is logged already (e.g. the final run after an epoch end)
        self._last_step = int(trainer.step)
        path = self.resolve_path(trainer)
        row = {"step": int(trainer.step), "epoch": int(trainer.epoch)}
        row.update({k: _value(v) for k, v in dict(trainer.metrics).items() if k not in _INDEX})
        if not _has_content(path):
            _write(path, list(row), [row])
            return
        with path.open(newline="") as f:
            columns = next(csv.reader(f))
        if columns[: len(_INDEX)] != list(_INDEX):
            raise ValueError(
                f"CSVLogger: {path} is not a metrics log (header starts {columns[:2]}, expected ['step', 'epoch'])"
            )
        new = [k for k in row if k not in columns]
        if new:  # rare: widen the header once, keeping every earlier row
            columns, rows = _read(path)
            _write(path, [*columns, *new], [*rows, row])
            return
        with path.open("a", newline="") as f:
            csv.DictWriter(f, fieldnames=columns, restval="").writerow(row)


def _has_content(path: Path) -> bool:
    return path.is_file() and path.stat().st_size > 0


def _read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows of an existing log; ValueError if it is not one."""
    with path.open(newline="") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
        columns = list(reader.fieldnames or [])
    if columns[: len(_INDEX)] != list(_INDEX):
        raise ValueError(
            f"CSVLogger: {path} is not a metrics log (header starts {columns[:2]}, expected ['step', 'epoch'])"
        )
    return columns, rows


def _write(path: Path, columns: list[str], rows: list[dict[str, Any]]) -> None:
    """Write the header and ``rows`` to a temporary file, then rename it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns, restval="")
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, path)


def _step_of(row: dict[str, str]) -> int:
    try:
        return int(float(row.get("step") or 0))
    except ValueError:
        return 0
