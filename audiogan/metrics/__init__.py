"""Evaluation metrics: MuseGAN/muspy music metrics and classifier-based audio metrics.

* :mod:`audiogan.metrics.music`: empty bars, used pitch classes, qualified notes, polyphony,
  tonal distance ... on binarized piano rolls ``(batch, tracks, bars, steps, pitches)``, and
  :func:`music_report` (real vs generated, per track).
* :mod:`audiogan.metrics.audio`: classifier accuracy, inception score, Fréchet distance of
  embeddings, NDB/K, and :func:`audio_report`, with a classifier trained on real data by
  :func:`train_classifier`.
* :mod:`audiogan.metrics.vocoder`, :mod:`audiogan.metrics.periodicity`: decoded audio against
  the original (SI-SDR, mel-cepstral distortion, wide-band PESQ, STOI; CARGAN's pitch
  periodicity error and voiced/unvoiced F1), and :func:`compare_decoders`, their table for
  several decoders (:mod:`audiogan.metrics.decoders`). PESQ, STOI and the pitch metrics need
  the ``eval`` extra.
* :mod:`audiogan.metrics.diversity`: collapse checks of unconditional generators
  (:func:`class_spread`: class shares, pairwise distance and NDB/K beside the real data's).
* :mod:`audiogan.metrics.distribution`: metrics that hold at small n on the same embeddings:
  KID, improved precision and recall, density and coverage, per-class KID, nearest-train
  distance, and :func:`distribution_report`; :func:`small_n_report` computes them (and the
  classification accuracy score) from features with the audio metrics' classifier.
* :mod:`audiogan.metrics.classification_score`: the classification accuracy score (a classifier
  trained on fakes, tested on real clips).
"""

from __future__ import annotations

from audiogan.metrics.audio import (
    accuracy_from_logits,
    audio_report,
    classifier_accuracy,
    embed_features,
    format_audio_report,
    inception_score,
    ndb_score,
    predict_logits,
)
from audiogan.metrics.centroid import nearest_centroid_accuracy, timbre_features
from audiogan.metrics.classification_score import classification_accuracy_score
from audiogan.metrics.classifier_training import (
    evaluate_classifier,
    load_classifier,
    save_classifier,
    train_classifier,
    train_or_load_classifier,
)
from audiogan.metrics.decoders import (
    DECODER_METRICS,
    DecoderTable,
    available_metrics,
    compare_decoders,
    read_clips,
    time_decoder,
)
from audiogan.metrics.distribution import (
    density_coverage,
    distribution_report,
    format_distribution_report,
    kernel_distance,
    kernel_mmd2,
    mmd2_unbiased,
    nearest_neighbour_radii,
    nearest_train_distance,
    per_class_kernel_distance,
    polynomial_kernel,
    precision_recall,
)
from audiogan.metrics.diversity import class_spread, format_class_spread, mean_pairwise_l1
from audiogan.metrics.frechet import (
    frechet_distance,
    frechet_embedding_distance,
    gaussian_statistics,
)
from audiogan.metrics.music import (
    MIX_COLUMN,
    MIX_NOTE,
    MUSIC_METRIC_LABELS,
    default_min_length,
    drum_pattern_rate,
    empty_bar_rate,
    empty_beat_rate,
    format_music_report,
    music_report,
    n_pitches_used,
    pitch_class_entropy,
    pitch_range,
    polyphony,
    polyphony_rate,
    qualified_note_rate,
    roll_mask,
    scale_consistency,
    tonal_centroid,
    tonal_distance,
    tonal_matrix,
    used_pitch_classes,
)
from audiogan.metrics.periodicity import (
    DITHER_SEED,
    PitchCounts,
    PitchScores,
    crepe_pitch,
    pitch_scores,
    pitch_scores_from_tracks,
    voiced_frames,
)
from audiogan.metrics.pitch_yin import hz_to_midi, note_pitch, pitch_accuracy, yin_pitch
from audiogan.metrics.small_n import small_n_report
from audiogan.metrics.timbre import harmonic_profile, timbre_constancy
from audiogan.metrics.vocoder import (
    PESQ_SAMPLE_RATE,
    mel_cepstral_distortion,
    mel_cepstrum,
    si_sdr,
    stoi,
    wideband_pesq,
)

__all__ = [
    "harmonic_profile",
    "timbre_constancy",
    "nearest_centroid_accuracy",
    "timbre_features",
    "hz_to_midi",
    "note_pitch",
    "pitch_accuracy",
    "yin_pitch",
    "DECODER_METRICS",
    "DITHER_SEED",
    "DecoderTable",
    "PESQ_SAMPLE_RATE",
    "PitchCounts",
    "PitchScores",
    "available_metrics",
    "compare_decoders",
    "crepe_pitch",
    "mel_cepstral_distortion",
    "mel_cepstrum",
    "pitch_scores",
    "pitch_scores_from_tracks",
    "read_clips",
    "si_sdr",
    "stoi",
    "time_decoder",
    "voiced_frames",
    "wideband_pesq",
    "MIX_COLUMN",
    "MIX_NOTE",
    "MUSIC_METRIC_LABELS",
    "default_min_length",
    "accuracy_from_logits",
    "audio_report",
    "class_spread",
    "format_class_spread",
    "mean_pairwise_l1",
    "roll_mask",
    "classification_accuracy_score",
    "classifier_accuracy",
    "density_coverage",
    "distribution_report",
    "format_distribution_report",
    "kernel_distance",
    "kernel_mmd2",
    "mmd2_unbiased",
    "nearest_neighbour_radii",
    "nearest_train_distance",
    "per_class_kernel_distance",
    "polynomial_kernel",
    "precision_recall",
    "small_n_report",
    "drum_pattern_rate",
    "embed_features",
    "empty_bar_rate",
    "empty_beat_rate",
    "evaluate_classifier",
    "format_audio_report",
    "format_music_report",
    "frechet_distance",
    "frechet_embedding_distance",
    "gaussian_statistics",
    "inception_score",
    "load_classifier",
    "music_report",
    "n_pitches_used",
    "ndb_score",
    "pitch_class_entropy",
    "pitch_range",
    "polyphony",
    "polyphony_rate",
    "predict_logits",
    "qualified_note_rate",
    "save_classifier",
    "scale_consistency",
    "tonal_centroid",
    "tonal_distance",
    "tonal_matrix",
    "train_classifier",
    "train_or_load_classifier",
    "used_pitch_classes",
]
