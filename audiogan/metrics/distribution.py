"""Distribution metrics that hold at small sample counts, on classifier embeddings.

The Fréchet distance (:mod:`audiogan.metrics.frechet`) is biased at the tens of samples per class
a CPU can afford, and it folds fidelity and diversity into one number. These metrics take the
same embeddings (:func:`~audiogan.metrics.embed_features` of the classifier trained on real
data), ``(n, dim)`` per side, real first:

* :func:`kernel_distance`: the kernel inception distance, KID (Bińkowski et al. 2018), an
  unbiased estimate of the squared maximum mean discrepancy with the cubic polynomial kernel
  ``k(x, y) = (x·y / dim + 1)^3``, mean and spread over random subsets as in torch-fidelity.
* :func:`precision_recall`: improved precision and recall (Kynkäänniemi et al. 2019): the share
  of fakes inside the real manifold (the union of balls reaching each real item's k-th nearest
  real neighbour), and the share of reals inside the fake manifold.
* :func:`density_coverage`: density and coverage (Naeem et al. 2020), the outlier-robust
  versions: how many real balls contain a fake on average, and the share of real balls that hold
  at least one fake.
* :func:`per_class_kernel_distance`: KID of each class's fakes against that class's reals.
* :func:`nearest_train_distance`: memorisation check, each fake's distance to its nearest
  training item beside held-out reals' distances.
* :func:`distribution_report` / :func:`format_distribution_report`: all of them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

ArrayLike = torch.Tensor | np.ndarray

#: KID's subsets and largest subset size (torch-fidelity's defaults).
KID_SUBSETS = 100
KID_MAX_SUBSET_SIZE = 1000


def polynomial_kernel(
    x: ArrayLike, y: ArrayLike, *, degree: int = 3, gamma: float | None = None, coef0: float = 1.0
) -> torch.Tensor:
    """The polynomial kernel matrix ``(gamma * x @ y.T + coef0) ** degree``.

    Args:
        x: ``(n, dim)``.
        y: ``(m, dim)``.
        degree: Power.
        gamma: Scale of the dot product; default ``1 / dim``.
        coef0: Offset.

    Returns:
        ``(n, m)`` float64.
    """
    a, b = _embeddings(x, "x"), _embeddings(y, "y")
    _same_dim(a, b)
    if gamma is None:
        gamma = 1.0 / a.shape[1]
    return (a @ b.T * gamma + coef0) ** degree


def mmd2_unbiased(k_xx: torch.Tensor, k_xy: torch.Tensor, k_yy: torch.Tensor) -> float:
    """Unbiased estimate of the squared MMD from the three kernel matrices.

    ``sum_{i != j} k(x_i, x_j) / (n (n - 1)) + sum_{i != j} k(y_i, y_j) / (m (m - 1))
    - 2 sum_{i, j} k(x_i, y_j) / (n m)`` (Gretton et al. 2012, eq. 3); with ``n == m`` it is
    torch-fidelity's ``mmd2(..., mmd_est="unbiased")``. It can be negative when the sets are alike.

    Args:
        k_xx: ``(n, n)`` kernel of the first set with itself, ``n >= 2``.
        k_xy: ``(n, m)`` kernel between the sets.
        k_yy: ``(m, m)`` kernel of the second set with itself, ``m >= 2``.

    Returns:
        The estimate.
    """
    n, m = k_xx.shape[0], k_yy.shape[0]
    if k_xx.shape != (n, n) or k_yy.shape != (m, m) or k_xy.shape != (n, m) or min(n, m) < 2:
        raise ValueError(
            "mmd2_unbiased: expected k_xx (n, n), k_xy (n, m), k_yy (m, m) with n, m >= 2, got "
            f"{tuple(k_xx.shape)}, {tuple(k_xy.shape)}, {tuple(k_yy.shape)}"
        )
    xx = (k_xx.sum() - k_xx.diagonal().sum()) / (n * (n - 1))
    yy = (k_yy.sum() - k_yy.diagonal().sum()) / (m * (m - 1))
    return float(xx + yy - 2.0 * k_xy.sum() / (n * m))


def kernel_mmd2(
    real: ArrayLike,
    fake: ArrayLike,
    *,
    degree: int = 3,
    gamma: float | None = None,
    coef0: float = 1.0,
) -> float:
    """Unbiased squared MMD of two whole sets with the polynomial kernel (KID on one subset).

    Args:
        real: ``(n_real, dim)`` embeddings, ``n_real >= 2``.
        fake: ``(n_fake, dim)`` embeddings, ``n_fake >= 2``.
        degree, gamma, coef0: The kernel (see :func:`polynomial_kernel`).

    Returns:
        The estimate.
    """
    x, y = _embeddings(real, "real"), _embeddings(fake, "fake")
    options = {"degree": degree, "gamma": gamma, "coef0": coef0}
    return mmd2_unbiased(
        polynomial_kernel(x, x, **options),
        polynomial_kernel(x, y, **options),
        polynomial_kernel(y, y, **options),
    )


def kernel_distance(
    real: ArrayLike,
    fake: ArrayLike,
    *,
    subsets: int = KID_SUBSETS,
    subset_size: int | None = None,
    degree: int = 3,
    gamma: float | None = None,
    coef0: float = 1.0,
    seed: int = 0,
) -> tuple[float, float]:
    """Kernel inception distance (KID): mean and standard deviation over random subsets.

    Each of ``subsets`` rounds draws ``subset_size`` items of each side without replacement and
    takes :func:`kernel_mmd2` of them, as torch-fidelity's ``kid_features_to_metric`` does. The
    mean is unbiased at any size: independent draws of one distribution give 0 up to noise, and
    the value can be slightly negative; the spread shows how much to trust it. The very same
    items on both sides are not independent draws: they give ``-(2 / n)`` times the mean
    self-kernel minus the mean cross-kernel, a small negative number.

    Args:
        real: ``(n_real, dim)`` embeddings.
        fake: ``(n_fake, dim)`` embeddings.
        subsets: Number of subsets.
        subset_size: Items per subset and side; default ``min(1000, n_real // 2, n_fake // 2)``
            (at least 2): half the smaller side, so that the subsets differ and the spread
            means something at small n (torch-fidelity's 1000 once both sides have 2000).
        degree, gamma, coef0: The kernel (see :func:`polynomial_kernel`).
        seed: Seed of the subset draws.

    Returns:
        ``(mean, std)``.

    Raises:
        ValueError: If a side has fewer than ``subset_size`` (or 2) items, or the embeddings
            differ in dimension.
    """
    x, y = _embeddings(real, "real"), _embeddings(fake, "fake")
    _same_dim(x, y)
    n_min = min(x.shape[0], y.shape[0])
    size = max(2, min(KID_MAX_SUBSET_SIZE, n_min // 2)) if subset_size is None else subset_size
    if not isinstance(size, (int, np.integer)) or not 2 <= size <= n_min:
        raise ValueError(
            f"subset_size: expected an integer in 2..{n_min} (the smaller side), got {size!r}"
        )
    if subsets < 1:
        raise ValueError(f"subsets: expected >= 1, got {subsets}")
    generator = torch.Generator().manual_seed(seed)
    values = []
    for _ in range(subsets):
        a = x[torch.randperm(x.shape[0], generator=generator)[:size]]
        b = y[torch.randperm(y.shape[0], generator=generator)[:size]]
        values.append(kernel_mmd2(a, b, degree=degree, gamma=gamma, coef0=coef0))
    return float(np.mean(values)), float(np.std(values))


def nearest_neighbour_radii(embeddings: ArrayLike, k: int) -> torch.Tensor:
    """Distance from each item to its ``k``-th nearest other item of the same set.

    Args:
        embeddings: ``(n, dim)`` with ``n > k``.
        k: Which neighbour (1 = the nearest), itself not counted.

    Returns:
        ``(n,)`` float64 radii.
    """
    x = _embeddings(embeddings, "embeddings")
    if not isinstance(k, (int, np.integer)) or not 1 <= k < x.shape[0]:
        raise ValueError(f"k: expected an integer in 1..{x.shape[0] - 1} (n - 1), got {k!r}")
    distances = torch.cdist(x, x)  # (n, n), zero diagonal
    return distances.kthvalue(k + 1, dim=1).values


def precision_recall(real: ArrayLike, fake: ArrayLike, *, k: int = 3) -> tuple[float, float]:
    """Improved precision and recall (Kynkäänniemi et al. 2019).

    Precision: the share of fakes within ``k``-NN radius of some real item (fidelity). Recall: the
    share of reals within ``k``-NN radius of some fake (diversity: a collapsed generator covers
    few reals). Balls are open (strict ``<``), as in the ``prdc`` reference code (Naeem et al.).

    Args:
        real: ``(n_real, dim)`` embeddings, ``n_real > k``.
        fake: ``(n_fake, dim)`` embeddings, ``n_fake > k``.
        k: The neighbour that sets each radius (the paper's 3).

    Returns:
        ``(precision, recall)``, each in [0, 1].
    """
    x, y = _embeddings(real, "real"), _embeddings(fake, "fake")
    _same_dim(x, y)
    distances = torch.cdist(x, y)  # (n_real, n_fake)
    real_radii, fake_radii = nearest_neighbour_radii(x, k), nearest_neighbour_radii(y, k)
    precision = (distances < real_radii[:, None]).any(dim=0).double().mean()
    recall = (distances < fake_radii[None, :]).any(dim=1).double().mean()
    return float(precision), float(recall)


def density_coverage(real: ArrayLike, fake: ArrayLike, *, k: int = 5) -> tuple[float, float]:
    """Density and coverage (Naeem et al. 2020), only the real set's balls.

    Density: how many real ``k``-NN balls hold each fake, divided by ``k`` and averaged (about 1
    for matching distributions, above 1 when fakes crowd dense regions). Coverage: the share of
    real balls that hold at least one fake. Both ignore real outliers less badly than precision
    and recall, and coverage falls when the generator drops modes.

    Args:
        real: ``(n_real, dim)`` embeddings, ``n_real > k``.
        fake: ``(n_fake, dim)`` embeddings.
        k: The neighbour that sets each radius (the paper's 5).

    Returns:
        ``(density, coverage)``.
    """
    x, y = _embeddings(real, "real"), _embeddings(fake, "fake")
    _same_dim(x, y)
    distances = torch.cdist(x, y)  # (n_real, n_fake)
    inside = distances < nearest_neighbour_radii(x, k)[:, None]
    density = inside.double().sum(dim=0).mean() / k
    coverage = inside.any(dim=1).double().mean()
    return float(density), float(coverage)


def nearest_train_distance(
    train: ArrayLike, fake: ArrayLike, real: ArrayLike | None = None
) -> dict[str, float | bool]:
    """Memorisation check: how close the fakes sit to their nearest training item.

    A generator that copies its training clips makes fakes much nearer to the training set than
    new real clips are. ``real`` should be held-out clips (not trained on): each one's nearest
    training distance is what an honest new sample looks like. Under no memorisation a fake is
    below the smallest of ``n`` held-out distances with chance about ``1 / (n + 1)``.

    Args:
        train: ``(n_train, dim)`` embeddings of the training items.
        fake: ``(n_fake, dim)`` embeddings of the fakes.
        real: ``(n_real, dim)`` embeddings of held-out reals, or None.

    Returns:
        ``fake_median``: the median over fakes of the distance to the nearest training item;
        with ``real``: ``real_median`` (the same for held-out reals), ``ratio``
        (``fake_median / real_median``, about 1 for fresh samples, near 0 for copies),
        ``closer_share`` (the share of fakes nearer to the training set than every held-out
        real) and ``copies_suspected`` (``closer_share >= 0.5``).
    """
    t = _embeddings(train, "train")
    y = _embeddings(fake, "fake")
    _same_dim(t, y)
    fake_nearest = torch.cdist(y, t).min(dim=1).values
    report: dict[str, float | bool] = {"fake_median": float(fake_nearest.median())}
    if real is not None:
        x = _embeddings(real, "real")
        _same_dim(t, x)
        real_nearest = torch.cdist(x, t).min(dim=1).values
        real_median = float(real_nearest.median())
        closer = float((fake_nearest < real_nearest.min()).double().mean())
        report.update(
            real_median=real_median,
            ratio=report["fake_median"] / real_median if real_median > 0 else math.inf,
            closer_share=closer,
            copies_suspected=closer >= 0.5,
        )
    return report


def per_class_kernel_distance(
    real: ArrayLike,
    real_labels: ArrayLike,
    fake: ArrayLike,
    fake_labels: ArrayLike,
    class_names: Sequence[str] | None = None,
    *,
    seed: int = 0,
) -> dict[str | int, float]:
    """KID of each class: that class's fakes against that class's reals.

    The mean of :func:`kernel_distance` over subsets of half the smaller side (or the whole
    sets, :func:`kernel_mmd2`, when a side has fewer than 4 items); NaN for a class with fewer
    than 2 items on a side.

    Args:
        real: ``(n_real, dim)`` embeddings.
        real_labels: ``(n_real,)`` integer classes.
        fake: ``(n_fake, dim)`` embeddings.
        fake_labels: ``(n_fake,)`` the classes the fakes were generated for.
        class_names: One name per class (the keys); default the indices.
        seed: Seed of the subsets.

    Returns:
        ``{class: KID}``.
    """
    x, y = _embeddings(real, "real"), _embeddings(fake, "fake")
    _same_dim(x, y)
    rl, fl = (
        _class_labels(real_labels, x.shape[0], "real"),
        _class_labels(fake_labels, y.shape[0], "fake"),
    )
    num_classes = int(max(rl.max(), fl.max())) + 1
    if class_names is not None and len(class_names) < num_classes:
        raise ValueError(
            f"class_names: expected at least {num_classes} names (the labels' classes), got "
            f"{len(class_names)}"
        )
    names = list(class_names) if class_names is not None else list(range(num_classes))
    result: dict[str | int, float] = {}
    for c, name in enumerate(names):
        a, b = x[rl == c], y[fl == c]
        if min(len(a), len(b)) < 2:
            result[name] = math.nan
        elif min(len(a), len(b)) < 4:
            result[name] = kernel_mmd2(a, b)
        else:
            result[name] = kernel_distance(a, b, seed=seed)[0]
    return result


def distribution_report(
    real: ArrayLike,
    fake: ArrayLike,
    *,
    real_labels: ArrayLike | None = None,
    fake_labels: ArrayLike | None = None,
    train: ArrayLike | None = None,
    class_names: Sequence[str] | None = None,
    k_precision: int = 3,
    k_density: int = 5,
    repeats: int = 10,
    seed: int = 0,
) -> dict:
    """Every small-n distribution metric of held-out real and fake embeddings.

    Precision, recall, density and coverage compare sets of equal size (their radii shrink as a
    set grows: 32 reals against 160 fakes would inflate precision and deflate recall), so when
    the sides differ the larger one is subsampled to the smaller one's size ``repeats`` times and
    the values averaged.

    Args:
        real: ``(n_real, dim)`` embeddings of held-out real clips.
        fake: ``(n_fake, dim)`` embeddings of fakes.
        real_labels: ``(n_real,)`` classes (with ``fake_labels``: the per-class KID).
        fake_labels: ``(n_fake,)`` the classes the fakes were generated for.
        train: ``(n_train, dim)`` embeddings of the training clips (the nearest-train check).
        class_names: One name per class.
        k_precision: k of precision and recall (3).
        k_density: k of density and coverage (5); both lowered to ``n - 1`` of the smaller side.
        repeats: Equal-size subsamples averaged when the sides differ in size.
        seed: Seed of KID's subsets and of the subsamples.

    Returns:
        A dict: ``kid`` ``[mean, std]``, ``precision``, ``recall``, ``density``, ``coverage``,
        ``k_precision``, ``k_density``, ``n_compared`` (items per side in precision ...
        coverage); ``kid_per_class`` with both label sets; ``nearest_train``
        (see :func:`nearest_train_distance`) with ``train``. Print it with
        :func:`format_distribution_report`.
    """
    x, y = _embeddings(real, "real"), _embeddings(fake, "fake")
    _same_dim(x, y)
    n_min = min(x.shape[0], y.shape[0])
    kp, kd = min(k_precision, n_min - 1), min(k_density, n_min - 1)
    report: dict = {"kid": list(kernel_distance(x, y, seed=seed))}
    generator = torch.Generator().manual_seed(seed)
    values = []
    for _ in range(repeats if x.shape[0] != y.shape[0] else 1):
        a = x[torch.randperm(x.shape[0], generator=generator)[:n_min]]
        b = y[torch.randperm(y.shape[0], generator=generator)[:n_min]]
        values.append((*precision_recall(a, b, k=kp), *density_coverage(a, b, k=kd)))
    means = np.mean(values, axis=0).tolist()
    report.update(zip(("precision", "recall", "density", "coverage"), means, strict=True))
    report.update(k_precision=kp, k_density=kd, n_compared=n_min)
    if real_labels is not None and fake_labels is not None:
        report["kid_per_class"] = per_class_kernel_distance(
            x, real_labels, y, fake_labels, class_names, seed=seed
        )
    if train is not None:
        report["nearest_train"] = nearest_train_distance(train, y, x)
    return report


def format_distribution_report(report: dict, digits: int = 3) -> str:
    """Format a :func:`distribution_report` (or a :func:`~audiogan.metrics.small_n_report`,
    with its classification accuracy score) as lines of ``name  value``.

    Args:
        report: What :func:`distribution_report` returned.
        digits: Digits after the decimal point.

    Returns:
        The table, lines joined by newlines.
    """
    kid_mean, kid_std = report["kid"]
    rows = [
        ("KID (unbiased MMD², cubic kernel)", f"{kid_mean:.{digits}f} ± {kid_std:.{digits}f}"),
        (
            f"precision / recall (k={report['k_precision']}, n={report['n_compared']})",
            f"{report['precision']:.{digits}f} / {report['recall']:.{digits}f}",
        ),
        (
            f"density / coverage (k={report['k_density']}, n={report['n_compared']})",
            f"{report['density']:.{digits}f} / {report['coverage']:.{digits}f}",
        ),
    ]
    for name, value in report.get("kid_per_class", {}).items():
        rows.append((f"  KID {name}", f"{value:.{digits}f}"))
    nearest = report.get("nearest_train")
    if nearest is not None:
        rows.append(("nearest-train distance, fake median", f"{nearest['fake_median']:.{digits}f}"))
        if "real_median" in nearest:
            verdict = " (copies suspected)" if nearest["copies_suspected"] else ""
            rows.append(
                (
                    "  held-out real median / ratio",
                    f"{nearest['real_median']:.{digits}f} / {nearest['ratio']:.{digits}f}",
                )
            )
            rows.append(
                ("  fakes nearer than every real", f"{nearest['closer_share']:.{digits}f}{verdict}")
            )
    if "cas" in report:  # added by audiogan.metrics.small_n_report
        accuracy, per_class = report["cas"]
        rows.append(("classification accuracy score", f"{accuracy:.{digits}f}"))
        rows += [(f"  CAS {name}", f"{value:.{digits}f}") for name, value in per_class.items()]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def _embeddings(values: ArrayLike, name: str) -> torch.Tensor:
    """Check ``(n >= 2, dim)`` finite embeddings; return float64 on the CPU."""
    x = torch.as_tensor(values).detach().cpu().double()
    if x.dim() != 2 or x.shape[0] < 2 or x.shape[1] < 1:
        raise ValueError(
            f"{name}: expected embeddings of shape (n >= 2, dim), got {tuple(x.shape)}"
        )
    if not torch.isfinite(x).all():
        raise ValueError(f"{name}: embeddings contain NaN or infinity")
    return x


def _same_dim(a: torch.Tensor, b: torch.Tensor) -> None:
    """Check that two embedding sets share their dimension."""
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            f"embeddings: expected the same dimension on both sides, got {a.shape[1]} and {b.shape[1]}"
        )


def _class_labels(labels: ArrayLike, n: int, name: str) -> torch.Tensor:
    """Check integer labels ``(n,)`` >= 0; return int64 on the CPU."""
    target = torch.as_tensor(np.asarray(labels) if isinstance(labels, (list, tuple)) else labels)
    target = target.detach().cpu()
    if target.shape != (n,) or target.is_floating_point() or target.dtype == torch.bool:
        raise ValueError(
            f"{name}_labels: expected integer classes of shape ({n},), got {target.dtype} "
            f"{tuple(target.shape)}"
        )
    if n and target.min() < 0:
        raise ValueError(f"{name}_labels: expected classes >= 0, got {int(target.min())}")
    return target.long()
