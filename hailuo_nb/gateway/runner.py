"""One generation's run on the engine: submit → poll → result → download.

Money rules (docs/design.md §4): the journal row exists before the submit request; the task id
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

from hailuo_nb.errors import GatewayError, GatewayUnreachableError, GenerationTimeout, HailuoError
from hailuo_nb.gateway import callbacks, config
from hailuo_nb.gateway.client import GatewayClient
from hailuo_nb.gateway.download import destination, download
from hailuo_nb.gateway.engine import Engine
from hailuo_nb.gateway.generation import Generation
from hailuo_nb.gateway.images import FrameImage
from hailuo_nb.gateway.journal import Journal
from hailuo_nb.gateway.media import Clip
from hailuo_nb.gateway.providers.base import Media, PreparedRequest
from hailuo_nb.gateway.record import record
from hailuo_nb.gateway.remote import RECONCILE_DELAY, cancel_remote, find_submitted
from hailuo_nb.gateway.request import GenerationRequest
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


_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "video/mp4": "mp4",
               "video/quicktime": "mov", "audio/mpeg": "mp3", "audio/wav": "wav"}


def _has_data_urls(prepared: PreparedRequest) -> bool:
    return any(m.url.startswith("data:") for m in prepared.media)


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
                return await self._finish_cancelled(client)
            state = await self._poll(client)
            if state is None:
                return await self._finish_cancelled(client)
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
        prepared = PreparedRequest(request, gen.id, await self._media(client, request))
        if self._cancelled.is_set():
            return
        self.journal.update(gen.id, base_url=gen.endpoint.base_url)

        def on_wire(sent: bool) -> None:  # "sent" only while a request may really be at the gateway
            self.journal.update(gen.id, submit_state="sent" if sent else "pending")

        try:
            call = replace(protocol.build_submit(prepared), idempotency_key=gen.id)
            body = await client.send(call, on_wire=on_wire)
            ref = protocol.parse_submit(body, prepared)
        except HailuoError as exc:
            state = _submit_outcome(exc)
            found = await self._reconcile(client, prepared) if state == "unknown" else ""
            if not isinstance(found, TaskRef):
                self.journal.update(gen.id, submit_state=state)
                if state == "unknown":
                    exc.message += (
                        " — the submission's outcome is unknown (the gateway may have accepted it);"
                        " it was not resubmitted, check the provider's dashboard before retrying"
                    ) + found
                elif exc.status_code in (400, 413, 415, 422) and _has_data_urls(prepared):
                    exc.message += (" — local files went to the gateway as data URLs; if it does not take"
                                    " them, pass a public http(s) URL instead")
                raise
            ref = found
        self._submitted = True
        record(gen, self.journal, submit_state="accepted", task_id=ref.task_id, route=ref.route,
               status=QUEUED, submitted_at=time.time())

    async def _media(self, client: GatewayClient, request: GenerationRequest) -> tuple[Media, ...]:
        """Every input medium as the gateway takes it: a URL, an upload's URL, or a data URL."""
        return tuple([Media(role, await self._medium_url(client, m)) for role, m in request.media()])

    async def _medium_url(self, client: GatewayClient, medium: FrameImage | Clip) -> str:
        if medium.data is None or medium.mime is None:
            return medium.url or ""
        protocol = client.endpoint.protocol
        name = f"{medium.name.rsplit('.', 1)[0]}.{_EXTENSIONS.get(medium.mime, 'bin')}"
        if protocol.image_mode == "upload" and protocol.upload_flow is not None:
            return await client.run_flow(protocol.upload_flow(medium.data, medium.mime, name))
        if protocol.image_mode != "upload" or protocol.build_upload is None:
            return medium.data_url()
        assert protocol.parse_upload is not None
        body = await client.send(protocol.build_upload(medium.data, medium.mime, name))
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
        schedule = PollSchedule(timing.total(key, prior), fixed=config.poll_interval(),
                                spend=timing.spend(key))
        track = _Track(timing, key, gen.id, submitted, resumed=not self._submitted)
        polls = 0
        gone = self._gone(ref)  # past the gateway's query window: no request can help
        if gone is not None:
            raise gone
        unregister = self._callbacks.register(gen.task_id, self._on_callback) if self._callbacks else None
        try:
            while True:
                elapsed = time.time() - submitted
                if await self._sleep(self._delay(schedule, elapsed, polls)):
                    return None
                sent = time.time() - submitted
                try:
                    reply = await client.send(protocol.build_poll(ref))
                except HailuoError as exc:
                    gone = self._gone(ref, exc)
                    if gone is None:
                        raise
                    raise gone from exc
                state = protocol.parse_poll(reply)
                polls += 1
                track.reply(state, sent, time.time() - submitted, schedule, polls)
                if state.terminal:
                    return state
                if schedule.fixed is None and state.progress is not None:
                    schedule.progress(sent, state.progress, polls)
                elif schedule.fixed is None and schedule.origin == 0.0:
                    schedule.update(timing.total(key, prior))  # another job finished: re-plan the rest
                if state.status != gen.status or state.raw_status != gen.raw_status:
                    record(gen, self.journal, status=state.status, raw_status=state.raw_status)
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
        billed = state.billed_usd if state.billed_usd is not None else gen.billed_usd
        gen.note = state.billed_note or gen.note
        record(gen, self.journal, status=DOWNLOADING, raw_status=state.raw_status, finished_at=time.time(),
               file_id=state.file_id, billed_usd=billed)

        async def fresh_url() -> str:
            if state.file_id and protocol.build_retrieve and protocol.parse_retrieve:
                return protocol.parse_retrieve(await client.send(protocol.build_retrieve(state.file_id)))
            ref = TaskRef(gen.task_id or "", gen.route)
            again = protocol.parse_poll(await client.send(protocol.build_poll(ref)))
            if not again.video_url:
                raise GatewayError("the gateway gave no fresh video URL", provider=gen.provider)
            return again.video_url

        url = state.video_url or await fresh_url()
        record(gen, self.journal, video_url=url)
        path = await download(self.engine.video_http, url, destination(config.output_dir(), gen.task_id),
                              refresh=fresh_url, provider=gen.provider)
        record(gen, self.journal, status=SUCCEEDED, video_path=path)

    # -- endings -------------------------------------------------------------------------
    def _finish(self, status: str, *, error: HailuoError | None = None) -> None:
        changes: dict[str, Any] = {"status": status}
        if error is not None:
            changes["error"] = error
        if self.gen.finished_at is None:
            changes["finished_at"] = time.time()
        record(self.gen, self.journal, **changes)

    async def _finish_cancelled(self, client: GatewayClient) -> None:
        """End ``cancelled``, saying whether the gateway cancelled the task or we only stopped waiting."""
        gen = self.gen
        if gen.task_id:
            note = await cancel_remote(client, gen)
            self.journal.update(gen.id, error=note)
            gen.note = note
            log.info("hailuo_nb: task %s: %s", gen.task_id, note)
        self._finish(CANCELLED)

    def _gone(self, ref: TaskRef, error: HailuoError | None = None) -> HailuoError | None:
        """The gateway's "no longer kept" error for this task (MiniMax v2: 7 days), if it applies."""
        hook = self.gen.endpoint.protocol.expired
        return hook(ref, self.gen.submitted_at, error) if hook is not None else None

    async def _reconcile(self, client: GatewayClient, prepared: PreparedRequest) -> TaskRef | str:
        """After a lost submit reply: find the task in the gateway's list instead of guessing.

        A unique match is adopted (no second paid task); else a note for the error message
        ("" where the gateway has no list).
        """
        outcome = await find_submitted(client, self.journal, prepared, self.gen.created_at,
                                       lambda: self._sleep(RECONCILE_DELAY))
        if isinstance(outcome, TaskRef):
            log.info("hailuo_nb: submit reply lost; task %s found in the gateway's list", outcome.task_id)
        return outcome


def _submit_outcome(exc: HailuoError) -> str:
    """The journal's submit_state after a failed submission: what the gateway may hold.

    ``pending``: nothing was sent (no connection). ``rejected``: the gateway answered with
    a refusal (a 4xx, a refusal class, or its own error code inside a 2xx reply).
    ``unknown``: the request may have been accepted (timeout, dropped connection, 5xx, an
    unreadable or id-less 2xx reply).
    """
    if isinstance(exc, GatewayUnreachableError):
        return "pending"
    if not isinstance(exc, GatewayError):
        return "rejected"
    status = exc.status_code
    if status is not None and 400 <= status < 500:
        return "rejected"
    if status is not None and status < 300 and exc.code:  # e.g. MiniMax base_resp.status_code != 0
        return "rejected"
    return "unknown"


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
            self.timing.record(self.key, self.job, self.pending, arrived, exit, polls, schedule.planned)
            self.done = True

    def ended(self) -> None:
        if not self.done:
            self.timing.ended(self.key, self.job)


__all__ = ["DEFAULT_DEADLINE", "FALLBACK_INTERVAL", "Runner"]
