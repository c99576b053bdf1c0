"""The input check of the waveform critics, their ensembles' forward, and the old name of their
sub-critics' list.

Their weight-norm / spectral-norm choice is the norm vocabulary of every block:
:func:`audiogan.nn.layers.resolve_norm` with :data:`~audiogan.nn.layers.WAVEFORM_NORMS`, and
:func:`~audiogan.nn.layers.apply_weight_norm` / :func:`~audiogan.nn.layers.remove_weight_norm`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from torch import nn

from audiogan.nn.conditioning import check_labels
from audiogan.protocols import CriticOutput

__all__ = ["accept_old_submodule_name", "check_waveform", "score_each"]


def check_waveform(x: torch.Tensor, name: str, min_length: int = 1) -> None:
    """Raise a ValueError unless ``x`` is a waveform batch ``(batch, 1, time)`` of enough samples.

    Args:
        x: The input.
        name: The block, for the message.
        min_length: The fewest samples the block accepts.
    """
    if x.dim() != 3 or x.shape[1] != 1:
        hint = " (add the channel axis: x.unsqueeze(1))" if x.dim() == 2 else ""
        raise ValueError(
            f"{name}: expected a waveform of shape (batch, 1, time), got {tuple(x.shape)}{hint}"
        )
    if x.shape[-1] < min_length:
        raise ValueError(
            f"{name}: expected at least {min_length} samples (batch, 1, time >= {min_length}), "
            f"got {tuple(x.shape)}"
        )


def score_each(
    critics: Iterable[nn.Module],
    x: torch.Tensor,
    labels: torch.Tensor | None,
    name: str,
    min_length: int = 1,
) -> CriticOutput:
    """An unconditional ensemble's forward: every sub-critic on the same waveform.

    Args:
        critics: Sub-critics, each ``forward(x) -> (scores, features)``.
        x: Waveforms ``(batch, 1, time)``, at least ``min_length`` samples long.
        labels: Must be None (the ensembles are unconditional).
        name: The ensemble, for the messages.
        min_length: The fewest samples every sub-critic accepts.

    Returns:
        One score tensor and one feature list per sub-critic, in order.
    """
    check_waveform(x, name, min_length)
    check_labels(labels, 0, x.shape[0], name)
    outs = [critic(x) for critic in critics]
    return CriticOutput([scores for scores, _ in outs], [features for _, features in outs])


def accept_old_submodule_name(module: nn.Module, old: str, new: str) -> None:
    """Let ``module.load_state_dict`` read weights saved when its submodule ``new`` was ``old``.

    The critics' lists of sub-critics were called ``discriminators``; a state dict of such a run
    (keys ``discriminators.0.convs.0...``) loads into today's ``critics.0.convs.0...``.
    """

    def rename(state_dict: dict[str, Any], prefix: str, *_: Any) -> None:
        start = f"{prefix}{old}."
        for key in [k for k in state_dict if k.startswith(start)]:
            state_dict[f"{prefix}{new}.{key[len(start) :]}"] = state_dict.pop(key)

    module._register_load_state_dict_pre_hook(rename)
