"""The vocoder recipe and LogMel's vocoder decoding, end to end through the ``audiogan`` command.

A tiny vocoder is trained for 2 steps and resumed to 4 (sample rounds write the decoded held-out
clips beside the originals), ``audiogan evaluate`` compares it with Griffin-Lim; ``load_vocoder``
loads a vocoder run for a LogMel (checked against its parameters), and a spectrogram GAN whose
config names a vocoder stores it in its checkpoints, so its sample rounds and ``generate()``
decode with it rather than with Griffin-Lim.
"""

from __future__ import annotations

import dataclasses
import re
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import soundfile as sf
import torch
from torch import nn
from torchaudio.transforms import GriffinLim

from audiogan.cli import main
from audiogan.frontends import LogMel, Waveform
from audiogan.nn import HiFiGANGenerator
from audiogan.recipes import configure, get_recipe, vocoder
from audiogan.recipes.vocoder import generator_of
from audiogan.train import FakeWriter, generate, load_checkpoint, load_vocoder

sys.path.insert(0, str(Path(__file__).parent))
from file_checks import check_png, check_round, logged_steps  # noqa: E402

# The wgan-gp tests' tiny log-mel (16 mels x 16 frames; n_fft 1024, hop 256) and a tiny vocoder (the
# default learned Griffin-Lim, its magnitude network at width 16, the critics joining at step 3): 10 training clips of 4096 samples,
# 2048-sample segments in batches of 2, 1 held-out clip a class.
MEL = {"n_mels": 16, "frames": 16}
TINY = [*("--device", "cpu", "--set", "clips_per_class=3", "--set", "held_out=1")]
TINY += [f"--set={k}={v}" for k, v in MEL.items()]
TINY += ["--set=segment_frames=8", "--set=batch_size=2", "--set=width=16"]
TINY += ["--set=critic_width=1", "--set=every=2", "--set=unit=step", "--set=critic_start=2"]


def audiogan(capsys: pytest.CaptureFixture[str], *args: object, status: int = 0) -> str:
    """Run ``audiogan args...`` in this process; return its stdout (its stderr when failing)."""
    got = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert got == status, f"audiogan {args} exited {got}:\n{out}\n{err}"
    return out if status == 0 else err


@pytest.fixture(scope="module")
def vocoder_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny recipe's HiFi-GAN checkpoint at step 0 (built, not trained): a run folder."""
    recipe = get_recipe("vocoder")
    run_dir = tmp_path_factory.mktemp("vocoder")
    settings = {**MEL, "out": str(run_dir), "width": 16, "clips_per_class": 2, "held_out": 1}
    settings["generator"] = "hifigan"
    recipe.build(
        configure(recipe, overrides={**settings, "device": "cpu"})
    ).trainer.save_checkpoint()
    return run_dir


def test_defaults_and_full_size(monkeypatch: pytest.MonkeyPatch) -> None:
    recipe = get_recipe("vocoder")
    assert not recipe.generates and recipe.data_flags == ("data", "csv")
    cpu, full = configure(recipe), configure(recipe, full_size=True)
    mel = ("sample_rate", "n_fft", "hop_length", "n_mels")
    assert [getattr(cpu, k) for k in mel] == [16000, 1024, 256, 64]  # wgan-gp's log-mel
    assert cpu.segment_frames * cpu.hop_length == 4096 and cpu.lr == 1e-3
    assert full.segment_frames * full.hop_length == 8192  # the original's segments and Adam
    assert (full.preset, full.width, full.critic_width, full.batch_size) == ("v1", 512, 32, 16)
    assert full.lr == 2e-4 and full.n_mels == 128
    # the default: the learned Griffin-Lim on its reconstruction terms; the critics would join
    # after the default run's last step
    assert (cpu.generator, cpu.width, cpu.num_layers) == ("degli", 128, 2)
    assert (cpu.num_iters, cpu.dnn_iters, cpu.phase_width) == (12, 2, 8)
    assert cpu.critic_start == cpu.steps and cpu.stft_weight == cpu.magnitude_weight == 45
    assert generator_of(cpu).config["num_iters"] == 12
    # --full-size: the published Vocos and critics, no warm-up (Vocos' pretrain_mel_steps: 0)
    assert full.generator == "vocos" and full.critic_start == 0 and full.magnitude_weight == 0
    published = {"width": 512, "intermediate_width": 1536, "num_layers": 8, "n_fft": 1024}
    assert published.items() <= generator_of(full).config.items()  # Vocos' 24 kHz config
    v1 = generator_of(dataclasses.replace(full, generator="hifigan"))
    v3 = generator_of(dataclasses.replace(cpu, generator="hifigan"))
    assert v1.config["upsample_rates"] == [8, 8, 2, 2] and v3.config["upsample_rates"] == [8, 8, 4]
    # HiFi-GAN's critics at width 32 (recorded, not built: 70 M parameters)
    monkeypatch.setattr(vocoder, "MPD", lambda **settings: settings)
    monkeypatch.setattr(vocoder, "MSD", lambda **settings: settings)
    monkeypatch.setattr(vocoder, "CriticEnsemble", lambda *members: members)
    mpd, msd = vocoder.critic_of(32)
    assert mpd == {"channels": (32, 128, 512, 1024, 1024)}
    assert msd == {
        "channels": [128, 128, 256, 512, 1024, 1024, 1024],
        "groups": [1, 4, 16, 16, 16, 16, 1],
    }
    assert vocoder.critic_of(1)[1]["groups"] == [1, 4, 4, 8, 16, 16, 1]  # they divide the widths


def test_settings_that_do_not_fit_are_one_line_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for setting, message in [
        ("hop_length=128 generator=hifigan", "must multiply to hop_length 128"),
        ("upsample_rates=8,8,4 generator=istftnet", "times the head's hop 4 must multiply"),
        ("preset=v4", "preset must be v1, v2 or v3"),
        ("vocoder=runs/x", "its setting vocoder stays none"),
        ("segment_frames=65", "segment_frames must be 1 to frames (64)"),
        ("generator=wavenet", "generator must be one of hifigan, istftnet, vocos, degli"),
        ("num_iters=2 dnn_iters=3", "degli needs 0 <= dnn_iters <= num_iters"),
        ("critic=mpd+mpd", "critic must join distinct names of mpd, msd, mrd, multiband"),
        ("critic=mpd+cqt", "critic must join distinct names"),
    ]:
        settings = setting.split()
        error = audiogan(
            capsys, "train", "vocoder", "--out", tmp_path, "--set", *settings, status=2
        )
        assert message in error and error.count("\n") == 1


@pytest.mark.slow
def test_trains_resumes_samples_and_evaluates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = tmp_path / "run"
    first = audiogan(capsys, "train", "vocoder", "--out", run, "--steps", 2, *TINY)
    assert "starting a new run" in first and "DeepGriffinLimGenerator" in first
    second = audiogan(capsys, "train", "vocoder", "--out", run, "--steps", 4, *TINY)
    assert "resuming from" in second and "step_00000002.pt" in second
    assert logged_steps(run) == [1, 2, 3, 4]
    state = load_checkpoint(run / "checkpoints" / "step_00000004.pt")
    assert {"mel", "feature_matching"} <= set(state["history"][-1])  # the critics joined
    assert "feature_matching" not in state["history"][1]  # step 2: the warm-up
    assert state["metadata"]["frontend"]["config"]["n_mels"] == 16
    for step in (2, 4):  # one held-out clip per class, decoded, beside the original
        folder = run / "fakes" / f"step_{step:06d}"
        check_round(
            folder, ".wav", [f"{kind}_{i:02d}" for kind in ("fake", "real") for i in range(5)]
        )
        assert sf.info(folder / "fake_00.wav").frames == 16 * 256
    check_png(run / "losses.png")

    report = audiogan(capsys, "evaluate", run)
    assert "step_00000004.pt" in report and "5 held-out clips" in report
    lines = report.splitlines()  # title, columns, which way is better, one row per decoder
    assert lines[1].split()[:2] == ["decoder", "MR-STFT"] and lines[1].endswith("CPU s/s")
    assert "PESQ" in lines[1] and "V/UV F1" in lines[1]
    names = ("Deep Griffin-Lim", "Griffin-Lim 32", "Griffin-Lim 100")
    for name, line in zip(names, lines[3:6], strict=True):
        cells = line[len(name) :].split()
        assert line.startswith(name) and len(cells) == 10, line
        assert float(cells[0]) >= 0 and float(cells[-1]) > 0  # MR-STFT, CPU s/s
        # 0.24 s clips: too short for PESQ and STOI (n/a), long enough for the rest
        assert cells[4] == cells[5] == "n/a" and (cells[8] == "n/a" or 0 <= float(cells[8]) <= 1)
    error = audiogan(capsys, "generate", run, "--out", tmp_path / "x", status=2)
    assert "--set vocoder=RUN" in error and error.count("\n") == 1


def test_stft_weight_adds_parallel_wavegans_loss(tmp_path: Path) -> None:
    recipe = get_recipe("vocoder")
    settings = {"clips_per_class": "2", "held_out": "1", "segment_frames": "8", "batch_size": "2"}
    settings |= {"width": "16", "steps": "1", "device": "cpu", "out": str(tmp_path)}
    settings |= {"critic_start": "0", **{k: str(v) for k, v in MEL.items()}}
    assert configure(recipe).stft_weight == 45.0  # the default learned Griffin-Lim's
    run = recipe.build(configure(recipe, overrides={**settings, "stft_weight": "2.5"}))
    assert run.trainer.generator_losses["stft"][0] == 2.5
    run.fit()
    logged = run.trainer.history[-1]
    assert {"stft", "mel", "feature_matching"} <= set(logged) and logged["stft"] > 0


@pytest.mark.parametrize("name", ["hifigan", "istftnet", "vocos", "degli"])
def test_each_generator_makes_the_segment_from_its_log_mel_frames(name: str) -> None:
    """Every generator turns the frames it reads into exactly ``segment_frames * hop`` samples;
    a centred inverse STFT (vocos, degli) reads one frame more, frame t centred on sample t * hop."""
    config = vocoder.Config(generator=name, n_mels=16, width=16, num_layers=2)
    generator = generator_of(config)
    frames = vocoder.input_frames(generator, 8)
    assert frames == (9 if name in ("vocos", "degli") else 8)
    assert generator(torch.randn(2, 16, frames)).shape == (2, 1, 8 * 256)
    assert (
        type(generator).__name__
        == {
            "hifigan": "HiFiGANGenerator",
            "istftnet": "ISTFTNetGenerator",
            "vocos": "VocosGenerator",
            "degli": "DeepGriffinLimGenerator",
        }[name]
    )
    if name == "istftnet":  # C8C8I: two stages of 8, then the head's hop 4
        assert generator.config["upsample_rates"] == [8, 8] and generator.hop == 256


def test_critics_are_joined_by_name() -> None:
    critic = vocoder.critic_of(1, "mpd+multiband+mrd+complex")
    kinds = [type(m).__name__ for m in critic.members]
    assert kinds == [
        "MultiPeriodCritic",
        "MultiBandSTFTCritic",
        "MultiResolutionSTFTCritic",
        "ComplexMultiScaleSTFTCritic",
    ]
    out = critic(torch.randn(2, 1, 4096))
    assert len(out.scores) == 5 + 3 + 3 + 5 and all(s.shape[0] == 2 for s in out.scores)
    assert critic.members[1].config["width"] == 4  # STFT critics: at least 4 channels
    assert vocoder.critic_of(8, "multiband").members[0].config["width"] == 8


def test_a_warm_up_run_of_a_fourier_head_vocoder_decodes_through_logmel(tmp_path: Path) -> None:
    """generator=vocos, critic=mpd+multiband, critic_start=1, the multi-scale mel loss: step 1
    trains on the mel terms alone, step 2 with the critics; LogMel decodes with the result."""
    recipe = get_recipe("vocoder")
    settings = {"clips_per_class": "2", "held_out": "1", "segment_frames": "8", "batch_size": "2"}
    settings |= {"width": "16", "num_layers": "2", "steps": "2", "device": "cpu"}
    settings |= {"generator": "vocos", "critic": "mpd+multiband", "critic_start": "1"}
    settings |= {"stft_weight": "0"}  # attempt A had no STFT term
    settings |= {"multiscale_mel_weight": "15", "out": str(tmp_path), "every": "2", "unit": "step"}
    settings |= {k: str(v) for k, v in MEL.items()}
    run = recipe.build(configure(recipe, overrides=settings))
    assert run.trainer.critic_start == 1 and run.trainer.generator_losses["multiscale_mel"][0] == 15
    run.fit()
    warm, joined = run.trainer.history
    assert set(warm) == {"step", "epoch", "mel", "multiscale_mel", "skipped_steps"}
    assert {"critic_loss", "feature_matching", "mel", "multiscale_mel"} <= set(joined)
    assert run.trainer.critic_updates == 1
    assert sf.info(tmp_path / "fakes" / "step_000002" / "fake_00.wav").frames == 16 * 256
    model = load_vocoder(tmp_path, LogMel(**MEL))
    fe = LogMel(**MEL, vocoder=model)
    features = fe.encode(torch.randn(1, 4096) * 0.1)  # (1, 1, 16, 16)
    assert type(model).__name__ == "VocosGenerator"
    assert torch.allclose(fe.decode(features), model(features[:, 0])[:, 0])  # 15 * 256 samples


def test_a_deep_griffin_lim_run_trains_saves_and_decodes_through_logmel(tmp_path: Path) -> None:
    """generator=degli with the magnitude loss, 2 steps: the three terms are logged, the
    checkpoint rebuilds the model (its mel parameters from the run's log-mel), and LogMel decodes
    with it; the checkpoint holds no filterbank or window (rebuilt from the config)."""
    recipe = get_recipe("vocoder")
    settings = {"clips_per_class": "2", "held_out": "1", "segment_frames": "8", "batch_size": "2"}
    settings |= {"width": "16", "num_layers": "1", "steps": "2", "device": "cpu"}
    settings |= {"generator": "degli", "num_iters": "4", "dnn_iters": "2", "phase_width": "4"}
    settings |= {"stft_weight": "45", "magnitude_weight": "45", "critic_start": "100"}
    settings |= {"out": str(tmp_path), "every": "2", "unit": "step"}
    settings |= {k: str(v) for k, v in MEL.items()}
    run = recipe.build(configure(recipe, overrides=settings))
    run.fit()
    assert {"mel", "stft", "magnitude"} <= set(run.trainer.history[-1])
    assert run.trainer.critic_updates == 0
    assert sf.info(tmp_path / "fakes" / "step_000002" / "fake_00.wav").frames == 16 * 256
    model = load_vocoder(tmp_path, LogMel(**MEL))
    assert type(model).__name__ == "DeepGriffinLimGenerator"
    assert model.config["n_mels"] == 16 and model.config["num_iters"] == 4
    state = load_checkpoint(next((tmp_path / "checkpoints").glob("*.pt")))
    assert not any(k.endswith(("pinv", "window")) for k in state["generator"])
    fe = LogMel(**MEL, vocoder=model)
    features = fe.encode(torch.randn(1, 4096) * 0.1)  # (1, 1, 16, 16)
    decoded = fe.decode(features)  # 15 * 256 samples; float32 Griffin-Lim rounds differently
    torch.testing.assert_close(decoded, model(features[:, 0])[:, 0], atol=1e-4, rtol=0.0)
    vocos = recipe.build(configure(recipe, overrides={**settings, "generator": "vocos"}))
    assert "magnitude" not in vocos.trainer.generator_losses  # degli's term only


def test_logmel_decodes_with_a_vocoder_checkpoint(vocoder_checkpoint: Path) -> None:
    vocoder = load_vocoder(vocoder_checkpoint, LogMel(n_mels=16))  # the run's newest checkpoint
    fe = LogMel(n_mels=16, vocoder=vocoder)
    assert fe.vocoder is vocoder and fe.config["vocoder"] == str(vocoder_checkpoint)
    features = fe.encode(torch.randn(2, 3, 4000) * 0.1)  # (2, 3, 1, 16, 16)
    wave = fe.decode(features)
    assert wave.shape == (2, 3, 15 * 256) == LogMel(n_mels=16).decode(features).shape
    assert isinstance(vocoder, HiFiGANGenerator) and not vocoder.training
    assert not any(p.requires_grad for p in vocoder.parameters())
    assert not any(k.endswith("original0") for k in vocoder.state_dict())  # weight norm folded
    assert fe.state_dict().keys() == LogMel(n_mels=16).state_dict().keys()  # not a submodule
    expected = vocoder(features[0, :, 0])[:, 0, : 15 * 256]
    assert torch.allclose(wave[0], expected)
    plain = LogMel(n_mels=16)  # a vocoder for one call
    assert torch.allclose(plain.decode(features, vocoder=vocoder), wave)


def test_a_vocoder_of_other_log_mels_is_a_clear_error(
    vocoder_checkpoint: Path, tmp_path: Path
) -> None:
    with pytest.raises(
        ValueError, match=r"hop_length=256 \(this LogMel: 128\), n_mels=16 \(this LogMel: 32\)"
    ):
        load_vocoder(vocoder_checkpoint, LogMel(n_mels=32, hop_length=128))
    with pytest.raises(ValueError, match="trained on other log-mels") as info:
        load_vocoder(vocoder_checkpoint, LogMel(n_mels=16, f_max=4000.0))
    assert "f_max=8000.0 (this LogMel: 4000.0)" in str(info.value) and "n_mels" not in str(
        info.value
    )
    with pytest.raises(ValueError, match="has n_mels=80, this LogMel n_mels=32"):
        LogMel(n_mels=32, vocoder=HiFiGANGenerator(n_mels=80, upsample_rates=(16, 16)))
    with pytest.raises(ValueError, match="has n_mels=80, this LogMel n_mels=32"):
        LogMel(n_mels=32).decode(
            torch.zeros(1, 1, 32, 8), vocoder=HiFiGANGenerator(n_mels=80, upsample_rates=(16, 16))
        )
    with pytest.raises(FileNotFoundError, match="no vocoder checkpoint"):
        load_vocoder(tmp_path, LogMel(n_mels=16))


def test_fake_writer_decodes_fixed_inputs(tmp_path: Path) -> None:
    """A paired generator: fixed inputs each round, the matching reals written and drawn beside."""
    generator = nn.Sequential(nn.ConvTranspose1d(4, 1, 8, stride=8), nn.Tanh())
    generator.train()
    inputs, real = torch.randn(3, 4, 5), torch.rand(3, 1, 40) - 0.5
    writer = FakeWriter(Waveform(800, 40), inputs=inputs, real=real, gallery=False)
    trainer = SimpleNamespace(
        step=7, epoch=0, metrics={}, history=[], out_dir=tmp_path, is_main_process=True,
        sampling_generator=generator, device=torch.device("cpu"),
    )  # fmt: skip
    folder = writer.write(trainer)
    assert generator.training  # mode restored
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(
        [*(f"real_{i:02d}.wav" for i in range(3)), "round.json", "fake.png"]
        + [f"fake_{i:02d}.wav" for i in range(3)]
    )
    written, _ = sf.read(folder / "fake_01.wav", dtype="float32")
    with torch.no_grad():
        assert torch.allclose(torch.from_numpy(written), generator.eval()(inputs)[1, 0], atol=1e-4)
    with pytest.raises(ValueError, match="one item per input"):
        FakeWriter(Waveform(800, 40), inputs=inputs, real=real[:2])


def test_a_spectrogram_gan_decodes_with_the_vocoder_it_names(
    vocoder_checkpoint: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """--set vocoder=RUN: stored in the checkpoints' LogMel config; no Griffin-Lim anywhere."""

    def no_griffin_lim(*args: object) -> None:
        raise AssertionError("decoded with Griffin-Lim, not with the vocoder")

    monkeypatch.setattr(GriffinLim, "forward", no_griffin_lim)
    run = tmp_path / "gan"
    tiny = ["--device", "cpu", "--set=clips_per_class=2", "--set=batch_size=4", "--set=width=4"]
    tiny += [f"--set={k}={v}" for k, v in MEL.items()] + ["--set=every=2", "--set=unit=step"]
    tiny += ["--set=critic_steps=1", "--set=fakes_per_class=1"]
    audiogan(
        capsys,
        "train",
        "wgan-gp",
        "--out",
        run,
        "--steps",
        2,
        *tiny,
        "--set",
        f"vocoder={vocoder_checkpoint}",
    )
    state = load_checkpoint(run / "checkpoints" / "step_00000002.pt")
    config = state["metadata"]["frontend"]["config"]
    assert config["vocoder"] == str(vocoder_checkpoint)
    assert sf.info(next((run / "fakes" / "step_000002").glob("*.wav"))).frames == 15 * 256
    paths = generate(run / "checkpoints" / "step_00000002.pt", tmp_path / "out", fakes_per_class=1)
    assert len(paths) == 5 and all(sf.info(p).frames == 15 * 256 for p in paths)
    audiogan(capsys, "generate", run, "--out", tmp_path / "cli", "-n", 1)

    error = audiogan(
        capsys,
        "train",
        "wgan-gp",
        "--out",
        tmp_path / "other",
        *tiny,
        "--set=n_mels=32",
        f"--set=vocoder={vocoder_checkpoint}",
        status=2,
    )
    assert re.search(r"vocoder=.*n_mels=16 \(this LogMel: 32\)", error) and error.count("\n") == 1
