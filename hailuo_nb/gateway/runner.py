"""One generation's run on the engine: submit → poll → result → download.

Money rules (DESIGN §4): the journal row exists before the submit request; the task id
is stored the moment it arrives; a submission is never retried where a retry could
create a second paid task; cancelling never interrupts a request in flight.

With a ``callback_url`` and a listen address (``gateway.callbacks``), the listener starts
before the submission, polling becomes a sparse safety net (:data:`FALLBACK_INTERVAL`),
and a ``success``/``failed`` callback wakes the poll loop for one confirming poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from hailuo_nb.errors import GatewayError, GenerationTimeout, HailuoError
from hailuo_nb.gateway import callbacks, config
from hailuo_nb.gateway.client import GatewayClient
from hailuo_nb.gateway.download import destination, download
from hailuo_nb.gateway.engine import Engine
from hailuo_nb.gateway.generation import Generation
from hailuo_nb.gateway.images import FrameImage
from hailuo_nb.gateway.journal import Journal
from hailuo_nb.gateway.providers.base import PreparedRequest
from hailuo_nb.gateway.task import (
    CANCELLED,
    DOWNLOADING,
    FAILED,
    QUEUED,
    RUNNING,
    SUCCEEDED,
    TaskRef,
    TaskState,
)

if TYPE_CHECKING:  # numpy (schedule, timing model) loads with the first poll, or in warm_up
    from hailuo_nb.gateway.schedule import PollSchedule
    from hailuo_nb.gateway.timing import Key, TimingModel

log = logging.getLogger("hailuo_nb")

#: How long a generation is waited for before it is reported as timed out (resumable).
DEFAULT_DEADLINE = 30 * 60.0
#: With callbacks expected, the poll interval of the safety net for a lost callback (they are
#: unauthenticated and delivered at most once): the usual early look, capped at this, then
#: one status request every this many seconds. HAILUO_POLL_INTERVAL still overrides it.
FALLBACK_INTERVAL = 60.0


class Runner:
    """Drives one :class:`Generation` on the engine loop."""

    def __init__(self, gen: Generation, engine: Engine, journal: Journal,
                 deadline: float | None = None, *, callback_listen: tuple[str, int] | None = None) -> None:
        self.gen = gen
        self.engine = engine
        self.journal = journal
        self.deadline = deadline or DEFAULT_DEADLINE
        self.callback_listen = callback_listen
        self._cancelled = asyncio.Event()
        self._wake = asyncio.Event()  # cancel, or a terminal callback: cut the current sleep short
        self._callbacks: callbacks.Registry | None = None
        self._hinted = False  # a callback said the task ended
        self._confirms = 0  # polls since, that did not confirm it
        self._submitted = False  # submitted by this run (not resumed): its timing is recorded

    def request_cancel(self) -> None:
        """Thread-safe: ask the run to stop at its next safe point."""
        self.engine.call_soon(self._cancel_now)

    def _cancel_now(self) -> None:
        self._cancelled.set()
        self._wake.set()

    def _on_callback(self, status: str) -> None:
        if status in callbacks.TERMINAL:
            self._hinted = True
            self._wake.set()

    async def run(self) -> None:
        gen = self.gen
        client = self.engine.client(gen.endpoint)
        try:
            if gen.task_id is None and self.callback_listen and gen.request and gen.request.callback_url:
                # before the submission: the challenge comes right after the create call
                try:
                    self._callbacks = await callbacks.listen(*self.callback_listen)
                except OSError as exc:
                    host, port = self.callback_listen
                    raise HailuoError(f"cannot listen for callbacks on {host}:{port} ({exc});"
                                      " nothing was submitted", provider=gen.provider) from exc
            if gen.task_id is None:
                await self._submit(client)
            if self._cancelled.is_set():
                return self._finish_cancelled()
            state = await self._poll(client)
            if state is None:
                return self._finish_cancelled()
            if state.status == SUCCEEDED:
                await self._fetch(client, state)
            elif state.status == CANCELLED:
                error = state.error.with_task_id(gen.task_id) if state.error else None
                self._finish(FAILED if error else CANCELLED, error=error)
            else:
                error = state.error or GatewayError("the generation failed", provider=gen.provider)
                self._finish(FAILED, error=error.with_task_id(gen.task_id))
        except HailuoError as exc:
            self._finish(FAILED, error=exc.with_task_id(gen.task_id))
        except Exception as exc:  # a bug of ours must still end the generation visibly
            log.exception("hailuo_nb: unexpected error in a generation")
            error = GatewayError(f"unexpected {type(exc).__name__}: {exc}", provider=gen.provider)
            self._finish(FAILED, error=error.with_task_id(gen.task_id))

    # -- submit --------------------------------------------------------------------------
    async def _submit(self, client: GatewayClient) -> None:
        gen, protocol = self.gen, self.gen.endpoint.protocol
        request = gen.request
        if request is None:
            raise GatewayError("nothing to submit: this generation has no request", provider=gen.provider)
        prepared = PreparedRequest(
            client_id=gen.id,
            model=request.model,
            native_model=request.native_model,
            prompt=request.prompt,
            duration=request.duration,
            resolution=request.resolution,
            prompt_optimizer=request.prompt_optimizer,
            first_frame=await self._image(client, request.first_frame),
            last_frame=await self._image(client, request.last_frame),
            callback_url=request.callback_url,
        )
        if self._cancelled.is_set():
            return
        self.journal.update(gen.id, submit_state="sent", base_url=gen.endpoint.base_url)
        try:
            call = replace(protocol.build_submit(prepared), idempotency_key=gen.id)
            body = await client.send(call)
            ref = protocol.parse_submit(body, prepared)
        except HailuoError as exc:
            status = exc.status_code
            # only a 4xx (or an in-band refusal on a 2xx) says for sure that nothing was accepted
            refused = not isinstance(exc, GatewayError) or (status is not None and 400 <= status < 500)
            uncertain = not refused
            self.journal.update(gen.id, submit_state="unknown" if uncertain else "rejected")
            if uncertain:
                exc.message += (
                    " — the submission's outcome is unknown (the gateway may have accepted it);"
                    " it was not resubmitted, check the provider's dashboard before retrying"
                )
            raise
        now = time.time()
        self._submitted = True
        self.journal.update(gen.id, submit_state="accepted", task_id=ref.task_id, route=ref.route,
                            status=QUEUED, submitted_at=now)
        gen._update(task_id=ref.task_id, route=ref.route, status=QUEUED, submitted_at=now)

    async def _image(self, client: GatewayClient, frame: FrameImage | None) -> str | None:
        if frame is None:
            return None
        if frame.data is None or frame.mime is None:
            return frame.url
        protocol = client.endpoint.protocol
        if protocol.image_mode == "data_url" or protocol.build_upload is None:
            return frame.data_url()
        assert protocol.parse_upload is not None
        ext = frame.mime.split("/")[-1].replace("jpeg", "jpg")
        body = await client.send(protocol.build_upload(frame.data, frame.mime, f"{frame.name}.{ext}"))
        return protocol.parse_upload(body)

    # -- poll ----------------------------------------------------------------------------
    async def _poll(self, client: GatewayClient) -> TaskState | None:
        from hailuo_nb.gateway.schedule import PollSchedule
        from hailuo_nb.gateway.timing import Distribution, Key, model_for

        gen, protocol = self.gen, self.gen.endpoint.protocol
        assert gen.task_id is not None
        ref = TaskRef(gen.task_id, gen.route)
        submitted = gen.submitted_at or time.time()
        timing = model_for(self.journal)
        key = Key(gen.provider, gen.model, str(gen.resolution), int(gen.duration))
        prior = Distribution.from_window(*gen.expected_seconds)
        schedule = PollSchedule(timing.total(key, prior), fixed=config.poll_interval())
        track = _Track(timing, key, gen.id, submitted, resumed=not self._submitted)
        polls = 0
        unregister = self._callbacks.register(gen.task_id, self._on_callback) if self._callbacks else None
        try:
            while True:
                elapsed = time.time() - submitted
                if await self._sleep(self._delay(schedule, elapsed, polls)):
                    return None
                sent = time.time() - submitted
                state = protocol.parse_poll(await client.send(protocol.build_poll(ref)))
                polls += 1
                track.reply(state, sent, time.time() - submitted, schedule, polls)
                if state.terminal:
                    return state
                if schedule.fixed is None and state.progress is not None:
                    schedule.progress(sent, state.progress, polls)
                elif schedule.fixed is None and schedule.origin == 0.0:
                    schedule.update(timing.total(key, prior))  # another job finished: re-plan the rest
                if state.status != gen.status or state.raw_status != gen.raw_status:
                    self.journal.update(gen.id, status=state.status, raw_status=state.raw_status)
                    gen._update(status=state.status, raw_status=state.raw_status)
                if time.time() - gen.created_at > self.deadline:
                    raise GenerationTimeout(
                        f"no result after {self.deadline:.0f} s (last status {state.raw_status!r})",
                        provider=gen.provider, task_id=gen.task_id,
                    )
        finally:
            track.ended()
            if unregister is not None:
                unregister()

    def _delay(self, schedule: PollSchedule, elapsed: float, polls: int) -> float:
        """The usual schedule, or with callbacks expected the sparse safety net."""
        usual = schedule.next_delay(elapsed, polls)
        if self._callbacks is None or schedule.fixed is not None:
            return usual
        if self._hinted:
            # a terminal callback whose confirming poll disagreed (the provider lagging, or a
            # forged callback): re-check 1, 2, 4… s later, never sparser than the usual schedule
            self._confirms += 1
            return min(usual, 2.0 ** (self._confirms - 1))
        return min(usual, FALLBACK_INTERVAL) if polls == 0 else FALLBACK_INTERVAL

    async def _sleep(self, seconds: float) -> bool:
        """Sleep, waking early on cancel or a terminal callback; True if cancelled."""
        if not self._wake.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=max(seconds, 0))
        self._wake.clear()
        return self._cancelled.is_set()

    # -- result + download -----------------------------------------------------------------
    async def _fetch(self, client: GatewayClient, state: TaskState) -> None:
        gen, protocol = self.gen, self.gen.endpoint.protocol
        assert gen.task_id is not None
        finished = time.time()
        cost = state.cost_usd if state.cost_usd is not None else gen.cost_usd
        self.journal.update(gen.id, status=DOWNLOADING, raw_status=state.raw_status, finished_at=finished,
                            file_id=state.file_id, cost_usd=cost)
        gen._update(status=DOWNLOADING, raw_status=state.raw_status, finished_at=finished, cost_usd=cost)

        async def fresh_url() -> str:
            if state.file_id and protocol.build_retrieve and protocol.parse_retrieve:
                return protocol.parse_retrieve(await client.send(protocol.build_retrieve(state.file_id)))
            ref = TaskRef(gen.task_id or "", gen.route)
            again = protocol.parse_poll(await client.send(protocol.build_poll(ref)))
            if not again.video_url:
                raise GatewayError("the gateway gave no fresh video URL", provider=gen.provider)
            return again.video_url

        url = state.video_url or await fresh_url()
        self.journal.update(gen.id, video_url=url)
        gen._update(video_url=url)
        path = await download(self.engine.video_http, url, destination(config.output_dir(), gen.task_id),
                              refresh=fresh_url, provider=gen.provider)
        self.journal.update(gen.id, status=SUCCEEDED, video_path=str(path))
        gen._update(status=SUCCEEDED, video_path=path)

    # -- endings -------------------------------------------------------------------------
    def _finish(self, status: str, *, error: HailuoError | None = None) -> None:
        gen = self.gen
        fields: dict[str, Any] = {"status": status}
        if error is not None:
            fields.update(error_type=type(error).__name__, error=str(error))
        if gen.finished_at is None:
            fields["finished_at"] = time.time()
        self.journal.update(gen.id, **fields)
        gen._update(status=status, error=error, finished_at=fields.get("finished_at", gen.finished_at))

    def _finish_cancelled(self) -> None:
        note = None
        if self.gen.task_id:
            note = "cancelled locally; the gateway has no cancel call, so the task may still finish remotely"
        self.journal.update(self.gen.id, status=CANCELLED, finished_at=time.time(),
                            **({"error": note} if note else {}))
        self.gen._update(status=CANCELLED, finished_at=time.time())


class _Track:
    """What one job's replies said about its length, for ``gateway/timing.py``.

    Times are seconds after submission: a "not done" reply bounds the length from below by
    when its request was *sent*, a "done" reply from above by when it *arrived*. A resumed
    job (no submission time of this process) is not recorded.
    """

    def __init__(self, timing: TimingModel, key: Key, job: str, submitted: float, resumed: bool) -> None:
        self.timing, self.key, self.job, self.submitted, self.resumed = timing, key, job, submitted, resumed
        self.pending = 0.0  # the last "not done" request
        self.queued: float | None = 0.0  # the last "queued" request; None once it left the queue
        self.exit: tuple[float, float] | None = None
        self.done = False
        if not resumed:
            timing.started(key, job, submitted)

    def reply(self, state: TaskState, sent: float, arrived: float, schedule: PollSchedule,
              polls: int) -> None:
        if state.status == QUEUED:
            self.queued = sent
        elif self.queued is not None and (state.status == RUNNING or state.terminal):
            self.exit, self.queued = (self.queued, arrived), None
            if state.status == RUNNING and not self.resumed:
                self.timing.left_queue(self.key, self.job, self.submitted + sum(self.exit) / 2)
                run = self.timing.running(self.key)
                if run is not None and schedule.fixed is None:
                    schedule.restart(sum(self.exit) / 2, run, polls)
        if not state.terminal:
            self.pending = sent
        elif state.status == SUCCEEDED and not self.resumed:
            # a queue exit seen only together with "done" says nothing about the running time
            exit = self.exit if self.exit and self.exit[1] < arrived else None
            self.timing.record(self.key, self.job, self.pending, arrived, exit, polls)
            self.done = True

    def ended(self) -> None:
        if not self.done:
            self.timing.ended(self.key, self.job)


__all__ = ["DEFAULT_DEADLINE", "FALLBACK_INTERVAL", "Runner"]
