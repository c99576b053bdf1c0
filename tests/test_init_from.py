"""Fine-tuning from another run (audiogan.train.init_from and ``audiogan train --init-from``)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from audiogan.losses import GradientPenalty, Wasserstein
from audiogan.nn import ConvCritic2d, ConvGenerator2d
from audiogan.train import (
    CheckpointMismatchError,
    InitFromError,
    Trainer,
    freeze_critic_layers,
    init_from,
)

SHAPE = (1, 16, 16)  # (channels, freq, frames)


def make(
    out_dir: Path,
    classes: list[str],
    *,
    width: int = 4,
    conditioning: str = "embedding",
    seed: int = 0,
    ema: float | None = 0.9,
) -> Trainer:
    torch.manual_seed(seed)
    n = len(classes)
    generator = ConvGenerator2d(8, SHAPE, num_classes=n, width=8, num_upsamples=2)
    critic = ConvCritic2d(
        SHAPE, num_classes=n, width=width, num_downsamples=2, conditioning=conditioning
    )
    return Trainer(
        generator,
        critic,
        Wasserstein(),
        GradientPenalty(10.0),
        ema=ema,
        out_dir=out_dir,
        device="cpu",
        metadata={"class_names": classes},
    )


def loader(num_classes: int) -> DataLoader:
    g = torch.Generator().manual_seed(0)
    x = torch.rand(8, *SHAPE, generator=g) * 2 - 1
    y = torch.arange(8) % num_classes
    return DataLoader(TensorDataset(x, y), batch_size=4)


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """A trained run with an EMA generator, on classes dog and siren."""
    out = tmp_path_factory.mktemp("base")
    make(out, ["dog", "siren"]).fit(loader(2), steps=2)
    return out


def test_weights_come_from_the_run_and_the_rest_starts_fresh(base, tmp_path):
    saved = torch.load(sorted((base / "checkpoints").glob("*.pt"))[-1], weights_only=True)
    tuned = make(tmp_path, ["dog", "siren"], seed=5)
    report = init_from(tuned, base)
    assert report.generator_weights == "ema" and not report.resized and not report.frozen
    for k, v in saved["ema"]["module"].items():  # the EMA generator, not the raw one
        assert torch.equal(tuned.generator.state_dict()[k], v), k
        assert torch.equal(tuned.ema.module.state_dict()[k], v), k
    for k, v in saved["critic"].items():
        assert torch.equal(tuned.critic.state_dict()[k], v), k
    assert tuned.step == 0 and not tuned.generator_optimizer.state and tuned.ema.num_updates == 0
    assert tuned.metadata["init_from"] == str(report.checkpoint)
    tuned.fit(loader(2), steps=1)
    assert tuned.step == 1 and tuned.history[0]["step"] == 1

    raw = init_from(make(tmp_path / "raw", ["dog", "siren"], seed=5), base, use_ema=False)
    assert raw.generator_weights == "generator"


def test_a_new_class_set_resizes_the_class_embeddings_by_name(base, tmp_path):
    saved = torch.load(sorted((base / "checkpoints").glob("*.pt"))[-1], weights_only=True)
    tuned = make(tmp_path, ["siren", "horn", "dog"], seed=5)
    fresh = {k: v.clone() for k, v in tuned.critic.state_dict().items()}
    report = init_from(tuned, base)
    assert report.resized  # the generator's and the critic's label embeddings
    assert all("embedding" in name for name in report.resized)
    for name in report.resized:
        model, key = name.split(".", 1)
        old = saved["ema"]["module"][key] if model == "generator" else saved[model][key]
        new = getattr(tuned, model).state_dict()[key]
        assert torch.equal(new[0], old[1]) and torch.equal(new[2], old[0])  # siren, dog
        if model == "critic":
            assert torch.equal(new[1], fresh[key][1])  # horn: the fresh model's row
    tuned.fit(loader(3), steps=1)


def test_shapes_that_differ_are_an_error_naming_them(base, tmp_path):
    wider = make(tmp_path, ["dog", "siren"], width=8)
    before = {k: v.clone() for k, v in wider.critic.state_dict().items()}
    with pytest.raises(CheckpointMismatchError, match=r"critic ConvCritic2d differs[\s\S]*model"):
        init_from(wider, base)
    for k, v in wider.critic.state_dict().items():
        assert torch.equal(v, before[k])  # nothing loaded


def test_one_hot_conditioning_cannot_take_a_new_class_set(tmp_path):
    make(tmp_path / "a", ["dog", "siren"], conditioning="onehot").save_checkpoint()
    with pytest.raises(CheckpointMismatchError, match="one-hot conditioning widens a layer"):
        init_from(make(tmp_path / "b", ["a", "b", "c"], conditioning="onehot"), tmp_path / "a")


def test_freeze_d_keeps_the_first_critic_layers(base, tmp_path):
    tuned = make(tmp_path, ["dog", "siren"], seed=5)
    report = init_from(tuned, base, freeze_critic=1)
    assert len(report.frozen) == 1
    layer = tuned.critic.get_submodule(report.frozen[0])
    frozen = [p.detach().clone() for p in layer.parameters()]
    others = [p.detach().clone() for p in tuned.critic.parameters() if p.requires_grad]
    tuned.fit(loader(2), steps=2)
    assert all(torch.equal(a, b) for a, b in zip(frozen, layer.parameters(), strict=True))
    moved = [p for p in tuned.critic.parameters() if p.requires_grad]
    assert any(not torch.equal(a, b) for a, b in zip(others, moved, strict=True))
    with pytest.raises(InitFromError, match="expected 0 to"):
        freeze_critic_layers(tuned.critic, 99)


def test_a_trainer_that_trained_cannot_be_initialized(base, tmp_path):
    trained = make(tmp_path, ["dog", "siren"])
    trained.fit(loader(2), steps=1)
    with pytest.raises(InitFromError, match="already trained 1 steps"):
        init_from(trained, base)


TINY = [
    *("--device", "cpu", "--steps", "2"),
    *("--set", "clips_per_class=4", "--set", "batch_size=4", "--set", "critic_steps=1"),
    *("--set", "n_mels=16", "--set", "frames=16", "--set", "width=4", "--set", "every=2"),
]


def test_the_command_fine_tunes_and_goes_on(tmp_path, capsys):
    from audiogan.cli import main

    def run(*args: str) -> tuple[int, str]:
        status = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return status, out + err

    status, text = run("train", "wgan-gp", "--out", tmp_path / "base", *TINY)
    assert status == 0, text
    tuned = tmp_path / "tuned"
    args = ("train", "wgan-gp", "--out", tuned, "--init-from", tmp_path / "base", *TINY)
    status, text = run(*args, "--freeze-critic", "1")
    assert status == 0, text
    assert "initialized from" in text and "critic layers frozen" in text
    status, text = run(*args, "--steps", "3", "--freeze-critic", "1")
    assert status == 0, text
    assert "not needed, the run goes on from" in text and "(step 3" in text
    status, text = run("train", "wgan-gp", "--out", tmp_path / "c", "--freeze-critic", "1", *TINY)
    assert status == 2 and "--freeze-critic goes with --init-from" in text
    status, text = run(*args[:3], tmp_path / "d", "--init-from", tmp_path / "nothing", *TINY)
    assert status == 2 and "nothing" in text
