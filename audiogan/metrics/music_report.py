"""Every music metric for real data and generated samples, side by side, per track."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch

from audiogan.metrics.music_pitch import (
    n_pitches_used,
    pitch_class_entropy,
    pitch_range,
    scale_consistency,
    used_pitch_classes,
)
from audiogan.metrics.music_rhythm import (
    drum_pattern_rate,
    empty_bar_rate,
    empty_beat_rate,
    polyphony,
    polyphony_rate,
    qualified_note_rate,
)
from audiogan.metrics.music_roll import roll_mask
from audiogan.metrics.music_tonal import tonal_distance

#: Report key -> row label in the table.
MUSIC_METRIC_LABELS: dict[str, str] = {
    "empty_bar_rate": "empty bars (EB)",
    "used_pitch_classes": "pitch classes/bar (UPC)",
    "qualified_note_rate": "qualified notes (QN)",
    "polyphony": "polyphony",
    "polyphony_rate": "polyphony rate",
    "pitch_range": "pitch range",
    "n_pitches_used": "pitches used",
    "pitch_class_entropy": "pitch-class entropy",
    "scale_consistency": "scale consistency",
    "empty_beat_rate": "empty beats",
    "drum_pattern_rate": "drum pattern (DP)",
    "tonal_distance": "tonal distance (TD)",
}

#: Name of the extra column holding the metrics of all (pitched) tracks merged into one roll:
#: a cell is on where any track's is, so a unison of two tracks is ONE note there (the column's
#: polyphony, pitches and notes are the merged roll's, not sums over the tracks).
MIX_COLUMN = "merged"

#: The line :func:`format_music_report` puts under a table with the merged column.
MIX_NOTE = "merged: all pitched tracks in one roll (a unison of two tracks counts as one note)"

_PITCH_METRICS = (
    "used_pitch_classes",
    "pitch_range",
    "n_pitches_used",
    "pitch_class_entropy",
    "scale_consistency",
)


def music_report(
    real: torch.Tensor,
    fake: torch.Tensor,
    track_names: Sequence[str] | None = None,
    lowest_pitch: int = 0,
    *,
    min_length: int | None = None,
    polyphony_threshold: int = 2,
    steps_per_beat: int | None = None,
    drum_track: int | None = None,
    drum_grid: int = 16,
    include_mix: bool = True,
) -> dict[str, dict[str, dict[str, float]]]:
    """Compute every music metric on real data and on generated samples.

    Args:
        real: Real piano rolls ``(batch, tracks, bars, steps, pitches)``, on where ``> 0``.
        fake: Generated piano rolls ``(batch', tracks, bars', steps, pitches)`` (batch and bars may
            differ from ``real``).
        track_names: One name per track; default ``"track0"``, ``"track1"``, ...
        lowest_pitch: MIDI number of pitch index 0; it decides the pitch classes (0 for rolls
            whose pitch index is the MIDI number, as in the chorale rolls of MuseGAN on the JSB chorales).
        min_length: Shortest qualified note in steps (see :func:`qualified_note_rate`); None:
            follows the grid (2 at 16 steps per bar, MuseGAN's 3 at 96; see
            :func:`~audiogan.metrics.music_rhythm.default_min_length`).
        polyphony_threshold: :func:`polyphony_rate` counts steps with MORE than this many pitches.
        steps_per_beat: Beat length for the empty-beat rate and tonal distance (None: steps // 4).
        drum_track: Index of a drum track, if any: it gets the drum-pattern rate and is left out of
            the pitch metrics, the tonal distances and the merged column.
        drum_grid: Grid positions per bar for :func:`drum_pattern_rate` (16 at 96 steps per bar, 8
            at 16).
        include_mix: Also report each metric on all pitched tracks merged into one roll
            (column ``"merged"``; e.g. the polyphony of the whole chorale). Merging ORs the
            tracks, so a pitch two tracks sound at once (a unison) is one note there.

    Returns:
        ``report[metric][column] = {"real": value, "fake": value}`` with plain floats (NaN where
        undefined). ``metric`` is a key of :data:`MUSIC_METRIC_LABELS`; ``column`` is a track name,
        ``"merged"``, or ``"a-b"`` for the tonal distance of tracks ``a`` and ``b``. Print it with
        :func:`format_music_report`.

    Raises:
        ValueError: If the rolls are not 5-d, their tracks, steps or pitches differ, or the names
            or drum track do not match the number of tracks.
    """
    real_on = roll_mask(real, name="real")
    fake_on = roll_mask(fake, name="fake")
    n_tracks, steps, n_pitches = real_on.shape[1], real_on.shape[3], real_on.shape[4]
    if (fake_on.shape[1], fake_on.shape[3], fake_on.shape[4]) != (n_tracks, steps, n_pitches):
        raise ValueError(
            "fake: expected the same (tracks, steps, pitches) as real "
            f"{(n_tracks, steps, n_pitches)}, got {(fake_on.shape[1], fake_on.shape[3], fake_on.shape[4])}"
        )
    names = (
        [f"track{i}" for i in range(n_tracks)]
        if track_names is None
        else [str(n) for n in track_names]
    )
    if len(names) != n_tracks:
        raise ValueError(
            f"track_names: expected {n_tracks} names (one per track), got {len(names)}"
        )
    if drum_track is not None and not 0 <= drum_track < n_tracks:
        raise ValueError(
            f"drum_track: expected a track index in 0..{n_tracks - 1}, got {drum_track}"
        )
    pitched = [i for i in range(n_tracks) if i != drum_track]

    per_track: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
        "empty_bar_rate": empty_bar_rate,
        "used_pitch_classes": lambda r: used_pitch_classes(r, lowest_pitch=lowest_pitch),
        "qualified_note_rate": lambda r: qualified_note_rate(r, min_length=min_length),
        "polyphony": polyphony,
        "polyphony_rate": lambda r: polyphony_rate(r, threshold=polyphony_threshold),
        "pitch_range": pitch_range,
        "n_pitches_used": n_pitches_used,
        "pitch_class_entropy": lambda r: pitch_class_entropy(r, lowest_pitch=lowest_pitch),
        "scale_consistency": lambda r: scale_consistency(r, lowest_pitch=lowest_pitch),
        "empty_beat_rate": lambda r: empty_beat_rate(r, steps_per_beat=steps_per_beat),
    }
    report: dict[str, dict[str, dict[str, float]]] = {}
    for key, metric in per_track.items():
        tracks = pitched if key in _PITCH_METRICS else list(range(n_tracks))
        report[key] = _side_by_side(metric, real_on, fake_on, tracks, names)
        if include_mix and pitched:
            mixed = _side_by_side(
                metric, _mix(real_on, pitched), _mix(fake_on, pitched), [0], [MIX_COLUMN]
            )
            report[key].update(mixed)
    if drum_track is not None:
        report["drum_pattern_rate"] = _side_by_side(
            lambda r: drum_pattern_rate(r, grid=drum_grid), real_on, fake_on, [drum_track], names
        )
    if len(pitched) > 1:
        real_td = tonal_distance(real_on, lowest_pitch=lowest_pitch, steps_per_beat=steps_per_beat)
        fake_td = tonal_distance(fake_on, lowest_pitch=lowest_pitch, steps_per_beat=steps_per_beat)
        report["tonal_distance"] = {
            f"{names[i]}-{names[j]}": {"real": float(real_td[i, j]), "fake": float(fake_td[i, j])}
            for n, i in enumerate(pitched)
            for j in pitched[n + 1 :]
        }
    return report


def format_music_report(report: dict[str, dict[str, dict[str, float]]], digits: int = 3) -> str:
    """Format a :func:`music_report` as a text table: one row per metric, real | fake per column.

    Tonal distances come in a second table, one row per pair of tracks. A table with the
    merged column ends with a line saying what it is (:data:`MIX_NOTE`).

    Args:
        report: What :func:`music_report` returned.
        digits: Digits after the decimal point.

    Returns:
        The table, lines joined by newlines (no trailing newline).
    """
    columns: list[str] = []
    for key, entry in report.items():
        if key != "tonal_distance":
            columns += [c for c in entry if c not in columns]
    label_width = max(len(label) for label in MUSIC_METRIC_LABELS.values())
    cell = max(digits + 4, 6)
    width = max([2 * cell + 1] + [len(c) for c in columns])

    def fmt(value: float | None) -> str:
        if value is None:
            return ""
        return "nan" if math.isnan(value) else f"{value:.{digits}f}"

    lines = [
        " " * label_width + "".join(f"  {c:^{width}}" for c in columns),
        " " * label_width
        + "".join(f"  {'real':>{cell}} {'fake':>{cell}}".ljust(width + 2) for _ in columns),
    ]
    for key, entry in report.items():
        if key == "tonal_distance":
            continue
        row = MUSIC_METRIC_LABELS.get(key, key).ljust(label_width)
        for column in columns:
            pair = entry.get(column)
            real, fake = (fmt(pair["real"]), fmt(pair["fake"])) if pair else ("", "")
            row += f"  {real:>{cell}} {fake:>{cell}}".ljust(width + 2)
        lines.append(row.rstrip())
    if MIX_COLUMN in columns:
        lines.append(MIX_NOTE)
    pairs = report.get("tonal_distance", {})
    if pairs:
        pair_width = max(label_width, *(len(p) for p in pairs))
        lines += [
            "",
            f"{MUSIC_METRIC_LABELS['tonal_distance']:<{pair_width}}  {'real':>{cell}} {'fake':>{cell}}",
        ]
        for pair, values in pairs.items():
            lines.append(
                f"{pair:<{pair_width}}  {fmt(values['real']):>{cell}} {fmt(values['fake']):>{cell}}"
            )
    return "\n".join(lines)


def _side_by_side(
    metric: Callable[[torch.Tensor], torch.Tensor],
    real: torch.Tensor,
    fake: torch.Tensor,
    tracks: list[int],
    names: list[str],
) -> dict[str, dict[str, float]]:
    """Run a per-track metric on both rolls and pair up the chosen tracks' values by name."""
    real_values, fake_values = metric(real).tolist(), metric(fake).tolist()
    return {names[i]: {"real": real_values[i], "fake": fake_values[i]} for i in tracks}


def _mix(on: torch.Tensor, tracks: list[int]) -> torch.Tensor:
    """Merge the chosen tracks into one: ``(batch, 1, bars, steps, pitches)`` bool."""
    return on[:, tracks].any(dim=1, keepdim=True)
