"""The GAN training loop. One step (:meth:`Trainer.train_step`) reads top to bottom::

    for each of the n_critic batches:                # critic phase
        fake        = G(z or batch.inputs, labels)   # fresh latent (or the batch's input), no grad
        critic_loss = sum over sub-critics of objective.critic_loss(D(real), D(fake))
                      [+ penalty(D, real, fake, labels)]
        update D
    fake           = G(z or batch.inputs, labels)    # generator phase, the critic frozen
    generator_loss = sum over sub-critics of objective.generator_loss(D(fake))
                     + sum of weight * term(step) for the generator_losses
    update G, then the EMA copy of G and the learning-rate schedulers
    report: every scalar of the step in one host sync

Every other concern lives in a module named for it: :mod:`~audiogan.train.batches` (what a loader
batch means), :mod:`~audiogan.train.epoch_order` (the data order that makes resume exact),
:mod:`~audiogan.train.checkpoint_state` (what a checkpoint holds and which one a run resumes
from), :mod:`~audiogan.train.optimizers`, :mod:`~audiogan.train.precision`,
:mod:`~audiogan.train.generator_losses`, :mod:`~audiogan.train.interrupts` (Ctrl-C, SIGTERM),
:mod:`~audiogan.train.distributed` and :mod:`~audiogan.train.wrapping` (torchrun, DDP,
``torch.compile``), :mod:`~audiogan.train.step_metrics` (the step's one host sync),
:mod:`~audiogan.train.nonfinite` (NaN losses), :mod:`~audiogan.train.model_checks`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import torch
from torch import nn
from torch.utils.data import DataLoader

from audiogan.losses.ensemble import as_critic_output, critic_loss_over, generator_loss_over
from audiogan.protocols import CriticOutput
from audiogan.train import checkpoint_state, model_checks
from audiogan.train.batches import Batch, check_labels_fit, prepare_batch
from audiogan.train.callback import Callback, LambdaCallback
from audiogan.train.checkpoint import (
    atomic_save,
    checkpoint_path,
    latest_checkpoint,
    load_checkpoint,
    module_spec,
    prune_checkpoints,
)
from audiogan.train.distributed import dist_env, distributed_loader, process_group
from audiogan.train.ema import EMA
from audiogan.train.epoch_order import EpochOrder
from audiogan.train.generator_losses import GeneratorLossFn, GeneratorStep, check_generator_losses
from audiogan.train.interrupts import StopRequest
from audiogan.train.layout import to_channels_last_
from audiogan.train.nonfinite import LossGuard, NonFiniteLossError
from audiogan.train.optimizers import (
    OptimizerArg,
    SchedulerArg,
    apply_update,
    make_optimizer,
    make_scheduler,
)
from audiogan.train.precision import Precision, PrecisionName
from audiogan.train.step_metrics import StepMetrics
from audiogan.train.summary import planned_steps, run_summary
from audiogan.train.wrapping import ModelCalls

__all__ = ["NonFiniteLossError", "Trainer"]

log = logging.getLogger(__name__)


class Trainer:
    """Train a generator against a critic; hosts sampling GANs and paired GANs (vocoders) alike.

    Each generator step runs ``n_critic`` critic steps, each on a **fresh loader batch** and a
    fresh fake batch, then one generator step on the last batch's labels (or inputs): one
    generator step consumes ``n_critic`` batches. Leftover batches at an epoch's end are dropped.

    On resume, settings given here win over the checkpoint's (learning rates, betas, an optimizer
    passed in, ``n_critic``); the ones not given are restored from it, and one message lists
    what differs (:func:`~audiogan.train.checkpoint_state.restore_trainer`).

    Args:
        generator: ``forward(z, labels=None)``, with ``sample_latent(n, device=)`` for a sampling
            GAN and ``num_classes`` (0: unconditional); or ``forward(inputs[, labels])`` for a
            paired GAN (see ``generator_input``).
        critic: ``forward(x, labels=None)`` -> scores ``(batch,)`` or a
            :class:`~audiogan.protocols.CriticOutput` (ensembles: the objective is summed over
            the sub-critics).
        objective: ``critic_loss(real_scores, fake_scores)`` and ``generator_loss(fake_scores)``.
        penalty: ``penalty(critic, real, fake, labels, scaler) -> ()`` with an ``interval``
            (applied when ``critic_steps % interval == 0``), or None.
        generator_optimizer: None (Adam with ``generator_lr`` and ``betas``), an optimizer over
            the generator's parameters, or a factory ``params -> Optimizer``.
        critic_optimizer: The same for the critic.
        generator_lr: Learning rate of the default generator Adam (1e-4 when not given).
        critic_lr: Learning rate of the default critic Adam (1e-4; TTUR: set them apart).
        betas: Betas of the default Adams ((0.5, 0.9), the WGAN-GP paper's, when not given).
        generator_scheduler: None, a learning-rate scheduler over the generator's optimizer, or
            a factory ``optimizer -> scheduler``; stepped once per generator step, checkpointed.
        critic_scheduler: The same for the critic.
        n_critic: Critic steps per generator step (5 for WGAN-GP; 1, the default, for BCE GANs).

        precision: ``"auto"`` (bf16 on CUDA where supported, else 32), ``"32"``, ``"bf16"`` or
            ``"16"`` (CUDA: fp16 autocast with a GradScaler each for G and D).
        ema: None, a decay (e.g. 0.999) or an :class:`~audiogan.train.ema.EMA` of the generator.
        grad_clip: Max global gradient norm for G and D, or None.
        weight_clip: Clamp the critic's parameters to ``[-c, c]`` after each update, or None.
        generator_input: For a paired GAN, ``fn(real) -> inputs`` deriving the generator's input
            from the real batch (e.g. a waveform's log-mel); a loader may instead yield
            ``{"real", "inputs"}`` mappings. None for a sampling GAN.
        generator_losses: ``{name: (weight, fn(step) -> loss)}`` added to the generator's loss;
            ``step`` is a :class:`~audiogan.train.generator_losses.GeneratorStep`.
        preprocess: A callable (e.g. a frontend) run on each device batch under ``no_grad``, such
            as waveforms -> log-mel; None to train on the loader's tensors.
        frontend: The frontend the features belong to, stored in checkpoints so that
            :func:`~audiogan.train.generation.generate` rebuilds it (defaults to ``preprocess``
            when that has a ``config``).
        channels_last: Channels-last layout for conv weights and batches.
        compile: ``torch.compile`` the generator and critic calls (True, or a dict of
            ``torch.compile`` arguments). The penalty runs on the eager critic: double
            backward is not supported by compiled graphs.
        callbacks: :class:`~audiogan.train.callback.Callback` objects or ``fn(trainer)``.
        out_dir: Run folder; checkpoints go to ``out_dir/checkpoints``.
        device: ``"auto"`` (CUDA when available, ``cuda:LOCAL_RANK`` under torchrun) or a device.
        seed: Seeds the RNGs at the start of a fresh ``fit`` (plus the rank) and the data order.
        keep_checkpoints: How many checkpoints to keep.
        on_nan: ``"raise"``: a NaN/inf loss stops training with :class:`NonFiniteLossError`
            (nothing is saved, the last good checkpoint stays), checked once per step;
            ``"skip"``: that update is skipped and counted (a host sync per update).
        metadata: JSON-able dict stored in every checkpoint.

    Attributes:
        step: Generator steps done. epoch: Epochs completed. batch_in_epoch: Loader batches
            consumed in the current epoch. critic_steps: Critic updates done.
        metrics: The latest step's scalars: ``critic_loss``, ``generator_loss``, ``real_score``,
            ``fake_score``, ``penalty`` and ``grad_norm`` (when a penalty ran), one per
            generator loss, ``generator_lr``/``critic_lr`` (with schedulers), ``skipped_steps``.
        history: One dict per step, ``{"step", "epoch", **metrics}``.
        interrupted: True after a stop signal ended ``fit``. last_checkpoint: The newest checkpoint
            written or loaded.

    Example:
        A WGAN-GP at toy size (16 random "spectrograms" ``(1, 16, 16)``, batches of 4):

        >>> from torch.utils.data import DataLoader, TensorDataset
        >>> from audiogan.losses import GradientPenalty, Wasserstein
        >>> from audiogan.nn import ConvCritic2d, ConvGenerator2d
        >>> G = ConvGenerator2d(latent_dim=8, out_shape=(1, 16, 16), base_channels=8, n_upsamples=2)
        >>> D = ConvCritic2d(in_shape=(1, 16, 16), base_channels=8, n_downsamples=2)
        >>> loader = DataLoader(TensorDataset(torch.rand(16, 1, 16, 16) * 2 - 1), batch_size=4)
        >>> trainer = Trainer(G, D, Wasserstein(), GradientPenalty(10.0), n_critic=2,
        ...                   out_dir="runs/wgan", ema=0.999, device="cpu")
        >>> trainer.fit(loader, epochs=1).step  # 4 batches, 2 per generator step
        2
        >>> sorted(trainer.metrics)
        ['critic_loss', 'fake_score', 'generator_loss', 'grad_norm', 'penalty', 'real_score',
         'skipped_steps']
        >>> trainer.last_checkpoint.as_posix()
        'runs/wgan/checkpoints/step_00000002.pt'
    """

    def __init__(
        self,
        generator: nn.Module,
        critic: nn.Module,
        objective: Any,
        penalty: Any = None,
        *,
        generator_optimizer: OptimizerArg = None,
        critic_optimizer: OptimizerArg = None,
        generator_lr: float | None = None,
        critic_lr: float | None = None,
        betas: tuple[float, float] | None = None,
        generator_scheduler: SchedulerArg = None,
        critic_scheduler: SchedulerArg = None,
        n_critic: int | None = None,
        precision: PrecisionName | int = "auto",
        ema: float | EMA | None = None,
        grad_clip: float | None = None,
        weight_clip: float | None = None,
        generator_input: Callable[[torch.Tensor], torch.Tensor] | None = None,
        generator_losses: Mapping[str, tuple[float, GeneratorLossFn]] | None = None,
        preprocess: Callable[[torch.Tensor], torch.Tensor] | None = None,
        frontend: nn.Module | None = None,
        channels_last: bool = False,
        compile: bool | Mapping[str, Any] = False,
        callbacks: Iterable[Callback | Callable[[Trainer], None]] = (),
        out_dir: str | Path = "runs/audiogan",
        device: str | torch.device = "auto",
        seed: int = 0,
        keep_checkpoints: int = 3,
        on_nan: Literal["raise", "skip"] = "raise",
        metadata: dict[str, Any] | None = None,
    ) -> None:
        given = {"generator_lr": generator_lr, "critic_lr": critic_lr, "betas": betas}
        given |= {"n_critic": n_critic, "generator_optimizer": generator_optimizer}
        given["critic_optimizer"] = critic_optimizer
        #: Settings passed explicitly: on resume they win over the checkpoint's.
        self.given_settings = {name for name, value in given.items() if value is not None}
        n_critic = 1 if n_critic is None else n_critic
        generator_lr = 1e-4 if generator_lr is None else generator_lr
        critic_lr = 1e-4 if critic_lr is None else critic_lr
        betas = (0.5, 0.9) if betas is None else betas
        model_checks.check_settings(
            n_critic, keep_checkpoints, grad_clip, weight_clip, metadata, generator_input
        )
        model_checks.check_parts(
            generator, objective, penalty, samples_latent=generator_input is None
        )
        self._env = dist_env()
        self.device = _resolve_device(device, self._env.local_rank, self._env.enabled)
        self.precision = Precision(precision, self.device)
        if self.device.type == "cuda":
            torch.backends.cudnn.benchmark = True  # fixed shapes: cuDNN picks the fastest kernels
        self.generator = generator.to(self.device)
        self.critic = critic.to(self.device)
        self.channels_last = bool(channels_last)
        if self.channels_last:
            to_channels_last_(self.generator)
            to_channels_last_(self.critic)
        self.compile_options = (
            None if compile is False else ({} if compile is True else dict(compile))
        )
        self._calls = ModelCalls(self.generator, self.critic, self.device, self.compile_options)
        self.objective, self.penalty = objective, penalty
        self.n_critic, self.grad_clip, self.weight_clip = n_critic, grad_clip, weight_clip
        self.generator_optimizer = make_optimizer(
            generator_optimizer, self.generator, generator_lr, betas, "generator_optimizer"
        )
        self.critic_optimizer = make_optimizer(
            critic_optimizer, self.critic, critic_lr, betas, "critic_optimizer"
        )
        self.generator_scheduler = make_scheduler(
            generator_scheduler, self.generator_optimizer, "generator_scheduler"
        )
        self.critic_scheduler = make_scheduler(
            critic_scheduler, self.critic_optimizer, "critic_scheduler"
        )
        self.generator_scaler = self.precision.scaler()
        self.critic_scaler = self.precision.scaler()
        if ema is not None and not isinstance(ema, EMA):
            ema = EMA(self.generator, decay=float(ema))
        self.ema = ema.to(self.device) if ema is not None else None
        self.generator_input = generator_input
        self.generator_losses = check_generator_losses(generator_losses)
        self.preprocess = (
            preprocess.to(self.device) if isinstance(preprocess, nn.Module) else preprocess
        )
        if frontend is None and getattr(preprocess, "config", None) is not None:
            frontend = self.preprocess  # type: ignore[assignment]
        self.frontend = frontend
        self.callbacks: list[Callback] = [
            cb if isinstance(cb, Callback) else LambdaCallback(cb, every=1, unit="step")
            for cb in callbacks
        ]
        self.out_dir = Path(out_dir)
        self.seed = int(seed)
        self.keep_checkpoints = keep_checkpoints
        self.metadata: dict[str, Any] = dict(metadata or {})
        if frontend is not None and "frontend" not in self.metadata:
            self.metadata["frontend"] = module_spec(frontend)
        self.epoch_order = EpochOrder(self.seed, self._env.rank)
        # NaN checks: before each update on the CPU (free), in the step's one sync on accelerators
        self.loss_guard = LossGuard(on_nan, defer=self.device.type != "cpu")
        self.loss_guard.kept = lambda: (
            self.last_checkpoint or latest_checkpoint(self.checkpoint_dir)
        )

        self.step = self.epoch = self.batch_in_epoch = self.critic_steps = 0
        self.metrics: dict[str, float] = {}
        self.history: list[dict[str, float]] = []
        self.interrupted = False
        self.total_steps: int | None = None
        self.last_checkpoint: Path | None = None
        self._stop = StopRequest()
        self._stop_agreed = False  # every rank saw a stop request (read in each step's sync)
        self._started = self._checked = False
        model_checks.warn_unconstrained_critic(objective, critic, penalty, weight_clip)

    # ------------------------------------------------------------------ properties

    @property
    def rank(self) -> int:
        """This process's rank under torchrun (0 otherwise)."""
        return self._env.rank

    @property
    def world_size(self) -> int:
        """The number of processes under torchrun (1 otherwise)."""
        return self._env.world_size

    @property
    def is_main_process(self) -> bool:
        """True on rank 0 (always outside torchrun): the process that writes files."""
        return self._env.rank == 0

    @property
    def skipped_steps(self) -> int:
        """Updates skipped for a NaN/inf loss (``on_nan="skip"``)."""
        return self.loss_guard.skipped

    @skipped_steps.setter
    def skipped_steps(self, value: int) -> None:
        self.loss_guard.skipped = int(value)

    @property
    def sampling_generator(self) -> nn.Module:
        """The generator to sample from: the EMA copy when present, else the generator itself."""
        return self.ema.module if self.ema is not None else self.generator

    @property
    def checkpoint_dir(self) -> Path:
        """``out_dir/checkpoints``."""
        return self.out_dir / "checkpoints"

    def summary(self, loader: Iterable[Any] | None = None) -> str:
        """One line: both models' parameter counts, device, precision, batches per epoch."""
        compiled = self.compile_options is not None
        return run_summary(
            self.generator,
            self.critic,
            self.device,
            self.precision.name,
            self.n_critic,
            compiled,
            loader,
        )

    # ------------------------------------------------------------------ the step

    def train_step(self, batches: Sequence[Batch]) -> dict[str, float]:
        """One generator step: a critic update per batch, then a generator update.

        Args:
            batches: ``n_critic`` :class:`~audiogan.train.batches.Batch` on :attr:`device`.

        Returns:
            The step's scalars (also stored in :attr:`metrics`).

        Raises:
            NonFiniteLossError: If a loss is NaN/inf and ``on_nan="raise"``.
        """
        autocast = self.precision.autocast
        stats = StepMetrics()
        self.loss_guard.begin_step()

        # ---- critic phase: one update per batch, each against a fresh fake batch
        for k, batch in enumerate(batches):
            with torch.no_grad(), autocast():
                fake = self._generate(batch)  # (batch, *feature_shape)
            if not self._checked:
                model_checks.check_fake_fits(
                    batch.real, fake, self.generator, self.step + 1, self.preprocess is not None
                )
            with autocast():
                real_out = self._criticize(batch.real, batch, fake)
                fake_out = self._criticize(fake, batch, fake)
                critic_loss = critic_loss_over(self.objective, real_out, fake_out)
                penalty = self._penalty(batch, fake)
            total = critic_loss if penalty is None else critic_loss + penalty
            self._update(
                "critic",
                total,
                f"critic loss (critic step {k + 1} of {len(batches)})",
                critic_loss,
                penalty,
            )
            self.critic_steps += 1
            self._checked = True
            stats.add("critic_loss", critic_loss)
            stats.add("real_score", _mean_score(real_out))
            stats.add("fake_score", _mean_score(fake_out))
            if penalty is not None:
                stats.add("penalty", penalty)
                if getattr(self.penalty, "last_grad_norm", None) is not None:
                    stats.add("grad_norm", self.penalty.last_grad_norm)

        # ---- generator phase: one update against a fresh fake batch, the critic frozen
        batch = batches[-1]
        with self._calls.critic_frozen():
            with autocast():
                fake = self._generate(batch)  # (batch, *feature_shape)
                fake_out = self._criticize(fake, batch, fake)
                generator_loss = generator_loss_over(self.objective, fake_out)
                terms = self._generator_terms(batch, fake, fake_out)
                total = generator_loss
                for name, (weight, _) in self.generator_losses.items():
                    total = total + weight * terms[name]
            self._update("generator", total, "generator loss", generator_loss)
        for scheduler in (self.generator_scheduler, self.critic_scheduler):
            if scheduler is not None:
                scheduler.step()
        stats.add("generator_loss", generator_loss)
        for name, value in terms.items():
            stats.add(name, value)

        # ---- report: every scalar, the NaN checks and the stop request in one host sync
        go_on = torch.tensor(not self._stop.requested, device=self.device)
        metrics, (*finite, agreed_go_on) = stats.read([*self.loss_guard.flags(), go_on])
        self._stop_agreed = agreed_go_on < 0.5
        self.loss_guard.check(finite, self.step + 1)
        for name, scheduler in (
            ("generator_lr", self.generator_scheduler),
            ("critic_lr", self.critic_scheduler),
        ):
            if scheduler is not None:
                metrics[name] = float(scheduler.get_last_lr()[0])
        metrics["skipped_steps"] = float(self.skipped_steps)
        self.metrics = metrics
        return metrics

    def _generate(self, batch: Batch) -> torch.Tensor:
        """Fakes from the batch's inputs (paired GAN) or a fresh latent, with its labels."""
        source = batch.inputs
        if source is None:
            source = self.generator.sample_latent(batch.size, device=self.device)
        return (
            self._calls.generator(source)
            if batch.labels is None
            else self._calls.generator(source, batch.labels)
        )

    def _criticize(self, x: torch.Tensor, batch: Batch, fake: torch.Tensor) -> CriticOutput:
        """The critic's output on ``x``, with a clear error on the first step of a fit."""
        try:
            out = (
                self._calls.critic(x)
                if batch.labels is None
                else self._calls.critic(x, batch.labels)
            )
        except RuntimeError as e:
            if self._checked:
                raise
            raise model_checks.critic_failure(
                self.critic, x, batch.real, fake, self.step + 1, e
            ) from e
        return as_critic_output(out, x.shape[0], type(self.critic).__name__)

    def _penalty(self, batch: Batch, fake: torch.Tensor) -> torch.Tensor | None:
        if self.penalty is None or self.critic_steps % getattr(self.penalty, "interval", 1) != 0:
            return None
        scaler = self.critic_scaler if self.critic_scaler.is_enabled() else None
        return self.penalty(self._calls.critic_eager, batch.real, fake, batch.labels, scaler)

    def _generator_terms(
        self, batch: Batch, fake: torch.Tensor, fake_out: CriticOutput
    ) -> dict[str, torch.Tensor]:
        if not self.generator_losses:
            return {}
        real_out = lambda: self._criticize(batch.real, batch, fake)  # noqa: E731 (computed on demand)
        step = GeneratorStep(fake, batch.real, batch.labels, batch.inputs, fake_out, real_out)
        return {name: fn(step) for name, (_, fn) in self.generator_losses.items()}

    def _update(
        self,
        model: Literal["critic", "generator"],
        loss: torch.Tensor,
        what: str,
        main: torch.Tensor,
        penalty: torch.Tensor | None = None,
    ) -> None:
        """One optimizer update of ``model``, then its weight clipping (critic) or EMA (generator)."""
        if not self.loss_guard.allows(loss, what, main, penalty, self.step + 1):
            return
        module: nn.Module = getattr(self, model)
        apply_update(
            loss,
            getattr(self, f"{model}_optimizer"),
            getattr(self, f"{model}_scaler"),
            module.parameters(),
            self.grad_clip,
        )
        if model == "critic" and self.weight_clip is not None:
            with torch.no_grad():
                for p in module.parameters():
                    p.clamp_(-self.weight_clip, self.weight_clip)
        if model == "generator" and self.ema is not None:
            self.ema.update(module)

    # ------------------------------------------------------------------ the loop

    def fit(
        self,
        loader: Iterable[Any],
        epochs: int | None = None,
        steps: int | None = None,
        resume: Literal["auto"] | str | Path | bool | None = "auto",
    ) -> Trainer:
        """Train until ``epochs`` epochs or ``steps`` generator steps in all (whichever first).

        Both counts are totals, resumed steps included. A fresh trainer first looks for a
        checkpoint: ``resume="auto"`` takes the newest in ``out_dir/checkpoints`` (an unreadable
        one falls back to the one before it, with a warning; one that does not fit the models is
        a :class:`~audiogan.train.checkpoint_state.CheckpointMismatchError`), a path takes that
        file, ``False`` starts fresh. Resuming restores everything, the data order included
        (:mod:`~audiogan.train.epoch_order`), so on CPU the result equals an uninterrupted run
        bit for bit. A final checkpoint is written when ``fit`` returns. Ctrl-C finishes the
        current step, saves, runs ``on_fit_end`` and returns with :attr:`interrupted` set; so
        does SIGTERM (:mod:`~audiogan.train.interrupts`: a second signal during that final write
        waits for it; otherwise a second signal aborts). Under torchrun a plain ``DataLoader`` is sharded with a
        ``DistributedSampler`` (``batch_size`` is then per rank) and both models wrapped in DDP.

        Raises:
            ValueError: Neither ``epochs`` nor ``steps``, fewer batches than ``n_critic``, or a
                first batch that does not fit the models.
            NonFiniteLossError: On a NaN/inf loss with ``on_nan="raise"``.
        """
        model_checks.check_fit_args(epochs, steps)
        self.interrupted = self._checked = self._stop_agreed = False
        with process_group(self.device) as distributed:
            self._calls.wrap(distributed)
            try:
                if isinstance(loader, DataLoader) and distributed:
                    loader = distributed_loader(loader, seed=self.seed)
                self.total_steps = planned_steps(
                    loader, epochs, steps, self.n_critic
                )  # for progress bars
                if not self._started or resume not in (None, False, True, "auto"):
                    self._started = True
                    self.last_checkpoint = (
                        checkpoint_state.resume_or_seed(self, resume) or self.last_checkpoint
                    )
                if self.is_main_process:
                    self.out_dir.mkdir(parents=True, exist_ok=True)
                log.info("audiogan: %s", self.summary(loader))
                self.generator.train()
                self.critic.train()
                self._callback("on_fit_start")
                with self._stop:  # SIGINT/SIGTERM: stop after the step, then save
                    self._loop(loader, epochs, steps)
                    if self.is_main_process:
                        with self._stop.protect():  # a 2nd signal waits for the write
                            path = self.save_checkpoint()
                if self.interrupted and self.is_main_process:
                    log.warning("stopped at step %d; checkpoint saved to %s", self.step, path)
                self._callback("on_fit_end")
            finally:
                self._calls.wrap(distributed=False)
        return self

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
            for raw in self.epoch_order.batches(loader, self.epoch, skip=self.batch_in_epoch):
                seen += 1
                group.append(self._prepare(raw))
                if len(group) < self.n_critic:
                    continue
                self.train_step(group)
                group = []
                self.batch_in_epoch += self.n_critic
                self.step += 1
                self.history.append({"step": self.step, "epoch": self.epoch, **self.metrics})
                self._callback("on_step_end")
                if self._stop_agreed:
                    self.interrupted = True
                    return
                if finished():
                    return
            if seen == 0 and self.batch_in_epoch == 0:
                raise ValueError("Trainer.fit: the loader yielded no batches")
            self.epoch += 1
            self.batch_in_epoch = 0
            self.epoch_order.end_epoch(loader)
            self._callback("on_epoch_end")

    def _prepare(self, raw: Any) -> Batch:
        """A loader batch -> a :class:`Batch` on the device (labels checked on a fit's first)."""
        batch = prepare_batch(
            raw, self.device, self.preprocess, self.generator_input, self.channels_last
        )
        if not self._checked:
            check_labels_fit(batch, self.generator)
        return batch

    def _callback(self, hook: str) -> None:
        for cb in self.callbacks:
            if self.is_main_process or not cb.main_process_only:
                getattr(cb, hook)(self)

    # ------------------------------------------------------------------ checkpoints

    def state_dict(self) -> dict[str, Any]:
        """Everything a checkpoint holds (:func:`~audiogan.train.checkpoint_state.trainer_state`)."""
        return checkpoint_state.trainer_state(self)

    def save_checkpoint(self, path: str | Path | None = None) -> Path | None:
        """Write a checkpoint atomically (rank 0 only; other ranks return None).

        Without ``path`` it goes to ``out_dir/checkpoints/step_XXXXXXXX.pt`` and only the newest
        ``keep_checkpoints`` stay.
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
        """Restore a checkpoint written by :meth:`save_checkpoint`, RNG states and data order included.

        Raises:
            ValueError: If the file is unreadable.
            CheckpointMismatchError: If its models do not fit (nothing is changed then).
        """
        path = Path(path)
        checkpoint_state.restore_trainer(self, load_checkpoint(path), path)
        self._started = True
        self.last_checkpoint = path


def _resolve_device(device: str | torch.device, local_rank: int, distributed: bool) -> torch.device:
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(device)
    if device.type == "cuda" and device.index is None:
        device = torch.device("cuda", local_rank if distributed else torch.cuda.current_device())
    return device


def _mean_score(out: CriticOutput) -> torch.Tensor:
    return torch.stack([s.detach().float().mean() for s in out.scores]).mean()
