"""LogMel and LogSpectrogram: shapes, ranges, the dB mapping, round trips, batching, fitting."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from audiogan.frontends.base import (
    fix_frames,
    frames_for_samples,
    pack_leading,
    samples_for_frames,
    unpack_leading,
)
from audiogan.frontends.logmel import (
    LogMel,
    db_to_unit,
    log_mel,
    power_to_unit,
    reference_power,
    unit_to_db,
    unit_to_power,
)
from audiogan.frontends.logspec import (
    LogSpectrogram,
    log_magnitude,
    log_spectrogram,
    normalize_log_magnitude,
)

SR = 16000
SMALL = {"n_fft": 256, "hop_length": 64, "n_mels": 32}


def tone(freq: float, seconds: float = 0.5, amplitude: float = 0.5, sr: int = SR) -> torch.Tensor:
    t = torch.arange(int(seconds * sr), dtype=torch.float32) / sr
    return amplitude * torch.sin(2 * math.pi * freq * t)


def peak_hz(wave: torch.Tensor, sr: int = SR) -> float:
    spectrum = torch.fft.rfft(wave * torch.hann_window(wave.shape[-1], periodic=False)).abs()
    return float(spectrum.argmax()) * sr / wave.shape[-1]


finite_db = st.floats(-200.0, 200.0, allow_nan=False)
db_range = st.tuples(st.floats(-150.0, 0.0), st.floats(1.0, 100.0)).map(
    lambda fc: (fc[0], fc[0] + fc[1])
)


# -- frame arithmetic and helpers ----------------------------------------------------------


def test_recipe_sizes_have_the_documented_sample_counts() -> None:
    assert LogMel(frames=256).num_samples_for_frames() == 65280
    assert LogMel(frames=512).num_samples_for_frames() == 130816
    fe = LogMel(frames=64, **SMALL)
    assert fe.encode(torch.zeros(fe.num_samples_for_frames())).shape == (1, 32, 64)
    with pytest.raises(ValueError, match="frames is None"):
        LogMel().num_samples_for_frames()


@given(frames=st.integers(1, 2000), hop=st.integers(1, 1024))
def test_samples_for_frames_inverts_frames_for_samples(frames: int, hop: int) -> None:
    n = samples_for_frames(frames, hop)
    assert frames_for_samples(n, hop) == frames
    assert n == 0 or frames_for_samples(n - 1, hop) == frames - 1  # the shortest such length


def test_frame_arithmetic_matches_the_stft() -> None:
    fe = LogMel(**SMALL)
    for n in (200, 255, 256, 257, 1000):
        assert fe.encode(torch.zeros(n)).shape[-1] == fe.frames_for_num_samples(n)
    with pytest.raises(ValueError, match="frames >= 1"):
        samples_for_frames(0, 64)


def test_fix_frames_pads_with_value_and_trims() -> None:
    x = torch.arange(6.0).reshape(2, 3)
    assert torch.equal(
        fix_frames(x, 5, -1.0), torch.tensor([[0, 1, 2, -1, -1], [3, 4, 5, -1, -1.0]])
    )
    assert torch.equal(fix_frames(x, 2), x[:, :2])
    assert fix_frames(x, None) is x


@given(shape=st.lists(st.integers(1, 3), min_size=0, max_size=3))
@settings(max_examples=20)
def test_pack_leading_round_trips(shape: list[int]) -> None:
    x = torch.randn(*shape, 4, 5)
    packed, shapes = pack_leading(x, "a b")
    assert packed.shape == (math.prod(shape), 4, 5)
    assert torch.equal(unpack_leading(packed, shapes, "a b"), x)


# -- the dB mapping ------------------------------------------------------------------------


@given(a=finite_db, b=finite_db, rng=db_range)
def test_db_to_unit_is_monotone_and_bounded(a: float, b: float, rng: tuple[float, float]) -> None:
    lo, hi = min(a, b), max(a, b)
    u = db_to_unit(torch.tensor([lo, hi], dtype=torch.float64), *rng)
    assert -1.0 <= u[0] <= u[1] <= 1.0


@given(frac=st.floats(0.0, 1.0), rng=db_range)
def test_unit_to_db_inverts_db_to_unit_on_the_unclipped_range(
    frac: float, rng: tuple[float, float]
) -> None:
    floor, ceil = rng
    db = torch.tensor(floor + frac * (ceil - floor), dtype=torch.float64)
    assert torch.allclose(unit_to_db(db_to_unit(db, floor, ceil), floor, ceil), db, atol=1e-9)


@given(u=st.floats(-1.0, 1.0), rng=db_range)
def test_db_to_unit_inverts_unit_to_db(u: float, rng: tuple[float, float]) -> None:
    x = torch.tensor(u, dtype=torch.float64)
    assert torch.allclose(db_to_unit(unit_to_db(x, *rng), *rng), x, atol=1e-9)


def test_db_mapping_end_points_and_clipping() -> None:
    db = torch.tensor([-200.0, -80.0, -30.0, 20.0, 90.0])
    assert torch.allclose(db_to_unit(db), torch.tensor([-1.0, -1.0, 0.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match="db_floor < db_ceil"):
        db_to_unit(db, 10.0, 10.0)


def test_power_mapping_reference_is_a_full_scale_sine() -> None:
    assert reference_power(1024) == pytest.approx((1024 / 4) ** 2)
    ref = reference_power(256)
    p = torch.tensor([ref, ref * 1e-3, 0.0])
    assert torch.allclose(power_to_unit(p, ref), db_to_unit(torch.tensor([0.0, -30.0, -120.0])))
    assert torch.allclose(unit_to_power(power_to_unit(p[:2], ref), ref), p[:2], rtol=1e-4)


# -- LogMel --------------------------------------------------------------------------------


@pytest.mark.parametrize("lead", [(), (3,), (2, 3)])
def test_logmel_shapes_any_leading_dims(lead: tuple[int, ...]) -> None:
    fe = LogMel(frames=20, **SMALL)
    x = fe.encode(torch.randn(*lead, 1000) * 0.1)
    assert x.shape == (*lead, 1, 32, 20)
    assert fe.feature_shape == (1, 32, 20)
    y = fe.decode(x)
    assert y.shape == (*lead, samples_for_frames(20, 64))


def test_logmel_range_silence_and_loudness() -> None:
    fe = LogMel(**SMALL)
    loud = fe.encode(torch.randn(2, 2000) * 100.0)
    assert loud.min() >= -1.0 and loud.max() == 1.0
    assert torch.equal(
        fe.encode(torch.zeros(2000)), torch.full_like(fe.encode(torch.zeros(2000)), -1.0)
    )
    full = fe.encode(tone(1000.0, amplitude=1.0))  # a full-scale sine is about 0 dB -> 0.6
    assert full.max().item() == pytest.approx(0.6, abs=0.03)


def test_logmel_halving_amplitude_lowers_unclipped_cells_by_6db() -> None:
    fe = LogMel(**SMALL)
    wave = torch.randn(4000) * 0.1
    a, b = fe.encode(wave), fe.encode(wave / 2)
    unclipped = (a < 1) & (b > -1)
    expected = 20 * math.log10(2) * 2 / (fe.db_ceil - fe.db_floor)
    assert unclipped.float().mean() > 0.5
    assert torch.allclose((a - b)[unclipped], torch.tensor(expected), atol=1e-4)


def test_logmel_pads_with_floor_and_trims() -> None:
    wave = torch.randn(1000) * 0.1
    free = LogMel(**SMALL).encode(wave)  # 16 frames
    padded = LogMel(frames=30, **SMALL).encode(wave)
    trimmed = LogMel(frames=5, **SMALL).encode(wave)
    assert torch.equal(padded[..., :16], free) and torch.all(padded[..., 16:] == -1.0)
    assert torch.equal(trimmed, free[..., :5])


def test_logmel_matches_its_pure_twin() -> None:
    wave = torch.randn(2, 3, 1500) * 0.2
    kwargs = {
        **SMALL,
        "frames": 40,
        "f_min": 50.0,
        "f_max": 7000.0,
        "db_floor": -70.0,
        "db_ceil": 10.0,
    }
    assert torch.allclose(LogMel(**kwargs).encode(wave), log_mel(wave, **kwargs), atol=1e-5)


def test_logmel_item_by_item_equals_batched() -> None:
    fe = LogMel(frames=12, griffin_lim_iters=4, **SMALL)
    waves = torch.randn(3, 800) * 0.3
    batched = fe.encode(waves)
    single = torch.stack([fe.encode(w) for w in waves])
    assert torch.allclose(batched, single, atol=1e-5)
    dec_b = fe.decode(batched)
    dec_s = torch.stack([fe.decode(x) for x in batched])
    assert torch.allclose(dec_b, dec_s, atol=1e-4)


def test_logmel_round_trip_keeps_a_1khz_tone_at_1khz() -> None:
    fe = LogMel()  # seed defaults: 16 kHz, n_fft 1024, hop 256, 128 mels, 32 Griffin-Lim iterations
    decoded = fe.decode(fe.encode(tone(1000.0, seconds=1.0)))
    assert decoded.shape == (fe.num_samples_for_frames(63),)
    assert torch.isfinite(decoded).all() and decoded.abs().max() > 0.05
    assert peak_hz(decoded) == pytest.approx(1000.0, abs=40.0)


def test_logmel_config_rebuilds_the_same_frontend() -> None:
    fe = LogMel(frames=10, f_max=6000.0, **SMALL)
    clone = type(fe)(**fe.config)
    wave = torch.randn(700)
    assert clone.config == fe.config and torch.equal(clone.encode(wave), fe.encode(wave))


def test_logmel_errors() -> None:
    fe = LogMel(frames=10, **SMALL)
    with pytest.raises(ValueError, match=r"expected features \(\.\.\., 1, 32, 10\)"):
        fe.decode(torch.zeros(2, 1, 31, 10))
    with pytest.raises(ValueError, match="floating waveform"):
        fe.encode(torch.zeros(100, dtype=torch.int16))
    with pytest.raises(ValueError, match="db_floor < db_ceil"):
        LogMel(db_floor=0.0, db_ceil=-10.0)
    with pytest.raises(ValueError, match="f_max"):
        LogMel(f_max=9000.0)
    with pytest.raises(ValueError, match="frames"):
        LogMel(frames=0)


# -- LogSpectrogram ------------------------------------------------------------------------


def test_logspec_defaults_are_specgan() -> None:
    fe = LogSpectrogram(frames=128).fit(torch.randn(2, 16384) * 0.1)
    assert fe.feature_shape == (1, 128, 128)
    x = fe.encode(torch.randn(3, 16384) * 0.1)
    assert x.shape == (3, 1, 128, 128) and x.min() >= -1 and x.max() <= 1
    assert fe.config["griffin_lim_iters"] == 16 and fe.decode(x).shape == (3, 127 * 128)


def test_logspec_encode_before_fit_is_a_clear_error() -> None:
    fe = LogSpectrogram()
    with pytest.raises(RuntimeError, match=r"call \.fit\(waves\)"):
        fe.encode(torch.zeros(1000))
    with pytest.raises(RuntimeError, match="not fitted"):
        fe.decode(torch.zeros(1, 128, 5))


def test_logspec_fit_gives_per_bin_mean_and_std() -> None:
    waves = torch.randn(3, 2000) * torch.tensor([[0.1], [0.5], [1.0]])
    fe = LogSpectrogram(n_fft=64, hop_length=32).fit(waves)
    lm = log_magnitude(waves, 64, 32).double()  # (3, 32, frames)
    flat = lm.permute(1, 0, 2).reshape(32, -1)
    assert torch.allclose(fe.mean.double(), flat.mean(1), atol=1e-5)
    assert torch.allclose(fe.std.double(), flat.std(1, unbiased=False), atol=1e-5)
    assert int(fe.fitted_frames) == flat.shape[1]


def test_logspec_streaming_fit_equals_one_shot_and_accepts_pairs() -> None:
    waves = torch.randn(6, 1500) * 0.3
    whole = LogSpectrogram(n_fft=64, hop_length=32).fit(waves)
    streamed = LogSpectrogram(n_fft=64, hop_length=32).fit(
        [(waves[:1], 0), (waves[1:4], 1), (waves[4:], 2)]
    )
    assert torch.allclose(whole.mean, streamed.mean, atol=1e-5)
    assert torch.allclose(whole.std, streamed.std, atol=1e-5)
    with pytest.raises(ValueError, match="no waveforms"):
        LogSpectrogram().fit([])
    with pytest.raises(ValueError, match="item 1"):
        LogSpectrogram().fit([waves[0], "not a wave"])


def test_logspec_normalization_clips_at_clip_std_and_centres_the_mean() -> None:
    fe = LogSpectrogram(n_fft=64, hop_length=32, clip_std=3.0).fit(torch.randn(4, 3000) * 0.1)
    lm = fe.mean[:, None].expand(32, 7)
    assert torch.allclose(log_spectrogram_from_log_mag(fe, lm), torch.zeros(32, 7), atol=1e-6)
    far = lm + 10 * fe.std[:, None]
    assert torch.all(log_spectrogram_from_log_mag(fe, far) == 1.0)
    one_std = lm + 1.5 * fe.std[:, None]
    assert torch.allclose(
        log_spectrogram_from_log_mag(fe, one_std), torch.full((32, 7), 0.5), atol=1e-5
    )


def log_spectrogram_from_log_mag(fe: LogSpectrogram, lm: torch.Tensor) -> torch.Tensor:
    return normalize_log_magnitude(lm, fe.mean, fe.std, fe.clip_std)


def test_logspec_state_dict_carries_the_fit() -> None:
    fe = LogSpectrogram(n_fft=64, hop_length=32, frames=20).fit(torch.randn(3, 2000) * 0.2)
    clone = LogSpectrogram(**fe.config)
    clone.load_state_dict(fe.state_dict())
    wave = torch.randn(2, 700) * 0.2
    assert clone.is_fitted and torch.equal(clone.encode(wave), fe.encode(wave))


def test_logspec_matches_its_pure_twin_and_batches() -> None:
    fe = LogSpectrogram(n_fft=64, hop_length=32, frames=30, griffin_lim_iters=3).fit(
        torch.randn(2, 900)
    )
    waves = torch.randn(2, 3, 900) * 0.5
    x = fe.encode(waves)
    assert x.shape == (2, 3, 1, 32, 30)
    assert torch.allclose(x, log_spectrogram(waves, fe.mean, fe.std, 64, 32, 30), atol=1e-5)
    assert torch.allclose(x[1, 2], fe.encode(waves[1, 2]), atol=1e-5)
    assert torch.allclose(fe.decode(x)[1, 2], fe.decode(x[1, 2]), atol=1e-4)


def test_logspec_round_trip_keeps_a_1khz_tone_at_1khz() -> None:
    wave = tone(1000.0, seconds=1.0)
    fe = LogSpectrogram().fit(torch.stack([wave, torch.randn(16000) * 0.05]))
    decoded = fe.decode(fe.encode(wave))
    assert peak_hz(decoded) == pytest.approx(1000.0, abs=40.0)


def test_logspec_errors() -> None:
    with pytest.raises(ValueError, match="clip_std"):
        LogSpectrogram(clip_std=0.0)
    with pytest.raises(ValueError, match=r"shape \(128,\)"):
        log_spectrogram(torch.zeros(500), torch.zeros(3), torch.ones(3))
    fe = LogSpectrogram(frames=8).fit(torch.randn(1000))
    with pytest.raises(ValueError, match="decode"):
        fe.decode(torch.zeros(1, 129, 8))


# -- output hooks: suffix, save, plot --------------------------------------------------------


def test_both_frontends_meet_the_frontend_protocol() -> None:
    from audiogan.protocols import Frontend

    for fe in (LogMel(**SMALL), LogSpectrogram()):
        assert isinstance(fe, Frontend) and fe.suffix == ".wav"
        assert not hasattr(fe, "kind")  # output code calls the hooks, never a kind string


def test_save_decodes_the_batch_once_and_writes_normalized_wavs(tmp_path, monkeypatch) -> None:
    from audiogan.audio.io import load_audio

    fe = LogMel(frames=16, griffin_lim_iters=4, **SMALL)
    features = fe.encode(torch.stack([tone(500.0, 0.1), tone(2000.0, 0.1, amplitude=0.1)]))
    calls = []
    decode = fe.decode
    monkeypatch.setattr(fe, "decode", lambda x: calls.append(x.shape) or decode(x))
    paths = fe.save(features, [tmp_path / "a.wav", tmp_path / "sub" / "b.wav"])
    assert paths == [tmp_path / "a.wav", tmp_path / "sub" / "b.wav"]
    assert calls == [(2, 1, 32, 16)]  # one batched Griffin-Lim
    for path in paths:
        wave, sr = load_audio(path)
        assert sr == SR and wave.shape == (1, fe.num_samples_for_frames())
        assert wave.abs().max().item() == pytest.approx(0.99, abs=1e-3)
    with pytest.raises(ValueError, match="expected 2 paths"):
        fe.save(features, [tmp_path / "c.wav"])
    with pytest.raises(ValueError, match=r"save: expected features \(batch, channels"):
        fe.save(features[0], [tmp_path / "c.wav"])


def test_plot_draws_one_spectrogram() -> None:
    figure = pytest.importorskip("matplotlib.figure")
    fe = LogSpectrogram(frames=8).fit(torch.randn(2000))
    features = fe.encode(torch.randn(2000))[..., :8]  # (1, 128, 8)
    ax = figure.Figure().subplots()
    fe.plot(features, ax)
    (image,) = ax.get_images()
    assert image.get_array().shape == (128, 8) and image.origin == "lower"
    with pytest.raises(ValueError, match=r"plot: expected one item"):
        fe.plot(features[None], ax)


# -- devices -------------------------------------------------------------------------------


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_frontends_run_on_cuda_like_on_cpu() -> None:
    waves = torch.randn(2, 3000) * 0.3
    mel = LogMel(frames=40, griffin_lim_iters=4, **SMALL)
    spec = LogSpectrogram(n_fft=64, hop_length=32, frames=40, griffin_lim_iters=4).fit(waves)
    for fe in (mel, spec):
        cpu = fe.encode(waves)
        fe.to("cuda")
        gpu = fe.encode(waves.cuda())
        assert gpu.is_cuda and torch.allclose(gpu.cpu(), cpu, atol=1e-4)
        assert fe.decode(gpu).is_cuda
