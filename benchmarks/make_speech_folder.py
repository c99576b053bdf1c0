"""Make a folder of noisy spoken words, the way a user's own recordings look (issue 22).

Each clip is one word (by default the digits zero to four: five classes) spoken by espeak-ng in
one of a dozen voices (accent and voice variant), with a random pitch and speed, placed at a
random onset in a 1 s clip at 16 kHz, in a room (a synthetic impulse response, RT60 0.15-0.6 s,
convolved in numpy) and over background noise at 12-25 dB SNR (pink noise, or babble: reversed
words of other speakers over pink noise), at a random level. Everything but the speech is numpy,
seeded: the same arguments give the same folder.

Layout (one subfolder per class, what ``audiogan train --data`` reads)::

    OUT/train/<word>/<word>_000.wav ...        --clips-per-class per class: the GAN's data
    OUT/held_out/<word>/...                    --held-out per class: real clips nobody trains on
    OUT/classifier/<word>/...                  --classifier-clips per class: the independent
                                               classifier's training set (speech_classifier.py)
    OUT/clips.csv                              split, file, word, voice, pitch, speed, onset,
                                               RT60, noise type, SNR and level of every clip

Usage::

    python benchmarks/make_speech_folder.py runs/speech48              # 48 per class
    python benchmarks/make_speech_folder.py runs/tiny --clips-per-class 2 --held-out 1 \\
        --classifier-clips 0

Needs the ``espeak-ng`` program (Debian/Ubuntu: ``apt-get install espeak-ng``); without it the
script says so and makes nothing (exit status 0: skipped).
"""

from __future__ import annotations

import argparse
import csv
import io
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import torch
import torchaudio

SAMPLE_RATE = 16000
CLIP_SECONDS = 1.0
WORDS = ("zero", "one", "two", "three", "four")
#: (accent, voice variant) pairs: a dozen speakers.
VOICES = (
    ("en-us", "m1"),
    ("en-us", "f2"),
    ("en-gb", "m3"),
    ("en-gb", "f4"),
    ("en-gb-scotland", "m2"),
    ("en-gb-scotland", "f1"),
    ("en-gb-x-rp", "m5"),
    ("en-gb-x-rp", "f3"),
    ("en-029", "m4"),
    ("en-gb-x-gbclan", "m7"),
    ("en-gb-x-gbcwmd", "f5"),
    ("en-us-nyc", "klatt"),
)
#: Words of the babble noise (never a class word).
BABBLE_WORDS = ("market", "window", "yellow", "paper", "river", "garden", "little", "morning")
SNR_DB = (12.0, 25.0)
RT60_S = (0.15, 0.6)
SPLITS = ("train", "held_out", "classifier")


@dataclass
class ClipInfo:
    """How one clip was made (a row of ``clips.csv``)."""

    split: str
    file: str
    word: str
    voice: str
    pitch: int
    speed: int
    onset_s: float
    rt60_s: float
    noise: str
    snr_db: float
    peak: float


def espeak_available() -> bool:
    """Whether the ``espeak-ng`` program is on the PATH."""
    return shutil.which("espeak-ng") is not None


def speak(word: str, voice: str, pitch: int, speed: int) -> np.ndarray:
    """``word`` spoken by espeak-ng, trimmed of silence, at 16 kHz: ``(num_samples,)`` float32."""
    wav = subprocess.run(
        ["espeak-ng", "-v", voice, "-p", str(pitch), "-s", str(speed), "--stdout", word],
        capture_output=True,
        check=True,
    ).stdout
    wave, rate = sf.read(io.BytesIO(wav), dtype="float32")
    if wave.ndim > 1:
        wave = wave.mean(axis=1)
    resampled = torchaudio.functional.resample(torch.from_numpy(wave), rate, SAMPLE_RATE)
    return trim_silence(resampled.numpy())


def trim_silence(wave: np.ndarray, threshold: float = 0.02) -> np.ndarray:
    """``wave`` without the leading and trailing samples below ``threshold`` of its peak."""
    loud = np.flatnonzero(np.abs(wave) > threshold * np.abs(wave).max())
    return wave[loud[0] : loud[-1] + 1] if loud.size else wave


def room_impulse_response(rng: np.random.Generator, rt60: float) -> np.ndarray:
    """A synthetic room: a direct path, then exponentially decaying noise (60 dB in ``rt60``
    seconds) with a few early reflections; unit energy."""
    n = int(rt60 * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    tail = rng.standard_normal(n) * 10.0 ** (-3.0 * t / rt60)
    tail[: int(0.002 * SAMPLE_RATE)] = 0.0  # the reverberation starts after the direct sound
    ir = 0.4 * tail / np.sqrt(np.sum(tail**2))
    ir[0] = 1.0
    for delay in rng.uniform(0.003, 0.02, size=3):  # early reflections off walls
        ir[int(delay * SAMPLE_RATE)] += rng.uniform(0.2, 0.5) * rng.choice([-1.0, 1.0])
    return ir / np.sqrt(np.sum(ir**2))


def convolve(wave: np.ndarray, ir: np.ndarray) -> np.ndarray:
    """Full linear convolution by FFT: ``len(wave) + len(ir) - 1`` samples."""
    size = len(wave) + len(ir) - 1
    n_fft = 1 << (size - 1).bit_length()
    return np.fft.irfft(np.fft.rfft(wave, n_fft) * np.fft.rfft(ir, n_fft), n_fft)[:size]


def pink_noise(rng: np.random.Generator, n: int) -> np.ndarray:
    """Noise with a 1/f power spectrum (white noise shaped in the frequency domain), unit power."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n)
    spectrum[1:] /= np.sqrt(f[1:])
    spectrum[0] = 0.0
    noise = np.fft.irfft(spectrum, n)
    return noise / np.sqrt(np.mean(noise**2))


def babble_noise(rng: np.random.Generator, n: int) -> np.ndarray:
    """Far-off talkers: reversed words of random voices at random times over pink noise, unit
    power (unintelligible, speech-shaped and fluctuating like a room of people)."""
    noise = 0.3 * pink_noise(rng, n)
    for _ in range(6):
        accent, variant = VOICES[rng.integers(len(VOICES))]
        word = BABBLE_WORDS[rng.integers(len(BABBLE_WORDS))]
        talk = speak(word, f"{accent}+{variant}", int(rng.integers(20, 80)), 170)[::-1]
        talk = talk[:n] / (np.sqrt(np.mean(talk**2)) + 1e-9)
        start = int(rng.integers(0, n - len(talk) + 1))
        noise[start : start + len(talk)] += rng.uniform(0.5, 1.0) * talk
    return noise / np.sqrt(np.mean(noise**2))


def make_clip(rng: np.random.Generator, word: str) -> tuple[np.ndarray, dict]:
    """One 1 s clip of ``word`` with a random voice, room, onset and noise: ``(16000,)`` float32
    and the settings drawn."""
    n = int(CLIP_SECONDS * SAMPLE_RATE)
    accent, variant = VOICES[rng.integers(len(VOICES))]
    voice, pitch, speed = (
        f"{accent}+{variant}",
        int(rng.integers(25, 76)),
        int(rng.integers(130, 211)),
    )
    dry = speak(word, voice, pitch, speed)[:n]
    rt60 = float(rng.uniform(*RT60_S))
    wet = convolve(dry, room_impulse_response(rng, rt60))
    onset = int(rng.integers(0, n - len(dry) + 1))
    clean = np.zeros(n)
    tail = wet[: n - onset]
    clean[onset : onset + len(tail)] = tail
    speech_power = np.mean(clean[onset : onset + len(dry)] ** 2)
    kind = "babble" if rng.random() < 0.5 else "pink"
    noise = babble_noise(rng, n) if kind == "babble" else pink_noise(rng, n)
    snr = float(rng.uniform(*SNR_DB))
    mixed = clean + noise * np.sqrt(speech_power / 10.0 ** (snr / 10.0))
    peak = float(rng.uniform(0.25, 0.9))  # recorded at some level, never clipped
    mixed *= peak / np.abs(mixed).max()
    info = {
        "voice": voice,
        "pitch": pitch,
        "speed": speed,
        "onset_s": round(onset / SAMPLE_RATE, 4),
        "rt60_s": round(rt60, 3),
        "noise": kind,
        "snr_db": round(snr, 2),
        "peak": round(peak, 3),
    }
    return mixed.astype(np.float32), info


def make_folder(
    out: str | Path,
    clips_per_class: int = 48,
    held_out: int = 48,
    classifier_clips: int = 200,
    words: tuple[str, ...] = WORDS,
    seed: int = 0,
) -> list[ClipInfo]:
    """Write the three splits of noisy words under ``out`` (see the module docstring).

    Each split and class draws from its own seeded generator, so a split's clips do not depend
    on the sizes of the others.

    Returns:
        One :class:`ClipInfo` per clip written (also in ``out/clips.csv``).

    Raises:
        RuntimeError: If espeak-ng is not installed.
    """
    if not espeak_available():
        raise RuntimeError("espeak-ng is not installed (Debian/Ubuntu: apt-get install espeak-ng)")
    out = Path(out)
    rows: list[ClipInfo] = []
    sizes = {"train": clips_per_class, "held_out": held_out, "classifier": classifier_clips}
    for s, split in enumerate(SPLITS):
        if sizes[split] == 0:
            continue
        for c, word in enumerate(words):
            rng = np.random.default_rng([seed, s, c])
            folder = out / split / word
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(sizes[split]):
                wave, info = make_clip(rng, word)
                path = folder / f"{word}_{i:03d}.wav"
                sf.write(path, wave, SAMPLE_RATE, subtype="PCM_16")
                rows.append(ClipInfo(split, str(path.relative_to(out)), word, **info))
    with open(out / "clips.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(asdict(rows[0]))) if rows else None
        if writer is not None:
            writer.writeheader()
            writer.writerows(asdict(row) for row in rows)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="the folder to make")
    parser.add_argument("--clips-per-class", type=int, default=48, help="training clips (48)")
    parser.add_argument("--held-out", type=int, default=48, help="held-out clips per class (48)")
    parser.add_argument(
        "--classifier-clips", type=int, default=200, help="classifier clips per class (200)"
    )
    parser.add_argument("--words", default=",".join(WORDS), help="comma-separated class words")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if not espeak_available():
        print(
            "make_speech_folder: skipped, espeak-ng is not installed "
            "(Debian/Ubuntu: apt-get install espeak-ng); no folder was made",
            file=sys.stderr,
        )
        return 0
    start = time.perf_counter()
    words = tuple(w.strip() for w in args.words.split(",") if w.strip())
    rows = make_folder(
        args.out, args.clips_per_class, args.held_out, args.classifier_clips, words, args.seed
    )
    seconds = time.perf_counter() - start
    print(f"{len(rows)} clips of {len(words)} words in {args.out} ({seconds:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
