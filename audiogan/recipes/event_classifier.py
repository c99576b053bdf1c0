"""The recurrent event classifier: classify sound events, then detect them live in a stream.

A recurrent network reads a clip's log-mel frame by frame (a GRU by default; the original used a
plain tanh RNN: ``full_size`` or ``--set cell=rnn``), averages its outputs over time and
predicts the class. Data: a CSV of ``file,label`` rows (built in: synthetic sounds of five
classes written as wav files and such a CSV into ``OUT/data``), or a folder of class subfolders.
It trains on most clips and is saved to ``OUT/classifier.pt`` (training again in the same
folder reuses it); ``OUT/report.txt`` holds its held-out accuracy. Then a recording (built in:
held-out clips one after another, ``OUT/recording.wav``; or ``--set recording=FILE``) is fed in
chunks as a microphone callback would deliver them: :class:`~audiogan.frontends.StreamingEncoder`
turns them into the frames of the whole signal, :meth:`~audiogan.nn.RecurrentClassifier.step`
carries its state across chunks, and every window of one clip's length is a detection
(``OUT/detections.csv``). The CPU defaults train in well under a minute on a 2-core CPU.
"""

from __future__ import annotations

import csv
import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
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
    """The event classifier's settings (``cache``, ``samples_per_class``, ``every``, ``unit`` and
    ``precision`` are unused: the log-mels are always cached, nothing is sampled).

    Attributes:
        test_fraction: Share of the clips held out for the accuracy and the recording.
        cell, hidden_size, num_layers, dropout: The :class:`~audiogan.nn.RecurrentClassifier`.
        lr: Adam learning rate.
        recording: An audio file to run detection over (default: held-out clips in a row).
        recording_clips: How many held-out clips the built-in recording strings together.
        chunk: Samples per chunk fed to the stream.
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
    """A classifier's run: its clips, their cached log-mels, the held-out split and the model."""

    config: Config
    clips: Dataset  # ((1, samples), label)
    features: FeatureCache  # ((1, n_mels, frames), label)
    frontend: LogMel
    classes: list[str]
    train: list[int]
    held: list[int]
    model: RecurrentClassifier

    @property
    def out_dir(self) -> Path:
        """The run folder."""
        return Path(self.config.out)

    def summary(self) -> str:
        """What is trained on how many clips, and whether an earlier model is reused."""
        c = self.config
        how = "reusing classifier.pt" if self.trained() else f"{c.epochs} epochs"
        return (f"{c.cell.upper()} classifier ({c.num_layers} x {c.hidden_size}) on "
                f"{len(self.train)} clips of {self.classes}, log-mels {self.features.feature_shape}, "
                f"{len(self.held)} held out; {how}")  # fmt: skip

    def trained(self) -> bool:
        """Whether the run folder holds the trained model."""
        return (self.out_dir / "classifier.pt").is_file()

    def fit(self) -> None:
        """Write ``recipe.json``, train (or load) the classifier, report, detect, write files."""
        c, path = self.config, self.out_dir / "classifier.pt"
        save_run_config(self.out_dir, "event-classifier", c)
        if self.trained():
            self.model = load_saved(path, self.model)
            print(f"reusing the classifier trained earlier: {path}")
        else:
            device = ("cuda" if torch.cuda.is_available() else "cpu") if c.device == "auto" else c.device  # fmt: skip
            self.model, history = train_classifier(self.model, Subset(self.features, self.train), c.epochs, c.lr, device, 0.0, path, batch_size=c.batch_size, seed=c.seed, class_names=self.classes)  # fmt: skip
            print(f"trained; training accuracy {history['train_accuracy'][-1]:.3f}: {path}")
        report, rows = self.assess()
        for r in rows:
            print(f"  {r['start_s']:7.2f} s - {r['end_s']:7.2f} s   {r['class']:<15} p={r['probability']:.2f}   (played: {r['played'] or '?'})")  # fmt: skip
        (self.out_dir / "report.txt").write_text(report + "\n")
        with open(self.out_dir / "detections.csv", "w", newline="") as f:
            writer = csv.DictWriter(f, ["start_s", "end_s", "class", "probability", "played"])
            writer.writeheader()
            writer.writerows(rows)
        print(report)

    def assess(self) -> tuple[str, list[dict[str, Any]]]:
        """Held-out accuracy (overall, per class) and streaming detection: text and one row a window."""
        c, model = self.config, self.model.cpu().eval()
        x = torch.stack([torch.as_tensor(self.features[i][0]) for i in self.held]).float()
        y = torch.tensor([int(self.features[i][1]) for i in self.held])
        overall, per_class = classifier_accuracy(model, x, y, self.classes)
        window = self.features.feature_shape[-1]  # frames of one clip: the detection window
        segment = window * self.frontend.hop_length  # ... in samples
        if c.recording is not None:
            wave, sr = load_audio(c.recording)  # (channels, time)
            wave, played = resample(mix_down(wave), sr, c.sample_rate)[0], []
        else:  # held-out clips, each padded to one window, one after another
            picked = self.held[: c.recording_clips]
            parts = [self.clips[i][0][0] for i in picked]
            wave = torch.cat([torch.nn.functional.pad(w, (0, segment - len(w))) for w in parts])
            played = [self.classes[int(self.clips[i][1])] for i in picked]
            save_audio(self.out_dir / "recording.wav", wave[None], c.sample_rate)
        rows = detect(model, self.frontend, wave, c.chunk, window, c.threshold, self.classes)
        for r, name in zip(rows, played + [""] * len(rows), strict=False):
            r["played"] = name
        hits = sum(r["class"] == r["played"] for r in rows)
        each = ", ".join(f"{name} {a:.2f}" for name, a in per_class.items())
        agreement = f"{hits} of {min(len(rows), len(played))} windows detected the class played"
        return (f"held-out accuracy: {overall:.3f} on {len(self.held)} clips ({each})\n"
                f"streaming detection in chunks of {c.chunk} samples, {len(rows)} windows of "
                f"{segment / c.sample_rate:.2f} s: " + (agreement if played else c.recording)), rows  # fmt: skip

    def outputs(self) -> list[str]:
        """Where the classifier, report, detections and built-in data are."""
        names = ["classifier.pt", "report.txt", "detections.csv", "recording.wav", "data"]
        return [f"run folder: {self.out_dir}"] + [
            f"{name}: {self.out_dir / name}" for name in names if (self.out_dir / name).exists()
        ]


@torch.no_grad()
def detect(model: RecurrentClassifier, frontend: LogMel, wave: torch.Tensor, chunk: int, window: int, threshold: float, classes: list[str]) -> list[dict[str, Any]]:  # fmt: skip
    """Feed ``wave (time,)`` in chunks through a stream; one detection per ``window`` frames
    (the state restarts at each), and one for a last window at least half full."""
    encoder, rows, state, seen = StreamingEncoder(frontend), [], None, 0
    logits = torch.zeros(1, len(classes))

    def close(logits: torch.Tensor) -> None:
        p, c = torch.softmax(logits[0], dim=0).max(dim=0)
        start = float(encoder.frame_times(len(rows) * window, len(rows) * window + 1)[0])
        end = start + window * frontend.hop_length / frontend.sample_rate
        name = classes[int(c)] if float(p) >= threshold else "uncertain"
        rows.append({"start_s": round(start, 3), "end_s": round(end, 3), "class": name, "probability": round(float(p), 3)})  # fmt: skip

    def feed(frames: torch.Tensor) -> None:  # (1, n_mels, k) new frames, k may be 0
        nonlocal state, seen, logits
        while frames.shape[-1] > 0:
            take = min(frames.shape[-1], window - seen)
            logits, state = model.step(frames[..., :take], state)  # (1, num_classes), carried
            frames, seen = frames[..., take:], seen + take
            if seen == window:
                close(logits)
                state, seen = None, 0

    for start in range(0, len(wave), chunk):  # what a microphone callback does with each block
        feed(encoder.push(wave[start : start + chunk]))
    feed(encoder.flush())  # the recording ended: its last frames
    if seen >= window // 2:
        close(logits)
    return rows


def load_saved(path: Path, model: RecurrentClassifier) -> RecurrentClassifier:
    """The classifier saved at ``path``, which must have ``model``'s settings."""
    saved = load_classifier(path)
    differ = [k for k, v in model.config.items() if saved.config.get(k) != v]
    if differ:
        raise ConfigError(f"{path} was trained with other {', '.join(differ)}; choose another --out")
    return saved


def build(config: Config) -> ClassifierRun:
    """Data (writing the built-in CSV once), cached log-mels, split and a fresh model."""
    if config.steps is not None or config.epochs is None:
        raise ConfigError("event-classifier trains for --epochs N; it has no --steps")
    frontend, out = logmel(config), Path(config.out)
    samples = frontend.num_samples_for_frames()
    source = config
    if config.data is None and config.csv is None:  # the built-in set, in the original's layout
        csv_path, audio_dir = out / "data" / "annotations.csv", out / "data" / "audio"
        if not csv_path.is_file():
            write_annotated_csv(csv_path, audio_dir, config.n_per_class, config.sample_rate, samples, config.seed, string_labels=True)  # fmt: skip
        source = dataclasses.replace(config, csv=str(csv_path), audio_dir=str(audio_dir))
    clips = labelled_clips(source, samples)
    features = FeatureCache(clips, frontend, out / "cache")
    order = torch.randperm(len(clips), generator=torch.Generator().manual_seed(config.seed))
    n_held = max(1, round(len(clips) * config.test_fraction))
    torch.manual_seed(config.seed)
    model = RecurrentClassifier(config.n_mels, len(clips.classes), config.hidden_size, config.num_layers, config.cell, dropout=config.dropout, pooling="mean")  # fmt: skip
    held, train = order[-n_held:].tolist(), order[:-n_held].tolist()
    return ClassifierRun(config, clips, features, frontend, list(clips.classes), train, held, model)


def evaluate(run_dir: Path, config: Config) -> str:
    """Held-out accuracy (per class) and streaming detection agreement of the saved classifier."""
    run = build(dataclasses.replace(config, out=str(run_dir)))
    if not run.trained():
        raise ConfigError(f"{run_dir} has no classifier.pt yet: train it first")
    run.model = load_saved(run.out_dir / "classifier.pt", run.model)
    return f"{run.out_dir / 'classifier.pt'} on {run.out_dir}:\n" + run.assess()[0]


RECIPE = Recipe(
    name="event-classifier",
    summary="recurrent sound event classifier on CSV-annotated clips, with streaming detection",
    config=Config,
    full_size={"cell": "rnn"},
    build=build,
    evaluate=evaluate,
    data_flags=("data", "csv"),
    generates=False,
)
