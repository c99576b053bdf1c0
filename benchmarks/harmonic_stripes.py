"""How much of voiced speech's harmonic stripes a spectrogram run draws (issue 22, section 4).

A voice's harmonics are horizontal stripes a few mel bands apart in the lowest third of a
64-band log-mel (below about 1.4 kHz the bands are narrower than the harmonic spacing). The
*stripe energy* measures them: the curvature along the mel axis, ``d2 = x[f+1] - 2 x[f] +
x[f-1]``, multiplied by the same curvature one frame later, averaged over the loud half of the
lowest third of the bands. A stripe keeps its curvature from frame to frame and adds to it;
grain and a transposed convolution's checkerboard change sign from frame to frame and add
little or subtract; a smooth blob has no curvature. Its *lag-1 correlation* (that product over
``d2**2``) is 1 for stripes that do not change and 0 for grain.

Usage::

    python benchmarks/harmonic_stripes.py runs/speech48_wgan runs/other_run   # newest checkpoints
    python benchmarks/harmonic_stripes.py runs/speech48_wgan/checkpoints/step_00001000.pt

It prints the first run's training clips, then each run's fakes (100 per class of its EMA
generator, latent seed: the run's + 1), in the features the run trains on. It writes nothing:
the clips are encoded anew, not read from the run's feature cache.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import torch

from audiogan.recipes import configure, get_recipe, load_run_config
from audiogan.recipes.spectrogram import spectrogram_data
from audiogan.train import load_generator, run_checkpoint
from audiogan.train.callbacks import fixed_fakes


def stripe_energy(features: torch.Tensor, band: float = 1 / 3) -> tuple[float, float]:
    """Stripe energy and its lag-1 correlation of log-mels ``(n, 1, n_mels, frames)``.

    Args:
        features: Log-mels, low bands first, ``n_mels >= 9`` and ``frames >= 2``.
        band: The fraction of the bands, from the lowest, that is measured.

    Returns:
        ``(energy, correlation)``: the mean of ``d2(t) * d2(t + 1)`` over the cells above
        each item's median in the band, and that over the mean of ``d2(t)**2`` there.

    Raises:
        ValueError: If ``features`` is not ``(n, 1, n_mels, frames)`` with enough bands and
            frames.
    """
    if features.dim() != 4 or features.shape[1] != 1:
        raise ValueError(
            f"stripe_energy: expected log-mels (n, 1, n_mels, frames), got {tuple(features.shape)}"
        )
    low = features[:, 0, : int(features.shape[2] * band)].float()  # (n, F, T)
    if low.shape[1] < 3 or low.shape[2] < 2:
        raise ValueError(
            f"stripe_energy: the lowest {band:.2f} of {features.shape[2]} bands over "
            f"{features.shape[3]} frames is {tuple(low.shape[1:])}: need 3 bands and 2 frames"
        )
    d2 = low[:, 2:] - 2 * low[:, 1:-1] + low[:, :-2]  # (n, F - 2, T)
    centre = low[:, 1:-1]
    loud = centre > centre.flatten(1).median(dim=1).values[:, None, None]  # (n, F - 2, T)
    loud = loud[:, :, :-1].float()
    together = (d2[:, :, 1:] * d2[:, :, :-1] * loud).sum() / loud.sum().clamp_min(1)
    power = (d2[:, :, :-1] ** 2 * loud).sum() / loud.sum().clamp_min(1)
    return together.item(), (together / power.clamp_min(1e-12)).item()


def report(sources: list[Path], fakes_per_class: int = 100) -> str:
    """Stripe energy of the first run's training clips and of each run's fakes.

    Args:
        sources: Run folders of a spectrogram recipe, or checkpoints of them.
        fakes_per_class: Fakes per class of each run's EMA generator.
    """
    lines = []
    for i, source in enumerate(map(Path, sources)):
        run_dir = source if source.is_dir() else source.parent.parent
        name, saved = load_run_config(run_dir)
        config = configure(get_recipe(name), saved=saved)
        if i == 0:  # encoded here, not read from the run's cache: nothing is written there
            data = spectrogram_data(dataclasses.replace(config, cache=False))
            waves = torch.stack([data.dataset[j][0] for j in range(len(data.dataset))])
            with torch.no_grad():
                real = torch.cat([data.frontend.encode(w[:, 0]) for w in waves.split(64)])
            energy, correlation = stripe_energy(real)
            lines.append(
                f"training clips of {run_dir} ({len(real)}): stripe energy {energy:.4f}, "
                f"lag-1 correlation {correlation:.2f}"
            )
        checkpoint = run_checkpoint(source)
        fakes, _ = fixed_fakes(load_generator(checkpoint), fakes_per_class, seed=config.seed + 1)
        energy, correlation = stripe_energy(fakes)
        lines.append(
            f"{checkpoint} ({len(fakes)} fakes): stripe energy {energy:.4f}, "
            f"lag-1 correlation {correlation:.2f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sources", type=Path, nargs="+", help="run folders or checkpoints")
    parser.add_argument("--fakes-per-class", type=int, default=100)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    print(report(args.sources, args.fakes_per_class))
    return 0


if __name__ == "__main__":
    sys.exit(main())
