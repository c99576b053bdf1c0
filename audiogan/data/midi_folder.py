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
2. **Bars and steps.** Bar lines come from the file's time signatures (the measures of a
   stream), in the file's own ticks, so tempo changes never move notes off the grid. A file
   without a time signature at its start is 4/4 until its first one (as in ``pretty_midi``);
   the file's start is a bar line. Each bar is split into ``steps_per_bar`` equal steps and
   note onsets and offsets are rounded to the nearest step (a note lasts at least one step).
   The roll's bar is ``steps_per_bar / steps_per_beat`` quarter notes (4, a 4/4 bar, with the
   defaults 16 / 4). A phrase holding a bar of another length (a 3/4 bar in a 4/4 roll, a
   bar cut short by a mid-bar time signature change) is skipped with
   ``other_meters="skip"`` (the default, counted in :attr:`MidiFolder.phrases_skipped`) or
   kept, that bar's steps stretched or squeezed to fill ``steps_per_bar``, with
   ``"stretch"``. A music21 pickup (a first measure shorter than its bar) ends on the first
   bar line: the first bar is rests followed by the pickup.
3. **Voices.** Drum instruments (MIDI channel 10) and instruments without notes are dropped.
   The others (``pretty_midi``'s instruments, in file order; a stream's parts, in score
   order) map to the roll's tracks by the first rule that applies:

   - *By name* (case-insensitive, names distinct), when every instrument's name is one of the
     frontend's ``track_names`` (files written by :meth:`PianoRoll.save` read back track for
     track, a silent track being absent from the file) or every track name is an instrument's
     (a chorale's Soprano, Alto, Tenor and Bass parts; other parts, such as a horn, dropped).
   - *One instrument* (a one-track file, a piano or organ part, a one-part stream) is split
     into voices by pitch order at each step: the highest sounding note goes to track 0
     (soprano), the next ones to tracks 1, 2, ..., and the lowest always to the last track
     (bass). Fewer notes than tracks leave inner tracks silent (two notes: soprano and bass;
     one note: soprano); more notes drop the inner ones beyond ``tracks - 1`` from the top.
   - *In order*: instrument ``i`` -> track ``i``. Instruments beyond ``tracks`` are dropped.
     With fewer instruments than tracks, ``fewer_tracks`` decides: ``"silent"`` (default)
     leaves the remaining tracks silent, ``"split"`` merges all instruments and splits them
     by pitch order as a single one (useful for two-hand piano files), ``"skip"`` skips the
     file (listed in :attr:`MidiFolder.skipped`).

   A track that gets a polyphonic instrument keeps its highest sounding pitch at each step, so
   every track is monophonic, as in the chorales.
4. **Range.** Voices are assigned from the written pitches; then a pitch outside
   ``lowest_pitch .. lowest_pitch + pitches - 1`` is moved by octaves into the range
   (``out_of_range="octave"``, the default) or becomes a rest (``"drop"``).
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
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from audiogan._optional import require
from audiogan.data._loading import ON_ERROR_MODES, _name_some
from audiogan.data.chorales import SPLITS, chorale_split
from audiogan.frontends.pianoroll import PianoRoll, pitches_to_roll, segment_pitches
from audiogan.music.midi import MidiFileError

#: The suffixes MidiFolder looks for by default (case-insensitive).
MIDI_EXTENSIONS: tuple[str, ...] = (".mid", ".midi")

_FEWER_TRACKS = ("silent", "split", "skip")
_OUT_OF_RANGE = ("octave", "drop")
_OTHER_METERS = ("skip", "stretch")
_EPS = 1e-6
_MIDI_PITCHES = 128


@dataclass
class _Instrument:
    """One instrument or part: times in quarter notes from the piece's start."""

    name: str
    is_drum: bool
    starts: np.ndarray  # (notes,) float64
    ends: np.ndarray  # (notes,) float64
    pitches: np.ndarray  # (notes,) int64, MIDI numbers


@dataclass
class _Piece:
    """A source read into instruments and bar lines (quarter notes, increasing)."""

    instruments: list[_Instrument]
    lines: np.ndarray  # (bars + 1,) bar lines; lines[0] <= every onset, lines[-1] >= every offset


def _bar_lines(changes: Sequence[tuple[float, float]], end: float) -> np.ndarray:
    """Bar lines from ``(position, bar length)`` meter changes (sorted, the first at the start).

    A change that falls inside a bar cuts that bar short; the last meter goes on until ``end``.
    """
    lines = [changes[0][0]]
    for i, (pos, length) in enumerate(changes):
        if pos > lines[-1] + _EPS:
            lines.append(pos)
        if i + 1 < len(changes):
            stop = changes[i + 1][0]
            while lines[-1] + length <= stop + _EPS:
                lines.append(lines[-1] + length)
        else:
            while lines[-1] < end - _EPS or len(lines) < 2:
                lines.append(lines[-1] + length)
    return np.asarray(lines, dtype=np.float64)


def _extend_lines(lines: list[float], end: float) -> np.ndarray:
    """Repeat the last bar's length until the bar lines reach ``end``."""
    length = lines[-1] - lines[-2]
    while lines[-1] < end - _EPS:
        lines.append(lines[-1] + length)
    return np.asarray(lines, dtype=np.float64)


def _last_end(instruments: Sequence[_Instrument]) -> float:
    return max((float(i.ends.max()) for i in instruments if len(i.ends)), default=0.0)


def _read_midi_file(path: Path) -> _Piece:
    """Read a MIDI file's instruments and bar lines in quarter notes (its ticks / resolution)."""
    pretty_midi = require("pretty_midi", feature="MidiFolder")
    try:
        pm = pretty_midi.PrettyMIDI(str(path))
    except Exception as err:  # mido/pretty_midi raise many types (OSError, EOFError, KeyError...)
        raise MidiFileError(
            path, f"not a readable MIDI file ({type(err).__name__}: {err})"
        ) from err
    resolution = float(pm.resolution)

    def quarters(seconds: Sequence[float]) -> np.ndarray:
        return np.array([pm.time_to_tick(t) for t in seconds], dtype=np.float64) / resolution

    instruments = [
        _Instrument(
            name=str(inst.name),
            is_drum=bool(inst.is_drum),
            starts=quarters([n.start for n in inst.notes]),
            ends=quarters([n.end for n in inst.notes]),
            pitches=np.array([n.pitch for n in inst.notes], dtype=np.int64),
        )
        for inst in pm.instruments
    ]
    changes: dict[float, float] = {}
    for ts in sorted(pm.time_signature_changes, key=lambda ts: ts.time):
        pos = float(quarters([ts.time])[0])
        changes[pos] = 4.0 * ts.numerator / ts.denominator  # a later one at the same tick wins
    meters = sorted(changes.items())
    if not meters or meters[0][0] > _EPS:
        meters.insert(0, (0.0, 4.0))  # 4/4 until the first time signature
    return _Piece(instruments, _bar_lines(meters, _last_end(instruments)))


def _read_stream(score: Any) -> _Piece:
    """Read a music21 stream's parts (notes in quarter notes) and bar lines (its measures)."""
    stream = require("music21.stream", feature="MidiFolder.from_streams")
    meter = require("music21.meter", feature="MidiFolder.from_streams")
    parts = list(score.parts) if isinstance(score, stream.Score) else [score]
    instruments = []
    for part in parts:
        starts, ends, pitches = [], [], []
        for el in part.flatten().notes:
            ql = float(Fraction(el.quarterLength))
            if ql <= 0:  # grace note
                continue
            start = float(Fraction(el.offset))
            for p in el.pitches if el.isChord else ([el.pitch] if hasattr(el, "pitch") else []):
                starts.append(start)
                ends.append(start + ql)
                pitches.append(int(p.midi))
        name = str(getattr(part, "partName", None) or part.id or "")
        instruments.append(
            _Instrument(
                name,
                False,
                np.asarray(starts, dtype=np.float64),
                np.asarray(ends, dtype=np.float64),
                np.asarray(pitches, dtype=np.int64),
            )
        )
    end = _last_end(instruments)
    measures = list(parts[0].getElementsByClass(stream.Measure)) if parts else []
    if not measures:
        ts = score.recurse().getElementsByClass(meter.TimeSignature).first()
        length = float(ts.barDuration.quarterLength) if ts is not None else 4.0
        return _Piece(instruments, _bar_lines([(0.0, length)], end))
    lines = [float(m.offset) for m in measures]
    lines.append(lines[-1] + float(measures[-1].barDuration.quarterLength))
    first = measures[0]
    bar = float(first.barDuration.quarterLength)
    if len(measures) > 1 and 0 < float(first.duration.quarterLength) < bar - _EPS:
        lines[0] = lines[1] - bar  # the pickup ends on the first bar line
    return _Piece(instruments, _extend_lines(lines, end))


def _to_steps(q: np.ndarray, lines: np.ndarray, steps_per_bar: int) -> np.ndarray:
    """Quarter-note positions -> step indices: each bar holds ``steps_per_bar`` equal steps."""
    bar = np.clip(np.searchsorted(lines, q + _EPS, side="right") - 1, 0, len(lines) - 2)
    frac = (q - lines[bar]) / (lines[bar + 1] - lines[bar])
    return bar * steps_per_bar + np.rint(frac * steps_per_bar).astype(np.int64)


def _highest(active: np.ndarray) -> np.ndarray:
    """``(time, 128)`` note activity -> ``(time,)`` highest sounding MIDI pitch, NaN if none."""
    top = _MIDI_PITCHES - 1 - np.argmax(active[:, ::-1], axis=1)
    return np.where(active.any(axis=1), top, np.nan).astype(np.float32)


def split_by_pitch(active: np.ndarray, tracks: int) -> np.ndarray:
    """Split polyphonic note activity into voices by pitch order at each step.

    The highest sounding note goes to track 0, the next ones to tracks 1, 2, ..., and the
    lowest always to the last track: two notes fill the first and the last track, one note the
    first; more than ``tracks`` notes drop the inner ones beyond ``tracks - 1`` from the top.

    Args:
        active: ``(time, 128)`` bool, True where a MIDI pitch sounds.
        tracks: Voices to make.

    Returns:
        ``(time, tracks)`` float32 pitch grid: MIDI numbers, NaN for a rest.
    """
    if active.ndim != 2 or active.shape[1] != _MIDI_PITCHES:
        raise ValueError(f"active: expected shape (time, 128), got {active.shape}")
    if tracks < 1:
        raise ValueError(f"tracks must be a positive integer, got {tracks}")
    time = active.shape[0]
    ranked = np.sort(np.where(active, np.arange(_MIDI_PITCHES), -1), axis=1)[:, ::-1]
    count = active.sum(axis=1)
    grid = np.full((time, tracks), np.nan, dtype=np.float32)
    if tracks == 1:
        grid[:, 0] = np.where(count > 0, ranked[:, 0], np.nan)
        return grid
    top_voices = np.where(count >= 2, np.minimum(count - 1, tracks - 1), count)
    for k in range(tracks - 1):
        grid[:, k] = np.where(k < top_voices, ranked[:, k], np.nan)
    lowest = ranked[np.arange(time), np.maximum(count - 1, 0)]
    grid[:, tracks - 1] = np.where(count >= 2, lowest, np.nan)
    return grid


def _fit_range(grid: np.ndarray, low: int, high: int, policy: str) -> np.ndarray:
    """Move pitches outside ``low..high`` by octaves into it (``"octave"``) or to rests (``"drop"``)."""
    with np.errstate(invalid="ignore"):
        below, above = grid < low, grid > high
    if policy == "drop":
        return np.where(below | above, np.nan, grid).astype(np.float32)
    up = grid + 12 * np.ceil((low - grid) / 12)
    down = grid - 12 * np.ceil((grid - high) / 12)
    return np.where(below, up, np.where(above, down, grid)).astype(np.float32)


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
            ("fewer_tracks", fewer_tracks, _FEWER_TRACKS),
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
                piece = (
                    _read_midi_file(source) if isinstance(source, Path) else _read_stream(source)
                )
            except MidiFileError as err:
                if self.on_error == "raise":
                    raise
                self.skipped.append((label, err.reason))
                unreadable += 1
                continue
            phrases, starts, problem = self._phrases(piece)
            if problem is not None:
                self.skipped.append((label, problem))
                continue
            found.append(phrases)
            self.names.extend([name] * len(phrases))
            self.start_bars.extend(starts)
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

    def _assign(self, active: list[np.ndarray], names: list[str]) -> np.ndarray | str:
        """Per-instrument activity ``(time, 128)`` -> pitch grid ``(time, tracks)``, or why not."""
        tracks = self.frontend.tracks
        time = active[0].shape[0]
        wanted = [n.lower() for n in self.frontend.track_names]
        lowered = [n.strip().lower() for n in names]
        if len(set(lowered)) == len(lowered) and (
            all(n in wanted for n in lowered) or all(w in lowered for w in wanted)
        ):
            grid = np.full((time, tracks), np.nan, dtype=np.float32)
            for n, act in zip(lowered, active, strict=True):
                if n in wanted:
                    grid[:, wanted.index(n)] = _highest(act)
            return grid
        if len(active) == 1:
            return split_by_pitch(active[0], tracks)
        if len(active) < tracks:
            if self.fewer_tracks == "skip":
                return (
                    f"{len(active)} pitched instruments, fewer than the roll's {tracks} tracks "
                    f'(fewer_tracks="skip")'
                )
            if self.fewer_tracks == "split":
                return split_by_pitch(np.logical_or.reduce(active), tracks)
        grid = np.full((time, tracks), np.nan, dtype=np.float32)
        for k, act in enumerate(active[:tracks]):
            grid[:, k] = _highest(act)
        return grid

    def _phrases(self, piece: _Piece) -> tuple[np.ndarray, list[int], str | None]:
        """A piece -> its kept phrases ``(n, bars * steps_per_bar, tracks)``, their start bars,
        and the reason it gave none (None if it gave some)."""
        fe = self.frontend
        spb = fe.steps_per_bar
        empty = np.zeros((0, fe.n_steps, fe.tracks), dtype=np.float32)
        pitched = [i for i in piece.instruments if not i.is_drum and len(i.pitches)]
        if not pitched:
            drums = any(i.is_drum and len(i.pitches) for i in piece.instruments)
            return empty, [], "only drum tracks" if drums else "no notes"
        steps = []
        for inst in pitched:
            s = _to_steps(inst.starts, piece.lines, spb)
            e = np.maximum(_to_steps(inst.ends, piece.lines, spb), s + 1)
            steps.append((s, e, inst.pitches))
        n_bars = math.ceil(max(int(e.max()) for _, e, _ in steps) / spb)
        active = []
        for s, e, p in steps:
            act = np.zeros((n_bars * spb, _MIDI_PITCHES), dtype=bool)
            for start, end, pitch in zip(s.tolist(), e.tolist(), p.tolist(), strict=True):
                act[start:end, pitch] = True
            active.append(act)
        grid = self._assign(active, [i.name for i in pitched])
        if isinstance(grid, str):
            return empty, [], grid
        high = fe.lowest_pitch + fe.pitches - 1
        grid = _fit_range(grid, fe.lowest_pitch, high, self.out_of_range)

        phrases = segment_pitches(grid, fe.n_steps, self.hop_bars * spb, pad=self.pad)
        if len(phrases) == 0:
            return (
                empty,
                [],
                (
                    f"shorter than one phrase ({n_bars} bars, a phrase is {fe.bars}; pad=True keeps "
                    f"a padded one)"
                ),
            )
        starts = np.arange(len(phrases)) * self.hop_bars
        bar_ok = np.ones(n_bars + fe.bars, dtype=bool)  # bars past the end are padding
        if self.other_meters == "skip":
            lengths = np.diff(piece.lines)[:n_bars]
            bar_ok[: len(lengths)] = np.abs(lengths - self.bar_quarters) < _EPS
        meter_ok = np.array([bar_ok[b : b + fe.bars].all() for b in starts], dtype=bool)
        sounding = ~np.isnan(phrases).reshape(len(phrases), -1).all(axis=1)
        self.phrases_skipped["meter"] += int((~meter_ok).sum())
        self.phrases_skipped["silent"] += int((meter_ok & ~sounding).sum())
        keep = meter_ok & sounding
        if not keep.any():
            parts = []
            if (~meter_ok).any():
                parts.append(
                    f"{int((~meter_ok).sum())} with a bar of another length than the roll's "
                    f"{self.bar_quarters:g} quarter notes (steps_per_bar / steps_per_beat = "
                    f'{spb} / {fe.steps_per_beat}; other_meters="stretch" keeps them)'
                )
            if (meter_ok & ~sounding).any():
                parts.append(f"{int((meter_ok & ~sounding).sum())} silent")
            return empty, [], f"all {len(phrases)} phrases skipped: {', '.join(parts)}"
        return phrases[keep], starts[keep].tolist(), None

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
