"""Same seed, same data, same settings on the CPU: bit-identical runs, in separate processes.

Model initialization included: the recipes seed before they build their models, and Python users
call :func:`audiogan.seed_everything` before building theirs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from audiogan.train import latest_checkpoint, load_checkpoint

TESTS = Path(__file__).parent
TINY = [
    "--set=clips_per_class=2",
    "--set=batch_size=2",
    "--set=n_mels=16",
    "--set=frames=16",
    "--set=width=4",
    "--set=every=100",
    "--set=critic_steps=2",
]

PYTHON_RUN = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {tests!r})
    import audiogan as ag
    from test_trainer import TinyCritic, TinyGenerator, make_loader

    ag.seed_everything(int(sys.argv[2]))  # before the models are built: their initial weights
    trainer = ag.Trainer(TinyGenerator(num_classes=3), TinyCritic(num_classes=3, dropout=0.2),
                         ag.Wasserstein(), ag.GradientPenalty(), critic_steps=2, ema=0.9,
                         out_dir=sys.argv[1], device="cpu", seed=int(sys.argv[2]))
    trainer.fit(make_loader(num_classes=3), steps=5)
    """
)


def _run(args: list[str]) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(args, capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr


def _equal(a: object, b: object) -> bool:
    """Tensors, dicts and lists, compared bit for bit."""
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and torch.equal(a, b)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def _same_run(a: Path, b: Path) -> bool:
    sa = load_checkpoint(latest_checkpoint(a / "checkpoints"))
    sb = load_checkpoint(latest_checkpoint(b / "checkpoints"))
    assert sa["step"] == sb["step"]
    parts = ("history", "generator", "critic", "ema", "generator_optimizer", "critic_optimizer")
    return all(_equal(sa[part], sb[part]) for part in parts)


@pytest.mark.slow
def test_the_command_reproduces_a_run_in_another_process(tmp_path):
    for name in ("a", "b", "c"):
        seed = "1" if name == "c" else "0"
        command = [sys.executable, "-m", "audiogan", "train", "wgan-gp", "--threads", "1"]
        _run([*command, "--out", str(tmp_path / name), "--steps", "3", "--seed", seed, *TINY])
    assert _same_run(tmp_path / "a", tmp_path / "b")
    assert not _same_run(tmp_path / "a", tmp_path / "c")  # the seed matters


@pytest.mark.slow
def test_the_python_api_reproduces_a_run_in_another_process(tmp_path):
    script = PYTHON_RUN.format(tests=str(TESTS))
    for name, seed in (("a", "0"), ("b", "0"), ("c", "1")):
        _run([sys.executable, "-c", script, str(tmp_path / name), seed])
    assert _same_run(tmp_path / "a", tmp_path / "b")
    assert not _same_run(tmp_path / "a", tmp_path / "c")
