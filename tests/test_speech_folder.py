"""The speech folder maker (``benchmarks/make_speech_folder.py``) and its independent judge
(``benchmarks/speech_classifier.py``), at a tiny size; skipped without espeak-ng."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from benchmark_modules import load_benchmark  # noqa: E402

maker = load_benchmark("make_speech_folder")
needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="espeak-ng is not installed"
)


def test_pink_noise_has_a_falling_spectrum_and_unit_power() -> None:
    noise = maker.pink_noise(np.random.default_rng(0), 2**16)
    assert np.mean(noise**2) == pytest.approx(1.0)
    power = np.abs(np.fft.rfft(noise)) ** 2
    f = np.fft.rfftfreq(noise.size)
    low, high = power[(f > 0.001) & (f < 0.002)].mean(), power[(f > 0.1) & (f < 0.2)].mean()
    assert 50 < low / high < 200  # 1/f: a 100x higher band has 1/100 the power density


def test_room_impulse_response_decays_by_60_db_in_rt60() -> None:
    rng = np.random.default_rng(1)
    ir = maker.room_impulse_response(rng, 0.4)
    assert np.sum(ir**2) == pytest.approx(1.0)
    assert len(ir) == int(0.4 * maker.SAMPLE_RATE)
    first, last = ir[800:1600], ir[-800:]  # 50-100 ms against the last 50 ms
    drop_db = 10 * np.log10(np.mean(first**2) / np.mean(last**2))
    assert 35 < drop_db < 70  # ~60 dB over ~0.325 s of decay: ~48 dB expected


@needs_espeak
def test_tiny_folder_has_the_layout_and_the_drawn_snr(tmp_path: Path) -> None:
    rows = maker.make_folder(
        tmp_path, clips_per_class=2, held_out=1, classifier_clips=1, words=("yes", "no")
    )
    assert len(rows) == 2 * (2 + 1 + 1)
    for split, n in (("train", 2), ("held_out", 1), ("classifier", 1)):
        for word in ("yes", "no"):
            files = sorted((tmp_path / split / word).glob("*.wav"))
            assert [f.name for f in files] == [f"{word}_{i:03d}.wav" for i in range(n)]
    wave, rate = sf.read(tmp_path / "train" / "yes" / "yes_000.wav")
    assert rate == 16000 and wave.shape == (16000,)
    assert 0.2 < np.abs(wave).max() <= 0.91
    with open(tmp_path / "clips.csv") as f:
        table = list(csv.DictReader(f))
    assert len(table) == len(rows)
    assert all(12 <= float(r["snr_db"]) <= 25 for r in table)
    assert all(0 <= float(r["onset_s"]) < 1 for r in table)
    # seeded: the same arguments give the same clip
    again, _ = maker.make_clip(np.random.default_rng([0, 0, 0]), "yes")
    first, _ = maker.make_clip(np.random.default_rng([0, 0, 0]), "yes")
    assert np.array_equal(again, first)


@needs_espeak
def test_command_line_makes_the_folder_and_the_judge_scores_it(tmp_path: Path) -> None:
    out = tmp_path / "speech"
    run = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "make_speech_folder.py"), str(out),
         "--clips-per-class", "1", "--held-out", "2", "--classifier-clips", "6",
         "--words", "yes,no"],
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    assert "clips of 2 words" in run.stdout
    judge = load_benchmark("speech_classifier")
    model, report = judge.train(out, epochs=1)
    assert (out / "classifier.pt").is_file() and report["classes"] == ["no", "yes"]
    overall, per_class, n = judge.score(out / "classifier.pt", out / "held_out")
    assert n == 4 and 0.0 <= overall <= 1.0 and set(per_class) == {"no", "yes"}
    # generated files: the class from the name
    samples = tmp_path / "fakes"
    samples.mkdir()
    shutil.copy(out / "held_out" / "yes" / "yes_000.wav", samples / "yes_007.wav")
    assert judge.score(out / "classifier.pt", samples)[2] == 1
    # accuracy and the small-n metrics in the judge's embedding: copies of training clips
    for i, path in enumerate(sorted((out / "train").rglob("*.wav"))):
        shutil.copy(path, samples / f"{path.parent.name}_{i:03d}.wav")
    text = judge.report(out, samples, cas_epochs=1)
    assert "3 fakes" in text and "judge accuracy" in text and "KID (unbiased" in text
    assert "classification accuracy score" in text


def test_command_line_skips_without_espeak(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "make_speech_folder.py"), str(tmp_path / "x")],
        capture_output=True, text=True, timeout=60, env={"PATH": str(tmp_path)},
    )  # fmt: skip
    assert run.returncode == 0 and "skipped, espeak-ng is not installed" in run.stderr
    assert not (tmp_path / "x").exists()
