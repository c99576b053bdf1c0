"""Tests of audiogan.losses.objectives: closed forms, properties, shape errors, registry."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from audiogan.losses import (
    AdversarialObjective,
    Hinge,
    LeastSquares,
    Minimax,
    NonSaturating,
    Wasserstein,
    get_objective,
    objective_names,
)
from audiogan.protocols import Objective

LOG2 = math.log(2.0)
ALL = [NonSaturating(), NonSaturating(0.1), Minimax(), LeastSquares(), Wasserstein(), Hinge()]


def t(*values: float) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float64)


scores = st.lists(
    st.floats(-10.0, 10.0, allow_nan=False, allow_infinity=False), min_size=1, max_size=8
).map(lambda v: torch.tensor(v, dtype=torch.float64))


# ---------------------------------------------------------------- closed forms


def test_bce_at_zero_logits_is_log2() -> None:
    zeros = torch.zeros(4)
    assert NonSaturating().critic_loss(zeros, zeros).item() == pytest.approx(2 * LOG2)
    assert NonSaturating().generator_loss(zeros).item() == pytest.approx(LOG2)
    assert Minimax().critic_loss(zeros, zeros).item() == pytest.approx(2 * LOG2)
    assert Minimax().generator_loss(zeros).item() == pytest.approx(-LOG2)


def test_bce_closed_form_at_known_logits() -> None:
    # BCE(x, target) = softplus(x) - target * x
    real, fake = t(2.0, -1.0), t(0.5, -3.0)
    sp = F.softplus
    real_loss = (sp(real) - 0.9 * real).mean()
    fake_loss = sp(fake).mean()
    loss = NonSaturating(label_smoothing=0.1).critic_loss(real, fake)
    assert loss.item() == pytest.approx((real_loss + fake_loss).item(), rel=1e-12)
    assert NonSaturating().generator_loss(fake).item() == pytest.approx(sp(-fake).mean().item())
    assert Minimax().generator_loss(fake).item() == pytest.approx(-sp(fake).mean().item())


def test_label_smoothing_is_one_sided() -> None:
    real, fake = t(3.0, 1.0), t(-2.0, 0.5)
    plain, smooth = NonSaturating(), NonSaturating(label_smoothing=0.2)
    # only the real target changes: the difference is 0.2 * mean(real)
    diff = smooth.critic_loss(real, fake) - plain.critic_loss(real, fake)
    assert diff.item() == pytest.approx(0.2 * real.mean().item())
    assert smooth.generator_loss(fake).item() == pytest.approx(plain.generator_loss(fake).item())


def test_least_squares_targets() -> None:
    real, fake = t(1.0, 3.0), t(0.0, 2.0)
    assert LeastSquares().critic_loss(real, fake).item() == pytest.approx(2.0 + 2.0)
    assert LeastSquares().generator_loss(fake).item() == pytest.approx(1.0)
    book = LeastSquares(real_target=1.0, fake_target=-1.0, generator_target=1.0)
    assert book.critic_loss(real, fake).item() == pytest.approx(2.0 + 5.0)
    paper = LeastSquares(real_target=1.0, fake_target=-1.0, generator_target=0.0)
    assert paper.generator_loss(fake).item() == pytest.approx(2.0)
    # zero exactly at the targets
    assert LeastSquares().critic_loss(t(1.0, 1.0), t(0.0, 0.0)).item() == 0.0


def test_wasserstein_closed_form() -> None:
    real, fake = t(1.0, 2.0), t(0.0, 4.0)
    assert Wasserstein().critic_loss(real, fake).item() == pytest.approx(2.0 - 1.5)
    assert Wasserstein().generator_loss(fake).item() == pytest.approx(-2.0)


def test_hinge_closed_form() -> None:
    real, fake = t(2.0, 0.5, -1.0), t(-2.0, 0.0, 0.5)
    # relu(1 - real) = (0, 0.5, 2); relu(1 + fake) = (0, 1, 1.5)
    assert Hinge().critic_loss(real, fake).item() == pytest.approx(2.5 / 3 + 2.5 / 3)
    assert Hinge().generator_loss(fake).item() == pytest.approx(0.5)
    # beyond the margins the critic's loss is exactly zero
    assert Hinge().critic_loss(t(1.0, 5.0), t(-1.0, -3.0)).item() == 0.0


def test_book_wasserstein_with_pm1_targets_equals_wasserstein() -> None:
    """MuseGAN on the JSB chorales: loss_fn(pred, target) = -mean(pred * target), targets ±1."""
    real, fake = t(0.3, 1.2, -0.4), t(-0.7, 0.1, 2.0)

    def book(pred: torch.Tensor, target: float) -> torch.Tensor:
        return -torch.mean(pred * target)

    ours = Wasserstein()
    assert ours.critic_loss(real, fake).item() == pytest.approx(
        (book(real, 1) + book(fake, -1)).item()
    )
    assert ours.generator_loss(fake).item() == pytest.approx(book(fake, 1).item())


def test_non_saturating_generator_does_not_saturate() -> None:
    fake = torch.full((3,), -20.0, requires_grad=True)
    (g_ns,) = torch.autograd.grad(NonSaturating().generator_loss(fake), fake)
    (g_mm,) = torch.autograd.grad(Minimax().generator_loss(fake), fake)
    assert g_ns.abs().min().item() > 0.3  # ≈ 1/3 per sample
    assert g_mm.abs().max().item() < 1e-8  # vanishes where the critic rejects the samples


# ---------------------------------------------------------------- properties


@settings(max_examples=30, deadline=None)
@given(real=scores, fake=scores)
def test_wasserstein_antisymmetric(real: torch.Tensor, fake: torch.Tensor) -> None:
    w = Wasserstein()
    assert torch.allclose(w.critic_loss(real, fake), -w.critic_loss(fake, real), atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(real=scores, fake=scores, smoothing=st.floats(0.0, 0.5))
def test_bce_objectives_equal_torch_bce_on_probabilities(
    real: torch.Tensor, fake: torch.Tensor, smoothing: float
) -> None:
    p_real, p_fake = torch.sigmoid(real), torch.sigmoid(fake)
    bce = F.binary_cross_entropy
    expected_critic = bce(p_real, torch.full_like(p_real, 1 - smoothing)) + bce(
        p_fake, torch.zeros_like(p_fake)
    )
    for objective in (NonSaturating(smoothing), Minimax(smoothing)):
        got = objective.critic_loss(real, fake)
        assert torch.allclose(got, expected_critic, rtol=1e-9, atol=1e-9)
    ns_gen = bce(p_fake, torch.ones_like(p_fake))
    mm_gen = -bce(p_fake, torch.zeros_like(p_fake))
    assert torch.allclose(
        NonSaturating(smoothing).generator_loss(fake), ns_gen, rtol=1e-9, atol=1e-9
    )
    assert torch.allclose(Minimax(smoothing).generator_loss(fake), mm_gen, rtol=1e-9, atol=1e-9)


@settings(max_examples=30, deadline=None)
@given(
    real=scores,
    fake=scores,
    targets=st.tuples(st.floats(-2, 2), st.floats(-2, 2), st.floats(-2, 2)).filter(
        lambda x: x[0] != x[1]
    ),
)
def test_hinge_and_least_squares_nonnegative(
    real: torch.Tensor, fake: torch.Tensor, targets: tuple[float, float, float]
) -> None:
    ls = LeastSquares(*targets)
    assert ls.critic_loss(real, fake).item() >= 0.0
    assert ls.generator_loss(fake).item() >= 0.0
    assert Hinge().critic_loss(real, fake).item() >= 0.0


@settings(max_examples=20, deadline=None)
@given(real=scores, fake=scores)
def test_losses_are_finite_differentiable_scalars(real: torch.Tensor, fake: torch.Tensor) -> None:
    for objective in ALL:
        r, f = real.clone().requires_grad_(True), fake.clone().requires_grad_(True)
        c, g = objective.critic_loss(r, f), objective.generator_loss(f, r)
        assert c.shape == () and g.shape == ()
        assert torch.isfinite(c) and torch.isfinite(g)
        assert c.requires_grad and g.requires_grad
        assert r.grad is None and f.grad is None  # objectives never call backward()


# ---------------------------------------------------------------- dtypes and errors


@pytest.mark.parametrize("objective", ALL, ids=repr)
def test_half_scores_are_promoted_to_float32(objective: AdversarialObjective) -> None:
    real = torch.tensor([0.5, -1.0], dtype=torch.float16)
    fake = torch.tensor([0.25, 2.0], dtype=torch.bfloat16)
    assert objective.critic_loss(real, fake).dtype == torch.float32
    assert objective.generator_loss(fake).dtype == torch.float32
    expected = objective.critic_loss(real.float(), fake.float())
    assert torch.allclose(objective.critic_loss(real, fake), expected)


@pytest.mark.parametrize("objective", ALL, ids=repr)
def test_score_shape_errors(objective: AdversarialObjective) -> None:
    good = torch.zeros(4)
    with pytest.raises(
        ValueError, match=r"real_scores: expected shape \(\*\) \(batch,\), got \(4, 1\)"
    ):
        objective.critic_loss(torch.zeros(4, 1), good)
    with pytest.raises(ValueError, match="fake_scores"):
        objective.critic_loss(good, torch.tensor(0.0))
    with pytest.raises(ValueError, match="empty batch"):
        objective.critic_loss(good, torch.zeros(0))
    with pytest.raises(ValueError, match="generator_loss fake_scores"):
        objective.generator_loss(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="generator_loss real_scores"):
        objective.generator_loss(good, torch.zeros(4, 1))
    with pytest.raises(TypeError, match="floating-point"):
        objective.generator_loss(torch.zeros(4, dtype=torch.long))
    with pytest.raises(TypeError, match="torch.Tensor"):
        objective.generator_loss([0.0, 1.0])  # type: ignore[arg-type]


def test_real_and_fake_batches_may_differ() -> None:
    assert Wasserstein().critic_loss(t(1.0), t(0.0, 2.0)).item() == pytest.approx(0.0)


def test_constructor_errors() -> None:
    with pytest.raises(ValueError, match=r"NonSaturating: label_smoothing must be in \[0, 1\)"):
        NonSaturating(label_smoothing=1.0)
    with pytest.raises(ValueError, match="Minimax: label_smoothing"):
        Minimax(label_smoothing=-0.1)
    with pytest.raises(ValueError, match="real_target and fake_target must differ"):
        LeastSquares(real_target=0.5, fake_target=0.5)


def test_needs_lipschitz() -> None:
    assert Wasserstein.needs_lipschitz and Wasserstein().needs_lipschitz
    for objective in (NonSaturating(), Minimax(), LeastSquares(), Hinge()):
        assert not objective.needs_lipschitz


@pytest.mark.parametrize("objective", ALL, ids=repr)
def test_objectives_satisfy_protocol(objective: AdversarialObjective) -> None:
    assert isinstance(objective, Objective)


# ---------------------------------------------------------------- registry


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("non_saturating", NonSaturating),
        ("BCE", NonSaturating),
        ("non-saturating", NonSaturating),
        ("minimax", Minimax),
        ("lsgan", LeastSquares),
        ("least_squares", LeastSquares),
        ("wgan", Wasserstein),
        ("Wasserstein", Wasserstein),
        ("hinge", Hinge),
    ],
)
def test_get_objective(name: str, cls: type) -> None:
    assert type(get_objective(name)) is cls


def test_get_objective_kwargs_and_errors() -> None:
    assert get_objective("ls", fake_target=-1.0) == LeastSquares(fake_target=-1.0)
    assert get_objective("bce", label_smoothing=0.1).label_smoothing == 0.1
    with pytest.raises(ValueError, match=r"unknown objective 'wgan-gp'; expected one of \["):
        get_objective("wgan-gp")
    assert "hinge" in objective_names() and objective_names() == sorted(objective_names())
