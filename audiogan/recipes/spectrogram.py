"""What the spectrogram recipes share: data sources, the log-mel, callbacks, and evaluation.

Every spectrogram recipe trains on one of three sources, chosen by its config: a folder with
one subfolder of clips per class (``data``, an :class:`~audiogan.data.AudioFolder`), a CSV of
``file,label`` rows (``csv``, an :class:`~audiogan.data.AnnotatedAudio`), or the built-in
synthetic sounds. Log-mels are precomputed once into a :class:`~audiogan.data.FeatureCache`
under the run folder (``cache=True``) or encoded batch by batch on the training device.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset

from audiogan.augment import AdaptiveAugment, Augment, augment_from_names
from audiogan.data import AnnotatedAudio, AudioFolder, FeatureCache, SyntheticSounds
from audiogan.frontends import LogMel
from audiogan.losses import LeCamPenalty, Penalties
from audiogan.protocols import Penalty
from audiogan.recipes.recipe import ConfigError, RunConfig, run_options
from audiogan.train import CheckpointCallback, CSVLogger, FakeWriter, ProgressBar, load_vocoder

__all__ = [
    "Segments",
    "SpectrogramConfig",
    "SpectrogramData",
    "augment_notes",
    "augmentation",
    "drop_labels",
    "evaluate_audio",
    "gan_callbacks",
    "held_out_split",
    "logmel",
    "spectrogram_data",
    "with_lecam",
]


@dataclass
class SpectrogramConfig(RunConfig):
    """Settings of the spectrogram recipes (beside :class:`~audiogan.recipes.recipe.RunConfig`).

    Attributes:
        data: Your audio: a folder with one subfolder of clips per class (default: built-in
            synthetic sounds, 5 classes, no download).
        csv: Or a CSV of ``file,label`` rows (annotated audio).
        audio_dir: Where the CSV's files are (default: the CSV's folder).
        classes: With ``csv``: the expected class names, comma-separated (a label outside them
            is an error naming the CSV line; default: the labels found).
        fraction: With ``data``: share of each class's files to use.
        clips_per_class: Built-in synthetic clips per class.
        sample_rate, n_fft, hop_length, n_mels, frames: The log-mel; clips are cut or padded to
            ``frames`` frames.
        cache: Precompute the log-mels into ``OUT/cache`` (else encode each batch on the device).
        fakes_per_class: Fakes per class in each round of fakes.
        vocoder: Decode the fakes with a trained vocoder (a run folder or checkpoint of the
            ``vocoder`` recipe, trained on the same log-mel settings) instead of Griffin-Lim;
            checkpoints store it, so ``audiogan generate`` decodes with it too.
        augment: Differentiable augmentation of real and fake before the critic, comma-separated
            names of :func:`~audiogan.augment.augment_from_names` (``shift``, ``roll``,
            ``mask``, ``time_mask``, ``freq_mask``, ``gain``; empty: none), or ``"auto"``:
            ADA on ``shift,mask,gain`` (target ``ada_target``, else 0.3) when the smallest
            class has at most ``auto_augment_clips`` clips, else none.
        augment_p: Each transform's probability per sample (with ADA the probability starts at
            0 and adapts).
        ada_target: Adaptive augmentation (ADA): steer the probability toward this value of
            the critic's overfitting signal (0.6 in the ADA paper; None: a fixed probability).
        ada_kimg: With ADA, thousands of real clips over which the probability can go from 0
            to 1.
        ada_interval: With ADA, critic batches between adjustments of the probability.
        auto_augment_clips: With ``augment="auto"``: the most clips in the smallest class at
            which ADA is on.
        lecam: Weight of LeCam regularization of the critic (0: none). The GAN recipes on
            spectrograms read ``augment``, ``ada_*`` and ``lecam``; the Wasserstein critic of
            ``wgan-gp`` wants a LeCam weight well below the authors' 0.3.
    """

    data: str | None = None
    csv: str | None = None
    audio_dir: str | None = None
    classes: str | None = None
    fraction: float = 1.0
    clips_per_class: int = 64
    sample_rate: int = 16000
    n_fft: int = 1024
    hop_length: int = 256
    n_mels: int = 64
    frames: int = 64
    cache: bool = True
    fakes_per_class: int = 4
    vocoder: str | None = None
    augment: str = ""
    augment_p: float = 0.5
    ada_target: float | None = None
    ada_kimg: float = 50.0
    ada_interval: int = 4
    auto_augment_clips: int = 16
    lecam: float = 0.0


@dataclass
class SpectrogramData:
    """The training data of a spectrogram recipe.

    Attributes:
        dataset: Items ``(features (1, n_mels, frames), label)``, or waveforms ``((1, time),
            label)`` when ``preprocess`` is set.
        classes: The class names.
        frontend: The log-mel.
        preprocess: The frontend when the Trainer must encode batches, else None.
        real: A few real features per class ``(n, 1, n_mels, frames)``, for sample pictures.
        real_labels: Their classes ``(n,)``.
        smallest_class: The clips of the class with the fewest (``augment="auto"`` reads it).
    """

    dataset: Dataset
    classes: list[str]
    frontend: LogMel
    preprocess: LogMel | None
    real: torch.Tensor
    real_labels: torch.Tensor
    smallest_class: int

    def trainer_options(self, config: SpectrogramConfig) -> dict[str, Any]:
        """The Trainer arguments a conditional spectrogram recipe passes the same way: the
        shared ones (:func:`~audiogan.recipes.recipe.run_options`: precision, device, seed, run
        folder), frontend (encoding batches when not cached),
        the standard callbacks and the class names (in every checkpoint's metadata)."""
        callbacks = gan_callbacks(
            config,
            self.frontend,
            self.classes,
            self.real,
            self.real_labels,
            config.fakes_per_class,
        )
        return {
            **run_options(config),
            "preprocess": self.preprocess,
            "frontend": self.frontend,
            "callbacks": callbacks,
            "metadata": {"class_names": self.classes},
            "augment": augmentation(config, self.smallest_class),
        }

    def loader(self, config: RunConfig) -> DataLoader:
        """Shuffled full batches (fixed shapes; BatchNorm generators like that)."""
        return DataLoader(
            self.dataset,
            batch_size=config.batch_size,
            shuffle=True,
            drop_last=True,
            num_workers=config.num_workers,
        )


#: What ``augment="auto"`` turns on for a small folder: ADA on these transforms, at this target
#: unless ``ada_target`` says otherwise (docs/howto/real-recordings.rst measured them).
AUTO_AUGMENT, AUTO_ADA_TARGET = "shift,mask,gain", 0.3


def augmentation(
    config: SpectrogramConfig, smallest_class: int | None = None
) -> Augment | AdaptiveAugment | None:
    """The Trainer's ``augment`` for the config's ``augment`` and ``ada_*`` settings (None: off).

    The critic's scores of the WGAN-GP recipe carry an arbitrary constant, so ADA reads the
    offset-free ``"midpoint"`` signal (see :class:`~audiogan.augment.AdaptiveAugment`).

    Args:
        config: The recipe's settings.
        smallest_class: The clips of the data's smallest class; ``augment="auto"`` needs it.

    Raises:
        ConfigError: For an unknown name or a setting out of range.
    """
    names, target = config.augment.strip(), config.ada_target
    if names == "auto":
        if smallest_class is None:
            raise ConfigError("augment=auto needs the data's clips per class; name transforms")
        if smallest_class > config.auto_augment_clips:
            return None  # enough clips: no augmentation (ada_target is ignored)
        names, target = AUTO_AUGMENT, AUTO_ADA_TARGET if target is None else target
    if not names:
        if target is not None:
            raise ConfigError("ada_target needs augment=... (e.g. augment=shift,mask,gain)")
        return None
    try:
        augment = augment_from_names(names, "spectrogram", p=config.augment_p)
        if target is None:
            return augment
        return AdaptiveAugment(
            augment,
            target=target,
            interval=config.ada_interval,
            kimg=config.ada_kimg,
            signal="midpoint",
        )
    except ValueError as e:
        raise ConfigError(str(e)) from e


def augment_notes(config: SpectrogramConfig, smallest_class: int, augment: Any) -> list[str]:
    """The line a run's outputs say about ``augment="auto"`` (none for other settings)."""
    if config.augment.strip() != "auto":
        return []
    state = "ADA on" if augment is not None else "off"
    return [
        f"augment=auto: {state} ({smallest_class} clips in the smallest class, "
        f"auto_augment_clips={config.auto_augment_clips})"
    ]


def with_lecam(penalty: Penalty | None, config: SpectrogramConfig) -> Penalty | None:
    """``penalty`` plus LeCam regularization of weight ``config.lecam`` (when > 0)."""
    if config.lecam < 0:
        raise ConfigError(f"lecam must be a weight >= 0, got {config.lecam}")
    if config.lecam == 0:
        return penalty
    lecam = LeCamPenalty(weight=config.lecam)
    return lecam if penalty is None else Penalties(penalty, lecam)


def logmel(config: SpectrogramConfig) -> LogMel:
    """The log-mel the config describes: waveform <-> ``(1, n_mels, frames)`` in [-1, 1].

    With ``config.vocoder`` it decodes with that vocoder run, loaded and checked here by
    :func:`~audiogan.train.load_vocoder` (its config names the run's checkpoint).

    Raises:
        ConfigError: If the vocoder is missing or was trained on other log-mel settings.
    """
    settings = {
        "sample_rate": config.sample_rate,
        "n_fft": config.n_fft,
        "hop_length": config.hop_length,
        "n_mels": config.n_mels,
        "frames": config.frames,
    }
    frontend = LogMel(**settings)
    if config.vocoder is None:
        return frontend
    try:  # fail now, not at the first round of fakes
        vocoder = load_vocoder(config.vocoder, frontend)
    except (ValueError, FileNotFoundError) as e:
        raise ConfigError(f"vocoder={config.vocoder}: {e}") from e
    return LogMel(**settings, vocoder=vocoder)


def labelled_clips(config: SpectrogramConfig, num_samples: int) -> Dataset:
    """Clips ``((1, num_samples), label)`` from ``data``, ``csv`` or the built-in sounds.

    Raises:
        ConfigError: For both ``data`` and ``csv``, or a folder/file that does not exist.
    """
    if config.data is not None and config.csv is not None:
        raise ConfigError("give --data (a folder of class subfolders) or --csv, not both")
    common = {"sample_rate": config.sample_rate, "num_samples": num_samples, "seed": config.seed}
    if config.data is not None:
        if not Path(config.data).is_dir():
            raise ConfigError(f"--data {config.data}: no such folder")
        try:  # no class subfolders, an empty one, only unreadable files: one line naming it
            return AudioFolder(config.data, fraction=config.fraction, **common)
        except ValueError as e:
            raise ConfigError(str(e)) from e
    if config.csv is not None:
        if not Path(config.csv).is_file():
            raise ConfigError(f"--csv {config.csv}: no such file")
        audio_dir = config.audio_dir if config.audio_dir is not None else Path(config.csv).parent
        classes = None if config.classes is None else [c.strip() for c in config.classes.split(",")]
        try:  # a bad row or label: one line naming the CSV line
            return AnnotatedAudio(config.csv, audio_dir, classes=classes, **common)
        except ValueError as e:
            raise ConfigError(str(e)) from e
    return SyntheticSounds(config.clips_per_class, **common)


def held_out_split(labels: Sequence[int], per_class: int) -> tuple[list[int], list[list[int]]]:
    """``(training indices, held-out indices of each class)``: the first ``per_class`` items of
    each class (in sorted class order) are held out."""
    labels = [int(y) for y in labels]
    held = [[i for i, y in enumerate(labels) if y == c][:per_class] for c in sorted(set(labels))]
    kept = {i for indices in held for i in indices}
    return [i for i in range(len(labels)) if i not in kept], held


class Segments(Dataset):
    """Random crops ``((1, segment), label)`` of clips ``((1, time), label)``, a new one each
    visit: a waveform GAN's training segments (drawn from the global torch RNG).

    Raises:
        ValueError: On access, if a clip is shorter than ``segment``.
    """

    def __init__(self, clips: Dataset, segment: int) -> None:
        self.clips, self.segment = clips, int(segment)

    def __len__(self) -> int:
        return len(self.clips)  # type: ignore[arg-type]

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        wave, label = self.clips[index]  # (1, time)
        if wave.shape[-1] < self.segment:
            raise ValueError(
                f"Segments: clip {index} has {wave.shape[-1]} samples, fewer than a segment "
                f"({self.segment})"
            )
        start = int(torch.randint(wave.shape[-1] - self.segment + 1, ()))
        return wave[..., start : start + self.segment], label


def drop_labels(items: Sequence[tuple[torch.Tensor, Any]]) -> torch.Tensor:
    """A DataLoader ``collate_fn``: items ``(wave (1, time), label)`` -> waves ``(batch, 1, time)``."""
    return torch.stack([wave for wave, _ in items])


def spectrogram_data(config: SpectrogramConfig) -> SpectrogramData:
    """The config's clips as log-mels (cached under ``OUT/cache`` when ``cache``), with reals.

    Nothing is written here: the cache is built when the first batch is read (see
    :meth:`GanRun.fit <audiogan.recipes.GanRun.fit>`), and the reals are encoded from the clips.
    """
    frontend = logmel(config)
    clips = labelled_clips(config, frontend.num_samples_for_frames())
    classes = list(clips.classes)
    if config.cache:  # built on first use, after the run folder's checkpoint is checked
        dataset: Dataset = FeatureCache(clips, frontend, Path(config.out) / "cache", lazy=True)
        preprocess = None
    else:
        dataset, preprocess = clips, frontend
    real, real_labels = real_examples(clips, clips.labels, config.fakes_per_class, frontend)
    smallest = min(Counter(clips.labels).values())
    return SpectrogramData(dataset, classes, frontend, preprocess, real, real_labels, smallest)


def real_examples(
    dataset: Dataset, labels: list[int], per_class: int, preprocess: LogMel | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """The first ``per_class`` items of each class as features ``((n, *shape), (n,))``."""
    picked: list[int] = []
    for c in sorted(set(labels)):
        picked += [i for i, y in enumerate(labels) if y == c][:per_class]
    items = [dataset[i] for i in picked]
    x = torch.stack([torch.as_tensor(x) for x, _ in items]).float()
    if preprocess is not None:
        with torch.no_grad():
            x = preprocess.encode(x[:, 0])  # (n, 1, time) -> (n, *feature_shape)
    return x, torch.tensor([int(y) for _, y in items])


def gan_callbacks(
    config: RunConfig,
    frontend: Any,
    classes: list[str] | None,
    real: torch.Tensor | None,
    real_labels: torch.Tensor | None,
    fakes_per_class: int = 4,
    inputs: torch.Tensor | None = None,
) -> list[Any]:
    """Progress bar, ``metrics.csv``, rounds of fakes (files, pictures beside reals, gallery) and
    checkpoints every ``config.every`` ``config.unit``; a paired GAN's rounds turn ``inputs`` into
    fakes (see :class:`~audiogan.train.FakeWriter`)."""
    return [
        ProgressBar(),
        CSVLogger(),
        FakeWriter(
            frontend,
            class_names=classes,
            fakes_per_class=fakes_per_class,
            every=config.every,
            unit=config.unit,
            real=real,
            real_labels=real_labels,
            inputs=inputs,
        ),
        CheckpointCallback(every=config.every, unit=config.unit),
    ]


def evaluate_audio(run_dir: Path, config: SpectrogramConfig, fakes_per_class: int = 32) -> str:
    """Classifier accuracy, inception score, Fréchet distance and NDB of a run's fakes.

    A :class:`~audiogan.nn.RecurrentClassifier` is trained once on the run's training data
    (90 %; the rest is the held-out real reference) and cached in ``run_dir/eval/``; the newest
    checkpoint's EMA generator makes ``fakes_per_class`` fakes per class (an unconditional one
    ``fakes_per_class`` in all). The small-n metrics follow (:func:`~audiogan.metrics.small_n_report`
    in the same embedding): KID, precision and recall, density and coverage against the
    held-out clips, per-class KID, the nearest-train distance (the fakes' against the held-out
    clips', both to the other 90 %; the generator trained on all the clips, so a copy of a
    held-out clip is not caught) and, for a conditional generator, the classification accuracy
    score (a fresh classifier of the same kind trained on the fakes, tested on the held-out
    clips). For an unconditional generator a collapse check follows:
    :func:`~audiogan.metrics.class_spread` of the fakes against all the real clips.
    """
    from audiogan.metrics import (
        audio_report,
        class_spread,
        format_audio_report,
        format_class_spread,
        format_distribution_report,
        small_n_report,
        train_or_load_classifier,
    )
    from audiogan.nn import RecurrentClassifier
    from audiogan.train import load_generator, run_checkpoint
    from audiogan.train.callbacks import fixed_fakes

    checkpoint = run_checkpoint(run_dir)  # the newest readable one
    config = dataclasses.replace(config, cache=True, out=str(run_dir))
    data = spectrogram_data(config)
    items = [data.dataset[i] for i in range(len(data.dataset))]
    x = torch.stack([torch.as_tensor(f).float() for f, _ in items])
    y = torch.tensor([int(label) for _, label in items])
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(0))
    held = order[: max(len(x) // 10, len(data.classes))]
    train = order[len(held) :]
    path = Path(run_dir) / "eval" / "classifier.pt"
    model = RecurrentClassifier(config.n_mels, len(data.classes))
    pairs = list(zip(x[train], y[train].tolist(), strict=True))
    options = dict(epochs=15, val_fraction=0.0, seed=config.seed)
    try:
        classifier, _ = train_or_load_classifier(path, model, pairs, **options)
    except ValueError as e:
        raise ConfigError(f"{e}; delete it to train a new one") from e
    generator = load_generator(checkpoint)
    fake, fake_labels = fixed_fakes(generator, fakes_per_class, seed=config.seed + 1)
    report = audio_report(classifier, x[held], y[held], fake, fake_labels, class_names=data.classes)
    header = f"{checkpoint} vs {len(held)} held-out real clips (classifier: {path})"
    text = header + "\n" + format_audio_report(report)
    with torch.random.fork_rng(devices=[]):  # the CAS classifier's initial weights, seeded
        torch.manual_seed(config.seed)
        fresh = RecurrentClassifier(config.n_mels, len(data.classes))
    small = small_n_report(
        classifier,
        x[held],
        fake,
        real_labels=y[held],
        fake_labels=fake_labels,
        train=x[train],
        class_names=data.classes,
        fresh_classifier=fresh if fake_labels is not None else None,
        seed=config.seed,
    )
    text += "\n\nsmall-n metrics (same embedding)\n" + format_distribution_report(small)
    if fake_labels is None:  # unconditional: how the fakes spread over the classes
        spread = class_spread(classifier, x, fake, data.classes, seed=config.seed)
        text += "\n\n" + format_class_spread(spread)
    return text
