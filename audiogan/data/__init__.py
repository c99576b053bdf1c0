"""Datasets: audio folders, CSV-annotated audio, MIDI folders, a feature cache, and built-in data."""

from audiogan.data.annotated import AnnotatedAudio
from audiogan.data.audio_folder import AUDIO_EXTENSIONS, AudioFolder
from audiogan.data.cache import FeatureCache
from audiogan.data.chorales import JSBChorales, default_cache_dir, load_jsb16th_npz
from audiogan.data.midi_folder import MIDI_EXTENSIONS, MidiFolder
from audiogan.data.notes import (
    NOTE_FAMILIES,
    NoteFamilies,
    NoteFolder,
    SynthNotes,
    midi_to_hz,
    parse_note_name,
    synthesize_note,
)
from audiogan.data.synthetic import (
    SYNTH_CLASSES,
    SyntheticSounds,
    synthesize,
    write_annotated_csv,
    write_audio_folder,
)

__all__ = [
    "NOTE_FAMILIES",
    "NoteFamilies",
    "NoteFolder",
    "SynthNotes",
    "midi_to_hz",
    "parse_note_name",
    "synthesize_note",
    "AUDIO_EXTENSIONS",
    "MIDI_EXTENSIONS",
    "SYNTH_CLASSES",
    "AnnotatedAudio",
    "AudioFolder",
    "FeatureCache",
    "JSBChorales",
    "MidiFolder",
    "SyntheticSounds",
    "default_cache_dir",
    "load_jsb16th_npz",
    "synthesize",
    "write_annotated_csv",
    "write_audio_folder",
]
