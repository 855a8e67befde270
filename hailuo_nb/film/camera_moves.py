"""MiniMax's camera commands: the 15 names, written inline as ``[Pan left, Zoom in]``.

MiniMax reads the bracketed commands from the prompt text itself (docs/protocols.md
§1.2: 15 commands, at most 3 combined in one bracket), so a picker only edits text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from hailuo_nb.errors import ValidationError

#: The 15 commands, spelled as MiniMax's documentation spells them.
CAMERA_MOVES: tuple[str, ...] = (
    "Truck left",
    "Truck right",
    "Pan left",
    "Pan right",
    "Push in",
    "Pull out",
    "Pedestal up",
    "Pedestal down",
    "Tilt up",
    "Tilt down",
    "Zoom in",
    "Zoom out",
    "Shake",
    "Tracking shot",
    "Static shot",
)

#: MiniMax combines at most this many commands in one bracket.
MAX_MOVES_PER_BRACKET = 3

#: One bracket group in a prompt; group 1 is its inside.
BRACKET = re.compile(r"\[([^\[\]]*)\]")

_BY_KEY = {" ".join(m.lower().split()): m for m in CAMERA_MOVES}


def canonical_move(name: str) -> str | None:
    """The documented spelling of a move (case and spaces ignored), or None if unknown."""
    return _BY_KEY.get(" ".join(name.lower().split()))


def split_bracket(inside: str) -> list[str]:
    """The comma-separated names inside one bracket, stripped, empty ones dropped."""
    return [part.strip() for part in inside.split(",") if part.strip()]


def _checked(moves: Iterable[str]) -> list[str]:
    names = []
    for move in moves:
        name = canonical_move(move)
        if name is None:
            raise ValidationError("moves", move, CAMERA_MOVES, reason="not a MiniMax camera move")
        if name not in names:
            names.append(name)
    return names


def insert_moves(prompt: str, cursor: int, moves: Sequence[str]) -> tuple[str, int]:
    """Insert ``[Move, Move]`` at ``cursor``; return the new text and the cursor after it.

    With the cursor inside an existing bracket, the moves join that bracket instead,
    so a picker never nests brackets. More than three moves in one bracket, or an
    unknown name, raises ValidationError (nothing is inserted).
    """
    names = _checked(moves)
    if not names:
        raise ValidationError("moves", list(moves), CAMERA_MOVES, reason="pick at least one move")
    cursor = max(0, min(len(prompt), cursor))
    for match in BRACKET.finditer(prompt):
        if match.start() < cursor < match.end():
            return _merge(prompt, match, names)
    return _insert(prompt, cursor, names)


def _merge(prompt: str, match: re.Match[str], names: list[str]) -> tuple[str, int]:
    existing = [canonical_move(p) or p for p in split_bracket(match.group(1))]
    merged = existing + [n for n in names if n not in existing]
    if len(merged) > MAX_MOVES_PER_BRACKET:
        raise ValidationError("moves", merged, CAMERA_MOVES,
                              reason=f"at most {MAX_MOVES_PER_BRACKET} moves per bracket")
    bracket = "[" + ", ".join(merged) + "]"
    text = prompt[: match.start()] + bracket + prompt[match.end():]
    return text, match.start() + len(bracket)


def _insert(prompt: str, cursor: int, names: list[str]) -> tuple[str, int]:
    if len(names) > MAX_MOVES_PER_BRACKET:
        raise ValidationError("moves", names, CAMERA_MOVES,
                              reason=f"at most {MAX_MOVES_PER_BRACKET} moves per bracket")
    before, after = prompt[:cursor], prompt[cursor:]
    bracket = "[" + ", ".join(names) + "]"
    lead = " " if before and not before[-1].isspace() else ""
    tail = " " if after and not after[0].isspace() and after[0] not in ",.;:!?" else ""
    text = before + lead + bracket + tail + after
    return text, len(before + lead + bracket)
