"""The form's Enhance: MiniMax's prompt expansion, run off the kernel's thread, read before use.

:func:`hailuo_nb.enhance` blocks until the gateway's text is in (seconds to minutes),
so :class:`Enhancer` runs it on a thread of its own and publishes each step as one
plain dict (the form's synced ``enhancement`` trait)::

    {"status": "" | "running" | "ready" | "failed", "text": expanded prompt,
     "error": message, "undo": the prompt before "Use it" replaced it ("" for none)}

Nothing replaces the prompt until the user chooses "Use it"; "Undo" puts the earlier
prompt back. A result that arrives after Discard, or after a newer Enhance, is dropped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from hailuo_nb.errors import HailuoError

log = logging.getLogger(__name__)
IDLE: dict[str, str] = {"status": "", "text": "", "error": "", "undo": ""}


class Enhancer:
    """One prompt expansion at a time; ``publish(state)`` is called after every change."""

    def __init__(
        self, publish: Callable[[dict[str, str]], None], expand: Callable[[dict[str, Any]], str]
    ) -> None:
        self._publish = publish
        self._expand = expand
        self._lock = threading.RLock()  # held while publishing, so states go out in order
        self._run = 0  # the current run; a result of an older one is dropped
        self.state = dict(IDLE)

    def start(self, args: dict[str, Any]) -> threading.Thread:
        """Expand ``args["prompt"]`` in the background (a running one is superseded)."""
        with self._lock:
            self._run += 1
            run = self._run
            self._set(run, status="running", text="", error="")
        thread = threading.Thread(target=self._work, args=(run, args), name="hailuo-enhance", daemon=True)
        thread.start()
        return thread

    def use(self, prompt: str) -> str | None:
        """The expanded text, to replace ``prompt`` (which Undo brings back); None if none is ready."""
        with self._lock:
            text = self.state["text"] if self.state["status"] == "ready" else ""
            if not text:
                return None
            self._set(self._run, status="", text="", error="", undo=prompt)
            return text

    def undo(self) -> str | None:
        """The prompt from before "Use it", or None."""
        with self._lock:
            earlier = self.state["undo"] or None
            self._set(self._run, undo="")
            return earlier

    def discard(self) -> None:
        """Forget the proposal (or the running expansion's coming result); Undo stays."""
        with self._lock:
            self._run += 1
            self._set(self._run, status="", text="", error="")

    def _work(self, run: int, args: dict[str, Any]) -> None:
        try:
            text = self._expand(args).strip()
            if not text:
                raise HailuoError("The gateway returned an empty prompt.")
        except HailuoError as err:
            self._set(run, status="failed", error=err.message)
        except Exception as err:  # shown by the prompt, not lost in a thread
            log.exception("hailuo_nb.Form: prompt enhancement failed")
            self._set(run, status="failed", error=f"{type(err).__name__}: {err}")
        else:
            self._set(run, status="ready", text=text)

    def _set(self, run: int, **changes: str) -> None:
        with self._lock:
            if run != self._run:
                return
            self.state = {**self.state, **changes}
            self._publish(dict(self.state))


__all__ = ["IDLE", "Enhancer"]
