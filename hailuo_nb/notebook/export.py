"""``hailuo_nb.export()``: the session's videos as one HTML page that plays anywhere.

A notebook that travels without its ``hailuo_videos/`` folder (email, a course page,
GitHub) has dead players; this page does not. Each clip is inline as a data URL with a
poster, caption, model and cost, so the page opens from disk, offline. When the clips
together pass a cap (50 MiB by default) they go into a folder beside the page instead,
linked relatively: move the page and its folder together.

Storyboards are welcome too: any object with a ``film`` path and a ``shots`` list is shown
as its film followed by its shots (duck-typed, so this module needs no storyboard code).
No Jupyter imports: the page can be written from a script.
"""

from __future__ import annotations

import datetime as _dt
import html
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

from hailuo_nb import videofile
from hailuo_nb.errors import ValidationError
from hailuo_nb.gateway.generation import Generation

DEFAULT_INLINE_MAX_MB = 50.0


@dataclass(frozen=True)
class Clip:
    """One video on the page: its file, caption data and where it came from."""

    path: Path
    info: Mapping[str, Any]
    heading: str = ""


@dataclass(frozen=True)
class Exported:
    """The written page (usable as a path: ``open(exported)``, ``os.fspath``)."""

    path: Path
    clips: int
    skipped: int
    folder: Path | None
    size: int

    def __fspath__(self) -> str:
        return str(self.path)

    @property
    def summary(self) -> str:
        where = f"; the videos are in {self.folder.name}/ beside it" if self.folder else ", videos inline"
        left = f" ({self.skipped} without a video left out)" if self.skipped else ""
        return f"exported {self.clips} clip{'s' if self.clips != 1 else ''} to {self.path.name} " \
               f"({self.size / 2**20:.1f} MiB{where}){left}"

    def _repr_html_(self) -> str:
        return f'<a href="{html.escape(quote(self.path.name), quote=True)}" target="_blank">' \
               f"{html.escape(self.summary)}</a>"


def export(
    path: str | os.PathLike[str],
    generations: Iterable[Any] | None = None,
    *,
    wait: bool = True,
    inline_max_mb: float = DEFAULT_INLINE_MAX_MB,
) -> Exported:
    """Write ``generations`` (default: this session's) into one self-contained HTML page.

    In-flight generations are waited for (``wait=False`` leaves them out). Items may be
    Generations or storyboards (``film`` + ``shots``). Above ``inline_max_mb`` in total the
    videos are copied into ``<page name>_files/`` beside the page.

    Examples:
        >>> hailuo_nb.export("clips.html")            # doctest: +SKIP
        Exported(path=PosixPath('clips.html'), clips=2, ...)
    """
    target = Path(path)
    if target.suffix.lower() not in (".html", ".htm"):
        raise ValidationError("path", str(path), "a file name ending in .html")
    items = list(generations) if generations is not None else _session_items()
    clips, skipped = _collect(items, wait=wait)
    total = sum(clip.path.stat().st_size for clip in clips)
    folder = target.with_name(target.stem + "_files") if total * 4 / 3 > inline_max_mb * 2**20 else None
    target.parent.mkdir(parents=True, exist_ok=True)
    sources = _place(clips, folder, target.parent)
    fd, tmp = tempfile.mkstemp(prefix=".export-", suffix=".html", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            _write_page(out, clips, sources, skipped)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    size = target.stat().st_size + (sum(p.stat().st_size for p in folder.iterdir()) if folder else 0)
    return Exported(target, len(clips), len(skipped), folder, size)


# ---------------------------------------------------------------- collecting


def _session_items() -> list[Generation]:
    from hailuo_nb.gateway import session
    from hailuo_nb.notebook.display import session_generations

    found = {g.id: g for g in [*session.generations(), *session_generations()]}
    return sorted(found.values(), key=lambda g: g.created_at)


def _collect(items: list[Any], *, wait: bool) -> tuple[list[Clip], list[Mapping[str, Any]]]:
    clips: list[Clip] = []
    skipped: list[Mapping[str, Any]] = []
    for item in items:
        if hasattr(item, "film") and hasattr(item, "shots"):
            clips += _storyboard(item, wait=wait, skipped=skipped)
            continue
        clip = _clip(item, wait=wait)
        if clip is None:
            skipped.append(_info(item))
        else:
            clips.append(clip)
    return clips, skipped


def _clip(item: Any, *, wait: bool, heading: str = "") -> Clip | None:
    gen = getattr(item, "generation", item)  # a storyboard shot may wrap its generation
    if wait and isinstance(gen, Generation) and not gen.done:
        gen.wait()
    info = _info(gen)
    raw = info.get("video_path")
    if info.get("status") != "succeeded" or not raw or not Path(raw).is_file():
        return None
    return Clip(Path(raw), info, heading)


def _storyboard(board: Any, *, wait: bool, skipped: list[Mapping[str, Any]]) -> list[Clip]:
    shots = list(board.shots or [])
    out: list[Clip] = []
    film = getattr(board, "film", None)
    costs = [c for c in (_info(getattr(s, "generation", s)).get("cost_usd") for s in shots) if c is not None]
    if film is not None and Path(film).is_file():
        info = {"prompt": getattr(board, "title", "") or f"Storyboard of {len(shots)} shots",
                "model": "storyboard", "status": "succeeded", "has_audio": getattr(board, "has_audio", False),
                "cost_usd": sum(costs) if costs else None}
        out.append(Clip(Path(film), info, "Storyboard"))
    for index, shot in enumerate(shots, 1):
        clip = _clip(shot, wait=wait, heading=f"Shot {index}")
        if clip is None:
            skipped.append(_info(getattr(shot, "generation", shot)))
        else:
            out.append(clip)
    return out


def _info(item: Any) -> Mapping[str, Any]:
    if isinstance(item, Generation):
        return item.to_dict()
    to_dict = getattr(item, "to_dict", None)
    if callable(to_dict):
        data = to_dict()
        if isinstance(data, Mapping):
            return data
    raise ValidationError("generations", type(item).__name__,
                          "Generations, storyboards (film + shots), or objects with to_dict()")


def _place(clips: list[Clip], folder: Path | None, base: Path) -> list[str]:
    """Copy the videos into ``folder`` (when one is needed); the ``src`` of each on the page."""
    if folder is None:
        return [""] * len(clips)
    folder.mkdir(parents=True, exist_ok=True)
    sources = []
    for index, clip in enumerate(clips, 1):
        copy = folder / f"{index:03d}-{clip.path.name}"
        if not copy.exists() or copy.stat().st_size != clip.path.stat().st_size:
            shutil.copyfile(clip.path, copy)
        sources.append(quote(copy.relative_to(base).as_posix()))
    return sources


# ---------------------------------------------------------------- the page

_STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:980px;padding:0 1em;color:#222}
h1{font-size:1.4em;margin-bottom:.2em} .sub{color:#666;margin-top:0}
figure{margin:1.5em 0;padding:0} video,img{max-width:100%;border-radius:6px;background:#000;display:block}
figcaption{margin-top:.4em} .prompt{margin:.1em 0} .meta{margin:.1em 0;color:#666;font-size:.9em}
h2{font-size:1.05em;margin:1.6em 0 .3em} .skipped{color:#666;font-size:.9em}
"""


def _write_page(
    out: IO[str], clips: list[Clip], sources: list[str], skipped: list[Mapping[str, Any]]
) -> None:
    from hailuo_nb.notebook.bundles import cost_text, describe

    costs = [c.info.get("cost_usd") for c in clips if c.info.get("model") != "storyboard"]
    known = [float(c) for c in costs if isinstance(c, (int, float))]
    total = f" · ${sum(known):.2f} estimated" if known else ""
    stamp = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    out.write("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
              "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
              f"<title>Hailuo videos, {stamp}</title><style>{_STYLE}</style></head><body>\n")
    out.write(f"<h1>Hailuo videos</h1><p class=\"sub\">{len(clips)} clip{'s' if len(clips) != 1 else ''}"
              f" · {stamp}{html.escape(total)}</p>\n")
    for clip, src in zip(clips, sources, strict=True):
        if clip.heading:
            out.write(f"<h2>{html.escape(clip.heading)}</h2>")
        poster = _poster(clip.path)
        out.write('<figure><video controls playsinline preload="auto"')
        if poster:
            out.write(f' poster="{poster}"')
        out.write(' src="')
        if src:
            out.write(html.escape(src, quote=True))
        else:
            out.write("data:video/mp4;base64,")
            for piece in videofile.base64_chunks(clip.path):
                out.write(piece)
        meta = describe(clip.info) if clip.info.get("model") != "storyboard" else " · ".join(
            filter(None, ["storyboard", "with sound" if clip.info.get("has_audio") else "",
                          f"{cost_text(clip.info)} est. for all shots" if cost_text(clip.info) else ""]))
        out.write(f'"></video><figcaption><p class="prompt">{html.escape(str(clip.info.get("prompt") or ""))}'
                  f'</p><p class="meta">{html.escape(meta)}</p></figcaption></figure>\n')
    if skipped:
        rows = "".join(
            f"<li>{html.escape(str(s.get('status')))}: {html.escape(str(s.get('prompt') or ''))}</li>"
            for s in skipped
        )
        out.write(f'<div class="skipped"><p>Not on this page (no video):</p><ul>{rows}</ul></div>\n')
    out.write("</body></html>\n")


def _poster(path: Path) -> str:
    try:
        return videofile.data_url(videofile.poster_jpeg(path), "image/jpeg")
    except Exception:  # noqa: BLE001 - the clip still plays without a poster
        return ""
