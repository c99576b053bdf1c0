"""Hardening (issue 24): a torch without the ``weights_only`` bypass, a thread count that does not
oversubscribe a busy CPU, and MuseGAN's bf16 step on a CPU without NaN."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import torch

import audiogan.cli as cli
from audiogan.cli import main
from audiogan.losses import GradientPenalty, Wasserstein
from audiogan.nn import MuseCritic, MuseGenerator
from audiogan.train import Trainer
from audiogan.train.precision import Precision

ROOT = Path(__file__).resolve().parents[1]


def test_torch_floor_has_the_weights_only_fix() -> None:
    """torch < 2.6 runs code from ``torch.load(weights_only=True)`` files (CVE-2025-32434)."""
    text = (ROOT / "pyproject.toml").read_text()  # tomllib is Python 3.11+
    found = re.findall(r'^\s*"(torch|torchaudio)>=(\d+)\.(\d+)', text, flags=re.MULTILINE)
    floors = {name: (int(major), int(minor)) for name, major, minor in found}
    assert floors == {"torch": (2, 6), "torchaudio": (2, 6)}
    installed = tuple(int(p) for p in torch.__version__.split(".")[:2])
    assert installed >= (2, 6)


@pytest.mark.parametrize(
    ("cpus", "load", "threads"),
    [(2, 7.2, 1), (2, 1.0, 1), (2, 0.1, 2), (16, 3.4, 13), (16, 40.0, 1), (4, 0.0, 4)],
)
def test_default_threads_are_the_idle_cores(
    monkeypatch: pytest.MonkeyPatch, cpus: int, load: float, threads: int
) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: cpus)
    monkeypatch.setattr(os, "getloadavg", lambda: (load, load, load))
    monkeypatch.setattr(torch, "get_num_threads", lambda: cpus)  # torch's default: one per core
    assert cli._default_threads() == threads


def test_train_without_threads_uses_the_idle_cores(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A busy machine: ``audiogan train`` sets one thread before anything else; ``--threads``
    wins."""
    before = torch.get_num_threads()
    monkeypatch.setattr(os, "getloadavg", lambda: (64.0, 64.0, 64.0))
    try:
        torch.set_num_threads(2)
        # a setting out of range: the command stops after setting the threads, before training
        assert main(["train", "wgan-gp", "--out", str(tmp_path), "--set", "lr=-1"]) == 2
        assert torch.get_num_threads() == 1
        torch.set_num_threads(2)
        args = ["train", "wgan-gp", "--threads", "2", "--out", str(tmp_path), "--set", "lr=-1"]
        assert main(args) == 2
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
    capsys.readouterr()


def test_auto_precision_never_picks_bf16_on_a_cpu() -> None:
    assert Precision("auto", torch.device("cpu")).name == "32"


#: MuseGAN at the recipe's CPU width: the pitch convs (stride = kernel) oneDNN gets wrong in bf16
SHAPE, WIDTH, BATCH = (4, 2, 16, 84), 16, 16


@pytest.mark.parametrize("streams", [(), ("onset", "chroma")])
def test_musegan_critic_in_cpu_bf16_matches_float32(streams: tuple[str, ...]) -> None:
    """Under a CPU bf16 autocast the critic's scores are float32's to bf16 precision; before,
    oneDNN's bf16 pitch convs (on AVX512-BF16/AMX CPUs) gave errors as large as the scores, or
    NaN, different from call to call."""
    torch.manual_seed(1)
    critic = MuseCritic(in_shape=SHAPE, width=WIDTH, linear_width=8 * WIDTH, streams=streams)
    x = torch.rand(BATCH, *SHAPE) * 2 - 1
    with torch.no_grad():
        reference = critic(x)
        with torch.autocast("cpu", torch.bfloat16):
            runs = [critic(x).float() for _ in range(3)]
    scale = reference.abs().max()
    for scores in runs:
        assert torch.isfinite(scores).all()
        assert (scores - reference).abs().max() <= 0.05 * scale


def test_musegan_bf16_training_on_a_cpu_stays_finite_and_near_float32() -> None:
    """The book's MuseGAN (WGAN-GP, 5 critic steps) for 3 steps in bf16 and float32 on a CPU:
    finite (the first critic step of bf16 gave a NaN penalty) and within 10 % of float32."""
    real = [torch.where(torch.rand(BATCH, *SHAPE) < 0.05, 1.0, -1.0) for _ in range(5)]
    history = {}
    for precision in ("bf16", "32"):
        torch.manual_seed(1)
        generator = MuseGenerator(32, SHAPE, width=8 * WIDTH, linear_width=8 * WIDTH)
        critic = MuseCritic(in_shape=SHAPE, width=WIDTH, linear_width=8 * WIDTH)
        trainer = Trainer(
            generator,
            critic,
            Wasserstein(),
            GradientPenalty(weight=10.0),
            generator_lr=1e-3,
            critic_lr=1e-3,
            betas=(0.5, 0.9),
            critic_steps=5,
            precision=precision,
            device="cpu",
            seed=0,
        )
        trainer.fit(real, steps=3, resume=False)
        history[precision] = trainer.history
    assert len(history["bf16"]) == 3
    for bf16, fp32 in zip(history["bf16"], history["32"], strict=True):
        for key in ("critic_loss", "penalty", "generator_loss"):
            assert abs(bf16[key] - fp32[key]) <= 0.1 * abs(fp32[key]) + 0.05, (key, bf16, fp32)


def test_default_threads_without_a_load_average(monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows has no ``os.getloadavg``: torch's own count stays."""
    monkeypatch.delattr(os, "getloadavg", raising=False)
    monkeypatch.setattr(torch, "get_num_threads", lambda: 6)
    assert cli._default_threads() == 6
