"""Write sample files (wav, MIDI, ...) from a trained checkpoint, with no training code.

Example:
    A toy run (an unconditional generator of log-mels ``(1, 16, 16)``, two steps) leaves a
    checkpoint; ``generate`` rebuilds its generator and frontend and writes wav files:

    >>> import torch
    >>> from torch.utils.data import DataLoader, TensorDataset
    >>> from audiogan import ConvCritic2d, ConvGenerator2d, LeastSquares, LogMel, Trainer
    >>> from audiogan.train import latest_checkpoint
    >>> from audiogan.train.generation import generate
    >>> frontend = LogMel(n_mels=16, frames=16)
    >>> G = ConvGenerator2d(8, frontend.feature_shape, width=8, num_upsamples=2)
    >>> D = ConvCritic2d(frontend.feature_shape, width=8, num_downsamples=2)
    >>> loader = DataLoader(TensorDataset(torch.rand(4, *frontend.feature_shape)), batch_size=2)
    >>> trainer = Trainer(G, D, LeastSquares(), frontend=frontend, out_dir="runs/toy", device="cpu")
    >>> _ = trainer.fit(loader, steps=2)
    >>> checkpoint = latest_checkpoint("runs/toy/checkpoints")  # step_00000002.pt
    >>> paths = generate(checkpoint, "fakes/", fakes_per_class=2)
    >>> [path.name for path in paths]
    ['fake_000.wav', 'fake_001.wav']

or from a shell: ``audiogan generate CHECKPOINT_OR_RUN_DIR --out OUT_DIR -n 4``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from audiogan._renamed import renamed_arguments
from audiogan.frontends.logmel import MEL_PARAMETERS, LogMel
from audiogan.registry import lookup
from audiogan.train.checkpoints import build_module, class_path, load_checkpoint, run_checkpoint

if TYPE_CHECKING:
    from audiogan.protocols import Frontend

__all__ = ["generate", "load_generator", "load_vocoder"]


def load_generator(
    checkpoint: str | os.PathLike | dict[str, Any],
    generator: nn.Module | None = None,
    use_ema: bool = True,
    device: str | torch.device = "cpu",
) -> nn.Module:
    """The generator of a checkpoint, in eval mode, with its EMA weights when present.

    Args:
        checkpoint: A checkpoint file written by :class:`~audiogan.train.Trainer`, or its
            loaded dict.
        generator: An instance of the checkpoint's generator architecture to load the weights
            into; required when the generator is not an audiogan class (only audiogan classes
            are rebuilt from the stored class name and ``config``).
        use_ema: Load the EMA weights when the checkpoint has them.
        device: Where to put the generator.

    Returns:
        The generator, on ``device``, in eval mode.

    Raises:
        ValueError: If the generator cannot be rebuilt and none was given, or the weights do not
            fit the given generator.
    """
    state = checkpoint if isinstance(checkpoint, dict) else load_checkpoint(checkpoint)
    where = "the checkpoint" if isinstance(checkpoint, dict) else str(checkpoint)
    if generator is None:
        stored = state.get("generator_class", "?")
        try:
            generator = build_module(stored, state.get("generator_config"))
        except ValueError as e:
            raise ValueError(f"{where}: {e}; pass generator=<an instance of {stored}>") from e
    weights = state["generator"]
    if use_ema and state.get("ema") is not None:
        weights = state["ema"]["module"]
    try:
        generator.load_state_dict(weights)
    except RuntimeError as e:
        raise ValueError(
            f"{where}: its weights ({state.get('generator_class')}) do not fit {class_path(generator)}: {e}"
        ) from e
    return generator.to(device).eval()


def load_vocoder(source: str | os.PathLike, frontend: LogMel) -> nn.Module:
    """The vocoder of a run of the ``vocoder`` recipe, checked to decode ``frontend``'s log-mels.

    The checkpoint (a file, or the newest readable one of a run folder or its ``checkpoints/``)
    is read with ``weights_only`` loading; the generator is rebuilt by :func:`load_generator`
    with its EMA weights if any, its weight norms folded away, frozen, in eval mode. Its
    ``source`` attribute is ``source`` as given (a run folder or a file), so
    ``LogMel(..., vocoder=load_vocoder(...))`` names it in its ``config`` (see
    :class:`~audiogan.frontends.LogMel`).

    Args:
        source: A checkpoint file or run folder of the ``vocoder`` recipe.
        frontend: The log-mels to decode: the checkpoint's ``metadata["frontend"]`` must be a
            LogMel with the same :data:`~audiogan.frontends.logmel.MEL_PARAMETERS`.

    Returns:
        The vocoder ``(batch, n_mels, frames) -> (batch, 1, frames * hop_length)``.

    Raises:
        FileNotFoundError: If ``source`` does not exist or holds no checkpoint.
        ValueError: If it is not a vocoder of these log-mels (the message names the parameters
            that differ).
    """
    try:
        path = run_checkpoint(source)  # a file, or a run's newest readable checkpoint
    except FileNotFoundError as e:
        raise FileNotFoundError(f"no vocoder checkpoint ({e})") from None
    state = load_checkpoint(path)
    spec = (state.get("metadata") or {}).get("frontend") or {}
    if not _is_logmel(spec.get("class")):
        raise ValueError(
            f"{path} is not a vocoder of LogMel features (its metadata['frontend'] is "
            f"{spec.get('class')!r}); train one with `audiogan train vocoder`"
        )
    differ = [
        f"{k}={theirs!r} (this LogMel: {ours!r})"
        for k, theirs, ours in _mel_diff(spec.get("config") or {}, frontend.config)
    ]
    if differ:
        raise ValueError(
            f"the vocoder {path} was trained on other log-mels: {', '.join(differ)}; build the "
            "LogMel with the vocoder's parameters, or train a vocoder for these"
        )
    model = load_generator(state)  # EMA weights if any, eval mode
    if callable(getattr(model, "remove_weight_norm", None)):
        model.remove_weight_norm()
    model.requires_grad_(False)
    model.source = os.fspath(source)  # as named: a run folder stays a run folder
    return frontend.check_vocoder(model, str(path))


def _is_logmel(name: object) -> bool:
    """Whether a checkpoint's frontend class name (registered name or class path) is LogMel."""
    try:
        return isinstance(name, str) and lookup(name) is LogMel
    except ValueError:
        return False


def _mel_diff(theirs: dict, ours: dict) -> list[tuple[str, object, object]]:
    """``(parameter, theirs, ours)`` for each of ``MEL_PARAMETERS`` that differs (an ``f_max``
    of None is ``sample_rate // 2``)."""

    def value(config: dict, key: str) -> object:
        if key == "f_max" and config.get(key) is None:
            return float(config.get("sample_rate", 0) // 2)
        return config.get(key)

    return [
        (k, value(theirs, k), value(ours, k))
        for k in MEL_PARAMETERS
        if value(theirs, k) != value(ours, k)
    ]


def _frontend_from(state: dict[str, Any], where: str) -> nn.Module:
    spec = (state.get("metadata") or {}).get("frontend")
    if not spec:
        raise ValueError(
            f"{where} stores no frontend (metadata['frontend']); pass frontend=... to decode the features"
        )
    config = spec.get("config")
    vocoder = None
    if config is not None and "vocoder" in config:  # a LogMel decoded by a vocoder run
        config = {k: v for k, v in config.items() if k != "vocoder"}
        vocoder = spec["config"]["vocoder"]
    try:
        frontend = build_module(spec["class"], config)
    except ValueError as e:
        raise ValueError(f"{where}: {e}; pass frontend=<an instance of {spec['class']}>") from e
    if vocoder is not None and isinstance(frontend, LogMel):
        frontend = LogMel(**frontend.config, vocoder=load_vocoder(vocoder, frontend))
    if spec.get("state"):
        frontend.load_state_dict(spec["state"])
    return frontend


@torch.no_grad()
@renamed_arguments(n_per_class="fakes_per_class")
def generate(
    checkpoint: str | os.PathLike,
    out_dir: str | os.PathLike,
    fakes_per_class: int = 4,
    seed: int = 0,
    device: str | torch.device = "cpu",
    generator: nn.Module | None = None,
    frontend: Frontend | None = None,
    class_names: Sequence[str] | None = None,
    use_ema: bool = True,
    classes: Sequence[str | int] | None = None,
    families: Sequence[str] | None = None,
) -> list[Path]:
    """Sample a checkpoint's generator and write the samples through the frontend's ``save``.

    The generator is rebuilt from the stored class name and ``config`` (audiogan classes only;
    pass ``generator=`` for your own), with its EMA weights when present; so is the frontend
    (pass ``frontend=`` for your own). A conditional generator gives ``fakes_per_class`` samples of
    every class, named ``<class>_000`` ...; an unconditional one gives ``fakes_per_class`` samples
    ``fake_000`` .... Files are written by :func:`audiogan.export.export_features`, one batch
    per class, with the frontend's ``suffix``: ``.wav`` for audiogan's spectrogram frontends,
    ``.mid`` for :class:`~audiogan.frontends.PianoRoll`.

    Args:
        checkpoint: A checkpoint file written by :class:`~audiogan.train.Trainer`.
        out_dir: Folder for the files (created if needed).
        fakes_per_class: Samples per class (or in all, when unconditional).
        seed: Seed of the latent noise: the same seed gives the same files.
        device: Where to run the generator (``"cpu"``, ``"cuda"``...).
        generator: An instance of the generator architecture, when it is not an audiogan class.
        frontend: Writes features to files (any :class:`~audiogan.protocols.Frontend`:
            ``feature_shape``, ``suffix``, ``save``); default: rebuilt from the checkpoint's
            ``metadata["frontend"]`` (``{"class", "config", "state"}``, audiogan classes only).
        class_names: Names of the classes for file names; default: the checkpoint's
            ``metadata["class_names"]``, else ``class_0`` ....
        use_ema: Use the EMA weights when the checkpoint has them.
        classes: Only these classes (names or indices); default every class. For a note
            generator conditioned on pitch and instrument family (its ``metadata`` lists
            ``pitches`` and ``families``; classes ``"<family>-<pitch>"``, label ``pitch *
            families + family``), a pitch's name (``"60"``) means every family at that pitch.
        families: Only the classes of these instrument families (a family-conditioned note
            generator's ``metadata["families"]``); default every family.

    Returns:
        The files written, class by class.

    Raises:
        ValueError: If ``fakes_per_class < 1``, the generator or frontend cannot be rebuilt, or
            ``class_names`` does not have one name per class, or ``classes`` names a class the
            generator does not have, or ``families`` are given for a generator not
            conditioned on a family or name a family it does not have.
    """
    if fakes_per_class < 1:
        raise ValueError(f"generate: fakes_per_class must be >= 1, got {fakes_per_class}")
    state = load_checkpoint(checkpoint)
    device = torch.device(device)
    model = load_generator(state, generator=generator, use_ema=use_ema, device=device)
    if frontend is None:
        frontend = _frontend_from(state, str(checkpoint))
    if isinstance(frontend, nn.Module):
        frontend = frontend.to("cpu").eval()

    num_classes = int(getattr(model, "num_classes", 0) or 0)
    if class_names is None:
        class_names = (state.get("metadata") or {}).get("class_names")
    if num_classes and class_names is None:
        class_names = [f"class_{c}" for c in range(num_classes)]
    if num_classes and len(class_names) != num_classes:
        raise ValueError(
            f"generate: class_names has {len(class_names)} names but the generator has {num_classes} classes"
        )

    metadata = state.get("metadata") or {}
    known = [str(f) for f in metadata.get("families") or []] if num_classes else []
    pitch_names = [str(p) for p in metadata.get("pitches") or []] if known else []
    chosen = list(range(num_classes))
    if classes is not None:
        if not num_classes:
            raise ValueError("generate: classes were given but the generator is unconditional")
        names = [str(n) for n in class_names]
        chosen = []
        for c in classes:
            if str(c) not in names and str(c) in pitch_names:  # every family at this pitch
                first = pitch_names.index(str(c)) * len(known)
                chosen += range(first, first + len(known))
                continue
            index = names.index(str(c)) if str(c) in names else c
            if not isinstance(index, int) or not 0 <= index < num_classes:
                raise ValueError(f"generate: no class {c!r}; the classes are {', '.join(names)}")
            chosen.append(index)
    if families is not None:
        if not known:
            raise ValueError(
                f"generate: families {list(families)} were given but {checkpoint} is not "
                "conditioned on an instrument family (its metadata lists no families)"
            )
        unknown = [f for f in families if str(f) not in known]
        if unknown:
            raise ValueError(
                f"generate: no family {', '.join(map(repr, unknown))}; the families are "
                f"{', '.join(known)}"
            )
        wanted = {known.index(str(f)) for f in families}
        chosen = [c for c in chosen if c % len(known) in wanted]
    rng = torch.Generator(device=device).manual_seed(seed)
    groups: list[tuple[str, torch.Tensor | None]] = (
        [
            (
                str(class_names[c]),
                torch.full((fakes_per_class,), c, dtype=torch.long, device=device),
            )
            for c in chosen
        ]
        if num_classes
        else [("fake", None)]
    )
    from audiogan.export import export_features

    paths: list[Path] = []
    for name, labels in groups:
        z = model.sample_latent(fakes_per_class, device=device, generator=rng)
        features = model(z) if labels is None else model(z, labels)  # (n, *feature_shape)
        names = [f"{name}_{i:03d}" for i in range(fakes_per_class)]
        paths += export_features(features.float().cpu(), frontend, out_dir, names)
    return paths
