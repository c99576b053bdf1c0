"""A static ``index.html`` that shows every round of fakes: images, audio players, MIDI links.

The page is rebuilt from the folder contents each time (so it survives resumes and deleted
rounds), uses only relative links (open it straight from disk, or copy the folder anywhere) and
needs no server or script.
"""

from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path
from urllib.parse import quote

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".svg", ".gif")
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3")
MIDI_SUFFIXES = (".mid", ".midi")

_ROUND = re.compile(r"^step_(\d+)$")

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; background: #fafafa; }
h1 { margin-bottom: 0.2em; }
section { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 0.8em 1em; margin: 1em 0; }
.meta { color: #666; font-size: 0.9em; }
.images img { max-width: 100%; border: 1px solid #eee; }
.images figure, .media figure { margin: 0.4em 0.6em 0.4em 0; display: inline-block; vertical-align: top; }
figcaption { font-size: 0.8em; color: #555; }
nav a { margin-right: 0.6em; }
""".strip()


def _href(path: Path, root: Path) -> str:
    """A relative, percent-encoded URL from ``root`` to ``path``, escaped for an attribute."""
    relative = path.relative_to(root).as_posix()
    return html.escape(quote(relative), quote=True)


#: The folder of a run that holds the rounds of fakes (``fakes/step_000120/``).
FAKES_FOLDER = "fakes"

#: Where runs made before the rename kept their rounds; still read, never written.
OLD_FAKES_FOLDER = "samples"

#: The folder of a run that holds its scores rendered to audio (:func:`audiogan.render.render`).
RENDERED_FOLDER = "rendered"


def _rounds(folder: Path) -> list[tuple[int, Path]]:
    """The ``step_NNNNNN`` folders inside ``folder``, newest (highest step) first."""
    if not folder.is_dir():
        return []
    found = []
    for child in folder.iterdir():
        match = _ROUND.match(child.name)
        if match and child.is_dir():
            found.append((int(match.group(1)), child))
    return sorted(found, key=lambda item: item[0], reverse=True)


def fake_rounds(run_dir: str | os.PathLike) -> list[tuple[int, Path]]:
    """``(step, folder)`` of every round of fakes in a run, newest first.

    Reads ``run_dir/fakes/step_*`` and, for a run begun before the rename, ``run_dir/samples/step_*``
    (a step in both is taken from ``fakes/``).
    """
    root = Path(run_dir)
    by_step = dict(_rounds(root / OLD_FAKES_FOLDER))
    by_step.update(_rounds(root / FAKES_FOLDER))
    return sorted(by_step.items(), key=lambda item: item[0], reverse=True)


def _round_info(folder: Path) -> dict:
    """``round.json`` of a round (step, epoch, metrics), or ``{}`` when missing or unreadable."""
    try:
        info = json.loads((folder / "round.json").read_text())
    except (OSError, ValueError):
        return {}
    return info if isinstance(info, dict) else {}


def _section(step: int | None, folder: Path, root: Path) -> str:
    """One round's pictures, players and MIDI links (``step=None``: the rendered scores)."""
    files = sorted(p for p in folder.iterdir() if p.is_file())
    images = [p for p in files if p.suffix.lower() in IMAGE_SUFFIXES]
    audio = [p for p in files if p.suffix.lower() in AUDIO_SUFFIXES]
    midi = [p for p in files if p.suffix.lower() in MIDI_SUFFIXES]
    info = _round_info(folder)
    heading = "rendered scores (audiogan render)" if step is None else f"step {step}"
    if "epoch" in info:
        heading += f" · epoch {info['epoch']}"
    parts = [
        f'<section class="round" id="{html.escape(folder.name, quote=True)}">',
        f"<h2>{html.escape(heading)}</h2>",
    ]
    metrics = info.get("metrics")
    if isinstance(metrics, dict) and metrics:
        text = " · ".join(
            f"{k} {v:.4g}" if isinstance(v, (int, float)) else f"{k} {v}"
            for k, v in metrics.items()
        )
        parts.append(f'<p class="meta">{html.escape(text)}</p>')
    if images:
        parts.append('<div class="images">')
        for p in images:
            name = html.escape(p.name)
            parts.append(
                f'<figure><img src="{_href(p, root)}" alt="{name}" loading="lazy"><figcaption>{name}</figcaption></figure>'
            )
        parts.append("</div>")
    if audio:
        parts.append('<div class="media">')
        for p in audio:
            parts.append(
                f"<figure><figcaption>{html.escape(p.stem)}</figcaption>"
                f'<audio controls preload="none" src="{_href(p, root)}"></audio></figure>'
            )
        parts.append("</div>")
    if midi:
        parts.append('<ul class="midi">')
        for p in midi:
            parts.append(f'<li><a href="{_href(p, root)}" download>{html.escape(p.name)}</a></li>')
        parts.append("</ul>")
    if not (images or audio or midi):
        parts.append('<p class="meta">(no files)</p>')
    parts.append("</section>")
    return "\n".join(parts)


def write_gallery(out_dir: str | os.PathLike, title: str | None = None) -> Path:
    """Write ``out_dir/index.html`` showing every round of fakes (:func:`fake_rounds`).

    Rounds come newest first; each shows its images, an ``<audio controls>`` player per audio
    file and a download link per MIDI file, under a heading with the step, epoch and metrics
    from the round's ``round.json`` when present. ``out_dir/losses.png`` is shown on top when it
    exists, then the scores rendered to audio in ``out_dir/rendered/`` (``audiogan render`` of a
    ``musegan`` run) with their players. The file is written to a temporary name and renamed, so a browser never reads half
    a page.

    Args:
        out_dir: The training output folder.
        title: Page title (default: the folder's name).

    Returns:
        The path of ``index.html``.
    """
    root = Path(out_dir)
    root.mkdir(parents=True, exist_ok=True)
    title = title if title is not None else f"{root.resolve().name} fakes"
    rounds = fake_rounds(root)
    body = [
        f"<h1>{html.escape(title)}</h1>",
        f'<p class="meta">{len(rounds)} rounds of fakes, newest first.</p>',
    ]
    if rounds:
        links = " ".join(
            f'<a href="#{html.escape(quote(folder.name), quote=True)}">{step}</a>'
            for step, folder in rounds
        )
        body.append(f"<nav>steps: {links}</nav>")
    losses = root / "losses.png"
    if losses.is_file():
        body.append(
            f'<section id="losses"><h2>Losses</h2><div class="images"><img src="{_href(losses, root)}" alt="losses"></div></section>'
        )
    rendered = root / RENDERED_FOLDER
    if rendered.is_dir() and any(p.is_file() for p in rendered.iterdir()):
        body.append(_section(None, rendered, root))
    body.extend(_section(step, folder, root) for step, folder in rounds)
    page = "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{html.escape(title)}</title>",
            f"<style>\n{_STYLE}\n</style>",
            "</head>",
            "<body>",
            *body,
            "</body>",
            "</html>",
            "",
        ]
    )
    path = root / "index.html"
    tmp = root / ".index.html.tmp"
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, path)
    return path
