"""Audio metrics computed with a classifier trained on real data.

Any ``nn.Module`` works as the classifier when ``forward(features) -> (batch, classes)`` returns
logits and ``embed(features) -> (batch, dim)`` returns an embedding (audiogan's
``RecurrentClassifier`` and ``ResNet9Classifier`` do); train one with
:func:`audiogan.metrics.classifier_training.train_classifier`. Features are whatever the classifier
takes, ``(n, *feature_shape)``, e.g. ``(n, channels, freq, frames)`` spectrograms.

* :func:`classifier_accuracy`: does a sample generated for class "siren" sound like a siren?
* :func:`inception_score`: confident and diverse predictions (Salimans et al. 2016; WaveGAN).
* :func:`frechet_embedding_distance` on :func:`embed_features`: distance of the embedding
  distributions (FID/FAD style).
* :func:`ndb_score`: number of statistically different bins, for mode collapse (Richardson &
  Weiss 2018).
* :func:`audio_report` / :func:`format_audio_report`: all of them, real vs generated.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from audiogan.metrics.frechet import frechet_embedding_distance

ArrayLike = torch.Tensor | np.ndarray


@torch.no_grad()
def predict_logits(
    model: nn.Module,
    features: ArrayLike,
    *,
    batch_size: int = 64,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Run the classifier over ``features`` in batches, in eval mode, without gradients.

    Args:
        model: Classifier whose ``forward`` returns logits ``(batch, classes)``.
        features: ``(n, *feature_shape)``.
        batch_size: Items per forward pass.
        device: Where to run; default the model's device.

    Returns:
        ``(n, classes)`` float32 logits on the CPU.
    """
    return _batched(model, model.forward, features, batch_size, device, "logits")


@torch.no_grad()
def embed_features(
    model: nn.Module,
    features: ArrayLike,
    *,
    batch_size: int = 64,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """The classifier's embeddings of ``features`` (its ``embed`` method), batched, in eval mode.

    Args:
        model: Classifier with ``embed(x) -> (batch, dim)``.
        features: ``(n, *feature_shape)``.
        batch_size: Items per forward pass.
        device: Where to run; default the model's device.

    Returns:
        ``(n, dim)`` float32 embeddings on the CPU.
    """
    if not callable(getattr(model, "embed", None)):
        raise ValueError(f"model: {type(model).__name__} has no embed(x) -> (batch, dim) method")
    return _batched(model, model.embed, features, batch_size, device, "embeddings")


def accuracy_from_logits(
    logits: torch.Tensor, labels: ArrayLike, class_names: Sequence[str] | None = None
) -> tuple[float, dict[str | int, float]]:
    """Overall and per-class accuracy of ``argmax(logits)`` against ``labels``.

    Args:
        logits: ``(n, classes)`` scores (logits or probabilities).
        labels: ``(n,)`` integer class indices in ``[0, classes)``.
        class_names: One name per class, used as the per-class keys; default the class indices.

    Returns:
        ``(overall, per_class)``: the fraction of correct predictions, and for every class the
        fraction of its items predicted as that class (its recall), NaN for a class with no items.
    """
    if logits.dim() != 2:
        raise ValueError(f"logits: expected shape (n, classes), got {tuple(logits.shape)}")
    n, num_classes = logits.shape
    target = _labels(labels, n, num_classes)
    names = _class_names(class_names, num_classes)
    correct = logits.detach().cpu().argmax(dim=1) == target
    per_class: dict[str | int, float] = {}
    for c, name in enumerate(names):
        mask = target == c
        per_class[name] = float(correct[mask].double().mean()) if mask.any() else math.nan
    return float(correct.double().mean()), per_class


def classifier_accuracy(
    model: nn.Module,
    features: ArrayLike,
    labels: ArrayLike,
    class_names: Sequence[str] | None = None,
    *,
    batch_size: int = 64,
    device: torch.device | str | None = None,
) -> tuple[float, dict[str | int, float]]:
    """Accuracy of a classifier trained on real data, overall and per class.

    On conditional samples (``labels`` = the classes they were generated for) this asks whether each
    sample is recognisable as its class; on held-out real data it checks the classifier itself.

    Args:
        model: Classifier whose ``forward`` returns logits ``(batch, classes)``.
        features: ``(n, *feature_shape)``.
        labels: ``(n,)`` integer classes.
        class_names: One name per class for the per-class keys (default: the indices).
        batch_size: Items per forward pass.
        device: Where to run; default the model's device.

    Returns:
        ``(overall, per_class)`` as in :func:`accuracy_from_logits`.
    """
    logits = predict_logits(model, features, batch_size=batch_size, device=device)
    return accuracy_from_logits(logits, labels, class_names)


def inception_score(
    probs_or_model: torch.Tensor | np.ndarray | nn.Module,
    features: ArrayLike | None = None,
    *,
    splits: int = 10,
    batch_size: int = 64,
    device: torch.device | str | None = None,
) -> tuple[float, float]:
    """Inception score ``exp(E_x KL(p(y|x) || p(y)))``, mean and std over ``splits`` parts.

    Salimans et al., "Improved Techniques for Training GANs", NeurIPS 2016; applied to audio with a
    classifier trained on the real data by WaveGAN (Donahue et al., ICLR 2019). As in the reference
    code, the samples are cut into ``splits`` consecutive parts, ``p(y)`` is the mean prediction of a
    part, and the mean and (population) std of the parts' scores are returned. It ranges from 1 (all
    predictions identical) to the number of classes (confident, evenly spread predictions).

    Args:
        probs_or_model: Either class probabilities ``(n, classes)`` (rows summing to 1, e.g. a
            softmax), or a classifier returning logits, in which case ``features`` are classified
            and soft-maxed first.
        features: ``(n, *feature_shape)`` when a model is given; must be None otherwise.
        splits: Number of parts (``<= n``).
        batch_size: Items per forward pass (model only).
        device: Where to run the model; default the model's device.

    Returns:
        ``(mean, std)`` over the splits.

    Raises:
        ValueError: If the probabilities are not ``(n, classes)`` rows on the simplex (pass
            ``logits.softmax(-1)``), ``features`` is missing or extra, or ``splits`` is not in
            ``1..n``.
    """
    if isinstance(probs_or_model, nn.Module):
        if features is None:
            raise ValueError("features: required when a model is given to inception_score")
        logits = predict_logits(probs_or_model, features, batch_size=batch_size, device=device)
        probs = logits.double().softmax(dim=1)
    else:
        if features is not None:
            raise ValueError("features: only used with a model; got probabilities and features")
        probs = _probabilities(probs_or_model)
    n = probs.shape[0]
    if not isinstance(splits, (int, np.integer)) or not 1 <= splits <= n:
        raise ValueError(f"splits: expected an integer in 1..{n} (number of items), got {splits!r}")
    scores = []
    for i in range(splits):
        part = probs[i * n // splits : (i + 1) * n // splits]
        marginal = part.mean(dim=0, keepdim=True)
        kl = (torch.special.xlogy(part, part) - torch.special.xlogy(part, marginal)).sum(dim=1)
        scores.append(math.exp(float(kl.mean())))
    return float(np.mean(scores)), float(np.std(scores))


def ndb_score(
    real: ArrayLike,
    fake: ArrayLike,
    k: int = 50,
    alpha: float = 0.05,
    seed: int = 0,
    *,
    whitening: bool = False,
    max_iter: int = 100,
) -> tuple[int, float]:
    """Number of statistically different bins, NDB and NDB/K (Richardson & Weiss 2018).

    "On GANs and GMMs", NeurIPS 2018: the real samples are clustered into ``k`` bins by k-means
    (k-means++ initialisation, Lloyd iterations, seeded); each generated sample goes to its nearest
    bin centre; for every bin a two-sided two-proportion z-test compares the share of real and
    generated samples in it, and a bin is *different* when its p-value is below ``alpha``. A
    generator that covers the real distribution has NDB/K near ``alpha`` or below; mode collapse
    gives many different bins. Give it raw features or, better, classifier embeddings.

    Args:
        real: ``(n_real, ...)`` real samples, flattened per sample; ``n_real >= k``. The bins need
            enough real samples to be tested: the authors suggest hundreds per bin.
        fake: ``(n_fake, ...)`` generated samples, same per-sample size.
        k: Number of bins.
        alpha: Significance level of each test.
        seed: Seed of the k-means initialisation.
        whitening: Standardise every dimension by the real data's mean and std first (the
            reference implementation's option).
        max_iter: Most Lloyd iterations.

    Returns:
        ``(ndb, ndb / k)``.
    """
    x_real = _flatten(real, "real")
    x_fake = _flatten(fake, "fake").to(x_real.device)
    if x_fake.shape[1] != x_real.shape[1]:
        raise ValueError(
            f"fake: expected {x_real.shape[1]} values per sample like real, got {x_fake.shape[1]}"
        )
    if not isinstance(k, (int, np.integer)) or not 1 <= k <= x_real.shape[0]:
        raise ValueError(
            f"k: expected an integer in 1..{x_real.shape[0]} (number of real items), got {k!r}"
        )
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha: expected a significance level in (0, 1), got {alpha!r}")
    if whitening:
        mean, std = x_real.mean(dim=0), x_real.std(dim=0, correction=0) + 1e-6
        x_real, x_fake = (x_real - mean) / std, (x_fake - mean) / std
    centres, real_bins = _kmeans(x_real, int(k), seed, max_iter)
    fake_bins = torch.cdist(x_fake, centres).argmin(dim=1)
    n1, n2 = x_real.shape[0], x_fake.shape[0]
    p1 = torch.bincount(real_bins, minlength=k).double() / n1
    p2 = torch.bincount(fake_bins, minlength=k).double() / n2
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    se = (pooled * (1 - pooled) * (1.0 / n1 + 1.0 / n2)).sqrt()
    z = (p1 - p2).abs() / se.clamp(min=1e-300)
    p_value = torch.special.erfc(z / math.sqrt(2.0))
    different = (p_value < alpha) & (se > 0)
    ndb = int(different.sum())
    return ndb, ndb / k


#: Fewest samples per inception-score part in :func:`audio_report`.
MIN_PER_PART = 20


def audio_report(
    classifier: nn.Module,
    real_features: ArrayLike,
    real_labels: ArrayLike | None,
    fake_features: ArrayLike,
    fake_labels: ArrayLike | None = None,
    class_names: Sequence[str] | None = None,
    *,
    splits: int = 10,
    ndb_k: int | None = None,
    alpha: float = 0.05,
    seed: int = 0,
    batch_size: int = 64,
    device: torch.device | str | None = None,
) -> dict:
    """Every audio metric for real data and generated samples, with one classifier.

    Use real data the classifier was NOT trained on (a held-out split), so that its accuracy and
    inception score are fair references for the samples'.

    Args:
        classifier: ``forward(x) -> (batch, classes)`` logits and ``embed(x) -> (batch, dim)``.
        real_features: ``(n_real, *feature_shape)``.
        real_labels: ``(n_real,)`` classes, or None (no real accuracy).
        fake_features: ``(n_fake, *feature_shape)`` generated samples.
        fake_labels: ``(n_fake,)`` the classes they were generated for, or None (unconditional).
        class_names: One name per class (default the indices).
        splits: Inception-score parts, lowered so that each part holds at least 20 samples of
            the smaller side (one part when it has fewer than 40): tiny parts bias the score
            towards 1 (a part of one sample scores exactly 1).
            Each side is shuffled (with ``seed``) before it is cut into parts: samples made
            class by class (:func:`~audiogan.train.callbacks.fixed_fakes`) would otherwise
            give parts of one class each and a score near 1 however well they are spread.
        ndb_k: NDB bins on the embeddings; default ``max(2, min(50, n_real // 20))``, i.e. at
            least 20 real samples per bin where possible (lowered to ``n_real`` if larger).
        alpha: NDB significance level.
        seed: Seed of the inception-score shuffle and of NDB's k-means.
        batch_size: Items per forward pass.
        device: Where to run the classifier; default its device.

    Returns:
        A dict with keys ``real`` and ``fake`` (dicts), ``frechet_distance`` (float), ``ndb``
        (int), ``ndb_over_k`` (float), ``ndb_k``, ``n_real`` and ``n_fake`` (ints); each of
        ``real`` and ``fake`` holds
        ``"inception_score": [mean, std]`` and, when its labels are given, ``"accuracy"`` and
        ``"accuracy_per_class"`` (per class name). Print it with :func:`format_audio_report`.
    """
    kwargs = {"batch_size": batch_size, "device": device}
    logits = {"real": predict_logits(classifier, real_features, **kwargs)}
    logits["fake"] = predict_logits(classifier, fake_features, **kwargs)
    if logits["real"].shape[1] != logits["fake"].shape[1]:
        raise ValueError(
            "classifier: returned a different number of classes for real and fake features"
        )
    n_real, n_fake = logits["real"].shape[0], logits["fake"].shape[0]
    parts = max(1, min(splits, min(n_real, n_fake) // MIN_PER_PART))
    report: dict = {}
    for side, labels in (("real", real_labels), ("fake", fake_labels)):
        probs = logits[side].double().softmax(dim=1)
        order = torch.randperm(len(probs), generator=torch.Generator().manual_seed(seed))
        entry: dict = {"inception_score": list(inception_score(probs[order], splits=parts))}
        if labels is not None:
            entry["accuracy"], entry["accuracy_per_class"] = accuracy_from_logits(
                logits[side], labels, class_names
            )
        report[side] = entry
    real_emb = embed_features(classifier, real_features, **kwargs)
    fake_emb = embed_features(classifier, fake_features, **kwargs)
    report["frechet_distance"] = frechet_embedding_distance(real_emb, fake_emb)
    k = max(2, min(50, n_real // 20)) if ndb_k is None else ndb_k
    k = min(k, n_real)
    report["ndb"], report["ndb_over_k"] = ndb_score(real_emb, fake_emb, k=k, alpha=alpha, seed=seed)
    report.update(ndb_k=k, n_real=n_real, n_fake=n_fake)
    return report


def format_audio_report(report: dict, digits: int = 3) -> str:
    """Format an :func:`audio_report` as a text table, real and generated side by side.

    Args:
        report: What :func:`audio_report` returned.
        digits: Digits after the decimal point.

    Returns:
        The table, lines joined by newlines.
    """

    def fmt(value: float | None) -> str:
        return "" if value is None else f"{value:.{digits}f}"

    real, fake = report["real"], report["fake"]
    rows: list[tuple[str, str, str]] = [
        ("", f"real (n={report['n_real']})", f"generated (n={report['n_fake']})")
    ]
    if "accuracy" in real or "accuracy" in fake:
        rows.append(("classifier accuracy", fmt(real.get("accuracy")), fmt(fake.get("accuracy"))))
        names = list(real.get("accuracy_per_class", {})) or list(fake.get("accuracy_per_class", {}))
        for name in names:
            rows.append(
                (
                    f"  {name}",
                    fmt(real.get("accuracy_per_class", {}).get(name)),
                    fmt(fake.get("accuracy_per_class", {}).get(name)),
                )
            )
    rows.append(
        (
            "inception score",
            "{} ± {}".format(*map(fmt, real["inception_score"])),
            "{} ± {}".format(*map(fmt, fake["inception_score"])),
        )
    )
    rows.append(("Fréchet distance (embeddings)", "", fmt(report["frechet_distance"])))
    rows.append(
        (f"NDB/K (K={report['ndb_k']})", "", f"{fmt(report['ndb_over_k'])} ({report['ndb']} bins)")
    )
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "\n".join(
        f"{a:<{widths[0]}}  {b:>{widths[1]}}  {c:>{widths[2]}}".rstrip() for a, b, c in rows
    )


def _batched(
    model: nn.Module,
    fn,
    features: ArrayLike,
    batch_size: int,
    device: torch.device | str | None,
    what: str,
) -> torch.Tensor:
    """Apply ``fn`` (a bound method of ``model``) to ``features`` in batches; restore train mode."""
    x = torch.from_numpy(features) if isinstance(features, np.ndarray) else features
    if not isinstance(x, torch.Tensor) or x.dim() < 1 or x.shape[0] < 1:
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"features: expected a tensor (n >= 1, *feature_shape), got {shape}")
    if batch_size < 1:
        raise ValueError(f"batch_size: expected >= 1, got {batch_size}")
    if device is None:
        parameter = next(model.parameters(), None)
        device = parameter.device if parameter is not None else torch.device("cpu")
    was_training = model.training
    model.eval()
    try:
        outputs = []
        for start in range(0, x.shape[0], batch_size):
            out = fn(x[start : start + batch_size].to(device))
            if out.dim() != 2 or out.shape[0] != min(batch_size, x.shape[0] - start):
                raise ValueError(
                    f"model: expected {what} of shape (batch, n), got {tuple(out.shape)}"
                )
            outputs.append(out.float().cpu())
    finally:
        model.train(was_training)
    return torch.cat(outputs)


def _labels(labels: ArrayLike, n: int, num_classes: int) -> torch.Tensor:
    """Check labels ``(n,)`` in ``[0, num_classes)`` and return them as a CPU int64 tensor."""
    target = torch.as_tensor(np.asarray(labels) if isinstance(labels, (list, tuple)) else labels)
    target = target.detach().cpu()
    if target.shape != (n,) or target.is_floating_point() or target.dtype == torch.bool:
        raise ValueError(
            f"labels: expected integer classes of shape ({n},), got {target.dtype} {tuple(target.shape)}"
        )
    target = target.long()
    if n and (target.min() < 0 or target.max() >= num_classes):
        raise ValueError(
            f"labels: expected classes in 0..{num_classes - 1}, got {target.min()}..{target.max()}"
        )
    return target


def _class_names(class_names: Sequence[str] | None, num_classes: int) -> list[str | int]:
    """The per-class keys: the given names (checked against the number of classes) or indices."""
    if class_names is None:
        return list(range(num_classes))
    if len(class_names) != num_classes:
        raise ValueError(
            f"class_names: expected {num_classes} names (the classifier's classes), got {len(class_names)}"
        )
    return list(class_names)


def _probabilities(probs: torch.Tensor | np.ndarray) -> torch.Tensor:
    """Check ``(n, classes)`` rows on the probability simplex; return float64 on the CPU."""
    p = torch.as_tensor(probs).detach().cpu().double()
    if p.dim() != 2 or p.shape[0] < 1:
        raise ValueError(f"probs: expected shape (n, classes), got {tuple(p.shape)}")
    if (p < 0).any() or not torch.allclose(
        p.sum(dim=1), torch.ones(p.shape[0], dtype=p.dtype), atol=1e-4
    ):
        raise ValueError(
            "probs: rows must be probabilities (>= 0, summing to 1); for logits pass logits.softmax(-1)"
        )
    return p


def _flatten(samples: ArrayLike, name: str) -> torch.Tensor:
    """``(n, ...)`` to ``(n, d)`` float32."""
    x = torch.as_tensor(samples).detach()
    if x.dim() < 1 or x.shape[0] < 1:
        raise ValueError(f"{name}: expected items of shape (n >= 1, ...), got {tuple(x.shape)}")
    return x.reshape(x.shape[0], -1).float()


def _kmeans(x: torch.Tensor, k: int, seed: int, max_iter: int) -> tuple[torch.Tensor, torch.Tensor]:
    """k-means++ then Lloyd iterations on ``x (n, d)``: centres ``(k, d)`` and assignments ``(n,)``."""
    generator = torch.Generator().manual_seed(seed)
    n = x.shape[0]
    first = int(torch.randint(n, (1,), generator=generator))
    centres = [x[first]]
    closest = (x - x[first]).square().sum(dim=1)
    for _ in range(1, k):
        weights = closest.double().cpu()
        if weights.sum() <= 0:  # fewer distinct points than k: any point will do
            weights = torch.ones(n, dtype=torch.float64)
        index = int(torch.multinomial(weights, 1, generator=generator))
        centres.append(x[index])
        closest = torch.minimum(closest, (x - x[index]).square().sum(dim=1))
    centre = torch.stack(centres)
    assignment = torch.cdist(x, centre).argmin(dim=1)
    for _ in range(max_iter):
        counts = torch.bincount(assignment, minlength=k)
        sums = torch.zeros_like(centre).index_add_(0, assignment, x)
        updated = torch.where(counts[:, None] > 0, sums / counts.clamp(min=1)[:, None], centre)
        distances = torch.cdist(x, updated)
        new_assignment = distances.argmin(dim=1)
        centre = updated
        if torch.equal(new_assignment, assignment):
            break
        assignment = new_assignment
    return centre, assignment
