"""SimServer as a whole: addresses, env, request log, concurrency, shared server, CLI."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from hailuo_nb.sim import SimServer, tls

PROTOCOLS = ("minimax", "runapi", "runbase", "runninghub", "agentsflare")


def test_addresses_and_env(sim):
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", sim.base_url)
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", sim.video_base_url)
    assert sim.base_url != sim.video_base_url
    for protocol in PROTOCOLS:
        env = sim.env(protocol)
        prefix = protocol.upper()
        assert env == {"HAILUO_PROVIDER": protocol, f"{prefix}_API_KEY": "test-key",
                       f"{prefix}_BASE_URL": sim.base_url_for(protocol)}
    assert sim.base_url_for("minimax") == sim.base_url
    with pytest.raises(ValueError):
        sim.env("sim")


def test_not_started():
    srv = SimServer()
    with pytest.raises(RuntimeError):
        _ = srv.base_url
    srv.stop()  # harmless


def test_stop_is_final_and_idempotent():
    srv = SimServer(job_seconds=0.05).start()
    url = srv.base_url
    assert srv.start() is srv and srv.running
    srv.stop()
    srv.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/api/v1/runs/x", timeout=1)


def test_fixed_ports():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with SimServer(port=port) as srv:
        assert srv.base_url == f"http://127.0.0.1:{port}"
        taken = SimServer(port=port)
        with pytest.raises(OSError):
            taken.start()
        assert not taken.running


def test_request_log_and_counts(drive):
    drive.run("runapi")
    drive.submit("minimax")
    srv = drive.srv
    assert srv.count(kind="submit") == 2
    assert srv.count(protocol="runapi") == srv.count(kind="poll", protocol="runapi") + 1
    assert srv.count() == len(srv.requests)
    record = srv.requests[0]
    assert (record.protocol, record.kind, record.method, record.status) == (
        "runapi", "submit", "POST", 200)
    assert record.has_authorization and record.fault is None and record.time > 0
    assert "test-key" not in repr(srv.requests)
    assert drive.client.get("/v2/nothing").status_code == 404
    assert srv.requests[-1].protocol is None and srv.requests[-1].kind is None


def test_tasks_and_accepted_submissions(drive):
    drive.submit("runapi", "one")
    drive.submit("runbase", "two")
    tasks = drive.srv.accepted_submissions()
    assert [t.prompt for t in tasks] == ["one", "two"]
    assert [t.protocol for t in drive.srv.accepted_submissions("runbase")] == ["runbase"]
    task = tasks[0]
    assert drive.srv.tasks[task.id] is task
    assert task.model == "hailuo-02-text-to-video-standard" and task.params["prompt"] == "one"
    assert task.status in ("queued", "running", "succeeded") and task.created_at > 0
    assert drive.srv.find_task(prompt="two").protocol == "runbase"
    assert drive.srv.find_task(prompt="three") is None


def test_job_seconds_is_mutable(drive):
    drive.srv.job_seconds = 60
    slow = drive.id_of(drive.submit("runbase").json())
    drive.srv.job_seconds = 0.05
    fast = drive.id_of(drive.submit("runbase").json())
    assert drive.wait("runbase", fast)["status"] == "succeeded"
    assert drive.poll("runbase", slow).json()["status"] in ("queued", "running")


def test_parallel_clients(sim):
    def one(i: int) -> int:
        with httpx.Client(verify=False, base_url=sim.base_url,
                          headers={"Authorization": "Bearer test-key"}) as c:
            return c.post("/api/v1/runs", json={"model": "hailuo/pro",
                                                "input": {"prompt": f"p{i}"}}).status_code

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(one, range(24))) == [200] * 24
    assert len(sim.accepted_submissions()) == 24


def run_python(code: str, **env: str) -> str:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, env={**os.environ, **env}, check=True)
    return result.stdout.strip()


def test_import_is_light():
    out = run_python("import sys, hailuo_nb; before = set(sys.modules); import hailuo_nb.sim; "
                     "print(sorted(m for m in set(sys.modules) - before "
                     "if m.split('.')[0] in ('av', 'numpy', 'PIL')))")
    assert out == "[]"


def test_shared_server():
    out = run_python(
        "import threading; from hailuo_nb.sim import shared_server\n"
        "got = []\n"
        "ts = [threading.Thread(target=lambda: got.append(shared_server())) for _ in range(8)]\n"
        "[t.start() for t in ts]; [t.join() for t in ts]\n"
        "assert len({id(s) for s in got}) == 1 and got[0] is shared_server()\n"
        "s = got[0]; print(s.job_seconds, s.api_key, s.running)",
        HAILUO_SIM_SECONDS="2.5")
    assert out == "2.5 hailuo-sim-key True"


def test_cli(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "hailuo_nb.sim", "--port", "0", "--seconds", "0.05",
         "--variant", "runapi.id_field=task_id", "--fault", "rate_limit:submit:1",
         "--rate-limit", "50", "--api-key", "cli-key"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        timer = threading.Timer(30, proc.kill)
        timer.start()
        assert proc.stdout is not None
        while len(lines) < 6:
            lines.append(proc.stdout.readline().strip())
        timer.cancel()
        exports = dict(item.split("=", 1) for line in lines[1:] for item in line.split()[1:])
        assert exports["RUNAPI_API_KEY"] == "cli-key"
        assert exports["RUNNINGHUB_BASE_URL"].endswith("/openapi/v2")
        base = exports["RUNAPI_BASE_URL"]
        with httpx.Client(verify=False, base_url=base,
                          headers={"Authorization": "Bearer cli-key"}) as c:
            body = {"model": "hailuo-02-text-to-video-standard", "prompt": "cli"}
            assert c.post("/api/v1/hailuo/text_to_video", json=body).status_code == 429
            assert "task_id" in c.post("/api/v1/hailuo/text_to_video", json=body).json()
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0


def test_cli_rejects_bad_options():
    result = subprocess.run([sys.executable, "-m", "hailuo_nb.sim", "--port", "0",
                             "--fault", "meteor"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "unknown fault" in result.stderr


@pytest.mark.skipif(not tls.available(), reason="no certificate tool")
def test_cli_https_prints_the_certificate():
    proc = subprocess.Popen(
        [sys.executable, "-m", "hailuo_nb.sim", "--port", "0", "--https", "--queue-fraction",
         "0.5"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        timer = threading.Timer(30, proc.kill)
        timer.start()
        assert proc.stdout is not None
        lines = [proc.stdout.readline().strip() for _ in range(7)]
        timer.cancel()
        assert "videos https://127.0.0.1:" in lines[0]
        cert = lines[6].rsplit(" ", 1)[-1]
        assert lines[6].startswith("Video origin certificate") and os.path.exists(cert)
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0


def test_models_are_plain_data(sim):
    assert "MiniMax-H3" in sim.models("minimax") and "MiniMax-Hailuo-02" in sim.models("minimax")
    assert sim.audio_models("minimax") == ("MiniMax-H3", "MiniMax-H3-Max")
    assert sim.audio_models("runapi") == ("minimax-h3",)
    assert "hailuo-02-text-to-video-standard" in sim.models("runapi")
    assert "hailuo-h3/multimodal-to-video" in sim.audio_models("runninghub")
    assert "hailuo-02/t2v-standard" in sim.models("runninghub")
    assert sim.audio_models("runbase") == () and sim.models("agentsflare")
    for protocol in ("minimax", "runapi", "runninghub"):
        assert set(sim.audio_models(protocol)) <= set(sim.models(protocol))
    with pytest.raises(ValueError):
        sim.models("nope")
