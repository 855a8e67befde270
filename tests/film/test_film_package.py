"""hailuo_nb.film imports nothing heavy and nothing of Jupyter until it is used."""

from __future__ import annotations

import subprocess
import sys

import hailuo_nb.film


def test_importing_the_package_is_cheap():
    code = ("import sys, hailuo_nb.film; heavy = ('av', 'numpy', 'PIL', 'pandas', 'IPython', "
            "'ipywidgets', 'anywidget'); print([m for m in heavy if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "[]"


def test_public_names_are_pinned():
    assert hailuo_nb.film.__all__ == sorted(hailuo_nb.film.__all__)
    assert all(hasattr(hailuo_nb.film, name) for name in hailuo_nb.film.__all__)
