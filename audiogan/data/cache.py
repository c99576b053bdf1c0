"""A feature cache: a frontend's features for every item of a data set, in one memory-mapped file.

Layout of a cache folder::

    <path>/features.npy   # (num_items, *feature_shape) float16 or float32, a standard .npy file
    <path>/index.json     # format version, key, shape, dtype, labels, size of features.npy

The key is a SHA-256 of the frontend's class, ``config`` and state tensors (e.g. a fitted
:class:`~audiogan.frontends.logspec.LogSpectrogram`'s per-bin statistics), the data set's class
and ``cache_key()`` (for files: relative paths, sizes and mtimes), the storage dtype and the
format version. Opening a cache whose key, shape, dtype or file size differs rebuilds it; a stale
cache is never reused. Nothing in a cache folder is executed: ``index.json`` is plain JSON whose
fields are checked (a malformed index means a rebuild), and ``features.npy`` is mapped with
``allow_pickle=False`` (an object array in it means a rebuild).

Writes are atomic: the old index is removed first, features go to a temporary file that is
flushed, fsync'ed and renamed, and the index is written (the same way) last. A crash at any point
leaves either no index or a complete, matching cache.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.lib.format import open_memmap
from torch.utils.data import DataLoader, Dataset
from tqdm.auto import tqdm

from audiogan._atomic import atomic_path, fsync_path
from audiogan.protocols import CacheableDataset, Frontend

logger = logging.getLogger(__name__)

#: Bumped whenever the layout or the key's recipe changes; older caches are rebuilt.
FORMAT_VERSION = 1
FEATURES_FILE = "features.npy"
INDEX_FILE = "index.json"
_DTYPES = {"float16": np.float16, "float32": np.float32}


def _dtype_name(dtype: str | torch.dtype | type | np.dtype) -> str:
    if isinstance(dtype, torch.dtype):
        name = str(dtype).removeprefix("torch.")
    else:
        try:
            name = np.dtype(dtype).name
        except TypeError as err:
            raise ValueError(
                f"FeatureCache: dtype must be 'float16' or 'float32', got {dtype!r}"
            ) from err
    if name not in _DTYPES:
        raise ValueError(f"FeatureCache: dtype must be 'float16' or 'float32', got {dtype!r}")
    return name


def _state_digest(frontend: Any) -> str:
    """SHA-256 over the names, dtypes, shapes and bytes of the frontend's state tensors."""
    h = hashlib.sha256()
    state = frontend.state_dict() if callable(getattr(frontend, "state_dict", None)) else {}
    for name in sorted(state):
        value = state[name]
        if not isinstance(value, torch.Tensor):
            h.update(f"{name}={value!r};".encode())
            continue
        t = value.detach().cpu().contiguous()
        h.update(f"{name}:{t.dtype}:{tuple(t.shape)};".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def cache_key(dataset: CacheableDataset, frontend: Frontend, dtype: str = "float16") -> str:
    """The key of a (data set, frontend, dtype) cache: a SHA-256 hex digest.

    Raises:
        TypeError: If the data set has no ``cache_key()`` method, the frontend no ``config``,
            or either is not JSON-able.
    """
    key_fn = getattr(dataset, "cache_key", None)
    if not callable(key_fn):
        raise TypeError(
            f"FeatureCache: the dataset ({type(dataset).__name__}) has no cache_key() method. FeatureCache needs "
            "cache_key() -> dict, a JSON-able identity of the data set's content and loading parameters "
            "(for files: relative paths with size and mtime), to detect a stale cache; audiogan datasets have one"
        )
    config = getattr(frontend, "config", None)
    if not isinstance(config, dict):
        raise TypeError(
            f"FeatureCache: the frontend ({type(frontend).__name__}) has no `config` dict of its constructor "
            "arguments, which the cache key needs"
        )
    frontend_type = type(frontend)
    dataset_type = type(dataset)
    identity = {
        "format_version": FORMAT_VERSION,
        "frontend": f"{frontend_type.__module__}.{frontend_type.__qualname__}",
        "frontend_config": config,
        "frontend_state": _state_digest(frontend),
        "dataset": f"{dataset_type.__module__}.{dataset_type.__qualname__}",
        "dataset_key": key_fn(),
        "dtype": _dtype_name(dtype),
    }
    try:
        text = json.dumps(identity, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"FeatureCache: dataset.cache_key() and frontend.config must be JSON-able ({err})"
        ) from err
    return hashlib.sha256(text.encode()).hexdigest()


def _index_problem(index: Any, num_items: int) -> str | None:
    """What is wrong with the shape of a parsed ``index.json``, or None.

    The index is data only: nothing in it is imported or called. Its ``labels`` and
    ``item_shape`` are used as they are, so they must be what :meth:`FeatureCache._build`
    writes: ``num_items`` non-negative ints (or null), and a list of non-negative ints.
    """
    if not isinstance(index, dict):
        return f"a JSON {type(index).__name__}, not an object"
    shape = index.get("item_shape")
    if not isinstance(shape, list) or not all(_is_count(n) for n in shape):
        return f"item_shape must be a list of non-negative ints, got {shape!r:.80}"
    labels = index.get("labels")
    if labels is not None and (
        not isinstance(labels, list)
        or len(labels) != num_items
        or not all(_is_count(y) for y in labels)
    ):
        return f"labels must be null or {num_items} non-negative ints, got {labels!r:.80}"
    return None


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _collate(items: list[Any]) -> tuple[torch.Tensor, list[int] | None]:
    """Stack ``wave`` or ``(wave, label)`` items into ``(batch, ..., time)`` and a label list."""
    waves, labels = [], []
    for item in items:
        if isinstance(item, (tuple, list)):
            waves.append(torch.as_tensor(item[0]))
            labels.append(int(item[1]))
        else:
            waves.append(torch.as_tensor(item))
    if labels and len(labels) != len(waves):
        raise ValueError("FeatureCache: the dataset mixes (wave, label) items and bare waves")
    shapes = sorted({tuple(w.shape) for w in waves})
    if len(shapes) > 1:
        raise ValueError(
            f"FeatureCache: items of one batch have different shapes {shapes}; give the dataset a fixed "
            "num_samples or use batch_size=1"
        )
    return torch.stack(waves), (labels or None)


def _has_mono_axis(feats: Any, feature_shape: Any) -> bool:
    """Whether ``feats`` is ``(batch, 1, *feature_shape)``: encoded mono items with their channel
    axis still in front (``None`` entries of ``feature_shape`` match any size)."""
    if feature_shape is None or not isinstance(feats, torch.Tensor):
        return False
    want = (1, *tuple(feature_shape))
    got = tuple(feats.shape[1:])
    return len(got) == len(want) and all(
        w is None or w == g for w, g in zip(want, got, strict=True)
    )


def _frontend_device(frontend: Any) -> torch.device:
    if isinstance(frontend, torch.nn.Module):
        for t in (*frontend.buffers(), *frontend.parameters()):
            return t.device
    return torch.device("cpu")


class FeatureCache(Dataset):
    """Precomputed ``frontend.encode`` of every item of a data set, read from a memory map.

    The first open encodes the data set batch by batch (on ``device``) and writes the cache
    folder; later opens with the same key only map the file: ``__getitem__`` is a slice of the
    memory map (the fast path of the conditional WGAN-GP recipe). A changed file, frontend
    config or fitted frontend state gives a different key and the cache is rebuilt.

    Items are encoded as they come, in batches. When the encoded items have one axis of size 1
    in front of the frontend's ``feature_shape`` (mono items ``(1, time)``, what
    :class:`~audiogan.data.AudioFolder` yields, encoded to ``(1, 1, n_mels, frames)``), that
    axis is dropped, so each cached item has the frontend's ``feature_shape``, e.g. ``(1,
    n_mels, frames)``, and batches are ``(batch, 1, n_mels, frames)`` as critics expect.

    Args:
        dataset: Items ``(wave (..., time), label_int)`` or ``wave``; must have ``cache_key()``
            (see :class:`~audiogan.protocols.CacheableDataset`).
        frontend: Has ``encode(wave (batch, ..., time)) -> (batch, ..., *feature_shape)``,
            ``feature_shape`` and ``config`` (see :class:`~audiogan.protocols.Frontend`).
        path: Cache folder (created); holds ``features.npy`` and ``index.json``.
        batch_size: Items encoded at once.
        device: Where to encode (default: the frontend's device). The frontend is copied there;
            the object passed in is not moved.
        dtype: Storage dtype, ``"float16"`` (half the disk and page cache) or ``"float32"``.
        rebuild: Rebuild even if a valid cache exists.
        progress: Show a tqdm bar while building.
        num_workers: DataLoader workers that load items while building.
        lazy: When the cache must be (re)built, do it on first access to an item (or
            :meth:`build`) instead of now, so that opening writes nothing: a recipe opens its
            data, checks that the run folder's checkpoint fits its models, and only then
            writes. Call :meth:`build` before handing a lazy cache to a DataLoader with workers.

    The build runs with the Python, NumPy and torch generators seeded and restored around it
    (:func:`~audiogan.train.seeding.forked_rng`), so building a cache neither depends on nor
    disturbs the random stream of the program around it: a run draws the same weights and data
    order whether its cache had to be built or not.

    Raises:
        TypeError: If the data set has no ``cache_key()`` or the frontend no ``config``.
        ValueError: If the data set is empty, or ``encode`` returns non-finite values or
            inconsistent shapes.

    Example:
        Log-mels ``(1, 16, 16)`` of the built-in sounds (one clip per class); the second open
        of the same folder only maps the file:

        >>> from audiogan.data import SyntheticSounds
        >>> from audiogan.frontends import LogMel
        >>> frontend = LogMel(n_mels=16, frames=16)
        >>> data = SyntheticSounds(clips_per_class=1, num_samples=frontend.num_samples_for_frames())
        >>> cache = FeatureCache(data, frontend, "cache/train", progress=False)
        >>> features, label = cache[0]
        >>> features.shape, features.dtype, label, len(cache)
        (torch.Size([1, 16, 16]), torch.float32, 0, 5)
        >>> len(FeatureCache(data, frontend, "cache/train", progress=False))
        5
    """

    def __init__(
        self,
        dataset: CacheableDataset,
        frontend: Frontend,
        path: str | os.PathLike,
        batch_size: int = 32,
        device: torch.device | str | None = None,
        dtype: str | torch.dtype = "float16",
        rebuild: bool = False,
        progress: bool = True,
        num_workers: int = 0,
        lazy: bool = False,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"FeatureCache: batch_size must be >= 1, got {batch_size}")
        self.path = Path(path)
        self.features_path = self.path / FEATURES_FILE
        self.index_path = self.path / INDEX_FILE
        self.dtype = _dtype_name(dtype)
        self.key = cache_key(dataset, frontend, self.dtype)
        self.classes: list[str] | None = getattr(dataset, "classes", None)
        self._memmap_array: np.ndarray | None = None

        self._len = len(dataset)
        self._pending: tuple[Any, ...] | None = None
        index = None if rebuild else self._valid_index(self._len)
        self.built = False  # True once this object has (re)built the cache
        if index is None:
            self._pending = (dataset, frontend, batch_size, device, progress, num_workers)
            if not lazy:
                self.build()
        else:
            self._open(index)

    def _open(self, index: dict[str, Any]) -> None:
        self._labels: list[int] | None = index["labels"]
        self._feature_shape: tuple[int, ...] = tuple(index["item_shape"])
        self._len = int(index["num_items"])

    def build(self) -> FeatureCache:
        """Build the cache now if it is pending (see ``lazy``); a no-op when it is on disk."""
        if self._pending is not None:
            from audiogan.train.seeding import forked_rng  # train imports data: import late

            if torch.utils.data.get_worker_info() is not None:
                raise RuntimeError(
                    f"FeatureCache {self.path}: a lazy cache was handed to DataLoader workers "
                    "before it was built; call build() first"
                )
            with forked_rng(0):
                index = self._build(*self._pending)
            self._pending, self.built = None, True
            self._open(index)
        return self

    @property
    def labels(self) -> list[int] | None:
        """The items' integer labels, or None for unlabelled data."""
        if self._pending is not None:
            source_labels = getattr(self._pending[0], "labels", None)
            if source_labels is not None:
                return [int(y) for y in source_labels]
            self.build()
        return self._labels

    @property
    def feature_shape(self) -> tuple[int, ...]:
        """The shape of one cached item."""
        self.build()
        return self._feature_shape

    # -- reading ---------------------------------------------------------------------------

    def _valid_index(self, num_items: int) -> dict[str, Any] | None:
        """The index if the cache on disk is complete and matches ``self.key``, else None."""
        reason = None
        try:
            index = json.loads(self.index_path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as err:
            reason, index = f"unreadable index ({err})", None
        if index is not None and (problem := _index_problem(index, num_items)) is not None:
            reason, index = f"malformed index ({problem})", None
        if index is not None:
            if index.get("format_version") != FORMAT_VERSION:
                reason = f"format version {index.get('format_version')} != {FORMAT_VERSION}"
            elif index.get("key") != self.key:
                reason = "the data set, frontend or dtype changed (key differs)"
            elif index.get("num_items") != num_items:
                reason = f"{index.get('num_items')} items cached, the data set has {num_items}"
            elif not self.features_path.is_file() or self.features_path.stat().st_size != index.get(
                "features_bytes"
            ):
                reason = f"{self.features_path} is missing or has the wrong size"
            else:
                try:
                    arr = np.load(self.features_path, mmap_mode="r", allow_pickle=False)
                except (OSError, ValueError) as err:
                    arr, reason = None, f"{self.features_path} is unreadable ({err})"
                if arr is not None and (
                    arr.shape != (num_items, *index["item_shape"]) or arr.dtype.name != self.dtype
                ):
                    reason = f"{self.features_path} holds {arr.shape} {arr.dtype}, the index says otherwise"
        if reason is not None:
            logger.info("FeatureCache %s is stale, rebuilding: %s", self.path, reason)
            return None
        return index

    def _memmap(self) -> np.ndarray:
        self.build()
        if self._memmap_array is None:
            self._memmap_array = np.load(self.features_path, mmap_mode="r", allow_pickle=False)
        return self._memmap_array

    def __len__(self) -> int:
        return self._len

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int] | torch.Tensor:
        """``(features (*feature_shape) float32, label)``, or ``features`` for unlabelled data."""
        features = torch.from_numpy(np.array(self._memmap()[index])).float()  # torch: fast f16
        if self._labels is None:
            return features
        return features, self._labels[index]

    def __getitems__(self, indices: list[int]) -> list[tuple[torch.Tensor, int] | torch.Tensor]:
        """The items of ``indices`` from one read of the memory map (a DataLoader's batch).

        :class:`~torch.utils.data.DataLoader` calls this instead of ``__getitem__`` once per
        item: one fancy-indexed read and one float32 conversion for the batch, then the same
        items as ``[self[i] for i in indices]``.
        """
        rows = np.asarray(indices, dtype=np.int64)
        block = torch.from_numpy(np.asarray(self._memmap()[rows])).float()  # 4x numpy's f16->f32
        features = list(block.unbind(0))
        if self._labels is None:
            return features
        return [(x, self._labels[i]) for x, i in zip(features, indices, strict=True)]

    def __getstate__(self) -> dict[str, Any]:
        self.build()  # a worker process must never build (spawned workers pickle the cache)
        state = self.__dict__.copy()
        state["_memmap_array"] = None  # each DataLoader worker maps the file itself
        return state

    # -- building --------------------------------------------------------------------------

    def _build(
        self,
        dataset: CacheableDataset,
        frontend: Frontend,
        batch_size: int,
        device: torch.device | str | None,
        progress: bool,
        num_workers: int,
    ) -> dict[str, Any]:
        num_items = len(dataset)
        if num_items == 0:
            raise ValueError(
                f"FeatureCache: the dataset ({type(dataset).__name__}) is empty; nothing to cache"
            )
        self.path.mkdir(parents=True, exist_ok=True)
        self._memmap_array = None
        # Invalidate first: from here on no valid cache exists until the new index is in place.
        self.index_path.unlink(missing_ok=True)
        fsync_path(self.path)

        target = torch.device(device) if device is not None else _frontend_device(frontend)
        if isinstance(frontend, torch.nn.Module) and _frontend_device(frontend) != target:
            frontend = copy.deepcopy(frontend).to(target)

        loader = DataLoader(
            dataset,
            batch_size=batch_size,
            shuffle=False,
            num_workers=num_workers,
            collate_fn=_collate,
        )
        feature_shape = getattr(frontend, "feature_shape", None)
        out: np.ndarray | None = None
        labels: list[int] | None = None
        item_shape: tuple[int, ...] = ()
        start = 0
        with atomic_path(self.features_path) as tmp_features:
            with tqdm(
                total=num_items,
                unit="item",
                desc=f"caching features in {self.path}",
                disable=not progress,
            ) as bar:
                for waves, batch_labels in loader:
                    with torch.no_grad():
                        feats = frontend.encode(waves.to(target))
                    if _has_mono_axis(feats, feature_shape):
                        feats = feats[:, 0]  # (batch, 1, *feature_shape) -> (batch, *feature_shape)
                    if (
                        not isinstance(feats, torch.Tensor)
                        or feats.dim() < 1
                        or feats.shape[0] != waves.shape[0]
                    ):
                        got = (
                            tuple(feats.shape)
                            if isinstance(feats, torch.Tensor)
                            else type(feats).__name__
                        )
                        raise ValueError(
                            f"FeatureCache: encode of {waves.shape[0]} items returned {got}"
                        )
                    if not torch.isfinite(feats).all():
                        raise ValueError(
                            f"FeatureCache: encode gave NaN/inf for items {start}..{start + len(feats) - 1}"
                        )
                    if out is None:
                        item_shape = tuple(feats.shape[1:])
                        out = open_memmap(
                            tmp_features,
                            mode="w+",
                            dtype=_DTYPES[self.dtype],
                            shape=(num_items, *item_shape),
                        )
                        labels = [] if batch_labels is not None else None
                    if tuple(feats.shape[1:]) != item_shape:
                        raise ValueError(
                            f"FeatureCache: items {start}.. encode to {tuple(feats.shape[1:])}, earlier ones to {item_shape}"
                        )
                    if (batch_labels is None) != (labels is None):
                        raise ValueError(
                            "FeatureCache: the dataset mixes (wave, label) items and bare waves"
                        )
                    out[start : start + len(feats)] = (
                        feats.detach().to("cpu", torch.float32).numpy()
                    )
                    if labels is not None and batch_labels is not None:
                        labels.extend(batch_labels)
                    start += len(feats)
                    bar.update(len(feats))
            if start != num_items:
                raise ValueError(
                    f"FeatureCache: the dataset yielded {start} items, len() says {num_items}"
                )
            assert out is not None
            out.flush()
            del out  # unmap before the rename
        index = {
            "format_version": FORMAT_VERSION,
            "key": self.key,
            "num_items": num_items,
            "item_shape": list(item_shape),
            "dtype": self.dtype,
            "features_bytes": self.features_path.stat().st_size,
            "frontend": type(frontend).__name__,
            "frontend_config": getattr(frontend, "config", None),
            "labels": labels,
        }
        with atomic_path(self.index_path) as tmp_index:  # the index last: now the cache is valid
            tmp_index.write_text(json.dumps(index))
        return index
