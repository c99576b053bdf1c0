"""A folder of MIDI files (or music21 streams) as MuseGAN piano-roll phrases.

:class:`MidiFolder` cuts music into phrases of a :class:`~audiogan.frontends.PianoRoll`'s
shape ``(tracks, bars, steps_per_bar, pitches)`` in {-1, 1}: the items
:class:`~audiogan.data.JSBChorales` yields, so the MuseGAN recipe trains on either.

How a piece becomes phrases:

1. **Sources.** Every ``.mid``/``.midi`` file under ``root`` (searched recursively, hidden
   files and folders ignored, in sorted path order), or music21 streams passed to
   :meth:`MidiFolder.from_streams`. A file that can't be read raises a
   :class:`~audiogan.music.midi.MidiFileError` naming it, or with ``on_error="skip"`` is left
   out, listed in :attr:`MidiFolder.skipped` and reported in a warning.
2. **Bars and steps.** :func:`~audiogan.music.midi.read_piece` (a file) or
   :func:`~audiogan.music.score.stream_piece` (a stream; a pickup ends on the first bar line)
   reads the parts in quarter notes and the bar lines (time signatures, measures), and
   :meth:`~audiogan.music.piece.Piece.steps` splits each bar into ``steps_per_bar`` equal
   steps. The roll's bar is ``steps_per_bar / steps_per_beat`` quarter notes (4, a 4/4 bar,
   with the defaults 16 / 4). A phrase holding a bar of another length (a 3/4 bar in a 4/4
   roll, a bar cut short by a mid-bar time signature change) is skipped with
   ``other_meters="skip"`` (the default, counted in :attr:`MidiFolder.phrases_skipped`) or
   kept, that bar's steps stretched or squeezed to fill ``steps_per_bar``, with
   ``"stretch"``.
3. **Voices.** Drum instruments (MIDI channel 10) and instruments without notes are dropped;
   the others map to the roll's tracks by :func:`~audiogan.music.voices.assign_voices` (by
   name, one instrument split by pitch order, else in order; with fewer instruments than
   tracks, ``fewer_tracks`` says ``"silent"``, ``"split"`` or ``"skip"``, the last listing the
   file in :attr:`MidiFolder.skipped`). Every track is monophonic, as in the chorales.
4. **Range.** Then :func:`~audiogan.music.voices.fit_range` moves a pitch outside
   ``lowest_pitch .. lowest_pitch + pitches - 1`` by octaves into the range
   (``out_of_range="octave"``, the default) or makes it a rest (``"drop"``).
5. **Phrases.** Windows of ``bars`` bars starting on the piece's bar lines every
   ``hop_bars`` bars (default ``bars``: back to back, no overlap), from the first bar to the
   bar of the last note's end. An incomplete window at the end is dropped, as by
   :class:`~audiogan.data.JSBChorales` (``pad=True`` keeps it, filled with rests). A
   phrase that is silent in every track is skipped (counted). A source that gives no phrase
   is listed in :attr:`MidiFolder.skipped` with the reason; if no source gives one, the
   constructor raises a ValueError that lists them.

Splits are by source, never by phrase, as for the chorales: a file's path relative to ``root``
(a stream's name) goes to ``"train"``, ``"valid"`` or ``"test"`` by
:func:`~audiogan.data.chorales.chorale_split` (about 60/20/20, stable whatever else is in the
folder).
"""

from __future__ import annotations

import hashlib
import math
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from audiogan._optional import require
from audiogan.data._loading import ON_ERROR_MODES, _name_some
from audiogan.data.chorales import SPLITS, chorale_split
from audiogan.frontends.pianoroll import PianoRoll, pitches_to_roll
from audiogan.music.midi import MidiFileError, read_piece
from audiogan.music.phrases import Phrases, cut_phrases
from audiogan.music.piece import Piece
from audiogan.music.score import stream_piece
from audiogan.music.voices import (
    FEWER_TRACKS,
    assign_voices,
    fit_range,
    note_activity,
)

#: The suffixes MidiFolder looks for by default (case-insensitive).
MIDI_EXTENSIONS: tuple[str, ...] = (".mid", ".midi")

_OUT_OF_RANGE = ("octave", "drop")
_OTHER_METERS = ("skip", "stretch")


class MidiFolder(Dataset):
    """Phrases of a folder of MIDI files as piano rolls ``(tracks, bars, steps_per_bar, pitches)``.

    Yields ``x`` alone (no label), exactly like :class:`~audiogan.data.JSBChorales`: a float32
    tensor ``(tracks, bars, steps_per_bar, pitches)`` in {-1, 1}, +1 where a pitch sounds, with
    at most one +1 per track and step. See the module docstring for how files are read, voices
    assigned and phrases cut. :meth:`from_streams` builds one from music21 streams instead.

    The roll's shape comes from ``frontend`` or from the explicit arguments (PianoRoll's names
    and defaults: 4 tracks, 2 bars, 16 steps per bar, 84 pitches from MIDI 0, 4 steps per quarter
    note); an explicit argument that disagrees with ``frontend`` is an error.

    Args:
        root: Folder searched recursively for MIDI files.
        frontend: The :class:`~audiogan.frontends.PianoRoll` whose ``feature_shape`` the items
            have (its ``track_names`` are matched against instrument names).
        tracks: Tracks (voices or instruments) per roll.
        bars: Bars per phrase.
        steps_per_bar: Steps per bar.
        pitches: Pitch axis size.
        lowest_pitch: MIDI number of pitch index 0.
        steps_per_beat: Steps per quarter note: the roll's bar is ``steps_per_bar /
            steps_per_beat`` quarter notes.
        hop_bars: Bars between the starts of consecutive phrases of a piece (default ``bars``:
            no overlap; 1: phrases overlap by ``bars - 1`` bars).
        pad: Keep a piece's last, incomplete phrase, filled with rests (default: drop it).
        split: ``None`` (all), ``"train"``, ``"valid"`` or ``"test"``, by source.
        fewer_tracks: A file with fewer (pitched, non-empty) instruments than tracks:
            ``"silent"`` fills the remaining tracks with rests, ``"split"`` splits its notes
            by pitch order, ``"skip"`` skips it.
        out_of_range: Pitches outside the roll's range: ``"octave"`` moves them by octaves into
            it, ``"drop"`` makes them rests.
        other_meters: Phrases holding a bar of another length than the roll's: ``"skip"`` or
            ``"stretch"`` (to ``steps_per_bar`` steps).
        on_error: ``"raise"``: an unreadable file raises
            :class:`~audiogan.music.midi.MidiFileError` naming it. ``"skip"``: it is left out,
            listed in :attr:`skipped` and reported in one warning.
        extensions: File suffixes to use (case-insensitive).

    Attributes:
        frontend: The :class:`~audiogan.frontends.PianoRoll` of the roll's shape.
        feature_shape: ``(tracks, bars, steps_per_bar, pitches)``.
        data: ``(phrases, tracks, bars, steps_per_bar, pitches)`` int8 numpy array in {-1, 1}
            (compact; ``__getitem__`` returns float32).
        grids: ``(phrases, bars * steps_per_bar, tracks)`` pitch grids: float32 MIDI numbers,
            NaN = rest.
        names: The source of each phrase: the file's path relative to ``root`` (POSIX), or the
            stream's name.
        start_bars: The bar of its source each phrase starts at.
        files: The files that gave phrases, in sorted order (empty for streams).
        skipped: ``(path or name, reason)`` of each source that gave no phrase: unreadable
            (with ``on_error="skip"``), only drums, too short, all silent, ...
        phrases_skipped: Phrases left out, by reason: ``"silent"``, ``"meter"``.

    Raises:
        ValueError: If ``root`` is missing or not a folder, holds no file with one of
            ``extensions``, no source gives a phrase, no file falls in ``split``, or an argument
            is out of range. The message names the path or argument.
        MidiFileError: With ``on_error="raise"``, for the first unreadable file.

    Example:
        >>> from audiogan.music import Note, Track, write_midi
        >>> voices = [  # four voices of quarter notes (4 steps), 2 bars of 16 steps
        ...     Track(f"voice{v}", notes=[Note(4 * k, 4 * k + 4, 72 - 5 * v) for k in range(8)])
        ...     for v in range(4)
        ... ]
        >>> path = write_midi(voices, "my_midi/song.mid")
        >>> ds = MidiFolder("my_midi", PianoRoll(tracks=4, bars=2))
        >>> len(ds), ds[0].shape  # (tracks, bars, steps_per_bar, pitches)
        (1, torch.Size([4, 2, 16, 84]))
    """

    def __init__(
        self,
        root: str | os.PathLike,
        frontend: PianoRoll | None = None,
        *,
        tracks: int | None = None,
        bars: int | None = None,
        steps_per_bar: int | None = None,
        pitches: int | None = None,
        lowest_pitch: int | None = None,
        steps_per_beat: int | None = None,
        hop_bars: int | None = None,
        pad: bool = False,
        split: str | None = None,
        fewer_tracks: str = "silent",
        out_of_range: str = "octave",
        other_meters: str = "skip",
        on_error: str = "raise",
        extensions: Sequence[str] = MIDI_EXTENSIONS,
    ) -> None:
        self._configure(
            frontend,
            {
                "tracks": tracks,
                "bars": bars,
                "steps_per_bar": steps_per_bar,
                "pitches": pitches,
                "lowest_pitch": lowest_pitch,
                "steps_per_beat": steps_per_beat,
            },
            hop_bars,
            pad,
            split,
            fewer_tracks,
            out_of_range,
            other_meters,
            on_error,
        )
        if isinstance(extensions, str):
            extensions = (extensions,)
        self.extensions = tuple(sorted({_normalize_suffix(e) for e in extensions}))
        if not self.extensions:
            raise ValueError("MidiFolder: extensions is empty; give suffixes such as ('.mid',)")
        self.root: Path | None = Path(root)
        if not self.root.exists():
            raise ValueError(f"MidiFolder: root {self.root} does not exist")
        if not self.root.is_dir():
            raise ValueError(f"MidiFolder: root {self.root} is not a folder")
        found = self._midi_files(self.root)
        if not found:
            raise ValueError(
                f"MidiFolder: no {'/'.join(self.extensions)} files in {self.root} "
                f"(searched recursively)"
            )
        sources = [(Path(os.path.relpath(p, self.root)).as_posix(), p) for p in found]
        self._load(sources, where=str(self.root))

    @classmethod
    def from_streams(
        cls,
        streams: Any,
        frontend: PianoRoll | None = None,
        *,
        names: Sequence[str] | None = None,
        tracks: int | None = None,
        bars: int | None = None,
        steps_per_bar: int | None = None,
        pitches: int | None = None,
        lowest_pitch: int | None = None,
        steps_per_beat: int | None = None,
        hop_bars: int | None = None,
        pad: bool = False,
        split: str | None = None,
        fewer_tracks: str = "silent",
        out_of_range: str = "octave",
        other_meters: str = "skip",
    ) -> MidiFolder:
        """Phrases of music21 streams (a Score's parts are its instruments, in score order).

        Args:
            streams: A music21 stream or a sequence of them (Score, Part, or a Stream of notes
                and chords; a stream without parts is one instrument).
            frontend: As in :class:`MidiFolder`.
            names: One name per stream, for :attr:`names`, :attr:`skipped` and ``split``
                (default: the stream's title, else ``"stream<i>"``).
            tracks: As in :class:`MidiFolder`; so are the other arguments.
            bars: See :class:`MidiFolder`.
            steps_per_bar: See :class:`MidiFolder`.
            pitches: See :class:`MidiFolder`.
            lowest_pitch: See :class:`MidiFolder`.
            steps_per_beat: See :class:`MidiFolder`.
            hop_bars: See :class:`MidiFolder`.
            pad: See :class:`MidiFolder`.
            split: See :class:`MidiFolder`.
            fewer_tracks: See :class:`MidiFolder`.
            out_of_range: See :class:`MidiFolder`.
            other_meters: See :class:`MidiFolder`.

        Returns:
            A :class:`MidiFolder` with ``root`` None and no ``files``.

        Raises:
            TypeError: If an entry is not a music21 stream (the message gives its index).
            ValueError: If ``names`` has not one entry per stream, or no stream gives a phrase.
        """
        stream = require("music21.stream", feature="MidiFolder.from_streams")
        if isinstance(streams, stream.Stream):
            streams = [streams]
        streams = list(streams)
        for i, s in enumerate(streams):
            if not isinstance(s, stream.Stream):
                raise TypeError(
                    f"MidiFolder.from_streams: streams[{i}] should be a music21 stream, "
                    f"got {type(s).__name__}"
                )
        if not streams:
            raise ValueError("MidiFolder.from_streams: streams is empty")
        if names is None:
            names = [
                str(getattr(getattr(s, "metadata", None), "title", None) or f"stream{i}")
                for i, s in enumerate(streams)
            ]
        elif len(names) != len(streams):
            raise ValueError(
                f"MidiFolder.from_streams: names: expected {len(streams)} entries (one per "
                f"stream), got {len(names)}"
            )
        dataset = cls.__new__(cls)
        dataset._configure(
            frontend,
            {
                "tracks": tracks,
                "bars": bars,
                "steps_per_bar": steps_per_bar,
                "pitches": pitches,
                "lowest_pitch": lowest_pitch,
                "steps_per_beat": steps_per_beat,
            },
            hop_bars,
            pad,
            split,
            fewer_tracks,
            out_of_range,
            other_meters,
            "raise",
        )
        dataset.extensions = ()
        dataset.root = None
        dataset._load(list(zip((str(n) for n in names), streams, strict=True)), "the streams")
        return dataset

    def _configure(
        self,
        frontend: PianoRoll | None,
        shape: dict[str, int | None],
        hop_bars: int | None,
        pad: bool,
        split: str | None,
        fewer_tracks: str,
        out_of_range: str,
        other_meters: str,
        on_error: str,
    ) -> None:
        given = {k: v for k, v in shape.items() if v is not None}
        if frontend is None:
            frontend = PianoRoll(**given)
        elif not isinstance(frontend, PianoRoll):
            raise TypeError(
                f"MidiFolder: frontend should be a PianoRoll, got {type(frontend).__name__}"
            )
        else:
            for key, value in given.items():
                if getattr(frontend, key) != value:
                    raise ValueError(
                        f"MidiFolder: {key}={value} disagrees with the frontend's "
                        f"{key}={getattr(frontend, key)}; pass one or the other"
                    )
        for what, value, allowed in (
            ("fewer_tracks", fewer_tracks, FEWER_TRACKS),
            ("out_of_range", out_of_range, _OUT_OF_RANGE),
            ("other_meters", other_meters, _OTHER_METERS),
            ("on_error", on_error, ON_ERROR_MODES),
        ):
            if value not in allowed:
                raise ValueError(f"MidiFolder: {what} must be one of {allowed}, got {value!r}")
        if split is not None and split not in SPLITS:
            raise ValueError(f"MidiFolder: split must be None or one of {SPLITS}, got {split!r}")
        if hop_bars is not None and (int(hop_bars) != hop_bars or hop_bars < 1):
            raise ValueError(
                f"MidiFolder: hop_bars must be a positive integer or None, got {hop_bars!r}"
            )
        if out_of_range == "octave" and frontend.pitches < 12:
            raise ValueError(
                f'MidiFolder: out_of_range="octave" needs at least 12 pitches, the roll has '
                f'{frontend.pitches}; use out_of_range="drop"'
            )
        self.frontend = frontend
        self.feature_shape: tuple[int, int, int, int] = frontend.feature_shape
        self.hop_bars = frontend.bars if hop_bars is None else int(hop_bars)
        self.pad = bool(pad)
        self.split = split
        self.fewer_tracks = fewer_tracks
        self.out_of_range = out_of_range
        self.other_meters = other_meters
        self.on_error = on_error

    @property
    def bar_quarters(self) -> float:
        """Length of the roll's bar in quarter notes, ``steps_per_bar / steps_per_beat``."""
        return self.frontend.steps_per_bar / self.frontend.steps_per_beat

    def _midi_files(self, root: Path) -> list[Path]:
        files = []
        for path in root.rglob("*"):
            if any(part.startswith(".") for part in path.relative_to(root).parts):
                continue
            if path.suffix.lower() in self.extensions and path.is_file():
                files.append(path)
        return sorted(files)

    def _load(self, sources: Sequence[tuple[str, Any]], where: str) -> None:
        """Read every ``(name, path or stream)`` source of the split and cut it into phrases."""
        if self.split is not None:
            sources = [s for s in sources if chorale_split(s[0]) == self.split]
            if not sources:
                raise ValueError(
                    f"MidiFolder: no source of {where} falls in split {self.split!r} "
                    f"(sources are split by name; see audiogan.data.chorales.chorale_split)"
                )
        self.files: list[Path] = []
        self.skipped: list[tuple[Path | str, str]] = []
        self.phrases_skipped: dict[str, int] = {"silent": 0, "meter": 0}
        found: list[np.ndarray] = []
        self.names: list[str] = []
        self.start_bars: list[int] = []
        unreadable = 0
        for name, source in sources:
            label: Path | str = source if isinstance(source, Path) else name
            try:
                piece = read_piece(source) if isinstance(source, Path) else stream_piece(source)
            except MidiFileError as err:
                if self.on_error == "raise":
                    raise
                self.skipped.append((label, err.reason))
                unreadable += 1
                continue
            phrases = self._phrases(piece, name)
            for reason, count in phrases.skipped.items():
                self.phrases_skipped[reason] += count
            if phrases.problem is not None:
                self.skipped.append((label, phrases.problem))
                continue
            found.append(phrases.grids)
            self.names.extend([name] * len(phrases.grids))
            self.start_bars.extend(phrases.start_bars)
            if isinstance(source, Path):
                self.files.append(source)
        what = "files" if self.root is not None else "streams"
        if not found:
            raise ValueError(
                f"MidiFolder: no {what} of {where} gave a phrase of shape {self.feature_shape} "
                f"(tracks, bars, steps_per_bar, pitches): {_name_some(self.skipped)}"
            )
        if self.skipped:
            warnings.warn(
                f"MidiFolder: skipped {len(self.skipped)} of {len(sources)} {what} "
                f"({unreadable} unreadable): {_name_some(self.skipped)}",
                stacklevel=3,
            )
        self.grids: np.ndarray = np.concatenate(found).astype(np.float32)
        fe = self.frontend
        rolls = pitches_to_roll(
            torch.from_numpy(self.grids), fe.bars, fe.steps_per_bar, fe.pitches, fe.lowest_pitch
        )
        self.data: np.ndarray = rolls.to(torch.int8).numpy()

    def _phrases(self, piece: Piece, name: str) -> Phrases:
        """A piece -> its kept phrases, or why it gave none (see the module docstring)."""
        fe = self.frontend
        spb = fe.steps_per_bar
        empty = np.zeros((0, fe.num_steps, fe.tracks), dtype=np.float32)
        pitched = [p for p in piece.parts if not p.is_drum and len(p.pitches)]
        if not pitched:
            drums = any(p.is_drum and len(p.pitches) for p in piece.parts)
            return Phrases(empty, [], problem="only drum tracks" if drums else "no notes")
        steps = [piece.steps(part, steps_per_bar=spb) for part in pitched]
        num_bars = math.ceil(max(int(e.max()) for _, e in steps) / spb)
        active = [
            note_activity(s, e, part.pitches, num_bars * spb)
            for (s, e), part in zip(steps, pitched, strict=True)
        ]
        try:
            grid = assign_voices(
                active,
                [p.name for p in pitched],
                fe.track_names,
                fewer_tracks=self.fewer_tracks,
                source=name,
            )
        except ValueError as err:  # fewer_tracks="skip"
            return Phrases(empty, [], problem=str(err))
        high = fe.lowest_pitch + fe.pitches - 1
        grid = fit_range(grid, fe.lowest_pitch, high, self.out_of_range, source=name)
        phrases = cut_phrases(
            grid,
            piece.bar_lengths,
            fe.bars,
            spb,
            self.hop_bars,
            pad=self.pad,
            bar_quarters=self.bar_quarters if self.other_meters == "skip" else None,
        )
        if phrases.problem is not None and phrases.skipped["meter"]:
            phrases.problem += (
                f" (steps_per_bar / steps_per_beat = {spb} / {fe.steps_per_beat}; "
                f'other_meters="stretch" keeps them)'
            )
        return phrases

    def cache_key(self) -> dict[str, Any]:
        """JSON-able identity of this data set's content: the options and a SHA-256 of the rolls."""
        return {
            "dataset": "MidiFolder",
            "frontend": self.frontend.config,
            "hop_bars": self.hop_bars,
            "pad": self.pad,
            "split": self.split,
            "fewer_tracks": self.fewer_tracks,
            "out_of_range": self.out_of_range,
            "other_meters": self.other_meters,
            "names": list(dict.fromkeys(self.names)),
            "data_sha256": hashlib.sha256(np.ascontiguousarray(self.data).tobytes()).hexdigest(),
        }

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> torch.Tensor:
        """Phrase ``index`` as a float32 ``(tracks, bars, steps_per_bar, pitches)`` tensor in {-1, 1}."""
        return torch.from_numpy(self.data[index].astype(np.float32))

    def __repr__(self) -> str:
        where = f"root={str(self.root)!r}" if self.root is not None else "streams"
        return (
            f"MidiFolder({where}, split={self.split!r}, phrases={len(self)}, "
            f"shape={self.feature_shape}, sources={len(dict.fromkeys(self.names))}, "
            f"skipped={len(self.skipped)}, phrases_skipped={self.phrases_skipped})"
        )


def _normalize_suffix(ext: str) -> str:
    ext = ext.strip().lower()
    return ext if ext.startswith(".") else f".{ext}"
