"""Paired GANs in the one Trainer: batch inputs, ensemble critics, generator-side losses."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader

from audiogan.losses import LeastSquares, Wasserstein
from audiogan.losses.ensemble import as_critic_output, critic_loss_over, generator_loss_over
from audiogan.protocols import CriticOutput
from audiogan.train.trainer import Trainer

TIME = 16


class Upsampler(nn.Module):
    """A paired generator: ``inputs (batch, 2, time / 2) -> (batch, 1, time)``; no latent."""

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.ConvTranspose1d(2, 1, kernel_size=2, stride=2)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.net(inputs))


class SubCritic(nn.Module):
    def __init__(self, pool: int) -> None:
        super().__init__()
        self.pool = pool
        self.conv = nn.Conv1d(1, 4, kernel_size=3, padding=1)
        self.out = nn.Conv1d(4, 1, kernel_size=3, padding=1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        x = F.avg_pool1d(x, self.pool) if self.pool > 1 else x
        h = F.leaky_relu(self.conv(x), 0.1)
        score = self.out(h)  # (batch, 1, frames): patch scores
        return score.flatten(1), [h, score]


class TwoScaleCritic(nn.Module):
    """An ensemble in HiFi-GAN's style: the raw signal and a 2x average-pooled copy."""

    def __init__(self) -> None:
        super().__init__()
        self.subs = nn.ModuleList([SubCritic(1), SubCritic(2)])

    def forward(self, x: torch.Tensor) -> CriticOutput:
        outs = [sub(x) for sub in self.subs]
        return CriticOutput([s for s, _ in outs], [f for _, f in outs])


def inputs_of(real: torch.Tensor) -> torch.Tensor:
    """A fixed "analysis" of the real signal: (batch, 1, time) -> (batch, 2, time / 2)."""
    pairs = real.view(real.shape[0], TIME // 2, 2)
    return pairs.transpose(1, 2).contiguous()


def feature_matching(
    real: list[list[torch.Tensor]], fake: list[list[torch.Tensor]]
) -> torch.Tensor:
    return sum(
        F.l1_loss(f, r)
        for rs, fs in zip(real, fake, strict=True)
        for r, f in zip(rs, fs, strict=True)
    )


LOSSES = {
    "l1": (45.0, lambda s: F.l1_loss(s.fake, s.real)),
    "feature_matching": (
        2.0,
        lambda s: feature_matching(s.real_output.features, s.fake_output.features),
    ),
}


def waves(n: int = 8) -> torch.Tensor:
    t = torch.linspace(0, 1, TIME)
    f = torch.arange(1, n + 1).float()[:, None]
    return (0.8 * torch.sin(6.28 * f * t))[:, None, :]  # (n, 1, time)


def make(tmp_path, **kw) -> Trainer:
    torch.manual_seed(0)
    kw.setdefault("generator_input", inputs_of)
    kw.setdefault("generator_losses", LOSSES)
    return Trainer(
        Upsampler(), TwoScaleCritic(), LeastSquares(), out_dir=tmp_path, device="cpu", **kw
    )


def test_a_paired_gan_trains_and_logs_each_term(tmp_path):
    trainer = make(tmp_path, generator_lr=1e-2, critic_lr=1e-3)
    trainer.fit(DataLoader(waves(), batch_size=4, shuffle=True), steps=60)
    first, last = trainer.history[0], trainer.history[-1]
    assert {"critic_loss", "generator_loss", "l1", "feature_matching"} <= set(last)
    assert last["l1"] < 0.5 * first["l1"]  # the reconstruction term drives the generator


def test_generator_update_is_the_gradient_of_the_weighted_sum(tmp_path):
    """With SGD(lr=1) the generator's step is minus the gradient of adversarial + sum w * term."""
    sgd = lambda ps: torch.optim.SGD(ps, lr=1.0)  # noqa: E731
    trainer = make(
        tmp_path, generator_optimizer=sgd, critic_optimizer=lambda ps: torch.optim.SGD(ps, lr=0.0)
    )
    real = waves(4)
    g = Upsampler()
    g.load_state_dict(trainer.generator.state_dict())
    critic = trainer.critic
    fake = g(inputs_of(real))
    fake_out, real_out = critic(fake), critic(real)
    expected = (
        generator_loss_over(LeastSquares(), fake_out)
        + 45.0 * F.l1_loss(fake, real)
        + 2.0 * feature_matching(real_out.features, fake_out.features)
    )
    grads = torch.autograd.grad(expected, list(g.parameters()))
    before = [p.detach().clone() for p in trainer.generator.parameters()]
    metrics = trainer.train_step([trainer.prepare(real)])
    for p0, p1, grad in zip(before, trainer.generator.parameters(), grads, strict=True):
        torch.testing.assert_close(p0 - p1.detach(), grad, rtol=1e-5, atol=1e-6)
    assert metrics["l1"] == pytest.approx(F.l1_loss(fake, real).item(), rel=1e-5)


def test_loader_mappings_bring_the_inputs(tmp_path):
    real = waves(8)
    items = [{"real": real[i], "inputs": inputs_of(real[i : i + 1])[0]} for i in range(8)]
    a = make(tmp_path / "a").fit(DataLoader(items, batch_size=4), steps=2)
    b = make(tmp_path / "b").fit(DataLoader(real, batch_size=4), steps=2)
    for pa, pb in zip(a.generator.parameters(), b.generator.parameters(), strict=True):
        torch.testing.assert_close(pa, pb)


def test_paired_gan_resumes_exactly(tmp_path):
    loader = lambda: DataLoader(waves(), batch_size=2, shuffle=True)  # noqa: E731
    straight = make(tmp_path / "s").fit(loader(), steps=7)
    make(tmp_path / "r").fit(loader(), steps=3)
    resumed = make(tmp_path / "r").fit(loader(), steps=7)
    assert straight.history == resumed.history
    for pa, pb in zip(straight.generator.parameters(), resumed.generator.parameters(), strict=True):
        assert torch.equal(pa, pb)


def test_generator_losses_and_inputs_are_checked(tmp_path):
    with pytest.raises(ValueError, match="critic_loss"):
        make(tmp_path, generator_losses={"critic_loss": (1.0, lambda s: s.fake.mean())})
    with pytest.raises(ValueError, match="pair"):
        make(tmp_path, generator_losses={"l1": lambda s: s.fake.mean()})
    with pytest.raises(ValueError, match="finite and >= 0"):
        make(tmp_path, generator_losses={"l1": (-1.0, lambda s: s.fake.mean())})
    with pytest.raises(ValueError, match="sample_latent.*generator_input"):
        make(tmp_path, generator_input=None)


# ----------------------------------------------------------------------------- ensemble objectives


def test_one_score_tensor_gives_exactly_the_objective():
    real, fake = torch.randn(6), torch.randn(6)
    wrapped_r, wrapped_f = as_critic_output(real, 6), as_critic_output(fake, 6)
    assert torch.equal(
        critic_loss_over(Wasserstein(), wrapped_r, wrapped_f), Wasserstein().critic_loss(real, fake)
    )
    assert torch.equal(
        generator_loss_over(Wasserstein(), wrapped_f), Wasserstein().generator_loss(fake)
    )


def test_ensemble_loss_is_the_sum_over_sub_critics_of_patch_means():
    r = [torch.randn(3, 5), torch.randn(3, 2)]
    f = [torch.randn(3, 5), torch.randn(3, 2)]
    real, fake = CriticOutput(r, [[], []]), CriticOutput(f, [[], []])
    lsgan = sum(
        ((1 - a) ** 2).mean() + (b**2).mean() for a, b in zip(r, f, strict=True)
    )  # HiFi-GAN's
    torch.testing.assert_close(critic_loss_over(LeastSquares(), real, fake), lsgan)
    torch.testing.assert_close(
        generator_loss_over(LeastSquares(), fake), sum(((1 - b) ** 2).mean() for b in f)
    )


def test_critic_outputs_that_do_not_fit_are_named():
    with pytest.raises(ValueError, match=r"\(batch,\) = \(4,\), got \(4, 1\)"):
        as_critic_output(torch.zeros(4, 1), 4, "Mine")
    with pytest.raises(ValueError, match="sub-critic 1 .* batch=4, got \\(3, 2\\)"):
        as_critic_output(([torch.zeros(4, 2), torch.zeros(3, 2)], [[], []]), 4)
    with pytest.raises(ValueError, match="feature maps for 1 sub-critics"):
        as_critic_output(([torch.zeros(4), torch.zeros(4)], [[]]), 4)
    with pytest.raises(ValueError, match="list"):
        as_critic_output([torch.zeros(4)], 4)
