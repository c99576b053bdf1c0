"""Multi-track piano rolls ``(tracks, bars, steps, pitches)`` in {-1, 1}, as in MuseGAN on the JSB chorales.

A piano roll holds, for each track (voice or instrument), bar, step of the bar and pitch, +1 where
the pitch sounds and -1 elsewhere. A monophonic track has at most one +1 per step; a rest is a
step that is -1 at every pitch. Pitch index ``i`` is MIDI note ``lowest_pitch + i``.

The other representation used here is the *pitch grid* ``(..., time, tracks)``: float MIDI
numbers, NaN for a rest, ``time = bars * steps_per_bar`` with bars laid end to end (step ``s`` of
bar ``b`` is time ``b * steps_per_bar + s``). This is the layout of the widely used
``Jsb16thSeparated.npz``.

Held versus repeated notes: a roll only says which pitch sounds at each step, so a note held for
two steps and the same pitch struck twice look the same. :meth:`PianoRoll.to_midi` writes a run
of consecutive steps with the same pitch on the same track as *one* held note (the book's
converter re-struck notes every 4 steps and reshaped ``(4, 2, 16)`` to ``(32, 4)`` without a
transpose, mixing voices and time; neither happens here).

Functional twins: :func:`pitches_to_roll`, :func:`roll_to_pitches`, :func:`binarize_roll`,
:func:`roll_to_tracks`. Music comes in through :mod:`audiogan.music` (the one path from MIDI files
and music21 streams to pitch grids that :class:`~audiogan.data.MidiFolder` and
:class:`~audiogan.data.JSBChorales` use too).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn

from audiogan._shapes import check_trailing
from audiogan.music.midi import Note, Track, read_midi, write_midi
from audiogan.music.phrases import segment_pitches
from audiogan.music.score import stream_to_tracks
from audiogan.music.voices import assign_voices, fit_range, note_activity
from audiogan.registry import register
from audiogan.viz.pianoroll import draw_pianoroll

ROLL_AXES = "(..., tracks, bars, steps, pitches)"
GRID_AXES = "(..., time, tracks)"
_MODES = ("argmax", "threshold")


def pitches_to_roll(
    grid: torch.Tensor | np.ndarray,
    bars: int,
    steps_per_bar: int,
    pitches: int = 84,
    lowest_pitch: int = 0,
) -> torch.Tensor:
    """One-hot encode a pitch grid as a piano roll in {-1, 1}.

    Args:
        grid: ``(..., time, tracks)`` MIDI numbers (whole numbers), NaN for a rest;
            ``time == bars * steps_per_bar``. Integer tensors/arrays are accepted (no rests).
        bars: Bars per roll.
        steps_per_bar: Steps per bar.
        pitches: Pitch axis size.
        lowest_pitch: MIDI number of pitch index 0.

    Returns:
        ``(..., tracks, bars, steps, pitches)``: +1 at each sounding pitch, -1 elsewhere; a rest
        is -1 at every pitch. Float (the input's float dtype, else float32), on the input's device.

    Raises:
        ValueError: If the time axis has the wrong length, or a pitch is not a whole number or
            lies outside ``lowest_pitch .. lowest_pitch + pitches - 1``.
    """
    x = torch.as_tensor(grid)
    if not x.is_floating_point():
        x = x.to(torch.float32)
    if x.ndim < 2 or x.shape[-2] != bars * steps_per_bar:
        raise ValueError(
            f"pitch grid: expected shape (..., {bars * steps_per_bar}, tracks) {GRID_AXES} "
            f"with time = bars * steps_per_bar = {bars} * {steps_per_bar}, got {tuple(x.shape)}"
        )
    rest = torch.isnan(x)
    idx = torch.where(rest, torch.zeros_like(x), x - lowest_pitch)
    if bool((idx != idx.round()).any()):
        raise ValueError(
            "pitch grid: expected whole MIDI numbers (or NaN for a rest), got fractions"
        )
    if bool(((idx < 0) | (idx >= pitches)).any()):
        sounding = x[~rest]
        raise ValueError(
            f"pitch grid: expected MIDI numbers in {lowest_pitch}..{lowest_pitch + pitches - 1} "
            f"(lowest_pitch={lowest_pitch}, pitches={pitches}), got values from "
            f"{sounding.min().item():g} to {sounding.max().item():g}"
        )
    onehot = F.one_hot(idx.long(), pitches).to(x.dtype)  # (..., time, tracks, pitches)
    onehot = onehot * (~rest).unsqueeze(-1).to(x.dtype)
    roll = onehot * 2 - 1
    return rearrange(roll, "... (bars steps) tracks p -> ... tracks bars steps p", bars=bars)


def _top(roll: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Max over the pitch axis and its index, the *highest* pitch among equal maxima."""
    values, flipped_idx = roll.flip(-1).max(dim=-1)
    return values, roll.shape[-1] - 1 - flipped_idx


def roll_to_pitches(
    roll: torch.Tensor | np.ndarray, lowest_pitch: int = 0, threshold: float | None = 0.0
) -> torch.Tensor:
    """Read one pitch per track and step back from a piano roll (the inverse of
    :func:`pitches_to_roll` on monophonic rolls).

    At each track and step the strongest pitch wins (the highest one among equal values); the
    step is a rest if that value is not above ``threshold``. So this decodes raw generator
    output (e.g. tanh in [-1, 1]) as well as binarized rolls.

    Args:
        roll: ``(..., tracks, bars, steps, pitches)``.
        lowest_pitch: MIDI number of pitch index 0.
        threshold: Values ``<= threshold`` are silent; ``None``: never silent.

    Returns:
        ``(..., time, tracks)`` float MIDI numbers with NaN for rests, ``time = bars * steps``.
    """
    x = torch.as_tensor(roll)
    if x.ndim < 4:
        raise ValueError(f"roll: expected shape {ROLL_AXES}, got {tuple(x.shape)}")
    if not x.is_floating_point():
        x = x.to(torch.float32)
    x = rearrange(x, "... tracks bars steps p -> ... (bars steps) tracks p")
    values, idx = _top(x)
    pitches = (idx + lowest_pitch).to(x.dtype)
    if threshold is not None:
        pitches = torch.where(values > threshold, pitches, torch.full_like(pitches, float("nan")))
    return pitches


def binarize_roll(
    roll: torch.Tensor | np.ndarray, mode: str = "argmax", threshold: float | None = 0.0
) -> torch.Tensor:
    """Turn real-valued piano rolls (e.g. a generator's tanh output) into {-1, 1}.

    Args:
        roll: ``(..., pitches)``, typically ``(..., tracks, bars, steps, pitches)``.
        mode: ``"argmax"``: monophonic, at most one +1 per track and step, at the largest value
            (the highest pitch among equal values), and none (a rest) where that value is not
            above ``threshold``. ``"threshold"``: polyphonic, +1 wherever the value is above
            ``threshold``.
        threshold: The silence threshold. ``None`` is allowed in ``"argmax"`` mode only and
            means no rests: exactly one +1 at every track and step.

    Returns:
        A tensor of the same shape and float dtype as ``roll`` (float32 for integer input)
        holding only -1 and +1.

    Raises:
        ValueError: If ``mode`` is unknown, or ``threshold`` is None in ``"threshold"`` mode.
    """
    x = torch.as_tensor(roll)
    if not x.is_floating_point():
        x = x.to(torch.float32)
    if x.ndim < 1:
        raise ValueError(f"roll: expected shape {ROLL_AXES}, got {tuple(x.shape)}")
    if mode == "threshold":
        if threshold is None:
            raise ValueError(
                'binarize_roll: mode="threshold" needs a number as threshold, got None'
            )
        return torch.where(x > threshold, 1.0, -1.0).to(x.dtype)
    if mode != "argmax":
        raise ValueError(f"binarize_roll: mode must be one of {_MODES}, got {mode!r}")
    values, idx = _top(x)
    out = F.one_hot(idx, x.shape[-1]).to(x.dtype) * 2 - 1
    if threshold is not None:
        out = torch.where((values > threshold).unsqueeze(-1), out, torch.full_like(out, -1.0))
    return out


def roll_to_tracks(
    roll: torch.Tensor | np.ndarray,
    lowest_pitch: int = 0,
    mode: str = "argmax",
    threshold: float | None = 0.0,
    names: Sequence[str] | None = None,
    programs: Sequence[int] | None = None,
    is_drum: Sequence[bool] | None = None,
) -> list[Track]:
    """Binarize a piano roll and read its notes: each run of consecutive +1 steps at the same
    track and pitch is one :class:`~audiogan.music.midi.Note` (held, never re-struck).

    Args:
        roll: ``(tracks, bars, steps, pitches)``, or ``(segments, tracks, bars, steps, pitches)``
            whose segments are laid end to end in time.
        lowest_pitch: MIDI number of pitch index 0.
        mode: See :func:`binarize_roll`.
        threshold: See :func:`binarize_roll`.
        names: One name per track (default ``""``).
        programs: One General MIDI program per track (default 0).
        is_drum: One drum flag per track (default False).

    Returns:
        One :class:`~audiogan.music.midi.Track` per roll track, notes sorted by (start, pitch),
        times in steps from the start of the first bar.
    """
    x = torch.as_tensor(roll).detach()
    if x.ndim == 5:
        x = rearrange(x, "seg tracks bars steps p -> tracks (seg bars) steps p")
    if x.ndim != 4:
        raise ValueError(
            "roll: expected shape (tracks, bars, steps, pitches) or "
            f"(segments, tracks, bars, steps, pitches), got {tuple(x.shape)}"
        )
    n_tracks = x.shape[0]
    for what, seq in (("names", names), ("programs", programs), ("is_drum", is_drum)):
        if seq is not None and len(seq) != n_tracks:
            raise ValueError(f"{what}: expected one entry per track ({n_tracks}), got {len(seq)}")
    on = (binarize_roll(x, mode, threshold) > 0).cpu().numpy()
    on = rearrange(on, "tracks bars steps p -> tracks (bars steps) p")
    edges = np.diff(np.pad(on, ((0, 0), (1, 1), (0, 0))).astype(np.int8), axis=1)
    starts = np.argwhere(edges == 1)  # rows (track, step, pitch)
    ends = np.argwhere(edges == -1)
    # Pair each onset with its offset: both sorted by (track, pitch, step) line up one to one.
    starts = starts[np.lexsort((starts[:, 1], starts[:, 2], starts[:, 0]))]
    ends = ends[np.lexsort((ends[:, 1], ends[:, 2], ends[:, 0]))]
    tracks = [
        Track(
            names[k] if names is not None else "",
            int(programs[k]) if programs is not None else 0,
            bool(is_drum[k]) if is_drum is not None else False,
        )
        for k in range(n_tracks)
    ]
    for (k, s, p), (_, e, _) in zip(starts.tolist(), ends.tolist(), strict=True):
        tracks[k].notes.append(Note(s, e, p + lowest_pitch))
    for t in tracks:
        t.notes.sort(key=lambda n: (n.start, n.pitch))
    return tracks


@register
class PianoRoll(nn.Module):
    """Frontend for multi-track piano rolls ``(tracks, bars, steps, pitches)`` in {-1, 1}.

    It has no waveform: ``encode`` takes a pitch grid ``(..., time, tracks)`` (MIDI numbers,
    NaN = rest) and ``decode`` gives one back; audio output is MIDI (:meth:`to_midi`).
    ``sample_rate`` is 0 to say so; :attr:`steps_per_second` gives the playback rate. The
    output hooks of the :class:`~audiogan.protocols.Frontend` protocol write and draw the
    binarized roll: :meth:`save` writes ``.mid`` files, :meth:`plot` a piano-roll image.

    Args:
        tracks: Tracks (voices or instruments).
        bars: Bars per roll.
        steps_per_bar: Steps per bar.
        pitches: Pitch axis size.
        lowest_pitch: MIDI number of pitch index 0 (``lowest_pitch + pitches <= 128``).
        steps_per_beat: Steps per quarter note (4: a sixteenth-note grid).
        tempo: Quarter notes per minute in written MIDI (66, as in the MuseGAN recipe on the
            JSB chorales).
        programs: General MIDI program per track (default 0, acoustic grand piano).
        track_names: Name per track (default soprano, alto, tenor, bass for four tracks,
            ``track0``, ``track1``... otherwise); :meth:`from_midi` matches instruments by them.
        is_drum: Drum flag per track (default all False).
        velocity: Velocity of written notes.

    Example:
        >>> pr = PianoRoll()
        >>> pitches = torch.full((32, 4), float("nan")); pitches[:, 0] = 72
        >>> pr.encode(pitches).shape
        torch.Size([4, 2, 16, 84])
    """

    #: File suffix of :meth:`save`.
    suffix = ".mid"

    def __init__(
        self,
        tracks: int = 4,
        bars: int = 2,
        steps_per_bar: int = 16,
        pitches: int = 84,
        lowest_pitch: int = 0,
        steps_per_beat: int = 4,
        tempo: float = 66.0,
        programs: Sequence[int] | None = None,
        track_names: Sequence[str] | None = None,
        is_drum: Sequence[bool] | None = None,
        velocity: int = 100,
    ) -> None:
        super().__init__()
        for name, value in (
            ("tracks", tracks),
            ("bars", bars),
            ("steps_per_bar", steps_per_bar),
            ("pitches", pitches),
            ("steps_per_beat", steps_per_beat),
        ):
            if int(value) != value or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if lowest_pitch < 0 or lowest_pitch + pitches > 128:
            raise ValueError(
                f"pitch range lowest_pitch..lowest_pitch + pitches - 1 = {lowest_pitch}.."
                f"{lowest_pitch + pitches - 1} must lie within MIDI 0..127"
            )
        if not tempo > 0:
            raise ValueError(f"tempo must be positive (quarter notes per minute), got {tempo}")
        if track_names is None:
            track_names = (
                ("soprano", "alto", "tenor", "bass")
                if tracks == 4
                else tuple(f"track{k}" for k in range(tracks))
            )
        programs = (0,) * tracks if programs is None else tuple(int(p) for p in programs)
        is_drum = (False,) * tracks if is_drum is None else tuple(bool(d) for d in is_drum)
        for what, seq in (
            ("programs", programs),
            ("track_names", track_names),
            ("is_drum", is_drum),
        ):
            if len(seq) != tracks:
                raise ValueError(
                    f"{what}: expected {tracks} entries (one per track), got {len(seq)}"
                )
        if not all(0 <= p <= 127 for p in programs):
            raise ValueError(f"programs: General MIDI programs are 0..127, got {list(programs)}")
        if len({n.lower() for n in track_names}) != tracks:
            raise ValueError(f"track_names must be distinct, got {list(track_names)}")
        self.tracks = int(tracks)
        self.bars = int(bars)
        self.steps_per_bar = int(steps_per_bar)
        self.pitches = int(pitches)
        self.lowest_pitch = int(lowest_pitch)
        self.steps_per_beat = int(steps_per_beat)
        self.tempo = float(tempo)
        self.programs = programs
        self.track_names = tuple(str(n) for n in track_names)
        self.is_drum = is_drum
        self.velocity = int(velocity)
        self.feature_shape = (self.tracks, self.bars, self.steps_per_bar, self.pitches)
        self.sample_rate = 0
        self.config: dict[str, Any] = {
            "tracks": self.tracks,
            "bars": self.bars,
            "steps_per_bar": self.steps_per_bar,
            "pitches": self.pitches,
            "lowest_pitch": self.lowest_pitch,
            "steps_per_beat": self.steps_per_beat,
            "tempo": self.tempo,
            "programs": list(self.programs),
            "track_names": list(self.track_names),
            "is_drum": list(self.is_drum),
            "velocity": self.velocity,
        }

    @property
    def num_steps(self) -> int:
        """Steps per roll, ``bars * steps_per_bar`` (the ``time`` axis of a pitch grid)."""
        return self.bars * self.steps_per_bar

    @property
    def n_steps(self) -> int:
        """The old name of :attr:`num_steps`."""
        return self.num_steps

    @property
    def steps_per_second(self) -> float:
        """Playback rate of the grid at :attr:`tempo`."""
        return self.tempo / 60.0 * self.steps_per_beat

    def extra_repr(self) -> str:
        return f"feature_shape={self.feature_shape}, lowest_pitch={self.lowest_pitch}, tempo={self.tempo:g}"

    def encode(self, grid: torch.Tensor | np.ndarray) -> torch.Tensor:
        """Pitch grid ``(..., time, tracks)`` (NaN = rest) -> roll ``(..., tracks, bars, steps, pitches)``."""
        x = torch.as_tensor(grid)
        check_trailing(x, (self.num_steps, self.tracks), "PianoRoll.encode input", GRID_AXES)
        return pitches_to_roll(x, self.bars, self.steps_per_bar, self.pitches, self.lowest_pitch)

    def forward(self, grid: torch.Tensor | np.ndarray) -> torch.Tensor:
        """Same as :meth:`encode`."""
        return self.encode(grid)

    def decode(
        self, roll: torch.Tensor | np.ndarray, threshold: float | None = 0.0
    ) -> torch.Tensor:
        """Roll ``(..., tracks, bars, steps, pitches)`` -> pitch grid ``(..., time, tracks)``, NaN = rest.

        Takes the strongest pitch per track and step; a step whose strongest value is not above
        ``threshold`` is a rest (see :func:`roll_to_pitches`).
        """
        x = torch.as_tensor(roll)
        check_trailing(x, self.feature_shape, "PianoRoll.decode input", ROLL_AXES)
        return roll_to_pitches(x, self.lowest_pitch, threshold)

    def binarize(
        self, roll: torch.Tensor | np.ndarray, mode: str = "argmax", threshold: float | None = 0.0
    ) -> torch.Tensor:
        """{-1, 1} roll from real values, ``(..., tracks, bars, steps, pitches)``; see :func:`binarize_roll`."""
        x = torch.as_tensor(roll)
        check_trailing(x, self.feature_shape, "PianoRoll.binarize input", ROLL_AXES)
        return binarize_roll(x, mode, threshold)

    def to_midi(
        self,
        roll: torch.Tensor | np.ndarray,
        path: str | os.PathLike,
        tempo: float | None = None,
        mode: str = "argmax",
        threshold: float | None = 0.0,
    ) -> Path:
        """Write a roll to a MIDI file, one MIDI track per roll track (name, program, drum flag).

        The roll is binarized first (``mode``, ``threshold``: see :func:`binarize_roll`), so raw
        generator output can be passed. Consecutive steps with the same pitch on a track become
        one held note.

        Args:
            roll: ``(tracks, bars, steps, pitches)``, or ``(segments, tracks, bars, steps,
                pitches)`` played one after the other.
            path: The ``.mid`` file to write.
            tempo: Quarter notes per minute (default :attr:`tempo`).
            mode: ``"argmax"`` (monophonic tracks) or ``"threshold"`` (polyphonic).
            threshold: Silence threshold.

        Returns:
            ``path`` as a :class:`~pathlib.Path`.
        """
        x = torch.as_tensor(roll)
        if x.ndim not in (4, 5):
            raise ValueError(
                f"PianoRoll.to_midi: expected shape {self.feature_shape} (tracks, bars, steps, pitches) "
                f"or (segments, *{self.feature_shape}), got {tuple(x.shape)}"
            )
        check_trailing(x, self.feature_shape, "PianoRoll.to_midi roll", ROLL_AXES)
        tracks = roll_to_tracks(
            x, self.lowest_pitch, mode, threshold, self.track_names, self.programs, self.is_drum
        )
        beats = self.steps_per_bar / self.steps_per_beat
        return write_midi(
            tracks,
            path,
            steps_per_beat=self.steps_per_beat,
            tempo=self.tempo if tempo is None else tempo,
            beats_per_bar=int(beats) if beats == int(beats) else None,
            velocity=self.velocity,
        )

    def save(
        self, features: torch.Tensor | np.ndarray, paths: Sequence[str | os.PathLike]
    ) -> list[Path]:
        """Write each roll of a batch to its own MIDI file (see :meth:`to_midi`).

        Rolls are binarized first (argmax per track and step, a rest where no value is above 0),
        so a generator's raw output can be passed.

        Args:
            features: ``(batch, tracks, bars, steps, pitches)``.
            paths: ``batch`` destination ``.mid`` files, written as given.

        Returns:
            The paths written, in order.

        Raises:
            ValueError: If ``features`` is not ``(batch, *feature_shape)`` or ``paths`` does not
                have one entry per item.
        """
        x = torch.as_tensor(features).detach().cpu()
        if x.ndim != 5:
            raise ValueError(
                f"PianoRoll.save: expected features (batch, {', '.join(map(str, self.feature_shape))}) "
                f"(batch, tracks, bars, steps, pitches), got {tuple(x.shape)}"
            )
        check_trailing(x, self.feature_shape, "PianoRoll.save features", ROLL_AXES)
        if len(paths) != x.shape[0]:
            raise ValueError(
                f"PianoRoll.save: expected {x.shape[0]} paths (one per item), got {len(paths)}"
            )
        return [self.to_midi(roll, path) for roll, path in zip(x, paths, strict=True)]

    def plot(self, features: torch.Tensor | np.ndarray, ax: Any) -> None:
        """Draw one roll on a matplotlib Axes as :meth:`save` writes it (binarized), tracks
        stacked top to bottom and labelled with :attr:`track_names`.

        Args:
            features: ``(tracks, bars, steps, pitches)``, one item.
            ax: A :class:`matplotlib.axes.Axes`.

        Raises:
            ValueError: If ``features`` is not ``feature_shape``.
        """
        x = torch.as_tensor(features).detach().cpu()
        if tuple(x.shape) != self.feature_shape:
            raise ValueError(
                f"PianoRoll.plot: expected one roll {self.feature_shape} (tracks, bars, steps, "
                f"pitches), got {tuple(x.shape)}"
            )
        draw_pianoroll(self.binarize(x), ax, self.track_names)

    def from_tracks(
        self,
        tracks: Sequence[Track],
        hop_bars: int | None = None,
        out_of_range: str = "octave",
        instruments: Sequence[int] | None = None,
        source: str = "tracks",
    ) -> torch.Tensor:
        """Notes on the step grid -> rolls ``(segments, tracks, bars, steps, pitches)``.

        Tracks map to roll tracks by :func:`~audiogan.music.voices.assign_voices` (chosen by
        ``instruments``, else by name against :attr:`track_names`, else one track split by
        pitch order, else in order, missing ones silent); each roll track keeps the highest
        sounding pitch per step. Pitches then go into range by
        :func:`~audiogan.music.voices.fit_range`. The piece is cut into rolls from step 0 every
        ``hop_bars`` bars (default ``bars``: back to back); the last one is padded with rests.

        Args:
            tracks: The notes (see :mod:`audiogan.music.midi`).
            hop_bars: Bars between the starts of consecutive rolls.
            out_of_range: Pitches outside the pitch range: ``"octave"`` moves them by octaves
                into it, ``"drop"`` makes them rests, ``"raise"`` raises a ValueError.
            instruments: Indices of the tracks to use, in roll-track order (overrides matching).
            source: Name of the input, for error messages.

        Returns:
            ``(segments, tracks, bars, steps, pitches)`` float32 in {-1, 1} (0 segments if no notes).
        """
        tracks = list(tracks)
        num_steps = max((n.end for t in tracks for n in t.notes), default=0)
        active = [
            note_activity(
                np.array([n.start for n in t.notes], dtype=np.int64),
                np.array([n.end for n in t.notes], dtype=np.int64),
                np.array([n.pitch for n in t.notes], dtype=np.int64),
                num_steps,
            )
            for t in tracks
        ]
        grid = assign_voices(
            active,
            [t.name for t in tracks],
            self.track_names,
            select=instruments,
            more_tracks="raise",
            source=source,
        )
        high = self.lowest_pitch + self.pitches - 1
        grid = fit_range(grid, self.lowest_pitch, high, out_of_range, source)
        sounding = np.flatnonzero(~np.isnan(grid).all(axis=1))
        grid = grid[: sounding[-1] + 1 if len(sounding) else 0]  # up to the last sounding step
        hop = None if hop_bars is None else hop_bars * self.steps_per_bar
        segments = segment_pitches(grid, self.num_steps, hop, pad=True)
        return pitches_to_roll(
            torch.from_numpy(segments),
            self.bars,
            self.steps_per_bar,
            self.pitches,
            self.lowest_pitch,
        )

    def from_midi(
        self,
        path: str | os.PathLike,
        hop_bars: int | None = None,
        out_of_range: str = "octave",
        instruments: Sequence[int] | None = None,
    ) -> torch.Tensor:
        """Read a MIDI file into rolls ``(segments, tracks, bars, steps, pitches)`` in {-1, 1}.

        Notes are quantized to the grid in the file's own beats (its ticks per quarter note), so
        tempo changes don't matter; step 0 is the file's start (taken to be a bar line).
        Instruments map to tracks as in :meth:`from_tracks` (files written by :meth:`to_midi`
        map back by track name even when a silent track is missing from the file).

        Raises:
            MidiFileError: If the file is missing or not MIDI.
            ValueError: If it has more instruments than tracks and ``instruments`` is not given.
        """
        tracks = read_midi(path, self.steps_per_beat)
        return self.from_tracks(tracks, hop_bars, out_of_range, instruments, source=str(path))

    def from_music21(
        self,
        score: Any,
        hop_bars: int | None = None,
        out_of_range: str = "octave",
        instruments: Sequence[int] | None = None,
        align_pickup: bool = True,
    ) -> torch.Tensor:
        """Read a music21 stream (parts -> tracks) into rolls ``(segments, tracks, bars, steps, pitches)``.

        With ``align_pickup``, a piece that opens with an anacrusis starts with a bar of rests
        that ends with the pickup, so rolls start on the piece's bar lines (see
        :func:`audiogan.music.midi.stream_to_tracks`). Otherwise as :meth:`from_tracks`.
        """
        tracks = stream_to_tracks(score, self.steps_per_beat, align_pickup)
        name = getattr(getattr(score, "metadata", None), "title", None) or type(score).__name__
        return self.from_tracks(tracks, hop_bars, out_of_range, instruments, source=str(name))
