"""No key leaks: run scenarios with a distinctive key, then search every artifact for it.

Artifacts: the journal (and its -wal/-shm), output files, log records (DEBUG, httpx and
httpcore included), str/repr/to_dict of every generation and error (with its traceback
chain), history/orphans/provider_info, and a notebook executed headless with nbclient
(HAILUO_WAIT=1) and saved with its widget state. Gateways echo the key back in their
error messages. Also: no Authorization header reaches a video host, directly or through
a redirect to another host, and an API redirect does not carry it elsewhere.
"""

from __future__ import annotations

import logging
import traceback
from pathlib import Path

import pytest

import hailuo_nb
from hailuo_nb.sim import SimServer

from .gateways import HostileGateway, Recorder, tiny_mp4

KEY = "sk-DISTINCTIVE-9e4b7c21d05f3a68"
HOSTILE_KEY = "sk-DISTINCTIVE-hostile-71c0ffee42"
SECRETS = (KEY, HOSTILE_KEY)
SIM_PROTOCOLS = ("minimax", "runapi", "runninghub", "agentsflare")


def leaks(text: str | bytes) -> list[str]:
    data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
    found = [s for s in SECRETS if s.encode() in data]
    # also the key's distinctive middle, in case something re-encodes or truncates it
    found += [s for s in ("9e4b7c21d05f3a68", "71c0ffee42") if s.encode() in data]
    return found


def files_with_leaks(*folders: Path) -> dict[str, list[str]]:
    out = {}
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file() and (found := leaks(path.read_bytes())):
                out[str(path)] = found
    return out


def texts_of(gen) -> list[str]:
    """Every way a generation and its error can be turned into text."""
    out = [str(gen), repr(gen), str(gen.to_dict())]
    out += [repr(v) for v in vars(gen).values()]
    error = gen.error
    if error is not None:
        out += [str(error), repr(error), str(error.args), str(error.to_dict()), str(vars(error)),
                "".join(traceback.format_exception(error))]
    try:
        out.append(str(gen._repr_mimebundle_()))
    except Exception as exc:  # noqa: BLE001 - a failing repr is not a leak, but say so
        out.append(f"repr failed: {exc!r}")
    return out


@pytest.fixture
def video_hosts():
    video = tiny_mp4()
    with Recorder(video) as first, Recorder(video, host="localhost") as second:
        yield first, second


def test_no_key_in_any_artifact_of_many_scenarios(hailuo_env, monkeypatch, caplog, video_hosts):
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "hailuo_nb", "asyncio"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    monkeypatch.setenv("HAILUO_POLL_INTERVAL", "0.05")
    here, other = video_hosts
    redirect = f"{here.url}/to?url={other.url}/clip.mp4"
    with SimServer(job_seconds=0.2, api_key=KEY) as sim, HostileGateway(video_url=redirect) as hostile:
        for protocol in SIM_PROTOCOLS:
            for name, value in sim.env(protocol).items():
                monkeypatch.setenv(name, value)
        for name, value in hostile.env(HOSTILE_KEY).items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("HAILUO_PROVIDER")
        echo = f"token {KEY} rejected (Authorization: Bearer {KEY})"
        gens = []
        for protocol in SIM_PROTOCOLS:  # a success, and the key echoed in failures, on each
            gens.append(hailuo_nb.generate(f"ok on {protocol}", provider=protocol))
            sim.inject("remote_failure", protocol=protocol, kind="poll", message=echo)
            gens.append(hailuo_nb.generate(f"echo on {protocol}", provider=protocol))
            sim.inject("content_policy", protocol=protocol, kind="submit", message=echo)
            gens.append(hailuo_nb.generate(f"policy echo on {protocol}", provider=protocol))
            sim.inject("auth", protocol=protocol, kind="submit")
            gens.append(hailuo_nb.generate(f"bad key on {protocol}", provider=protocol))
        sim.inject("server_error", protocol="minimax", kind="submit")  # uncertain submission
        gens.append(hailuo_nb.generate("uncertain", provider="minimax"))
        hostile.plan = [
            {"submit": lambda auth: (401, {"error": {"message": f"invalid key {auth}"}})},
            {"submit": lambda auth: (500, {"detail": f"upstream failed for {auth}"})},
            {"submit": lambda auth: (429, {"msg": f"slow down {auth}", "retry_after": 0})},
            {"submit": lambda auth: (402, {"message": f"no credits left on {auth[7:]}"})},  # the 429's retry
            {"fail": lambda auth: f"render failed, key was {auth[7:]}"},
            {"task_id": "run_ok"},  # success, the video behind a redirect to another host
        ]
        for i in range(4):
            gens.append(hailuo_nb.generate(f"hostile {i}", provider="runbase"))
        gens.append(hailuo_nb.generate("hostile ok", provider="runbase"))
        assert not hostile.plan and len([r for r in hostile.seen if r["method"] == "POST"]) == 6
        statuses = [g.status for g in gens]
        assert statuses.count("succeeded") == len(SIM_PROTOCOLS) + 1, [(g.prompt, g.status, g.error)
                                                                        for g in gens]
        # the echo really happened (and was scrubbed): the scenarios are not vacuous
        assert any("***" in str(g.error) for g in gens if g.error)
        assert any("***" in str(g.error) for g in gens if g.provider == "runbase" and g.error)

        texts = [caplog.text, *(r.getMessage() for r in caplog.records),
                 *(str(r.args) for r in caplog.records)]
        for gen in gens:
            texts += texts_of(gen)
        texts += [str(hailuo_nb.history(100)), str(hailuo_nb.orphans()), str(hailuo_nb.pending())]
        texts += [str(hailuo_nb.provider_info(p)) for p in (*SIM_PROTOCOLS, "runbase")]
        texts += [str(hailuo_nb.models())]
        leaked = [t[:200] for t in texts if leaks(t)]
        assert not leaked, leaked
        assert not files_with_leaks(hailuo_env / "home", hailuo_env / "videos")
        assert sorted(p.name for p in (hailuo_env / "home").iterdir())[0].startswith("journal")

        # No Authorization header at any video host, nor behind the redirect to another host.
        downloads = [r for r in sim.requests if r.kind == "download"]
        assert downloads and not [r for r in downloads if r.has_authorization]
        assert here.seen and other.seen, "the redirect was followed"
        for record in here.seen + other.seen:
            assert "authorization" not in record["headers"], record
            assert not leaks(str(record["headers"]))
        # every API request did carry it (so the check above is not vacuous)
        assert all("authorization" in r["headers"] for r in hostile.seen)


def test_an_api_redirect_to_another_host_does_not_carry_the_key(hailuo_env, monkeypatch, video_hosts):
    here, other = video_hosts
    monkeypatch.setenv("HAILUO_POLL_INTERVAL", "0.05")
    with HostileGateway(video_url=f"{here.url}/clip.mp4") as hostile:
        for name, value in hostile.env(HOSTILE_KEY).items():
            monkeypatch.setenv(name, value)
        # the submit is answered with a redirect to another host
        hostile.handle = lambda record: (307, {"Location": f"{other.url}/api/v1/runs"}, b"")
        gen = hailuo_nb.generate("redirected submit", provider="runbase")
    assert gen.status == "failed" and isinstance(gen.error, hailuo_nb.HailuoError)
    assert not [r for r in other.seen if "authorization" in r["headers"]]
    assert not leaks(str(gen.error)) and not leaks(str(gen.to_dict()))


# -- a notebook executed headless and saved, widget state included ---------------------------------
NOTEBOOK = [
    "%load_ext hailuo_nb",
    "%%hailuo --out ok\na calm lake at dawn, mist rising",
    "%%hailuo --provider runapi --out bad\na storm the gateway refuses",
    "%%hailuo --provider runbase --out hostile\nsomething the hostile gateway answers",
    "print(ok.status, bad.status, hostile.status)\nprint(bad.error)\nprint(repr(hostile.error))\n"
    "bad.to_dict()",
    "%hailuo history",
    "import hailuo_nb\nhailuo_nb.provider_info()",
    "hailuo_nb.Form()",
    "ok",
    "bad",
    "%hailuo wait",
]


@pytest.mark.slow
def test_a_headless_notebook_saved_with_widget_state_has_no_key(tmp_path, sim_process):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    from .kernels import kernel_env

    sim = sim_process(seconds=0.5, api_key=KEY)
    echo = f"upstream said: invalid token Bearer {KEY} for {KEY}"
    sim.inject("remote_failure", protocol="runapi", kind="poll", message=echo)
    with HostileGateway() as hostile:
        hostile.plan = [{"submit": lambda auth: (403, {"error": f"forbidden for {auth}, key={auth[7:]}"})}]
        env = kernel_env(tmp_path / "home", tmp_path / "videos", HAILUO_WAIT="1",
                         **sim.env("minimax"), **{k: v for k, v in sim.env("runapi").items()
                                                  if k != "HAILUO_PROVIDER"},
                         **hostile.env(HOSTILE_KEY))
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(src) for src in NOTEBOOK]
        client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3", store_widget_state=True,
                                         resources={"metadata": {"path": str(tmp_path)}})
        client.execute(env=env, cwd=str(tmp_path))
    path = tmp_path / "saved.ipynb"
    nbformat.write(nb, path)
    saved = path.read_text()
    # the run did what it should (so the search below is meaningful)
    assert "succeeded failed failed" in saved
    assert "***" in saved  # the echoed key was there, and scrubbed
    assert nb.metadata.get("widgets"), "widget state was saved"
    state = str(nb.metadata["widgets"])
    assert "application/vnd.jupyter.widget-state+json" in nb.metadata["widgets"] and len(state) > 200
    assert not leaks(saved), [line for line in saved.splitlines() if leaks(line)][:5]
    assert not files_with_leaks(tmp_path)
    assert not [r for r in sim.requests() if r["kind"] == "download" and r["has_authorization"]]
