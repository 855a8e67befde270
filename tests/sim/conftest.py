"""Fixtures for the simulator tests: a fresh SimServer, httpx clients, and small helpers.

Everything talks HTTP to a real server on loopback with plain httpx (never the library's
own client), so these tests pin the wire shapes that the adapters must read.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sim_media import data_url, make_image

from hailuo_nb.sim import SimServer

PROTOCOLS = ("minimax", "runapi", "runbase", "runninghub", "agentsflare")

#: protocol -> (submit path, minimal valid text-to-video body)
T2V: dict[str, tuple[str, dict[str, Any]]] = {
    "minimax": ("/v1/video_generation",
                {"model": "MiniMax-Hailuo-02", "prompt": "a red fox", "duration": 6,
                 "resolution": "768P"}),
    "runapi": ("/api/v1/hailuo/text_to_video",
               {"model": "hailuo-02-text-to-video-standard", "prompt": "a red fox",
                "duration_seconds": 6}),
    "runbase": ("/api/v1/runs", {"model": "hailuo/pro", "input": {"prompt": "a red fox"}}),
    "runninghub": ("/openapi/v2/minimax/hailuo-02/t2v-standard",
                   {"prompt": "a red fox", "enablePromptExpansion": True, "duration": "6"}),
    "agentsflare": ("/v1/videos/generations",
                    {"model": "minimax-hailuo-02", "prompt": "a red fox", "duration": 6}),
}
TERMINAL = {"success", "succeeded", "completed", "fail", "failed", "thinking"}
ID_KEYS = ("task_id", "taskId", "id", "run_id", "request_id")


def set_prompt(protocol: str, body: dict[str, Any], prompt: str) -> dict[str, Any]:
    """Copy of a T2V body with another prompt."""
    body = {**body, "input": {**body["input"]}} if protocol == "runbase" else dict(body)
    (body["input"] if protocol == "runbase" else body)["prompt"] = prompt
    return body


def unwrap(body: dict[str, Any]) -> dict[str, Any]:
    """The payload of a reply, nested under data/task or not."""
    for key in ("data", "task"):
        if isinstance(body.get(key), dict):
            return {**body, **body[key]}
    return body


def task_id_of(body: dict[str, Any]) -> str:
    inner = unwrap(body)
    return str(next(inner[k] for k in ID_KEYS if k in inner))


def status_of(body: dict[str, Any]) -> str:
    inner = unwrap(body)
    return str(inner.get("status", inner.get("task_status")))


@dataclass
class Driver:
    """Submit and poll any protocol with its minimal valid requests."""

    srv: SimServer
    client: httpx.Client
    unwrap = staticmethod(unwrap)
    id_of = staticmethod(task_id_of)
    status_of = staticmethod(status_of)

    def submit(self, protocol: str, prompt: str = "a red fox", **extra: Any) -> httpx.Response:
        path, body = T2V[protocol]
        body = {**set_prompt(protocol, body, prompt), **extra}
        return self.client.post(path, json=body)

    def poll(self, protocol: str, task_id: str, path: str | None = None) -> httpx.Response:
        if protocol == "minimax":
            return self.client.get("/v1/query/video_generation", params={"task_id": task_id})
        if protocol == "runapi":
            return self.client.get(f"/api/v1/hailuo/{path or 'text_to_video'}/{task_id}")
        if protocol == "runbase":
            return self.client.get(f"/api/v1/runs/{task_id}")
        if protocol == "runninghub":
            return self.client.post("/openapi/v2/query", json={"taskId": task_id})
        return self.client.get(f"/v1/async-result/{task_id}")

    def wait(self, protocol: str, task_id: str, timeout: float = 10.0, **kw: Any
             ) -> dict[str, Any]:
        """Poll until a terminal status; returns the last reply's JSON."""
        deadline = time.monotonic() + timeout
        while True:
            reply = self.poll(protocol, task_id, **kw)
            reply.raise_for_status()
            body: dict[str, Any] = reply.json()
            if status_of(body).lower() in TERMINAL:
                return body
            assert time.monotonic() < deadline, f"task {task_id} still {status_of(body)}"
            time.sleep(0.02)

    def run(self, protocol: str, prompt: str = "a red fox", **extra: Any) -> dict[str, Any]:
        reply = self.submit(protocol, prompt, **extra)
        assert reply.status_code == 200, reply.text
        return self.wait(protocol, task_id_of(reply.json()))

    def video_url(self, protocol: str, body: dict[str, Any]) -> str:
        """The video URL of a successful poll reply (MiniMax: through files/retrieve)."""
        inner = unwrap(body)
        if protocol == "minimax":
            got = self.client.get("/v1/files/retrieve", params={"file_id": inner["file_id"]})
            return str(got.json()["file"]["download_url"])
        for key in ("videos", "results", "video_result"):
            if inner.get(key):
                return str(inner[key][0]["url"])
        if isinstance(inner.get("output"), dict):
            return str(inner["output"]["urls"][0])
        if isinstance(inner.get("output"), str):
            return str(inner["output"])
        if isinstance(inner.get("video"), dict):
            return str(inner["video"]["url"])
        return str(inner.get("url") or inner["video_url"])


@pytest.fixture
def sim() -> Iterator[SimServer]:
    with SimServer(job_seconds=0.05, api_key="test-key") as srv:
        yield srv


@pytest.fixture
def client(sim: SimServer) -> Iterator[httpx.Client]:
    # verify=False: plain http on loopback, and it skips loading a CA bundle per test.
    with httpx.Client(base_url=sim.base_url, headers={"Authorization": "Bearer test-key"},
                      timeout=10, verify=False) as c:
        yield c


@pytest.fixture
def fetch() -> Iterator[httpx.Client]:
    """A client for the video origin: no Authorization header."""
    with httpx.Client(timeout=10, verify=False) as c:
        yield c


@pytest.fixture
def drive(sim: SimServer, client: httpx.Client) -> Driver:
    return Driver(sim, client)


@pytest.fixture
def image_bytes() -> Callable[..., bytes]:
    """image_bytes(width, height, color, fmt) -> encoded image bytes."""
    return make_image


@pytest.fixture
def image_url() -> Callable[..., str]:
    """image_url(width, height, color) -> a PNG data URL."""

    def make(width: int = 640, height: int = 400, color: tuple[int, int, int] = (220, 30, 30)
             ) -> str:
        return data_url(make_image(width, height, color))

    return make


@dataclass
class VideoInfo:
    frames: int
    seconds: float
    width: int
    height: int
    codec: str
    first_rgb: Any
    last_rgb: Any


def probe(data: bytes) -> VideoInfo:
    """Decode an MP4 fully with PyAV."""
    import av

    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
        seconds = float(stream.duration * stream.time_base) if stream.duration else 0.0
        return VideoInfo(len(frames), seconds, stream.codec_context.width,
                         stream.codec_context.height, stream.codec_context.name,
                         frames[0], frames[-1])


@pytest.fixture
def decode() -> Callable[[bytes], VideoInfo]:
    return probe


@pytest.fixture
def wait_for() -> Callable[..., Any]:
    """wait_for(fn, timeout) -> fn()'s first truthy value, polling with a deadline."""

    def wait(fn: Callable[[], Any], timeout: float = 10.0, interval: float = 0.02) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = fn()
            if value:
                return value
            assert time.monotonic() < deadline, "condition not met before the deadline"
            time.sleep(interval)

    return wait


@dataclass
class StreamInfo:
    codec: str
    seconds: float
    rate: float  # fps for video, sample rate for audio
    channels: int
    width: int
    height: int


def streams(data: bytes) -> dict[str, StreamInfo]:
    """Stream type ('video', 'audio') -> what PyAV reads from the MP4's header."""
    import av

    out: dict[str, StreamInfo] = {}
    with av.open(io.BytesIO(data)) as container:
        for s in container.streams:
            ctx = s.codec_context
            seconds = float(s.duration * s.time_base) if s.duration else 0.0
            if s.type == "video":
                out["video"] = StreamInfo(ctx.name, seconds, float(s.average_rate or 0), 0,
                                          ctx.width, ctx.height)
            elif s.type == "audio":
                out["audio"] = StreamInfo(ctx.name, seconds, float(ctx.sample_rate),
                                          ctx.layout.nb_channels, 0, 0)
    return out


@pytest.fixture
def probe_streams() -> Callable[[bytes], dict[str, StreamInfo]]:
    return streams

