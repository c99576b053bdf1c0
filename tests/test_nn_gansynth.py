"""GANSynth's generator and critic, the auxiliary classifier head and the AC-GAN loss terms."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from audiogan.losses import (
    AuxiliaryClassifierCriticLoss,
    AuxiliaryClassifierGeneratorLoss,
    DriftPenalty,
    GradientPenalty,
    Penalties,
    Wasserstein,
    classifier_logits,
)
from audiogan.nn import (
    AuxiliaryClassifier,
    EqualizedConv2d,
    EqualizedLinear,
    GANSynthCritic,
    GANSynthGenerator,
    PixelNorm,
    gansynth_widths,
)
from audiogan.train import Trainer
from audiogan.train.generator_losses import GeneratorStep

SHAPE = (2, 32, 16)


def small(num_classes: int = 5) -> tuple[GANSynthGenerator, GANSynthCritic]:
    g = GANSynthGenerator(16, SHAPE, num_classes=num_classes, width=8, num_stages=3)
    c = GANSynthCritic(SHAPE, num_classes=num_classes, width=8, num_stages=3)
    return g, c


def test_widths_follow_the_published_configuration():
    assert gansynth_widths(7) == [256, 256, 256, 256, 128, 64, 32]
    g = GANSynthGenerator(256, (2, 1024, 128), num_classes=61, num_stages=6)
    assert g.base_grid == (16, 2)  # GANSynth's 2x16 (frames x freq) start
    assert g.config["channels"] == [256, 256, 256, 256, 128, 64, 32]


def test_shapes_range_and_rebuild():
    g, c = small()
    z, y = g.sample_latent(4), torch.tensor([0, 1, 2, 4])
    x = g(z, y)
    assert x.shape == (4, *SHAPE)
    bounded = GANSynthGenerator(
        16, SHAPE, num_classes=5, width=8, num_stages=3, out_activation="tanh"
    )
    assert float(bounded(z, y).detach().abs().max()) <= 1.0
    with pytest.raises(ValueError, match="out_activation"):
        GANSynthGenerator(16, SHAPE, num_stages=3, out_activation="relu")
    assert c(x, y).shape == (4,)
    assert c.classify(x).shape == (4, 5)
    assert GANSynthGenerator(**g.config).config == g.config
    assert GANSynthCritic(**c.config).config == c.config


def test_labels_change_the_generator_output_not_the_critic_score():
    g, c = small()
    z = g.sample_latent(2, generator=torch.Generator().manual_seed(0))
    a, b = g(z, torch.tensor([0, 0])), g(z, torch.tensor([3, 3]))
    assert not torch.allclose(a, b)
    c.eval()
    assert torch.equal(c(a, torch.tensor([0, 0])), c(a, torch.tensor([4, 4])))


def test_bad_shapes_and_labels():
    g, c = small()
    with pytest.raises(ValueError, match="multiples of 2\\*\\*num_stages"):
        GANSynthGenerator(16, (2, 30, 16), num_stages=3)
    with pytest.raises(ValueError, match="GANSynthCritic input"):
        c(torch.zeros(2, 1, 32, 16))
    with pytest.raises(ValueError, match="labels"):
        g(g.sample_latent(2))
    with pytest.raises(ValueError, match="no head"):
        GANSynthCritic(SHAPE, width=8, num_stages=3).classify(torch.zeros(1, *SHAPE))


def test_pixel_norm_gives_unit_rms():
    x = torch.randn(3, 7, 4, 4) * 5
    assert torch.allclose(PixelNorm()(x).square().mean(1), torch.ones(3, 4, 4), atol=1e-4)


def test_classify_reuses_the_scored_batch_until_the_weights_change():
    _, c = small()
    x = torch.randn(4, *SHAPE)
    c(x)
    cached = c.classify(x)
    assert cached is c.classify(x)
    assert torch.allclose(cached, c.head(c._trunk(x)))
    with torch.no_grad():
        c.score.weight.add_(1.0)  # an optimizer step bumps the version counter
    assert c.classify(x) is not cached
    y = x.clone()
    assert c.classify(y) is not cached  # another tensor, computed afresh


def test_auxiliary_classifier_head():
    head = AuxiliaryClassifier(6, 3)
    assert head(torch.zeros(2, 6)).shape == (2, 3)
    with pytest.raises(ValueError, match="features"):
        head(torch.zeros(2, 5))


def test_ac_losses_are_cross_entropies():
    g, c = small()
    real, fake = torch.randn(4, *SHAPE), torch.randn(4, *SHAPE)
    y = torch.tensor([0, 1, 2, 3])
    expected = F.cross_entropy(c.classify(real), y) + F.cross_entropy(c.classify(fake), y)
    got = AuxiliaryClassifierCriticLoss(10.0)(c, real, fake, y)
    assert torch.allclose(got, 10 * expected)
    real_only = AuxiliaryClassifierCriticLoss(1.0, on_fake=False)(c, real, fake, y)
    assert torch.allclose(real_only, F.cross_entropy(c.classify(real), y))
    step = GeneratorStep(fake, real, y, None, None, lambda: None)  # type: ignore[arg-type]
    assert torch.allclose(
        AuxiliaryClassifierGeneratorLoss(c)(step), F.cross_entropy(c.classify(fake), y)
    )
    pitch = AuxiliaryClassifierCriticLoss(1.0, target=lambda labels: labels % 5)(
        c, real, fake, y + 5
    )
    assert torch.allclose(pitch, expected)
    with pytest.raises(ValueError, match="needs labels"):
        AuxiliaryClassifierCriticLoss()(c, real, fake, None)
    with pytest.raises(ValueError, match="no classify"):
        classifier_logits(torch.nn.Linear(2, 2), real, "test")


def test_drift_penalty():
    _, c = small()
    real = torch.randn(4, *SHAPE)
    assert torch.allclose(DriftPenalty(0.5)(c, real, real), 0.5 * c(real).square().mean())


@pytest.mark.slow
def test_trainer_runs_the_ac_gan_and_the_head_learns_real_labels(tmp_path):
    torch.manual_seed(0)
    g, c = small(2)
    real = torch.cat([torch.full((16, *SHAPE), -0.5), torch.full((16, *SHAPE), 0.5)])
    labels = torch.tensor([0] * 16 + [1] * 16)
    loader = torch.utils.data.DataLoader(
        list(zip(real, labels, strict=True)), batch_size=8, shuffle=True
    )
    ac = AuxiliaryClassifierCriticLoss(1.0, on_fake=False)
    trainer = Trainer(
        g,
        c,
        Wasserstein(),
        Penalties(ac, GradientPenalty(10.0)),
        generator_losses={"classifier": (1.0, AuxiliaryClassifierGeneratorLoss(c))},
        critic_steps=1,
        critic_lr=2e-3,
        out_dir=tmp_path,
        device="cpu",
    )
    trainer.fit(loader, steps=30)
    assert "classifier" in trainer.metrics
    assert float(ac.last_accuracy) == 1.0


def test_equalized_layers_scale_a_standard_normal_weight_by_hes_constant():
    torch.manual_seed(0)
    conv = EqualizedConv2d(16, 8, 3, padding=1)
    x = torch.randn(2, 16, 5, 5)
    scale = math.sqrt(2 / 1.04) / math.sqrt(16 * 9)
    assert conv.scale == pytest.approx(scale)
    assert torch.allclose(conv(x), F.conv2d(x, conv.weight * scale, conv.bias, padding=1))
    assert float(conv.weight.detach().std()) == pytest.approx(1.0, abs=0.1)
    assert float(conv.bias.abs().max()) == 0.0
    linear = EqualizedLinear(32, 4)
    h = torch.randn(3, 32)
    expected = h @ (linear.weight * math.sqrt(2 / 1.04) / math.sqrt(32)).T + linear.bias
    assert torch.allclose(linear(h), expected)
    g = GANSynthGenerator(16, SHAPE, num_classes=5, width=8, num_stages=3, equalized=True)
    c = GANSynthCritic(SHAPE, num_classes=5, width=8, num_stages=3, equalized=True)
    assert isinstance(g.project, EqualizedLinear) and isinstance(c.score, EqualizedLinear)
    assert float(g.project.weight.detach().std()) == pytest.approx(1.0, abs=0.1)  # kept
    assert GANSynthGenerator(**g.config).config == g.config


def test_class_bias_adds_one_map_per_class_constant_over_frames():
    g = GANSynthGenerator(
        16, SHAPE, num_classes=5, width=8, num_stages=3, class_bias=True, class_bias_gain=2.0
    )
    z = g.sample_latent(3, generator=torch.Generator().manual_seed(0))
    y = torch.tensor([1, 3, 1])
    before = g(z, y).detach()
    assert g.class_bias.shape == (5, 2, SHAPE[1], 1)
    profile = torch.randn(2, SHAPE[1], 1)
    with torch.no_grad():
        g.class_bias[1] = profile
    after = g(z, y).detach()
    assert torch.allclose(after[[0, 2]] - before[[0, 2]], (2.0 * profile).expand(2, 2, *SHAPE[1:]))
    assert torch.equal(after[1], before[1])  # class 3's map is still zero
    with pytest.raises(ValueError, match="class_bias needs num_classes"):
        GANSynthGenerator(16, SHAPE, num_stages=3, class_bias=True)


def test_projection_makes_the_score_depend_on_the_label():
    c = GANSynthCritic(SHAPE, num_classes=5, width=8, num_stages=3, projection=True).eval()
    x = torch.randn(2, *SHAPE)
    with torch.no_grad():
        c.projection.embedding.weight.normal_()
        a, b = c(x, torch.tensor([0, 0])), c(x, torch.tensor([4, 4]))
        h = c._trunk(x)
        term = (c.projection.embedding.weight[4] - c.projection.embedding.weight[0]) @ h.T
    assert torch.allclose(b - a, term, atol=1e-4)
    with pytest.raises(ValueError, match="labels"):
        c(x)
    with pytest.raises(ValueError, match="projection needs num_classes"):
        GANSynthCritic(SHAPE, num_stages=3, projection=True)
