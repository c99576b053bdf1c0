"""What the two-channel STFT frontends share: an exactly invertible Hann STFT without its
Nyquist bin, and the check of ``(..., 2, freq, frames)`` features.

:class:`~audiogan.frontends.ComplexSpectrogram` (real and imaginary parts) and
:class:`~audiogan.frontends.InstantaneousFrequency` (log-magnitude and instantaneous frequency)
differ only in what they make of the complex STFT; both go through :meth:`TwoChannelSTFT.stft`
and :meth:`TwoChannelSTFT.istft`, so their framing (centred, reflect padding, periodic Hann
window, ``hop_length <= n_fft // 2`` for an exact inverse) is one implementation.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from audiogan.frontends.base import AudioFrontend, batch_apply, module_dtype, pack_leading

__all__ = ["TwoChannelSTFT", "check_channels_features"]


class TwoChannelSTFT(AudioFrontend):
    """Base of the frontends whose features are ``(..., 2, freq, frames)`` of a Hann STFT.

    Args:
        sample_rate: Samples per second.
        n_fft: FFT size, even; the STFT keeps ``n_fft // 2`` bins (no Nyquist bin).
        hop_length: Samples between frames, at most ``n_fft // 2`` (an exact inverse STFT needs
            overlapping Hann windows).
        frames: Fixed frame count, or ``None`` to follow the input.

    Raises:
        ValueError: For an odd ``n_fft`` or a hop longer than half of it.
    """

    def __init__(self, sample_rate: int, n_fft: int, hop_length: int, frames: int | None) -> None:
        super().__init__(sample_rate, n_fft, hop_length, frames)
        if n_fft % 2 or hop_length > n_fft // 2:
            raise ValueError(
                f"{type(self).__name__}: expected an even n_fft and hop_length <= n_fft // 2 (an "
                f"exact inverse STFT needs overlapping Hann windows), got n_fft={n_fft}, "
                f"hop_length={hop_length}"
            )
        self.register_buffer("window", torch.hann_window(n_fft), persistent=False)

    @property
    def feature_shape(self) -> tuple[int, ...]:
        """``(2, freq_bins, frames)``; ``frames`` is ``None`` when it varies."""
        return (2, self.freq_bins, self.frames)  # type: ignore[return-value]

    def spectra(self, wave: torch.Tensor) -> tuple[torch.Tensor, list[torch.Size]]:
        """Waveforms ``(..., time)`` -> complex STFT ``(batch, n_fft // 2, frames)``, leading
        axes packed into ``batch`` (:func:`~audiogan.frontends.base.unpack_leading` restores them
        with the returned shapes).

        Raises:
            ValueError: If ``wave`` is not floating or has ``n_fft // 2`` samples or fewer.
        """
        self._check_wave(wave)
        packed, shapes = pack_leading(wave.to(module_dtype(self)), "time")
        return batch_apply(self.stft, packed), shapes

    def stft(self, packed: torch.Tensor) -> torch.Tensor:
        """Waves ``(batch, time)`` -> complex STFT ``(batch, n_fft // 2, frames)``, centred."""
        spec = torch.stft(
            packed,
            self.n_fft,
            self.hop_length,
            window=self.window.to(packed.dtype),
            center=True,
            pad_mode="reflect",
            return_complex=True,
        )
        return spec[:, :-1]  # drop the Nyquist bin

    def istft(self, spec: torch.Tensor) -> torch.Tensor:
        """Complex ``(batch, n_fft // 2, frames)`` -> waves ``(batch, (frames - 1) * hop)``."""
        spec = F.pad(spec, (0, 0, 0, 1))  # a zero Nyquist bin: (batch, n_fft // 2 + 1, frames)
        return torch.istft(
            spec,
            self.n_fft,
            self.hop_length,
            window=self.window.to(spec.real.dtype),
            center=True,
            length=(spec.shape[-1] - 1) * self.hop_length,
        )

    def _check_features(self, features: torch.Tensor, what: str = "decode") -> None:
        check_channels_features(self, features, 2, what)

    def check_item(self, features: torch.Tensor, what: str) -> None:
        """Raise a ValueError unless ``features`` is one item ``(2, freq, frames)``."""
        if not isinstance(features, torch.Tensor) or features.dim() != 3:
            shape = tuple(features.shape) if isinstance(features, torch.Tensor) else type(features)
            raise ValueError(
                f"{type(self).__name__}.{what}: expected one item (2, freq, frames), got {shape}"
            )
        check_channels_features(self, features, 2, what)


def check_channels_features(
    frontend: AudioFrontend, features: torch.Tensor, channels: int, what: str
) -> None:
    """Raise a ValueError unless ``features`` is ``(..., channels, freq, frames)`` for
    ``frontend`` (its ``freq_bins`` and, when fixed, ``frames``)."""
    name = type(frontend).__name__
    if not isinstance(features, torch.Tensor):
        raise ValueError(f"{name}.{what}: expected a tensor, got {type(features).__name__}")
    expected = (channels, frontend.freq_bins, frontend.frames)
    shape = tuple(features.shape)
    ok = features.dim() >= 3 and all(
        e is None or e == s for e, s in zip(expected, shape[-3:], strict=True)
    )
    if not ok:
        want = ", ".join("frames" if e is None else str(e) for e in expected)
        raise ValueError(
            f"{name}.{what}: expected features (..., {want}) (..., channels, freq, frames), "
            f"got {shape}"
        )
