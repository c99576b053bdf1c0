"""Small-n distribution metrics: KID, precision/recall, density/coverage, per-class KID,
nearest-train distance and the classification accuracy score."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from audiogan.metrics import (
    classification_accuracy_score,
    density_coverage,
    distribution_report,
    format_distribution_report,
    kernel_distance,
    kernel_mmd2,
    mmd2_unbiased,
    nearest_neighbour_radii,
    nearest_train_distance,
    per_class_kernel_distance,
    polynomial_kernel,
    precision_recall,
    small_n_report,
)


def gaussian(n: int, dim: int = 8, shift: float = 0.0, seed: int = 0) -> torch.Tensor:
    return torch.randn(n, dim, generator=torch.Generator().manual_seed(seed)).double() + shift


def direct_mmd2(x: np.ndarray, y: np.ndarray) -> float:
    """The unbiased MMD² with k(a, b) = (a·b / d + 1)^3, written out as loops."""
    d = x.shape[1]

    def k(a: np.ndarray, b: np.ndarray) -> float:
        return (float(a @ b) / d + 1.0) ** 3

    n, m = len(x), len(y)
    xx = sum(k(x[i], x[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    xy = sum(k(x[i], y[j]) for i in range(n) for j in range(m)) / (n * m)
    return xx + yy - 2 * xy


def fidelity_mmd2(x: np.ndarray, y: np.ndarray) -> float:
    """torch-fidelity's ``polynomial_mmd`` (metric_kid.py, ``mmd_est="unbiased"``, equal sizes):
    kernel sums with the diagonals of K_XX and K_YY dropped, K_XY summed whole."""
    m = x.shape[0]
    gamma = 1.0 / x.shape[1]
    k_xx, k_yy, k_xy = ((a @ b.T * gamma + 1) ** 3 for a, b in ((x, x), (y, y), (x, y)))
    kt_xx = (k_xx.sum(axis=1) - np.diagonal(k_xx)).sum()
    kt_yy = (k_yy.sum(axis=1) - np.diagonal(k_yy)).sum()
    return (kt_xx + kt_yy) / (m * (m - 1)) - 2 * k_xy.sum(axis=0).sum() / (m * m)


# --- KID -----------------------------------------------------------------------------------------


def test_kid_matches_the_direct_formula_on_fixed_inputs() -> None:
    x, y = gaussian(7, 3, seed=1).numpy(), gaussian(5, 3, shift=0.7, seed=2).numpy()
    assert kernel_mmd2(x, y) == pytest.approx(direct_mmd2(x, y), rel=1e-10, abs=1e-12)
    x = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]])
    y = np.array([[0.0, 0.0], [2.0, 1.0]])
    # k(x_i, x_j), i != j: (0/2+1)^3=1, (1/2+1)^3=3.375, (2/2+1)^3=8 -> pairs twice: 2*12.375/6
    # k(y_0, y_1) = 1 -> 2*1/2; k(x_i, y_j): 1, 8, 1, 8, 1, (3/2+1)^3=15.625 -> 34.625/6
    assert kernel_mmd2(x, y) == pytest.approx(24.75 / 6 + 1.0 - 2 * 34.625 / 6)


def test_kid_matches_torch_fidelity_formula() -> None:
    x, y = gaussian(20, 16, seed=3).numpy(), gaussian(20, 16, shift=0.3, seed=4).numpy()
    assert kernel_mmd2(x, y) == pytest.approx(fidelity_mmd2(x, y), rel=1e-10)
    # one subset of everything is the whole-set estimate
    mean, std = kernel_distance(x, y, subsets=1, subset_size=20)
    assert mean == pytest.approx(fidelity_mmd2(x, y), rel=1e-10) and std == 0.0


def test_identical_sets_give_kid_near_zero_and_shifted_sets_do_not() -> None:
    real = gaussian(200, 8, seed=5)
    same_mean, _ = kernel_distance(real, real.clone())
    fresh_mean, fresh_std = kernel_distance(real, gaussian(200, 8, seed=6))
    shifted = [kernel_distance(real, gaussian(200, 8, shift=s, seed=6))[0] for s in (0.5, 1.0)]
    assert abs(same_mean) < 0.1 * shifted[0] and abs(fresh_mean) < 0.1 * shifted[0]
    assert abs(fresh_mean) < 2 * fresh_std
    assert 0 < shifted[0] < shifted[1]
    # the very same items: -(2 / n) (mean k(x, x) - mean k(x_i, x_j), i != j), slightly negative
    k = polynomial_kernel(real, real)
    n = len(real)
    off = (k.sum() - k.diagonal().sum()) / (n * (n - 1))
    expected = -(2 / n) * float(k.diagonal().mean() - off)
    assert kernel_mmd2(real, real) == pytest.approx(expected, rel=1e-9) and expected < 0


@settings(max_examples=25, deadline=None)
@given(st.integers(2, 8), st.integers(2, 8), st.integers(1, 4), st.integers(0, 1000))
def test_kid_is_symmetric_and_ignores_order(n: int, m: int, dim: int, seed: int) -> None:
    x, y = gaussian(n, dim, seed=seed), gaussian(m, dim, shift=0.5, seed=seed + 1)
    value = kernel_mmd2(x, y)
    assert kernel_mmd2(y, x) == pytest.approx(value, rel=1e-9, abs=1e-9)
    permuted = kernel_mmd2(x.flip(0), y[torch.randperm(m)])
    assert permuted == pytest.approx(value, rel=1e-9, abs=1e-9)


def test_kernel_and_mmd_check_shapes() -> None:
    assert polynomial_kernel(torch.ones(2, 4), torch.zeros(3, 4)).shape == (2, 3)
    with pytest.raises(ValueError, match="same dimension"):
        kernel_mmd2(torch.ones(3, 2), torch.ones(3, 4))
    with pytest.raises(ValueError, match=r"\(n >= 2, dim\)"):
        kernel_mmd2(torch.ones(1, 2), torch.ones(3, 2))
    with pytest.raises(ValueError, match="k_xx"):
        mmd2_unbiased(torch.ones(3, 3), torch.ones(2, 3), torch.ones(3, 3))
    with pytest.raises(ValueError, match="subset_size"):
        kernel_distance(torch.randn(10, 2), torch.randn(6, 2), subset_size=7)
    with pytest.raises(ValueError, match="NaN"):
        kernel_distance(torch.full((4, 2), math.nan), torch.randn(6, 2))


# --- precision, recall, density, coverage --------------------------------------------------------


def test_precision_recall_density_coverage_closed_form() -> None:
    real = torch.tensor([[0.0], [1.0], [2.0], [3.0]])  # 1-NN radii: 1 each
    fake = torch.tensor([[0.5], [10.0]])  # 1-NN radii: 9.5 each
    assert nearest_neighbour_radii(real, 1).tolist() == [1.0, 1.0, 1.0, 1.0]
    assert nearest_neighbour_radii(real, 2).tolist() == [2.0, 1.0, 1.0, 2.0]
    assert precision_recall(real, fake, k=1) == (0.5, 1.0)
    # fake 0.5 lies in the balls of reals 0 and 1, fake 10 in none: density (2 + 0) / 2 / k
    assert density_coverage(real, fake, k=1) == (1.0, 0.5)


def test_identical_sets_give_full_precision_recall_and_coverage() -> None:
    real = gaussian(60, 8, seed=7)
    assert precision_recall(real, real.clone()) == (1.0, 1.0)
    density, coverage = density_coverage(real, real.clone())
    assert coverage == 1.0 and density > 0.8


def test_a_collapsed_set_has_low_recall_and_coverage() -> None:
    real = gaussian(100, 8, seed=8)
    fresh = gaussian(100, 8, seed=9)
    collapsed = real[:1] + 0.01 * gaussian(100, 8, seed=10)  # every fake near one real clip
    _, fresh_recall = precision_recall(real, fresh)
    precision, recall = precision_recall(real, collapsed)
    _, fresh_coverage = density_coverage(real, fresh)
    _, coverage = density_coverage(real, collapsed)
    assert precision == 1.0  # the fakes are real-looking ...
    assert recall < 0.05 < 0.5 < fresh_recall  # ... but they cover almost nothing
    assert coverage < 0.1 < 0.5 < fresh_coverage


def test_radii_need_more_items_than_k() -> None:
    with pytest.raises(ValueError, match="k: expected"):
        precision_recall(torch.randn(3, 2), torch.randn(10, 2), k=3)


# --- per class, nearest train --------------------------------------------------------------------


def test_per_class_kid_singles_out_the_bad_class() -> None:
    real = torch.cat([gaussian(30, 4, shift=3 * c, seed=c) for c in range(3)])
    fake = torch.cat([gaussian(30, 4, shift=3 * c, seed=10 + c) for c in range(3)])
    fake[60:] += 1.5  # class 2 drawn off its real distribution
    labels = torch.arange(3).repeat_interleave(30)
    result = per_class_kernel_distance(real, labels, fake, labels, ["a", "b", "c"])
    assert list(result) == ["a", "b", "c"]
    assert result["c"] > 10 * max(abs(result["a"]), abs(result["b"]))
    one = per_class_kernel_distance(real[:32], labels[:32], fake[:32], labels[:32])
    assert list(one) == [0, 1] and math.isfinite(one[1])  # 2 items a side: the whole sets
    one = per_class_kernel_distance(real[:31], labels[:31], fake[:31], labels[:31])
    assert math.isnan(one[1])


def test_nearest_train_distance_flags_copies_and_not_fresh_samples() -> None:
    train = gaussian(200, 8, seed=11)
    held_out = gaussian(40, 8, seed=12)
    copies = train[:50] + 1e-3 * gaussian(50, 8, seed=13)
    fresh = gaussian(50, 8, seed=14)
    flagged = nearest_train_distance(train, copies, held_out)
    honest = nearest_train_distance(train, fresh, held_out)
    assert flagged["copies_suspected"] and flagged["closer_share"] == 1.0
    assert flagged["ratio"] < 0.01
    assert not honest["copies_suspected"] and honest["closer_share"] < 0.2
    assert 0.7 < honest["ratio"] < 1.4
    assert set(nearest_train_distance(train, fresh)) == {"fake_median"}


def test_distribution_report_and_its_format() -> None:
    real = torch.cat([gaussian(20, 4, shift=3 * c, seed=c) for c in range(2)])
    fake = torch.cat([gaussian(20, 4, shift=3 * c, seed=5 + c) for c in range(2)])
    labels = torch.arange(2).repeat_interleave(20)
    report = distribution_report(
        real,
        fake,
        real_labels=labels,
        fake_labels=labels,
        train=gaussian(50, 4, seed=9),
        class_names=["x", "y"],
    )
    assert {"kid", "precision", "recall", "density", "coverage", "nearest_train"} <= set(report)
    assert list(report["kid_per_class"]) == ["x", "y"]
    text = format_distribution_report(report)
    for needle in ("KID", "recall (k=3, n=40)", "coverage (k=5, n=40)", "KID y", "nearest-train"):
        assert needle in text
    small = distribution_report(real[:3], fake[:5])  # ks lowered to the small side
    assert small["k_precision"] == 2 and small["k_density"] == 2 and small["n_compared"] == 3


def test_distribution_report_compares_equal_sizes() -> None:
    real, fake = gaussian(30, 64, seed=1), gaussian(300, 64, seed=2)
    report = distribution_report(real, fake)
    assert report["n_compared"] == 30
    # one distribution, but 300 fakes have small radii: recall looks much worse than precision
    precision, recall = precision_recall(real, fake)
    assert report["precision"] - report["recall"] < precision - recall - 0.1
    # equal sizes: used as they are, and swapping the sides swaps precision and recall
    same = distribution_report(real, fake[:30])
    assert (same["precision"], same["recall"]) == precision_recall(real, fake[:30])
    swapped = distribution_report(fake[:30], real)
    assert (swapped["precision"], swapped["recall"]) == (same["recall"], same["precision"])


# --- classification accuracy score ---------------------------------------------------------------


def _blobs(per_class: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    centres = torch.tensor([[4.0, 0.0], [0.0, 4.0], [-4.0, -4.0]])
    labels = torch.arange(3).repeat_interleave(per_class)
    noise = torch.randn(3 * per_class, 2, generator=torch.Generator().manual_seed(seed))
    return (centres[labels] + noise)[:, None, :], labels  # (n, 1, 2)


def _linear() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(2, 3))


def test_classification_accuracy_score_rewards_faithful_fakes() -> None:
    fake, fake_labels = _blobs(30, seed=1)
    real, real_labels = _blobs(20, seed=2)
    good, per_class = classification_accuracy_score(
        _linear(), fake, fake_labels, real, real_labels, ["a", "b", "c"], epochs=30, lr=0.05
    )
    assert good > 0.95 and set(per_class) == {"a", "b", "c"}
    # a generator that draws the wrong class for label 0 teaches the wrong boundary
    wrong = fake_labels.clone()
    wrong[fake_labels == 0] = 1
    bad, per_class = classification_accuracy_score(
        _linear(), fake, wrong, real, real_labels, ["a", "b", "c"], epochs=30, lr=0.05
    )
    assert bad < 0.7 and per_class["a"] < 0.1


def test_classification_accuracy_score_checks_shapes() -> None:
    fake, labels = _blobs(4, seed=1)
    with pytest.raises(ValueError, match="one label per fake"):
        classification_accuracy_score(_linear(), fake, labels[:-1], fake, labels)
    with pytest.raises(ValueError, match="like the fakes"):
        classification_accuracy_score(_linear(), fake, labels, fake[:, 0], labels)


class _Embedder(nn.Module):
    """A classifier on ``(n, 1, 2)`` features whose embedding is the features themselves."""

    def __init__(self) -> None:
        super().__init__()
        self.head = nn.Linear(2, 3)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return x.flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.embed(x))


def test_small_n_report_embeds_with_the_classifier_and_adds_cas() -> None:
    real, real_labels = _blobs(10, seed=2)
    train, _ = _blobs(20, seed=3)
    report = small_n_report(
        _Embedder(),
        real,
        real[:20],  # fakes that copy clips of the training set (here the real clips)
        real_labels=real_labels,
        fake_labels=real_labels[:20],
        train=real,
        class_names=["a", "b", "c"],
        fresh_classifier=_linear(),
        cas_epochs=30,
    )
    direct = distribution_report(real[:, 0], real[:20, 0], train=real[:, 0])
    assert report["kid"] == direct["kid"] and report["recall"] == direct["recall"]
    assert report["nearest_train"]["fake_median"] == 0.0
    accuracy, per_class = report["cas"]
    assert set(per_class) == {"a", "b", "c"} and 0.0 <= accuracy <= 1.0
    assert "classification accuracy score" in format_distribution_report(report)
    honest = small_n_report(_Embedder(), real, _blobs(10, seed=4)[0], train=train)
    assert "cas" not in honest and not honest["nearest_train"]["copies_suspected"]
