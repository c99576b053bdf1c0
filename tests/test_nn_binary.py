"""Binary and one-hot output units: hard values forward, the stand-in's gradient backward."""

from __future__ import annotations

import pytest
import torch

from audiogan.nn.binary import BinaryNeurons, OneHotUnits, straight_through


def test_straight_through_is_hard_forward_and_soft_backward() -> None:
    soft = torch.tensor([0.2, 0.7, 0.5], requires_grad=True)
    hard = torch.tensor([0.0, 1.0, 1.0])
    y = straight_through(hard, soft)
    assert torch.equal(y.detach(), hard)
    (y * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert torch.equal(soft.grad, torch.tensor([1.0, 2.0, 3.0]))  # as if y were soft
    with pytest.raises(ValueError, match="same shape"):
        straight_through(hard[:2], soft)


@pytest.mark.parametrize("signed", [True, False])
def test_deterministic_binary_neurons_threshold_at_zero(signed: bool) -> None:
    logits = torch.tensor([[-2.0, -0.1, 0.1, 3.0]], requires_grad=True)
    y = BinaryNeurons("deterministic", signed=signed)(logits)
    on, off = (1.0, -1.0) if signed else (1.0, 0.0)
    assert torch.equal(y.detach(), torch.tensor([[off, off, on, on]]))
    y.sum().backward()
    p = torch.sigmoid(logits.detach())
    expected = (2 if signed else 1) * p * (1 - p)  # the sigmoid's gradient (sigmoid-adjusted ST)
    torch.testing.assert_close(logits.grad, expected)


def test_stochastic_binary_neurons_are_bernoulli_of_the_sigmoid() -> None:
    torch.manual_seed(0)
    logits = torch.full((20_000,), 0.847)  # sigmoid = 0.7
    y = BinaryNeurons("stochastic", signed=False)(logits)
    assert set(y.unique().tolist()) == {0.0, 1.0}
    assert abs(y.mean().item() - 0.7) < 0.02


@pytest.mark.parametrize("mode", ["softmax", "argmax", "gumbel"])
def test_one_hot_units_sum_to_one_along_dim(mode: str) -> None:
    torch.manual_seed(0)
    logits = torch.randn(3, 5, 7, requires_grad=True)
    units = OneHotUnits(mode, dim=1, signed=False)
    y = units(logits)
    assert y.shape == logits.shape
    torch.testing.assert_close(y.sum(dim=1), torch.ones(3, 7))
    if mode != "softmax":  # hard in the forward pass
        assert set(y.detach().unique().tolist()) == {0.0, 1.0}
    (y * torch.randn_like(y)).sum().backward()
    assert logits.grad is not None and logits.grad.abs().sum() > 0


def test_softmax_units_are_probabilities_in_training_and_argmax_in_eval() -> None:
    logits = torch.tensor([[1.0, 3.0, 2.0]])
    units = OneHotUnits("softmax")
    torch.testing.assert_close(units(logits), 2 * torch.softmax(logits, -1) - 1)
    units.eval()
    assert torch.equal(units(logits), torch.tensor([[-1.0, 1.0, -1.0]]))


def test_argmax_units_have_the_softmax_gradient() -> None:
    logits = torch.tensor([[0.5, -1.0, 2.0]], requires_grad=True)
    w = torch.tensor([[1.0, -2.0, 0.5]])
    (OneHotUnits("argmax", tau=2.0, signed=False)(logits) * w).sum().backward()
    reference = logits.detach().clone().requires_grad_(True)
    (torch.softmax(reference / 2.0, -1) * w).sum().backward()
    torch.testing.assert_close(logits.grad, reference.grad)


def test_gumbel_units_sample_the_softmax_distribution() -> None:
    torch.manual_seed(0)
    probs = torch.tensor([0.6, 0.3, 0.1])
    logits = probs.log().expand(30_000, 3)
    y = OneHotUnits("gumbel", signed=False)(logits)
    torch.testing.assert_close(y.mean(dim=0), probs, atol=0.015, rtol=0)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: BinaryNeurons("sigmoid"), "mode must be one of"),
        (lambda: OneHotUnits("sparsemax"), "mode must be one of"),
        (lambda: OneHotUnits("gumbel", tau=0.0), "tau must be > 0"),
    ],
)
def test_errors(make, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        make()
