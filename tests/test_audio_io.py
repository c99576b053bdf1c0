"""Audio file I/O round trips, every bad-file case, and properties of the waveform transforms."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
import torchaudio.functional as AF
from hypothesis import given, settings
from hypothesis import strategies as st

from audiogan.audio.io import (
    AudioFileError,
    AudioRangeWarning,
    audio_info,
    load_audio,
    save_audio,
)
from audiogan.audio.transforms import mix_down, pad_or_trim, resample

SR = 16000


def sine(
    freq: float = 440.0, n: int = 4000, channels: int = 1, amplitude: float = 0.5
) -> torch.Tensor:
    t = torch.arange(n, dtype=torch.float32) / SR
    return torch.stack(
        [amplitude * torch.sin(2 * math.pi * freq * (c + 1) * t) for c in range(channels)]
    )


# -- load / save round trips ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("suffix", "subtype", "atol"),
    [(".wav", "PCM_16", 1 / 32767), (".wav", "FLOAT", 0.0), (".flac", None, 1 / 32767)],
)
@pytest.mark.parametrize("channels", [1, 2])
def test_lossless_round_trip(
    tmp_path: Path, suffix: str, subtype: str | None, atol: float, channels: int
) -> None:
    wave = sine(channels=channels)
    path = save_audio(tmp_path / f"a{suffix}", wave, SR, subtype=subtype)
    loaded, sr = load_audio(path)
    assert sr == SR and loaded.dtype == torch.float32 and loaded.shape == wave.shape
    assert torch.allclose(loaded, wave, atol=atol + 1e-7)
    info = audio_info(path)
    assert (info.sample_rate, info.num_frames, info.num_channels) == (SR, wave.shape[1], channels)


def test_ogg_vorbis_round_trip_is_close(tmp_path: Path) -> None:
    wave = sine(n=8000)
    loaded, sr = load_audio(save_audio(tmp_path / "a.ogg", wave, SR))
    assert sr == SR and loaded.shape == wave.shape
    assert np.corrcoef(loaded[0].numpy(), wave[0].numpy())[0, 1] > 0.99
    assert audio_info(tmp_path / "a.ogg").format == "OGG"


def test_save_accepts_1d_normalizes_and_clips(tmp_path: Path) -> None:
    loaded, _ = load_audio(save_audio(tmp_path / "mono.wav", sine()[0] * 0.1, SR, normalize=True))
    assert loaded.shape == (1, 4000) and loaded.abs().max().item() == pytest.approx(0.99, abs=1e-3)
    loaded, _ = load_audio(
        save_audio(tmp_path / "loud.wav", torch.full((1, 100), 3.0), SR, subtype="FLOAT")
    )
    assert torch.all(loaded == 1.0)
    silent, _ = load_audio(
        save_audio(tmp_path / "silent.wav", torch.zeros(1, 100), SR, normalize=True)
    )
    assert torch.all(silent == 0.0)
    assert (tmp_path / "sub" / "dir").exists() is False
    save_audio(tmp_path / "sub" / "dir" / "x.wav", torch.zeros(10), SR)
    assert (tmp_path / "sub" / "dir" / "x.wav").is_file()


def test_load_returns_requested_dtype(tmp_path: Path) -> None:
    wave, _ = load_audio(save_audio(tmp_path / "a.wav", sine(), SR), dtype=torch.float64)
    assert wave.dtype == torch.float64


# -- bad files -----------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.wav"
    with pytest.raises(AudioFileError, match="no such file") as err:
        load_audio(path)
    assert err.value.path == path and str(path) in str(err.value)
    with pytest.raises(AudioFileError, match="no such file"):
        audio_info(path)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.wav"
    path.touch()
    with pytest.raises(AudioFileError, match=r"empty \(0 bytes\)") as err:
        load_audio(path)
    assert str(path) in str(err.value)


@pytest.mark.parametrize(
    "content", [b"this is not audio at all" * 10, b"RIFF\x00\x00\x00\x00WAVEfmt garbage"]
)
def test_corrupt_bytes(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "corrupt.wav"
    path.write_bytes(content)
    with pytest.raises(AudioFileError, match="cannot decode audio") as err:
        load_audio(path)
    assert str(path) in str(err.value) and isinstance(err.value, ValueError)
    with pytest.raises(AudioFileError, match="not a readable audio file"):
        audio_info(path)


def test_zero_length_wav(tmp_path: Path) -> None:
    path = tmp_path / "zero.wav"
    sf.write(str(path), np.zeros((0, 1), np.float32), SR)
    assert path.stat().st_size > 0
    with pytest.raises(AudioFileError, match="no samples"):
        load_audio(path)


def test_non_finite_samples(tmp_path: Path) -> None:
    path = tmp_path / "nan.wav"
    sf.write(str(path), np.full((10, 1), np.nan, np.float32), SR, subtype="FLOAT")
    with pytest.raises(AudioFileError, match="NaN or infinite"):
        load_audio(path)


def test_float_samples_beyond_one_are_scaled_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "loud.wav"
    data = np.array([[0.5, -1e6], [2.0, 250.0], [-3.0, 0.0]], np.float32)  # (time, channels)
    sf.write(str(path), data, SR, subtype="FLOAT")
    with pytest.warns(
        AudioRangeWarning, match=r"loud\.wav: samples reach 1e\+06, outside \[-1, 1\]"
    ):
        wave, sr = load_audio(path)
    assert sr == SR and wave.shape == (2, 3) and float(wave.abs().max()) == 1.0
    torch.testing.assert_close(wave, torch.from_numpy(data.T) / 1e6)  # one gain for all channels
    quiet = tmp_path / "quiet.wav"
    sf.write(str(quiet), np.array([[1.0], [-1.0], [0.25]], np.float32), SR, subtype="FLOAT")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a full-scale file is left as it is, silently
        assert load_audio(quiet)[0].tolist() == [[1.0, -1.0, 0.25]]


def test_save_rejects_nan_and_bad_shapes(tmp_path: Path) -> None:
    wave = sine()
    wave[0, 5] = float("nan")
    with pytest.raises(ValueError, match="NaN or infinite") as err:
        save_audio(tmp_path / "nan.wav", wave, SR)
    assert "nan.wav" in str(err.value) and not (tmp_path / "nan.wav").exists()
    with pytest.raises(ValueError, match=r"expected waveform \(time,\) or \(channels, time\)"):
        save_audio(tmp_path / "3d.wav", torch.zeros(1, 1, 10), SR)


# -- pad_or_trim ---------------------------------------------------------------------------


@given(
    n=st.integers(1, 300), length=st.integers(1, 300), lead=st.lists(st.integers(1, 3), max_size=2)
)
@settings(max_examples=60, deadline=None)
def test_pad_or_trim_gives_exact_length_and_keeps_samples(
    n: int, length: int, lead: list[int]
) -> None:
    x = torch.randn(*lead, n)
    y = pad_or_trim(x, length)
    assert y.shape == (*lead, length)
    keep = min(n, length)
    assert torch.equal(y[..., :keep], x[..., :keep])
    assert torch.all(y[..., keep:] == 0)


@given(n=st.integers(2, 300), length=st.integers(1, 300), seed=st.integers(0, 2**31 - 1))
@settings(max_examples=60, deadline=None)
def test_random_crop_is_a_seeded_contiguous_window(n: int, length: int, seed: int) -> None:
    x = torch.arange(n, dtype=torch.float32)
    a = pad_or_trim(x, length, random_crop=True, generator=torch.Generator().manual_seed(seed))
    b = pad_or_trim(x, length, random_crop=True, generator=torch.Generator().manual_seed(seed))
    assert torch.equal(a, b) and a.shape == (length,)
    if n >= length:  # a window of consecutive samples from the input
        start = int(a[0])
        assert torch.equal(a, x[start : start + length])
    else:
        assert torch.equal(a[:n], x)


def test_pad_or_trim_rejects_non_positive_length() -> None:
    with pytest.raises(ValueError, match="length must be positive"):
        pad_or_trim(torch.zeros(5), 0)


# -- mix_down ------------------------------------------------------------------------------


@given(
    channels=st.integers(1, 4), n=st.integers(1, 50), lead=st.lists(st.integers(1, 3), max_size=2)
)
@settings(max_examples=40, deadline=None)
def test_mix_down_averages_channels(channels: int, n: int, lead: list[int]) -> None:
    x = torch.randn(*lead, channels, n)
    y = mix_down(x)
    assert y.shape == (*lead, 1, n)
    assert torch.allclose(y[..., 0, :], x.mean(dim=-2), atol=1e-6)
    if channels == 1:
        assert torch.equal(y, x)


def test_mix_down_of_identical_channels_is_that_channel_and_rejects_1d() -> None:
    x = torch.randn(1, 20).expand(3, 20)
    assert torch.allclose(mix_down(x), x[:1])
    with pytest.raises(ValueError, match=r"expected \(\.\.\., channels, time\)"):
        mix_down(torch.zeros(10))


# -- resample ------------------------------------------------------------------------------

RATES = [8000, 11025, 16000, 22050, 44100, 48000]


@given(orig=st.sampled_from(RATES), new=st.sampled_from(RATES), n=st.integers(1, 400))
@settings(max_examples=15, deadline=None)
def test_resample_equals_torchaudio_and_has_the_expected_length(
    orig: int, new: int, n: int
) -> None:
    x = torch.randn(2, n)
    y = resample(x, orig, new)
    assert y.shape == (2, math.ceil(n * new / orig))
    assert torch.allclose(y, AF.resample(x, orig, new), atol=1e-5)


def test_resample_keeps_a_tone_at_its_frequency() -> None:
    x = torch.sin(2 * math.pi * 1000.0 * torch.arange(44100) / 44100)
    y = resample(x, 44100, SR)
    peak = float(torch.fft.rfft(y).abs().argmax()) * SR / y.shape[-1]
    assert y.shape == (SR,) and peak == pytest.approx(1000.0, abs=2.0)


def test_resample_identity_and_errors() -> None:
    x = torch.randn(100)
    assert resample(x, SR, SR) is x
    with pytest.raises(ValueError, match="sample rates must be positive"):
        resample(x, 0, SR)
    with pytest.raises(ValueError, match="floating waveform"):
        resample(torch.zeros(100, dtype=torch.int16), 8000, SR)
