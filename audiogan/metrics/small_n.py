"""The small-n metrics of fakes in one call, with the classifier of the audio metrics.

:func:`small_n_report` embeds real, fake and training features with the classifier that
:func:`~audiogan.metrics.audio_report` uses (its ``embed``), so that KID, precision and recall,
density and coverage and the nearest-train distance (:mod:`audiogan.metrics.distribution`) live
in the same space as the Fréchet distance; with a fresh classifier it adds the classification
accuracy score (:mod:`audiogan.metrics.classification_score`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from audiogan.metrics.audio import embed_features
from audiogan.metrics.classification_score import classification_accuracy_score
from audiogan.metrics.distribution import distribution_report

ArrayLike = torch.Tensor | np.ndarray


def small_n_report(
    classifier: nn.Module,
    real: ArrayLike,
    fake: ArrayLike,
    *,
    real_labels: ArrayLike | None = None,
    fake_labels: ArrayLike | None = None,
    train: ArrayLike | None = None,
    class_names: Sequence[str] | None = None,
    fresh_classifier: nn.Module | None = None,
    cas_epochs: int = 15,
    seed: int = 0,
    batch_size: int = 64,
    device: torch.device | str | None = None,
) -> dict:
    """KID, precision/recall, density/coverage, per-class KID, nearest-train distance and CAS.

    Args:
        classifier: Trained on real data, with ``embed(x) -> (batch, dim)``.
        real: ``(n_real, *feature_shape)`` real clips the classifier was not trained on.
        fake: ``(n_fake, *feature_shape)`` fakes.
        real_labels: ``(n_real,)`` classes (per-class KID and CAS need them).
        fake_labels: ``(n_fake,)`` the classes the fakes were made for; None if unconditional.
        train: ``(n_train, *feature_shape)`` the generator's training clips (nearest-train).
        class_names: One name per class.
        fresh_classifier: An untrained classifier (best the architecture of ``classifier``):
            with both label sets it is trained on the fakes for the classification accuracy
            score, in place.
        cas_epochs: Its epochs.
        seed: Seed of KID's subsets and of the CAS training order.
        batch_size: Items per forward pass.
        device: Where to run the classifiers; default their device.

    Returns:
        :func:`~audiogan.metrics.distribution_report`'s dict, plus ``"cas"`` ``[accuracy,
        per_class]`` when a fresh classifier and both label sets are given. Print it with
        :func:`~audiogan.metrics.format_distribution_report`.
    """
    kwargs = {"batch_size": batch_size, "device": device}
    report = distribution_report(
        embed_features(classifier, real, **kwargs),
        embed_features(classifier, fake, **kwargs),
        real_labels=real_labels,
        fake_labels=fake_labels,
        train=None if train is None else embed_features(classifier, train, **kwargs),
        class_names=class_names,
        seed=seed,
    )
    if fresh_classifier is not None and real_labels is not None and fake_labels is not None:
        accuracy, per_class = classification_accuracy_score(
            fresh_classifier,
            fake,
            fake_labels,
            real,
            real_labels,
            class_names,
            epochs=cas_epochs,
            seed=seed,
            batch_size=32,
            device=device,
        )
        report["cas"] = [accuracy, per_class]
    return report
