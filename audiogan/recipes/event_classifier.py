"""The recurrent event classifier: classify sound events, then detect them live in a stream.

A recurrent network reads a clip's log-mel frame by frame (a GRU; the original: a tanh RNN,
``full_size``) and predicts its class from the mean of its outputs. It trains on most clips of a
``file,label`` CSV (built in: synthetic sounds of five classes written as wav files and a CSV
into ``OUT/data``) or of a folder of class subfolders and is saved to ``OUT/classifier.pt``;
training again in that folder reuses it. A recording (built in: held-out clips in a row,
``OUT/recording.wav``; or ``--set recording=FILE``) is then fed in chunks as a microphone
callback delivers them, and each window of one clip's length gives a detection. Held-out
accuracy and detections: ``OUT/report.txt``, ``OUT/detections.csv``. Seconds on a 2-core CPU.
"""

from __future__ import annotations

import csv
import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch.nn.functional import pad
from torch.utils.data import Dataset, Subset

from audiogan.audio import load_audio, mix_down, resample, save_audio
from audiogan.data import FeatureCache, write_annotated_csv
from audiogan.frontends import LogMel, StreamingEncoder
from audiogan.metrics import classifier_accuracy, load_classifier, train_classifier
from audiogan.nn import RecurrentClassifier
from audiogan.recipes.audio import SpectrogramConfig, labelled_clips, logmel
from audiogan.recipes.recipe import ConfigError, Recipe, save_run_config


@dataclass
class Config(SpectrogramConfig):
    """The event classifier's settings (it always caches log-mels and samples nothing).

    Attributes:
        test_fraction: Share of the clips held out for the accuracy and the recording.
        cell, hidden_size, num_layers, dropout: The :class:`~audiogan.nn.RecurrentClassifier`.
        lr: Adam learning rate.
        recording: An audio file to detect events in (default: held-out clips in a row).
        recording_clips: Held-out clips in the built-in recording.
        chunk: Samples per chunk of the stream.
        threshold: Windows whose best class is less probable are reported as ``uncertain``.
    """

    out: str = "runs/event-classifier"
    steps: int | None = None
    epochs: int | None = 15
    batch_size: int = 16
    n_per_class: int = 20
    n_mels: int = 40
    test_fraction: float = 0.2
    cell: str = "gru"
    hidden_size: int = 64
    num_layers: int = 2
    dropout: float = 0.1
    lr: float = 1e-3
    recording: str | None = None
    recording_clips: int = 10
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
        if path.is_file():
            self.model = load_saved(path, self.model)
            print(f"reusing the classifier trained earlier: {path}")
        else:
            auto = "cuda" if torch.cuda.is_available() else "cpu"
            self.model, history = train_classifier(
                self.model,
                Subset(self.features, self.train),
                epochs=c.epochs,
                lr=c.lr,
                device=auto if c.device == "auto" else c.device,
                val_fraction=0.0,
                path=path,
                batch_size=c.batch_size,
                seed=c.seed,
                class_names=self.clips.classes,
            )
            print(f"training accuracy {history['train_accuracy'][-1]:.3f}; saved to {path}")
        report, rows = self.assess(save=True)
        with open(self.out_dir / "detections.csv", "w", newline="") as f:
            writer = csv.DictWriter(f, ["start_s", "end_s", "class", "probability", "played"])
            writer.writeheader()
            writer.writerows(rows)
        (self.out_dir / "report.txt").write_text(report + "\n")
        print(report)

    def assess(self, save: bool = False) -> tuple[str, list[dict[str, Any]]]:
        """Held-out accuracy (overall, per class), then detections in the recording (saved to
        ``OUT/recording.wav`` with ``save`` when built in): a report and one row per window."""
        c, model, classes = self.config, self.model.cpu().eval(), self.clips.classes
        x = torch.stack([torch.as_tensor(self.features[i][0]) for i in self.held]).float()
        y = torch.tensor([int(self.features[i][1]) for i in self.held])
        overall, per_class = classifier_accuracy(model, x, y, classes)
        lines = [f"held-out accuracy: {overall:.3f} on {len(y)} clips; per class:"]
        lines += [f"  {name:<15} {accuracy:.3f}" for name, accuracy in per_class.items()]
        window = self.features.feature_shape[-1]  # frames of one clip: the detection window
        segment = window * self.frontend.hop_length  # ... in samples
        if c.recording is not None:
            wave, sr = load_audio(c.recording)  # (channels, time)
            wave, played = resample(mix_down(wave), sr, c.sample_rate)[0], []
        else:  # held-out clips, each cut or padded to one window
            picked = self.held[: c.recording_clips]
            wave = torch.cat([pad(self.clips[i][0][0], (0, segment))[:segment] for i in picked])
            played = [classes[int(self.clips[i][1])] for i in picked]
            if save:
                save_audio(self.out_dir / "recording.wav", wave[None], c.sample_rate)
        rows = detect(model, self.frontend, wave, c.chunk, window, c.threshold, classes)
        lines.append(
            f"detections, chunks of {c.chunk} samples, {segment / c.sample_rate:.2f} s windows:"
        )
        for n, row in enumerate(rows):
            row["played"] = played[n] if n < len(played) else ""
            lines.append(
                f"  {row['start_s']:7.2f} s - {row['end_s']:7.2f} s   {row['class']:<15} "
                f"p={row['probability']:.2f}" + (f"   played: {row['played']}" if played else "")
            )
        if played:
            hits = sum(row["class"] == row["played"] for row in rows)
            lines.append(f"{hits} of {len(rows)} windows detected the class played")
        return "\n".join(lines), rows

    def outputs(self) -> list[str]:
        """Where the classifier, report, detections and built-in data are."""
        names = ["classifier.pt", "report.txt", "detections.csv", "recording.wav", "data"]
        return [f"run folder: {self.out_dir}"] + [
            f"{name}: {self.out_dir / name}" for name in names if (self.out_dir / name).exists()
        ]


@torch.no_grad()
def detect(
    model: RecurrentClassifier,
    frontend: LogMel,
    wave: torch.Tensor,
    chunk: int,
    window: int,
    threshold: float,
    classes: list[str],
) -> list[dict[str, Any]]:
    """Feed ``wave (time,)`` chunk by chunk; a detection per ``window`` frames (the model's
    state restarts at each) and one for a last window at least half full."""
    encoder, rows, state, seen = StreamingEncoder(frontend), [], None, 0
    logits = torch.zeros(1, len(classes))  # the model's latest output

    def close() -> None:
        p, c = torch.softmax(logits[0], dim=0).max(dim=0)
        start = float(encoder.frame_times(len(rows) * window, len(rows) * window + 1)[0])
        end = start + window * frontend.hop_length / frontend.sample_rate
        name = classes[int(c)] if float(p) >= threshold else "uncertain"
        rows.append({"start_s": round(start, 3), "end_s": round(end, 3), "class": name})
        rows[-1]["probability"] = round(float(p), 3)

    def feed(frames: torch.Tensor) -> None:  # (1, n_mels, k) new frames, k may be 0
        nonlocal state, seen, logits
        while frames.shape[-1] > 0:
            take = min(frames.shape[-1], window - seen)
            logits, state = model.step(frames[..., :take], state)  # (1, num_classes), carried
            frames, seen = frames[..., take:], seen + take
            if seen == window:
                close()
                state, seen = None, 0

    for start in range(0, len(wave), chunk):  # what a microphone callback does with each block
        feed(encoder.push(wave[start : start + chunk]))
    feed(encoder.flush())  # the recording ended: its last frames
    if seen >= window // 2:
        close()
    return rows


def load_saved(path: Path, model: RecurrentClassifier) -> RecurrentClassifier:
    """The classifier saved at ``path``; it must have ``model``'s settings."""
    saved = load_classifier(path)
    differ = [k for k, v in model.config.items() if saved.config.get(k) != v]
    if differ:
        raise ConfigError(
            f"{path} was trained with another {', '.join(differ)}: choose another --out"
        )
    return saved


def build(config: Config) -> ClassifierRun:
    """Data (the built-in CSV written once), cached log-mels, the split and a fresh model."""
    if config.steps is not None or config.epochs is None:
        raise ConfigError("event-classifier trains for --epochs N; it has no --steps")
    frontend, out, source = logmel(config), Path(config.out), config
    samples = frontend.num_samples_for_frames()
    if config.data is None and config.csv is None:  # built in, in the original's layout
        csv_path, audio_dir = out / "data" / "annotations.csv", out / "data" / "audio"
        if not csv_path.is_file():
            args = (config.n_per_class, config.sample_rate, samples, config.seed)
            write_annotated_csv(csv_path, audio_dir, *args, string_labels=True)
        source = dataclasses.replace(config, csv=str(csv_path), audio_dir=str(audio_dir))
    clips = labelled_clips(source, samples)
    order = torch.randperm(len(clips), generator=torch.Generator().manual_seed(config.seed))
    n_held = max(1, round(len(clips) * config.test_fraction))
    torch.manual_seed(config.seed)  # the model's initial weights
    model = RecurrentClassifier(
        config.n_mels, len(clips.classes), config.hidden_size, config.num_layers, config.cell
    )
    model = RecurrentClassifier(**{**model.config, "dropout": config.dropout})
    features = FeatureCache(clips, frontend, out / "cache")
    held, train = order[-n_held:].tolist(), order[:-n_held].tolist()
    return ClassifierRun(config, clips, features, frontend, train, held, model)


def evaluate(run_dir: Path, config: Config) -> str:
    """Held-out accuracy (per class) and streaming detection agreement of the saved classifier."""
    run = build(dataclasses.replace(config, out=str(run_dir)))
    path = run.out_dir / "classifier.pt"
    if not path.is_file():
        raise ConfigError(f"{run_dir} has no classifier.pt yet: train it first")
    run.model = load_saved(path, run.model)
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
