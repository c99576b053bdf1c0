"""Log-mel spectrogram frontend: ``(..., time) <-> (..., 1, n_mels, frames)`` in [-1, 1].

The mapping from waveform to features is fixed (nothing is fitted on data):

1. ``P`` = mel power spectrogram: torchaudio ``MelSpectrogram`` with a periodic Hann window,
   ``power=2``, no normalization, HTK mel scale, unnormalized triangular filters, ``center=True``.
2. ``dB = 10 * log10(P / ref)``, with ``ref = (sum(window) / 2) ** 2 = (n_fft / 4) ** 2``: the
   power a full-scale sine (amplitude 1) puts into its STFT bin. So 0 dB is a full-scale sine
   whatever ``n_fft`` is; ``P`` is clamped at ``ref * 1e-12`` (-120 dB) before the log.
3. ``unit = 2 * (clip(dB, db_floor, db_ceil) - db_floor) / (db_ceil - db_floor) - 1``: the
   floor (default -80 dB) maps to -1, the ceiling (default +20 dB) to +1, linearly between.
4. With ``frames`` set, the frame axis is right-padded with -1 (the floor) or trimmed.

``decode`` undoes steps 3 and 2 (on the unclipped range), estimates the linear power
spectrogram with ``InverseMelScale`` (least squares) and recovers a waveform with Griffin-Lim
(zero-phase initialisation, so decoding is deterministic). With a vocoder instead (``LogMel(...,
vocoder=module)``: a generator trained on exactly these features, such as a run of the ``vocoder``
recipe loaded by :func:`audiogan.train.load_vocoder`), the vocoder turns them into the waveform:
its ``frames * hop_length`` samples are cut to Griffin-Lim's ``(frames - 1) * hop_length`` (the
last hop lies past the last frame's centre), so both decoders give the same length.
"""

from __future__ import annotations

import math

import torch
import torchaudio.functional as AF
from torch import nn
from torchaudio.transforms import GriffinLim, InverseMelScale, MelSpectrogram

from audiogan.frontends.base import (
    AudioFrontend,
    batch_apply,
    check_wave,
    fix_frames,
    module_dtype,
    pack_leading,
    stft_power,
    unpack_leading,
)
from audiogan.registry import register

#: Default dB floor and ceiling, relative to a full-scale sine.
DB_FLOOR = -80.0
DB_CEIL = 20.0
_AMIN_DB = -120.0

#: The parameters that define the features: a vocoder decodes a LogMel only if they all agree
#: (:func:`audiogan.train.load_vocoder` checks them).
MEL_PARAMETERS = (
    "sample_rate",
    "n_fft",
    "hop_length",
    "n_mels",
    "f_min",
    "f_max",
    "db_floor",
    "db_ceil",
)


def reference_power(n_fft: int) -> float:
    """Power a full-scale sine puts into its bin of an ``n_fft`` periodic-Hann STFT: ``(n_fft/4)**2``."""
    window_sum = float(torch.hann_window(n_fft, dtype=torch.float64).sum())
    return (window_sum / 2.0) ** 2


def _check_db_range(db_floor: float, db_ceil: float, name: str) -> None:
    if not (math.isfinite(db_floor) and math.isfinite(db_ceil) and db_floor < db_ceil):
        raise ValueError(
            f"{name}: expected finite db_floor < db_ceil, got db_floor={db_floor}, db_ceil={db_ceil}"
        )


def db_to_unit(
    db: torch.Tensor, db_floor: float = DB_FLOOR, db_ceil: float = DB_CEIL
) -> torch.Tensor:
    """Clip decibels to ``[db_floor, db_ceil]`` and map them linearly onto ``[-1, 1]``.

    Args:
        db: Decibels, any shape.
        db_floor: Maps to -1 (and everything below it).
        db_ceil: Maps to +1 (and everything above it).

    Returns:
        Same shape as ``db``, in [-1, 1], non-decreasing in ``db``.
    """
    _check_db_range(db_floor, db_ceil, "db_to_unit")
    clipped = db.clamp(db_floor, db_ceil)
    return (clipped - db_floor) * (2.0 / (db_ceil - db_floor)) - 1.0


def unit_to_db(
    unit: torch.Tensor, db_floor: float = DB_FLOOR, db_ceil: float = DB_CEIL
) -> torch.Tensor:
    """Inverse of :func:`db_to_unit` on ``[db_floor, db_ceil]``; ``unit`` is clipped to [-1, 1] first."""
    _check_db_range(db_floor, db_ceil, "unit_to_db")
    return (unit.clamp(-1.0, 1.0) + 1.0) * ((db_ceil - db_floor) / 2.0) + db_floor


def power_to_unit(
    power: torch.Tensor, ref: float, db_floor: float = DB_FLOOR, db_ceil: float = DB_CEIL
) -> torch.Tensor:
    """Power spectrogram -> dB re ``ref`` -> [-1, 1] (steps 2 and 3 of the module docstring)."""
    db = 10.0 * torch.log10(power.clamp_min(ref * 10.0 ** (_AMIN_DB / 10.0)) / ref)
    return db_to_unit(db, db_floor, db_ceil)


def unit_to_power(
    unit: torch.Tensor, ref: float, db_floor: float = DB_FLOOR, db_ceil: float = DB_CEIL
) -> torch.Tensor:
    """Inverse of :func:`power_to_unit` on the unclipped range."""
    return ref * torch.pow(10.0, unit_to_db(unit, db_floor, db_ceil) / 10.0)


def log_mel(
    wave: torch.Tensor,
    sample_rate: int = 16000,
    n_fft: int = 1024,
    hop_length: int = 256,
    n_mels: int = 128,
    frames: int | None = None,
    f_min: float = 0.0,
    f_max: float | None = None,
    db_floor: float = DB_FLOOR,
    db_ceil: float = DB_CEIL,
) -> torch.Tensor:
    """Pure-function twin of :meth:`LogMel.encode` (builds window and filters on the fly).

    Args:
        wave: ``(..., time)`` floating waveform.
        sample_rate, n_fft, hop_length, n_mels, frames, f_min, f_max, db_floor, db_ceil: As for
            :class:`LogMel`.

    Returns:
        ``(..., 1, n_mels, frames)`` in [-1, 1].

    Raises:
        ValueError: If ``wave`` is not floating or has ``n_fft // 2`` samples or fewer.
    """
    check_wave(wave, "log_mel", n_fft)
    packed, shapes = pack_leading(wave, "time")
    power = stft_power(packed, n_fft, hop_length, power=2.0)  # (batch, n_fft // 2 + 1, frames)
    f_top = f_max if f_max is not None else float(sample_rate // 2)
    filters = AF.melscale_fbanks(n_fft // 2 + 1, f_min, f_top, n_mels, sample_rate).to(power)
    features = _mel_features(power, filters, reference_power(n_fft), db_floor, db_ceil, frames)
    return unpack_leading(features, shapes, "channels mels frames")


def _mel_features(
    power: torch.Tensor,
    filters: torch.Tensor,
    ref: float,
    db_floor: float,
    db_ceil: float,
    frames: int | None,
) -> torch.Tensor:
    """Steps 1 (the mel projection) to 4 of the module docstring, shared by :func:`log_mel` and
    :meth:`LogMel.encode`: ``(batch, n_fft // 2 + 1, frames)`` power and ``(freq, n_mels)``
    filters -> ``(batch, 1, n_mels, frames)`` in [-1, 1]."""
    mel = torch.matmul(power.transpose(-1, -2), filters).transpose(-1, -2)
    return fix_frames(power_to_unit(mel, ref, db_floor, db_ceil), frames, -1.0).unsqueeze(1)


@register
class LogMel(AudioFrontend):
    """Log-mel frontend: ``encode (..., time) -> (..., 1, n_mels, frames)`` in [-1, 1], ``decode`` back.

    The dB mapping is fixed and documented in :mod:`audiogan.frontends.logmel`. Defaults follow
    the one-hot cGAN and the conditional WGAN-GP recipes (16 kHz, n_fft 1024, hop 256, 128
    mels); their 1x128x512 and 1x128x256 features come from ``LogMel(frames=512)`` /
    ``LogMel(frames=256)`` fed ``num_samples_for_frames()`` samples. :meth:`save` writes
    ``.wav`` files, :meth:`plot` draws a spectrogram (see
    :class:`~audiogan.frontends.base.AudioFrontend`).

    Args:
        sample_rate: Samples per second.
        n_fft: FFT size (window length).
        hop_length: Samples between frames.
        n_mels: Mel bands.
        frames: Fixed frame count (pad with the floor / trim), or ``None`` to follow the input.
        f_min: Lowest mel filter edge in Hz.
        f_max: Highest mel filter edge in Hz (default ``sample_rate // 2``).
        db_floor: dB (re a full-scale sine) mapped to -1.
        db_ceil: dB mapped to +1.
        griffin_lim_iters: Griffin-Lim iterations in :meth:`decode`.
        vocoder: Decode with this module instead of Griffin-Lim: ``(batch, n_mels, frames) ->
            (batch, 1, frames * hop_length)``, used as it is (its train/eval mode is yours). A
            vocoder run loaded by :func:`~audiogan.train.load_vocoder` knows its checkpoint
            (its ``source``): then :attr:`config` names it under ``"vocoder"``, so a GAN's
            checkpoint records which vocoder decodes it and :func:`~audiogan.train.generate`
            loads it again.

    Example:
        >>> fe = LogMel(n_mels=64, frames=64)
        >>> fe.encode(torch.zeros(2, fe.num_samples_for_frames())).shape
        torch.Size([2, 1, 64, 64])
    """

    def __init__(
        self,
        sample_rate: int = 16000,
        n_fft: int = 1024,
        hop_length: int = 256,
        n_mels: int = 128,
        frames: int | None = None,
        f_min: float = 0.0,
        f_max: float | None = None,
        db_floor: float = DB_FLOOR,
        db_ceil: float = DB_CEIL,
        griffin_lim_iters: int = 32,
        vocoder: nn.Module | None = None,
    ) -> None:
        super().__init__(sample_rate, n_fft, hop_length, frames)
        _check_db_range(db_floor, db_ceil, "LogMel")
        if n_mels < 1:
            raise ValueError(f"LogMel: n_mels must be >= 1, got {n_mels}")
        if griffin_lim_iters < 1:
            raise ValueError(f"LogMel: griffin_lim_iters must be >= 1, got {griffin_lim_iters}")
        f_top = float(sample_rate // 2) if f_max is None else float(f_max)
        if not 0.0 <= f_min < f_top <= sample_rate / 2:
            raise ValueError(
                f"LogMel: expected 0 <= f_min < f_max <= sample_rate / 2, got f_min={f_min}, f_max={f_top}"
            )
        self.config = {
            "sample_rate": self.sample_rate,
            "n_fft": self.n_fft,
            "hop_length": self.hop_length,
            "n_mels": int(n_mels),
            "frames": self.frames,
            "f_min": float(f_min),
            "f_max": None if f_max is None else float(f_max),
            "db_floor": float(db_floor),
            "db_ceil": float(db_ceil),
            "griffin_lim_iters": int(griffin_lim_iters),
        }
        # Kept out of the module tree (a tuple): not in state_dict, so a GAN checkpoint that
        # stores this frontend and the feature cache's key do not hold the vocoder's weights.
        self._vocoder: tuple[nn.Module, ...] = ()
        if vocoder is not None:
            self._vocoder = (self.check_vocoder(vocoder, "the vocoder module"),)
            source = getattr(vocoder, "source", None)
            if isinstance(source, str):
                self.config["vocoder"] = source
        self.n_mels = int(n_mels)
        self.freq_bins = self.n_mels
        self.db_floor = float(db_floor)
        self.db_ceil = float(db_ceil)
        self.ref = reference_power(n_fft)
        self.mel = MelSpectrogram(
            sample_rate,
            n_fft=n_fft,
            hop_length=hop_length,
            f_min=f_min,
            f_max=f_top,
            n_mels=n_mels,
            power=2.0,
        )
        self.inverse_mel = InverseMelScale(n_fft // 2 + 1, n_mels, sample_rate, f_min, f_top)
        self.griffin_lim = GriffinLim(
            n_fft, griffin_lim_iters, hop_length=hop_length, power=2.0, rand_init=False
        )

    def encode(self, wave: torch.Tensor) -> torch.Tensor:
        """Waveform ``(..., time)`` -> log-mel ``(..., 1, n_mels, frames)`` in [-1, 1].

        Raises:
            ValueError: If ``wave`` is not a floating tensor or has ``n_fft // 2`` samples or
                fewer (the centred STFT reflect-pads ``n_fft // 2`` on each side).
        """
        self._check_wave(wave)
        packed, shapes = pack_leading(wave.to(module_dtype(self)), "time")
        power = batch_apply(self.mel.spectrogram, packed)  # (batch, n_fft // 2 + 1, frames)
        features = _mel_features(
            power, self.mel.mel_scale.fb, self.ref, self.db_floor, self.db_ceil, self.frames
        )
        return unpack_leading(features, shapes, "channels mels frames")

    @property
    def vocoder(self) -> nn.Module | None:
        """The vocoder :meth:`decode` uses, None for Griffin-Lim."""
        return self._vocoder[0] if self._vocoder else None

    def decode(self, features: torch.Tensor, vocoder: nn.Module | None = None) -> torch.Tensor:
        """Log-mel ``(..., 1, n_mels, frames)`` -> waveform ``(..., (frames - 1) * hop_length)``.

        Args:
            features: The log-mel, in [-1, 1].
            vocoder: A vocoder module for this call (checked as for the constructor's);
                default: the frontend's own, else Griffin-Lim.

        Raises:
            ValueError: If the features do not fit, or the vocoder's ``n_mels`` or ``hop``
                differ from these log-mels'.
        """
        self._check_features(features)
        model = self.vocoder if vocoder is None else self.check_vocoder(vocoder, "the vocoder")
        if model is not None:
            return self._vocode(model, features)
        packed, shapes = pack_leading(features.to(module_dtype(self)), "channels mels frames")
        power = unit_to_power(
            packed[:, 0], self.ref, self.db_floor, self.db_ceil
        )  # (batch, n_mels, frames)
        linear = self.inverse_mel(power)  # (batch, n_fft // 2 + 1, frames)
        wave = self.griffin_lim(linear)  # (batch, time)
        return unpack_leading(wave, shapes, "time")

    def check_vocoder(self, model: nn.Module, where: str) -> nn.Module:
        """``model``, if its ``n_mels`` and ``hop`` (when it has them) fit these log-mels.

        Raises:
            ValueError: Naming ``where`` and the attribute that differs.
        """
        for attr, key in (("n_mels", "n_mels"), ("hop", "hop_length")):
            theirs = getattr(model, attr, None)
            if theirs is not None and theirs != self.config[key]:
                raise ValueError(
                    f"LogMel: {where} has {attr}={theirs}, this LogMel {key}={self.config[key]}"
                )
        return model

    def _vocode(self, model: nn.Module, features: torch.Tensor) -> torch.Tensor:
        """``(..., 1, n_mels, frames) -> (..., (frames - 1) * hop_length)`` through ``model``."""
        weight = next(model.parameters(), None)
        if weight is not None and weight.device != features.device:
            model.to(features.device)
        dtype = torch.float32 if weight is None else weight.dtype
        packed, shapes = pack_leading(features.to(dtype), "channels mels frames")
        frames = packed.shape[-1]
        wave = model(packed[:, 0])  # (batch, 1, frames * hop_length)
        wave = wave[:, 0, : (frames - 1) * self.hop_length]  # Griffin-Lim's length
        return unpack_leading(wave, shapes, "time")
