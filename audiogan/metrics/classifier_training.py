"""Train, save and load the classifier that the audio metrics use (trained on real data)."""

from __future__ import annotations

import copy
import importlib
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, random_split

from audiogan._atomic import atomic_path
from audiogan._build import is_audiogan_path
from audiogan.registry import lookup, registered_name, upgrade_config

#: Version of the saved classifier file layout.
CHECKPOINT_FORMAT = 1


def train_classifier(
    model: nn.Module,
    data: Dataset | DataLoader,
    epochs: int = 10,
    lr: float = 1e-3,
    device: torch.device | str | None = None,
    val_fraction: float = 0.1,
    path: str | Path | None = None,
    *,
    batch_size: int = 32,
    weight_decay: float = 0.0,
    seed: int = 0,
    class_names: Sequence[str] | None = None,
    keep_best: bool = True,
) -> tuple[nn.Module, dict[str, list[float]]]:
    """Train a classifier with cross-entropy and Adam on labelled features.

    Args:
        model: Classifier, ``forward(features) -> (batch, classes)`` logits (e.g. audiogan's
            ``RecurrentClassifier`` or ``ResNet9Classifier``). Trained in place.
        data: A dataset of ``(features, label)`` items, or a DataLoader of such batches. With a
            DataLoader and ``val_fraction > 0``, its dataset is split and reloaded with the
            loader's batch size, workers and collate function (a custom sampler is not kept).
        epochs: Passes over the training part.
        lr: Adam learning rate.
        device: Where to train; default the model's device.
        val_fraction: Share of the items held out (seeded random split) to report validation
            loss/accuracy each epoch; 0 trains on everything.
        path: If given, save the trained model there with :func:`save_classifier`.
        batch_size: Batch size when ``data`` is a dataset.
        weight_decay: Adam weight decay.
        seed: Seed of the split and the shuffling.
        class_names: Stored with the checkpoint (optional).
        keep_best: With validation, return (and save) the weights of the epoch with the best
            validation accuracy instead of the last.

    Returns:
        ``(model, history)``: the trained model (in eval mode) and per-epoch lists
        ``"train_loss"``, ``"train_accuracy"`` and, with validation, ``"val_loss"``,
        ``"val_accuracy"``.

    Raises:
        ValueError: If ``path`` is given but the model has no ``config`` dict (it could not be
            rebuilt), the arguments are out of range, or a label is outside the model's classes.
    """
    if path is not None and not isinstance(getattr(model, "config", None), dict):
        raise ValueError(
            f"model: {type(model).__name__} has no config dict, so it cannot be saved to {path}"
        )
    if epochs < 1:
        raise ValueError(f"epochs: expected >= 1, got {epochs}")
    if not 0.0 <= val_fraction < 1.0:
        raise ValueError(f"val_fraction: expected a value in [0, 1), got {val_fraction}")
    train_loader, val_loader = _loaders(data, val_fraction, batch_size, seed)
    if device is None:
        parameter = next(model.parameters(), None)
        device = parameter.device if parameter is not None else torch.device("cpu")
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    history: dict[str, list[float]] = {"train_loss": [], "train_accuracy": []}
    if val_loader is not None:
        history.update(val_loss=[], val_accuracy=[])
    best_accuracy, best_state = -math.inf, None
    for _ in range(epochs):
        model.train()
        totals = [0.0, 0, 0]  # loss sum, correct, count
        for features, labels in train_loader:
            x, y = features.to(device), _as_labels(labels).to(device)
            logits = model(x)
            _check_logits(logits, y)
            loss = nn.functional.cross_entropy(logits, y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            totals[0] += float(loss.detach()) * y.shape[0]
            totals[1] += int((logits.detach().argmax(dim=1) == y).sum())
            totals[2] += y.shape[0]
        history["train_loss"].append(totals[0] / totals[2])
        history["train_accuracy"].append(totals[1] / totals[2])
        if val_loader is not None:
            val_loss, val_accuracy = evaluate_classifier(model, val_loader, device)
            history["val_loss"].append(val_loss)
            history["val_accuracy"].append(val_accuracy)
            if keep_best and val_accuracy > best_accuracy:
                best_accuracy, best_state = val_accuracy, copy.deepcopy(model.state_dict())
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    if path is not None:
        save_classifier(model, path, history=history, class_names=class_names)
    return model, history


@torch.no_grad()
def evaluate_classifier(
    model: nn.Module, loader: DataLoader, device: torch.device | str | None = None
) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of ``model`` over a loader of ``(features, labels)`` batches.

    Returns:
        ``(loss, accuracy)``; NaN for both if the loader is empty.
    """
    if device is None:
        parameter = next(model.parameters(), None)
        device = parameter.device if parameter is not None else torch.device("cpu")
    was_training = model.training
    model.eval()
    loss_sum, correct, count = 0.0, 0, 0
    try:
        for features, labels in loader:
            x, y = features.to(device), _as_labels(labels).to(device)
            logits = model(x)
            _check_logits(logits, y)
            loss_sum += float(nn.functional.cross_entropy(logits, y, reduction="sum"))
            correct += int((logits.argmax(dim=1) == y).sum())
            count += y.shape[0]
    finally:
        model.train(was_training)
    if count == 0:
        return math.nan, math.nan
    return loss_sum / count, correct / count


def save_classifier(
    model: nn.Module,
    path: str | Path,
    *,
    history: dict[str, list[float]] | None = None,
    class_names: Sequence[str] | None = None,
) -> Path:
    """Save a classifier so that :func:`load_classifier` can rebuild it.

    The file (``torch.save``) holds the class's import path, ``model.config`` (its constructor
    arguments), the ``state_dict`` (on the CPU), and optionally the training history and class
    names. It loads with ``torch.load(..., weights_only=True)``.

    Args:
        model: A classifier with a ``config`` dict such that ``type(model)(**config)`` rebuilds it.
        path: Destination file; parent folders are created.
        history: Training history to store.
        class_names: Class names to store.

    Returns:
        The path written.
    """
    config = getattr(model, "config", None)
    if not isinstance(config, dict):
        raise ValueError(
            f"model: {type(model).__name__} has no config dict, so it cannot be rebuilt from a file"
        )
    cls = type(model)
    payload = {
        "format": CHECKPOINT_FORMAT,
        "class": _class_name(cls),
        "config": config,
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "history": history or {},
        "class_names": list(class_names) if class_names is not None else None,
    }
    path = Path(path)
    with atomic_path(path) as tmp:  # a process stopped while saving leaves no half a model
        torch.save(payload, tmp)
    return path


def train_or_load_classifier(
    path: str | Path,
    model: nn.Module,
    data: Dataset | DataLoader,
    **train_options: Any,
) -> tuple[nn.Module, bool]:
    """The classifier saved at ``path`` if it has ``model``'s settings, else ``model`` trained.

    Evaluation trains its reference classifier once and reuses it: the first call trains
    ``model`` with :func:`train_classifier` and saves it to ``path``; later calls load it.

    Args:
        path: Where the classifier is (or will be) saved.
        model: A fresh classifier with the wanted ``config``.
        data: Its training data (see :func:`train_classifier`).
        **train_options: Passed to :func:`train_classifier` (``epochs``, ``lr``, ``device``,
            ``val_fraction``, ``batch_size``, ``seed``, ``class_names`` ...).

    Returns:
        ``(classifier, loaded)``: ``loaded`` is True when it came from ``path``.

    Raises:
        ValueError: If ``path`` holds a classifier with other settings than ``model``'s.
    """
    path = Path(path)
    if path.is_file():
        stored = _read_classifier(path)
        if not _names_class(stored["class"], type(model)):
            raise ValueError(
                f"{path} holds a classifier with other settings (class {stored['class']})"
            )
        config = upgrade_config(type(model), stored["config"])
        differ = [k for k, v in getattr(model, "config", {}).items() if config.get(k) != v]
        if differ:
            raise ValueError(f"{path} holds a classifier with other settings ({', '.join(differ)})")
        return load_classifier(path, cls=type(model)), True
    trained, _ = train_classifier(model, data, path=path, **train_options)
    return trained, False


def load_classifier(
    path: str | Path, cls: type[nn.Module] | None = None, map_location: torch.device | str = "cpu"
) -> nn.Module:
    """Rebuild a classifier saved by :func:`save_classifier` / :func:`train_classifier`.

    The file is read with ``torch.load(..., weights_only=True)`` (tensors and plain containers
    only), and the class it names is imported only if it is an audiogan class (such as
    ``RecurrentClassifier`` or ``ResNet9Classifier``), like checkpoints (:mod:`audiogan._build`):
    a file cannot make audiogan import or call anything else. For a classifier of your own
    class, pass ``cls``; the class named in the file is then not imported at all.

    Args:
        path: The saved file.
        cls: The model class; default the audiogan class recorded in the file.
        map_location: Where to put the weights.

    Returns:
        The model, in eval mode. Its stored class names and history are in
        ``torch.load(path, weights_only=True)["class_names"]`` / ``["history"]``.

    Raises:
        ValueError: If the file is not a saved classifier, or names a class that is not an
            audiogan ``nn.Module`` class (pass ``cls=``).
    """
    path = Path(path)
    checkpoint = _read_classifier(path, map_location)
    if cls is None:
        cls = _import_class(checkpoint["class"], path)
    model = cls(**upgrade_config(cls, checkpoint["config"]))
    model.load_state_dict(checkpoint["state_dict"])
    return model.to(map_location).eval()


def _read_classifier(path: Path, map_location: torch.device | str = "cpu") -> dict[str, Any]:
    """The dict :func:`save_classifier` wrote, read with ``weights_only=True`` and checked."""
    if not path.is_file():
        raise ValueError(f"{path}: no such classifier file")
    try:
        checkpoint = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # truncated: RuntimeError; a pickle naming a global: UnpicklingError
        raise ValueError(f"{path}: cannot read the classifier file ({err})") from err
    if (
        not isinstance(checkpoint, dict)
        or not {"class", "config", "state_dict"} <= checkpoint.keys()
        or not isinstance(checkpoint["class"], str)
        or not isinstance(checkpoint["config"], dict)
        or not all(isinstance(k, str) for k in checkpoint["config"])
        or not isinstance(checkpoint["state_dict"], dict)
    ):
        raise ValueError(f"{path}: not a classifier saved by audiogan.metrics.save_classifier")
    return checkpoint


def _class_name(cls: type) -> str:
    """How :func:`save_classifier` records a class: its registered name (``"ResNet9Classifier"``,
    :mod:`audiogan.registry`), or ``module:qualname`` for a class that has none."""
    return registered_name(cls) or f"{cls.__module__}:{cls.__qualname__}"


def _names_class(name: str, cls: type) -> bool:
    """True when a classifier file's class ``name`` stands for ``cls`` (today's name or an old one)."""
    if name == _class_name(cls) or name == f"{cls.__module__}:{cls.__qualname__}":
        return True
    if ":" in name or registered_name(cls) is None:
        return False
    try:
        return lookup(name) is cls
    except ValueError:
        return False


def _import_class(name: str, path: Path) -> type[nn.Module]:
    """The audiogan class a classifier file names, imported only if it is one.

    A registered name (or an old one of :mod:`audiogan._aliases`) is looked up in
    :mod:`audiogan.registry`; a ``module:qualname`` (files written before the registry) is
    imported when it is inside ``audiogan``.
    """
    if ":" not in name:
        try:
            found = lookup(name)
        except ValueError as err:
            raise ValueError(
                f"{path}: names the classifier class {name!r}, which is not an audiogan class; "
                "only audiogan classes are imported from a file: pass cls= (your model class) "
                "instead"
            ) from err
        if not (isinstance(found, type) and issubclass(found, nn.Module)):
            raise ValueError(f"{path}: {name!r} is not an nn.Module class; pass cls= instead")
        return found
    module_name, _, qualname = name.partition(":")
    if not qualname or not is_audiogan_path(f"{module_name}.{qualname}"):
        raise ValueError(
            f"{path}: names the classifier class {name!r}, which is not an audiogan class; only "
            "audiogan classes are imported from a file: pass cls= (your model class) instead"
        )
    try:
        obj = importlib.import_module(module_name)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as err:
        raise ValueError(f"{path}: cannot import the classifier class {name!r}; pass cls=") from err
    if not (isinstance(obj, type) and issubclass(obj, nn.Module)):
        raise ValueError(
            f"{path}: {name!r} is not an nn.Module class; pass cls= (your model class) instead"
        )
    return obj


def _loaders(
    data: Dataset | DataLoader, val_fraction: float, batch_size: int, seed: int
) -> tuple[DataLoader, DataLoader | None]:
    """Training and validation loaders from a dataset or a loader (see :func:`train_classifier`)."""
    if isinstance(data, DataLoader) and val_fraction == 0.0:
        return data, None
    if isinstance(data, DataLoader):
        dataset = data.dataset
        options = {
            "batch_size": data.batch_size or batch_size,
            "num_workers": data.num_workers,
            "collate_fn": data.collate_fn,
        }
    else:
        dataset, options = data, {"batch_size": batch_size}
    n = len(dataset)
    n_val = int(round(n * val_fraction))
    if val_fraction > 0 and not 1 <= n_val < n:
        raise ValueError(
            f"val_fraction: {val_fraction} of {n} items leaves no training or no validation items"
        )
    generator = torch.Generator().manual_seed(seed)
    if n_val:
        train_set, val_set = random_split(dataset, [n - n_val, n_val], generator=generator)
    else:
        train_set, val_set = dataset, None
    train = DataLoader(train_set, shuffle=True, generator=generator, **options)
    val = DataLoader(val_set, shuffle=False, **options) if val_set is not None else None
    return train, val


def _as_labels(labels) -> torch.Tensor:
    """Batch labels as an int64 tensor."""
    return torch.as_tensor(labels).long().reshape(-1)


def _check_logits(logits: torch.Tensor, labels: torch.Tensor) -> None:
    """Check that logits are ``(batch, classes)`` and every label is a valid class."""
    if logits.dim() != 2 or logits.shape[0] != labels.shape[0]:
        raise ValueError(
            f"model: expected logits of shape ({labels.shape[0]}, classes), got {tuple(logits.shape)}"
        )
    if labels.min() < 0 or labels.max() >= logits.shape[1]:
        raise ValueError(
            f"labels: expected classes in 0..{logits.shape[1] - 1} (the model's outputs), "
            f"got {int(labels.min())}..{int(labels.max())}"
        )
