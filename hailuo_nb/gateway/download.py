"""Streaming downloads to disk: temp file, Range resume, verification, atomic rename.

The video host is not the API host: no Authorization header is ever sent there (the
client used here carries none), redirects are followed, and an expired URL is
refreshed through ``refresh`` (MiniMax: files/retrieve again).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from hailuo_nb.errors import GatewayError
from hailuo_nb.gateway.retry import DOWNLOAD

CHUNK = 1 << 20
_EXPIRED = (401, 403, 404, 410)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def video_file_name(task_id: str) -> str:
    """``<task id>.mp4`` made safe: no separators, no leading dots, bounded length."""
    name = _UNSAFE.sub("_", task_id).strip("._")[:120] or "video"
    if name != task_id:  # cleaning changed the id: keep distinct ids in distinct files
        name += "-" + hashlib.sha256(task_id.encode()).hexdigest()[:8]
    return name + ".mp4"


def destination(folder: Path, task_id: str) -> Path:
    """The file a task's video goes to, guaranteed to be inside ``folder``."""
    folder = folder.resolve()
    path = (folder / video_file_name(task_id)).resolve()
    if path.parent != folder:
        raise GatewayError(f"refusing to write outside {folder}")
    return path


async def download(
    http: httpx.AsyncClient,
    url: str,
    dest: Path,
    *,
    refresh: Callable[[], Awaitable[str]] | None = None,
    provider: str | None = None,
) -> Path:
    """Stream ``url`` to ``dest`` atomically; resume truncated transfers; verify the MP4."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name("." + dest.name + ".part")
    part.unlink(missing_ok=True)
    failure = "no attempt made"
    for attempt in range(DOWNLOAD.attempts + 1):
        if attempt:
            await asyncio.sleep(DOWNLOAD.delay(attempt - 1) / 4)
        try:
            complete = await _fetch(http, url, part)
        except _Expired:
            if refresh is None:
                raise GatewayError("the video URL has expired", provider=provider) from None
            url = await refresh()
            part.unlink(missing_ok=True)  # a fresh URL: start over
            failure = "the video URL kept expiring"
        except (httpx.TransportError, GatewayError) as exc:
            failure = str(exc)  # the next attempt resumes from what is on disk
        else:
            if complete:
                _verify(part, provider)
                os.replace(part, dest)
                return dest
            failure = "the transfer kept being cut short"
    part.unlink(missing_ok=True)
    raise GatewayError(f"download failed: {failure}", provider=provider)


class _Expired(Exception):
    pass


async def _fetch(http: httpx.AsyncClient, url: str, part: Path) -> bool:
    """Append what's missing to ``part``; True when the transfer is complete."""
    have = part.stat().st_size if part.exists() else 0
    headers = {"Range": f"bytes={have}-"} if have else {}
    async with http.stream("GET", url, headers=headers, follow_redirects=True) as response:
        if response.status_code in _EXPIRED:
            raise _Expired
        if response.status_code == 416 and have:  # we already have every byte
            return True
        if response.status_code >= 400:
            raise GatewayError(f"video host answered HTTP {response.status_code}",
                               status_code=response.status_code)
        resumed = response.status_code == 206 and have > 0
        expected = _total_size(response, have if resumed else 0)
        with part.open("ab" if resumed else "wb") as out:
            async for chunk in response.aiter_raw(CHUNK):
                out.write(chunk)
    size = part.stat().st_size
    return expected is None or size >= expected


def _total_size(response: httpx.Response, offset: int) -> int | None:
    length = response.headers.get("Content-Length")
    if length is None or response.headers.get("Content-Encoding"):
        return None
    return offset + int(length)


def _verify(path: Path, provider: str | None) -> None:
    with path.open("rb") as f:
        head = f.read(12)
    if len(head) < 12 or head[4:8] != b"ftyp":
        path.unlink(missing_ok=True)
        raise GatewayError("the downloaded file is not an MP4 video", provider=provider)
