"""Procedurally synthesized, class-labelled sounds: demo and test data that needs no download.

The five classes of the conditional WGAN-GP's data (UrbanSound-like), each with its own look in a
log-mel spectrogram:

- ``dog_bark``: 1-4 short harmonic bursts (f0 250-550 Hz, gliding down, a formant at 1-2.5 kHz)
  with a fast decay and a breathy noise layer, at random times, silence between them.
- ``drilling``: loud broadband noise, amplitude-modulated at 20-40 Hz, plus a high motor whine
  (1.8-5 kHz) with a harmonic; sometimes a short pause.
- ``engine_idling``: a low harmonic hum (f0 25-60 Hz, harmonics up to 0.6-1.8 kHz) over rumble,
  pulsing slowly (1.5-6 Hz).
- ``siren``: a square-ish tone sweeping up and down, either a slow "wail" (sine sweep) or a
  fast "yelp" (triangle sweep).
- ``street_music``: a pentatonic melody of harmonic notes (eighth notes at 90-150 BPM) over a
  bass line (root and fifth), a kick drum on the beats and a hi-hat on the off-beats.

Each item is varied within its class (pitch, timing, rate, timbre, noise level, loudness) and
depends only on ``(seed, index)``: it is drawn from its own ``torch.Generator``.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import Dataset

from audiogan._renamed import renamed_arguments
from audiogan.audio.io import save_audio
from audiogan.data._loading import apply_transform, describe_transform, item_generator

#: The classes :class:`SyntheticSounds` can make (the conditional WGAN-GP's categories), sorted.
SYNTH_CLASSES: tuple[str, ...] = ("dog_bark", "drilling", "engine_idling", "siren", "street_music")

#: Bumped whenever the synthesis changes, so feature caches keyed on ``cache_key()`` go stale.
SYNTH_VERSION = 1

_Tensor = torch.Tensor
_DTYPE = torch.float64


def _uniform(g: torch.Generator, lo: float, hi: float) -> float:
    return lo + (hi - lo) * float(torch.rand((), generator=g, dtype=_DTYPE))


def _randint(g: torch.Generator, lo: int, hi: int) -> int:
    """An int in ``[lo, hi]`` (both included)."""
    return int(torch.randint(lo, hi + 1, (), generator=g))


def _harmonic_tone(
    freq: _Tensor, sample_rate: int, amps: Sequence[float], phase0: float = 0.0
) -> _Tensor:
    """Sum of harmonics ``amps[k] * sin((k + 1) * phase)`` of an instantaneous frequency.

    Args:
        freq: ``(time,)`` fundamental in Hz at each sample.
        sample_rate: Samples per second.
        amps: Amplitude of harmonic 1, 2, ...; harmonics above 0.45 * sample_rate are muted.
        phase0: Starting phase in radians.

    Returns:
        ``(time,)`` float64.
    """
    phase = phase0 + 2.0 * math.pi * torch.cumsum(freq, dim=0) / sample_rate
    out = torch.zeros_like(freq)
    limit = 0.45 * sample_rate
    for k, amp in enumerate(amps, start=1):
        out += amp * torch.sin(k * phase) * (k * freq < limit)
    return out


def _band_noise(g: torch.Generator, n: int, sample_rate: int, lo: float, hi: float) -> _Tensor:
    """``(n,)`` white noise band-limited to ``[lo, hi]`` Hz (FFT mask), unit RMS."""
    white = torch.randn(n, generator=g, dtype=_DTYPE)
    spectrum = torch.fft.rfft(white)
    freqs = torch.fft.rfftfreq(n, d=1.0 / sample_rate, dtype=_DTYPE)
    hi = min(hi, 0.49 * sample_rate)
    spectrum = spectrum * ((freqs >= lo) & (freqs <= hi))
    noise = torch.fft.irfft(spectrum, n=n)
    return noise / noise.pow(2).mean().sqrt().clamp_min(1e-12)


def _place(out: _Tensor, segment: _Tensor, start: int) -> None:
    """Add ``segment`` into ``out`` at ``start``, cutting what falls outside ``out``."""
    if start < 0:
        segment, start = segment[-start:], 0
    stop = min(out.shape[0], start + segment.shape[0])
    if stop > start:
        out[start:stop] += segment[: stop - start]


def _dog_bark(g: torch.Generator, sr: int, n: int) -> _Tensor:
    out = torch.zeros(n, dtype=_DTYPE)
    duration = n / sr
    n_barks = _randint(g, 1, max(1, min(4, round(duration * 3))))
    f0 = _uniform(g, 250.0, 550.0)  # one dog: similar pitch and formant for all its barks
    formant = _uniform(g, 1000.0, 2500.0)
    amps = [(0.3 + math.exp(-(((k * f0 - formant) / 700.0) ** 2))) / k**0.5 for k in range(1, 17)]
    breath = _uniform(g, 0.1, 0.25)
    for _ in range(n_barks):
        length = _uniform(g, 0.08, 0.2)
        onset = _uniform(g, 0.0, max(0.0, duration - length))
        m = max(1, int(length * sr))
        tau = torch.arange(m, dtype=_DTYPE) / sr
        glide = 1.25 - 0.45 * tau / length  # starts high, falls
        pitch = f0 * _uniform(g, 0.9, 1.1) * glide
        voice = _harmonic_tone(pitch, sr, amps, _uniform(g, 0.0, 2 * math.pi))
        voice = voice / voice.abs().max().clamp_min(1e-12)
        noise = _band_noise(g, m, sr, 300.0, 6000.0) * breath
        attack = torch.clamp(tau / 0.005, max=1.0)
        envelope = attack * torch.exp(-tau / (length / 4))
        _place(out, (voice + noise) * envelope * _uniform(g, 0.6, 1.0), round(onset * sr))
    return out


def _drilling(g: torch.Generator, sr: int, n: int) -> _Tensor:
    t = torch.arange(n, dtype=_DTYPE) / sr
    noise = _band_noise(g, n, sr, 150.0, 0.49 * sr)
    rate, depth = _uniform(g, 20.0, 40.0), _uniform(g, 0.6, 0.95)
    am = 1.0 - depth * (
        0.5 + 0.5 * torch.sin(2 * math.pi * rate * t + _uniform(g, 0.0, 2 * math.pi))
    )
    whine_f = min(_uniform(g, 1800.0, 5000.0), 0.35 * sr)
    vibrato = 1.0 + 0.01 * torch.sin(2 * math.pi * _uniform(g, 2.0, 6.0) * t)
    whine = _harmonic_tone(whine_f * vibrato, sr, [1.0, 0.3], _uniform(g, 0.0, 2 * math.pi))
    out = noise * am * 0.5 + whine * _uniform(g, 0.25, 0.5)
    if _uniform(g, 0.0, 1.0) < 0.4:  # the trigger is released for a moment
        gap = int(_uniform(g, 0.08, 0.25) * sr)
        start = _randint(g, 0, max(0, n - gap))
        out[start : start + gap] *= 0.02
    return out


def _engine_idling(g: torch.Generator, sr: int, n: int) -> _Tensor:
    t = torch.arange(n, dtype=_DTYPE) / sr
    f0 = _uniform(g, 25.0, 60.0)
    wobble = 1.0 + 0.02 * torch.sin(2 * math.pi * _uniform(g, 0.3, 1.0) * t)
    n_harm = max(1, int(_uniform(g, 600.0, 1800.0) / f0))
    amps = [_uniform(g, 0.5, 1.0) / k**1.1 for k in range(1, n_harm + 1)]
    hum = _harmonic_tone(f0 * wobble, sr, amps, _uniform(g, 0.0, 2 * math.pi))
    hum = hum / hum.abs().max().clamp_min(1e-12)
    rumble = _band_noise(g, n, sr, 20.0, 300.0) * _uniform(g, 0.1, 0.3)
    rate, depth = _uniform(g, 1.5, 6.0), _uniform(g, 0.25, 0.6)
    pulse = 1.0 - depth * (
        0.5 + 0.5 * torch.sin(2 * math.pi * rate * t + _uniform(g, 0.0, 2 * math.pi))
    )
    return (hum + rumble) * pulse


def _siren(g: torch.Generator, sr: int, n: int) -> _Tensor:
    t = torch.arange(n, dtype=_DTYPE) / sr
    lo, hi = _uniform(g, 500.0, 800.0), _uniform(g, 1200.0, 1800.0)
    phase = _uniform(g, 0.0, 1.0)
    if _uniform(g, 0.0, 1.0) < 0.5:  # wail: slow sine sweep
        rate = _uniform(g, 0.5, 1.5)
        sweep = 0.5 - 0.5 * torch.cos(2 * math.pi * (rate * t + phase))
    else:  # yelp: fast triangle sweep
        rate = _uniform(g, 3.0, 8.0)
        sweep = 1.0 - 2.0 * torch.abs(torch.remainder(rate * t + phase, 1.0) - 0.5)
    freq = (lo + (hi - lo) * sweep).clamp(max=0.4 * sr)
    amps = [1.0, 0.3, 0.5, 0.2, 0.3, 0.1, 0.2]  # square-ish: strong odd harmonics
    tone = _harmonic_tone(freq, sr, amps, _uniform(g, 0.0, 2 * math.pi))
    return tone + _uniform(g, 0.005, 0.02) * _band_noise(g, n, sr, 200.0, 8000.0)  # street hiss


def _street_music(g: torch.Generator, sr: int, n: int) -> _Tensor:
    out = torch.zeros(n, dtype=_DTYPE)
    duration = n / sr
    beat = 60.0 / _uniform(g, 90.0, 150.0)
    step = beat / 2  # eighth notes
    root = _randint(g, 55, 67)  # MIDI G3..G4
    scale = [0, 2, 4, 7, 9, 12, 14, 16]  # major pentatonic over two octaves
    timbre = [1.0, _uniform(g, 0.3, 0.7), _uniform(g, 0.2, 0.4), 0.2, 0.12, 0.08]
    offset = _uniform(g, 0.0, beat)
    degree = _randint(g, 0, len(scale) - 1)
    start = offset - beat  # the music started before the clip
    k = 0
    while start < duration:
        if k % 2 == 0:  # kick on the beat: a falling sine with a fast decay
            m = int(0.12 * sr)
            tau = torch.arange(m, dtype=_DTYPE) / sr
            kick = _harmonic_tone(50.0 + 100.0 * torch.exp(-tau / 0.03), sr, [1.0]) * torch.exp(
                -tau / 0.04
            )
            _place(out, kick * 0.8, round(start * sr))
        else:  # hi-hat on the off-beat
            m = int(0.04 * sr)
            tau = torch.arange(m, dtype=_DTYPE) / sr
            hat = _band_noise(g, m, sr, 5000.0, 9000.0) * torch.exp(-tau / 0.012)
            _place(out, hat * 0.25, round(start * sr))
        if k % 2 == 0:  # a bass note on each beat, root or fifth, two octaves down
            fifth = 7 * (k // 2 % 2)
            freq = 440.0 * 2.0 ** ((root - 24 + fifth - 69) / 12)
            m = int(beat * 0.9 * sr)
            tau = torch.arange(m, dtype=_DTYPE) / sr
            env = torch.clamp(tau / 0.01, max=1.0) * torch.exp(-tau / 0.3)
            bass = _harmonic_tone(torch.full((m,), freq, dtype=_DTYPE), sr, [1.0, 0.6, 0.3, 0.15])
            _place(out, bass * env * 0.5, round(start * sr))
        if _uniform(g, 0.0, 1.0) < 0.85:  # a melody note (else a rest)
            degree = min(len(scale) - 1, max(0, degree + _randint(g, -2, 2)))
            freq = 440.0 * 2.0 ** ((root + scale[degree] - 69) / 12)
            m = int(step * _uniform(g, 0.7, 0.95) * sr)
            tau = torch.arange(m, dtype=_DTYPE) / sr
            env = torch.clamp(tau / 0.01, max=1.0) * torch.exp(-tau / 0.2)
            note = _harmonic_tone(torch.full((m,), freq, dtype=_DTYPE), sr, timbre) * env * 0.5
            _place(out, note, round(start * sr))
        start += step
        k += 1
    return out


_SYNTHS: dict[str, Callable[[torch.Generator, int, int], _Tensor]] = {
    "dog_bark": _dog_bark,
    "drilling": _drilling,
    "engine_idling": _engine_idling,
    "siren": _siren,
    "street_music": _street_music,
}


def synthesize(
    name: str, sample_rate: int, num_samples: int, generator: torch.Generator
) -> torch.Tensor:
    """Synthesize one sound of class ``name``.

    Args:
        name: One of :data:`SYNTH_CLASSES`.
        sample_rate: Samples per second (frequencies above 0.45 * sample_rate are left out).
        num_samples: Length of the result.
        generator: The random source; the same generator state gives the same sound.

    Returns:
        ``(num_samples,)`` float32 in [-1, 1], with a peak between 0.3 and 0.9.

    Raises:
        ValueError: If ``name`` is not a known class or a size is not positive.
    """
    if name not in _SYNTHS:
        raise ValueError(f"synthesize: unknown class {name!r}; expected one of {SYNTH_CLASSES}")
    if sample_rate <= 0 or num_samples <= 0:
        raise ValueError(
            f"synthesize: sample_rate and num_samples must be positive, got {sample_rate}, {num_samples}"
        )
    sound = _SYNTHS[name](generator, sample_rate, num_samples)
    sound = sound / sound.abs().max().clamp_min(1e-12)
    floor = torch.randn(num_samples, generator=generator, dtype=_DTYPE) * _uniform(
        generator, 0.001, 0.01
    )
    sound = sound + floor
    sound = sound * (_uniform(generator, 0.3, 0.9) / sound.abs().max().clamp_min(1e-12))
    return sound.to(torch.float32)


class SyntheticSounds(Dataset):
    """Class-labelled synthetic sounds (the conditional WGAN-GP's categories), made on demand.

    Item ``i`` has label ``i % len(classes)`` and is synthesized from a generator seeded with
    ``(seed, i)`` only, so a smaller ``clips_per_class`` gives a prefix of a larger one and any item
    can be produced alone, in any DataLoader worker.

    Args:
        clips_per_class: Items per class; the dataset holds ``clips_per_class * len(classes)``.
        sample_rate: Samples per second.
        num_samples: Length of each clip.
        seed: Identity of the set.
        classes: Which classes to make, a subset of :data:`SYNTH_CLASSES`; stored sorted (as
            :class:`~audiogan.data.AudioFolder` sorts its class folders).
        transform: Called on each clip's ``(num_samples,)`` waveform, e.g. a frontend's
            ``encode``; its result is yielded instead of the ``(1, num_samples)`` waveform.

    Yields:
        ``(waveform (1, num_samples) float32 in [-1, 1], or transform(waveform), label)``.

    Raises:
        ValueError: For an unknown or repeated class, or a non-positive size.
    """

    @renamed_arguments(n_per_class="clips_per_class")
    def __init__(
        self,
        clips_per_class: int = 20,
        sample_rate: int = 16000,
        num_samples: int = 16000,
        seed: int = 0,
        classes: Sequence[str] = SYNTH_CLASSES,
        transform: Callable[[torch.Tensor], Any] | None = None,
    ) -> None:
        if isinstance(classes, str):
            classes = (classes,)
        unknown = [c for c in classes if c not in _SYNTHS]
        if unknown or not classes:
            raise ValueError(
                f"SyntheticSounds: unknown classes {unknown or classes!r}; choose from {SYNTH_CLASSES}"
            )
        if len(set(classes)) != len(classes):
            raise ValueError(f"SyntheticSounds: classes repeat: {list(classes)}")
        for name, value in (
            ("clips_per_class", clips_per_class),
            ("sample_rate", sample_rate),
            ("num_samples", num_samples),
        ):
            if int(value) <= 0:
                raise ValueError(f"SyntheticSounds: {name} must be positive, got {value}")
        if seed < 0:
            raise ValueError(f"SyntheticSounds: seed must be non-negative, got {seed}")
        self.clips_per_class = int(clips_per_class)
        self.sample_rate = int(sample_rate)
        self.num_samples = int(num_samples)
        self.seed = int(seed)
        self.classes = sorted(classes)
        self.class_to_idx = {name: i for i, name in enumerate(self.classes)}
        self.transform = transform
        self.labels = [i % len(self.classes) for i in range(len(self))]

    def __len__(self) -> int:
        return self.clips_per_class * len(self.classes)

    def waveform(self, index: int) -> torch.Tensor:
        """The ``(1, num_samples)`` waveform of item ``index`` (without ``transform``)."""
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"SyntheticSounds: index {index} out of range for {n} items")
        index %= n
        name = self.classes[self.labels[index]]
        wave = synthesize(
            name, self.sample_rate, self.num_samples, item_generator(self.seed, index)
        )
        return wave.unsqueeze(0)

    def __getitem__(self, index: int) -> tuple[Any, int]:
        wave = self.waveform(index)
        return apply_transform(wave, self.transform), self.labels[index % len(self)]

    def cache_key(self) -> dict[str, Any]:
        """JSON-able identity of the set: its configuration and the synthesis version."""
        return {
            "dataset": "SyntheticSounds",
            "version": SYNTH_VERSION,
            # the key's old name, so that caches built before the rename stay valid
            "n_per_class": self.clips_per_class,
            "sample_rate": self.sample_rate,
            "num_samples": self.num_samples,
            "seed": self.seed,
            "classes": list(self.classes),
            "transform": describe_transform(self.transform),
        }

    def __repr__(self) -> str:
        return (
            f"SyntheticSounds(items={len(self)}, classes={self.classes}, "
            f"sample_rate={self.sample_rate}, num_samples={self.num_samples}, seed={self.seed})"
        )


@renamed_arguments(n_per_class="clips_per_class")
def write_audio_folder(
    root: str | os.PathLike,
    clips_per_class: int = 20,
    sample_rate: int = 16000,
    num_samples: int = 16000,
    seed: int = 0,
    classes: Sequence[str] = SYNTH_CLASSES,
    subtype: str = "PCM_16",
) -> Path:
    """Write :class:`SyntheticSounds` as an :class:`~audiogan.data.AudioFolder` tree.

    Files are ``root/<class>/<class>_<k>.wav`` (k = 0000, 0001, ... within the class).

    Args:
        root: Destination folder (created; existing files of the same names are overwritten).
        clips_per_class, sample_rate, num_samples, seed, classes: As for :class:`SyntheticSounds`.
        subtype: libsndfile subtype of the wav files.

    Returns:
        ``root`` as a Path.
    """
    root = Path(root)
    ds = SyntheticSounds(clips_per_class, sample_rate, num_samples, seed, classes)
    for i in range(len(ds)):
        name = ds.classes[ds.labels[i]]
        save_audio(
            root / name / f"{name}_{i // len(ds.classes):04d}.wav",
            ds.waveform(i),
            sample_rate,
            subtype,
        )
    return root


def write_annotated_csv(
    csv_path: str | os.PathLike,
    audio_dir: str | os.PathLike,
    clips_per_class: int = 20,
    sample_rate: int = 16000,
    num_samples: int = 16000,
    seed: int = 0,
    classes: Sequence[str] = SYNTH_CLASSES,
    string_labels: bool = False,
    with_extension: bool = False,
    header: bool = True,
    subtype: str = "PCM_16",
) -> Path:
    """Write :class:`SyntheticSounds` as flat wav files plus a file,label CSV.

    The layout of the recurrent event classifier's data: files are ``audio_dir/<index>.wav``
    (``00000.wav``, ...); the CSV lists ``<index>`` without the extension (as the recurrent event
    classifier does; ``with_extension`` keeps it) and the label.

    Args:
        csv_path: The CSV to write (parent folders created).
        audio_dir: Folder for the wav files (created).
        clips_per_class, sample_rate, num_samples, seed, classes: As for :class:`SyntheticSounds`.
        string_labels: Write class names instead of class indices.
        with_extension: Write ``00000.wav`` instead of ``00000``.
        header: Start with a ``file,label`` header row.
        subtype: libsndfile subtype of the wav files.

    Returns:
        ``csv_path`` as a Path.
    """
    csv_path, audio_dir = Path(csv_path), Path(audio_dir)
    ds = SyntheticSounds(clips_per_class, sample_rate, num_samples, seed, classes)
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    with open(csv_path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        if header:
            writer.writerow(["file", "label"])
        for i in range(len(ds)):
            stem = f"{i:05d}"
            save_audio(audio_dir / f"{stem}.wav", ds.waveform(i), sample_rate, subtype)
            label = ds.classes[ds.labels[i]] if string_labels else ds.labels[i]
            writer.writerow([f"{stem}.wav" if with_extension else stem, label])
    return csv_path
