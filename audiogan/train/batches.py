"""What the Trainer makes of a loader's batch: real data, labels, and the generator's input.

A loader yields one of

- ``x``: real data ``(batch, *feature_shape)`` (an unconditional sampling GAN);
- ``(x, labels)``: real data and integer class labels ``(batch,)`` (a conditional GAN);
- a mapping with the key ``"real"`` and optionally ``"labels"`` and ``"inputs"``: ``inputs`` is
  what a paired GAN's generator maps to ``real``, e.g. a log-mel ``(batch, n_mels, frames)`` for
  a waveform ``(batch, 1, time)``.

:func:`unpack_batch` turns each into a :class:`Batch` on the training device. The label checks
against the generator (:func:`check_labels_fit`) run once, on the first batch of a ``fit``: after
that, a step never inspects label values (no host sync, nothing for ``torch.compile`` to break on).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from audiogan.train.wrapping import to_channels_last

__all__ = ["Batch", "check_labels_fit", "prepare_batch", "unpack_batch"]


@dataclass(frozen=True)
class Batch:
    """One loader batch on the training device.

    Attributes:
        real: Real data ``(batch, *feature_shape)``, after the Trainer's ``preprocess``.
        labels: Class labels ``(batch,)``, or None.
        inputs: The generator's input for a paired GAN (``(batch, ...)``), or None for a
            sampling GAN (the generator then draws ``sample_latent``).
    """

    real: torch.Tensor
    labels: torch.Tensor | None = None
    inputs: torch.Tensor | None = None

    @property
    def size(self) -> int:
        """The number of samples."""
        return self.real.shape[0]


def unpack_batch(raw: Any, device: torch.device) -> Batch:
    """``x``, ``(x, labels)`` or ``{"real", "labels", "inputs"}`` -> a :class:`Batch` on ``device``.

    Raises:
        ValueError: For any other structure, naming what came.
    """
    inputs = None
    if isinstance(raw, torch.Tensor):
        real, labels = raw, None
    elif isinstance(raw, (tuple, list)) and len(raw) in (1, 2):
        real, labels = raw[0], (raw[1] if len(raw) == 2 else None)
    elif isinstance(raw, Mapping) and "real" in raw:
        unknown = set(raw) - {"real", "labels", "inputs"}
        if unknown:
            raise ValueError(
                f"Trainer: a batch mapping has the keys 'real', 'labels', 'inputs'; got also "
                f"{sorted(unknown)}"
            )
        real, labels, inputs = raw["real"], raw.get("labels"), raw.get("inputs")
    else:
        what = (
            f"a {type(raw).__name__} of length {len(raw)}"
            if isinstance(raw, (tuple, list))
            else type(raw).__name__
        )
        raise ValueError(
            "Trainer: the loader must yield x or (x, labels), or a mapping with the keys "
            f"'real' and optionally 'labels' and 'inputs'; got {what}"
        )
    if not isinstance(real, torch.Tensor):
        raise ValueError(
            f"Trainer: the loader's real data must be a tensor, got {type(real).__name__}"
        )
    real = real.to(device, non_blocking=True)
    if labels is not None:
        labels = torch.as_tensor(labels).to(device, non_blocking=True)
    if inputs is not None:
        if not isinstance(inputs, torch.Tensor):
            raise ValueError(
                f"Trainer: the batch's 'inputs' must be a tensor, got {type(inputs).__name__}"
            )
        inputs = inputs.to(device, non_blocking=True)
    return Batch(real, labels, inputs)


def check_labels_fit(batch: Batch, generator: nn.Module) -> None:
    """Check, once per ``fit``, that the batch's labels fit the generator's ``num_classes``.

    Raises:
        ValueError: Labels for an unconditional generator, none for a conditional one, a label
            batch that does not match the data, or labels outside ``[0, num_classes)``.
    """
    num_classes = getattr(generator, "num_classes", None)
    name = type(generator).__name__
    labels, real = batch.labels, batch.real
    if labels is not None and num_classes == 0:
        raise ValueError(
            f"Trainer: the loader yields (x, labels) but the generator {name} is unconditional "
            "(num_classes=0); build it with num_classes=... or use a dataset that yields x alone"
        )
    if labels is None and num_classes:
        raise ValueError(
            f"Trainer: the generator {name} is conditional (num_classes={num_classes}) but the "
            "loader yields x without labels; yield (x, labels)"
        )
    if labels is None:
        return
    if labels.shape[:1] != real.shape[:1]:
        raise ValueError(
            f"Trainer: labels of shape {tuple(labels.shape)} do not match the batch "
            f"{tuple(real.shape)}"
        )
    if num_classes and not labels.is_floating_point() and labels.numel() > 0:
        lo, hi = int(labels.min()), int(labels.max())
        if lo < 0 or hi >= num_classes:
            raise ValueError(
                f"Trainer: labels must be in [0, {num_classes}) for {name}, got values in "
                f"[{lo}, {hi}]"
            )


def prepare_batch(
    raw: Any,
    device: torch.device,
    preprocess: Callable[[torch.Tensor], torch.Tensor] | None = None,
    generator_input: Callable[[torch.Tensor], torch.Tensor] | None = None,
    channels_last: bool = False,
) -> Batch:
    """A loader batch -> a :class:`Batch` on ``device``, ready for a training step.

    Args:
        raw: What the loader yielded (see the module docstring).
        device: The training device.
        preprocess: A frontend (its ``encode``) or a callable run on the real data under
            ``no_grad``, e.g. waveforms -> features. Mono waveforms ``(batch, 1, time)`` that encode to
            ``(batch, 1, *feature_shape)`` lose the extra axis, as in ``FeatureCache``.
        generator_input: Derives a paired GAN's generator input from the (preprocessed) real
            data when the batch brings none.
        channels_last: Put the real data in channels-last layout.
    """
    batch = unpack_batch(raw, device)
    real, inputs = batch.real, batch.inputs
    if preprocess is not None:
        encode = getattr(preprocess, "encode", preprocess)  # a frontend, or any callable
        with torch.no_grad():
            real = encode(real)
        shape = getattr(preprocess, "feature_shape", None)
        if shape is not None and real.dim() == len(shape) + 2 and real.shape[1] == 1:
            real = real.squeeze(1)
    if inputs is None and generator_input is not None:
        with torch.no_grad():
            inputs = generator_input(real)
    if channels_last:
        real = to_channels_last(real)
    return Batch(real, batch.labels, inputs)
