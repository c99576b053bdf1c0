"""Fuzzing of the audio frontends, transforms, file loading and file datasets.

Random lengths (0 and 1 included), channel counts, sample rates and dtypes (float16/32/64, int16,
int32, uint8; as tensors, or as files written by soundfile) either work, giving the documented
shape and range, or fail with a documented error (``ValueError``, of which ``AudioFileError`` is
one, or ``TypeError``) whose message says what is wrong. Anything else (a ``RuntimeError`` from
deep inside torch, an ``IndexError``, NaN output) is a bug.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audiogan.audio.io import AudioFileError, load_audio
from audiogan.audio.transforms import mix_down, pad_or_trim, resample
from audiogan.data.annotated import AnnotatedAudio
from audiogan.data.audio_folder import AudioFolder
from audiogan.frontends.logmel import LogMel
from audiogan.frontends.logspec import LogSpectrogram

DTYPES = (torch.float16, torch.float32, torch.float64, torch.int16, torch.int32, torch.uint8)
RATES = (1000, 8000, 11025, 16000, 22050, 44100, 48000)
#: ``AUDIOGAN_FUZZ_EXAMPLES=500 pytest tests/test_fuzz.py`` searches longer than the default.
FUZZ = settings(
    max_examples=int(os.environ.get("AUDIOGAN_FUZZ_EXAMPLES", 60)),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

lengths = st.one_of(st.sampled_from([0, 1, 2, 3, 31, 32, 33, 64]), st.integers(0, 3000))
leads = st.lists(st.integers(0, 3), max_size=2).map(tuple)


def make_tensor(shape: tuple[int, ...], dtype: torch.dtype, seed: int) -> torch.Tensor:
    """Random samples of ``dtype``: floats in about [-1, 1], ints over their whole range."""
    g = torch.Generator().manual_seed(seed)
    if dtype.is_floating_point:
        return (0.5 * torch.randn(shape, generator=g)).clamp(-1, 1).to(dtype)
    info = torch.iinfo(dtype)
    return torch.randint(info.min, info.max, shape, generator=g, dtype=torch.int64).to(dtype)


def documented(fn: Callable[[], Any]) -> tuple[Any, BaseException | None]:
    """``(result, None)``, or ``(None, error)`` for a documented error with a message."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. empty mel filters at a low sample rate
            return fn(), None
    except (ValueError, TypeError) as err:
        assert str(err).strip(), f"{type(err).__name__} without a message"
        return None, err


# -- tensors -------------------------------------------------------------------------------


@given(
    n=lengths,
    lead=leads,
    dtype=st.sampled_from(DTYPES),
    sr=st.sampled_from(RATES),
    frames=st.sampled_from([None, 1, 7]),
    seed=st.integers(0, 2**16),
)
@FUZZ
def test_logmel_encode(n, lead, dtype, sr, frames, seed) -> None:
    fe = LogMel(sample_rate=sr, n_fft=64, hop_length=16, n_mels=8, frames=frames)
    wave = make_tensor((*lead, n), dtype, seed)
    out, err = documented(lambda: fe.encode(wave))
    if err is not None:
        assert not dtype.is_floating_point or n <= 32, err  # ints, or too short for n_fft 64
        return
    want = frames if frames is not None else 1 + n // 16
    assert out.shape == (*lead, 1, 8, want) and out.dtype == torch.float32
    assert torch.isfinite(out).all() and out.abs().max() <= 1 if out.numel() else True


@given(n=lengths, lead=leads, dtype=st.sampled_from(DTYPES), seed=st.integers(0, 2**16))
@FUZZ
def test_logspec_encode(n, lead, dtype, seed) -> None:
    fe = LogSpectrogram(n_fft=64, hop_length=16).fit(torch.randn(2, 400))
    wave = make_tensor((*lead, n), dtype, seed)
    out, err = documented(lambda: fe.encode(wave))
    if err is not None:
        assert not dtype.is_floating_point or n <= 32, err
        return
    assert out.shape == (*lead, 1, 32, 1 + n // 16) and out.dtype == torch.float32
    assert torch.isfinite(out).all() and (out.abs() <= 1).all()


@given(
    n=lengths,
    lead=leads,
    dtype=st.sampled_from(DTYPES),
    orig=st.sampled_from(RATES),
    new=st.sampled_from(RATES),
    seed=st.integers(0, 2**16),
)
@FUZZ
def test_resample(n, lead, dtype, orig, new, seed) -> None:
    wave = make_tensor((*lead, n), dtype, seed)
    out, err = documented(lambda: resample(wave, orig, new))
    if err is not None:
        assert not dtype.is_floating_point, err
        return
    assert out.shape[:-1] == wave.shape[:-1] and out.dtype == wave.dtype
    assert out.shape[-1] == -(-n * new // orig)  # ceil(n * new / orig), as torchaudio
    if dtype.is_floating_point and out.numel():
        assert torch.isfinite(out.float()).all()


@given(
    n=lengths,
    lead=leads,
    dtype=st.sampled_from(DTYPES),
    length=st.integers(-2, 400),
    crop=st.booleans(),
    seed=st.integers(0, 2**16),
)
@FUZZ
def test_pad_or_trim(n, lead, dtype, length, crop, seed) -> None:
    wave = make_tensor((*lead, n), dtype, seed)
    g = torch.Generator().manual_seed(seed)
    out, err = documented(lambda: pad_or_trim(wave, length, random_crop=crop, generator=g))
    if err is not None:
        assert length <= 0, err
        return
    assert out.shape == (*lead, length) and out.dtype == dtype


@given(
    n=lengths,
    lead=leads,
    channels=st.integers(0, 4),
    dtype=st.sampled_from(DTYPES),
    seed=st.integers(0, 2**16),
)
@FUZZ
def test_mix_down(n, lead, channels, dtype, seed) -> None:
    wave = make_tensor((*lead, channels, n), dtype, seed)
    out, err = documented(lambda: mix_down(wave))
    if err is not None:
        assert channels == 0 or not dtype.is_floating_point, err
        return
    assert out.shape == (*lead, 1, n) and out.dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES)
def test_mix_down_rejects_a_1d_tensor(dtype: torch.dtype) -> None:
    with pytest.raises(ValueError, match="channels, time"):
        mix_down(make_tensor((10,), dtype, 0))


# -- files ---------------------------------------------------------------------------------

#: soundfile subtypes, by the dtype of the array written.
FILE_DTYPES = {
    "float16": "FLOAT",
    "float32": "FLOAT",
    "float64": "DOUBLE",
    "int16": "PCM_16",
    "int32": "PCM_32",
    "uint8": "PCM_U8",
}


def write_file(
    path: Path, n: int, channels: int, sr: int, dtype: str, seed: int, gain: float = 1.0
) -> np.ndarray:
    """Write ``(n, channels)`` samples of ``dtype`` with soundfile; return what was written.

    soundfile writes float32/64 and int16/32 arrays as they are; float16 is written as float32,
    uint8 (unsigned, centred on 128) as its float value in [-1, 1). Float samples are multiplied
    by ``gain`` (float files may hold any value).
    """
    data = make_tensor((n, channels), getattr(torch, dtype), seed).numpy()
    if dtype.startswith("float"):
        data = data.astype(np.float64) * gain
    if dtype == "float16":
        data = data.astype(np.float32)
    elif dtype == "uint8":
        data = (data.astype(np.float64) - 128) / 128
    sf.write(str(path), data, sr, subtype=FILE_DTYPES[dtype])
    return data


file_lengths = st.one_of(st.sampled_from([0, 1, 2]), st.integers(0, 2000))


@given(
    n=file_lengths,
    channels=st.integers(1, 4),
    sr=st.sampled_from(RATES),
    dtype=st.sampled_from(sorted(FILE_DTYPES)),
    gain=st.sampled_from([1.0, 1.5, 1e6]),
    seed=st.integers(0, 2**16),
)
@FUZZ
def test_load_audio_of_soundfile_files(n, channels, sr, dtype, gain, seed) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.wav"
        write_file(path, n, channels, sr, dtype, seed, gain)
        out, err = documented(lambda: load_audio(path))
    if err is not None:
        assert isinstance(err, AudioFileError) and n == 0, err
        assert "x.wav" in str(err)
        return
    wave, rate = out
    assert wave.shape == (channels, n) and wave.dtype == torch.float32 and rate == sr
    assert torch.isfinite(wave).all() and wave.abs().max() <= 1


@given(
    files=st.lists(
        st.tuples(
            file_lengths,
            st.integers(1, 3),
            st.sampled_from(RATES),
            st.sampled_from(sorted(FILE_DTYPES)),
            st.sampled_from([1.0, 1e6]),
        ),
        min_size=1,
        max_size=4,
    ),
    num_samples=st.sampled_from([1, 2, 100, 1000]),
    sr=st.sampled_from((8000, 16000)),
    on_error=st.sampled_from(["raise", "skip"]),
    annotated=st.booleans(),
    seed=st.integers(0, 2**16),
)
@FUZZ
def test_file_datasets(files, num_samples, sr, on_error, annotated, seed) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "data"
        rows = []
        for k, (n, channels, rate, dtype, gain) in enumerate(files):
            label = k % 2
            path = root / f"c{label}" / f"{k}.wav"
            path.parent.mkdir(parents=True, exist_ok=True)
            write_file(path, n, channels, rate, dtype, seed + k, gain)
            rows.append(f"c{label}/{k}.wav,{label}")
        csv_path = Path(tmp) / "meta.csv"
        csv_path.write_text("file,label\n" + "\n".join(rows) + "\n")

        def build() -> AudioFolder | AnnotatedAudio:
            options = {"sample_rate": sr, "num_samples": num_samples, "on_error": on_error}
            if annotated:
                return AnnotatedAudio(csv_path, root, **options)
            return AudioFolder(root, **options)

        ds, err = documented(build)
        empty = [n == 0 for n, *_ in files]
        if err is not None:
            assert any(empty), err  # an empty file: AudioFileError, or a class with none left
            return
        assert len(ds) == sum(not e for e in empty)
        for i in range(len(ds)):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # float files beyond [-1, 1] are scaled, with one
                wave, label = ds[i]
            assert wave.shape == (1, num_samples) and wave.dtype == torch.float32
            assert torch.isfinite(wave).all() and label in (0, 1)
            assert wave.abs().max() <= 4  # [-1, 1] files; a sinc resampler's overshoot is < 3
