"""audiogan's own parts satisfy the protocols that declare what the library calls on a part."""

from __future__ import annotations

import pytest
import torch

from audiogan import losses, nn, protocols
from audiogan.frontends import LogMel, LogSpectrogram, PianoRoll, Waveform
from audiogan.protocols import (
    CacheableDataset,
    Conditioning,
    Critic,
    CriticOutput,
    Frontend,
    Generator,
    Objective,
    PairedGenerator,
    Penalty,
)

GENERATORS = {
    "conv2d": lambda: nn.ConvGenerator2d(8, (1, 16, 16), num_classes=3, width=8),
    "wavegan": lambda: nn.WaveGANGenerator(8, (1, 1024), width=2),
    "muse": lambda: nn.MuseGenerator(
        latent_dim=4, out_shape=(2, 2, 16, 84), width=8, linear_width=8
    ),
}
CRITICS = {
    "conv2d": lambda: nn.ConvCritic2d((1, 16, 16), num_classes=3, width=8),
    "resnet9": lambda: nn.ResNet9Critic(1, num_classes=3, width=8),
    "wavegan": lambda: nn.WaveGANCritic((1, 1024), width=2, num_classes=3),
    "muse": lambda: nn.MuseCritic(in_shape=(2, 2, 16, 84), width=8, linear_width=8),
}


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_generators_are_generators(name):
    g = GENERATORS[name]()
    assert isinstance(g, Generator) and isinstance(g.num_classes, int)


@pytest.mark.parametrize("name", sorted(CRITICS))
def test_critics_are_critics(name):
    assert isinstance(CRITICS[name](), Critic)


def test_frontends_conditioning_objectives_and_penalties():
    for fe in (LogMel(n_mels=8, frames=8), LogSpectrogram(frames=8), PianoRoll(), Waveform()):
        assert isinstance(fe, Frontend), type(fe).__name__
    for cond in (nn.OneHot(3), nn.LabelEmbedding(3, 4)):
        assert isinstance(cond, Conditioning)
    for name in losses.objective_names():
        assert isinstance(losses.get_objective(name), Objective)
    for penalty in (losses.GradientPenalty(), losses.R1Penalty()):
        assert isinstance(penalty, Penalty)


def test_a_plain_function_module_is_a_paired_generator_and_critic_output_is_a_tuple():
    assert isinstance(torch.nn.Conv1d(2, 1, 3), PairedGenerator)
    assert isinstance(nn.HiFiGANGenerator(n_mels=8, upsample_rates=(4,), width=8), PairedGenerator)
    for critic in (nn.MultiPeriodCritic(), nn.MultiScaleCritic()):
        assert isinstance(critic, Critic)
    out = CriticOutput([torch.zeros(2)], [[]])
    scores, features = out  # unpacks like HiFi-GAN's (scores, features)
    assert isinstance(out, tuple) and scores[0].shape == (2,) and features == [[]]


def test_data_sets_are_cacheable_and_the_cache_reads_only_the_protocol(tmp_path):
    from audiogan.data import AudioFolder, FeatureCache, MidiFolder, SyntheticSounds, SynthNotes

    for cls in (AudioFolder, MidiFolder, SyntheticSounds, SynthNotes):
        assert all(callable(getattr(cls, m, None)) for m in ("__len__", "__getitem__", "cache_key"))
    sounds = SyntheticSounds(clips_per_class=1, num_samples=1024)
    assert isinstance(sounds, CacheableDataset)
    assert not isinstance(torch.utils.data.TensorDataset(torch.zeros(2)), CacheableDataset)

    class Clips:  # a user's data set: no audiogan base class
        def __len__(self) -> int:
            return 3

        def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
            return torch.full((1, 2048), 0.1 * index), index

        def cache_key(self) -> dict:
            return {"clips": 3}

    assert isinstance(Clips(), CacheableDataset)
    frontend = LogMel(n_mels=8, frames=4)
    cache = FeatureCache(Clips(), frontend, tmp_path / "cache", progress=False, dtype="float32")
    features, label = cache[2]
    assert label == 2 and features.shape == frontend.feature_shape
    expected = frontend.encode(Clips()[2][0]).reshape(features.shape)
    torch.testing.assert_close(features, expected, atol=1e-5, rtol=1e-5)


def test_the_trainer_is_typed_with_the_protocols():
    from audiogan.train import trainer

    hints = trainer.Trainer.__init__.__annotations__  # strings (postponed annotations)
    names = {"generator": "Generator | PairedGenerator", "critic": "Critic"}
    names |= {"objective": "Objective", "penalty": "Penalty | None", "frontend": "Frontend | None"}
    for argument, annotation in names.items():
        assert hints[argument] == annotation
        for name in annotation.replace(" | None", "").split(" | "):
            assert getattr(trainer, name) is getattr(protocols, name)
