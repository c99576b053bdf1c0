"""An independent judge of the speech folder: a small CNN on its own log-mel, trained on the
folder's ``classifier`` split (clips neither the GAN nor its evaluation sees).

It shares nothing with a GAN trained on the folder: not the critic, not the recipe's log-mel
(its features are 40 mel bands of 25 ms windows every 10 ms, normalised per clip), not the
evaluation's recurrent classifier. It reads waveforms, so it scores any folder of wavs: the
held-out real clips, or what ``audiogan generate`` wrote (files ``<class>_NNN.wav``).

Usage::

    python benchmarks/speech_classifier.py train runs/speech48      # -> runs/speech48/classifier.pt
    python benchmarks/speech_classifier.py score runs/speech48/classifier.pt fakes/

``train`` reports the accuracy on ``held_out`` and on the held-out clips passed through the
recipes' default log-mel and Griffin-Lim (the ceiling a spectrogram GAN's samples can reach).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import soundfile as sf
import torch
import torchaudio
from torch import nn
from torch.utils.data import Dataset

from audiogan.metrics import load_classifier, train_classifier

SAMPLE_RATE = 16000
NUM_SAMPLES = 16000
SUFFIXES = (".wav", ".flac", ".ogg")


class SpeechCNN(nn.Module):
    """Waveform ``(batch, 1, num_samples)`` -> log-mel ``(batch, 1, n_mels, frames)``, normalised
    per clip -> four conv blocks -> mean over time and frequency -> ``(batch, num_classes)``.

    Args:
        num_classes: Number of words.
        sample_rate: Of the input.
        n_mels: Mel bands.
        width: Channels of the first block (doubled twice).
    """

    def __init__(
        self, num_classes: int, sample_rate: int = SAMPLE_RATE, n_mels: int = 40, width: int = 24
    ) -> None:
        super().__init__()
        self.config = {
            "num_classes": num_classes,
            "sample_rate": sample_rate,
            "n_mels": n_mels,
            "width": width,
        }
        self.mel = torchaudio.transforms.MelSpectrogram(
            sample_rate, n_fft=512, win_length=400, hop_length=160, n_mels=n_mels
        )
        channels = [1, width, 2 * width, 4 * width, 4 * width]
        blocks: list[nn.Module] = []
        for c_in, c_out in zip(channels[:-1], channels[1:], strict=True):
            blocks += [
                nn.Conv2d(c_in, c_out, 3, padding=1),
                nn.BatchNorm2d(c_out),
                nn.ReLU(),
                nn.MaxPool2d(2),
            ]
        self.body = nn.Sequential(*blocks)
        self.dropout = nn.Dropout(0.3)
        self.head = nn.Linear(channels[-1], num_classes)

    def embed(self, wave: torch.Tensor) -> torch.Tensor:
        """``(batch, 1, num_samples)`` -> ``(batch, 4 * width)`` pooled features."""
        if wave.dim() != 3 or wave.shape[1] != 1:
            raise ValueError(
                f"SpeechCNN: expected waves (batch, 1, num_samples), got {tuple(wave.shape)}"
            )
        spec = torch.log(self.mel(wave) + 1e-6)  # (batch, 1, n_mels, frames)
        mean = spec.mean(dim=(2, 3), keepdim=True)
        std = spec.std(dim=(2, 3), keepdim=True) + 1e-5
        return self.body((spec - mean) / std).mean(dim=(2, 3))

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        """``(batch, 1, num_samples)`` -> ``(batch, num_classes)`` logits."""
        return self.head(self.dropout(self.embed(wave)))


def read_clip(path: Path) -> torch.Tensor:
    """A mono clip as ``(1, NUM_SAMPLES)`` float32 at 16 kHz, cut or zero-padded at the end."""
    wave, rate = sf.read(path, dtype="float32", always_2d=True)
    x = torch.from_numpy(wave.mean(axis=1))
    if rate != SAMPLE_RATE:
        x = torchaudio.functional.resample(x, rate, SAMPLE_RATE)
    x = x[:NUM_SAMPLES]
    return nn.functional.pad(x, (0, NUM_SAMPLES - x.shape[0]))[None]


def label_of(path: Path, classes: list[str]) -> str:
    """The class of a file: its folder's name if that is a class, else its name up to the last
    ``_`` (``audiogan generate`` writes ``<class>_NNN.wav``)."""
    if path.parent.name in classes:
        return path.parent.name
    stem = path.stem.rpartition("_")[0]
    if stem in classes:
        return stem
    raise ValueError(f"{path}: cannot tell its class (expected one of {', '.join(classes)})")


def read_folder(folder: Path, classes: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """Every audio file under ``folder`` (recursively), ``(n, 1, NUM_SAMPLES)`` and labels ``(n,)``."""
    files = sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() in SUFFIXES)
    if not files:
        raise ValueError(f"{folder}: no audio files")
    waves = torch.stack([read_clip(p) for p in files])
    labels = torch.tensor([classes.index(label_of(p, classes)) for p in files])
    return waves, labels


class Augmented(Dataset):
    """Training items ``((1, NUM_SAMPLES), label)`` with a random shift (zero-filled) and gain,
    so the judge hears the word anywhere in the clip and at any level."""

    def __init__(self, waves: torch.Tensor, labels: torch.Tensor, seed: int = 0) -> None:
        self.waves, self.labels = waves, labels
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        wave = self.waves[index]
        shift = int(torch.randint(-3200, 3201, (), generator=self.generator))
        wave = torch.roll(wave, shift, dims=-1)
        if shift > 0:
            wave[..., :shift] = 0.0
        elif shift < 0:
            wave[..., shift:] = 0.0
        gain = 10.0 ** (float(torch.empty(()).uniform_(-12.0, 3.0, generator=self.generator)) / 20)
        return wave * gain, int(self.labels[index])


@torch.no_grad()
def accuracy(
    model: nn.Module, waves: torch.Tensor, labels: torch.Tensor
) -> tuple[float, list[float]]:
    """Overall and per-class accuracy of ``model`` on ``waves (n, 1, num_samples)``; NaN for
    a class without clips."""
    model.eval()
    logits = torch.cat([model(waves[i : i + 64]) for i in range(0, len(waves), 64)])
    correct = (logits.argmax(dim=1) == labels).double()
    per_class = [float(correct[labels == c].mean()) for c in range(logits.shape[1])]
    return float(correct.mean()), per_class


def class_names(folder: Path) -> list[str]:
    """The class subfolders of the folder's ``classifier`` split, sorted."""
    return sorted(p.name for p in (Path(folder) / "classifier").iterdir() if p.is_dir())


def train(folder: Path, epochs: int = 20, seed: int = 0) -> tuple[nn.Module, dict]:
    """Train the judge on ``folder/classifier``, save it to ``folder/classifier.pt``, and measure
    it on ``folder/held_out`` (as recorded and through the recipes' log-mel and Griffin-Lim)."""
    from audiogan.frontends import LogMel

    classes = class_names(folder)
    waves, labels = read_folder(folder / "classifier", classes)
    torch.manual_seed(seed)
    model = SpeechCNN(len(classes))
    start = time.perf_counter()
    model, history = train_classifier(
        model,
        Augmented(waves, labels, seed),
        epochs=epochs,
        lr=2e-3,
        val_fraction=0.1,
        seed=seed,
        class_names=classes,
        path=Path(folder) / "classifier.pt",
    )
    seconds = time.perf_counter() - start
    held, held_labels = read_folder(folder / "held_out", classes)
    report = {"classes": classes, "train_s": seconds, "val_accuracy": history["val_accuracy"][-1]}
    report["held_out"] = accuracy(model, held, held_labels)
    frontend = LogMel(sample_rate=SAMPLE_RATE, n_fft=1024, hop_length=256, n_mels=64, frames=64)
    padded = nn.functional.pad(held[:, 0], (0, frontend.num_samples_for_frames() - NUM_SAMPLES))
    with torch.no_grad():
        decoded = frontend.decode(frontend.encode(padded))[:, None, :NUM_SAMPLES]
    decoded = nn.functional.pad(decoded, (0, NUM_SAMPLES - decoded.shape[-1]))
    report["held_out_griffin_lim"] = accuracy(model, decoded, held_labels)
    return model, report


def score(model_path: Path, folder: Path) -> tuple[float, dict[str, float], int]:
    """Accuracy of the saved judge on every audio file under ``folder``: overall, per class,
    and the number of files."""
    model = load_classifier(model_path, cls=SpeechCNN)
    classes = torch.load(model_path, weights_only=True)["class_names"]
    waves, labels = read_folder(folder, classes)
    overall, per_class = accuracy(model, waves, labels)
    present = sorted(set(labels.tolist()))
    return overall, {classes[c]: per_class[c] for c in present}, len(labels)


def report(folder: Path, samples: Path, seed: int = 0, cas_epochs: int = 20) -> str:
    """The judge's accuracy on ``samples`` and the small-n metrics in the judge's embedding.

    Reals: ``folder/held_out`` (never trained on); training clips: ``folder/train`` (the GAN's
    data, for the nearest-train distance); the classification accuracy score trains a fresh
    :class:`SpeechCNN` on the samples and tests it on the held-out clips.
    """
    from audiogan.metrics import format_distribution_report, small_n_report

    path = Path(folder) / "classifier.pt"
    judge = load_classifier(path, cls=SpeechCNN)
    classes = torch.load(path, weights_only=True)["class_names"]
    fake, fake_labels = read_folder(samples, classes)
    real, real_labels = read_folder(Path(folder) / "held_out", classes)
    train_waves, _ = read_folder(Path(folder) / "train", classes)
    overall, per_class = accuracy(judge, fake, fake_labels)
    torch.manual_seed(seed)
    fresh = SpeechCNN(len(classes))
    metrics = small_n_report(
        judge,
        real,
        fake,
        real_labels=real_labels,
        fake_labels=fake_labels,
        train=train_waves,
        class_names=classes,
        fresh_classifier=fresh if len(fake) % 32 != 1 else None,  # no BatchNorm batch of one
        cas_epochs=cas_epochs,
        seed=seed,
    )
    lines = [
        f"{len(fake)} fakes in {samples} against {len(real)} held-out real clips (judge: {path})",
        f"judge accuracy {overall:.3f}: {_per_class(classes, per_class)}",
        format_distribution_report(metrics),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    fit = commands.add_parser("train", help="train on FOLDER/classifier, test on FOLDER/held_out")
    fit.add_argument("folder", type=Path)
    fit.add_argument("--epochs", type=int, default=20)
    fit.add_argument("--seed", type=int, default=0)
    judge = commands.add_parser("score", help="accuracy of a saved judge on a folder of wavs")
    judge.add_argument("model", type=Path)
    judge.add_argument("folder", type=Path)
    full = commands.add_parser(
        "report", help="accuracy and small-n metrics of SAMPLES in the judge's embedding"
    )
    full.add_argument(
        "folder", type=Path, help="the speech folder (classifier.pt, held_out, train)"
    )
    full.add_argument("samples", type=Path, help="a folder of wavs, e.g. audiogan generate's")
    full.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    if args.command == "report":
        print(report(args.folder, args.samples, args.seed))
        return 0
    if args.command == "train":
        _, result = train(args.folder, args.epochs, args.seed)
        overall, per_class = result["held_out"]
        gl, gl_per_class = result["held_out_griffin_lim"]
        names = result["classes"]
        print(
            f"trained in {result['train_s']:.0f} s, validation accuracy {result['val_accuracy']:.3f}"
        )
        print(f"held-out accuracy {overall:.3f}: " + _per_class(names, per_class))
        print(
            f"held-out through log-mel + Griffin-Lim {gl:.3f}: " + _per_class(names, gl_per_class)
        )
        return 0
    overall, per_class, n = score(args.model, args.folder)
    print(
        f"{n} files, accuracy {overall:.3f}: "
        + _per_class(list(per_class), list(per_class.values()))
    )
    return 0


def _per_class(names: list[str], values: list[float]) -> str:
    return ", ".join(f"{name} {value:.2f}" for name, value in zip(names, values, strict=True))


if __name__ == "__main__":
    sys.exit(main())
