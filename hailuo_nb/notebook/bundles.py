"""The saved form of a generation: a ``<video>`` output with a caption, or its error.

The output must play after the notebook is reopened without a kernel, so the video is
referenced by its path relative to the kernel's working directory (the notebook's folder;
JupyterLab resolves relative ``src`` attributes to its ``/files/`` URLs), or embedded as
a data URL. All user text (prompt, error messages) is escaped with :func:`html.escape`.
"""

from __future__ import annotations

import base64
import functools
import html
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

#: Videos outside the notebook's folder are embedded when at most this large.
EMBED_LIMIT_BYTES = 8 * 1024 * 1024
#: The widget (which cannot resolve notebook-relative paths) gets a data URL up to this.
WIDGET_VIDEO_LIMIT_BYTES = 16 * 1024 * 1024
TERMINAL = frozenset({"succeeded", "failed", "cancelled"})
_ICONS = {"succeeded": "✓", "failed": "✗", "cancelled": "⊘"}


# ---------------------------------------------------------------- text and bundles


def describe(gen: Any) -> str:
    """``model · 6 s · 1080p · $0.49 est. · provider · task ID`` (what a caption shows)."""
    parts = [str(gen.model)]
    if getattr(gen, "duration", None):
        parts.append(f"{gen.duration} s")
    if getattr(gen, "resolution", None):
        parts.append(str(gen.resolution))
    cost = _cost_text(gen)
    if cost:
        parts.append(f"{cost} est.")
    provider = getattr(gen, "provider", None)
    if provider:
        parts.append("simulator" if provider == "sim" else str(provider))
    if getattr(gen, "task_id", None):
        parts.append(f"task {gen.task_id}")
    return " · ".join(parts)


def status_line(gen: Any) -> str:
    """One line of text for terminals and ``text/plain``."""
    status = str(gen.status)
    line = f"hailuo {_ICONS.get(status, '…')} {status}: {short(gen.prompt)} ({describe(gen)})"
    if status == "succeeded" and getattr(gen, "video_path", None):
        line += f"\n  video: {_display_path(Path(gen.video_path))}"
    error = getattr(gen, "error", None)
    if error is not None:
        line += f"\n  error: {getattr(error, 'message', error)}"
        hint = getattr(error, "hint", "")
        if hint:
            line += f"\n  hint: {hint}"
    return line


def video_bundle(gen: Any, *, embed: bool = False, cwd: Path | None = None) -> dict[str, Any]:
    """The finished generation as ``text/html`` + ``text/plain`` (a saved, portable output)."""
    status = str(gen.status)
    caption = (
        '<figcaption style="font-size:0.9em;opacity:0.8;margin-top:4px">'
        f"<span>{html.escape(str(gen.prompt))}</span><br>{html.escape(describe(gen))}</figcaption>"
    )
    attrs = f'data-hailuo-id="{html.escape(str(gen.id), quote=True)}"'
    if status == "succeeded":
        src = video_src(gen, embed=embed, cwd=cwd)
        if src:
            body = (
                f'<video src="{html.escape(src, quote=True)}" controls loop muted playsinline '
                'preload="auto" style="max-width:100%;display:block;border-radius:4px"></video>'
            )
        else:
            body = (
                "<p>The video is outside the notebook's folder and too large to embed: "
                f"<code>{html.escape(str(gen.video_path))}</code> (use --embed).</p>"
            )
        return {
            "text/html": f'<figure class="hailuo-video" {attrs} style="margin:0">{body}{caption}</figure>',
            "text/plain": status_line(gen),
        }
    error = getattr(gen, "error", None)
    if status == "cancelled" and error is None:
        message, hint = "Cancelled.", ""
    else:
        message = str(getattr(error, "message", error) or f"Generation {status}.")
        hint = str(getattr(error, "hint", "") or "")
    kind = type(error).__name__ if error is not None else status.capitalize()
    body = (
        f'<div style="border-left:3px solid #d32f2f;padding:4px 8px">'
        f"<strong>{html.escape(kind)}</strong>: {html.escape(message)}"
        + (f"<br><em>{html.escape(hint)}</em>" if hint else "")
        + "</div>"
    )
    return {
        "text/html": f'<figure class="hailuo-video hailuo-{html.escape(status)}" {attrs} '
        f'style="margin:0">{body}{caption}</figure>',
        "text/plain": status_line(gen),
    }


def video_src(gen: Any, *, embed: bool = False, cwd: Path | None = None) -> str:
    """A ``src`` that works in the saved notebook: relative path, data URL or remote URL."""
    path = Path(gen.video_path) if getattr(gen, "video_path", None) else None
    if path is not None and path.is_file():
        if embed:
            return _data_url(path)
        base = (cwd or Path.cwd()).resolve()
        resolved = path.resolve()
        if resolved.is_relative_to(base):
            return quote(resolved.relative_to(base).as_posix())
        if path.stat().st_size <= EMBED_LIMIT_BYTES:
            return _data_url(path)
    return str(getattr(gen, "video_url", None) or "")


def browser_video_src(gen: Any) -> str:
    """A URL the status widget can play itself (it has no notebook path to resolve)."""
    path = Path(gen.video_path) if getattr(gen, "video_path", None) else None
    if path is not None and path.is_file() and path.stat().st_size <= WIDGET_VIDEO_LIMIT_BYTES:
        return _data_url(path)
    return str(getattr(gen, "video_url", None) or "")


# ---------------------------------------------------------------- helpers


def _cost_text(gen: Any) -> str:
    price = getattr(gen, "price", None)
    if price is not None:
        return str(price)
    cost = getattr(gen, "cost_usd", None)
    return f"${cost:.2f}" if cost is not None else ""


def short(text: str, limit: int = 60) -> str:
    """``text`` on one line, cut to ``limit`` characters."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _display_path(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


@functools.lru_cache(maxsize=8)
def _data_url_cached(path: str, mtime_ns: int, size: int) -> str:
    data = Path(path).read_bytes()
    return "data:video/mp4;base64," + base64.b64encode(data).decode("ascii")


def _data_url(path: Path) -> str:
    stat = path.stat()
    return _data_url_cached(str(path), stat.st_mtime_ns, stat.st_size)
