"""Benchmark: one generator step of four GANs, against a hand-written loop and the hardware.

A *step* is what :meth:`audiogan.train.Trainer.train_step` does for one generator update: its
``critic_steps`` critic updates, then the generator update. Four systems, each at a GPU size, a CPU
size that runs in seconds, and a tiny ``--quick`` size:

- ``cgan``: the conditional WGAN-GP (recipe ``wgan-gp``): ConvGenerator2d / ConvCritic2d with a
  label embedding, Wasserstein loss, gradient penalty 10, 5 critic steps, Adam 1e-4 (0.5, 0.9);
  1x128x256 log-mels at batch 64 on a GPU, 1x64x64 at batch 32 on a CPU.
- ``musegan``: MuseGenerator / MuseCritic (Conv3d) on (4, 2, 16, 84) piano rolls, WGAN-GP, 5
  critic steps, Adam 1e-3; width 128 at batch 64 on a GPU, width 16 at batch 16 on a CPU.
- ``resnet9``: the ResNet-9 GAN: ConvGenerator2d against a ResNet-9 critic, BCE, one
  critic step, TTUR (2e-4 / 2e-5); the recipe's full size on a GPU, its CPU defaults on a CPU.
- ``hifigan``: the HiFi-GAN vocoder step of the ``vocoder`` recipe: HiFiGANGenerator on LogMel
  features against CriticEnsemble(MultiPeriodCritic, MultiScaleCritic), least
  squares, ``45 * mel L1 + 2 * feature matching``, Adam 2e-4 (0.8, 0.99), 8192-sample segments;
  the recipe's ``full_size`` on a GPU (V1, 512 channels, HiFi-GAN's critics, batch 16,
  128 mels), its CPU defaults on a CPU (V3 with 32 channels, critics 1/8 as wide, batch
  8, 64 mels).

Each system is timed as these variants, interleaved round by round in one run:

- ``reference``: the source system's own loop in plain PyTorch on the same modules and data (no
  audiogan code in the loop), imported from the examples (``wgan_gp_step`` of
  ``examples/plain_wgan_gp.py``, ``hifigan_step`` of ``examples/plain_hifigan.py``; the BCE loop
  of the ResNet-9 GAN is written here): fake made with grad then detached (MuseGAN: under
  ``no_grad``, as its book does), a per-sample gradient penalty through
  ``autograd.grad(create_graph=True)``, ``zero_grad`` / ``backward`` / ``step`` with Adam, the
  critic not frozen in the generator update, each loss read with ``.item()`` after its update
  (HiFi-GAN: its own ``train.py`` step, one fake reused by both updates, no ``.item()``);
- ``trainer``: ``Trainer.train_step`` at the same settings (fp32, PyTorch's default Adam, eager);
- ``bf16`` (CUDA, or a CPU with AVX512-BF16/AMX), ``fp16`` (CUDA): ``Trainer(precision=...)``;
- ``channels_last``: ``Trainer(channels_last=True)`` (batches made by ``prepare_batch`` too);
- ``adam_foreach``, ``adam_fused``: ``torch.optim.Adam(foreach=True)`` / ``(fused=True)``;
- ``compile``: ``Trainer(compile=True)`` (its warm-up, the compilation, is not timed);
- ``gp_lazy4``: ``GradientPenalty(interval=4)`` (the systems with a penalty);
- ``fresh_fake`` (paired GANs: ``hifigan``): the Trainer's step before it reused one fake, a
  fresh fake made for the generator update (``Trainer.reuse_fake = False``); ``trainer``
  against it is what reusing the critic's fake saves;
- ``fastest``: the winners composed (each of the precision, layout, optimizer, compile and lazy
  choices that beat ``trainer``), then timed again beside ``reference`` and ``trainer``.

The FLOPs of a step are counted with a dispatch-mode counter that follows the gradient
penalty's double backward (``FlopCounterMode`` cannot); a lazy step's count is the mean over a
whole period. The machine's peak is measured in the same run: a large matmul and a large 3x3
convolution in each dtype a variant computes in. Times on CUDA come from CUDA events, on a CPU
from ``time.perf_counter`` with one intra-op thread (``--threads``).

Usage::

    python benchmarks/train_step.py                      # CUDA sizes on a GPU, else CPU sizes
    python benchmarks/train_step.py --quick              # tiny sizes, seconds (the tests run it)
    python benchmarks/train_step.py --systems cgan --skip compile --json cgan.json
    python benchmarks/train_step.py --fastest bf16,channels_last,adam_fused,gp_lazy4
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from _machine import machine  # benchmarks/_machine.py, beside this script
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import FlopCounterMode

from audiogan.losses import (
    GradientPenalty,
    LeastSquares,
    MelReconstructionLoss,
    NonSaturating,
    Wasserstein,
    feature_matching_term,
)
from audiogan.recipes import musegan as musegan_recipe
from audiogan.recipes import resnet9_gan, vocoder, wgan_gp
from audiogan.recipes.spectrogram import logmel
from audiogan.train import Batch, Trainer
from audiogan.train.batches import prepare_batch

# The reference loops are the plain-PyTorch examples' (examples/plain_*.py), imported from there.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
from plain_hifigan import hifigan_mel, hifigan_step  # noqa: E402
from plain_wgan_gp import wgan_gp_step  # noqa: E402

SYSTEMS = ("cgan", "musegan", "resnet9", "hifigan")
SIZES = ("gpu", "cpu", "quick")

# ---------------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class Setting:
    """How a Trainer step is configured; the defaults are the ``trainer`` variant."""

    precision: str = "32"  # Trainer precision: "32", "bf16" or "16"
    channels_last: bool = False
    adam: str = "default"  # "default" (PyTorch picks), "foreach" or "fused"
    compile: bool = False
    penalty_interval: int = 1
    reuse_fake: bool = True  # a paired GAN's generator update reuses the critic's last fake

    def merged(self, other: Setting) -> Setting:
        """This setting with every field that ``other`` changes from the defaults."""
        changes = {
            f.name: getattr(other, f.name)
            for f in dataclasses.fields(other)
            if getattr(other, f.name) != f.default
        }
        return dataclasses.replace(self, **changes)

    @property
    def dtype(self) -> torch.dtype:
        """The dtype the step's convolutions and matmuls compute in."""
        return {"32": torch.float32, "bf16": torch.bfloat16, "16": torch.float16}[self.precision]


#: The single-change variants and what each changes; ``reference`` and ``fastest`` are special.
VARIANTS: dict[str, Setting] = {
    "trainer": Setting(),
    "bf16": Setting(precision="bf16"),
    "fp16": Setting(precision="16"),
    "channels_last": Setting(channels_last=True),
    "adam_foreach": Setting(adam="foreach"),
    "adam_fused": Setting(adam="fused"),
    "compile": Setting(compile=True),
    "gp_lazy4": Setting(penalty_interval=4),
    "fresh_fake": Setting(reuse_fake=False),
}
ALL_VARIANTS = ("reference", *VARIANTS, "fastest")
BASELINES = ("reference", "trainer")  # always run: every ratio is taken against them
#: Alternatives of one choice: ``fastest`` takes the best of each group that beats ``trainer``.
CHOICES = (
    ("bf16", "fp16"),
    ("channels_last",),
    ("adam_foreach", "adam_fused"),
    ("compile",),
    ("gp_lazy4",),
)
LAZY_PERIOD = 4  # the lazy variant's interval: timed blocks are whole multiples of it


def native_cpu_bf16() -> bool:
    """Whether this CPU computes bf16 natively (AVX512-BF16 or AMX); else bf16 is emulated."""
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(bool(getattr(torch.cpu, name, lambda: False)()) for name in checks)


def unavailable(variant: str, system: System, device: torch.device) -> str | None:
    """Why ``variant`` cannot run for ``system`` on ``device``, or None."""
    if variant == "fp16" and device.type != "cuda":
        return "fp16 autocast with GradScaler needs CUDA"
    if variant == "bf16" and device.type == "cpu" and not native_cpu_bf16():
        return "this CPU has no AVX512-BF16/AMX: bf16 would be emulated"
    if variant == "gp_lazy4" and system.penalty is None:
        return "no gradient penalty in this system"
    if variant == "fresh_fake" and system.generator_input is None:
        return "a sampling GAN: its generator update always draws a fresh latent"
    return None


# ------------------------------------------------------------------------------ FLOP counting


class FlopCounter(TorchDispatchMode):
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


def count_flops(step: Callable[[], object], steps: int = 1) -> float:
    """Mean FLOPs of one call of ``step`` over ``steps`` calls."""
    counter = FlopCounter()
    with counter:
        for _ in range(steps):
            step()
    return counter.flops / steps


# ------------------------------------------------------------------------- reference loops


def wgan_gp_reference(
    G: nn.Module,
    D: nn.Module,
    batches: Sequence[Batch],
    lr: float,
    betas: tuple[float, float],
    fake_with_grad: bool,
) -> Callable[[], None]:
    """The WGAN-GP loop of the conditional WGAN-GP and MuseGAN sources (one generator step):
    ``wgan_gp_step`` of ``examples/plain_wgan_gp.py`` on the batches' ``(real, labels)``."""
    g_opt = torch.optim.Adam(G.parameters(), lr=lr, betas=betas)
    d_opt = torch.optim.Adam(D.parameters(), lr=lr, betas=betas)
    pairs = [(batch.real, batch.labels) for batch in batches]

    def step() -> None:
        wgan_gp_step(G, D, g_opt, d_opt, pairs, gp_weight=10.0, fake_with_grad=fake_with_grad)

    return step


def bce_reference(
    G: nn.Module,
    D: nn.Module,
    batches: Sequence[Batch],
    g_lr: float,
    d_lr: float,
    betas: tuple[float, float],
) -> Callable[[], None]:
    """The BCE loop of the one-hot cGAN and ResNet-9 GAN sources: a new fake for the generator."""
    g_opt = torch.optim.Adam(G.parameters(), lr=g_lr, betas=betas)
    d_opt = torch.optim.Adam(D.parameters(), lr=d_lr, betas=betas)
    bce = nn.BCEWithLogitsLoss()
    device = batches[0].real.device

    def step() -> None:
        for batch in batches:
            real = batch.real
            fake = G(G.sample_latent(real.shape[0], device=device))
            d_real, d_fake = D(real), D(fake.detach())
            d_loss = bce(d_real, torch.ones_like(d_real)) + bce(d_fake, torch.zeros_like(d_fake))
            d_opt.zero_grad()
            d_loss.backward()
            d_opt.step()
            d_loss.item()
        fake = G(G.sample_latent(batches[-1].real.shape[0], device=device))
        d_fake = D(fake)
        g_loss = bce(d_fake, torch.ones_like(d_fake))
        g_opt.zero_grad()
        g_loss.backward()
        g_opt.step()
        g_loss.item()

    return step


def hifigan_reference(
    G: nn.Module,
    D: nn.Module,
    batches: Sequence[Batch],
    lr: float,
    betas: tuple[float, float],
    mel: dict[str, Any],
) -> Callable[[], None]:
    """HiFi-GAN's ``train.py`` step (``hifigan_step`` of ``examples/plain_hifigan.py``): one fake,
    detached for the critic, reused by the generator; its own log-mel for the mel loss."""
    g_opt = torch.optim.Adam(G.parameters(), lr=lr, betas=betas)
    d_opt = torch.optim.Adam(D.parameters(), lr=lr, betas=betas)
    keys = ("sample_rate", "n_fft", "hop_length", "n_mels")
    mel_spectrogram = hifigan_mel(*(mel[k] for k in keys), device=batches[0].real.device)

    def step() -> None:
        for batch in batches:
            hifigan_step(G, D, g_opt, d_opt, batch.real, batch.inputs, mel_spectrogram)

    return step


# --------------------------------------------------------------------------------- systems


@dataclass
class System:
    """One GAN: its models, data, Trainer arguments and hand-written reference step.

    Attributes:
        models: Fresh generator and critic, the same initial weights on every call.
        raw_batches: ``critic_steps`` loader batches on the device (what ``prepare_batch`` takes).
        penalty: ``interval -> penalty`` or None.
        reference: ``(G, D, batches) -> step()``: the source system's loop.
    """

    name: str
    summary: str
    size: dict[str, Any]
    models: Callable[[], tuple[nn.Module, nn.Module]]
    raw_batches: list[Any]
    objective: Any
    penalty: Callable[[int], Any] | None
    critic_steps: int
    generator_lr: float
    critic_lr: float
    betas: tuple[float, float]
    reference: Callable[[nn.Module, nn.Module, list[Batch]], Callable[[], None]]
    generator_input: Callable[[torch.Tensor], torch.Tensor] | None = None
    generator_losses: dict[str, Any] | None = None


def seeded(build: Callable[[], tuple[nn.Module, nn.Module]]) -> Callable[[], Any]:
    """``build`` run after ``torch.manual_seed(0)``: every variant starts from the same weights."""

    def models() -> tuple[nn.Module, nn.Module]:
        torch.manual_seed(0)
        return build()

    return models


def cgan(size: str, device: torch.device) -> System:
    """The conditional WGAN-GP (recipe ``wgan-gp``; its ``full_size`` on a GPU)."""
    s = {
        "gpu": {"shape": (1, 128, 256), "batch": 64, "channels": 32},
        "cpu": {"shape": (1, 64, 64), "batch": 32, "channels": 16},
        "quick": {"shape": (1, 16, 16), "batch": 4, "channels": 2},
    }[size]
    shape, classes = s["shape"], 5

    config = wgan_gp.Config(  # the recipe's models: 4 stages, width 16 * channels for G
        n_mels=shape[1], frames=shape[2], width=s["channels"], critic_width=s["channels"]
    )

    def build() -> tuple[nn.Module, nn.Module]:
        return wgan_gp.models(config, num_classes=classes)

    g = torch.Generator(device="cpu").manual_seed(1)
    raw = [
        (
            (torch.rand(s["batch"], *shape, generator=g) * 2 - 1).to(device),
            torch.randint(0, classes, (s["batch"],), generator=g).to(device),
        )
        for _ in range(5)
    ]
    return System(
        "cgan",
        f"conditional WGAN-GP, ConvGenerator2d/ConvCritic2d {shape}, batch {s['batch']}, "
        f"critic width {s['channels']}, 5 critic steps",
        {**s, "num_classes": classes},
        seeded(build),
        raw,
        Wasserstein(),
        lambda interval: GradientPenalty(weight=10.0, interval=interval),
        5,
        1e-4,
        1e-4,
        (0.5, 0.9),
        lambda G, D, b: wgan_gp_reference(G, D, b, 1e-4, (0.5, 0.9), fake_with_grad=True),
    )


def musegan(size: str, device: torch.device) -> System:
    """MuseGAN as the book builds it (tanh outputs, transposed convs, no critic streams: the
    source system whose loop the reference is), at the ``musegan`` recipe's widths (128 and batch
    64, its ``full_size``, on a GPU)."""
    s = {
        "gpu": {"channels": 128, "batch": 64},
        "cpu": {"channels": 16, "batch": 16},
        "quick": {"channels": 2, "batch": 2},
    }[size]
    shape, c = (4, 2, 16, 84), s["channels"]

    book = musegan_recipe.Config(width=c, output="tanh", upsample="transposed", streams="")

    def build() -> tuple[nn.Module, nn.Module]:
        return musegan_recipe.models(book)

    g = torch.Generator(device="cpu").manual_seed(1)
    raw = [
        torch.where(torch.rand(s["batch"], *shape, generator=g) < 0.05, 1.0, -1.0).to(device)
        for _ in range(5)
    ]
    return System(
        "musegan",
        f"MuseGAN, MuseGenerator/MuseCritic {shape}, batch {s['batch']}, width {c}, 5 critic steps",
        {**s, "shape": shape},
        seeded(build),
        raw,
        Wasserstein(),
        lambda interval: GradientPenalty(weight=10.0, interval=interval),
        5,
        1e-3,
        1e-3,
        (0.5, 0.9),
        lambda G, D, b: wgan_gp_reference(G, D, b, 1e-3, (0.5, 0.9), fake_with_grad=False),
    )


def resnet9(size: str, device: torch.device) -> System:
    """The ResNet-9 GAN (recipe ``resnet9-gan``: its ``full_size`` on a GPU, defaults on a CPU)."""
    s = {
        "gpu": {"shape": (1, 128, 256), "batch": 64, "width": 64, "norm": "batch", "channels": 32},
        "cpu": {"shape": (1, 64, 64), "batch": 32, "width": 16, "norm": "spectral", "channels": 16},
        "quick": {"shape": (1, 16, 16), "batch": 4, "width": 2, "norm": "spectral", "channels": 2},
    }[size]
    shape = s["shape"]

    config = resnet9_gan.Config(
        n_mels=shape[1],
        frames=shape[2],
        width=s["channels"],
        critic_width=s["width"],
        norm=s["norm"],
        minibatch_std=0,
    )

    def build() -> tuple[nn.Module, nn.Module]:
        return resnet9_gan.models(config)

    g = torch.Generator(device="cpu").manual_seed(1)
    raw = [(torch.rand(s["batch"], *shape, generator=g) * 2 - 1).to(device)]
    return System(
        "resnet9",
        f"ResNet-9 GAN, ConvGenerator2d/ResNet9Critic {shape}, batch {s['batch']}, "
        f"width {s['width']} ({s['norm']} norm), 1 critic step",
        s,
        seeded(build),
        raw,
        NonSaturating(),
        None,
        1,
        2e-4,
        2e-5,
        (0.5, 0.999),
        lambda G, D, b: bce_reference(G, D, b, 2e-4, 2e-5, (0.5, 0.999)),
    )


def hifigan(size: str, device: torch.device) -> System:
    """The HiFi-GAN vocoder step with the ``vocoder`` recipe's models and log-mel input.

    Its ``full_size`` on a GPU (V1, 512 channels, HiFi-GAN's critics, batch 16, 128 mels),
    its CPU defaults on a CPU (V3 with 32 channels, critics 1/8 as wide, batch 8, 64 mels);
    segments of 32 frames (8192 samples) in both.
    """
    hifigan_mpd_msd = {"generator": "hifigan", "critic": "mpd+msd"}
    config = {
        "gpu": dataclasses.replace(vocoder.Config(**hifigan_mpd_msd), **vocoder.FULL_SIZE),
        "cpu": vocoder.Config(**hifigan_mpd_msd),
        "quick": vocoder.Config(
            **hifigan_mpd_msd,
            sample_rate=8000,
            n_fft=64,
            hop_length=16,
            n_mels=16,
            width=8,
            upsample_rates="4,4",
            critic_width=1,
            batch_size=2,
            segment_frames=64,
        ),
    }[size]
    frontend = logmel(config).to(device)
    mel_loss = MelReconstructionLoss.from_frontend(frontend).to(device)
    frames, batch = config.segment_frames, config.batch_size
    segment = frames * config.hop_length

    def mel_of(real: torch.Tensor) -> torch.Tensor:  # (B, 1, S) -> (B, n_mels, frames)
        return frontend.encode(real[:, 0])[:, 0, :, :frames]

    def build() -> tuple[nn.Module, nn.Module]:
        return vocoder.models(config)

    g = torch.Generator(device="cpu").manual_seed(1)
    t = torch.arange(segment) / config.sample_rate
    f0 = 110 * 2 ** (torch.rand(batch, 1, 1, generator=g) * 3)
    noise = 0.05 * torch.randn(batch, 1, segment, generator=g)
    raw = [{"real": (0.5 * torch.sin(2 * math.pi * f0 * t) + noise).clamp(-1, 1).to(device)}]
    mel = {k: mel_loss.config[k] for k in ("sample_rate", "n_fft", "hop_length", "n_mels")}
    return System(
        "hifigan",
        f"HiFi-GAN vocoder (recipe vocoder), HiFiGANGenerator {config.preset} "
        f"(width {config.width}) vs MPD+MSD width {config.critic_width}, batch {batch} x "
        f"{segment} samples, {config.n_mels} mels, mel L1 x45 + FM x2",
        {
            "batch": batch,
            "segment": segment,
            "preset": config.preset,
            "width": config.width,
            "upsample_rates": config.upsample_rates,
            "critic_width": config.critic_width,
            "mel": mel,
        },
        seeded(build),
        raw,
        LeastSquares(),
        None,
        1,
        config.lr,
        config.lr,
        (0.8, 0.99),
        lambda G, D, b: hifigan_reference(G, D, b, config.lr, (0.8, 0.99), mel),
        generator_input=mel_of,
        generator_losses={
            "mel": (45.0, lambda step: mel_loss(step.fake, step.real)),
            "feature_matching": (2.0, feature_matching_term()),
        },
    )


BUILDERS: dict[str, Callable[[str, torch.device], System]] = {
    "cgan": cgan,
    "musegan": musegan,
    "resnet9": resnet9,
    "hifigan": hifigan,
}


def adam_factory(kind: str, lr: float, betas: tuple[float, float]) -> Any:
    """None (the Trainer's default Adam) or a factory ``params -> Adam(foreach | fused)``."""
    if kind == "default":
        return None
    return lambda params: torch.optim.Adam(params, lr=lr, betas=betas, **{kind: True})


def make_trainer(system: System, setting: Setting, device: torch.device) -> Trainer:
    """``system``'s Trainer configured as ``setting``."""
    G, D = system.models()
    penalty = None if system.penalty is None else system.penalty(setting.penalty_interval)
    trainer = Trainer(
        G,
        D,
        system.objective,
        penalty,
        generator_optimizer=adam_factory(setting.adam, system.generator_lr, system.betas),
        critic_optimizer=adam_factory(setting.adam, system.critic_lr, system.betas),
        generator_lr=system.generator_lr,
        critic_lr=system.critic_lr,
        betas=system.betas,
        critic_steps=system.critic_steps,
        precision=setting.precision,
        channels_last=setting.channels_last,
        compile=setting.compile,
        generator_input=system.generator_input,
        generator_losses=system.generator_losses,
        device=device,
        out_dir=Path(tempfile.gettempdir()) / "audiogan-bench",  # train_step writes nothing
        seed=0,
    )
    trainer.reuse_fake = setting.reuse_fake  # False: the step before one fake served both
    return trainer


def make_batches(system: System, setting: Setting, device: torch.device) -> list[Batch]:
    """The system's batches as the Trainer's loop would prepare them for ``setting``."""
    return [
        prepare_batch(
            raw,
            device,
            generator_input=system.generator_input,
            channels_last=setting.channels_last,
        )
        for raw in system.raw_batches
    ]


@dataclass
class Runner:
    """One timed variant: its step and what it computes."""

    name: str
    setting: Setting
    step: Callable[[], object]
    flops_key: str  # which FLOP count applies: "reference", "trainer", "gp_lazy4", "fresh_fake"


def make_runner(name: str, setting: Setting, system: System, device: torch.device) -> Runner:
    """The reference loop (``name="reference"``) or a Trainer configured as ``setting``."""
    if name == "reference":
        G, D = system.models()
        G, D = G.to(device).train(), D.to(device).train()
        step = system.reference(G, D, make_batches(system, Setting(), device))
        return Runner(name, setting, step, "reference")
    trainer = make_trainer(system, setting, device)
    batches = make_batches(system, setting, device)
    key = "gp_lazy4" if setting.penalty_interval > 1 else "trainer"
    key = key if setting.reuse_fake else "fresh_fake"
    return Runner(name, setting, lambda: trainer.train_step(batches), key)


# ---------------------------------------------------------------------------------- timing


def synchronize(device: torch.device) -> None:
    """Wait for the device's queued work (CUDA); nothing to wait for on a CPU."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def warm_up(step: Callable[[], object], n: int, device: torch.device) -> None:
    """``n`` untimed calls of ``step`` (allocator, cuDNN autotuning, compilation)."""
    for _ in range(n):
        step()
    synchronize(device)


def time_block(step: Callable[[], object], n: int, device: torch.device) -> float:
    """Seconds per call of ``step``, over ``n`` consecutive calls (CUDA events on a GPU)."""
    if device.type == "cuda":
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        torch.cuda.synchronize(device)
        start.record()
        for _ in range(n):
            step()
        end.record()
        end.synchronize()
        return start.elapsed_time(end) / 1e3 / n
    begin = time.perf_counter()
    for _ in range(n):
        step()
    return (time.perf_counter() - begin) / n


def attempt(
    runner: Runner, failed: dict[str, str], fn: Callable[..., Any], *args: Any
) -> tuple[bool, Any]:
    """``(True, fn(*args))``; if it raises, note why ``runner`` failed and return ``(False, None)``.

    A variant that fails (a NaN loss in reduced precision, a compiler error) is reported and left
    out, so one broken variant does not cost the whole run; the baselines must work and re-raise.
    """
    try:
        return True, fn(*args)
    except Exception as e:
        if runner.name in BASELINES:
            raise
        first = (str(e).strip().splitlines() or [""])[0]
        failed[runner.name] = f"failed: {type(e).__name__}: {first[:300]}"
        print(f"  {runner.name} {failed[runner.name]}", flush=True)
        return False, None


def interleaved(
    runners: Sequence[Runner],
    rounds: int,
    iters: int,
    device: torch.device,
    label: str,
    failed: dict[str, str],
) -> dict[str, list[float]]:
    """Per-step seconds of each runner, one block of ``iters`` steps per runner per round.

    The order rotates each round, so no variant always runs right after the same other one. A
    runner that fails is dropped (see :func:`attempt`).
    """
    times: dict[str, list[float]] = {r.name: [] for r in runners if r.name not in failed}
    for k in range(rounds):
        order = [*runners[k % len(runners) :], *runners[: k % len(runners)]]
        for runner in order:
            if runner.name not in failed:
                ok, t = attempt(runner, failed, time_block, runner.step, iters, device)
                if ok:
                    times[runner.name].append(t)
                else:
                    del times[runner.name]
        shown = ", ".join(f"{name} {t[-1] * 1e3:.1f}" for name, t in times.items())
        print(f"  {label} round {k + 1}/{rounds} (ms/step): {shown}", flush=True)
    return times


# ---------------------------------------------------------------------------------- peaks


def measure_peak(dtype: torch.dtype, device: torch.device, size: str) -> dict[str, float]:
    """FLOP/s of a large matmul and a large 3x3 convolution (best layout) in ``dtype``."""
    n, (b, c, hw), repeats = {
        "gpu": (8192, (64, 256, 64), 20),
        "cpu": (2048, (16, 128, 64), 3),
        "quick": (256, (2, 32, 16), 2),
    }[size]
    g = torch.Generator(device="cpu").manual_seed(0)
    a = torch.randn(n, n, generator=g).to(device, dtype)
    m = torch.randn(n, n, generator=g).to(device, dtype)
    x = torch.randn(b, c, hw, hw, generator=g).to(device, dtype)
    w = torch.randn(c, c, 3, 3, generator=g).to(device, dtype)

    def best(fn: Callable[[], object], flops: float) -> float:
        fn()  # warm-up (cuDNN / oneDNN pick their kernels)
        synchronize(device)
        return flops / min(time_block(fn, 2, device) for _ in range(repeats))

    with torch.no_grad():
        matmul = best(lambda: a @ m, 2.0 * n**3)
        conv_flops = 2.0 * b * c * c * 9 * hw * hw
        conv = best(lambda: F.conv2d(x, w, padding=1), conv_flops)
        xl = x.contiguous(memory_format=torch.channels_last)
        wl = w.contiguous(memory_format=torch.channels_last)
        conv = max(conv, best(lambda: F.conv2d(xl, wl, padding=1), conv_flops))
    return {"matmul_flops": matmul, "conv_flops": conv, "peak_flops": max(matmul, conv)}


# ---------------------------------------------------------------------------------- a system


def compose_fastest(medians: dict[str, float]) -> tuple[Setting, list[str]]:
    """The winners composed: from each choice, the fastest variant that beat ``trainer``."""
    setting, winners = Setting(), []
    for group in CHOICES:
        better = [
            (medians[v], v) for v in group if v in medians and medians[v] < medians["trainer"]
        ]
        if better:
            winner = min(better)[1]
            winners.append(winner)
            setting = setting.merged(VARIANTS[winner])
    return setting, winners


def parse_fastest(spec: str) -> tuple[Setting, list[str]]:
    names = [v.strip() for v in spec.split(",") if v.strip()]
    unknown = [v for v in names if v not in VARIANTS or v == "trainer"]
    if unknown:
        raise SystemExit(
            f"--fastest: unknown variants {unknown}; compose from {sorted(set(VARIANTS) - {'trainer'})}"
        )
    setting = Setting()
    for v in names:
        setting = setting.merged(VARIANTS[v])
    return setting, names


def run_system(
    system: System,
    variants: list[str],
    skipped: dict[str, str],
    args: argparse.Namespace,
    device: torch.device,
    peaks: dict[str, dict[str, float]],
) -> dict[str, Any]:
    """Time ``variants`` of ``system`` (then ``fastest``), count their FLOPs; a JSON-able dict."""
    print(f"\n== {system.name}: {system.summary}", flush=True)
    phase_one = [v for v in variants if v != "fastest"]
    runners = {v: make_runner(v, VARIANTS.get(v, Setting()), system, device) for v in phase_one}

    # FLOPs, counted on the first calls (which also warm these runners up)
    flops: dict[str, float] = {}
    failed: dict[str, str] = {}
    for key in ("reference", "trainer", "gp_lazy4", "fresh_fake"):
        if key in runners:
            steps = args.period if key == "gp_lazy4" else 1
            ok, count = attempt(runners[key], failed, count_flops, runners[key].step, steps)
            if ok:
                flops[key] = count
    shown = ", ".join(f"{k} {v / 1e9:.3g}" for k, v in flops.items())
    print(f"  GFLOP per step: {shown}", flush=True)

    warmup_s: dict[str, float] = {}
    for name, runner in runners.items():
        n = max(args.warmup, 3) if runner.setting.compile else args.warmup
        begin = time.perf_counter()
        if name not in failed and attempt(runner, failed, warm_up, runner.step, n, device)[0]:
            warmup_s[name] = time.perf_counter() - begin
    times = interleaved(list(runners.values()), args.rounds, args.iters, device, "timing", failed)
    medians = {v: statistics.median(t) for v, t in times.items()}

    results: dict[str, dict[str, Any]] = {}
    base = medians.get("reference")

    def record(name: str, setting: Setting, key: str, t: list[float], ref: float | None) -> None:
        median = statistics.median(t)
        count = flops.get(key)
        if count is None and key != "reference":
            count = flops.get("trainer")
        dtype = str(setting.dtype).removeprefix("torch.") if name != "reference" else "float32"
        peak = peaks.get(dtype, {}).get("peak_flops")
        achieved = count / median if count is not None else None
        results[name] = {
            "setting": dataclasses.asdict(setting) if name != "reference" else None,
            "median_ms": median * 1e3,
            "round_ms": [x * 1e3 for x in t],
            "spread": (max(t) - min(t)) / median,
            "speedup_vs_reference": ref / median if ref else None,
            "flops_per_step": count,
            "achieved_flops": achieved,
            "dtype": dtype,
            "fraction_of_peak": achieved / peak if achieved is not None and peak else None,
            "warmup_s": warmup_s.get(name),
        }

    for name, runner in runners.items():
        if name in times:
            record(name, runner.setting, runner.flops_key, times[name], base)

    if "fastest" in variants:
        if args.fastest:
            setting, winners = parse_fastest(args.fastest)
        else:
            setting, winners = compose_fastest(medians)
        if setting.penalty_interval > 1 and system.penalty is None:
            setting = dataclasses.replace(setting, penalty_interval=1)
            winners = [w for w in winners if w != "gp_lazy4"]
        label = "+".join(winners) or "trainer"
        print(f"  fastest: {label}", flush=True)
        fastest = make_runner("fastest", setting, system, device)
        if fastest.flops_key not in flops:  # a lazy penalty named by --fastest but not timed
            lazy = make_runner("gp_lazy4", VARIANTS["gp_lazy4"], system, device)
            flops["gp_lazy4"] = count_flops(lazy.step, args.period)
        begin = time.perf_counter()
        n = max(args.warmup, 3) if setting.compile else args.warmup
        if attempt(fastest, failed, warm_up, fastest.step, n, device)[0]:
            warmup_s["fastest"] = time.perf_counter() - begin
        again = [runners["reference"], runners["trainer"], fastest]
        times2 = interleaved(again, args.rounds, args.iters, device, "fastest", failed)
        if "fastest" in times2:
            ref2 = statistics.median(times2["reference"])
            record("fastest", setting, fastest.flops_key, times2["fastest"], ref2)
            results["fastest"].update(
                composed_of=winners,
                label=label,
                same_rounds_ms={v: statistics.median(times2[v]) * 1e3 for v in times2},
            )

    return {
        "summary": system.summary,
        "size": _jsonable(system.size),
        "critic_steps": system.critic_steps,
        "flops_per_step": flops,
        "variants": results,
        "skipped": {**skipped, **failed},
        "targets": targets(results, device),
    }


def targets(results: dict[str, dict[str, Any]], device: torch.device) -> dict[str, Any]:
    """The issue's targets, as ratios from this run."""
    out: dict[str, Any] = {}
    ref, trainer = results.get("reference"), results.get("trainer")
    if ref and trainer:
        ratio = trainer["median_ms"] / ref["median_ms"]
        out["trainer_vs_reference"] = {
            "time_ratio": ratio,
            "target": "<= 1.05",
            "met": ratio <= 1.05,
            "flop_ratio": (
                trainer["flops_per_step"] / ref["flops_per_step"]
                if trainer["flops_per_step"] and ref["flops_per_step"]
                else None
            ),
        }
    fresh = results.get("fresh_fake")
    if fresh and trainer:  # what one fake for both updates saves (no target: a measurement)
        out["one_fake"] = {
            "time_ratio": trainer["median_ms"] / fresh["median_ms"],
            "fresh_fake_ms": fresh["median_ms"],
            "trainer_ms": trainer["median_ms"],
        }
    fastest = results.get("fastest")
    if fastest and fastest["speedup_vs_reference"]:
        want = 4.0 if device.type == "cuda" else 2.0
        out["fastest_speedup"] = {
            "speedup": fastest["speedup_vs_reference"],
            "target": f">= {want:g}",
            "met": fastest["speedup_vs_reference"] >= want,
            "label": fastest["label"],
        }
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


# ---------------------------------------------------------------------------------- output


def print_table(name: str, result: dict[str, Any]) -> None:
    print(f"\n{name}: {result['summary']}")
    header = (
        f"{'variant':<16}{'ms/step':>10}{'spread':>8}{'speedup':>9}{'GFLOP':>9}"
        f"{'GFLOP/s':>10}{'of peak':>9}"
    )
    print(header)
    for variant, r in result["variants"].items():
        speedup = f"{r['speedup_vs_reference']:.2f}x" if r["speedup_vs_reference"] else "-"
        gflop = f"{r['flops_per_step'] / 1e9:.3g}" if r["flops_per_step"] else "-"
        rate = f"{r['achieved_flops'] / 1e9:.3g}" if r["achieved_flops"] else "-"
        frac = f"{r['fraction_of_peak'] * 100:.0f}%" if r["fraction_of_peak"] else "-"
        print(
            f"{variant:<16}{r['median_ms']:>10.1f}{r['spread'] * 100:>7.0f}%{speedup:>9}"
            f"{gflop:>9}{rate:>10}{frac:>9}"
        )
        if variant == "fastest":
            print(f"{'':<16}= {r['label']}")
    for variant, why in result["skipped"].items():
        print(f"{variant:<16}skipped: {why}")
    t = result["targets"]
    if "trainer_vs_reference" in t:
        r = t["trainer_vs_reference"]
        flop = f", FLOP ratio {r['flop_ratio']:.2f}" if r["flop_ratio"] else ""
        print(
            f"target: trainer / reference time {r['time_ratio']:.2f} ({r['target']}): "
            f"{'met' if r['met'] else 'missed'}{flop}"
        )
    if "one_fake" in t:
        r = t["one_fake"]
        print(
            f"one fake for both updates: trainer {r['trainer_ms']:.1f} ms, fresh_fake "
            f"{r['fresh_fake_ms']:.1f} ms per step: {r['time_ratio']:.2f} of the time"
        )
    if "fastest_speedup" in t:
        r = t["fastest_speedup"]
        print(
            f"target: fastest ({r['label']}) {r['speedup']:.2f}x the reference ({r['target']}): "
            f"{'met' if r['met'] else 'missed'}"
        )


def machine_info(device: torch.device) -> dict[str, Any]:
    """:func:`_machine.machine` with what decides this script's variants."""
    extra: dict[str, Any] = {
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "native_cpu_bf16": native_cpu_bf16(),
    }
    if device.type == "cuda":
        extra["cudnn"] = torch.backends.cudnn.version()
        extra["float32_matmul_precision"] = torch.get_float32_matmul_precision()
    return machine(device, **extra)


# ---------------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="auto", help="'auto' (CUDA if present), 'cpu', 'cuda'")
    parser.add_argument(
        "--size", choices=SIZES, default=None, help="model sizes (default: gpu on CUDA, else cpu)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="tiny sizes, 2 rounds of 1 step, no compile"
    )
    parser.add_argument("--systems", nargs="+", choices=SYSTEMS, default=list(SYSTEMS))
    optional = [v for v in ALL_VARIANTS if v not in BASELINES]
    parser.add_argument(
        "--variants",
        nargs="+",
        choices=optional,
        default=None,
        help="run only these (and the baselines, reference and trainer)",
    )
    parser.add_argument("--skip", nargs="+", choices=optional, default=[], help="e.g. compile")
    parser.add_argument(
        "--fastest",
        default=None,
        help="compose 'fastest' from these comma-separated variants instead of the winners",
    )
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds (median)")
    parser.add_argument(
        "--iters",
        type=int,
        default=None,
        help=f"steps per timed block (a multiple of {LAZY_PERIOD} but in --quick)",
    )
    parser.add_argument("--warmup", type=int, default=None, help="untimed steps per variant")
    parser.add_argument(
        "--threads", type=int, default=None, help="torch.set_num_threads (default 1 on a CPU)"
    )
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    args = parser.parse_args(argv)
    cuda = args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available())
    if args.quick:
        args.size = args.size or "quick"
        if args.variants is None and "compile" not in args.skip:
            args.skip = [*args.skip, "compile"]
    args.size = args.size or ("gpu" if cuda else "cpu")
    if args.size == "quick":  # a smoke test, not a measurement: as few steps as possible
        args.rounds, args.iters = args.rounds or 2, args.iters or 1
        args.warmup = args.warmup if args.warmup is not None else 0
        args.period = 1  # lazy FLOPs counted over one step only
    else:
        args.rounds = args.rounds or (10 if cuda else 5)
        args.iters = -(-(args.iters or (2 if cuda else 1) * LAZY_PERIOD) // LAZY_PERIOD)
        args.iters *= LAZY_PERIOD  # whole lazy periods
        args.warmup = args.warmup if args.warmup is not None else (5 if cuda else 1)
        args.period = LAZY_PERIOD
    return args


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    if args.device == "auto":
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    else:
        device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit("train_step: --device cuda given but no CUDA device is available")
    if args.threads is not None or device.type == "cpu":
        torch.set_num_threads(args.threads or 1)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # as the Trainer sets it: the reference gets it too

    info = machine_info(device)
    name = info.get("gpu") or info["processor"]
    print(
        f"device: {name} ({device.type}, {torch.get_num_threads()} threads) | torch "
        f"{torch.__version__} | size {args.size}, {args.rounds} rounds x {args.iters} steps"
    )

    systems = [BUILDERS[s](args.size, device) for s in args.systems]
    wanted = [*BASELINES, *(v for v in args.variants or ALL_VARIANTS if v not in BASELINES)]
    plans = []
    for system in systems:
        skipped = {v: "--skip" for v in args.skip if v in wanted}
        variants = []
        for v in wanted:
            why = "--skip" if v in args.skip else unavailable(v, system, device)
            if why is None:
                variants.append(v)
            else:
                skipped[v] = why
        plans.append((system, variants, skipped))

    dtypes = {torch.float32}
    for _, variants, _ in plans:
        dtypes |= {VARIANTS[v].dtype for v in variants if v in VARIANTS}
    if args.fastest:  # else "fastest" is composed of measured variants: their dtypes are here
        dtypes.add(parse_fastest(args.fastest)[0].dtype)
    peaks = {}
    for dtype in sorted(dtypes, key=str):
        peaks[str(dtype).removeprefix("torch.")] = measure_peak(dtype, device, args.size)
    for dtype, p in peaks.items():
        print(
            f"peak {dtype}: matmul {p['matmul_flops'] / 1e9:.0f} GFLOP/s, "
            f"3x3 conv {p['conv_flops'] / 1e9:.0f} GFLOP/s"
        )

    results = {
        system.name: run_system(system, variants, skipped, args, device, peaks)
        for system, variants, skipped in plans
    }
    for name, result in results.items():
        print_table(name, result)
    report = {
        "benchmark": "train_step",
        "machine": info,
        "settings": {
            "size": args.size,
            "rounds": args.rounds,
            "iters": args.iters,
            "warmup": args.warmup,
            "threads": torch.get_num_threads(),
            "command": " ".join(sys.argv),
        },
        "peaks": peaks,
        "systems": results,
    }
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2))
        print(f"\nwrote {args.json}")
    return report


if __name__ == "__main__":
    main()
