"""Standing statistics: BatchNorm running statistics recomputed from a generator's own outputs."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from audiogan.nn import ConvGenerator2d
from audiogan.train import EMA, StandingStats, load_checkpoint, recompute_norm_stats


class AffineNorm(nn.Module):
    """z -> BatchNorm1d(2 z + 3): the statistics have a closed form in the draws."""

    def __init__(self, latent_dim: int = 3) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.norm = nn.BatchNorm1d(latent_dim)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.norm(2 * z + 3)


def test_the_statistics_are_the_mean_and_variance_of_the_draws() -> None:
    g = AffineNorm().eval()
    assert recompute_norm_stats(g, num_batches=4, batch_size=5, seed=7) == 1
    rng = torch.Generator().manual_seed(7)
    batches = [2 * torch.randn(5, 3, generator=rng) + 3 for _ in range(4)]
    mean = torch.stack([b.mean(0) for b in batches]).mean(0)
    var = torch.stack([b.var(0, unbiased=True) for b in batches]).mean(0)
    torch.testing.assert_close(g.norm.running_mean, mean)
    torch.testing.assert_close(g.norm.running_var, var)
    assert g.norm.num_batches_tracked == 4


def test_weights_modes_momentum_and_global_random_state_are_kept() -> None:
    g = ConvGenerator2d(8, (1, 16, 16), width=16, num_upsamples=2, num_classes=3)
    g.train()
    weights = {k: v.clone() for k, v in g.named_parameters()}
    momenta = [m.momentum for m in g.modules() if isinstance(m, nn.BatchNorm2d)]
    state = torch.random.get_rng_state()
    assert recompute_norm_stats(g, num_batches=2, batch_size=4) == 2
    assert torch.equal(torch.random.get_rng_state(), state)
    assert all(m.training for m in g.modules())
    assert momenta == [m.momentum for m in g.modules() if isinstance(m, nn.BatchNorm2d)]
    for k, v in g.state_dict().items():
        if k in weights:
            assert torch.equal(v, weights[k]), k


def test_a_generator_without_batch_norm_is_left_alone() -> None:
    g = ConvGenerator2d(8, (1, 16, 16), width=16, num_upsamples=2, norm="layer")
    before = {k: v.clone() for k, v in g.state_dict().items()}
    assert recompute_norm_stats(g) == 0
    assert all(torch.equal(v, before[k]) for k, v in g.state_dict().items())


def test_the_ema_copy_gets_statistics_of_its_own_weights() -> None:
    """The mismatch it removes: an EMA copy normalises with the live generator's statistics."""
    torch.manual_seed(0)
    g = AffineNorm()
    ema = EMA(g, decay=0.9, warmup=False)
    with torch.no_grad():
        g(torch.randn(64, 3))  # the live statistics
    ema.update(g)
    copy = ema.module
    copy.norm.weight.data.fill_(1.0)
    assert torch.equal(copy.norm.running_mean, g.norm.running_mean)  # copied as they were
    recompute_norm_stats(copy, num_batches=50, batch_size=64)
    torch.testing.assert_close(copy.norm.running_mean, torch.full((3,), 3.0), atol=0.05, rtol=0)
    torch.testing.assert_close(copy.norm.running_var, torch.full((3,), 4.0), atol=0.2, rtol=0)


@pytest.mark.parametrize(("num_batches", "batch_size"), [(0, 4), (2, 1)])
def test_bad_arguments(num_batches: int, batch_size: int) -> None:
    with pytest.raises(ValueError, match="num_batches must be >= 1|batch_size must be >= 2"):
        recompute_norm_stats(AffineNorm(), num_batches, batch_size)
    with pytest.raises(ValueError, match="StandingStats: num_batches"):
        StandingStats(num_batches, batch_size)
    with pytest.raises(ValueError, match="no latent_dim"):
        recompute_norm_stats(nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2)))


def test_wgan_gp_checkpoints_carry_the_ema_generators_own_statistics(tmp_path: Path) -> None:
    from audiogan.recipes import configure, get_recipe

    recipe = get_recipe("wgan-gp")
    settings = {"out": str(tmp_path / "run"), "steps": 2, "every": 2, "clips_per_class": 4}
    small = {"n_mels": 16, "frames": 16, "width": 2, "critic_width": 4, "batch_size": 4}
    config = configure(recipe, overrides={**settings, **small, "standing_stats": 3})
    run = recipe.build(config)
    assert isinstance(run.trainer.callbacks[0], StandingStats)  # before fakes and checkpoints
    run.fit()
    state = load_checkpoint(tmp_path / "run" / "checkpoints" / "step_00000002.pt")
    stored = state["ema"]["module"]
    copy = run.trainer.sampling_generator
    recompute_norm_stats(copy, 3, 4, seed=config.seed)
    for k, v in copy.state_dict().items():
        torch.testing.assert_close(stored[k], v)
    live = run.trainer.generator.state_dict()
    key = "project_act.0.running_mean"  # the first BatchNorm
    assert not torch.equal(stored[key], live[key])
    off = configure(recipe, overrides={**settings, **small, "standing_stats": 0})
    assert not any(isinstance(c, StandingStats) for c in recipe.build(off).trainer.callbacks)
