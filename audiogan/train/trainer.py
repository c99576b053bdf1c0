"""The GAN training loop: n critic steps per generator step, precision, EMA, checkpoints, DDP.

One training step (:meth:`Trainer.train_step`) reads top to bottom::

    for each of the n_critic real batches:          # critic phase
        fake   = G(z, labels)                       # fresh latent, no grad
        d_loss = objective.critic_loss(D(real), D(fake)) [+ penalty(D, real, fake, labels)]
        update D (GradScaler, grad clip, weight clip)
    fake   = G(z, labels)                           # generator phase: fresh latent
    g_loss = objective.generator_loss(D(fake))
    update G, then the EMA copy of G

Losses and penalty values go to one sink, :attr:`Trainer.metrics` (latest step) and
:attr:`Trainer.history` (one dict per step), which callbacks read.
"""

from __future__ import annotations

import contextlib
import logging
import math
import signal
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader

from audiogan.train.callback import Callback, LambdaCallback
from audiogan.train.checkpoint import (
    atomic_save,
    capture_rng_state,
    checkpoint_path,
    class_path,
    forked_rng,
    latest_checkpoint,
    list_checkpoints,
    load_checkpoint,
    module_spec,
    prune_checkpoints,
    restore_rng_state,
    seed_everything,
)
from audiogan.train.distributed import (
    all_reduce_min,
    destroy_distributed,
    dist_env,
    distributed_loader,
    init_distributed,
    is_distributed,
)
from audiogan.train.ema import EMA
from audiogan.train.layout import to_channels_last, to_channels_last_
from audiogan.train.precision import Precision, PrecisionName

__all__ = ["NonFiniteLossError", "Trainer"]

log = logging.getLogger(__name__)

#: ``(features (batch, *feature_shape), labels (batch,) or None)`` on the training device.
Batch = tuple[torch.Tensor, torch.Tensor | None]
#: An optimizer over the module's parameters, a factory ``params -> Optimizer``, or None (Adam).
OptimizerArg = (
    torch.optim.Optimizer | Callable[[Iterable[nn.Parameter]], torch.optim.Optimizer] | None
)

CHECKPOINT_VERSION = 1
_END = object()


class NonFiniteLossError(FloatingPointError):
    """A loss became NaN or infinite. The message names the step and the loss."""


def _resolve_device(device: str | torch.device, local_rank: int, distributed: bool) -> torch.device:
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(device)
    if device.type == "cuda" and device.index is None:
        device = torch.device("cuda", local_rank if distributed else torch.cuda.current_device())
    return device


def _make_optimizer(
    arg: Any, module: nn.Module, lr: float, betas: tuple[float, float], name: str
) -> torch.optim.Optimizer:
    """Adam(lr, betas) by default; an optimizer instance as is; a factory called on the parameters."""
    if arg is None:
        return torch.optim.Adam(module.parameters(), lr=lr, betas=betas)
    if isinstance(arg, torch.optim.Optimizer):
        owned = {id(p) for p in module.parameters()}
        theirs = [p for group in arg.param_groups for p in group["params"]]
        if not theirs or any(id(p) not in owned for p in theirs):
            raise ValueError(
                f"Trainer: {name} must optimize the {name[0]} model's own parameters "
                f"({'generator' if name[0] == 'g' else 'critic'}); it holds parameters of another module"
            )
        return arg
    if callable(arg):
        opt = arg(module.parameters())
        if not isinstance(opt, torch.optim.Optimizer):
            raise ValueError(
                f"Trainer: {name} factory must return a torch.optim.Optimizer, got {type(opt).__name__}"
            )
        return opt
    raise ValueError(
        f"Trainer: {name} must be None, an Optimizer or a callable params -> Optimizer, got {type(arg).__name__}"
    )


def _has_spectral_norm(module: nn.Module) -> bool:
    for m in module.modules():
        params = getattr(m, "parametrizations", None)
        if params is not None and any(
            type(p).__name__ == "_SpectralNorm" for plist in params.values() for p in plist
        ):
            return True
        if any(
            isinstance(h, torch.nn.utils.spectral_norm.SpectralNorm)
            for h in m._forward_pre_hooks.values()
        ):
            return True
    return False


def _warn_if_batchnorm(critic: nn.Module) -> None:
    try:
        from audiogan.nn.init import warn_if_batchnorm
    except ImportError:
        norms = [
            type(m).__name__
            for m in critic.modules()
            if isinstance(m, nn.modules.batchnorm._BatchNorm)
        ]
        if norms:
            warnings.warn(
                f"Trainer: the critic {type(critic).__name__} has {norms[0]} layers but is trained with a "
                "gradient penalty; batch normalization mixes samples and breaks the per-sample gradient "
                "norm. Use layer/instance norm or none in the critic.",
                UserWarning,
                stacklevel=3,
            )
        return
    warn_if_batchnorm(critic)


class Trainer:
    """Train a generator against a critic with any objective and penalty meeting the contracts.

    Each generator step runs ``n_critic`` critic steps, each with a **fresh real batch** from
    the loader and a fresh fake batch, then one generator step on a fresh fake batch: one
    generator step consumes ``n_critic`` loader batches (the WGAN-GP algorithm of Gulrajani et
    al. 2017; seeds 001 and 004 use 5). Leftover batches at the end of an epoch (fewer than
    ``n_critic``) are dropped. Labels pass through when the loader yields ``(x, labels)``; the
    generator step conditions on the labels of the group's last real batch.

    Args:
        generator: ``sample_latent(n, device=, generator=)`` and ``forward(z, labels=None)
            -> (batch, *feature_shape)``; ``num_classes`` (0 = unconditional).
        critic: ``forward(x, labels=None) -> (batch,)`` raw scores.
        objective: ``critic_loss(real_scores, fake_scores)`` and ``generator_loss(fake_scores)``.
        penalty: Critic regularizer ``penalty(critic, real, fake, labels, scaler) -> ()`` with an
            ``interval`` (applied on critic steps where ``critic_step % interval == 0``), or None.
        g_optimizer: None (Adam with ``g_lr``, ``betas``), an optimizer over the generator's
            parameters, or a factory ``params -> Optimizer``.
        d_optimizer: The same for the critic.
        g_lr: Generator learning rate of the default Adam (seed 001: 1e-4; TTUR, seed 002: 2e-4).
        d_lr: Critic learning rate of the default Adam (seed 001: 1e-4; seed 002: 2e-5).
        betas: Adam betas of the defaults ((0.5, 0.9), the WGAN-GP paper's).
        n_critic: Critic steps per generator step (5 for WGAN-GP, 1 for BCE GANs).
        precision: ``"32"``, ``"bf16"`` (autocast, no scaler) or ``"16"`` (CUDA: autocast and one
            GradScaler each for G and D; the critic's goes to the penalty).
        ema: None, an EMA decay (e.g. 0.999) or an :class:`~audiogan.train.ema.EMA` of the
            generator; updated every generator step and used for sampling.
        grad_clip: Max global gradient norm for G and D, or None.
        weight_clip: Clamp the critic's parameters to ``[-c, c]`` after each critic step (the
            original WGAN's Lipschitz constraint), or None.
        channels_last: Keep the models' conv weights and each batch in channels-last layout
            (4-D and 5-D); often faster for conv models (see benchmarks/bench_train_step.py).
        preprocess: A frontend (``encode``) or callable run on each device batch under
            ``torch.no_grad`` in float32, e.g. waveforms -> log-mel; None to train on the
            loader's tensors.
        callbacks: :class:`~audiogan.train.callback.Callback` objects, or callables
            ``fn(trainer)`` run after every step.
        out_dir: Run folder; checkpoints go to ``out_dir/checkpoints``.
        device: ``"auto"`` (CUDA when available, ``cuda:LOCAL_RANK`` under torchrun), or a device.
        seed: Seeds Python, NumPy and torch at the start of a fresh ``fit`` (plus the rank under
            torchrun) and each epoch's data order.
        keep_checkpoints: How many checkpoints to keep in ``out_dir/checkpoints``.
        on_nan: ``"raise"``: a NaN/inf loss stops training with :class:`NonFiniteLossError`
            (no checkpoint is written, so the last good one stays); ``"skip"``: that update is
            skipped and counted in ``metrics["skipped_steps"]``.
        metadata: JSON-able dict stored in every checkpoint (class names, frontend spec...). When
            ``preprocess`` has a ``config``, ``metadata["frontend"]`` is filled with its
            :func:`~audiogan.train.checkpoint.module_spec` unless given.

    Attributes:
        step: Generator steps done.
        epoch: Epochs completed (full passes over the loader).
        metrics: The latest step's scalars: ``d_loss``, ``g_loss``, ``real_score``,
            ``fake_score``, ``penalty`` and ``grad_norm`` (when a penalty ran), ``skipped_steps``.
        history: One dict per step, ``{"step", "epoch", **metrics}``.
        generator: The generator (never DDP-wrapped). critic: The critic.
        ema: The :class:`~audiogan.train.ema.EMA` of the generator, or None.
        out_dir: The run folder. device: The training device.
        interrupted: True after Ctrl-C ended ``fit``.
        last_checkpoint: The newest checkpoint written or loaded, or None.

    Example:
        >>> trainer = Trainer(G, D, Wasserstein(), GradientPenalty(10.0), n_critic=5,
        ...                   out_dir="runs/wgan", ema=0.999)  # doctest: +SKIP
        >>> trainer.fit(loader, epochs=100)  # doctest: +SKIP
    """

    def __init__(
        self,
        generator: nn.Module,
        critic: nn.Module,
        objective: Any,
        penalty: Any = None,
        *,
        g_optimizer: OptimizerArg = None,
        d_optimizer: OptimizerArg = None,
        g_lr: float = 1e-4,
        d_lr: float = 1e-4,
        betas: tuple[float, float] = (0.5, 0.9),
        n_critic: int = 1,
        precision: PrecisionName | int = "32",
        ema: float | EMA | None = None,
        grad_clip: float | None = None,
        weight_clip: float | None = None,
        channels_last: bool = False,
        preprocess: Callable[[torch.Tensor], torch.Tensor] | None = None,
        callbacks: Iterable[Callback | Callable[[Trainer], None]] = (),
        out_dir: str | Path = "runs/audiogan",
        device: str | torch.device = "auto",
        seed: int = 0,
        keep_checkpoints: int = 3,
        on_nan: Literal["raise", "skip"] = "raise",
        metadata: dict[str, Any] | None = None,
    ) -> None:
        if isinstance(n_critic, bool) or not isinstance(n_critic, int) or n_critic < 1:
            raise ValueError(f"Trainer: n_critic must be an integer >= 1, got {n_critic!r}")
        if on_nan not in ("raise", "skip"):
            raise ValueError(f"Trainer: on_nan must be 'raise' or 'skip', got {on_nan!r}")
        if keep_checkpoints < 1:
            raise ValueError(f"Trainer: keep_checkpoints must be >= 1, got {keep_checkpoints}")
        for name, value in (("grad_clip", grad_clip), ("weight_clip", weight_clip)):
            if value is not None and not (math.isfinite(value) and value > 0):
                raise ValueError(
                    f"Trainer: {name} must be a positive number or None, got {value!r}"
                )
        if metadata is not None and not isinstance(metadata, dict):
            raise ValueError(f"Trainer: metadata must be a dict, got {type(metadata).__name__}")
        for name, part, methods in (
            ("objective", objective, ("critic_loss", "generator_loss")),
            ("generator", generator, ("sample_latent",)),
        ):
            missing = [m for m in methods if not callable(getattr(part, m, None))]
            if missing:
                raise ValueError(
                    f"Trainer: the {name} {type(part).__name__} has no {', '.join(missing)}()"
                )
        if penalty is not None and not callable(penalty):
            raise ValueError(
                f"Trainer: penalty must be callable(critic, real, fake, labels, scaler), got {penalty!r}"
            )

        self._env = dist_env()
        self.device = _resolve_device(device, self._env.local_rank, self._env.enabled)
        self.precision = Precision(precision, self.device)
        if self.device.type == "cuda":
            torch.backends.cudnn.benchmark = (
                True  # fixed shapes: let cuDNN pick the fastest kernels
            )

        self.generator = generator.to(self.device)
        self.critic = critic.to(self.device)
        self.channels_last = bool(channels_last)
        if self.channels_last:
            to_channels_last_(self.generator)
            to_channels_last_(self.critic)
        self._g: nn.Module = (
            self.generator
        )  # what the step calls: DDP-wrapped during a distributed fit
        self._d: nn.Module = self.critic
        self.objective = objective
        self.penalty = penalty
        self.g_optimizer = _make_optimizer(g_optimizer, self.generator, g_lr, betas, "g_optimizer")
        self.d_optimizer = _make_optimizer(d_optimizer, self.critic, d_lr, betas, "d_optimizer")
        self.g_scaler = self.precision.scaler()
        self.d_scaler = self.precision.scaler()
        if ema is None or isinstance(ema, EMA):
            self.ema = ema.to(self.device) if ema is not None else None
        else:
            self.ema = EMA(self.generator, decay=float(ema)).to(self.device)
        self.n_critic = n_critic
        self.grad_clip = grad_clip
        self.weight_clip = weight_clip
        if isinstance(preprocess, nn.Module):
            preprocess = preprocess.to(self.device)
        self.preprocess = preprocess
        self.callbacks: list[Callback] = [
            cb if isinstance(cb, Callback) else LambdaCallback(cb, every=1, unit="step")
            for cb in callbacks
        ]
        self.out_dir = Path(out_dir)
        self.seed = int(seed)
        self.keep_checkpoints = keep_checkpoints
        self.on_nan = on_nan
        self.metadata: dict[str, Any] = dict(metadata or {})
        if (
            preprocess is not None
            and getattr(preprocess, "config", None) is not None
            and "frontend" not in self.metadata
        ):
            self.metadata["frontend"] = module_spec(preprocess)

        self.step = 0
        self.epoch = 0
        self.critic_steps = 0
        self.skipped_steps = 0
        self.metrics: dict[str, float] = {}
        self.history: list[dict[str, float]] = []
        self.interrupted = False
        self.total_steps: int | None = None
        self.last_checkpoint: Path | None = None
        self._batch_in_epoch = 0  # loader batches consumed in the current epoch (for exact resume)
        self._started = False
        self._checked = False
        self._stop_requested = False

        if getattr(objective, "needs_lipschitz", False) and penalty is None and weight_clip is None:
            if not _has_spectral_norm(critic):
                warnings.warn(
                    f"Trainer: {type(objective).__name__} needs a Lipschitz critic, but there is no penalty "
                    "(e.g. GradientPenalty), no weight_clip and no spectral norm in the critic; its "
                    "scores can grow without bound",
                    UserWarning,
                    stacklevel=2,
                )
        if penalty is not None:
            _warn_if_batchnorm(critic)

    # ------------------------------------------------------------------ properties

    @property
    def is_main_process(self) -> bool:
        """True on rank 0 (always outside torchrun): the process that writes files."""
        return self._env.rank == 0

    @property
    def rank(self) -> int:
        """This process's rank under torchrun (0 otherwise)."""
        return self._env.rank

    @property
    def sampling_generator(self) -> nn.Module:
        """The generator to sample from: the EMA copy when present, else the generator itself."""
        return self.ema.module if self.ema is not None else self.generator

    @property
    def checkpoint_dir(self) -> Path:
        """``out_dir/checkpoints``."""
        return self.out_dir / "checkpoints"

    # ------------------------------------------------------------------ the step

    def train_step(self, batches: Sequence[Batch]) -> dict[str, float]:
        """One generator step: a critic step per real batch, then a generator step.

        Args:
            batches: ``n_critic`` pairs ``(real (batch, *feature_shape), labels (batch,) or None)``
                already on :attr:`device` (and preprocessed).

        Returns:
            The step's scalars (also stored in :attr:`metrics`): mean ``d_loss``, ``real_score``
            and ``fake_score`` over the critic steps, mean ``penalty`` (and ``grad_norm``) over
            the critic steps that applied it, ``g_loss``, ``skipped_steps`` (running count).

        Raises:
            NonFiniteLossError: If a loss is NaN/inf and ``on_nan="raise"``.
        """
        autocast = self.precision.autocast
        d_losses, real_means, fake_means, penalties, grad_norms = [], [], [], [], []

        # ---- critic phase: one update per real batch, each against a fresh fake batch
        for k, (real, labels) in enumerate(batches):
            with torch.no_grad(), autocast():
                fake = self._generate(real.shape[0], labels)  # (batch, *feature_shape)
            if not self._checked:
                self._check_fake(real, fake)
            with autocast():
                real_scores = self._score(real, labels, real.shape, fake.shape)  # (batch,)
                fake_scores = self._score(fake, labels, real.shape, fake.shape)  # (batch,)
                d_loss = self.objective.critic_loss(real_scores, fake_scores)
                penalty = None
                if (
                    self.penalty is not None
                    and self.critic_steps % getattr(self.penalty, "interval", 1) == 0
                ):
                    scaler = self.d_scaler if self.d_scaler.is_enabled() else None
                    penalty = self.penalty(self._d, real, fake, labels, scaler)
            total = d_loss if penalty is None else d_loss + penalty
            self.critic_steps += 1
            d_losses.append(d_loss.detach().float())
            real_means.append(real_scores.detach().float().mean())
            fake_means.append(fake_scores.detach().float().mean())
            if penalty is not None:
                penalties.append(penalty.detach().float())
                if getattr(self.penalty, "last_grad_norm", None) is not None:
                    grad_norms.append(self.penalty.last_grad_norm.detach().float())
            if self._finite(
                total, f"critic loss (critic step {k + 1} of {len(batches)})", d_loss, penalty
            ):
                self._update(total, self.d_optimizer, self.d_scaler, self.critic)
                if self.weight_clip is not None:
                    with torch.no_grad():
                        for p in self.critic.parameters():
                            p.clamp_(-self.weight_clip, self.weight_clip)
            self._checked = True

        # ---- generator phase: one update against a fresh fake batch, the critic frozen
        real, labels = batches[-1]
        with self._critic_frozen():
            with autocast():
                fake = self._generate(real.shape[0], labels)  # (batch, *feature_shape)
                g_loss = self.objective.generator_loss(
                    self._score(fake, labels, real.shape, fake.shape)
                )
            if self._finite(g_loss, "generator loss", g_loss, None):
                self._update(g_loss, self.g_optimizer, self.g_scaler, self.generator)
                if self.ema is not None:
                    self.ema.update(self.generator)

        # ---- report: one host sync for all scalars
        names = ["d_loss", "g_loss", "real_score", "fake_score"]
        values = [
            torch.stack(d_losses).mean(),
            g_loss.detach().float(),
            torch.stack(real_means).mean(),
            torch.stack(fake_means).mean(),
        ]
        if penalties:
            names.append("penalty")
            values.append(torch.stack(penalties).mean())
        if grad_norms:
            names.append("grad_norm")
            values.append(torch.stack(grad_norms).mean())
        metrics = dict(zip(names, torch.stack(values).tolist(), strict=True))
        metrics["skipped_steps"] = float(self.skipped_steps)
        self.metrics = metrics
        return metrics

    def _generate(self, n: int, labels: torch.Tensor | None) -> torch.Tensor:
        """``n`` fake samples from a fresh latent, conditioned on ``labels`` when given."""
        z = self.generator.sample_latent(n, device=self.device)
        return self._g(z) if labels is None else self._g(z, labels)

    def _score(
        self,
        x: torch.Tensor,
        labels: torch.Tensor | None,
        real_shape: torch.Size,
        fake_shape: torch.Size,
    ) -> torch.Tensor:
        """Critic scores ``(batch,)``, with clear errors for a critic that does not fit the data."""
        try:
            scores = self._d(x) if labels is None else self._d(x, labels)
        except RuntimeError as e:
            if self._checked:
                raise
            raise ValueError(
                f"step {self.step + 1}: the critic {type(self.critic).__name__} failed on a batch of shape "
                f"{tuple(x.shape)}; the loader's batch has shape {tuple(real_shape)} and the generator "
                f"makes {tuple(fake_shape)} (batch, *features): the critic must accept both ({e})"
            ) from e
        if not isinstance(scores, torch.Tensor) or scores.shape != (x.shape[0],):
            got = tuple(scores.shape) if isinstance(scores, torch.Tensor) else type(scores).__name__
            raise ValueError(
                f"the critic {type(self.critic).__name__} must return scores of shape (batch,) = "
                f"({x.shape[0]},), got {got}"
            )
        return scores

    def _check_fake(self, real: torch.Tensor, fake: torch.Tensor) -> None:
        if tuple(real.shape[1:]) != tuple(fake.shape[1:]):
            hint = "" if self.preprocess is None else " after preprocess"
            raise ValueError(
                f"step {self.step + 1}: the loader's batch has shape {tuple(real.shape)}{hint} but the "
                f"generator {type(self.generator).__name__} makes {tuple(fake.shape)} (batch, *features); "
                "the critic sees both, so their feature shapes must match"
            )

    def _finite(
        self, loss: torch.Tensor, what: str, main: torch.Tensor, penalty: torch.Tensor | None
    ) -> bool:
        """True if ``loss`` is finite (on every rank); else raise or count a skipped update."""
        if all_reduce_min(bool(torch.isfinite(loss).all()), self.device):
            return True
        if self.on_nan == "skip":
            self.skipped_steps += 1
            log.warning(
                "step %d: %s is %s; update skipped (%d so far)",
                self.step + 1,
                what,
                loss.item(),
                self.skipped_steps,
            )
            return False
        parts = f"loss={main.item()}" + ("" if penalty is None else f", penalty={penalty.item()}")
        kept = self.last_checkpoint or latest_checkpoint(self.checkpoint_dir)
        raise NonFiniteLossError(
            f"step {self.step + 1}: the {what} is {loss.item()} ({parts}); training stopped without "
            f"saving, so the last good checkpoint is kept ({kept if kept else 'none written yet'}). "
            "Lower the learning rates, use precision='32' or pass on_nan='skip' to skip such updates."
        )

    def _update(
        self,
        loss: torch.Tensor,
        optimizer: torch.optim.Optimizer,
        scaler: torch.amp.GradScaler,
        module: nn.Module,
    ) -> None:
        """Backward (scaled under fp16), optional gradient clipping, optimizer step."""
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        if self.grad_clip is not None:
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(module.parameters(), self.grad_clip)
        scaler.step(optimizer)
        scaler.update()

    @contextlib.contextmanager
    def _critic_frozen(self) -> Iterator[None]:
        """No weight gradients for the critic (and no DDP gradient sync) during the generator step."""
        flags = [p.requires_grad for p in self.critic.parameters()]
        self.critic.requires_grad_(False)
        try:
            with self._d.no_sync() if isinstance(self._d, DDP) else contextlib.nullcontext():
                yield
        finally:
            for p, flag in zip(self.critic.parameters(), flags, strict=True):
                p.requires_grad_(flag)

    # ------------------------------------------------------------------ the loop

    def fit(
        self,
        loader: Iterable[Any],
        epochs: int | None = None,
        steps: int | None = None,
        resume: Literal["auto"] | str | Path | bool | None = "auto",
    ) -> Trainer:
        """Train until ``epochs`` epochs or ``steps`` generator steps in all (whichever first).

        Both counts are totals, including the steps of a resumed run. A fresh trainer first
        looks for a checkpoint: ``resume="auto"`` takes the newest in ``out_dir/checkpoints``
        (starting fresh if there is none), a path takes that file, ``False`` starts fresh.
        Resuming restores the weights, optimizers, scalers, EMA, counters, the position within
        the epoch and the RNG states, so on CPU the result equals an uninterrupted run bit for
        bit. A final checkpoint is written when ``fit`` returns. Ctrl-C (SIGINT) finishes the
        current step, saves a checkpoint, runs ``on_fit_end`` and returns with
        :attr:`interrupted` set; a second Ctrl-C aborts at once.

        Each epoch's data order is reproducible: the loader's iterator is created, and its first
        batch drawn, with the random generators seeded from ``(seed, epoch, rank)``; on resume
        the batches already consumed in the epoch are drawn again and skipped.

        Under torchrun, :attr:`metrics` and :attr:`history` hold each rank's own losses (rank 0's
        are the ones file-writing callbacks log). If a step raises (e.g.
        :class:`NonFiniteLossError`), no checkpoint is written and ``on_fit_end`` is not called.

        Args:
            loader: Yields ``x`` or ``(x, labels)`` batches, usually a ``DataLoader``. Under
                torchrun a plain ``DataLoader`` is rebuilt with a ``DistributedSampler``
                (``batch_size`` is then per rank).
            epochs: Total epochs, or None.
            steps: Total generator steps, or None.
            resume: ``"auto"``, a checkpoint path, or ``False``.

        Returns:
            The trainer.

        Raises:
            ValueError: If neither ``epochs`` nor ``steps`` is given, the loader has fewer than
                ``n_critic`` batches, or the first batch does not fit the models.
            NonFiniteLossError: On a NaN/inf loss with ``on_nan="raise"``.
        """
        if epochs is None and steps is None:
            raise ValueError(
                "Trainer.fit: pass epochs=... or steps=... (totals, resumed steps included)"
            )
        for name, value in (("epochs", epochs), ("steps", steps)):
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 0
            ):
                raise ValueError(
                    f"Trainer.fit: {name} must be a non-negative integer, got {value!r}"
                )
        self.interrupted = False
        self._stop_requested = False
        self._checked = False
        with self._distributed():
            if isinstance(loader, DataLoader) and is_distributed():
                loader = distributed_loader(loader, seed=self.seed)
            try:
                n_batches = len(loader)  # type: ignore[arg-type]
            except TypeError:
                n_batches = None
            if n_batches is not None and n_batches < self.n_critic:
                raise ValueError(
                    f"Trainer.fit: the loader yields {n_batches} batches per epoch, fewer than "
                    f"n_critic={self.n_critic}; one generator step needs n_critic real batches"
                )
            per_epoch = n_batches // self.n_critic if n_batches is not None else None
            totals = [steps] if steps is not None else []
            if epochs is not None and per_epoch is not None:
                totals.append(epochs * per_epoch)
            # generator steps this fit will reach (None if the loader has no length): the progress bar's total
            self.total_steps = min(totals) if totals else None
            explicit = resume not in (None, False, True, "auto")
            if not self._started or explicit:
                self._start(resume)
            if self.is_main_process:
                self.out_dir.mkdir(parents=True, exist_ok=True)
            self.generator.train()
            self.critic.train()
            self._callback("on_fit_start")
            with self._sigint_saves():
                self._loop(loader, epochs, steps)
            if self.is_main_process:
                path = self.save_checkpoint()
                if self.interrupted:
                    log.warning("interrupted at step %d; checkpoint saved to %s", self.step, path)
            self._callback("on_fit_end")
        return self

    def _start(self, resume: Literal["auto"] | str | Path | bool | None) -> None:
        """Resume from a checkpoint, or seed every RNG for a fresh run."""
        self._started = True
        if resume is None or resume is False:
            path = None
        elif resume == "auto" or resume is True:
            path = None
            for candidate in reversed(list_checkpoints(self.checkpoint_dir)):
                try:
                    self.load_checkpoint(candidate)
                except ValueError as e:  # e.g. an unreadable file: fall back to the one before
                    warnings.warn(
                        f"Trainer: skipping checkpoint {candidate}: {e}", UserWarning, stacklevel=3
                    )
                    continue
                path = candidate
                break
        else:
            path = Path(resume)
            self.load_checkpoint(path)
        if path is None:
            seed_everything(self.seed + self.rank)
        else:
            log.info("resumed from %s at step %d, epoch %d", path, self.step, self.epoch)

    def _loop(self, loader: Iterable[Any], epochs: int | None, steps: int | None) -> None:
        def finished() -> bool:
            return (steps is not None and self.step >= steps) or (
                epochs is not None and self.epoch >= epochs
            )

        while not finished():
            sampler = getattr(loader, "sampler", None)
            if callable(getattr(sampler, "set_epoch", None)):
                sampler.set_epoch(self.epoch)
            group: list[Batch] = []
            seen = 0
            for batch in self._epoch_batches(loader, skip=self._batch_in_epoch):
                seen += 1
                group.append(self._to_device(batch))
                if len(group) < self.n_critic:
                    continue
                self.train_step(group)
                group = []
                self._batch_in_epoch += self.n_critic
                self.step += 1
                self.history.append({"step": self.step, "epoch": self.epoch, **self.metrics})
                self._callback("on_step_end")
                if self._should_stop():
                    self.interrupted = True
                    return
                if finished():
                    return
            if seen == 0 and self._batch_in_epoch == 0:
                raise ValueError("Trainer.fit: the loader yielded no batches")
            self.epoch += 1
            self._batch_in_epoch = 0
            self._callback("on_epoch_end")
            if self._should_stop():
                self.interrupted = True
                return

    def _epoch_batches(self, loader: Iterable[Any], skip: int) -> Iterator[Any]:
        """This epoch's batches after the first ``skip``, in an order fixed by (seed, epoch, rank).

        The iterator is created and its first batch drawn inside :func:`forked_rng` (so the
        shuffle and worker seeds depend only on the epoch); on resume the ``skip`` consumed
        batches are drawn there too and dropped, and the rest come from the restored RNG stream,
        exactly as in the uninterrupted run.
        """
        seed = ((self.seed * 1_000_003 + self.epoch) * 1_009 + self.rank) % 2**63
        with forked_rng(seed):
            it = iter(loader)
            first = next(it, _END)
            for _ in range(max(skip - 1, 0)):
                next(it, _END)
        if skip == 0 and first is not _END:
            yield first
        yield from it

    def _to_device(self, batch: Any) -> Batch:
        """``x`` or ``(x, labels)`` -> ``(features, labels or None)`` on the device, preprocessed."""
        if isinstance(batch, torch.Tensor):
            x, labels = batch, None
        elif isinstance(batch, (tuple, list)) and len(batch) in (1, 2):
            x, labels = batch[0], (batch[1] if len(batch) == 2 else None)
        else:
            what = (
                f"a {type(batch).__name__} of length {len(batch)}"
                if isinstance(batch, (tuple, list))
                else type(batch).__name__
            )
            raise ValueError(f"Trainer: the loader must yield x or (x, labels), got {what}")
        if not isinstance(x, torch.Tensor):
            raise ValueError(f"Trainer: the loader's x must be a tensor, got {type(x).__name__}")
        x = x.to(self.device, non_blocking=True)
        if labels is not None:
            labels = torch.as_tensor(labels).to(self.device, non_blocking=True)
        if not self._checked:
            self._check_labels(x, labels)
        if self.preprocess is not None:
            encode = getattr(self.preprocess, "encode", self.preprocess)
            with torch.no_grad():
                x = encode(x)
            shape = getattr(self.preprocess, "feature_shape", None)
            if shape is not None and x.dim() == len(shape) + 2 and x.shape[1] == 1:
                # mono waveforms (batch, 1, time) encode to (batch, 1, *feature_shape): drop the
                # channel axis, as FeatureCache does, so batches are (batch, *feature_shape)
                x = x.squeeze(1)
        if self.channels_last:
            x = to_channels_last(x)
        return x, labels

    def _check_labels(self, x: torch.Tensor, labels: torch.Tensor | None) -> None:
        num_classes = getattr(self.generator, "num_classes", None)
        name = type(self.generator).__name__
        if labels is not None and num_classes == 0:
            raise ValueError(
                f"Trainer: the loader yields (x, labels) but the generator {name} is unconditional "
                "(num_classes=0); build it with num_classes=... or use a dataset that yields x alone"
            )
        if labels is None and num_classes:
            raise ValueError(
                f"Trainer: the generator {name} is conditional (num_classes={num_classes}) but the "
                "loader yields x without labels; yield (x, labels)"
            )
        if labels is not None:
            if labels.shape[:1] != x.shape[:1]:
                raise ValueError(
                    f"Trainer: labels of shape {tuple(labels.shape)} do not match the batch {tuple(x.shape)}"
                )
            if num_classes and labels.dtype not in (
                torch.float16,
                torch.bfloat16,
                torch.float32,
                torch.float64,
            ):
                lo, hi = int(labels.min()), int(labels.max())
                if lo < 0 or hi >= num_classes:
                    raise ValueError(
                        f"Trainer: labels must be in [0, {num_classes}) for {name}, got values in [{lo}, {hi}]"
                    )

    def _callback(self, hook: str) -> None:
        for cb in self.callbacks:
            if cb.main_process_only and not self.is_main_process:
                continue
            getattr(cb, hook)(self)

    def _should_stop(self) -> bool:
        """Ctrl-C on any rank stops every rank after the same step."""
        return not all_reduce_min(not self._stop_requested, self.device)

    @contextlib.contextmanager
    def _sigint_saves(self) -> Iterator[None]:
        """While training, the first SIGINT asks the loop to stop after the current step."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = signal.getsignal(signal.SIGINT)

        def handler(signum: int, frame: Any) -> None:
            if self._stop_requested:  # second Ctrl-C: abort now
                signal.signal(signal.SIGINT, previous)
                raise KeyboardInterrupt
            self._stop_requested = True
            log.warning(
                "Ctrl-C: stopping after this step and saving a checkpoint (Ctrl-C again to abort)"
            )

        signal.signal(signal.SIGINT, handler)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)

    @contextlib.contextmanager
    def _distributed(self) -> Iterator[None]:
        """Under torchrun: start the process group and wrap G and D in DDP for this ``fit``."""
        created = init_distributed(self.device) if self._env.enabled else False
        try:
            if is_distributed():
                ids = [self.device.index] if self.device.type == "cuda" else None
                self._g = DDP(self.generator, device_ids=ids, find_unused_parameters=False)
                self._d = DDP(self.critic, device_ids=ids, find_unused_parameters=False)
            yield
        finally:
            self._g, self._d = self.generator, self.critic
            if created:
                destroy_distributed()

    # ------------------------------------------------------------------ checkpoints

    def state_dict(self) -> dict[str, Any]:
        """Everything a checkpoint holds (see :meth:`save_checkpoint`)."""
        return {
            "version": CHECKPOINT_VERSION,
            "step": self.step,
            "epoch": self.epoch,
            "batch_in_epoch": self._batch_in_epoch,
            "critic_steps": self.critic_steps,
            "skipped_steps": self.skipped_steps,
            "generator": self.generator.state_dict(),
            "critic": self.critic.state_dict(),
            "ema": self.ema.state_dict() if self.ema is not None else None,
            "g_optimizer": self.g_optimizer.state_dict(),
            "d_optimizer": self.d_optimizer.state_dict(),
            "g_scaler": self.g_scaler.state_dict(),
            "d_scaler": self.d_scaler.state_dict(),
            "rng": capture_rng_state(),
            "generator_class": class_path(self.generator),
            "generator_config": getattr(self.generator, "config", None),
            "critic_class": class_path(self.critic),
            "critic_config": getattr(self.critic, "config", None),
            "metadata": self.metadata,
            "history": self.history,
            "trainer": {
                "n_critic": self.n_critic,
                "precision": self.precision.name,
                "seed": self.seed,
                "world_size": self._env.world_size,
            },
        }

    def save_checkpoint(self, path: str | Path | None = None) -> Path | None:
        """Write a checkpoint atomically (rank 0 only; other ranks return None).

        It holds G, D, EMA, both optimizers and scalers, step, epoch, the position within the
        epoch, RNG states (Python, NumPy, torch, CUDA), the models' class paths and ``config``,
        ``metadata`` and ``history``. Without ``path`` it goes to
        ``out_dir/checkpoints/step_XXXXXXXX.pt`` and only the newest ``keep_checkpoints`` stay.

        Returns:
            The file written, or None on ranks other than 0.
        """
        if not self.is_main_process:
            return None
        target = checkpoint_path(self.checkpoint_dir, self.step) if path is None else Path(path)
        atomic_save(self.state_dict(), target)
        if path is None:
            prune_checkpoints(self.checkpoint_dir, self.keep_checkpoints)
        self.last_checkpoint = target
        return target

    def load_checkpoint(self, path: str | Path) -> None:
        """Restore a checkpoint written by :meth:`save_checkpoint`, RNG states included.

        Under torchrun, rank 0 restores the saved RNG state; other ranks reseed from
        ``(seed, rank, step)`` (only rank 0's stream is stored).

        Raises:
            ValueError: If the file is unreadable or its weights do not fit the models.
        """
        path = Path(path)
        state = load_checkpoint(path)
        try:
            self.generator.load_state_dict(state["generator"])
            self.critic.load_state_dict(state["critic"])
        except RuntimeError as e:
            raise ValueError(
                f"checkpoint {path} ({state.get('generator_class')}, {state.get('critic_class')}) does "
                f"not fit {class_path(self.generator)} / {class_path(self.critic)}: {e}"
            ) from e
        if state.get("ema") is not None:
            if self.ema is None:
                warnings.warn(
                    f"Trainer: {path} has EMA weights but this trainer has no ema; ignoring them",
                    UserWarning,
                    stacklevel=2,
                )
            else:
                self.ema.load_state_dict(state["ema"])
        self.g_optimizer.load_state_dict(state["g_optimizer"])
        self.d_optimizer.load_state_dict(state["d_optimizer"])
        if state.get("g_scaler"):
            self.g_scaler.load_state_dict(state["g_scaler"])
        if state.get("d_scaler"):
            self.d_scaler.load_state_dict(state["d_scaler"])
        self.step = int(state["step"])
        self.epoch = int(state["epoch"])
        self._batch_in_epoch = int(state.get("batch_in_epoch", 0))
        self.critic_steps = int(state.get("critic_steps", 0))
        self.skipped_steps = int(state.get("skipped_steps", 0))
        self.history = list(state.get("history", []))
        self.metrics = dict(self.history[-1]) if self.history else {}
        for key in ("step", "epoch"):
            self.metrics.pop(key, None)
        for key, value in state.get("metadata", {}).items():
            self.metadata.setdefault(key, value)
        if self.rank == 0:
            restore_rng_state(state["rng"])
        else:
            seed_everything((self.seed * 1_000_003 + self.rank) * 1_009 + self.step)
        self._started = True
        self.last_checkpoint = path
