"""The example scripts (``examples/*.py``) run as written, at a tiny size, and write what they say.

Each script is run in-process as ``__main__`` (``runpy``, as ``python examples/x.py`` runs it,
without a new interpreter's start-up) in a temporary folder: its ``--help``, then a run of a few
steps on narrow models. The files each promises are checked: checkpoints and their step counters,
wav files readable at 16 kHz, MIDI files pretty_midi parses, sample rounds with pictures. The
plain-PyTorch loops are checked against closed forms too, since the benchmark times them as its
references. The spectrogram GAN and the vocoder runs are shared (module fixtures): the decoding
example decodes the one with the other.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest
import soundfile as sf
import torch

from audiogan.data import write_audio_folder
from audiogan.train import load_checkpoint

sys.path.insert(0, str(Path(__file__).parent))
from file_checks import check_midi, check_round, check_wav, logged_steps  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SCRIPTS = sorted(p.name for p in EXAMPLES.glob("*.py"))
CLASSES = ["dog_bark", "drilling", "engine_idling", "siren", "street_music"]
VOICES = {"soprano", "alto", "tenor", "bass"}
#: A 16 x 16 log-mel (hop 256) needs (16 - 1) * 256 samples; the GAN and its vocoder share it.
TINY_GAN = ["--steps", 2, "--size", 16, "--width", 2, "--batch-size", 2, "--every", 1]
TINY_VOCODER = ["--steps", 2, "--n-mels", 16, "--width", 8, "--batch-size", 2]


def run(script: str, *args: object) -> None:
    """``python examples/<script> args...``, in this process."""
    argv = sys.argv
    sys.argv = [str(EXAMPLES / script), *map(str, args)]
    try:
        runpy.run_path(sys.argv[0], run_name="__main__")
    finally:
        sys.argv = argv


def test_the_examples_are_here():
    assert set(SCRIPTS) >= {
        "conditional_wgan_gp.py",
        "musegan_chorales.py",
        "vocoder.py",
        "decode_with_vocoder.py",
        "plain_wgan_gp.py",
        "plain_hifigan.py",
    }


@pytest.mark.parametrize("script", SCRIPTS)
def test_help(script, capsys):
    with pytest.raises(SystemExit) as exit_:
        run(script, "--help")
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    first_line = (EXAMPLES / script).read_text().split('"""')[1].split("\n")[0]
    assert out.startswith("usage:") and "--out" in out
    assert first_line[:40] in " ".join(out.split()), out


def clips_folder(root: Path, frames: int = 16) -> Path:
    """Your own clips: 2 per class of the built-in sounds, one subfolder per class, as wav."""
    return write_audio_folder(root, clips_per_class=2, num_samples=frames * 256)


@pytest.fixture(scope="module")
def gan_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("gan")
    run(
        "conditional_wgan_gp.py",
        "--data",
        clips_folder(root / "my_clips"),
        "--out",
        root / "run",
        *TINY_GAN,
    )
    return root / "run"


@pytest.fixture(scope="module")
def vocoder_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("vocoder") / "run"
    run("vocoder.py", "--out", out, *TINY_VOCODER, "--segment-frames", 4)
    return out


def test_conditional_wgan_gp_on_a_folder_of_clips(gan_run):
    state = load_checkpoint(gan_run / "checkpoints" / "step_00000002.pt")
    assert state["step"] == 2 and state["metadata"]["class_names"] == CLASSES
    assert logged_steps(gan_run) == [1, 2]
    check_round(
        gan_run / "fakes" / "step_000002", ".wav", [f"{c}_0{k}" for c in CLASSES for k in (0, 1)]
    )
    assert (gan_run / "index.html").is_file()
    generated = sorted((gan_run / "generated").glob("*.wav"))
    assert [p.name for p in generated] == sorted(f"{c}_00{k}.wav" for c in CLASSES for k in (0, 1))
    for path in generated:
        assert sf.info(path).samplerate == 16000 and sf.info(path).frames == 15 * 256
        check_wav(path)


def test_vocoder(vocoder_run):
    state = load_checkpoint(vocoder_run / "checkpoints" / "step_00000002.pt")
    frontend = state["metadata"]["frontend"]
    assert frontend["class"] == "LogMel" and frontend["config"]["n_mels"] == 16
    assert logged_steps(vocoder_run) == [1, 2]
    for name in ("clip_0", "clip_1"):
        for decoder in ("vocoder", "griffin_lim"):
            path = vocoder_run / "decoded" / f"{name}_{decoder}.wav"
            assert sf.info(path).frames == 4 * 256  # 5 frames of a 4-frame segment, less one hop
            check_wav(path)


def test_decode_a_gan_with_the_vocoder(gan_run, vocoder_run, tmp_path, capsys):
    run(
        "decode_with_vocoder.py",
        "--gan",
        gan_run,
        "--vocoder",
        vocoder_run,
        "--out",
        tmp_path,
        "--per-class",
        1,
    )
    vocoded = sorted((tmp_path / "vocoder").glob("*.wav"))
    griffin_lim = sorted((tmp_path / "griffin_lim").glob("*.wav"))
    assert (
        [p.name for p in vocoded]
        == [p.name for p in griffin_lim]
        == [f"{c}_000.wav" for c in CLASSES]
    )
    a, _ = sf.read(vocoded[0])
    b, _ = sf.read(griffin_lim[0])
    assert a.shape == b.shape and abs(a - b).max() > 1e-3  # the same fake, two decoders
    with pytest.raises(SystemExit) as exit_:  # a vocoder that is not there: one line, status 2
        run(
            "decode_with_vocoder.py",
            "--gan",
            gan_run,
            "--vocoder",
            tmp_path / "none",
            "--out",
            tmp_path,
        )
    assert exit_.value.code == 2 and "--vocoder" in capsys.readouterr().err


def test_musegan_chorales_writes_midi(tmp_path, capsys):
    out = tmp_path / "run"
    run(
        "musegan_chorales.py",
        *("--steps", 2, "--width", 2, "--batch-size", 2, "--samples", 2, "--every", 1),
        *("--max-chorales", 3, "--split", "all", "--cache-dir", tmp_path / "cache", "--out", out),
    )
    assert load_checkpoint(out / "checkpoints" / "step_00000002.pt")["step"] == 2
    check_round(out / "fakes" / "step_000002", ".mid", ["fake_00", "fake_01"])
    midi = sorted((out / "midi").glob("*.mid"))
    assert [p.name for p in midi] == ["fake_000.mid", "fake_001.mid"]
    for path in midi:
        check_midi(path, VOICES)
    printed = capsys.readouterr().out
    assert "qualified notes (QN)" in printed and "soprano" in printed  # the music metrics


def test_plain_wgan_gp(tmp_path):
    run("plain_wgan_gp.py", "--out", tmp_path, *TINY_GAN[:-2])  # no sample rounds: no --every
    models = torch.load(tmp_path / "models.pt", weights_only=True)
    assert set(models) == {"generator", "critic"}
    for name in CLASSES:
        check_wav(tmp_path / f"{name}.wav")


def test_plain_hifigan_on_a_folder(tmp_path):
    folder = clips_folder(tmp_path / "clips", frames=8)
    run("plain_hifigan.py", "--data", folder, "--out", tmp_path / "run", "--size", 4, *TINY_VOCODER)
    real, decoded = (sf.read(tmp_path / "run" / f"{n}.wav")[0] for n in ("real", "decoded"))
    assert real.shape == decoded.shape == (4 * 256,)
    assert set(torch.load(tmp_path / "run" / "models.pt", weights_only=True)) == {
        "generator",
        "critic",
    }


def plain(name: str):
    """An example module's functions, as the benchmark imports them."""
    return runpy.run_path(str(EXAMPLES / f"{name}.py"))


def test_gradient_penalty_of_a_linear_critic_is_closed_form():
    """For ``D(x) = <w, x>`` the gradient is ``w`` everywhere: the penalty is ``(||w|| - 1)^2``."""
    w = torch.tensor([3.0, 4.0, 0.0, 12.0])  # ||w|| = 13

    def critic(x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return x.flatten(1) @ w

    real, fake = torch.randn(5, 1, 2, 2), torch.randn(5, 1, 2, 2)
    penalty = plain("plain_wgan_gp")["gradient_penalty"](critic, real, fake, None)
    assert penalty.item() == pytest.approx(144.0)


def test_wgan_gp_step_updates_both_models_once_per_batch():
    """Three batches: three critic updates and one generator update (Adam's step counters)."""
    step = plain("plain_wgan_gp")["wgan_gp_step"]
    from audiogan.nn import ConvCritic2d, ConvGenerator2d

    torch.manual_seed(0)
    G = ConvGenerator2d(8, (1, 16, 16), num_classes=2, width=8, num_upsamples=2)
    D = ConvCritic2d((1, 16, 16), num_classes=2, width=4, num_downsamples=2)
    g_opt, d_opt = torch.optim.Adam(G.parameters()), torch.optim.Adam(D.parameters())
    batches = [(torch.rand(4, 1, 16, 16) * 2 - 1, torch.tensor([0, 1, 0, 1])) for _ in range(3)]
    d_loss, g_loss = step(G, D, g_opt, d_opt, batches)
    assert isinstance(d_loss, float) and isinstance(g_loss, float)
    assert {int(s["step"]) for s in d_opt.state.values()} == {3}
    assert {int(s["step"]) for s in g_opt.state.values()} == {1}


def test_hifigan_mel_matches_torchaudio():
    """HiFi-GAN's log-mel is ``log(max(mel, 1e-5))`` of torchaudio's magnitude mel spectrogram."""
    import torchaudio

    mel = plain("plain_hifigan")["hifigan_mel"](16000, 256, 64, 20)
    wave = torch.randn(2, 1, 1024) * 0.3
    reference = torchaudio.transforms.MelSpectrogram(
        16000, 256, hop_length=64, n_mels=20, power=1.0
    )
    expected = torch.log(torch.clamp(reference(wave[:, 0]), min=1e-5))
    torch.testing.assert_close(mel(wave), expected, rtol=1e-4, atol=1e-4)
