"""Planning a storyboard: what runs in parallel, what waits, what must be made again.

A shot that continues from the previous one needs that shot's last frame, so it waits
for it; every other shot is free. The board is therefore a set of independent *chains*
(a free shot and the shots continuing from it), run in parallel, each in order.

A shot's *identity* hashes its effective parameters (board defaults filled in) and the
identity of the shot it continues from, because its first frame is that shot's last
frame: when shot 3 changes, shot 4 continuing from it changes too, and nothing else.
Pure functions over :class:`~hailuo_nb.film.shots.Shot` values; no I/O.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hailuo_nb.film.shots import Shot


def dependencies(shots: Sequence[Shot]) -> dict[int, int | None]:
    """Each shot's index -> the index of the shot it continues from (None when free)."""
    deps: dict[int, int | None] = {}
    previous: Shot | None = None
    for shot in shots:
        deps[shot.index] = previous.index if shot.continues and previous is not None else None
        previous = shot
    return deps


def chains(shots: Sequence[Shot]) -> list[tuple[int, ...]]:
    """The independent chains, in board order: each a free shot and its continuations."""
    groups: list[list[int]] = []
    for index, parent in dependencies(shots).items():
        if parent is None or not groups:
            groups.append([index])
        else:
            groups[-1].append(index)
    return [tuple(g) for g in groups]


def waves(shots: Sequence[Shot]) -> list[tuple[int, ...]]:
    """Shots grouped by how many shots they wait for: wave 0 can all start at once."""
    result: list[list[int]] = []
    for chain in chains(shots):
        for depth, index in enumerate(chain):
            if depth == len(result):
                result.append([])
            result[depth].append(index)
    return [tuple(sorted(w)) for w in result]


def runnable(shots: Sequence[Shot], finished: Collection[int], started: Collection[int] = ()) -> list[int]:
    """Shots that may start now: not started or finished, and their predecessor finished."""
    return [
        index for index, parent in dependencies(shots).items()
        if index not in finished and index not in started and (parent is None or parent in finished)
    ]


def blocked_by(shots: Sequence[Shot], failed: int) -> list[int]:
    """The shots that can never run once ``failed`` has failed (its continuations)."""
    for chain in chains(shots):
        if failed in chain:
            return list(chain[chain.index(failed) + 1:])
    return []


def effective(shot: Shot, defaults: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The parameters a shot is made with: its own values over the board's defaults."""
    merged = {k: v for k, v in (defaults or {}).items() if v is not None}
    merged.update({k: v for k, v in shot.options.items() if v is not None})
    if shot.model is not None:
        merged["model"] = shot.model
    if shot.duration is not None:
        merged["duration"] = shot.duration
    merged["prompt"] = shot.prompt
    return merged


def identities(shots: Sequence[Shot], defaults: Mapping[str, Any] | None = None) -> dict[int, str]:
    """Each shot's index -> its identity (hex), chained through continuations.

    Board position and line number are not part of it: moving a free shot, or adding
    a comment, changes nothing. A frame given as a path is identified by its path; the
    journal's own request identity covers the image bytes.
    """
    ids: dict[int, str] = {}
    deps = dependencies(shots)
    for shot in shots:
        parent = deps[shot.index]
        doc = {"params": effective(shot, defaults), "after": ids[parent] if parent else None}
        blob = json.dumps(doc, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")
        ids[shot.index] = hashlib.sha256(blob).hexdigest()[:32]
    return ids


@dataclass(frozen=True)
class Replan:
    """What an edited board needs: shots to make, shots to take over, shots dropped."""

    regenerate: tuple[int, ...]  #: new indices whose identity is new
    reuse: dict[int, int]  #: new index -> old index with the same identity
    dropped: tuple[int, ...]  #: old indices no new shot uses


def compare_identities(old: Mapping[int, str], new: Mapping[int, str]) -> Replan:
    """Match shots by identity (not position), e.g. with identities kept in the journal."""
    first_old: dict[str, int] = {}
    for index, ident in old.items():
        first_old.setdefault(ident, index)
    reuse = {index: first_old[ident] for index, ident in new.items() if ident in first_old}
    regenerate = tuple(index for index in new if index not in reuse)
    used = set(reuse.values())
    dropped = tuple(index for index, ident in old.items() if first_old[ident] not in used)
    return Replan(regenerate, reuse, dropped)


def replan(old: Sequence[Shot], new: Sequence[Shot], defaults: Mapping[str, Any] | None = None,
           old_defaults: Mapping[str, Any] | None = None) -> Replan:
    """Which shots of ``new`` must be made again after editing ``old`` into it."""
    before = identities(old, defaults if old_defaults is None else old_defaults)
    return compare_identities(before, identities(new, defaults))
