"""The stripe energy of ``benchmarks/harmonic_stripes.py``: stripes, grain and blobs, and a
tiny run end to end."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
import torch

from audiogan.cli import main

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from benchmark_modules import load_benchmark  # noqa: E402

stripes = load_benchmark("harmonic_stripes")


def pictures(rows: torch.Tensor, frames: int = 8) -> torch.Tensor:
    """Log-mels ``(2, 1, len(rows), frames)`` with each band constant at ``rows`` over time."""
    return rows[None, None, :, None].expand(2, 1, len(rows), frames).clone()


def test_stripes_that_persist_have_energy_and_correlation_one() -> None:
    rows = torch.tensor([1.0, -1.0] * 6)  # alternating bands: d2 = +-4, the band all loud cells
    energy, correlation = stripes.stripe_energy(pictures(rows), band=1.0)
    assert energy == pytest.approx(16.0) and correlation == pytest.approx(1.0)


def test_a_checkerboard_anticorrelates_and_a_blob_has_no_energy() -> None:
    f = torch.arange(12.0)
    board = ((-1.0) ** (f[:, None] + torch.arange(8.0)[None, :]))[None, None].expand(2, 1, 12, 8)
    energy, correlation = stripes.stripe_energy(board, band=1.0)
    assert energy == pytest.approx(-16.0) and correlation == pytest.approx(-1.0)
    blob = pictures(0.1 * f)  # a ramp: no curvature
    assert stripes.stripe_energy(blob, band=1.0)[0] == pytest.approx(0.0, abs=1e-6)


def test_only_the_lowest_band_counts() -> None:
    low_stripes = pictures(torch.cat([torch.tensor([1.0, -1.0] * 4), torch.zeros(16)]))
    high_stripes = pictures(torch.cat([torch.zeros(16), torch.tensor([1.0, -1.0] * 4)]))
    assert stripes.stripe_energy(low_stripes)[0] > 1.0  # the lowest 8 of 24 bands
    assert stripes.stripe_energy(high_stripes)[0] == pytest.approx(0.0)


def test_wrong_shapes_are_named() -> None:
    with pytest.raises(ValueError, match=r"\(n, 1, n_mels, frames\), got \(2, 12, 8\)"):
        stripes.stripe_energy(torch.zeros(2, 12, 8))
    with pytest.raises(ValueError, match="need 3 bands and 2 frames"):
        stripes.stripe_energy(torch.zeros(2, 1, 6, 8))


def test_report_measures_a_tiny_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = tmp_path / "run"
    tiny = [
        *("--device", "cpu", "--steps", "2"),
        *("--set", "clips_per_class=4", "batch_size=4", "n_mels=16", "frames=16", "width=4"),
        *("--set", "critic_width=4", "every=2", "standing_stats=1"),
    ]
    assert main(["train", "wgan-gp", "--out", str(run), *tiny]) == 0
    capsys.readouterr()
    shutil.rmtree(run / "cache")
    before = sorted(p for p in run.rglob("*"))
    text = stripes.report([run], fakes_per_class=3)
    assert sorted(p for p in run.rglob("*")) == before  # it wrote nothing in the run folder
    assert f"training clips of {run} (20): stripe energy" in text
    assert "step_00000002.pt (15 fakes): stripe energy" in text
    assert stripes.main([str(run), "--fakes-per-class", "2"]) == 0
    assert "(10 fakes)" in capsys.readouterr().out
