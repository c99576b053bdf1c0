"""The docs: every exported name is documented where it is defined, the protocols show their
methods, every docstring example and every code block of the reference pages runs, and long
lines scroll instead of being cut.

The default tests read ``docs/api.rst``, ``docs/conf.py`` and the sources; the ``slow`` ones build
the site once (about a minute) and check what was built: the inventory (``objects.inv``), the
protocols on the API page and the stylesheet. ``make docs`` (run by ``.ci/run``) builds with -W.

The learning pages (Getting started, the parts pages and the how-tos) are run by
``tests/test_docs_howto.py``; this file runs the other pages in ``docs/*.rst``.
"""

from __future__ import annotations

import ast
import doctest
import importlib
import inspect
import pkgutil
import re
import runpy
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from sphinx.pycode import ModuleAnalyzer
from sphinx.util.inventory import InventoryFile

import audiogan
import audiogan.recipes
from audiogan.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

#: Every package whose ``__all__`` is public API.
PACKAGES = [
    "audiogan",
    *(
        f"audiogan.{name}"
        for name in (
            "frontends",
            "data",
            "nn",
            "losses",
            "augment",
            "train",
            "train.callbacks",
            "metrics",
            "audio",
            "music",
            "viz",
            "recipes",
        )
    ),
]

DOCTEST_FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE

#: Docstring examples skipped (``# doctest: +SKIP``), per docstring, and why. Keep it short: an
#: example that can run at a toy size runs.
KNOWN_SKIPS = {
    # ``recipe.build(config).fit()``: 200 steps of a recipe take minutes on a CPU (even at a toy
    # size a recipe's build and fit take ~10 s); tests/test_recipes_*.py train every recipe.
    "audiogan.recipes": 1,
}

#: Pages whose blocks tests/test_docs_howto.py runs (with recipes at a toy size).
RUN_ELSEWHERE = {"quickstart.rst", "parts.rst"}


# --- every exported name is documented where it is defined ------------------------------------


@cache
def package_modules() -> tuple[str, ...]:
    """``audiogan`` and every module under it (not ``__main__``: importing it runs the command)."""
    names = ["audiogan"]
    for info in pkgutil.walk_packages(audiogan.__path__, "audiogan."):
        if info.name.rsplit(".", 1)[-1] != "__main__":
            names.append(info.name)
    return tuple(names)


@cache
def assigned_names(module_name: str) -> frozenset[str]:
    """Names assigned at the top level of a module's source (its constants and aliases)."""
    module = importlib.import_module(module_name)
    tree = ast.parse(inspect.getsource(module))
    names = set()
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        names |= {t.id for t in targets if isinstance(t, ast.Name)}
    return frozenset(names)


def is_code_object(obj: Any) -> bool:
    """A class or function of audiogan's (it knows its own module and qualified name)."""
    module = getattr(obj, "__module__", None) or ""
    return module.startswith("audiogan") and hasattr(obj, "__qualname__")


def defining_module(name: str, obj: Any) -> str:
    """The module that defines ``obj``: its ``__module__``, or for a constant the module whose
    source assigns it."""
    if is_code_object(obj):
        return obj.__module__
    found = [
        m
        for m in package_modules()
        if name in assigned_names(m) and getattr(importlib.import_module(m), name, None) is obj
    ]
    assert len(found) == 1, f"{name}: assigned in {found or 'no module'}"
    return found[0]


@dataclass(frozen=True)
class Exported:
    package: str
    name: str
    obj: Any

    @property
    def module(self) -> str:
        return defining_module(self.name, self.obj)

    @property
    def canonical(self) -> str:
        """Its full name where it is defined, as the inventory lists it."""
        if is_code_object(self.obj):
            return f"{self.obj.__module__}.{self.obj.__qualname__}"
        return f"{self.module}.{self.name}"

    def __str__(self) -> str:
        return f"{self.package}.{self.name} (defined as {self.canonical})"


def exported_names() -> list[Exported]:
    """Every name of every package's ``__all__``, ``__version__`` aside."""
    out = []
    for package in PACKAGES:
        module = importlib.import_module(package)
        for name in module.__all__:
            if name != "__version__":
                out.append(Exported(package, name, getattr(module, name)))
    return out


@dataclass
class ApiPage:
    """What ``docs/api.rst`` asks autodoc for."""

    modules: dict[str, list[str]]  # automodule -> its option lines
    objects: dict[str, str]  # autoclass / autofunction / ... target -> directive


@cache
def api_page() -> ApiPage:
    text = (DOCS / "api.rst").read_text(encoding="utf-8")
    page = ApiPage({}, {})
    directive = re.compile(r"^\.\. (auto\w+):: *(\S+) *$")
    lines = text.splitlines()
    for i, line in enumerate(lines):
        match = directive.match(line)
        if not match:
            continue
        kind, target = match.groups()
        if kind == "automodule":
            options = []
            for option in lines[i + 1 :]:
                if not option.strip().startswith(":"):
                    break
                options.append(option.strip())
            page.modules[target] = options
        else:
            page.objects[target] = kind
    return page


def has_docstring(entry: Exported) -> bool:
    """A class or function with its own docstring, or a constant with a ``#:`` comment."""
    if inspect.isclass(entry.obj):
        return bool(vars(entry.obj).get("__doc__"))
    if is_code_object(entry.obj):
        return bool(entry.obj.__doc__)
    attr_docs = ModuleAnalyzer.for_module(entry.module).find_attr_docs()
    return ("", entry.name) in attr_docs


def documented_on_api_page(entry: Exported) -> bool:
    """``docs/api.rst`` documents it where it is defined: an ``auto*::`` directive names it, or
    an ``automodule::`` of its module takes its members (the module's ``__all__`` when it has
    one: autodoc documents no other name of such a module)."""
    page = api_page()
    if entry.canonical in page.objects:
        return True
    options = page.modules.get(entry.module)
    if options is None or ":no-members:" in options:
        return False
    module_all = getattr(importlib.import_module(entry.module), "__all__", None)
    return module_all is None or entry.name in module_all


def test_api_page_documents_every_exported_name():
    """Each name of each ``__all__`` has an entry on the API page where it is defined, with a
    docstring (a ``#:`` comment for a constant). The slow test checks the built inventory."""
    missing = [str(e) for e in exported_names() if not documented_on_api_page(e)]
    assert not missing, "not on docs/api.rst:\n" + "\n".join(missing)
    undocumented = [str(e) for e in exported_names() if not has_docstring(e)]
    assert not undocumented, "no docstring:\n" + "\n".join(undocumented)


def test_api_page_directives_are_sound():
    """Every target imports; no ``:members: a, b`` list, which Sphinx ignores when
    ``autodoc_default_options`` sets ``members`` (use ``:no-members:`` and ``auto*::`` lines)."""
    page = api_page()
    for module, options in page.modules.items():
        importlib.import_module(module)
        assert not any(o.startswith(":members:") for o in options), (module, options)
    for target in page.objects:
        module, _, name = target.rpartition(".")
        assert hasattr(importlib.import_module(module), name), target


def protocol_methods() -> dict[str, list[str]]:
    """Each protocol of :mod:`audiogan.protocols` -> the methods it declares."""
    import audiogan.protocols as protocols

    out = {}
    for name, cls in vars(protocols).items():
        if (
            inspect.isclass(cls)
            and getattr(cls, "_is_protocol", False)
            and name in audiogan.__all__
        ):
            out[name] = [
                m
                for m, value in vars(cls).items()
                if inspect.isfunction(value) and (not m.startswith("_") or m == "__call__")
            ]
    return out


def test_protocol_methods_have_docstrings():
    """autodoc lists a member only with a docstring; ``__call__`` needs ``:special-members:``."""
    import audiogan.protocols as protocols

    methods = protocol_methods()
    assert methods["Frontend"] == ["encode", "decode", "save", "plot"]
    assert methods["Objective"] == ["critic_loss", "generator_loss"]
    assert methods["Generator"] == ["sample_latent", "__call__"]
    assert methods["Conditioning"] == ["forward", "label_map"]
    for protocol, names in methods.items():
        for name in names:
            assert getattr(protocols, protocol).__dict__[name].__doc__, f"{protocol}.{name}"
    assert ":special-members: __call__" in api_page().modules["audiogan.protocols"]


# --- every docstring example runs ---------------------------------------------------------------


@cache
def module_doctests(module_name: str) -> tuple[doctest.DocTest, ...]:
    module = importlib.import_module(module_name)
    tests = doctest.DocTestFinder().find(module)
    return tuple(t for t in tests if t.examples)


DOCTEST_MODULES = [m for m in package_modules() if module_doctests(m)]


@pytest.mark.parametrize("module_name", DOCTEST_MODULES)
def test_docstring_examples_run(module_name, tmp_path, monkeypatch):
    """The module's examples, with ELLIPSIS and NORMALIZE_WHITESPACE, in a temporary folder."""
    monkeypatch.chdir(tmp_path)
    runner = doctest.DocTestRunner(optionflags=DOCTEST_FLAGS)
    report: list[str] = []
    for test in module_doctests(module_name):
        runner.run(test, out=report.append)
    assert runner.failures == 0, "".join(report)


def test_every_docstring_example_is_found_and_few_are_skipped():
    """Each ``>>>`` line of the sources is an example the finder sees (none hides where doctest
    does not look), and only :data:`KNOWN_SKIPS` are skipped."""
    skips: dict[str, int] = {}
    for name in package_modules():
        source = inspect.getsource(importlib.import_module(name))
        prompts = len(re.findall(r"^\s*>>> ", source, flags=re.M))
        found = sum(len(t.examples) for t in module_doctests(name))
        assert found == prompts, f"{name}: {prompts} '>>>' lines, {found} examples found"
        for test in module_doctests(name):
            skipped = sum(bool(e.options.get(doctest.SKIP)) for e in test.examples)
            if skipped:
                skips[test.name] = skipped
    assert skips == KNOWN_SKIPS
    assert sum(len(t.examples) for m in DOCTEST_MODULES for t in module_doctests(m)) > 100


# --- every code block of the reference pages runs ------------------------------------------------


@dataclass
class Block:
    language: str  # "python", "pycon" (a >>> block), "bash", ...
    code: str
    line: int


_DIRECTIVE = re.compile(r"^( *)\.\. (?:code-block|code|sourcecode):: *(\w+) *$")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def page_blocks(path: Path) -> list[Block]:
    """The code blocks of an rst page in order: ``.. code-block::`` bodies (dedented; a python
    one that starts with ``>>>`` is a doctest) and doctest paragraphs (``>>>`` lines)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks = []
    i = 0
    while i < len(lines):
        match = _DIRECTIVE.match(lines[i])
        if lines[i].lstrip().startswith(">>>"):
            start = i
            while i < len(lines) and lines[i].strip():
                i += 1
            blocks.append(Block("pycon", inspect.cleandoc("\n".join(lines[start:i])), start + 1))
            continue
        if not match:
            i += 1
            continue
        indent, language = len(match.group(1)), match.group(2)
        i += 1
        while i < len(lines) and lines[i].strip().startswith(":"):
            i += 1
        start = i
        while i < len(lines) and (not lines[i].strip() or _indent(lines[i]) > indent):
            i += 1
        code = inspect.cleandoc("\n".join(lines[start:i])) + "\n"
        if language == "python" and code.lstrip().startswith(">>>"):
            language = "pycon"
        blocks.append(Block(language, code, start + 1))
    return blocks


def reference_pages() -> list[str]:
    return sorted(p.name for p in DOCS.glob("*.rst") if p.name not in RUN_ELSEWHERE)


def test_pages_run_elsewhere_are_run_there():
    """No page is left out: those this file skips are listed by tests/test_docs_howto.py."""
    howto_test = (ROOT / "tests" / "test_docs_howto.py").read_text(encoding="utf-8")
    for page in RUN_ELSEWHERE:
        assert f'"{page}"' in howto_test, f"{page} is run by no test"
    assert "recipes.rst" in reference_pages() and "api.rst" in reference_pages()


#: What a block that trains a recipe runs at instead of the page's settings (the keys the
#: recipe's config has): 20 clips of 16 mels x 16 frames, narrow models, 2 steps on the CPU.
TOY = {"steps": 2, "epochs": None, "every": 2, "unit": "step", "device": "cpu"}
TOY |= {"clips_per_class": 4, "batch_size": 4, "n_mels": 16, "frames": 16, "width": 4}
TOY |= {"fakes_per_class": 1}


@pytest.fixture
def toy_recipes(tmp_path, monkeypatch):
    """A temporary working folder, and recipes configured at :data:`TOY` sizes."""
    real = audiogan.recipes.configure

    def configure(recipe: Any, full_size: bool = False, overrides: Any = None) -> Any:
        settings = vars(real(recipe, full_size, overrides))
        toy = {k: v for k, v in TOY.items() if k in settings}
        return real(recipe, False, {**settings, **toy})

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(audiogan.recipes, "configure", configure)
    return tmp_path


PYTHON_PAGES = [
    p
    for p in reference_pages()
    if any(b.language in {"python", "pycon"} for b in page_blocks(DOCS / p))
]


@pytest.mark.parametrize("page", PYTHON_PAGES)
def test_page_python_blocks_run(page, toy_recipes, capsys):
    """The page's Python and ``>>>`` blocks, in order, in one namespace, as a reader runs them."""
    path = DOCS / page
    namespace: dict[str, Any] = {"__name__": f"docs.{page}"}
    runner = doctest.DocTestRunner(optionflags=DOCTEST_FLAGS)
    report: list[str] = []
    for block in page_blocks(path):
        if block.language == "python":
            padded = "\n" * (block.line - 1) + block.code  # tracebacks name the page's line
            exec(compile(padded, str(path), "exec"), namespace)  # noqa: S102
        elif block.language == "pycon":
            test = doctest.DocTestParser().get_doctest(
                block.code, namespace, f"{page}:{block.line}", str(path), block.line
            )
            runner.run(test, out=report.append, clear_globs=False)
    capsys.readouterr()
    assert runner.failures == 0, "".join(report)


def command_lines() -> Iterator[tuple[str, list[str]]]:
    """``(where, argv)`` of each ``audiogan`` command in the reference pages' bash blocks and in
    the :mod:`audiogan.cli` docstring."""
    sources = [
        (f"{page}:{b.line}", b.code)
        for page in reference_pages()
        for b in page_blocks(DOCS / page)
        if b.language in {"bash", "console", "shell", "sh"}
    ]
    sources.append(("audiogan.cli docstring", importlib.import_module("audiogan.cli").__doc__))
    for where, code in sources:
        for text in code.splitlines():
            argv = shlex.split(text.strip().removeprefix("$ "), comments=True)
            if argv[:3] == ["python", "-m", "audiogan"]:
                argv = ["audiogan", *argv[3:]]
            if argv[:1] == ["audiogan"]:
                yield where, argv


def test_command_lines_parse():
    """Each ``audiogan ...`` line of the pages parses with the command's own parser (not run)."""
    commands = list(command_lines())
    assert len(commands) >= 10
    for where, argv in commands:
        try:
            build_parser().parse_args(argv[1:])
        except SystemExit:
            pytest.fail(f"{where}: `{shlex.join(argv)}` does not parse")


# --- long lines scroll ---------------------------------------------------------------------------


def scrolling_selectors(css: str) -> set[str]:
    """The selectors of the rules of ``css`` that scroll horizontally (``overflow-x: auto``)."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    out: set[str] = set()
    for selectors, body in re.findall(r"([^{}]+)\{([^}]*)\}", css):
        if re.search(r"overflow(-x)?\s*:\s*auto", body):
            out |= {s.strip() for s in selectors.split(",")}
    return out


def test_stylesheet_makes_code_blocks_scroll():
    """conf.py adds docs/_static/custom.css, whose rules scroll code blocks and tables."""
    conf = runpy.run_path(str(DOCS / "conf.py"))
    assert "_static" in conf["html_static_path"]
    assert "custom.css" in conf["html_css_files"]
    selectors = scrolling_selectors((DOCS / "_static" / "custom.css").read_text(encoding="utf-8"))
    assert {"pre", "div.highlight", ".table-wrapper", ".admonition"} <= selectors


# --- the built site (slow) -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def built_site(tmp_path_factory) -> Path:
    """The HTML site, built once (warnings are ``make docs``'s business: it builds with -W)."""
    out = tmp_path_factory.mktemp("html")
    command = [sys.executable, "-m", "sphinx", "-q", "-b", "html", str(DOCS), str(out)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr[-4000:]
    return out


@pytest.mark.slow
def test_inventory_has_every_exported_name(built_site):
    with open(built_site / "objects.inv", "rb") as f:
        inventory = InventoryFile.load(f, "", lambda base, uri: uri)
    documented = {
        name for kind, entries in inventory.items() if kind.startswith("py:") for name in entries
    }
    missing = [str(e) for e in exported_names() if e.canonical not in documented]
    assert not missing, "not in objects.inv:\n" + "\n".join(missing)


@pytest.mark.slow
def test_api_page_shows_the_protocols_methods(built_site):
    html = (built_site / "api.html").read_text(encoding="utf-8")
    for protocol, methods in protocol_methods().items():
        for method in methods:
            assert f'id="audiogan.protocols.{protocol}.{method}"' in html, (protocol, method)
        signature = re.search(rf'id="audiogan.protocols.{protocol}">(.*?)</dt>', html, re.S)
        assert signature and "kwargs" not in signature.group(1), protocol
    # A reference to a re-export (``~audiogan.train.callbacks.fixed_fakes`` in Generator's
    # docstring) links to the entry where the name is defined (conf.py's missing-reference hook).
    assert 'href="#audiogan.train.callbacks.fakes.fixed_fakes"' in html


@pytest.mark.slow
def test_built_pages_link_the_stylesheet(built_site):
    pages = [p for p in built_site.rglob("*.html") if "<pre" in p.read_text(encoding="utf-8")]
    assert len(pages) >= 3
    for page in pages:
        assert "_static/custom.css" in page.read_text(encoding="utf-8"), page
    css = (built_site / "_static" / "custom.css").read_text(encoding="utf-8")
    assert {"pre", ".table-wrapper"} <= scrolling_selectors(css)
