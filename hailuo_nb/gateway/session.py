"""The generations of this process: start, reuse, budget, resume, history."""

from __future__ import annotations

import os
import sys
import threading
import uuid
from pathlib import Path
from typing import Any

from hailuo_nb.errors import BudgetExceededError, HailuoError, ValidationError
from hailuo_nb.gateway import config
from hailuo_nb.gateway.catalog import MODELS
from hailuo_nb.gateway.config import Endpoint, resolve_provider
from hailuo_nb.gateway.generation import Generation
from hailuo_nb.gateway.journal import SESSION, Journal, open_journal, process_alive
from hailuo_nb.gateway.pricing import price
from hailuo_nb.gateway.record import record
from hailuo_nb.gateway.request import GenerationRequest
from hailuo_nb.gateway.task import CANCELLED, FAILED, IN_FLIGHT, QUEUED, SUBMITTING, SUCCEEDED, TERMINAL

_live: dict[str, Generation] = {}
_live_lock = threading.Lock()


def journal() -> Journal:
    return open_journal(config.home_dir())


def expected_window(endpoint: Endpoint, model_id: str) -> tuple[float, float]:
    """The finish window for progress estimates and polling: journal-learned, else typical."""
    spec = MODELS.get(model_id)
    prior = spec.typical_seconds if spec else (60.0, 120.0)
    if endpoint.simulated:
        from hailuo_nb.sim import shared_server

        seconds = shared_server().job_seconds
        prior = (seconds * 0.9, seconds * 1.2 + 0.5)
    # what the engine has learned (gateway/timing.py), once loaded (``__all__`` comes last: not
    # half-imported by warm_up's thread); numpy stays off this thread's import path
    timing = sys.modules.get("hailuo_nb.gateway.timing")
    if timing is None or not hasattr(timing, "__all__"):
        return prior
    learned: tuple[float, float] | None = timing.learned_window(journal(), endpoint.name, model_id)
    return learned or prior


def warm_up(provider: str | None = None) -> None:
    """Start the engine, open the journal and (for the simulator) start it, ahead of the first cell."""
    from hailuo_nb.gateway.engine import get_engine

    endpoint = resolve_provider(provider)
    get_engine()
    journal()
    if endpoint.simulated:
        from hailuo_nb.sim import shared_server

        shared_server()


def start(request: GenerationRequest, *, reuse: bool = False, deadline: float | None = None,
          cls: type[Generation] = Generation, callback_listen: str | None = None) -> Generation:
    """Journal and start ``request`` on the engine (or return its identical twin if ``reuse``).

    ``callback_listen`` (else HAILUO_CALLBACK_LISTEN) is where to receive ``request.callback_url``'s
    POSTs (see ``gateway.callbacks``); unused without a callback URL.
    """
    if deadline is not None and (
        isinstance(deadline, bool) or not isinstance(deadline, (int, float)) or not deadline > 0
    ):
        raise ValidationError("timeout", deadline, "None or a positive number of seconds")
    config.poll_interval()  # a bad HAILUO_POLL_INTERVAL must fail before a paid submission
    listen = config.callback_listen(callback_listen)  # likewise a bad listen address
    key = request.key()
    if reuse:
        twin = find_reusable(key, cls)
        if twin is not None:
            return twin
    estimate = price(request)
    check_budget(estimate.usd if estimate else None, request)
    gen = cls(id=uuid.uuid4().hex, request=request, request_key=key, price=estimate,
              expected_seconds=expected_window(request.endpoint, request.model.id))
    journal().add(gen.id, provider=gen.provider, model=gen.model, prompt=gen.prompt,
                  params=request.params(), request_key=key, status=SUBMITTING)
    _launch(gen, deadline, listen if request.callback_url else None)
    return gen


def _launch(gen: Generation, deadline: float | None = None,
            callback_listen: tuple[str, int] | None = None) -> None:
    # The engine and httpx load with the first generation, not with `import hailuo_nb`.
    from hailuo_nb.gateway.engine import get_engine
    from hailuo_nb.gateway.runner import Runner

    engine = get_engine()
    runner = Runner(gen, engine, journal(), deadline, callback_listen=callback_listen)
    gen._cancel = runner.request_cancel
    with _live_lock:
        _live[gen.id] = gen
    gen._future = engine.submit(runner.run())


def find_reusable(key: str, cls: type[Generation]) -> Generation | None:
    """An identical generation to return instead of paying again.

    One in flight here, one finished with its video on disk, or one in flight in a kernel
    that died (picked up again instead of paid twice).
    """
    with _live_lock:
        for gen in reversed(list(_live.values())):
            if gen.request_key == key and gen.status not in (FAILED, CANCELLED):
                gen.reused = True
                return gen
    for row in journal().by_key(key):
        if row["status"] == SUCCEEDED and row["video_path"] and Path(row["video_path"]).exists():
            gen = _from_row(row, cls)
            gen.reused = True
            return gen
        if row["status"] in IN_FLIGHT and row["task_id"] and not _alive(row):
            gen = resume(row["task_id"], cls=cls)
            gen.reused = True
            return gen
        if row["submit_state"] in ("sent", "unknown") and not row["task_id"]:
            raise HailuoError(
                "an identical submission's outcome is unknown (it may have been accepted and billed);"
                " check the provider's dashboard, then use --force / reuse=False to submit anyway",
                provider=row["provider"],
            )
    return None


#: what :func:`reuse_state` finds for an identical request
REUSE_DONE, REUSE_IN_FLIGHT = "done", "in flight"


def reuse_state(key: str) -> str | None:
    """Whether an identical request is finished or in flight here or in the journal (reads only).

    The question :func:`find_reusable` answers by acting, asked without side effects (plans
    and batches show it before anything is sent).
    """
    with _live_lock:
        live = [g for g in _live.values() if g.request_key == key]
    if any(g.status == SUCCEEDED and g.video_path and g.video_path.exists() for g in live):
        return REUSE_DONE
    if any(not g.done for g in live):
        return REUSE_IN_FLIGHT
    for row in journal().by_key(key):
        if row["status"] == SUCCEEDED and row["video_path"] and Path(row["video_path"]).exists():
            return REUSE_DONE
        if row["status"] in IN_FLIGHT and row["task_id"]:
            return REUSE_IN_FLIGHT
    return None


def check_budget(estimate: float | None, request: GenerationRequest) -> None:
    limit = config.budget_usd()
    if limit is None:
        return
    if estimate is None:
        raise BudgetExceededError(
            f"HAILUO_BUDGET_USD is set but {request.provider} publishes no USD price for"
            f" {request.model.id}, so the budget cannot be enforced", provider=request.provider)
    spent = session_spend()
    if spent + estimate > limit + 1e-9:
        raise BudgetExceededError(
            f"this generation (~${estimate:.2f}) would take the session to ${spent + estimate:.2f},"
            f" over HAILUO_BUDGET_USD=${limit:.2f}", provider=request.provider)


def session_spend() -> float:
    """Estimated USD of this session's generations that were (or may be) charged."""
    with _live_lock:
        gens = list(_live.values())
    total = 0.0
    for gen in gens:
        spend = gen.spend_usd  # each generation counts once, however often it was reused
        if spend is None:
            continue
        if gen.task_id or gen.status in IN_FLIGHT:  # accepted, or about to be
            total += spend
    return round(total, 6)


def pending() -> list[Generation]:
    with _live_lock:
        return [g for g in _live.values() if g.status not in TERMINAL]


def resume(task_id: str, *, cls: type[Generation] = Generation, provider: str | None = None) -> Generation:
    """Pick up a journaled task again: poll it to the end and download its video."""
    with _live_lock:
        for gen in _live.values():
            if gen.task_id == task_id and gen.status not in TERMINAL:
                return gen
    row = journal().by_task_id(task_id)
    if row is None:
        raise ValidationError("task_id", task_id, "a task id from %hailuo history / hailuo_nb.history()",
                              reason="not in the journal")
    gen = _from_row(row, cls, provider)
    if gen.status == SUCCEEDED and gen.video_path and gen.video_path.exists():
        return gen
    gen._done.clear()
    # this process adopts the row: it is no longer an orphan anywhere, nor resumed twice
    record(gen, journal(), status=QUEUED, error=None, pid=os.getpid(), session=SESSION)
    _launch(gen)
    return gen


def _from_row(row: dict[str, Any], cls: type[Generation], provider: str | None = None) -> Generation:
    endpoint = resolve_provider(provider or row["provider"])
    spec = MODELS.get(row["model"]) or endpoint.protocol.native_models.get(row["model"])
    if spec is None:
        raise ValidationError("model", row["model"], sorted(MODELS), reason="unknown model in the journal")
    request = GenerationRequest.from_params({**row["params"], "prompt": row["prompt"]}, endpoint, spec)
    gen = cls(id=row["id"], request=request, request_key=row["request_key"], price=price(request),
              expected_seconds=expected_window(endpoint, spec.id), status=row["status"],
              created_at=row["created_at"])
    gen.task_id, gen.route, gen.raw_status = row["task_id"], row["route"], row["raw_status"]
    gen.submitted_at, gen.finished_at = row["submitted_at"], row["finished_at"]
    gen.video_url = row["video_url"]
    gen.video_path = Path(row["video_path"]) if row["video_path"] else None
    if row["cost_usd"] is not None:
        gen.cost_usd = row["cost_usd"]
    gen.billed_usd = row.get("billed_usd")
    return gen


def _alive(row: dict[str, Any]) -> bool:
    return row["session"] == SESSION or process_alive(row["pid"])


def orphans() -> list[dict[str, Any]]:
    """Journal rows in flight whose process is gone (a kernel died mid-generation)."""
    return [_public(r) for r in journal().in_flight() if not _alive(r)]


def history(limit: int = 20) -> list[dict[str, Any]]:
    return [_public(r) for r in journal().recent(limit)]


def _public(row: dict[str, Any]) -> dict[str, Any]:
    keep = ("id", "created_at", "provider", "model", "prompt", "status", "task_id", "video_path",
            "video_url", "error", "error_type", "cost_usd", "billed_usd", "submit_state", "submitted_at",
            "finished_at")
    data = {k: row.get(k) for k in keep}
    params = row["params"]
    data.update({k: v for k, v in params.items() if k not in data})  # the request's own parameters
    data["uncertain"] = row["submit_state"] in ("sent", "unknown") and not row["task_id"]
    return data


def generations() -> list[Generation]:
    """Every generation started or resumed in this process, oldest first (``export()``'s default)."""
    with _live_lock:
        return list(_live.values())
