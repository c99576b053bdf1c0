"""MinibatchStdDev: the feature it appends, its groups, and the ResNet-9 critic that uses it."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from audiogan._build import build_module
from audiogan.nn import MinibatchStdDev, ResNet9Critic
from audiogan.train.checkpoints import module_spec


def naive(x: torch.Tensor, group_size: int) -> torch.Tensor:
    """The appended feature, one sample at a time: the mean over features of the population
    standard deviation over the samples ``n' = n (mod batch // group)``."""
    batch = x.shape[0]
    group = math.gcd(batch, group_size)  # the largest group that divides the batch
    m = batch // group
    out = torch.empty(batch)
    for n in range(batch):
        members = x[[n % m + k * m for k in range(group)]]
        out[n] = (members.var(dim=0, unbiased=False) + 1e-8).sqrt().mean()
    return out


@settings(max_examples=30, deadline=None)
@given(
    batch=st.integers(1, 12),
    group_size=st.integers(2, 6),
    features=st.integers(1, 5),
    spatial=st.sampled_from([(), (3,), (2, 3)]),
)
def test_appends_each_groups_mean_standard_deviation(batch, group_size, features, spatial):
    x = torch.randn(batch, features, *spatial, generator=torch.Generator().manual_seed(batch))
    y = MinibatchStdDev(group_size)(x)
    assert y.shape == (batch, features + 1, *spatial)
    assert torch.equal(y[:, :features], x)  # the input passes through unchanged
    extra = y[:, features].reshape(batch, -1)  # (batch, spatial positions)
    assert torch.equal(extra, extra[:, :1].expand_as(extra))  # one value per sample
    torch.testing.assert_close(extra[:, 0], naive(x, group_size), atol=1e-6, rtol=1e-5)


def test_a_collapsed_batch_gets_zero_and_a_varied_one_does_not():
    layer = MinibatchStdDev(4)
    same = torch.randn(1, 16).expand(8, 16)
    assert layer(same)[:, -1].abs().max() < 1e-3  # sqrt(1e-8): nothing varies
    assert layer(torch.randn(8, 16))[:, -1].min() > 0.5


def test_gradients_flow_through_the_statistic():
    x = torch.randn(8, 4, requires_grad=True)
    MinibatchStdDev(4)(x)[:, -1].sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_bad_group_size_and_input_are_clear_errors():
    with pytest.raises(ValueError, match="group_size must be >= 2, got 1"):
        MinibatchStdDev(1)
    with pytest.raises(ValueError, match=r"expected \(batch, features, ...\), got shape \(3,\)"):
        MinibatchStdDev(2)(torch.randn(3))


def test_resnet9_critic_with_it_scores_and_round_trips_through_its_config():
    critic = ResNet9Critic(1, width=4, norm="spectral", minibatch_std=4)
    assert critic.net.head[1].in_features == 8 * 4 + 1
    x = torch.randn(8, 1, 16, 16)
    assert critic(x).shape == (8,)
    spec = module_spec(critic, with_state=False)
    rebuilt = build_module(spec["class"], spec["config"])
    rebuilt.load_state_dict(critic.state_dict())
    torch.testing.assert_close(rebuilt.eval()(x), critic.eval()(x))
    # Scores depend on the rest of the batch: a sample scores differently beside copies of
    # itself than beside varied samples.
    alone = critic(x[:1].expand(8, -1, -1, -1))[0]
    assert not torch.allclose(alone, critic(x)[0])
