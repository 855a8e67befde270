"""Submitting from the form, and going on from a card: re-run, tweak, use last frame.

The form submits through :func:`hailuo_nb.generate` (``wait=False``), so the journal,
reuse and budget rules are the magic's; these helpers only turn a finished card back
into ``generate()`` arguments and pick a model to continue a clip with. The form's
Enhance button goes through :func:`enhance_prompt`, the one place that reaches
:func:`hailuo_nb.enhance`.
"""

from __future__ import annotations

import inspect
from typing import Any

from hailuo_nb.gateway.catalog import MODELS
from hailuo_nb.gateway.config import Endpoint
from hailuo_nb.gateway.generation import Generation
from hailuo_nb.notebook.widgets.fields import model_spec

#: The fields a card's settings restore (frames aside).
SETTINGS = ("provider", "model", "prompt", "duration", "resolution", "prompt_optimizer")


def settings_of(gen: Generation) -> dict[str, Any]:
    """``gen``'s request as :func:`hailuo_nb.generate` arguments (frames if still in memory)."""
    d = gen.to_dict()
    request = gen.request  # None for a generation loaded from the journal
    return {
        **{name: d[name] for name in SETTINGS},
        "first_frame": request.first_frame if request else None,
        "last_frame": request.last_frame if request else None,
    }


def image_model_for(endpoint: Endpoint, *candidates: str) -> str:
    """An image-to-video model to go on with: a candidate's image twin if served, else any."""
    for base in candidates:
        twin = base.replace("text-to-video", "image-to-video")
        spec = model_spec(endpoint, twin)
        if spec is not None and spec.first_frame:
            return twin
    return next(m for m in endpoint.protocol.models if m in MODELS and MODELS[m].first_frame)


def start(args: dict[str, Any], *, force: bool) -> Generation:
    """Start a generation without waiting (an identical earlier one is reused unless ``force``)."""
    import hailuo_nb

    gen: Generation = hailuo_nb.generate(**args, wait=False, reuse=not force)
    return gen


def enhance_prompt(args: dict[str, Any]) -> str:
    """:func:`hailuo_nb.enhance` of the form's values (it blocks: call it off the kernel's thread).

    Only the arguments ``enhance`` takes are passed: the prompt, model, provider, length,
    ratio and media (the expansion names the media, e.g. ``<Picture 1>``).
    """
    import hailuo_nb

    accepted = inspect.signature(hailuo_nb.enhance).parameters
    given = {name: value for name, value in args.items() if name in accepted and value not in (None, "")}
    return hailuo_nb.enhance(**given)


__all__ = ["SETTINGS", "enhance_prompt", "image_model_for", "settings_of", "start"]
