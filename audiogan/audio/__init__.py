"""Audio file I/O and waveform transforms."""

from audiogan.audio.io import AudioFileError, AudioRangeWarning, audio_info, load_audio, save_audio
from audiogan.audio.transforms import mix_down, pad_or_trim, resample

__all__ = [
    "AudioFileError",
    "AudioRangeWarning",
    "audio_info",
    "load_audio",
    "save_audio",
    "mix_down",
    "pad_or_trim",
    "resample",
]
