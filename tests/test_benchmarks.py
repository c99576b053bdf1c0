"""The benchmark scripts keep working: their ``--quick`` runs finish and write a complete JSON.

Speed is never asserted here (see ``benchmarks/README.md``): only that every time and rate the
scripts report is a positive, finite number, and that the JSON has the documented layout.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]

VARIANT_KEYS = {
    "setting",
    "median_ms",
    "round_ms",
    "spread",
    "speedup_vs_reference",
    "flops_per_step",
    "achieved_flops",
    "dtype",
    "fraction_of_peak",
    "warmup_s",
}


def run_quick(script: str, tmp_path: Path, *args: str) -> dict[str, Any]:
    """Run ``benchmarks/<script> --quick`` in a subprocess; its JSON report."""
    out = tmp_path / f"{Path(script).stem}.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), "--quick", "--json", str(out), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, f"{script} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    return json.loads(out.read_text())


def positive(x: object) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and x > 0


def check_train_step(report: dict[str, Any], systems: set[str]) -> None:
    assert report["benchmark"] == "train_step"
    assert {"machine", "settings", "peaks", "systems"} <= set(report)
    assert report["settings"]["size"] == "quick"
    assert "float32" in report["peaks"]
    for peak in report["peaks"].values():
        assert all(positive(peak[k]) for k in ("matmul_flops", "conv_flops", "peak_flops"))
    assert set(report["systems"]) == systems
    for name, result in report["systems"].items():
        assert {"summary", "size", "critic_steps", "flops_per_step", "variants", "skipped"} <= set(
            result
        ), name
        variants = result["variants"]
        # every variant either ran or says why not; the baselines and fastest always run
        assert {"reference", "trainer", "fastest"} <= set(variants), name
        assert set(variants) | set(result["skipped"]) >= {
            "reference",
            "trainer",
            "bf16",
            "fp16",
            "channels_last",
            "adam_foreach",
            "adam_fused",
            "compile",
            "gp_lazy4",
            "fastest",
        }, name
        assert "compile" in result["skipped"]  # --quick leaves it out
        for variant, r in variants.items():
            assert VARIANT_KEYS <= set(r), (name, variant)
            assert positive(r["median_ms"]), (name, variant, r["median_ms"])
            assert all(positive(t) for t in r["round_ms"]), (name, variant, r["round_ms"])
            assert positive(r["flops_per_step"]), (name, variant)
            assert positive(r["achieved_flops"]), (name, variant)
            assert positive(r["speedup_vs_reference"]), (name, variant)
        assert isinstance(variants["fastest"]["composed_of"], list)
        targets = result["targets"]
        assert targets["trainer_vs_reference"]["target"] == "<= 1.05"
        assert positive(targets["trainer_vs_reference"]["time_ratio"])
        assert positive(targets["fastest_speedup"]["speedup"])
    if "cgan" in systems:
        assert "gp_lazy4" in report["systems"]["cgan"]["variants"]
        assert set(report["systems"]["cgan"]["flops_per_step"]) == {
            "reference",
            "trainer",
            "gp_lazy4",
        }


def test_train_step_quick_runs_the_main_job(tmp_path):
    """The conditional WGAN-GP alone: a few seconds, so it stays in the fast suite."""
    check_train_step(run_quick("train_step.py", tmp_path, "--systems", "cgan"), {"cgan"})


@pytest.mark.slow
def test_train_step_quick_runs_every_system(tmp_path):
    report = run_quick("train_step.py", tmp_path)
    check_train_step(report, {"cgan", "musegan", "resnet9", "hifigan"})


def test_features_quick(tmp_path):
    report = run_quick("features.py", tmp_path)
    assert report["benchmark"] == "features"
    assert {"machine", "settings", "sources"} <= set(report)
    assert set(report["sources"]) == {"memory", "files"}
    for source, result in report["sources"].items():
        assert set(result["paths"]) == {"per_item", "batched", "cache"}, source
        for path, r in result["paths"].items():
            assert positive(r["items_per_s"]) and positive(r["ms_per_item"]), (source, path)
            assert all(positive(x) for x in r["round_items_per_s"]), (source, path)
        assert positive(result["paths"]["cache"]["build_s"])
        assert all(positive(x) for x in result["ratios"].values()), source
        assert set(result["targets"]) == {"batched", "cache"}
        # the three paths deliver the same log-mels (the cache stores float16)
        assert result["max_abs_diff_vs_per_item"]["batched"] < 1e-4, source
        assert result["max_abs_diff_vs_per_item"]["cache"] < 1e-2, source
