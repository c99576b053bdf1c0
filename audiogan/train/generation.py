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
    >>> G = ConvGenerator2d(8, frontend.feature_shape, base_channels=8, n_upsamples=2)
    >>> D = ConvCritic2d(frontend.feature_shape, base_channels=8, n_downsamples=2)
    >>> loader = DataLoader(TensorDataset(torch.rand(4, *frontend.feature_shape)), batch_size=2)
    >>> trainer = Trainer(G, D, LeastSquares(), frontend=frontend, out_dir="runs/toy", device="cpu")
    >>> _ = trainer.fit(loader, steps=2)
    >>> checkpoint = latest_checkpoint("runs/toy/checkpoints")  # step_00000002.pt
    >>> paths = generate(checkpoint, "samples/", n_per_class=2)
    >>> [path.name for path in paths]
    ['sample_000.wav', 'sample_001.wav']

or from a shell: ``audiogan generate CHECKPOINT_OR_RUN_DIR --out OUT_DIR -n 4``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from audiogan.train.checkpoint import build_module, class_path, load_checkpoint

if TYPE_CHECKING:
    from audiogan.protocols import Frontend

__all__ = ["generate", "load_generator"]


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
            are rebuilt from the stored class path and ``config``).
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


def _frontend_from(state: dict[str, Any], where: str) -> nn.Module:
    spec = (state.get("metadata") or {}).get("frontend")
    if not spec:
        raise ValueError(
            f"{where} stores no frontend (metadata['frontend']); pass frontend=... to decode the features"
        )
    try:
        frontend = build_module(spec["class"], spec.get("config"))
    except ValueError as e:
        raise ValueError(f"{where}: {e}; pass frontend=<an instance of {spec['class']}>") from e
    if spec.get("state"):
        frontend.load_state_dict(spec["state"])
    return frontend


@torch.no_grad()
def generate(
    checkpoint: str | os.PathLike,
    out_dir: str | os.PathLike,
    n_per_class: int = 4,
    seed: int = 0,
    device: str | torch.device = "cpu",
    generator: nn.Module | None = None,
    frontend: Frontend | None = None,
    class_names: Sequence[str] | None = None,
    use_ema: bool = True,
    classes: Sequence[str | int] | None = None,
) -> list[Path]:
    """Sample a checkpoint's generator and write the samples through the frontend's ``save``.

    The generator is rebuilt from the stored class path and ``config`` (audiogan classes only;
    pass ``generator=`` for your own), with its EMA weights when present; so is the frontend
    (pass ``frontend=`` for your own). A conditional generator gives ``n_per_class`` samples of
    every class, named ``<class>_000`` ...; an unconditional one gives ``n_per_class`` samples
    ``sample_000`` .... Files are written by :func:`audiogan.export.export_features`, one batch
    per class, with the frontend's ``suffix``: ``.wav`` for audiogan's spectrogram frontends,
    ``.mid`` for :class:`~audiogan.frontends.PianoRoll`.

    Args:
        checkpoint: A checkpoint file written by :class:`~audiogan.train.Trainer`.
        out_dir: Folder for the files (created if needed).
        n_per_class: Samples per class (or in all, when unconditional).
        seed: Seed of the latent noise: the same seed gives the same files.
        device: Where to run the generator (``"cpu"``, ``"cuda"``...).
        generator: An instance of the generator architecture, when it is not an audiogan class.
        frontend: Writes features to files (any :class:`~audiogan.protocols.Frontend`:
            ``feature_shape``, ``suffix``, ``save``); default: rebuilt from the checkpoint's
            ``metadata["frontend"]`` (``{"class", "config", "state"}``, audiogan classes only).
        class_names: Names of the classes for file names; default: the checkpoint's
            ``metadata["class_names"]``, else ``class_0`` ....
        use_ema: Use the EMA weights when the checkpoint has them.
        classes: Only these classes (names or indices); default every class.

    Returns:
        The files written, class by class.

    Raises:
        ValueError: If ``n_per_class < 1``, the generator or frontend cannot be rebuilt, or
            ``class_names`` does not have one name per class, or ``classes`` names a class the
            generator does not have.
    """
    if n_per_class < 1:
        raise ValueError(f"generate: n_per_class must be >= 1, got {n_per_class}")
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

    chosen = list(range(num_classes))
    if classes is not None:
        if not num_classes:
            raise ValueError("generate: classes were given but the generator is unconditional")
        names = [str(n) for n in class_names]
        chosen = []
        for c in classes:
            index = names.index(str(c)) if str(c) in names else c
            if not isinstance(index, int) or not 0 <= index < num_classes:
                raise ValueError(f"generate: no class {c!r}; the classes are {', '.join(names)}")
            chosen.append(index)
    rng = torch.Generator(device=device).manual_seed(seed)
    groups: list[tuple[str, torch.Tensor | None]] = (
        [
            (str(class_names[c]), torch.full((n_per_class,), c, dtype=torch.long, device=device))
            for c in chosen
        ]
        if num_classes
        else [("sample", None)]
    )
    from audiogan.export import export_features

    paths: list[Path] = []
    for name, labels in groups:
        z = model.sample_latent(n_per_class, device=device, generator=rng)
        features = model(z) if labels is None else model(z, labels)  # (n, *feature_shape)
        names = [f"{name}_{i:03d}" for i in range(n_per_class)]
        paths += export_features(features.float().cpu(), frontend, out_dir, names)
    return paths
