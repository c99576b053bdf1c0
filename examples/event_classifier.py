"""Classify sound events with a recurrent network, then detect them live in a stream.

1. Data: clips listed in a CSV of ``file,label`` rows (AnnotatedAudio), turned into log-mel
   spectrograms once (FeatureCache). Built in: synthetic sounds of five classes written as wav
   files plus such a CSV into OUT/data; or your own with ``--csv`` and ``--audio-dir``.
2. Model: a recurrent classifier reads the spectrogram frame by frame (a GRU by default; the
   original recurrent event classifier used a plain tanh RNN: ``--cell rnn``), averages its
   outputs over time and predicts the class. It is trained on most clips, its accuracy reported
   on the held-out rest, and it is saved to OUT/classifier.pt; a later run with the same OUT
   loads it instead of training.
3. Live detection: a long recording (built in: synthetic clips of different classes one after
   another; or ``--recording FILE``) is fed in small chunks, as a microphone callback would
   deliver them. Each chunk becomes log-mel frames that line up with those of the whole signal,
   the classifier's streaming ``step`` carries its state from chunk to chunk, and every window of
   one clip's length gives a detection, printed with its time.

Run it on a 2-core CPU in well under a minute::

    python examples/event_classifier.py --out runs/events
    python examples/event_classifier.py --csv labels.csv --audio-dir clips/ --recording street.wav --out runs/mine
"""

from __future__ import annotations

import argparse
import csv
from collections.abc import Sequence
from pathlib import Path

import torch
from torch.utils.data import DataLoader, Subset

from audiogan.audio import load_audio, mix_down, resample, save_audio
from audiogan.data import AnnotatedAudio, FeatureCache, SyntheticSounds, write_annotated_csv
from audiogan.frontends import LogMel, StreamingEncoder
from audiogan.metrics.classifier_training import (
    evaluate_classifier,
    load_classifier,
    train_classifier,
)
from audiogan.nn import RecurrentClassifier


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("runs/event_classifier"),
        help="output folder: data, feature cache, classifier, detections (default: %(default)s)",
    )
    data = parser.add_argument_group("data")
    data.add_argument(
        "--csv",
        type=Path,
        default=None,
        help="your annotations: a CSV of file,label rows (default: built-in synthetic clips)",
    )
    data.add_argument(
        "--audio-dir", type=Path, default=None, help="folder the CSV's file names are relative to"
    )
    data.add_argument(
        "--n-per-class",
        type=int,
        default=20,
        help="built-in clips per class (default: %(default)s)",
    )
    data.add_argument("--sample-rate", type=int, default=16000, help="(default: %(default)s)")
    data.add_argument(
        "--clip-samples",
        type=int,
        default=16000,
        help="every clip is cut or padded to this many samples (default: %(default)s = 1 s)",
    )
    data.add_argument("--n-fft", type=int, default=1024, help="(default: %(default)s)")
    data.add_argument("--hop-length", type=int, default=256, help="(default: %(default)s)")
    data.add_argument("--n-mels", type=int, default=40, help="(default: %(default)s)")
    data.add_argument(
        "--test-fraction",
        type=float,
        default=0.2,
        help="share of the clips held out for the accuracy (default: %(default)s)",
    )
    model = parser.add_argument_group("model and training")
    model.add_argument(
        "--cell", default="gru", choices=["rnn", "gru", "lstm"], help="(default: %(default)s)"
    )
    model.add_argument("--hidden-size", type=int, default=64, help="(default: %(default)s)")
    model.add_argument("--num-layers", type=int, default=2, help="(default: %(default)s)")
    model.add_argument("--dropout", type=float, default=0.1, help="(default: %(default)s)")
    model.add_argument("--epochs", type=int, default=15, help="(default: %(default)s)")
    model.add_argument(
        "--lr", type=float, default=1e-3, help="Adam learning rate (default: %(default)s)"
    )
    model.add_argument("--batch-size", type=int, default=16, help="(default: %(default)s)")
    model.add_argument(
        "--retrain", action="store_true", help="train again even if OUT/classifier.pt exists"
    )
    model.add_argument("--device", default="cpu", help="where to train (default: %(default)s)")
    model.add_argument("--seed", type=int, default=0, help="(default: %(default)s)")
    stream = parser.add_argument_group("streaming detection")
    stream.add_argument(
        "--recording",
        type=Path,
        default=None,
        help="a long audio file to run detection over (default: built-in synthetic recording)",
    )
    stream.add_argument(
        "--recording-clips",
        type=int,
        default=10,
        help="built-in recording: how many one-clip events it strings together (default: %(default)s)",
    )
    stream.add_argument(
        "--chunk",
        type=int,
        default=1024,
        help="samples per chunk, as a microphone callback delivers them (default: %(default)s)",
    )
    stream.add_argument(
        "--threshold",
        type=float,
        default=0.5,
        help="windows whose best class has a lower probability are reported as uncertain "
        "(default: %(default)s)",
    )
    return parser


def built_in_recording(
    args: argparse.Namespace, segment_samples: int
) -> tuple[torch.Tensor, list[str]]:
    """Synthetic clips of shuffled classes, one after another: ``(time,)`` and each clip's class.

    The clips are new (another seed than the training data) and each lasts one detection window.
    """
    sounds = SyntheticSounds(
        n_per_class=-(-args.recording_clips // 5),
        sample_rate=args.sample_rate,
        num_samples=segment_samples,
        seed=args.seed + 1,
    )
    order = torch.randperm(len(sounds), generator=torch.Generator().manual_seed(args.seed))[
        : args.recording_clips
    ]
    wave = torch.cat([sounds.waveform(int(i))[0] for i in order])
    truth = [sounds.classes[sounds.labels[int(i)]] for i in order]
    return wave, truth


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    if (args.csv is None) != (args.audio_dir is None):
        raise SystemExit("give both --csv and --audio-dir, or neither (built-in data)")
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(args.seed)

    # 1. Data. The built-in set is written once in the original recurrent event classifier's
    #    layout: OUT/data/audio/00000.wav ... and OUT/data/annotations.csv with "file,label" rows.
    csv_path, audio_dir = args.csv, args.audio_dir
    if csv_path is None:
        csv_path, audio_dir = out / "data" / "annotations.csv", out / "data" / "audio"
        if not csv_path.is_file():
            print(f"writing {5 * args.n_per_class} synthetic clips and {csv_path} ...")
            write_annotated_csv(
                csv_path,
                audio_dir,
                n_per_class=args.n_per_class,
                sample_rate=args.sample_rate,
                num_samples=args.clip_samples,
                seed=args.seed,
                string_labels=True,
            )
    clips = AnnotatedAudio(
        csv_path, audio_dir, sample_rate=args.sample_rate, num_samples=args.clip_samples
    )
    frontend = LogMel(
        sample_rate=args.sample_rate,
        n_fft=args.n_fft,
        hop_length=args.hop_length,
        n_mels=args.n_mels,
    )
    features = FeatureCache(
        clips, frontend, out / "cache"
    )  # ((1, n_mels, frames), label), computed once
    classes = list(clips.classes)
    window_frames = features.feature_shape[-1]  # frames of one clip: the detection window
    print(
        f"{len(features)} clips of {len(classes)} classes {classes}, log-mels {features.feature_shape}"
    )

    # Held-out clips: a seeded shuffle, the last --test-fraction of it.
    order = torch.randperm(
        len(features), generator=torch.Generator().manual_seed(args.seed)
    ).tolist()
    n_test = max(1, round(len(order) * args.test_fraction))
    train_set, test_set = Subset(features, order[:-n_test]), Subset(features, order[-n_test:])

    # 2. The classifier: trained once, saved, loaded by later runs.
    model_path = out / "classifier.pt"
    if model_path.is_file() and not args.retrain:
        model = load_classifier(model_path)
        print(f"loaded the classifier trained earlier from {model_path} (--retrain to train again)")
        if model.n_features != args.n_mels or model.num_classes != len(classes):
            raise SystemExit(f"{model_path} was trained on other data or --n-mels; pass --retrain")
    else:
        model = RecurrentClassifier(
            n_features=args.n_mels,
            num_classes=len(classes),
            hidden_size=args.hidden_size,
            num_layers=args.num_layers,
            cell=args.cell,
            dropout=args.dropout,
            pooling="mean",
        )
        print(
            f"training a {args.cell.upper()} classifier on {len(train_set)} clips for {args.epochs} epochs ..."
        )
        model, history = train_classifier(
            model,
            train_set,
            epochs=args.epochs,
            lr=args.lr,
            device=args.device,
            val_fraction=0.0,
            path=model_path,
            batch_size=args.batch_size,
            seed=args.seed,
            class_names=classes,
        )
        print(f"training accuracy {history['train_accuracy'][-1]:.3f}; saved to {model_path}")
    model = model.to("cpu").eval()
    _, accuracy = evaluate_classifier(model, DataLoader(test_set, batch_size=args.batch_size))
    print(f"held-out accuracy: {accuracy:.3f} on {len(test_set)} clips")

    # 3. Live detection over a long recording, chunk by chunk.
    segment_samples = window_frames * args.hop_length  # one window of frames, in samples
    if args.recording is not None:
        wave, sr = load_audio(args.recording)  # (channels, time)
        wave = resample(mix_down(wave), sr, args.sample_rate)[0]  # (time,) mono at our rate
        truth = None
    else:
        wave, truth = built_in_recording(args, segment_samples)
        save_audio(out / "recording.wav", wave[None], args.sample_rate)
        print(f"built-in recording: {out / 'recording.wav'}, {len(wave) / args.sample_rate:.1f} s")
    window_seconds = segment_samples / args.sample_rate
    print(
        f"streaming in chunks of {args.chunk} samples; one detection per {window_seconds:.2f} s window:"
    )

    encoder = StreamingEncoder(frontend)  # chunks -> the log-mel frames of the whole recording
    detections: list[dict[str, object]] = []
    state = None  # the classifier's stream state: RNN hidden state and running mean of outputs
    in_window = 0  # frames of the current window seen so far
    logits = torch.zeros(1, len(classes))  # the classifier's latest output

    def report(window_logits: torch.Tensor) -> None:
        """Print and keep the detection of the window that just ended."""
        probs = torch.softmax(window_logits[0], dim=0)
        p, c = float(probs.max()), int(probs.argmax())
        n = len(detections)
        first = n * window_frames  # the window's first frame; its centre is the window's start
        start = float(encoder.frame_times(first, first + 1)[0])
        row = {
            "start_s": round(start, 3),
            "end_s": round(start + window_seconds, 3),
            "class": classes[c] if p >= args.threshold else "uncertain",
            "probability": round(p, 3),
        }
        if truth is not None and n < len(truth):
            row["played"] = truth[n]
        detections.append(row)
        played = f"   (played: {row['played']})" if "played" in row else ""
        print(
            f"  {row['start_s']:7.2f} s - {row['end_s']:7.2f} s   {row['class']:<15} p={p:.2f}{played}"
        )

    @torch.no_grad()
    def feed(frames: torch.Tensor) -> None:
        """Run the classifier over new frames ``(1, n_mels, k)``, a detection per full window."""
        nonlocal state, in_window, logits
        while frames.shape[-1] > 0:
            take = min(frames.shape[-1], window_frames - in_window)
            logits, state = model.step(frames[..., :take], state)  # (1, num_classes), carried state
            frames, in_window = frames[..., take:], in_window + take
            if in_window == window_frames:  # a window is complete: report it, start the next
                report(logits)
                state, in_window = None, 0

    # What a microphone callback would do with each block of samples it receives. With the
    # sounddevice package, for example:
    #   InputStream(callback=lambda data, *_: on_audio(torch.from_numpy(data[:, 0].copy())))
    def on_audio(chunk: torch.Tensor) -> None:
        feed(encoder.push(chunk))  # (1, n_mels, k) new frames, k may be 0

    for start in range(0, len(wave), args.chunk):
        on_audio(wave[start : start + args.chunk])
    feed(encoder.flush())  # the recording ended: its last frames, padded at its end like encode's
    if in_window >= window_frames // 2:  # the recording ended in a window: report it if half full
        report(logits)

    with open(out / "detections.csv", "w", newline="") as f:
        writer = csv.DictWriter(
            f, fieldnames=["start_s", "end_s", "class", "probability", "played"], restval=""
        )
        writer.writeheader()
        writer.writerows(detections)
    if truth is not None:
        hits = sum(d["class"] == d.get("played") for d in detections)
        print(f"{hits} of {len(detections)} windows detected the class that was played")
    print(f"detections: {out / 'detections.csv'}; classifier: {model_path}")


if __name__ == "__main__":
    main()
