"""The load chain shared by the file datasets, and the base class they build on.

Every item of :class:`~audiogan.data.AudioFolder` and :class:`~audiogan.data.AnnotatedAudio`
goes through the same chain::

    load_audio -> mix_down (mono) -> resample -> pad_or_trim -> transform (optional)

giving a ``(1, num_samples)`` waveform, or whatever ``transform`` returns for it.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from audiogan.audio.io import AudioFileError, audio_info, load_audio
from audiogan.audio.transforms import mix_down, pad_or_trim, resample

#: The values ``on_error`` accepts.
ON_ERROR_MODES: tuple[str, ...] = ("raise", "skip")

#: How many skipped files a warning names before it says "and N more".
_WARN_NAMES = 5


def item_generator(*keys: int) -> torch.Generator:
    """A CPU ``torch.Generator`` seeded from a tuple of non-negative ints.

    The keys are mixed with :class:`numpy.random.SeedSequence`, so ``(seed, i)`` and
    ``(seed, i + 1)`` give unrelated streams and the result does not depend on any global state.
    """
    state = np.random.SeedSequence([int(k) for k in keys]).generate_state(2, dtype=np.uint32)
    return torch.Generator().manual_seed(int(state[0]) << 32 | int(state[1]))


def load_clip(
    path: str | os.PathLike,
    sample_rate: int,
    num_samples: int,
    random_crop: bool = False,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Load one file as a fixed-length mono clip.

    Args:
        path: Audio file.
        sample_rate: Rate to resample to.
        num_samples: Length of the result; shorter audio is right-padded with zeros, longer
            audio is trimmed (from the start, or at a random offset with ``random_crop``).
        random_crop: Take a random window when trimming.
        generator: Random source for the crop.

    Returns:
        ``(1, num_samples)`` float32 waveform.

    Raises:
        AudioFileError: If the file cannot be read; the message names it.
    """
    wave, sr = load_audio(path)  # (channels, time)
    wave = mix_down(wave)  # (1, time)
    wave = resample(wave, sr, sample_rate)
    return pad_or_trim(wave, num_samples, random_crop=random_crop, generator=generator)


def apply_transform(wave: torch.Tensor, transform: Callable[[torch.Tensor], Any] | None) -> Any:
    """Apply a per-item ``transform`` to a ``(1, num_samples)`` clip, without autograd.

    The transform receives the mono waveform as ``(num_samples,)``, so a frontend's
    ``encode`` (``(..., time) -> (..., *feature_shape)``) returns exactly ``feature_shape``
    and a DataLoader batches it to ``(batch, *feature_shape)``.
    """
    if transform is None:
        return wave
    with torch.no_grad():
        return transform(wave[0])


def describe_transform(transform: Callable[..., Any] | None) -> dict[str, Any] | None:
    """A JSON-able description of a transform for ``cache_key()``: its name and, when the
    transform (or the module a bound method belongs to) has a JSON-able ``config``, that too."""
    if transform is None:
        return None
    owner = getattr(transform, "__self__", None)
    name = getattr(transform, "__qualname__", type(transform).__qualname__)
    module = getattr(transform, "__module__", type(transform).__module__)
    desc: dict[str, Any] = {"name": f"{module}.{name}"}
    config = getattr(owner if owner is not None else transform, "config", None)
    if config is not None:
        try:
            json.dumps(config)
        except (TypeError, ValueError):
            pass
        else:
            desc["config"] = config
    return desc


def file_entries(files: Sequence[Path], base: Path) -> list[list[Any]]:
    """``[relative path, size in bytes, mtime in ns]`` for each file, for ``cache_key()``."""
    entries: list[list[Any]] = []
    for path in files:
        st = path.stat()
        rel = Path(os.path.relpath(path, base)).as_posix()
        entries.append([rel, int(st.st_size), int(st.st_mtime_ns)])
    return entries


def header_problem(path: Path) -> str | None:
    """Check a file cheaply (its header only). Returns what is wrong, or None if it looks fine."""
    try:
        info = audio_info(path)
    except AudioFileError as err:
        return err.reason
    if info.num_frames <= 0:
        return "the file holds no samples (zero length)"
    if info.num_channels <= 0 or info.sample_rate <= 0:
        return f"invalid header ({info.num_channels} channels at {info.sample_rate} Hz)"
    return None


def check_loading_args(name: str, sample_rate: int, num_samples: int, on_error: str) -> None:
    """Validate the arguments every file dataset shares; raise ValueError naming the bad one."""
    if on_error not in ON_ERROR_MODES:
        raise ValueError(f"{name}: on_error must be one of {ON_ERROR_MODES}, got {on_error!r}")
    if int(sample_rate) <= 0:
        raise ValueError(f"{name}: sample_rate must be positive, got {sample_rate}")
    if int(num_samples) <= 0:
        raise ValueError(f"{name}: num_samples must be positive, got {num_samples}")


class FileAudioDataset(Dataset):
    """Base of the datasets of audio files: screening, the load chain, skip handling.

    Subclasses find their ``(path, label, context)`` candidates, set ``classes``, and call
    :meth:`_screen`. Items are ``(features, label)`` where ``features`` is the
    ``(1, num_samples)`` clip or ``transform`` of its ``(num_samples,)`` waveform.

    With ``on_error="skip"``, a file that passed the header check but fails to decode in
    ``__getitem__`` is replaced by the next decodable item (index + 1, + 2, ..., wrapping
    around; its label comes with it), added to ``skipped`` and reported in a warning. Each
    DataLoader worker holds its own copy of the dataset, so ``skipped`` in the main process
    lists only failures seen there (at construction, or with ``num_workers=0``).
    """

    files: list[Path]
    labels: list[int]
    classes: list[str]
    class_to_idx: dict[str, int]
    skipped: list[tuple[Path, str]]

    def __init__(
        self,
        sample_rate: int,
        num_samples: int,
        transform: Callable[[torch.Tensor], Any] | None,
        on_error: str,
        random_crop: bool,
        seed: int,
    ) -> None:
        check_loading_args(type(self).__name__, sample_rate, num_samples, on_error)
        self.sample_rate = int(sample_rate)
        self.num_samples = int(num_samples)
        self.transform = transform
        self.on_error = on_error
        self.random_crop = bool(random_crop)
        self.seed = int(seed)
        self.epoch = 0
        self.files = []
        self.labels = []
        self.skipped = []
        self._undecodable: set[int] = set()

    def _screen(self, candidates: Sequence[tuple[Path, int, str]]) -> None:
        """Header-check each ``(path, label, context)``; keep the good ones in ``files``/``labels``.

        ``context`` is appended to the reason in errors (e.g. ``"listed on line 4 of a.csv"``).

        Raises:
            AudioFileError: With ``on_error="raise"``, for the first bad file.
        """
        for path, label, context in candidates:
            problem = header_problem(path)
            if problem is None:
                self.files.append(path)
                self.labels.append(label)
                continue
            reason = f"{problem} ({context})" if context else problem
            if self.on_error == "raise":
                raise AudioFileError(path, reason)
            self.skipped.append((path, reason))
        if self.skipped:
            total = len(self.skipped) + len(self.files)
            warnings.warn(
                f"{type(self).__name__}: skipped {len(self.skipped)} of {total} files that could not "
                f"be read: {_name_some(self.skipped)}",
                stacklevel=3,
            )

    def set_epoch(self, epoch: int) -> None:
        """Choose the random crops of this epoch (with ``random_crop=True``).

        The crop of item ``i`` depends only on ``(seed, epoch, i)``, the same in every
        DataLoader worker and on every run.
        """
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> tuple[Any, int]:
        n = len(self.files)
        if not -n <= index < n:
            raise IndexError(f"{type(self).__name__}: index {index} out of range for {n} items")
        index %= n
        if self.on_error == "raise":
            return self._load_item(index)
        for offset in range(n):
            j = (index + offset) % n
            if j in self._undecodable:
                continue
            try:
                return self._load_item(j)
            except AudioFileError as err:
                self._undecodable.add(j)
                self.skipped.append((self.files[j], err.reason))
                warnings.warn(
                    f"{type(self).__name__}: {err}; substituting the next readable item",
                    stacklevel=2,
                )
        raise AudioFileError(self.files[index], "no file of the dataset could be decoded")

    def _load_item(self, index: int) -> tuple[Any, int]:
        generator = item_generator(self.seed, self.epoch, index) if self.random_crop else None
        wave = load_clip(
            self.files[index], self.sample_rate, self.num_samples, self.random_crop, generator
        )
        return apply_transform(wave, self.transform), self.labels[index]

    def _loading_key(self) -> dict[str, Any]:
        """The loading parameters part of ``cache_key()``."""
        return {
            "sample_rate": self.sample_rate,
            "num_samples": self.num_samples,
            "random_crop": self.random_crop,
            "seed": self.seed,
            "transform": describe_transform(self.transform),
        }


def _name_some(items: Sequence[tuple[Path, str]]) -> str:
    named = "; ".join(f"{path} ({reason})" for path, reason in items[:_WARN_NAMES])
    more = len(items) - _WARN_NAMES
    return named + (f"; and {more} more (see .skipped)" if more > 0 else "")
