"""Pitched notes: synthesized instrument notes with no download, and NSynth-style note folders.

:class:`SynthNotes` makes single notes of four timbre families at MIDI pitches, as a built-in
stand-in for NSynth (Engel et al. 2017), the data set GANSynth trains on:

- ``additive``: a sum of harmonics with a varied spectrum (slope, odd/even balance, a formant
  bump, per-harmonic jitter), an attack-decay-sustain-release envelope.
- ``fm``: two-operator frequency modulation (Chowning 1973) with an integer ratio (1, 2 or 3:
  harmonic) and a modulation index that decays after the attack (brassy to bell-like).
- ``plucked``: a Karplus-Strong string (a noise burst in a delay loop with a two-tap averaging
  filter; the fractional part of the period by linear interpolation, so the pitch is exact to a
  few cents), brighter at higher velocity.
- ``sawtooth``: a band-limited sawtooth through a resonant two-pole low-pass whose cutoff
  follows an envelope (subtractive synthesis), applied per harmonic.

Every note is held for 3/4 of its length and released (NSynth's notes: 3 s held of 4 s), its
peak is ``0.9 * velocity / 127``, and it depends only on ``(seed, index)``.

:class:`NoteFolder` reads a folder of NSynth-style files whose names carry the pitch:
``<instrument>-<pitch>-<velocity>.wav`` (``guitar_acoustic_001-060-075.wav``: instrument
``guitar_acoustic_001``, family ``guitar``, MIDI pitch 60, velocity 75).

:class:`NoteFamilies` labels either by pitch and instrument family together (the built-in notes'
timbre families, a folder's families from the file names), for a generator conditioned on both.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import Dataset

from audiogan.data._loading import (
    FileAudioDataset,
    apply_transform,
    describe_transform,
    file_entries,
    item_generator,
)

__all__ = [
    "NOTE_FAMILIES",
    "NoteFamilies",
    "NoteFolder",
    "SynthNotes",
    "midi_to_hz",
    "parse_note_name",
    "synthesize_note",
]

#: The timbre families :class:`SynthNotes` makes.
NOTE_FAMILIES: tuple[str, ...] = ("additive", "fm", "plucked", "sawtooth")

#: Bumped whenever the synthesis changes, so feature caches keyed on ``cache_key()`` go stale.
NOTES_VERSION = 1

_DTYPE = torch.float64


def midi_to_hz(pitch: float | torch.Tensor) -> Any:
    """Frequency in Hz of a MIDI pitch (69 = A4 = 440 Hz), for a number or a tensor."""
    return 440.0 * 2.0 ** ((pitch - 69) / 12.0)


def _uniform(g: torch.Generator, lo: float, hi: float) -> float:
    return lo + (hi - lo) * float(torch.rand((), generator=g, dtype=_DTYPE))


def _envelope(
    n: int, sr: int, attack: float, decay: float, sustain: float, release: float
) -> torch.Tensor:
    """ADSR envelope ``(n,)``: held for 3/4 of ``n``, then an exponential release that a linear
    fade brings to exactly 0 after ``5 * release`` seconds."""
    t = torch.arange(n, dtype=_DTYPE) / sr
    held = 0.75 * n / sr
    rise = (t / max(attack, 1e-4)).clamp(max=1.0)
    fall = sustain + (1.0 - sustain) * torch.exp(-(t - attack).clamp_min(0.0) / decay)
    env = rise * fall
    after = (t - held).clamp_min(0.0)
    fade = (1.0 - after / (5 * release)).clamp_min(0.0)  # reaches 0 five time constants on
    return env * torch.exp(-after / release) * fade


def _harmonics(
    f0: float, amps: torch.Tensor, n: int, sr: int, phases: torch.Tensor | None = None
) -> torch.Tensor:
    """Sum of harmonics ``amps (K,)`` or ``(K, n)`` of ``f0``; those above 0.45 sr muted."""
    k = torch.arange(1, amps.shape[0] + 1, dtype=_DTYPE)
    t = torch.arange(n, dtype=_DTYPE) / sr
    keep = (k * f0 < 0.45 * sr).to(_DTYPE)
    phase = 2 * math.pi * f0 * k[:, None] * t[None]
    if phases is not None:
        phase = phase + phases[:, None]
    amps = amps if amps.dim() == 2 else amps[:, None]
    return ((amps * keep[:, None]) * torch.sin(phase)).sum(0)


def _additive(g: torch.Generator, f0: float, v: float, n: int, sr: int) -> torch.Tensor:
    count = max(1, min(40, int(0.45 * sr / f0)))
    k = torch.arange(1, count + 1, dtype=_DTYPE)
    slope = _uniform(g, 0.7, 2.0) - 0.4 * v  # louder notes are brighter
    odd = _uniform(g, 0.3, 1.0)
    amps = k ** (-slope) * torch.where(k % 2 == 0, odd, 1.0)
    formant = _uniform(g, 500.0, 3000.0)
    amps = amps * (1.0 + 1.5 * torch.exp(-(((k * f0 - formant) / 400.0) ** 2)))
    amps = amps * (1.0 + 0.2 * (torch.rand(count, generator=g, dtype=_DTYPE) - 0.5))
    phases = 2 * math.pi * torch.rand(count, generator=g, dtype=_DTYPE)
    env = _envelope(
        n, sr, _uniform(g, 0.005, 0.05), _uniform(g, 0.1, 0.4), _uniform(g, 0.3, 0.8), 0.03
    )
    return _harmonics(f0, amps, n, sr, phases) * env


def _fm(g: torch.Generator, f0: float, v: float, n: int, sr: int) -> torch.Tensor:
    t = torch.arange(n, dtype=_DTYPE) / sr
    ratio = float(torch.randint(1, 4, (), generator=g))
    index0 = _uniform(g, 1.0, 4.0) * (0.5 + v)
    tau = _uniform(g, 0.1, 0.6)
    index = index0 * (0.3 + 0.7 * torch.exp(-t / tau))
    while index0 * 1.3 * ratio * f0 + f0 > 0.45 * sr and index0 > 0.1:  # keep the bands in range
        index0 *= 0.7
        index = index0 * (0.3 + 0.7 * torch.exp(-t / tau))
    modulator = index * torch.sin(2 * math.pi * ratio * f0 * t)
    env = _envelope(
        n, sr, _uniform(g, 0.005, 0.03), _uniform(g, 0.2, 0.6), _uniform(g, 0.2, 0.6), 0.03
    )
    return torch.sin(2 * math.pi * f0 * t + modulator) * env


def _plucked(g: torch.Generator, f0: float, v: float, n: int, sr: int) -> torch.Tensor:
    period = sr / f0
    lag = max(1, int(math.floor(period - 0.5)))
    frac = period - 0.5 - lag
    taps = torch.tensor([0.5 * (1 - frac), 0.5, 0.5 * frac], dtype=_DTYPE)  # (0.5, 0.5) * (1-f, f)
    decay = _uniform(g, 0.992, 0.999) ** (220.0 / max(f0, 55.0))  # similar decay time per pitch
    burst = torch.rand(lag + 2, generator=g, dtype=_DTYPE) * 2 - 1
    smooth = 1.0 - v  # softer plucks are darker: a moving average of the burst
    for _ in range(int(round(3 * smooth))):
        burst = 0.5 * (burst + torch.roll(burst, 1))
    y = torch.zeros(n + lag + 2, dtype=_DTYPE)
    y[: lag + 2] = burst
    start = lag + 2
    while start < y.shape[0]:  # each block of `lag` samples depends on the previous ones only
        stop = min(start + lag, y.shape[0])
        idx = torch.arange(start, stop)
        y[start:stop] = decay * (
            taps[0] * y[idx - lag] + taps[1] * y[idx - lag - 1] + taps[2] * y[idx - lag - 2]
        )
        start = stop
    out = y[lag + 2 :]
    return out * _envelope(n, sr, 0.001, 10.0, 1.0, 0.03)


def _sawtooth(g: torch.Generator, f0: float, v: float, n: int, sr: int) -> torch.Tensor:
    count = max(1, min(60, int(0.45 * sr / f0)))
    k = torch.arange(1, count + 1, dtype=_DTYPE)
    t = torch.arange(n, dtype=_DTYPE) / sr
    base = f0 * _uniform(g, 1.5, 4.0)
    sweep = base * (1.0 + (2.0 + 6.0 * v) * torch.exp(-t / _uniform(g, 0.05, 0.3)))  # (n,)
    q = _uniform(g, 0.7, 4.0)
    ratio = (k[:, None] * f0) / sweep[None]  # (K, n)
    response = 1.0 / torch.sqrt((1.0 - ratio**2) ** 2 + (ratio / q) ** 2)
    amps = response / k[:, None]
    env = _envelope(
        n, sr, _uniform(g, 0.005, 0.05), _uniform(g, 0.2, 0.5), _uniform(g, 0.4, 0.9), 0.03
    )
    return _harmonics(f0, amps, n, sr) * env


_FAMILIES: dict[str, Callable[[torch.Generator, float, float, int, int], torch.Tensor]] = {
    "additive": _additive,
    "fm": _fm,
    "plucked": _plucked,
    "sawtooth": _sawtooth,
}


def synthesize_note(
    family: str,
    pitch: int,
    velocity: int,
    sample_rate: int,
    num_samples: int,
    generator: torch.Generator,
) -> torch.Tensor:
    """One note of ``family`` at MIDI ``pitch`` and ``velocity``.

    Args:
        family: One of :data:`NOTE_FAMILIES`.
        pitch: MIDI pitch, 21 to 108; its fundamental must lie below 0.45 * ``sample_rate``.
        velocity: MIDI velocity, 1 to 127: the peak (``0.9 * velocity / 127``) and brightness.
        sample_rate: Samples per second.
        num_samples: Length: the note is held for 3/4 of it and released.
        generator: The random source of the timbre's variation.

    Returns:
        ``(num_samples,)`` float32.

    Raises:
        ValueError: For an unknown family or a value out of range.
    """
    if family not in _FAMILIES:
        raise ValueError(
            f"synthesize_note: unknown family {family!r}; expected one of {NOTE_FAMILIES}"
        )
    if not 1 <= velocity <= 127:
        raise ValueError(f"synthesize_note: velocity must be in [1, 127], got {velocity}")
    if sample_rate <= 0 or num_samples <= 0:
        raise ValueError(
            f"synthesize_note: sample_rate and num_samples must be positive, got {sample_rate}, {num_samples}"
        )
    f0 = float(midi_to_hz(pitch))
    if not 21 <= pitch <= 108 or f0 >= 0.45 * sample_rate:
        raise ValueError(
            f"synthesize_note: pitch {pitch} ({f0:.0f} Hz) must be in [21, 108] and below "
            f"0.45 * sample_rate ({0.45 * sample_rate:.0f} Hz)"
        )
    v = velocity / 127.0
    note = _FAMILIES[family](generator, f0, v, num_samples, sample_rate)
    note = note / note.abs().max().clamp_min(1e-12)
    return (note * 0.9 * v).to(torch.float32)


class SynthNotes(Dataset):
    """Synthesized notes labelled by pitch: the built-in data of the ``gansynth`` recipe.

    Item ``i`` has pitch ``pitches[i % len(pitches)]`` (its label is ``i % len(pitches)``);
    with ``j = i // len(pitches)`` its family is ``families[j % len(families)]`` and its
    velocity ``velocities[(j // len(families)) % len(velocities)]``. The timbre's variation is
    drawn from a generator seeded with ``(seed, i)`` only, so any item is made alone, the same
    every time.

    Args:
        notes_per_pitch: Notes of each pitch (default: one per family and velocity).
        pitches: MIDI pitches (the classes, in this order).
        velocities: MIDI velocities.
        families: Timbre families, a subset of :data:`NOTE_FAMILIES`.
        sample_rate: Samples per second.
        num_samples: Length of each note (1 s at 16 kHz by default).
        seed: Identity of the set.
        transform: Called on each note's ``(num_samples,)`` waveform (e.g. a frontend's
            ``encode``); its result is yielded instead of the ``(1, num_samples)`` waveform.

    Attributes:
        classes: The pitches as names (``"60"``); ``labels``: each item's label.

    Yields:
        ``(waveform (1, num_samples) or transform(waveform), label)``.
    """

    def __init__(
        self,
        notes_per_pitch: int | None = None,
        pitches: Sequence[int] = tuple(range(48, 73)),
        velocities: Sequence[int] = (60, 90, 120),
        families: Sequence[str] = NOTE_FAMILIES,
        sample_rate: int = 16000,
        num_samples: int = 16000,
        seed: int = 0,
        transform: Callable[[torch.Tensor], Any] | None = None,
    ) -> None:
        name = "SynthNotes"
        if isinstance(families, str):
            families = (families,)
        unknown = [f for f in families if f not in _FAMILIES]
        if unknown or not families:
            raise ValueError(
                f"{name}: unknown families {unknown or families!r}; choose from {NOTE_FAMILIES}"
            )
        if not pitches or not velocities:
            raise ValueError(f"{name}: pitches and velocities must not be empty")
        if len(set(pitches)) != len(pitches):
            raise ValueError(f"{name}: pitches repeat: {list(pitches)}")
        self.pitches = [int(p) for p in pitches]
        self.velocities = [int(v) for v in velocities]
        self.families = list(families)
        per_pitch = len(self.families) * len(self.velocities)
        self.notes_per_pitch = per_pitch if notes_per_pitch is None else int(notes_per_pitch)
        if self.notes_per_pitch < 1 or sample_rate <= 0 or num_samples <= 0 or seed < 0:
            raise ValueError(
                f"{name}: notes_per_pitch, sample_rate and num_samples must be positive and seed "
                f">= 0, got {notes_per_pitch}, {sample_rate}, {num_samples}, {seed}"
            )
        for p in self.pitches:
            for v in self.velocities:  # refuse bad values now, not in a DataLoader worker
                if not 1 <= v <= 127 or not 21 <= p <= 108 or midi_to_hz(p) >= 0.45 * sample_rate:
                    raise ValueError(
                        f"{name}: pitch {p} / velocity {v} out of range (pitch in [21, 108] below "
                        f"0.45 * sample_rate, velocity in [1, 127])"
                    )
        self.sample_rate, self.num_samples, self.seed = (
            int(sample_rate),
            int(num_samples),
            int(seed),
        )
        self.transform = transform
        self.classes = [str(p) for p in self.pitches]
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}
        self.labels = [i % len(self.pitches) for i in range(len(self))]

    def __len__(self) -> int:
        return self.notes_per_pitch * len(self.pitches)

    def note(self, index: int) -> dict[str, Any]:
        """``{"pitch", "velocity", "family"}`` of item ``index``."""
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"SynthNotes: index {index} out of range for {n} items")
        index %= n
        j = index // len(self.pitches)
        return {
            "pitch": self.pitches[index % len(self.pitches)],
            "velocity": self.velocities[(j // len(self.families)) % len(self.velocities)],
            "family": self.families[j % len(self.families)],
        }

    def waveform(self, index: int) -> torch.Tensor:
        """The ``(1, num_samples)`` waveform of item ``index`` (without ``transform``)."""
        info = self.note(index)
        index %= len(self)
        wave = synthesize_note(
            info["family"],
            info["pitch"],
            info["velocity"],
            self.sample_rate,
            self.num_samples,
            item_generator(self.seed, index),
        )
        return wave[None]

    def __getitem__(self, index: int) -> tuple[Any, int]:
        wave = self.waveform(index)
        return apply_transform(wave, self.transform), self.labels[index % len(self)]

    def cache_key(self) -> dict[str, Any]:
        """JSON-able identity of the set, for :class:`~audiogan.data.FeatureCache`."""
        return {
            "dataset": "SynthNotes",
            "version": NOTES_VERSION,
            "notes_per_pitch": self.notes_per_pitch,
            "pitches": self.pitches,
            "velocities": self.velocities,
            "families": self.families,
            "sample_rate": self.sample_rate,
            "num_samples": self.num_samples,
            "seed": self.seed,
            "transform": describe_transform(self.transform),
        }


_NOTE_NAME = re.compile(r"^(?P<instrument>.+)-(?P<pitch>\d{1,3})-(?P<velocity>\d{1,3})$")
_NSYNTH_INSTRUMENT = re.compile(
    r"^(?P<family>[^_]+(?:_[^_]+)*?)_(?:acoustic|electronic|synthetic)_\d+$"
)


def _family(instrument: str) -> str | None:
    """The family of an instrument name: NSynth's ``<family>_<source>_<number>`` (the family
    may hold an underscore: ``synth_lead_synthetic_000``), else the part before the first
    ``_``; None for a name without one (``piano``: it names no family)."""
    match = _NSYNTH_INSTRUMENT.match(instrument)
    if match is not None:
        return match["family"]
    head, sep, _ = instrument.partition("_")
    return head if sep and head else None


def parse_note_name(name: str) -> dict[str, Any] | None:
    """``{"instrument", "family", "pitch", "velocity"}`` of an NSynth-style file name, or None.

    The family is the instrument's first part (NSynth's ``<family>_<source>_<number>``), or
    None when the instrument name has no ``_``.

    >>> parse_note_name("guitar_acoustic_001-060-075.wav")
    {'instrument': 'guitar_acoustic_001', 'family': 'guitar', 'pitch': 60, 'velocity': 75}
    >>> parse_note_name("synth_lead_synthetic_000-072-100.wav")["family"]
    'synth_lead'
    >>> parse_note_name("piano-060-100.wav")["family"] is None
    True
    """
    match = _NOTE_NAME.match(Path(name).stem)
    if match is None:
        return None
    instrument = match["instrument"]
    return {
        "instrument": instrument,
        "family": _family(instrument),
        "pitch": int(match["pitch"]),
        "velocity": int(match["velocity"]),
    }


class NoteFolder(FileAudioDataset):
    """A folder (searched recursively) of NSynth-style notes, labelled by pitch.

    Files are named ``<instrument>-<pitch>-<velocity>.<ext>`` (see :func:`parse_note_name`);
    other files are ignored. The classes are the pitches, sorted (or ``pitches``: files at other
    pitches are left out). Each note goes through the load chain of the file datasets (mono,
    resampled to ``sample_rate``, padded or trimmed to ``num_samples`` from its start).

    Args:
        root: The folder.
        pitches: Keep these MIDI pitches only, in this order (default: every pitch found).
        sample_rate: Rate to resample to.
        num_samples: Length of each note.
        transform: Called on each ``(num_samples,)`` waveform.
        on_error: ``"raise"`` on an unreadable file, or ``"skip"`` it (counted in ``skipped``).
        extensions: File suffixes read.

    Attributes:
        notes: ``{"instrument", "family", "pitch", "velocity"}`` of each kept file.

    Raises:
        ValueError: If the folder does not exist or holds no note file.
    """

    def __init__(
        self,
        root: str | os.PathLike,
        pitches: Sequence[int] | None = None,
        sample_rate: int = 16000,
        num_samples: int = 16000,
        transform: Callable[[torch.Tensor], Any] | None = None,
        on_error: str = "raise",
        extensions: Sequence[str] = (".wav", ".flac", ".ogg"),
    ) -> None:
        super().__init__(sample_rate, num_samples, transform, on_error, False, 0)
        self.root = Path(root)
        if not self.root.is_dir():
            raise ValueError(f"NoteFolder: {self.root} is not a folder")
        found = []
        for path in sorted(self.root.rglob("*")):
            info = parse_note_name(path.name)
            if path.is_file() and path.suffix.lower() in extensions and info is not None:
                found.append((path, info))
        wanted = sorted({info["pitch"] for _, info in found}) if pitches is None else list(pitches)
        found = [(p, info) for p, info in found if info["pitch"] in wanted]
        if not found:
            raise ValueError(
                f"NoteFolder: no note files named <instrument>-<pitch>-<velocity>.wav in "
                f"{self.root}" + ("" if pitches is None else f" at pitches {list(pitches)}")
            )
        self.pitches = [int(p) for p in wanted]
        self.classes = [str(p) for p in self.pitches]
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}
        index = {p: i for i, p in enumerate(self.pitches)}
        infos = {path: info for path, info in found}
        self._screen([(path, index[info["pitch"]], "") for path, info in found])
        self.notes = [infos[path] for path in self.files]

    def cache_key(self) -> dict[str, Any]:
        """JSON-able identity: the files (relative paths, sizes, mtimes) and loading parameters."""
        return {
            "dataset": "NoteFolder",
            "files": file_entries(self.files, self.root),
            "labels": self.labels,
            "pitches": self.pitches,
            **self._loading_key(),
        }


class NoteFamilies(Dataset):
    """Notes labelled by pitch and instrument family together.

    Item ``i`` is item ``i`` of ``notes`` (a :class:`SynthNotes` or a :class:`NoteFolder`, or
    any data set with ``pitches`` and ``note(i)["family"]`` or ``notes[i]["family"]``); its
    label is ``pitch * len(families) + family`` (the row-major joint label of
    :func:`audiogan.nn.join_labels`), its class name ``"<family>-<pitch>"`` (``"fm-60"``).

    Args:
        notes: The notes, labelled by pitch.
        families: The families, in label order (default: the built-in notes' own ``families``,
            or every family a folder's file names carry, sorted).

    Attributes:
        pitches, families: The factors. ``classes``: the joint class names; ``labels``: each
        item's joint label; ``note_families``: each item's family index.

    Raises:
        ValueError: If a note's file name carries no family (naming the files), or a note's
            family is not among ``families``.

    Yields:
        ``(item of notes, joint label)``.
    """

    def __init__(self, notes: Dataset, families: Sequence[str] | None = None) -> None:
        name = "NoteFamilies"
        self.notes = notes
        self.pitches = [int(p) for p in notes.pitches]  # type: ignore[attr-defined]
        found = self._families_of(notes)
        missing = [i for i, f in enumerate(found) if f is None]
        if missing:
            files = getattr(notes, "files", None)
            shown = [str(files[i]) if files is not None else f"item {i}" for i in missing[:5]]
            more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
            raise ValueError(
                f"{name}: the family is read from NSynth-style names "
                f"<family>_<source>_<number>-<pitch>-<velocity>.wav, and these name none: "
                f"{', '.join(shown)}{more}"
            )
        if families is None:
            own = getattr(notes, "families", None)
            families = list(own) if own is not None else sorted(set(found))  # type: ignore[arg-type]
        self.families = [str(f) for f in families]
        if not self.families or len(set(self.families)) != len(self.families):
            raise ValueError(f"{name}: families must be distinct names, got {self.families}")
        index = {f: k for k, f in enumerate(self.families)}
        unknown = sorted({f for f in found if f not in index})  # type: ignore[misc]
        if unknown:
            raise ValueError(f"{name}: notes of families {unknown}, not among {self.families}")
        self.note_families = [index[f] for f in found]  # type: ignore[index]
        count = len(self.families)
        pitch_labels = list(notes.labels)  # type: ignore[attr-defined]
        self.labels = [
            int(p) * count + f for p, f in zip(pitch_labels, self.note_families, strict=True)
        ]
        self.classes = [f"{f}-{p}" for p in self.pitches for f in self.families]
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}

    @staticmethod
    def _families_of(notes: Dataset) -> list[str | None]:
        if callable(getattr(notes, "note", None)):
            return [notes.note(i)["family"] for i in range(len(notes))]  # type: ignore[attr-defined,arg-type]
        infos = getattr(notes, "notes", None)
        if infos is None:
            raise ValueError(
                f"NoteFamilies: {type(notes).__name__} tells no family (no note(i) nor notes)"
            )
        return [info.get("family") for info in infos]

    def __len__(self) -> int:
        return len(self.notes)  # type: ignore[arg-type]

    def __getitem__(self, index: int) -> tuple[Any, int]:
        item, _ = self.notes[index]
        return item, self.labels[index]

    def cache_key(self) -> dict[str, Any]:
        """JSON-able identity, for :class:`~audiogan.data.FeatureCache`: the notes' and the
        families'."""
        return {
            "dataset": "NoteFamilies",
            "notes": self.notes.cache_key(),  # type: ignore[attr-defined]
            "families": self.families,
        }
