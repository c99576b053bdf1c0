"""Recurrent spectrogram classifier (the recurrent event classifier), also the embedding network of the audio metrics.

Frames of a spectrogram ``(batch, [1,] freq, frames)`` are the time steps of an RNN, GRU or LSTM;
the outputs are pooled over time (mean, or the last step) and a linear layer gives class logits.
A unidirectional model can also classify a live signal chunk by chunk with :meth:`step`, carrying
its hidden state and pooling statistics, and gives the same logits as one pass over the whole
signal.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from einops import rearrange
from torch import nn

from audiogan.nn.checks import check_choice, check_positive
from audiogan.registry import register

_CELLS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}


class StreamState(NamedTuple):
    """What :meth:`RecurrentClassifier.step` carries from one chunk to the next.

    Attributes:
        hidden: The RNN's hidden state ``(num_layers, batch, hidden_size)`` (for an LSTM the pair
            ``(h, c)``).
        total: Sum of the last layer's outputs over all frames so far ``(batch, hidden_size)``.
        last: The last frame's output ``(batch, hidden_size)``.
        frames: Frames seen so far.
    """

    hidden: torch.Tensor | tuple[torch.Tensor, torch.Tensor]
    total: torch.Tensor
    last: torch.Tensor
    frames: int


@register
class RecurrentClassifier(nn.Module):
    """RNN / GRU / LSTM over spectrogram frames -> class logits.

    Args:
        num_features: Features per frame (mel bins).
        num_classes: Number of classes.
        hidden_size: RNN width.
        num_layers: Stacked RNN layers.
        cell: ``"rnn"`` (tanh, as in the recurrent event classifier), ``"gru"`` or ``"lstm"``.
        bidirectional: Run both directions (then :meth:`step` is unavailable).
        dropout: Dropout between RNN layers and before the linear head.
        pooling: ``"mean"`` over frames or ``"last"`` (the final hidden state of the last layer).

    Shapes:
        ``forward(x (batch, 1, num_features, frames) | (batch, num_features, frames)) -> (batch, num_classes)``;
        ``embed(x) -> (batch, embed_dim)`` with ``embed_dim = hidden_size * (2 if bidirectional else 1)``.
    """

    def __init__(
        self,
        num_features: int = 128,
        num_classes: int = 10,
        hidden_size: int = 128,
        num_layers: int = 2,
        cell: str = "gru",
        bidirectional: bool = False,
        dropout: float = 0.0,
        pooling: str = "mean",
    ) -> None:
        super().__init__()
        name = "RecurrentClassifier"
        check_positive(
            name,
            num_features=num_features,
            num_classes=num_classes,
            hidden_size=hidden_size,
            num_layers=num_layers,
        )
        check_choice(name, "cell", cell, sorted(_CELLS))
        check_choice(name, "pooling", pooling, ("mean", "last"))
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"{name}: dropout must lie in [0, 1), got {dropout}")
        self.config = {
            "num_features": num_features,
            "num_classes": num_classes,
            "hidden_size": hidden_size,
            "num_layers": num_layers,
            "cell": cell,
            "bidirectional": bidirectional,
            "dropout": dropout,
            "pooling": pooling,
        }
        self.num_features = num_features
        self.num_classes = num_classes
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.cell = cell
        self.bidirectional = bidirectional
        self.pooling = pooling
        self.directions = 2 if bidirectional else 1
        self.embed_dim = hidden_size * self.directions
        self.rnn = _CELLS[cell](
            num_features,
            hidden_size,
            num_layers=num_layers,
            batch_first=True,
            bidirectional=bidirectional,
            dropout=dropout if num_layers > 1 else 0.0,
        )
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(self.embed_dim, num_classes))

    def _frames(self, x: torch.Tensor, name: str) -> torch.Tensor:
        """``(B, [1,] F, T) -> (B, T, F)``, checking the feature axis."""
        if x.dim() == 4 and x.shape[1] == 1:
            x = x[:, 0]
        if x.dim() != 3 or x.shape[1] != self.num_features:
            raise ValueError(
                f"{name}: expected shape (batch, 1, {self.num_features}, frames) or (batch, {self.num_features}, frames) "
                f"(batch, [channels,] freq, frames), got {tuple(x.shape)}"
            )
        if x.shape[-1] < 1:
            raise ValueError(f"{name}: expected at least one frame, got {tuple(x.shape)}")
        return rearrange(x, "b f t -> b t f")

    def _last_hidden(
        self, hidden: torch.Tensor | tuple[torch.Tensor, torch.Tensor]
    ) -> torch.Tensor:
        """Final hidden state of the last layer, both directions: ``(B, embed_dim)``."""
        h = hidden[0] if isinstance(hidden, tuple) else hidden  # (layers*dirs, B, H)
        return rearrange(h[-self.directions :], "d b h -> b (d h)")

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Pooled features ``(batch, embed_dim)`` of ``x (batch, [1,] num_features, frames)``."""
        out, hidden = self.rnn(self._frames(x, "RecurrentClassifier input"))  # (B, T, H*dirs)
        if self.pooling == "mean":
            return out.mean(dim=1)
        return self._last_hidden(hidden)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits ``(batch, num_classes)``."""
        return self.head(self.embed(x))

    def step(
        self, chunk: torch.Tensor, state: StreamState | None = None
    ) -> tuple[torch.Tensor, StreamState]:
        """Classify a stream chunk by chunk: logits for everything seen so far, and the new state.

        Feeding the chunks of a spectrogram one after another gives the same logits as
        ``forward`` on the whole spectrogram (in eval mode, without dropout).

        Args:
            chunk: The next frames ``(batch, [1,] num_features, frames)``.
            state: What the previous call returned; ``None`` to start a stream.

        Returns:
            ``(logits (batch, num_classes), state)``.

        Raises:
            ValueError: For a bidirectional model (it needs the whole signal) or a wrong shape.
        """
        if self.bidirectional:
            raise ValueError(
                "RecurrentClassifier.step: a bidirectional model cannot stream; use forward on the whole signal"
            )
        frames = self._frames(chunk, "RecurrentClassifier.step chunk")  # (B, t, F)
        out, hidden = self.rnn(frames, None if state is None else state.hidden)  # (B, t, H)
        total = out.sum(dim=1) if state is None else state.total + out.sum(dim=1)
        seen = frames.shape[1] + (0 if state is None else state.frames)
        state = StreamState(hidden=hidden, total=total, last=out[:, -1], frames=seen)
        pooled = total / seen if self.pooling == "mean" else state.last
        return self.head(pooled), state
