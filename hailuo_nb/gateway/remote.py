"""Calls a run makes beyond submit and poll: remote cancel, and finding a task whose reply was lost.

Both are optional per protocol (``Provider.build_cancel`` / ``build_find``); where a
gateway has neither, the runner behaves as before (stops waiting; reports the outcome
of a lost submission as unknown).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from hailuo_nb.errors import HailuoError
from hailuo_nb.gateway.client import GatewayClient
from hailuo_nb.gateway.generation import Generation
from hailuo_nb.gateway.providers.base import PreparedRequest
from hailuo_nb.gateway.retry import SUBMIT
from hailuo_nb.gateway.task import QUEUED, TaskRef

#: seconds between the first and second look at the task list (a new task may list late)
RECONCILE_DELAY = 3.0

CANCELLED_FREE = "cancelled at the gateway, free of charge"
NO_CANCEL_CALL = ("stopped waiting locally; the gateway has no cancel call, so the task may still"
                  " finish (and be billed) remotely")
RUNNING = ("stopped waiting locally; the gateway cannot cancel a running task, so it may still"
           " finish and be billed")


class KnowsTasks(Protocol):
    """What ``find_submitted`` needs of the journal: whether a task id is some generation's already."""

    def by_task_id(self, task_id: str) -> object: ...


async def cancel_remote(client: GatewayClient, gen: Generation) -> str:
    """Cancel ``gen``'s task at the gateway where it can be (one call, queued tasks only); say what happened.

    A task last seen running is not sent a cancel: MiniMax refuses it, and a cancel racing
    the task's end would delete a finished (paid) record.
    """
    protocol = client.endpoint.protocol
    ref = TaskRef(gen.task_id or "", gen.route)
    call = protocol.build_cancel(ref) if protocol.build_cancel is not None else None
    if call is None:
        return NO_CANCEL_CALL
    if gen.status != QUEUED:
        return RUNNING
    try:
        body = await client.send(call, SUBMIT)  # retried only where nothing reached the gateway
    except HailuoError as exc:
        return f"{RUNNING} (the gateway refused the cancel: {exc.message})"
    status = protocol.parse_cancel(body) if protocol.parse_cancel is not None else "cancelled"
    if status == "cancelled":
        return CANCELLED_FREE
    if status == "deleted":
        return "the task had already ended at the gateway, which deleted its record on the cancel call"
    return f"stopped waiting locally; the gateway answered the cancel with {status!r}"


async def find_submitted(client: GatewayClient, journal: KnowsTasks, prepared: PreparedRequest,
                         since: float, pause: Callable[[], Awaitable[bool]]) -> TaskRef | str:
    """The task a submission sent at ``since`` created, from the gateway's task list; else a note.

    Looks twice (``pause`` between; it returns True when the run was cancelled meanwhile).
    Tasks the journal already holds belong to other generations and are skipped; only a
    unique match is adopted. The note ends the "outcome unknown" message ("" = no list).
    """
    protocol = client.endpoint.protocol
    if protocol.build_find is None or protocol.parse_find is None:
        return ""
    call = protocol.build_find(prepared, since)
    if call is None:
        return ""
    matches: tuple[TaskRef, ...] = ()
    looks = 0
    for look in range(2):
        if look and await pause():
            break
        looks += 1
        try:
            body = await client.send(call)
        except HailuoError as exc:
            return f" (its task list could not be read to find it: {exc.message})"
        matches = tuple(ref for ref in protocol.parse_find(body, prepared, since)
                        if journal.by_task_id(ref.task_id) is None)
        if len(matches) == 1:
            return matches[0]
        if matches:
            break
    if matches:
        ids = ", ".join(ref.task_id for ref in matches[:5])
        return (f" (its task list was checked: {len(matches)} tasks match this request ({ids}),"
                " so which one is this cannot be told)")
    times = "twice" if looks == 2 else "once"
    return f" (its task list was checked {times} and shows no task matching this request)"
