"""The recurrent event classifier: classify sound events, then detect them live in a stream.

A recurrent network (a GRU; the original's tanh RNN with ``full_size``) reads a clip's log-mel
frame by frame and predicts its class from the mean of its outputs. It trains on most clips of a
``file,label`` CSV (built in: synthetic sounds of five classes as wav files and a CSV in
``OUT/data``) or of a folder of class subfolders, and is saved to ``OUT/classifier.pt``, which
training again in that folder reuses. A recording (built in: the held-out clips in a row; or
``--set recording=FILE``) is then fed in chunks as a microphone delivers them, and each window
of one clip's length gives a detection (:func:`~audiogan.frontends.stream_windows`). The
held-out accuracy and the detections: ``OUT/report.txt``, ``OUT/detections.csv``.
"""

from __future__ import annotations

import csv
import dataclasses
from dataclasses import dataclass
from pathlib import Path

import torch
from torch.nn.functional import pad
from torch.utils.data import Dataset, Subset

from audiogan.audio import load_audio, mix_down, resample, save_audio
from audiogan.data import FeatureCache, write_annotated_csv
from audiogan.frontends import LogMel, stream_windows
from audiogan.metrics import classifier_accuracy, train_or_load_classifier
from audiogan.nn import RecurrentClassifier
from audiogan.recipes.recipe import ConfigError, Recipe, save_run_config
from audiogan.recipes.spectrogram import SpectrogramConfig, labelled_clips, logmel
from audiogan.train import seed_everything

#: The columns of ``OUT/detections.csv``: a row per window of the recording.
COLUMNS = ("start_s", "end_s", "class", "probability", "played")


@dataclass
class Config(SpectrogramConfig):
    """The event classifier's settings (it always caches log-mels and samples nothing).

    Attributes:
        test_fraction: Share of the clips held out for the accuracy and the recording.
        cell, hidden_size, num_layers, dropout: The :class:`~audiogan.nn.RecurrentClassifier`.
        lr: Adam learning rate.
        recording: An audio file to detect events in (default: the held-out clips in a row).
        chunk: Samples per chunk of the stream.
        threshold: Windows whose best class is less probable are reported as ``uncertain``.
    """

    out: str = "runs/event-classifier"
    steps: int | None = None
    epochs: int | None = 15
    batch_size: int = 16
    clips_per_class: int = 20
    n_mels: int = 40
    test_fraction: float = 0.2
    cell: str = "gru"
    hidden_size: int = 64
    num_layers: int = 2
    dropout: float = 0.1
    lr: float = 1e-3
    recording: str | None = None
    chunk: int = 1024
    threshold: float = 0.5


@dataclass
class ClassifierRun:
    """The classifier's run: clips ``((1, samples), label)``, their cached log-mels, the split
    (indices of ``clips``) and the model (untrained until :meth:`fit` trains or loads it)."""

    config: Config
    clips: Dataset
    features: FeatureCache
    frontend: LogMel
    train: list[int]
    held: list[int]
    model: RecurrentClassifier

    @property
    def out_dir(self) -> Path:
        """The run folder."""
        return Path(self.config.out)

    def summary(self) -> str:
        """What is trained on how many clips, and whether the saved model is reused."""
        c, path = self.config, self.out_dir / "classifier.pt"
        how = f"reusing {path}" if path.is_file() else f"training {c.epochs} epochs"
        return (
            f"{c.cell.upper()} classifier on {len(self.train)} clips of {self.clips.classes} "
            f"({len(self.held)} held out), log-mels {self.features.feature_shape}; {how}"
        )

    def fit(self) -> None:
        """Write ``recipe.json``, train (or load) the classifier, then report and detect."""
        c, path = self.config, self.out_dir / "classifier.pt"
        save_run_config(self.out_dir, "event-classifier", c)
        device = (
            ("cuda" if torch.cuda.is_available() else "cpu") if c.device == "auto" else c.device
        )
        options = dict(epochs=c.epochs, lr=c.lr, device=device, val_fraction=0.0)
        self.model, loaded = trained_or_saved(
            path,
            self.model,
            Subset(self.features, self.train),
            batch_size=c.batch_size,
            seed=c.seed,
            class_names=self.clips.classes,
            **options,
        )
        print(
            f"{'reusing the classifier trained earlier' if loaded else 'trained and saved'}: {path}"
        )
        report, rows = self.assess()
        with open(self.out_dir / "detections.csv", "w", newline="") as f:
            csv.writer(f).writerows([COLUMNS, *rows])
        (self.out_dir / "report.txt").write_text(report + "\n")
        print(report)

    def assess(self) -> tuple[str, list[tuple]]:
        """Held-out accuracy (overall, per class) and the detections in the recording (built in:
        written to ``OUT/recording.wav``): a report and a row of :data:`COLUMNS` per window."""
        c, model, classes = self.config, self.model.cpu().eval(), self.clips.classes
        x = torch.stack([torch.as_tensor(self.features[i][0]) for i in self.held]).float()
        y = torch.tensor([int(self.features[i][1]) for i in self.held])
        overall, per_class = classifier_accuracy(model, x, y, classes)
        lines = [f"held-out accuracy: {overall:.3f} on {len(y)} clips; per class:"]
        lines += [f"  {name:<15} {accuracy:.3f}" for name, accuracy in per_class.items()]
        window = self.features.feature_shape[-1]  # frames of one clip: the detection window
        size = window * self.frontend.hop_length  # ... in samples (a clip: (window - 1) * hop)
        if c.recording is not None:
            wave, sr = load_audio(c.recording)  # (channels, time)
            wave, played = resample(mix_down(wave), sr, c.sample_rate)[0], []
        else:  # the held-out clips, each padded to one window, in a row
            parts = [self.clips[i][0][0] for i in self.held]  # (samples,) each
            wave = torch.cat([pad(part, (0, size - len(part))) for part in parts])
            played = [classes[int(self.clips[i][1])] for i in self.held]
            save_audio(self.out_dir / "recording.wav", wave[None], c.sample_rate)
        lines.append(f"detections ({c.chunk}-sample chunks, {size / c.sample_rate:.2f} s windows):")
        chunks = (wave[i : i + c.chunk] for i in range(0, len(wave), c.chunk))
        rows = []
        for n, (start, logits) in enumerate(stream_windows(model, self.frontend, chunks, window)):
            p, k = (float(v) for v in torch.softmax(logits[0], dim=0).max(dim=0))
            name = classes[int(k)] if p >= c.threshold else "uncertain"
            truth = played[n] if n < len(played) else ""
            end = start + size / c.sample_rate
            rows.append((round(start, 3), round(end, 3), name, round(p, 3), truth))
            lines.append(f"  {start:7.2f} s   {name:<15} p={p:.2f}   played: {truth or '?'}")
        if played:
            hits = sum(row[2] == row[4] for row in rows)
            lines.append(f"{hits} of {len(rows)} windows detected the class played")
        return "\n".join(lines), rows

    def outputs(self) -> list[str]:
        """Where the classifier, report, detections and built-in data are."""
        names = ["classifier.pt", "report.txt", "detections.csv", "recording.wav", "data"]
        return [f"run folder: {self.out_dir}"] + [
            f"{name}: {self.out_dir / name}" for name in names if (self.out_dir / name).exists()
        ]


def trained_or_saved(path: Path, model: RecurrentClassifier, data: Dataset, **options: object):
    """:func:`~audiogan.metrics.train_or_load_classifier`, with its error as one line."""
    try:
        return train_or_load_classifier(path, model, data, **options)
    except ValueError as e:
        raise ConfigError(f"{e}: use another --out") from e


def build(config: Config) -> ClassifierRun:
    """Data (the built-in CSV written once), cached log-mels, the split and a fresh model."""
    if config.steps is not None or config.epochs is None:
        raise ConfigError("event-classifier trains for --epochs N; it has no --steps")
    frontend, out, source = logmel(config), Path(config.out), config
    samples = frontend.num_samples_for_frames()
    if config.data is None and config.csv is None:  # built in, in the original's layout
        csv_path, audio_dir = out / "data" / "annotations.csv", out / "data" / "audio"
        if not csv_path.is_file():
            args = (config.clips_per_class, config.sample_rate, samples, config.seed)
            write_annotated_csv(csv_path, audio_dir, *args, string_labels=True)
        source = dataclasses.replace(config, csv=str(csv_path), audio_dir=str(audio_dir))
    clips = labelled_clips(source, samples)
    order = torch.randperm(len(clips), generator=torch.Generator().manual_seed(config.seed))
    held = order[: max(1, round(len(clips) * config.test_fraction))].tolist()
    seed_everything(config.seed)  # the model's initial weights: same seed, same run
    sizes = (config.n_mels, len(clips.classes), config.hidden_size, config.num_layers)
    model = RecurrentClassifier(*sizes, config.cell, dropout=config.dropout)
    features = FeatureCache(clips, frontend, out / "cache")
    train = order[len(held) :].tolist()
    return ClassifierRun(config, clips, features, frontend, train, held, model)


def evaluate(run_dir: Path, config: Config) -> str:
    """Held-out accuracy (per class) and streaming detection agreement of the saved classifier."""
    run = build(dataclasses.replace(config, out=str(run_dir)))
    path = run.out_dir / "classifier.pt"
    if not path.is_file():
        raise ConfigError(f"{run_dir} has no classifier.pt yet: train it first")
    run.model, _ = trained_or_saved(path, run.model, run.features)
    return f"{path}\n" + run.assess()[0]


RECIPE = Recipe(
    name="event-classifier",
    summary="recurrent sound event classifier on annotated clips, with streaming detection",
    config=Config,
    full_size={"cell": "rnn"},
    build=build,
    evaluate=evaluate,
    data_flags=("data", "csv"),
    generates=False,
)
