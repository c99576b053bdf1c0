"""The event-classifier recipe end to end through the ``audiogan`` command.

At a tiny size: training writes the built-in CSV, the classifier, its held-out accuracy and the
streaming detections; training again in the same folder reuses the classifier; ``audiogan
evaluate`` reports on it and ``audiogan generate`` refuses it in one line. Also: a folder of
class subfolders with a recording file, the settings it refuses, and the default size (~5 s).
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

import pytest

from audiogan.audio import save_audio
from audiogan.cli import main
from audiogan.data import SyntheticSounds
from audiogan.recipes import configure, get_recipe

sys.path.insert(0, str(Path(__file__).parent))
from file_checks import check_wav  # noqa: E402

CLASSES = ["dog_bark", "drilling", "engine_idling", "siren", "street_music"]

# 40 clips (8 per class; 8 held out) of 16 mels x 24 frames, a 1-layer GRU of 32, 10 epochs.
TINY = [
    *("--device", "cpu", "--epochs", 10),
    *("--set", "clips_per_class=8", "--set", "batch_size=4", "--set", "lr=0.01"),
    *("--set", "n_mels=16", "--set", "frames=24", "--set", "hidden_size=32"),
    *("--set", "num_layers=1", "--set", "chunk=700"),
]


def audiogan(capsys: pytest.CaptureFixture[str], *args: object, status: int = 0) -> str:
    """Run ``audiogan args...`` in this process; return its stdout (or stderr when it fails)."""
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert code == status, f"audiogan {args} exited {code}:\n{out}\n{err}"
    return out if status == 0 else err


def accuracy(text: str) -> float:
    """The held-out accuracy a report states."""
    return float(re.search(r"held-out accuracy: ([0-9.]+)", text).group(1))


def detections(run: Path) -> list[dict[str, str]]:
    with open(run / "detections.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_trains_reuses_evaluates_and_has_nothing_to_generate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = tmp_path / "run"
    first = audiogan(capsys, "train", "event-classifier", "--out", run, *TINY)
    assert "training 10 epochs" in first and "trained and saved" in first
    for name in ("classifier.pt", "report.txt", "detections.csv", "recording.wav"):
        assert str(run / name) in first  # the run says where its files are
    assert (run / "data" / "annotations.csv").is_file()  # the built-in CSV, in file,label rows
    report = (run / "report.txt").read_text()
    assert 0.5 <= accuracy(report) <= 1.0  # chance is 0.2
    assert all(f"  {name}" in report for name in CLASSES)  # per class
    check_wav(run / "recording.wav")
    rows = detections(run)
    assert len(rows) == 8  # one window per held-out clip of the built-in recording
    assert all(row["played"] in CLASSES and 0.0 <= float(row["probability"]) <= 1.0 for row in rows)
    starts = [float(row["start_s"]) for row in rows]
    assert starts == sorted(starts) and starts[0] == 0.0
    assert all(row["class"] in [*CLASSES, "uncertain"] for row in rows)
    for row in rows:  # each detection is printed with its time
        assert f"{float(row['start_s']):7.2f} s   {row['class']}" in first
    assert re.search(r"\d of 8 windows detected the class played", report)

    # Again in the same folder: the classifier is reused, not trained again.
    model = run / "classifier.pt"
    stamp, weights = model.stat().st_mtime_ns, model.read_bytes()
    second = audiogan(capsys, "train", "event-classifier", "--out", run, *TINY)
    assert f"reusing {model}" in second and "reusing the classifier trained earlier" in second
    assert "trained and saved" not in second and "starting a new run" not in second
    assert model.stat().st_mtime_ns == stamp and model.read_bytes() == weights
    assert (run / "report.txt").read_text() == report and len(detections(run)) == 8

    text = audiogan(capsys, "evaluate", run)
    assert str(model) in text and accuracy(text) == accuracy(report)
    assert "of 8 windows detected the class played" in text

    samples = tmp_path / "fakes"
    for source in (run, model):
        error = audiogan(capsys, "generate", source, "--out", samples, status=2)
        assert (
            error.count("\n") == 1 and "has no generator" in error and "event-classifier" in error
        )
    assert not samples.exists()


def test_a_folder_of_classes_and_a_recording_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sounds = SyntheticSounds(clips_per_class=4, num_samples=3840, classes=["siren", "dog_bark"])
    for i in range(len(sounds)):
        wave, label = sounds[i]
        save_audio(tmp_path / "clips" / sounds.classes[label] / f"{i}.wav", wave, 16000)
    recording = tmp_path / "street.wav"
    save_audio(recording, SyntheticSounds(1, num_samples=27648, seed=5).waveform(3), 16000)
    run = tmp_path / "run"
    args = ["--data", tmp_path / "clips", "--set", f"recording={recording}", *TINY]
    out = audiogan(capsys, "train", "event-classifier", "--out", run, *args)
    assert "of ['dog_bark', 'siren'] (2 held out)" in out
    assert not (run / "data").exists() and not (run / "recording.wav").exists()
    rows = detections(run)
    assert len(rows) == 5 and all(row["played"] == "" for row in rows)  # 4.5 windows of 24 * 256
    assert all(row["class"] in ["dog_bark", "siren", "uncertain"] for row in rows)
    assert "windows detected" not in (run / "report.txt").read_text()


def test_refuses_steps_another_model_and_midi(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = tmp_path / "run"
    error = audiogan(capsys, "train", "event-classifier", "--steps", 5, "--out", run, status=2)
    assert "trains for --epochs N; it has no --steps" in error
    error = audiogan(capsys, "train", "event-classifier", "--midi", tmp_path, status=2)
    assert "takes --data, --csv, not --midi" in error
    error = audiogan(capsys, "evaluate", tmp_path, status=2)
    assert "not a recipe run folder" in error

    tiny = [*TINY, "--set", "clips_per_class=2", "--epochs", 1]
    audiogan(capsys, "train", "event-classifier", "--out", run, *tiny)
    error = audiogan(
        capsys, "train", "event-classifier", "--out", run, *tiny, "--set", "cell=rnn", status=2
    )
    assert "classifier.pt holds a classifier with other settings (cell): use another --out" in error


def test_full_size_is_the_originals_tanh_rnn() -> None:
    recipe = get_recipe("event-classifier")
    assert not recipe.generates and recipe.data_flags == ("data", "csv")
    assert configure(recipe, full_size=True).cell == "rnn"
    assert configure(recipe).cell == "gru"


def test_default_size_learns_the_built_in_sounds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = tmp_path / "run"
    audiogan(capsys, "train", "event-classifier", "--out", run, "--device", "cpu")
    report = (run / "report.txt").read_text()
    assert accuracy(report) >= 0.9
    hits = int(re.search(r"(\d+) of 20 windows detected", report).group(1))
    assert hits >= 18
