"""Spectrogram grids, piano rolls and loss curves as PNG files."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from audiogan.viz import (
    draw_pianoroll,
    draw_spectrogram,
    feature_grid_image,
    plot_feature_grid,
    plot_losses,
    plot_pianoroll,
    plot_spectrogram_grid,
)
from audiogan.viz.losses import _running_mean

matplotlib_image = pytest.importorskip("matplotlib.image")


def read_png(path) -> np.ndarray:
    pixels = matplotlib_image.imread(path)
    assert pixels.ndim == 3 and pixels.std() > 0, f"{path} is blank"
    return pixels


def test_spectrogram_grid_accepts_3d_and_4d(tmp_path):
    features = torch.rand(3, 1, 16, 16) * 2 - 1
    a = read_png(plot_spectrogram_grid(features, ["a", "b", "c"], tmp_path / "a.png", ncols=3))
    b = read_png(plot_spectrogram_grid(features[:, 0], None, tmp_path / "sub" / "b.png", ncols=3))
    assert a.shape == b.shape  # same layout from either rank; parent folder created


def test_spectrogram_grid_layout_follows_ncols_and_real(tmp_path):
    features = torch.rand(4, 16, 16)
    wide = read_png(plot_spectrogram_grid(features, None, tmp_path / "wide.png", ncols=4))
    tall = read_png(plot_spectrogram_grid(features, None, tmp_path / "tall.png", ncols=2))
    assert wide.shape[1] > tall.shape[1] and tall.shape[0] > wide.shape[0]
    beside = read_png(
        plot_spectrogram_grid(
            features,
            None,
            tmp_path / "real.png",
            ncols=2,
            real=torch.rand(2, 1, 16, 16),
            title="dog",
        )
    )
    assert beside.shape[1] > tall.shape[1]


def test_spectrogram_grid_errors(tmp_path):
    with pytest.raises(
        ValueError,
        match=r"expected shape \(n, channels, freq, frames\) or \(n, freq, frames\), got \(16, 16\)",
    ):
        plot_spectrogram_grid(torch.rand(16, 16), None, tmp_path / "x.png")
    with pytest.raises(ValueError, match="expected 2 titles"):
        plot_spectrogram_grid(torch.rand(2, 16, 16), ["only one"], tmp_path / "x.png")
    with pytest.raises(ValueError, match="real_titles"):
        plot_spectrogram_grid(
            torch.rand(2, 16, 16),
            None,
            tmp_path / "x.png",
            real=torch.rand(2, 16, 16),
            real_titles=["a"],
        )
    with pytest.raises(ValueError, match="at least one"):
        plot_spectrogram_grid(torch.rand(0, 16, 16), None, tmp_path / "x.png")
    with pytest.raises(ValueError, match="ncols"):
        plot_spectrogram_grid(torch.rand(2, 16, 16), None, tmp_path / "x.png", ncols=0)
    assert not (tmp_path / "x.png").exists()


def test_pianoroll_png_one_panel_per_track(tmp_path):
    roll = torch.rand(4, 2, 16, 84) > 0.97
    four = read_png(plot_pianoroll(roll, tmp_path / "r.png", ["s", "a", "t", "b"], lowest_pitch=20))
    two = read_png(plot_pianoroll(roll[:2].float() * 2 - 1, tmp_path / "r2.png"))
    assert four.shape[0] > two.shape[0]


def test_pianoroll_silence_still_draws(tmp_path):
    read_png(plot_pianoroll(-torch.ones(1, 1, 4, 12), tmp_path / "quiet.png", title="rest"))


def test_pianoroll_errors(tmp_path):
    with pytest.raises(ValueError, match=r"\(tracks, bars, steps, pitches\), got \(2, 16, 84\)"):
        plot_pianoroll(torch.rand(2, 16, 84), tmp_path / "x.png")
    with pytest.raises(ValueError, match="expected 2 track_names"):
        plot_pianoroll(torch.rand(2, 1, 4, 12), tmp_path / "x.png", track_names=["a"])


def test_losses_png_and_keys(tmp_path):
    history = [
        {"step": i, "epoch": 0, "critic_loss": 1 / i, "generator_loss": torch.tensor(float(i))}
        for i in range(1, 40)
    ]
    history[5]["penalty"] = 2.0  # a lazy penalty: present on some steps only
    history[6]["critic_loss"] = float("nan")  # skipped, not plotted
    three = read_png(plot_losses(history, tmp_path / "l.png", smooth=5))
    one = read_png(plot_losses(history, tmp_path / "one.png", keys=["generator_loss"]))
    assert three.shape[0] > one.shape[0]


def test_losses_errors(tmp_path):
    with pytest.raises(ValueError, match="history is empty"):
        plot_losses([], tmp_path / "x.png")
    with pytest.raises(ValueError, match=r"keys \['lr'\] never occur"):
        plot_losses([{"step": 1, "critic_loss": 0.5}], tmp_path / "x.png", keys=["lr"])
    with pytest.raises(ValueError, match="no numeric metrics"):
        plot_losses([{"step": 1, "epoch": 0, "note": "hi"}], tmp_path / "x.png")
    with pytest.raises(ValueError, match="smooth"):
        plot_losses([{"critic_loss": 1.0}], tmp_path / "x.png", smooth=0)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=30), st.integers(1, 8))
def test_running_mean_is_the_mean_of_the_last_window(values, window):
    x = np.asarray(values)
    got = _running_mean(x, window)
    want = np.array([x[max(0, i - window + 1) : i + 1].mean() for i in range(len(x))])
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-6)


def test_plots_leave_pyplot_alone(tmp_path):
    plot_losses([{"critic_loss": 1.0}, {"critic_loss": 2.0}], tmp_path / "x.png")
    plot_spectrogram_grid(torch.rand(1, 8, 8), None, tmp_path / "y.png")
    if "matplotlib.pyplot" in sys.modules:  # another test imported pyplot: no figure of ours in it
        assert sys.modules["matplotlib.pyplot"].get_fignums() == []


def test_missing_matplotlib_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r"audiogan\[viz\]"):
        plot_losses([{"critic_loss": 1.0}], tmp_path / "x.png")
    with pytest.raises(ImportError, match=r"audiogan\[viz\]"):
        plot_feature_grid(lambda item, ax: None, torch.rand(1, 4), tmp_path / "x.png")


def test_draw_pianoroll_stacks_tracks_on_one_axes():
    figure = pytest.importorskip("matplotlib.figure")
    ax = figure.Figure().subplots()
    roll = -torch.ones(3, 2, 4, 12)
    roll[0, 0, 0, 11] = 1  # track 0, highest pitch, first step: the top-left cell
    draw_pianoroll(roll, ax, ["s", "a", "b"])
    (image,) = ax.get_images()
    pixels = np.asarray(image.get_array())
    assert pixels.shape == (3 * 12, 2 * 4) and pixels[0, 0] == 1 and (pixels > 0).sum() == 1
    assert [t.get_text() for t in ax.get_yticklabels()] == ["s", "a", "b"]
    with pytest.raises(ValueError, match="expected 3 track_names"):
        draw_pianoroll(roll, ax, ["s"])


def test_draw_spectrogram_puts_low_frequencies_at_the_bottom():
    figure = pytest.importorskip("matplotlib.figure")
    ax = figure.Figure().subplots()
    draw_spectrogram(torch.rand(1, 8, 5), ax)
    (image,) = ax.get_images()
    assert image.origin == "lower" and image.get_clim() == (-1.0, 1.0)
    with pytest.raises(ValueError, match=r"got \(8,\)"):
        draw_spectrogram(torch.rand(8), ax)


def test_feature_grid_draws_each_item_with_the_hook(tmp_path):
    drawn = []

    def plot(item, ax):
        drawn.append(item.clone())
        ax.plot(item.numpy())

    items, real = torch.rand(3, 10), torch.rand(2, 10)
    path = plot_feature_grid(plot, items, tmp_path / "g.png", real=real, title="t")
    assert [d.tolist() for d in drawn] == [*items.tolist(), *real.tolist()]
    read_png(path)
    alone = feature_grid_image(plot, items, ["a", "b", "c"], ncols=3, dpi=50)
    assert alone.dtype == np.uint8 and alone.ndim == 3 and alone.shape[2] == 3
    assert alone.shape[1] > alone.shape[0]  # three cells in a row
    with pytest.raises(ValueError, match="expected 3 titles"):
        feature_grid_image(plot, items, ["a"])
    with pytest.raises(ValueError, match="at least one item"):
        feature_grid_image(plot, torch.rand(0, 10))
