"""Benchmark: full training iterations of the conditional WGAN-GP and its variants, in one run.

One iteration is what :meth:`audiogan.train.Trainer.train_step` does for one generator step:
``n_critic`` critic updates (each with a fresh fake batch and, when due, the penalty) and one
generator update. Variants:

- ``fp32``: the conditional WGAN-GP's recipe, the penalty on every critic step;
- ``channels_last``: the same with ``Trainer(channels_last=True)`` (models and batches NHWC);
- ``gp_lazy4``: the gradient penalty every 4th critic step, scaled by 4;
- ``r1_lazy16``: non-saturating loss with R1 every 16th critic step (StyleGAN2's recipe);
- ``bf16`` and ``fp16`` (CUDA only): autocast, with GradScalers and the AMP penalty recipe for fp16.

Variants are interleaved round by round and each one's median is reported with its ratio to
``fp32``: the machine may be busy, so compare ratios from one run, not times across runs. On CUDA
the time is measured with CUDA events, on CPU with ``time.perf_counter``. The FLOP count of one
fp32 iteration (gradient penalty included) is taken with a dispatch-mode counter, because
``FlopCounterMode`` cannot follow ``autograd.grad(create_graph=True)``.

Usage::

    python benchmarks/bench_train_step.py                             # CPU: 64x64, batch 32 (the demo)
    python benchmarks/bench_train_step.py --size full --device cuda   # 1x128x256, batch 16
    python benchmarks/bench_train_step.py --size tiny --rounds 2      # a quick check
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import FlopCounterMode

from audiogan.losses import GradientPenalty, NonSaturating, R1Penalty, Wasserstein
from audiogan.nn import ConvCritic2d, ConvGenerator2d
from audiogan.train import Batch, Trainer
from audiogan.train.layout import to_channels_last

N_CLASSES = 5


@dataclass(frozen=True)
class Size:
    """Model and batch sizes of one benchmark configuration."""

    shape: tuple[int, int, int]  # (channels, freq, frames)
    batch: int
    generator_channels: int  # ConvGenerator2d base_channels
    critic_channels: int  # ConvCritic2d base_channels


SIZES = {
    # the conditional WGAN-GP at full size: 1x128x256 log-mel, batch 16, generator 512-256-128-64,
    # critic 32-64-128-256
    "full": Size((1, 128, 256), 16, 512, 32),
    # the CPU default of the wgan-gp recipe
    "demo": Size((1, 64, 64), 32, 256, 16),
    "tiny": Size((1, 16, 16), 8, 64, 8),
}


def build(
    size: Size, variant: str, device: torch.device, seed: int = 0
) -> tuple[Trainer, list[Batch]]:
    """A trainer for ``variant`` and ``n_critic`` fixed real batches on ``device``."""
    torch.manual_seed(seed)
    G = ConvGenerator2d(
        100, size.shape, num_classes=N_CLASSES, embed_dim=16, base_channels=size.generator_channels
    )
    D = ConvCritic2d(
        size.shape, num_classes=N_CLASSES, embed_dim=16, base_channels=size.critic_channels
    )
    objective, penalty = Wasserstein(), GradientPenalty(weight=10.0)
    if variant == "gp_lazy4":
        penalty = GradientPenalty(weight=10.0, interval=4)
    elif variant == "r1_lazy16":
        objective, penalty = NonSaturating(), R1Penalty(gamma=10.0, interval=16)
    precision = {"bf16": "bf16", "fp16": "16"}.get(variant, "32")
    out_dir = Path(tempfile.gettempdir()) / "audiogan-bench"  # train_step never writes there
    trainer = Trainer(
        G,
        D,
        objective,
        penalty,
        n_critic=5,
        precision=precision,
        device=device,
        out_dir=out_dir,
        seed=seed,
        channels_last=variant == "channels_last",
    )
    batches = []
    for _ in range(trainer.n_critic):
        real = torch.rand(size.batch, *size.shape, device=device) * 2 - 1
        labels = torch.randint(0, N_CLASSES, (size.batch,), device=device)
        if trainer.channels_last:  # what the Trainer does to each loader batch
            real = to_channels_last(real)
        batches.append(Batch(real, labels))
    return trainer, batches


class _FlopCounter(TorchDispatchMode):
    """Counts FLOPs of every op with a formula in FlopCounterMode's registry (double backward too)."""

    def __init__(self) -> None:
        super().__init__()
        self.registry = FlopCounterMode().flop_registry
        self.flops = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        formula = self.registry.get(func._overloadpacket)
        if formula is not None:
            self.flops += formula(*args, **kwargs, out_val=out)
        return out


def iteration_flops(size: Size, device: torch.device) -> int:
    """FLOPs of one fp32 WGAN-GP iteration (5 critic steps with GP + 1 generator step)."""
    trainer, batches = build(size, "fp32", device)
    counter = _FlopCounter()
    with counter:
        trainer.train_step(batches)
    return counter.flops


def timer(device: torch.device) -> Callable[[Callable[[], None]], float]:
    """A function that runs ``fn`` once and returns its wall time in seconds."""
    if device.type == "cuda":

        def run(fn: Callable[[], None]) -> float:
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            fn()
            end.record()
            torch.cuda.synchronize()
            return start.elapsed_time(end) / 1000.0

        return run

    def run_cpu(fn: Callable[[], None]) -> float:
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start

    return run_cpu


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Time WGAN-GP training iterations and their variants."
    )
    parser.add_argument(
        "--size",
        choices=sorted(SIZES),
        default=None,
        help="model/batch size (default: 'full' on CUDA, 'demo' on CPU)",
    )
    parser.add_argument("--device", default="auto", help="'auto', 'cpu' or 'cuda'")
    parser.add_argument(
        "--rounds", type=int, default=3, help="interleaved rounds (median reported)"
    )
    parser.add_argument(
        "--iters",
        type=int,
        default=16,
        help="iterations per variant per round (a multiple of 16 amortizes the lazy penalties)",
    )
    parser.add_argument("--variants", nargs="*", default=None, help="subset of variants to run")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads on CPU")
    args = parser.parse_args(argv)

    device = torch.device(
        ("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" else args.device
    )
    if args.threads:
        torch.set_num_threads(args.threads)
    size = SIZES[args.size or ("full" if device.type == "cuda" else "demo")]
    variants = ["fp32", "channels_last", "gp_lazy4", "r1_lazy16"]
    if device.type == "cuda":
        variants += ["bf16", "fp16"]
    if args.variants:
        unknown = set(args.variants) - set(variants)
        if unknown:
            parser.error(
                f"unknown variants for {device.type}: {sorted(unknown)}; choose from {variants}"
            )
        variants = [v for v in variants if v in args.variants]

    name = (
        torch.cuda.get_device_name(device)
        if device.type == "cuda"
        else f"CPU, {torch.get_num_threads()} threads"
    )
    print(f"device: {name} | torch {torch.__version__}")
    print(
        f"model: ConvGenerator2d/ConvCritic2d {size.shape}, batch {size.batch}, "
        f"generator base {size.generator_channels}, critic base {size.critic_channels}, "
        "5 critic steps + 1 generator step"
    )
    flops = iteration_flops(size, device)
    print(f"one fp32 WGAN-GP iteration: {flops / 1e9:.1f} GFLOP")

    run = timer(device)
    setups = {v: build(size, v, device) for v in variants}
    for trainer, batches in setups.values():  # warm-up: allocator, cuDNN autotuning, lazy init
        for _ in range(2):
            trainer.train_step(batches)
    times: dict[str, list[float]] = {v: [] for v in variants}
    for r in range(args.rounds):
        for v in variants:
            trainer, batches = setups[v]

            def iterations(trainer: Trainer = trainer, batches: list[Batch] = batches) -> None:
                for _ in range(args.iters):
                    trainer.train_step(batches)

            times[v].append(run(iterations) / args.iters)
        print(
            f"round {r + 1}/{args.rounds}: "
            + ", ".join(f"{v} {times[v][-1] * 1e3:.0f} ms" for v in variants)
        )

    base = statistics.median(times["fp32"]) if "fp32" in times else None
    print(f"\n{'variant':<15}{'ms/iter':>10}{'vs fp32':>10}{'GFLOP/s*':>10}")
    for v in variants:
        t = statistics.median(times[v])
        ratio = f"{t / base:.2f}x" if base else "-"
        print(f"{v:<15}{t * 1e3:>10.1f}{ratio:>10}{flops / t / 1e9:>10.1f}")
    print(
        "* fp32 WGAN-GP FLOPs / time: the lazy variants do fewer FLOPs, so theirs is an effective rate"
    )


if __name__ == "__main__":
    main()
