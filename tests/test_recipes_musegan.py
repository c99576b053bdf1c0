"""The ``musegan`` recipe through the ``audiogan`` command, as a user runs it, at a tiny size.

The chorales are built from the first 3 of music21's catalogue into a cache folder of this test
module; a second run in the same folder resumes; ``generate`` writes MIDI files and ``evaluate``
prints the music metrics of samples beside real phrases, per voice. A folder of MIDI files written
here trains with ``--midi``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from audiogan.cli import main
from audiogan.recipes import configure, get_recipe, load_run_config
from audiogan.recipes.musegan import critic_streams
from audiogan.train import load_checkpoint

sys.path.insert(0, str(Path(__file__).parent))
from file_checks import check_midi, check_png, check_round, logged_steps  # noqa: E402

VOICES = {"soprano", "alto", "tenor", "bass"}
# A narrow model on the phrases of 3 chorales (10 phrases, batches of 2: one generator step per
# epoch with 5 critic steps), 2 MIDI files a round, a round every step.
TINY = [
    f"--set={item}"
    for item in (
        "batch_size=2",
        "width=4",
        "num_fakes=2",
        "report_fakes=4",
        "every=1",
        "unit=step",
    )
]
METRIC_ROWS = ("empty bars (EB)", "pitch classes/bar (UPC)", "qualified notes (QN)")


@pytest.fixture(scope="module")
def chorales(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Settings of a build of the first 3 chorales, all splits, cached for the module."""
    cache = tmp_path_factory.mktemp("jsb_cache")
    return [f"--set=cache_dir={cache}", "--set=max_chorales=3", "--set=split=all"]


def run(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    """``audiogan args...`` in-process: (exit status, stdout, stderr)."""
    status = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return status, out, err


def check_music_table(text: str) -> None:
    """The per-voice table of the music metrics: each voice a column, real beside fake."""
    header = next(line for line in text.splitlines() if "soprano" in line and "bass" in line)
    assert all(voice in header for voice in VOICES), header
    for row in METRIC_ROWS:
        line = next((line for line in text.splitlines() if line.startswith(row)), None)
        assert line is not None, f"no row {row!r} in:\n{text}"
        assert len(line[len(row) :].split()) == 2 * 5  # real, fake for 4 voices and all
    assert "tonal distance (TD)" in text and "soprano-alto" in text


def test_defaults_are_the_cpu_run_and_full_size_the_books():
    recipe = get_recipe("musegan")
    assert recipe.data_flags == ("midi",)
    cpu = configure(recipe)
    assert (cpu.width, cpu.batch_size, cpu.steps, cpu.epochs) == (16, 16, 1600, None)
    assert (cpu.every, cpu.unit, cpu.split, cpu.midi) == (10, "epoch", "train", None)
    # The measured best within 30 CPU minutes (docs/howto/musegan.rst): one pitch or a rest per
    # voice and step, resize upsampling, onset and pitch-class critic streams, EMA sampling.
    got = (cpu.output, cpu.upsample, cpu.streams, cpu.ema)
    assert got == ("argmax", "resize", "onset,chroma", 0.999)
    book = configure(recipe, overrides={"output": "tanh", "upsample": "transposed", "streams": ""})
    assert critic_streams(book) == [] and book.output == "tanh"
    full = configure(recipe, full_size=True)
    # The book's networks (width 128: generator 1024, critic 128 / 1024), batch 64, WGAN-GP
    # with 5 critic steps, GP 10, Adam 1e-3; rounds and checkpoints every 25 epochs.
    got = (full.width, full.batch_size, full.lr, full.critic_steps, full.gp_weight, full.latent_dim)
    assert got == (128, 64, 1e-3, 5, 10.0, 32)
    assert (full.every, full.unit) == (25, "epoch")
    assert configure(recipe, True, {"batch_size": "8"}).batch_size == 8  # --set wins


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--midi", "/no/such/folder"], "--midi /no/such/folder: no such folder"),
        (["--data", "sounds/"], "recipe musegan takes --midi, not --data"),
        (
            ["--set", "split=everything"],
            "split must be train, valid, test or all, got 'everything'",
        ),
        (["--set", "output=sigmoid"], "output must be one of tanh, deterministic"),
        (["--set", "upsample=bilinear"], "upsample must be one of transposed, resize"),
        (["--set", "streams=onset,pitch"], "streams must be distinct names among onset, chroma"),
    ],
)
def test_mistakes_are_one_line_and_status_2(tmp_path, capsys, args, message):
    status, out, err = run(capsys, "train", "musegan", "--out", tmp_path / "run", *args)
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and message in err, err


@pytest.mark.slow
def test_train_resume_generate_evaluate(tmp_path, capsys, chorales):
    out = tmp_path / "run"
    status, first, err = run(
        capsys, "train", "musegan", "--out", out, "--steps", 2, *TINY, *chorales
    )
    assert status == 0, err
    assert "starting a new run" in first and "1 generator steps" in first
    assert load_checkpoint(out / "checkpoints" / "step_00000002.pt")["step"] == 2
    assert logged_steps(out) == [1, 2]
    assert load_run_config(out)[0] == "musegan"
    check_music_table(first)  # the run's notes: the music metrics after training
    assert "phrases of split all (no test chorale built)" in first  # the first 3: no test one

    status, second, err = run(
        capsys, "train", "musegan", "--out", out, "--steps", 4, *TINY, *chorales
    )
    assert status == 0 and "resuming from" in second, err
    assert logged_steps(out) == [1, 2, 3, 4]  # continued, not started over
    round_4 = out / "fakes" / "step_000004"
    check_round(round_4, ".mid", ["fake_00", "fake_01"])  # MIDI, and rolls beside real ones
    for path in round_4.glob("*.mid"):
        check_midi(path, tracks=VOICES)
    check_png(out / "losses.png")

    samples = tmp_path / "fakes"
    status, text, err = run(capsys, "generate", out, "--out", samples, "-n", 2)
    assert status == 0 and "step_00000004.pt" in text, err
    written = sorted(p for p in samples.iterdir() if not p.name.startswith("."))  # not the list
    assert [p.name for p in written] == ["fake_000.mid", "fake_001.mid"]
    for path in written:
        check_midi(path, tracks=VOICES)

    status, report, err = run(capsys, "evaluate", out)
    assert status == 0 and "step_00000004.pt" in report, err
    assert "real = 10 phrases" in report and "fake = 4 generated" in report
    check_music_table(report)


def write_chorale_like(path: Path, bars: int, shift: int) -> None:
    """A 4/4 MIDI file of four voices named Soprano ... Bass: quarter notes, ``bars`` bars."""
    import pretty_midi

    midi = pretty_midi.PrettyMIDI(initial_tempo=120.0)  # a quarter note is 0.5 s
    for name, low in (("Soprano", 67), ("Alto", 60), ("Tenor", 55), ("Bass", 43)):
        voice = pretty_midi.Instrument(program=52, name=name)
        for beat in range(4 * bars):
            pitch = low + shift + (0, 2, 4, 5, 7, 5, 4, 2)[beat % 8]
            voice.notes.append(pretty_midi.Note(90, pitch, 0.5 * beat, 0.5 * beat + 0.5))
        midi.instruments.append(voice)
    midi.write(str(path))


@pytest.mark.slow
def test_trains_on_a_folder_of_midi_files(tmp_path, capsys):
    songs = tmp_path / "songs"
    songs.mkdir()
    for i in range(5):  # 5 files of 4 bars: 10 two-bar phrases
        write_chorale_like(songs / f"song_{i}.mid", bars=4, shift=i)
    out = tmp_path / "run"
    status, text, err = run(
        capsys, "train", "musegan", "--midi", songs, "--out", out, "--steps", 1, *TINY
    )
    assert status == 0, err
    assert logged_steps(out) == [1]
    for path in (out / "fakes" / "step_000001").glob("*.mid"):
        check_midi(path, tracks=VOICES)
    assert f"real = 10 phrases of {songs}" in text  # the metrics set beside the folder's phrases
    check_music_table(text)

    few = tmp_path / "few"
    few.mkdir()
    write_chorale_like(few / "one.mid", bars=4, shift=0)  # 2 phrases: not 5 batches of 2
    status, _, err = run(capsys, "train", "musegan", "--midi", few, "--out", tmp_path / "r2", *TINY)
    assert status == 2 and "2 phrases: fewer than critic_steps batches" in err
