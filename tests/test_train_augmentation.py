"""The step's pieces outside trainer.py: what the critic sees, and the generator's total loss."""

from __future__ import annotations

import pytest
import torch

from audiogan.protocols import CriticOutput
from audiogan.train.augmentation import critic_views, observe_scores
from audiogan.train.batches import Batch
from audiogan.train.generator_losses import (
    CriticNotRunError,
    GeneratorStep,
    generator_terms,
    generator_total,
)
from audiogan.train.step_report import StepMetrics


class Shift(torch.nn.Module):
    """Adds one random offset per call to every tensor given: shared draws are visible."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def forward(self, *tensors: torch.Tensor):
        self.calls += 1
        offset = torch.randn(())
        out = tuple(t + offset for t in tensors)
        return out if len(out) > 1 else out[0]


def batch(inputs: torch.Tensor | None = None) -> Batch:
    return Batch(real=torch.zeros(2, 3), labels=None, inputs=inputs)


def test_without_augment_the_critic_sees_the_tensors_themselves():
    b, fake = batch(), torch.ones(2, 3)
    real, seen = critic_views(None, b, fake)
    assert real is b.real and seen is fake


def test_paired_gans_share_one_draw_and_sampling_gans_draw_twice():
    shift = Shift()
    real, fake = critic_views(shift, batch(inputs=torch.zeros(2, 1)), torch.ones(2, 3))
    assert shift.calls == 1 and torch.allclose(fake - real, torch.ones(2, 3))
    real, fake = critic_views(shift, batch(), torch.ones(2, 3))
    assert shift.calls == 3 and not torch.allclose(fake - real, torch.ones(2, 3))
    b = batch()
    real, _ = critic_views(shift, b, torch.ones(2, 3), real=False)
    assert real is b.real and shift.calls == 4


def test_adaptive_augment_observes_the_scores_and_its_p_is_logged():
    class Ada:
        p = torch.tensor(0.25)
        seen: list = []

        def observe(self, real, fake):
            self.seen.append((real, fake))

    ada, stats = Ada(), StepMetrics()
    out = CriticOutput([torch.ones(2)], [[]])
    observe_scores(ada, out, out, stats)
    metrics, _ = stats.read([torch.tensor(True)])
    assert len(ada.seen) == 1 and metrics["augment_p"] == 0.25
    observe_scores(None, out, out, stats)  # nothing to observe: no error


def test_generator_total_weights_the_terms_and_warm_up_leaves_critic_terms_out():
    step = GeneratorStep(torch.ones(2), torch.zeros(2), None, None, None, None)  # a warm-up step
    losses = {
        "l1": (10.0, lambda s: (s.fake - s.real).abs().mean()),
        "fm": (2.0, lambda s: s.fake_output.scores[0].mean()),  # reads the critic
    }
    terms = generator_terms(losses, step)
    assert list(terms) == ["l1"]
    assert generator_total(None, losses, terms, critic_start=5).item() == 10.0
    assert generator_total(torch.tensor(1.5), losses, terms, 0).item() == 11.5
    with pytest.raises(ValueError, match="critic_start=5, but every generator_losses term"):
        generator_total(None, {"fm": losses["fm"]}, generator_terms({"fm": losses["fm"]}, step), 5)
    with pytest.raises(CriticNotRunError):
        _ = step.fake_output


def test_the_trainer_docstring_maps_every_module_of_train():
    """The concern map in trainer.py names each module of ``audiogan.train`` (a new module
    without a place on the map fails here)."""
    import pkgutil

    import audiogan.train
    from audiogan.train import trainer

    modules = {m.name for m in pkgutil.iter_modules(audiogan.train.__path__)} - {"trainer"}
    missing = [m for m in sorted(modules) if f":mod:`~audiogan.train.{m}`" not in trainer.__doc__]
    assert not missing, f"trainer.py's concern map misses {missing}"
