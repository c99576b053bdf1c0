"""Build the docs' figures and generated tables: ``python docs/figures.py [--runs DIR]``.

Everything the pages show that comes from code is made here, never pasted by hand:

``docs/_generated/blocks.inc``
    The table of every generator and critic: input and output shapes (a forward pass at the
    recipes' CPU defaults) and parameter counts (also at ``--full-size``). ``tests/
    test_docs_howto.py`` checks that :func:`blocks_table` still writes exactly this file.
``docs/_generated/full_size_<recipe>.inc``
    Each recipe's ``--full-size`` settings beside its CPU defaults (checked the same way).
``docs/_static/figures/*.png``
    From the built-in data: a log-mel and its decodes (:func:`frontend_figure`), one log-mel per
    built-in sound class and a chorale phrase (:func:`data_figures`). From training runs: the
    newest sample round of each recipe, the ResNet-9 GAN's loss curves and the event
    classifier's detections (:func:`run_figures`).
``docs/_generated/frontends_source.inc``, ``howto_*``
    Beside those figures: which run each came from (its step, the settings that differ from the
    recipe's defaults), the ResNet-9 GAN's final loss balance, the event classifier's report,
    and what ``audiogan evaluate`` prints for the musegan and vocoder runs (on a copy of each).

Runs are looked up as ``RUNS/<recipe>`` (``--runs``, default ``runs/figures``) or given one by
one (``--run vocoder=runs/vocoder``); a recipe with no finished run there is trained
briefly into ``RUNS/<recipe>`` first (:data:`SHORT`, minutes on a CPU). The frontend figure adds
a vocoder decode when a vocoder run is found or given. ``--tables-only`` writes just the tables
(seconds, no run needed). PNGs are saved at a modest size (they are committed).
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import functools
import json
import math
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))

from audiogan.train.callbacks.gallery import fake_rounds  # noqa: E402

FIGURES = DOCS / "_static" / "figures"
GENERATED = DOCS / "_generated"

#: The recipes with a how-to page, in the order of the docs.
RECIPE_NAMES = (
    "wgan-gp",
    "onehot-cgan",
    "resnet9-gan",
    "musegan",
    "event-classifier",
    "vocoder",
    "gansynth",  # after musegan: its chorale is rendered with the note GAN
)

#: Arguments of the short training run made when a recipe has no run to draw from.
SHORT: dict[str, list[str]] = {
    "wgan-gp": ["--steps", "200", "--set", "every=100"],
    "onehot-cgan": ["--epochs", "20"],
    "resnet9-gan": ["--steps", "150", "--set", "every=50"],
    "musegan": ["--steps", "150", "--set", "every=5"],
    "event-classifier": [],
    "vocoder": ["--steps", "300", "--set", "every=100"],
    "gansynth": [],
}

DPI = 80  # PNGs are committed: small files
MAX_WIDTH = 1000  # pixels of a copied sample picture (the page is narrower)


# ----------------------------------------------------------------------------- tables


def _shape(x: Any) -> str:
    """``(B, 1, 64, 64)``: a tensor's shape with the batch axis named."""
    if x.dim() == 1:
        return "(B,)"
    return "(" + ", ".join(["B", *(str(d) for d in x.shape[1:])]) + ")"


def _count(module: torch.nn.Module) -> str:
    n = sum(p.numel() for p in module.parameters())
    return f"{n / 1e6:.2f} M" if n >= 1e5 else f"{n / 1e3:.1f} k"


def _output(y: Any) -> str:
    """A forward's result in words: a tensor's shape, or a CriticOutput's scores and features."""
    if isinstance(y, torch.Tensor):
        return _shape(y)
    scores, features = y
    if isinstance(scores, torch.Tensor):  # one sub-critic: (scores, feature maps)
        return f"scores {_shape(scores)}; {len(features)} feature maps"
    maps = sum(len(f) for f in features)
    return f"{len(scores)} score maps, e.g. {_shape(scores[0])}; {maps} feature maps"


@dataclasses.dataclass
class BlockRow:
    """One row: a block as a recipe (or the constructor defaults) builds it."""

    name: str
    used_by: str
    build: Callable[[bool], torch.nn.Module]  # full_size -> module
    inputs: Callable[[torch.nn.Module], tuple[str, tuple]]  # module -> (words, forward args)
    full_size: bool = True  # the recipe has a full size with other sizes


def _latent_input(labels: int = 0) -> Callable[[torch.nn.Module], tuple[str, tuple]]:
    def make(g: torch.nn.Module) -> tuple[str, tuple]:
        z = g.sample_latent(2)
        words = (
            "z: 4 noises " + ", ".join(_shape(t) for t in z)
            if isinstance(z, tuple)
            else f"z {_shape(z)}"
        )
        if labels:
            return words + ", labels (B,)", (z, torch.tensor([0, labels - 1]))
        return words, (z,)

    return make


def _tensor_input(
    shape: Sequence[int], labels: int = 0, name: str = "x"
) -> Callable[[torch.nn.Module], tuple[str, tuple]]:
    def make(_: torch.nn.Module) -> tuple[str, tuple]:
        x = torch.randn(2, *shape).clamp(-1, 1)
        words = f"{name} {_shape(x)}"
        if labels:
            return words + ", labels (B,)", (x, torch.tensor([0, labels - 1]))
        return words, (x,)

    return make


def block_rows() -> list[BlockRow]:
    """The rows of :func:`blocks_table`: each block at a recipe's settings (CPU defaults, or
    ``--full-size`` for the parameter count at full size), else at its constructor's defaults."""
    from audiogan import nn as agnn
    from audiogan.recipes import RECIPES, configure, musegan, onehot_cgan, vocoder, wgan_gp
    from audiogan.recipes import resnet9_gan as r9

    def cfg(name: str, full: bool) -> Any:
        return configure(RECIPES[name], full_size=full)

    def spec(c: Any) -> tuple[int, int, int]:
        return (1, c.n_mels, c.frames)

    k = 5  # the built-in sounds' classes
    wg, oh, rn, mg = (
        cfg("wgan-gp", False),
        cfg("onehot-cgan", False),
        cfg("resnet9-gan", False),
        cfg("musegan", False),
    )
    ev, vo = cfg("event-classifier", False), cfg("vocoder", False)
    roll = (4, 2, 16, 84)

    def wgan_g(full: bool) -> torch.nn.Module:
        return wgan_gp.models(cfg("wgan-gp", full), k)[0]

    def wgan_d(full: bool) -> torch.nn.Module:  # at the CPU defaults its AC-GAN subclass
        return wgan_gp.models(cfg("wgan-gp", full), k)[1]

    def onehot_g(full: bool) -> torch.nn.Module:
        c = cfg("onehot-cgan", full)
        return agnn.ConvGenerator2d(
            c.latent_dim,
            spec(c),
            num_classes=k,
            conditioning="onehot",
            width=c.width * 2 ** (onehot_cgan.STAGES - 1),
            num_upsamples=onehot_cgan.STAGES,
            upsample="transposed",
            norm="batch",
            activation="relu",
        )

    def onehot_d(full: bool) -> torch.nn.Module:
        c = cfg("onehot-cgan", full)
        return agnn.ConvCritic2d(
            spec(c),
            num_classes=k,
            conditioning="onehot",
            width=c.width,
            num_downsamples=onehot_cgan.STAGES,
            norm=c.critic_norm,
            activation="leaky_relu",
        )

    def resnet_g(full: bool) -> torch.nn.Module:
        c = cfg("resnet9-gan", full)
        return agnn.ConvGenerator2d(
            c.latent_dim,
            spec(c),
            width=c.width * 2 ** (r9.STAGES - 1),
            num_upsamples=r9.STAGES,
        )

    def resnet_d(full: bool) -> torch.nn.Module:
        c = cfg("resnet9-gan", full)
        return agnn.ResNet9Critic(
            1, width=c.critic_width, norm=c.norm, minibatch_std=c.minibatch_std
        )

    def muse_g(full: bool) -> torch.nn.Module:
        c = cfg("musegan", full)
        g = 8 * c.width
        return agnn.MuseGenerator(
            c.latent_dim, roll, width=g, linear_width=g, output=c.output, upsample=c.upsample
        )

    def muse_d(full: bool) -> torch.nn.Module:
        c = cfg("musegan", full)
        streams = musegan.critic_streams(c)
        return agnn.MuseCritic(roll, width=c.width, linear_width=8 * c.width, streams=streams)

    def rnn(full: bool) -> torch.nn.Module:
        c = cfg("event-classifier", full)
        return agnn.RecurrentClassifier(c.n_mels, k, c.hidden_size, c.num_layers, c.cell)

    @functools.cache
    def ensemble(full: bool) -> torch.nn.Module:  # built once a size: MSD's spectral norm is slow
        return vocoder.critic_of(cfg("vocoder", full).critic_width)

    segment = vo.segment_frames * vo.hop_length
    mel_frames = (vo.n_mels, vo.segment_frames)
    wave_in = _tensor_input((1, segment), name="wave")
    rows = [
        BlockRow("ConvGenerator2d", "wgan-gp", wgan_g, _latent_input(k)),
        BlockRow("ConvGenerator2d", "onehot-cgan", onehot_g, _latent_input(k)),
        BlockRow("ConvGenerator2d", "resnet9-gan", resnet_g, _latent_input()),
        BlockRow("ConvCritic2d", "wgan-gp", wgan_d, _tensor_input(spec(wg), k)),
        BlockRow("ConvCritic2d", "onehot-cgan", onehot_d, _tensor_input(spec(oh), k)),
        BlockRow("ResNet9Critic", "resnet9-gan", resnet_d, _tensor_input(spec(rn))),
        BlockRow(
            "ResNet9Classifier",
            "defaults, 5 classes",
            lambda full: agnn.ResNet9Classifier(1, num_classes=k),
            _tensor_input(spec(rn)),
            False,
        ),
        BlockRow("MuseGenerator", "musegan", muse_g, _latent_input()),
        BlockRow(
            "TemporalNetwork",
            "musegan (in MuseGenerator)",
            lambda full: muse_g(full).chords_network,
            _tensor_input((mg.latent_dim,), name="z"),
        ),
        BlockRow(
            "BarGenerator",
            "musegan (in MuseGenerator)",
            lambda full: next(iter(muse_g(full).bar_generators.values())),
            _tensor_input((4 * mg.latent_dim,), name="z"),
        ),
        BlockRow("MuseCritic", "musegan", muse_d, _tensor_input(roll)),
        BlockRow(
            "RecurrentClassifier", "event-classifier", rnn, _tensor_input((1, ev.n_mels, ev.frames))
        ),
        BlockRow(
            "HiFiGANGenerator",
            "vocoder (generator=hifigan)",
            lambda full: vocoder.generator_of(
                dataclasses.replace(cfg("vocoder", full), generator="hifigan")
            ),
            _tensor_input(mel_frames, name="log-mel"),
        ),
        BlockRow(
            "MultiPeriodCritic",
            "vocoder",
            lambda full: ensemble(full).members[0],
            wave_in,
        ),
        BlockRow(
            "MultiScaleCritic",
            "vocoder",
            lambda full: ensemble(full).members[1],
            wave_in,
        ),
        BlockRow(
            "CriticEnsemble",
            "vocoder (MPD + MSD)",
            ensemble,
            wave_in,
        ),
        BlockRow(
            "PeriodCritic",
            "defaults, period 2",
            lambda full: agnn.PeriodCritic(2),
            wave_in,
            False,
        ),
        BlockRow("ScaleCritic", "defaults", lambda full: agnn.ScaleCritic(), wave_in, False),
        BlockRow(
            "MultiResolutionSTFTCritic",
            "defaults",
            lambda full: agnn.MultiResolutionSTFTCritic(),
            wave_in,
            False,
        ),
        BlockRow("STFTCritic", "defaults", lambda full: agnn.STFTCritic(), wave_in, False),
        BlockRow(
            "WaveGANGenerator",
            "defaults, 5 classes",
            lambda full: agnn.WaveGANGenerator(num_classes=k),
            _latent_input(k),
            False,
        ),
        BlockRow(
            "WaveGANCritic",
            "defaults, 5 classes",
            lambda full: agnn.WaveGANCritic(num_classes=k),
            _tensor_input((1, 16384), k, "wave"),
            False,
        ),
    ]
    return rows


def blocks_table() -> str:
    """The blocks table as reStructuredText (a ``list-table``): shapes from a forward pass of a
    batch of 2 at the recipes' CPU defaults, parameter counts from the modules."""
    lines = [
        ".. list-table::",
        "   :header-rows: 1",
        "   :widths: 22 18 30 30 10 10",
        "",
        "   * - block",
        "     - built as in",
        "     - input",
        "     - output",
        "     - parameters",
        "     - at ``--full-size``",
    ]
    # On the meta device: shapes and parameter counts without memory or initialization time.
    with torch.no_grad(), torch.device("meta"):
        for row in block_rows():
            module = row.build(False).eval()
            words, args = row.inputs(module)
            out = _output(module(*args))
            full = _count(row.build(True)) if row.full_size else "—"
            lines += [
                f"   * - :class:`~audiogan.nn.{row.name}`",
                f"     - {row.used_by}",
                f"     - {words}",
                f"     - {out}",
                f"     - {_count(module)}",
                f"     - {full}",
            ]
    return "\n".join(lines) + "\n"


def full_size_table(name: str) -> str:
    """A recipe's ``--full-size`` settings beside its CPU defaults, as a ``list-table``."""
    from audiogan.recipes import RECIPES

    recipe = RECIPES[name]
    default = recipe.config()
    lines = [
        ".. list-table::",
        "   :header-rows: 1",
        "",
        "   * - setting",
        "     - CPU default",
        "     - ``--full-size``",
    ]
    for key, value in recipe.full_size.items():
        lines += [f"   * - ``{key}``", f"     - {getattr(default, key)}", f"     - {value}"]
    return "\n".join(lines) + "\n"


def tables() -> dict[str, str]:
    """Every generated table: ``{file name under docs/_generated: text}``."""
    out = {"blocks.inc": blocks_table()}
    for name in RECIPE_NAMES:
        out[f"full_size_{name}.inc"] = full_size_table(name)
    return out


def write_tables(where: Path = GENERATED) -> list[Path]:
    """Write :func:`tables` under ``where``; returns the paths."""
    where.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in tables().items():
        path = where / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


# ----------------------------------------------------------------------------- figures


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=DPI, layout="constrained")


def _save(fig: Any, name: str) -> Path:
    FIGURES.mkdir(parents=True, exist_ok=True)
    path = FIGURES / name
    fig.savefig(path, dpi=DPI)
    return path


def _copy_png(source: Path, name: str) -> Path:
    """``source`` scaled to at most :data:`MAX_WIDTH` pixels wide, saved with a palette."""
    from PIL import Image

    FIGURES.mkdir(parents=True, exist_ok=True)
    image = Image.open(source).convert("RGB")
    if image.width > MAX_WIDTH:
        height = round(image.height * MAX_WIDTH / image.width)
        image = image.resize((MAX_WIDTH, height), Image.Resampling.LANCZOS)
    path = FIGURES / name
    image.quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    return path


def _wave_panel(ax: Any, wave: torch.Tensor, sample_rate: int, title: str) -> None:
    t = torch.arange(len(wave)) / sample_rate
    ax.plot(t.numpy(), wave.numpy(), linewidth=0.4, color="tab:blue")
    ax.set_xlim(0, len(wave) / sample_rate)
    ax.set_ylim(-1, 1)
    ax.set_title(title, fontsize=9)
    ax.tick_params(labelsize=7)
    ax.set_xlabel("seconds", fontsize=7)


def frontend_figure(vocoder_run: Path | None) -> Path:
    """A built-in siren clip: its waveform and log-mel; the Griffin-Lim decode of that log-mel
    (waveform, log-mel of the decode); the same for the vocoder run's newest checkpoint."""
    from audiogan.data import SyntheticSounds
    from audiogan.frontends import LogMel
    from audiogan.recipes import RECIPES
    from audiogan.viz import draw_spectrogram

    c = RECIPES["vocoder"].config()  # the log-mel the spectrogram recipes and the vocoder share
    mel = dict(sample_rate=c.sample_rate, n_fft=c.n_fft, hop_length=c.hop_length, n_mels=c.n_mels)
    frontend = LogMel(**mel, frames=c.frames)
    sounds = SyntheticSounds(1, c.sample_rate, c.frames * c.hop_length, seed=c.seed)
    # the first clip of a class: held out of the vocoder's training (held_out clips per class)
    wave = sounds[sounds.class_to_idx["siren"]][0][0]  # (time,)
    features = frontend.encode(wave)  # (1, n_mels, frames)
    rows: list[tuple[str, torch.Tensor]] = [("original", wave)]
    with torch.no_grad():
        rows.append(("Griffin-Lim decode (32 iterations)", frontend.decode(features)))
        if vocoder_run is not None:
            from audiogan.train import latest_checkpoint, load_checkpoint, load_vocoder

            checkpoint = latest_checkpoint(vocoder_run / "checkpoints")
            step = load_checkpoint(checkpoint)["step"]
            decoded = frontend.decode(features, vocoder=load_vocoder(checkpoint, frontend))
            rows.append((f"HiFi-GAN decode (vocoder recipe, step {step})", decoded))
            _note("frontends_source", "HiFi-GAN row. " + describe_run(vocoder_run, "vocoder", step))
        else:
            _note("frontends_source", "No vocoder run was given: no HiFi-GAN row.")
    fig = _figure(9, 2.1 * len(rows))
    axes = fig.subplots(len(rows), 2, gridspec_kw={"width_ratios": [1.6, 1]})
    for (title, signal), (left, right) in zip(rows, axes, strict=True):
        _wave_panel(left, signal, c.sample_rate, f"{title}: waveform")
        again = frontend.encode(signal)
        if title == "original":
            right.set_title(f"log-mel {tuple(features.shape)}", fontsize=9)
        else:
            distance = float((again - features).abs().mean())
            right.set_title(f"its log-mel (L1 to the original's: {distance:.3f})", fontsize=9)
        draw_spectrogram(again, right)
    return _save(fig, "frontends_logmel.png")


def decoders_figure(vocoder_runs: Sequence[Path]) -> Path:
    """A held-out built-in clip (the siren) as a linear-frequency spectrogram (dB of the STFT
    magnitude, n_fft 1024): the original, its log-mel decoded by 32 Griffin-Lim iterations, and
    by the newest checkpoint of each vocoder run."""
    from audiogan.data import SyntheticSounds
    from audiogan.frontends import LogMel
    from audiogan.recipes import RECIPES, load_run_config
    from audiogan.train import latest_checkpoint, load_checkpoint, load_vocoder
    from audiogan.viz import draw_spectrogram

    c = RECIPES["vocoder"].config()
    mel = dict(sample_rate=c.sample_rate, n_fft=c.n_fft, hop_length=c.hop_length, n_mels=c.n_mels)
    frontend = LogMel(**mel, frames=c.frames)
    sounds = SyntheticSounds(1, c.sample_rate, c.frames * c.hop_length, seed=c.seed)
    wave = sounds[sounds.class_to_idx["siren"]][0][0]  # held out (the first clip of its class)
    features = frontend.encode(wave)  # (1, n_mels, frames)
    rows: list[tuple[str, torch.Tensor]] = [("original", wave)]
    with torch.no_grad():
        rows.append(("Griffin-Lim, 32 iterations", frontend.decode(features)))
        for run in vocoder_runs:
            checkpoint = latest_checkpoint(run / "checkpoints")
            step = load_checkpoint(checkpoint)["step"]
            generator = load_run_config(run)[1].get("generator", "hifigan")
            decoded = frontend.decode(features, vocoder=load_vocoder(checkpoint, frontend))
            rows.append((f"{run.name}: generator={generator}, step {step}", decoded))
    window = torch.hann_window(c.n_fft)
    fig = _figure(9, 1.6 * len(rows))
    axes = fig.subplots(len(rows), 1)
    for (title, signal), ax in zip(rows, axes, strict=True):
        spec = torch.stft(signal, c.n_fft, c.hop_length, window=window, return_complex=True)
        db = 20 * torch.log10(spec.abs().clamp_min(1e-4) / (c.n_fft / 4))  # re a full-scale sine
        draw_spectrogram(db, ax, vmin=-80.0, vmax=0.0)
        ax.set_title(f"{title} (0 to {c.sample_rate // 2000} kHz, -80 to 0 dB)", fontsize=9)
    return _save(fig, "howto_vocoder_decoders.png")


def data_figures() -> list[Path]:
    """One log-mel per built-in sound class; the first training chorale phrase as a piano roll."""
    from audiogan.data import JSBChorales, SyntheticSounds
    from audiogan.frontends import LogMel, PianoRoll
    from audiogan.recipes import RECIPES
    from audiogan.viz import draw_pianoroll, draw_spectrogram

    c = RECIPES["wgan-gp"].config()
    frontend = LogMel(c.sample_rate, c.n_fft, c.hop_length, c.n_mels, c.frames)
    sounds = SyntheticSounds(1, c.sample_rate, frontend.num_samples_for_frames(), seed=c.seed)
    fig = _figure(10, 2.4)
    axes = fig.subplots(1, len(sounds.classes))
    for k, (name, ax) in enumerate(zip(sounds.classes, axes, strict=True)):
        wave, label = sounds[k]
        assert label == k
        draw_spectrogram(frontend.encode(wave[0]), ax)
        ax.set_title(name, fontsize=9)
    paths = [_save(fig, "data_sounds.png")]

    chorales = JSBChorales(split="train", progress=False)
    roll = chorales[0]  # (4, 2, 16, 84) in {-1, 1}
    used = torch.nonzero(roll.amax(dim=(0, 1, 2)) > 0)[:, 0]
    lo, hi = max(int(used.min()) - 2, 0), min(int(used.max()) + 3, roll.shape[-1])
    fig = _figure(7, 3.2)
    ax = fig.subplots()
    draw_pianoroll(roll[..., lo:hi], ax, PianoRoll().track_names)
    first = chorales.names[0]
    ax.set_title(f"{first}, first phrase (4, 2, 16, 84); pitches {lo}-{hi - 1} shown", fontsize=9)
    paths.append(_save(fig, "data_chorale.png"))
    return paths


def _finished(run: Path, name: str) -> bool:
    """Whether ``run`` holds a run of the recipe ``name`` that a figure can be drawn from."""
    try:
        recorded = json.loads((run / "recipe.json").read_text())["recipe"]
    except (OSError, ValueError, KeyError):
        return False
    if recorded != name:
        return False
    if name == "event-classifier":
        return (run / "detections.csv").is_file() and (run / "recording.wav").is_file()
    return any(any(folder.glob("*.png")) for _, folder in fake_rounds(run))


def find_or_train(name: str, runs: Path, given: dict[str, Path], train: bool = True) -> Path | None:
    """The run of recipe ``name``: given, or ``runs/name``; trained briefly there if absent."""
    run = given.get(name, runs / name)
    if _finished(run, name):
        return run
    if name in given or not train:
        if name in given:
            raise SystemExit(f"figures: {run} is no finished run of {name}")
        return None
    from audiogan.cli import main

    print(f"figures: no run of {name} in {run}; training a short one ({' '.join(SHORT[name])})")
    status = main(["train", name, "--out", str(run), "--threads", "1", *SHORT[name]])
    if status != 0 or not _finished(run, name):
        raise SystemExit(f"figures: the short {name} run in {run} failed")
    return run


def describe_run(run: Path, name: str, step: int | None = None) -> str:
    """One sentence for the page: which run a figure came from, and how it differs from the
    recipe's CPU defaults (``out`` aside)."""
    from audiogan.recipes import RECIPES

    config = json.loads((run / "recipe.json").read_text())["config"]
    defaults = dataclasses.asdict(RECIPES[name].config())
    changed = [
        f"``{key}={value}``"
        for key, value in config.items()
        if key != "out" and key in defaults and defaults[key] != value
    ]
    how = f"with {', '.join(changed)}" if changed else "with the CPU defaults"
    at = "" if step is None else f", its step {step}"
    return f"Source: a run of ``audiogan train {name}`` {how}{at}."


def _note(name: str, text: str) -> Path:
    """Write a generated one-paragraph include, ``docs/_generated/<name>.inc``."""
    GENERATED.mkdir(parents=True, exist_ok=True)
    path = GENERATED / f"{name}.inc"
    path.write_text(text + "\n", encoding="utf-8")
    return path


def _text(name: str, text: str) -> Path:
    """Write a generated text file (a literalinclude), ``docs/_generated/<name>``."""
    GENERATED.mkdir(parents=True, exist_ok=True)
    path = GENERATED / name
    path.write_text(text.rstrip("\n") + "\n", encoding="utf-8")
    return path


def run_report(run: Path, name: str) -> str:
    """What ``audiogan evaluate RUN`` prints, run on a copy of the run folder."""
    from audiogan.recipes import RECIPES, configure, load_run_config

    _, fields = load_run_config(run)
    recipe = RECIPES[name]
    with tempfile.TemporaryDirectory() as tmp:  # evaluation may write (caches): not in the run
        copy = Path(tmp) / run.name
        shutil.copytree(run, copy, ignore=shutil.ignore_patterns("fakes", "samples", "eval"))
        report = recipe.evaluate(copy, configure(recipe, overrides={**fields, "out": str(copy)}))
    return report.replace(f"{copy}/", "RUN/")


def balance(run: Path, last: int = 20) -> str:
    """The mean losses of the run's last ``last`` steps, from its ``metrics.csv``."""
    with open(run / "metrics.csv", newline="") as f:
        rows = list(csv.DictReader(f))[-last:]
    d, g = (sum(float(r[k]) for r in rows) / len(rows) for k in ("critic_loss", "generator_loss"))
    return (
        f"In that run the mean losses of the last {len(rows)} steps were {d:.3f} (critic) and "
        f"{g:.3f} (generator)."
    )


def newest_round(run: Path) -> Path:
    """The run's newest sample round folder."""
    return fake_rounds(run)[0][1]


def detection_figure(run: Path) -> Path:
    """The event classifier's recording as one log-mel, each window labelled with its detection."""
    from audiogan.audio import load_audio
    from audiogan.frontends import LogMel
    from audiogan.viz import draw_spectrogram

    config = json.loads((run / "recipe.json").read_text())["config"]
    wave, sr = load_audio(run / "recording.wav")  # (1, time)
    frontend = LogMel(sr, config["n_fft"], config["hop_length"], config["n_mels"])
    features = frontend.encode(wave[0])  # (1, n_mels, frames)
    with open(run / "detections.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    seconds = wave.shape[-1] / sr
    fig = _figure(11, 2.8)
    ax = fig.subplots()
    draw_spectrogram(features, ax)
    frames = features.shape[-1]
    ax.set_xlim(0, frames)
    per_second = frames / seconds
    hits = 0
    for row in rows:
        start, end = float(row["start_s"]) * per_second, float(row["end_s"]) * per_second
        ok = row["class"] == row["played"]
        hits += ok
        ax.axvline(start, color="white", linewidth=0.6)
        label = f"{row['class']}\np={float(row['probability']):.2f}"
        ax.text(
            (start + end) / 2,
            features.shape[-2] * 0.97,
            label,
            ha="center",
            va="top",
            fontsize=6,
            color="white" if ok else "red",
            rotation=90,
        )
    ticks = range(0, math.ceil(seconds) + 1, 2)
    ax.set_xticks([t * per_second for t in ticks], [str(t) for t in ticks], fontsize=7)
    ax.set_xlabel("seconds", fontsize=8)
    ax.set_title(
        f"streaming detection over the recording ({len(rows)} windows, {hits} detect the class "
        f"played; white: right, red: wrong)",
        fontsize=9,
    )
    return _save(fig, "howto_event-classifier.png")


def run_figures(runs: Path, given: dict[str, Path], train: bool = True) -> dict[str, Path]:
    """The how-to figures from each recipe's run (trained briefly when missing); returns the
    runs used, by recipe."""
    used = {}
    for name in RECIPE_NAMES:
        run = find_or_train(name, runs, given, train)
        if run is None:
            continue
        used[name] = run
        if name == "event-classifier":
            detection_figure(run)
            _note(f"howto_{name}_source", describe_run(run, name))
            _text(f"howto_{name}_report.txt", (run / "report.txt").read_text())
            continue
        newest = newest_round(run)
        step = json.loads((newest / "round.json").read_text())["step"]
        _note(f"howto_{name}_source", describe_run(run, name, step))
        overview = newest / ("60.png" if name == "gansynth" else "all_classes.png")
        _copy_png(overview if overview.is_file() else newest / "fake.png", f"howto_{name}.png")
        if name == "resnet9-gan":
            _copy_png(run / "losses.png", "howto_resnet9-gan_losses.png")
            _note(f"howto_{name}_balance", balance(run))
        if name in ("musegan", "vocoder"):
            _text(f"howto_{name}_evaluate.txt", run_report(run, name))
        if name == "gansynth" and "musegan" in used:
            render_figure(used["musegan"], run)
        print(f"figures: {name}: {newest}")
    return used


def render_figure(musegan_run: Path, gansynth_run: Path) -> Path:
    """The picture of four phrases of the ``musegan`` run played by the ``gansynth`` run
    (``audiogan render``)."""
    from audiogan.cli import main

    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "chorale.wav"
        argv = ["render", str(musegan_run), "--with", str(gansynth_run), "--out", str(wav)]
        if main([*argv, "--phrases", "4"]) != 0:
            raise SystemExit(f"figures: rendering {musegan_run} with {gansynth_run} failed")
        return _copy_png(wav.with_suffix(".png"), "howto_gansynth_render.png")


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``docs/figures.py``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=Path, default=ROOT / "runs" / "figures", metavar="DIR")
    parser.add_argument(
        "--run", action="append", default=[], metavar="RECIPE=DIR", help="a run to use"
    )
    parser.add_argument("--tables-only", action="store_true", help="only the generated tables")
    parser.add_argument("--no-train", action="store_true", help="skip recipes with no run")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    given = {}
    for item in args.run:
        name, _, where = item.partition("=")
        if name not in RECIPE_NAMES or not where:
            parser.error(f"--run takes RECIPE=DIR with a recipe among {', '.join(RECIPE_NAMES)}")
        given[name] = Path(where)
    for path in write_tables():
        print(f"figures: {path.relative_to(ROOT)}")
    if args.tables_only:
        return 0
    data_figures()
    used = run_figures(args.runs, given, train=not args.no_train)
    frontend_figure(used.get("vocoder"))
    vocoder_runs = sorted(p for p in args.runs.glob("vocoder*") if (p / "checkpoints").is_dir())
    decoders_figure(vocoder_runs or ([used["vocoder"]] if "vocoder" in used else []))
    for path in sorted(FIGURES.glob("*.png")):
        print(f"figures: {path.relative_to(ROOT)} ({path.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
