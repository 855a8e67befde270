"""The form's gallery: this form's generations as plain dicts the browser renders.

Each entry is the status widget's :func:`~hailuo_nb.notebook.status.snapshot` of the
generation (so a card is drawn by the status widget's own ``createStatusView``) plus
what the gallery adds: whether *this* submission reused an earlier generation, and
where the finished video is.

How the video reaches a card. The card plays the file through the Jupyter server's
``files/`` route: Python sends the file's absolute path (spelled a few ways: as given,
with symlinks resolved, and ``~/``-relative, the spelling JupyterLab uses for a root
under the home folder), and the browser turns it into ``{baseUrl}files/<path below the
server root>`` with the page's ``baseUrl`` and ``serverRoot``. Nothing large passes
through the widget state, the browser streams the video with range requests, and the
URL works again after a page reload. Where that URL cannot be formed (a front-end that
is not JupyterLab, a video outside the server root) or fails to load, the card asks the
kernel for the bytes in a custom message with a binary buffer and plays a ``blob:`` URL.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hailuo_nb.notebook.status import snapshot

#: Statuses after which nothing changes any more.
TERMINAL = frozenset({"succeeded", "failed", "cancelled"})


@dataclass
class Entry:
    """One generation shown in the gallery."""

    gen: Any
    #: True when the submission that put this card here reused an earlier generation
    #: (kept here because the gateway marks the shared Generation object itself).
    reused: bool = False
    unsubscribe: Callable[[], None] | None = field(default=None, repr=False)

    @property
    def id(self) -> str:
        return str(self.gen.id)


def video_file(gen: Any) -> Path | None:
    """The finished generation's video file, if it is on disk."""
    path = getattr(gen, "video_path", None)
    if getattr(gen, "status", None) != "succeeded" or not path:
        return None
    path = Path(path)
    return path if path.is_file() else None


def path_spellings(path: Path) -> list[str]:
    """``path`` absolute, resolved, and ``~/``-relative: the browser matches one to the root."""
    spellings: list[str] = []
    home = Path.home()
    for candidate in (path.absolute(), path.resolve()):
        spellings.append(candidate.as_posix())
        for base in {home, home.resolve()}:
            if candidate.is_relative_to(base):
                spellings.append("~/" + candidate.relative_to(base).as_posix())
    return list(dict.fromkeys(spellings))


def entry_state(entry: Entry) -> dict[str, Any]:
    """The JSON-safe state of one card: a status snapshot plus the gallery's own keys."""
    gen = entry.gen
    state = snapshot(gen, video_src="")  # the card draws its own <video>, see the docstring
    state["reused"] = entry.reused
    path = video_file(gen)
    state["video"] = (
        {"name": path.name, "size": path.stat().st_size, "paths": path_spellings(path)}
        if path is not None
        else None
    )
    # A generation loaded from the journal has no frames in memory: an image model's
    # re-run or tweak would lack its first frame.
    spec = getattr(gen, "model_spec", None)
    state["frames_known"] = getattr(gen, "request", None) is not None or not getattr(
        spec, "first_frame", False
    )
    state["prompt_optimizer"] = bool(gen.to_dict().get("prompt_optimizer", True))
    return state


class Gallery:
    """The form's generations, newest first; calls ``on_change(states)`` after each change.

    Listeners run on the engine thread; every change rebuilds the list under a lock and
    hands it to ``on_change`` (which sets the synced trait, one comm message).
    """

    def __init__(self, on_change: Callable[[list[dict[str, Any]]], None]) -> None:
        self._entries: list[Entry] = []
        self._lock = threading.RLock()
        self._on_change = on_change

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def generations(self) -> list[Any]:
        with self._lock:
            return [e.gen for e in self._entries]

    def get(self, gen_id: str) -> Entry | None:
        with self._lock:
            return next((e for e in self._entries if e.id == gen_id), None)

    def add(self, gen: Any, *, reused: bool = False) -> Entry:
        """Put ``gen`` first (moving its card if it is already here) and follow it."""
        with self._lock:
            entry = self.get(str(gen.id))
            if entry is None:
                entry = Entry(gen, reused=reused)
                if not gen.done:
                    entry.unsubscribe = gen.add_listener(self._changed)
            else:
                self._entries.remove(entry)
                entry.reused = entry.reused or reused
            self._entries.insert(0, entry)
            self.publish()
        return entry

    def remove(self, gen_id: str) -> None:
        with self._lock:
            entry = self.get(gen_id)
            if entry is None:
                return
            self._entries.remove(entry)
            if entry.unsubscribe is not None:
                entry.unsubscribe()
            self.publish()

    def close(self) -> None:
        """Stop following every generation (they go on in the background)."""
        with self._lock:
            for entry in self._entries:
                if entry.unsubscribe is not None:
                    entry.unsubscribe()
                    entry.unsubscribe = None

    def publish(self) -> None:
        with self._lock:
            states = [entry_state(e) for e in self._entries]
            self._on_change(states)

    def _changed(self, gen: Any) -> None:
        with self._lock:
            entry = self.get(str(gen.id))
            if entry is None:
                return
            if gen.done and entry.unsubscribe is not None:
                entry.unsubscribe()
                entry.unsubscribe = None
            self.publish()
