"""MuseGAN blocks for piano rolls ``(batch, tracks, bars, steps, pitches)`` (seed 004).

The generator (Dong et al. 2018, as ported in Mark Liu's book) builds each bar of each track from
four latents: ``chords`` (shared, varies over bars through a :class:`TemporalNetwork`), ``style``
(shared, constant), ``melody`` (per track, varies over bars) and ``groove`` (per track, constant).
The critic is a Conv3d stack with tracks as channels over ``(bars, steps, pitches)``.

At the seed's defaults (4 tracks, 2 bars, 16 steps, 84 pitches) the layers, shapes and parameter
counts equal the seed's. Other sizes get a kernel plan computed from the sizes:

- bars: kernels ``(min(2, n_bars), n_bars - min(2, n_bars) + 1)`` (seed: 2 then 1);
- pitches: a multiple of 12; an octave kernel (12, stride 12) and one of ``n_pitches / 12``
  (seed: 12 then 7);
- critic steps: ``(1, 2, 1)`` stride-2 halvings down to 2, 3 or 4, then the seed's
  ``(1, 4, 1)`` and ``(1, 3, 1)`` stride-2 convs (so 2, 3 or 4 times a power of two);
- generator steps: ``hid_features // bar_channels`` rows (seed: 1024 // 512 = 2) doubled by
  ``(2, 1)`` transposed convs, so ``n_steps_per_bar`` must be that base times a power of two.
"""

from __future__ import annotations

import torch
from einops import rearrange
from torch import nn

from audiogan._shapes import check_shape
from audiogan.nn.conditioning import LabelEmbedding, Projection, check_labels

MuseLatent = tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]
"""``(chords (n, z), style (n, z), melody (n, tracks, z), groove (n, tracks, z))``."""


def _bar_kernels(n_bars: int) -> tuple[int, int]:
    """Two kernels along bars whose combined extent is ``n_bars`` (seed at 2 bars: 2, 1)."""
    if n_bars < 1:
        raise ValueError(f"MuseGAN: n_bars must be >= 1, got {n_bars}")
    first = min(2, n_bars)
    return first, n_bars - first + 1


def _pitch_groups(n_pitches: int, name: str) -> int:
    """Octaves in ``n_pitches`` (seed: 84 -> 7)."""
    if n_pitches < 12 or n_pitches % 12:
        raise ValueError(
            f"{name}: n_pitches must be a positive multiple of 12 (octave kernels), got {n_pitches}"
        )
    return n_pitches // 12


def _critic_step_halvings(n_steps: int) -> int:
    """Number of ``(1, 2, 1)`` stride-2 convs before the final two (seed at 16 steps: 2)."""
    steps, halvings = n_steps, 0
    while steps > 4 and steps % 2 == 0:
        steps //= 2
        halvings += 1
    if steps not in (2, 3, 4):
        raise ValueError(
            f"MuseCritic: n_steps_per_bar must be 2, 3 or 4 times a power of two (e.g. 16, 12, 48, 96), got {n_steps}"
        )
    return halvings


class TemporalNetwork(nn.Module):
    """One latent -> one latent per bar, through two transposed convs along bars.

    Args:
        z_dimension: Latent size.
        hid_channels: Channels between the two convs.
        n_bars: Number of bars.

    Shapes:
        ``forward(z (batch, z_dimension)) -> (batch, z_dimension, n_bars)``.
    """

    def __init__(self, z_dimension: int = 32, hid_channels: int = 1024, n_bars: int = 2) -> None:
        super().__init__()
        if z_dimension < 1 or hid_channels < 1:
            raise ValueError(
                f"TemporalNetwork: z_dimension and hid_channels must be >= 1, got {z_dimension}, {hid_channels}"
            )
        k1, k2 = _bar_kernels(n_bars)
        self.config = {"z_dimension": z_dimension, "hid_channels": hid_channels, "n_bars": n_bars}
        self.z_dimension = z_dimension
        self.n_bars = n_bars
        self.net = nn.Sequential(
            nn.ConvTranspose2d(
                z_dimension, hid_channels, kernel_size=(k1, 1), stride=(1, 1), padding=0
            ),
            nn.BatchNorm2d(hid_channels),
            nn.ReLU(),
            nn.ConvTranspose2d(
                hid_channels, z_dimension, kernel_size=(k2, 1), stride=(1, 1), padding=0
            ),
            nn.BatchNorm2d(z_dimension),
            nn.ReLU(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        check_shape(z, (None, self.z_dimension), "TemporalNetwork input", "(batch, z_dimension)")
        h = self.net(z[:, :, None, None])  # (B, z, bars, 1)
        return h[..., 0]


class BarGenerator(nn.Module):
    """Concatenated latents of one bar of one track -> that bar's piano roll.

    Linear + BN + ReLU, reshape to ``(hid_channels, hid_features // hid_channels, 1)``, ``(2, 1)``
    stride-2 transposed convs along steps, then ``(1, n_pitches / 12)`` and ``(1, 12)`` transposed
    convs along pitches (BN + ReLU between all of them).

    Args:
        z_dimension: Size of each of the four latents (input: ``4 * z_dimension + cond_dim``).
        hid_features: Output of the linear layer.
        hid_channels: Channels after the reshape (must divide ``hid_features``).
        out_channels: Output channels; must be 1 (one roll per track), kept for the seed's signature.
        n_steps_per_bar: Time steps per bar.
        n_pitches: Pitches (a multiple of 12).
        cond_dim: Size of a label vector appended to the input (0: none).

    Shapes:
        ``forward(z (batch, 4 * z_dimension + cond_dim)) -> (batch, n_steps_per_bar, n_pitches)``.
    """

    def __init__(
        self,
        z_dimension: int = 32,
        hid_features: int = 1024,
        hid_channels: int = 512,
        out_channels: int = 1,
        n_steps_per_bar: int = 16,
        n_pitches: int = 84,
        cond_dim: int = 0,
    ) -> None:
        super().__init__()
        name = "BarGenerator"
        if out_channels != 1:
            raise ValueError(
                f"{name}: out_channels must be 1 (one piano roll per track and bar), got {out_channels}"
            )
        if hid_channels < 2 or hid_features < hid_channels or hid_features % hid_channels:
            raise ValueError(
                f"{name}: hid_channels ({hid_channels}) must be >= 2 and divide hid_features ({hid_features})"
            )
        base = hid_features // hid_channels
        ups, steps = 0, base
        while steps < n_steps_per_bar:
            steps *= 2
            ups += 1
        if steps != n_steps_per_bar:
            raise ValueError(
                f"{name}: n_steps_per_bar ({n_steps_per_bar}) must be hid_features // hid_channels ({base}) times a "
                f"power of two; choose hid_features = hid_channels * (n_steps_per_bar / 2**k)"
            )
        octaves = _pitch_groups(n_pitches, name)
        self.config = {
            "z_dimension": z_dimension,
            "hid_features": hid_features,
            "hid_channels": hid_channels,
            "out_channels": out_channels,
            "n_steps_per_bar": n_steps_per_bar,
            "n_pitches": n_pitches,
            "cond_dim": cond_dim,
        }
        self.in_features = 4 * z_dimension + cond_dim
        self.n_steps_per_bar = n_steps_per_bar
        self.n_pitches = n_pitches
        self.hid_channels = hid_channels
        self.base_steps = base

        self.project = nn.Sequential(
            nn.Linear(self.in_features, hid_features), nn.BatchNorm1d(hid_features), nn.ReLU()
        )
        layers: list[nn.Module] = []
        c_in = hid_channels
        for i in range(ups):  # seed: 512 -> 512 -> 256 -> 256 along steps 2 -> 4 -> 8 -> 16
            c_out = hid_channels if i == 0 else hid_channels // 2
            layers += [
                nn.ConvTranspose2d(c_in, c_out, (2, 1), stride=(2, 1)),
                nn.BatchNorm2d(c_out),
                nn.ReLU(),
            ]
            c_in = c_out
        half = hid_channels // 2
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

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        check_shape(
            z, (None, self.in_features), "BarGenerator input", "(batch, 4 * z_dimension + cond_dim)"
        )
        h = self.project(z).view(
            z.shape[0], self.hid_channels, self.base_steps, 1
        )  # (B, C, base, 1)
        return self.net(h)[:, 0]  # (B, steps, pitches)


class MuseGenerator(nn.Module):
    """MuseGAN generator: ``(chords, style, melody, groove)`` -> piano rolls in [-1, 1].

    A chords :class:`TemporalNetwork`, one melody :class:`TemporalNetwork` and one
    :class:`BarGenerator` per track (seed 004), called bar by bar as in the seed (so BatchNorm
    statistics are per bar); the output is squashed by tanh.

    Args:
        z_dimension: Size of each latent.
        hid_channels: Temporal networks' hidden channels; bar generators get ``hid_channels // 2``.
        hid_features: Bar generators' linear width.
        out_channels: Must be 1 (kept for the seed's signature).
        n_tracks: Instruments / voices.
        n_bars: Bars.
        n_steps_per_bar: Time steps per bar.
        n_pitches: Pitches (a multiple of 12).
        num_classes: Classes to condition on (a learned ``embed_dim`` vector appended to every bar
            generator's input); 0 for unconditional (the seed).
        embed_dim: Label embedding size.

    Shapes:
        ``forward((chords (B, z), style (B, z), melody (B, tracks, z), groove (B, tracks, z)),
        labels (B,) | None) -> (B, tracks, bars, steps, pitches)``.
    """

    def __init__(
        self,
        z_dimension: int = 32,
        hid_channels: int = 1024,
        hid_features: int = 1024,
        out_channels: int = 1,
        n_tracks: int = 4,
        n_bars: int = 2,
        n_steps_per_bar: int = 16,
        n_pitches: int = 84,
        num_classes: int = 0,
        embed_dim: int = 16,
    ) -> None:
        super().__init__()
        if n_tracks < 1:
            raise ValueError(f"MuseGenerator: n_tracks must be >= 1, got {n_tracks}")
        if num_classes < 0:
            raise ValueError(f"MuseGenerator: num_classes must be >= 0, got {num_classes}")
        self.config = {
            "z_dimension": z_dimension,
            "hid_channels": hid_channels,
            "hid_features": hid_features,
            "out_channels": out_channels,
            "n_tracks": n_tracks,
            "n_bars": n_bars,
            "n_steps_per_bar": n_steps_per_bar,
            "n_pitches": n_pitches,
            "num_classes": num_classes,
            "embed_dim": embed_dim,
        }
        self.z_dimension = z_dimension
        self.n_tracks = n_tracks
        self.n_bars = n_bars
        self.n_steps_per_bar = n_steps_per_bar
        self.n_pitches = n_pitches
        self.num_classes = num_classes
        self.out_shape = (n_tracks, n_bars, n_steps_per_bar, n_pitches)
        self.label_embedding = LabelEmbedding(num_classes, embed_dim) if num_classes > 0 else None
        cond_dim = embed_dim if num_classes > 0 else 0

        self.chords_network = TemporalNetwork(z_dimension, hid_channels, n_bars=n_bars)
        self.melody_networks = nn.ModuleDict(
            {
                f"melodygen_{t}": TemporalNetwork(z_dimension, hid_channels, n_bars=n_bars)
                for t in range(n_tracks)
            }
        )
        self.bar_generators = nn.ModuleDict(
            {
                f"bargen_{t}": BarGenerator(
                    z_dimension,
                    hid_features,
                    hid_channels // 2,
                    out_channels,
                    n_steps_per_bar,
                    n_pitches,
                    cond_dim,
                )
                for t in range(n_tracks)
            }
        )

    def sample_latent(
        self,
        n: int,
        device: torch.device | str | None = None,
        generator: torch.Generator | None = None,
    ) -> MuseLatent:
        """Standard normal ``(chords (n, z), style (n, z), melody (n, tracks, z), groove (n, tracks, z))``."""
        z, t = self.z_dimension, self.n_tracks
        shapes = [(n, z), (n, z), (n, t, z), (n, t, z)]
        chords, style, melody, groove = (
            torch.randn(s, device=device, generator=generator) for s in shapes
        )
        return chords, style, melody, groove

    def forward(self, z: MuseLatent, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Piano rolls ``(batch, tracks, bars, steps, pitches)`` in [-1, 1]."""
        if not isinstance(z, (tuple, list)) or len(z) != 4:
            raise ValueError(
                "MuseGenerator: z must be the tuple (chords, style, melody, groove) from sample_latent, "
                f"got {type(z).__name__}{'' if not isinstance(z, (tuple, list)) else f' of length {len(z)}'}"
            )
        chords, style, melody, groove = z
        zd, tracks, bars = self.z_dimension, self.n_tracks, self.n_bars
        check_shape(chords, (None, zd), "MuseGenerator chords", "(batch, z_dimension)")
        batch = chords.shape[0]
        check_shape(style, (batch, zd), "MuseGenerator style", "(batch, z_dimension)")
        check_shape(
            melody, (batch, tracks, zd), "MuseGenerator melody", "(batch, tracks, z_dimension)"
        )
        check_shape(
            groove, (batch, tracks, zd), "MuseGenerator groove", "(batch, tracks, z_dimension)"
        )
        labels = check_labels(labels, self.num_classes, batch, "MuseGenerator")

        shared = [
            self.chords_network(chords),
            style[:, :, None].expand(-1, -1, bars),
        ]  # (B, z, bars) each
        if self.label_embedding is not None:
            cond = self.label_embedding(labels).to(chords.dtype)
            shared.append(cond[:, :, None].expand(-1, -1, bars))
        track_rolls = []
        for t in range(tracks):
            melody_t = self.melody_networks[f"melodygen_{t}"](melody[:, t])  # (B, z, bars)
            groove_t = groove[:, t, :, None].expand(-1, -1, bars)  # (B, z, bars)
            # seed order of the bar input: chords, style, melody, groove (+ label vector)
            parts = [shared[0], shared[1], melody_t, groove_t, *shared[2:]]
            bar_in = torch.cat(parts, dim=1)  # (B, 4z+c, bars)
            bar_gen = self.bar_generators[f"bargen_{t}"]
            # one call per bar, as in the seed: BatchNorm statistics stay per bar
            track_rolls.append(
                torch.stack([bar_gen(bar_in[:, :, n]) for n in range(bars)])
            )  # (bars, B, S, P)
        out = rearrange(torch.stack(track_rolls), "t n b s p -> b t n s p")
        return torch.tanh(out)  # (B, tracks, bars, steps, pitches)


class MuseCritic(nn.Module):
    """MuseGAN critic: Conv3d with tracks as channels over ``(bars, steps, pitches)``; raw scores.

    Seed kernels at the defaults: (2,1,1), (1,1,1), (1,1,12)/12, (1,1,7)/7, (1,2,1)/2 twice,
    (1,4,1)/2, (1,3,1)/2; LeakyReLU(0.3); Linear 512 -> 1024 -> 1. No norm layers (it is trained with a
    gradient penalty).

    Args:
        hid_channels: Conv channels (the last two convs have 2x and 4x).
        hid_features: Hidden linear width.
        out_features: Must be 1 (one score per sample), kept for the seed's signature.
        n_tracks: Tracks (input channels).
        n_bars: Bars.
        n_steps_per_bar: Steps per bar (2, 3 or 4 times a power of two).
        n_pitches: Pitches (a multiple of 12).
        num_classes: Classes for projection conditioning on the hidden features; 0: unconditional.

    Shapes:
        ``forward(x (batch, tracks, bars, steps, pitches), labels (batch,) | None) -> (batch,)``.
    """

    def __init__(
        self,
        hid_channels: int = 128,
        hid_features: int = 1024,
        out_features: int = 1,
        n_tracks: int = 4,
        n_bars: int = 2,
        n_steps_per_bar: int = 16,
        n_pitches: int = 84,
        num_classes: int = 0,
    ) -> None:
        super().__init__()
        name = "MuseCritic"
        if out_features != 1:
            raise ValueError(
                f"{name}: out_features must be 1 (one score per sample), got {out_features}"
            )
        if n_tracks < 1 or hid_channels < 1 or hid_features < 1:
            raise ValueError(f"{name}: n_tracks, hid_channels and hid_features must be >= 1")
        if num_classes < 0:
            raise ValueError(f"{name}: num_classes must be >= 0, got {num_classes}")
        b1, b2 = _bar_kernels(n_bars)
        octaves = _pitch_groups(n_pitches, name)
        halvings = _critic_step_halvings(n_steps_per_bar)
        self.config = {
            "hid_channels": hid_channels,
            "hid_features": hid_features,
            "out_features": out_features,
            "n_tracks": n_tracks,
            "n_bars": n_bars,
            "n_steps_per_bar": n_steps_per_bar,
            "n_pitches": n_pitches,
            "num_classes": num_classes,
        }
        self.in_shape = (n_tracks, n_bars, n_steps_per_bar, n_pitches)
        self.num_classes = num_classes
        c = hid_channels

        def conv(
            c_in: int,
            c_out: int,
            kernel: tuple[int, int, int],
            stride: tuple[int, int, int],
            pad: int = 0,
        ) -> list[nn.Module]:
            return [nn.Conv3d(c_in, c_out, kernel, stride, padding=(0, pad, 0)), nn.LeakyReLU(0.3)]

        layers = [
            *conv(n_tracks, c, (b1, 1, 1), (1, 1, 1)),  # bars -> bars - b1 + 1
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
        self.hidden = nn.Sequential(nn.Linear(4 * c, hid_features), nn.LeakyReLU(0.3))
        self.score = nn.Linear(hid_features, out_features)
        self.projection = Projection(num_classes, hid_features) if num_classes > 0 else None

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Raw scores ``(batch,)``."""
        check_shape(
            x, (None, *self.in_shape), "MuseCritic input", "(batch, tracks, bars, steps, pitches)"
        )
        labels = check_labels(labels, self.num_classes, x.shape[0], "MuseCritic")
        h = self.hidden(self.features(x))  # (B, hid_features)
        score = self.score(h).squeeze(1)
        if self.projection is not None:
            score = score + self.projection(h, labels)
        return score
