"""What each model lets the form offer, as plain data the browser builds controls from.

The form's front end has no model knowledge: it draws a duration ``<select>`` for a set
of durations and a slider for a range, a ratio picker when there are ratios, reference
pickers when the model takes reference media, and so on, all from one dict per model
(the synced ``catalog`` trait). Adding a model means adding it to the catalog, not to
the form. :func:`capabilities` is the one place that reads a :class:`ModelSpec`; when
the catalog grows fields (ranges, ratios, references, audio) only it changes.

Shape of one model's capabilities (JSON)::

    {"label": "Hailuo 02 standard · image → video", "input": "image",
     "durations": [6, 10]  or  {"min": 4, "max": 15, "step": 1},
     "default_duration": 6,
     "resolutions": ["512p", "768p"], "default_resolution": "768p",
     "ratios": [] (or ["16:9", "9:16", "1:1"]), "default_ratio": "",
     "frames": {"first": true, "last": true, "need_first": true},
     "references": null  or  {"image": 9, "video": 3, "audio": 3},
     "has_audio": false, "prompt_max": 2000,
     "camera_moves": true, "enhance": false}

``camera_moves``: the model reads MiniMax's bracketed camera commands (the catalog's
flag: Hailuo 02 / 2.3; protocols.md documents none for H3), so the form offers its
move picker. ``enhance``: the provider expands prompts for this model (MiniMax's H3
Context-IR; the simulator speaks MiniMax), so the form offers its Enhance button.
"""

from __future__ import annotations

from typing import Any

from hailuo_nb.gateway.catalog import MODELS, ModelSpec
from hailuo_nb.gateway.config import Endpoint

Capabilities = dict[str, Any]


def capabilities(spec: ModelSpec, endpoint: Endpoint | None = None) -> Capabilities:
    """One model's capabilities; ``endpoint`` narrows the catalog's where its provider does."""
    protocol = endpoint.protocol if endpoint is not None else None
    res = list(protocol.resolutions_for(spec) if protocol else spec.resolutions)
    seconds = protocol.durations_for(spec) if protocol else spec.durations
    span = spec.duration_range
    refs = spec.references
    return {
        "label": spec.label,
        "input": spec.input,
        "durations": {"min": min(seconds), "max": max(seconds), "step": 1} if span else list(seconds),
        "default_duration": 6 if 6 in seconds else seconds[0],
        "resolutions": res,
        "default_resolution": "768p" if "768p" in res else res[0],
        "ratios": list(spec.ratios),
        # a model that needs a ratio starts on the common 16:9; the user picks another
        "default_ratio": spec.default_ratio or ("16:9" if spec.ratio_required else ""),
        "frames": {"first": spec.frames.first, "last": spec.frames.last,
                   "need_first": spec.needs_first_frame},
        "references": {"image": refs.image, "video": refs.video, "audio": refs.audio} if refs else None,
        "has_audio": spec.has_audio,
        "prompt_max": protocol.prompt_limit(spec) if protocol else spec.prompt_max,
        "camera_moves": spec.camera_moves,
        "enhance": spec.family == "h3" and getattr(protocol, "build_enhance", None) is not None,
    }


def provider_catalog(endpoint: Endpoint, extra: ModelSpec | None = None) -> dict[str, Capabilities]:
    """Capabilities of every model ``endpoint`` serves (``extra``, a native id, first)."""
    served = [MODELS[m] for m in MODELS if endpoint.protocol.serves(m)]
    if extra is not None and extra.id not in MODELS:
        served.insert(0, extra)
    return {s.id: capabilities(s, endpoint) for s in served}


# -- reading capabilities (the kernel fits the fields to them the way the browser draws them)


def allows_duration(caps: Capabilities, seconds: int) -> bool:
    durations = caps["durations"]
    if isinstance(durations, dict):
        return int(durations["min"]) <= seconds <= int(durations["max"])
    return seconds in durations


def frame_fields(caps: Capabilities) -> list[str]:
    """The frame pickers the model shows: ``first_frame``, ``last_frame``."""
    frames = caps.get("frames") or {}
    return [f"{end}_frame" for end in ("first", "last") if frames.get(end)]


def reference_limits(caps: Capabilities) -> dict[str, int]:
    """Reference media the model takes, by kind, with the most of each (none: ``{}``)."""
    return {kind: int(n) for kind, n in (caps.get("references") or {}).items() if int(n) > 0}


def fitted(caps: Capabilities, *, duration: int, resolution: str, ratio: str) -> dict[str, Any]:
    """``duration``, ``resolution`` and ``ratio`` moved to the nearest values ``caps`` allows."""
    durations = caps["durations"]
    if not allows_duration(caps, duration):
        if isinstance(durations, dict):
            duration = min(max(duration, int(durations["min"])), int(durations["max"]))
        else:
            duration = int(caps["default_duration"])
    if resolution not in caps["resolutions"]:
        resolution = caps["default_resolution"]
    ratios = caps.get("ratios") or []
    if ratio not in ratios:
        ratio = caps.get("default_ratio") or (ratios[0] if ratios else "")
    return {"duration": duration, "resolution": resolution, "ratio": ratio}


__all__ = [
    "Capabilities",
    "allows_duration",
    "capabilities",
    "fitted",
    "frame_fields",
    "provider_catalog",
    "reference_limits",
]
