"""Classification accuracy score (CAS): train a classifier on fakes, test it on real clips.

Ravuri & Vinyals, "Classification Accuracy Score for Conditional Generative Models", NeurIPS
2019. A conditional generator whose fakes carry every class's variety trains a classifier
that recognises real held-out clips nearly as well as one trained on as many real clips; a
generator that draws one typical clip per class (or blurred blobs) scores lower, which the
accuracy of a real-trained classifier on the fakes cannot see.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from audiogan.metrics.audio import classifier_accuracy
from audiogan.metrics.classifier_training import train_classifier

ArrayLike = torch.Tensor | np.ndarray


def classification_accuracy_score(
    model: nn.Module,
    fake: ArrayLike,
    fake_labels: ArrayLike,
    real: ArrayLike,
    real_labels: ArrayLike,
    class_names: Sequence[str] | None = None,
    *,
    epochs: int = 15,
    lr: float = 1e-3,
    batch_size: int = 32,
    seed: int = 0,
    device: torch.device | str | None = None,
) -> tuple[float, dict[str | int, float]]:
    """Train ``model`` on the fakes and return its accuracy on the real clips.

    Args:
        model: A fresh (untrained) classifier, ``forward(features) -> (batch, classes)``; it is
            trained in place with :func:`~audiogan.metrics.train_classifier` (Adam,
            cross-entropy, no validation split). Use the architecture of the real-trained
            classifier so that its held-out accuracy is the reference.
        fake: ``(n_fake, *feature_shape)`` fakes, e.g. ``(n_fake, 1, n_mels, frames)``.
        fake_labels: ``(n_fake,)`` the classes they were generated for.
        real: ``(n_real, *feature_shape)`` real clips never seen by the generator's critic in
            training, ideally (a held-out split).
        real_labels: ``(n_real,)`` their classes.
        class_names: One name per class for the per-class keys.
        epochs, lr, batch_size, seed, device: Passed to
            :func:`~audiogan.metrics.train_classifier`.

    Returns:
        ``(accuracy, per_class)`` on the real clips, as
        :func:`~audiogan.metrics.classifier_accuracy`.

    Raises:
        ValueError: If the fakes and their labels differ in count, or the real clips' feature
            shape is not the fakes'.
    """
    x_fake = torch.as_tensor(fake).detach().float()
    x_real = torch.as_tensor(real).detach().float()
    labels = torch.as_tensor(np.asarray(fake_labels)).reshape(-1)
    if x_fake.dim() < 2 or labels.shape[0] != x_fake.shape[0]:
        raise ValueError(
            f"fake_labels: expected one label per fake ({x_fake.shape[0] if x_fake.dim() else 0}),"
            f" got {labels.shape[0]}"
        )
    if x_real.shape[1:] != x_fake.shape[1:]:
        raise ValueError(
            f"real: expected features of shape (n, {', '.join(map(str, x_fake.shape[1:]))}) like "
            f"the fakes, got {tuple(x_real.shape)}"
        )
    pairs = list(zip(x_fake, labels.long().tolist(), strict=True))
    train_classifier(
        model,
        pairs,
        epochs=epochs,
        lr=lr,
        device=device,
        val_fraction=0.0,
        batch_size=batch_size,
        seed=seed,
    )
    return classifier_accuracy(model, x_real, real_labels, class_names, device=device)
