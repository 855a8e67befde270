"""``hailuo_nb.batch(rows)``: one clip per row, paced to the provider, resumable.

Every row is an ordinary request through ``build_request`` + ``session.start(reuse=True)``:
a row whose identical request already finished (an earlier run, a crashed one) is taken
from the journal and costs nothing; one a dead process left in flight is adopted. So a
batch resumes by being run again. Submissions are paced to the provider's published
``submits_per_minute`` (the engine's shared request budget paces the polls and waits out
429s) and at most ``concurrency`` rows are in flight at once.

Progress: a one-line bar on stderr in terminals, an ``ipywidgets.IntProgress`` in a
notebook (imported only there).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from hailuo_nb.errors import HailuoError
from hailuo_nb.film.rows import COLUMNS, RESULT_COLUMNS, Row, read_rows
from hailuo_nb.gateway.request import GenerationRequest, build_request
from hailuo_nb.gateway.session import reuse_state
from hailuo_nb.gateway.task import SUCCEEDED

_UNSET: Any = object()
#: the request keywords a row or a default may set (besides the prompt)
REQUEST_KEYS = tuple(k for k in COLUMNS if k != "prompt") + ("prompt_optimizer",)


class Pacer:
    """At most one submission per ``interval`` seconds (the first goes at once)."""

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.interval, self._clock, self._sleep = interval, clock, sleep
        self._next = 0.0

    def wait(self) -> None:
        if self.interval <= 0:
            return
        now = self._clock()
        if now < self._next:
            self._sleep(self._next - now)
            now = self._next
        self._next = now + self.interval


def batch(rows: Any, *, concurrency: int | None = None, provider: str | None = None,
          submits_per_minute: float | None = _UNSET, progress: bool | None = None,
          **defaults: Any) -> Any:
    """Make one clip per row and return the rows with ``status``, ``task_id``, ``path``, ``cost_usd``.

    ``rows``: a pandas DataFrame (a DataFrame comes back), a CSV path or a list of dicts;
    columns ``prompt``, ``model``, ``duration``, ``resolution``, ``ratio``, ``first_frame``,
    ``last_frame``, ``provider`` (empty cells take ``defaults``). Rows already done are not
    paid again; run it again after a crash to finish the rest. ``submits_per_minute``
    overrides the provider's published pace (None: unpaced).
    """
    table = read_rows(rows)
    jobs = [_Job(row, _request(row, provider, defaults)) for row in table]
    from hailuo_nb.gateway.providers import PROVIDERS

    endpoints = {j.request.provider: j.request.endpoint for j in jobs if j.request is not None}.values()
    limits = [PROVIDERS[e.protocol.name].rate_limits for e in endpoints if e.protocol.name in PROVIDERS]
    if submits_per_minute is _UNSET:
        published = [lim.submits_per_minute for lim in limits if lim.submits_per_minute]
        simulated = all(e.simulated for e in endpoints)
        submits_per_minute = None if simulated or not published else min(published)
    if concurrency is None:
        rps = min((lim.requests_per_second for lim in limits), default=10.0)
        concurrency = max(1, min(16, int(rps)))
    bar = _progress_bar(len(jobs), progress)
    _Runner(jobs, concurrency, Pacer(60.0 / submits_per_minute if submits_per_minute else 0.0), bar).run()
    results = [j.result() for j in jobs]
    if type(rows).__module__.split(".")[0] == "pandas":
        return type(rows)(results)  # the caller's own DataFrame class: pandas is already loaded
    return results


class _Job:
    def __init__(self, row: Row, request: GenerationRequest | HailuoError) -> None:
        self.row = row
        self.request = request if isinstance(request, GenerationRequest) else None
        self.error: HailuoError | None = request if isinstance(request, HailuoError) else None
        self.gen: Any = None

    def result(self) -> dict[str, Any]:
        gen, out = self.gen, dict(self.row)
        error = self.error or (gen.error if gen is not None else None)
        out.update({
            "status": gen.status if gen is not None else "invalid" if self.error else "not started",
            "task_id": gen.task_id if gen is not None else None,
            "path": str(gen.video_path) if gen is not None and gen.video_path else None,
            "cost_usd": gen.cost_usd if gen is not None else None,
            "error": str(error) if error else None,
            "reused": bool(gen is not None and gen.reused),
        })
        return out


def _request(row: Row, provider: str | None, defaults: Mapping[str, Any]) -> GenerationRequest | HailuoError:
    params = {k: v for k, v in defaults.items() if v is not None}
    if provider is not None:
        params["provider"] = provider
    params.update({k: row[k] for k in REQUEST_KEYS if row.get(k) is not None})
    try:
        return build_request(row["prompt"] or "", **params)
    except HailuoError as exc:
        exc.message = f"row {row['row']}: {exc.message}"
        return exc


class _Runner:
    """Starts jobs with at most ``concurrency`` in flight, paced; wakes on the generations' listeners."""

    def __init__(self, jobs: list[_Job], concurrency: int, pacer: Pacer, bar: _Bar) -> None:
        self.jobs, self.concurrency, self.pacer, self.bar = jobs, concurrency, pacer, bar
        self.changed = threading.Condition()

    def _in_flight(self) -> int:
        return sum(1 for j in self.jobs if j.gen is not None and not j.gen.done)

    def run(self) -> None:
        from hailuo_nb.api import Generation
        from hailuo_nb.gateway import session

        for job in self.jobs:
            if job.request is None:
                self._tick()
                continue
            with self.changed:
                self.changed.wait_for(lambda: self._in_flight() < self.concurrency)
            if reuse_state(job.request.key()) is None:
                self.pacer.wait()
            try:
                job.gen = session.start(job.request, reuse=True, cls=Generation)
            except HailuoError as exc:
                job.error = exc
                self._tick()
                continue
            job.gen.add_listener(self._on_change)
            if job.gen.done:
                self._tick()
        with self.changed:
            self.changed.wait_for(lambda: all(j.gen is None or j.gen.done for j in self.jobs))
        self.bar.close()

    def _on_change(self, gen: Any) -> None:
        if gen.done:
            self._tick()

    def _tick(self) -> None:
        with self.changed:
            done = [j for j in self.jobs if j.error is not None or (j.gen is not None and j.gen.done)]
            failed = sum(1 for j in done if j.error is not None or j.gen.status != SUCCEEDED)
            reused = sum(1 for j in done if j.gen is not None and j.gen.reused)
            self.bar.update(len(done), failed, reused)
            self.changed.notify_all()


class _Bar:
    """Progress on stderr: rewritten in place on a terminal, a line per tenth on a pipe."""

    def __init__(self, total: int) -> None:
        self.total, self._shown, self._tty = total, -1, sys.stderr.isatty()
        self._started = time.monotonic()

    def update(self, done: int, failed: int, reused: int) -> None:
        tenth = done * 10 // max(1, self.total)
        if not self._tty and tenth == self._shown and done != self.total:
            return
        self._shown = tenth
        width = 24
        filled = width * done // max(1, self.total)
        line = (f"hailuo batch [{'#' * filled}{'.' * (width - filled)}] {done}/{self.total}"
                f"  {failed} failed, {reused} reused  {time.monotonic() - self._started:.0f}s")
        print(("\r" if self._tty else "") + line, end="" if self._tty else "\n", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self._tty:
            print(file=sys.stderr)


class _WidgetBar(_Bar):
    """The same progress as an ipywidgets IntProgress in the notebook cell."""

    def __init__(self, total: int) -> None:
        super().__init__(total)
        import ipywidgets
        from IPython.display import display

        self.widget = ipywidgets.IntProgress(value=0, min=0, max=max(1, total), description="batch")
        self.label = ipywidgets.Label(f"0/{total}")
        display(ipywidgets.HBox([self.widget, self.label]))  # type: ignore[no-untyped-call]

    def update(self, done: int, failed: int, reused: int) -> None:
        self.widget.value = done
        self.label.value = f"{done}/{self.total} · {failed} failed · {reused} reused"
        self.widget.bar_style = "danger" if failed else "success" if done == self.total else ""

    def close(self) -> None:
        pass


def _progress_bar(total: int, progress: bool | None) -> _Bar:
    if progress is False:
        return _Silent(total)
    if "ipykernel" in sys.modules:
        from IPython import get_ipython  # type: ignore[attr-defined]

        if getattr(get_ipython(), "kernel", None) is not None:  # type: ignore[no-untyped-call]
            return _WidgetBar(total)
    return _Bar(total)


class _Silent(_Bar):
    def update(self, done: int, failed: int, reused: int) -> None:
        pass

    def close(self) -> None:
        pass


__all__ = ["RESULT_COLUMNS", "Pacer", "batch"]
