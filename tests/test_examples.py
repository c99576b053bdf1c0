"""Run every example script end to end at a tiny size, as a user would (``python examples/x.py``).

Each GAN example is trained for 2 steps, run again to 4 steps in the same folder (it must resume,
not start over), then asked for samples from its checkpoint with ``--generate``. The files each
promises are checked: wav files readable by soundfile, MIDI files parseable by pretty_midi, PNG
pictures decodable and not blank, the metrics log and the checkpoints' step counters.
"""

from __future__ import annotations

import csv
import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
import soundfile as sf
import torch

from audiogan.train import load_checkpoint

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
CLASSES = ["dog_bark", "drilling", "engine_idling", "siren", "street_music"]

# Tiny spectrogram runs: 10 clips (2 per class), batch 2, 16 mels x 16 frames, narrow models.
TINY_SPECTROGRAM = [
    "--n-per-class",
    "2",
    "--batch-size",
    "2",
    "--n-mels",
    "16",
    "--frames",
    "16",
    "--channels",
    "4",
]


def run_example(script: str, *args: object, env: dict[str, str] | None = None) -> str:
    """Run ``python examples/<script> args...``; return its stdout (fail with its output)."""
    environment = {**os.environ, "OMP_NUM_THREADS": "1", **(env or {})}
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *map(str, args)],
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
    )
    assert result.returncode == 0, f"{script} {args} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def run_example_failing(script: str, *args: object, env: dict[str, str] | None = None) -> str:
    """Run ``python examples/<script> args...``, which must fail; return its stderr."""
    environment = {**os.environ, "OMP_NUM_THREADS": "1", **(env or {})}
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *map(str, args)],
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
    )
    assert result.returncode != 0, f"{script} {args} should have failed:\n{result.stdout}"
    return result.stderr


def load_example(name: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """Import ``examples/<name>.py`` as a module (nothing runs at import)."""
    monkeypatch.syspath_prepend(str(EXAMPLES))  # for its `import _common`
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check_wav(path: Path) -> None:
    data, sr = sf.read(path)
    assert sr > 0 and data.size > 0, path
    assert np.isfinite(data).all(), path


def check_png(path: Path) -> None:
    matplotlib_image = pytest.importorskip("matplotlib.image")
    image = matplotlib_image.imread(path)
    assert image.ndim == 3 and image.shape[0] > 10 and image.shape[1] > 10, path
    assert image[..., :3].std() > 0.01, f"{path} is blank"


def check_midi(path: Path) -> None:
    """Parseable, with SATB tracks (a voice that only rests, as an untrained one may, has none)."""
    pretty_midi = pytest.importorskip("pretty_midi")
    midi = pretty_midi.PrettyMIDI(str(path))
    names = [instrument.name for instrument in midi.instruments]
    assert set(names) <= {"soprano", "alto", "tenor", "bass"}, path
    assert len(names) == len(set(names)), path
    assert all(note.end > note.start for i in midi.instruments for note in i.notes), path


def logged_steps(out: Path) -> list[int]:
    with open(out / "metrics.csv", newline="") as f:
        return [int(row["step"]) for row in csv.DictReader(f)]


def check_round(folder: Path, suffix: str, stems: list[str]) -> None:
    """A sample round: one file per stem with ``suffix``, valid; PNG pictures present and valid."""
    for stem in stems:
        path = folder / f"{stem}{suffix}"
        assert path.is_file(), (
            f"missing {path}; the folder holds {sorted(p.name for p in folder.iterdir())}"
        )
        check_wav(path) if suffix == ".wav" else check_midi(path)
    pictures = sorted(folder.glob("*.png"))
    assert pictures, f"no PNG in {folder}"
    for picture in pictures:
        check_png(picture)


def train_resume_generate(
    script: str,
    out: Path,
    extra: list[str],
    suffix: str,
    stems: list[str],
    generated: list[str],
    env: dict[str, str] | None = None,
) -> str:
    """Train 2 steps, resume to 4, check the files; then --generate 2, twice (the second run is
    refused: it would replace the first one's files). Returns the 2nd run's output."""
    first = run_example(script, "--out", out, "--steps", 2, *extra, env=env)
    assert "starting a new run" in first
    assert "batches per epoch" in first  # the Trainer's one-line summary
    assert load_checkpoint(out / "checkpoints" / "step_00000002.pt")["step"] == 2
    assert logged_steps(out) == [1, 2]
    check_round(out / "samples" / "step_000002", suffix, stems)
    check_png(out / "losses.png")
    assert (out / "index.html").is_file()
    assert str(out / "index.html") in first  # the run says where its files are

    second = run_example(script, "--out", out, "--steps", 4, *extra, env=env)
    assert "resuming from" in second and "(step 2)" in second
    state = load_checkpoint(out / "checkpoints" / "step_00000004.pt")
    assert state["step"] == 4 and [h["step"] for h in state["history"]] == [1, 2, 3, 4]
    assert logged_steps(out) == [1, 2, 3, 4]  # continued, not started over
    check_round(out / "samples" / "step_000004", suffix, stems)

    third = run_example(script, "--out", out, "--generate", 2, env=env)
    folder = out / "generated" / "step_00000004"  # one folder per checkpoint
    files = sorted(folder.iterdir())
    assert [p.name for p in files] == sorted(generated)
    for path in files:
        check_wav(path) if suffix == ".wav" else check_midi(path)
        assert str(path) in third

    # From the same checkpoint again: refused, the earlier files left as they were.
    written = {path: path.read_bytes() for path in files}
    error = run_example_failing(script, "--out", out, "--generate", 1, env=env)
    assert str(folder) in error and "--overwrite" in error
    assert {path: path.read_bytes() for path in folder.iterdir()} == written
    return second


# ----------------------------------------------------------------------------- --help


@pytest.mark.parametrize(
    "name", ["audio_cgan", "onehot_cgan", "resnet9_gan", "musegan_chorales", "event_classifier"]
)
def test_help(
    name: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    module = load_example(name, monkeypatch)
    with pytest.raises(SystemExit) as exit_info:
        module.main(["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith("usage:") and "--out" in text
    if name != "event_classifier":
        assert (
            "--generate" in text
            and "--steps" in text
            and "--device" in text
            and "--precision" in text
            and "--overwrite" in text
        )


def test_generate_writes_a_folder_per_checkpoint_and_never_silently_over_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--generate``'s file handling, without a model: ``generate`` is replaced by a fake."""
    common = load_example("_common", monkeypatch)

    def fake_generate(checkpoint: Path, out_dir: Path, n_per_class: int, **_: object) -> list:
        out_dir.mkdir(parents=True, exist_ok=True)
        paths = [out_dir / f"sample_{i:03d}.wav" for i in range(n_per_class)]
        for path in paths:
            path.write_text(f"from {checkpoint.name}")
        return paths

    monkeypatch.setattr(common, "generate", fake_generate)
    out = tmp_path / "run"
    (out / "checkpoints").mkdir(parents=True)
    (out / "checkpoints" / "step_00000002.pt").touch()
    first = common.generate_from_newest(out, 3, torch.device("cpu"))
    folder = out / "generated" / "step_00000002"
    assert first == [folder / f"sample_{i:03d}.wav" for i in range(3)]
    assert f"to {folder}/" in capsys.readouterr().out  # it says where the files went

    with pytest.raises(SystemExit, match=r"step_00000002 already holds .* --overwrite"):
        common.generate_from_newest(out, 1, torch.device("cpu"))
    assert sorted(folder.iterdir()) == first  # untouched

    (out / "checkpoints" / "step_00000004.pt").touch()  # a newer checkpoint: its own folder
    common.generate_from_newest(out, 1, torch.device("cpu"))
    assert sorted(folder.iterdir()) == first
    assert [p.name for p in (out / "generated" / "step_00000004").iterdir()] == ["sample_000.wav"]

    common.generate_from_newest(out, 2, torch.device("cpu"), overwrite=True)
    assert sorted(p.name for p in (out / "generated" / "step_00000004").iterdir()) == [
        "sample_000.wav",
        "sample_001.wav",
    ]


@pytest.mark.parametrize("name", ["audio_cgan", "onehot_cgan", "resnet9_gan", "musegan_chorales"])
def test_full_size_sets_source_sizes_and_explicit_flags_win(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = load_example(name, monkeypatch)
    parse = module.parse_args
    args = parse(module.build_parser(), ["--full-size"], module.FULL_SIZE)
    for key, value in module.FULL_SIZE.items():
        assert getattr(args, key) == value
    args = parse(module.build_parser(), ["--full-size", "--batch-size", "3"], module.FULL_SIZE)
    assert args.batch_size == 3


def test_audio_cgan_full_size_is_the_original_wgan_gp(monkeypatch: pytest.MonkeyPatch) -> None:
    module = load_example("audio_cgan", monkeypatch)
    args = module.parse_args(module.build_parser(), ["--full-size"], module.FULL_SIZE)
    original = (128, 256, 64, 1e-4, 5, 10.0, 16, None)
    got = (args.n_mels, args.frames, args.batch_size, args.lr, args.n_critic, args.gp_weight)
    assert (*got, args.embed_dim, args.ema) == original
    # the default (demo) run is short and learns faster; --steps/--epochs still decide the length
    demo = module.parse_args(module.build_parser(), [], module.FULL_SIZE)
    assert (demo.n_mels, demo.frames, demo.steps, demo.epochs) == (64, 64, 800, None)


# ----------------------------------------------------------------------------- end to end


@pytest.mark.slow
def test_audio_cgan(tmp_path: Path) -> None:
    train_resume_generate(
        "audio_cgan.py",
        tmp_path / "run",
        [*TINY_SPECTROGRAM, "--sample-every", "1", "--samples-per-class", "1"],
        ".wav",
        [f"{c}_00" for c in CLASSES],
        [f"{c}_{i:03d}.wav" for c in CLASSES for i in range(2)],
    )
    # the overview picture: every class, generated beside real
    check_png(tmp_path / "run" / "samples" / "step_000004" / "all_classes.png")


@pytest.mark.slow
def test_audio_cgan_own_folder_without_cache(tmp_path: Path) -> None:
    """--data DIR (one subfolder per class) and --no-cache (the Trainer encodes each batch)."""
    from audiogan.data import write_audio_folder

    write_audio_folder(
        tmp_path / "sounds", n_per_class=5, num_samples=2000, classes=["siren", "drilling"]
    )
    out = tmp_path / "run"
    text = run_example(
        "audio_cgan.py",
        "--out",
        out,
        "--data",
        tmp_path / "sounds",
        "--no-cache",
        "--steps",
        1,
        "--batch-size",
        2,
        "--n-mels",
        16,
        "--frames",
        16,
        "--channels",
        4,
        "--samples-per-class",
        1,
    )
    assert "AudioFolder" in text
    assert not (out / "cache").exists()
    check_round(out / "samples" / "step_000001", ".wav", ["drilling_00", "siren_00"])
    assert load_checkpoint(out / "checkpoints" / "step_00000001.pt")["metadata"]["class_names"] == [
        "drilling",
        "siren",
    ]


@pytest.mark.slow
def test_onehot_cgan(tmp_path: Path) -> None:
    train_resume_generate(
        "onehot_cgan.py",
        tmp_path / "run",
        [*TINY_SPECTROGRAM, "--samples-per-class", "1"],
        ".wav",
        [f"{c}_00" for c in CLASSES],
        [f"{c}_{i:03d}.wav" for c in CLASSES for i in range(2)],
    )


@pytest.mark.slow
def test_resnet9_gan(tmp_path: Path) -> None:
    train_resume_generate(
        "resnet9_gan.py",
        tmp_path / "run",
        [*TINY_SPECTROGRAM, "--width", "4", "--samples", "2"],
        ".wav",
        ["sample_00", "sample_01"],
        ["sample_000.wav", "sample_001.wav"],
    )
    with open(tmp_path / "run" / "metrics.csv", newline="") as f:
        columns = next(csv.reader(f))
    assert {"critic_loss", "generator_loss"} <= set(columns)
    # --overwrite replaces the earlier generation from that checkpoint: no stale file is left
    folder = tmp_path / "run" / "generated" / "step_00000004"
    text = run_example("resnet9_gan.py", "--out", tmp_path / "run", "--generate", 1, "--overwrite")
    assert sorted(p.name for p in folder.iterdir()) == ["sample_000.wav"]
    assert str(folder / "sample_000.wav") in text


@pytest.mark.slow
def test_musegan_chorales(tmp_path: Path) -> None:
    env = {"AUDIOGAN_CACHE": str(tmp_path / "cache")}
    args = [
        "--max-chorales",
        "3",
        "--split",
        "all",
        "--batch-size",
        "2",
        "--channels",
        "4",
        "--samples",
        "2",
        "--report-samples",
        "4",
    ]
    train_resume_generate(
        "musegan_chorales.py",
        tmp_path / "run",
        args,
        ".mid",
        ["sample_00", "sample_01"],
        ["sample_000.mid", "sample_001.mid"],
        env=env,
    )
    assert (tmp_path / "cache" / "jsb_chorales.npz").is_file()
    text = run_example(
        "musegan_chorales.py", "--out", tmp_path / "run", "--steps", 5, *args, env=env
    )
    # the music metrics of the samples, beside those of the real phrases
    assert (
        "qualified notes (QN)" in text and "tonal distance (TD)" in text and "soprano-alto" in text
    )


@pytest.mark.slow
def test_event_classifier(tmp_path: Path) -> None:
    out = tmp_path / "run"
    tiny = [
        "--out",
        out,
        "--n-per-class",
        3,
        "--clip-samples",
        4096,
        "--n-mels",
        16,
        "--hidden-size",
        8,
        "--num-layers",
        1,
        "--epochs",
        1,
        "--chunk",
        700,
    ]
    first = run_example("event_classifier.py", *tiny, "--recording-clips", 3)
    assert "training a GRU classifier" in first and "held-out accuracy" in first
    assert (out / "classifier.pt").is_file() and (out / "data" / "annotations.csv").is_file()
    check_wav(out / "recording.wav")
    with open(out / "detections.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 3  # one per clip of the built-in recording (the last one partial)
    assert all(row["played"] in CLASSES and 0.0 <= float(row["probability"]) <= 1.0 for row in rows)
    assert [float(row["start_s"]) for row in rows] == sorted(float(row["start_s"]) for row in rows)
    for row in rows:  # each detection is printed with its time
        assert f"{float(row['start_s']):7.2f} s" in first

    # Again, on a recording file: the saved classifier is reused, not trained again.
    second = run_example("event_classifier.py", *tiny, "--recording", out / "recording.wav")
    assert "loaded the classifier trained earlier" in second and "training a" not in second
    with open(out / "detections.csv", newline="") as f:
        assert len(list(csv.DictReader(f))) == 3
