"""A folder of audio files with one subfolder per class.

The layout of the one-hot cGAN's and the conditional WGAN-GP's data.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch

from audiogan.data._loading import FileAudioDataset, file_entries, item_generator

#: The suffixes AudioFolder looks for by default (everything libsndfile usually reads).
AUDIO_EXTENSIONS: tuple[str, ...] = (".wav", ".flac", ".ogg", ".mp3", ".aiff", ".aif")


class AudioFolder(FileAudioDataset):
    """Labelled clips from ``root/<class>/**/<file>``, one subfolder per class.

    Classes are the subfolder names, sorted (``class_to_idx``); hidden entries (starting with
    ``.``) are ignored. Files are searched recursively in each class folder. Each item goes
    through load -> mix down -> resample -> pad or trim -> ``transform``.

    Args:
        root: Folder holding one subfolder per class.
        sample_rate: Rate every clip is resampled to.
        num_samples: Length of every clip (right-padded with zeros or trimmed).
        fraction: Share of each class's files to use, in (0, 1]: ``max(1, int(n * fraction))``
            files are drawn at random per class, reproducibly for a ``seed``.
        seed: Seeds the per-class sampling and the random crops.
        extensions: File suffixes to use (case-insensitive).
        transform: Called on each clip's ``(num_samples,)`` mono waveform, e.g. a frontend's
            ``encode``; its result is yielded instead of the ``(1, num_samples)`` waveform.
        on_error: ``"raise"``: an unreadable file raises :class:`~audiogan.audio.AudioFileError`
            naming it, at construction (all selected files' headers are checked) or when an item
            fails to decode. ``"skip"``: unreadable files are left out, listed in ``skipped``
            and reported in one warning; a file that fails to decode later is replaced by the
            next readable item (see :class:`~audiogan.data._loading.FileAudioDataset`).
        random_crop: Trim long files at a random offset (depending on ``(seed, epoch, index)``,
            see :meth:`set_epoch`) instead of keeping their start.

    Yields:
        ``(waveform (1, num_samples) or transform(waveform), label)``.

    Attributes:
        files: The used files, by class then path.
        labels: Their class indices.
        classes: The sorted class folder names.
        class_to_idx: Class name to index.
        skipped: ``(path, reason)`` of each file left out with ``on_error="skip"``.

    Raises:
        ValueError: If ``root`` is missing or not a folder, holds no class subfolders, a class
            folder holds no file with one of ``extensions``, ``fraction`` is outside (0, 1], or
            ``on_error`` is not ``"raise"``/``"skip"``. The message names the path or argument.
        AudioFileError: With ``on_error="raise"``, if a selected file is unreadable.

    Example:
        >>> from audiogan.data import write_audio_folder
        >>> root = write_audio_folder("data/train", clips_per_class=2, num_samples=800)  # 5 classes
        >>> ds = AudioFolder(root, sample_rate=16000, num_samples=1600)
        >>> wave, label = ds[0]
        >>> wave.shape, label, ds.classes[label], len(ds)
        (torch.Size([1, 1600]), 0, 'dog_bark', 10)
    """

    def __init__(
        self,
        root: str | os.PathLike,
        sample_rate: int = 16000,
        num_samples: int = 16000,
        fraction: float = 1.0,
        seed: int = 0,
        extensions: Sequence[str] = AUDIO_EXTENSIONS,
        transform: Callable[[torch.Tensor], Any] | None = None,
        on_error: str = "raise",
        random_crop: bool = False,
    ) -> None:
        super().__init__(sample_rate, num_samples, transform, on_error, random_crop, seed)
        if not 0.0 < float(fraction) <= 1.0:
            raise ValueError(f"AudioFolder: fraction must be in (0, 1], got {fraction}")
        if isinstance(extensions, str):
            extensions = (extensions,)
        self.extensions = tuple(sorted({_normalize_suffix(e) for e in extensions}))
        if not self.extensions:
            raise ValueError("AudioFolder: extensions is empty; give suffixes such as ('.wav',)")
        self.root = Path(root)
        self.fraction = float(fraction)
        if not self.root.exists():
            raise ValueError(f"AudioFolder: root {self.root} does not exist")
        if not self.root.is_dir():
            raise ValueError(f"AudioFolder: root {self.root} is not a folder")

        class_dirs = sorted(
            (p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith(".")),
            key=lambda p: p.name,
        )
        if not class_dirs:
            raise ValueError(
                f"AudioFolder: {self.root} holds no class subfolders; expected root/<class>/<file> "
                f"with one subfolder per class"
            )
        self.classes = [p.name for p in class_dirs]
        self.class_to_idx = {name: i for i, name in enumerate(self.classes)}

        candidates: list[tuple[Path, int, str]] = []
        for label, class_dir in enumerate(class_dirs):
            found = self._audio_files(class_dir)
            if not found:
                raise ValueError(
                    f"AudioFolder: class folder {class_dir} holds no audio files "
                    f"(looked for {', '.join(self.extensions)})"
                )
            chosen = self._sample(found, class_dir.name)
            candidates.extend((path, label, "") for path in chosen)
        self._screen(candidates)
        for label, name in enumerate(self.classes):
            if label not in self.labels:
                raise ValueError(
                    f"AudioFolder: every selected file of class folder {self.root / name} is "
                    f"unreadable (see the warning above or .skipped)"
                )

    def _audio_files(self, class_dir: Path) -> list[Path]:
        files = []
        for path in class_dir.rglob("*"):
            rel_parts = path.relative_to(class_dir).parts
            if any(part.startswith(".") for part in rel_parts):
                continue
            if path.suffix.lower() in self.extensions and path.is_file():
                files.append(path)
        return sorted(files)

    def _sample(self, files: list[Path], class_name: str) -> list[Path]:
        """``max(1, int(len(files) * fraction))`` files, drawn per class from ``(seed, class name)``."""
        if self.fraction >= 1.0:
            return files
        count = max(1, int(len(files) * self.fraction))
        generator = item_generator(self.seed, zlib.crc32(class_name.encode("utf-8")))
        picked = torch.randperm(len(files), generator=generator)[:count]
        return [files[i] for i in sorted(picked.tolist())]

    def cache_key(self) -> dict[str, Any]:
        """JSON-able identity of the content and the loading parameters (for the feature cache).

        Holds each used file's path relative to ``root`` with its size and mtime (ns), the labels,
        the classes, and ``sample_rate``, ``num_samples``, ``fraction``, ``seed``, ``random_crop``,
        ``extensions`` and a description of ``transform``.
        """
        return {
            "dataset": "AudioFolder",
            "files": file_entries(self.files, self.root),
            "labels": list(self.labels),
            "classes": list(self.classes),
            "fraction": self.fraction,
            "extensions": list(self.extensions),
            **self._loading_key(),
        }

    def __repr__(self) -> str:
        return (
            f"AudioFolder(root={str(self.root)!r}, items={len(self)}, classes={self.classes}, "
            f"sample_rate={self.sample_rate}, num_samples={self.num_samples})"
        )


def _normalize_suffix(ext: str) -> str:
    ext = ext.strip().lower()
    return ext if ext.startswith(".") else f".{ext}"
