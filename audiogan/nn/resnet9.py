"""ResNet-9 of the fast CIFAR-10 classifiers (Page 2018), for spectrograms (the ResNet-9 GAN).

Layout (``w = width``): prep conv(w) -> layer1 conv(2w)+pool + residual(2 convs) -> layer2
conv(4w)+pool -> layer3 conv(8w)+pool + residual(2 convs) -> adaptive max pool -> linear. Every conv
is 3x3 + norm + activation. Adaptive pooling makes any input of at least 8x8 work
(``1x64x64``, ``1x128x256``, 3-channel images ...).
"""

from __future__ import annotations

import torch
from torch import nn

from audiogan._shapes import check_shape
from audiogan.nn.checks import check_positive
from audiogan.nn.conditioning import (
    ConditioningSpec,
    Projection,
    check_labels,
    critic_conditioning,
    stack_label_maps,
)
from audiogan.nn.layers import (
    ActSpec,
    NormSpec,
    apply_spectral_norm,
    has_bias_free_norm,
    make_activation,
    make_norm,
    resolve_activation,
    resolve_norm,
)
from audiogan.nn.minibatch_std import MinibatchStdDev
from audiogan.registry import register

_RESNET_NORMS = ("batch", "instance", "layer", "spectral", "none")


class _Residual(nn.Module):
    """``x + f(x)``."""

    def __init__(self, body: nn.Module) -> None:
        super().__init__()
        self.body = body

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


@register
class ResNet9(nn.Module):
    """ResNet-9 backbone and linear head.

    Args:
        in_channels: Input channels (1 for a spectrogram, 3 for RGB-like inputs).
        num_outputs: Size of the linear head (1 for a score, ``n`` for class logits).
        width: Channels of the prep conv; the stages have ``2w, 4w, 8w``.
        norm: ``"batch"`` (the original), ``"instance"``, ``"layer"``, ``"spectral"`` or ``"none"``.
        activation: By name or class (the original: ReLU).
        dropout: Dropout before the head.
        minibatch_std: Group size of a :class:`~audiogan.nn.MinibatchStdDev` feature appended
            to the pooled features before the head (a critic that sees a batch's diversity);
            0 for none (the original).

    Shapes:
        ``forward(x (batch, in_channels, freq, frames)) -> (batch, num_outputs)``;
        ``features(x) -> (batch, 8 * width)``, with ``freq, frames >= 8``.
    """

    def __init__(
        self,
        in_channels: int = 1,
        *,
        num_outputs: int = 1,
        width: int = 64,
        norm: NormSpec = "batch",
        activation: ActSpec = "relu",
        dropout: float = 0.0,
        minibatch_std: int = 0,
    ) -> None:
        super().__init__()
        check_positive("ResNet9", in_channels=in_channels, num_outputs=num_outputs, width=width)
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"ResNet9: dropout must lie in [0, 1), got {dropout}")
        norm_kind = resolve_norm(norm, _RESNET_NORMS, "ResNet9 norm")
        act_kind = resolve_activation(activation, "ResNet9 activation")
        self.config = {
            "in_channels": in_channels,
            "num_outputs": num_outputs,
            "width": width,
            "norm": norm_kind,
            "activation": act_kind,
            "dropout": dropout,
            "minibatch_std": minibatch_std,
        }
        self.in_channels = in_channels
        self.num_features = 8 * width
        self.minibatch_std = MinibatchStdDev(minibatch_std) if minibatch_std else None
        layer_norm = "none" if norm_kind == "spectral" else norm_kind

        def conv(c_in: int, c_out: int, pool: bool = False) -> nn.Sequential:
            block = [
                nn.Conv2d(c_in, c_out, 3, padding=1, bias=not has_bias_free_norm(layer_norm)),
                make_norm(layer_norm, c_out),
                make_activation(act_kind),
            ]
            if pool:
                block.append(nn.MaxPool2d(2))
            return nn.Sequential(*block)

        w = width
        self.body = nn.Sequential(
            conv(in_channels, w),  # prep: (B, w, F, T)
            conv(w, 2 * w, pool=True),  # layer1: (B, 2w, F/2, T/2)
            _Residual(nn.Sequential(conv(2 * w, 2 * w), conv(2 * w, 2 * w))),
            conv(2 * w, 4 * w, pool=True),  # layer2: (B, 4w, F/4, T/4)
            conv(4 * w, 8 * w, pool=True),  # layer3: (B, 8w, F/8, T/8)
            _Residual(nn.Sequential(conv(8 * w, 8 * w), conv(8 * w, 8 * w))),
            nn.AdaptiveMaxPool2d(1),
            nn.Flatten(),  # (B, 8w)
        )
        head_features = 8 * w + (self.minibatch_std is not None)
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(head_features, num_outputs))
        if norm_kind == "spectral":
            apply_spectral_norm(self)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Pooled features ``(batch, 8 * width)`` of ``x (batch, in_channels, freq, frames)``."""
        check_shape(
            x,
            (None, self.in_channels, None, None),
            "ResNet9 input",
            "(batch, channels, freq, frames)",
        )
        if x.shape[-2] < 8 or x.shape[-1] < 8:
            raise ValueError(
                f"ResNet9 input: freq and frames must be >= 8 (three 2x poolings), got {tuple(x.shape)}"
            )
        return self.body(x)

    def head_input(self, h: torch.Tensor) -> torch.Tensor:
        """What the head reads: pooled features ``h (batch, 8 * width)``, with the minibatch
        standard deviation appended when ``minibatch_std`` is set."""
        return h if self.minibatch_std is None else self.minibatch_std(h)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Head outputs ``(batch, num_outputs)``."""
        return self.head(self.head_input(self.features(x)))


@register
class ResNet9Critic(nn.Module):
    """ResNet-9 as a GAN critic: one raw score per sample (the ResNet-9 GAN's discriminator).

    The ResNet-9 GAN trains it with BCE and BatchNorm (the default). With a gradient penalty pick
    ``norm="layer"``, ``"instance"``, ``"spectral"`` or ``"none"``: BatchNorm breaks the per-sample
    penalty (the Trainer warns).

    Conditioning is a projection term on the pooled features by default; a label-map module
    (``OneHot(5)``, ``LabelEmbedding(5, 8)``, or a user's module meeting
    :class:`audiogan.protocols.Conditioning`) instead stacks its ``map_channels`` onto the input.

    Args:
        in_channels: Input channels (without label maps).
        num_classes: Number of classes to condition on; 0 for unconditional. With a conditioning
            instance, 0 or the instance's ``num_classes`` (it is taken from the instance).
        conditioning: ``"projection"`` (:class:`~audiogan.nn.conditioning.Projection` on the
            ``8 * width`` pooled features) or a conditioning module instance (stored in
            ``config`` as ``{"class", "config"}``).
        width: See :class:`ResNet9`.
        norm: See :class:`ResNet9`.
        activation: See :class:`ResNet9`.
        dropout: See :class:`ResNet9`.
        minibatch_std: See :class:`ResNet9` (0: none; 4: groups of 4 samples).

    Shapes:
        ``forward(x (batch, in_channels, freq, frames), labels (batch,) | None) -> (batch,)``.
    """

    def __init__(
        self,
        in_channels: int = 1,
        *,
        num_classes: int = 0,
        conditioning: ConditioningSpec = "projection",
        width: int = 64,
        norm: NormSpec = "batch",
        activation: ActSpec = "relu",
        dropout: float = 0.0,
        minibatch_std: int = 0,
    ) -> None:
        super().__init__()
        name = "ResNet9Critic"
        check_positive(name, width=width)
        self.label_maps, self.projection, num_classes, cond_config = critic_conditioning(
            conditioning,
            num_classes,
            {"projection": lambda n: Projection(n, 8 * width)},
            name,
            features=8 * width,
        )
        extra = 0 if self.label_maps is None else self.label_maps.map_channels
        self.net = ResNet9(
            in_channels + extra,
            num_outputs=1,
            width=width,
            norm=norm,
            activation=activation,
            dropout=dropout,
            minibatch_std=minibatch_std,
        )
        self.config = {
            "in_channels": in_channels,
            "num_classes": num_classes,
            "conditioning": cond_config,
            **_without(self.net.config, "in_channels", "num_outputs"),
        }
        self.in_channels = in_channels
        self.num_classes = num_classes

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Score ``x (batch, in_channels, freq, frames)``: raw scores ``(batch,)``."""
        check_shape(
            x,
            (None, self.in_channels, None, None),
            "ResNet9Critic input",
            "(batch, channels, freq, frames)",
        )
        labels = check_labels(labels, self.num_classes, x.shape[0], "ResNet9Critic")
        if self.label_maps is not None:
            x = stack_label_maps(self.label_maps, x, labels, "ResNet9Critic")
        h = self.net.features(x)  # (B, 8w)
        score = self.net.head(self.net.head_input(h)).squeeze(1)
        if self.projection is not None:
            score = score + self.projection(h, labels)
        return score


@register
class ResNet9Classifier(nn.Module):
    """ResNet-9 as a classifier: class logits, and pooled features for evaluation metrics.

    Args:
        in_channels: Input channels.
        num_classes: Number of classes (>= 1).
        width: See :class:`ResNet9`.
        norm: See :class:`ResNet9`.
        activation: See :class:`ResNet9`.
        dropout: See :class:`ResNet9` (the ResNet-9 GAN's classifier used 0.2).

    Shapes:
        ``forward(x (batch, in_channels, freq, frames)) -> (batch, num_classes)``;
        ``embed(x) -> (batch, 8 * width)``.
    """

    def __init__(
        self,
        in_channels: int = 1,
        *,
        num_classes: int = 10,
        width: int = 64,
        norm: NormSpec = "batch",
        activation: ActSpec = "relu",
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        check_positive("ResNet9Classifier", num_classes=num_classes)
        self.net = ResNet9(
            in_channels,
            num_outputs=num_classes,
            width=width,
            norm=norm,
            activation=activation,
            dropout=dropout,
        )
        self.config = {
            "in_channels": in_channels,
            "num_classes": num_classes,
            **_without(self.net.config, "in_channels", "num_outputs", "minibatch_std"),
        }
        self.num_classes = num_classes

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Pooled features ``(batch, 8 * width)``."""
        return self.net.features(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits ``(batch, num_classes)``."""
        return self.net(x)


def _without(config: dict, *keys: str) -> dict:
    return {k: v for k, v in config.items() if k not in keys}
