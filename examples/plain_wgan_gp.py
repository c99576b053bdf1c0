"""A conditional WGAN-GP in plain PyTorch, without the Trainer: the loop, written out.

The conditional WGAN-GP's (and MuseGAN's) own training loop on audiogan's blocks and data: per
generator step one critic update per batch (Wasserstein loss plus a per-sample gradient penalty
through ``autograd.grad(create_graph=True)``), then one generator update; each loss read with
``.item()`` after its update, as the sources log it. ``benchmarks/train_step.py`` times
:func:`wgan_gp_step` as the reference the Trainer is measured against.

    python examples/plain_wgan_gp.py --out runs/plain_wgan_gp          # the built-in sounds
    python examples/plain_wgan_gp.py --data my_sounds/ --out runs/mine  # one subfolder per class
    python examples/plain_wgan_gp.py --steps 2 --size 16 --out /tmp/t   # a tiny run
"""

from __future__ import annotations

import argparse
import itertools
from collections.abc import Sequence
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader

from audiogan.data import AudioFolder, SyntheticSounds
from audiogan.frontends import LogMel
from audiogan.nn import ConvCritic2d, ConvGenerator2d

Pair = tuple[torch.Tensor, "torch.Tensor | None"]  # (real (batch, *shape), labels (batch,) or None)


def gradient_penalty(
    critic: nn.Module, real: torch.Tensor, fake: torch.Tensor, labels: torch.Tensor | None
) -> torch.Tensor:
    """``mean((||grad D(x_hat)||_2 - 1)^2)``, ``x_hat`` on a line from real to fake, one alpha per item."""
    alpha = torch.rand(real.shape[0], *[1] * (real.dim() - 1), device=real.device)
    x_hat = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    scores = critic(x_hat) if labels is None else critic(x_hat, labels)
    (grad,) = torch.autograd.grad(scores, x_hat, torch.ones_like(scores), create_graph=True)
    return ((grad.flatten(1).norm(2, dim=1) - 1) ** 2).mean()


def wgan_gp_step(
    generator: nn.Module,
    critic: nn.Module,
    generator_optimizer: torch.optim.Optimizer,
    critic_optimizer: torch.optim.Optimizer,
    batches: Sequence[Pair],
    *,
    gp_weight: float = 10.0,
    fake_with_grad: bool = True,
) -> tuple[float, float]:
    """One generator step: a critic update per ``(real, labels)`` batch, then the generator's.

    ``fake_with_grad``: fakes are made with grad, then detached (the conditional WGAN-GP);
    False makes them under ``no_grad`` (MuseGAN's book). The generator update samples as many
    fakes as the last batch holds, with its labels. Returns ``(critic loss, generator loss)``.
    """

    def score(x: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        return critic(x) if labels is None else critic(x, labels)

    def generate(n: int, labels: torch.Tensor | None) -> torch.Tensor:
        z = generator.sample_latent(n, device=batches[0][0].device)
        return generator(z) if labels is None else generator(z, labels)

    for real, labels in batches:
        with torch.set_grad_enabled(fake_with_grad):
            fake = generate(real.shape[0], labels).detach()
        critic_loss = score(fake, labels).mean() - score(real, labels).mean()
        critic_loss = critic_loss + gp_weight * gradient_penalty(critic, real, fake, labels)
        critic_optimizer.zero_grad()
        critic_loss.backward()
        critic_optimizer.step()
        d_loss = critic_loss.item()
    real, labels = batches[-1]
    generator_loss = -score(generate(real.shape[0], labels), labels).mean()
    generator_optimizer.zero_grad()
    generator_loss.backward()
    generator_optimizer.step()
    return d_loss, generator_loss.item()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", help="a folder of clips, one subfolder per class (default: built-in)")
    p.add_argument("--out", type=Path, default=Path("runs/plain_wgan_gp"))
    p.add_argument("--steps", type=int, default=800, help="generator steps")
    p.add_argument("--size", type=int, default=64, help="mels = frames (a multiple of 16)")
    p.add_argument("--width", type=int, default=16, help="critic base width")
    p.add_argument("--batch-size", type=int, default=16)
    args = p.parse_args(argv)
    torch.manual_seed(0)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    frontend = LogMel(n_mels=args.size, frames=args.size)  # (1, size, size) log-mels in [-1, 1]
    common = {"num_samples": frontend.num_samples_for_frames(), "transform": frontend.encode}
    clips = AudioFolder(args.data, **common) if args.data else SyntheticSounds(**common)
    loader = DataLoader(clips, batch_size=args.batch_size, shuffle=True, drop_last=True)
    shape, num_classes = frontend.feature_shape, len(clips.classes)
    G = ConvGenerator2d(100, shape, num_classes=num_classes, width=16 * args.width, init="default")
    D = ConvCritic2d(shape, num_classes=num_classes, width=args.width, init="default")
    G, D = G.to(device), D.to(device)
    g_opt = torch.optim.Adam(G.parameters(), lr=5e-4, betas=(0.5, 0.9))
    d_opt = torch.optim.Adam(D.parameters(), lr=5e-4, betas=(0.5, 0.9))

    batches = ((x.to(device), y.to(device)) for _ in itertools.count() for x, y in loader)
    for step in range(1, args.steps + 1):
        d_loss, g_loss = wgan_gp_step(G, D, g_opt, d_opt, [next(batches) for _ in range(5)])
        if step % 50 == 0 or step == args.steps:
            print(f"step {step}: critic loss {d_loss:.3f}, generator loss {g_loss:.3f}")

    args.out.mkdir(parents=True, exist_ok=True)
    torch.save({"generator": G.state_dict(), "critic": D.state_dict()}, args.out / "models.pt")
    G.eval()
    with torch.no_grad():  # one fake per class, decoded by Griffin-Lim
        labels = torch.arange(num_classes, device=device)
        fake = G(G.sample_latent(num_classes, device=device), labels).cpu()
    paths = frontend.save(fake, [args.out / f"{name}.wav" for name in clips.classes])
    print(f"wrote {args.out / 'models.pt'} and {len(paths)} wav files in {args.out}")


if __name__ == "__main__":
    main()
