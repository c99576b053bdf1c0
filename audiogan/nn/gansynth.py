"""GANSynth's generator and critic (Engel et al. 2019), at a fixed resolution.

GANSynth is a progressive GAN (Karras et al. 2018) on ``(2, freq, frames)`` log-magnitude and
instantaneous-frequency spectrograms (:class:`~audiogan.frontends.InstantaneousFrequency`). Its
generator takes a latent concatenated with a one-hot pitch, projects it to a small grid (2x16
for 128 frames x 1024 bins), and doubles the grid in stages of nearest upsampling and two 3x3
convolutions, each followed by LeakyReLU(0.2) and pixel normalization; a 1x1 convolution gives
the two channels. Widths are ``min(4096 / 2**block, 256)`` for blocks 1 to 7: 256, 256, 256, 256, 128, 64, 32
(magenta's ``fmap_base`` 4096, ``fmap_max`` 256, 7 resolutions; config
``magenta/models/gansynth/configs/mel_prog_hires.py``). The critic mirrors it with 2x2 average pooling, a
minibatch standard deviation before its last convolution, a linear score and an auxiliary
classifier that predicts the pitch (AC-GAN, :class:`~audiogan.nn.AuxiliaryClassifier`).

Both blocks here build every stage at once and train at the final resolution (no progressive
growing; He-initialized weights instead of the equalized learning rate): one network shape for the whole run, which the Trainer's
checkpoints, EMA and resume assume; StyleGAN2 (Karras et al. 2020) later reached the same
quality without growing. ``audiogan train gansynth --full-size`` builds GANSynth's widths and
grid this way.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn

from audiogan._shapes import check_shape
from audiogan.nn.auxiliary_classifier import AuxiliaryClassifier, ClassifierCache
from audiogan.nn.checks import check_factors
from audiogan.nn.conditioning import (
    ConditioningSpec,
    Projection,
    check_labels,
    conditioning_vector,
    vector_conditioning,
)
from audiogan.nn.factored import FactoredProjection, split_labels
from audiogan.nn.latent import LatentMixin
from audiogan.nn.minibatch_std import MinibatchStdDev
from audiogan.registry import register

__all__ = [
    "EqualizedConv2d",
    "EqualizedLinear",
    "GANSynthCritic",
    "GANSynthGenerator",
    "PixelNorm",
    "gansynth_widths",
]


def gansynth_widths(num_blocks: int, width: int = 256) -> list[int]:
    """GANSynth's widths of ``num_blocks`` blocks, from the base grid outward.

    Block ``i`` (from 1) has ``min(16 * width / 2**i, width)`` channels: magenta's
    ``min(fmap_base / 2**i, fmap_max)`` with ``fmap_base`` 4096 and ``fmap_max`` 256 at
    ``width=256``, scaled with ``width``.

    >>> gansynth_widths(7)
    [256, 256, 256, 256, 128, 64, 32]
    """
    return [max(1, min(16 * width // 2 ** (i + 1), width)) for i in range(num_blocks)]


@register
class PixelNorm(nn.Module):
    """Pixel normalization (ProGAN): each position's channel vector divided by its RMS.

    Shapes:
        ``(batch, channels, *spatial) -> same``.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x / sqrt(mean_c(x ** 2) + 1e-8)``."""
        return x * torch.rsqrt(x.square().mean(dim=1, keepdim=True) + 1e-8)


#: He's gain for LeakyReLU(0.2): the standard deviation of a weight is ``_GAIN / sqrt(fan_in)``.
_GAIN = math.sqrt(2.0 / (1.0 + 0.2**2))


class EqualizedConv2d(nn.Conv2d):
    """A convolution with ProGAN's equalized learning rate (Karras et al. 2018).

    The stored weight is standard normal and is multiplied by He's constant
    ``sqrt(2 / (1 + 0.2**2)) / sqrt(fan_in)`` in every forward pass, so Adam's steps, of about
    the learning rate in the stored weight, change every layer by the same fraction of its
    scale whatever its fan-in. Biases start at zero. Same arguments, state and shapes as
    ``nn.Conv2d``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        nn.init.normal_(self.weight)
        if self.bias is not None:
            nn.init.zeros_(self.bias)
        self.scale = _GAIN / math.sqrt(self.weight[0].numel())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``conv2d(x, weight * scale) + bias``."""
        return self._conv_forward(x, self.weight * self.scale, self.bias)


class EqualizedLinear(nn.Linear):
    """A linear layer with ProGAN's equalized learning rate (see :class:`EqualizedConv2d`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        nn.init.normal_(self.weight)
        if self.bias is not None:
            nn.init.zeros_(self.bias)
        self.scale = _GAIN / math.sqrt(self.in_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x @ (weight * scale).T + bias``."""
        return F.linear(x, self.weight * self.scale, self.bias)


def _conv(c_in: int, c_out: int, kernel: int, equalized: bool) -> nn.Conv2d:
    return (EqualizedConv2d if equalized else nn.Conv2d)(c_in, c_out, kernel, padding=kernel // 2)


def _linear(features_in: int, features_out: int, equalized: bool) -> nn.Linear:
    return (EqualizedLinear if equalized else nn.Linear)(features_in, features_out)


def _conv_act(c_in: int, c_out: int, pixel_norm: bool, equalized: bool = False) -> list[nn.Module]:
    layers: list[nn.Module] = [_conv(c_in, c_out, 3, equalized), nn.LeakyReLU(0.2)]
    return [*layers, PixelNorm()] if pixel_norm else layers


def he_init_(module: nn.Module) -> nn.Module:
    """He-normal weights (for LeakyReLU 0.2) and zero biases in every conv and linear layer:
    the initial scale of ProGAN's equalized learning rate, so activations keep their size
    through the stages (PyTorch's default shrinks them about threefold per layer; after the
    critic's dozen layers its input gradients start near 1e-6)."""
    for layer in module.modules():
        if isinstance(layer, (nn.Conv2d, nn.Linear)) and not isinstance(
            layer, (EqualizedConv2d, EqualizedLinear)
        ):
            nn.init.kaiming_normal_(layer.weight, a=0.2)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
    return module


def _check_grid(shape: tuple[int, ...], stages: int, name: str, what: str) -> tuple[int, int]:
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(
            f"{name}: {what} must be (channels, freq, frames) of positive sizes, got {shape}"
        )
    scale = 2**stages
    if shape[1] % scale or shape[2] % scale:
        raise ValueError(
            f"{name}: {what} {shape}: freq and frames must be multiples of 2**num_stages = {scale}"
        )
    return shape[1] // scale, shape[2] // scale


@register
class GANSynthGenerator(LatentMixin, nn.Module):
    """Latent and pitch -> ``(channels, freq, frames)`` spectrogram, GANSynth's generator.

    Args:
        latent_dim: Latent size (GANSynth: 256).
        out_shape: ``(channels, freq, frames)``, e.g. ``(2, 1024, 128)``; ``freq`` and
            ``frames`` must be multiples of ``2**num_stages``.
        num_classes: Pitches (GANSynth: 61, MIDI 24-84); 0 for unconditional.
        conditioning: ``"onehot"`` (GANSynth), ``"embedding"`` or a conditioning module.
        embed_dim: Embedding size for ``"embedding"``.
        width: Widest stage (GANSynth: 256); stages follow :func:`gansynth_widths`.
        channels: Explicit widths of the base grid and of each stage (``num_stages + 1``).
        num_stages: Doubling stages (GANSynth at 1024x128: 6, from a 16x2 grid).
        out_activation: ``None`` (ProGAN's linear output; the frontends clip on decoding) or
            ``"tanh"``. A tanh saturates where the features sit at their floor (-1: most of a
            note's spectrogram is quiet), and its vanishing gradient there keeps a generator
            from raising new partials.
        class_bias: Add a learned ``(channels, freq)`` map of the label's class to the output,
            the same in every frame (needs ``num_classes``). A steady note's log-magnitude is
            a spectral profile plus an envelope over time, and its instantaneous frequency is
            constant in each bin and a wrapped function of the bin's partial: a per-class map
            gives both at the resolution of single bins, which 3x3 convolutions grown from a
            coarse grid place only slowly. Zero at the start; stored divided by
            ``class_bias_gain`` so that it learns that many times faster than the weights.
        class_bias_gain: The learning-rate multiplier of ``class_bias``.
        class_bias_factors: For labels that join several factors (:mod:`audiogan.nn.factored`,
            e.g. ``(13, 4)`` for 13 pitches and 4 instrument families): ``class_bias`` keeps a
            map per value of each factor (13 + 4) and adds one of each, rather than a map per
            joint class (52), so each map learns from every note that shares its factor.
        class_bias_interaction: With ``class_bias_factors``: also keep a map per joint class
            (52) and add it to the factors' maps, as the interaction term of a two-way model
            (pitch + family + pair): the pitch's map learns from all of its notes, and the
            pair's map holds what the family changes at that pitch (a family's partials move
            with the pitch, which one map per family cannot follow).
        equalized: ProGAN's and GANSynth's equalized learning rate
            (:class:`EqualizedConv2d`) in every convolution and linear layer.

    Shapes:
        ``forward(z (batch, latent_dim), labels (batch,) | None) -> (batch, *out_shape)``.
    """

    def __init__(
        self,
        latent_dim: int = 256,
        out_shape: Sequence[int] = (2, 1024, 128),
        *,
        num_classes: int = 0,
        conditioning: ConditioningSpec = "onehot",
        embed_dim: int = 16,
        width: int = 256,
        channels: Sequence[int] | None = None,
        num_stages: int = 6,
        out_activation: str | None = None,
        class_bias: bool = False,
        class_bias_gain: float = 10.0,
        class_bias_factors: Sequence[int] | None = None,
        class_bias_interaction: bool = False,
        equalized: bool = False,
    ) -> None:
        super().__init__()
        name = "GANSynthGenerator"
        if out_activation not in (None, "tanh"):
            raise ValueError(
                f"{name}: out_activation must be None or 'tanh', got {out_activation!r}"
            )
        out_shape = tuple(int(s) for s in out_shape)
        if latent_dim < 1 or num_stages < 0:
            raise ValueError(f"{name}: expected latent_dim >= 1 and num_stages >= 0")
        self.base_grid = _check_grid(out_shape, num_stages, name, "out_shape")
        if channels is None:
            channels = gansynth_widths(num_stages + 1, width)
        channels = [int(c) for c in channels]
        if len(channels) != num_stages + 1 or min(channels) < 1:
            raise ValueError(
                f"{name}: channels must hold num_stages + 1 = {num_stages + 1} positive widths, got {channels}"
            )
        self.conditioning, num_classes, cond_config = vector_conditioning(
            conditioning, num_classes, embed_dim, name
        )
        if class_bias and not num_classes:
            raise ValueError(f"{name}: class_bias needs num_classes >= 1")
        if class_bias_gain <= 0:
            raise ValueError(f"{name}: class_bias_gain must be > 0, got {class_bias_gain}")
        factors = check_factors(
            name, "class_bias_factors", class_bias_factors, num_classes, "class_bias", class_bias
        )
        if class_bias_interaction and factors is None:
            raise ValueError(f"{name}: class_bias_interaction needs class_bias_factors")
        self.config = {
            "latent_dim": latent_dim,
            "out_shape": list(out_shape),
            "num_classes": num_classes,
            "conditioning": cond_config,
            "embed_dim": embed_dim,
            "width": width,
            "channels": channels,
            "num_stages": num_stages,
            "out_activation": out_activation,
            "class_bias": bool(class_bias),
            "class_bias_gain": float(class_bias_gain),
            **({} if factors is None else {"class_bias_factors": factors}),
            **({"class_bias_interaction": True} if class_bias_interaction else {}),
            "equalized": bool(equalized),
        }
        self.out_activation = out_activation
        self.latent_dim, self.out_shape, self.num_classes = latent_dim, out_shape, num_classes
        cond_dim = 0 if self.conditioning is None else self.conditioning.out_features
        grid = self.base_grid[0] * self.base_grid[1]
        eq = bool(equalized)
        self.project = _linear(latent_dim + cond_dim, channels[0] * grid, eq)
        self.base = nn.Sequential(
            nn.LeakyReLU(0.2), PixelNorm(), *_conv_act(channels[0], channels[0], True, eq)
        )
        self.stages = nn.ModuleList(
            nn.Sequential(
                *_conv_act(channels[i], channels[i + 1], True, eq),
                *_conv_act(channels[i + 1], channels[i + 1], True, eq),
            )
            for i in range(num_stages)
        )
        self.to_features = _conv(channels[-1], out_shape[0], 1, eq)
        self.class_bias_gain = float(class_bias_gain)
        self.class_bias_factors = None if factors is None else tuple(factors)
        self.class_bias_interaction = bool(class_bias_interaction)
        maps = num_classes if factors is None else sum(factors)
        if self.class_bias_interaction:
            maps += num_classes
        self.class_bias = (
            nn.Parameter(torch.zeros(maps, out_shape[0], out_shape[1], 1)) if class_bias else None
        )
        he_init_(self)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Features ``(batch, *out_shape)`` of latents ``(batch, latent_dim)`` and pitches."""
        check_shape(z, (None, self.latent_dim), "GANSynthGenerator latent", "(batch, latent_dim)")
        labels = check_labels(labels, self.num_classes, z.shape[0], "GANSynthGenerator")
        if self.conditioning is not None:
            vec = conditioning_vector(
                self.conditioning, labels, z.shape[0], z.dtype, "GANSynthGenerator"
            )
            z = torch.cat([z, vec], dim=1)
        z = z * torch.rsqrt(z.square().mean(dim=1, keepdim=True) + 1e-8)  # ProGAN: normalize z
        h = self.project(z)
        h = rearrange(h, "b (c f t) -> b c f t", f=self.base_grid[0], t=self.base_grid[1])
        h = self.base(h)
        for stage in self.stages:
            h = stage(F.interpolate(h, scale_factor=2.0, mode="nearest"))
        out = self.to_features(h)
        if self.class_bias is not None:
            out = out + self.class_bias_gain * self._class_maps(labels)
        return torch.tanh(out) if self.out_activation == "tanh" else out

    def _class_maps(self, labels: torch.Tensor) -> torch.Tensor:
        """The ``class_bias`` of ``labels``: ``(batch, channels, freq, 1)``. With factors, the
        rows are each factor's maps in turn, then (``class_bias_interaction``) the joint
        classes'."""
        if self.class_bias_factors is None:
            return self.class_bias[labels.long()]
        maps, offset = 0, 0
        for factor, size in zip(
            split_labels(labels, self.class_bias_factors), self.class_bias_factors, strict=True
        ):
            maps = maps + self.class_bias[factor + offset]
            offset += size
        if self.class_bias_interaction:
            maps = maps + self.class_bias[labels.long() + offset]
        return maps


@register
class GANSynthCritic(nn.Module):
    """GANSynth's critic: spectrogram -> raw score, with a head that predicts the pitch.

    The score does not depend on the labels (an AC-GAN critic learns the pitch through its
    head, :meth:`classify`, and the AC-GAN losses); labels given to :meth:`forward` are only
    checked. The logits of the inputs last scored are kept (:class:`ClassifierCache`), so
    ``classify`` on a tensor just scored costs nothing.

    Args:
        in_shape: ``(channels, freq, frames)``; ``freq`` and ``frames`` multiples of
            ``2**num_stages``.
        num_classes: Classes of the labels (0: no head). The head predicts them, unless
            ``head_classes`` says otherwise.
        head_classes: The classes of each head, when the labels join several factors
            (:mod:`audiogan.nn.factored`): ``(13, 4)`` for labels of 13 pitches and 4 families
            (``num_classes`` 52), a head for the pitch and one for the family (default:
            ``(num_classes,)``). The heads share one linear layer, ``head``, of
            ``sum(head_classes)`` outputs.
        width: Widest stage; stages follow :func:`gansynth_widths` reversed.
        channels: Explicit widths, from the input stage to the last (``num_stages + 1``).
        num_stages: Halving stages.
        minibatch_std: A minibatch standard deviation feature before the last convolution
            (ProGAN, GANSynth), in groups of 4.
        projection: Add a projection term ``<embed(y), h>`` of the labels to the score
            (Miyato & Koyama 2018, :class:`~audiogan.nn.Projection`; needs ``num_classes``),
            so the score itself judges whether a note fits its pitch; without it the score
            ignores the labels.
        projection_factors: For labels that join several factors (``(13, 4)``: pitch and
            family): the projection keeps a vector per value of each factor and adds their
            inner products (:class:`~audiogan.nn.FactoredProjection`), rather than a vector
            per joint class (:class:`~audiogan.nn.Projection`), so each pitch's vector learns
            from all of that pitch's notes (needs ``projection``; the counts' product is
            ``num_classes``).
        equalized: The equalized learning rate (:class:`EqualizedConv2d`) in every
            convolution and linear layer but the head's.

    Shapes:
        ``forward(x (batch, *in_shape), labels=None) -> (batch,)``;
        ``classify(x, head=0) -> (batch, head_classes[head])``.
    """

    def __init__(
        self,
        in_shape: Sequence[int] = (2, 1024, 128),
        *,
        num_classes: int = 0,
        head_classes: Sequence[int] | None = None,
        width: int = 256,
        channels: Sequence[int] | None = None,
        num_stages: int = 6,
        minibatch_std: bool = True,
        projection: bool = False,
        projection_factors: Sequence[int] | None = None,
        equalized: bool = False,
    ) -> None:
        super().__init__()
        name = "GANSynthCritic"
        in_shape = tuple(int(s) for s in in_shape)
        if num_stages < 0 or num_classes < 0:
            raise ValueError(f"{name}: expected num_stages >= 0 and num_classes >= 0")
        grid = _check_grid(in_shape, num_stages, name, "in_shape")
        if channels is None:
            channels = gansynth_widths(num_stages + 1, width)[::-1]
        channels = [int(c) for c in channels]
        if len(channels) != num_stages + 1 or min(channels) < 1:
            raise ValueError(
                f"{name}: channels must hold num_stages + 1 = {num_stages + 1} positive widths, got {channels}"
            )
        if head_classes is not None and not num_classes:
            raise ValueError(f"{name}: head_classes {list(head_classes)} needs num_classes >= 1")
        heads = check_factors(name, "head_classes", head_classes, num_classes) or [num_classes]
        factors = check_factors(
            name, "projection_factors", projection_factors, num_classes, "projection", projection
        )
        self.config = {
            "in_shape": list(in_shape),
            "num_classes": num_classes,
            **({} if head_classes is None else {"head_classes": heads}),
            "width": width,
            "channels": channels,
            "num_stages": num_stages,
            "minibatch_std": minibatch_std,
            "projection": bool(projection),
            **({} if factors is None else {"projection_factors": factors}),
            "equalized": bool(equalized),
        }
        if projection and not num_classes:
            raise ValueError(f"{name}: projection needs num_classes >= 1")
        eq = bool(equalized)
        self.in_shape, self.num_classes = in_shape, num_classes
        self.from_features = nn.Sequential(
            _conv(in_shape[0], channels[0], 1, eq), nn.LeakyReLU(0.2)
        )
        self.stages = nn.ModuleList(
            nn.Sequential(
                *_conv_act(channels[i], channels[i], False, eq),
                *_conv_act(channels[i], channels[i + 1], False, eq),
                nn.AvgPool2d(2),
            )
            for i in range(num_stages)
        )
        self.minibatch_std = MinibatchStdDev(4) if minibatch_std else None
        last = channels[-1]
        self.last = nn.Sequential(*_conv_act(last + int(minibatch_std), last, False, eq))
        features = last * grid[0] * grid[1]
        self.score = _linear(features, 1, eq)
        self.head_classes = tuple(heads) if num_classes else ()
        self.head = AuxiliaryClassifier(features, sum(heads)) if num_classes else None
        self.projection: nn.Module | None = None
        if projection:
            self.projection = (
                Projection(num_classes, features)
                if factors is None
                else FactoredProjection(factors, features)
            )
        he_init_(self)
        self._cache = ClassifierCache(self.score.weight)

    def _trunk(self, x: torch.Tensor) -> torch.Tensor:
        check_shape(
            x, (None, *self.in_shape), "GANSynthCritic input", "(batch, channels, freq, frames)"
        )
        h = self.from_features(x)
        for stage in self.stages:
            h = stage(h)
        if self.minibatch_std is not None:
            h = self.minibatch_std(h)
        return rearrange(self.last(h), "b c f t -> b (c f t)")

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Raw scores ``(batch,)`` of ``x (batch, channels, freq, frames)``."""
        if labels is not None or self.projection is not None:
            labels = check_labels(labels, self.num_classes, x.shape[0], "GANSynthCritic")
        h = self._trunk(x)
        if self.head is not None:
            self._cache.put(x, self.head(h))
        score = self.score(h).squeeze(1)
        if self.projection is not None:
            score = score + self.projection(h, labels)
        return score

    def classify(self, x: torch.Tensor, head: int = 0) -> torch.Tensor:
        """Logits ``(batch, head_classes[head])`` of ``x`` from auxiliary head ``head``.

        Raises:
            ValueError: If the critic has no head (``num_classes=0``) or no head ``head``.
        """
        if self.head is None:
            raise ValueError("GANSynthCritic.classify: the critic has no head (num_classes=0)")
        if not 0 <= head < len(self.head_classes):
            raise ValueError(
                f"GANSynthCritic.classify: no head {head}; the heads predict {list(self.head_classes)} classes"
            )
        logits = self._cache.get(x, lambda t: self.head(self._trunk(t)))
        if len(self.head_classes) == 1:
            return logits
        start = sum(self.head_classes[:head])
        return logits[:, start : start + self.head_classes[head]]

    def train(self, mode: bool = True) -> GANSynthCritic:
        self._cache.clear()
        return super().train(mode)
