"""Code written against the old argument names still runs, with a FutureWarning (issue 20)."""

from __future__ import annotations

import inspect
import warnings

import pytest
import torch

import audiogan as ag
from audiogan import _aliases
from audiogan._renamed import renamed_arguments
from audiogan.data import SyntheticSounds, write_audio_folder
from audiogan.registry import lookup
from audiogan.train import FakeWriter, SampleWriter, TensorBoardLogger, fixed_fakes


@renamed_arguments(old="new")
def _echo(a: int, *, new: int = 0) -> tuple[int, int]:
    return a, new


def test_old_name_is_passed_on_with_a_warning_naming_the_new_one():
    with pytest.warns(FutureWarning, match=r"_echo\(old=\.\.\.\) is now _echo\(new=\.\.\.\)"):
        assert _echo(1, old=5) == (1, 5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the new name warns of nothing
        assert _echo(1, new=6) == (1, 6)
    with pytest.raises(TypeError, match="old is the old name of new"):
        _echo(1, old=5, new=6)
    assert list(inspect.signature(_echo).parameters) == ["a", "new"]


@pytest.mark.parametrize("name", sorted(_aliases.CONFIG_KEYS))
def test_every_renamed_constructor_argument_is_accepted(name):
    """Every row of the checkpoint alias table also works in code: same value, same module."""
    cls = lookup(name)
    assert cls.__init__.__renamed_arguments__ == _aliases.CONFIG_KEYS[name]
    parameters = inspect.signature(cls).parameters
    for new in _aliases.CONFIG_KEYS[name].values():
        assert new in parameters, f"{name} has no {new}"


def test_conv_generator_built_with_old_names_equals_the_new_spelling():
    torch.manual_seed(0)
    with pytest.warns(FutureWarning) as caught:
        old = ag.ConvGenerator2d(8, (1, 16, 16), base_channels=8, n_upsamples=2)
    assert sorted(str(w.message).split("(")[1] for w in caught) == [
        "base_channels=...) is now ConvGenerator2d",
        "n_upsamples=...) is now ConvGenerator2d",
    ]
    torch.manual_seed(0)
    new = ag.ConvGenerator2d(8, (1, 16, 16), width=8, num_upsamples=2)
    assert old.state_dict().keys() == new.state_dict().keys()
    assert all(torch.equal(old.state_dict()[k], v) for k, v in new.state_dict().items())


def test_per_class_counts_keep_their_old_names(tmp_path):
    with pytest.warns(FutureWarning, match=r"clips_per_class"):
        data = SyntheticSounds(n_per_class=2, num_samples=400)
    assert len(data) == 2 * len(data.classes)
    with pytest.warns(FutureWarning, match=r"clips_per_class"):
        write_audio_folder(tmp_path / "clips", n_per_class=1, num_samples=400)
    assert len(list((tmp_path / "clips").rglob("*.wav"))) == len(data.classes)
    G = ag.ConvGenerator2d(8, (1, 16, 16), num_classes=2, width=8, num_upsamples=2)
    with pytest.warns(FutureWarning, match=r"fixed_fakes\(n_per_class"):
        fakes, labels = fixed_fakes(G, n_per_class=3, seed=0)
    assert fakes.shape == (6, 1, 16, 16) and labels.tolist() == [0, 0, 0, 1, 1, 1]
    frontend = ag.LogMel(sample_rate=8000, n_fft=64, hop_length=16, n_mels=16, frames=16)
    with pytest.warns(FutureWarning, match=r"FakeWriter\(n_per_class"):
        writer = FakeWriter(frontend, n_per_class=3)
    assert writer.fakes_per_class == 3 and SampleWriter is FakeWriter
    with pytest.warns(FutureWarning, match=r"TensorBoardLogger\(n_per_class"):
        logger = TensorBoardLogger(tmp_path / "tb", frontend=frontend, n_per_class=3)
    assert logger.fakes_per_class == 3
