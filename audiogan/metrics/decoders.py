"""Compare decoders (vocoders, Griffin-Lim, codecs) by their output against the original clips.

:func:`compare_decoders` takes the originals and each decoder's output, as tensors or as folders
of wav files, and returns a :class:`DecoderTable`: one row per decoder, a column per metric of
:data:`DECODER_METRICS`, and the decoder's CPU seconds per second of audio when given (measure
them with :func:`time_decoder`).
"""

from __future__ import annotations

import importlib.util
import math
import os
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import soundfile
import torch

from audiogan.losses import MelReconstructionLoss, MultiResolutionSTFTLoss
from audiogan.metrics.periodicity import PitchCounts, crepe_pitch
from audiogan.metrics.vocoder import mel_cepstral_distortion, si_sdr, stoi, wideband_pesq

#: Each metric of :func:`compare_decoders`: its column label and whether higher is better.
DECODER_METRICS: dict[str, tuple[str, bool]] = {
    "mr_stft": ("MR-STFT", False),
    "log_mel_l1": ("log-mel L1", False),
    "mcd": ("MCD dB", False),
    "si_sdr": ("SI-SDR dB", True),
    "pesq": ("PESQ", True),
    "stoi": ("STOI", True),
    "periodicity": ("periodicity", False),
    "pitch_cents": ("pitch cents", False),
    "vuv_f1": ("V/UV F1", True),
}

#: The package each metric needs (the ``eval`` extra); the others need none.
METRIC_PACKAGES = {
    "pesq": "pesq",
    "stoi": "pystoi",
    "periodicity": "torchcrepe",
    "pitch_cents": "torchcrepe",
    "vuv_f1": "torchcrepe",
}

Clips = torch.Tensor | str | os.PathLike

__all__ = [
    "DECODER_METRICS",
    "DecoderTable",
    "available_metrics",
    "compare_decoders",
    "read_clips",
    "time_decoder",
]


@dataclass
class DecoderTable:
    """Metrics of decoders against the originals; ``str(table)`` is the printed table.

    Attributes:
        rows: Decoder name -> metric name (a key of :data:`DECODER_METRICS`, or
            ``"cpu_per_second"``) -> value.
        num_clips: Clips compared.
        seconds: Seconds of original audio compared.
        notes: Lines printed under the table.
    """

    rows: dict[str, dict[str, float]]
    num_clips: int
    seconds: float
    notes: list[str] = field(default_factory=list)

    def columns(self) -> list[str]:
        """The metrics present in any row, in :data:`DECODER_METRICS` order (time last)."""
        present = {key for row in self.rows.values() for key in row}
        order = [*DECODER_METRICS, "cpu_per_second"]
        return [key for key in order if key in present]

    def to_text(self) -> str:
        """A fixed-width text table, one row per decoder, with which way is better per column."""
        labels = {key: label for key, (label, _) in DECODER_METRICS.items()}
        labels["cpu_per_second"] = "CPU s/s"
        columns = self.columns()
        width = max([7, *(len(name) for name in self.rows)])
        sizes = [max(8, len(labels[c])) for c in columns]
        head = " ".join(f"{labels[c]:>{s}}" for c, s in zip(columns, sizes, strict=True))
        arrows = ["up" if DECODER_METRICS.get(c, ("", False))[1] else "down" for c in columns]
        better = " ".join(f"{a:>{s}}" for a, s in zip(arrows, sizes, strict=True))
        lines = [f"{'decoder':<{width}} {head}", f"{'better':<{width}} {better}"]
        for name, row in self.rows.items():
            cells = [_cell(row.get(c, math.nan), s) for c, s in zip(columns, sizes, strict=True)]
            lines.append(f"{name:<{width}} " + " ".join(cells))
        return "\n".join(lines + self.notes)

    def __str__(self) -> str:
        return self.to_text()


def available_metrics() -> list[str]:
    """The metrics of :data:`DECODER_METRICS` whose packages are installed."""
    return [
        key
        for key in DECODER_METRICS
        if key not in METRIC_PACKAGES or importlib.util.find_spec(METRIC_PACKAGES[key])
    ]


def time_decoder(
    decode: Callable[[], torch.Tensor], repeats: int = 3
) -> tuple[torch.Tensor, float]:
    """Run ``decode`` once for its output, then time it: CPU seconds in one torch thread.

    Args:
        decode: Makes the decoded clips, e.g. ``lambda: vocoder(features)``.
        repeats: Timed runs after the first; the median is returned.

    Returns:
        The first run's output and the median ``time.process_time`` seconds of a run (the
        process's CPU time, so other load on the machine hardly moves it), under
        ``torch.no_grad`` with ``torch.set_num_threads(1)``.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.no_grad():
            output = decode()
            times = []
            for _ in range(max(1, repeats)):
                start = time.process_time()
                decode()
                times.append(time.process_time() - start)
    finally:
        torch.set_num_threads(threads)
    return output, statistics.median(times)


def read_clips(folder: str | os.PathLike) -> tuple[dict[str, torch.Tensor], int]:
    """The ``*.wav`` files of a folder as mono clips ``(num_samples,)`` by file name, and their
    sample rate (channels averaged).

    Raises:
        ValueError: If the folder has no wav file or the files differ in sample rate.
    """
    paths = sorted(Path(folder).glob("*.wav"))
    if not paths:
        raise ValueError(f"{folder}: no .wav files")
    clips, rates = {}, set()
    for path in paths:
        data, rate = soundfile.read(path, dtype="float32", always_2d=True)
        clips[path.name] = torch.from_numpy(data.mean(axis=1))
        rates.add(rate)
    if len(rates) != 1:
        raise ValueError(f"{folder}: the wav files have several sample rates {sorted(rates)}")
    return clips, rates.pop()


def compare_decoders(
    real: Clips,
    decoded: Mapping[str, Clips],
    sample_rate: int | None = None,
    *,
    cpu_seconds: Mapping[str, float] | None = None,
    metrics: Sequence[str] | None = None,
    crepe_model: str = "full",
    log_mel: MelReconstructionLoss | None = None,
) -> DecoderTable:
    """Each decoder's output against the originals: every metric, one row per decoder.

    ``real`` and each output are tensors ``(batch, 1, num_samples)`` (clip ``i`` against
    clip ``i``) or folders of wav files (paired by file name; each output folder must have
    every file of ``real``'s). Each pair is cut to the shorter of the two lengths. Columns:

    * ``mr_stft``: :class:`~audiogan.losses.MultiResolutionSTFTLoss` (Parallel WaveGAN's
      resolutions; needs clips over 1024 samples); ``log_mel_l1``: ``log_mel`` (default
      :class:`~audiogan.losses.MelReconstructionLoss` at ``sample_rate``, 128 mels) — both
      over the whole set when the clips have one length, else the mean over clips;
    * ``mcd`` (:func:`~audiogan.metrics.mel_cepstral_distortion`), ``si_sdr``,
      ``pesq`` (:func:`~audiogan.metrics.wideband_pesq`, NaN clips left out), ``stoi``: means
      over the clips;
    * ``periodicity``, ``pitch_cents``, ``vuv_f1``: the CARGAN metrics pooled over all frames
      (:func:`~audiogan.metrics.pitch_scores_from_tracks`, CREPE ``crepe_model``; the
      originals' tracks are computed once);
    * ``cpu_per_second``: ``cpu_seconds[name]`` (the decoder's CPU seconds for all the clips,
      e.g. from :func:`time_decoder`) over the seconds of audio, where given.

    Args:
        real: The originals.
        decoded: Decoder name -> its output, in the form of ``real``.
        sample_rate: Of the tensors; folders give their own (which must agree with it).
        cpu_seconds: Decoder name -> CPU seconds it took for all the clips.
        metrics: Keys of :data:`DECODER_METRICS` to compute (default: all of them).
        crepe_model: CREPE's ``"full"`` (the CARGAN protocol's) or ``"tiny"``.
        log_mel: The log-mel L1 to use (e.g. ``MelReconstructionLoss.from_frontend(fe)``).

    Returns:
        A :class:`DecoderTable`.

    Raises:
        ValueError: If shapes, names or sample rates do not fit, or a metric is unknown.
        ImportError: If a metric's package is missing (the message names the ``eval`` extra).
    """
    chosen = list(DECODER_METRICS) if metrics is None else list(metrics)
    unknown = [m for m in chosen if m not in DECODER_METRICS]
    if unknown:
        raise ValueError(
            f"compare_decoders: unknown metrics {unknown}; known: {list(DECODER_METRICS)}"
        )
    if crepe_model not in ("full", "tiny"):
        raise ValueError(
            f"compare_decoders: crepe_model must be 'full' or 'tiny', got {crepe_model!r}"
        )
    originals, rate = _as_clips(real, sample_rate, "real")
    seconds = sum(len(c) for c in originals.values()) / rate
    pitch = _PitchCache(rate, crepe_model)
    rows = {}
    for name, output in decoded.items():
        clips, _ = _as_clips(output, rate, name)
        missing = [key for key in originals if key not in clips]
        if missing:
            raise ValueError(f"compare_decoders: {name} lacks the clips {missing[:5]}")
        pairs = []
        for key, original in originals.items():
            size = min(len(original), len(clips[key]))
            pairs.append((key, original[:size], clips[key][:size]))
        rows[name] = _scores(pairs, rate, chosen, pitch, log_mel)
        if cpu_seconds is not None and name in cpu_seconds:
            rows[name]["cpu_per_second"] = cpu_seconds[name] / seconds
    return DecoderTable(rows, num_clips=len(originals), seconds=seconds)


class _PitchCache:
    """The originals' CREPE tracks, computed once per clip and length."""

    def __init__(self, rate: int, model: str) -> None:
        self.rate, self.model = rate, model
        self.tracks: dict[tuple[str, int], tuple[torch.Tensor, torch.Tensor]] = {}

    def __call__(self, key: str, clip: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if (key, len(clip)) not in self.tracks:
            self.tracks[key, len(clip)] = crepe_pitch(clip[None, None], self.rate, model=self.model)
        return self.tracks[key, len(clip)]


def _scores(
    pairs: list[tuple[str, torch.Tensor, torch.Tensor]],
    rate: int,
    chosen: list[str],
    pitch: _PitchCache,
    log_mel: MelReconstructionLoss | None,
) -> dict[str, float]:
    out: dict[str, float] = {}
    batches = [(r[None, None], f[None, None]) for _, r, f in pairs]  # (1, 1, length) each
    if len({len(r) for _, r, _ in pairs}) == 1:
        whole = [
            (torch.stack([r for r, _ in batches])[:, 0], torch.stack([f for _, f in batches])[:, 0])
        ]
    else:
        whole = batches
    with torch.no_grad():
        if "mr_stft" in chosen:
            stft = MultiResolutionSTFTLoss()
            out["mr_stft"] = _mean([float(stft(f, r)) for r, f in whole])
        if "log_mel_l1" in chosen:
            mel = log_mel if log_mel is not None else MelReconstructionLoss(sample_rate=rate)
            out["log_mel_l1"] = _mean([float(mel(f, r)) for r, f in whole])
    per_clip = {
        "mcd": lambda r, f: mel_cepstral_distortion(r, f, rate),
        "si_sdr": si_sdr,
        "pesq": lambda r, f: wideband_pesq(r, f, rate),
        "stoi": lambda r, f: stoi(r, f, rate),
    }
    for key, metric in per_clip.items():
        if key in chosen:
            out[key] = _mean([float(metric(r, f)[0]) for r, f in batches])
    if {"periodicity", "pitch_cents", "vuv_f1"} & set(chosen):
        totals = _pooled_pitch(pairs, rate, pitch)
        for key in ("periodicity", "pitch_cents", "vuv_f1"):
            if key in chosen:
                out[key] = totals[key]
    return out


def _pooled_pitch(
    pairs: list[tuple[str, torch.Tensor, torch.Tensor]], rate: int, pitch: _PitchCache
) -> dict[str, float]:
    """CARGAN's counts summed over clips of any lengths (each clip's voicing on its own)."""
    counts = PitchCounts()
    for key, real, fake in pairs:
        fake_tracks = crepe_pitch(fake[None, None], rate, model=pitch.model)
        counts = counts + PitchCounts.from_tracks(*pitch(key, real), *fake_tracks)
    scores = counts.scores()
    return {
        "periodicity": scores.periodicity_rmse,
        "pitch_cents": scores.pitch_rmse_cents,
        "vuv_f1": scores.vuv_f1,
    }


def _as_clips(
    source: Clips, sample_rate: int | None, name: str
) -> tuple[dict[str, torch.Tensor], int]:
    """Tensor ``(batch, 1, num_samples)`` or wav folder -> clips ``(num_samples,)`` by key."""
    if isinstance(source, torch.Tensor):
        if sample_rate is None:
            raise ValueError(f"compare_decoders: {name} is a tensor: give sample_rate")
        if source.dim() != 3 or source.shape[1] != 1 or not source.is_floating_point():
            raise ValueError(
                f"compare_decoders: expected {name} as a floating tensor (batch, 1, num_samples) "
                f"or a folder, got {tuple(source.shape)} {source.dtype}"
            )
        return {
            str(i): clip[0].detach().cpu().float() for i, clip in enumerate(source)
        }, sample_rate
    clips, rate = read_clips(source)
    if sample_rate is not None and rate != sample_rate:
        raise ValueError(
            f"compare_decoders: {name} ({source}) is at {rate} Hz, the others at {sample_rate} Hz"
        )
    return clips, rate


def _mean(values: list[float]) -> float:
    """The mean of the values that are not NaN (NaN if none is)."""
    kept = [v for v in values if not math.isnan(v)]
    return sum(kept) / len(kept) if kept else math.nan


def _cell(value: float, size: int) -> str:
    if math.isnan(value):
        return f"{'n/a':>{size}}"
    if math.isinf(value):
        return f"{'inf' if value > 0 else '-inf':>{size}}"
    return f"{value:>{size}.3f}" if abs(value) < 1000 else f"{value:>{size}.1f}"
