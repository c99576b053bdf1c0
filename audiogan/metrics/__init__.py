"""Evaluation metrics: MuseGAN/muspy music metrics and classifier-based audio metrics.

* :mod:`audiogan.metrics.music`: empty bars, used pitch classes, qualified notes, polyphony,
  tonal distance ... on binarized piano rolls ``(batch, tracks, bars, steps, pitches)``, and
  :func:`music_report` (real vs generated, per track).
* :mod:`audiogan.metrics.audio`: classifier accuracy, inception score, Fréchet distance of
  embeddings, NDB/K, and :func:`audio_report`, with a classifier trained on real data by
  :func:`train_classifier`.
* :mod:`audiogan.metrics.diversity`: collapse checks of unconditional generators
  (:func:`class_spread`: class shares, pairwise distance and NDB/K beside the real data's).
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
from audiogan.metrics.classifier_training import (
    evaluate_classifier,
    load_classifier,
    save_classifier,
    train_classifier,
    train_or_load_classifier,
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

__all__ = [
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
    "classifier_accuracy",
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
