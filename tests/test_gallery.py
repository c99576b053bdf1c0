"""The static HTML gallery: parsed with html.parser, and loaded in headless Chromium when present."""

from __future__ import annotations

import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import numpy as np
import pytest
import soundfile as sf

from audiogan.train.callbacks.gallery import fake_rounds, write_gallery

TRICKY = 'a&b <x> "q" #1 ü'  # needs HTML escaping and percent-encoding


class GalleryParser(HTMLParser):
    """Collects round ids in page order, and every src/href with the round it sits in."""

    def __init__(self) -> None:
        super().__init__()
        self.rounds: list[str] = []
        self.links: list[tuple[str | None, str, str]] = []  # (round id, tag, url)
        self.headings: list[str] = []
        self._in_h2 = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section" and a.get("class") == "round":
            self.rounds.append(a["id"])
        current = self.rounds[-1] if self.rounds else None
        if tag in ("img", "audio") and "src" in a:
            self.links.append((current, tag, a["src"]))
        if tag == "a" and a.get("href", "").split("#")[0]:
            self.links.append((current, tag, a["href"]))
        self._in_h2 = tag == "h2"

    def handle_endtag(self, tag):
        if tag == "h2":
            self._in_h2 = False

    def handle_data(self, data):
        if self._in_h2 and data.strip():
            self.headings.append(data.strip())


def make_round(
    root: Path,
    step: int,
    epoch: int | None = None,
    stems=("dog_00", "dog_01"),
    midi=(),
    folder_name: str = "fakes",
) -> Path:
    folder = root / folder_name / f"step_{step:06d}"
    folder.mkdir(parents=True)
    for stem in stems:
        sf.write(folder / f"{stem}.wav", np.zeros(64, dtype=np.float32), 8000)
    (folder / "dog.png").write_bytes(b"\x89PNG fake")
    for stem in midi:
        (folder / f"{stem}.mid").write_bytes(b"MThd")
    (folder / "notes.txt").write_text("not linked")
    if epoch is not None:
        (folder / "round.json").write_text(
            json.dumps({"step": step, "epoch": epoch, "metrics": {"critic_loss": 0.25}})
        )
    return folder


def parse(root: Path) -> GalleryParser:
    parser = GalleryParser()
    parser.feed((root / "index.html").read_text(encoding="utf-8"))
    return parser


def test_rounds_newest_first_by_step_number(tmp_path):
    for step in (
        20,
        999_999,
        3,
        1_000_000,
    ):  # 1000000 sorts before 999999 as text, after as a number
        make_round(tmp_path, step)
    (tmp_path / "fakes" / "not_a_round").mkdir()
    write_gallery(tmp_path)
    assert parse(tmp_path).rounds == ["step_1000000", "step_999999", "step_000020", "step_000003"]


def test_rounds_of_a_run_begun_before_the_rename_are_shown(tmp_path):
    """A run resumed after SampleWriter became FakeWriter has rounds in samples/ and fakes/."""
    make_round(tmp_path, 10, folder_name="samples")
    make_round(tmp_path, 20, folder_name="samples")
    make_round(tmp_path, 20, stems=("cat_00",))  # the same step in both: fakes/ wins
    make_round(tmp_path, 30)
    assert [(step, folder.parent.name) for step, folder in fake_rounds(tmp_path)] == [
        (30, "fakes"),
        (20, "fakes"),
        (10, "samples"),
    ]
    write_gallery(tmp_path)
    parser = parse(tmp_path)
    assert parser.rounds == ["step_000030", "step_000020", "step_000010"]
    linked = {unquote(url) for _, _, url in parser.links}
    assert "samples/step_000010/dog_00.wav" in linked and "fakes/step_000020/cat_00.wav" in linked
    assert "samples/step_000020/dog_00.wav" not in linked


def test_every_file_is_linked_and_links_resolve(tmp_path):
    make_round(tmp_path, 10, epoch=1)
    make_round(tmp_path, 20, epoch=2, stems=("cat_00", TRICKY), midi=("song", TRICKY))
    (tmp_path / "losses.png").write_bytes(b"\x89PNG fake")
    page = write_gallery(tmp_path, title="<run & co>")
    assert page == tmp_path / "index.html"
    parser = parse(tmp_path)
    linked = {}
    for round_id, tag, url in parser.links:
        assert not urlparse(url).scheme and not url.startswith("/"), f"{url} is not relative"
        path = tmp_path / unquote(url)
        assert path.is_file(), f"{url} does not resolve"
        linked[path] = (round_id, tag)
    media = [p for p in tmp_path.rglob("*") if p.suffix in (".wav", ".png", ".mid")]
    assert set(linked) == set(media)
    assert linked[tmp_path / "fakes" / "step_000020" / f"{TRICKY}.wav"] == (
        "step_000020",
        "audio",
    )
    assert linked[tmp_path / "fakes" / "step_000020" / f"{TRICKY}.mid"] == ("step_000020", "a")
    assert linked[tmp_path / "fakes" / "step_000010" / "dog_00.wav"] == ("step_000010", "audio")
    assert linked[tmp_path / "losses.png"] == (None, "img")
    assert not any(p.name == "notes.txt" for p in linked)
    assert parser.headings[:3] == ["Losses", "step 20 · epoch 2", "step 10 · epoch 1"]
    html_text = page.read_text(encoding="utf-8")
    assert "<run & co>" not in html_text and "&lt;run &amp; co&gt;" in html_text
    assert "critic_loss 0.25" in html_text


def test_gallery_follows_the_folder_contents(tmp_path):
    make_round(tmp_path, 1)
    old = make_round(tmp_path, 2)
    write_gallery(tmp_path)
    assert parse(tmp_path).rounds == ["step_000002", "step_000001"]
    shutil.rmtree(old)
    make_round(tmp_path, 3)
    write_gallery(tmp_path)  # a resumed run rebuilds it from disk
    assert parse(tmp_path).rounds == ["step_000003", "step_000001"]
    assert not (tmp_path / ".index.html.tmp").exists()


def test_empty_gallery(tmp_path):
    write_gallery(tmp_path / "new")
    parser = parse(tmp_path / "new")
    assert parser.rounds == [] and parser.links == []


def _chromium() -> str | None:
    for name in ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.mark.skipif(_chromium() is None, reason="needs Chromium for a headless browser check")
def test_headless_chromium_sees_the_audio_players(tmp_path):
    make_round(tmp_path, 5, epoch=1, stems=("dog_00", TRICKY))
    page = write_gallery(tmp_path)
    result = subprocess.run(
        [
            _chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--dump-dom",
            page.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    dom = GalleryParser()
    dom.feed(result.stdout)
    audio = [url for _, tag, url in dom.links if tag == "audio"]
    assert len(audio) == 2 and dom.rounds == ["step_000005"]
    assert all((tmp_path / unquote(url)).is_file() for url in audio)
