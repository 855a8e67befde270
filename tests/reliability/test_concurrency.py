"""50 generations at once against a rate-limited simulator, some failing.

40 start from 8 threads of this process and 10 from a second process sharing the same
journal (two sqlite writers, WAL). The simulator allows few requests per second (429 +
Retry-After beyond), fails every fifth job remotely, and throws in 5xx and resets on polls.
Afterwards: one journal row per generation, no duplicates, every job accounted for
(a verified video or GenerationFailed), journal task ids == the server's tasks, and the
server accepted exactly 50 submissions.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

import hailuo_nb
from hailuo_nb.sim import SimServer

from .kernels import kernel_env

IN_PROCESS, OTHER_PROCESS = 40, 10
PROTOCOLS = ("minimax", "runapi", "runbase", "runninghub", "agentsflare")
KEY = "sk-concurrency-key"

CHILD = """
import json, sys, hailuo_nb
gens = [hailuo_nb.generate(p, provider=prov, wait=False, timeout=150) for p, prov in json.loads(sys.argv[1])]
for g in gens:
    g.wait(180)
print("child done", [g.status for g in gens], flush=True)
"""


def prompt(i: int) -> str:
    return f"clip {i:02d} of the crowd" + (" [fail]" if i % 5 == 4 else "")


@pytest.mark.slow
def test_fifty_at_once_keep_the_journal_consistent(hailuo_env, monkeypatch):
    # one server stands in for five gateways, each paced on its own by the engine: its one shared
    # limit is set so that 429s happen (and are recovered from) without outlasting every retry
    with SimServer(job_seconds=1.0, api_key=KEY, rate_limit_rps=30) as sim:
        env = {}
        for protocol in PROTOCOLS:
            env.update(sim.env(protocol))
        env.pop("HAILUO_PROVIDER")
        for name, value in {**env, "HAILUO_POLL_INTERVAL": "0.25"}.items():
            monkeypatch.setenv(name, value)
        sim.inject("server_error", kind="poll", count=6, status=503)
        sim.inject("reset", kind="poll", count=4)
        jobs = [(prompt(i), PROTOCOLS[i % len(PROTOCOLS)]) for i in range(IN_PROCESS + OTHER_PROCESS)]

        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, json.dumps(jobs[IN_PROCESS:])], stdout=subprocess.PIPE, text=True,
            env=kernel_env(hailuo_env / "home", hailuo_env / "videos", HAILUO_POLL_INTERVAL="0.25", **env),
        )

        gens: list = [None] * IN_PROCESS
        errors: list[BaseException] = []

        def start(indices):
            try:
                for i in indices:
                    gens[i] = hailuo_nb.generate(jobs[i][0], provider=jobs[i][1], wait=False, timeout=150)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=start, args=(range(k, IN_PROCESS, 8),)) for k in range(8)]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not errors, errors
        for gen in gens:
            gen.wait(180)
        took = time.monotonic() - started
        out, _ = child.communicate(timeout=180)
        assert child.returncode == 0 and "child done" in out, out

        rate_limited = sum(1 for r in sim.requests if r.status == 429)
        accepted = sim.accepted_submissions()

    # every in-process job accounted for: a verified video, or the remote failure it was meant to have
    for i, gen in enumerate(gens):
        if "[fail]" in gen.prompt:
            assert gen.status == "failed", (i, gen.error)
            assert isinstance(gen.error, hailuo_nb.GenerationFailed), (i, gen.error)
            assert gen.error.task_id == gen.task_id
        else:
            assert gen.status == "succeeded", (i, gen.provider, gen.error)
            assert gen.video_path.read_bytes()[4:8] == b"ftyp"

    # the journal: one row per generation, no duplicates, all terminal, ids == the server's
    rows = [r for r in hailuo_nb.history(limit=500)]
    assert len(rows) == IN_PROCESS + OTHER_PROCESS
    assert len({r["id"] for r in rows}) == len(rows)
    assert sorted(r["prompt"] for r in rows) == sorted(p for p, _ in jobs)
    task_ids = [r["task_id"] for r in rows]
    assert None not in task_ids and len(set(task_ids)) == len(rows)
    assert set(task_ids) == {t.id for t in accepted}
    assert len(accepted) == IN_PROCESS + OTHER_PROCESS  # nothing paid twice, nothing lost
    for r in rows:
        assert r["submit_state"] == "accepted" and not r["uncertain"]
        expected = ("failed", "GenerationFailed") if "[fail]" in r["prompt"] else ("succeeded", None)
        assert (r["status"], r["error_type"]) == expected, r
    db = sqlite3.connect(hailuo_env / "home" / "journal.sqlite3")
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        db.close()
    assert rate_limited > 0, "the simulator's rate limit was never hit: the test proves nothing"
    print(f"50 generations in {took:.1f} s, {rate_limited} requests answered 429")
