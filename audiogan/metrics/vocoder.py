"""Waveform metrics of a decoder's output against the original: SI-SDR, MCD, PESQ, STOI.

Every function compares clips ``real`` (the originals) and ``fake`` (a decoder's output) of one
shape ``(batch, 1, num_samples)``, clip by clip, and returns one value per clip ``(batch,)``
in float64. Which way is better: higher SI-SDR, PESQ and STOI; lower MCD.

* :func:`si_sdr`: scale-invariant signal-to-distortion ratio in dB (Le Roux et al. 2019).
* :func:`mel_cepstral_distortion`: MCD in dB between frame-aligned mel-cepstra
  (:func:`mel_cepstrum`); no dynamic time warping, since a decoder keeps the original's timing.
* :func:`wideband_pesq`: wide-band PESQ (ITU-T P.862.2) at 16 kHz, by the ``pesq`` package.
* :func:`stoi`: short-time objective intelligibility (Taal et al. 2011), by ``pystoi``.

PESQ and STOI need the ``eval`` extra (``pip install 'audiogan[eval]'``).
"""

from __future__ import annotations

import math
import warnings

import torch
import torchaudio.functional as AF

from audiogan._optional import require

__all__ = [
    "PESQ_SAMPLE_RATE",
    "mel_cepstral_distortion",
    "mel_cepstrum",
    "si_sdr",
    "stoi",
    "wideband_pesq",
]

#: The sample rate of wide-band PESQ: other rates are resampled to it.
PESQ_SAMPLE_RATE = 16000


def clip_pair(
    real: torch.Tensor, fake: torch.Tensor, what: str
) -> tuple[torch.Tensor, torch.Tensor]:
    """``real`` and ``fake`` ``(batch, 1, num_samples)`` as float64 ``(batch, num_samples)``.

    Raises:
        ValueError: If either is not a floating tensor of that shape or their shapes differ.
    """
    for name, x in (("real", real), ("fake", fake)):
        if not isinstance(x, torch.Tensor) or not x.is_floating_point():
            raise ValueError(f"{what}: {name} must be a floating tensor (batch, 1, num_samples)")
        if x.dim() != 3 or x.shape[1] != 1 or x.shape[0] < 1 or x.shape[2] < 1:
            raise ValueError(
                f"{what}: expected {name} of shape (batch, 1, num_samples), got {tuple(x.shape)}"
            )
    if real.shape != fake.shape:
        raise ValueError(
            f"{what}: real and fake must have one shape (batch, 1, num_samples), got "
            f"{tuple(real.shape)} and {tuple(fake.shape)}"
        )
    return real[:, 0].detach().cpu().double(), fake[:, 0].detach().cpu().double()


def si_sdr(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Scale-invariant signal-to-distortion ratio in dB, per clip (higher is better).

    Both clips are made zero-mean; then with ``a = <fake, real> / ||real||²``::

        SI-SDR = 10 log10(||a real||² / ||fake - a real||²)

    Identical clips give ``+inf`` (or a value above 250 dB from rounding); a silent ``real``
    gives NaN. Noise independent of the signal at an SNR of ``x`` dB gives about ``x``.

    Args:
        real: The originals ``(batch, 1, num_samples)``.
        fake: The decoded clips, same shape.

    Returns:
        ``(batch,)`` float64, in dB.
    """
    r, f = clip_pair(real, fake, "si_sdr")
    r = r - r.mean(dim=-1, keepdim=True)
    f = f - f.mean(dim=-1, keepdim=True)
    scale = (f * r).sum(-1, keepdim=True) / (r * r).sum(-1, keepdim=True)
    target = scale * r
    noise = f - target
    return 10.0 * torch.log10(target.pow(2).sum(-1) / noise.pow(2).sum(-1))


def mel_cepstrum(
    wave: torch.Tensor,
    sample_rate: int,
    *,
    n_fft: int = 1024,
    hop_length: int = 256,
    n_mels: int = 80,
    num_cepstra: int = 25,
    floor: float = 1e-5,
) -> torch.Tensor:
    """Mel-cepstra ``c_0 .. c_{num_cepstra - 1}`` of each frame, in float64.

    A centred STFT (Hann window, reflect padding) gives the power spectrum, an HTK mel
    filterbank (0 Hz to Nyquist, unnormalised filters) the mel power ``P_m``, and with the mel
    log-amplitude ``L_m = ln max(sqrt(P_m), floor)`` of ``M = n_mels`` bands::

        c_d = 1/M * sum_m L_m cos(pi d (m + 1/2) / M)

    (a DCT-II scaled so that ``L_m = c_0 + 2 sum_{d >= 1} c_d cos(pi d (m + 1/2) / M)``: the
    cosine series of a real, even log spectrum, the convention of the MCD formula).

    Args:
        wave: Clips ``(batch, 1, num_samples)`` with ``num_samples > n_fft // 2``.
        sample_rate: Samples per second.
        n_fft: FFT size (window length).
        hop_length: Samples between frames.
        n_mels: Mel bands ``M``.
        num_cepstra: Coefficients kept, ``c_0`` included (at most ``n_mels``).
        floor: Floor of the mel amplitude before the log.

    Returns:
        ``(batch, num_cepstra, frames)`` with ``frames = 1 + num_samples // hop_length``.

    Raises:
        ValueError: If the shape or a parameter does not fit.
    """
    x, _ = clip_pair(wave, wave, "mel_cepstrum")
    if not 1 <= num_cepstra <= n_mels:
        raise ValueError(
            f"mel_cepstrum: expected 1 <= num_cepstra <= n_mels ({n_mels}), got {num_cepstra}"
        )
    if x.shape[-1] <= n_fft // 2:
        raise ValueError(
            f"mel_cepstrum: expected num_samples > n_fft // 2 = {n_fft // 2}, got {x.shape[-1]}"
        )
    window = torch.hann_window(n_fft, dtype=torch.float64)
    spec = torch.stft(x, n_fft, hop_length, window=window, center=True, return_complex=True)
    power = spec.abs().pow(2)  # (batch, n_fft // 2 + 1, frames)
    banks = AF.melscale_fbanks(n_fft // 2 + 1, 0.0, sample_rate / 2, n_mels, sample_rate)
    mel_power = torch.einsum("bft,fm->bmt", power, banks.double())
    log_amp = mel_power.sqrt().clamp_min(floor).log()  # (batch, n_mels, frames)
    m = torch.arange(n_mels, dtype=torch.float64)
    d = torch.arange(num_cepstra, dtype=torch.float64)
    dct = torch.cos(math.pi * d[:, None] * (m[None, :] + 0.5) / n_mels) / n_mels
    return torch.einsum("dm,bmt->bdt", dct, log_amp)


def mel_cepstral_distortion(
    real: torch.Tensor,
    fake: torch.Tensor,
    sample_rate: int,
    *,
    n_fft: int = 1024,
    hop_length: int = 256,
    n_mels: int = 80,
    num_cepstra: int = 25,
) -> torch.Tensor:
    """Mel-cepstral distortion in dB, per clip (lower is better; identical clips give 0).

    With the mel-cepstra ``c`` of ``real`` and ``c'`` of ``fake`` (:func:`mel_cepstrum`),
    each frame's distortion is (Kubichek 1993)::

        MCD = 10 / ln 10 * sqrt(2 * sum_{d=1}^{num_cepstra - 1} (c_d - c'_d)²)

    ``c_0`` (the frame's overall level) left out, and the clip's value is the mean over its
    frames, frame-aligned: frame ``t`` of ``real`` against frame ``t`` of ``fake``, no dynamic
    time warping (a decoder keeps the original's timing; a delay counts as distortion).

    Args:
        real: The originals ``(batch, 1, num_samples)``.
        fake: The decoded clips, same shape.
        sample_rate: Samples per second.
        n_fft: FFT size of :func:`mel_cepstrum`.
        hop_length: Its hop.
        n_mels: Its mel bands.
        num_cepstra: Its coefficients, ``c_0`` included (the default 25: ``c_1 .. c_24``).

    Returns:
        ``(batch,)`` float64, in dB.
    """
    clip_pair(real, fake, "mel_cepstral_distortion")
    settings = {"n_fft": n_fft, "hop_length": hop_length, "n_mels": n_mels}
    settings["num_cepstra"] = num_cepstra
    c_real = mel_cepstrum(real, sample_rate, **settings)[:, 1:]
    c_fake = mel_cepstrum(fake, sample_rate, **settings)[:, 1:]
    per_frame = 10.0 / math.log(10.0) * (2.0 * (c_real - c_fake).pow(2).sum(1)).sqrt()
    return per_frame.mean(-1)


def at_pesq_rate(real: torch.Tensor, fake: torch.Tensor, sample_rate: int) -> tuple:
    """Both clips as float64 numpy ``(batch, num_samples)`` at 16 kHz (torchaudio's resampler)."""
    r, f = clip_pair(real, fake, "wideband_pesq")
    if sample_rate < PESQ_SAMPLE_RATE:
        raise ValueError(
            f"wideband_pesq: needs a sample rate of at least 16000 Hz, got {sample_rate}"
        )
    if sample_rate != PESQ_SAMPLE_RATE:
        r = AF.resample(r.float(), sample_rate, PESQ_SAMPLE_RATE).double()
        f = AF.resample(f.float(), sample_rate, PESQ_SAMPLE_RATE).double()
    return r.numpy(), f.numpy()


def wideband_pesq(real: torch.Tensor, fake: torch.Tensor, sample_rate: int) -> torch.Tensor:
    """Wide-band PESQ (MOS-LQO, about 1.04 to 4.64; higher is better), per clip.

    ``pesq.pesq(16000, real, fake, "wb")`` (ITU-T P.862.2 as the ``pesq`` package computes it)
    on each clip, resampled to 16 kHz first by ``torchaudio.functional.resample`` when
    ``sample_rate`` is higher. A clip in which PESQ finds no utterance (silence, for
    instance) or that is too short for it (under about 1/4 s) gives NaN. Needs the ``eval``
    extra.

    Args:
        real: The originals ``(batch, 1, num_samples)``.
        fake: The decoded clips, same shape.
        sample_rate: Their rate, at least 16000.

    Returns:
        ``(batch,)`` float64.

    Raises:
        ImportError: If ``pesq`` is not installed (the message names the extra).
    """
    pesq = require("pesq", "wide-band PESQ")
    r, f = at_pesq_rate(real, fake, sample_rate)
    scores = []
    for ref, deg in zip(r, f, strict=True):
        try:
            scores.append(pesq.pesq(PESQ_SAMPLE_RATE, ref, deg, "wb"))
        except (pesq.NoUtterancesError, pesq.BufferTooShortError):
            scores.append(math.nan)
    return torch.tensor(scores, dtype=torch.float64)


def stoi(
    real: torch.Tensor, fake: torch.Tensor, sample_rate: int, *, extended: bool = False
) -> torch.Tensor:
    """Short-time objective intelligibility (0 to 1; higher is better), per clip.

    ``pystoi.stoi(real, fake, sample_rate, extended)`` on each clip (pystoi resamples to its
    10 kHz and drops silent frames itself). Where fewer than 30 frames of 25.6 ms remain
    (about 0.4 s of sound), pystoi warns and returns 1e-5, a score that reads as
    "unintelligible"; that is NaN here. Needs the ``eval`` extra.

    Args:
        real: The originals ``(batch, 1, num_samples)``.
        fake: The decoded clips, same shape.
        sample_rate: Their rate.
        extended: ESTOI (Jensen & Taal 2016) instead of STOI.

    Returns:
        ``(batch,)`` float64.

    Raises:
        ImportError: If ``pystoi`` is not installed (the message names the extra).
    """
    pystoi = require("pystoi", "STOI")
    r, f = clip_pair(real, fake, "stoi")
    scores = []
    for ref, deg in zip(r.numpy(), f.numpy(), strict=True):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            score = pystoi.stoi(ref, deg, sample_rate, extended=extended)
        too_short = any("Not enough STFT frames" in str(w.message) for w in caught)
        scores.append(math.nan if too_short else float(score))
    return torch.tensor(scores, dtype=torch.float64)
