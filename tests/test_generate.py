"""Generating files from a checkpoint: generator rebuild, EMA weights, frontend from metadata, names, seeds."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import soundfile as sf
import torch

import audiogan.train.generation as generate_module
from audiogan.cli import main
from audiogan.frontends.logmel import LogMel
from audiogan.train.checkpoints import module_spec
from audiogan.train.generation import generate, load_generator

sys.path.insert(0, str(Path(__file__).parent))
from test_trainer import TinyGenerator, make_loader, make_trainer  # noqa: E402


def tiny_logmel() -> LogMel:
    return LogMel(
        sample_rate=8000, n_fft=64, hop_length=16, n_mels=4, frames=4, griffin_lim_iters=2
    )


@pytest.fixture
def audiogan_generator_class(monkeypatch):
    """TinyGenerator posing as an audiogan class, so that checkpoints can rebuild it by class path."""

    class AudioganTiny(TinyGenerator):
        pass

    AudioganTiny.__module__ = "audiogan.train.generation"
    AudioganTiny.__qualname__ = AudioganTiny.__name__ = "AudioganTiny"
    monkeypatch.setattr(generate_module, "AudioganTiny", AudioganTiny, raising=False)
    return AudioganTiny


def _trained(tmp_path, generator, **kw) -> Path:
    from test_trainer import TinyCritic

    from audiogan.losses import GradientPenalty, Wasserstein
    from audiogan.train.trainer import Trainer

    trainer = Trainer(
        generator,
        TinyCritic(num_classes=generator.num_classes),
        Wasserstein(),
        GradientPenalty(),
        device="cpu",
        out_dir=tmp_path,
        ema=0.5,
        **kw,
    )
    trainer.fit(make_loader(num_classes=generator.num_classes), steps=2)
    return trainer.last_checkpoint, trainer


def test_generate_conditional_with_rebuilt_generator_and_stored_frontend(
    tmp_path, audiogan_generator_class
):
    ckpt, _ = _trained(
        tmp_path / "run",
        audiogan_generator_class(num_classes=2),
        metadata={"class_names": ["dog", "siren"], "frontend": module_spec(tiny_logmel())},
    )
    paths = generate(ckpt, tmp_path / "out", fakes_per_class=3, seed=1)
    assert [p.name for p in paths] == [
        f"{c}_{i:03d}.wav" for c in ("dog", "siren") for i in range(3)
    ]
    wave, sr = sf.read(paths[0])
    assert sr == 8000 and wave.shape == (48,)
    again = generate(ckpt, tmp_path / "again", fakes_per_class=3, seed=1)
    assert all(
        sf.read(a)[0].tolist() == sf.read(b)[0].tolist() for a, b in zip(paths, again, strict=True)
    )


class CsvFrontend:
    """A user's own frontend, subclassing nothing from audiogan: each item as one CSV line."""

    feature_shape = (1, 4, 4)
    sample_rate = 0
    config = {"decimals": 3}
    suffix = ".csv"

    def __init__(self) -> None:
        self.batches: list[int] = []

    def encode(self, wave: torch.Tensor) -> torch.Tensor:
        return wave[..., :16].reshape(*wave.shape[:-1], 1, 4, 4)

    def decode(self, features: torch.Tensor) -> torch.Tensor:
        return features.flatten(-3)

    def save(self, features: torch.Tensor, paths) -> list[Path]:
        self.batches.append(len(features))
        for item, path in zip(features, paths, strict=True):
            Path(path).write_text(",".join(f"{v:.3f}" for v in item.flatten().tolist()))
        return [Path(p) for p in paths]

    def plot(self, features: torch.Tensor, ax) -> None:
        ax.plot(features.flatten().numpy())


def test_generate_with_a_users_own_frontend(tmp_path, audiogan_generator_class):
    from audiogan.protocols import Frontend

    fe = CsvFrontend()
    assert isinstance(fe, Frontend)
    ckpt, _ = _trained(
        tmp_path / "run",
        audiogan_generator_class(num_classes=2),
        metadata={"class_names": ["a", "b"], "frontend": module_spec(fe)},
    )
    with pytest.raises(ValueError, match=r"only audiogan classes.*pass frontend="):
        generate(ckpt, tmp_path / "out")  # never rebuilt from a checkpoint: not audiogan's
    paths = generate(ckpt, tmp_path / "out", fakes_per_class=2, seed=1, frontend=fe)
    assert [p.name for p in paths] == ["a_000.csv", "a_001.csv", "b_000.csv", "b_001.csv"]
    assert fe.batches == [2, 2]  # one batched save per class
    assert len(paths[0].read_text().split(",")) == 16
    again = generate(ckpt, tmp_path / "again", fakes_per_class=2, seed=1, frontend=CsvFrontend())
    assert [p.read_text() for p in paths] == [p.read_text() for p in again]


def test_load_generator_uses_ema_weights_unless_told(tmp_path, audiogan_generator_class):
    ckpt, trainer = _trained(tmp_path, audiogan_generator_class())
    ema = load_generator(ckpt)
    assert not ema.training and type(ema).__name__ == "AudioganTiny"
    assert torch.equal(ema.net.weight, trainer.ema.module.net.weight)
    raw = load_generator(ckpt, use_ema=False)
    assert torch.equal(raw.net.weight, trainer.generator.net.weight)
    assert not torch.equal(raw.net.weight, ema.net.weight)


def test_generate_unconditional_user_generator_and_frontend_argument(tmp_path):
    trainer = make_trainer(tmp_path / "run", ema=0.9)
    trainer.fit(make_loader(), steps=1)
    with pytest.raises(ValueError, match="pass generator="):
        generate(trainer.last_checkpoint, tmp_path / "out")
    paths = generate(
        trainer.last_checkpoint,
        tmp_path / "out",
        fakes_per_class=2,
        generator=TinyGenerator(),
        frontend=tiny_logmel(),
    )
    assert [p.name for p in paths] == ["fake_000.wav", "fake_001.wav"]
    with pytest.raises(ValueError, match="no frontend"):
        generate(trainer.last_checkpoint, tmp_path / "out", generator=TinyGenerator())


def test_generate_errors(tmp_path, audiogan_generator_class):
    ckpt, _ = _trained(tmp_path, audiogan_generator_class(num_classes=2))
    with pytest.raises(ValueError, match="class_names has 1 names but the generator has 2"):
        generate(ckpt, tmp_path / "out", class_names=["x"], frontend=tiny_logmel())
    with pytest.raises(ValueError, match="fakes_per_class"):
        generate(ckpt, tmp_path / "out", fakes_per_class=0, frontend=tiny_logmel())
    with pytest.raises(ValueError, match="do not fit"):
        load_generator(ckpt, generator=TinyGenerator(latent=5, num_classes=2))


def test_cli_writes_default_class_names(tmp_path, audiogan_generator_class, capsys):
    ckpt, _ = _trained(
        tmp_path / "run",
        audiogan_generator_class(num_classes=2),
        metadata={"frontend": module_spec(tiny_logmel())},
    )
    status = main(["generate", str(ckpt), "--out", str(tmp_path / "out"), "-n", "1", "--no-ema"])
    assert status == 0 and "wrote 2 files" in capsys.readouterr().out
    files = sorted(p.name for p in (tmp_path / "out").iterdir() if p.name[0] != ".")
    assert files == ["class_0_000.wav", "class_1_000.wav"]


def test_end_to_end_with_audiogan_blocks_and_frontend_in_preprocess(tmp_path):
    """Train the library's conv blocks on waveforms through a LogMel preprocess; generate from the file."""
    from torch.utils.data import DataLoader, TensorDataset

    from audiogan.losses import GradientPenalty, Wasserstein
    from audiogan.train.trainer import Trainer

    blocks = pytest.importorskip("audiogan.nn.generator2d")
    critics = pytest.importorskip("audiogan.nn.critic2d")
    g = blocks.ConvGenerator2d(8, (1, 4, 4), num_classes=2, width=8, num_upsamples=1)
    d = critics.ConvCritic2d((1, 4, 4), num_classes=2, width=8, num_downsamples=1)
    waves = TensorDataset(torch.rand(8, 48) * 2 - 1, torch.arange(8) % 2)  # 48 samples -> 4 frames
    trainer = Trainer(
        g,
        d,
        Wasserstein(),
        GradientPenalty(),
        preprocess=tiny_logmel(),
        ema=0.9,
        device="cpu",
        out_dir=tmp_path / "run",
        metadata={"class_names": ["hum", "hiss"]},
    )
    trainer.fit(DataLoader(waves, batch_size=2, shuffle=True), steps=2)
    paths = generate(trainer.last_checkpoint, tmp_path / "out", fakes_per_class=1)
    assert [p.name for p in paths] == ["hum_000.wav", "hiss_000.wav"]
    assert sf.read(paths[0])[0].shape == (48,)
