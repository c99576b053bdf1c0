"""The fixed judge of small built-in runs (``benchmarks/builtin_small_report.py``), at a tiny
size: a 2-step run on 4 clips per class, judged with a judge of 4 clips per class."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from audiogan.cli import main

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from benchmark_modules import load_benchmark  # noqa: E402

TINY = [
    *("--device", "cpu", "--steps", "2"),
    *("--set", "clips_per_class=4", "batch_size=4", "n_mels=16", "frames=16", "width=4"),
    *("--set", "critic_width=4", "every=2", "standing_stats=1"),
]


judge = load_benchmark("builtin_small_report")


def test_clips_of_another_seed_are_other_clips_and_a_prefix_is_a_prefix() -> None:
    from audiogan.frontends import LogMel

    frontend = LogMel(sample_rate=16000, n_fft=256, hop_length=128, n_mels=16, frames=16)
    few, labels = judge.encoded(2, 0, frontend)
    more, _ = judge.encoded(3, 0, frontend)
    other, _ = judge.encoded(2, judge.HELD_OUT_SEED, frontend)
    assert few.shape == (10, 1, 16, 16) and labels.tolist() == [0, 1, 2, 3, 4] * 2
    assert (more[:10] == few).all()  # the run's clips are the first ones of a larger set
    assert not (other == few).all(dim=(1, 2, 3)).any()  # the held-out seed: none of them


def test_report_judges_a_tiny_run_and_reuses_its_judge(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = tmp_path / "run"
    assert main(["train", "wgan-gp", "--out", str(run), *TINY]) == 0
    capsys.readouterr()
    path = tmp_path / "judge" / "classifier.pt"
    options = {"fakes_per_class": 2, "judge_clips": 4, "held_out_clips": 2}
    text = judge.report(run, path, **options)
    assert "step_00000002.pt (4 clips per class) vs 10 held-out built-in clips" in text
    for line in ("classifier accuracy", "Fréchet distance", "precision / recall"):
        assert line in text
    assert "nearest-train distance" in text and "classification accuracy score" in text
    assert path.is_file()
    stamp = path.stat().st_mtime_ns
    assert judge.report(run, path, **options) == text  # loaded, not trained again: same numbers
    assert path.stat().st_mtime_ns == stamp


def test_a_run_on_a_folder_is_refused(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "checkpoints").mkdir()
    (run / "recipe.json").write_text('{"recipe": "wgan-gp", "config": {"data": "my_sounds"}}')
    with pytest.raises(SystemExit, match="trained on my_sounds, not the built-in sounds"):
        judge.report(run, tmp_path / "judge.pt")
