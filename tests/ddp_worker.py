"""A WGAN-GP run that ``tests/test_ddp.py`` launches with ``torchrun --nproc_per_node=2`` (gloo, CPU).

Each rank trains the tiny conditional models of ``test_trainer.py`` for a few steps and saves its
final weights to ``OUT/rank{r}.pt``. The latents and the penalty's interpolation weights come from
seeded banks sliced by rank, so a single process on the global batch (``single_process_run``)
sees exactly the same numbers and the two runs can be compared.

Usage: ``torchrun --standalone --nproc_per_node=2 tests/ddp_worker.py OUT``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch
import torch.distributed as dist
from torch.utils.data import DataLoader, TensorDataset

sys.path.insert(0, str(Path(__file__).parent))
from test_trainer import SHAPE, TinyCritic, TinyGenerator  # noqa: E402

from audiogan.losses import Wasserstein  # noqa: E402
from audiogan.train.trainer import Trainer  # noqa: E402

N_ITEMS, PER_RANK_BATCH, WORLD, CRITIC_STEPS, STEPS = 8, 2, 2, 2, 3


def _rank_world() -> tuple[int, int]:
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


class BankGenerator(TinyGenerator):
    """Latents from a seeded bank of the global batch, each rank taking its rows."""

    calls = 0

    def sample_latent(self, n, device=None, generator=None):
        self.calls += 1
        rank, world = _rank_world()
        bank = torch.randn(
            n * world, self.latent, generator=torch.Generator().manual_seed(1000 + self.calls)
        )
        return bank[rank * n : (rank + 1) * n].to(device)


class BankGradientPenalty:
    """WGAN-GP (weight 10, target 1) with per-sample α from a seeded bank of the global batch."""

    interval = 1
    calls = 0

    def __call__(self, critic, real, fake, labels=None, scaler=None):
        self.calls += 1
        rank, world = _rank_world()
        n = real.shape[0]
        bank = torch.rand(n * world, generator=torch.Generator().manual_seed(5000 + self.calls))
        alpha = bank[rank * n : (rank + 1) * n].view(n, *([1] * (real.ndim - 1)))
        x = (fake.detach() + alpha * (real.detach() - fake.detach())).requires_grad_(True)
        scores = critic(x, labels)
        (grad,) = torch.autograd.grad(scores.sum(), x, create_graph=True)
        return 10.0 * (grad.flatten(1).norm(dim=1) - 1.0).square().mean()


def dataset(order: list[int] | None = None) -> TensorDataset:
    g = torch.Generator().manual_seed(3)
    x = torch.rand(N_ITEMS, *SHAPE, generator=g) * 2 - 1
    y = torch.arange(N_ITEMS) % 3
    idx = torch.tensor(order) if order is not None else torch.arange(N_ITEMS)
    return TensorDataset(x[idx], y[idx])


def make_trainer(out_dir: Path) -> Trainer:
    torch.manual_seed(0)
    g, d = BankGenerator(num_classes=3), TinyCritic(num_classes=3)
    sgd = lambda ps: torch.optim.SGD(ps, lr=0.05)  # noqa: E731  (Adam would amplify float rounding)
    return Trainer(
        g,
        d,
        Wasserstein(),
        BankGradientPenalty(),
        critic_steps=CRITIC_STEPS,
        generator_optimizer=sgd,
        critic_optimizer=sgd,
        out_dir=out_dir,
        device="cpu",
        ema=0.5,
    )


def single_process_run(out_dir: Path) -> Trainer:
    """The same training on the global batch: rank 0's half then rank 1's half of each batch.

    ``DistributedSampler(shuffle=False)`` gives rank r the items ``r, r + 2, ...``; global batch
    k is rank 0's k-th batch followed by rank 1's.
    """
    per_rank = [list(range(r, N_ITEMS, WORLD)) for r in range(WORLD)]
    order = []
    for k in range(0, len(per_rank[0]), PER_RANK_BATCH):
        for r in range(WORLD):
            order += per_rank[r][k : k + PER_RANK_BATCH]
    loader = DataLoader(dataset(order), batch_size=PER_RANK_BATCH * WORLD, shuffle=False)
    return make_trainer(out_dir).fit(loader, steps=STEPS, resume=False)


def main(out: Path) -> None:
    trainer = make_trainer(out / "run")
    loader = DataLoader(
        dataset(), batch_size=PER_RANK_BATCH, shuffle=False
    )  # sharded by the Trainer
    trainer.fit(loader, steps=STEPS, resume=False)
    state = {
        "generator": trainer.generator.state_dict(),
        "critic": trainer.critic.state_dict(),
        "ema": trainer.ema.module.state_dict(),
        "step": trainer.step,
        "epoch": trainer.epoch,
        "is_main_process": trainer.is_main_process,
        "metrics": trainer.metrics,
    }
    torch.save(state, out / f"rank{trainer.rank}.pt")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
