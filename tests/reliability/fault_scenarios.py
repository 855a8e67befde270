"""The fault matrix: every scenario of issue 7 × the five protocols, run through the public API.

One table (:data:`SCENARIOS`) and one runner (:func:`run_matrix`) shared by
``benchmarks/fault_matrix.py`` (prints the table, exits non-zero on a wrong cell) and
``tests/reliability/test_fault_matrix.py`` (one pytest case per cell).

A scenario runs on the five protocols at once (faults are injected per protocol, so they
cannot steal each other's faults); scenarios run one after the other. Every cell checks:

- the job's end: a verified video (inside HAILUO_OUTPUT_DIR, named ``<task id>.mp4``, MP4
  signature, decodable by PyAV) or the expected typed error, carrying the task id when a
  gateway returned one;
- the journal: the row's status, task id and ``submit_state``; ``uncertain`` exactly when
  the submission's outcome cannot be known;
- the money: tasks the server created == the submissions asked for (1, or 0 where the
  gateway refused); submit POSTs == 1 plus the 429s that accepted nothing; every task id
  the server created is in the journal, or — when its reply was lost — stands behind an
  uncertain journal row (on Agentsflare linked by ``external_task_id`` = the journal id);
- Retry-After is honoured: after a 429 the next try waits about as long as it says;
- nothing is paid twice: re-asking an uncertain request with ``reuse=True`` refuses instead
  of submitting again.

After the run, :func:`audit` searches every artifact (journal files, videos, the DEBUG log
of hailuo_nb/httpx/httpcore, every generation's and error's text) for the API key, and
checks that no download carried an Authorization header. :func:`run_twin` runs the same
scenarios against ``twin.py``, a Runbase gateway written independently of the simulator
(held-out check: the outcomes must be the same).
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from backoff import quick_backoff

PROTOCOLS = ("minimax", "runapi", "runbase", "runninghub", "agentsflare")
MODEL = "hailuo-02-text-to-video-pro"  # served by every protocol
KEY = "sk-fault-matrix-0123456789"
#: client read timeout while a "slow" fault is active (the sim delays by SLOW_DELAY)
SHORT_TIMEOUT = 0.5
SLOW_DELAY = 1.6


@dataclass(frozen=True)
class Inject:
    """One ``SimServer.inject`` call (the protocol is added per cell)."""

    fault: str
    kind: str
    count: int = 1
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Scenario:
    """A fault (or several) and the outcome every protocol must reach."""

    id: str
    title: str
    faults: tuple[Inject, ...]
    expect: str = "video"  # "video" or the name of a hailuo_nb error class
    protocols: tuple[str, ...] = PROTOCOLS  # where the fault exists; elsewhere the cell is n/a
    na_reason: str = ""
    uncertain: bool = False  # the submission's outcome is unknowable: no task id, row uncertain
    server_tasks: int = 1  # tasks the server must end up with (what the user pays for)
    task_id: bool = True  # whether the gateway returned a task id to keep
    message: str | None = None  # text the error must carry to the user
    submit_state: str | None = None  # expected journal submit_state (default from the above)
    short_timeout: bool = False  # run with a short client read timeout
    retry_after: float | None = None  # 429s: the pause the client must honour between tries
    #: simulated job length: a fault that fails a task on a poll needs the task still running
    #: at the first poll, however slow the machine (the fault ends the job at once anyway)
    job_seconds: float | None = None

    @property
    def submit_posts(self) -> int:
        """Submit POSTs the server must see: one, plus each rate-limited try that created nothing."""
        return 1 + sum(f.count for f in self.faults if f.kind == "submit"
                       and f.fault in ("rate_limit", "minimax_rate_limit"))

    @property
    def expected_submit_state(self) -> str:
        if self.submit_state:
            return self.submit_state
        if self.uncertain:
            return "unknown"
        return "accepted" if self.task_id else "rejected"


def _f(fault: str, kind: str, count: int = 1, **params: Any) -> Inject:
    return Inject(fault, kind, count, params)


RETRIEVE_NA = "only MiniMax has a files/retrieve call"
GPU = "the GPU caught fire (remote failure)"
POLICY = "content policy violation: the prompt was flagged as sensitive"

SCENARIOS: tuple[Scenario, ...] = (
    Scenario("429-storm", "429 storm with Retry-After (submit ×2, poll ×2)",
             (_f("rate_limit", "submit", 2, retry_after=1), _f("rate_limit", "poll", 2, retry_after=1)),
             retry_after=1.0),
    Scenario("minimax-1002", "MiniMax in-band 1002 (submit ×2, poll ×1)",
             (_f("minimax_rate_limit", "submit", 2), _f("minimax_rate_limit", "poll", 1)),
             protocols=("minimax",), na_reason="in-band 1002 is MiniMax's own"),
    Scenario("5xx-submit", "5xx on submit (HTTP 503)", (_f("server_error", "submit", 1, status=503),),
             expect="GatewayError", uncertain=True, server_tasks=0, task_id=False,
             message="not resubmitted"),
    Scenario("5xx-poll", "5xx burst on poll (502 ×3)", (_f("server_error", "poll", 3, status=502),)),
    Scenario("5xx-retrieve", "5xx burst on retrieve (500 ×3)", (_f("server_error", "retrieve", 3),),
             protocols=("minimax",), na_reason=RETRIEVE_NA),
    Scenario("5xx-download", "5xx burst on download (503 ×3)",
             (_f("server_error", "download", 3, status=503),)),
    Scenario("reset-poll", "connection reset on poll (×2)", (_f("reset", "poll", 2),)),
    Scenario("reset-download", "connection reset on download (×2)", (_f("lost_reply", "download", 2),)),
    Scenario("reset-submit", "connection reset on submit", (_f("reset", "submit"),),
             expect="GatewayError", uncertain=True, server_tasks=0, task_id=False,
             message="not resubmitted"),
    Scenario("timeout-poll", "read timeout on poll", (_f("slow", "poll", 1, delay=SLOW_DELAY),),
             short_timeout=True),
    Scenario("timeout-submit", "read timeout on submit (the POST went through)",
             (_f("slow", "submit", 1, delay=SLOW_DELAY),), expect="GatewayError", uncertain=True,
             server_tasks=1, task_id=False, message="not resubmitted", short_timeout=True),
    Scenario("json-poll", "malformed JSON on poll (×2)", (_f("malformed_json", "poll", 2),)),
    Scenario("json-submit", "malformed JSON reply to a submit (HTTP 200)",
             (_f("malformed_json", "submit"),), expect="GatewayError", uncertain=True,
             server_tasks=0, task_id=False, message="not resubmitted"),
    Scenario("unknown-status", "unknown status word (×3)",
             (_f("unknown_status", "poll", 3, word="Pondering"),)),
    Scenario("remote-failure", "remote failure with a message", (_f("remote_failure", "poll", message=GPU),),
             expect="GenerationFailed", message="GPU caught fire", job_seconds=20),
    Scenario("policy-submit", "content-policy rejection on submit",
             (_f("content_policy", "submit", message=POLICY),), expect="ContentPolicyError",
             server_tasks=0, task_id=False),
    Scenario("policy-poll", "content-policy failure of an accepted task",
             (_f("content_policy", "poll", message=POLICY),), expect="ContentPolicyError", job_seconds=20),
    Scenario("expired-url", "expired video URL", (_f("expired_url", "download"),)),
    Scenario("truncated", "truncated download (×2)", (_f("truncated", "download", 2),)),
    Scenario("lost-reply", "lost reply after acceptance", (_f("lost_reply", "submit"),),
             expect="GatewayError", uncertain=True, server_tasks=1, task_id=False,
             message="not resubmitted"),
)

BY_ID = {s.id: s for s in SCENARIOS}


@dataclass
class Cell:
    """The outcome of one scenario on one protocol."""

    scenario: str
    protocol: str
    text: str = ""
    problems: list[str] = field(default_factory=list)
    applicable: bool = True
    seconds: float = 0.0
    gen: Any = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return not self.problems

    def show(self) -> str:
        if not self.applicable:
            return "n/a"
        if self.ok:
            return self.text
        first = self.problems[0]
        more = f" (+{len(self.problems) - 1})" if len(self.problems) > 1 else ""
        return "✗ " + (first if len(first) <= 44 else first[:43] + "…") + more


def served(server: Any) -> tuple[str, ...]:
    """The protocols a server speaks (the simulator: all five)."""
    return tuple(getattr(server, "served_protocols", PROTOCOLS))


# -- environment --------------------------------------------------------------------------------
@contextlib.contextmanager
def pointed_at(server: Any, home: Path, videos: Path) -> Iterator[None]:
    """Point hailuo_nb at ``server`` for all five protocols at once (restores os.environ)."""
    saved = dict(os.environ)
    try:
        for name in [n for n in os.environ if n.endswith(("_API_KEY", "_BASE_URL"))]:
            del os.environ[name]
        for protocol in served(server):
            env = server.env(protocol)
            env.pop("HAILUO_PROVIDER")
            os.environ.update(env)
        os.environ.update(HAILUO_HOME=str(home), HAILUO_OUTPUT_DIR=str(videos),
                          HAILUO_POLL_INTERVAL="0.05")
        for name in ("HAILUO_PROVIDER", "HAILUO_BUDGET_USD", "HAILUO_WAIT"):
            os.environ.pop(name, None)
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def client_timeout(seconds: float | None) -> Iterator[None]:
    """Shorten the gateway client's per-request timeout (read when each request is sent)."""
    from hailuo_nb.gateway import client

    if seconds is None:
        yield
        return
    saved = client.TIMEOUT
    client.TIMEOUT = httpx.Timeout(seconds, connect=2.0)
    try:
        yield
    finally:
        client.TIMEOUT = saved


def wait_for(condition: Any, timeout: float, what: str) -> Any:
    """Poll ``condition`` until truthy or the deadline passes (returns the last value)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.02)


# -- one scenario -------------------------------------------------------------------------------
def run_scenario(server: Any, scenario: Scenario, videos: Path) -> list[Cell]:
    """Run ``scenario`` on every protocol concurrently; return one checked Cell per protocol."""
    import hailuo_nb

    protocols = served(server)
    cells = {p: Cell(scenario.id, p) for p in protocols}
    active = [p for p in protocols if p in scenario.protocols]
    for p in protocols:
        if p not in active:
            cells[p].applicable = False
            cells[p].text = scenario.na_reason
    before = {p: {t.id for t in server.accepted_submissions(p)} for p in active}
    posts_before = {p: server.count(kind="submit", protocol=p) for p in active}
    started = time.monotonic()
    gens: dict[str, Any] = {}
    default_seconds = server.job_seconds
    if scenario.job_seconds:
        server.job_seconds = scenario.job_seconds
    with client_timeout(SHORT_TIMEOUT if scenario.short_timeout else None):
        for p in active:
            for inj in scenario.faults:
                server.inject(inj.fault, protocol=p, kind=inj.kind, count=inj.count, **inj.params)
        for p in active:
            try:
                gens[p] = hailuo_nb.generate(f"fault matrix {scenario.id} on {p} #{uuid.uuid4().hex[:8]}",
                                             model=MODEL, provider=p, wait=False, timeout=60)
            except Exception as exc:  # noqa: BLE001 - reported in the cell
                cells[p].problems.append(f"generate raised {type(exc).__name__}: {exc}")
        for p, gen in gens.items():
            try:
                gen.wait(timeout=90)
            except Exception as exc:  # noqa: BLE001
                cells[p].problems.append(f"did not end: {exc}")
        # A slow request is logged (and a slow submit creates its task) only when it ends.
        wait_for(lambda: all(server.count(kind="submit", protocol=p) - posts_before[p]
                             >= scenario.submit_posts
                             for p in gens), 10, "submit requests logged")
        if scenario.server_tasks:
            wait_for(lambda: all(len({t.id for t in server.accepted_submissions(p)} - before[p])
                                 >= scenario.server_tasks for p in gens), 10, "tasks created")
    server.job_seconds = default_seconds
    elapsed = time.monotonic() - started
    history = {row["id"]: row for row in hailuo_nb.history(limit=1000)}
    for p, gen in gens.items():
        cell = cells[p]
        cell.seconds, cell.gen = elapsed, gen
        check_cell(cell, scenario, server, gen, history, before[p], posts_before[p], videos)
    leftover = [f for f in server.faults if f.protocol in active]
    if leftover:
        for f in leftover:
            cells[f.protocol].problems.append(f"fault {f.name}/{f.kind} never hit ({f.hits}/{f.count})")
        server.clear_faults()
    return [cells[p] for p in protocols]


def check_cell(cell: Cell, scenario: Scenario, server: Any, gen: Any, history: dict[str, dict],
               before: set[str], posts_before: int, videos: Path) -> None:
    """Every check of one job; problems go into ``cell.problems``, the outcome into ``cell.text``."""
    import hailuo_nb

    p, problems = cell.protocol, cell.problems
    # 1. how the job ended
    if scenario.expect == "video":
        problems += verify_video(gen, videos)
        cell.text = "video ✓"
    else:
        expected = getattr(hailuo_nb, scenario.expect)
        error = gen.error
        if gen.status != "failed" or not isinstance(error, expected):
            problems.append(f"expected {scenario.expect}, got {gen.status} / {type(error).__name__}: {error}")
        elif type(error) is not expected and scenario.expect == "GatewayError":
            problems.append(f"expected a plain GatewayError, got {type(error).__name__}")
        if scenario.task_id:
            if not gen.task_id or error is None or error.task_id != gen.task_id:
                problems.append(f"task id not kept (gen {gen.task_id!r}, "
                                f"error {getattr(error, 'task_id', None)!r})")
        elif gen.task_id is not None:
            problems.append(f"a task id appeared from nowhere: {gen.task_id!r}")
        if scenario.message and scenario.message not in str(error):
            problems.append(f"error does not say {scenario.message!r}: {error}")
        name = type(error).__name__ if error is not None else scenario.expect
        if scenario.uncertain:
            cell.text = f"{name} ✓ uncertain, not resubmitted"
        elif scenario.task_id:
            cell.text = f"{name} ✓ task id kept"
        else:
            cell.text = f"{name} ✓ nothing accepted"
    # 2. the journal
    row = history.get(gen.id)
    if row is None:
        problems.append("no journal row")
    else:
        if row["status"] != gen.status:
            problems.append(f"journal status {row['status']!r} != {gen.status!r}")
        if row["task_id"] != gen.task_id:
            problems.append(f"journal task id {row['task_id']!r} != {gen.task_id!r}")
        if row["submit_state"] != scenario.expected_submit_state:
            problems.append(f"journal submit_state {row['submit_state']!r}, expected "
                            f"{scenario.expected_submit_state!r}")
        if bool(row["uncertain"]) != scenario.uncertain:
            problems.append(f"journal uncertain={row['uncertain']}, expected {scenario.uncertain}")
        if gen.error is not None and type(gen.error).__name__ != row["error_type"]:
            problems.append(f"journal error_type {row['error_type']!r}")
    # 3. the money
    created = [t for t in server.accepted_submissions(p) if t.id not in before]
    if len(created) != scenario.server_tasks:
        problems.append(f"server created {len(created)} tasks, expected {scenario.server_tasks}")
    posts = server.count(kind="submit", protocol=p) - posts_before
    if posts != scenario.submit_posts:
        problems.append(f"{posts} submit POSTs, expected {scenario.submit_posts}")
    journal_ids = {r["task_id"] for r in history.values() if r["task_id"]}
    unlinked = [t for t in created if t.id not in journal_ids]
    if unlinked and not (scenario.uncertain and row is not None and row["uncertain"] and len(unlinked) == 1):
        problems.append(f"server task(s) missing from the journal: {[t.id for t in unlinked]}")
    if unlinked and p == "agentsflare" and unlinked[0].client_task_id != gen.id:
        problems.append("agentsflare task not findable by external_task_id = the journal id")
    # 4. Retry-After honoured
    if scenario.retry_after:
        problems += check_retry_after(server, p, posts_before, scenario.retry_after)
    # 5. an uncertain submission is never paid twice by a "reuse" re-run
    if scenario.uncertain and not problems:
        problems += check_no_silent_resubmit(server, gen, p)


def verify_video(gen: Any, videos: Path) -> list[str]:
    """A finished, complete, playable MP4 inside the output folder, named after the task."""
    if gen.status != "succeeded" or gen.error is not None:
        return [f"expected a video, got {gen.status}: {type(gen.error).__name__}: {gen.error}"]
    path = gen.video_path
    if path is None or not Path(path).is_file():
        return [f"no video file at {path}"]
    path = Path(path).resolve()
    problems = []
    if path.parent != videos.resolve():
        problems.append(f"video outside HAILUO_OUTPUT_DIR: {path}")
    if path.name != f"{gen.task_id}.mp4":
        problems.append(f"video named {path.name}, not <task id>.mp4")
    data = path.read_bytes()
    if len(data) < 1000 or data[4:8] != b"ftyp":
        problems.append(f"not an MP4 ({len(data)} bytes, head {data[:12]!r})")
    else:
        problems += decodable(path)
    return problems


def decodable(path: Path) -> list[str]:
    """PyAV can read every frame (a truncated file fails here)."""
    import av

    try:
        with av.open(str(path)) as container:
            frames = sum(1 for _ in container.decode(video=0))
    except Exception as exc:  # noqa: BLE001
        return [f"undecodable MP4: {type(exc).__name__}: {exc}"]
    return [] if frames > 0 else ["MP4 without frames"]


def check_retry_after(server: Any, protocol: str, posts_before: int, seconds: float) -> list[str]:
    """After each 429 the next request of the same kind waited about Retry-After."""
    records = [r for r in server.requests if r.protocol == protocol and r.kind in ("submit", "poll")]
    problems = []
    for kind in ("submit", "poll"):
        mine = [r for r in records if r.kind == kind]
        for prev, nxt in zip(mine, mine[1:], strict=False):
            if prev.status == 429 and nxt.time - prev.time < seconds * 0.9:
                problems.append(f"{kind} retried {nxt.time - prev.time:.2f}s after a 429 "
                                f"(Retry-After {seconds:g}s)")
    return problems


def check_no_silent_resubmit(server: Any, gen: Any, protocol: str) -> list[str]:
    """Asking again for the identical request with reuse=True must refuse, not pay again."""
    import hailuo_nb

    posts = server.count(kind="submit", protocol=protocol)
    try:
        again = hailuo_nb.generate(gen.prompt, model=MODEL, provider=protocol, wait=False, reuse=True)
    except hailuo_nb.ValidationError as exc:
        return [f"reuse re-run raised an unrelated ValidationError: {exc}"]
    except hailuo_nb.HailuoError as exc:
        if "unknown" not in str(exc):
            return [f"reuse re-run refused without saying why: {exc}"]
        return []
    else:
        again.wait(timeout=30)
        if server.count(kind="submit", protocol=protocol) > posts:
            return ["reuse=True re-run of the uncertain request submitted it again (paid twice?)"]
        return [f"reuse=True re-run returned a generation ({again.status}) instead of refusing"]


# -- the whole matrix ---------------------------------------------------------------------------
@dataclass
class Matrix:
    """Every cell, plus the audit of the whole run (key leaks, Authorization at the video host)."""

    cells: dict[tuple[str, str], Cell]
    audit: list[str]
    log_records: int


def run_matrix(server: Any, home: Path, videos: Path, scenarios: tuple[Scenario, ...] = SCENARIOS,
               progress: Any = None) -> Matrix:
    """Run every scenario (one after the other) on all protocols, then audit the artifacts."""
    import io
    import logging

    results: dict[tuple[str, str], Cell] = {}
    log = io.StringIO()
    handler = logging.StreamHandler(log)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s %(args)s"))
    loggers = [logging.getLogger(n) for n in ("", "hailuo_nb", "httpx", "httpcore")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
    logging.getLogger().addHandler(handler)
    try:
        with pointed_at(server, home, videos), quick_backoff():
            for scenario in scenarios:
                for cell in run_scenario(server, scenario, videos):
                    results[(scenario.id, cell.protocol)] = cell
                if progress is not None:
                    progress(scenario, [results[(scenario.id, p)] for p in served(server)])
    finally:
        logging.getLogger().removeHandler(handler)
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)
    text = log.getvalue()
    return Matrix(results, audit(server, results, home, videos, text), text.count("\n"))


def audit(server: Any, cells: dict[tuple[str, str], Cell], home: Path, videos: Path,
          log_text: str) -> list[str]:
    """The key in no artifact of the run; no Authorization header at the video origin."""
    import traceback

    problems = []
    needle = KEY.encode()
    for folder in (home, videos):
        for path in folder.rglob("*") if folder.exists() else ():
            if path.is_file() and needle in path.read_bytes():
                problems.append(f"the key is in {path}")
    if KEY in log_text:
        problems.append("the key is in the DEBUG log")
    for (scenario, protocol), cell in cells.items():
        gen = cell.gen
        if gen is None:
            continue
        texts = [str(gen), repr(gen), str(gen.to_dict()), *(repr(v) for v in vars(gen).values())]
        if gen.error is not None:
            texts += [repr(gen.error), str(vars(gen.error)), "".join(traceback.format_exception(gen.error))]
        if any(KEY in t for t in texts):
            problems.append(f"the key is in the generation or error of {scenario} on {protocol}")
    with_auth = [r for r in server.requests if r.kind == "download" and r.has_authorization]
    if with_auth:
        problems.append(f"{len(with_auth)} downloads carried an Authorization header")
    return problems


def format_table(results: dict[tuple[str, str], Cell], scenarios: tuple[Scenario, ...] = SCENARIOS,
                 columns: tuple[str, ...] = PROTOCOLS) -> str:
    """The matrix as a fixed-width text table (scenario × protocol → outcome)."""
    header = ["scenario", *columns]
    rows = [[s.title, *(results[(s.id, p)].show() if (s.id, p) in results else "" for p in columns)]
            for s in scenarios if (s.id, columns[0]) in results]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    line = "+".join("-" * (w + 2) for w in widths)
    out = [" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)), line]
    out += [" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(out)


#: the column of the independently written Runbase server (tests/reliability/twin.py)
TWIN = "runbase (independent server)"


def run_twin(home: Path, videos: Path, scenarios: tuple[Scenario, ...] = SCENARIOS,
             progress: Any = None) -> Matrix:
    """The same scenarios against the independent Runbase twin; cells keyed (scenario, TWIN)."""
    from .twin import TwinRunbase

    server = TwinRunbase(api_key=KEY, job_seconds=0.3)
    try:
        matrix = run_matrix(server, home, videos, scenarios, progress)
    finally:
        server.stop()
    cells = {}
    for (sid, _), cell in matrix.cells.items():
        cell.protocol = TWIN
        cells[(sid, TWIN)] = cell
    matrix.cells = cells
    return matrix


def new_server(job_seconds: float = 0.3) -> Any:
    """A started simulator for the matrix (short jobs, short URL lifetimes are not needed)."""
    from hailuo_nb.sim import SimServer

    return SimServer(job_seconds=job_seconds, api_key=KEY).start()


__all__ = ["BY_ID", "PROTOCOLS", "SCENARIOS", "TWIN", "Cell", "Matrix", "Scenario", "audit", "format_table",
           "new_server", "quick_backoff", "run_matrix", "run_scenario", "run_twin"]
