"""The form's gallery: this form's generations as plain dicts the browser renders.

Each card's state is built from the generation's own :meth:`Generation.to_dict` (the
keys of the status widget, so ``status.js``'s ``createStatusView`` draws it) plus what
the gallery adds: whether *this* submission reused an earlier generation, and where the
finished video is.

How the video reaches a card, without a local path in the widget state. The card plays
the file through the Jupyter server's ``files/`` route. The browser tells the kernel
the server's root folder once (a ``hello`` message: the page config's ``serverRoot``,
kept in memory, never synced); the kernel then syncs each video's path *relative to
that root* (``video.rel``), and the browser builds ``{baseUrl}files/<rel>``. A saved
notebook thus holds ``hailuo_videos/<id>.mp4``, not the user's home folder; the shown
``video_path`` is relative to the kernel's working folder (or the bare file name).
Where no such URL exists (a front-end that is not JupyterLab, a video outside the
server root) or it fails to load, the card asks the kernel for the bytes in a custom
message with a binary buffer and plays a ``blob:`` URL.

Each card also says whether it can be finalized, and holds the finalize ledger while
the user decides (``finalize``: ``{"offered": bool, "plan": None | {label, detail,
ledger}}``, finalizing.py).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hailuo_nb.gateway.generation import Generation
from hailuo_nb.gateway.task import TERMINAL
from hailuo_nb.notebook.bundles import billed_text
from hailuo_nb.notebook.widgets.finalizing import can_finalize


@dataclass
class Entry:
    """One generation shown in the gallery."""

    gen: Generation
    #: True when the submission that put this card here reused an earlier generation
    #: (kept here because the gateway marks the shared Generation object itself).
    reused: bool = False
    unsubscribe: Callable[[], None] | None = field(default=None, repr=False)
    #: the finalize ledger shown for confirmation (finalizing.plan_view), or None
    plan: dict[str, Any] | None = None
    #: whether Finalize would improve the clip (worked out once, when it has succeeded)
    finalizable: bool | None = None

    def finalize_state(self) -> dict[str, Any]:
        if self.finalizable is None and self.gen.done:
            self.finalizable = can_finalize(self.gen)
        return {"offered": bool(self.finalizable), "plan": self.plan}

    @property
    def id(self) -> str:
        return str(self.gen.id)


def video_file(state: dict[str, Any]) -> Path | None:
    """The finished video's file (from a ``to_dict()`` state), if it is on disk."""
    path = state.get("video_path")
    if state.get("status") != "succeeded" or not path:
        return None
    file = Path(path)
    return file if file.is_file() else None


def relative_to(path: Path, root: Path | None) -> str | None:
    """``path`` relative to ``root`` (POSIX), or None when it is not below it."""
    if root is None:
        return None
    for candidate in (path.absolute(), path.resolve()):
        for base in (root.absolute(), root.resolve()):
            if candidate.is_relative_to(base):
                return candidate.relative_to(base).as_posix()
    return None


def shown_path(path: Path) -> str:
    """The path to show: relative to the working folder (the notebook's), else the name."""
    return relative_to(path, Path.cwd()) or path.name


def card_state(gen: Generation, *, reused: bool, server_root: Path | None) -> dict[str, Any]:
    """The JSON-safe state of one card: the status view's keys, plus the gallery's own."""
    d = gen.to_dict()
    error = d["error"] or {}
    low, high = d["expected_seconds"]
    path = video_file(d)

    def ms(seconds: float | None) -> float | None:
        return None if seconds is None else seconds * 1000.0

    return {
        "generation_id": d["id"],
        "status": d["status"],
        "prompt": d["prompt"],
        "model": d["model"],
        "provider": d["provider"],
        "simulated": d["simulated"],
        "duration": d["duration"],
        "resolution": d["resolution"],
        "cost": d["price"] or (f"${d['cost_usd']:.2f}" if d["cost_usd"] is not None else ""),
        "billed": billed_text(d),
        "cost_note": d["price_source"] or "",
        "task_id": d["task_id"] or "",
        "created_ms": ms(d["created_at"]),
        "submitted_ms": ms(d["submitted_at"]),
        "finished_ms": ms(d["finished_at"]),
        "clock_ms": time.time() * 1000.0,
        "expected_low_s": float(low),
        "expected_high_s": float(high),
        "error_type": error.get("type", ""),
        "error_message": error.get("message", ""),
        "error_hint": error.get("hint") or "",
        "error_detail": json.dumps(error, indent=2, default=str, ensure_ascii=False) if error else "",
        "video_path": shown_path(path) if path else "",
        "video_src": "",  # the card draws its own <video>, see the module docstring
        "reused": reused,
        "done": d["status"] in TERMINAL,
        "video": (
            {"name": path.name, "size": path.stat().st_size, "rel": relative_to(path, server_root)}
            if path is not None
            else None
        ),
        # A generation loaded from the journal has no frames in memory: an image model's
        # re-run or tweak would lack its first frame.
        "frames_known": gen.request is not None or not gen.model_spec.first_frame,
        "prompt_optimizer": d["prompt_optimizer"],
    }


class Gallery:
    """The form's generations, newest first; calls ``on_change(states)`` after each change.

    Listeners run on the engine thread; every change rebuilds the list under a lock and
    hands it to ``on_change`` (which sets the synced trait, one comm message).
    """

    def __init__(self, on_change: Callable[[list[dict[str, Any]]], None]) -> None:
        self._entries: list[Entry] = []
        self._lock = threading.RLock()
        self._on_change = on_change
        #: The Jupyter server's root folder, as the browser reported it (never synced).
        self.server_root: Path | None = None

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def generations(self) -> list[Generation]:
        with self._lock:
            return [e.gen for e in self._entries]

    def get(self, gen_id: str) -> Entry | None:
        with self._lock:
            return next((e for e in self._entries if e.id == gen_id), None)

    def add(self, gen: Generation, *, reused: bool = False) -> Entry:
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

    def show_plan(self, gen_id: str, plan: dict[str, Any] | None) -> None:
        """Show (or, with None, take away) a card's finalize confirmation."""
        with self._lock:
            entry = self.get(gen_id)
            if entry is not None:
                entry.plan = plan
                self.publish()

    def set_server_root(self, root: Path) -> None:
        """Where the Jupyter server serves ``files/`` from; republishes the cards' paths."""
        with self._lock:
            self.server_root = root
            self.publish()

    def publish(self) -> None:
        with self._lock:
            root = self.server_root
            states = [
                {**card_state(e.gen, reused=e.reused, server_root=root), "finalize": e.finalize_state()}
                for e in self._entries
            ]
            self._on_change(states)

    def _changed(self, gen: Generation) -> None:
        with self._lock:
            entry = self.get(str(gen.id))
            if entry is None:
                return
            if gen.done and entry.unsubscribe is not None:
                entry.unsubscribe()
                entry.unsubscribe = None
            self.publish()
