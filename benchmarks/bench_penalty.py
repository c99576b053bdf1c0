"""Micro-benchmark: the cost of critic penalties per critic step.

Times one critic optimization step (Wasserstein loss on a real and a fake batch, optional
penalty, backward, Adam step) of a small DCGAN-style Conv2d critic on ``(batch, 1, size, size)``
spectrogram-like inputs, with:

- no penalty,
- WGAN-GP every step, and lazily every 4 steps (value scaled by 4),
- R1 every step, and lazily every 16 steps (StyleGAN2's interval).

The lazy variants are averaged over whole multiples of 16 steps, so ms/step is the amortized
cost. Variants are interleaved over ``--rounds`` rounds and the fastest round is kept, which
makes the ratios usable on a busy machine. GPU timings use CUDA events; CPU timings use
``time.perf_counter`` after warm-up.

Usage::

    python benchmarks/bench_penalty.py --device cpu --size 32 --batch 8 --repeats 32
    python benchmarks/bench_penalty.py --device cuda --size 128 --batch 64 --precision bf16
"""

from __future__ import annotations

import argparse
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from audiogan.losses import GradientPenalty, R1Penalty, Wasserstein

LAZY_PERIOD = 16  # every lazy interval used here divides it


class BenchCritic(nn.Module):
    """A small DCGAN-style critic: three strided Conv2d + LeakyReLU, then a linear score.

    ``(batch, 1, size, size) -> (batch,)``; ``size`` must be divisible by 8.
    """

    def __init__(self, size: int, width: int = 32) -> None:
        super().__init__()
        if size % 8:
            raise ValueError(f"BenchCritic: size must be divisible by 8, got {size}")
        self.features = nn.Sequential(
            nn.Conv2d(1, width, 4, stride=2, padding=1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, 4, stride=2, padding=1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(2 * width, 4 * width, 4, stride=2, padding=1),
            nn.LeakyReLU(0.2),
        )
        self.head = nn.Linear(4 * width * (size // 8) ** 2, 1)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.head(self.features(x).flatten(1)).squeeze(1)


@dataclass
class Variant:
    name: str
    penalty: Callable[..., torch.Tensor] | None


def variants() -> list[Variant]:
    return [
        Variant("none", None),
        Variant("wgan-gp", GradientPenalty(weight=10.0)),
        Variant("wgan-gp lazy 4", GradientPenalty(weight=10.0, interval=4)),
        Variant("r1", R1Penalty(gamma=10.0)),
        Variant("r1 lazy 16", R1Penalty(gamma=10.0, interval=16)),
    ]


def make_step(
    critic: nn.Module,
    optimizer: torch.optim.Optimizer,
    real: torch.Tensor,
    fake: torch.Tensor,
    variant: Variant,
    precision: str,
) -> Callable[[int], None]:
    """One critic step as the Trainer does it; ``step(i)`` applies a lazy penalty when due."""
    objective = Wasserstein()
    device_type = real.device.type
    dtype = {"bf16": torch.bfloat16, "16": torch.float16}.get(precision)
    scaler = torch.amp.GradScaler(device_type) if precision == "16" else None

    def autocast() -> contextlib.AbstractContextManager[object]:
        if dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type, dtype=dtype)

    def step(i: int) -> None:
        optimizer.zero_grad(set_to_none=True)
        with autocast():
            loss = objective.critic_loss(critic(real), critic(fake))
            penalty = variant.penalty
            if penalty is not None and i % penalty.interval == 0:  # type: ignore[attr-defined]
                loss = loss + penalty(critic, real, fake, None, scaler)
        if scaler is None:
            loss.backward()
            optimizer.step()
        else:
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()

    return step


def time_steps(step: Callable[[int], None], n: int, device: torch.device) -> float:
    """Mean milliseconds per step over ``n`` steps."""
    if device.type == "cuda":
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        torch.cuda.synchronize(device)
        start.record()
        for i in range(n):
            step(i)
        end.record()
        torch.cuda.synchronize(device)
        return start.elapsed_time(end) / n
    t0 = time.perf_counter()
    for i in range(n):
        step(i)
    return (time.perf_counter() - t0) * 1e3 / n


def run(args: argparse.Namespace) -> dict[str, float]:
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit("bench_penalty: --device cuda given but no CUDA device is available")
    torch.manual_seed(0)
    torch.backends.cudnn.benchmark = True
    shape = (args.batch, 1, args.size, args.size)
    real = torch.rand(shape, device=device) * 2 - 1
    fake = torch.rand(shape, device=device) * 2 - 1
    n = -(-args.repeats // LAZY_PERIOD) * LAZY_PERIOD  # whole lazy periods
    steps = {}
    for variant in variants():
        critic = BenchCritic(args.size, args.width).to(device)
        optimizer = torch.optim.Adam(critic.parameters(), lr=1e-4, betas=(0.5, 0.9))
        steps[variant.name] = make_step(critic, optimizer, real, fake, variant, args.precision)
    for step in steps.values():  # warm-up: allocator, cuDNN autotuning, lazy init
        for i in range(args.warmup):
            step(i)
    best = {name: float("inf") for name in steps}
    for _ in range(args.rounds):
        for name, step in steps.items():
            best[name] = min(best[name], time_steps(step, n, device))
    return best


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--device", choices=["cpu", "cuda"], default="cuda" if torch.cuda.is_available() else "cpu"
    )
    parser.add_argument("--size", type=int, default=32, help="spectrogram side (divisible by 8)")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--width", type=int, default=32, help="channels of the first conv")
    parser.add_argument(
        "--repeats", type=int, default=32, help="timed steps per round (rounded up to 16s)"
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="interleaved rounds; the fastest is kept"
    )
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--precision", choices=["32", "bf16", "16"], default="32")
    parser.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: leave)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    results = run(args)
    device_name = (
        torch.cuda.get_device_name(args.device)
        if args.device == "cuda"
        else f"cpu ({torch.get_num_threads()} threads)"
    )
    print(
        f"critic step, {device_name}, torch {torch.__version__}, precision {args.precision}, "
        f"input ({args.batch}, 1, {args.size}, {args.size}), width {args.width}"
    )
    base = results["none"]
    print(f"{'variant':<16}{'ms/step':>10}{'vs none':>10}")
    for name, ms in results.items():
        print(f"{name:<16}{ms:>10.2f}{ms / base:>9.2f}x")


if __name__ == "__main__":
    main()
