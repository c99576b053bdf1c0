"""Tests of audiogan.losses.penalties: closed forms, any rank, conditioning, AMP, DDP, compile."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from audiogan.losses import GradientPenalty, R1Penalty, Wasserstein, gradient_penalty, r1_penalty
from audiogan.protocols import Penalty

# ---------------------------------------------------------------- tiny critics


class LinearCritic(nn.Module):
    """f(x) = <w, x> per sample: its input gradient is w everywhere."""

    def __init__(self, w: torch.Tensor) -> None:
        super().__init__()
        self.w = nn.Parameter(w.clone())

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return (x * self.w).flatten(1).sum(1)


class RecordingCritic(nn.Module):
    """f(x) = 0.5 * ||x||^2, remembering every input it sees."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[torch.Tensor] = []

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        self.seen.append(x.detach().clone())
        return 0.5 * x.square().flatten(1).sum(1)


class TinyConvCritic(nn.Module):
    """Conv2d critic on (batch, 1, 8, 8), optionally conditional through a label embedding.

    SiLU, not LeakyReLU: with a piecewise-linear activation the input gradient does not depend
    on biases (nor on an additive label embedding), so the penalty could not reach them.
    """

    def __init__(self, num_classes: int = 0) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.conv = nn.Conv2d(1, 4, 3, stride=2, padding=1)
        self.act = nn.SiLU()
        self.head = nn.Linear(4 * 4 * 4, 1)
        self.embed = nn.Embedding(num_classes, 4) if num_classes else None

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if (labels is None) != (self.embed is None):
            raise ValueError("TinyConvCritic: labels given to an unconditional critic or missing")
        h = self.conv(x)
        if self.embed is not None:
            h = h + self.embed(labels)[:, :, None, None]
        return self.head(self.act(h).flatten(1)).squeeze(1)


class TinyConv3dCritic(nn.Module):
    """Conv3d critic on (batch, tracks=2, bars=2, steps=4, pitches=6) piano rolls."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv3d(2, 3, (2, 2, 3), stride=(1, 2, 3))
        self.head = nn.Linear(3 * 1 * 2 * 2, 1)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.head(nn.functional.leaky_relu(self.conv(x), 0.3).flatten(1)).squeeze(1)


class FixedScaler:
    """GradScaler stand-in with a fixed scale that records how it was used."""

    def __init__(self, scale: float) -> None:
        self.value = scale
        self.scaled: list[torch.Tensor] = []
        self.get_scale_calls = 0

    def scale(self, outputs: torch.Tensor) -> torch.Tensor:
        self.scaled.append(outputs.detach())
        return outputs * self.value

    def get_scale(self) -> float:
        self.get_scale_calls += 1
        return self.value


def _pair(
    shape: tuple[int, ...], dtype: torch.dtype = torch.float64
) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.randn(shape, dtype=dtype), torch.randn(shape, dtype=dtype)


feature_shapes = st.lists(st.integers(1, 4), min_size=1, max_size=4).map(tuple)


# ---------------------------------------------------------------- closed forms


@settings(max_examples=25, deadline=None)
@given(
    batch=st.integers(1, 4),
    features=feature_shapes,
    scale=st.floats(0.05, 5.0),
    weight=st.floats(0.0, 20.0),
    seed=st.integers(0, 2**16),
)
def test_gp_linear_critic_closed_form(
    batch: int, features: tuple[int, ...], scale: float, weight: float, seed: int
) -> None:
    torch.manual_seed(seed)
    w = torch.randn(features, dtype=torch.float64)
    w = w / w.norm() * scale  # ||w|| = scale
    critic = LinearCritic(w)
    real, fake = _pair((batch, *features))
    penalty = GradientPenalty(weight=weight)(critic, real, fake)
    assert penalty.item() == pytest.approx(weight * (scale - 1.0) ** 2, rel=1e-9, abs=1e-9)
    assert gradient_penalty(critic, real, fake, weight=weight).item() == pytest.approx(
        penalty.item(), rel=1e-9, abs=1e-9
    )
    # d/dw weight (||w|| - 1)^2 = 2 weight (||w|| - 1) w / ||w||
    penalty.backward()
    expected = 2 * weight * (scale - 1.0) * w / scale
    assert torch.allclose(critic.w.grad, expected, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("features", [(7,), (1, 4, 4), (2, 2, 4, 6)])
def test_gp_is_zero_for_unit_norm_linear_critic(features: tuple[int, ...]) -> None:
    w = torch.randn(features, dtype=torch.float64)
    critic = LinearCritic(w / w.norm())
    real, fake = _pair((3, *features))
    assert GradientPenalty()(critic, real, fake).item() == pytest.approx(0.0, abs=1e-12)


def test_gp_target_zero_is_zero_centered() -> None:
    w = torch.randn(2, 5, dtype=torch.float64)
    real, fake = _pair((3, 2, 5))
    value = GradientPenalty(weight=2.0, target=0.0)(LinearCritic(w), real, fake)
    assert value.item() == pytest.approx(2.0 * w.norm().item() ** 2, rel=1e-9)


@settings(max_examples=15, deadline=None)
@given(batch=st.integers(1, 4), features=feature_shapes, gamma=st.floats(0.0, 20.0))
def test_r1_linear_critic_closed_form(batch: int, features: tuple[int, ...], gamma: float) -> None:
    w = torch.randn(features, dtype=torch.float64)
    critic = LinearCritic(w)
    real = torch.randn((batch, *features), dtype=torch.float64)
    expected = gamma / 2 * w.norm().item() ** 2
    assert R1Penalty(gamma=gamma)(critic, real, None).item() == pytest.approx(expected, rel=1e-9)
    assert r1_penalty(critic, real, gamma=gamma).item() == pytest.approx(expected, rel=1e-9)
    penalty = R1Penalty(gamma=gamma, interval=16)(critic, real, real)
    assert penalty.item() == pytest.approx(16 * expected, rel=1e-9)
    penalty.backward()  # d/dw 16 gamma/2 ||w||^2 = 16 gamma w
    assert torch.allclose(critic.w.grad, 16 * gamma * w, rtol=1e-9, atol=1e-12)


def test_interval_scales_the_value() -> None:
    w = torch.randn(1, 4, 4, dtype=torch.float64) * 0.7
    real, fake = _pair((2, 1, 4, 4))
    every = GradientPenalty(weight=10.0)(LinearCritic(w), real, fake)
    lazy = GradientPenalty(weight=10.0, interval=4)(LinearCritic(w), real, fake)
    assert lazy.item() == pytest.approx(4 * every.item(), rel=1e-12)
    assert GradientPenalty(interval=4).interval == 4 and R1Penalty(interval=16).interval == 16


def test_last_grad_norm_is_logged() -> None:
    w = torch.randn(3, 4, dtype=torch.float64)
    gp, r1 = GradientPenalty(), R1Penalty()
    assert gp.last_grad_norm is None and r1.last_grad_norm is None
    real, fake = _pair((2, 3, 4))
    gp(LinearCritic(w), real, fake)
    r1(LinearCritic(w), real, fake)
    for penalty in (gp, r1):
        assert penalty.last_grad_norm is not None and not penalty.last_grad_norm.requires_grad
        assert penalty.last_grad_norm.item() == pytest.approx(w.norm().item(), rel=1e-9)


# ---------------------------------------------------------------- interpolation


def test_alpha_is_per_sample_broadcast_over_all_axes_and_fresh_each_call() -> None:
    critic = RecordingCritic()
    real, fake = _pair((4, 2, 2, 4, 6))  # a 5-D piano-roll batch
    gp = GradientPenalty()
    gp(critic, real, fake)
    gp(critic, real, fake)
    alphas = []
    for x in critic.seen:
        ratio = (x - fake) / (real - fake)  # α per element
        alpha = ratio.flatten(1)[:, 0]
        assert torch.allclose(ratio, alpha.view(4, 1, 1, 1, 1).expand_as(ratio), atol=1e-9)
        assert ((alpha >= 0) & (alpha <= 1)).all()
        alphas.append(alpha)
    assert alphas[0].unique().numel() == 4  # differs between samples
    assert not torch.allclose(alphas[0], alphas[1])  # and between calls


def test_alpha_reproducible_from_seeds() -> None:
    real, fake = _pair((3, 1, 4, 4))
    runs = []
    for _ in range(2):
        critic = RecordingCritic()
        torch.manual_seed(123)
        GradientPenalty()(critic, real, fake)
        GradientPenalty(generator=torch.Generator().manual_seed(7))(critic, real, fake)
        runs.append(critic.seen)
    for a, b in zip(*runs, strict=True):
        assert torch.equal(a, b)


def test_real_and_fake_are_detached() -> None:
    source = nn.Parameter(torch.randn(2, 1, 8, 8))
    fake = source * 2.0  # as if it came from a generator
    real = torch.randn(2, 1, 8, 8, requires_grad=True)
    critic = TinyConvCritic()
    GradientPenalty()(critic, real, fake).backward()
    R1Penalty()(critic, real, fake).backward()
    assert source.grad is None and real.grad is None
    assert critic.conv.weight.grad is not None


# ---------------------------------------------------------------- ranks, conditioning, gradients


def test_gradients_reach_critic_parameters_2d() -> None:
    torch.manual_seed(0)
    critic = TinyConvCritic()
    real, fake = _pair((3, 1, 8, 8), torch.float32)
    for penalty in (GradientPenalty(), R1Penalty()):
        critic.zero_grad()
        value = penalty(critic, real, fake)
        assert value.shape == () and torch.isfinite(value)
        value.backward()
        # conv and head weights shape the input gradient; the head's bias cannot
        for p in (critic.conv.weight, critic.conv.bias, critic.head.weight):
            assert p.grad is not None and p.grad.abs().sum() > 0


def test_five_dimensional_piano_rolls() -> None:
    torch.manual_seed(0)
    critic = TinyConv3dCritic()
    real, fake = _pair((2, 2, 2, 4, 6), torch.float32)
    for penalty in (GradientPenalty(), R1Penalty()):
        critic.zero_grad()
        value = penalty(critic, real, fake)
        assert torch.isfinite(value) and value.item() > 0
        value.backward()
        assert critic.conv.weight.grad is not None and critic.conv.weight.grad.abs().sum() > 0


def test_conditional_critic_gets_labels() -> None:
    torch.manual_seed(0)
    critic = TinyConvCritic(num_classes=3)
    real, fake = _pair((4, 1, 8, 8), torch.float32)
    labels = torch.tensor([0, 2, 1, 2])
    for penalty in (GradientPenalty(), R1Penalty()):
        critic.zero_grad()
        penalty(critic, real, fake, labels).backward()
        # the embedding shifts the SiLU's operating points, so the penalty depends on it
        assert critic.embed.weight.grad is not None and critic.embed.weight.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="labels"):  # the critic's own check: labels were passed
        GradientPenalty()(critic, real, fake)


def test_finite_gradient_where_input_gradient_is_zero() -> None:
    # ||w|| = 0: the naive sqrt(sum g^2) would give 0/0 = NaN in the penalty's gradient
    critic = LinearCritic(torch.zeros(1, 4, 4))
    real, fake = _pair((2, 1, 4, 4), torch.float32)
    value = GradientPenalty(weight=10.0)(critic, real, fake)
    assert value.item() == pytest.approx(10.0, rel=1e-5)
    value.backward()
    assert torch.isfinite(critic.w.grad).all()
    # a dead ReLU: zero input gradient with parameters in the graph
    dead = nn.Sequential(nn.Flatten(), nn.Linear(16, 1), nn.ReLU(), nn.Flatten(0))
    with torch.no_grad():
        dead[1].bias.fill_(-1e3)
    value = GradientPenalty()(dead, real, fake)
    value.backward()
    assert all(torch.isfinite(p.grad).all() for p in dead.parameters() if p.grad is not None)
    r1 = R1Penalty()(dead, real, fake)
    assert r1.item() == 0.0


class ConstantCritic(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.b = nn.Parameter(torch.zeros(()))

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.b.expand(x.shape[0])


def test_critic_that_ignores_its_input() -> None:
    real, fake = _pair((2, 1, 4, 4), torch.float32)
    assert GradientPenalty(weight=3.0)(ConstantCritic(), real, fake).item() == pytest.approx(
        3.0, rel=1e-5
    )
    assert R1Penalty()(ConstantCritic(), real, fake).item() == 0.0


def test_mixed_dtypes_promote() -> None:
    w = torch.randn(1, 4, 4, dtype=torch.float64)
    real = torch.randn(2, 1, 4, 4, dtype=torch.float64)
    fake = torch.randn(2, 1, 4, 4, dtype=torch.float32)
    value = GradientPenalty()(LinearCritic(w), real, fake)
    assert value.item() == pytest.approx(10 * (w.norm().item() - 1) ** 2, rel=1e-9)


# ---------------------------------------------------------------- AMP recipe


@pytest.mark.parametrize("scale", [2.0**-4, 2.0**12, 65536.0])
def test_scaler_arithmetic_matches_unscaled(scale: float) -> None:
    torch.manual_seed(0)
    critic = TinyConvCritic().double()
    real, fake = _pair((3, 1, 8, 8))
    for make in (GradientPenalty, R1Penalty):
        scaler = FixedScaler(scale)
        torch.manual_seed(1)
        plain = make()(critic, real, fake)
        grads_plain = torch.autograd.grad(plain, list(critic.parameters()), allow_unused=True)
        torch.manual_seed(1)
        scaled = make()(critic, real, fake, scaler=scaler)
        grads_scaled = torch.autograd.grad(scaled, list(critic.parameters()), allow_unused=True)
        assert len(scaler.scaled) == 1 and scaler.scaled[0].shape == ()  # scale(scores.sum())
        assert scaler.get_scale_calls == 1  # gradients multiplied by 1 / get_scale()
        assert scaled.dtype == torch.float32 or scaled.dtype == torch.float64
        assert scaled.item() == pytest.approx(plain.item(), rel=1e-9)
        for a, b in zip(grads_plain, grads_scaled, strict=True):
            assert (a is None) == (b is None)
            if a is not None:
                assert torch.allclose(a, b, rtol=1e-9, atol=1e-12)


def test_real_gradscaler_on_cpu() -> None:
    w = torch.randn(1, 4, 4)
    real, fake = _pair((2, 1, 4, 4), torch.float32)
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**10)
    value = GradientPenalty()(LinearCritic(w), real, fake, scaler=scaler)
    assert value.item() == pytest.approx(10 * (w.norm().item() - 1) ** 2, rel=1e-5)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_fp16_autocast_with_gradscaler_matches_fp32_on_cuda() -> None:
    torch.manual_seed(0)
    critic = nn.Sequential(
        nn.Conv2d(1, 16, 3, stride=2, padding=1),
        nn.LeakyReLU(0.2),
        nn.Conv2d(16, 32, 3, stride=2, padding=1),
        nn.LeakyReLU(0.2),
        nn.Flatten(),
        nn.Linear(32 * 4 * 4, 1),
        nn.Flatten(0),
    ).cuda()
    real = torch.randn(8, 1, 16, 16, device="cuda")
    fake = torch.randn(8, 1, 16, 16, device="cuda")
    scaler = torch.amp.GradScaler("cuda", init_scale=2.0**16)
    for make in (GradientPenalty, R1Penalty):
        torch.manual_seed(1)
        fp32 = make()(critic, real, fake)
        torch.manual_seed(1)
        with torch.autocast("cuda", dtype=torch.float16):
            fp16 = make()(critic, real, fake, scaler=scaler)
        assert fp16.dtype == torch.float32
        assert torch.isfinite(fp16)
        assert fp16.item() == pytest.approx(fp32.item(), rel=2e-2, abs=1e-3)
        scaler.scale(fp16).backward()  # the recipe's backward reaches the parameters
        assert all(p.grad is not None for p in critic[0].parameters())
        critic.zero_grad()


# ---------------------------------------------------------------- wrappers


# the double backward of a 1-input-channel conv gives its weight gradient other (equivalent) strides
@pytest.mark.filterwarnings("ignore:Grad strides do not match bucket view strides")
@pytest.mark.slow  # ~2 s quiet (gloo start-up), more on a busy machine
def test_ddp_wrapped_critic_matches_plain(tmp_path: Path) -> None:
    dist = torch.distributed
    if not dist.is_available() or dist.is_initialized():
        pytest.skip("torch.distributed unavailable or already initialized")
    store = dist.FileStore(str(tmp_path / "store"), 1)
    dist.init_process_group("gloo", store=store, rank=0, world_size=1)
    try:
        torch.manual_seed(0)
        plain = TinyConvCritic(num_classes=2)
        wrapped = nn.parallel.DistributedDataParallel(TinyConvCritic(num_classes=2))
        wrapped.module.load_state_dict(plain.state_dict())
        real, fake = _pair((3, 1, 8, 8), torch.float32)
        labels = torch.tensor([0, 1, 1])
        grads = []
        for critic in (plain, wrapped):
            torch.manual_seed(5)
            loss = Wasserstein().critic_loss(critic(real, labels), critic(fake, labels))
            loss = loss + GradientPenalty()(critic, real, fake, labels)
            loss.backward()
            grads.append([p.grad.clone() for p in critic.parameters()])
        for a, b in zip(*grads, strict=True):
            assert torch.allclose(a, b, rtol=1e-5, atol=1e-6)
    finally:
        dist.destroy_process_group()


@pytest.mark.slow  # ~1.5 s quiet (dynamo tracing), more on a busy machine
def test_compiled_critic_matches_eager() -> None:
    """AOTAutograd cannot double-backward: the loss runs compiled, the penalty the eager module
    it was compiled from (same parameters), and the gradients are the all-eager ones."""
    torch.manual_seed(0)
    eager = TinyConvCritic()
    compiled = torch.compile(eager, backend="aot_eager")
    real, fake = _pair((2, 1, 8, 8), torch.float32)
    grads = []
    for critic in (eager, compiled):
        eager.zero_grad()
        torch.manual_seed(3)
        loss = Wasserstein().critic_loss(critic(real), critic(fake))
        (loss + GradientPenalty()(eager, real, fake)).backward()
        grads.append([p.grad.clone() for p in eager.parameters()])
    for a, b in zip(*grads, strict=True):
        assert torch.allclose(a, b, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- errors and protocol


def test_input_errors() -> None:
    critic = TinyConvCritic()
    x = torch.randn(2, 1, 8, 8)
    with pytest.raises(
        ValueError, match=r"GradientPenalty: expected fake of the same shape as real \(2, 1, 8, 8\)"
    ):
        GradientPenalty()(critic, x, torch.randn(3, 1, 8, 8))
    with pytest.raises(
        ValueError, match=r"expected real of shape \(batch, \*features\), got \(8,\)"
    ):
        GradientPenalty()(critic, torch.randn(8), torch.randn(8))
    with pytest.raises(ValueError, match=r"expected labels of shape \(2, \.\.\.\)"):
        R1Penalty()(TinyConvCritic(num_classes=2), x, x, torch.tensor([0, 1, 1]))
    with pytest.raises(ValueError, match="at least one sample"):
        GradientPenalty()(critic, x[:0], x[:0])
    with pytest.raises(TypeError, match="floating-point"):
        R1Penalty()(critic, torch.zeros(2, 1, 8, 8, dtype=torch.long))
    column = nn.Sequential(nn.Flatten(), nn.Linear(64, 1))  # (batch, 1) instead of (batch,)
    with pytest.raises(
        ValueError, match=r"expected critic scores of shape \(2,\) \(batch,\), got \(2, 1\)"
    ):
        GradientPenalty()(column, x, x)
    with pytest.raises(ValueError, match=r"R1Penalty: expected critic scores"):
        R1Penalty()(column, x)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: GradientPenalty(interval=0), "interval must be an integer >= 1, got 0"),
        (lambda: GradientPenalty(interval=2.0), "interval must be an integer >= 1, got 2.0"),
        (lambda: R1Penalty(interval=True), "interval must be an integer >= 1, got True"),
        (lambda: GradientPenalty(weight=-1.0), "weight must be a finite number >= 0"),
        (lambda: GradientPenalty(target=math.nan), "target must be a finite number >= 0"),
        (lambda: GradientPenalty(eps=0.0), "eps must be a finite number > 0"),
        (lambda: R1Penalty(gamma=math.inf), "gamma must be a finite number >= 0"),
    ],
)
def test_constructor_errors(make: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        make()


def test_penalties_satisfy_protocol_and_repr() -> None:
    assert isinstance(GradientPenalty(), Penalty) and isinstance(R1Penalty(), Penalty)
    assert repr(GradientPenalty(interval=4)) == (
        "GradientPenalty(weight=10.0, target=1.0, interval=4, eps=1e-12)"
    )
    assert repr(R1Penalty(gamma=1.0, interval=16)) == "R1Penalty(gamma=1.0, interval=16)"


def test_weighted_penalties_are_interval_times_weight_times_their_term() -> None:
    from audiogan.losses import (
        AuxiliaryClassifierCriticLoss,
        DriftPenalty,
        LeCamPenalty,
        WeightedPenalty,
    )

    class Mean(WeightedPenalty):
        def term(self, critic, real, fake, labels):
            return critic(real).mean()

    critic = nn.Sequential(nn.Flatten(), nn.Linear(4, 1), nn.Flatten(0))
    real = torch.randn(6, 1, 2, 2)
    term = critic(real).mean()
    lazy = Mean(weight=0.5, interval=4)
    torch.testing.assert_close(lazy(critic, real, real), 2.0 * term)
    assert isinstance(lazy, Penalty)
    drift = DriftPenalty(0.25)
    expected = 0.25 * critic(real).square().mean()
    torch.testing.assert_close(drift(critic, real, real), expected)
    assert drift.interval == 1 and isinstance(drift, Penalty)
    for make, message in (
        (lambda: Mean(weight=-1.0), "Mean: weight must be a finite number >= 0, got -1.0"),
        (lambda: DriftPenalty(math.inf), "DriftPenalty: weight must be a finite number >= 0"),
        (lambda: AuxiliaryClassifierCriticLoss(-2), "weight must be a finite number >= 0"),
        (lambda: Mean(1.0, interval=0), "Mean: interval must be an integer >= 1, got 0"),
        (lambda: LeCamPenalty(weight="0.3"), "LeCamPenalty: weight must be a finite number"),
    ):
        with pytest.raises(ValueError, match=message):
            make()
    with pytest.raises(NotImplementedError, match="WeightedPenalty must implement term"):
        WeightedPenalty(1.0)(critic, real, real)
