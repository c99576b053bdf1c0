"""Datasets: audio folders, CSV-annotated audio, a feature cache, and built-in data."""

from audiogan.data.annotated import AnnotatedAudio
from audiogan.data.audio_folder import AUDIO_EXTENSIONS, AudioFolder
from audiogan.data.cache import FeatureCache
from audiogan.data.chorales import JSBChorales, default_cache_dir, load_jsb16th_npz
from audiogan.data.synthetic import (
    SYNTH_CLASSES,
    SyntheticSounds,
    synthesize,
    write_annotated_csv,
    write_audio_folder,
)

__all__ = [
    "AUDIO_EXTENSIONS",
    "SYNTH_CLASSES",
    "AnnotatedAudio",
    "AudioFolder",
    "FeatureCache",
    "JSBChorales",
    "SyntheticSounds",
    "default_cache_dir",
    "load_jsb16th_npz",
    "synthesize",
    "write_annotated_csv",
    "write_audio_folder",
]
