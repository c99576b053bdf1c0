"""Checks of the files a run writes, shared by the recipe and command-line tests."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import soundfile as sf


def check_wav(path: Path) -> None:
    """A readable, non-empty wav file of finite samples."""
    audio, rate = sf.read(path)
    assert rate > 0 and audio.size > 0, path
    assert np.isfinite(audio).all(), path


def check_png(path: Path) -> np.ndarray:
    """A readable PNG that is not one flat colour; returns its pixels."""
    import matplotlib.image as mpimg

    image = mpimg.imread(path)
    assert image.ndim == 3 and image.shape[0] > 10 and image.shape[1] > 10, path
    assert image[..., :3].std() > 0.01, f"{path} is blank"
    return image


def check_midi(path: Path, tracks: set[str] | None = None) -> None:
    """A MIDI file pretty_midi parses: uniquely named tracks (from ``tracks`` when given; a voice
    that only rests, as an untrained one may, has none), notes of positive length."""
    import pretty_midi

    midi = pretty_midi.PrettyMIDI(str(path))
    names = [instrument.name for instrument in midi.instruments]
    assert tracks is None or set(names) <= tracks, path
    assert len(names) == len(set(names)), path
    assert all(note.end > note.start for i in midi.instruments for note in i.notes), path


def logged_steps(out: Path) -> list[int]:
    """The steps logged in ``out/metrics.csv``."""
    with open(out / "metrics.csv", newline="") as f:
        return [int(row["step"]) for row in csv.DictReader(f)]


def check_round(folder: Path, suffix: str, stems: list[str]) -> None:
    """A sample round: one valid file per stem with ``suffix``, and valid PNG pictures."""
    for stem in stems:
        path = folder / f"{stem}{suffix}"
        assert path.is_file(), (
            f"missing {path}; the folder holds {sorted(p.name for p in folder.iterdir())}"
        )
        check_wav(path) if suffix == ".wav" else check_midi(path)
    pictures = sorted(folder.glob("*.png"))
    assert pictures, f"no PNG in {folder}"
    for picture in pictures:
        check_png(picture)
