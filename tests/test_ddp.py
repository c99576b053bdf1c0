"""DistributedDataParallel: torchrun --nproc_per_node=2 on CPU (gloo) against a single-process run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
from torch.utils.data import DataLoader, DistributedSampler, RandomSampler

from audiogan.train.distributed import dist_env, distributed_loader, is_main_process

WORKER = Path(__file__).parent / "ddp_worker.py"
sys.path.insert(0, str(WORKER.parent))


def test_dist_env_reads_torchrun_variables(monkeypatch):
    for name in ("RANK", "LOCAL_RANK", "WORLD_SIZE"):
        monkeypatch.delenv(name, raising=False)
    assert dist_env().world_size == 1 and not dist_env().enabled and is_main_process()
    monkeypatch.setenv("RANK", "3")
    monkeypatch.setenv("LOCAL_RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "4")
    env = dist_env()
    assert (env.rank, env.local_rank, env.world_size, env.enabled) == (3, 1, 4, True)
    assert not is_main_process()
    monkeypatch.setenv("RANK", "4")
    with pytest.raises(ValueError, match="RANK=4, WORLD_SIZE=4"):
        dist_env()
    monkeypatch.setenv("RANK", "x")
    with pytest.raises(ValueError, match="RANK"):
        dist_env()


def test_distributed_loader_is_identity_outside_torchrun():
    loader = DataLoader(torch.zeros(4, 2), batch_size=2, shuffle=True)
    assert not dist.is_initialized()
    assert distributed_loader(loader) is loader
    assert isinstance(loader.sampler, RandomSampler)


@pytest.mark.slow
def test_two_ranks_stay_identical_and_match_single_process(tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node=2",
        str(WORKER),
        str(tmp_path),
    ]
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-4000:]
    ranks = [torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in range(2)]
    assert [r["is_main_process"] for r in ranks] == [True, False]
    assert ranks[0]["step"] == ranks[1]["step"] == 3
    for part in ("generator", "critic", "ema"):
        for k, v in ranks[0][part].items():
            assert torch.equal(v, ranks[1][part][k]), f"{part}.{k} differs between ranks"
    # only rank 0 writes files: the final checkpoint exists once
    assert sorted(p.name for p in (tmp_path / "run" / "checkpoints").iterdir()) == [
        "step_00000003.pt"
    ]

    from ddp_worker import single_process_run

    single = single_process_run(tmp_path / "single")
    for part, module in (
        ("generator", single.generator),
        ("critic", single.critic),
        ("ema", single.ema.module),
    ):
        for k, v in module.state_dict().items():
            torch.testing.assert_close(
                ranks[0][part][k], v, rtol=1e-5, atol=1e-6, msg=f"{part}.{k}"
            )
    trained = torch.load(tmp_path / "rank0.pt", weights_only=True)["generator"]["net.weight"]
    torch.manual_seed(0)
    from test_trainer import TinyGenerator

    assert not torch.allclose(trained, TinyGenerator(num_classes=3).net.weight)  # it did train


def test_distributed_loader_rebuilds_plain_loaders(tmp_path, monkeypatch):
    ds = torch.zeros(6, 2)
    dist.init_process_group(
        "gloo", init_method=f"file://{tmp_path / 'store'}", rank=0, world_size=1
    )
    try:
        monkeypatch.setattr("audiogan.train.distributed.is_distributed", lambda: True)
        kept = DataLoader(ds, batch_size=2, sampler=DistributedSampler(ds))
        assert distributed_loader(kept) is kept
        shuffled = distributed_loader(
            DataLoader(ds, batch_size=3, shuffle=True, drop_last=True), seed=5
        )
        assert isinstance(shuffled.sampler, DistributedSampler)
        assert shuffled.sampler.shuffle and shuffled.sampler.seed == 5
        assert shuffled.batch_size == 3 and shuffled.drop_last
        ordered = distributed_loader(DataLoader(ds, batch_size=2))
        assert not ordered.sampler.shuffle
        with pytest.raises(ValueError, match="batch_sampler"):
            distributed_loader(DataLoader(ds, batch_sampler=[[0, 1], [2, 3]]))
    finally:
        dist.destroy_process_group()
