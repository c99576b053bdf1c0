"""Tests for audiogan.metrics audio metrics, Fréchet distance and classifier training."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

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
from audiogan.metrics.classifier_training import load_classifier, save_classifier, train_classifier
from audiogan.metrics.diversity import class_spread, format_class_spread, mean_pairwise_l1
from audiogan.metrics.frechet import (
    frechet_distance,
    frechet_embedding_distance,
    gaussian_statistics,
)


class TinyClassifier(nn.Module):
    """Stands in for RecurrentClassifier / ResNet9Classifier: forward -> logits, embed -> features."""

    def __init__(self, num_features: int = 2, num_classes: int = 3, hidden: int = 16):
        super().__init__()
        self.config = {"num_features": num_features, "num_classes": num_classes, "hidden": hidden}
        self.body = nn.Sequential(nn.Linear(num_features, hidden), nn.Tanh())
        self.head = nn.Linear(hidden, num_classes)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.embed(x))


CLASSES = ["siren", "dog", "drum"]


def blobs(per_class: int, seed: int, spread: float = 0.4) -> tuple[torch.Tensor, torch.Tensor]:
    """Three well separated 2-d Gaussian blobs, one per class, classes interleaved."""
    generator = torch.Generator().manual_seed(seed)
    angles = torch.tensor([0.0, 2 * math.pi / 3, 4 * math.pi / 3])
    centres = 4 * torch.stack([angles.cos(), angles.sin()], dim=1)
    labels = torch.arange(3).repeat(per_class)
    features = centres[labels] + spread * torch.randn(len(labels), 2, generator=generator)
    return features, labels


@pytest.fixture(scope="module")
def trained() -> TinyClassifier:
    torch.manual_seed(0)
    features, labels = blobs(30, seed=0)
    model, _ = train_classifier(
        TinyClassifier(), TensorDataset(features, labels), epochs=15, lr=0.05
    )
    return model


# --- Fréchet distance ------------------------------------------------------------------------


def test_frechet_identical_sets_is_zero():
    x = torch.randn(200, 8, generator=torch.Generator().manual_seed(1))
    assert frechet_embedding_distance(x, x.clone()) == pytest.approx(0.0, abs=1e-8)


def test_frechet_singular_covariance_identical_sets_is_zero():
    x = torch.randn(5, 32, generator=torch.Generator().manual_seed(2))  # fewer samples than dims
    assert frechet_embedding_distance(x, x) == pytest.approx(0.0, abs=1e-7)


@settings(max_examples=20, deadline=None)
@given(
    st.lists(st.floats(0.0, 10.0), min_size=1, max_size=6),
    st.lists(st.floats(0.0, 10.0), min_size=6, max_size=6),
    st.floats(-3.0, 3.0),
)
def test_frechet_diagonal_closed_form(a, b_all, shift):
    a = torch.tensor(a, dtype=torch.float64)
    b = torch.tensor(b_all[: len(a)], dtype=torch.float64)
    mu1 = torch.zeros(len(a), dtype=torch.float64)
    mu2 = torch.full((len(a),), shift, dtype=torch.float64)
    expected = len(a) * shift**2 + float(((a.sqrt() - b.sqrt()) ** 2).sum())
    assert frechet_distance(mu1, torch.diag(a), mu2, torch.diag(b)) == pytest.approx(
        expected, abs=1e-7
    )


def test_frechet_non_commuting_covariances():
    generator = torch.Generator().manual_seed(3)
    a, b = (
        torch.randn(4, 4, generator=generator, dtype=torch.float64),
        torch.randn(4, 4, generator=generator, dtype=torch.float64),
    )
    s1, s2 = a @ a.T + 0.1 * torch.eye(4), b @ b.T + 0.1 * torch.eye(4)
    mu1 = torch.randn(4, generator=generator, dtype=torch.float64)
    mu2 = torch.randn(4, generator=generator, dtype=torch.float64)
    # tr (S1 S2)^½ = sum of the square roots of the (real, positive) eigenvalues of S1 S2
    trace_sqrt = torch.linalg.eigvals(s1 @ s2).real.sqrt().sum()
    expected = float((mu1 - mu2).square().sum() + s1.trace() + s2.trace() - 2 * trace_sqrt)
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-9)
    assert frechet_distance(mu1.numpy(), s1.numpy(), mu2.numpy(), s2.numpy()) == pytest.approx(
        expected, rel=1e-9
    )


def test_frechet_of_samples_approaches_the_closed_form():
    generator = torch.Generator().manual_seed(4)
    x = torch.randn(20000, 2, generator=generator) * torch.tensor([1.0, 2.0])
    y = torch.randn(20000, 2, generator=generator) * torch.tensor([3.0, 2.0]) + torch.tensor(
        [1.0, 0.0]
    )
    expected = 1.0 + (1.0 - 3.0) ** 2 + 0.0
    assert frechet_embedding_distance(x, y) == pytest.approx(expected, rel=0.05)


def test_gaussian_statistics_match_numpy():
    x = torch.randn(50, 3, generator=torch.Generator().manual_seed(5))
    mu, sigma = gaussian_statistics(x)
    assert np.allclose(mu.numpy(), x.double().numpy().mean(axis=0))
    assert np.allclose(sigma.numpy(), np.cov(x.double().numpy(), rowvar=False))


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: gaussian_statistics(torch.zeros(1, 3)), "n >= 2"),
        (lambda: gaussian_statistics(torch.full((4, 2), float("nan"))), "NaN"),
        (
            lambda: frechet_distance(torch.zeros(2), torch.eye(3), torch.zeros(2), torch.eye(2)),
            "sigma1",
        ),
        (
            lambda: frechet_distance(torch.zeros(2), torch.eye(2), torch.zeros(3), torch.eye(2)),
            "mu2",
        ),
        (
            lambda: frechet_embedding_distance(torch.zeros(4, 2), torch.zeros(4, 3)),
            "fake_embeddings",
        ),
        (lambda: frechet_distance([0.0], torch.eye(1), torch.zeros(1), torch.eye(1)), "mu1"),
    ],
)
def test_frechet_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# --- inception score ---------------------------------------------------------------------------


def test_inception_score_of_one_class_for_every_sample_is_one():
    probs = torch.zeros(40, 5)
    probs[:, 2] = 1.0
    mean, std = inception_score(probs)
    assert mean == pytest.approx(1.0) and std == pytest.approx(0.0)


def test_inception_score_of_confident_evenly_spread_predictions_is_num_classes():
    probs = torch.eye(4)[torch.arange(40) % 4]  # every split of 4 holds each class once
    mean, std = inception_score(probs, splits=10)
    assert mean == pytest.approx(4.0) and std == pytest.approx(0.0, abs=1e-12)


def test_inception_score_of_uncertain_predictions_is_one():
    mean, _ = inception_score(torch.full((30, 6), 1 / 6), splits=3)
    assert mean == pytest.approx(1.0)


def test_inception_score_closed_form_two_classes():
    # p(y|x) in {(1, 0), (.5, .5)} equally often: p(y) = (.75, .25)
    probs = torch.tensor([[1.0, 0.0], [0.5, 0.5]]).repeat(5, 1)
    kl_confident = math.log(1 / 0.75)
    kl_uncertain = 0.5 * math.log(0.5 / 0.75) + 0.5 * math.log(0.5 / 0.25)
    assert inception_score(probs, splits=1)[0] == pytest.approx(
        math.exp((kl_confident + kl_uncertain) / 2)
    )


def test_inception_score_errors():
    with pytest.raises(ValueError, match="softmax"):
        inception_score(torch.randn(10, 3))
    with pytest.raises(ValueError, match="splits"):
        inception_score(torch.eye(3), splits=4)
    with pytest.raises(ValueError, match="features"):
        inception_score(TinyClassifier())
    with pytest.raises(ValueError, match="features"):
        inception_score(torch.eye(3), torch.zeros(3, 2))


# --- accuracy -----------------------------------------------------------------------------------


def test_accuracy_per_class_on_hand_built_logits():
    logits = torch.tensor(
        [
            [5.0, 0.0, 0.0],  # siren -> siren
            [0.0, 5.0, 0.0],  # siren -> dog
            [0.0, 5.0, 0.0],  # dog -> dog
            [0.0, 5.0, 0.0],  # dog -> dog
            [0.0, 0.0, 5.0],  # dog -> drum
        ]
    )
    labels = torch.tensor([0, 0, 1, 1, 1])
    overall, per_class = accuracy_from_logits(logits, labels, CLASSES)
    assert overall == pytest.approx(3 / 5)
    assert per_class["siren"] == pytest.approx(0.5)
    assert per_class["dog"] == pytest.approx(2 / 3)
    assert math.isnan(per_class["drum"])  # no drum items
    _, by_index = accuracy_from_logits(logits, [0, 0, 1, 1, 1])
    assert list(by_index) == [0, 1, 2]


def test_classifier_accuracy_uses_the_model():
    model = TinyClassifier(num_features=3, num_classes=3)
    identity = nn.Linear(3, 3, bias=False)
    with torch.no_grad():
        identity.weight.copy_(torch.eye(3))
    model.body, model.head = nn.Identity(), identity
    features = torch.eye(3)[[0, 1, 2, 2]]
    overall, per_class = classifier_accuracy(
        model, features, torch.tensor([0, 1, 2, 0]), CLASSES, batch_size=3
    )
    assert overall == pytest.approx(0.75)
    assert per_class == {"siren": 0.5, "dog": 1.0, "drum": 1.0}


@pytest.mark.parametrize(
    ("labels", "names", "match"),
    [
        (torch.tensor([0, 1]), None, r"shape \(3,\)"),
        (torch.tensor([0.0, 1.0, 2.0]), None, "integer"),
        (torch.tensor([0, 1, 3]), None, "0..2"),
        (torch.tensor([0, 1, 2]), ["a", "b"], "class_names"),
    ],
)
def test_accuracy_errors(labels, names, match):
    with pytest.raises(ValueError, match=match):
        accuracy_from_logits(torch.eye(3), labels, names)


# --- classifier training -------------------------------------------------------------------------


def test_training_reaches_high_accuracy_and_saves(tmp_path):
    torch.manual_seed(0)
    features, labels = blobs(30, seed=0)
    path = tmp_path / "clf" / "classifier.pt"
    model, history = train_classifier(
        TinyClassifier(),
        TensorDataset(features, labels),
        epochs=15,
        lr=0.05,
        val_fraction=0.2,
        path=path,
        class_names=CLASSES,
    )
    assert set(history) == {"train_loss", "train_accuracy", "val_loss", "val_accuracy"}
    assert all(len(v) == 15 for v in history.values())
    assert history["train_loss"][-1] < history["train_loss"][0]
    assert max(history["val_accuracy"]) >= 0.95
    test_x, test_y = blobs(20, seed=1)
    assert classifier_accuracy(model, test_x, test_y)[0] >= 0.95
    assert not model.training

    with pytest.raises(ValueError, match="not an audiogan class.*pass cls="):
        load_classifier(path)  # a class outside audiogan is never imported from a file
    explicit = load_classifier(path, cls=TinyClassifier)
    assert type(explicit).__name__ == "TinyClassifier" and not explicit.training
    assert torch.equal(predict_logits(explicit, test_x), predict_logits(model, test_x))
    stored = torch.load(path, weights_only=True)
    assert (
        stored["class_names"] == CLASSES
        and stored["history"]["val_accuracy"] == history["val_accuracy"]
    )


def test_training_from_a_loader_without_validation():
    torch.manual_seed(1)
    features, labels = blobs(10, seed=2)
    loader = DataLoader(TensorDataset(features, labels), batch_size=8, shuffle=True)
    model, history = train_classifier(
        TinyClassifier(), loader, epochs=10, lr=0.05, val_fraction=0.0
    )
    assert set(history) == {"train_loss", "train_accuracy"}
    assert history["train_accuracy"][-1] >= 0.9


def test_training_splits_a_loader_for_validation():
    features, labels = blobs(10, seed=2)
    loader = DataLoader(TensorDataset(features, labels), batch_size=5)
    _, history = train_classifier(TinyClassifier(), loader, epochs=1, val_fraction=0.2)
    assert len(history["val_accuracy"]) == 1


def test_training_and_loading_errors(tmp_path):
    data = TensorDataset(*blobs(2, seed=0))
    no_config = nn.Linear(2, 3)
    with pytest.raises(ValueError, match="config"):
        train_classifier(no_config, data, epochs=1, path=tmp_path / "x.pt")
    with pytest.raises(ValueError, match="config"):
        save_classifier(no_config, tmp_path / "x.pt")
    with pytest.raises(ValueError, match="labels"):
        train_classifier(TinyClassifier(num_classes=2), data, epochs=1, val_fraction=0.0)
    with pytest.raises(ValueError, match="val_fraction"):
        train_classifier(TinyClassifier(), data, epochs=1, val_fraction=0.01)
    with pytest.raises(ValueError, match="no such"):
        load_classifier(tmp_path / "missing.pt")
    torch.save({"weights": torch.zeros(1)}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not a classifier"):
        load_classifier(tmp_path / "other.pt")
    bogus = tmp_path / "bogus.pt"
    save_classifier(TinyClassifier(), bogus)
    checkpoint = torch.load(bogus, weights_only=True)
    checkpoint["class"] = "no_such_module_xyz:Model"
    torch.save(checkpoint, bogus)
    with pytest.raises(ValueError, match="cls="):
        load_classifier(bogus)


# --- NDB and mode collapse -----------------------------------------------------------------------


def test_ndb_is_low_for_samples_from_the_real_distribution():
    real, _ = blobs(400, seed=10)
    fake, _ = blobs(400, seed=11)
    ndb, ndb_over_k = ndb_score(real, fake, k=10, seed=0)
    assert ndb_over_k == ndb / 10
    assert ndb_over_k <= 0.2


def test_ndb_is_high_for_a_collapsed_generator():
    real, _ = blobs(400, seed=10)
    collapsed = real[:1].repeat(400, 1)
    ndb, ndb_over_k = ndb_score(real, collapsed, k=10, seed=0)
    assert ndb_over_k >= 0.8
    ndb_whitened, _ = ndb_score(real, collapsed, k=10, seed=0, whitening=True)
    assert ndb_whitened >= 8


def test_ndb_is_deterministic_given_the_seed():
    real, _ = blobs(100, seed=3)
    fake, _ = blobs(100, seed=4, spread=0.8)
    assert ndb_score(real, fake, k=8, seed=5) == ndb_score(real, fake, k=8, seed=5)


def test_ndb_errors():
    with pytest.raises(ValueError, match="k:"):
        ndb_score(torch.zeros(5, 2), torch.zeros(5, 2), k=6)
    with pytest.raises(ValueError, match="fake"):
        ndb_score(torch.zeros(5, 2), torch.zeros(5, 3), k=2)
    with pytest.raises(ValueError, match="alpha"):
        ndb_score(torch.zeros(5, 2), torch.zeros(5, 2), k=2, alpha=1.5)


def test_a_generator_that_outputs_one_sample_for_every_class(trained):
    real, real_labels = blobs(200, seed=20)
    fake = real[:1].repeat(600, 1)  # whatever class is asked for, the same sample
    fake_labels = torch.arange(3).repeat(200)
    real_is, _ = inception_score(trained, real)
    fake_is, fake_std = inception_score(trained, fake)
    assert real_is > 2.0
    assert fake_is == pytest.approx(1.0, abs=1e-6) and fake_std == pytest.approx(0.0, abs=1e-6)
    assert ndb_score(embed_features(trained, real), embed_features(trained, fake), k=10)[1] >= 0.8
    assert classifier_accuracy(trained, fake, fake_labels)[0] == pytest.approx(1 / 3)


# --- report --------------------------------------------------------------------------------------


def test_audio_report(trained):
    real, real_labels = blobs(100, seed=30)
    good, good_labels = blobs(100, seed=31)
    collapsed = real[:1].repeat(300, 1)
    good_report = audio_report(trained, real, real_labels, good, good_labels, CLASSES, ndb_k=10)
    bad_report = audio_report(
        trained, real, real_labels, collapsed, torch.arange(3).repeat(100), CLASSES, ndb_k=10
    )
    assert good_report["real"]["accuracy"] >= 0.95 and good_report["fake"]["accuracy"] >= 0.95
    assert set(good_report["fake"]["accuracy_per_class"]) == set(CLASSES)
    assert bad_report["fake"]["inception_score"][0] == pytest.approx(1.0, abs=1e-6)
    assert good_report["fake"]["inception_score"][0] > 2.0
    assert good_report["frechet_distance"] < bad_report["frechet_distance"]
    assert good_report["ndb_over_k"] < bad_report["ndb_over_k"]
    assert (bad_report["ndb_k"], bad_report["n_real"], bad_report["n_fake"]) == (10, 300, 300)
    table = format_audio_report(bad_report)
    for text in ("classifier accuracy", "siren", "inception score", "Fréchet", "NDB/K (K=10)"):
        assert text in table
    unconditional = audio_report(trained, real, None, good)
    assert "accuracy" not in unconditional["fake"] and "accuracy" not in unconditional["real"]
    assert unconditional["ndb_k"] == 15  # 300 real // 20
    assert "classifier accuracy" not in format_audio_report(unconditional)


def test_audio_report_inception_score_does_not_depend_on_the_samples_order(trained):
    """fixed_fakes makes samples class by class: cut in order, each part would hold one class
    and score about 1 (the bug this guards against); the report shuffles before cutting."""
    real, real_labels = blobs(100, seed=30)
    good, good_labels = blobs(100, seed=31)  # classes interleaved
    by_class = good_labels.argsort(stable=True)  # the same samples, class after class
    interleaved = audio_report(trained, real, real_labels, good, good_labels, ndb_k=10)
    ordered = audio_report(
        trained, real, real_labels, good[by_class], good_labels[by_class], ndb_k=10
    )
    assert ordered["fake"]["inception_score"][0] > 2.0  # 3 classes, spread (in order: ~1)
    assert ordered["fake"]["inception_score"][0] == pytest.approx(
        interleaved["fake"]["inception_score"][0], rel=0.05
    )
    assert ordered["fake"]["accuracy"] == interleaved["fake"]["accuracy"]


def test_mean_pairwise_l1_closed_form_and_collapse():
    x = torch.tensor([[0.0, 0.0], [1.0, 3.0], [2.0, 2.0]])
    # pairs: (0,1) 2, (0,2) 2, (1,2) 1 in mean |.| over 2 elements; both orders counted
    assert mean_pairwise_l1(x) == pytest.approx((2 + 2 + 1) / 3)
    assert mean_pairwise_l1(torch.ones(5, 1, 4, 4)) == 0.0
    with pytest.raises(ValueError, match="at least 2 items"):
        mean_pairwise_l1(torch.ones(1, 3))


def test_class_spread_tells_a_collapsed_generator_from_a_spread_one(trained):
    real, _ = blobs(100, seed=40)
    good, _ = blobs(60, seed=41)
    collapsed = good[:1].repeat(180, 1) + 0.01 * torch.randn(180, 2)
    spread = class_spread(trained, real, good, CLASSES)
    bad = class_spread(trained, real, collapsed, CLASSES)
    assert spread["covered"] == {"real": 3, "fake": 3} and bad["covered"]["fake"] == 1
    assert max(bad["shares"]["fake"]) == 1.0
    assert sum(spread["shares"]["fake"]) == pytest.approx(1.0)
    assert bad["pairwise_l1"]["fake"] < 0.05 < spread["pairwise_l1"]["fake"]
    assert spread["ndb_k"] == 15  # 300 real // 20
    assert spread["ndb_over_k"] < bad["ndb_over_k"]
    table = format_class_spread(bad)
    assert "classes >= 5 %" in table and "NDB/K (K=15)" in table and "drum" in table
    with pytest.raises(ValueError, match="expected 3 names, got 2"):
        class_spread(trained, real, good, CLASSES[:2])


def test_model_outputs_are_checked():
    class Bad(TinyClassifier):
        def forward(self, x):
            return super().forward(x).sum(dim=1)

    with pytest.raises(ValueError, match="logits"):
        predict_logits(Bad(), torch.zeros(4, 2))
    with pytest.raises(ValueError, match="embed"):
        embed_features(nn.Linear(2, 3), torch.zeros(4, 2))
    with pytest.raises(ValueError, match="features"):
        predict_logits(TinyClassifier(), torch.zeros(0, 2))


def test_predictions_restore_training_mode():
    model = TinyClassifier().train()
    predict_logits(model, torch.zeros(3, 2))
    assert model.training


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_paths(trained):
    real, labels = blobs(50, seed=40)
    model = TinyClassifier()
    model.load_state_dict(trained.state_dict())
    model.cuda()
    assert torch.allclose(predict_logits(model, real), predict_logits(trained, real), atol=1e-5)
    assert predict_logits(model, real.cuda()).device.type == "cpu"
    report = audio_report(model, real, labels, real.cuda(), labels, CLASSES, ndb_k=5)
    assert report["frechet_distance"] == pytest.approx(0.0, abs=1e-6)
    emb = embed_features(model, real).cuda()
    assert frechet_embedding_distance(emb, emb) == pytest.approx(0.0, abs=1e-6)
    assert ndb_score(emb, emb, k=5)[0] == 0
    _, history = train_classifier(
        TinyClassifier(), TensorDataset(real, labels), epochs=1, device="cuda"
    )
    assert len(history["train_loss"]) == 1
