"""Clips for widgets by message, not by synced state.

A widget's synced state is saved with the notebook and sent whole on every change, so it
keeps no video bytes and no absolute paths. The front end asks for a clip by key
(``{"type": "clip", "key": ...}``) and gets its bytes back as a binary buffer, which
``clips.js`` turns into a ``blob:`` URL.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
MIME = {".mp4": "video/mp4", ".png": "image/png", ".jpg": "image/jpeg"}
#: Clips larger than this are not sent (the status widget's own limit for playable media).
MAX_BYTES = 200 * 1024 * 1024


def serve_clips(widget: Any, lookup: Callable[[str], Path | None],
                extra: Callable[[dict[str, Any]], None] | None = None) -> None:
    """Answer ``clip`` requests of ``widget``'s front end with the file ``lookup(key)`` names."""

    def handle(_widget: Any, content: Any, _buffers: Any) -> None:
        if not isinstance(content, dict):
            return
        if content.get("type") != "clip":
            if extra is not None:
                try:
                    extra(content)
                except Exception:  # shown by the widget's state, never raised into the comm
                    log.exception("hailuo_nb: widget message %r failed", content.get("type"))
            return
        key = str(content.get("key", ""))
        path = lookup(key)
        if path is None or not path.is_file() or path.stat().st_size > MAX_BYTES:
            widget.send({"type": "clip", "key": key, "missing": True})
            return
        mime = MIME.get(path.suffix.lower(), "application/octet-stream")
        widget.send({"type": "clip", "key": key, "mime": mime}, buffers=[path.read_bytes()])

    widget.on_msg(handle)
