"""Files made to break a reader: a MIDI time signature of 1/2**255, a Latin-1 CSV, an audio file
whose name is not UTF-8 (issue 24, items 7 and 8). Each is refused or skipped naming the file,
in bounded time and memory, or read as it should be."""

from __future__ import annotations

import os
import resource
import struct
import sys
import time
from pathlib import Path

import pytest
import torch

from audiogan.audio import audio_info, load_audio, save_audio
from audiogan.data import AnnotatedAudio, AudioFolder, MidiFolder
from audiogan.frontends import PianoRoll
from audiogan.music.midi import MidiFileError

pytest.importorskip("pretty_midi")


def _vlq(n: int) -> bytes:
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append(0x80 | (n & 0x7F))
        n >>= 7
    return bytes(reversed(out))


def midi_bytes(denominator_byte: int, bars: int = 8) -> bytes:
    """A one-track MIDI file (96 ticks a quarter) with a time signature ``4/2**byte`` at its
    start and ``bars`` bars of 4 quarter-note chords (C major, SATB)."""
    events = b"\x00\xff\x58\x04" + bytes([4, denominator_byte, 24, 8])
    chord = (72, 67, 64, 48)
    for _ in range(4 * bars):
        for pitch in chord:
            events += b"\x00\x90" + bytes([pitch, 80])
        for n, pitch in enumerate(chord):
            events += _vlq(96 if n == 0 else 0) + b"\x80" + bytes([pitch, 0])
    events += b"\x00\xff\x2f\x00"
    header = b"MThd" + struct.pack(">IHHH", 6, 0, 1, 96)
    return header + b"MTrk" + struct.pack(">I", len(events)) + events


@pytest.mark.parametrize("denominator_byte", [40, 255])
def test_a_midi_time_signature_of_2_to_the_40_or_255_is_refused_naming_the_file(
    tmp_path: Path, denominator_byte: int
) -> None:
    folder = tmp_path / "midi"
    folder.mkdir()
    bad = folder / "bad.mid"
    bad.write_bytes(midi_bytes(denominator_byte))
    assert 1000 < bad.stat().st_size < 1500  # the 1.3 KB file of the report
    (folder / "good.mid").write_bytes(midi_bytes(2))  # 4/4

    limit = resource.getrlimit(resource.RLIMIT_AS)
    if sys.platform.startswith("linux"):  # the old loop allocates until memory runs out
        resource.setrlimit(resource.RLIMIT_AS, (8 << 30, limit[1]))
    try:
        start = time.perf_counter()
        with pytest.raises(MidiFileError, match=r"bad\.mid: time signature 4/\d\.\d+e\+\d+ is not"):
            MidiFolder(folder, PianoRoll())  # on_error="raise": refused, naming it
        with pytest.warns(UserWarning, match=r"skipped 1 of 2 files \(1 unreadable\).*bad\.mid"):
            data = MidiFolder(folder, PianoRoll(), on_error="skip")
        assert time.perf_counter() - start < 30
    finally:
        resource.setrlimit(resource.RLIMIT_AS, limit)
    assert data.files == [folder / "good.mid"] and len(data) == 4  # 8 bars: 4 two-bar phrases


def test_a_sane_midi_with_absurdly_many_bars_is_refused(tmp_path: Path) -> None:
    """x/256 is allowed, but a file whose bars would number millions is refused, not looped."""
    path = tmp_path / "long.mid"
    events = b"\x00\xff\x58\x04" + bytes([1, 8, 24, 8])  # 1/256: a bar of 1/64 quarter
    events += b"\x00\x90\x3c\x50" + _vlq(96 * 40_000) + b"\x80\x3c\x00\x00\xff\x2f\x00"
    header = b"MThd" + struct.pack(">IHHH", 6, 0, 1, 96)
    path.write_bytes(header + b"MTrk" + struct.pack(">I", len(events)) + events)
    with pytest.raises(MidiFileError, match=r"long\.mid: about 2\.56e\+06 bars, more than 100000"):
        MidiFolder(path.parent, PianoRoll())


def test_a_latin1_csv_is_an_error_naming_the_file_and_the_line(tmp_path: Path) -> None:
    save_audio(tmp_path / "a.wav", 0.1 * torch.randn(1, 800), 8000)
    csv = tmp_path / "labels.csv"
    csv.write_bytes("a.wav,dog\na.wav,dog\n\na.wav,chien m\u00e9chant\n".encode("latin-1"))
    with pytest.raises(ValueError, match=rf"{csv} line 4: byte 0xe9 is not UTF-8.*save it as"):
        AnnotatedAudio(csv, tmp_path, sample_rate=8000, num_samples=800)
    csv.write_text("a.wav,dog\na.wav,chien m\u00e9chant\n", encoding="utf-8")  # the same, UTF-8
    assert AnnotatedAudio(csv, tmp_path, sample_rate=8000, num_samples=800).classes == [
        "chien m\u00e9chant",
        "dog",
    ]


@pytest.mark.skipif(os.name == "nt" or sys.platform == "darwin", reason="needs byte file names")
def test_an_audio_file_whose_name_is_not_utf8_loads(tmp_path: Path) -> None:
    wave = 0.5 * torch.sin(torch.arange(800) / 5.0)[None]
    folder = tmp_path / "sounds" / "bells"
    folder.mkdir(parents=True)
    raw = os.fsencode(folder) + b"/carillon_d'\xe9glise.wav"  # Latin-1 bytes on disk
    save_audio(tmp_path / "x.wav", wave, 8000)
    os.rename(tmp_path / "x.wav", raw)
    (path,) = folder.iterdir()  # as Python sees it: surrogate escapes
    assert "\udce9" in path.name
    assert audio_info(path).num_frames == 800
    loaded, rate = load_audio(path)
    assert rate == 8000 and torch.allclose(loaded, wave, atol=1e-4)
    clips = AudioFolder(tmp_path / "sounds", sample_rate=8000, num_samples=800)
    assert len(clips) == 1 and torch.allclose(clips[0][0], wave, atol=1e-4)
    save_audio(folder / "copie_\udce9.wav", wave, 8000)  # writes under such a name too
    assert os.fsencode(folder) + b"/copie_\xe9.wav" in [
        os.fsencode(folder) + b"/" + n for n in os.listdir(os.fsencode(folder))
    ]
