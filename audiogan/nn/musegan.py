"""MuseGAN blocks for piano rolls ``(batch, tracks, bars, steps_per_bar, pitches)``.

MuseGAN (Dong et al. 2018) on the JSB chorales, as ported in Mark Liu's book ("Learn Generative
AI with PyTorch", chapter 13). The generator builds each bar of each track from four latents:
``chords`` (shared, varies over bars through a :class:`TemporalNetwork`), ``style`` (shared,
constant), ``melody`` (per track, varies over bars) and ``groove`` (per track, constant). The
critic is a Conv3d stack with tracks as channels over ``(bars, steps_per_bar, pitches)``.

Both blocks take the roll shape ``(tracks, bars, steps_per_bar, pitches)`` as the 2-D blocks
take theirs: ``MuseGenerator(out_shape=PianoRoll().feature_shape)``,
``MuseCritic(in_shape=...)``. At the book's defaults (4 tracks, 2 bars, 16 steps per bar, 84
pitches) the layers, shapes and parameter counts equal the book's. Other sizes get a kernel plan
computed from the sizes:

- bars: kernels ``(min(2, bars), bars - min(2, bars) + 1)`` (book: 2 then 1);
- pitches: a multiple of 12; an octave kernel (12, stride 12) and one of ``pitches / 12``
  (book: 12 then 7);
- critic steps: ``(1, 2, 1)`` stride-2 halvings down to 2, 3 or 4, then the book's
  ``(1, 4, 1)`` and ``(1, 3, 1)`` stride-2 convs (so 2, 3 or 4 times a power of two);
- generator steps: ``linear_width // (width // 2)`` rows (book: 1024 // 512 = 2) doubled by
  ``(2, 1)`` transposed convs, so ``steps_per_bar`` must be that base times a power of two.

Beyond the book (each off by default, so the defaults stay the book's layers): the generator's
output units (``output``: binary neurons, or one distribution over pitches and a rest per voice
and step, :mod:`audiogan.nn.binary`), nearest-neighbour doubling of the steps instead of
transposed convs (``upsample="resize"``), and critic streams of note changes and pitch classes
(:class:`RollStreams`). With all three the ``musegan`` recipe's chorales come out with
sustained notes and chorale-like pitch classes per bar (see the recipes page of the docs).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from einops import rearrange
from torch import nn

from audiogan._shapes import check_shape
from audiogan.nn.binary import BINARY_MODES, ONE_HOT_MODES, BinaryNeurons, OneHotUnits
from audiogan.nn.checks import check_choice, check_positive
from audiogan.nn.conditioning import (
    ConditioningSpec,
    Projection,
    check_labels,
    conditioning_vector,
    critic_conditioning,
    stack_label_maps,
    vector_conditioning,
)
from audiogan.nn.latent import sample_normal
from audiogan.nn.layers import resolve_upsample
from audiogan.registry import register

MuseLatent = tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]
"""``(chords (n, latent_dim), style (n, latent_dim), melody (n, tracks, latent_dim),
groove (n, tracks, latent_dim))``."""

ROLL_AXES = "(tracks, bars, steps_per_bar, pitches)"
"""The axes of a piano roll, as the shape arguments name them."""

#: How :class:`BarGenerator` doubles the steps (see there).

#: Output units of :class:`MuseGenerator`: the book's tanh, per-cell binary neurons, or one
#: distribution over ``pitches`` + a rest per track and step.
OUTPUTS = ("tanh", *BINARY_MODES, *ONE_HOT_MODES)


def _roll_shape(shape: Sequence[int], name: str, arg: str) -> tuple[int, int, int, int]:
    """Check a ``(tracks, bars, steps_per_bar, pitches)`` shape of positive sizes."""
    try:
        out = tuple(int(s) for s in shape)
    except TypeError as e:
        raise ValueError(f"{name}: {arg} must be {ROLL_AXES}, got {shape!r}") from e
    if len(out) != 4:
        raise ValueError(f"{name}: {arg} must be {ROLL_AXES} (4 sizes), got {out}")
    for axis, size in zip(("tracks", "bars", "steps_per_bar", "pitches"), out, strict=True):
        if size < 1:
            raise ValueError(f"{name}: {arg} {ROLL_AXES} needs {axis} >= 1, got {out}")
    return out  # type: ignore[return-value]


def _bar_kernels(bars: int) -> tuple[int, int]:
    """Two kernels along bars whose combined extent is ``bars`` (book at 2 bars: 2, 1)."""
    check_positive("MuseGAN", bars=bars)
    first = min(2, bars)
    return first, bars - first + 1


def _pitch_groups(pitches: int, name: str) -> int:
    """Octaves in ``pitches`` (book: 84 -> 7)."""
    if pitches < 12 or pitches % 12:
        raise ValueError(
            f"{name}: pitches must be a positive multiple of 12 (octave kernels), got {pitches}"
        )
    return pitches // 12


def _critic_step_halvings(steps_per_bar: int) -> int:
    """Number of ``(1, 2, 1)`` stride-2 convs before the final two (book at 16 steps: 2)."""
    steps, halvings = steps_per_bar, 0
    while steps > 4 and steps % 2 == 0:
        steps //= 2
        halvings += 1
    if steps not in (2, 3, 4):
        raise ValueError(
            "MuseCritic: steps_per_bar must be 2, 3 or 4 times a power of two (e.g. 16, 12, 48, 96), "
            f"got {steps_per_bar}"
        )
    return halvings


class TemporalNetwork(nn.Module):
    """One latent -> one latent per bar, through two transposed convs along bars.

    Args:
        latent_dim: Latent size.
        width: Channels between the two convs.
        bars: Number of bars.

    Shapes:
        ``forward(z (batch, latent_dim)) -> (batch, latent_dim, bars)``.
    """

    def __init__(self, latent_dim: int = 32, *, width: int = 1024, bars: int = 2) -> None:
        super().__init__()
        check_positive("TemporalNetwork", latent_dim=latent_dim, width=width)
        k1, k2 = _bar_kernels(bars)
        self.config = {"latent_dim": latent_dim, "width": width, "bars": bars}
        self.latent_dim = latent_dim
        self.bars = bars
        self.net = nn.Sequential(
            nn.ConvTranspose2d(latent_dim, width, kernel_size=(k1, 1), stride=(1, 1), padding=0),
            nn.BatchNorm2d(width),
            nn.ReLU(),
            nn.ConvTranspose2d(width, latent_dim, kernel_size=(k2, 1), stride=(1, 1), padding=0),
            nn.BatchNorm2d(latent_dim),
            nn.ReLU(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """One latent per bar ``(batch, latent_dim, bars)`` from ``z (batch, latent_dim)``."""
        check_shape(z, (None, self.latent_dim), "TemporalNetwork input", "(batch, latent_dim)")
        h = self.net(z[:, :, None, None])  # (B, z, bars, 1)
        return h[..., 0]


class BarGenerator(nn.Module):
    """Concatenated latents of one bar of one track -> that bar's piano roll.

    Linear + BN + ReLU, reshape to ``(width, linear_width // width, 1)``, ``(2, 1)``
    stride-2 transposed convs along steps, then ``(1, pitches / 12)`` and ``(1, 12)`` transposed
    convs along pitches (BN + ReLU between all of them).

    Args:
        latent_dim: Size of each of the four latents (input: ``4 * latent_dim + cond_dim``).
        width: Channels after the reshape (must divide ``linear_width``); the convs after the
            first have ``width // 2``.
        linear_width: Output features of the linear layer.
        out_channels: Output channels; must be 1 (one roll per track), kept for the book's
            signature.
        steps_per_bar: Time steps per bar.
        pitches: Pitches (a multiple of 12).
        cond_dim: Size of a label vector appended to the input (0: none).
        rest: Also output a rest logit per step (a 1x1 conv on the features before the pitch
            convs), appended after the pitches.
        upsample: How each stage doubles the steps: ``"transposed"`` (the book's ``(2, 1)``
            stride-2 transposed conv, whose two taps give every even and odd step its own
            weights) or ``"resize"`` (nearest-neighbour doubling, then a ``(3, 1)`` conv with
            replicated edges: Odena et al. 2016's remedy for checkerboard artifacts, here
            one-step flickers between neighbouring steps).

    Shapes:
        ``forward(z (batch, 4 * latent_dim + cond_dim)) -> (batch, steps_per_bar, pitches)``,
        ``(batch, steps_per_bar, pitches + 1)`` with ``rest``.
    """

    def __init__(
        self,
        latent_dim: int = 32,
        *,
        width: int = 512,
        linear_width: int = 1024,
        out_channels: int = 1,
        steps_per_bar: int = 16,
        pitches: int = 84,
        cond_dim: int = 0,
        rest: bool = False,
        upsample: str = "transposed",
    ) -> None:
        super().__init__()
        name = "BarGenerator"
        resolve_upsample(upsample, f"{name}: upsample")
        if out_channels != 1:
            raise ValueError(
                f"{name}: out_channels must be 1 (one piano roll per track and bar), got {out_channels}"
            )
        if width < 2 or linear_width < width or linear_width % width:
            raise ValueError(
                f"{name}: width ({width}) must be >= 2 and divide linear_width ({linear_width})"
            )
        base = linear_width // width
        ups, steps = 0, base
        while steps < steps_per_bar:
            steps *= 2
            ups += 1
        if steps != steps_per_bar:
            raise ValueError(
                f"{name}: steps_per_bar ({steps_per_bar}) must be linear_width // width ({base}) times a "
                f"power of two; choose linear_width = width * (steps_per_bar / 2**k)"
            )
        octaves = _pitch_groups(pitches, name)
        self.config = {
            "latent_dim": latent_dim,
            "width": width,
            "linear_width": linear_width,
            "out_channels": out_channels,
            "steps_per_bar": steps_per_bar,
            "pitches": pitches,
            "cond_dim": cond_dim,
            "rest": bool(rest),
            "upsample": upsample,
        }
        self.in_features = 4 * latent_dim + cond_dim
        self.steps_per_bar = steps_per_bar
        self.pitches = pitches
        self.width = width
        self.base_steps = base

        self.project = nn.Sequential(
            nn.Linear(self.in_features, linear_width), nn.BatchNorm1d(linear_width), nn.ReLU()
        )
        layers: list[nn.Module] = []
        c_in = width
        for i in range(ups):  # book: 512 -> 512 -> 256 -> 256 along steps 2 -> 4 -> 8 -> 16
            c_out = width if i == 0 else width // 2
            double: nn.Module = (
                nn.ConvTranspose2d(c_in, c_out, (2, 1), stride=(2, 1))
                if upsample == "transposed"
                else nn.Sequential(
                    nn.Upsample(scale_factor=(2, 1), mode="nearest"),
                    nn.Conv2d(c_in, c_out, (3, 1), padding=(1, 0), padding_mode="replicate"),
                )
            )
            layers += [double, nn.BatchNorm2d(c_out), nn.ReLU()]
            c_in = c_out
        half = width // 2
        layers += [
            nn.ConvTranspose2d(
                c_in, half, (1, octaves), stride=(1, octaves)
            ),  # (B, half, steps, octaves)
            nn.BatchNorm2d(half),
            nn.ReLU(),
            nn.ConvTranspose2d(
                half, out_channels, (1, 12), stride=(1, 12)
            ),  # (B, 1, steps, pitches)
        ]
        self.net = nn.Sequential(*layers)
        self.step_layers = 3 * ups  # net[:step_layers] upsamples steps, the rest makes pitches
        # the rest logit of each step, from the features before the pitch convs
        self.rest_head = nn.Conv2d(c_in, 1, kernel_size=1) if rest else None

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """One bar ``(batch, steps_per_bar, pitches [+ 1])`` from ``z (batch, 4 * latent_dim + cond_dim)``."""
        check_shape(
            z, (None, self.in_features), "BarGenerator input", "(batch, 4 * latent_dim + cond_dim)"
        )
        h = self.project(z).view(z.shape[0], self.width, self.base_steps, 1)  # (B, C, base, 1)
        if self.rest_head is None:
            return self.net(h)[:, 0]  # (B, steps, pitches)
        h = self.net[: self.step_layers](h)  # (B, C', steps, 1)
        pitches = self.net[self.step_layers :](h)  # (B, 1, steps, pitches)
        return torch.cat([pitches, self.rest_head(h)], dim=-1)[:, 0]  # (B, steps, pitches + 1)


@register
class MuseGenerator(nn.Module):
    """MuseGAN generator: ``(chords, style, melody, groove)`` -> piano rolls in [-1, 1].

    A chords :class:`TemporalNetwork`, one melody :class:`TemporalNetwork` and one
    :class:`BarGenerator` per track, called bar by bar as in the book (so BatchNorm statistics
    are per bar). The book squashes the output by tanh (``output="tanh"``); the other outputs
    give rolls in {-1, 1} (see :mod:`audiogan.nn.binary`):

    - ``"deterministic"``, ``"stochastic"``: :class:`~audiogan.nn.binary.BinaryNeurons` per
      cell (BinaryMuseGAN, polyphonic tracks);
    - ``"softmax"``, ``"argmax"``, ``"gumbel"``: :class:`~audiogan.nn.binary.OneHotUnits` per
      track and step over the ``pitches`` and a rest (monophonic voices, as the chorales): at
      most one +1 per track and step, none for a rest. ``"softmax"`` passes the probabilities
      ``2 p - 1`` while training and the argmax in eval mode.

    Args:
        latent_dim: Size of each of the four latents.
        out_shape: ``(tracks, bars, steps_per_bar, pitches)``, e.g. a
            :class:`~audiogan.frontends.PianoRoll`'s ``feature_shape``; ``pitches`` a multiple
            of 12, ``steps_per_bar`` ``linear_width // (width // 2)`` times a power of two.
        width: Base width: the temporal networks' hidden channels; the bar generators get
            ``width // 2``.
        linear_width: Output features of the bar generators' linear layer.
        out_channels: Must be 1 (kept for the book's signature).
        num_classes: Classes to condition on (the conditioning vector is appended to every bar
            generator's input); 0 for unconditional (the book). With a conditioning instance, 0
            or the instance's ``num_classes`` (it is taken from the instance).
        conditioning: ``"embedding"`` (a learned ``embed_dim`` vector), ``"onehot"``, or a
            conditioning module instance with ``out_features`` (see
            :class:`audiogan.protocols.Conditioning`; stored in ``config`` as
            ``{"class", "config"}``).
        embed_dim: Label embedding size for ``"embedding"``.
        output: The output units, one of :data:`OUTPUTS` (see above).
        tau: Softmax temperature of the one-hot outputs.
        upsample: How the bar generators double the steps, ``"transposed"`` (the book) or
            ``"resize"`` (see :class:`BarGenerator`).

    Shapes:
        ``forward((chords (batch, latent_dim), style (batch, latent_dim), melody (batch, tracks,
        latent_dim), groove (batch, tracks, latent_dim)), labels (batch,) | None)
        -> (batch, tracks, bars, steps_per_bar, pitches)``.
    """

    def __init__(
        self,
        latent_dim: int = 32,
        out_shape: Sequence[int] = (4, 2, 16, 84),
        *,
        width: int = 1024,
        linear_width: int = 1024,
        out_channels: int = 1,
        num_classes: int = 0,
        conditioning: ConditioningSpec = "embedding",
        embed_dim: int = 16,
        output: str = "tanh",
        tau: float = 1.0,
        upsample: str = "transposed",
    ) -> None:
        super().__init__()
        name = "MuseGenerator"
        tracks, bars, steps_per_bar, pitches = _roll_shape(out_shape, name, "out_shape")
        check_positive(name, latent_dim=latent_dim)
        check_choice(name, "output", output, OUTPUTS)
        cond_module, num_classes, cond_config = vector_conditioning(
            conditioning, num_classes, embed_dim, name
        )
        self.config = {
            "latent_dim": latent_dim,
            "out_shape": [tracks, bars, steps_per_bar, pitches],
            "width": width,
            "linear_width": linear_width,
            "out_channels": out_channels,
            "num_classes": num_classes,
            "conditioning": cond_config,
            "embed_dim": embed_dim,
            "output": output,
            "tau": tau,
            "upsample": upsample,
        }
        self.latent_dim = latent_dim
        self.tracks = tracks
        self.bars = bars
        self.steps_per_bar = steps_per_bar
        self.pitches = pitches
        self.num_classes = num_classes
        self.out_shape = (tracks, bars, steps_per_bar, pitches)
        self.conditioning = cond_module
        cond_dim = 0 if cond_module is None else cond_module.out_features
        self.output = output
        one_hot = output in ONE_HOT_MODES
        self.units: nn.Module
        if one_hot:
            self.units = OneHotUnits(output, tau=tau, dim=-1)  # over pitches + rest
        elif output in BINARY_MODES:
            self.units = BinaryNeurons(output)
        else:
            self.units = nn.Tanh()

        self.chords_network = TemporalNetwork(latent_dim, width=width, bars=bars)
        self.melody_networks = nn.ModuleDict(
            {
                f"melodygen_{t}": TemporalNetwork(latent_dim, width=width, bars=bars)
                for t in range(tracks)
            }
        )
        self.bar_generators = nn.ModuleDict(
            {
                f"bargen_{t}": BarGenerator(
                    latent_dim,
                    width=width // 2,
                    linear_width=linear_width,
                    out_channels=out_channels,
                    steps_per_bar=steps_per_bar,
                    pitches=pitches,
                    cond_dim=cond_dim,
                    rest=one_hot,
                    upsample=upsample,
                )
                for t in range(tracks)
            }
        )

    def sample_latent(
        self,
        n: int,
        device: torch.device | str | None = None,
        generator: torch.Generator | None = None,
        dtype: torch.dtype | None = None,
    ) -> MuseLatent:
        """Standard normal ``(chords, style, melody, groove)`` for a batch of ``n``.

        Args:
            n: Batch size.
            device: Default: the generator's parameters' device.
            generator: Random generator, drawn from on its own device.
            dtype: Default: the generator's parameters' dtype (so ``G.double()`` gets float64).

        Returns:
            ``(chords (n, latent_dim), style (n, latent_dim), melody (n, tracks, latent_dim),
            groove (n, tracks, latent_dim))``.
        """
        z, t = self.latent_dim, self.tracks
        shapes = [(n, z), (n, z), (n, t, z), (n, t, z)]
        chords, style, melody, groove = sample_normal(self, shapes, device, generator, dtype)
        return chords, style, melody, groove

    def forward(self, z: MuseLatent, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Piano rolls ``(batch, tracks, bars, steps_per_bar, pitches)`` in [-1, 1]."""
        if not isinstance(z, (tuple, list)) or len(z) != 4:
            raise ValueError(
                "MuseGenerator: z must be the tuple (chords, style, melody, groove) from sample_latent, "
                f"got {type(z).__name__}{'' if not isinstance(z, (tuple, list)) else f' of length {len(z)}'}"
            )
        chords, style, melody, groove = z
        zd, tracks, bars = self.latent_dim, self.tracks, self.bars
        check_shape(chords, (None, zd), "MuseGenerator chords", "(batch, latent_dim)")
        batch = chords.shape[0]
        check_shape(style, (batch, zd), "MuseGenerator style", "(batch, latent_dim)")
        check_shape(
            melody, (batch, tracks, zd), "MuseGenerator melody", "(batch, tracks, latent_dim)"
        )
        check_shape(
            groove, (batch, tracks, zd), "MuseGenerator groove", "(batch, tracks, latent_dim)"
        )
        labels = check_labels(labels, self.num_classes, batch, "MuseGenerator")

        shared = [
            self.chords_network(chords),
            style[:, :, None].expand(-1, -1, bars),
        ]  # (B, z, bars) each
        if self.conditioning is not None:
            cond = conditioning_vector(  # (B, c)
                self.conditioning, labels, batch, chords.dtype, "MuseGenerator"
            )
            shared.append(cond[:, :, None].expand(-1, -1, bars))
        track_rolls = []
        for t in range(tracks):
            melody_t = self.melody_networks[f"melodygen_{t}"](melody[:, t])  # (B, z, bars)
            groove_t = groove[:, t, :, None].expand(-1, -1, bars)  # (B, z, bars)
            # the book's order of the bar input: chords, style, melody, groove (+ label vector)
            parts = [shared[0], shared[1], melody_t, groove_t, *shared[2:]]
            bar_in = torch.cat(parts, dim=1)  # (B, 4z+c, bars)
            bar_gen = self.bar_generators[f"bargen_{t}"]
            # one call per bar, as in the book: BatchNorm statistics stay per bar
            track_rolls.append(
                torch.stack([bar_gen(bar_in[:, :, n]) for n in range(bars)])
            )  # (bars, B, S, P)
        out = rearrange(torch.stack(track_rolls), "t n b s p -> b t n s p")
        # (B, tracks, bars, steps_per_bar, pitches); one-hot outputs drop the rest class
        return self.units(out)[..., : self.pitches]


#: Extra critic streams (BinaryMuseGAN's discriminator has both): see :class:`RollStreams`.
STREAMS = ("onset", "chroma")


class RollStreams(nn.Module):
    """Note changes and pitch classes of a roll, each read by a linear layer (critic streams).

    The book's critic collapses the pitch axis (octaves, then all of it) before it looks along
    time, so with few channels it hardly sees whether a voice holds a pitch or changes it every
    step, nor which pitch classes a bar uses. These streams, after the onset/offset and chroma
    streams of BinaryMuseGAN's discriminator (Dong & Yang 2018), give it both directly:

    - ``"onset"``: per track and step (bars joined), the amount of change from the previous
      step, ``0.5 * sum_p |y[t] - y[t-1]|`` with ``y = (x + 1) / 2`` in [0, 1] (the first step
      compared with silence): for a one-hot voice 1 where it changes pitch, 0.5 where a note
      starts after or ends before a rest, 0 where it holds.
    - ``"chroma"``: per track, bar and beat, the share of each of the 12 pitch classes.

    Each map is flattened and read by a ``Linear -> LeakyReLU(0.3)`` of ``features`` units.

    Args:
        in_shape: ``(tracks, bars, steps_per_bar, pitches)``; ``pitches`` a multiple of 12.
        streams: Names among :data:`STREAMS`.
        features: Output units per stream.
        beats: Beats per bar (must divide ``steps_per_bar``) for the chroma stream.

    Shapes:
        ``forward(x (batch, tracks, bars, steps_per_bar, pitches)) -> (batch, len(streams) *
        features)``.
    """

    def __init__(
        self,
        in_shape: Sequence[int],
        streams: Sequence[str] = STREAMS,
        features: int = 64,
        beats: int = 4,
    ) -> None:
        super().__init__()
        name = "RollStreams"
        tracks, bars, steps, pitches = _roll_shape(in_shape, name, "in_shape")
        streams = tuple(streams)
        unknown = [s for s in streams if s not in STREAMS]
        if unknown or len(set(streams)) != len(streams) or not streams:
            raise ValueError(
                f"{name}: streams must be distinct names among {STREAMS}, got {streams}"
            )
        if "chroma" in streams and (steps % beats or pitches % 12):
            raise ValueError(
                f"{name}: the chroma stream needs beats ({beats}) to divide steps_per_bar ({steps}) "
                f"and pitches ({pitches}) to be a multiple of 12"
            )
        self.in_shape = (tracks, bars, steps, pitches)
        self.streams = streams
        self.beats = beats
        sizes = {"onset": tracks * bars * steps, "chroma": tracks * bars * beats * 12}
        self.readers = nn.ModuleDict(
            {
                s: nn.Sequential(nn.Flatten(), nn.Linear(sizes[s], features), nn.LeakyReLU(0.3))
                for s in streams
            }
        )
        self.out_features = len(streams) * features

    def maps(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """The streams' inputs: ``onset (batch, tracks, bars * steps)``, ``chroma (batch, tracks,
        bars, beats, 12)``."""
        y = (x + 1) / 2  # (B, T, bars, S, P) in [0, 1]
        out = {}
        if "onset" in self.streams:
            y_t = rearrange(y, "b t n s p -> b t (n s) p")
            previous = torch.cat([torch.zeros_like(y_t[:, :, :1]), y_t[:, :, :-1]], dim=2)
            out["onset"] = 0.5 * (y_t - previous).abs().sum(dim=-1)  # (B, T, time)
        if "chroma" in self.streams:
            out["chroma"] = rearrange(
                y, "b t n (k s) (o c) -> b t n k c s o", k=self.beats, c=12
            ).mean(dim=(-1, -2)) * (y.shape[-1] // 12)  # (B, T, bars, beats, 12): share per beat
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Stream features ``(batch, len(streams) * features)`` of a roll."""
        check_shape(
            x,
            (None, *self.in_shape),
            "RollStreams input",
            "(batch, tracks, bars, steps_per_bar, pitches)",
        )
        maps = self.maps(x)
        return torch.cat([self.readers[s](maps[s]) for s in self.streams], dim=1)


@register
class MuseCritic(nn.Module):
    """MuseGAN critic: Conv3d with tracks as channels over ``(bars, steps_per_bar, pitches)``.

    The book's kernels at the defaults: (2,1,1), (1,1,1), (1,1,12)/12, (1,1,7)/7, (1,2,1)/2
    twice, (1,4,1)/2, (1,3,1)/2; LeakyReLU(0.3); Linear 512 -> 1024 -> 1; raw scores. No norm
    layers (it is trained with a gradient penalty).

    Conditioning is a projection term on the hidden features by default; a label-map module
    (``OneHot(5)``, ``LabelEmbedding(5, 4)``, or a user's module meeting
    :class:`audiogan.protocols.Conditioning`) instead stacks its ``map_channels`` onto the tracks.

    Args:
        in_shape: ``(tracks, bars, steps_per_bar, pitches)``, e.g. a
            :class:`~audiogan.frontends.PianoRoll`'s ``feature_shape``; ``steps_per_bar`` 2, 3 or
            4 times a power of two, ``pitches`` a multiple of 12.
        width: Base width: the conv channels (the last two convs have 2x and 4x).
        linear_width: Features of the hidden linear layer.
        out_features: Must be 1 (one score per sample), kept for the book's signature.
        num_classes: Number of classes to condition on; 0 for unconditional. With a conditioning
            instance, 0 or the instance's ``num_classes`` (it is taken from the instance).
        conditioning: ``"projection"`` (on the ``linear_width`` hidden features) or a
            conditioning module instance (stored in ``config`` as ``{"class", "config"}``).
        streams: Extra :class:`RollStreams` (``"onset"``, ``"chroma"``) whose ``4 * width``
            features each join the conv features before the hidden layer; ``()`` (the book)
            for none.

    Shapes:
        ``forward(x (batch, tracks, bars, steps_per_bar, pitches), labels (batch,) | None)
        -> (batch,)``.
    """

    def __init__(
        self,
        in_shape: Sequence[int] = (4, 2, 16, 84),
        *,
        width: int = 128,
        linear_width: int = 1024,
        out_features: int = 1,
        num_classes: int = 0,
        conditioning: ConditioningSpec = "projection",
        streams: Sequence[str] = (),
    ) -> None:
        super().__init__()
        name = "MuseCritic"
        tracks, bars, steps_per_bar, pitches = _roll_shape(in_shape, name, "in_shape")
        if out_features != 1:
            raise ValueError(
                f"{name}: out_features must be 1 (one score per sample), got {out_features}"
            )
        check_positive(name, width=width, linear_width=linear_width)
        b1, b2 = _bar_kernels(bars)
        octaves = _pitch_groups(pitches, name)
        halvings = _critic_step_halvings(steps_per_bar)
        self.label_maps, projection, num_classes, cond_config = critic_conditioning(
            conditioning,
            num_classes,
            {"projection": lambda n: Projection(n, linear_width)},
            name,
            features=linear_width,
            grid=(bars, steps_per_bar, pitches),
        )
        self.config = {
            "in_shape": [tracks, bars, steps_per_bar, pitches],
            "width": width,
            "linear_width": linear_width,
            "out_features": out_features,
            "num_classes": num_classes,
            "conditioning": cond_config,
            "streams": list(streams),
        }
        self.in_shape = (tracks, bars, steps_per_bar, pitches)
        self.num_classes = num_classes
        extra = 0 if self.label_maps is None else self.label_maps.map_channels
        c = width
        self.streams = RollStreams(self.in_shape, streams, features=4 * c) if len(streams) else None
        stream_features = 0 if self.streams is None else self.streams.out_features

        def conv(
            c_in: int,
            c_out: int,
            kernel: tuple[int, int, int],
            stride: tuple[int, int, int],
            pad: int = 0,
        ) -> list[nn.Module]:
            return [nn.Conv3d(c_in, c_out, kernel, stride, padding=(0, pad, 0)), nn.LeakyReLU(0.3)]

        layers = [
            *conv(tracks + extra, c, (b1, 1, 1), (1, 1, 1)),  # bars -> bars - b1 + 1
            *conv(c, c, (b2, 1, 1), (1, 1, 1)),  # bars -> 1
            *conv(c, c, (1, 1, 12), (1, 1, 12)),  # pitches -> octaves
            *conv(c, c, (1, 1, octaves), (1, 1, octaves)),  # pitches -> 1
        ]
        for _ in range(halvings):
            layers += conv(c, c, (1, 2, 1), (1, 2, 1))  # steps -> steps / 2
        layers += [
            *conv(c, 2 * c, (1, 4, 1), (1, 2, 1), pad=1),  # steps 4 -> 2 (3 -> 1, 2 -> 1)
            *conv(2 * c, 4 * c, (1, 3, 1), (1, 2, 1), pad=1),  # steps -> 1
            nn.Flatten(),  # (B, 4c)
        ]
        self.features = nn.Sequential(*layers)
        self.hidden = nn.Sequential(
            nn.Linear(4 * c + stream_features, linear_width), nn.LeakyReLU(0.3)
        )
        self.score = nn.Linear(linear_width, out_features)
        self.projection = projection

    def _conv_features(self, x: torch.Tensor) -> torch.Tensor:
        """The Conv3d stack's features ``(batch, features)``, in float32 under a CPU autocast.

        oneDNN's bfloat16 convolutions on CPUs with AVX512-BF16/AMX compute the pitch convs,
        whose stride equals their kernel ((1, 1, 12) and (1, 1, 7)), wrongly: errors of the size
        of the outputs, at times NaN, different from call to call (torch 2.14; pytorch issue
        169688, oneDNN pull request 5494). Under ``torch.autocast("cpu", torch.bfloat16)`` the
        stack therefore runs in float32; on CUDA, and without autocast, it runs as it is.
        """
        if x.device.type == "cpu" and torch.is_autocast_enabled("cpu"):
            with torch.autocast("cpu", enabled=False):
                return self.features(x.float())
        return self.features(x)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Raw scores ``(batch,)`` of ``x (batch, tracks, bars, steps_per_bar, pitches)``."""
        check_shape(
            x,
            (None, *self.in_shape),
            "MuseCritic input",
            "(batch, tracks, bars, steps_per_bar, pitches)",
        )
        labels = check_labels(labels, self.num_classes, x.shape[0], "MuseCritic")
        features = []
        if self.streams is not None:
            features.append(self.streams(x))  # (B, streams * 4c), of the roll alone
        if self.label_maps is not None:
            x = stack_label_maps(self.label_maps, x, labels, "MuseCritic")
        h = self.hidden(torch.cat([self._conv_features(x), *features], dim=1))  # (B, linear_width)
        score = self.score(h).squeeze(1)
        if self.projection is not None:
            score = score + self.projection(h, labels)
        return score
