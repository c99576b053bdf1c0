"""Multi-resolution STFT loss: spectral convergence plus log-magnitude L1 (Parallel WaveGAN).

Yamamoto et al. 2020 (Parallel WaveGAN) compare a generated and a real waveform through the
magnitudes of their STFTs at several resolutions ``(n_fft, hop_length, win_length)``, by
default ``(1024, 120, 600)``, ``(2048, 240, 1200)`` and ``(512, 50, 240)``. At one resolution,
with ``F`` the fake's and ``R`` the real's magnitudes ``(batch, freq, frames)``:

- spectral convergence ``SC = ||R - F||_F / ||R||_F``, one Frobenius norm over the whole
  batch (every item, bin and frame);
- log-magnitude distance ``LM = mean |log R - log F|``, a mean over the batch, bins and frames;

and the loss is ``mean over resolutions of (sc_weight * SC + mag_weight * LM)``.

Normalization. This is the definition of kan-bayashi/ParallelWaveGAN's current
``stft_loss.py`` and of auraloss's ``STFTLoss``/``MultiResolutionSTFTLoss`` (both: one
Frobenius ratio over the batch, ``F.l1_loss`` on the log magnitudes). An early version of
ParallelWaveGAN took the ratio per frame and averaged it; a frame of silence then has a
denominator near zero and dominates the loss, which is why it was changed. Consequences the
tests check: SC is a ratio over the batch, not a mean of per-item ratios; both terms are
invariant under one gain applied to both signals (up to the clamp below); scaling only the
fake by ``a`` gives ``SC = |1 - a|`` and ``LM = |log a|``.

Magnitudes are ``sqrt(clamp(|STFT|**2, min=eps))`` with ``eps = 1e-7`` as in ParallelWaveGAN
(auraloss uses ``1e-8``; pass ``eps=1e-8`` to match it): the clamp keeps the log and the
gradient of the square root finite in silent bins, and ``||R||_F >= sqrt(eps)`` is never zero.

The STFT is torch's centred one (``center=True``, reflect padding, window zero-padded to
``n_fft`` when ``win_length < n_fft``), as in both references: any length ``time > n_fft // 2``
works (reflect padding needs more samples than it pads); a shorter signal raises a
``ValueError`` that names the resolution, rather than torch's padding error. It runs in float32
(float64 inputs stay float64) with autocast disabled: half-precision inputs under autocast are
cast up, and the loss comes back in float32.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn

__all__ = [
    "MultiResolutionSTFTLoss",
    "STFTLoss",
    "WaveformLoss",
    "log_magnitude_l1",
    "spectral_convergence",
    "stft_magnitude",
]

#: ParallelWaveGAN's resolutions ``(n_fft, hop_length, win_length)``.
PWG_RESOLUTIONS: tuple[tuple[int, int, int], ...] = (
    (1024, 120, 600),
    (2048, 240, 1200),
    (512, 50, 240),
)

_WINDOWS: dict[str, Callable[..., torch.Tensor]] = {
    "hann": torch.hann_window,
    "hamming": torch.hamming_window,
    "blackman": torch.blackman_window,
    "bartlett": torch.bartlett_window,
}


def paired_waves(
    fake: torch.Tensor, real: torch.Tensor, name: str
) -> tuple[torch.Tensor, torch.Tensor]:
    """Check a pair of waveforms and bring them to ``(batch * channels, time)`` in >= float32.

    Args:
        fake: ``(batch, time)`` or ``(batch, channels, time)``.
        real: The same shape as ``fake``.
        name: The loss, for messages.

    Returns:
        Both waveforms, channels folded into the batch, in float32 (float64 stays float64).

    Raises:
        ValueError: If either is not a floating ``(batch, [channels,] time)`` tensor with
            ``batch >= 1``, or their shapes differ.
    """
    for which, x in (("fake", fake), ("real", real)):
        if not isinstance(x, torch.Tensor):
            raise TypeError(
                f"{name}: expected {which} to be a torch.Tensor, got {type(x).__name__}"
            )
        if x.dim() not in (2, 3) or not x.is_floating_point() or x.shape[0] == 0:
            raise ValueError(
                f"{name}: expected {which} to be a floating waveform (batch, time) or "
                f"(batch, channels, time) with batch >= 1, got {tuple(x.shape)} {x.dtype}"
            )
    if fake.shape != real.shape:
        raise ValueError(
            f"{name}: expected fake and real of the same shape, got fake {tuple(fake.shape)} "
            f"and real {tuple(real.shape)}"
        )
    dtype = torch.promote_types(torch.promote_types(fake.dtype, real.dtype), torch.float32)
    time = fake.shape[-1]
    return fake.reshape(-1, time).to(dtype), real.reshape(-1, time).to(dtype)


def check_length(time: int, n_fft: int, name: str) -> None:
    """Raise a ValueError unless a centred STFT of size ``n_fft`` can reflect-pad ``time`` samples."""
    if time <= n_fft // 2:
        raise ValueError(
            f"{name}: a centred STFT with n_fft={n_fft} reflect-pads n_fft // 2 = {n_fft // 2} "
            f"samples on each side and needs time > {n_fft // 2}, got time {time}; use longer "
            "segments or smaller resolutions"
        )


def no_autocast(x: torch.Tensor) -> torch.autocast:
    """A context that disables autocast on ``x``'s device (the losses compute in float32)."""
    return torch.autocast(device_type=x.device.type, enabled=False)


def stft_magnitude(
    wave: torch.Tensor,
    n_fft: int,
    hop_length: int,
    window: torch.Tensor,
    eps: float = 1e-7,
) -> torch.Tensor:
    """``sqrt(clamp(|STFT|**2, min=eps))``: ``(batch, time) -> (batch, n_fft // 2 + 1, frames)``.

    Args:
        wave: ``(batch, time)`` with ``time > n_fft // 2``.
        n_fft: FFT size.
        hop_length: Samples between frames.
        window: ``(win_length,)`` with ``win_length <= n_fft`` (zero-padded to ``n_fft``).
        eps: Floor of the squared magnitude.

    Returns:
        Magnitudes ``(batch, n_fft // 2 + 1, 1 + time // hop_length)``, all ``>= sqrt(eps)``.
    """
    check_length(wave.shape[-1], n_fft, "stft_magnitude")
    spec = torch.stft(
        wave,
        n_fft,
        hop_length=hop_length,
        win_length=window.shape[0],
        window=window.to(wave),
        center=True,
        pad_mode="reflect",
        return_complex=True,
    )  # (batch, freq, frames)
    power = spec.real.square() + spec.imag.square()
    return power.clamp_min(eps).sqrt()


def spectral_convergence(fake_mag: torch.Tensor, real_mag: torch.Tensor) -> torch.Tensor:
    """``||real_mag - fake_mag||_F / ||real_mag||_F``, one ratio over every element.

    Args:
        fake_mag: Magnitudes ``(batch, freq, frames)`` of the generated signal.
        real_mag: Magnitudes of the same shape of the real signal (positive somewhere).

    Returns:
        A scalar ``()``.
    """
    return torch.linalg.vector_norm(real_mag - fake_mag) / torch.linalg.vector_norm(real_mag)


def log_magnitude_l1(fake_mag: torch.Tensor, real_mag: torch.Tensor) -> torch.Tensor:
    """``mean |log real_mag - log fake_mag|`` over every element.

    Args:
        fake_mag: Positive magnitudes ``(batch, freq, frames)`` of the generated signal.
        real_mag: Positive magnitudes of the same shape of the real signal.

    Returns:
        A scalar ``()``.
    """
    return (real_mag.log() - fake_mag.log()).abs().mean()


class WaveformLoss(nn.Module):
    """The base of the spectral losses: ``forward(fake, real) -> ()`` between two waveforms.

    ``forward`` checks the pair (:func:`paired_waves`: ``(batch, [channels,] time)``, channels
    folded into the batch, in at least float32) and its length against the longest STFT
    (:func:`check_length`), turns autocast off, and hands the waveforms ``(batch * channels,
    time)`` to :meth:`compare`, what a subclass writes.

    Attributes:
        longest_fft: The largest STFT size the loss takes (a subclass sets it).
    """

    longest_fft: int

    @property
    def loss_name(self) -> str:
        """The loss as messages name it."""
        return type(self).__name__

    def forward(self, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        """The loss of ``fake`` against ``real``.

        Args:
            fake: Generated waveform ``(batch, time)`` or ``(batch, channels, time)``.
            real: Real waveform of the same shape.

        Returns:
            A float32 (or float64) scalar ``()``.
        """
        fake, real = paired_waves(fake, real, self.loss_name)  # (batch * channels, time)
        check_length(fake.shape[-1], self.longest_fft, self.loss_name)
        with no_autocast(fake):
            return self.compare(fake, real)

    def compare(self, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        """The ``()`` loss of checked waveforms ``fake`` and ``real`` ``(n, time)``."""
        raise NotImplementedError(f"{type(self).__name__} must implement compare()")


class STFTLoss(WaveformLoss):
    """Single-resolution STFT loss: ``sc_weight * SC + mag_weight * LM`` of two waveforms.

    See :mod:`audiogan.losses.stft` for the definitions and their normalization.

    Args:
        n_fft: FFT size.
        hop_length: Samples between frames.
        win_length: Window length ``<= n_fft`` (default ``n_fft``).
        window: ``"hann"`` (periodic, as torch's), ``"hamming"``, ``"blackman"`` or
            ``"bartlett"``.
        sc_weight: Weight of the spectral convergence term.
        mag_weight: Weight of the log-magnitude term.
        eps: Floor of the squared magnitudes (> 0).

    Example:
        >>> loss = STFTLoss(64, 16)
        >>> x = torch.randn(2, 256)
        >>> float(loss(x, x))
        0.0
    """

    window: torch.Tensor

    def __init__(
        self,
        n_fft: int = 1024,
        hop_length: int = 120,
        win_length: int | None = None,
        window: str = "hann",
        sc_weight: float = 1.0,
        mag_weight: float = 1.0,
        eps: float = 1e-7,
    ) -> None:
        super().__init__()
        win_length = n_fft if win_length is None else win_length
        if not (n_fft >= 2 and hop_length >= 1 and 1 <= win_length <= n_fft):
            raise ValueError(
                f"STFTLoss: expected n_fft >= 2, hop_length >= 1 and 1 <= win_length <= n_fft, "
                f"got n_fft={n_fft}, hop_length={hop_length}, win_length={win_length}"
            )
        if window not in _WINDOWS:
            raise ValueError(
                f"STFTLoss: unknown window {window!r}; expected one of {sorted(_WINDOWS)}"
            )
        if not (sc_weight >= 0 and mag_weight >= 0 and sc_weight + mag_weight > 0):
            raise ValueError(
                f"STFTLoss: expected weights >= 0, not both 0, got sc_weight={sc_weight}, "
                f"mag_weight={mag_weight}"
            )
        if not eps > 0:
            raise ValueError(f"STFTLoss: eps must be > 0, got {eps}")
        self.config = {
            "n_fft": int(n_fft),
            "hop_length": int(hop_length),
            "win_length": int(win_length),
            "window": window,
            "sc_weight": float(sc_weight),
            "mag_weight": float(mag_weight),
            "eps": float(eps),
        }
        self.n_fft = int(n_fft)
        self.hop_length = int(hop_length)
        self.sc_weight = float(sc_weight)
        self.mag_weight = float(mag_weight)
        self.eps = float(eps)
        self.register_buffer("window", _WINDOWS[window](win_length), persistent=False)

    def magnitude(self, wave: torch.Tensor) -> torch.Tensor:
        """``(batch, time) -> (batch, n_fft // 2 + 1, frames)``: the clamped STFT magnitude."""
        return stft_magnitude(wave, self.n_fft, self.hop_length, self.window, self.eps)

    @property
    def loss_name(self) -> str:
        return f"STFTLoss(n_fft={self.n_fft}, hop_length={self.hop_length})"

    @property
    def longest_fft(self) -> int:  # type: ignore[override]
        return self.n_fft

    def compare(self, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        """Spectral convergence and log-magnitude L1 of waveforms ``(n, time)``, weighted."""
        fake_mag, real_mag = self.magnitude(fake), self.magnitude(real)
        loss = fake_mag.new_zeros(())
        if self.sc_weight:
            loss = loss + self.sc_weight * spectral_convergence(fake_mag, real_mag)
        if self.mag_weight:
            loss = loss + self.mag_weight * log_magnitude_l1(fake_mag, real_mag)
        return loss


class MultiResolutionSTFTLoss(WaveformLoss):
    """Mean over resolutions of :class:`STFTLoss` (Parallel WaveGAN's auxiliary loss).

    ``forward(fake (batch, [channels,] time), real (same)) -> ()``. The default resolutions need
    ``time > 1024`` (the 2048-point STFT); see :mod:`audiogan.losses.stft` for the definitions.
    With the Trainer of a paired GAN::

        stft = MultiResolutionSTFTLoss()
        Trainer(..., generator_losses={"stft": (1.0, lambda s: stft(s.fake, s.real))})

    Args:
        resolutions: ``(n_fft, hop_length, win_length)`` triples.
        window: Window name, as for :class:`STFTLoss`.
        sc_weight: Weight of each spectral convergence term.
        mag_weight: Weight of each log-magnitude term.
        eps: Floor of the squared magnitudes.

    Example:
        >>> loss = MultiResolutionSTFTLoss(((64, 16, 32), (128, 32, 64)))
        >>> fake, real = torch.zeros(2, 1, 512), torch.randn(2, 1, 512)
        >>> bool(loss(fake, real) > 0)
        True
    """

    def __init__(
        self,
        resolutions: Sequence[Sequence[int]] = PWG_RESOLUTIONS,
        window: str = "hann",
        sc_weight: float = 1.0,
        mag_weight: float = 1.0,
        eps: float = 1e-7,
    ) -> None:
        super().__init__()
        triples = [tuple(int(v) for v in r) for r in resolutions]
        if not triples or any(len(r) != 3 for r in triples):
            raise ValueError(
                "MultiResolutionSTFTLoss: expected one or more (n_fft, hop_length, win_length) "
                f"triples, got {resolutions!r}"
            )
        self.config = {
            "resolutions": [list(r) for r in triples],
            "window": window,
            "sc_weight": float(sc_weight),
            "mag_weight": float(mag_weight),
            "eps": float(eps),
        }
        self.losses = nn.ModuleList(
            STFTLoss(n_fft, hop, win, window, sc_weight, mag_weight, eps)
            for n_fft, hop, win in triples
        )

    @property
    def longest_fft(self) -> int:  # type: ignore[override]
        return max(loss.n_fft for loss in self.losses)

    def compare(self, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        """The mean of the single-resolution losses of waveforms ``(n, time)``."""
        return torch.stack([loss.compare(fake, real) for loss in self.losses]).mean()
