"""The shared argument checks and ``LatentMixin``: messages, return values, the latent's device."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from audiogan.nn import ConvCritic2d, ConvGenerator2d, LabelEmbedding, WaveGANGenerator
from audiogan.nn.checks import (
    check_at_least,
    check_choice,
    check_greater,
    check_odd_kernel,
    check_positive,
    check_positive_ints,
    check_sizes,
    check_stage_channels,
)
from audiogan.nn.latent import LatentMixin


@settings(max_examples=50, deadline=None)
@given(
    st.dictionaries(st.sampled_from("abcdef"), st.integers(-5, 5), min_size=1), st.integers(-2, 3)
)
def test_check_at_least_names_exactly_the_values_below(values: dict, minimum: int) -> None:
    bad = [name for name, v in values.items() if v < minimum]
    if not bad:
        check_at_least("Block", minimum, **values)
        return
    with pytest.raises(ValueError) as err:
        check_at_least("Block", minimum, **values)
    message = str(err.value)
    assert message.startswith("Block: ") and f"must be >= {minimum}, got " in message
    named = message.split(": ", 1)[1].split(" must")[0].replace(" and ", ", ").split(", ")
    assert named == bad
    got = message.rsplit("got ", 1)[1].split(", ")
    assert got == [str(values[name]) for name in bad]


def test_messages_read_owner_argument_value() -> None:
    with pytest.raises(ValueError, match=r"^LabelEmbedding: dim must be >= 1, got 0$"):
        check_positive("LabelEmbedding", num_classes=3, dim=0)
    with pytest.raises(ValueError, match=r"^B: width and depth must be >= 1, got 0, -1$"):
        check_positive("B", width=0, depth=-1, ok=2)
    with pytest.raises(ValueError, match=r"^U: tau must be > 0, got nan$"):
        check_greater("U", "tau", math.nan)
    with pytest.raises(ValueError, match=r"upsample_rates must be positive integers, got \[\]"):
        check_positive_ints("G", "upsample_rates", [])
    with pytest.raises(ValueError, match=r"^G: mode must be one of \('a', 'b'\), got 'c'$"):
        check_choice("G", "mode", "c", ["a", "b"])
    with pytest.raises(
        ValueError, match=r"in_shape must be \(channels, freq, frames\) of positive"
    ):
        check_sizes("C", "in_shape", (1, 0, 4), ("channels", "freq", "frames"))
    with pytest.raises(ValueError, match=r"must be \(channels, freq, frames\).*got 'ab'"):
        check_sizes("C", "in_shape", "ab", ("channels", "freq", "frames"))
    with pytest.raises(ValueError, match=r"channels must hold 3 positive counts \(one per stage\)"):
        check_stage_channels("C", [4, 8], 3)
    for bad in (0, 4, -3):
        with pytest.raises(ValueError, match=rf"^B: kernel_size must be odd .*, got {bad}$"):
            check_odd_kernel("B", bad)
    check_odd_kernel("B", 7)


def test_checks_return_the_normalized_value() -> None:
    assert check_positive_ints("G", "rates", (8.0, 2)) == [8, 2]
    assert check_sizes("C", "s", [1.0, 2, 3], "abc") == (1, 2, 3)
    assert check_stage_channels("C", (4, 8), 2) == [4, 8]
    assert check_choice("G", "mode", "a", ("a",)) == "a"


def test_blocks_raise_the_shared_messages() -> None:
    with pytest.raises(ValueError, match=r"^ConvCritic2d: width must be >= 1, got 0$"):
        ConvCritic2d((1, 16, 16), width=0)
    with pytest.raises(ValueError, match=r"^ConvGenerator2d: latent_dim must be >= 1, got 0$"):
        ConvGenerator2d(0, (1, 16, 16))
    with pytest.raises(ValueError, match=r"^LabelEmbedding: num_classes must be >= 1, got 0$"):
        LabelEmbedding(0)


@pytest.mark.parametrize(
    "make",
    [
        lambda: ConvGenerator2d(8, (1, 16, 16), width=8, num_upsamples=2),
        lambda: WaveGANGenerator(8, (1, 1024), width=2),
    ],
)
def test_latent_mixin_follows_the_module(make) -> None:
    model = make()
    z = model.sample_latent(3)
    assert z.shape == (3, 8) and z.dtype == torch.float32
    assert model.double().sample_latent(2).dtype == torch.float64
    a = model.sample_latent(4, generator=torch.Generator().manual_seed(0))
    b = model.sample_latent(4, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(a, b)
    assert model.sample_latent(2, dtype=torch.float16).dtype == torch.float16


def test_latent_mixin_needs_a_module() -> None:
    class NotAModule(LatentMixin):
        latent_dim = 4

    with pytest.raises(TypeError, match="needs an nn.Module"):
        NotAModule().sample_latent(1)

    class Tiny(LatentMixin, nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.latent_dim = 5
            self.w = nn.Parameter(torch.zeros(1, dtype=torch.float64))

    assert Tiny().sample_latent(2).dtype == torch.float64
