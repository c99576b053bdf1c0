"""RecurrentClassifier: input forms, pooled embeddings, streaming equal to one pass, errors."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from audiogan.nn.recurrent import RecurrentClassifier


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_shapes_and_input_forms(cell: str, bidirectional: bool) -> None:
    m = RecurrentClassifier(
        8, 3, hidden_size=5, num_layers=2, cell=cell, bidirectional=bidirectional
    ).eval()
    x = torch.randn(2, 8, 7)
    torch.testing.assert_close(m(x), m(x[:, None]))  # (B, F, T) and (B, 1, F, T)
    assert m(x).shape == (2, 3)
    assert m.embed(x).shape == (2, 5 * (2 if bidirectional else 1)) == (2, m.embed_dim)
    assert m(x[:1, :, :1]).shape == (1, 3)  # batch of one, one frame


def test_mean_pooling_is_the_mean_of_rnn_outputs() -> None:
    m = RecurrentClassifier(4, 2, hidden_size=3, num_layers=1, cell="gru")
    x = torch.randn(2, 4, 6)
    out, _ = m.rnn(x.transpose(1, 2))
    torch.testing.assert_close(m.embed(x), out.mean(1))


def test_last_pooling_is_final_hidden_state_of_both_directions() -> None:
    m = RecurrentClassifier(
        4, 2, hidden_size=3, num_layers=2, cell="lstm", bidirectional=True, pooling="last"
    )
    x = torch.randn(2, 4, 6)
    out, _ = m.rnn(x.transpose(1, 2))
    expected = torch.cat(
        [out[:, -1, :3], out[:, 0, 3:]], dim=1
    )  # forward ends at T-1, backward at 0
    torch.testing.assert_close(m.embed(x), expected)


@settings(max_examples=10, deadline=None)
@given(
    cuts=st.lists(st.integers(1, 11), min_size=0, max_size=4, unique=True),
    cell=st.sampled_from(["rnn", "gru", "lstm"]),
    pooling=st.sampled_from(["mean", "last"]),
)
def test_streaming_chunks_equal_one_pass(cuts: list[int], cell: str, pooling: str) -> None:
    torch.manual_seed(0)
    m = RecurrentClassifier(
        6, 4, hidden_size=5, num_layers=2, cell=cell, pooling=pooling, dropout=0.3
    ).eval()
    x = torch.randn(2, 1, 6, 12)
    bounds = [0, *sorted(cuts), 12]
    state = None
    for start, stop in zip(bounds, bounds[1:], strict=False):
        logits, state = m.step(x[..., start:stop], state)
    assert state.frames == 12
    torch.testing.assert_close(logits, m(x), rtol=1e-5, atol=1e-5)


def test_learns_to_separate_two_classes() -> None:
    torch.manual_seed(0)
    m = RecurrentClassifier(4, 2, hidden_size=8, num_layers=1, cell="gru")
    x = torch.randn(8, 4, 10)
    y = torch.tensor([0, 1] * 4)
    x[y == 1, 0] += 2.0  # class 1: a loud first bin
    opt = torch.optim.Adam(m.parameters(), lr=0.05)
    first = None
    for _ in range(25):
        loss = nn.functional.cross_entropy(m(x), y)
        first = first if first is not None else loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.3 * first
    assert (m(x).argmax(1) == y).all()


def test_errors() -> None:
    m = RecurrentClassifier(8, 3, hidden_size=4, num_layers=1)
    with pytest.raises(ValueError, match=r"\(batch, 1, 8, frames\)"):
        m(torch.randn(2, 7, 5))
    with pytest.raises(ValueError, match="at least one frame"):
        m(torch.randn(2, 8, 0))
    with pytest.raises(ValueError, match="step chunk"):
        m.step(torch.randn(2, 2, 8, 5))
    with pytest.raises(ValueError, match="bidirectional"):
        RecurrentClassifier(8, 3, 4, 1, bidirectional=True).step(torch.randn(2, 8, 5))
    with pytest.raises(ValueError, match="cell"):
        RecurrentClassifier(8, 3, cell="transformer")
    with pytest.raises(ValueError, match="pooling"):
        RecurrentClassifier(8, 3, pooling="max")
    with pytest.raises(ValueError, match="num_classes"):
        RecurrentClassifier(8, 0)
