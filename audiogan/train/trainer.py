"""The GAN training loop. One step (:meth:`Trainer.train_step`) reads top to bottom::

    for each of the critic_steps batches:            # critic phase (none before critic_start)
        fake        = G(z or batch.inputs, labels)   # fresh latent (or the batch's input), no grad
                                                     # (a paired GAN's last: with grad, kept)
        real, fake  = augment(real), augment(fake)   # with augment= (DiffAugment, ADA)
        critic_loss = sum over sub-critics of objective.critic_loss(D(real), D(fake))
                      [+ penalty(D, real, fake, labels)]
        update D
    fake           = G(z or batch.inputs, labels)    # generator phase, the critic frozen
                                                     # (a paired GAN: the kept fake)
    generator_loss = sum over sub-critics of objective.generator_loss(D(fake))
                     + sum of weight * term(step) for the generator_losses
                     (before critic_start: the terms that do not read the critic, alone)
    update G, then the EMA copy of G and the learning-rate schedulers
    report: every scalar of the step in one host sync

where ``update D`` is ``critic_player.update(loss)`` and ``update G``
``generator_player.update(loss)``. Before a fit's first step, :meth:`Trainer.preflight` checks
once that the first batches fit the models (labels, shapes), with errors naming the culprit.

Every other concern lives in a module named for it: :mod:`~audiogan.train.player` (each side's
module, optimizer, scheduler and scaler), :mod:`~audiogan.train.preflight` (the checks before
training), :mod:`~audiogan.train.batches` (what a loader batch means),
:mod:`~audiogan.train.epoch_order` (the data order that makes resume exact),
:mod:`~audiogan.train.checkpoints` (the files, what a checkpoint holds and which one a run
resumes from), :mod:`~audiogan.train.seeding`, :mod:`~audiogan.train.precision`,
:mod:`~audiogan.train.generator_losses` (the terms and the generator's total),
:mod:`~audiogan.train.augmentation` (what the critic sees), :mod:`~audiogan.train.step_report`
(the step's one host sync, NaN losses), :mod:`~audiogan.train.interrupts` (Ctrl-C, SIGTERM),
:mod:`~audiogan.train.distributed` and :mod:`~audiogan.train.wrapping` (torchrun, DDP,
``torch.compile``, channels-last), :mod:`~audiogan.train.ema`,
:mod:`~audiogan.train.callbacks` (the callback base and the ready-made ones). Beside the loop:
:mod:`~audiogan.train.fine_tune` (starting from another run's weights) and
:mod:`~audiogan.train.generation` (fakes from a finished run).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from operator import attrgetter
from pathlib import Path
from typing import Any, Literal

import torch
from torch import nn
from torch.utils.data import DataLoader

from audiogan.losses.ensemble import as_critic_output, critic_loss_over, generator_loss_over
from audiogan.protocols import (
    Critic,
    CriticOutput,
    Frontend,
    Generator,
    Objective,
    PairedGenerator,
    Penalty,
)
from audiogan.train import checkpoints
from audiogan.train import preflight as checks
from audiogan.train.augmentation import critic_views, observe_scores
from audiogan.train.batches import Batch, prepare_batch
from audiogan.train.callbacks.base import Callback, LambdaCallback
from audiogan.train.checkpoints import (
    atomic_save,
    checkpoint_path,
    latest_checkpoint,
    load_checkpoint,
    module_spec,
    prune_checkpoints,
)
from audiogan.train.distributed import dist_env, distributed_loader, process_group, resolve_device
from audiogan.train.ema import EMA
from audiogan.train.epoch_order import EpochOrder
from audiogan.train.generator_losses import (
    GeneratorLossFn,
    GeneratorStep,
    check_generator_losses,
    generator_terms,
    generator_total,
)
from audiogan.train.interrupts import StopRequest
from audiogan.train.player import OptimizerArg, Player, SchedulerArg
from audiogan.train.precision import Precision, PrecisionName
from audiogan.train.step_report import LossGuard, NonFiniteLossError, StepMetrics, mean_score
from audiogan.train.wrapping import ModelCalls, to_channels_last_

__all__ = ["NonFiniteLossError", "Trainer"]

log = logging.getLogger(__name__)


class Trainer:
    """Train a generator against a critic; hosts sampling GANs and paired GANs (vocoders) alike.

    Each generator step runs ``critic_steps`` critic steps, each on a **fresh loader batch** and a
    fresh fake batch, then one generator step on the last batch's labels (or inputs). On resume,
    settings given here win over the checkpoint's; the ones not given are restored from it
    (:func:`~audiogan.train.checkpoints.restore_trainer`). :doc:`/parts/trainer` tells how.

    Args:
        generator: An ``nn.Module`` meeting :class:`~audiogan.protocols.Generator` (a sampling
            GAN) or :class:`~audiogan.protocols.PairedGenerator` (a paired GAN: see
            ``generator_input``).
        critic: An ``nn.Module`` meeting :class:`~audiogan.protocols.Critic`: scores
            ``(batch,)``, or a :class:`~audiogan.protocols.CriticOutput` for an ensemble.
        objective: An :class:`~audiogan.protocols.Objective` (summed over sub-critics).
        penalty: A :class:`~audiogan.protocols.Penalty`, applied when ``critic_updates %
            interval == 0``, or None.
        generator_optimizer: None (Adam with ``generator_lr`` and ``betas``), an optimizer over
            the generator's parameters, or a factory ``params -> Optimizer``.
        critic_optimizer: The same for the critic.
        generator_lr: Learning rate of the default generator Adam (1e-4 when not given).
        critic_lr: Learning rate of the default critic Adam (1e-4; TTUR: set them apart).
        betas: Betas of the default Adams ((0.5, 0.9), the WGAN-GP paper's, when not given).
        generator_scheduler: None, a scheduler over the generator's optimizer, or a factory
            ``optimizer -> scheduler``; stepped once per generator step, checkpointed.
        critic_scheduler: The same for the critic.
        critic_steps: Critic steps per generator step (5 for WGAN-GP; 1, the default, for BCE GANs).
        n_critic: The old name of ``critic_steps``, still accepted.
        critic_start: The generator step at which the critic joins (0, the default: from the
            start); before it, a reconstruction-only warm-up (:doc:`/parts/trainer`).
        precision: ``"auto"`` (bf16 on CUDA where supported, else 32), ``"32"``, ``"bf16"`` or
            ``"16"`` (CUDA: fp16 autocast with a GradScaler each for G and D).
        ema: None, a decay (e.g. 0.999) or an :class:`~audiogan.train.ema.EMA` of the generator.
        grad_clip: Max global gradient norm for G and D, or None.
        weight_clip: Clamp the critic's parameters to ``[-c, c]`` after each update, or None.
        augment: An :class:`~audiogan.augment.Augment` or
            :class:`~audiogan.augment.AdaptiveAugment`, applied to real and fake before every
            critic call (:mod:`~audiogan.train.augmentation`); its state is checkpointed.
        generator_input: A paired GAN's ``fn(real) -> inputs`` (e.g. a waveform's log-mel); a
            loader may instead yield ``{"real", "inputs"}``. None for a sampling GAN.
        generator_losses: ``{name: (weight, fn(step) -> loss)}`` added to the generator's loss
            (:mod:`~audiogan.train.generator_losses`).
        preprocess: A callable (e.g. a frontend) run on each device batch under ``no_grad``, such
            as waveforms -> log-mel; None to train on the loader's tensors.
        frontend: The :class:`~audiogan.protocols.Frontend` of the features, stored in
            checkpoints for :func:`~audiogan.train.generation.generate` (default: ``preprocess``
            when that has a ``config``).
        channels_last: Channels-last layout for conv weights and batches.
        compile: ``torch.compile`` the generator and critic calls (True, or a dict of its
            arguments); the penalty runs on the eager critic (no double backward when compiled).
        callbacks: :class:`~audiogan.train.callbacks.base.Callback` objects or ``fn(trainer)``.
        out_dir: Run folder; checkpoints go to ``out_dir/checkpoints``.
        device: ``"auto"`` (CUDA when available, ``cuda:LOCAL_RANK`` under torchrun) or a device.
        seed: Seeds the RNGs at the start of a fresh ``fit`` (plus the rank) and the data order.
        keep_checkpoints: How many checkpoints to keep.
        on_nan: ``"raise"`` (:class:`NonFiniteLossError`, nothing saved) or ``"skip"`` the
            update, counted in ``skipped_steps``.
        metadata: JSON-able dict stored in every checkpoint.

    Attributes:
        step: Generator steps done. epoch: Epochs completed. batch_in_epoch: Loader batches
            consumed in the current epoch. critic_updates: Critic updates done.
        metrics: The latest step's scalars: ``critic_loss``, ``generator_loss``, ``real_score``,
            ``fake_score``, ``penalty`` and ``grad_norm`` (when a penalty ran), one per
            generator loss, ``generator_lr``/``critic_lr`` (with schedulers), ``augment_p``
            (adaptive augmentation), ``skipped_steps``.
        history: One dict per step, ``{"step", "epoch", **metrics}``.
        interrupted: True after a stop signal ended ``fit``. last_checkpoint: The newest checkpoint
            written or loaded.
        generator_player: The generator's :class:`~audiogan.train.player.Player` (module,
            optimizer, scheduler, scaler; also read as ``generator_optimizer`` ...).
        critic_player: The critic's. calls: What the step calls
            (:class:`~audiogan.train.wrapping.ModelCalls`: compiled or DDP-wrapped models).
        stop_request: The :class:`~audiogan.train.interrupts.StopRequest` of Ctrl-C and SIGTERM.

    Example:
        A WGAN-GP at toy size (16 random "spectrograms" ``(1, 16, 16)``, batches of 4):

        >>> from torch.utils.data import DataLoader, TensorDataset
        >>> from audiogan.losses import GradientPenalty, Wasserstein
        >>> from audiogan.nn import ConvCritic2d, ConvGenerator2d
        >>> generator = ConvGenerator2d(8, (1, 16, 16), width=8, num_upsamples=2)
        >>> critic = ConvCritic2d((1, 16, 16), width=8, num_downsamples=2)
        >>> loader = DataLoader(TensorDataset(torch.rand(16, 1, 16, 16) * 2 - 1), batch_size=4)
        >>> trainer = Trainer(generator, critic, Wasserstein(), GradientPenalty(10.0), critic_steps=2,
        ...                   out_dir="runs/wgan", ema=0.999, device="cpu")
        >>> trainer.fit(loader, epochs=1).step  # 4 batches, 2 per generator step
        2
        >>> sorted(trainer.metrics)
        ['critic_loss', 'fake_score', 'generator_loss', 'grad_norm', 'penalty', 'real_score',
         'skipped_steps']
        >>> trainer.last_checkpoint.as_posix()
        'runs/wgan/checkpoints/step_00000002.pt'
    """

    #: A paired GAN's critic phase makes its last fake with gradients and the generator update
    #: reuses it, as HiFi-GAN's own step does (the generator has not changed in between); False
    #: makes a fresh fake for the generator update (what ``benchmarks/train_step.py`` compares).
    reuse_fake = True

    def __init__(
        self,
        generator: Generator | PairedGenerator,
        critic: Critic,
        objective: Objective,
        penalty: Penalty | None = None,
        *,
        generator_optimizer: OptimizerArg = None,
        critic_optimizer: OptimizerArg = None,
        generator_lr: float | None = None,
        critic_lr: float | None = None,
        betas: tuple[float, float] | None = None,
        generator_scheduler: SchedulerArg = None,
        critic_scheduler: SchedulerArg = None,
        critic_steps: int | None = None,
        n_critic: int | None = None,
        critic_start: int | None = None,
        precision: PrecisionName | int = "auto",
        ema: float | EMA | None = None,
        grad_clip: float | None = None,
        weight_clip: float | None = None,
        augment: nn.Module | None = None,
        generator_input: Callable[[torch.Tensor], torch.Tensor] | None = None,
        generator_losses: Mapping[str, tuple[float, GeneratorLossFn]] | None = None,
        preprocess: Callable[[torch.Tensor], torch.Tensor] | None = None,
        frontend: Frontend | None = None,
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
        critic_steps = checks.critic_steps_of(critic_steps, n_critic)
        given = {"generator_lr": generator_lr, "critic_lr": critic_lr, "betas": betas}
        given |= {"critic_steps": critic_steps, "generator_optimizer": generator_optimizer}
        given |= {"critic_optimizer": critic_optimizer, "critic_start": critic_start}
        #: Settings passed explicitly: on resume they win over the checkpoint's.
        self.given_settings = {name for name, value in given.items() if value is not None}
        critic_steps = 1 if critic_steps is None else critic_steps
        critic_start = checks.check_critic_start(0 if critic_start is None else critic_start)
        generator_lr = 1e-4 if generator_lr is None else generator_lr
        critic_lr = 1e-4 if critic_lr is None else critic_lr
        betas = (0.5, 0.9) if betas is None else betas
        checks.check_settings(
            critic_steps, keep_checkpoints, grad_clip, weight_clip, metadata, generator_input
        )
        checks.check_parts(generator, objective, penalty, samples_latent=generator_input is None)
        self._env = dist_env()
        self.device = resolve_device(device, self._env)
        self.precision = Precision(precision, self.device)
        if self.device.type == "cuda":
            torch.backends.cudnn.benchmark = True  # fixed shapes: cuDNN picks the fastest kernels
        self.generator: nn.Module = generator.to(self.device)  # type: ignore[union-attr]
        self.critic: nn.Module = critic.to(self.device)  # type: ignore[attr-defined]
        self.channels_last = bool(channels_last)
        if self.channels_last:
            to_channels_last_(self.generator)
            to_channels_last_(self.critic)
        self.compile_options = (
            None if compile is False else ({} if compile is True else dict(compile))
        )
        self.calls = ModelCalls(self.generator, self.critic, self.device, self.compile_options)
        self.objective, self.penalty = objective, penalty
        self.critic_steps, self.grad_clip, self.weight_clip = critic_steps, grad_clip, weight_clip
        self.critic_start = critic_start
        if ema is not None and not isinstance(ema, EMA):
            ema = EMA(self.generator, decay=float(ema))
        self.ema = ema.to(self.device) if ema is not None else None
        self.generator_player = Player.build(
            "generator", self.generator, generator_optimizer, generator_scheduler,
            generator_lr, betas, self.precision.scaler(), grad_clip=grad_clip, ema=self.ema,
        )  # fmt: skip
        self.critic_player = Player.build(
            "critic", self.critic, critic_optimizer, critic_scheduler,
            critic_lr, betas, self.precision.scaler(), grad_clip=grad_clip, weight_clip=weight_clip,
        )  # fmt: skip
        self.augment = checks.check_augment(augment, self.device)
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

        self.step = self.epoch = self.batch_in_epoch = self.critic_updates = 0
        self.metrics: dict[str, float] = {}
        self.history: list[dict[str, float]] = []
        self.interrupted = False
        self.total_steps: int | None = None
        self.last_checkpoint: Path | None = None
        self.stop_request = StopRequest()
        self._stop_agreed = False  # every rank saw a stop request (read in each step's sync)
        self._started = False
        checks.warn_unconstrained_critic(objective, critic, penalty, weight_clip)

    # ------------------------------------------------------------------ properties

    generator_optimizer = property(attrgetter("generator_player.optimizer"), doc="G's optimizer.")
    critic_optimizer = property(attrgetter("critic_player.optimizer"), doc="D's optimizer.")
    generator_scheduler = property(attrgetter("generator_player.scheduler"), doc="G's, or None.")
    critic_scheduler = property(attrgetter("critic_player.scheduler"), doc="D's, or None.")
    generator_scaler = property(attrgetter("generator_player.scaler"), doc="G's GradScaler.")
    critic_scaler = property(attrgetter("critic_player.scaler"), doc="D's GradScaler.")

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
        return checks.run_summary(
            self.generator,
            self.critic,
            self.device,
            self.precision.name,
            self.critic_steps,
            compiled,
            loader,
        )

    # ------------------------------------------------------------------ the step

    def train_step(self, batches: Sequence[Batch]) -> dict[str, float]:
        """One generator step: a critic update per batch, then a generator update.

        Args:
            batches: ``critic_steps`` :class:`~audiogan.train.batches.Batch` on :attr:`device`.

        Returns:
            The step's scalars (also stored in :attr:`metrics`).

        Raises:
            NonFiniteLossError: If a loss is NaN/inf and ``on_nan="raise"``.
        """
        autocast = self.precision.autocast
        stats = StepMetrics()
        self.loss_guard.begin_step()
        warm_up = self.step < self.critic_start  # reconstruction terms alone, no critic
        kept = None  # a paired GAN's last critic fake, with its graph: the generator's fake too

        # ---- critic phase: one update per batch, each against a fresh fake batch
        for k, batch in enumerate([] if warm_up else batches):
            keep = self.reuse_fake and batch.inputs is not None and k == len(batches) - 1
            with torch.set_grad_enabled(keep), autocast():
                fake = self._generate(batch)  # (batch, *feature_shape)
            if keep:
                kept, fake = fake, fake.detach()
            with autocast():
                real_in, fake_in = critic_views(self.augment, batch, fake)  # what D sees
                real_out = self._criticize(real_in, batch)
                fake_out = self._criticize(fake_in, batch)
                critic_loss = critic_loss_over(self.objective, real_out, fake_out)
                penalty = self._penalty(batch, real_in, fake_in)
            total = critic_loss if penalty is None else critic_loss + penalty
            what = f"critic loss (critic step {k + 1} of {len(batches)})"
            if self.loss_guard.allows(total, what, critic_loss, penalty, self.step + 1):
                self.critic_player.update(total)
            self.critic_updates += 1
            stats.add("critic_loss", critic_loss)
            stats.add("real_score", mean_score(real_out))
            stats.add("fake_score", mean_score(fake_out))
            observe_scores(self.augment, real_out, fake_out, stats)
            if penalty is not None:
                stats.add("penalty", penalty)
                if getattr(self.penalty, "last_grad_norm", None) is not None:
                    stats.add("grad_norm", self.penalty.last_grad_norm)

        # ---- generator phase: one update, the critic frozen (in the warm-up: not run)
        batch = batches[-1]
        with self.calls.critic_frozen():
            with autocast():
                fake = self._generate(batch) if kept is None else kept  # (batch, *feature_shape)
                if warm_up:
                    real_in, fake_out, generator_loss = batch.real, None, None
                else:
                    real_in, fake_in = critic_views(
                        self.augment, batch, fake, real=bool(self.generator_losses)
                    )
                    fake_out = self._criticize(fake_in, batch)
                    generator_loss = generator_loss_over(self.objective, fake_out)
                step = self._generator_step(batch, fake, fake_out, real_in)
                terms = generator_terms(self.generator_losses, step)
                total = generator_total(
                    generator_loss, self.generator_losses, terms, self.critic_start
                )
            main = total if generator_loss is None else generator_loss
            if self.loss_guard.allows(total, "generator loss", main, None, self.step + 1):
                self.generator_player.update(total)
        self.generator_player.step_schedule()
        if not warm_up:
            self.critic_player.step_schedule()
        if generator_loss is not None:
            stats.add("generator_loss", generator_loss)
        for name, value in terms.items():
            stats.add(name, value)

        # ---- report: every scalar, the NaN checks and the stop request in one host sync
        go_on = torch.tensor(not self.stop_request.requested, device=self.device)
        metrics, (*finite, agreed_go_on) = stats.read([*self.loss_guard.flags(), go_on])
        self._stop_agreed = agreed_go_on < 0.5
        self.loss_guard.check(finite, self.step + 1)
        for name, player in (
            ("generator_lr", self.generator_player),
            ("critic_lr", self.critic_player),
        ):
            if player.scheduler is not None:
                metrics[name] = player.learning_rate
        metrics["skipped_steps"] = float(self.skipped_steps)
        self.metrics = metrics
        return metrics

    def _generate(self, batch: Batch) -> torch.Tensor:
        """Fakes from the batch's inputs (paired GAN) or a fresh latent, with its labels."""
        source = batch.inputs
        if source is None:
            source = self.generator.sample_latent(batch.size, device=self.device)
        g = self.calls.generator
        return g(source) if batch.labels is None else g(source, batch.labels)

    def _criticize(self, x: torch.Tensor, batch: Batch) -> CriticOutput:
        """The critic's output on ``x`` (real or fake, with the batch's labels)."""
        out = self.calls.critic(x) if batch.labels is None else self.calls.critic(x, batch.labels)
        return as_critic_output(out, x.shape[0], type(self.critic).__name__)

    def _penalty(self, batch: Batch, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor | None:
        if self.penalty is None or self.critic_updates % getattr(self.penalty, "interval", 1) != 0:
            return None
        scaler = self.critic_scaler if self.critic_scaler.is_enabled() else None
        return self.penalty(self.calls.critic_eager, real, fake, batch.labels, scaler)

    def _generator_step(
        self, batch: Batch, fake: torch.Tensor, fake_out: CriticOutput | None, real_in: torch.Tensor
    ) -> GeneratorStep:
        """What the generator losses see; the critic on the real batch runs only on demand, and
        not at all in a warm-up step (no ``fake_out``)."""
        if fake_out is None:
            return GeneratorStep(fake, batch.real, batch.labels, batch.inputs, None, None)
        on_real = lambda: self._criticize(real_in, batch)  # noqa: E731
        return GeneratorStep(
            fake, batch.real, batch.labels, batch.inputs, lambda: fake_out, on_real
        )

    # ------------------------------------------------------------------ the loop

    def fit(
        self,
        loader: Iterable[Any],
        epochs: int | None = None,
        steps: int | None = None,
        resume: Literal["auto"] | str | Path | bool | None = "auto",
    ) -> Trainer:
        """Train until ``epochs`` epochs or ``steps`` generator steps in all (whichever first).

        Both counts are totals, resumed steps included. ``resume="auto"`` continues from the
        newest readable checkpoint in ``out_dir/checkpoints`` (on CPU bit for bit as an
        uninterrupted run), a path from that file, ``False`` starts fresh. A final checkpoint is
        written when ``fit`` returns, also after Ctrl-C or SIGTERM, which finish the step and
        set :attr:`interrupted`. Under torchrun a plain ``DataLoader`` is sharded and both
        models are wrapped in DDP. :doc:`/parts/trainer` tells each in full.

        Raises:
            ValueError: Neither ``epochs`` nor ``steps``, fewer batches than ``critic_steps``, or a
                first batch that does not fit the models.
            NonFiniteLossError: On a NaN/inf loss with ``on_nan="raise"``.
        """
        checks.check_fit_args(epochs, steps)
        self.interrupted = self._stop_agreed = False
        with process_group(self.device) as distributed:
            self.calls.wrap(distributed)
            try:
                if isinstance(loader, DataLoader) and distributed:
                    loader = distributed_loader(loader, seed=self.seed)
                self.total_steps = checks.planned_steps(loader, epochs, steps, self.critic_steps)
                if not self._started or resume not in (None, False, True, "auto"):
                    self.resume(resume)
                if self.is_main_process:
                    self.out_dir.mkdir(parents=True, exist_ok=True)
                log.info("audiogan: %s", self.summary(loader))
                self.generator.train()
                self.critic.train()
                self.run_callbacks("on_fit_start")
                with self.stop_request:  # SIGINT/SIGTERM: stop after the step, then save
                    self._loop(loader, epochs, steps)
                    if self.is_main_process:
                        with self.stop_request.protect():  # a 2nd signal waits for the write
                            path = self.save_checkpoint()
                if self.interrupted and self.is_main_process:
                    log.warning("stopped at step %d; checkpoint saved to %s", self.step, path)
                self.run_callbacks("on_fit_end")
            finally:
                self.calls.wrap(distributed=False)
        return self

    def _loop(self, loader: Iterable[Any], epochs: int | None, steps: int | None) -> None:
        def finished() -> bool:
            return (steps is not None and self.step >= steps) or (
                epochs is not None and self.epoch >= epochs
            )

        checked = False
        while not finished():
            sampler = getattr(loader, "sampler", None)
            if callable(getattr(sampler, "set_epoch", None)):
                sampler.set_epoch(self.epoch)
            group: list[Batch] = []
            seen = 0
            for raw in self.epoch_order.batches(loader, self.epoch, skip=self.batch_in_epoch):
                seen += 1
                group.append(self.prepare(raw))
                if len(group) < self.critic_steps:
                    continue
                if not checked:  # once per fit, before its first step
                    self.preflight(group)
                    checked = True
                self.train_step(group)
                group = []
                self.batch_in_epoch += self.critic_steps
                self.step += 1
                self.history.append({"step": self.step, "epoch": self.epoch, **self.metrics})
                self.run_callbacks("on_step_end")
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
            self.run_callbacks("on_epoch_end")

    def prepare(self, raw: Any) -> Batch:
        """A loader batch -> a :class:`~audiogan.train.batches.Batch` on :attr:`device`, as
        :meth:`train_step` takes it (preprocessed, with a paired GAN's generator input)."""
        return prepare_batch(
            raw, self.device, self.preprocess, self.generator_input, self.channels_last
        )

    def preflight(self, batches: Sequence[Batch]) -> None:
        """The checks :meth:`fit` runs once on its first step's batches, before training on
        them (:func:`~audiogan.train.preflight.preflight`: labels, shapes, clear errors).

        Raises:
            ValueError: Naming what does not fit.
        """
        checks.preflight(
            self.generator, self.critic, batches, self.step + 1,
            self.preprocess is not None, self.precision.autocast,
        )  # fmt: skip

    def run_callbacks(self, hook: str) -> None:
        """Call ``hook`` (``"on_step_end"`` ...) of every callback this process runs."""
        for cb in self.callbacks:
            if self.is_main_process or not cb.main_process_only:
                getattr(cb, hook)(self)

    # ------------------------------------------------------------------ checkpoints

    def state_dict(self) -> dict[str, Any]:
        """Everything a checkpoint holds (:func:`~audiogan.train.checkpoints.trainer_state`)."""
        return checkpoints.trainer_state(self)

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

    def resume(self, resume: str | Path | bool | None = "auto") -> Path | None:
        """Restore a checkpoint now, before :meth:`fit` (which then continues from it), or seed
        every RNG for a fresh run. Nothing is written, so a caller can check that a run folder's
        checkpoint fits the models before it writes anything there.

        Args:
            resume: ``"auto"``/``True`` (the newest readable checkpoint in
                ``out_dir/checkpoints``, if any), a checkpoint path, or ``None``/``False``.

        Returns:
            The checkpoint restored, or None for a fresh run.

        Raises:
            UnreadableCheckpointError: If the folder holds checkpoints but none can be read.
            CheckpointMismatchError: If the checkpoint does not fit the models.
        """
        self._started = True
        restored = checkpoints.resume_or_seed(self, resume)
        self.last_checkpoint = restored or self.last_checkpoint
        return restored

    def load_checkpoint(self, path: str | Path) -> None:
        """Restore a checkpoint written by :meth:`save_checkpoint`, RNG states and data order included.

        Raises:
            ValueError: If the file is unreadable.
            CheckpointMismatchError: If its models do not fit (nothing is changed then).
        """
        path = Path(path)
        checkpoints.restore_trainer(self, load_checkpoint(path), path)
        self._started = True
        self.last_checkpoint = path
