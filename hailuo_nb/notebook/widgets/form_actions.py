"""The form's actions beyond submitting: camera moves, prompt enhancement, finalize.

Each is a Python method (usable from a notebook) and a browser message handler
(``_on_<type>``, found by :class:`~hailuo_nb.notebook.widgets.form.Form`'s dispatcher).
The text work is Python's alone: :func:`hailuo_nb.film.camera_moves.insert_moves` puts
moves in the prompt (the browser sends its cursor and draws the answer) and
:func:`hailuo_nb.film.shots.check_prompt` warns about it (form_state.py). Enhance runs
:func:`hailuo_nb.enhance` on a thread (enhancement.py); Finalize shows the ledger on
the card and sends nothing until it is confirmed (finalizing.py).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from hailuo_nb.errors import HailuoError, ValidationError
from hailuo_nb.film.camera_moves import insert_moves
from hailuo_nb.gateway.finalize import ALREADY, Ledger, finalize, finalize_plan
from hailuo_nb.gateway.generation import Generation
from hailuo_nb.notebook.widgets import submission
from hailuo_nb.notebook.widgets.enhancement import Enhancer
from hailuo_nb.notebook.widgets.fields import field_message
from hailuo_nb.notebook.widgets.finalizing import plan_view
from hailuo_nb.notebook.widgets.form_state import FormState
from hailuo_nb.notebook.widgets.gallery import Gallery


def utf16_to_index(text: str, offset: int) -> int:
    """A browser's cursor (UTF-16 code units) as a Python index into ``text``."""
    units = text.encode("utf-16-le")[: 2 * max(0, offset)]
    return len(units.decode("utf-16-le", errors="ignore"))


def index_to_utf16(text: str, index: int) -> int:
    """A Python index into ``text`` as a browser's cursor (UTF-16 code units)."""
    return len(text[:index].encode("utf-16-le")) // 2


def refusal(err: ValidationError) -> str:
    """Why moves were not inserted, in the picker's words."""
    reason = field_message(err).split("; allowed:")[0]
    tip = " Put the cursor after the bracket to start a new one." if "per bracket" in reason else ""
    return f"Not inserted: {reason}.{tip}"


class FormActions(FormState):
    """Camera moves, Enhance and Finalize; :class:`Form` adds the fields' and cards' basics."""

    _gallery: Gallery
    _enhancer: Enhancer

    def _start_actions(self) -> None:
        """Set up before the comm opens (the enhancer publishes to a synced trait)."""
        self._enhancer = Enhancer(self._publish_enhancement, lambda args: submission.enhance_prompt(args))

    # ------------------------------------------------------------------ camera moves

    def insert_moves(self, moves: Sequence[str], cursor: int | None = None) -> int:
        """Put ``[Move, Move]`` into the prompt at ``cursor`` (default: the end); returns the cursor after it.

        Inside an existing bracket the moves join it. More than three in one bracket or an
        unknown name raises :class:`~hailuo_nb.ValidationError` and changes nothing.
        """
        text, after = insert_moves(self.prompt, len(self.prompt) if cursor is None else cursor, list(moves))
        self.prompt = text
        return after

    def _on_insert_moves(self, msg: dict[str, Any], _buffers: list[bytes]) -> None:
        if isinstance(msg.get("prompt"), str):  # the newest keystrokes travel with the message
            self.prompt = msg["prompt"]
        moves = [str(m) for m in msg.get("moves") or []]
        cursor = utf16_to_index(self.prompt, int(msg.get("cursor", 2 * len(self.prompt))))
        try:
            after = self.insert_moves(moves, cursor)
        except ValidationError as err:
            self.send({"type": "moves", "error": refusal(err)})
            return
        self.send({"type": "moves", "prompt": self.prompt, "cursor": index_to_utf16(self.prompt, after)})

    # ------------------------------------------------------------------ enhance

    def enhance(self) -> threading.Thread:
        """Expand the prompt in the background (MiniMax's H3 Context-IR, billed in tokens).

        The text appears under the prompt to read; :meth:`use_enhanced` puts it in the
        prompt (:meth:`undo_enhance` takes it back). Returns the thread doing the work.
        """
        if not self.capabilities.get("enhance"):
            raise ValidationError("model", self.model, "MiniMax H3 models on minimax or sim",
                                  reason=f"{self.provider} has no prompt expansion for it")
        return self._enhancer.start(self.values)

    def use_enhanced(self) -> bool:
        """Replace the prompt with the expanded one (Undo keeps the old); False if none is ready."""
        text = self._enhancer.use(self.prompt)
        if text is not None:
            self.prompt = text
        return text is not None

    def undo_enhance(self) -> None:
        """Put back the prompt that "Use it" replaced."""
        earlier = self._enhancer.undo()
        if earlier is not None:
            self.prompt = earlier

    def _on_enhance(self, msg: dict[str, Any], _buffers: list[bytes]) -> None:
        if isinstance(msg.get("prompt"), str):
            self.prompt = msg["prompt"]
        self.enhance()

    def _on_use_enhanced(self, _msg: dict[str, Any], _buffers: list[bytes]) -> None:
        self.use_enhanced()

    def _on_undo_enhance(self, _msg: dict[str, Any], _buffers: list[bytes]) -> None:
        self.undo_enhance()

    def _on_discard_enhanced(self, _msg: dict[str, Any], _buffers: list[bytes]) -> None:
        self._enhancer.discard()

    def _publish_enhancement(self, state: dict[str, str]) -> None:
        with self._sync_lock:  # also called from the enhancer's thread
            self.enhancement = state

    # ------------------------------------------------------------------ finalize

    def finalize_plan(self, gen: Generation) -> Ledger:
        """The ledger of finalizing ``gen``; on its card, it waits for Confirm. Sends nothing."""
        ledger = finalize_plan(gen)
        if ledger.method == ALREADY:
            self._notify("info", "This clip is final already: its model family has nothing better here.")
        self._gallery.show_plan(str(gen.id), None if ledger.method == ALREADY else plan_view(ledger))
        return ledger

    def finalize(self, gen: Generation) -> Generation:
        """Start the final version of ``gen`` (what Confirm does); it joins the gallery as a new card."""
        try:
            final: Generation = finalize(gen, cls=type(gen))
        finally:  # sent, or refused (budget, ...): the confirmation has had its answer
            self._gallery.show_plan(str(gen.id), None)
        if final is not gen:
            self._gallery.add(final, reused=final.reused)
            if final.reused:
                self._notify("info", "An identical final exists: reused it, nothing new was paid for.")
        return final

    def _on_finalize(self, msg: dict[str, Any], _buffers: list[bytes]) -> None:
        self.finalize_plan(self._entry_gen(msg))

    def _on_finalize_confirm(self, msg: dict[str, Any], _buffers: list[bytes]) -> None:
        self.finalize(self._entry_gen(msg))

    def _on_finalize_cancel(self, msg: dict[str, Any], _buffers: list[bytes]) -> None:
        self._gallery.show_plan(str(msg.get("id")), None)

    # ------------------------------------------------------------------ shared

    def _entry_gen(self, msg: dict[str, Any]) -> Generation:
        entry = self._gallery.get(str(msg.get("id")))
        if entry is None:
            raise HailuoError("That card is no longer in this form's gallery.")
        return entry.gen

    def _notify(self, kind: str, text: str, hint: str = "", action: str = "") -> None:
        self.notice = {"kind": kind, "text": text, "hint": hint, "action": action}


__all__ = ["FormActions", "index_to_utf16", "refusal", "utf16_to_index"]
