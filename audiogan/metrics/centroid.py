"""Whether generated items carry a recognisable class: a nearest-centroid classifier fit on the
real items only.

:func:`nearest_centroid_accuracy` assigns each fake the class of the nearest real class centroid
(the mean of the real items' features, by Euclidean distance), optionally only among the
classes of its own group, and scores the reals the same way, each left out of its own centroid. It needs no
training and no network, so it is independent of the critic that trained the generator. The
``gansynth`` recipe reads a generated note's instrument family this way, from
:func:`timbre_features` (the harmonic levels and the loudness envelope), among the families
of the note's own pitch.
"""

from __future__ import annotations

import torch

from audiogan.metrics.timbre import harmonic_profile

__all__ = ["nearest_centroid_accuracy", "timbre_features"]


def timbre_features(
    waves: torch.Tensor,
    pitches: torch.Tensor,
    sample_rate: int,
    num_harmonics: int = 8,
    num_frames: int = 16,
) -> torch.Tensor:
    """Pitch-independent features of notes ``(batch, num_harmonics + num_frames)``.

    The levels of the first harmonics in dB re the strongest
    (:func:`~audiogan.metrics.harmonic_profile`) and the loudness envelope: the RMS of
    ``num_frames`` equal stretches of the note in dB re the loudest, clipped at -60 dB.

    Args:
        waves: Notes ``(batch, time)``.
        pitches: Their MIDI pitches ``(batch,)``.
        sample_rate: Samples per second.
        num_harmonics: Harmonic levels.
        num_frames: Stretches of the envelope; the note must have at least that many samples.

    Raises:
        ValueError: For other shapes or a note shorter than ``num_frames`` samples.
    """
    if waves.dim() != 2 or waves.shape[1] < num_frames:
        raise ValueError(
            f"timbre_features: expected waves (batch, time) with time >= {num_frames}, got "
            f"{tuple(waves.shape)}"
        )
    profile = harmonic_profile(waves, pitches, sample_rate, num_harmonics)
    usable = waves.shape[1] // num_frames * num_frames
    frames = waves[:, :usable].float().reshape(waves.shape[0], num_frames, -1)
    rms = frames.square().mean(dim=2).sqrt()
    level = 20 * torch.log10(rms / rms.amax(dim=1, keepdim=True).clamp_min(1e-12) + 1e-12)
    return torch.cat([profile.float(), level.clamp_min(-60.0)], dim=1)


def _check(features: torch.Tensor, labels: torch.Tensor, groups: torch.Tensor, what: str) -> None:
    if features.dim() != 2 or labels.shape != (features.shape[0],) or groups.shape != labels.shape:
        raise ValueError(
            f"nearest_centroid_accuracy: expected {what} features (n, dim) with labels and "
            f"groups (n,), got {tuple(features.shape)}, {tuple(labels.shape)}, "
            f"{tuple(groups.shape)}"
        )


def nearest_centroid_accuracy(
    real: torch.Tensor,
    real_labels: torch.Tensor,
    fake: torch.Tensor,
    fake_labels: torch.Tensor,
    real_groups: torch.Tensor | None = None,
    fake_groups: torch.Tensor | None = None,
) -> dict[str, float]:
    """How often the nearest real class centroid is an item's own class, for fakes and reals.

    The distance is Euclidean, so the features should share a unit (those of
    :func:`timbre_features` are all dB; they are not standardized, as a dimension nearly
    constant in the reals, such as the silence after a release, would then outweigh the rest).
    A class centroid is the mean of its real items (of a group, when groups are given: then an
    item is compared with the centroids of its own group's classes only, e.g. the families at
    its pitch). Each real item is scored against centroids without it (leave-one-out); a real
    item alone in its class and group is not scored.

    Args:
        real: Real features ``(n, dim)``; ``real_labels`` their classes ``(n,)``.
        fake: Fake features ``(m, dim)``; ``fake_labels`` the classes they were made for.
        real_groups, fake_groups: Groups ``(n,)``, ``(m,)`` (default: one group).

    Returns:
        ``{"fake": accuracy, "real": leave-one-out accuracy}`` (NaN when nothing was scored).

    Raises:
        ValueError: For mismatched shapes, or a fake whose (group, class) has no real item.
    """
    real_groups = torch.zeros_like(real_labels) if real_groups is None else real_groups
    fake_groups = torch.zeros_like(fake_labels) if fake_groups is None else fake_groups
    _check(real, real_labels, real_groups, "real")
    _check(fake, fake_labels, fake_groups, "fake")
    if real.shape[1] != fake.shape[1]:
        raise ValueError(
            f"nearest_centroid_accuracy: real features have {real.shape[1]} dimensions, fakes "
            f"{fake.shape[1]}"
        )
    fake_right = real_right = real_scored = 0
    fake_scored = 0
    for group in torch.unique(torch.cat([real_groups, fake_groups])).tolist():
        in_group = real_groups == group
        x, y = real[in_group], real_labels[in_group]
        classes = torch.unique(y)
        sums = torch.stack([x[y == c].sum(dim=0) for c in classes])  # (classes, dim)
        counts = torch.tensor([int((y == c).sum()) for c in classes], dtype=x.dtype)
        centroids = sums / counts[:, None]
        fakes = fake_groups == group
        if fakes.any():
            known = torch.isin(fake_labels[fakes], classes)
            if not bool(known.all()):
                raise ValueError(
                    f"nearest_centroid_accuracy: fakes of group {group} are of classes without "
                    f"real items: {sorted(set(fake_labels[fakes][~known].tolist()))}"
                )
            nearest = classes[torch.cdist(fake[fakes], centroids).argmin(dim=1)]
            fake_right += int((nearest == fake_labels[fakes]).sum())
            fake_scored += int(fakes.sum())
        for i in range(x.shape[0]):
            own = int((classes == y[i]).nonzero())
            if counts[own] < 2:
                continue
            loo = centroids.clone()
            loo[own] = (sums[own] - x[i]) / (counts[own] - 1)
            real_right += int(classes[torch.cdist(x[i : i + 1], loo).argmin()] == y[i])
            real_scored += 1
    nan = float("nan")
    return {
        "fake": fake_right / fake_scored if fake_scored else nan,
        "real": real_right / real_scored if real_scored else nan,
    }
