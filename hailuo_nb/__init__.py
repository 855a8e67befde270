"""hailuo_nb: MiniMax Hailuo video generation as a first-class citizen of Jupyter.

``%load_ext hailuo_nb`` for the ``%%hailuo`` magic, ``hailuo_nb.generate(...)`` from
Python, ``hailuo_nb.Form()`` for interactive exploration. With no API key set, everything
runs on the built-in offline simulator.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

from hailuo_nb.api import (
    Generation,
    agenerate,
    enhance,
    generate,
    history,
    models,
    orphans,
    pending,
    provider_info,
    resume,
    session_spend,
    wait_all,
)
from hailuo_nb.errors import (
    AuthenticationError,
    BudgetExceededError,
    ContentPolicyError,
    GatewayError,
    GenerationFailed,
    GenerationTimeout,
    HailuoError,
    InsufficientCreditsError,
    RateLimitError,
    ValidationError,
)

__all__ = [
    "AuthenticationError",
    "BudgetExceededError",
    "ContentPolicyError",
    "Form",
    "GatewayError",
    "Generation",
    "GenerationFailed",
    "GenerationTimeout",
    "HailuoError",
    "InsufficientCreditsError",
    "RateLimitError",
    "Storyboard",
    "ValidationError",
    "__version__",
    "agenerate",
    "batch",
    "compare",
    "doctor",
    "enhance",
    "export",
    "generate",
    "history",
    "load_ipython_extension",
    "models",
    "orphans",
    "pending",
    "provider_info",
    "resume",
    "session_spend",
    "unload_ipython_extension",
    "wait_all",
]


_LAZY = {"Storyboard": "hailuo_nb.film.storyboard", "compare": "hailuo_nb.film.compare",
         "batch": "hailuo_nb.film.batch"}


def __getattr__(name: str) -> Any:
    # The notebook layer (ipywidgets, anywidget) loads only when asked for.
    if name == "Form":
        from hailuo_nb.notebook.widgets.form import Form

        return Form
    if name in _LAZY:  # storyboards, grids and batches load with their first use
        from importlib import import_module

        return getattr(import_module(_LAZY[name]), name)
    if name in ("doctor", "export"):  # PyAV and the notebook helpers load only when used
        from hailuo_nb.notebook.doctor import doctor
        from hailuo_nb.notebook.export import export

        return {"doctor": doctor, "export": export}[name]
    raise AttributeError(f"module 'hailuo_nb' has no attribute {name!r}")


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext hailuo_nb``: register the magics."""
    from hailuo_nb.notebook import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    from hailuo_nb.notebook import unload_ipython_extension as unload

    unload(ipython)
