"""Encode a live audio stream chunk by chunk into exactly the frames of the whole signal.

A microphone callback delivers a stream in chunks of any size; a streaming model such as
:meth:`audiogan.nn.RecurrentClassifier.step` wants feature frames as soon as they can be known.
:class:`StreamingEncoder` sits between them: it wraps a centred-STFT frontend (such as
:class:`~audiogan.frontends.LogMel` or :class:`~audiogan.frontends.LogSpectrogram`) and turns
chunks ``(..., chunk_samples)`` into frames ``(..., *feature_dims, k)``. Concatenated along the
last axis, the frames of all chunks and of the final :meth:`StreamingEncoder.flush` are the
frames ``frontend.encode`` gives the whole signal.

The maths: a centred STFT (``center=True``, reflect padding) centres frame ``j`` on sample
``j * hop_length``; its window reaches ``n_fft // 2`` samples to the left and
``n_fft - n_fft // 2`` to the right. Frame ``j`` is emitted once its window's last sample has
arrived (the first frames, whose windows reach before the start, use the same reflect padding
as the whole signal: the stream's start is known). The last frames, whose windows reach past
the end, are only known once the stream has ended: :meth:`StreamingEncoder.flush` computes them
with the whole signal's reflect padding at the end. The encoder keeps only the samples that
frames not emitted yet still need, starting on a multiple of the hop so its frames line up
with the whole signal's.

:func:`stream_windows` puts the two together for live detection: a streaming classifier reads
the frames of each fixed window as they come, and each window's logits are known as soon as its
last frame is.
"""

from __future__ import annotations

import copy
import operator
from collections.abc import Iterable, Iterator
from typing import Any

import torch


class StreamingEncoder:
    """Turn audio chunks of any size into the frames ``frontend.encode`` gives the whole signal.

    Feed the chunks in order with :meth:`push`; each call returns the frames that became
    complete. At the end of the stream :meth:`flush` returns the last frames. The frontend must
    compute each frame from its own STFT window only (true of the log-mel and log-spectrogram
    frontends; not of one that normalizes over the whole signal). A frontend with a fixed
    ``frames`` count is copied with ``frames=None``: a stream has as many frames as it is long.

    Frame ``j`` is centred on sample ``j * hop_length``, at ``j * hop_length / sample_rate``
    seconds (:meth:`frame_times`), and is emitted once sample
    ``j * hop_length + n_fft - n_fft // 2 - 1`` has arrived (frame 0 needs sample ``n_fft // 2``
    too, for the reflect padding at the start).

    Args:
        frontend: A centred-STFT frontend: anything with ``sample_rate``, ``n_fft``,
            ``hop_length`` and ``encode((..., time)) -> (..., *feature_dims, frames)``, such as
            :class:`~audiogan.frontends.LogMel`.

    Attributes:
        frontend: The frontend that encodes the buffered samples.
        samples_in: Samples received in this stream so far.
        frames_out: Frames returned in this stream so far: the index of the next frame.

    Raises:
        TypeError: If ``frontend`` lacks one of those attributes.
        ValueError: If ``sample_rate``, ``n_fft`` or ``hop_length`` is not a positive integer.

    Example:
        >>> from audiogan.frontends import LogMel
        >>> frontend = LogMel(n_mels=16, n_fft=512, hop_length=128)
        >>> stream = StreamingEncoder(frontend)
        >>> wave = torch.randn(2, 4000) * 0.1  # (channels, time)
        >>> parts = [stream.push(wave[:, i : i + 300]) for i in range(0, 4000, 300)]
        >>> frames = torch.cat([*parts, stream.flush()], dim=-1)  # (2, 1, 16, frames)
        >>> torch.allclose(frames, frontend.encode(wave), atol=1e-5)
        True
    """

    def __init__(self, frontend: Any) -> None:
        missing = [
            name
            for name in ("sample_rate", "n_fft", "hop_length", "encode")
            if not hasattr(frontend, name)
        ]
        if missing or not callable(frontend.encode):
            raise TypeError(
                "StreamingEncoder: expected a frontend with sample_rate, n_fft, hop_length and "
                f"encode; {type(frontend).__name__} lacks {', '.join(missing) or 'a callable encode'}"
            )
        for name in ("sample_rate", "n_fft", "hop_length"):
            value = getattr(frontend, name)
            if isinstance(value, bool) or not _is_int(value) or value < 1:
                raise ValueError(
                    f"StreamingEncoder: frontend.{name} must be a positive integer, got {value!r}"
                )
        if getattr(frontend, "frames", None) is not None:
            # A fixed frame count would pad or trim every encoded buffer: use a copy without it.
            frontend = copy.deepcopy(frontend)
            frontend.frames = None
            if isinstance(getattr(frontend, "config", None), dict):
                frontend.config = {**frontend.config, "frames": None}
        self.frontend = frontend
        self.sample_rate = operator.index(frontend.sample_rate)
        self.n_fft = operator.index(frontend.n_fft)
        self.hop_length = operator.index(frontend.hop_length)
        self._left = self.n_fft // 2  # samples a window reaches left of its centre
        self._right = self.n_fft - self._left  # ... and right of it, the centre included
        # Frames of context kept before the next frame, so that the first frame taken from an
        # encoded buffer has its window (and any reflect padding at the end) inside the buffer.
        self._lead = self._left // self.hop_length + 1
        self.reset()

    def reset(self) -> None:
        """Forget the stream: the next :meth:`push` starts a new one (any leading shape, dtype)."""
        self._buffer: torch.Tensor | None = None  # (..., n): samples from self._start on
        self._start = 0  # index in the stream of the buffer's first sample (a multiple of the hop)
        # (..., *feature_dims, 0): what "no frames" looks like, known after the first frames
        self._empty: torch.Tensor | None = None
        self.samples_in = 0
        self.frames_out = 0

    def push(self, chunk: torch.Tensor) -> torch.Tensor:
        """Take the next chunk of the stream; return the frames it completes.

        Args:
            chunk: The next samples ``(..., chunk_samples)``, floating; any ``chunk_samples``,
                zero included. The leading dims, dtype and device of the stream's first chunk
                are those of all its chunks.

        Returns:
            The new frames ``(..., *feature_dims, k)``, e.g. ``(..., 1, n_mels, k)`` for a
            log-mel frontend; ``k`` may be 0. Their indices in the stream are
            ``frames_out - k`` ... ``frames_out - 1``.

        Raises:
            ValueError: If ``chunk`` is not a floating ``(..., chunk_samples)`` tensor, or its
                leading dims, dtype or device differ from the stream's first chunk.
        """
        self._append(chunk)
        # The last frame whose window (and, for frame 0, the reflect padding at the start,
        # samples 1 ... n_fft // 2) has fully arrived.
        last = (self.samples_in - self._right) // self.hop_length
        if last == 0 and self.samples_in <= self._left:
            last = -1
        return self._emit(last)

    def flush(self) -> torch.Tensor:
        """End the stream: return its last frames, whose windows reach past its end, and reset.

        Returns:
            The remaining frames ``(..., *feature_dims, k)``, computed with the reflect padding
            at the end of the whole signal.

        Raises:
            ValueError: If the stream holds ``n_fft // 2`` samples or fewer (the frontend cannot
                encode so short a signal either).
        """
        if self.samples_in <= self._left:
            raise ValueError(
                f"StreamingEncoder.flush: the stream has {self.samples_in} samples; a centred "
                f"STFT with n_fft={self.n_fft} needs at least {self._left + 1}"
            )
        # The whole signal's frame count is 1 + (samples + 2 * (n_fft // 2) - n_fft) // hop.
        last = (self.samples_in + self._left - self._right) // self.hop_length
        frames = self._emit(last)
        self.reset()
        return frames

    def frame_times(self, start: int = 0, stop: int | None = None) -> torch.Tensor:
        """Times in seconds of the centres of frames ``start`` ... ``stop - 1`` of the stream.

        Args:
            start: Index of the first frame (0 is the stream's first frame).
            stop: One past the last frame; default :attr:`frames_out`, the frames returned so far.

        Returns:
            ``(stop - start,)`` float64 times: ``index * hop_length / sample_rate``.

        Raises:
            ValueError: If ``start < 0`` or ``stop < start``.
        """
        stop = self.frames_out if stop is None else stop
        if start < 0 or stop < start:
            raise ValueError(
                f"StreamingEncoder.frame_times: expected 0 <= start <= stop, got start={start}, stop={stop}"
            )
        index = torch.arange(start, stop, dtype=torch.float64)
        return index * (self.hop_length / self.sample_rate)

    def __repr__(self) -> str:
        return (
            f"StreamingEncoder({self.frontend!r}, samples_in={self.samples_in}, "
            f"frames_out={self.frames_out})"
        )

    def _append(self, chunk: torch.Tensor) -> None:
        """Check ``chunk`` against the stream and append it to the buffer."""
        if not isinstance(chunk, torch.Tensor) or chunk.dim() < 1:
            got = tuple(chunk.shape) if isinstance(chunk, torch.Tensor) else type(chunk).__name__
            raise ValueError(
                f"StreamingEncoder.push: expected a chunk (..., chunk_samples), got {got}"
            )
        if not chunk.is_floating_point():
            raise ValueError(f"StreamingEncoder.push: expected a floating chunk, got {chunk.dtype}")
        if self._buffer is None:
            self._buffer = chunk[..., :0]
        buffer = self._buffer
        if chunk.shape[:-1] != buffer.shape[:-1]:
            raise ValueError(
                f"StreamingEncoder.push: expected a chunk ({', '.join(map(str, buffer.shape[:-1]))}"
                f"{', ' if buffer.dim() > 1 else ''}chunk_samples) like the stream's first, got "
                f"{tuple(chunk.shape)}; call reset() to start another stream"
            )
        if chunk.dtype != buffer.dtype or chunk.device != buffer.device:
            raise ValueError(
                f"StreamingEncoder.push: expected a {buffer.dtype} chunk on {buffer.device} like "
                f"the stream's first, got {chunk.dtype} on {chunk.device}; call reset() to start "
                "another stream"
            )
        self._buffer = torch.cat([buffer, chunk], dim=-1)  # (..., n)
        self.samples_in += chunk.shape[-1]

    def _emit(self, last: int) -> torch.Tensor:
        """Return frames ``frames_out`` ... ``last`` and drop the samples no later frame needs."""
        first = self.frames_out
        if last < first:
            return self._no_frames()
        offset = self._start // self.hop_length  # the buffer's frame 0 is the stream's frame offset
        encoded = self.frontend.encode(self._buffer)  # (..., *feature_dims, buffer frames)
        frames = encoded[..., first - offset : last + 1 - offset]  # (..., *feature_dims, k)
        if self._empty is None:
            self._empty = frames.new_empty((*frames.shape[:-1], 0))
        self.frames_out = last + 1
        start = max(0, self.frames_out - self._lead) * self.hop_length
        self._buffer = self._buffer[..., start - self._start :]
        self._start = start
        return frames

    def _no_frames(self) -> torch.Tensor:
        """``(..., *feature_dims, 0)``: the frontend's output for no frames, probed once a stream."""
        if self._empty is None:
            assert self._buffer is not None
            probe = self._buffer.new_zeros(*self._buffer.shape[:-1], self.n_fft)
            encoded = self.frontend.encode(probe)  # (..., *feature_dims, frames)
            self._empty = encoded.new_empty((*encoded.shape[:-1], 0))
        return self._empty


@torch.no_grad()
def stream_windows(
    model: Any,
    frontend: Any,
    chunks: Iterable[torch.Tensor],
    window: int,
    min_frames: int | None = None,
) -> Iterator[tuple[float, torch.Tensor]]:
    """Classify a stream window by window as its chunks arrive.

    The chunks go through a :class:`StreamingEncoder`; ``model.step`` reads the frames of each
    window of ``window`` frames as they come (its state restarts at every window), and each
    window's logits are yielded as soon as its last frame is known. When the chunks end, the
    last, partial window is yielded too if it holds ``min_frames`` frames or more. The logits
    of a window are those of ``model`` on that window's frames of the whole signal.

    Args:
        model: A streaming classifier: ``step(frames (batch, [1,] num_features, k), state) ->
            (logits (batch, num_classes), state)`` with ``state=None`` to start, such as
            :class:`~audiogan.nn.RecurrentClassifier` (in eval mode).
        frontend: A centred-STFT frontend, as for :class:`StreamingEncoder`.
        chunks: The stream's samples in order, each ``(chunk_samples,)`` or ``(batch,
            chunk_samples)``; a generator that waits for a microphone's next block will do.
        window: Frames per window, e.g. those of one training clip.
        min_frames: Frames the last, partial window needs to be yielded (default: half a
            window).

    Yields:
        ``(start, logits)``: the time of the window's first frame in seconds
        (:meth:`StreamingEncoder.frame_times`) and its logits ``(batch, num_classes)`` (batch
        1 for chunks ``(chunk_samples,)``).

    Raises:
        ValueError: If ``window < 1`` or ``min_frames`` is not in ``[1, window]``, or as
            :meth:`StreamingEncoder.push` and :meth:`StreamingEncoder.flush` raise.

    Example:
        >>> from audiogan.frontends import LogMel
        >>> from audiogan.nn import RecurrentClassifier
        >>> frontend = LogMel(n_mels=16, n_fft=512, hop_length=128)
        >>> model = RecurrentClassifier(num_features=16, num_classes=3).eval()
        >>> wave = torch.randn(16000) * 0.1  # 1 s at 16 kHz, as 10 chunks
        >>> chunks = (wave[i : i + 1600] for i in range(0, 16000, 1600))
        >>> windows = stream_windows(model, frontend, chunks, window=50)  # 126 frames
        >>> [(start, tuple(logits.shape)) for start, logits in windows]
        [(0.0, (1, 3)), (0.4, (1, 3)), (0.8, (1, 3))]
    """
    min_frames = max(1, window // 2) if min_frames is None else min_frames
    if window < 1 or not 1 <= min_frames <= window:
        raise ValueError(
            f"stream_windows: expected window >= 1 and 1 <= min_frames <= window, got "
            f"window={window}, min_frames={min_frames}"
        )
    encoder = StreamingEncoder(frontend)
    state, logits, seen, first = None, None, 0, 0  # the current window: frames seen, first frame
    for frames in _frames(encoder, chunks):  # (..., num_features, k)
        while frames.shape[-1] > 0:
            take = min(frames.shape[-1], window - seen)
            logits, state = model.step(frames[..., :take], state)  # (batch, num_classes)
            frames, seen = frames[..., take:], seen + take
            if seen == window:
                yield float(encoder.frame_times(first, first + 1)[0]), logits
                state, seen, first = None, 0, first + window
    if seen >= min_frames:
        yield float(encoder.frame_times(first, first + 1)[0]), logits


def _frames(encoder: StreamingEncoder, chunks: Iterable[torch.Tensor]) -> Iterator[torch.Tensor]:
    """The frames of each chunk as it comes, then those of the stream's end."""
    for chunk in chunks:
        yield encoder.push(chunk)
    yield encoder.flush()


def _is_int(value: Any) -> bool:
    """Whether ``value`` is an integer (Python, NumPy or a 0-dim integer tensor)."""
    try:
        operator.index(value)
    except TypeError:
        return False
    return True
