"""A spectrogram GAN's fakes decoded by a trained vocoder: wav files, beside Griffin-Lim's.

Takes a run (or checkpoint) of a spectrogram GAN and one of a vocoder trained on the same
log-mels (sample rate, n_fft, hop, mels), rebuilds the GAN's LogMel with the vocoder, and writes
``OUT/vocoder/<class>_000.wav`` ... from the GAN's EMA generator, and the same fakes decoded by
Griffin-Lim in ``OUT/griffin_lim/``::

    python examples/conditional_wgan_gp.py --out runs/gan          # 64 mels
    python examples/vocoder.py --n-mels 64 --out runs/vocoder
    python examples/decode_with_vocoder.py --gan runs/gan --vocoder runs/vocoder --out runs/decoded
"""

from __future__ import annotations

import argparse
from pathlib import Path

from audiogan.frontends import LogMel
from audiogan.train import generate, latest_checkpoint, load_checkpoint, load_vocoder


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--gan", type=Path, required=True, help="a spectrogram GAN's run or checkpoint")
    p.add_argument("--vocoder", type=Path, required=True, help="a vocoder's run or checkpoint")
    p.add_argument("--out", type=Path, default=Path("runs/decoded"))
    p.add_argument("--per-class", type=int, default=2, help="fakes per class")
    p.add_argument("--seed", type=int, default=0, help="the fakes' latent noise")
    args = p.parse_args(argv)

    checkpoint = args.gan if args.gan.is_file() else latest_checkpoint(args.gan / "checkpoints")
    if checkpoint is None:
        p.error(f"--gan {args.gan}: no checkpoint there")
    spec = (load_checkpoint(checkpoint).get("metadata") or {}).get("frontend") or {}
    if str(spec.get("class", "")).rsplit(".", 1)[-1] != "LogMel":  # "LogMel" or a class path
        p.error(f"--gan {checkpoint}: not a GAN of LogMel features ({spec.get('class')})")
    # The GAN's log-mel, decoding with the vocoder (checked: trained on the same log-mels).
    frontend = LogMel(**{k: v for k, v in spec["config"].items() if k != "vocoder"})
    try:
        frontend = LogMel(**frontend.config, vocoder=load_vocoder(args.vocoder, frontend))
    except (FileNotFoundError, ValueError) as e:
        p.error(f"--vocoder {args.vocoder}: {e}")
    common = {"fakes_per_class": args.per_class, "seed": args.seed}
    vocoded = generate(checkpoint, args.out / "vocoder", frontend=frontend, **common)
    griffin_lim = generate(checkpoint, args.out / "griffin_lim", **common)  # the GAN's own LogMel
    print(f"{checkpoint}: {len(vocoded)} fakes decoded by {args.vocoder} in {args.out / 'vocoder'}")
    print(f"the same {len(griffin_lim)} by Griffin-Lim in {args.out / 'griffin_lim'}")


if __name__ == "__main__":
    main()
