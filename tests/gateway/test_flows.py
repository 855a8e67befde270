"""Acceptance: the public API through every protocol against the simulator over loopback HTTP."""

import io
import logging

import av
import pytest
from PIL import Image
from waiting import wait_for

import hailuo_nb
from hailuo_nb.sim import SimServer

PROTOCOLS = ["minimax", "runapi", "runbase", "runninghub", "agentsflare"]
KEY = "sk-live-DISTINCTIVE-7f3a9c1e5b"
REMOTE = "https://images.example.org/frame.png"  # protocols without upload take URLs only


@pytest.fixture(scope="module")
def server():
    with SimServer(job_seconds=0.2, api_key=KEY) as srv:
        yield srv


@pytest.fixture
def sim(server, monkeypatch, request):
    """``sim(protocol)`` points the library at the simulator speaking ``protocol``."""
    server.clear_faults()
    for p in PROTOCOLS:
        server.reset_variants(p)
    monkeypatch.setenv("HAILUO_POLL_INTERVAL", "0.05")

    def use(protocol):
        for name, value in server.env(protocol).items():
            monkeypatch.setenv(name, value)
        return server

    return use


def frame(width=640, height=360, color=(30, 120, 200)):
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format="PNG")
    return buffer.getvalue()


def assert_video(gen):
    assert gen.status == "succeeded", gen.error
    assert gen.task_id and gen.error is None
    data = gen.video_path.read_bytes()
    assert data[4:8] == b"ftyp"
    assert gen.video_path.name == f"{gen.task_id}.mp4"
    with av.open(str(gen.video_path)) as container:
        assert container.streams.video[0].frames > 0 or container.duration


def submissions(server, before):
    return len(server.accepted_submissions()) - before


# -- the happy paths: t2v, i2v, first+last, on every protocol --------------------------------
CASES = [
    ("minimax", "hailuo-02-text-to-video-standard", None, None),
    ("minimax", "hailuo-2.3-fast-image-to-video-standard", frame(), None),
    ("minimax", "hailuo-02-image-to-video-standard", frame(), frame(color=(200, 40, 40))),
    ("runapi", "hailuo-02-text-to-video-pro", None, None),
    ("runapi", "hailuo-2.3-image-to-video-standard", frame(), None),
    ("runapi", "hailuo-02-image-to-video-standard", frame(), frame(color=(9, 9, 9))),
    ("runbase", "hailuo-02-text-to-video-pro", None, None),
    ("runbase", "hailuo-02-image-to-video-pro", REMOTE, None),
    ("runbase", "hailuo-02-image-to-video-pro", REMOTE, REMOTE + "?last"),
    ("runninghub", "hailuo-2.3-text-to-video-standard", None, None),
    ("runninghub", "hailuo-2.3-image-to-video-pro", frame(), None),
    ("runninghub", "hailuo-02-image-to-video-pro", frame(), frame(color=(1, 2, 3))),
    ("agentsflare", "hailuo-2.3-text-to-video-pro", None, None),
    ("agentsflare", "hailuo-2.3-fast-image-to-video-pro", REMOTE, None),
    ("agentsflare", "hailuo-02-image-to-video-standard", REMOTE, REMOTE + "?last"),
]


@pytest.mark.parametrize("protocol, model, first, last", CASES,
                         ids=[f"{p}-{m}-{'fl' if last else 'f' if f else 't'}" for p, m, f, last in CASES])
def test_generate_through_every_protocol(sim, protocol, model, first, last):
    server = sim(protocol)
    before = len(server.accepted_submissions())
    gen = hailuo_nb.generate("a glass marble rolls across a desk", model=model, first_frame=first, last_frame=last)
    assert_video(gen)
    assert gen.provider == protocol
    assert submissions(server, before) == 1
    task = server.tasks[gen.task_id]
    assert task.protocol == protocol
    assert task.client_task_id == gen.id  # a lost reply can be found again by the journal's id
    row = next(r for r in hailuo_nb.history(5) if r["id"] == gen.id)
    assert (row["task_id"], row["status"], row["submit_state"]) == (gen.task_id, "succeeded", "accepted")


def test_sim_is_the_default_without_keys():
    assert hailuo_nb.provider_info()["simulated"] is True
    gen = hailuo_nb.generate("no account needed", model="hailuo-02-text-to-video-standard")
    assert_video(gen)
    assert gen.provider == "sim" and gen.cost_usd == pytest.approx(0.28)


def test_chaining_uses_the_last_frame(sim):
    sim("minimax")
    first = hailuo_nb.generate("a boat", model="hailuo-02-text-to-video-standard")
    second = hailuo_nb.generate("the boat sails on", model="hailuo-02-image-to-video-standard", first_frame=first)
    assert_video(second)


def test_agenerate_runs_concurrently(sim):
    import asyncio

    sim("runapi")

    async def batch():
        return await asyncio.gather(*(hailuo_nb.agenerate(f"clip {i}", model="hailuo-02-text-to-video-standard")
                                      for i in range(4)))

    gens = asyncio.run(batch())
    assert {g.status for g in gens} == {"succeeded"} and len({g.task_id for g in gens}) == 4


# -- errors: mapped, typed, task id kept, nothing paid twice -------------------------------
@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("fault, kind, error", [
    ("auth", "submit", hailuo_nb.AuthenticationError),
    ("credits", "submit", hailuo_nb.InsufficientCreditsError),
    ("content_policy", "submit", hailuo_nb.ContentPolicyError),
])
def test_rejections_are_typed_and_not_retried(sim, protocol, fault, kind, error):
    server = sim(protocol)
    before = server.count(kind="submit")
    server.inject(fault, kind=kind)
    gen = hailuo_nb.generate("x", model="hailuo-02-text-to-video-pro")
    assert gen.status == "failed" and isinstance(gen.error, error), gen.error
    assert server.count(kind="submit") - before == 1


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_remote_failure_keeps_the_task_id(sim, protocol):
    server = sim(protocol)
    server.inject("remote_failure", kind="poll", message="the GPU caught fire")
    gen = hailuo_nb.generate("x", model="hailuo-02-text-to-video-pro")
    assert gen.status == "failed"
    assert isinstance(gen.error, (hailuo_nb.GenerationFailed, hailuo_nb.GatewayError))
    assert gen.task_id and gen.error.task_id == gen.task_id
    assert "GPU caught fire" in str(gen.error) or protocol in ("runbase", "agentsflare")
    assert hailuo_nb.history(1)[0]["task_id"] == gen.task_id


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("fault, kind, count", [
    ("rate_limit", "submit", 2), ("rate_limit", "poll", 3), ("server_error", "poll", 3), ("reset", "poll", 2),
    ("malformed_json", "poll", 2), ("unknown_status", "poll", 3), ("slow", "poll", 1),
    ("expired_url", "download", 1), ("truncated", "download", 2), ("server_error", "download", 2),
])
def test_transient_faults_end_in_a_verified_video(sim, protocol, fault, kind, count):
    server = sim(protocol)
    before = len(server.accepted_submissions())
    server.inject(fault, protocol=protocol, kind=kind, count=count, retry_after=0, delay=0.3)
    gen = hailuo_nb.generate("weather the storm", model="hailuo-02-text-to-video-pro")
    assert_video(gen)
    assert submissions(server, before) == 1


def test_minimax_in_band_rate_limit_is_retried(sim):
    server = sim("minimax")
    before = len(server.accepted_submissions())
    server.inject("minimax_rate_limit", kind="submit", count=2)
    assert_video(hailuo_nb.generate("x", model="hailuo-02-text-to-video-pro"))
    assert submissions(server, before) == 1


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("fault", ["lost_reply", "reset", "server_error", "slow"])
def test_an_uncertain_submission_is_never_resubmitted(sim, protocol, fault, monkeypatch):
    server = sim(protocol)
    before = server.count(kind="submit")
    if fault == "slow":
        import hailuo_nb.gateway.client as client

        monkeypatch.setattr(client, "TIMEOUT", __import__("httpx").Timeout(0.3))
    server.inject(fault, kind="submit", delay=2)
    gen = hailuo_nb.generate("x", model="hailuo-02-text-to-video-pro")
    assert gen.status == "failed" and isinstance(gen.error, hailuo_nb.GatewayError)
    wait_for(lambda: server.count(kind="submit") > before)  # the sim logs a slow request when it ends
    assert server.count(kind="submit") - before == 1  # one POST, never a second
    row = hailuo_nb.history(1)[0]
    assert row["submit_state"] == "unknown" and row["uncertain"]
    assert "not resubmitted" in str(gen.error)


# -- validation sends nothing --------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [
    dict(model="hailuo-99"), dict(duration=10), dict(resolution="768p"), dict(prompt=""),
    dict(model="hailuo-02-image-to-video-pro"), dict(last_frame=REMOTE), dict(provider="nope"),
])
def test_invalid_input_sends_zero_requests(sim, kwargs):
    server = sim("minimax")
    before = server.count()
    kwargs = {"prompt": "x", **kwargs}
    with pytest.raises(hailuo_nb.ValidationError):
        hailuo_nb.generate(kwargs.pop("prompt"), **kwargs)
    assert server.count() == before


def test_missing_key_for_an_explicit_provider_sends_nothing(sim, monkeypatch):
    server = sim("minimax")
    monkeypatch.delenv("RUNAPI_API_KEY", raising=False)
    before = server.count()
    gen = hailuo_nb.generate("x", provider="runapi")
    assert isinstance(gen.error, hailuo_nb.AuthenticationError) and "RUNAPI_API_KEY" in str(gen.error)
    assert server.count() == before


# -- the key never leaks -------------------------------------------------------------------
def test_the_key_appears_nowhere(sim, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    server = sim("minimax")
    server.inject("auth", kind="submit")
    failed = hailuo_nb.generate("a", model="hailuo-02-text-to-video-standard")
    server.inject("remote_failure", kind="poll", message=f"echo {KEY}")
    echoed = hailuo_nb.generate("b", model="hailuo-02-text-to-video-standard")
    ok = hailuo_nb.generate("c", model="hailuo-02-text-to-video-standard")
    texts = [caplog.text]
    for gen in (failed, echoed, ok):
        texts += [str(gen), repr(gen), str(gen.to_dict()), str(gen.error), repr(gen.error)]
    texts += [str(hailuo_nb.history(10)), str(hailuo_nb.orphans())]
    assert not [t for t in texts if KEY in t]
    for path in (tmp_path / "home").rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path
    for record in server.requests:
        if record.kind == "download":
            assert not record.has_authorization


def test_reuse_neither_pays_nor_forgets_the_spend(sim):
    server = sim("minimax")
    before = len(server.accepted_submissions())
    first = hailuo_nb.generate("same request", model="hailuo-02-text-to-video-standard")
    spent = hailuo_nb.session_spend()
    again = hailuo_nb.generate("same request", model="hailuo-02-text-to-video-standard", reuse=True)
    assert again is first and again.reused
    assert hailuo_nb.session_spend() == spent
    assert submissions(server, before) == 1
    forced = hailuo_nb.generate("same request", model="hailuo-02-text-to-video-standard")
    assert forced is not first and submissions(server, before) == 2


def test_budget_refuses_before_any_request(sim, monkeypatch):
    server = sim("minimax")
    monkeypatch.setenv("HAILUO_BUDGET_USD", str(hailuo_nb.session_spend() + 0.30))
    assert_video(hailuo_nb.generate("within budget", model="hailuo-02-text-to-video-standard"))  # $0.28
    before = server.count()
    with pytest.raises(hailuo_nb.BudgetExceededError, match="HAILUO_BUDGET_USD"):
        hailuo_nb.generate("over budget", model="hailuo-02-text-to-video-standard")
    assert server.count() == before
