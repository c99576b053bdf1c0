"""A HiFi-GAN vocoder in plain PyTorch, without the Trainer: HiFi-GAN's ``train.py`` step.

One fake per batch, detached for the critic's least-squares update, then reused by the
generator's (least squares, ``2 *`` feature matching, ``45 *`` mel L1), no ``.item()`` in the
step; multi-period plus multi-scale critics (a ``CriticEnsemble``: each sub-critic's scores and
feature maps). ``benchmarks/train_step.py`` times :func:`hifigan_step` as its reference.

    python examples/plain_hifigan.py --out runs/plain_hifigan          # the built-in sounds
    python examples/plain_hifigan.py --data my_sounds/ --out runs/mine  # any folder of clips
    python examples/plain_hifigan.py --steps 2 --size 4 --width 8 --out /tmp/t  # a tiny run
"""

from __future__ import annotations

import argparse
import itertools
import math
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F
import torchaudio.functional as AF
from torch import nn
from torch.utils.data import DataLoader

from audiogan.audio import save_audio
from audiogan.data import AudioFolder, SyntheticSounds
from audiogan.nn import (
    HIFIGAN_PRESETS,
    CriticEnsemble,
    HiFiGANGenerator,
    MultiPeriodCritic,
    MultiScaleCritic,
)


def hifigan_mel(
    sample_rate: int, n_fft: int, hop_length: int, n_mels: int, device: torch.device | str = "cpu"
) -> Callable[[torch.Tensor], torch.Tensor]:
    """HiFi-GAN's log-mel: ``(batch, 1, time) -> (batch, n_mels, frames)``, ``log(max(mel, 1e-5))``
    of the magnitude STFT (Hann window, centred)."""
    window = torch.hann_window(n_fft, device=device)
    fbank = AF.melscale_fbanks(n_fft // 2 + 1, 0.0, sample_rate / 2, n_mels, sample_rate)
    fbank = fbank.to(device)  # (freq, n_mels)

    def mel(wave: torch.Tensor) -> torch.Tensor:
        spec = torch.stft(wave.squeeze(1), n_fft, hop_length, window=window, return_complex=True)
        magnitude = torch.sqrt(spec.real.square() + spec.imag.square() + 1e-9)
        return torch.log(torch.clamp(fbank.T @ magnitude, min=1e-5))

    return mel


def hifigan_step(
    generator: nn.Module,
    critic: nn.Module,
    generator_optimizer: torch.optim.Optimizer,
    critic_optimizer: torch.optim.Optimizer,
    real: torch.Tensor,
    inputs: torch.Tensor,
    mel: Callable[[torch.Tensor], torch.Tensor],
) -> tuple[torch.Tensor, torch.Tensor]:
    """One step on ``real (batch, 1, time)`` from ``inputs`` (the generator's input, e.g. a
    log-mel ``(batch, n_mels, frames)``); ``mel`` is the loss's log-mel. Returns the detached
    ``(critic loss, generator loss)`` (read them with ``.item()`` when you log)."""
    fake = generator(inputs)
    real_mel, fake_mel = mel(real), mel(fake)

    critic_optimizer.zero_grad()
    d_real, d_fake = critic(real), critic(fake.detach())
    critic_loss = sum(
        torch.mean((1 - dr) ** 2) + torch.mean(dg**2)
        for dr, dg in zip(d_real.scores, d_fake.scores, strict=True)
    )
    critic_loss.backward()
    critic_optimizer.step()

    generator_optimizer.zero_grad()
    mel_loss = F.l1_loss(real_mel, fake_mel) * 45
    d_real, d_fake = critic(real), critic(fake)
    fm_loss = 2 * sum(
        torch.mean(torch.abs(rl - gl))
        for dr, dg in zip(d_real.features, d_fake.features, strict=True)
        for rl, gl in zip(dr, dg, strict=True)
    )
    adversarial = sum(torch.mean((1 - dg) ** 2) for dg in d_fake.scores)
    generator_loss = adversarial + fm_loss + mel_loss
    generator_loss.backward()
    generator_optimizer.step()
    return critic_loss.detach(), generator_loss.detach()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", help="a folder of clips (any subfolders; default: built-in sounds)")
    p.add_argument("--out", type=Path, default=Path("runs/plain_hifigan"))
    p.add_argument("--steps", type=int, default=1200)
    p.add_argument("--size", type=int, default=16, help="frames per training segment (hop 256)")
    p.add_argument("--n-mels", type=int, default=64)
    p.add_argument("--width", type=int, default=128, help="generator width (V3: 256)")
    p.add_argument("--critic-width", type=int, default=1, help="HiFi-GAN's: 32")
    p.add_argument("--batch-size", type=int, default=8)
    args = p.parse_args(argv)
    torch.manual_seed(0)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    segment = args.size * 256  # V3 upsamples 8 * 8 * 4 = 256 samples per frame
    clips = (
        AudioFolder(args.data, num_samples=segment, random_crop=True)
        if args.data
        else SyntheticSounds(num_samples=segment)
    )
    loader = DataLoader(clips, batch_size=args.batch_size, shuffle=True, drop_last=True)
    mel = hifigan_mel(16000, 1024, 256, args.n_mels, device)

    G = HiFiGANGenerator(args.n_mels, **{**HIFIGAN_PRESETS["v3"], "width": args.width})
    w = args.critic_width  # MSD's groups: HiFi-GAN's where they divide the channels
    widths = [4 * w, 4 * w, 8 * w, 16 * w, 32 * w, 32 * w, 32 * w]
    pairs = zip((1, 4, 16, 16, 16, 16, 1), [1, *widths[:-1]], widths, strict=True)
    groups = [math.gcd(*g) for g in pairs]
    mpd = MultiPeriodCritic(channels=(w, 4 * w, 16 * w, 32 * w, 32 * w))
    D = CriticEnsemble(mpd, MultiScaleCritic(channels=widths, groups=groups)).to(device)
    G = G.to(device)
    g_opt = torch.optim.Adam(G.parameters(), lr=1e-3, betas=(0.8, 0.99))
    d_opt = torch.optim.Adam(D.parameters(), lr=1e-3, betas=(0.8, 0.99))

    waves = (x.to(device) for _ in itertools.count() for x, _ in loader)
    for step in range(1, args.steps + 1):
        real = next(waves)  # (batch, 1, segment)
        d_loss, g_loss = hifigan_step(G, D, g_opt, d_opt, real, mel(real)[..., : args.size], mel)
        if step % 50 == 0 or step == args.steps:
            print(f"step {step}: critic loss {d_loss.item():.3f}, generator {g_loss.item():.3f}")

    args.out.mkdir(parents=True, exist_ok=True)
    torch.save({"generator": G.state_dict(), "critic": D.state_dict()}, args.out / "models.pt")
    G.eval()
    with torch.no_grad():  # the first clip, and the vocoder's copy of it from its log-mel
        real = clips[0][0][None].to(device)
        decoded = G(mel(real)[..., : args.size])
    for name, wave in (("real", real), ("decoded", decoded)):
        save_audio(args.out / f"{name}.wav", wave[0].cpu(), 16000)
    print(f"wrote {args.out / 'models.pt'}, real.wav and decoded.wav in {args.out}")


if __name__ == "__main__":
    main()
