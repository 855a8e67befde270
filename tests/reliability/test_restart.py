"""Kernel restart: nothing in flight is lost, nothing is paid twice.

The simulator runs in its own process (it must outlive the kernel); kernels are real
ipykernels started with jupyter_client and killed with SIGKILL, like a crash.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from .fault_scenarios import decodable
from .support import wait_for

pytest.importorskip("jupyter_client")
pytest.importorskip("ipykernel")

from .kernels import Kernel, kernel_env  # noqa: E402

N = 3


def verify_mp4(path: Path) -> None:
    data = path.read_bytes()
    assert len(data) > 1000 and data[4:8] == b"ftyp", path
    assert not decodable(path), decodable(path)


@pytest.mark.slow
def test_kernel_killed_mid_job_is_recovered_by_a_new_kernel(tmp_path, sim_process):
    sim = sim_process(seconds=3.0)
    home, videos = tmp_path / "home", tmp_path / "videos"
    env = kernel_env(home, videos, **sim.env("minimax"))

    first = Kernel(tmp_path, env)
    try:
        assert "minimax" in first.run("%load_ext hailuo_nb")
        for i in range(N):
            first.run(f"%%hailuo --out g{i}\nclip number {i} of the restart proof")
        ids = first.run(
            "import time, json\n_t0 = time.monotonic()\n"
            f"_gs = [{', '.join(f'g{i}' for i in range(N))}]\n"
            "while not all(g.task_id for g in _gs) and time.monotonic() - _t0 < 20:\n"
            "    time.sleep(0.02)\n"
            "print(json.dumps([[g.task_id, g.status] for g in _gs]))"
        )
        accepted = json.loads(ids.strip().splitlines()[-1])
    finally:
        first.kill()
    task_ids = [t for t, _ in accepted]
    assert all(task_ids) and {s for _, s in accepted} <= {"queued", "running"}, accepted

    second = Kernel(tmp_path, env)
    try:
        banner = second.run("%load_ext hailuo_nb")
        assert f"{N} generations were still in flight" in banner, banner
        assert "%hailuo resume" in banner
        resumed = second.run("%hailuo resume")
        for task_id in task_ids:
            assert f"resuming task {task_id}" in resumed, resumed
        result = second.run(
            "import json\n_rs = _hailuo if isinstance(_hailuo, list) else [_hailuo]\n"
            "for _g in _rs: _g.wait(60)\n"
            "print(json.dumps([[g.task_id, g.status, str(g.video_path)] for g in _rs]))",
            timeout=90,
        )
        history = second.run("%hailuo history")
    finally:
        second.close()
    rows = json.loads(result.strip().splitlines()[-1])
    assert sorted(r[0] for r in rows) == sorted(task_ids)
    assert {r[1] for r in rows} == {"succeeded"}, rows
    for task_id, _, path in rows:
        assert Path(path).parent.resolve() == videos.resolve() and Path(path).name == f"{task_id}.mp4"
        verify_mp4(Path(path))
    assert history.count("succeeded") >= N
    # The server saw exactly N submissions: the restart paid for nothing twice.
    assert sim.count(kind="submit") == N
    assert sorted(t["id"] for t in sim.tasks()) == sorted(task_ids)


ORPHAN_SCRIPT = """
import sys, time
import hailuo_nb
gen = hailuo_nb.generate(sys.argv[1], wait=False)
while not gen.task_id:
    time.sleep(0.01)
print(gen.task_id, flush=True)
time.sleep(120)
"""


def test_a_resumed_task_is_no_longer_an_orphan(tmp_path, sim_process, monkeypatch):
    """Once this session resumes a dead process's task, no other kernel may call it an orphan
    (its banner would offer it again, and a second `%hailuo resume` would poll and download it twice).
    """
    import hailuo_nb

    sim = sim_process(seconds=30.0)
    for name, value in sim.env("minimax").items():
        monkeypatch.setenv(name, value)
    env = kernel_env(tmp_path / "home", tmp_path / "videos", **sim.env("minimax"))
    proc = subprocess.Popen([sys.executable, "-c", ORPHAN_SCRIPT, "an orphan to adopt"], env=env,
                            stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        task_id = proc.stdout.readline().strip()
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    assert [r["task_id"] for r in hailuo_nb.orphans()] == [task_id]
    gen = hailuo_nb.resume(task_id)
    assert not gen.done
    assert hailuo_nb.orphans() == [], "the resumed row still belongs to the dead process"
    gen.cancel()
    gen.wait(10)


UNCERTAIN_PROMPT = "a lighthouse keeper waves from the gallery"
SCRIPT = f"""
import sys, time
import hailuo_nb
gen = hailuo_nb.generate({UNCERTAIN_PROMPT!r}, wait=False)
print("started", gen.id, flush=True)
time.sleep(120)
"""


def start_and_kill_mid_submit(tmp_path, sim):
    """A process whose submit POST is on the wire (the sim holds it) is SIGKILLed."""
    import hailuo_nb

    sim.inject("slow", kind="submit", protocol="minimax", delay=3)
    env = kernel_env(tmp_path / "home", tmp_path / "videos", **sim.env("minimax"))
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT], env=env, cwd=str(tmp_path),
                            stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        gen_id = proc.stdout.readline().split()[1]
        row = wait_for(lambda: next((r for r in hailuo_nb.history(10)
                                     if r["id"] == gen_id and r["submit_state"] == "sent"), None),
                       15, "the journal's 'sent' mark")
        assert row["task_id"] is None
        wait_for(lambda: any(m == "POST" for m, _ in sim.received()), 15, "the POST to reach the gateway")
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    # The gateway goes on and accepts the task after the process is gone (a paid task
    # whose id nobody stored).
    wait_for(lambda: len(sim.tasks()) == 1, 15, "the server to accept the held submission")
    return gen_id


@pytest.mark.slow
def test_process_killed_between_submit_sent_and_task_id_stored(tmp_path, sim_process, monkeypatch, ip,
                                                                capsys):
    from IPython.core.error import UsageError

    import hailuo_nb

    sim = sim_process(seconds=0.5)
    for name, value in sim.env("minimax").items():
        monkeypatch.setenv(name, value)
    gen_id = start_and_kill_mid_submit(tmp_path, sim)

    # The journal shows the uncertain row plainly...
    [row] = [r for r in hailuo_nb.history(10) if r["id"] == gen_id]
    assert row["uncertain"] is True and row["task_id"] is None and row["submit_state"] == "sent"

    # ...and nothing picks it up and pays for it again: not a resume, not a reuse re-run.
    capsys.readouterr()
    ip.run_line_magic("hailuo", "resume")
    resumed = capsys.readouterr().out
    assert "nothing to resume" in resumed, resumed
    with pytest.raises(hailuo_nb.HailuoError) as info:
        hailuo_nb.generate(UNCERTAIN_PROMPT, reuse=True, wait=False)
    assert "unknown" in str(info.value) and "dashboard" in str(info.value)
    with pytest.raises(UsageError) as usage:
        ip.run_cell_magic("hailuo", "", UNCERTAIN_PROMPT)
    assert "unknown" in str(usage.value) and "--force" in str(usage.value)
    assert sim.count(kind="submit") == 1
    assert len(sim.tasks()) == 1


@pytest.mark.slow
def test_history_and_banner_say_plainly_that_the_outcome_is_unknown(tmp_path, sim_process, monkeypatch, ip,
                                                                     capsys):
    """`%hailuo history` and the load banner must not present the row as a normal in-flight job."""
    sim = sim_process(seconds=0.5)
    for name, value in sim.env("minimax").items():
        monkeypatch.setenv(name, value)
    start_and_kill_mid_submit(tmp_path, sim)
    import hailuo_nb

    capsys.readouterr()
    ip.run_line_magic("hailuo", "history")
    shown = capsys.readouterr().out
    line = next(ln for ln in shown.splitlines() if "lighthouse keeper" in ln)
    hailuo_nb.load_ipython_extension(ip)  # what `%load_ext hailuo_nb` prints in a new kernel
    text = capsys.readouterr().out
    problems = []
    if "uncertain" not in line and "unknown" not in line:
        problems.append(f"%hailuo history shows the row like any other: {line!r}")
    if "unknown" not in text and "uncertain" not in text:
        problems.append(f"the banner promises a resume that cannot happen: {text!r}")
    assert not problems, problems
    assert sim.count(kind="submit") == 1

