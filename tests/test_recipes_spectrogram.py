"""The one-hot cGAN and ResNet-9 GAN recipes, end to end through the ``audiogan`` command.

Each is trained for 2 steps at a tiny size, trained again to 4 steps in the same folder (it must
resume, not start over), sampled with ``audiogan generate`` and measured with ``audiogan
evaluate``. The files each promises are checked: wav files readable by soundfile, PNG pictures
decodable and not blank, the metrics log and the checkpoints' step counters.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pytest
import torch

from audiogan.cli import main
from audiogan.recipes import RECIPES, configure, get_recipe
from audiogan.train import load_checkpoint

sys.path.insert(0, str(Path(__file__).parent))
from file_checks import check_png, check_round, check_wav, logged_steps  # noqa: E402

CLASSES = ["dog_bark", "drilling", "engine_idling", "siren", "street_music"]

# 20 clips (4 per class) in batches of 4, 16 mels x 16 frames, narrow models, a round every 2 steps.
TINY = [
    *("--device", "cpu"),
    *("--set", "clips_per_class=4", "--set", "batch_size=4"),
    *("--set", "n_mels=16", "--set", "frames=16", "--set", "width=4"),
    *("--set", "every=2", "--set", "unit=step"),
]


def audiogan(capsys: pytest.CaptureFixture[str], *args: object) -> str:
    """Run ``audiogan args...`` in this process; return its stdout (fail with its stderr)."""
    status = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert status == 0, f"audiogan {args} failed:\n{out}\n{err}"
    return out


def train_and_resume(
    capsys: pytest.CaptureFixture[str], recipe: str, out: Path, extra: list[str], stems: list[str]
) -> str:
    """Train 2 steps, then to 4 in the same folder; check the files. Returns the 2nd output."""
    first = audiogan(capsys, "train", recipe, "--out", out, "--steps", 2, *TINY, *extra)
    assert "starting a new run" in first and "batches per epoch" in first
    assert load_checkpoint(out / "checkpoints" / "step_00000002.pt")["step"] == 2
    assert logged_steps(out) == [1, 2]
    check_png(out / "losses.png")
    assert str(out / "index.html") in first  # the run says where its files are

    second = audiogan(capsys, "train", recipe, "--out", out, "--steps", 4, *TINY, *extra)
    assert "resuming from" in second and "step_00000002.pt" in second and "(step 4" in second
    state = load_checkpoint(out / "checkpoints" / "step_00000004.pt")
    assert state["step"] == 4 and [h["step"] for h in state["history"]] == [1, 2, 3, 4]
    assert logged_steps(out) == [1, 2, 3, 4]  # continued, not started over
    for step in (2, 4):
        check_round(out / "fakes" / f"step_{step:06d}", ".wav", stems)
    return second


def evaluate(capsys: pytest.CaptureFixture[str], run: Path) -> str:
    text = audiogan(capsys, "evaluate", run)
    assert "step_00000004.pt" in text  # the newest checkpoint
    assert "classifier accuracy" in text and "inception score" in text
    assert "Fréchet distance" in text and "NDB/K" in text
    # the small-n metrics in the same embedding (tests/test_metrics_distribution.py)
    assert "KID (unbiased MMD²" in text and "precision / recall (k=" in text
    assert "density / coverage" in text and "nearest-train distance" in text
    return text


@pytest.mark.parametrize(
    ("name", "original", "cpu"),
    [
        (
            "wgan-gp",
            {"n_mels": 128, "frames": 256, "width": 32, "critic_width": 32, "batch_size": 64}
            | {"lr": 1e-4, "critic_lr": 1e-4, "ema": None, "epochs": 100}
            | {"conditioning": "embedding", "critic_steps": 5, "ac_weight": 0.0}  # the original
            | {"standing_stats": 0, "num_refine_convs": 0, "augment": ""},
            {"n_mels": 64, "frames": 64, "width": 16, "critic_width": 32, "steps": 2000}
            | {"batch_size": 16, "conditioning": "projection", "critic_steps": 2, "ac_weight": 10.0}
            | {"lr": 5e-4, "ema": 0.99, "standing_stats": 32}  # docs/howto/real-recordings.rst
            | {"num_refine_convs": 2, "augment": "auto", "auto_augment_clips": 8},
        ),
        (
            "onehot-cgan",
            {"n_mels": 128, "frames": 512, "width": 32, "batch_size": 16, "lr": 2e-4}
            | {"critic_norm": "batch"},
            {"n_mels": 32, "frames": 128, "width": 16, "epochs": 40, "steps": None}
            | {"clips_per_class": 32},
        ),
        (
            "resnet9-gan",
            {"n_mels": 128, "frames": 256, "critic_width": 64, "batch_size": 64}
            | {"generator_lr": 2e-4, "critic_lr": 2e-5}  # TTUR
            | {"norm": "spectral", "minibatch_std": 4},  # the original's BatchNorm collapses
            {"n_mels": 64, "frames": 64, "critic_width": 16, "norm": "spectral", "steps": 1000}
            | {"clips_per_class": 32, "minibatch_std": 4, "ema": 0.999},  # no collapse (how-to)
        ),
    ],
)
def test_full_size_is_the_original_system(name: str, original: dict, cpu: dict) -> None:
    recipe = get_recipe(name)
    full = configure(recipe, full_size=True)
    assert {key: getattr(full, key) for key in original} == original
    default = configure(recipe)
    assert {key: getattr(default, key) for key in cpu} == cpu
    assert configure(recipe, True, {"batch_size": "3"}).batch_size == 3  # --set wins


def test_wgan_gp_models_and_the_settings_of_earlier_runs() -> None:
    from audiogan.nn import AuxiliaryConvCritic2d, ConvCritic2d
    from audiogan.recipes import ConfigError, wgan_gp

    recipe = get_recipe("wgan-gp")
    generator, critic = wgan_gp.models(configure(recipe), 5)
    assert generator.config["num_refine_convs"] == 2  # two 3x3 convs at 64x64 draw the stripes
    assert generator(torch.zeros(2, 100), torch.tensor([0, 4])).shape == (2, 1, 64, 64)
    assert isinstance(critic, AuxiliaryConvCritic2d) and critic.classify(
        torch.zeros(2, 1, 64, 64)
    ).shape == (2, 5)
    _, critic = wgan_gp.models(configure(recipe, full_size=True), 5)
    assert type(critic) is ConvCritic2d and critic.config["conditioning"] == "embedding"
    with pytest.raises(ConfigError, match="ac_weight > 0 needs conditioning=projection"):
        wgan_gp.models(configure(recipe, overrides={"conditioning": "embedding"}), 5)
    assert critic.config["norm"] == "none"  # the default critic has no norm (the penalty's)
    _, critic = wgan_gp.models(configure(recipe, overrides={"critic_norm": "spectral"}), 5)
    spectral = [name for name, _ in critic.named_parameters() if "parametrizations" in name]
    assert critic.config["norm"] == "spectral" and spectral  # --set critic_norm=spectral
    with pytest.raises(ConfigError, match="critic_norm"):
        configure(recipe, overrides={"critic_norm": "batch"})  # would break the penalty
    # a run saved before these settings existed resumes with the models it was made with
    earlier = configure(recipe, saved={"width": 8, "lr": 1e-4, "critic_steps": 5})
    assert (earlier.critic_width, earlier.critic_lr) == (8, 1e-4)
    assert (earlier.conditioning, earlier.ac_weight, earlier.upsample) == (
        "embedding",
        0.0,
        "transposed",
    )
    assert earlier.standing_stats == 0  # its EMA copy kept the live BatchNorm statistics
    assert earlier.num_refine_convs == 0  # its last transposed conv drew the output
    assert earlier.augment == ""  # no ADA on small folders
    saved_today = configure(recipe, saved={"conditioning": "projection", "ac_weight": 10.0})
    assert (saved_today.conditioning, saved_today.ac_weight) == ("projection", 10.0)


def test_wgan_gp_linear_lr_decay_reaches_zero_at_the_last_step(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "decay"
    decay = ["--set", "lr_decay=linear", "--set", "lr=1e-3", "--set", "critic_lr=2e-3"]
    audiogan(capsys, "train", "wgan-gp", "--out", out, "--steps", 2, *TINY, *decay)
    audiogan(capsys, "train", "wgan-gp", "--out", out, "--steps", 4, *TINY, *decay)
    rates = {}
    with open(out / "metrics.csv") as f:
        for row in csv.DictReader(f):
            rates[int(row["step"])] = (float(row["generator_lr"]), float(row["critic_lr"]))
    # 1 - s/2 of each rate after step s of 2; extended to 4 steps, 1 - s/4 (not stuck at 0)
    for step, factor in {1: 0.5, 2: 0.0, 3: 0.25, 4: 0.0}.items():
        expected = (1e-3 * factor, 2e-3 * factor)
        assert rates[step] == pytest.approx(expected, abs=1e-12), step


def test_listed_with_data_flags(capsys: pytest.CaptureFixture[str]) -> None:
    listing = audiogan(capsys, "recipes")
    for name in ("onehot-cgan", "resnet9-gan"):
        assert name in listing
        assert RECIPES[name].data_flags == ("data", "csv")
    settings = audiogan(capsys, "recipes", "resnet9-gan")
    assert "critic_lr = 2e-05" in settings and "minibatch_std = 4\n" in settings
    assert "n_mels = 64  [128]" in settings  # the original's size with --full-size


def test_onehot_cgan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = tmp_path / "run"
    extra = ["--set", "fakes_per_class=1"]
    train_and_resume(capsys, "onehot-cgan", run, extra, [f"{c}_00" for c in CLASSES])
    check_png(run / "fakes" / "step_000004" / "all_classes.png")  # every class, fake and real
    assert (
        load_checkpoint(run / "checkpoints" / "step_00000004.pt")["metadata"]["class_names"]
        == CLASSES
    )

    audiogan(capsys, "generate", run, "--out", tmp_path / "all", "-n", 2)
    written = sorted(p.name for p in (tmp_path / "all").iterdir() if p.name[0] != ".")
    assert written == [f"{c}_{i:03d}.wav" for c in CLASSES for i in range(2)]
    for path in (tmp_path / "all").glob("*.wav"):
        check_wav(path)
    audiogan(capsys, "generate", run, "--out", tmp_path / "siren", "-n", 2, "--class", "siren")
    assert sorted(p.name for p in (tmp_path / "siren").iterdir() if p.name[0] != ".") == [
        "siren_000.wav",
        "siren_001.wav",
    ]

    text = evaluate(capsys, run)
    assert "generated (n=160)" in text  # 32 samples of each of the 5 classes
    assert all(f"  {c}" in text for c in CLASSES)
    assert all(f"  KID {c}" in text and f"  CAS {c}" in text for c in CLASSES)
    assert "classification accuracy score" in text


def test_resnet9_gan_on_a_folder_without_cache(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--data DIR, the labels dropped (unconditional), the Trainer encoding each batch."""
    from audiogan.data import write_audio_folder

    write_audio_folder(
        tmp_path / "sounds", clips_per_class=4, num_samples=4096, classes=CLASSES[:3]
    )
    run = tmp_path / "run"
    extra = ["--data", tmp_path / "sounds", "--set", "cache=false"]
    extra += ["--set", "critic_width=4", "--set", "fakes_per_class=2"]
    text = train_and_resume(capsys, "resnet9-gan", run, extra, ["fake_00", "fake_01"])
    assert "mean of the last 4 steps: critic_loss" in text  # how balanced the fight ended
    assert not (run / "cache").exists()
    with open(run / "metrics.csv", newline="") as f:
        assert {"critic_loss", "generator_loss"} <= set(next(csv.reader(f)))

    audiogan(capsys, "generate", run, "--out", tmp_path / "g", "-n", 2)
    assert sorted(p.name for p in (tmp_path / "g").iterdir() if p.name[0] != ".") == [
        "fake_000.wav",
        "fake_001.wav",
    ]
    assert main(["generate", str(run), "--out", str(tmp_path / "c"), "--class", "siren"]) == 2
    assert "unconditional" in capsys.readouterr().err

    text = evaluate(capsys, run)
    assert "generated (n=160)" in text  # unconditional: eval_fakes in all, no fake accuracy
    # how the samples spread over the classes (a collapse check), beside the real clips
    assert "class spread" in text and "classes >= 5 %" in text and "mean pairwise L1" in text
    assert "NDB/K (K=2)" in text.split("class spread")[1]  # against all 12 real clips: 2 bins
    assert all(f"  {c}" in text for c in CLASSES[:3])
    classifier = run / "eval" / "classifier.pt"
    before = classifier.stat().st_mtime_ns
    assert evaluate(capsys, run) == text  # the cached classifier: nothing retrained
    assert classifier.stat().st_mtime_ns == before


def test_resnet9_gan_batch_norm_builds_the_original_critic(tmp_path: Path) -> None:
    recipe = get_recipe("resnet9-gan")
    overrides = {"norm": "batch", "clips_per_class": 1, "batch_size": 2, "n_mels": 16, "frames": 16}
    run = recipe.build(configure(recipe, overrides={**overrides, "out": str(tmp_path)}))
    critic = run.trainer.critic
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in critic.modules())
    x = next(iter(run.loader))
    assert isinstance(x, torch.Tensor) and x.shape == (2, 1, 16, 16)  # no labels
