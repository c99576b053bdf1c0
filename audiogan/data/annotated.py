"""Audio clips listed in a CSV of file,label (the data of the recurrent event classifier)."""

from __future__ import annotations

import csv
import difflib
import io
import os
import re
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch

from audiogan.data._loading import FileAudioDataset, file_entries

_INT = re.compile(r"[+-]?\d+")
_FILE_WORDS = set(
    "file files filename fname path filepath name audio audiofile id slicefilename clip sample wav".split()
)
_LABEL_WORDS = {"label", "labels", "class", "classid", "classname", "category", "target", "y"}


class AnnotatedAudio(FileAudioDataset):
    """Labelled clips listed in a CSV file, one ``file,label`` row per clip.

    File names are relative to ``audio_dir``; a name without ``extension`` (the recurrent event
    classifier writes ``"0001"`` for ``0001.wav``) gets it appended unless the name exists as
    written. Items go through the same chain as :class:`~audiogan.data.AudioFolder`: load -> mix
    down -> resample -> pad or trim -> ``transform``.

    How labels become class indices:

    - With ``classes``: each label must be one of its names (integer labels compare as
      ``str(int(label))``, so ``"01"`` is ``"1"``); its index in ``classes`` is the class index.
      A label outside the list (a typo such as ``dgo``) is a ``ValueError`` naming the CSV file
      and line. Classes without any file are allowed: the list declares them.
    - Without ``classes``, integer labels: each is its class index and ``classes`` is
      ``["0", ..., str(max)]``; an index in ``0..max`` that no row uses is a ``ValueError``
      naming it (a gap is usually a typo or a subset of another data set; pass ``classes`` to
      declare the full list).
    - Without ``classes``, string labels: ``classes`` is their sorted set. Labels that differ only
      by case or whitespace (``Dog`` and ``dog``) stay distinct classes, with a warning naming
      them; pass ``classes`` to catch every typo.

    Args:
        csv_path: The annotation file (read with the :mod:`csv` module; UTF-8, an optional BOM).
        audio_dir: Folder the file names are relative to.
        sample_rate: Rate every clip is resampled to.
        num_samples: Length of every clip (right-padded with zeros or trimmed).
        transform: Called on each clip's ``(num_samples,)`` mono waveform, e.g. a frontend's
            ``encode``; its result is yielded instead of the ``(1, num_samples)`` waveform.
        on_error: ``"raise"``: a missing or unreadable file raises
            :class:`~audiogan.audio.AudioFileError` naming it and its CSV line. ``"skip"``: such
            files are left out, listed in ``skipped`` and reported in one warning. Malformed rows
            raise in both modes.
        file_column: Index of the column holding file names.
        label_column: Index of the column holding labels.
        extension: Suffix appended to file names that lack it (``""`` to never append).
        has_header: ``True``, ``False``, or ``"auto"``: the first row is a header when its file
            names no existing file and either a field reads like a column name (``file``,
            ``filename``, ``label``, ``class``...) or its label is not an integer while the
            other rows' labels are.
        random_crop: Trim long files at a random offset (see :meth:`set_epoch`).
        seed: Seeds the random crops.
        classes: The class names, in class-index order; every label must be one of them (see
            above). Default: taken from the labels.

    Yields:
        ``(waveform (1, num_samples) or transform(waveform), label)``.

    Attributes:
        files: The usable files, in CSV order.
        labels: Their class indices.
        classes: The class names.
        class_to_idx: Class name to index.
        skipped: ``(path, reason)`` of each file left out.
        header: The header row, or None.

    Raises:
        ValueError: If the CSV or ``audio_dir`` is missing, the CSV holds no rows, a row has a
            different number of columns than the first or an empty file/label field (the message
            gives the CSV line number), a label is a negative integer or not one of ``classes``,
            integer labels leave a class index unused (without ``classes``), or an argument is
            invalid.
        AudioFileError: With ``on_error="raise"``, if a listed file is missing or unreadable.
    """

    def __init__(
        self,
        csv_path: str | os.PathLike,
        audio_dir: str | os.PathLike,
        sample_rate: int = 16000,
        num_samples: int = 16000,
        transform: Callable[[torch.Tensor], Any] | None = None,
        on_error: str = "raise",
        file_column: int = 0,
        label_column: int = 1,
        extension: str = ".wav",
        has_header: bool | str = "auto",
        random_crop: bool = False,
        seed: int = 0,
        classes: Sequence[str] | None = None,
    ) -> None:
        super().__init__(sample_rate, num_samples, transform, on_error, random_crop, seed)
        if has_header not in (True, False, "auto"):
            raise ValueError(
                f"AnnotatedAudio: has_header must be True, False or 'auto', got {has_header!r}"
            )
        if min(file_column, label_column) < 0 or file_column == label_column:
            raise ValueError(
                f"AnnotatedAudio: file_column and label_column must be distinct non-negative "
                f"indices, got {file_column} and {label_column}"
            )
        self.csv_path = Path(csv_path)
        self.audio_dir = Path(audio_dir)
        self.file_column = int(file_column)
        self.label_column = int(label_column)
        self.extension = (
            extension if not extension or extension.startswith(".") else f".{extension}"
        )
        if not self.csv_path.is_file():
            raise ValueError(f"AnnotatedAudio: annotation file {self.csv_path} does not exist")
        if not self.audio_dir.is_dir():
            raise ValueError(
                f"AnnotatedAudio: audio_dir {self.audio_dir} does not exist or is not a folder"
            )

        rows = self._read_rows()
        if has_header is True or (has_header == "auto" and self._looks_like_header(rows)):
            self.header: list[str] | None = rows[0][1]
            rows = rows[1:]
        else:
            self.header = None
        if not rows:
            raise ValueError(f"AnnotatedAudio: {self.csv_path} holds no data rows")

        self.classes, labels = self._class_indices(rows, classes)
        self.class_to_idx = {name: i for i, name in enumerate(self.classes)}

        candidates = [
            (
                self._resolve(row[self.file_column]),
                label,
                f"listed on line {line} of {self.csv_path}",
            )
            for (line, row), label in zip(rows, labels, strict=True)
        ]
        self._screen(candidates)

    def _class_indices(
        self, rows: list[tuple[int, list[str]]], classes: Sequence[str] | None
    ) -> tuple[list[str], list[int]]:
        """``(classes, label of each row)`` by the rules of the class docstring."""
        raw = [(line, row[self.label_column]) for line, row in rows]
        integers = all(_INT.fullmatch(label) for _, label in raw)
        if integers:
            for line, label in raw:
                if int(label) < 0:
                    raise ValueError(
                        f"AnnotatedAudio: {self.csv_path} line {line}: negative label {int(label)}"
                    )
        if classes is not None:
            names = _check_classes(classes)
            index = {name: i for i, name in enumerate(names)}
            labels = []
            for line, label in raw:
                name = str(int(label)) if integers else label
                if name not in index:
                    close = difflib.get_close_matches(name, names, n=1)
                    hint = f" (did you mean {close[0]!r}?)" if close else ""
                    raise ValueError(
                        f"AnnotatedAudio: {self.csv_path} line {line}: label {label!r} is not one "
                        f"of classes {_shorten(names)}{hint}"
                    )
                labels.append(index[name])
            return names, labels
        if integers:
            labels = [int(label) for _, label in raw]
            unused = sorted(set(range(max(labels) + 1)) - set(labels))
            if unused:
                raise ValueError(
                    f"AnnotatedAudio: {self.csv_path}: integer labels are class indices, and no row "
                    f"has class {_shorten(unused)} of 0..{max(labels)}; fix the labels, or pass "
                    f"classes=[...] to declare every class (including those without files)"
                )
            return [str(i) for i in range(max(labels) + 1)], labels
        names = sorted({label for _, label in raw})
        _warn_near_duplicates(self.csv_path, names)
        index = {name: i for i, name in enumerate(names)}
        return names, [index[label] for _, label in raw]

    def _read_rows(self) -> list[tuple[int, list[str]]]:
        """Non-blank rows as ``(line number, stripped fields)``, all checked for shape."""
        rows: list[tuple[int, list[str]]] = []
        data = self.csv_path.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            line = data[: err.start].count(b"\n") + 1
            raise ValueError(
                f"AnnotatedAudio: {self.csv_path} line {line}: byte 0x{data[err.start]:02x} is "
                "not UTF-8 (the file may be Latin-1 or another encoding); save it as UTF-8"
            ) from None
        with io.StringIO(text, newline="") as fh:
            reader = csv.reader(fh)
            try:
                for row in reader:
                    if not any(field.strip() for field in row):
                        continue
                    rows.append((reader.line_num, [field.strip() for field in row]))
            except csv.Error as err:
                raise ValueError(
                    f"AnnotatedAudio: {self.csv_path} line {reader.line_num}: {err}"
                ) from err
        if not rows:
            raise ValueError(f"AnnotatedAudio: {self.csv_path} holds no rows")
        first_line, first = rows[0]
        width = len(first)
        needed = max(self.file_column, self.label_column) + 1
        if width < needed:
            raise ValueError(
                f"AnnotatedAudio: {self.csv_path} line {first_line}: expected at least {needed} columns "
                f"(file_column={self.file_column}, label_column={self.label_column}), got {width}: {first}"
            )
        for line, row in rows:
            if len(row) != width:
                raise ValueError(
                    f"AnnotatedAudio: {self.csv_path} line {line}: expected {width} columns "
                    f"(as on line {first_line}), got {len(row)}: {row}"
                )
            for column, what in ((self.file_column, "file name"), (self.label_column, "label")):
                if not row[column]:
                    raise ValueError(
                        f"AnnotatedAudio: {self.csv_path} line {line}: empty {what} (column {column})"
                    )
        return rows

    def _resolve(self, name: str) -> Path:
        """The file a name refers to: as written if it exists or ends with ``extension``, else
        with ``extension`` appended."""
        path = self.audio_dir / name
        if not self.extension or name.lower().endswith(self.extension.lower()) or path.is_file():
            return path
        return self.audio_dir / f"{name}{self.extension}"

    def _looks_like_header(self, rows: list[tuple[int, list[str]]]) -> bool:
        first = rows[0][1]
        file_field, label_field = first[self.file_column], first[self.label_column]
        if self._resolve(file_field).is_file():
            return False

        def word(text: str) -> str:
            return re.sub(r"[^a-z]", "", text.lower())

        if word(file_field) in _FILE_WORDS or word(label_field) in _LABEL_WORDS:
            return True
        others = [row[self.label_column] for _, row in rows[1:]]
        return (
            bool(others)
            and not _INT.fullmatch(label_field)
            and all(_INT.fullmatch(x) for x in others)
        )

    def cache_key(self) -> dict[str, Any]:
        """JSON-able identity of the content and the loading parameters (for the feature cache).

        Holds each used file's path relative to ``audio_dir`` with its size and mtime (ns), the
        labels, the classes, and ``sample_rate``, ``num_samples``, ``random_crop``, ``seed`` and a
        description of ``transform``.
        """
        return {
            "dataset": "AnnotatedAudio",
            "files": file_entries(self.files, self.audio_dir),
            "labels": list(self.labels),
            "classes": list(self.classes),
            **self._loading_key(),
        }

    def __repr__(self) -> str:
        return (
            f"AnnotatedAudio(csv_path={str(self.csv_path)!r}, items={len(self)}, "
            f"classes={self.classes}, sample_rate={self.sample_rate}, num_samples={self.num_samples})"
        )


def _check_classes(classes: Sequence[str]) -> list[str]:
    """``classes`` as a list of distinct, non-empty names (``str`` of each entry, stripped)."""
    if isinstance(classes, str):
        raise ValueError(f"AnnotatedAudio: classes must be a sequence of names, got {classes!r}")
    names = [str(c).strip() for c in classes]
    if not names or not all(names):
        raise ValueError(f"AnnotatedAudio: classes must be non-empty names, got {list(classes)!r}")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"AnnotatedAudio: classes lists {repeated} more than once")
    return names


def _warn_near_duplicates(csv_path: Path, names: list[str]) -> None:
    """Warn about labels that differ only by case or whitespace (``Dog`` / ``dog``)."""
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(" ".join(name.split()).casefold(), []).append(name)
    similar = [group for group in groups.values() if len(group) > 1]
    if similar:
        listed = "; ".join(" / ".join(repr(n) for n in group) for group in similar)
        warnings.warn(
            f"AnnotatedAudio: {csv_path}: labels that differ only by case or whitespace are "
            f"different classes: {listed}; pass classes=[...] if they are one class (a typo)",
            stacklevel=4,
        )


def _shorten(items: Sequence[Any], limit: int = 20) -> str:
    shown = ", ".join(repr(x) if isinstance(x, str) else str(x) for x in items[:limit])
    more = f", ... ({len(items) - limit} more)" if len(items) > limit else ""
    return f"[{shown}{more}]"
