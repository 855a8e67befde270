"""State shared by every protocol: settings, tasks, media, and the per-request `Call`.

Protocol modules get a `SimCore` and a `Call`; they never see the HTTP server. The core
applies the faults that need a task (remote failure, content policy on a poll) and the
demo prompt words, so each protocol only decides its own wire shapes.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any

from .faults import Fault
from .httpio import Request
from .media import ImageError, MediaStore, StoredFile, decode_data_url, fetch_loopback
from .tasks import SimTask, TaskStore
from .video import H3_FPS, Renderer, RenderSpec, frame_size, image_info

FAIL_WORD = "[fail]"
POLICY_WORD = "[policy]"
POLICY_MESSAGE = "content policy violation: the input was flagged as sensitive"
#: `[seconds=N]` / `[queue=N]` in a prompt: this task's job length / time queued (benchmarks)
TIMING_WORD = re.compile(r"\[(seconds|queue)=([0-9]+(?:\.[0-9]+)?)\]")


@dataclass
class Call:
    """One routed API or download request and the fault it drew, if any."""

    request: Request
    protocol: str | None
    kind: str | None
    match: dict[str, str] = field(default_factory=dict)
    fault: Fault | None = None

    def fault_is(self, name: str) -> bool:
        """True when this request drew the fault `name`."""
        return self.fault is not None and self.fault.name == name


class SimCore:
    """Settings and stores behind both origins."""

    def __init__(self, job_seconds: float, api_key: str, url_ttl: float) -> None:
        self.job_seconds = job_seconds
        self.queue_fraction = 0.2  # share of a job spent queued (SimServer.queue_fraction)
        self.hold_queue = False  # new tasks stay queued until released (SimServer.hold_queue)
        self.api_key = api_key
        self.url_ttl = url_ttl
        self.video_base_url = ""
        self.tasks = TaskStore()
        self.media = MediaStore()
        self._specs: dict[str, RenderSpec] = {}
        self._lock = threading.Lock()
        self.stopping = threading.Event()  # set by SimServer.stop(); ends callback threads

    # -- tasks ---------------------------------------------------------------------------

    def create_task(self, call: Call, task_id: str, **fields: Any) -> SimTask:
        """Store a new task for `call`; applies `[fail]` and a submit `remote_failure`."""
        if not fields.get("client_task_id"):
            fields["client_task_id"] = call.request.header("idempotency-key") or None
        task = SimTask(id=task_id, job_seconds=self.job_seconds,
                       queue_fraction=self.queue_fraction, held=self.hold_queue, **fields)
        for word, value in TIMING_WORD.findall(task.prompt):
            setattr(task, "job_seconds" if word == "seconds" else "queue_seconds", float(value))
        if FAIL_WORD in task.prompt:
            task.fail("generation failed (simulated by the [fail] prompt word)")
        if call.fault is not None and call.fault.name == "remote_failure":
            task.fail(str(call.fault.param("message", "generation failed (injected fault)")))
        return self.tasks.add(task)

    def lookup(self, call: Call, task_id: str, protocol: str) -> SimTask | None:
        """The task a poll asks about, after applying the poll's fault."""
        task = self.tasks.get(task_id, protocol)
        if task is not None and call.fault is not None:
            if call.fault.name == "remote_failure":
                message = call.fault.param("message", "generation failed (injected fault)")
                task.fail(str(message), now=True)
            elif call.fault.name == "content_policy":
                task.fail(str(call.fault.param("message", POLICY_MESSAGE)), "policy", now=True)
        return task

    # -- images --------------------------------------------------------------------------

    def load_image(self, ref: object, what: str) -> bytes | None:
        """Bytes of an image reference, None when it is unreachable offline.

        ImageError when the reference is malformed or its bytes are not an image.
        """
        if not isinstance(ref, str) or not ref.strip():
            raise ImageError(f"{what} must be a non-empty string (URL or data URL)")
        if not ref.startswith(("data:", "http://", "https://")):
            raise ImageError(f"{what} must be an http(s) URL or a data URL")
        data = self.fetch(ref)
        if data is not None:
            try:
                image_info(data)
            except ValueError as exc:
                raise ImageError(f"{what}: {exc}") from exc
        return data

    def fetch(self, url: str) -> bytes | None:
        """Bytes behind a data URL, a simulator file or video, or a loopback URL; else None."""
        if url.startswith("data:"):
            return decode_data_url(url)[0]
        stored = self.file_for_url(url)
        if stored is not None:
            return stored.data
        task = self.task_for_url(url)
        if task is not None:
            return self.video_bytes(task)
        return fetch_loopback(url)

    def task_for_url(self, url: str) -> SimTask | None:
        """The task a video-origin video URL belongs to, if any (expired links included)."""
        prefix = self.video_base_url + "/videos/"
        if not url.startswith(prefix) or not url.endswith(".mp4"):
            return None
        link = self.media.link(url[len(prefix) : -len(".mp4")])
        return self.tasks.get(link.task_id) if link else None

    def file_for_url(self, url: str) -> StoredFile | None:
        """The uploaded file a video-origin URL points at, if any."""
        prefix = self.video_base_url + "/files/"
        return self.media.file(url[len(prefix) :]) if url.startswith(prefix) else None

    def file_url(self, stored: StoredFile) -> str:
        """Public URL of an uploaded file on the video origin."""
        return f"{self.video_base_url}/files/{stored.token}"

    # -- videos --------------------------------------------------------------------------

    def spec(self, task: SimTask) -> RenderSpec:
        """The render spec of a task (its size follows the first frame's aspect).

        Clips with sound (H3) are 24 fps and rendered at 1/8 of the real size (1/4 for
        the others), so that even a 15 s 2K clip renders in well under a second.
        """
        with self._lock:
            spec = self._specs.get(task.id)
        if spec is None:
            aspect = task.aspect
            if aspect is None and task.first_frame is not None:
                w, h, _ = image_info(task.first_frame)
                aspect = w / h
            width, height = frame_size(task.resolution, aspect, 8 if task.has_audio else 4)
            extra: dict[str, Any] = {"fps": H3_FPS, "audio": True} if task.has_audio else {}
            prompt = TIMING_WORD.sub("", task.prompt).strip()  # jobs differing only in length share a render
            spec = RenderSpec(prompt, task.duration, width, height, task.model,
                              task.first_frame, task.last_frame, **extra)
            with self._lock:
                self._specs[task.id] = spec
        return spec

    def video_url(self, task: SimTask) -> str:
        """A (fresh enough) download URL; starts rendering in the background."""
        Renderer.start(self.spec(task))
        link = self.media.link_for(task.id, self.url_ttl)
        return f"{self.video_base_url}/videos/{link.token}.mp4"

    def video_bytes(self, task: SimTask) -> bytes:
        """The rendered MP4 (waits for a render in progress)."""
        return Renderer.get(self.spec(task))
