"""Callbacks against a fake trainer (types.SimpleNamespace) and tiny stand-in models."""

from __future__ import annotations

import csv
import io
import json
import math
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import soundfile as sf
import torch
from torch import nn

from audiogan.train.callbacks import (
    CSVLogger,
    FakeWriter,
    ProgressBar,
    TensorBoardLogger,
    fixed_fakes,
)
from audiogan.train.callbacks.fakes import file_stems, safe_name

SHAPE = (1, 16, 16)
SR = 8000


class TinyGenerator(nn.Module):
    """A linear generator with dropout, so train and eval mode give different outputs."""

    def __init__(self, num_classes: int = 2, latent_dim: int = 4) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.latent_dim = latent_dim
        self.net = nn.Linear(latent_dim + num_classes, math.prod(SHAPE))
        self.dropout = nn.Dropout(0.5)
        self.modes_seen: list[bool] = []

    def sample_latent(self, n, device=None, generator=None):
        return torch.randn(n, self.latent_dim, device=device, generator=generator)

    def forward(self, z, labels=None):
        if (labels is None) != (self.num_classes == 0):
            raise ValueError("labels must be given exactly when the generator is conditional")
        self.modes_seen.append(self.training)
        h = (
            z
            if labels is None
            else torch.cat([z, nn.functional.one_hot(labels, self.num_classes).float()], 1)
        )
        return torch.tanh(self.dropout(self.net(h))).view(-1, *SHAPE)


class TupleLatentRollGenerator(nn.Module):
    """Unconditional, MuseGAN-like: its latent is a tuple; output (batch, 2, 2, 4, 12) rolls."""

    num_classes = 0

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Linear(6, 2 * 2 * 4 * 12)

    def sample_latent(self, n, device=None, generator=None):
        return (
            torch.randn(n, 3, device=device, generator=generator),
            torch.randn(n, 3, device=device, generator=generator),
        )

    def forward(self, z, labels=None):
        if labels is not None:
            raise ValueError("unconditional")
        return torch.tanh(self.net(torch.cat(z, 1))).view(-1, 2, 2, 4, 12)


class TinyFrontend(nn.Module):
    """A user's audio frontend (nothing from audiogan): decode flattens (..., 1, 16, 16) to
    (..., 256) samples; save writes wavs, plot draws the first channel."""

    feature_shape = SHAPE
    sample_rate = SR
    config: dict = {}
    suffix = ".wav"

    def encode(self, wave):
        return wave[..., : math.prod(SHAPE)].reshape(*wave.shape[:-1], *SHAPE)

    def decode(self, features):
        return 0.5 * features.flatten(-3)

    def save(self, features, paths):
        waves = self.decode(features).numpy()
        for path, wave in zip(paths, waves, strict=True):
            sf.write(path, wave / max(np.abs(wave).max(), 1e-9) * 0.99, SR)
        return [Path(p) for p in paths]

    def plot(self, features, ax):
        ax.imshow(features[0].numpy(), origin="lower", aspect="auto", vmin=-1, vmax=1)


class NumbersFrontend:
    """A user's frontend that is neither audio nor MIDI: .npy files and line plots."""

    feature_shape = SHAPE
    sample_rate = 0
    config: dict = {}
    suffix = ".npy"

    def __init__(self) -> None:
        self.saved_batches: list[int] = []

    def encode(self, wave):
        return wave.reshape(*wave.shape[:-1], *SHAPE)

    def decode(self, features):
        return features.flatten(-3)

    def save(self, features, paths):
        self.saved_batches.append(len(features))
        for path, item in zip(paths, features, strict=True):
            np.save(path, item.numpy())
        return [Path(p) for p in paths]

    def plot(self, features, ax):
        ax.plot(features.flatten().numpy())


def fake_trainer(out_dir: Path, generator: nn.Module | None = None, **kw) -> SimpleNamespace:
    values = dict(
        step=0,
        epoch=0,
        metrics={},
        history=[],
        out_dir=out_dir,
        is_main_process=True,
        sampling_generator=generator if generator is not None else TinyGenerator(),
        device=torch.device("cpu"),
    )
    values.update(kw)
    return SimpleNamespace(**values)


def do_steps(trainer: SimpleNamespace, callbacks: list, n: int, extra: dict | None = None) -> None:
    """Advance the fake trainer n generator steps, reporting metrics like the Trainer does."""
    for _ in range(n):
        trainer.step += 1
        trainer.metrics = {
            "critic_loss": 1.0 / trainer.step,
            "generator_loss": torch.tensor(float(trainer.step)),
            **(extra or {}),
        }
        trainer.history.append({"step": trainer.step, **trainer.metrics})
        for cb in callbacks:
            cb.on_step_end(trainer)


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
    return list(reader.fieldnames), rows


def assert_png_ok(path: Path) -> np.ndarray:
    from matplotlib import image

    pixels = image.imread(path)
    assert pixels.ndim == 3 and pixels.shape[0] > 20 and pixels.shape[1] > 20
    assert pixels.std() > 0, f"{path} is blank"
    return pixels


# ---------------------------------------------------------------- ProgressBar


def test_progress_bar_counts_steps_and_shows_losses():
    out = io.StringIO()
    bar = ProgressBar(total=5, file=out)
    trainer = fake_trainer(Path("."))
    bar.on_fit_start(trainer)
    do_steps(trainer, [bar], 5)
    assert bar.bar.n == 5
    assert (
        bar.bar.postfix is not None
        and "critic_loss=0.2" in bar.bar.postfix
        and "generator_loss=5" in bar.bar.postfix
    )
    bar.on_fit_end(trainer)
    text = out.getvalue()
    assert "5/5" in text and "step" in text and "critic_loss=0.2" in text
    assert bar.bar is None  # closed


def test_progress_bar_resumes_at_the_trainer_step_and_reads_total_from_trainer():
    out = io.StringIO()
    bar = ProgressBar(file=out)
    trainer = fake_trainer(Path("."), step=7, total_steps=10)
    bar.on_fit_start(trainer)
    assert bar.bar.n == 7 and bar.bar.total == 10
    do_steps(trainer, [bar], 3)
    assert bar.bar.n == 10
    bar.on_fit_end(trainer)
    assert "10/10" in out.getvalue()


def test_progress_bar_stays_silent_off_the_main_process():
    out = io.StringIO()
    bar = ProgressBar(total=3, file=out)
    trainer = fake_trainer(Path("."), is_main_process=False)
    bar.on_fit_start(trainer)
    do_steps(trainer, [bar], 3)
    bar.on_fit_end(trainer)
    assert bar.bar is None and out.getvalue() == ""


# ---------------------------------------------------------------- CSVLogger


def test_csv_logger_rows_and_columns(tmp_path):
    trainer = fake_trainer(tmp_path)
    log = CSVLogger(every=2)
    log.on_fit_start(trainer)
    do_steps(trainer, [log], 5)
    log.on_fit_end(trainer)  # step 5 was not logged yet: at_end logs it
    columns, rows = read_csv(tmp_path / "metrics.csv")
    assert columns == ["step", "epoch", "critic_loss", "generator_loss"]
    assert [int(r["step"]) for r in rows] == [2, 4, 5]
    assert float(rows[0]["critic_loss"]) == pytest.approx(0.5)
    assert float(rows[2]["generator_loss"]) == 5.0  # a 0-d tensor is written as its number


def test_csv_logger_widens_the_header_when_a_metric_appears_later(tmp_path):
    trainer = fake_trainer(tmp_path)
    path = tmp_path / "logs" / "run.csv"
    log = CSVLogger(path=path)
    log.on_fit_start(trainer)
    do_steps(trainer, [log], 2)
    do_steps(trainer, [log], 2, extra={"penalty": 3.0})
    do_steps(trainer, [log], 1)  # penalty missing again: empty cell
    text = path.read_text()
    assert text.count("step,epoch") == 1
    columns, rows = read_csv(path)
    assert columns == ["step", "epoch", "critic_loss", "generator_loss", "penalty"]
    assert [r["penalty"] for r in rows] == ["", "", "3.0", "3.0", ""]
    assert [int(r["step"]) for r in rows] == [1, 2, 3, 4, 5]


def test_csv_logger_resume_appends_without_duplicates(tmp_path):
    trainer = fake_trainer(tmp_path)
    log = CSVLogger()
    log.on_fit_start(trainer)
    do_steps(trainer, [log], 5)
    # the run dies; its last checkpoint was at step 3: resume from there with a new logger
    resumed = fake_trainer(tmp_path, step=3)
    log2 = CSVLogger()
    log2.on_fit_start(resumed)
    do_steps(resumed, [log2], 3)
    text = (tmp_path / "metrics.csv").read_text()
    assert text.count("step,epoch") == 1
    _, rows = read_csv(tmp_path / "metrics.csv")
    assert [int(r["step"]) for r in rows] == [1, 2, 3, 4, 5, 6]


def test_csv_logger_one_row_per_step_even_when_fit_ends_after_an_epoch_end(tmp_path):
    trainer = fake_trainer(tmp_path)
    log = CSVLogger()
    log.on_fit_start(trainer)
    do_steps(trainer, [log], 2)
    trainer.epoch = 1  # the epoch ends at step 2, then fit ends: the base class would fire again
    log.on_epoch_end(trainer)
    log.on_fit_end(trainer)
    _, rows = read_csv(tmp_path / "metrics.csv")
    assert [int(r["step"]) for r in rows] == [1, 2]


def test_csv_logger_refuses_a_foreign_csv(tmp_path):
    (tmp_path / "metrics.csv").write_text("a,b\n1,2\n")
    trainer = fake_trainer(tmp_path)
    with pytest.raises(ValueError, match="not a metrics log"):
        CSVLogger().on_fit_start(trainer)
    with pytest.raises(ValueError, match="metrics.csv"):
        CSVLogger(unit="step").run(trainer)


def test_csv_logger_writes_nothing_off_the_main_process(tmp_path):
    trainer = fake_trainer(tmp_path, is_main_process=False)
    log = CSVLogger()
    log.on_fit_start(trainer)
    do_steps(trainer, [log], 2)
    assert not (tmp_path / "metrics.csv").exists()


def test_callbacks_reject_bad_every():
    with pytest.raises(ValueError, match="every"):
        CSVLogger(every=0)
    with pytest.raises(ValueError, match="fakes_per_class"):
        FakeWriter(TinyFrontend(), fakes_per_class=0)


# ---------------------------------------------------------------- fixed latent


def test_fixed_fakes_same_latent_every_round_and_train_mode_restored():
    gen = TinyGenerator(num_classes=3)
    gen.train()
    a, labels = fixed_fakes(gen, 2, seed=5)
    b, _ = fixed_fakes(gen, 2, seed=5)
    c, _ = fixed_fakes(gen, 2, seed=6)
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert a.shape == (6, *SHAPE) and labels.tolist() == [0, 0, 1, 1, 2, 2]
    assert gen.modes_seen == [False, False, False]  # dropout off while sampling
    assert gen.training  # and back on afterwards
    gen.eval()
    fixed_fakes(gen, 1, seed=0)
    assert not gen.training  # a generator in eval mode (an EMA copy) stays there


def test_fixed_fakes_unconditional_tuple_latent():
    features, labels = fixed_fakes(TupleLatentRollGenerator(), 3, seed=0)
    assert features.shape == (3, 2, 2, 4, 12) and labels is None


# ---------------------------------------------------------------- FakeWriter


def test_fake_writer_audio_round(tmp_path):
    gen = TinyGenerator(num_classes=2)
    trainer = fake_trainer(tmp_path, gen, epoch=1)
    writer = FakeWriter(TinyFrontend(), class_names=["dog bark", "siren"], fakes_per_class=2)
    do_steps(trainer, [], 4)
    writer.on_epoch_end(trainer)
    folder = tmp_path / "fakes" / "step_000004"
    wavs = sorted(p.name for p in folder.glob("*.wav"))
    assert wavs == ["dog_bark_00.wav", "dog_bark_01.wav", "siren_00.wav", "siren_01.wav"]
    data, sr = sf.read(folder / "siren_01.wav")
    assert sr == SR and data.shape == (256,) and np.abs(data).max() > 0
    for png in ("dog_bark.png", "siren.png"):
        assert_png_ok(folder / png)
    assert_png_ok(tmp_path / "losses.png")
    info = json.loads((folder / "round.json").read_text())
    assert info["step"] == 4 and info["epoch"] == 1 and info["metrics"]["generator_loss"] == 4.0
    assert (tmp_path / "index.html").is_file()
    assert gen.training and gen.modes_seen == [False]


def test_fake_writer_same_samples_each_round_without_weight_changes(tmp_path):
    gen = TinyGenerator(num_classes=1)
    trainer = fake_trainer(tmp_path, gen)
    writer = FakeWriter(TinyFrontend(), fakes_per_class=1, unit="step", every=1, gallery=False)
    do_steps(trainer, [writer], 2)
    first, _ = sf.read(tmp_path / "fakes" / "step_000001" / "class_0_00.wav")
    second, _ = sf.read(tmp_path / "fakes" / "step_000002" / "class_0_00.wav")
    np.testing.assert_array_equal(first, second)
    with torch.no_grad():
        gen.net.weight.add_(0.5)
    do_steps(trainer, [writer], 1)
    third, _ = sf.read(tmp_path / "fakes" / "step_000003" / "class_0_00.wav")
    assert not np.array_equal(first, third)
    assert gen.training


def test_fake_writer_one_round_per_step(tmp_path):
    gen = TinyGenerator(num_classes=1)
    trainer = fake_trainer(tmp_path, gen)
    writer = FakeWriter(TinyFrontend(), fakes_per_class=1, unit="step", every=2, gallery=False)
    writer.on_fit_start(trainer)
    do_steps(trainer, [writer], 2)
    trainer.epoch = 1  # the epoch ends at step 2, then fit ends: the base class would fire again
    writer.on_epoch_end(trainer)
    writer.on_fit_end(trainer)
    assert len(gen.modes_seen) == 1
    assert json.loads((tmp_path / "fakes" / "step_000002" / "round.json").read_text())["epoch"] == 0


def test_fake_writer_draws_real_spectrograms_beside(tmp_path):
    real = torch.rand(4, *SHAPE) * 2 - 1
    trainer = fake_trainer(tmp_path, TinyGenerator(num_classes=2), step=1)
    FakeWriter(TinyFrontend(), fakes_per_class=2, gallery=False).run(trainer)
    plain = assert_png_ok(tmp_path / "fakes" / "step_000001" / "class_0.png")
    trainer.step = 2
    FakeWriter(
        TinyFrontend(), fakes_per_class=2, real=real, real_labels=[0, 1, 0, 1], gallery=False
    ).run(trainer)
    beside = assert_png_ok(tmp_path / "fakes" / "step_000002" / "class_0.png")
    assert beside.shape[1] > 1.5 * plain.shape[1]  # two real columns to the right


def test_fake_writer_overview_has_a_row_per_class_with_reals_beside(tmp_path):
    real = torch.rand(3, *SHAPE) * 2 - 1  # class 1 has one real item, class 2 none
    trainer = fake_trainer(tmp_path, TinyGenerator(num_classes=3), step=1)
    FakeWriter(TinyFrontend(), fakes_per_class=2, gallery=False).run(trainer)
    alone = assert_png_ok(tmp_path / "fakes" / "step_000001" / "all_classes.png")
    trainer.step = 2
    writer = FakeWriter(
        TinyFrontend(), fakes_per_class=2, real=real, real_labels=[0, 0, 1], gallery=False
    )
    writer.run(trainer)
    beside = assert_png_ok(tmp_path / "fakes" / "step_000002" / "all_classes.png")
    assert beside.shape[1] > 1.5 * alone.shape[1]  # two real columns beside two generated
    assert beside.shape[0] == pytest.approx(alone.shape[0], rel=0.1)  # still three rows
    trainer.step = 3
    FakeWriter(TinyFrontend(), fakes_per_class=2, overview=False, gallery=False).run(trainer)
    assert not (tmp_path / "fakes" / "step_000003" / "all_classes.png").exists()
    unconditional = fake_trainer(tmp_path / "u", TinyGenerator(num_classes=0), step=1)
    FakeWriter(TinyFrontend(), fakes_per_class=2, gallery=False).run(unconditional)
    assert not (tmp_path / "u" / "fakes" / "step_000001" / "all_classes.png").exists()


def test_fake_writer_unconditional_names(tmp_path):
    gen = TinyGenerator(num_classes=0)
    trainer = fake_trainer(tmp_path, gen, step=3)
    FakeWriter(TinyFrontend(), fakes_per_class=3, gallery=False).run(trainer)
    folder = tmp_path / "fakes" / "step_000003"
    assert sorted(p.name for p in folder.glob("*.wav")) == [
        "fake_00.wav",
        "fake_01.wav",
        "fake_02.wav",
    ]
    assert_png_ok(folder / "fake.png")
    assert not (tmp_path / "losses.png").exists()  # no history yet: no loss plot


def test_fake_writer_pianoroll_writes_midi_and_rolls(tmp_path):
    pretty_midi = pytest.importorskip("pretty_midi")
    from audiogan.frontends.pianoroll import PianoRoll

    frontend = PianoRoll(tracks=2, bars=2, steps_per_bar=4, pitches=12, lowest_pitch=60)
    trainer = fake_trainer(tmp_path, TupleLatentRollGenerator(), step=2)
    real = frontend.binarize(torch.randn(1, 2, 2, 4, 12))
    FakeWriter(frontend, fakes_per_class=1, real=real, gallery=False).run(trainer)
    folder = tmp_path / "fakes" / "step_000002"
    assert sorted(p.name for p in folder.glob("*.mid")) == ["fake_00.mid"]
    midi = pretty_midi.PrettyMIDI(str(folder / "fake_00.mid"))
    assert [i.name for i in midi.instruments] == list(frontend.track_names)
    assert [p.name for p in folder.glob("*.png")] == ["fake.png"]  # drawn by frontend.plot
    beside = assert_png_ok(folder / "fake.png")
    trainer.step = 3
    FakeWriter(frontend, fakes_per_class=1, gallery=False).run(trainer)
    alone = assert_png_ok(tmp_path / "fakes" / "step_000003" / "fake.png")
    assert beside.shape[1] > 1.5 * alone.shape[1]  # the real roll drawn to the right


def test_fake_writer_takes_a_users_own_frontend(tmp_path):
    """Neither audio nor MIDI: FakeWriter only calls the frontend's hooks."""
    from audiogan.protocols import Frontend

    frontend = NumbersFrontend()
    assert isinstance(frontend, Frontend)
    trainer = fake_trainer(tmp_path, TinyGenerator(num_classes=2), step=1)
    real = torch.rand(2, *SHAPE)
    FakeWriter(frontend, ["dog", "cat"], fakes_per_class=3, real=real, real_labels=[0, 1]).run(
        trainer
    )
    folder = tmp_path / "fakes" / "step_000001"
    assert sorted(p.name for p in folder.glob("*.npy")) == [
        f"{c}_{i:02d}.npy" for c in ("cat", "dog") for i in range(3)
    ]
    assert np.load(folder / "dog_01.npy").shape == SHAPE
    assert frontend.saved_batches == [3, 3]  # one batched save per class
    for png in ("dog.png", "cat.png"):
        assert_png_ok(folder / png)
    assert (tmp_path / "index.html").is_file()


def test_file_stems_are_safe_and_unique():
    assert file_stems(["dog bark", "dog_bark", "a/b"]) == [
        ("dog_bark_0", "dog bark", 0),
        ("dog_bark_1", "dog_bark", 1),
        ("a_b", "a/b", 2),
    ]
    assert safe_name("..") == "class" and safe_name("Ünïcode-ok.1") == "Ünïcode-ok.1"


def test_fake_writer_errors(tmp_path):
    with pytest.raises(ValueError, match=r"real must have shape \(n >= 1, 1, 16, 16\)"):
        FakeWriter(TinyFrontend(), real=torch.zeros(2, 16, 16))
    with pytest.raises(ValueError, match="one label per real item"):
        FakeWriter(TinyFrontend(), real=torch.zeros(2, *SHAPE), real_labels=[0])

    class CannotDraw:
        feature_shape = SHAPE
        suffix = ".wav"

        def save(self, features, paths):
            return paths

    with pytest.raises(TypeError, match="has no plot"):
        FakeWriter(CannotDraw())
    trainer = fake_trainer(tmp_path, TinyGenerator(num_classes=2), step=1)
    with pytest.raises(ValueError, match="class_names has 3 entries but the generator has 2"):
        FakeWriter(TinyFrontend(), class_names=["a", "b", "c"]).run(trainer)
    with pytest.raises(ValueError, match="real_labels are needed"):
        FakeWriter(TinyFrontend(), real=torch.zeros(2, *SHAPE), gallery=False).run(trainer)


def test_fake_writer_only_on_the_main_process(tmp_path):
    trainer = fake_trainer(tmp_path, is_main_process=False, step=1)
    FakeWriter(TinyFrontend()).run(trainer)
    assert not (tmp_path / "fakes").exists()


def test_fake_writer_gallery_lists_rounds_newest_first(tmp_path):
    from html.parser import HTMLParser

    trainer = fake_trainer(tmp_path, TinyGenerator(num_classes=2))
    writer = FakeWriter(TinyFrontend(), fakes_per_class=1, unit="step", every=2)
    do_steps(trainer, [writer], 4)

    class Rounds(HTMLParser):
        def __init__(self):
            super().__init__()
            self.ids, self.audio = [], []

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "section" and a.get("class") == "round":
                self.ids.append(a["id"])
            if tag == "audio":
                self.audio.append(a["src"])

    parser = Rounds()
    parser.feed((tmp_path / "index.html").read_text())
    assert parser.ids == ["step_000004", "step_000002"]
    assert len(parser.audio) == 4 and all((tmp_path / src).is_file() for src in parser.audio)


# ---------------------------------------------------------------- TensorBoard


def test_tensorboard_logger_missing_package_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)
    with pytest.raises(ImportError, match=r"audiogan\[logs\]"):
        TensorBoardLogger()


def test_tensorboard_logger_writes_scalars_images_and_audio(tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    gen = TinyGenerator(num_classes=2)
    trainer = fake_trainer(tmp_path, gen)
    tb = TensorBoardLogger(frontend=TinyFrontend(), class_names=["dog", "cat"], fakes_per_class=2)
    tb.on_fit_start(trainer)
    do_steps(trainer, [tb], 3)
    trainer.epoch = 1
    tb.on_epoch_end(trainer)
    tb.on_fit_end(trainer)
    events = list((tmp_path / "tensorboard").glob("events.out.tfevents.*"))
    assert len(events) == 1
    acc = EventAccumulator(
        str(tmp_path / "tensorboard"), size_guidance={"images": 0, "audio": 0}
    ).Reload()
    tags = acc.Tags()
    assert {"critic_loss", "generator_loss", "epoch"} <= set(tags["scalars"])
    assert [e.step for e in acc.Scalars("critic_loss")] == [1, 2, 3]
    assert [e.value for e in acc.Scalars("generator_loss")] == [1.0, 2.0, 3.0]
    assert set(tags["images"]) == {"fakes/dog", "fakes/cat"}
    grid = acc.Images("fakes/dog")[0]
    assert grid.step == 3 and grid.width > 1.5 * grid.height  # two spectrograms side by side
    assert set(tags["audio"]) == {"audio/dog_00", "audio/dog_01", "audio/cat_00", "audio/cat_01"}
    assert acc.Audio("audio/dog_00")[0].sample_rate == SR
    assert gen.training and tb.writer is None


def test_tensorboard_logger_pianoroll_images_and_no_audio(tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from audiogan.frontends.pianoroll import PianoRoll

    frontend = PianoRoll(tracks=2, bars=2, steps_per_bar=4, pitches=12, lowest_pitch=60)
    trainer = fake_trainer(tmp_path, TupleLatentRollGenerator())
    tb = TensorBoardLogger(frontend=frontend, fakes_per_class=2, media_unit="step")
    tb.on_fit_start(trainer)
    do_steps(trainer, [tb], 1)
    tb.on_fit_end(trainer)
    acc = EventAccumulator(
        str(tmp_path / "tensorboard"), size_guidance={"images": 0, "audio": 0}
    ).Reload()
    assert acc.Tags()["images"] == ["fakes/fake"]
    assert acc.Tags()["audio"] == []  # sample_rate 0: decode gives pitch grids, not sound


def test_tensorboard_logger_off_main_process_writes_nothing(tmp_path):
    pytest.importorskip("tensorboard")
    trainer = fake_trainer(tmp_path, is_main_process=False)
    tb = TensorBoardLogger(frontend=TinyFrontend())
    tb.on_fit_start(trainer)
    do_steps(trainer, [tb], 2)
    tb.on_fit_end(trainer)
    assert not (tmp_path / "tensorboard").exists()
