"""Read and write audio files through soundfile.

torchaudio >= 2.9 hands file I/O to torchcodec/FFmpeg; soundfile (libsndfile) is lighter and
reads wav, flac, ogg/vorbis, mp3 (libsndfile >= 1.1) and more. Every failure is an
:class:`AudioFileError` that names the file and says what is wrong.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from audiogan.errors import AudioganError


class AudioFileError(AudioganError, ValueError):
    """An audio file is missing, unreadable, corrupt or empty. The message names the file."""

    def __init__(self, path: str | os.PathLike, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


def _sf_name(path: Path) -> str | bytes:
    """The name soundfile opens: the file system's bytes on POSIX, so that a name that is not
    valid UTF-8 (read back from the disk as surrogate escapes) opens; the text on Windows."""
    return str(path) if os.name == "nt" else os.fsencode(path)


class AudioRangeWarning(UserWarning):
    """A float audio file holds samples outside [-1, 1]; :func:`load_audio` scaled them down."""


@dataclass(frozen=True)
class AudioInfo:
    """What the header of an audio file says."""

    sample_rate: int
    num_frames: int
    num_channels: int
    format: str


def audio_info(path: str | os.PathLike) -> AudioInfo:
    """Read an audio file's header without decoding it.

    Raises:
        AudioFileError: If the file is missing or not a readable audio file.
    """
    path = Path(path)
    if not path.is_file():
        raise AudioFileError(path, "no such file")
    try:
        info = sf.info(_sf_name(path))
    except Exception as err:  # soundfile raises LibsndfileError, RuntimeError, TypeError...
        raise AudioFileError(path, f"not a readable audio file ({err})") from err
    return AudioInfo(int(info.samplerate), int(info.frames), int(info.channels), str(info.format))


def load_audio(
    path: str | os.PathLike, dtype: torch.dtype = torch.float32
) -> tuple[torch.Tensor, int]:
    """Load an audio file as a float tensor.

    Args:
        path: File to read (any format libsndfile reads: wav, flac, ogg, mp3, aiff...).
        dtype: Floating dtype of the result.

    Integer formats (PCM) are scaled to [-1, 1) by libsndfile. Float formats can hold any value;
    a float file whose peak exceeds 1 (e.g. samples written unnormalized, in the thousands) is
    divided by its peak, so the result is in [-1, 1] whatever the file, with an
    :class:`AudioRangeWarning` naming the file and the peak.

    Returns:
        ``(waveform, sample_rate)`` with ``waveform`` of shape ``(channels, time)`` in [-1, 1].

    Raises:
        AudioFileError: If the file is missing, empty, corrupt, has no samples, or holds
            non-finite samples. The message names the file.
    """
    path = Path(path)
    if not path.is_file():
        raise AudioFileError(path, "no such file")
    if path.stat().st_size == 0:
        raise AudioFileError(path, "the file is empty (0 bytes)")
    try:
        data, sr = sf.read(_sf_name(path), dtype="float32", always_2d=True)
    except Exception as err:
        raise AudioFileError(path, f"cannot decode audio ({type(err).__name__}: {err})") from err
    if data.shape[0] == 0:
        raise AudioFileError(path, "the file holds no samples (zero length)")
    if not np.isfinite(data).all():
        raise AudioFileError(path, "the file holds NaN or infinite samples")
    peak = float(np.abs(data).max())
    if peak > 1.0:
        warnings.warn(
            f"{path}: samples reach {peak:.6g}, outside [-1, 1]; scaled down by that peak",
            AudioRangeWarning,
            stacklevel=2,
        )
        data = data / np.float32(peak)
    wave = torch.from_numpy(np.ascontiguousarray(data.T)).to(dtype)  # (channels, time)
    return wave, int(sr)


def save_audio(
    path: str | os.PathLike,
    waveform: torch.Tensor,
    sample_rate: int,
    subtype: str | None = None,
    normalize: bool = False,
) -> Path:
    """Write a waveform to an audio file; the format follows the suffix (.wav, .flac, .ogg).

    Args:
        path: Destination; parent folders are created.
        waveform: ``(time,)`` or ``(channels, time)`` float tensor in [-1, 1] (clipped).
        sample_rate: Samples per second.
        subtype: libsndfile subtype, e.g. ``"PCM_16"`` (default: the format's default).
        normalize: Scale so the peak is 0.99 before writing (silence stays silence).

    Returns:
        The path written.

    Raises:
        ValueError: If the waveform is not 1-D or 2-D, or holds NaN/inf.
    """
    path = Path(path)
    wave = waveform.detach().to("cpu", torch.float32)
    if wave.dim() == 1:
        wave = wave.unsqueeze(0)
    if wave.dim() != 2:
        raise ValueError(
            f"save_audio: expected waveform (time,) or (channels, time), got {tuple(waveform.shape)}"
        )
    if not torch.isfinite(wave).all():
        raise ValueError(f"save_audio: waveform for {path} holds NaN or infinite samples")
    if normalize:
        peak = wave.abs().max()
        if peak > 0:
            wave = wave * (0.99 / peak)
    wave = wave.clamp(-1.0, 1.0)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(_sf_name(path), wave.T.numpy(), int(sample_rate), subtype=subtype)
    return path
