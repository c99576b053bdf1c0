"""Bach chorales as the ``(4, 2, 16, 84)`` piano rolls of MuseGAN on the JSB chorales, built offline.

Two sources give the same layout, ``(phrases, tracks=4 SATB, bars, steps, pitches)`` in {-1, 1}
with pitch index = MIDI number - ``lowest_pitch`` and a rest as -1 at every pitch:

- :class:`JSBChorales` parses the chorales that the ``music21`` package ships (no download),
  and caches the result to an ``.npz``.
- :func:`load_jsb16th_npz` reads the widely used ``Jsb16thSeparated.npz`` (the book's data),
  whose ragged object arrays it unpickles with an unpickler that builds only numpy arrays.

How :class:`JSBChorales` builds its phrases:

- Chorales: music21's Riemenschneider catalogue (``corpus.chorales.Iterator``, 371 numbers, 350
  distinct files). A chorale is skipped, and counted in :attr:`JSBChorales.skipped`, if it can't
  be parsed (``"unreadable"``), has not exactly four parts (``"not_four_voices"``), has a time
  signature whose bar is not ``steps_per_bar / steps_per_beat`` quarter notes (``"meter"``;
  with the defaults, only 4/4-length bars are kept), or is shorter than one phrase
  (``"too_short"``).
- Tracks are the four parts in score order: soprano, alto, tenor, bass. Each part is read on a
  sixteenth-note grid (``steps_per_beat=4``); a chord in a part keeps its highest note.
- Phrases are ``bars`` bars that start on the piece's bar lines, every ``hop_bars`` bars
  (default ``bars``: back to back, no overlap). A pickup (anacrusis) is not a bar, so the
  first phrase starts at the first full bar; the trailing partial bar that balances a pickup
  never fills a phrase and is dropped, like any incomplete phrase at the end.
- A phrase with a pitch outside ``lowest_pitch .. lowest_pitch + pitches - 1`` is skipped and
  counted (``"out_of_range_phrases"``); with the defaults (MIDI 0..83, chorales span 36..81)
  none is.
- Splits are by chorale, never by phrase, so no chorale's phrases are in two splits:
  ``crc32(name) % 10`` in 0..5 is ``"train"``, 6..7 ``"valid"``, 8..9 ``"test"`` (about
  60/20/20, stable whatever subset is built). ``split=None`` is all of them.

The cache (``<root>/jsb_chorales.npz``) stores the pitch grids, the chorale of each phrase, the
skip counts and the build parameters; it is rebuilt when the parameters differ (or with
``rebuild=True``), written atomically.
"""

from __future__ import annotations

import json
import os
import time
import warnings
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from audiogan._atomic import atomic_path
from audiogan._optional import require
from audiogan._safe_npz import load_npz
from audiogan.frontends.pianoroll import pitches_to_roll
from audiogan.music.midi import tracks_to_grid
from audiogan.music.phrases import segment_pitches
from audiogan.music.score import stream_bar_quarters, stream_pickup, stream_to_tracks

CACHE_NAME = "jsb_chorales.npz"
#: Bump when the way phrases are built changes, so old caches are rebuilt.
FORMAT_VERSION = 1
SPLITS = ("train", "valid", "test")
SKIP_REASONS = ("unreadable", "not_four_voices", "meter", "too_short", "out_of_range_phrases")


def default_cache_dir() -> Path:
    """``$AUDIOGAN_CACHE`` if set, else ``~/.cache/audiogan``."""
    env = os.environ.get("AUDIOGAN_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "audiogan"


def chorale_split(name: str) -> str:
    """The split of a chorale by name: ``crc32(name) % 10`` 0..5 train, 6..7 valid, 8..9 test."""
    bucket = zlib.crc32(name.encode("utf-8")) % 10
    return "train" if bucket < 6 else "valid" if bucket < 8 else "test"


def chorale_names() -> list[str]:
    """The distinct chorale names of music21's Riemenschneider catalogue, in catalogue order."""
    corpus = require("music21.corpus", feature="the JSB chorales data set")
    names = corpus.chorales.Iterator(returnType="filename")
    return list(dict.fromkeys(str(n) for n in names))


def _check_split(split: str | None) -> None:
    if split is not None and split not in SPLITS:
        raise ValueError(f"split must be None or one of {SPLITS}, got {split!r}")


def _to_rolls(
    grids: np.ndarray, bars: int, steps_per_bar: int, pitches: int, lowest_pitch: int
) -> np.ndarray:
    """``(N, time, 4)`` pitch grids -> ``(N, 4, bars, steps, pitches)`` int8 rolls in {-1, 1}."""
    rolls = pitches_to_roll(torch.from_numpy(grids), bars, steps_per_bar, pitches, lowest_pitch)
    return rolls.to(torch.int8).numpy()


def _in_range(phrases: np.ndarray, low: int, high: int) -> np.ndarray:
    """``(N,)`` True where every sounding pitch of a phrase ``(N, time, tracks)`` lies in low..high."""
    with np.errstate(invalid="ignore"):
        bad = (phrases < low) | (phrases > high)
    return ~bad.reshape(len(phrases), -1).any(axis=1)


class JSBChorales(Dataset):
    """Two-bar SATB phrases of the Bach chorales that music21 ships, as piano rolls.

    Yields ``x`` alone (no label): a float32 tensor ``(4, bars, steps_per_bar, pitches)``
    in {-1, 1}. See the module docstring for how phrases are cut and what is skipped.

    Args:
        root: Cache folder (default :func:`default_cache_dir`).
        split: ``None`` (all), ``"train"``, ``"valid"`` or ``"test"`` (by chorale).
        bars: Bars per phrase.
        steps_per_bar: Steps per bar (16: sixteenth notes in a 4/4 bar).
        pitches: Pitch axis size.
        lowest_pitch: MIDI number of pitch index 0.
        hop_bars: Bars between the starts of consecutive phrases of a chorale (default
            ``bars``: no overlap; 1: phrases overlap by ``bars - 1`` bars).
        rebuild: Rebuild the cache even if it matches.
        max_chorales: Build from only the first this many chorales of the catalogue (tests).
        progress: Show a tqdm progress bar while parsing.

    Attributes:
        data: ``(N, 4, bars, steps_per_bar, pitches)`` int8 numpy array in {-1, 1}
            (compact; ``__getitem__`` returns float32).
        grids: ``(N, bars * steps_per_bar, 4)`` pitch grids: float32 MIDI numbers, NaN = rest.
        names: Chorale name (e.g. ``"bach/bwv66.6"``) of each phrase.
        skipped: Chorales (or phrases, for ``"out_of_range_phrases"``) skipped, by reason.
        n_chorales: Chorales considered; ``n_four_voice``: of those, with four parts.
        build_seconds: How long the build took (from the cache when it was loaded).
    """

    steps_per_beat = 4

    def __init__(
        self,
        root: str | os.PathLike | None = None,
        split: str | None = None,
        bars: int = 2,
        steps_per_bar: int = 16,
        pitches: int = 84,
        lowest_pitch: int = 0,
        hop_bars: int | None = None,
        rebuild: bool = False,
        max_chorales: int | None = None,
        progress: bool = True,
    ) -> None:
        _check_split(split)
        for what, value in (
            ("bars", bars),
            ("steps_per_bar", steps_per_bar),
            ("pitches", pitches),
        ):
            if value < 1:
                raise ValueError(f"{what} must be >= 1, got {value}")
        if hop_bars is not None and hop_bars < 1:
            raise ValueError(f"hop_bars must be >= 1 or None, got {hop_bars}")
        if max_chorales is not None and max_chorales < 1:
            raise ValueError(f"max_chorales must be >= 1 or None, got {max_chorales}")
        if lowest_pitch < 0 or lowest_pitch + pitches > 128:
            raise ValueError(
                f"pitches {lowest_pitch}..{lowest_pitch + pitches - 1} must lie in MIDI 0..127"
            )
        self.root = Path(root).expanduser() if root is not None else default_cache_dir()
        self.split = split
        self.bars = bars
        self.steps_per_bar = steps_per_bar
        self.pitches = pitches
        self.lowest_pitch = lowest_pitch
        self.hop_bars = bars if hop_bars is None else hop_bars
        self.max_chorales = max_chorales
        self.cache_path = self.root / CACHE_NAME

        cached = None if rebuild else self._load_cache()
        if cached is None:
            cached = self._build(progress)
            self._save_cache(cached)
        grids, phrase_chorale, chorales, meta = cached
        self.skipped: dict[str, int] = dict(meta["skipped"])
        self.n_chorales: int = int(meta["n_chorales"])
        self.n_four_voice: int = int(meta["n_four_voice"])
        self.build_seconds: float = float(meta["build_seconds"])
        if split is not None:
            keep = np.array(
                [chorale_split(chorales[i]) == split for i in phrase_chorale], dtype=bool
            )
            grids, phrase_chorale = grids[keep], phrase_chorale[keep]
        self.grids: np.ndarray = grids
        self.names: list[str] = [chorales[i] for i in phrase_chorale]
        self.data: np.ndarray = _to_rolls(grids, bars, steps_per_bar, pitches, lowest_pitch)

    def build_params(self) -> dict[str, Any]:
        """What the cached array depends on (the split is applied after loading)."""
        music21 = require("music21", feature="the JSB chorales data set")
        return {
            "format": FORMAT_VERSION,
            "bars": self.bars,
            "steps_per_bar": self.steps_per_bar,
            "steps_per_beat": self.steps_per_beat,
            "pitches": self.pitches,
            "lowest_pitch": self.lowest_pitch,
            "hop_bars": self.hop_bars,
            "max_chorales": self.max_chorales,
            "music21": str(music21.__version__),
        }

    def cache_key(self) -> dict[str, Any]:
        """JSON-able identity of this data set's content: build parameters and split."""
        return {"dataset": "JSBChorales", **self.build_params(), "split": self.split}

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> torch.Tensor:
        """Phrase ``index`` as a float32 ``(4, bars, steps_per_bar, pitches)`` tensor."""
        return torch.from_numpy(self.data[index].astype(np.float32))

    def __repr__(self) -> str:
        return (
            f"JSBChorales(split={self.split!r}, phrases={len(self)}, shape={tuple(self.data.shape[1:])}, "
            f"chorales={self.n_four_voice}/{self.n_chorales} four-voice, skipped={self.skipped})"
        )

    def _build(self, progress: bool) -> tuple[np.ndarray, np.ndarray, list[str], dict[str, Any]]:
        corpus = require("music21.corpus", feature="the JSB chorales data set")
        tqdm = require("tqdm").tqdm
        t0 = time.perf_counter()
        names = chorale_names()
        if self.max_chorales is not None:
            names = names[: self.max_chorales]
        bar_quarters = self.steps_per_bar / self.steps_per_beat
        phrase_steps = self.bars * self.steps_per_bar
        high = self.lowest_pitch + self.pitches - 1
        skipped = dict.fromkeys(SKIP_REASONS, 0)
        chorales: list[str] = []
        found: list[np.ndarray] = []
        owner: list[int] = []
        n_four = 0
        for name in tqdm(names, desc="JSB chorales", unit="chorale", disable=not progress):
            try:
                score = corpus.parse(name)
            except Exception:  # music21 raises many types on a bad file
                skipped["unreadable"] += 1
                continue
            if len(score.parts) != 4:
                skipped["not_four_voices"] += 1
                continue
            n_four += 1
            if any(abs(b - bar_quarters) > 1e-9 for b in stream_bar_quarters(score)):
                skipped["meter"] += 1
                continue
            grid = tracks_to_grid(stream_to_tracks(score, self.steps_per_beat, align_pickup=True))
            first_bar = 1 if stream_pickup(score) > 0 else 0
            phrases = segment_pitches(
                grid[first_bar * self.steps_per_bar :],
                phrase_steps,
                self.hop_bars * self.steps_per_bar,
                pad=False,
            )
            if len(phrases) == 0:
                skipped["too_short"] += 1
                continue
            ok = _in_range(phrases, self.lowest_pitch, high)
            skipped["out_of_range_phrases"] += int((~ok).sum())
            if ok.any():
                chorales.append(name)
                found.append(phrases[ok])
                owner.extend([len(chorales) - 1] * int(ok.sum()))
        grids = np.concatenate(found) if found else np.zeros((0, phrase_steps, 4), dtype=np.float32)
        meta = {
            "params": self.build_params(),
            "skipped": skipped,
            "n_chorales": len(names),
            "n_four_voice": n_four,
            "build_seconds": time.perf_counter() - t0,
        }
        return grids.astype(np.float32), np.asarray(owner, dtype=np.int32), chorales, meta

    def _load_cache(self) -> tuple[np.ndarray, np.ndarray, list[str], dict[str, Any]] | None:
        """The cached arrays if the cache exists, is readable and matches the parameters."""
        if not self.cache_path.is_file():
            return None
        try:
            with np.load(self.cache_path, allow_pickle=False) as f:
                meta = json.loads(str(f["meta"]))
                if meta.get("params") != self.build_params():
                    return None
                return f["pitches"], f["phrase_chorale"], [str(c) for c in f["chorales"]], meta
        except (OSError, ValueError, KeyError, json.JSONDecodeError):
            return None  # unreadable or from another layout: rebuild

    def _save_cache(self, cached: tuple[np.ndarray, np.ndarray, list[str], dict[str, Any]]) -> None:
        grids, phrase_chorale, chorales, meta = cached
        with atomic_path(self.cache_path) as tmp, open(tmp, "wb") as fh:
            np.savez_compressed(
                fh,
                pitches=grids,
                phrase_chorale=phrase_chorale,
                chorales=np.asarray(chorales, dtype=str),
                meta=np.asarray(json.dumps(meta)),
            )


def load_jsb16th_npz(
    path: str | os.PathLike,
    split: str = "train",
    bars: int = 2,
    steps_per_bar: int = 16,
    pitches: int = 84,
    lowest_pitch: int = 0,
    steps_per_beat: int = 4,
    hop_steps: int | None = None,
) -> np.ndarray:
    """Load ``Jsb16thSeparated.npz`` into ``(N, 4, bars, steps_per_bar, pitches)`` int8 rolls.

    The file has keys ``train``/``valid``/``test`` (229/76/77 pieces), each an object array of
    pieces, each a ``(T, 4)`` array of MIDI pitches (SATB, sixteenth notes) with NaN for
    silence. As in the book's pipeline, the leading beats (``steps_per_beat`` rows at a time)
    that contain a rest in any voice are skipped; then by default one phrase per piece is taken
    (the first ``bars * steps_per_bar`` steps; pieces too short are dropped). Unlike the
    book, a rest is -1 at every pitch (never pitch 83) and voices are never mixed with time.
    The file has no bar lines, so phrases start on a beat, not necessarily on a downbeat.

    Args:
        path: The ``.npz`` file.
        split: ``"train"``, ``"valid"`` or ``"test"``.
        bars: Bars per phrase.
        steps_per_bar: Steps per bar.
        pitches: Pitch axis size.
        lowest_pitch: MIDI number of pitch index 0.
        steps_per_beat: Rows per beat, the unit in which leading rests are skipped.
        hop_steps: ``None``: one phrase per piece (the book's data). A number: every phrase
            starting every ``hop_steps`` steps after the skipped beats.

    Returns:
        ``(N, 4, bars, steps_per_bar, pitches)`` int8 in {-1, 1}. Phrases with a pitch
        outside the range are dropped with a warning saying how many.

    Raises:
        ValueError: If the file can't be read, lacks ``split``, or a piece is not ``(T, 4)``;
            the message names the file.
        UnsafeFileError: (a ``ValueError``) If the file's pickled arrays name anything but numpy
            arrays and dtypes. The file is read by :func:`audiogan._safe_npz.load_npz`, never by
            ``np.load(allow_pickle=True)``, so a crafted file cannot run code.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    path = Path(path)
    arrays = load_npz(path)  # never np.load(allow_pickle=True): see audiogan._safe_npz
    if split not in arrays:
        raise ValueError(f"{path}: has no split {split!r}; its keys are {sorted(arrays)}")
    pieces: Sequence[Any] = arrays[split]
    phrase_steps = bars * steps_per_bar
    out = []
    for k, piece in enumerate(pieces):
        x = np.asarray(piece, dtype=np.float32)
        if x.ndim != 2 or x.shape[1] != 4:
            raise ValueError(
                f"{path}: {split}[{k}] should be (time, 4) pitches, got shape {x.shape}"
            )
        start = 0
        while start < len(x) and np.isnan(x[start : start + steps_per_beat]).any():
            start += steps_per_beat
        x = x[start:]
        if hop_steps is None:
            if len(x) >= phrase_steps:
                out.append(x[None, :phrase_steps])
        else:
            out.append(segment_pitches(x, phrase_steps, hop_steps, pad=False))
    phrases = np.concatenate(out) if out else np.zeros((0, phrase_steps, 4), dtype=np.float32)
    ok = _in_range(phrases, lowest_pitch, lowest_pitch + pitches - 1)
    if not ok.all():
        warnings.warn(
            f"{path}: dropped {int((~ok).sum())} of {len(ok)} {split} phrases with pitches outside "
            f"{lowest_pitch}..{lowest_pitch + pitches - 1}",
            stacklevel=2,
        )
    return _to_rolls(phrases[ok], bars, steps_per_bar, pitches, lowest_pitch)
