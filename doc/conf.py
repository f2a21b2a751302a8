"""Sphinx configuration. Build with: python -m sphinx -W -b html doc doc/_build/html"""

import importlib
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import skstruct  # noqa: E402

project = "skstruct"
author = "skstruct developers"
copyright = "2026, skstruct developers"
version = release = skstruct.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/**/*.ipynb",
                    "**.py.md5", "sg_execution_times.rst"]
templates_path = ["_templates"]
html_theme = "alabaster"
html_static_path = []
nitpicky = False
suppress_warnings = ["config.cache"]

intersphinx_mapping = {}  # the build machine has no network: no cross-project links

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "plot_gallery": "True",
}

# --- API page generated from the public __all__ of every subpackage -----------------------
_API_SUBPACKAGES = ["decomposition", "cluster", "spd", "mixture", "linear_model", "density",
                    "datasets", "utils"]


def _write_api_page():
    lines = ["API reference", "=============", "",
             "Generated from the ``__all__`` of each public subpackage.", ""]
    for sub in _API_SUBPACKAGES:
        try:
            module = importlib.import_module(f"skstruct.{sub}")
        except ModuleNotFoundError:
            continue
        names = list(getattr(module, "__all__", []))
        if not names:
            continue
        title = f"``skstruct.{sub}``"
        first = (module.__doc__ or "").strip().splitlines()
        lines += [title, "-" * len(title), "", f".. automodule:: skstruct.{sub}",
                  "   :no-members:", "   :no-inherited-members:", ""]
        if first:
            lines += [first[0], ""]
        lines += [f".. currentmodule:: skstruct.{sub}", "", ".. autosummary::",
                  "   :toctree: generated/", ""]
        lines += [f"   {name}" for name in sorted(names)]
        lines.append("")
    text = "\n".join(lines)
    path = HERE / "api.rst"
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


_write_api_page()
os.environ.setdefault("MPLBACKEND", "Agg")


def _skip_sklearn_members(app, what, name, obj, skip, options):
    # Methods inherited from scikit-learn (set_output, metadata routing, score,
    # ...) are documented there; their docstrings link into sklearn's own docs.
    module = getattr(obj, "__module__", None) or ""
    if module.startswith("sklearn.") or (name.startswith("set_") and name.endswith("_request")):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_sklearn_members)
