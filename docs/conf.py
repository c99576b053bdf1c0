"""Sphinx configuration for the audiogan docs."""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.abspath(".."))

project = "audiogan"
author = "audiogan developers"
copyright = "2026, audiogan developers"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_ivar = True
nitpicky = False

# Signatures longer than this list one parameter per line (the Trainer's, the recipes' configs).
python_maximum_signature_line_length = 88

html_theme = "furo"
html_title = "audiogan"
# custom.css: long lines in code blocks, literal blocks and tables scroll instead of being cut.
html_static_path = ["_static"]
html_css_files = ["custom.css"]
exclude_patterns = ["_build"]


def _protocol_signature(app, what, name, obj, options, signature, return_annotation):
    """No ``(*args, **kwargs)`` after a protocol's name: a protocol is never instantiated."""
    if what == "class" and getattr(obj, "_is_protocol", False):
        return "", None
    return None


def _canonical_target(target: str) -> str | None:
    """``audiogan.train.Trainer`` (a re-export) -> ``audiogan.train.trainer.Trainer``, the place
    where it is defined and documented; None when ``target`` is no re-exported audiogan object."""
    import importlib

    parts = target.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr, None)
            if obj is None:
                return None
        module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
        if not (module and qualname) or f"{module}.{qualname}" == target:
            return None
        return f"{module}.{qualname}"
    return None


def _resolve_reexport(app, env, node, contnode):
    """Link references to re-exported names (``:class:`audiogan.Trainer```,
    ``:func:`audiogan.viz.plot_losses```) to their entry where they are defined."""
    target = node.get("reftarget", "")
    if node.get("refdomain") != "py" or not target.startswith("audiogan."):
        return None
    canonical = _canonical_target(target)
    if canonical is None:
        return None
    domain = env.get_domain("py")
    return domain.resolve_xref(
        env, node["refdoc"], app.builder, node["reftype"], canonical, node, contnode
    )


def setup(app):
    app.connect("autodoc-process-signature", _protocol_signature)
    app.connect("missing-reference", _resolve_reexport)
