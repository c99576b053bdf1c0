"""StreamingEncoder: chunks of any size give exactly the frames of the whole signal."""

from __future__ import annotations

import doctest
import itertools

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from audiogan.frontends import LogMel, LogSpectrogram, StreamingEncoder, stream_windows
from audiogan.nn import RecurrentClassifier


def stream_all(encoder: StreamingEncoder, wave: torch.Tensor, cuts: list[int]) -> torch.Tensor:
    """Push ``wave`` cut at the sample indices ``cuts``, then flush; concatenate the frames."""
    bounds = [0, *sorted(cuts), wave.shape[-1]]
    parts = [encoder.push(wave[..., a:b]) for a, b in itertools.pairwise(bounds)]
    return torch.cat([*parts, encoder.flush()], dim=-1)


@st.composite
def streams(draw: st.DrawFn) -> tuple[LogMel, torch.Tensor, list[int]]:
    """A small log-mel frontend, a waveform ``(2, time)`` and random cut points (repeats allowed)."""
    n_fft = draw(st.sampled_from([15, 16, 32, 63, 64]))
    hop = draw(st.integers(1, n_fft))
    length = draw(st.integers(n_fft // 2 + 1, 600))
    cuts = draw(st.lists(st.integers(0, length), max_size=12))
    seed = draw(st.integers(0, 2**16))
    wave = torch.randn(2, length, generator=torch.Generator().manual_seed(seed)) * 0.3
    return LogMel(sample_rate=8000, n_fft=n_fft, hop_length=hop, n_mels=4), wave, cuts


@settings(max_examples=60, deadline=None)
@given(streams())
def test_chunks_of_any_sizes_give_the_whole_signals_frames(
    case: tuple[LogMel, torch.Tensor, list[int]],
) -> None:
    frontend, wave, cuts = case
    whole = frontend.encode(wave)  # (2, 1, n_mels, frames)
    encoder = StreamingEncoder(frontend)
    frames = stream_all(encoder, wave, cuts)
    assert frames.shape == whole.shape
    torch.testing.assert_close(frames, whole)
    assert encoder.frames_out == 0 and encoder.samples_in == 0  # flush ended the stream


@pytest.mark.parametrize("n_fft, hop", [(64, 16), (63, 20), (32, 32), (16, 40)])
def test_each_frame_comes_as_soon_as_its_window_has_arrived(n_fft: int, hop: int) -> None:
    """Sample by sample: frame j comes with sample j * hop + n_fft - n_fft // 2 - 1 (frame 0 with
    sample n_fft // 2 at the earliest: the reflect padding at the start needs it)."""
    frontend = LogMel(sample_rate=8000, n_fft=n_fft, hop_length=hop, n_mels=4)
    wave = torch.randn(400)
    whole = frontend.encode(wave)  # (1, n_mels, frames)
    encoder = StreamingEncoder(frontend)
    arrived = {}  # frame index -> index of the sample that completed it
    for i in range(len(wave)):
        before = encoder.frames_out
        frames = encoder.push(wave[i : i + 1])
        assert frames.shape[-1] == encoder.frames_out - before
        torch.testing.assert_close(frames, whole[..., before : encoder.frames_out])
        arrived |= dict.fromkeys(range(before, encoder.frames_out), i)
    right = n_fft - n_fft // 2
    assert arrived == {
        j: max(j * hop + right - 1, n_fft // 2 if j == 0 else 0) for j in range(len(arrived))
    }
    assert len(arrived) + encoder.flush().shape[-1] == whole.shape[-1]


def test_keeps_only_the_samples_later_frames_need() -> None:
    frontend = LogMel(sample_rate=8000, n_fft=64, hop_length=16, n_mels=4)
    encoder = StreamingEncoder(frontend)
    for _ in range(200):
        encoder.push(torch.randn(3, 50))
    assert encoder.samples_in == 10_000
    # the context of the next frame's window, plus at most one chunk and one hop not yet framed
    assert encoder._buffer.shape[-1] <= 64 + 16 + 50 + 16


def test_log_spectrogram_frontend_streams_too() -> None:
    frontend = LogSpectrogram(n_fft=64, hop_length=24).fit(torch.randn(4, 1000))
    wave = torch.randn(1000)
    frames = stream_all(StreamingEncoder(frontend), wave, [7, 300, 301, 999])
    torch.testing.assert_close(frames, frontend.encode(wave))


def test_empty_chunks() -> None:
    frontend = LogMel(sample_rate=8000, n_fft=64, hop_length=16, n_mels=4)
    encoder = StreamingEncoder(frontend)
    empty = encoder.push(torch.zeros(2, 3, 0))  # the very first chunk may be empty
    assert empty.shape == (2, 3, 1, 4, 0) and empty.dtype == torch.float32
    wave = torch.randn(2, 3, 500)
    parts = [encoder.push(wave[..., :100]), encoder.push(wave[..., 100:100])]
    assert parts[-1].shape == (2, 3, 1, 4, 0)  # nothing new, with the features' shape
    parts += [encoder.push(wave[..., 100:]), encoder.push(wave[..., :0]), encoder.flush()]
    torch.testing.assert_close(torch.cat(parts, dim=-1), frontend.encode(wave))


def test_float64_frontend_gives_float64_frames_even_when_empty() -> None:
    frontend = LogMel(sample_rate=8000, n_fft=64, hop_length=16, n_mels=4).double()
    encoder = StreamingEncoder(frontend)
    assert encoder.push(torch.zeros(10)).dtype == torch.float64
    assert encoder.push(torch.randn(100)).dtype == torch.float64


def test_reset_starts_a_new_stream() -> None:
    frontend = LogMel(sample_rate=8000, n_fft=64, hop_length=16, n_mels=4)
    encoder = StreamingEncoder(frontend)
    encoder.push(torch.randn(2, 333))
    assert encoder.frames_out > 0 and encoder.samples_in == 333
    encoder.reset()
    assert encoder.frames_out == 0 and encoder.samples_in == 0
    wave = torch.randn(400, dtype=torch.float64)  # another leading shape and dtype: a new stream
    frames = stream_all(encoder, wave, [150])
    torch.testing.assert_close(frames, frontend.encode(wave))


def test_frame_times() -> None:
    frontend = LogMel(sample_rate=8000, n_fft=64, hop_length=40, n_mels=4)
    encoder = StreamingEncoder(frontend)
    assert encoder.frame_times().shape == (0,)
    frames = encoder.push(torch.randn(1000))  # (1, 4, k)
    times = encoder.frame_times()
    assert times.dtype == torch.float64 and times.shape == (encoder.frames_out,)
    torch.testing.assert_close(times, torch.arange(frames.shape[-1], dtype=torch.float64) * 0.005)
    assert encoder.frame_times(5, 6).tolist() == [5 * 40 / 8000.0]  # beyond the frames out too
    assert encoder.frame_times(100, 102).tolist() == [0.5, 0.505]
    with pytest.raises(ValueError, match="start <= stop"):
        encoder.frame_times(3, 2)
    with pytest.raises(ValueError, match="start <= stop"):
        encoder.frame_times(-1)


def test_frontend_with_fixed_frames_streams_all_frames() -> None:
    frontend = LogMel(sample_rate=8000, n_fft=64, hop_length=16, n_mels=4, frames=8)
    wave = torch.randn(1000)
    frames = stream_all(StreamingEncoder(frontend), wave, [500])
    assert frames.shape[-1] == 1 + 1000 // 16 and frontend.frames == 8  # the frontend untouched
    torch.testing.assert_close(frames[..., :8], frontend.encode(wave))


def test_feeds_the_recurrent_classifier_step_by_step() -> None:
    """What the recurrent event classifier does live: stream frames into ``step``."""
    frontend = LogMel(sample_rate=8000, n_fft=64, hop_length=16, n_mels=6)
    model = RecurrentClassifier(6, 3, hidden_size=5, num_layers=1).eval()
    wave = torch.randn(1, 700)
    encoder, state = StreamingEncoder(frontend), None
    with torch.no_grad():
        for start in range(0, 700, 90):
            frames = encoder.push(wave[:, start : start + 90])  # (1, 1, 6, k)
            if frames.shape[-1]:
                logits, state = model.step(frames, state)
        logits, state = model.step(encoder.flush(), state)
        torch.testing.assert_close(logits, model(frontend.encode(wave)))


@pytest.mark.parametrize(
    "shape, chunk, window, min_frames",
    [((700,), 90, 10, None), ((2, 700), 33, 7, 1), ((2, 700), 700, 44, 44)],
)
def test_stream_windows_give_the_models_logits_of_each_window(
    shape: tuple[int, ...], chunk: int, window: int, min_frames: int | None
) -> None:
    """Each window's logits are the model's on that window's frames of the whole signal."""
    frontend = LogMel(sample_rate=8000, n_fft=64, hop_length=16, n_mels=6)
    model = RecurrentClassifier(6, 3, hidden_size=5, num_layers=2, dropout=0.5).eval()
    wave = torch.randn(*shape)
    whole = frontend.encode(wave)  # (..., n_mels, frames): 44 frames
    chunks = (wave[..., i : i + chunk] for i in range(0, shape[-1], chunk))
    windows = list(stream_windows(model, frontend, chunks, window, min_frames))
    starts = range(0, whole.shape[-1], window)
    kept = [s for s in starts if whole.shape[-1] - s >= (min_frames or window // 2)]
    assert [start for start, _ in windows] == [s * 16 / 8000 for s in kept]
    with torch.no_grad():
        for s, (_, logits) in zip(kept, windows, strict=True):
            expected = model(whole[..., s : s + window])
            assert logits.shape == (1 if len(shape) == 1 else shape[0], 3)
            torch.testing.assert_close(logits, expected.reshape(logits.shape))


def test_stream_windows_refuses_wrong_windows() -> None:
    frontend = LogMel(sample_rate=8000, n_fft=64, hop_length=16, n_mels=6)
    model = RecurrentClassifier(6, 3, hidden_size=5, num_layers=1).eval()
    for window, min_frames in ((0, None), (10, 0), (10, 11)):
        with pytest.raises(ValueError, match="window >= 1 and 1 <= min_frames <= window"):
            next(stream_windows(model, frontend, [torch.zeros(100)], window, min_frames))


def test_wrong_chunks_are_refused() -> None:
    encoder = StreamingEncoder(LogMel(sample_rate=8000, n_fft=64, hop_length=16, n_mels=4))
    with pytest.raises(ValueError, match=r"\(\.\.\., chunk_samples\), got \(\)"):
        encoder.push(torch.tensor(0.5))
    with pytest.raises(ValueError, match="got list"):
        encoder.push([0.1, 0.2])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="floating chunk, got torch.int16"):
        encoder.push(torch.zeros(100, dtype=torch.int16))
    encoder.push(torch.zeros(2, 100))
    with pytest.raises(ValueError, match=r"expected a chunk \(2, chunk_samples\).*got \(3, 100\)"):
        encoder.push(torch.zeros(3, 100))
    with pytest.raises(ValueError, match=r"expected a chunk \(2, chunk_samples\).*got \(100,\)"):
        encoder.push(torch.zeros(100))
    with pytest.raises(ValueError, match="torch.float32 chunk on cpu.*got torch.float64"):
        encoder.push(torch.zeros(2, 100, dtype=torch.float64))
    assert encoder.samples_in == 100  # the refused chunks left the stream as it was


def test_flush_of_a_too_short_stream_is_refused() -> None:
    frontend = LogMel(sample_rate=8000, n_fft=64, hop_length=16, n_mels=4)
    encoder = StreamingEncoder(frontend)
    with pytest.raises(ValueError, match="has 0 samples.*at least 33"):
        encoder.flush()
    encoder.push(torch.zeros(32))
    with pytest.raises(ValueError, match="has 32 samples"):
        encoder.flush()
    with pytest.raises(ValueError, match="at least 33 samples"):  # nor can the frontend encode it
        frontend.encode(torch.zeros(32))
    frames = torch.cat(
        [encoder.push(torch.zeros(1)), encoder.flush()], dim=-1
    )  # frame 0, then 1, 2
    assert frames.shape == frontend.encode(torch.zeros(33)).shape == (1, 4, 3)


def test_wrong_frontends_are_refused() -> None:
    with pytest.raises(TypeError, match="lacks hop_length, encode"):
        StreamingEncoder(type("NoStft", (), {"sample_rate": 8000, "n_fft": 64})())
    frontend = LogMel(sample_rate=8000, n_fft=64, hop_length=16, n_mels=4)
    frontend.hop_length = 0
    with pytest.raises(ValueError, match="hop_length must be a positive integer, got 0"):
        StreamingEncoder(frontend)
    frontend.hop_length = 16.0
    with pytest.raises(ValueError, match="hop_length must be a positive integer, got 16.0"):
        StreamingEncoder(frontend)


def test_docstring_example_runs() -> None:
    from audiogan.frontends import streaming

    result = doctest.testmod(streaming, verbose=False)
    assert result.attempted > 0 and result.failed == 0
