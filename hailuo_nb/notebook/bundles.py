"""The saved form of a generation: a ``<video>`` output with a caption, or its error.

The output must play wherever the notebook is opened (docs/design.md §8), so its form follows
the frontend (:mod:`hailuo_nb.notebook.frontend`): a path relative to the notebook's
folder where a server serves files (JupyterLab, Notebook 7, Binder, headless runs); the
bytes as a data URL with a poster in VS Code and Colab, up to a cap; above it a poster,
a link and a sentence saying why. VS Code cannot play AAC sound: that is said in the
caption, or the sound is re-encoded to Opus when ``HAILUO_VSCODE_AUDIO=opus``.

Everything reads the generation through ``gen.to_dict()``. User text is escaped, and so
is ``$`` (JupyterLab typesets ``$…$`` in HTML outputs as LaTeX); only relative paths are
written, never the user's home folder.
"""

from __future__ import annotations

import html
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from hailuo_nb.gateway.generation import Generation
from hailuo_nb.notebook import frontend as fe

#: The widget (which cannot resolve notebook-relative paths) gets a data URL up to this.
WIDGET_VIDEO_LIMIT_BYTES = 16 * 1024 * 1024
#: Kept for callers of the old name: the default embedding cap.
EMBED_LIMIT_BYTES = int(fe.DEFAULT_EMBED_MAX_MB * 2**20)
TERMINAL = frozenset({"succeeded", "failed", "cancelled"})
_ICONS = {"succeeded": "✓", "failed": "✗", "cancelled": "⊘"}
#: MathJax skips elements with these classes (JupyterLab, Notebook 7, nbconvert pages).
NO_MATH = "tex2jax_ignore mathjax_ignore"


@dataclass(frozen=True)
class Playable:
    """What the saved output shows for a finished video."""

    kind: str  # "file", "embed", "link", "remote" or "missing"
    src: str = ""
    poster: str = ""
    href: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)


# ---------------------------------------------------------------- text


def text(value: object) -> str:
    """HTML-escaped text in which ``$`` can never start LaTeX (each one in its own span)."""
    return html.escape(str(value)).replace("$", "<span>$</span>")


def describe(gen: Generation | Mapping[str, Any]) -> str:
    """``model · 6 s · 1080p · with sound · $0.49 est. · provider · task ID`` (the caption)."""
    info = _info(gen)
    parts = [str(info.get("model") or "")]
    if info.get("duration"):
        parts.append(f"{info['duration']} s")
    if info.get("resolution"):
        parts.append(str(info["resolution"]))
    if info.get("has_audio"):
        parts.append("with sound")
    cost = cost_text(info)
    if cost:
        parts.append(f"{cost} est.")
    if billed := billed_text(info):
        parts.append(f"{billed} billed")
    provider = info.get("provider")
    if provider:
        parts.append("simulator" if provider == "sim" else str(provider))
    if info.get("task_id"):
        parts.append(f"task {info['task_id']}")
    return " · ".join(parts)


def status_line(gen: Generation | Mapping[str, Any]) -> str:
    """One line of text for terminals and ``text/plain``."""
    info = _info(gen)
    status = str(info.get("status") or "")
    prompt = short(str(info.get("prompt") or ""))
    line = f"hailuo {_ICONS.get(status, '…')} {status}: {prompt} ({describe(info)})"
    if status == "succeeded" and info.get("video_path"):
        line += f"\n  video: {display_path(Path(info['video_path']))}"
    error = info.get("error")
    if error:
        line += f"\n  error: {error.get('message')}"
        if error.get("hint"):
            line += f"\n  hint: {error['hint']}"
    return line


def cost_text(info: Mapping[str, Any]) -> str:
    """The price as the provider states it (``$0.49``, ``¥2.63``), else the USD estimate."""
    if info.get("price"):
        return str(info["price"])
    cost = info.get("cost_usd")
    return f"${cost:.2f}" if isinstance(cost, (int, float)) else ""


def billed_text(info: Mapping[str, Any]) -> str:
    """What the gateway says it charged (``$0.78``); '' where it reports no USD amount."""
    billed = info.get("billed_usd")
    return f"${billed:.2f}" if isinstance(billed, (int, float)) else ""


def short(value: str, limit: int = 60) -> str:
    """``value`` on one line, cut to ``limit`` characters."""
    flat = " ".join(str(value).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def display_path(path: Path, cwd: Path | None = None) -> str:
    """``path`` relative to ``cwd`` (the notebook's folder): never the user's home or name."""
    try:
        return Path(os.path.relpath(os.path.abspath(path), os.path.abspath(cwd or Path.cwd()))).as_posix()
    except ValueError:  # another drive on Windows
        return Path(path).name


# ---------------------------------------------------------------- bundles


def video_bundle(
    gen: Generation,
    *,
    embed: bool = False,
    cwd: Path | None = None,
    frontend: fe.Frontend | None = None,
) -> dict[str, Any]:
    """The finished generation as ``text/html`` + ``text/plain`` (a saved, portable output)."""
    info = gen.to_dict()
    status = str(info["status"])
    where = frontend or fe.detect()
    attrs = f'data-hailuo-id="{html.escape(str(info["id"]), quote=True)}"'
    if status != "succeeded":
        body = _error_html(info)
        return {
            "text/html": f'<figure class="hailuo-video hailuo-{html.escape(status)} {NO_MATH}" {attrs} '
            f'style="margin:0">{body}{_caption(info, ())}</figure>',
            "text/plain": status_line(info),
        }
    playable = plan(info, where, fe.output_form(where), cwd=cwd, embed=embed)
    return {
        "text/html": f'<figure class="hailuo-video {NO_MATH}" {attrs} style="margin:0">'
        f"{player_html(playable)}{_caption(info, playable.notes)}</figure>",
        "text/plain": status_line(info) + "".join(f"\n  {note}" for note in playable.notes),
    }


def plan(
    info: Mapping[str, Any],
    where: fe.Frontend,
    form: fe.OutputForm,
    *,
    cwd: Path | None = None,
    embed: bool = False,
) -> Playable:
    """Decide how the finished video is shown here (see the module docstring)."""
    raw = info.get("video_path")
    path = Path(raw) if raw else None
    if path is None or not path.is_file():
        url = str(info.get("video_url") or "")
        return Playable("remote", src=url) if url else Playable("missing")
    mode = fe.EMBED if embed else form.mode
    path, notes = _playable_sound(path, where)
    base = Path(os.path.abspath(cwd or Path.cwd()))
    relative = _relative(path, base)
    if mode == fe.FILE:
        if relative is not None:
            return Playable("file", src=relative, notes=notes)
        notes += ("The video is outside the notebook's folder, so no relative link can reach it.",)
        mode = fe.EMBED
    size = path.stat().st_size
    if mode == fe.EMBED and size <= form.embed_max_bytes:
        from hailuo_nb import videofile

        return Playable("embed", src=videofile.video_data_url(path), poster=_poster(path), notes=notes)
    if mode == fe.EMBED:
        notes += (
            f"This {size / 2**20:.1f} MiB video is above the {round(form.embed_max_bytes / 2**20, 3):g} MiB "
            "embedding cap (HAILUO_EMBED_MAX_MB), so it is not inside the notebook; "
            f"open the file {display_path(path, base)}.",
        )
    else:
        notes += (f"The video is not inside the notebook; open the file {display_path(path, base)}.",)
    return Playable("link", poster=_poster(path), href=quote(relative) if relative else "", notes=notes)


def player_html(playable: Playable) -> str:
    """The ``<video>`` (or poster and link) of a :class:`Playable`; never muted for good."""
    style = "max-width:100%;display:block;border-radius:4px"
    if playable.kind in ("file", "embed", "remote"):
        src = quote(playable.src) if playable.kind == "file" else playable.src
        poster = f' poster="{html.escape(playable.poster, quote=True)}"' if playable.poster else ""
        return (
            f'<video src="{html.escape(src, quote=True)}"{poster} controls loop playsinline '
            f'preload="auto" style="{style}"></video>'
        )
    if playable.kind == "link":
        image = (f'<img src="{html.escape(playable.poster, quote=True)}" alt="first frame" style="{style}">'
                 if playable.poster else "")
        if playable.href:
            image = f'<a href="{html.escape(playable.href, quote=True)}">{image or "the video"}</a>'
        return image
    return ("<p>The video file is gone and no URL is known "
            "(<code>%hailuo resume TASK_ID</code> fetches it).</p>")


def video_src(gen: Generation, *, embed: bool = False, cwd: Path | None = None) -> str:
    """The ``src`` the saved output uses ('' when it shows a link instead)."""
    where = fe.detect()
    playable = plan(gen.to_dict(), where, fe.output_form(where), cwd=cwd, embed=embed)
    return quote(playable.src) if playable.kind == "file" else playable.src


def browser_video_src(gen: Generation) -> str:
    """A URL the status widget can play itself (it has no notebook path to resolve)."""
    info = gen.to_dict()
    raw = info.get("video_path")
    path = Path(raw) if raw else None
    if path is not None and path.is_file() and path.stat().st_size <= WIDGET_VIDEO_LIMIT_BYTES:
        from hailuo_nb import videofile

        return videofile.video_data_url(path)
    return str(info.get("video_url") or "")


# ---------------------------------------------------------------- helpers


def _info(gen: Generation | Mapping[str, Any]) -> Mapping[str, Any]:
    return gen if isinstance(gen, Mapping) else gen.to_dict()


def _caption(info: Mapping[str, Any], notes: tuple[str, ...]) -> str:
    extra = "".join(f"<br><em>{text(note)}</em>" for note in notes)
    return (
        '<figcaption style="font-size:0.9em;opacity:0.8;margin-top:4px">'
        f"<span>{text(info.get('prompt') or '')}</span><br>{text(describe(info))}{extra}</figcaption>"
    )


def _error_html(info: Mapping[str, Any]) -> str:
    status = str(info.get("status") or "")
    error = info.get("error") or {}
    if status == "cancelled" and not error:
        message, hint = "Cancelled.", ""
    else:
        message = str(error.get("message") or f"Generation {status}.")
        hint = str(error.get("hint") or "")
    kind = str(error.get("type") or status.capitalize())
    return (
        f'<div style="border-left:3px solid #d32f2f;padding:4px 8px">'
        f"<strong>{text(kind)}</strong>: {text(message)}"
        + (f"<br><em>{text(hint)}</em>" if hint else "")
        + "</div>"
    )


def _relative(path: Path, base: Path) -> str | None:
    resolved = Path(os.path.abspath(path))
    return resolved.relative_to(base).as_posix() if resolved.is_relative_to(base) else None


def _poster(path: Path) -> str:
    from hailuo_nb import videofile

    try:
        return videofile.data_url(videofile.poster_jpeg(path), "image/jpeg")
    except Exception:  # noqa: BLE001 - a missing poster must not hide the video
        return ""


def _playable_sound(path: Path, where: fe.Frontend) -> tuple[Path, tuple[str, ...]]:
    """In VS Code, sound it cannot play (AAC) is re-encoded on request, or said plainly."""
    if where.name != fe.VSCODE:
        return path, ()
    from hailuo_nb import videofile

    try:
        codec = videofile.probe(path).audio_codec
    except Exception:  # noqa: BLE001 - an unreadable file still gets shown
        return path, ()
    if not codec or codec in videofile.VSCODE_AUDIO_CODECS:
        return path, ()
    name = codec.upper()
    if fe.vscode_audio() == "opus":
        if videofile.opus_available():
            return videofile.with_opus_audio(path), (
                f"Sound re-encoded from {name} to Opus for VS Code (HAILUO_VSCODE_AUDIO=opus).",)
        return path, (f"VS Code cannot play {name} sound and this PyAV build cannot encode Opus: "
                      "the clip plays silently here; the file has sound.",)
    return path, (
        f"VS Code cannot play this clip's {name} sound, so it plays silently here; the file has sound. "
        "Set HAILUO_VSCODE_AUDIO=opus to re-encode the sound to Opus for VS Code.",)
