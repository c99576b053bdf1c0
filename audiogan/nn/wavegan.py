"""WaveGAN (Donahue et al. 2019): a raw-waveform generator and critic, and phase shuffle.

The DCGAN of images flattened to one dimension: 5x5 kernels become 25-tap kernels, stride 2
becomes stride 4, so five layers span 16 -> 16384 samples (about one second at 16 kHz). The
generator projects the latent to ``(16 * width, 16)`` and upsamples it with transposed
1-D convolutions (kernel 25, stride 4) and ReLU, ending in tanh; the critic mirrors it with
strided 1-D convolutions and LeakyReLU(0.2), shuffling the phase of every layer's activations
but the last (:class:`PhaseShuffle`) so it cannot tell real from generated audio by the
periodic artifacts of transposed convolutions alone. Neither uses BatchNorm by default: the
paper trains with WGAN-GP (``Wasserstein()`` with ``GradientPenalty()``).

Lengths: ``num_samples = 16 * 4**k`` takes ``k`` stride-4 layers (16384: the paper's five,
65536: six, as in the reference implementation's longer slices; 1024: three, for quick tests);
``num_samples = 32 * 4**k`` adds a last stride-2 layer (32768). Channels halve from
``width * 2**(layers - 1)`` at 16 positions to ``width`` before the output layer, so
the paper's size (``width=64``, 16384 samples) is 1024-512-256-128-64-1.

Conditioning is that of the 2-D blocks (:mod:`audiogan.nn.conditioning`): the generator
concatenates a one-hot or learned label vector to its latent; the critic stacks label maps onto
the waveform as extra channels (``"embedding"``: one learned ``(num_samples,)`` label track) or
adds a projection term.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn

from audiogan._shapes import check_shape
from audiogan.nn.checks import check_positive
from audiogan.nn.conditioning import (
    ConditioningSpec,
    check_labels,
    conditioning_vector,
    critic_conditioning,
    label_map_names,
    stack_label_maps,
    vector_conditioning,
)
from audiogan.nn.init import dcgan_init_, resolve_init
from audiogan.nn.latent import LatentMixin
from audiogan.nn.layers import (
    ActSpec,
    NormSpec,
    apply_spectral_norm,
    has_bias_free_norm,
    make_activation,
    make_norm,
    resolve_activation,
    resolve_norm,
    resolve_upsample,
    weight_of,
)
from audiogan.registry import register

#: Positions of the generator's first (and the critic's last) feature map.
BASE_LENGTH = 16

_INITS = ("xavier", "dcgan", "default")
_SHAPE_AXES = "(channels, num_samples)"
_CRITIC_NORMS = ("none", "layer", "instance", "spectral")
_WAVE_AXES = "(batch, channels, time)"


def wavegan_strides(num_samples: int, name: str = "WaveGAN") -> list[int]:
    """Strides of the layers between :data:`BASE_LENGTH` positions and ``num_samples`` samples.

    Args:
        num_samples: ``16 * 4**k`` (``k`` layers of stride 4) or ``32 * 4**k`` (a last layer of
            stride 2 added), ``k >= 1``.
        name: The block, for the message.

    Returns:
        ``[4] * k`` or ``[4] * k + [2]``; e.g. ``[4, 4, 4, 4, 4]`` for 16384 samples.

    Raises:
        ValueError: For any other length.
    """
    valid = isinstance(num_samples, numbers.Integral) and not isinstance(num_samples, bool)
    ratio, rest = divmod(int(num_samples), BASE_LENGTH) if valid else (0, 1)
    exponent = ratio.bit_length() - 1  # num_samples = 16 * 2**exponent
    if rest or ratio < 4 or ratio != 1 << exponent:
        raise ValueError(
            f"{name}: num_samples must be 16 * 4**k or 32 * 4**k samples with k >= 1 (e.g. 1024, "
            f"4096, 16384, 32768 or 65536), got {num_samples!r}"
        )
    k, odd = divmod(exponent, 2)
    return [4] * k + [2] * odd


def _same_length_padding(kernel_size: int, stride: int) -> tuple[int, int]:
    """``(padding, output_padding)`` making a conv divide, or a transposed conv multiply, the
    length by exactly ``stride`` (TensorFlow's ``padding='SAME'``, as the reference uses)."""
    padding = (kernel_size - stride + 1) // 2
    return padding, 2 * padding - (kernel_size - stride)


def _xavier_init_(module: nn.Module) -> None:
    """Glorot-uniform conv and linear weights and zero biases (the reference's TensorFlow default)."""
    weighted = (nn.Conv1d, nn.ConvTranspose1d, nn.Linear)
    with torch.no_grad():
        for layer in module.modules():
            if isinstance(layer, weighted):
                nn.init.xavier_uniform_(weight_of(layer))
                if layer.bias is not None:
                    nn.init.zeros_(layer.bias)


def _initialize(module: nn.Module, init: str) -> None:
    if init == "xavier":
        _xavier_init_(module)
    elif init == "dcgan":
        dcgan_init_(module)


def _waveform_shape(shape: object, name: str, arg: str) -> tuple[int, Any]:
    """``(channels, num_samples)`` from ``shape``, or a ValueError naming ``arg``.

    ``num_samples`` comes back as given (:func:`wavegan_strides` checks it).
    """
    try:
        channels, num_samples = shape  # type: ignore[misc]
        channels = int(channels)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: {arg} must be {_SHAPE_AXES}, got {shape!r}") from None
    return channels, num_samples


def _check_common(
    name: str, arg: str, shape: object, width: int, kernel_size: int, init: str
) -> tuple[int, int, list[int]]:
    """Check the arguments both blocks share.

    Returns:
        ``(channels, num_samples, strides)`` of the ``arg`` shape ``(channels, num_samples)``
        (the strides as :func:`wavegan_strides` gives them).
    """
    channels, num_samples = _waveform_shape(shape, name, arg)
    resolve_init(init, _INITS, f"{name}: init")
    check_positive(name, width=width, channels=channels)
    if kernel_size < 4:
        raise ValueError(f"{name}: kernel_size must be >= 4 (the stride), got {kernel_size}")
    strides = wavegan_strides(num_samples, name)
    return channels, int(num_samples), strides


def phase_shuffle(x: torch.Tensor, shifts: torch.Tensor, radius: int) -> torch.Tensor:
    """Shift each item of ``x`` along time by its own ``shifts[i]``, filling with reflections.

    ``out[i, :, t] = x[i, :, t - shifts[i]]``, the samples shifted in from beyond an edge
    mirrored about it (reflect padding, as in the paper): a positive shift delays the signal.
    The pure-function twin of :class:`PhaseShuffle`.

    Args:
        x: ``(batch, channels, time)``.
        shifts: Integer shifts ``(batch,)``, each in ``[-radius, radius]``.
        radius: The largest shift; ``x`` is reflect-padded by it (``radius < time``).

    Returns:
        ``(batch, channels, time)``, same dtype and device as ``x``.

    Raises:
        ValueError: A wrong shape, a radius not in ``[0, time)``, or (for CPU shifts in eager
            mode) a shift beyond ``radius``.
    """
    check_shape(x, (None, None, None), "phase_shuffle input", _WAVE_AXES)
    batch, _, time = x.shape
    check_shape(shifts, (batch,), "phase_shuffle shifts", "(batch,)")
    if shifts.is_floating_point():
        raise ValueError(f"phase_shuffle: shifts must be integers, got dtype {shifts.dtype}")
    if not 0 <= radius < time:
        raise ValueError(
            f"phase_shuffle: radius must be in [0, time) for reflect padding, got radius {radius} "
            f"for time {time}"
        )
    if radius == 0:
        return x
    if not torch.compiler.is_compiling() and shifts.device.type == "cpu" and shifts.numel() > 0:
        lo, hi = int(shifts.min()), int(shifts.max())
        if lo < -radius or hi > radius:
            raise ValueError(
                f"phase_shuffle: shifts must lie in [-{radius}, {radius}], got values in [{lo}, {hi}]"
            )
    padded = F.pad(x, (radius, radius), mode="reflect")  # (B, C, T + 2r)
    index = torch.arange(time, device=x.device) + radius - shifts.to(x.device)[:, None]  # (B, T)
    return padded.gather(2, index[:, None, :].expand_as(x))


class PhaseShuffle(nn.Module):
    """Shift each item's activations by a random integer in ``[-max_shift, max_shift]``.

    The phase shuffle of WaveGAN's critic (Donahue et al. 2019).

    Every item of the batch draws its own shift from the global torch RNG (of the input's
    device), so :class:`~audiogan.train.Trainer`'s seeding makes training reproducible and a
    resumed run draws the same shifts. (The reference TensorFlow code draws one shift for the
    whole batch; per item, as here and in the PyTorch ports, decorrelates the items.) Identity
    in eval mode and with ``max_shift=0``. See :func:`phase_shuffle` for the shift and the reflect
    padding.

    Args:
        max_shift: The largest shift (the paper's WaveGAN uses 2).

    Shapes:
        ``forward(x (batch, channels, time)) -> (batch, channels, time)``, with
        ``time > max_shift``.
    """

    def __init__(self, max_shift: int = 2) -> None:
        super().__init__()
        if int(max_shift) != max_shift or max_shift < 0:
            raise ValueError(f"PhaseShuffle: max_shift must be an integer >= 0, got {max_shift!r}")
        self.max_shift = int(max_shift)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x (batch, channels, time)`` shifted item by item (unchanged in eval mode)."""
        check_shape(x, (None, None, None), "PhaseShuffle input", _WAVE_AXES)
        if not self.training or self.max_shift == 0:
            return x
        shifts = torch.randint(-self.max_shift, self.max_shift + 1, (x.shape[0],), device=x.device)
        return phase_shuffle(x, shifts, self.max_shift)

    def extra_repr(self) -> str:
        return f"max_shift={self.max_shift}"


@register
class WaveGANGenerator(LatentMixin, nn.Module):
    """Latent (and label) -> waveform: dense projection, then transposed 1-D convolutions.

    ``z (batch, latent_dim)``, with the label's conditioning vector concatenated, is projected
    to ``(width * 2**(layers - 1), 16)`` (ReLU), then each layer multiplies the length by
    its stride (ConvTranspose1d, kernel ``kernel_size``, stride 4, or 2 for the last layer of a
    ``32 * 4**k`` length) and halves the channels, with ReLU between layers and tanh at the
    end. The paper's WaveGAN is ``WaveGANGenerator()``: 100 -> (1024, 16) -> 512 x 64 -> 256 x 256
    -> 128 x 1024 -> 64 x 4096 -> 1 x 16384.

    Conditioning is pluggable as for :class:`~audiogan.nn.ConvGenerator2d`: a name, or an
    instance such as ``OneHot(5)``, ``LabelEmbedding(5, 32)`` or a user's module meeting
    :class:`audiogan.protocols.Conditioning` (its ``out_features`` vector is concatenated to the
    latent); an instance sets ``num_classes``.

    Args:
        latent_dim: Size of the latent vector.
        out_shape: ``(channels, num_samples)``: audio channels (1: mono) and length,
            ``16 * 4**k`` or ``32 * 4**k`` samples with ``k >= 1`` (16384: the paper's 1.024 s at
            16 kHz; 32768 and 65536: the reference's longer slices).
        width: The paper's ``d``: channels of the last hidden layer.
        num_classes: Number of classes to condition on; 0 for unconditional. With a conditioning
            instance, 0 or the instance's ``num_classes``.
        conditioning: ``"embedding"`` (learned ``embed_dim`` vector), ``"onehot"``, or a
            conditioning module instance (stored in ``config`` as ``{"class", "config"}``).
        embed_dim: Label embedding size for ``"embedding"``.
        kernel_size: Taps of every convolution (25 in the paper).
        upsample: ``"transposed"`` (the paper) or ``"resize"`` (nearest-neighbour upsampling
            then a stride-1 convolution, the reference's ``upsample='nn'``).
        norm: ``"none"`` (the paper), ``"batch"``, ``"instance"`` or ``"layer"``, after the
            projection and every layer but the last.
        activation: Hidden activation, by name or class.
        init: ``"xavier"`` (Glorot-uniform weights, zero biases: the reference's TensorFlow
            default), ``"dcgan"`` (N(0, 0.02)) or ``"default"`` (PyTorch's).

    Shapes:
        ``forward(z (batch, latent_dim), labels (batch,) | None) -> (batch, channels, num_samples)``
        in [-1, 1].

    Example:
        >>> import torch
        >>> generator = WaveGANGenerator(100, (1, 1024), width=4, num_classes=5)
        >>> critic = WaveGANCritic((1, 1024), width=4, num_classes=5)
        >>> labels = torch.tensor([0, 3])
        >>> wave = generator(generator.sample_latent(2), labels)
        >>> wave.shape, critic(wave, labels).shape
        (torch.Size([2, 1, 1024]), torch.Size([2]))
    """

    def __init__(
        self,
        latent_dim: int = 100,
        out_shape: Sequence[int] = (1, 16384),
        *,
        width: int = 64,
        num_classes: int = 0,
        conditioning: ConditioningSpec = "embedding",
        embed_dim: int = 16,
        kernel_size: int = 25,
        upsample: str = "transposed",
        norm: NormSpec = "none",
        activation: ActSpec = "relu",
        init: str = "xavier",
    ) -> None:
        super().__init__()
        name = "WaveGANGenerator"
        channels, num_samples, strides = _check_common(
            name, "out_shape", out_shape, width, kernel_size, init
        )
        check_positive(name, latent_dim=latent_dim)
        resolve_upsample(upsample, f"{name}: upsample")
        norm_kind = resolve_norm(norm, ("batch", "instance", "layer", "none"), f"{name} norm")
        act_kind = resolve_activation(activation, f"{name} activation")
        cond_module, num_classes, cond_config = vector_conditioning(
            conditioning, num_classes, embed_dim, name
        )
        self.config = {
            "latent_dim": latent_dim,
            "out_shape": [channels, int(num_samples)],
            "width": width,
            "num_classes": num_classes,
            "conditioning": cond_config,
            "embed_dim": embed_dim,
            "kernel_size": kernel_size,
            "upsample": upsample,
            "norm": norm_kind,
            "activation": act_kind,
            "init": init,
        }
        self.latent_dim = latent_dim
        self.num_samples = int(num_samples)
        self.width = width
        self.num_classes = num_classes
        self.out_shape = (channels, self.num_samples)
        self.conditioning = cond_module
        cond_dim = 0 if cond_module is None else cond_module.out_features

        n_layers = len(strides)
        widths = [width * 2 ** (n_layers - 1 - i) for i in range(n_layers)] + [channels]
        bias = not has_bias_free_norm(norm_kind)
        self.project = nn.Linear(latent_dim + cond_dim, widths[0] * BASE_LENGTH, bias=bias)
        self.project_act = nn.Sequential(
            make_norm(norm_kind, widths[0], dims=1), make_activation(act_kind)
        )
        layers: list[nn.Module] = []
        for i, stride in enumerate(strides):
            last = i == n_layers - 1
            layers.append(
                _upsample_conv(
                    widths[i], widths[i + 1], kernel_size, stride, upsample, last or bias
                )
            )
            if not last:
                layers += [make_norm(norm_kind, widths[i + 1], dims=1), make_activation(act_kind)]
        layers.append(nn.Tanh())
        self.layers = nn.Sequential(*layers)
        _initialize(self, init)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Waveforms ``(batch, channels, num_samples)`` from ``z (batch, latent_dim)`` and
        ``labels (batch,)``."""
        check_shape(z, (None, self.latent_dim), "WaveGANGenerator latent", "(batch, latent_dim)")
        labels = check_labels(labels, self.num_classes, z.shape[0], "WaveGANGenerator")
        if self.conditioning is not None:
            cond = conditioning_vector(
                self.conditioning, labels, z.shape[0], z.dtype, "WaveGANGenerator"
            )
            z = torch.cat([z, cond], dim=1)  # (B, latent_dim + out_features)
        h = rearrange(self.project(z), "b (c t) -> b c t", t=BASE_LENGTH)  # (B, C0, 16)
        return self.layers(self.project_act(h))  # (B, channels, num_samples)


def _upsample_conv(
    c_in: int, c_out: int, kernel_size: int, stride: int, mode: str, bias: bool
) -> nn.Module:
    """One upsampling layer: ``(B, c_in, T) -> (B, c_out, stride * T)``."""
    if mode == "transposed":
        padding, output_padding = _same_length_padding(kernel_size, stride)
        return nn.ConvTranspose1d(
            c_in, c_out, kernel_size, stride, padding, output_padding, bias=bias
        )
    return nn.Sequential(
        nn.Upsample(scale_factor=stride, mode="nearest"),
        nn.Conv1d(c_in, c_out, kernel_size, padding="same", bias=bias),
    )


@register
class WaveGANCritic(nn.Module):
    """Waveform (and label) -> one raw score per sample.

    Strided 1-D convolutions (kernel ``kernel_size``, stride 4, or 2 for the last layer of a
    ``32 * 4**k`` length) double the channels from ``width`` while dividing the length, each
    followed by LeakyReLU(0.2) and, but for the last, :class:`PhaseShuffle`; the ``(channels,
    16)`` features are flattened and a linear layer gives the score. The paper's critic is
    ``WaveGANCritic()``: 1 x 16384 -> 64 x 4096 -> 128 x 1024 -> 256 x 256 -> 512 x 64 ->
    1024 x 16 -> 1. No BatchNorm: train it with a gradient penalty (WGAN-GP, the paper's loss).

    Conditioning as for :class:`~audiogan.nn.ConvCritic2d`: ``"embedding"`` stacks one learned
    label track ``(1, num_samples)`` onto the waveform's channels, ``"onehot"`` stacks
    ``num_classes`` constant channels, and ``"projection"`` adds ``<embed(y), h>`` on the
    time-averaged last features ``h``. An instance works too: a label-map module (``OneHot(5)``,
    ``LabelEmbedding(5, 16)`` for 16 constant channels, ``LabelEmbedding(5, 16,
    map_size=(num_samples,))`` for one track, or a user's module meeting
    :class:`audiogan.protocols.Conditioning`) stacks its ``map_channels``; a projection-style
    module (``Projection(5, width * 2**(layers - 1))``) adds its term.

    Args:
        in_shape: ``(channels, num_samples)``: audio channels (1: mono) and length,
            ``16 * 4**k`` or ``32 * 4**k`` samples with ``k >= 1``.
        width: The paper's ``d``: channels of the first layer.
        num_classes: Number of classes to condition on; 0 for unconditional. With a conditioning
            instance, 0 or the instance's ``num_classes``.
        conditioning: ``"embedding"``, ``"onehot"``, ``"projection"`` or a conditioning module
            instance (stored in ``config`` as ``{"class", "config"}``).
        embed_dim: Label embedding size for ``"embedding"``.
        phase_shuffle: The largest shift of phase shuffle (:class:`PhaseShuffle`'s
            ``max_shift``; 2 in the paper; 0: none).
        kernel_size: Taps of every convolution (25 in the paper).
        norm: ``"none"`` (the paper), ``"layer"``, ``"instance"`` or ``"spectral"`` (spectral
            norm on every conv and linear weight); after every layer but the first. BatchNorm
            is not offered: it breaks the per-sample gradient penalty.
        activation: Hidden activation (default LeakyReLU(0.2)).
        init: ``"xavier"`` (the reference's TensorFlow default), ``"dcgan"`` or ``"default"``.

    Shapes:
        ``forward(x (batch, channels, num_samples), labels (batch,) | None) -> (batch,)``.
    """

    def __init__(
        self,
        in_shape: Sequence[int] = (1, 16384),
        *,
        width: int = 64,
        num_classes: int = 0,
        conditioning: ConditioningSpec = "embedding",
        embed_dim: int = 16,
        phase_shuffle: int = 2,
        kernel_size: int = 25,
        norm: NormSpec = "none",
        activation: ActSpec = "leaky_relu",
        init: str = "xavier",
    ) -> None:
        super().__init__()
        name = "WaveGANCritic"
        channels, num_samples, strides = _check_common(
            name, "in_shape", in_shape, width, kernel_size, init
        )
        n_layers = len(strides)
        # the last phase-shuffled features are this long; a single layer shuffles nothing
        shortest = BASE_LENGTH * strides[-1] if n_layers > 1 else None
        if (
            isinstance(phase_shuffle, bool)
            or not isinstance(phase_shuffle, numbers.Integral)
            or phase_shuffle < 0
            or (shortest is not None and phase_shuffle >= shortest)
        ):
            bound = (
                "" if shortest is None else f" below {shortest} (the shortest shuffled features)"
            )
            raise ValueError(
                f"{name}: phase_shuffle must be an integer >= 0{bound}, got {phase_shuffle!r}"
            )
        norm_kind = resolve_norm(norm, _CRITIC_NORMS, f"{name} norm")
        act_kind = resolve_activation(activation, f"{name} activation")
        widths = [width * 2**i for i in range(n_layers)]
        self.label_maps, self.projection, num_classes, cond_config = critic_conditioning(
            conditioning,
            num_classes,
            label_map_names(embed_dim, (num_samples,), widths[-1]),
            name,
            features=widths[-1],
            grid=(int(num_samples),),
        )
        self.config = {
            "in_shape": [channels, int(num_samples)],
            "width": width,
            "num_classes": num_classes,
            "conditioning": cond_config,
            "embed_dim": embed_dim,
            "phase_shuffle": int(phase_shuffle),
            "kernel_size": kernel_size,
            "norm": norm_kind,
            "activation": act_kind,
            "init": init,
        }
        self.num_samples = int(num_samples)
        self.width = width
        self.num_classes = num_classes
        self.in_shape = (channels, self.num_samples)
        extra = 0 if self.label_maps is None else self.label_maps.map_channels

        layer_norm = "none" if norm_kind == "spectral" else norm_kind
        bias = not has_bias_free_norm(layer_norm)
        layers: list[nn.Module] = []
        c_in = channels + extra
        for i, stride in enumerate(strides):
            first, last = i == 0, i == n_layers - 1
            padding, _ = _same_length_padding(kernel_size, stride)
            layers.append(
                nn.Conv1d(c_in, widths[i], kernel_size, stride, padding, bias=first or bias)
            )
            if not first:
                layers.append(make_norm(layer_norm, widths[i], dims=1))
            layers.append(make_activation(act_kind))
            if not last:
                layers.append(PhaseShuffle(int(phase_shuffle)))
            c_in = widths[i]
        self.features = nn.Sequential(*layers)
        self.score = nn.Linear(widths[-1] * BASE_LENGTH, 1)
        if norm_kind == "spectral":
            apply_spectral_norm(self.features)
            apply_spectral_norm(self.score)
        _initialize(self, init)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Score ``x (batch, channels, num_samples)``: raw scores ``(batch,)``."""
        check_shape(x, (None, *self.in_shape), "WaveGANCritic input", _WAVE_AXES)
        labels = check_labels(labels, self.num_classes, x.shape[0], "WaveGANCritic")
        if self.label_maps is not None:
            x = stack_label_maps(self.label_maps, x, labels, "WaveGANCritic")
        h = self.features(x)  # (B, C, 16)
        score = self.score(rearrange(h, "b c t -> b (c t)")).squeeze(1)
        if self.projection is not None:
            score = score + self.projection(h.mean(dim=2), labels)
        return score
