"""Streaming downloads to disk: temp file, Range resume, proof of a whole MP4, atomic rename.

A file is renamed into place only when it is provably whole: its top-level MP4 boxes
(``ftyp`` first, then ``moov`` and ``mdat`` somewhere) end exactly at the end of the file,
and its size matches the total the server announced (``Content-Length``, or the total of
a ``Content-Range``). Servers lie or hang up: a short transfer resumes with ``Range``
(a server that ignores it and replies 200 starts the file over), so bytes are written as
they arrive, never held back in memory.

The video host is not the API host: no Authorization header is ever sent there (the
client used here carries none), redirects are followed, and an expired URL is
refreshed through ``refresh`` (MiniMax: files/retrieve again).
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import os
import re
import shutil
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import httpx

from hailuo_nb.errors import GatewayError, StorageError
from hailuo_nb.gateway.retry import DOWNLOAD, RetryPolicy

_EXPIRED = (401, 403, 404, 410)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_CONTENT_RANGE = re.compile(r"bytes\s+(?:(\d+)-\d+|\*)/(\d+|\*)", re.IGNORECASE)
#: A top-level box type is four printable characters (``©`` included, as QuickTime uses it).
_BOX_TYPE = re.compile(rb"[\x20-\x7e\xa9]{4}")


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


# -- the MP4 check --------------------------------------------------------------------------

@dataclass(frozen=True)
class Mp4Layout:
    """The top-level boxes of a file: enough to tell a whole MP4 from a cut one."""

    #: the box types in file order
    types: tuple[str, ...]
    #: where the last box says it ends (beyond ``size``: the file is cut short)
    end: int
    #: the file's size in bytes
    size: int
    #: why the bytes are not a box sequence at all, or None
    problem: str | None = None

    @property
    def is_mp4(self) -> bool:
        """Whether the file starts like an MP4 (an ``ftyp`` box), cut or not."""
        cut_header = not self.types and self.end > self.size
        return self.problem is None and (self.types[:1] == ("ftyp",) or cut_header)

    @property
    def whole(self) -> bool:
        """Every box ends inside the file, the last exactly at its end; ftyp, moov and mdat are there."""
        return (self.problem is None and self.end == self.size and self.types[:1] == ("ftyp",)
                and "moov" in self.types and "mdat" in self.types)


def mp4_layout(f: BinaryIO, size: int) -> Mp4Layout:
    """Walk the top-level boxes of ``f`` (``size`` bytes): size + type headers, 64-bit sizes, size 0."""
    types: list[str] = []
    pos = 0
    while pos < size:
        f.seek(pos)
        header = f.read(16)
        if len(header) < 8:
            return Mp4Layout(tuple(types), pos + 8, size)  # the header itself is cut
        length, kind = struct.unpack(">I4s", header[:8])
        if not _BOX_TYPE.fullmatch(kind):
            return Mp4Layout(tuple(types), pos, size, f"no MP4 box at byte {pos}")
        if length == 1:  # a 64-bit "largesize" follows the type
            if len(header) < 16:
                return Mp4Layout(tuple(types), pos + 16, size)
            length = struct.unpack(">Q", header[8:16])[0]
            if length < 16:
                return Mp4Layout(tuple(types), pos, size, f"bad box size at byte {pos}")
        elif length == 0:  # the box runs to the end of the file
            length = size - pos
        elif length < 8:
            return Mp4Layout(tuple(types), pos, size, f"bad box size at byte {pos}")
        types.append(kind.decode("latin-1"))
        pos += length
    return Mp4Layout(tuple(types), pos, size)


def _layout_of(path: Path) -> Mp4Layout:
    size = path.stat().st_size if path.exists() else 0
    if not size:
        return Mp4Layout((), 8, 0)
    with path.open("rb") as f:
        return mp4_layout(f, size)


# -- the download --------------------------------------------------------------------------

async def download(
    http: httpx.AsyncClient,
    url: str,
    dest: Path,
    *,
    refresh: Callable[[], Awaitable[str]] | None = None,
    provider: str | None = None,
    policy: RetryPolicy = DOWNLOAD,
) -> Path:
    """Stream ``url`` to ``dest`` atomically; resume cut transfers; prove the MP4 whole.

    Raises GatewayError when the host never delivers a whole file within ``policy``'s
    attempts (nothing is left behind), StorageError when the folder cannot take it.
    """
    folder = dest.parent
    _make_folder(folder, provider)
    part = dest.with_name("." + dest.name + ".part")
    part.unlink(missing_ok=True)
    try:
        return await _attempts(http, url, dest, part, refresh, provider, policy)
    finally:
        part.unlink(missing_ok=True)  # on success it was renamed; otherwise leave nothing


async def _attempts(http: httpx.AsyncClient, url: str, dest: Path, part: Path,
                    refresh: Callable[[], Awaitable[str]] | None, provider: str | None,
                    policy: RetryPolicy) -> Path:
    failure = "no attempt made"
    for attempt in range(policy.attempts + 1):
        if attempt:
            await asyncio.sleep(policy.delay(attempt - 1) / 4)
        try:
            got = await _fetch(http, url, part, provider)
        except _Expired:
            if refresh is None:
                raise GatewayError("the video URL has expired", provider=provider) from None
            url = await refresh()
            part.unlink(missing_ok=True)  # a fresh URL: start over
            failure = "the video URL kept expiring"
            continue
        except (httpx.TransportError, GatewayError) as exc:
            failure = f"the transfer broke off ({_describe(exc)})"  # the next attempt resumes
            continue
        layout = _layout_of(part)
        if not layout.is_mp4:
            raise GatewayError(f"the downloaded file is not an MP4 video ({layout.problem or 'no ftyp box'})",
                               provider=provider)
        if layout.whole and got.total in (None, layout.size):
            _rename(part, dest, provider)
            return dest
        failure = _shortfall(layout, got)
        if got.final or layout.problem or (got.total is not None and layout.size > got.total):
            part.unlink(missing_ok=True)  # nothing more to resume from: start over
    raise GatewayError(f"download failed: {failure}; no file was saved", provider=provider)


def _describe(exc: Exception) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _shortfall(layout: Mp4Layout, got: _Got) -> str:
    """Why a file is not (yet) whole, in words."""
    if layout.problem:
        return f"the file is damaged ({layout.problem})"
    if got.total is not None and layout.size != got.total:
        return f"the video host announced {got.total} bytes but {layout.size} arrived"
    if layout.end > layout.size:
        return f"the file stops at byte {layout.size}, inside a box that ends at byte {layout.end}"
    missing = [k for k in ("moov", "mdat") if k not in layout.types]
    return f"the file has no {' or '.join(missing)} box"


class _Expired(Exception):
    pass


@dataclass(frozen=True)
class _Got:
    """What one request told about the whole file."""

    #: the file's full size as the server announced it, if it did
    total: int | None
    #: the server says there is nothing beyond what we have (416)
    final: bool = False


async def _fetch(http: httpx.AsyncClient, url: str, part: Path, provider: str | None) -> _Got:
    """Add what's missing to ``part``, writing as bytes arrive; say what the server announced."""
    have = part.stat().st_size if part.exists() else 0
    headers = {"Accept-Encoding": "identity"}  # byte offsets must be the file's own
    if have:
        headers["Range"] = f"bytes={have}-"
    async with http.stream("GET", url, headers=headers, follow_redirects=True) as response:
        status = response.status_code
        if status in _EXPIRED:
            raise _Expired
        if status == 416 and have:  # nothing beyond what we have (or our part is wrong)
            return _Got(_content_range(response)[1], final=True)
        if status >= 400:
            raise GatewayError(f"video host answered HTTP {status}", status_code=status, provider=provider)
        start, total = _content_range(response) if status == 206 else (0, None)
        if status == 206 and start != have:
            part.unlink(missing_ok=True)
            raise GatewayError(f"the video host sent bytes from {start} instead of {have}", provider=provider)
        encoded = response.headers.get("Content-Encoding", "identity").lower() != "identity"
        length = response.headers.get("Content-Length")
        if total is None and length is not None and length.isdigit() and not encoded:
            total = start + int(length)
        # 206: append after what we have; 200 (no Range sent, or a server ignoring it): start over
        await _write(response, part, append=status == 206 and start > 0, encoded=encoded,
                     need=total, provider=provider)
    return _Got(total)


async def _write(response: httpx.Response, part: Path, *, append: bool, encoded: bool,
                 need: int | None, provider: str | None) -> None:
    """Stream the body into ``part`` chunk by chunk as it arrives (no read-ahead buffer)."""
    chunks = response.aiter_bytes() if encoded else response.aiter_raw()
    try:
        with _open(part, append, need, provider) as out:
            async for chunk in chunks:
                try:
                    out.write(chunk)
                except OSError as exc:
                    raise _storage_error(exc, part.parent, need, out.tell(), provider) from exc
    except httpx.TransportError:
        if encoded:  # a decoded prefix cannot be resumed with byte ranges
            part.unlink(missing_ok=True)
        raise


def _open(part: Path, append: bool, need: int | None, provider: str | None) -> BinaryIO:
    try:
        return part.open("ab" if append else "wb")
    except OSError as exc:
        raise _storage_error(exc, part.parent, need, 0, provider) from exc


def _content_range(response: httpx.Response) -> tuple[int, int | None]:
    """(first byte, total size or None) from ``Content-Range``."""
    match = _CONTENT_RANGE.search(response.headers.get("Content-Range", ""))
    if not match:
        return 0, None
    first, total = match.groups()
    return int(first or 0), int(total) if total and total != "*" else None


# -- the folder ------------------------------------------------------------------------------

def _make_folder(folder: Path, provider: str | None) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = "a file is in the way" if isinstance(exc, FileExistsError) else exc.strerror or str(exc)
        raise StorageError(
            f"cannot create the video folder {folder} ({reason}); set HAILUO_OUTPUT_DIR to a writable folder",
            folder=folder, provider=provider,
        ) from exc


def _rename(part: Path, dest: Path, provider: str | None) -> None:
    try:
        os.replace(part, dest)
    except OSError as exc:
        raise _storage_error(exc, dest.parent, part.stat().st_size, 0, provider) from exc


def _storage_error(exc: OSError, folder: Path, need: int | None, written: int,
                   provider: str | None) -> StorageError:
    """Disk full, quota, read-only…: name the folder and the space the video needs."""
    if need is not None:
        needed = f"the video needs {_size(need)}"
    else:
        needed = f"the video needs more than the {_size(written)} written so far"
    try:
        free = f", {_size(shutil.disk_usage(folder).free)} free there"
    except OSError:
        free = ""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        what = "no space left" if exc.errno == errno.ENOSPC else "disk quota exceeded"
        head = f"{what}: cannot save the video in {folder} ({needed}{free})"
    else:
        head = f"cannot save the video in {folder} ({exc.strerror or exc}; {needed}{free})"
    message = (f"{head}; the partial file was removed. Free some space there or set HAILUO_OUTPUT_DIR"
               " to another folder, then resume the task")
    return StorageError(message, folder=folder, provider=provider)


def _size(n: float) -> str:
    units = ("bytes", "KB", "MB", "GB")
    step = 0
    while n >= 1000 and step < len(units) - 1:
        n, step = n / 1000, step + 1
    return f"{int(n)} bytes" if step == 0 else f"{n:.1f} {units[step]}"
