"""The Trainer's loop: critic/generator phases, labels, preprocess, precision, EMA, callbacks, misuse.

Tiny models meeting the contracts are defined here (and reused by the other trainer tests and by
``ddp_worker.py``), so these tests do not depend on audiogan's blocks.
"""

from __future__ import annotations

import math
import traceback
import warnings

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from audiogan.losses import GradientPenalty, NonSaturating, R1Penalty, Wasserstein
from audiogan.train.callbacks.base import Callback, LambdaCallback
from audiogan.train.ema import EMA
from audiogan.train.precision import Precision
from audiogan.train.trainer import NonFiniteLossError, Trainer

SHAPE = (1, 4, 4)  # (channels, freq, frames)


class TinyGenerator(nn.Module):
    """``z (batch, latent) -> (batch, *shape)`` through one linear layer; label embedding added to z."""

    def __init__(
        self, latent: int = 4, shape: tuple[int, ...] = SHAPE, num_classes: int = 0
    ) -> None:
        super().__init__()
        self.config = {"latent": latent, "shape": list(shape), "num_classes": num_classes}
        self.latent, self.shape, self.num_classes = latent, tuple(shape), num_classes
        self.embed = nn.Embedding(num_classes, latent) if num_classes else None
        self.net = nn.Linear(latent, math.prod(shape))

    def sample_latent(self, n: int, device=None, generator=None) -> torch.Tensor:
        return torch.randn(n, self.latent, device=device, generator=generator)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if (labels is None) != (self.num_classes == 0):
            raise ValueError("TinyGenerator: labels must be given iff num_classes > 0")
        if labels is not None:
            z = z + self.embed(labels)
        return torch.tanh(self.net(z)).view(-1, *self.shape)


class TinyCritic(nn.Module):
    """``(batch, *shape) -> (batch,)``: an MLP with optional dropout, projection conditioning, BatchNorm."""

    def __init__(
        self,
        shape: tuple[int, ...] = SHAPE,
        num_classes: int = 0,
        dropout: float = 0.0,
        batchnorm: bool = False,
    ) -> None:
        super().__init__()
        self.config = {
            "shape": list(shape),
            "num_classes": num_classes,
            "dropout": dropout,
            "batchnorm": batchnorm,
        }
        self.num_classes = num_classes
        layers: list[nn.Module] = [nn.Flatten(), nn.Linear(math.prod(shape), 8)]
        if batchnorm:
            layers.append(nn.BatchNorm1d(8))
        layers += [nn.LeakyReLU(0.2), nn.Dropout(dropout)]
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(8, 1)
        self.embed = nn.Embedding(num_classes, 8) if num_classes else None

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if (labels is None) != (self.num_classes == 0):
            raise ValueError("TinyCritic: labels must be given iff num_classes > 0")
        h = self.body(x)  # (batch, 8)
        out = self.head(h).squeeze(1)  # (batch,)
        if labels is not None:
            out = out + (self.embed(labels) * h).sum(dim=1)
        return out


def make_loader(
    n: int = 16, batch: int = 2, num_classes: int = 0, shuffle: bool = True, seed: int = 0
) -> DataLoader:
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, *SHAPE, generator=g) * 2 - 1
    if num_classes:
        y = torch.randint(0, num_classes, (n,), generator=g)
        return DataLoader(TensorDataset(x, y), batch_size=batch, shuffle=shuffle)
    return DataLoader(x, batch_size=batch, shuffle=shuffle)


def make_trainer(tmp_path, num_classes: int = 0, **kw) -> Trainer:
    torch.manual_seed(0)
    g = TinyGenerator(num_classes=num_classes)
    d = TinyCritic(num_classes=num_classes, dropout=kw.pop("dropout", 0.0))
    objective = kw.pop("objective", Wasserstein())
    penalty = kw.pop("penalty", GradientPenalty(10.0))
    return Trainer(g, d, objective, penalty, out_dir=tmp_path, device="cpu", **kw)


def params(module: nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in module.parameters()]


# ----------------------------------------------------------------------------- the loop


def test_critic_steps_consume_that_many_batches_per_generator_step(tmp_path):
    trainer = make_trainer(tmp_path, critic_steps=3)
    calls = {"critic_updates": 0, "generator_updates": 0}
    trainer.critic_optimizer.register_step_post_hook(
        lambda *a: calls.__setitem__("critic_updates", calls["critic_updates"] + 1)
    )
    trainer.generator_optimizer.register_step_post_hook(
        lambda *a: calls.__setitem__("generator_updates", calls["generator_updates"] + 1)
    )
    trainer.fit(
        make_loader(n=20, batch=2), epochs=2
    )  # 10 batches: 3 steps per epoch, 1 batch dropped
    assert trainer.step == 6 and trainer.epoch == 2
    assert calls == {"critic_updates": 18, "generator_updates": 6}
    assert trainer.critic_updates == 18


def test_steps_limit_and_metrics_sink(tmp_path):
    trainer = make_trainer(tmp_path, critic_steps=2)
    trainer.fit(make_loader(n=16, batch=2), steps=5)
    assert trainer.step == 5 and trainer.epoch == 1  # 4 steps per epoch
    assert [h["step"] for h in trainer.history] == [1, 2, 3, 4, 5]
    assert [h["epoch"] for h in trainer.history] == [0, 0, 0, 0, 1]
    for key in (
        "critic_loss",
        "generator_loss",
        "real_score",
        "fake_score",
        "penalty",
        "grad_norm",
        "skipped_steps",
    ):
        assert math.isfinite(trainer.metrics[key]), key
    assert trainer.history[-1] == {"step": 5, "epoch": 1, **trainer.metrics}


def test_training_changes_both_models_and_wasserstein_metrics_are_consistent(tmp_path):
    trainer = make_trainer(tmp_path, penalty=None, weight_clip=0.5)
    g0, d0 = params(trainer.generator), params(trainer.critic)
    trainer.fit(make_loader(), steps=3)
    assert all(not torch.equal(a, b) for a, b in zip(g0, params(trainer.generator), strict=True))
    changed = [not torch.equal(a, b) for a, b in zip(d0, params(trainer.critic), strict=True)]
    assert changed == [
        True,
        True,
        True,
        False,
    ]  # the head's bias cancels in mean(fake) - mean(real)
    m = trainer.metrics
    assert m["critic_loss"] == pytest.approx(
        m["fake_score"] - m["real_score"], abs=1e-5
    )  # critic_steps=1
    assert all(p.abs().max() <= 0.5 for p in trainer.critic.parameters())  # weight clipping


def test_conditional_labels_reach_both_models(tmp_path):
    trainer = make_trainer(tmp_path, num_classes=3, critic_steps=2)
    seen = []
    trainer.critic.register_forward_pre_hook(lambda m, args: seen.append(len(args)))
    trainer.fit(make_loader(num_classes=3), steps=2)
    assert seen and all(n == 2 for n in seen)  # critic(x, labels) every call
    # the last updates' gradients reached both label embeddings
    assert trainer.generator.embed.weight.grad.abs().sum() > 0
    assert trainer.critic.embed.weight.grad.abs().sum() > 0


def test_preprocess_runs_on_device_batch(tmp_path):
    class Halve(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.config = {}
            self.seen: list[tuple[int, ...]] = []

        def encode(self, wave: torch.Tensor) -> torch.Tensor:  # (batch, 16) -> (batch, 1, 4, 4)
            self.seen.append(tuple(wave.shape))
            return (wave * 0.5).view(-1, *SHAPE)

    pre = Halve()
    trainer = make_trainer(tmp_path, preprocess=pre)
    waves = DataLoader(torch.rand(8, 16), batch_size=2)
    trainer.fit(waves, steps=2)
    assert pre.seen == [(2, 16), (2, 16)]
    assert trainer.metadata["frontend"]["class"].endswith("Halve")


def test_penalty_interval_applies_lazily(tmp_path):
    calls = []

    class Counting(GradientPenalty):
        def __call__(self, critic, real, fake, labels=None, scaler=None):
            calls.append(1)
            return super().__call__(critic, real, fake, labels, scaler)

    trainer = make_trainer(tmp_path, penalty=Counting(interval=4), critic_steps=2)
    trainer.fit(make_loader(n=16), steps=4)  # 8 critic steps: penalty at 0 and 4
    assert len(calls) == 2


def test_r1_penalty_and_nonsaturating(tmp_path):
    trainer = make_trainer(tmp_path, objective=NonSaturating(), penalty=R1Penalty(gamma=1.0))
    trainer.fit(make_loader(), steps=2)
    assert math.isfinite(trainer.metrics["penalty"])


def test_ttur_learning_rates_and_custom_optimizers(tmp_path):
    trainer = make_trainer(tmp_path, generator_lr=2e-4, critic_lr=2e-5)
    assert trainer.generator_optimizer.param_groups[0]["lr"] == 2e-4
    assert trainer.critic_optimizer.param_groups[0]["lr"] == 2e-5
    assert trainer.generator_optimizer.param_groups[0]["betas"] == (0.5, 0.9)
    g, d = TinyGenerator(), TinyCritic()
    t = Trainer(
        g,
        d,
        Wasserstein(),
        GradientPenalty(),
        generator_optimizer=torch.optim.SGD(g.parameters(), lr=0.1),
        critic_optimizer=lambda ps: torch.optim.RMSprop(ps, lr=5e-5),
        device="cpu",
        out_dir=tmp_path,
    )
    assert isinstance(t.generator_optimizer, torch.optim.SGD) and isinstance(
        t.critic_optimizer, torch.optim.RMSprop
    )
    with pytest.raises(ValueError, match="generator_optimizer"):
        Trainer(
            g,
            d,
            Wasserstein(),
            GradientPenalty(),
            generator_optimizer=torch.optim.SGD(d.parameters(), lr=0.1),
            device="cpu",
            out_dir=tmp_path,
        )


def test_ema_tracks_generator_and_is_sampling_generator(tmp_path):
    trainer = make_trainer(tmp_path, ema=0.5)
    assert trainer.sampling_generator is trainer.ema.module
    before = params(trainer.ema.module)
    trainer.fit(make_loader(), steps=2)
    assert trainer.ema.num_updates == 2
    after = params(trainer.ema.module)
    assert all(not torch.equal(a, b) for a, b in zip(before, after, strict=True))
    assert all(not p.requires_grad for p in trainer.ema.module.parameters())
    plain = make_trainer(tmp_path / "plain")
    assert plain.sampling_generator is plain.generator


def test_ema_warmup_ramps_the_decay_up_to_its_value():
    ema = EMA(nn.Linear(2, 2), decay=0.999)
    seen = []
    for _ in range(3):
        seen.append(ema.current_decay())
        ema.update(nn.Linear(2, 2))
    assert seen == pytest.approx([1 / 10, 2 / 11, 3 / 12])
    ema.num_updates = 100_000
    assert ema.current_decay() == 0.999
    assert EMA(nn.Linear(2, 2), decay=0.9, warmup=False).current_decay() == 0.9


def test_ema_update_closed_form():
    g = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    ema = EMA(g, decay=0.75, warmup=False)
    w0 = g[0].weight.detach().clone()
    with torch.no_grad():
        g[0].weight.add_(4.0)
        g[1].running_mean.fill_(3.0)
    ema.update(g)
    torch.testing.assert_close(ema.module[0].weight, w0 + 1.0)  # 0.75 * w0 + 0.25 * (w0 + 4)
    torch.testing.assert_close(ema.module[1].running_mean, torch.full((2,), 3.0))  # buffers copied
    ema2 = EMA(g, decay=0.1)
    ema2.load_state_dict(ema.state_dict())
    assert ema2.decay == 0.75 and ema2.num_updates == 1 and not ema2.warmup
    with pytest.raises(ValueError, match="decay"):
        EMA(g, decay=1.0)


def test_grad_clip_bounds_update(tmp_path):
    g, d = TinyGenerator(), TinyCritic()
    trainer = Trainer(
        g,
        d,
        Wasserstein(),
        GradientPenalty(),
        grad_clip=1e-3,
        device="cpu",
        out_dir=tmp_path,
        critic_optimizer=lambda ps: torch.optim.SGD(ps, lr=1.0),
        generator_optimizer=lambda ps: torch.optim.SGD(ps, lr=1.0),
    )
    d0 = torch.cat([p.detach().flatten() for p in d.parameters()])
    trainer.fit(make_loader(), steps=1, resume=False)
    d1 = torch.cat([p.detach().flatten() for p in d.parameters()])
    assert (d1 - d0).norm() <= 1e-3 + 1e-6  # one SGD step with lr 1 moves at most grad_clip


# ----------------------------------------------------------------------------- precision


def test_bf16_autocast_trains_on_cpu(tmp_path):
    trainer = make_trainer(tmp_path, precision="bf16")
    assert not trainer.critic_scaler.is_enabled() and not trainer.generator_scaler.is_enabled()
    trainer.fit(make_loader(), steps=2)
    assert math.isfinite(trainer.metrics["critic_loss"])


def test_fp16_on_cpu_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="CUDA"):
        make_trainer(tmp_path, precision="16")
    with pytest.raises(ValueError, match="precision"):
        Precision("64", torch.device("cpu"))


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_fp16_scalers_on_cuda(tmp_path):
    trainer = make_trainer(tmp_path, precision="16", device="cuda", critic_steps=2)
    assert trainer.critic_scaler.is_enabled() and trainer.generator_scaler.is_enabled()
    assert trainer.critic_scaler is not trainer.generator_scaler
    trainer.fit(make_loader(), steps=3)
    assert math.isfinite(trainer.metrics["penalty"])
    assert torch.backends.cudnn.benchmark


# ----------------------------------------------------------------------------- callbacks


def test_callback_hooks_order_and_units(tmp_path):
    events = []

    class Recorder(Callback):
        def on_fit_start(self, t):
            events.append(("start", t.step))

        def on_step_end(self, t):
            events.append(("step", t.step))

        def on_epoch_end(self, t):
            events.append(("epoch", t.epoch))

        def on_fit_end(self, t):
            events.append(("end", t.step))

    every2 = []
    trainer = make_trainer(
        tmp_path,
        callbacks=[
            Recorder(),
            LambdaCallback(lambda t: every2.append(t.step), every=2, unit="step"),
            lambda t: every2.append(-t.step),
        ],
    )
    trainer.fit(make_loader(n=6, batch=2), epochs=2)
    assert events == [
        ("start", 0),
        ("step", 1),
        ("step", 2),
        ("step", 3),
        ("epoch", 1),
        ("step", 4),
        ("step", 5),
        ("step", 6),
        ("epoch", 2),
        ("end", 6),
    ]
    assert [s for s in every2 if s > 0] == [2, 4, 6]
    assert [-s for s in every2 if s < 0] == [1, 2, 3, 4, 5, 6]


def test_main_process_only_callbacks_skip_other_ranks(tmp_path, monkeypatch):
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "2")
    ran = []
    trainer = make_trainer(
        tmp_path,
        callbacks=[
            LambdaCallback(lambda t: ran.append("main"), unit="step"),
            LambdaCallback(lambda t: ran.append("all"), unit="step", main_process_only=False),
        ],
    )
    assert not trainer.is_main_process
    trainer.run_callbacks("on_step_end")
    assert ran == ["all"]
    assert trainer.save_checkpoint() is None  # only rank 0 writes


# ----------------------------------------------------------------------------- misuse


def test_batch_shape_not_fitting_is_a_clear_error(tmp_path):
    trainer = make_trainer(tmp_path)
    bad = DataLoader(torch.rand(8, 1, 4, 5), batch_size=2)
    with pytest.raises(ValueError, match=r"\(2, 1, 4, 5\).*\(2, 1, 4, 4\)"):
        trainer.fit(bad, steps=1)


def test_critic_not_fitting_generator_is_a_clear_error(tmp_path):
    g = TinyGenerator(shape=(1, 4, 5))
    trainer = Trainer(
        g, TinyCritic(), Wasserstein(), GradientPenalty(), device="cpu", out_dir=tmp_path
    )
    with pytest.raises(ValueError, match=r"critic TinyCritic failed.*\(2, 1, 4, 5\)"):
        trainer.fit(DataLoader(torch.rand(8, 1, 4, 5), batch_size=2), steps=1)


def test_critic_scores_must_be_batch_shaped(tmp_path):
    class Bad(TinyCritic):
        def forward(self, x, labels=None):
            return super().forward(x, labels)[:, None]  # (batch, 1)

    trainer = Trainer(
        TinyGenerator(), Bad(), Wasserstein(), GradientPenalty(), device="cpu", out_dir=tmp_path
    )
    with pytest.raises(ValueError, match=r"shape \(batch,\) = \(2,\), got \(2, 1\)"):
        trainer.fit(make_loader(), steps=1)


def test_labels_to_unconditional_and_missing_labels(tmp_path):
    trainer = make_trainer(tmp_path)
    with pytest.raises(ValueError, match="unconditional"):
        trainer.fit(make_loader(num_classes=3), steps=1)
    conditional = make_trainer(tmp_path / "c", num_classes=3)
    with pytest.raises(ValueError, match="conditional"):
        conditional.fit(make_loader(), steps=1)
    x = torch.rand(4, *SHAPE)
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        conditional.fit(
            DataLoader(TensorDataset(x, torch.tensor([0, 1, 2, 3])), batch_size=4), steps=1
        )


def test_wasserstein_without_constraint_warns(tmp_path):
    with pytest.warns(UserWarning, match="Lipschitz"):
        make_trainer(tmp_path, penalty=None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        make_trainer(tmp_path, penalty=None, weight_clip=0.01)
        make_trainer(tmp_path)  # with a gradient penalty
        d = TinyCritic()
        d.head = nn.utils.parametrizations.spectral_norm(d.head)
        d.body[1] = nn.utils.parametrizations.spectral_norm(d.body[1])
        Trainer(TinyGenerator(), d, Wasserstein(), device="cpu", out_dir=tmp_path)


def test_batchnorm_in_penalized_critic_warns(tmp_path):
    with pytest.warns(UserWarning, match="(?i)batch ?norm"):
        Trainer(
            TinyGenerator(),
            TinyCritic(batchnorm=True),
            Wasserstein(),
            GradientPenalty(),
            device="cpu",
            out_dir=tmp_path,
        )


def test_invalid_arguments(tmp_path):
    with pytest.raises(ValueError, match="critic_steps"):
        make_trainer(tmp_path, critic_steps=0)
    with pytest.raises(ValueError, match="on_nan"):
        make_trainer(tmp_path, on_nan="ignore")
    with pytest.raises(ValueError, match="grad_clip"):
        make_trainer(tmp_path, grad_clip=-1.0)
    trainer = make_trainer(tmp_path, critic_steps=5)
    with pytest.raises(ValueError, match="epochs=... or steps"):
        trainer.fit(make_loader())
    with pytest.raises(ValueError, match="fewer than critic_steps=5"):
        trainer.fit(make_loader(n=8, batch=2), steps=1)
    with pytest.raises(ValueError, match=r"x or \(x, labels\)"):
        make_trainer(tmp_path / "b").fit([(torch.rand(2, *SHAPE), 0, 1)], steps=1)


# ----------------------------------------------------------------------------- NaN


class PoisonedCritic(TinyCritic):
    """Returns NaN scores once ``poison`` is set."""

    poison = False

    def forward(self, x, labels=None):
        out = super().forward(x, labels)
        return out * float("nan") if self.poison else out


def _poison_at(step: int):
    def fn(t: Trainer) -> None:
        if t.step == step:
            t.critic.poison = True

    return LambdaCallback(fn, every=1, unit="step", main_process_only=False)


def test_nan_loss_raises_naming_step_and_loss_and_keeps_last_checkpoint(tmp_path):
    from audiogan.train.callbacks.checkpoint import CheckpointCallback
    from audiogan.train.checkpoints import latest_checkpoint, load_checkpoint

    torch.manual_seed(0)
    trainer = Trainer(
        TinyGenerator(),
        PoisonedCritic(),
        Wasserstein(),
        GradientPenalty(),
        device="cpu",
        out_dir=tmp_path,
        callbacks=[CheckpointCallback(every=1, unit="step"), _poison_at(3)],
    )
    with pytest.raises(NonFiniteLossError, match=r"step 4: the critic loss .* is nan"):
        trainer.fit(make_loader(), steps=10)
    newest = latest_checkpoint(tmp_path / "checkpoints")
    assert newest.name == "step_00000003.pt"
    state = load_checkpoint(newest)
    assert all(torch.isfinite(v).all() for v in state["critic"].values())
    assert all(torch.isfinite(p).all() for p in trainer.critic.parameters())  # no update with NaN


def test_nan_loss_skip_counts_and_leaves_weights_finite(tmp_path):
    torch.manual_seed(0)
    trainer = Trainer(
        TinyGenerator(),
        PoisonedCritic(),
        Wasserstein(),
        GradientPenalty(),
        device="cpu",
        out_dir=tmp_path,
        on_nan="skip",
        callbacks=[_poison_at(2)],
    )
    trainer.fit(make_loader(), steps=4)
    assert trainer.step == 4
    assert trainer.skipped_steps == 4  # steps 3 and 4: one critic and one generator update each
    assert trainer.metrics["skipped_steps"] == 4.0
    assert all(torch.isfinite(p).all() for p in trainer.critic.parameters())
    assert all(torch.isfinite(p).all() for p in trainer.generator.parameters())


# ----------------------------------------------------------------------------- schedulers


def _exp(gamma: float):
    return lambda opt: torch.optim.lr_scheduler.ExponentialLR(opt, gamma)


def test_schedulers_step_once_per_generator_step_and_are_logged(tmp_path):
    torch.manual_seed(0)
    g, d = TinyGenerator(), TinyCritic()
    d_opt = torch.optim.Adam(d.parameters(), lr=1e-3)
    trainer = Trainer(
        g,
        d,
        Wasserstein(),
        GradientPenalty(),
        critic_steps=2,
        device="cpu",
        out_dir=tmp_path,
        generator_lr=1e-3,
        generator_scheduler=_exp(0.5),
        critic_optimizer=d_opt,
        critic_scheduler=torch.optim.lr_scheduler.StepLR(d_opt, step_size=2, gamma=0.1),
    )
    trainer.fit(make_loader(n=16), steps=4)
    assert trainer.generator_optimizer.param_groups[0]["lr"] == pytest.approx(1e-3 * 0.5**4)
    assert trainer.critic_optimizer.param_groups[0]["lr"] == pytest.approx(1e-3 * 0.1**2)
    assert [h["generator_lr"] for h in trainer.history] == pytest.approx(
        [1e-3 * 0.5**k for k in (1, 2, 3, 4)]
    )
    with pytest.raises(ValueError, match="critic_scheduler schedules another optimizer"):
        Trainer(
            g,
            d,
            Wasserstein(),
            GradientPenalty(),
            device="cpu",
            out_dir=tmp_path,
            critic_scheduler=torch.optim.lr_scheduler.StepLR(d_opt, 1),
        )
    with pytest.raises(ValueError, match="generator_scheduler factory"):
        Trainer(
            g,
            d,
            Wasserstein(),
            GradientPenalty(),
            device="cpu",
            out_dir=tmp_path,
            generator_scheduler=lambda opt: 3,
        )


def test_schedulers_resume_exactly(tmp_path):
    def make(out):
        return make_trainer(out, generator_scheduler=_exp(0.9), critic_scheduler=_exp(0.8))

    straight = make(tmp_path / "s").fit(make_loader(), steps=6)
    make(tmp_path / "r").fit(make_loader(), steps=2)
    resumed = make(tmp_path / "r").fit(make_loader(), steps=6)
    assert resumed.history == straight.history
    assert resumed.generator_scheduler.state_dict() == straight.generator_scheduler.state_dict()
    assert (
        resumed.critic_optimizer.param_groups[0]["lr"]
        == straight.critic_optimizer.param_groups[0]["lr"]
    )


# ----------------------------------------------------------------------------- compile, syncs


def _conditional_pair(seed: int = 0):
    torch.manual_seed(seed)
    return TinyGenerator(num_classes=3), TinyCritic(num_classes=3)


def test_compiled_and_eager_steps_agree(tmp_path):
    runs = []
    for compile in (False, {"backend": "aot_eager", "fullgraph": True}):
        g, d = _conditional_pair()
        trainer = Trainer(
            g,
            d,
            Wasserstein(),
            GradientPenalty(10.0),
            critic_steps=2,
            device="cpu",
            out_dir=tmp_path / str(bool(compile)),
            compile=compile,
            seed=3,
        )
        trainer.fit(make_loader(num_classes=3), steps=3)
        runs.append(trainer)
    eager, compiled = runs
    assert (
        compiled.calls.critic is not compiled.critic
        and compiled.calls.critic_eager is compiled.critic
    )
    for a, b in zip(eager.generator.parameters(), compiled.generator.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    for a, b in zip(eager.critic.parameters(), compiled.critic.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    assert compiled.history[-1]["penalty"] == pytest.approx(eager.history[-1]["penalty"], rel=1e-4)


@pytest.mark.slow
def test_trainer_compile_true_uses_inductor_and_agrees(tmp_path):
    runs = []
    for compile in (False, True):
        g, d = _conditional_pair()
        trainer = Trainer(
            g,
            d,
            Wasserstein(),
            GradientPenalty(10.0),
            critic_steps=2,
            device="cpu",
            out_dir=tmp_path / str(compile),
            compile=compile,
            seed=3,
        )
        runs.append(trainer.fit(make_loader(num_classes=3), steps=2))
    for a, b in zip(runs[0].generator.parameters(), runs[1].generator.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_a_step_reads_the_device_once(tmp_path, monkeypatch):
    """With the NaN check deferred (as on an accelerator), a step has exactly one host read.

    Reads inside torch.optim are not counted: Adam keeps its step counters on the host, where
    reading them costs no device sync.
    """
    g, d = _conditional_pair()
    trainer = Trainer(
        g,
        d,
        Wasserstein(),
        GradientPenalty(10.0),
        critic_steps=3,
        device="cpu",
        out_dir=tmp_path,
        generator_scheduler=_exp(0.9),
    )
    trainer.loss_guard.defer = True
    loader = make_loader(num_classes=3)
    batches = [trainer.prepare(b) for b, _ in zip(loader, range(3), strict=False)]
    reads = []
    for name in ("item", "tolist", "__bool__", "__int__", "__float__"):
        original = getattr(torch.Tensor, name)

        def counting(self, *a, _original=original, _name=name, **k):
            if not any("torch/optim/" in f.filename for f in traceback.extract_stack()):
                reads.append(_name)
            return _original(self, *a, **k)

        monkeypatch.setattr(torch.Tensor, name, counting)
    trainer.train_step(batches)
    monkeypatch.undo()
    assert reads == ["tolist"]


def test_deferred_nan_check_names_the_bad_update(tmp_path):
    torch.manual_seed(0)
    trainer = Trainer(
        TinyGenerator(),
        PoisonedCritic(),
        Wasserstein(),
        GradientPenalty(),
        critic_steps=2,
        device="cpu",
        out_dir=tmp_path,
        callbacks=[_poison_at(2)],
    )
    trainer.loss_guard.defer = True
    with pytest.raises(
        NonFiniteLossError, match=r"step 3: the critic loss \(critic step 1 of 2\) is nan"
    ):
        trainer.fit(make_loader(), steps=5)


# ----------------------------------------------------------------------------- boilerplate the library owns


def test_precision_auto_is_float32_on_the_cpu(tmp_path):
    trainer = make_trainer(tmp_path)
    assert trainer.precision.name == "32"
    assert Precision("auto", torch.device("cpu")).dtype is None


@pytest.mark.cuda
def test_precision_auto_is_bf16_on_cuda_where_supported():
    want = "bf16" if torch.cuda.is_bf16_supported() else "32"
    assert Precision("auto", torch.device("cuda", 0)).name == want


def test_summary_and_frontend_metadata(tmp_path):
    from audiogan.frontends import LogMel

    frontend = LogMel(sample_rate=8000, n_fft=64, hop_length=16, n_mels=4, frames=4)
    trainer = make_trainer(tmp_path, frontend=frontend, critic_steps=2)
    assert trainer.metadata["frontend"]["class"] == "LogMel"  # its registered name
    assert trainer.metadata["frontend"]["config"]["n_mels"] == 4
    line = trainer.summary(make_loader(n=16))
    assert "generator TinyGenerator" in line and "critic TinyCritic" in line
    assert "device cpu" in line and "precision 32" in line
    assert "8 batches per epoch (4 generator steps)" in line
