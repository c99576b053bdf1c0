"""The code of the learning pages runs: Getting started, the parts pages and the how-tos.

Each page's ``.. code-block:: python`` blocks run in order in one namespace, in a temporary
folder, as a reader would paste them. Blocks that train a recipe run it at a tiny size: the test
wraps :func:`audiogan.recipes.configure` so that :data:`TINY`'s settings win over the page's
(fewer clips, narrower models, two steps); nothing else is changed. The chorales are built from
3 chorales into a temporary cache, as the musegan recipe tests do.

Each ``audiogan ...`` line of a ``.. code-block:: bash`` block is parsed by the command's own
parser (``audiogan.cli.build_parser``), not run; for ``audiogan train`` its recipe and
``--set`` settings are checked by :func:`~audiogan.recipes.configure`. Other lines name
commands the pages explain (``pip``, ``make``, ``torchrun``, ``python docs/figures.py``).

The tables ``docs/figures.py`` generates (blocks, full sizes) must equal the committed ones, and
every figure the pages show must exist.
"""

from __future__ import annotations

import functools
import re
import shlex
import sys
from pathlib import Path
from typing import Any

import pytest

import audiogan
import audiogan.recipes
from audiogan.cli import build_parser
from audiogan.recipes import configure as real_configure
from audiogan.recipes import get_recipe

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = [
    "quickstart.rst",
    "parts.rst",
    *(f"parts/{name}.rst" for name in ("frontends", "blocks", "objectives", "trainer", "data")),
    *(
        f"howto/{name}.rst"
        for name in (
            "wgan-gp",
            "real-recordings",
            "onehot-cgan",
            "resnet9-gan",
            "musegan",
            "event-classifier",
            "vocoder",
            "gansynth",
        )
    ),
]

# Spectrogram recipes: 20 clips of 16 mels x 16 frames, narrow models, 2 steps.
_SPECTROGRAM = {"clips_per_class": 4, "batch_size": 4, "n_mels": 16, "frames": 16, "width": 4}
_SPECTROGRAM |= {"every": 2, "unit": "step", "steps": 2, "epochs": None, "fakes_per_class": 1}
#: Settings that win over a page's when a block trains a recipe.
TINY: dict[str, dict[str, Any]] = {
    "wgan-gp": _SPECTROGRAM | {"critic_width": 4},
    "onehot-cgan": _SPECTROGRAM,
    "resnet9-gan": _SPECTROGRAM | {"critic_width": 4, "eval_fakes": 10},
    "musegan": {"batch_size": 2, "width": 4, "num_fakes": 2, "report_fakes": 4}
    | {"every": 1, "unit": "step", "steps": 2, "max_chorales": 3, "split": "all"},
    "event-classifier": {"clips_per_class": 4, "batch_size": 4, "n_mels": 16, "frames": 24}
    | {"hidden_size": 16, "num_layers": 1, "epochs": 1, "chunk": 700},
    "vocoder": {"clips_per_class": 3, "held_out": 1, "n_mels": 16, "frames": 16}
    | {"segment_frames": 8, "batch_size": 2, "width": 16, "critic_width": 1}
    | {"every": 2, "unit": "step", "steps": 2},
}

_DIRECTIVE = re.compile(r"^( *)\.\. code-block:: *(\w+) *$")


def code_blocks(path: Path) -> list[tuple[str, str, int]]:
    """``(language, code, line)`` of each ``.. code-block::`` of an rst file, dedented."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks = []
    i = 0
    while i < len(lines):
        match = _DIRECTIVE.match(lines[i])
        if not match:
            i += 1
            continue
        indent, language, start = len(match.group(1)), match.group(2), i + 1
        i += 1
        while i < len(lines) and lines[i].strip().startswith(":"):  # directive options
            i += 1
        body: list[str] = []
        while i < len(lines) and (not lines[i].strip() or _indent(lines[i]) > indent):
            body.append(lines[i])
            i += 1
        text = "\n".join(body).strip("\n")
        margin = min(_indent(line) for line in text.splitlines() if line.strip())
        code = "\n".join(line[margin:] for line in text.splitlines())
        blocks.append((language, code + "\n", start))
    return blocks


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def test_the_pages_have_code():
    """Every page is found and the runner sees its blocks (a renamed page fails here)."""
    for page in PAGES:
        assert (DOCS / page).is_file(), page
    counts = {page: len(code_blocks(DOCS / page)) for page in PAGES}
    assert all(n > 0 for n in counts.values()), counts
    assert any(lang == "python" for lang, _, _ in code_blocks(DOCS / "quickstart.rst"))


def _tiny_configure(recipe: Any, full_size: bool = False, overrides: Any = None) -> Any:
    config = real_configure(recipe, full_size, overrides)
    return real_configure(recipe, False, {**vars(config), **TINY.get(recipe.name, {})})


@pytest.fixture
def tiny_world(tmp_path, monkeypatch):
    """A temporary working folder, tiny recipes, chorales from 3 pieces in a temporary cache."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AUDIOGAN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(audiogan.recipes, "configure", _tiny_configure)
    chorales = functools.partial(audiogan.data.JSBChorales, max_chorales=3)
    monkeypatch.setattr(audiogan, "JSBChorales", chorales)
    monkeypatch.setattr(audiogan.data, "JSBChorales", chorales)
    return tmp_path


def _has(page: str, language: str) -> bool:
    path = DOCS / page  # a missing page fails test_the_pages_have_code
    return path.is_file() and any(b[0] == language for b in code_blocks(path))


PYTHON_PAGES = [page for page in PAGES if _has(page, "python")]


@pytest.mark.parametrize("page", PYTHON_PAGES)
def test_python_blocks_run(page, tiny_world, capsys):
    """The page's Python blocks, in order, in one namespace."""
    namespace: dict[str, Any] = {"__name__": f"docs.{page}"}
    for language, code, line in code_blocks(DOCS / page):
        if language != "python":
            continue
        padded = "\n" * (line - 1) + code  # tracebacks name the page's line
        exec(compile(padded, str(DOCS / page), "exec"), namespace)  # noqa: S102
    capsys.readouterr()


def command_lines(page: str) -> list[tuple[list[str], int]]:
    """``(argv, line)`` of each command line of the page's bash blocks (comments dropped)."""
    out = []
    for language, code, line in code_blocks(DOCS / page):
        if language != "bash":
            continue
        for k, text in enumerate(code.splitlines()):
            argv = shlex.split(text, comments=True)
            if argv:
                out.append((argv, line + k))
    return out


KNOWN = {"pip", "make", "torchrun", "python", "open"}


@pytest.mark.parametrize("page", [page for page in PAGES if _has(page, "bash")])
def test_command_lines_parse(page):
    """Each ``audiogan`` line parses, names a recipe, and its ``--set`` keys exist."""
    parser = build_parser()
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for argv, line in command_lines(page):
        where = f"{page}:{line}: {' '.join(argv)}"
        if argv[0] == "audiogan":
            args = parser.parse_args(argv[1:])
            if args.command == "train":
                overrides = dict(item.split("=", 1) for item in args.set)
                config = real_configure(get_recipe(args.recipe), args.full_size, overrides)
                assert config is not None, where
            elif args.command == "recipes" and args.recipe is not None:
                get_recipe(args.recipe)
        elif argv[0] == "make":
            for target in argv[1:]:
                assert re.search(rf"^{re.escape(target)}:", makefile, re.M), where
        elif argv[0] == "python" and argv[1:2] == ["docs/figures.py"]:
            figures_module().build_parser().parse_args(argv[2:])
        else:
            assert argv[0] in KNOWN, f"{where}: unknown command"


def figures_module() -> Any:
    """``docs/figures.py``, imported."""
    sys.path.insert(0, str(DOCS))
    try:
        import figures
    finally:
        sys.path.remove(str(DOCS))
    return figures


def test_figure_runs_parse():
    """The short trainings ``docs/figures.py`` makes when a run is missing are valid commands."""
    parser = build_parser()
    figures = figures_module()
    assert set(figures.SHORT) == set(figures.RECIPE_NAMES)
    for name, extra in figures.SHORT.items():
        args = parser.parse_args(["train", name, "--out", "x", *extra])
        overrides = dict(item.split("=", 1) for item in args.set)
        assert real_configure(get_recipe(name), False, overrides) is not None


def test_generated_tables_are_current():
    """``docs/figures.py``'s tables equal the committed files: regenerate with
    ``python docs/figures.py --tables-only`` after changing a block or a recipe's sizes."""
    stale = [
        name
        for name, text in figures_module().tables().items()
        if (DOCS / "_generated" / name).read_text(encoding="utf-8") != text
    ]
    assert not stale, f"stale: {stale}; run `python docs/figures.py --tables-only`"


def test_figures_and_includes_exist():
    """Every figure, image and include of the pages is a committed file."""
    pattern = re.compile(r"^\s*\.\. (?:figure|image|include|literalinclude):: *(\S+)", re.M)
    for page in PAGES:
        path = DOCS / page
        for target in pattern.findall(path.read_text(encoding="utf-8")):
            assert (path.parent / target).is_file(), f"{page}: {target} is missing"
