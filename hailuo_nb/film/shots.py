r"""The storyboard shot syntax: one shot per line, readable without docs.

    # a comment; blank lines are ignored
    1. A lighthouse at dusk, waves crash [Pan left] (6s)
    2. -> The keeper climbs the stairs [Push in] (10s, model=hailuo-02-image-to-video-standard)
    3. The sea at night (ratio=16:9, resolution=768p)

- ``1.`` (or ``1)``, ``Shot 1:``) — an optional number; shots are numbered by their order, so it
  is decoration. ``2:30 pm`` or ``1.5 seconds later`` are prompt text, not numbers.
- ``->`` (or ``→``, ``+``, ``continue:``) — this shot starts from the previous shot's last frame.
- ``[Pan left, Zoom in]`` — camera moves. They stay in the prompt: MiniMax reads them inline.
- ``(6s, key=value, ...)`` at the end — the length and options (:data:`OPTIONS`). A trailing
  parenthesis with neither a length nor ``=`` in it is ordinary prompt text.

Syntax errors raise :class:`~hailuo_nb.errors.ValidationError` naming the line; questionable
prompts (unknown moves, too long) are warnings from :func:`check_prompt`, because MiniMax
accepts them and the user may mean it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hailuo_nb.errors import ValidationError
from hailuo_nb.film.camera_moves import (
    BRACKET,
    CAMERA_MOVES,
    MAX_MOVES_PER_BRACKET,
    canonical_move,
    split_bracket,
)
from hailuo_nb.gateway.catalog import MAX_PROMPT_CHARS

#: Option keys allowed in a shot's trailing parentheses.
OPTIONS: tuple[str, ...] = (
    "model", "duration", "resolution", "ratio", "provider", "prompt_optimizer",
    "first_frame", "last_frame",
)
#: Aspect ratios (docs/design.md §5).
RATIOS: tuple[str, ...] = ("21:9", "16:9", "4:3", "1:1", "3:4", "9:16", "adaptive")
#: Markers meaning "starts from the previous shot's last frame".
CONTINUE_MARKERS: tuple[str, ...] = ("->", "→", "+", "continue:", "continues:", "cont:")

_ALIASES = {"optimize": "prompt_optimizer", "optimizer": "prompt_optimizer", "length": "duration"}
_NUMBER = re.compile(r"^\s*(?:shot\s*\d+\s*[.):]?|\d+[.)])(?=\s|$)\s*", re.IGNORECASE)
_CONTINUE = re.compile(r"^(?:->|→|\+|cont(?:inues?)?\s*:)\s*", re.IGNORECASE)
_TRAILER = re.compile(r"\(([^()]*)\)\s*$")
_SECONDS = re.compile(r"^(\d+(?:\.\d+)?)\s*(?:s|sec|secs|seconds?)$", re.IGNORECASE)
_ITEM = re.compile(r'\s*((?:[^,"]|"[^"]*")+)\s*(?:,|$)')
_TRUE, _FALSE = ("true", "yes", "on", "1"), ("false", "no", "off", "0")


@dataclass(frozen=True)
class Shot:
    """One line of a storyboard."""

    index: int  #: 1-based position on the board
    prompt: str  #: the text sent, camera brackets included
    duration: int | None = None  #: seconds; None means the model's default
    model: str | None = None  #: None means the board's model
    options: dict[str, Any] = field(default_factory=dict)  #: other keys of :data:`OPTIONS`
    continues: bool = False  #: starts from the previous shot's last frame
    moves: tuple[str, ...] = ()  #: the known camera moves in the prompt, in order
    line: int = 0  #: 1-based line in the cell


def parse_shots(text: str) -> list[Shot]:
    """Every shot in ``text``, in order; ValidationError naming the line on bad syntax."""
    shots: list[Shot] = []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        shots.append(_parse_line(line, lineno, len(shots) + 1))
    return shots


def _parse_line(line: str, lineno: int, index: int) -> Shot:
    body = _NUMBER.sub("", line, count=1)
    marker = _CONTINUE.match(body)
    continues = marker is not None
    if marker:
        body = body[marker.end():]
    if continues and index == 1:
        raise ValidationError(f"line {lineno}", line, "a shot without '->'",
                              reason="the first shot has no previous shot to continue from")
    options: dict[str, Any] = {}
    trailer = _TRAILER.search(body)
    if trailer and _looks_like_options(trailer.group(1)):
        options = _parse_options(trailer.group(1), lineno)
        body = body[: trailer.start()]
    prompt = _canonical_brackets(body.strip())
    if continues and "first_frame" in options:
        raise ValidationError(f"line {lineno}: first_frame", options["first_frame"], "no first_frame",
                              reason="a continuing shot starts from the previous shot's last frame")
    if not prompt and not continues and "first_frame" not in options:
        raise ValidationError(f"line {lineno}", line, "a prompt, '->' or first_frame=...",
                              reason="the shot is empty")
    duration = options.pop("duration", None)
    model = options.pop("model", None)
    return Shot(index, prompt, duration, model, options, continues, moves_in(prompt), lineno)


def _items(inside: str) -> list[str]:
    return [m.group(1).strip() for m in _ITEM.finditer(inside) if m.group(1).strip()]


def _looks_like_options(inside: str) -> bool:
    return any("=" in item or _SECONDS.match(item) for item in _items(inside))


def _parse_options(inside: str, lineno: int) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for item in _items(inside):
        key, value = _option(item, lineno)
        if key in options:
            raise ValidationError(f"line {lineno}: {key}", value, OPTIONS, reason="given twice")
        options[key] = value
    return options


def _option(item: str, lineno: int) -> tuple[str, Any]:
    seconds = _SECONDS.match(item)
    if seconds:
        return "duration", _duration(seconds.group(1), lineno)
    key, sep, value = item.partition("=")
    key = "_".join(key.strip().lower().replace("-", "_").split())
    key = _ALIASES.get(key, key)
    value = value.strip().strip('"').strip()
    if not sep:
        raise ValidationError(f"line {lineno}", item, "a length like 6s, or key=value",
                              reason="not a length or an option")
    if key not in OPTIONS:
        near = difflib.get_close_matches(key, OPTIONS, n=1)
        hint = f" (did you mean {near[0]}?)" if near else ""
        raise ValidationError(f"line {lineno}: {key}", value, OPTIONS, reason=f"unknown option{hint}")
    if not value:
        raise ValidationError(f"line {lineno}: {key}", value, "a value after '='", reason="empty")
    return key, _value(key, value, lineno)


def _value(key: str, value: str, lineno: int) -> Any:
    if key == "duration":
        return _duration(value.rstrip("sS"), lineno)
    if key == "ratio":
        if value.lower() not in RATIOS:
            raise ValidationError(f"line {lineno}: ratio", value, RATIOS)
        return value.lower()
    if key == "prompt_optimizer":
        if value.lower() not in _TRUE + _FALSE:
            raise ValidationError(f"line {lineno}: prompt_optimizer", value, ("true", "false"))
        return value.lower() in _TRUE
    return value


def _duration(text: str, lineno: int) -> int:
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if seconds <= 0 or seconds != int(seconds):
        raise ValidationError(f"line {lineno}: duration", text, "a whole number of seconds, e.g. 6s",
                              reason="not a whole positive number of seconds")
    return int(seconds)


def _canonical_brackets(prompt: str) -> str:
    """Known move names in their documented spelling; everything else untouched."""

    def fix(match: re.Match[str]) -> str:
        parts = split_bracket(match.group(1))
        if not parts or any(canonical_move(p) is None for p in parts):
            return match.group(0)
        return "[" + ", ".join(canonical_move(p) or p for p in parts) + "]"

    return BRACKET.sub(fix, prompt)


def moves_in(prompt: str) -> tuple[str, ...]:
    """The known camera moves written in ``prompt``, in order."""
    found = (canonical_move(p) for m in BRACKET.finditer(prompt) for p in split_bracket(m.group(1)))
    return tuple(name for name in found if name)


def check_prompt(text: str, limit: int = MAX_PROMPT_CHARS) -> list[str]:
    """Warnings about a prompt MiniMax accepts but probably not as meant (H3 allows 7000)."""
    warnings = []
    if len(text) > limit:
        warnings.append(f"the prompt has {len(text)} characters; the model reads at most {limit}")
    for match in BRACKET.finditer(text):
        parts = split_bracket(match.group(1))
        if not parts:
            warnings.append(f"empty camera bracket {match.group(0)}")
        if len(parts) > MAX_MOVES_PER_BRACKET:
            warnings.append(f"{match.group(0)} has {len(parts)} moves; MiniMax combines at most "
                            f"{MAX_MOVES_PER_BRACKET} per bracket")
        warnings.extend(_unknown_move(p, match.group(0)) for p in parts if canonical_move(p) is None)
    return warnings


def _unknown_move(name: str, bracket: str) -> str:
    near = difflib.get_close_matches(name.lower(), [m.lower() for m in CAMERA_MOVES], n=1, cutoff=0.6)
    hint = f" (did you mean {canonical_move(near[0])}?)" if near else ""
    return f"unknown camera move {name!r} in {bracket}{hint}; MiniMax knows: {', '.join(CAMERA_MOVES)}"


def check_shots(shots: Iterable[Shot], limit: int = MAX_PROMPT_CHARS) -> list[str]:
    """:func:`check_prompt` for every shot, each warning prefixed with the shot and line."""
    return [f"shot {s.index} (line {s.line}): {w}" for s in shots for w in check_prompt(s.prompt, limit)]


def shot_line(shot: Shot) -> str:
    """The shot written back in the board syntax (parses to an equal shot, line aside)."""
    items = [f"{shot.duration}s"] if shot.duration is not None else []
    values: dict[str, Any] = {"model": shot.model, **shot.options}
    for key, value in values.items():
        if value is None:
            continue
        text = str(value).lower() if isinstance(value, bool) else str(value)
        items.append(f'{key}="{text}"' if ("," in text or ")" in text or "(" in text) else f"{key}={text}")
    head = f"{shot.index}. " + ("-> " if shot.continues else "")
    tail = f" ({', '.join(items)})" if items else ""
    return (head + shot.prompt + tail).rstrip()


def format_board(shots: Sequence[Shot]) -> str:
    """All shots, one per line."""
    return "\n".join(shot_line(s) for s in shots)
