"""SpecGAN-style linear log-magnitude frontend with per-frequency-bin normalization.

``encode`` (as in Donahue et al., WaveGAN/SpecGAN):

1. ``|X|`` = magnitude STFT (periodic Hann window, ``n_fft`` 256, hop 128, ``center=True``) with
   the Nyquist bin dropped, giving ``n_fft // 2`` (128) bins.
2. ``L = log(|X| + 1e-6)``.
3. ``(L - mean[f]) / (clip_std * std[f])`` clipped to [-1, 1], where ``mean``/``std`` are per-bin
   statistics fitted on data with :meth:`LogSpectrogram.fit` (kept as buffers, so they travel in
   ``state_dict``). With the default ``clip_std=3`` values beyond 3 standard deviations clip.
4. With ``frames`` set, right-pad with -1 or trim the frame axis.

``decode`` undoes 3 and 2, appends a zero Nyquist bin and runs Griffin-Lim (16 iterations by
default, zero-phase initialisation so decoding is deterministic).
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
import torch.nn.functional as F
from einops import rearrange
from torchaudio.transforms import GriffinLim, Spectrogram

from audiogan.frontends.base import (
    AudioFrontend,
    batch_apply,
    check_wave,
    check_wave_length,
    fix_frames,
    module_dtype,
    pack_leading,
    stft_power,
    unpack_leading,
)
from audiogan.registry import register

#: Added to the magnitude before the log.
EPS = 1e-6
#: Fitted standard deviations are clamped to at least this, so constant bins do not divide by 0.
MIN_STD = 1e-3


def log_magnitude(wave: torch.Tensor, n_fft: int = 256, hop_length: int = 128) -> torch.Tensor:
    """``log(|STFT| + 1e-6)`` without the Nyquist bin: ``(..., time) -> (..., n_fft // 2, frames)``.

    Raises:
        ValueError: If ``wave`` is not floating or has ``n_fft // 2`` samples or fewer.
    """
    check_wave(wave, "log_magnitude", n_fft)
    packed, shapes = pack_leading(wave, "time")
    mag = stft_power(packed, n_fft, hop_length, power=1.0)  # (batch, n_fft // 2 + 1, frames)
    return unpack_leading(_log_of(mag), shapes, "freq frames")


def _log_of(mag: torch.Tensor) -> torch.Tensor:
    """Step 2 of the module docstring, Nyquist bin dropped: ``(batch, n_fft // 2 + 1, frames)``
    magnitude -> ``(batch, n_fft // 2, frames)``; shared by :func:`log_magnitude` and
    :class:`LogSpectrogram`."""
    return torch.log(mag[:, :-1] + EPS)


def normalize_log_magnitude(
    log_mag: torch.Tensor, mean: torch.Tensor, std: torch.Tensor, clip_std: float = 3.0
) -> torch.Tensor:
    """``(L - mean) / (clip_std * std)`` clipped to [-1, 1]; ``L`` is ``(..., freq, frames)``, stats ``(freq,)``."""
    scale = clip_std * std.clamp_min(MIN_STD)
    return ((log_mag - mean[:, None]) / scale[:, None]).clamp(-1.0, 1.0)


def denormalize_log_magnitude(
    unit: torch.Tensor, mean: torch.Tensor, std: torch.Tensor, clip_std: float = 3.0
) -> torch.Tensor:
    """Inverse of :func:`normalize_log_magnitude` on the unclipped range (``unit`` clipped to [-1, 1])."""
    scale = clip_std * std.clamp_min(MIN_STD)
    return unit.clamp(-1.0, 1.0) * scale[:, None] + mean[:, None]


def log_spectrogram(
    wave: torch.Tensor,
    mean: torch.Tensor,
    std: torch.Tensor,
    n_fft: int = 256,
    hop_length: int = 128,
    frames: int | None = None,
    clip_std: float = 3.0,
) -> torch.Tensor:
    """Pure-function twin of :meth:`LogSpectrogram.encode`.

    Args:
        wave: ``(..., time)`` floating waveform.
        mean: ``(n_fft // 2,)`` per-bin mean of the log magnitude.
        std: ``(n_fft // 2,)`` per-bin standard deviation of the log magnitude.
        n_fft, hop_length, frames, clip_std: As for :class:`LogSpectrogram`.

    Returns:
        ``(..., 1, n_fft // 2, frames)`` in [-1, 1].
    """
    bins = n_fft // 2
    if tuple(mean.shape) != (bins,) or tuple(std.shape) != (bins,):
        raise ValueError(
            f"log_spectrogram: expected mean and std of shape ({bins},), got {tuple(mean.shape)} and {tuple(std.shape)}"
        )
    log_mag = log_magnitude(wave, n_fft, hop_length)
    return _features(log_mag, mean.to(wave), std.to(wave), clip_std, frames)


def _features(
    log_mag: torch.Tensor,
    mean: torch.Tensor,
    std: torch.Tensor,
    clip_std: float,
    frames: int | None,
) -> torch.Tensor:
    """Steps 3 and 4 of the module docstring, shared by :func:`log_spectrogram` and
    :meth:`LogSpectrogram.encode`: ``(..., freq, frames)`` -> ``(..., 1, freq, frames)``."""
    unit = normalize_log_magnitude(log_mag, mean, std, clip_std)
    return fix_frames(unit, frames, -1.0).unsqueeze(-3)


@register
class LogSpectrogram(AudioFrontend):
    """SpecGAN frontend: ``encode (..., time) -> (..., 1, n_fft // 2, frames)`` in [-1, 1], ``decode`` back.

    Call :meth:`fit` on training audio before :meth:`encode`; the fitted ``mean``/``std`` buffers
    are saved and restored with ``state_dict``. The full recipe is in
    :mod:`audiogan.frontends.logspec`. :meth:`save` writes ``.wav`` files, :meth:`plot` draws a
    spectrogram (see :class:`~audiogan.frontends.base.AudioFrontend`).

    Args:
        sample_rate: Samples per second (for saving decoded audio).
        n_fft: FFT size; features have ``n_fft // 2`` frequency bins (Nyquist dropped).
        hop_length: Samples between frames.
        frames: Fixed frame count (pad with -1 / trim), or ``None`` to follow the input. SpecGAN's
            128x128 is ``LogSpectrogram(frames=128)`` on 16384-sample clips.
        clip_std: Standard deviations mapped to +-1 (values beyond clip).
        griffin_lim_iters: Griffin-Lim iterations in :meth:`decode`.

    Example:
        >>> fe = LogSpectrogram(frames=128).fit(torch.randn(4, 16384))
        >>> fe.encode(torch.randn(2, 16384)).shape
        torch.Size([2, 1, 128, 128])
    """

    mean: torch.Tensor
    std: torch.Tensor
    fitted_frames: torch.Tensor

    def __init__(
        self,
        sample_rate: int = 16000,
        n_fft: int = 256,
        hop_length: int = 128,
        frames: int | None = None,
        clip_std: float = 3.0,
        griffin_lim_iters: int = 16,
    ) -> None:
        super().__init__(sample_rate, n_fft, hop_length, frames)
        if not clip_std > 0:
            raise ValueError(f"LogSpectrogram: clip_std must be positive, got {clip_std}")
        if griffin_lim_iters < 1:
            raise ValueError(
                f"LogSpectrogram: griffin_lim_iters must be >= 1, got {griffin_lim_iters}"
            )
        self.config = {
            "sample_rate": self.sample_rate,
            "n_fft": self.n_fft,
            "hop_length": self.hop_length,
            "frames": self.frames,
            "clip_std": float(clip_std),
            "griffin_lim_iters": int(griffin_lim_iters),
        }
        self.clip_std = float(clip_std)
        self.freq_bins = self.n_fft // 2
        self.spectrogram = Spectrogram(n_fft=n_fft, hop_length=hop_length, power=1.0)
        self.griffin_lim = GriffinLim(
            n_fft, griffin_lim_iters, hop_length=hop_length, power=1.0, rand_init=False
        )
        self.register_buffer("mean", torch.zeros(self.freq_bins))
        self.register_buffer("std", torch.ones(self.freq_bins))
        self.register_buffer("fitted_frames", torch.zeros((), dtype=torch.int64))

    @property
    def is_fitted(self) -> bool:
        """Whether per-bin statistics have been fitted (or loaded from a fitted state_dict)."""
        return int(self.fitted_frames) > 0

    def _log_magnitude(self, wave: torch.Tensor) -> torch.Tensor:
        # (batch, time) -> (batch, n_fft // 2, frames)
        return _log_of(self.spectrogram(wave))

    @torch.no_grad()
    def fit(
        self, data: torch.Tensor | Iterable[torch.Tensor | tuple[torch.Tensor, object]]
    ) -> LogSpectrogram:
        """Fit the per-bin mean and std of the log magnitude on waveforms.

        Statistics are accumulated in float64 over every frame of every waveform (before any
        pad/trim to ``frames``), batch by batch, so a whole data set can stream through.

        Args:
            data: A ``(..., time)`` tensor, or an iterable (a list, a Dataset, a DataLoader) of
                ``(..., time)`` tensors or ``(wave, label)`` pairs.

        Returns:
            ``self``, fitted.

        Raises:
            ValueError: If ``data`` holds no waveform, or an item is not a floating tensor or
                has ``n_fft // 2`` samples or fewer.
        """
        items = [data] if isinstance(data, torch.Tensor) else data
        dtype, device = module_dtype(self), self.mean.device
        count = 0
        mean = torch.zeros(self.freq_bins, dtype=torch.float64, device=device)
        m2 = torch.zeros(self.freq_bins, dtype=torch.float64, device=device)
        for i, item in enumerate(items):
            wave = item[0] if isinstance(item, (tuple, list)) else item
            if not isinstance(wave, torch.Tensor) or not wave.is_floating_point() or wave.dim() < 1:
                what = (
                    f"{tuple(wave.shape)} {wave.dtype}"
                    if isinstance(wave, torch.Tensor)
                    else type(wave).__name__
                )
                raise ValueError(
                    f"LogSpectrogram.fit: item {i}: expected a floating waveform (..., time), got {what}"
                )
            check_wave_length(wave, self.n_fft, f"LogSpectrogram.fit: item {i}")
            packed, _ = pack_leading(wave.to(device, dtype), "time")
            if packed.shape[0] == 0:
                continue  # an empty batch (a leading axis of size 0) adds no frame
            x = rearrange(self._log_magnitude(packed).double(), "b f t -> f (b t)")
            n_b = x.shape[1]
            mean_b = x.mean(dim=1)
            m2_b = ((x - mean_b[:, None]) ** 2).sum(dim=1)
            total = count + n_b
            delta = mean_b - mean
            mean = mean + delta * (n_b / total)
            m2 = m2 + m2_b + delta**2 * (count * n_b / total)  # Chan et al. parallel update
            count = total
        if count == 0:
            raise ValueError("LogSpectrogram.fit: no waveforms given")
        self.mean.copy_(mean.to(self.mean.dtype))
        self.std.copy_((m2 / count).sqrt().to(self.std.dtype))
        self.fitted_frames.fill_(count)
        return self

    def _require_fitted(self, what: str) -> None:
        if not self.is_fitted:
            raise RuntimeError(
                f"LogSpectrogram.{what}: the per-bin mean/std are not fitted; call .fit(waves) on training "
                "audio first, or load_state_dict() from a fitted LogSpectrogram"
            )

    def encode(self, wave: torch.Tensor) -> torch.Tensor:
        """Waveform ``(..., time)`` -> ``(..., 1, n_fft // 2, frames)`` in [-1, 1].

        Raises:
            ValueError: If ``wave`` is not a floating tensor or has ``n_fft // 2`` samples or
                fewer (the centred STFT reflect-pads ``n_fft // 2`` on each side).
            RuntimeError: If :meth:`fit` has not been called (nor fitted stats loaded).
        """
        self._check_wave(wave)
        self._require_fitted("encode")
        packed, shapes = pack_leading(wave.to(module_dtype(self)), "time")
        log_mag = batch_apply(self._log_magnitude, packed)  # (batch, freq, frames)
        features = _features(log_mag, self.mean, self.std, self.clip_std, self.frames)
        return unpack_leading(features, shapes, "channels freq frames")

    def decode(self, features: torch.Tensor) -> torch.Tensor:
        """``(..., 1, n_fft // 2, frames)`` -> waveform ``(..., (frames - 1) * hop_length)`` by Griffin-Lim."""
        self._check_features(features)
        self._require_fitted("decode")
        packed, shapes = pack_leading(features.to(module_dtype(self)), "channels freq frames")
        log_mag = denormalize_log_magnitude(packed[:, 0], self.mean, self.std, self.clip_std)
        mag = (torch.exp(log_mag) - EPS).clamp_min(0.0)
        mag = F.pad(mag, (0, 0, 0, 1))  # zero Nyquist bin: (batch, n_fft // 2 + 1, frames)
        wave = self.griffin_lim(mag)
        return unpack_leading(wave, shapes, "time")
