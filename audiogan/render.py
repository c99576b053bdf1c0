"""Scores to sound: each note of a MIDI file (or of a ``musegan`` run's generated phrases) played by
a pitch-conditioned note GAN, one latent (one timbre) per voice held through the piece.

GANSynth's demo plays a MIDI performance with one latent fixed; :func:`render_voices` does that
for any score:

1. each voice (a MIDI instrument, a piano-roll track) gets its own latent, drawn from
   ``(seed, voice)`` (or given), and, with a note model conditioned on the instrument family
   too, its own family (given per voice, else the model's families in turn);
2. each distinct pitch of a voice is generated once with that latent and decoded exactly by the
   note model's frontend; a pitch the model was not trained on is generated an octave (or
   several) into its range and resampled by a power of two, so the pitch is exact;
3. each note is shaped to its length and velocity: the generated note is cut at the note's end
   (or, for a note longer than the generated note's held part, its middle is looped with
   crossfades), faded out over ``release`` seconds, and scaled by ``velocity / 127``;
4. the notes are added at their onsets into one waveform, which is scaled down only if it
   would clip. Between notes, where the score rests, the waveform is exactly zero.

:func:`render` does it from files: a ``.mid`` file or a ``musegan`` run folder, and a note-GAN
run folder (the ``gansynth`` recipe), writing a ``.wav`` and a spectrogram picture (``.png``).
The command is ``audiogan render SCORE --with RUN --out FILE.wav``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torchaudio.functional as AF
from torch import nn

from audiogan._build import build_module
from audiogan._optional import require
from audiogan.audio.io import save_audio
from audiogan.data._loading import item_generator
from audiogan.train.callbacks.gallery import RENDERED_FOLDER, write_gallery

__all__ = [
    "NoteModel",
    "RenderedScore",
    "ScoreNote",
    "musegan_phrases",
    "read_score",
    "render",
    "render_voices",
    "shape_note",
    "tracks_to_voices",
]


@dataclass(frozen=True)
class ScoreNote:
    """One note to play: ``start`` and ``end`` in seconds, MIDI ``pitch`` and ``velocity``."""

    start: float
    end: float
    pitch: int
    velocity: int = 100


@dataclass
class RenderedScore:
    """What :func:`render_voices` returns.

    Attributes:
        wave: The mix ``(time,)``.
        sample_rate: Its samples per second.
        latents: The latent of each voice ``(voices, latent_dim)``.
        gain: The factor the mix was scaled by to stay below clipping (1: none).
        families: The instrument family of each voice (empty for a model without families).
    """

    wave: torch.Tensor
    sample_rate: int
    latents: torch.Tensor
    gain: float = 1.0
    families: list[str] = field(default_factory=list)


def read_score(path: str | os.PathLike) -> list[list[ScoreNote]]:
    """The voices of a MIDI file: one per instrument with notes (drums left out), in seconds.

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: If it cannot be read as MIDI or holds no pitched note.
    """
    pretty_midi = require("pretty_midi", feature="reading MIDI scores")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"read_score: {path}: no such file")
    try:
        pm = pretty_midi.PrettyMIDI(str(path))
    except Exception as err:  # mido/pretty_midi raise many types
        raise ValueError(f"read_score: {path} is not a readable MIDI file ({err})") from err
    voices = [
        sorted(
            (
                ScoreNote(float(n.start), float(n.end), int(n.pitch), int(n.velocity))
                for n in inst.notes
            ),
            key=lambda n: (n.start, n.pitch),
        )
        for inst in pm.instruments
        if inst.notes and not inst.is_drum
    ]
    if not voices:
        raise ValueError(f"read_score: {path} has no pitched notes")
    return voices


def tracks_to_voices(
    tracks: Sequence[Any], seconds_per_step: float, velocity: int = 100
) -> list[list[ScoreNote]]:
    """Voices of :class:`~audiogan.music.Track` notes on a step grid (drum tracks left out,
    empty tracks kept as empty voices, so voice ``i`` is track ``i``)."""
    return [
        [
            ScoreNote(n.start * seconds_per_step, n.end * seconds_per_step, int(n.pitch), velocity)
            for n in track.notes
        ]
        for track in tracks
        if not getattr(track, "is_drum", False)
    ]


def _checkpoint_parts(source: str | os.PathLike, device: str) -> tuple[nn.Module, nn.Module, dict]:
    """The EMA generator, the frontend and the metadata of a run's newest checkpoint."""
    from audiogan.train import load_checkpoint, load_generator, run_checkpoint

    path = run_checkpoint(source)
    state = load_checkpoint(path)
    metadata = state.get("metadata") or {}
    spec = metadata.get("frontend")
    if not spec:
        raise ValueError(f"{path} stores no frontend (metadata['frontend'])")
    frontend = build_module(spec["class"], spec.get("config"))
    if spec.get("state"):
        frontend.load_state_dict(spec["state"])
    generator = load_generator(state).to(device).eval()
    return generator, frontend.to(device), metadata


@torch.no_grad()
def musegan_phrases(
    source: str | os.PathLike, num_phrases: int = 1, seed: int = 0, device: str = "cpu"
) -> list[list[ScoreNote]]:
    """Phrases generated by a ``musegan`` run (its newest checkpoint), as voices, one per track.

    ``num_phrases`` phrases from latents seeded with ``seed`` are played one after another at
    the run's tempo and velocity (its :class:`~audiogan.frontends.PianoRoll`).

    Raises:
        ValueError: If the run's frontend is not a piano roll.
    """
    from audiogan.frontends import PianoRoll, roll_to_tracks

    generator, frontend, _ = _checkpoint_parts(source, device)
    if not isinstance(frontend, PianoRoll):
        raise ValueError(
            f"musegan_phrases: {source} is not a piano-roll run ({type(frontend).__name__})"
        )
    g = torch.Generator().manual_seed(seed)
    roll = generator(
        generator.sample_latent(num_phrases, generator=g)
    )  # (n, tracks, bars, steps, p)
    tracks = roll_to_tracks(
        roll.cpu(),
        frontend.lowest_pitch,
        "argmax",
        0.0,
        frontend.track_names,
        frontend.programs,
        frontend.is_drum,
    )
    return tracks_to_voices(tracks, 1.0 / frontend.steps_per_second, frontend.velocity)


class NoteModel:
    """A pitch-conditioned note generator with its frontend and the pitch of each class.

    Args:
        generator: ``forward(z (batch, latent_dim), labels (batch,)) -> features``, with
            ``sample_latent``.
        frontend: Decodes the features to waveforms ``(batch, time)`` (``decode``,
            ``sample_rate``).
        pitches: The MIDI pitch of each class label, or with ``families`` of each pitch factor.
        families: For a generator conditioned on pitch and instrument family: the families;
            its labels are ``pitch * len(families) + family`` (:class:`~audiogan.data.NoteFamilies`).

    Raises:
        ValueError: If the generator's classes are not ``len(pitches)`` (times
            ``len(families)``), e.g. a family-conditioned generator given no families.
    """

    def __init__(
        self,
        generator: nn.Module,
        frontend: Any,
        pitches: Sequence[int],
        families: Sequence[str] | None = None,
    ) -> None:
        self.families = [str(f) for f in families or []]
        expected = len(pitches) * max(1, len(self.families))
        num_classes = getattr(generator, "num_classes", expected)
        if expected != num_classes:
            hint = (
                f"; a generator of {len(pitches)} pitches x {num_classes // len(pitches)} "
                "families needs families=[...] (its run's metadata['families'])"
                if not self.families and pitches and num_classes % len(pitches) == 0
                else ""
            )
            got = f"{len(pitches)} pitches" + (
                f" x {len(self.families)} families" if self.families else ""
            )
            raise ValueError(f"NoteModel: {got} for a generator of {num_classes} classes{hint}")
        self.generator, self.frontend = generator, frontend
        self.pitches = [int(p) for p in pitches]
        self.sample_rate = int(frontend.sample_rate)

    @classmethod
    def from_run(cls, source: str | os.PathLike, device: str = "cpu") -> NoteModel:
        """The note model of a run folder or checkpoint (class names are the MIDI pitches, or
        its metadata lists ``pitches`` and ``families``).

        Raises:
            ValueError: If its class names are not MIDI pitches.
        """
        generator, frontend, metadata = _checkpoint_parts(source, device)
        if metadata.get("families"):
            return cls(generator, frontend, metadata["pitches"], metadata["families"])
        names = metadata.get("class_names") or []
        try:
            pitches = [int(name) for name in names]
        except ValueError:
            raise ValueError(
                f"NoteModel: {source} is not a note GAN: its classes are {names[:5]}..., not MIDI pitches"
            ) from None
        return cls(generator, frontend, pitches)

    def family_index(self, family: str | int) -> int:
        """The index of a family, given by name or index.

        Raises:
            ValueError: If the model has no families or not this one.
        """
        if not self.families:
            raise ValueError(
                f"NoteModel: the note model is not conditioned on an instrument family; it "
                f"takes no family (asked for {family!r})"
            )
        if isinstance(family, int) and not isinstance(family, bool):
            if 0 <= family < len(self.families):
                return family
        elif str(family) in self.families:
            return self.families.index(str(family))
        raise ValueError(
            f"NoteModel: no family {family!r}; the families are {', '.join(self.families)}"
        )

    def sample_latent(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` latents (on the CPU, moved to the generator's device when used)."""
        return self.generator.sample_latent(n, device="cpu", generator=generator)

    def placement(self, pitch: int) -> tuple[int, int]:
        """``(class label, octaves)``: the class to generate and the octave shift to apply.

        A pitch the model knows is itself with 0; another is moved by whole octaves into the
        model's range (the nearest class when no octave shift lands on one)."""
        if pitch in self.pitches:
            return self.pitches.index(pitch), 0
        lo, hi = min(self.pitches), max(self.pitches)
        octaves = math.ceil((lo - pitch) / 12) if pitch < lo else -math.ceil((pitch - hi) / 12)
        moved = pitch + 12 * octaves
        nearest = min(range(len(self.pitches)), key=lambda i: abs(self.pitches[i] - moved))
        return nearest, -octaves

    @torch.no_grad()
    def notes(
        self, z: torch.Tensor, pitches: Sequence[int], family: str | int | None = None
    ) -> list[torch.Tensor]:
        """One decoded note ``(time,)`` per pitch for latents ``z (n, latent_dim)``, each at its
        exact pitch (generated at a class's pitch and resampled by octaves where needed); with
        families, of ``family`` (a name or an index; default the first)."""
        placed = [self.placement(int(p)) for p in pitches]
        weight = next(iter(self.generator.parameters()), None)
        device = torch.device("cpu") if weight is None else weight.device
        offset, count = 0, 1
        if self.families or family is not None:
            offset, count = self.family_index(0 if family is None else family), len(self.families)
        labels = torch.tensor([label * count + offset for label, _ in placed], device=device)
        waves = self.frontend.decode(self.generator(z.to(device), labels)).float().cpu()
        out = []
        for wave, (_, octaves) in zip(waves, placed, strict=True):
            if octaves > 0:  # up: play 2**octaves times faster
                wave = AF.resample(wave, 2**octaves, 1)
            elif octaves < 0:
                wave = AF.resample(wave, 1, 2**-octaves)
            out.append(wave)
        return out


def shape_note(
    note: torch.Tensor,
    duration: int,
    velocity: int,
    release: int,
    crossfade: int,
    held: float = 0.7,
) -> torch.Tensor:
    """A generated note ``(time,)`` shaped to ``duration + release`` samples.

    The note's first ``held`` share is its held part: a shorter duration cuts it, a longer one
    loops its middle (from 30 % of the note to the end of the held part) with linear crossfades
    of ``crossfade`` samples. The last ``release`` samples fade out (a raised-cosine), and the
    note is scaled by its peak to ``velocity / 127``.

    Raises:
        ValueError: For a non-positive duration or an empty note.
    """
    if duration < 1 or note.numel() == 0:
        raise ValueError(
            f"shape_note: expected duration >= 1 and a note, got {duration}, {tuple(note.shape)}"
        )
    peak = note.abs().max()
    note = note / peak if peak > 0 else note
    length = duration + release
    stop = max(2, int(held * note.numel()))
    out = note[:stop].clone()
    loop = note[int(0.3 * note.numel()) : stop]
    fade = max(1, min(crossfade, loop.numel() // 2))
    ramp = torch.linspace(0.0, 1.0, fade)
    while out.numel() < length:
        out[-fade:] = out[-fade:] * (1 - ramp) + loop[:fade] * ramp
        out = torch.cat([out, loop[fade:]])
    out = out[:length]
    if release > 0:
        t = torch.linspace(0.0, math.pi / 2, release)
        out[duration:] = out[duration:] * torch.cos(t) ** 2
    return out * (velocity / 127.0)


def render_voices(
    voices: Sequence[Sequence[ScoreNote]],
    model: NoteModel,
    *,
    seed: int = 0,
    latents: torch.Tensor | None = None,
    release: float = 0.05,
    crossfade: float = 0.03,
    families: Sequence[str | int] | None = None,
) -> RenderedScore:
    """Play voices of notes with a note model, one latent per voice.

    Args:
        voices: Each voice's notes (seconds, MIDI pitch, velocity).
        model: The note model.
        seed: Voice ``i``'s latent is drawn from a generator seeded with ``(seed, i)``.
        latents: Or the latents ``(voices, latent_dim)`` to use.
        release: Fade-out after each note's end, in seconds.
        crossfade: Crossfade of the loops of long notes, in seconds.
        families: For a model conditioned on the instrument family: voice ``i`` plays
            ``families[i % len(families)]`` (names or indices; one name: every voice); default
            the model's families in turn.

    Returns:
        The :class:`RenderedScore`: ``duration = max(end) + release`` seconds.

    Raises:
        ValueError: For no notes, latents of another count, or families the model does not
            have (or any, for a model without families).
    """
    sr = model.sample_rate
    notes = [n for voice in voices for n in voice]
    if not notes:
        raise ValueError("render_voices: the score has no notes")
    if latents is None:
        latents = torch.cat(
            [model.sample_latent(1, item_generator(seed, i)) for i in range(len(voices))]
        )
    if latents.shape[0] != len(voices):
        raise ValueError(f"render_voices: {latents.shape[0]} latents for {len(voices)} voices")
    if families is not None and not families:
        raise ValueError("render_voices: families is empty; give None for the default")
    cycle = list(families) if families is not None else list(model.families)
    picked = (
        [model.family_index(cycle[v % len(cycle)]) for v in range(len(voices))] if cycle else []
    )
    rel, fade = int(round(release * sr)), int(round(crossfade * sr))
    total = int(math.ceil(max(n.end for n in notes) * sr)) + rel + 1
    mix = torch.zeros(total)
    for v, voice in enumerate(voices):
        pitches = sorted({n.pitch for n in voice})
        if not pitches:
            continue
        family = picked[v] if picked else None
        made = model.notes(latents[v : v + 1].expand(len(pitches), -1), pitches, family)
        sound = dict(zip(pitches, made, strict=True))
        for n in voice:
            start = int(round(n.start * sr))
            duration = max(1, int(round(n.end * sr)) - start)
            shaped = shape_note(sound[n.pitch], duration, n.velocity, rel, fade)
            mix[start : start + shaped.numel()] += shaped[: total - start]
    peak = float(mix.abs().max())
    gain = 0.95 / peak if peak > 0.99 else 1.0
    names = [model.families[k] for k in picked]
    return RenderedScore(mix * gain, sr, latents, gain, names)


def _picture(wave: torch.Tensor, sample_rate: int, path: Path) -> Path:
    """A log-mel spectrogram picture of ``wave`` (time on x), saved as a PNG."""
    from audiogan.frontends import LogMel
    from audiogan.viz import draw_spectrogram

    figure_cls = require("matplotlib.figure", feature="spectrogram pictures").Figure
    agg = require("matplotlib.backends.backend_agg", feature="spectrogram pictures")
    n_fft = 1024 if sample_rate >= 16000 else 512
    mel = LogMel(sample_rate, n_fft=n_fft, hop_length=n_fft // 4, n_mels=96)
    features = mel.encode(wave)  # (1, 96, frames)
    seconds = wave.numel() / sample_rate
    fig = figure_cls(figsize=(min(24.0, 2.0 + 1.2 * seconds), 3.0))
    ax = fig.add_subplot(1, 1, 1)
    draw_spectrogram(features, ax)
    ax.set_title(f"{path.stem}: {seconds:.1f} s, log-mel")
    agg.FigureCanvasAgg(fig)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    return path


def render(
    score: str | os.PathLike,
    note_run: str | os.PathLike,
    out: str | os.PathLike | None = None,
    *,
    seed: int = 0,
    num_phrases: int = 2,
    picture: bool = True,
    device: str = "cpu",
    release: float = 0.05,
    families: Sequence[str] | None = None,
    on_rendered: Callable[[RenderedScore], object] | None = None,
) -> list[Path]:
    """Render a score to a ``.wav`` (and a spectrogram ``.png`` beside it).

    Args:
        score: A ``.mid``/``.midi`` file, or a ``musegan`` run folder or checkpoint (then
            ``num_phrases`` generated phrases, seeded with ``seed``, are played).
        note_run: A note-GAN run folder or checkpoint (the ``gansynth`` recipe).
        out: The ``.wav`` file to write. Default, for a ``musegan`` run folder:
            ``SCORE/rendered/<note run>_seed<seed>.wav``, shown and played by the run's gallery
            (``SCORE/index.html``, rewritten); a MIDI file needs ``out``.
        seed: Seed of the voices' latents (and of the phrases).
        num_phrases: Phrases of a ``musegan`` run.
        picture: Also write ``out`` with the suffix ``.png``.
        device: Where the generators run.
        release: Fade-out after each note, in seconds.
        families: With a note run conditioned on the instrument family: the family of each
            voice, cycled (one name: every voice); default the run's families in turn. A run
            without families refuses them.
        on_rendered: Called with the :class:`RenderedScore` before the files are written
            (its ``families`` says which family each voice got; ``audiogan render`` prints
            them).

    Returns:
        The files written.

    Raises:
        ValueError: For a MIDI file without ``out``, or families the note run does not have.
    """
    score = Path(score)
    is_midi = score.suffix.lower() in (".mid", ".midi")
    if out is None:
        if is_midi or not score.is_dir():
            raise ValueError(f"render: give the .wav to write for {score} (out=...)")
        out = score / RENDERED_FOLDER / f"{Path(note_run).resolve().name}_seed{seed}.wav"
    if is_midi:
        voices = read_score(score)
    else:
        voices = musegan_phrases(score, num_phrases, seed, device)
    model = NoteModel.from_run(note_run, device)
    if families is not None and not model.families:
        raise ValueError(
            f"render: families {list(families)} were given but the note run {note_run} is not "
            "conditioned on an instrument family (train it with --set families=true)"
        )
    rendered = render_voices(voices, model, seed=seed, release=release, families=families)
    if on_rendered is not None:
        on_rendered(rendered)
    out = Path(out)
    written = [save_audio(out, rendered.wave, rendered.sample_rate)]
    if picture:
        written.append(_picture(rendered.wave, rendered.sample_rate, out.with_suffix(".png")))
    run = out.parent.parent
    if out.parent.name == RENDERED_FOLDER and (run / "index.html").is_file():
        write_gallery(run)  # the run's gallery plays what was rendered into it
    return written
