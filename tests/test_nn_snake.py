"""Snake and SnakeBeta: BigVGAN's formulas, log-scale parameters, gradients."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest
import torch

from audiogan.nn import Snake, SnakeBeta, snake_activation

sys.path.insert(0, str(Path(__file__).parent))
from vocoder_references import RefSnake, RefSnakeBeta  # noqa: E402


@pytest.mark.parametrize("logscale", [False, True])
def test_snake_equals_bigvgan_with_the_same_parameters(logscale):
    torch.manual_seed(0)
    ours, ref = Snake(6, logscale=logscale), RefSnake(6, alpha_logscale=logscale)
    values = torch.randn(6) * 0.5 + (0.0 if logscale else 1.0)
    ours.alpha.data.copy_(values)
    ref.alpha.data.copy_(values)
    x = torch.randn(3, 6, 50) * 3
    torch.testing.assert_close(ours(x), ref(x))


@pytest.mark.parametrize("logscale", [False, True])
def test_snakebeta_equals_bigvgan_with_the_same_parameters(logscale):
    torch.manual_seed(1)
    ours, ref = SnakeBeta(5, logscale=logscale), RefSnakeBeta(5, alpha_logscale=logscale)
    a, b = torch.rand(5) + 0.5, torch.rand(5) + 0.2
    if logscale:
        a, b = a.log(), b.log()
    for module in (ours, ref):
        module.alpha.data.copy_(a)
        module.beta.data.copy_(b)
    x = torch.randn(2, 5, 40) * 3
    torch.testing.assert_close(ours(x), ref(x))


def test_closed_form_values_and_initial_parameters():
    act = Snake(1, alpha=2.0)
    x = torch.tensor([[[0.0, math.pi / 4, math.pi / 2, -1.0]]])
    expected = x + torch.sin(2 * x) ** 2 / 2
    torch.testing.assert_close(act(x), expected)
    assert float(act(x).detach()[0, 0, 1]) == pytest.approx(math.pi / 4 + 0.5)
    log_act = SnakeBeta(3, alpha=1.0, logscale=True)
    assert log_act.alpha.abs().max() == 0 and log_act.beta.abs().max() == 0  # log(1)
    torch.testing.assert_close(snake_activation(x, torch.tensor(2.0)), expected)
    torch.testing.assert_close(
        snake_activation(x, torch.tensor(2.0), torch.tensor(4.0)), x + torch.sin(2 * x) ** 2 / 4
    )


def test_parameters_learn_and_can_be_frozen():
    act = SnakeBeta(4)
    act(torch.randn(2, 4, 16)).sum().backward()
    assert act.alpha.grad is not None and act.beta.grad is not None
    assert act.alpha.grad.abs().sum() > 0
    frozen = Snake(4, trainable=False)
    assert not frozen.alpha.requires_grad


def test_wrong_shapes_and_arguments_are_refused():
    with pytest.raises(ValueError, match=r"\(batch, 4, time\)"):
        Snake(4)(torch.randn(2, 3, 8))
    with pytest.raises(ValueError, match=r"\(batch, 4, time\)"):
        SnakeBeta(4)(torch.randn(4, 8))
    with pytest.raises(ValueError, match="alpha must be > 0"):
        Snake(4, alpha=0.0, logscale=True)
