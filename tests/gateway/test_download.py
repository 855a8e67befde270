"""Streaming downloads at unit level (httpx.MockTransport): resume, refresh, verify, atomic rename."""

from __future__ import annotations

import asyncio

import httpx

from hailuo_nb.errors import GatewayError
from hailuo_nb.gateway.download import destination, download, video_file_name

VIDEO = b"\x00\x00\x00\x20ftypisom" + bytes(range(256)) * 64


def serve(handler):
    """Run download() against ``handler``; returns (path or exception, requests seen)."""
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request, len(seen))

    async def go(dest, refresh=None):
        async with httpx.AsyncClient(transport=httpx.MockTransport(record)) as http:
            return await download(http, "https://videos.test/v.mp4", dest, refresh=refresh)

    def run(dest, refresh=None):
        try:
            return asyncio.run(go(dest, refresh)), seen
        except Exception as exc:  # noqa: BLE001 - returned for assertions
            return exc, seen

    return run


def ranged(request: httpx.Request, body: bytes, cut: int | None = None) -> httpx.Response:
    value = request.headers.get("Range")
    start = int(value[6:-1]) if value else 0
    part = body[start:]
    headers = {"Content-Length": str(len(part))}
    if start:
        headers["Content-Range"] = f"bytes {start}-{len(body) - 1}/{len(body)}"
    stream = part[:cut] if cut is not None else part
    # a stream, not content=: a response given its content up front cannot be streamed raw
    return httpx.Response(206 if start else 200, headers=headers, stream=httpx.ByteStream(stream))


def test_streams_to_the_destination_atomically(tmp_path):
    dest = tmp_path / "out" / "task.mp4"
    result, seen = serve(lambda req, n: ranged(req, VIDEO))(dest)
    assert result == dest and dest.read_bytes() == VIDEO
    assert [p.name for p in dest.parent.iterdir()] == ["task.mp4"]  # no .part left behind
    assert "authorization" not in seen[0].headers


def test_a_truncated_transfer_resumes_with_range(tmp_path):
    dest = tmp_path / "task.mp4"

    def handler(req, n):
        # the first reply promises everything but stops halfway (connection dropped)
        return ranged(req, VIDEO, cut=len(VIDEO) // 2 if n == 1 else None)

    result, seen = serve(handler)(dest)
    assert result == dest and dest.read_bytes() == VIDEO
    assert len(seen) == 2 and seen[1].headers["Range"] == f"bytes={len(VIDEO) // 2}-"


def test_an_expired_url_is_refreshed(tmp_path):
    dest = tmp_path / "task.mp4"
    calls = []

    async def refresh():
        calls.append(1)
        return "https://videos.test/fresh.mp4"

    def handler(req, n):
        if n == 1:
            return httpx.Response(403, stream=httpx.ByteStream(b"Request has expired"))
        return ranged(req, VIDEO)

    result, seen = serve(handler)(dest, refresh)
    assert result == dest and calls == [1]
    assert str(seen[1].url) == "https://videos.test/fresh.mp4"


def test_a_file_that_is_not_an_mp4_is_refused_and_removed(tmp_path):
    dest = tmp_path / "task.mp4"
    page = httpx.ByteStream(b"<html>sign in</html>")
    result, _ = serve(lambda req, n: httpx.Response(200, stream=page))(dest)
    assert isinstance(result, GatewayError) and "not an MP4" in str(result)
    assert list(tmp_path.iterdir()) == []


def test_file_names_stay_inside_the_folder(tmp_path):
    assert video_file_name("106916112212032") == "106916112212032.mp4"
    for task_id in ("../../etc/passwd", "a/b", "...", "x" * 500):
        name = video_file_name(task_id)
        assert name.endswith(".mp4") and "/" not in name and not name.startswith(".")
        assert destination(tmp_path, task_id).parent == tmp_path.resolve()
