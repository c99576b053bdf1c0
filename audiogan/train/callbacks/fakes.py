"""Write fakes from a fixed latent (or, for a paired GAN, from fixed inputs) every N steps or
epochs: files and PNGs through the frontend's hooks."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from audiogan._renamed import renamed_arguments
from audiogan.export import export_features
from audiogan.train.callbacks.base import Callback, Unit
from audiogan.train.callbacks.gallery import FAKES_FOLDER, write_gallery
from audiogan.viz import plot_feature_grid, plot_losses

if TYPE_CHECKING:
    from audiogan.protocols import Frontend
    from audiogan.train.trainer import Trainer

#: What FakeWriter and TensorBoardLogger call on a frontend to write and draw fakes.
OUTPUT_HOOKS = ("feature_shape", "suffix", "save", "plot")

_UNSAFE = re.compile(r"[^\w.-]+")


def safe_name(name: str) -> str:
    """``name`` reduced to letters, digits, ``_``, ``.`` and ``-``, for use in a file name."""
    cleaned = _UNSAFE.sub("_", str(name)).strip("._")
    return cleaned or "class"


def file_stems(class_names: Sequence[str]) -> list[tuple[str, str, int]]:
    """``(file stem, title, class index)`` per class: stems are :func:`safe_name` s, made unique
    with the class index where two names reduce to the same stem."""
    stems = [safe_name(n) for n in class_names]
    unique = [s if stems.count(s) == 1 else f"{s}_{i}" for i, s in enumerate(stems)]
    return [
        (stem, str(name), i) for i, (stem, name) in enumerate(zip(unique, class_names, strict=True))
    ]


def round_name(step: int) -> str:
    """The folder of one sampling round, e.g. ``step_000120`` (sorts by step as a number)."""
    return f"step_{step:06d}"


def unwrap(module: nn.Module) -> nn.Module:
    """The plain module inside DistributedDataParallel / DataParallel (calling the wrapper on
    rank 0 alone would hang the other ranks)."""
    while isinstance(module, (nn.parallel.DistributedDataParallel, nn.DataParallel)):
        module = module.module
    return module


def module_device(module: nn.Module, default: torch.device | str = "cpu") -> torch.device:
    """The device of a module's first parameter or buffer (``default`` when it has neither)."""
    for tensor in itertools.chain(module.parameters(), module.buffers()):
        return tensor.device
    return torch.device(default)


def check_output_hooks(frontend: Any, owner: str, hooks: Sequence[str] = OUTPUT_HOOKS) -> None:
    """Raise a TypeError naming the hooks of :class:`~audiogan.protocols.Frontend` that
    ``frontend`` lacks (``owner`` names the caller in the message)."""
    missing = [h for h in hooks if not hasattr(frontend, h)]
    if missing:
        raise TypeError(
            f"{owner}: the frontend ({type(frontend).__name__}) has no {', '.join(missing)}; "
            "a frontend saves and draws its own features (see audiogan.protocols.Frontend)"
        )


def _to_device(z: Any, device: torch.device) -> Any:
    """Move a latent (a tensor, or a tuple/list of tensors such as MuseGAN's) to ``device``."""
    if isinstance(z, torch.Tensor):
        return z.to(device)
    if isinstance(z, (tuple, list)):
        return type(z)(_to_device(item, device) for item in z)
    return z


@renamed_arguments(n_per_class="fakes_per_class")
def fixed_fakes(
    generator: nn.Module,
    fakes_per_class: int,
    seed: int,
    device: torch.device | str | None = None,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Generate from the same latent every call: the way to watch a generator improve.

    The latent is drawn on the CPU from ``torch.Generator().manual_seed(seed)`` (so it is the
    same on any device and across resumes) and moved to ``device``. The generator runs in
    eval mode under ``torch.no_grad``; its previous train/eval mode is restored afterwards.

    Args:
        generator: Meets the audiogan Generator contract (``sample_latent``, ``num_classes``,
            ``forward(z, labels=None)``); a DDP wrapper is unwrapped.
        fakes_per_class: Fakes per class, or in total for an unconditional generator
            (``num_classes == 0``).
        seed: Seed of the latent.
        device: Where the generator runs (default: the device of its parameters).

    Returns:
        ``(features, labels)``: features ``(n, *out_shape)`` float32 on the CPU, ordered class
        by class, and labels ``(n,)`` int64 on the CPU, or ``None`` when unconditional.
    """
    if fakes_per_class < 1:
        raise ValueError(f"fixed_fakes: fakes_per_class must be >= 1, got {fakes_per_class}")
    generator = unwrap(generator)
    device = torch.device(device) if device is not None else module_device(generator)
    num_classes = int(getattr(generator, "num_classes", 0))
    n = fakes_per_class * max(num_classes, 1)
    z = generator.sample_latent(n, device="cpu", generator=torch.Generator().manual_seed(seed))
    z = _to_device(z, device)
    labels = (
        torch.arange(num_classes).repeat_interleave(fakes_per_class) if num_classes > 0 else None
    )
    was_training = generator.training
    generator.eval()
    try:
        with torch.no_grad():
            out = generator(z, labels.to(device) if labels is not None else None)
    finally:
        generator.train(was_training)
    return out.detach().to("cpu", torch.float32), labels


def paired_fakes(
    generator: nn.Module, inputs: torch.Tensor, device: torch.device | str | None = None
) -> torch.Tensor:
    """A paired generator's outputs for fixed inputs (a vocoder's held-out log-mels).

    The generator runs in eval mode under ``torch.no_grad`` (its mode is restored afterwards),
    on ``device`` (default: the device of its parameters); a DDP wrapper is unwrapped.

    Args:
        generator: ``forward(inputs)``, e.g. :class:`~audiogan.nn.HiFiGANGenerator`.
        inputs: ``(n, ...)``, e.g. log-mels ``(n, n_mels, frames)``.
        device: Where the generator runs.

    Returns:
        The outputs ``(n, *out_shape)``, float32 on the CPU.
    """
    generator = unwrap(generator)
    device = torch.device(device) if device is not None else module_device(generator)
    was_training = generator.training
    generator.eval()
    try:
        with torch.no_grad():
            out = generator(inputs.to(device))
    finally:
        generator.train(was_training)
    return out.detach().to("cpu", torch.float32)


class FakeWriter(Callback):
    """Every N steps or epochs, write fakes from a fixed latent, their pictures and the losses.

    Each round draws ``fakes_per_class`` fakes per class (or ``fakes_per_class`` in all for an unconditional
    generator) from ``trainer.sampling_generator`` (the EMA generator when present) with the same
    seeded latent, so rounds show progress rather than new noise. Into
    ``out_dir/fakes/step_000120/`` it writes, for any frontend, through its hooks:

    * ``<class>_00<suffix>`` ... by ``frontend.save`` (through
      :func:`audiogan.export.export_features`): ``.wav`` for audiogan's spectrogram frontends,
      ``.mid`` for :class:`~audiogan.frontends.PianoRoll`;
    * one grid ``<class>.png`` per class (the class name in the title), each fake drawn by
      ``frontend.plot`` (a spectrogram, a piano roll, ...), with real items of that class to
      the right when ``real`` is given;

    * with ``overview=True`` and a conditional generator, ``all_classes.png``: one row per class
      (its fakes, then its real items when ``real`` is given), so one picture shows whether the
      classes are told apart;

    plus ``round.json`` (step, epoch, metrics), the loss curves ``out_dir/losses.png`` from
    ``trainer.history``, and, with ``gallery=True``, the browsable ``out_dir/index.html``
    (:func:`audiogan.train.callbacks.gallery.write_gallery`). Unconditional fakes are named
    ``fake_00`` ... and drawn in ``fake.png``. Rank 0 only.

    A paired generator (a vocoder) draws no latent: give ``inputs``, fixed items it turns into
    outputs each round (e.g. held-out log-mels ``(n, n_mels, frames)`` -> waveforms), written as
    ``fake_00`` ... and drawn in ``fake.png``; ``real`` then holds the matching real items
    ``(n, *feature_shape)`` (the clips the log-mels came from), written as ``real_00`` ... beside
    them in each round (to listen to both) and drawn to the right. Classes are not used.

    Args:
        frontend: Meets :class:`~audiogan.protocols.Frontend`; FakeWriter calls its
            ``feature_shape``, ``suffix``, ``save`` (on CPU features) and ``plot``.
        class_names: Names of the generator's classes (default ``class_0`` ...); must have
            ``num_classes`` entries.
        fakes_per_class: Fakes per class per round.
        every: Run every ``every`` units.
        unit: ``"step"`` or ``"epoch"``.
        seed: Seed of the fixed latent.
        real: Optional real features ``(n, *feature_shape)`` drawn beside the generated ones
            (with ``inputs``: the real items that match them, one per input).
        real_labels: ``(n,)`` class of each real item; needed with ``real`` for a conditional
            generator (the first ``fakes_per_class`` real items of each class are drawn).
        gallery: Also rewrite ``out_dir/index.html``.
        overview: Also draw ``all_classes.png`` (conditional generators).
        at_end: Run once more at the end of ``fit`` if the last step was not covered.
        inputs: For a paired generator: its fixed inputs ``(n, ...)``, turned into ``n``
            fakes each round instead of sampling a latent (``fakes_per_class`` is not used).

    Raises:
        TypeError: If the frontend lacks ``feature_shape``, ``suffix``, ``save`` or ``plot``.
        ValueError: If ``real`` does not match ``frontend.feature_shape``, ``real_labels``
            does not match ``real``, or ``real`` has not one item per input; at a round, if ``class_names`` does not match the
            generator's ``num_classes`` or ``real_labels`` are missing for a conditional
            generator.
    """

    @renamed_arguments(n_per_class="fakes_per_class")
    def __init__(
        self,
        frontend: Frontend,
        class_names: Sequence[str] | None = None,
        fakes_per_class: int = 4,
        every: int = 1,
        unit: Unit = "epoch",
        seed: int = 0,
        real: torch.Tensor | None = None,
        real_labels: torch.Tensor | Sequence[int] | None = None,
        gallery: bool = True,
        at_end: bool = True,
        overview: bool = True,
        inputs: torch.Tensor | None = None,
    ) -> None:
        super().__init__(every=every, unit=unit, at_end=at_end)
        if fakes_per_class < 1:
            raise ValueError(f"FakeWriter: fakes_per_class must be >= 1, got {fakes_per_class}")
        check_output_hooks(frontend, "FakeWriter")
        self.frontend = frontend
        self.class_names = list(class_names) if class_names is not None else None
        self.fakes_per_class = fakes_per_class
        self.seed = seed
        self.gallery = gallery
        self.overview = overview
        self._written_step: int | None = None
        self.real: torch.Tensor | None = None
        self.real_labels: torch.Tensor | None = None
        if real is not None:
            feature_shape = tuple(frontend.feature_shape)
            got = tuple(real.shape[1:])
            if (
                len(got) != len(feature_shape)
                or any(w is not None and w != g for w, g in zip(feature_shape, got, strict=True))
                or real.shape[0] == 0
            ):
                raise ValueError(
                    f"FakeWriter: real must have shape (n >= 1, {', '.join(map(str, feature_shape))}) "
                    f"(n, *feature_shape), got {tuple(real.shape)}"
                )
            self.real = real.detach().to("cpu", torch.float32)
            if real_labels is not None:
                labels = torch.as_tensor(real_labels).to("cpu", torch.int64).reshape(-1)
                if len(labels) != len(real):
                    raise ValueError(
                        f"FakeWriter: real_labels must have one label per real item ({len(real)}), got {len(labels)}"
                    )
                self.real_labels = labels
        self.inputs: torch.Tensor | None = None
        if inputs is not None:
            if not isinstance(inputs, torch.Tensor) or inputs.dim() < 1 or len(inputs) == 0:
                got = tuple(inputs.shape) if isinstance(inputs, torch.Tensor) else type(inputs)
                raise ValueError(f"FakeWriter: inputs must be a tensor (n >= 1, ...), got {got}")
            if self.real is not None and len(self.real) != len(inputs):
                raise ValueError(
                    f"FakeWriter: real must hold one item per input ({len(inputs)}), "
                    f"got {len(self.real)}"
                )
            self.inputs = inputs.detach().cpu()

    def on_fit_start(self, trainer: Trainer) -> None:
        self._written_step = None

    def run(self, trainer: Trainer) -> None:
        if not getattr(trainer, "is_main_process", True) or self._written_step == trainer.step:
            return  # off rank 0, or this step's round is written already (fit ending after an epoch)
        self.write(trainer)
        self._written_step = int(trainer.step)

    def _names(self, num_classes: int) -> list[str]:
        """The class names (as given, for titles); ``[]`` for an unconditional generator."""
        if num_classes == 0:
            return []
        names = self.class_names or [f"class_{i}" for i in range(num_classes)]
        if len(names) != num_classes:
            raise ValueError(
                f"FakeWriter: class_names has {len(names)} entries but the generator has {num_classes} classes"
            )
        return [str(n) for n in names]

    def _real_for(self, class_index: int | None) -> torch.Tensor | None:
        if self.real is None:
            return None
        if class_index is None:
            return self.real[: self.fakes_per_class] if self.inputs is None else self.real
        if self.real_labels is None:
            raise ValueError(
                "FakeWriter: real_labels are needed with real for a conditional generator"
            )
        chosen = self.real[self.real_labels == class_index][: self.fakes_per_class]
        return chosen if len(chosen) else None

    def write(self, trainer: Trainer) -> Path:
        """One sampling round for ``trainer`` (whatever its rank); returns the round's folder."""
        out_dir = Path(trainer.out_dir)
        folder = out_dir / FAKES_FOLDER / round_name(int(trainer.step))
        folder.mkdir(parents=True, exist_ok=True)
        generator = unwrap(trainer.sampling_generator)
        labels: torch.Tensor | None
        if self.inputs is not None:
            features, labels = paired_fakes(generator, self.inputs, trainer.device), None
            class_names = []
        else:
            features, labels = fixed_fakes(
                generator, self.fakes_per_class, self.seed, trainer.device
            )
            class_names = self._names(int(getattr(generator, "num_classes", 0)))

        groups: list[tuple[str, str, int | None]]
        groups = file_stems(class_names) if labels is not None else [("fake", "fakes", None)]
        for group, title, class_index in groups:
            items = features if class_index is None else features[labels == class_index]
            stems = [f"{group}_{i:02d}" for i in range(len(items))]
            export_features(items, self.frontend, folder, stems)
            real = self._real_for(class_index)
            if self.inputs is not None and real is not None:  # the matching clips, to compare
                export_features(
                    real, self.frontend, folder, [f"real_{i:02d}" for i in range(len(real))]
                )
            plot_feature_grid(
                self.frontend.plot,
                items,
                folder / f"{group}.png",
                titles=stems,
                ncols=min(4, len(items)),
                real=real,
                real_titles=None if real is None else [f"real {i}" for i in range(len(real))],
                title=title,
            )

        if self.overview and labels is not None:
            self._overview(features, labels, class_names, folder / "all_classes.png", trainer.step)

        info = {
            "step": int(trainer.step),
            "epoch": int(trainer.epoch),
            "metrics": {
                k: float(v)
                for k, v in dict(getattr(trainer, "metrics", {}) or {}).items()
                if _is_scalar(v)
            },
        }
        (folder / "round.json").write_text(json.dumps(info, indent=1))
        history = list(getattr(trainer, "history", []) or [])
        if history:
            plot_losses(history, out_dir / "losses.png", smooth=max(1, len(history) // 50))
        if self.gallery:
            write_gallery(out_dir)
        return folder

    def _overview(
        self,
        features: torch.Tensor,
        labels: torch.Tensor,
        class_names: list[str],
        path: Path,
        step: int,
    ) -> None:
        """One row per class: its ``fakes_per_class`` fakes, then up to as many real items."""
        rows, titles = [], []
        real_n = 0 if self.real is None or self.real_labels is None else self.fakes_per_class
        blank = torch.full_like(features[0], float("nan"))
        for c, name in enumerate(class_names):
            row = list(features[labels == c])
            titles += [f"{name} {i}" for i in range(len(row))]
            real = self._real_for(c) if real_n else None
            real_items = [] if real is None else list(real)
            row += real_items + [blank] * (real_n - len(real_items))
            titles += [f"real {name}"] * len(real_items) + [""] * (real_n - len(real_items))
            rows += row
        plot_feature_grid(
            _skip_blank(self.frontend.plot),
            torch.stack(rows),
            path,
            titles=titles,
            ncols=self.fakes_per_class + real_n,
            title=f"step {step}: generated"
            + (" (left) and real (right)" if real_n else "")
            + ", one class per row",
        )


def _skip_blank(plot: Any) -> Any:
    """A plotting hook that leaves the cell of an all-NaN item empty (a class with few reals)."""

    def draw(item: torch.Tensor, ax: Any) -> None:
        if torch.isnan(item).all():
            ax.set_axis_off()
            return
        plot(item, ax)

    return draw


def _is_scalar(value: Any) -> bool:
    if isinstance(value, torch.Tensor):
        return value.numel() == 1
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


fixed_samples = fixed_fakes
"""The old name of :func:`fixed_fakes`."""

paired_samples = paired_fakes
"""The old name of :func:`paired_fakes`."""

SampleWriter = FakeWriter
"""The old name of :class:`FakeWriter` (its rounds went to ``samples/``, now ``fakes/``)."""
