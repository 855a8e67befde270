"""Hostile text stays text; hostile ids and URLs cannot write outside HAILUO_OUTPUT_DIR.

Prompts, gateway error messages and file names carrying HTML/script are kept verbatim as
data (journal, ``Generation.to_dict()``) and escaped wherever they become HTML (the
generation's bundle, ``%hailuo history``, a notebook saved after a headless run). Task ids
such as ``../../etc/passwd`` from a hostile gateway, and hostile video URLs or
Content-Disposition names, end up as a file inside HAILUO_OUTPUT_DIR or not at all.
(That the status widget's JavaScript renders these as text is checked in a browser by the
UI tests.)
"""

from __future__ import annotations

import html
import os
import uuid
from pathlib import Path

import pytest
from backoff import quick_backoff

import hailuo_nb
from hailuo_nb.sim import SimServer

from .gateways import HostileGateway, Recorder, tiny_mp4

SCRIPT = "<script>alert('xss')</script>"
IMG = '<img src=x onerror="alert(1)">'
PROMPT = f"a cat {SCRIPT} and {IMG} & more"
ERROR = f"upstream failed: {SCRIPT}{IMG}"
RAW = ("<script", "<img src=x")


def assert_escaped(fragment: str, *, shown: str | None = None) -> None:
    """No raw payload in an HTML fragment; the escaped text is there when ``shown`` is given."""
    for raw in RAW:
        assert raw not in fragment, fragment[:500]
    if shown is not None:
        assert html.escape(shown) in fragment or html.escape(shown, quote=False) in fragment, fragment[:500]


@pytest.fixture
def sim(monkeypatch, hailuo_env):
    monkeypatch.setenv("HAILUO_POLL_INTERVAL", "0.05")
    with SimServer(job_seconds=0.2, api_key="sk-injection") as srv:
        for name, value in srv.env("minimax").items():
            monkeypatch.setenv(name, value)
        yield srv


def test_prompt_and_error_html_is_data_in_the_journal_and_escaped_in_the_bundle(sim):
    ok = hailuo_nb.generate(PROMPT, model="hailuo-02-text-to-video-standard")
    sim.inject("remote_failure", kind="poll", message=ERROR)
    bad = hailuo_nb.generate(PROMPT + " (fails)", model="hailuo-02-text-to-video-standard")
    assert ok.status == "succeeded" and bad.status == "failed"
    # verbatim as data
    assert ok.to_dict()["prompt"] == PROMPT
    assert ERROR in bad.to_dict()["error"]["message"]
    rows = {r["id"]: r for r in hailuo_nb.history(5)}
    assert rows[ok.id]["prompt"] == PROMPT and ERROR in rows[bad.id]["error"]
    # escaped as HTML
    from hailuo_nb.notebook import tables

    assert_escaped(ok._repr_mimebundle_()["text/html"], shown=PROMPT)
    bundle = bad._repr_mimebundle_()["text/html"]
    assert_escaped(bundle, shown=PROMPT)
    assert html.escape(SCRIPT) in bundle
    history_html = tables.to_html(tables.history_table(hailuo_nb.history(5)))
    assert_escaped(history_html)
    assert html.escape(PROMPT[:20]) in history_html


def test_html_in_a_frame_file_name_is_text(sim, tmp_path):
    from PIL import Image

    frame = tmp_path / f"{IMG}.png"
    Image.new("RGB", (640, 360), (10, 20, 30)).save(frame)
    gen = hailuo_nb.generate(PROMPT, model="hailuo-02-image-to-video-standard", first_frame=frame)
    assert gen.status == "succeeded"
    assert_escaped(gen._repr_mimebundle_()["text/html"])
    tiny = tmp_path / f"{SCRIPT.replace('/', '_')}.png"
    Image.new("RGB", (20, 20)).save(tiny)
    with pytest.raises(hailuo_nb.ValidationError) as info:
        hailuo_nb.generate("x", model="hailuo-02-image-to-video-standard", first_frame=tiny)
    assert tiny.name in str(info.value) or "<script>" in str(info.value)  # plain text, verbatim


HOSTILE_IDS = [
    "../../etc/passwd",
    "..\\..\\..\\windows\\win.ini",
    "a/b\\c",
    "..",
    ".",
    "/absolute/path",
    "~/home-escape",
    "%2e%2e%2f%2e%2e%2fescape",
    IMG,
    "\u202egnp.exe",
    ".hidden",
    "x" * 400,
    "-rf --no-preserve-root",
    "con",
    "ok\nnewline",
]


@pytest.fixture
def hostile(monkeypatch, hailuo_env):
    monkeypatch.setenv("HAILUO_POLL_INTERVAL", "0.05")
    escape = f"../../../../../../../../../../tmp/hailuo-cd-escape-{uuid.uuid4().hex}.mp4"
    with Recorder(tiny_mp4(), disposition=escape) as videos, \
            HostileGateway(video_url=f"{videos.url}/v.mp4") as gw:
        for name, value in gw.env("sk-hostile").items():
            monkeypatch.setenv(name, value)
        gw.escape = Path("/tmp") / Path(escape).name
        gw.videos = videos
        yield gw


def files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("task_id", HOSTILE_IDS, ids=range(len(HOSTILE_IDS)))
def test_hostile_task_ids_cannot_write_outside_the_output_dir(hostile, hailuo_env, task_id):
    out = hailuo_env / "videos"
    deep_escape = Path(f"/tmp/hailuo-escape-{uuid.uuid4().hex}")
    for tid in (task_id, f"{'../' * 12}{deep_escape.relative_to('/')}"):
        hostile.plan = [{"task_id": tid}]
        before = files_under(hailuo_env)
        gen = hailuo_nb.generate(f"hostile id {tid!r}", provider="runbase", timeout=30)
        new = files_under(hailuo_env) - before
        outside = [p for p in new if out.resolve() not in p.resolve().parents and p.parent.name != "home"
                   and "journal" not in p.name]
        assert not outside, outside
        assert not deep_escape.exists() and not hostile.escape.exists()
        if gen.status == "succeeded":
            assert gen.video_path.resolve().parent == out.resolve()
            assert gen.task_id == tid  # kept verbatim as data
            assert gen.video_path.read_bytes()[4:8] == b"ftyp"
        else:  # refusing an id is fine too, as long as it says why and keeps the id
            assert isinstance(gen.error, hailuo_nb.HailuoError)
        assert_escaped(gen._repr_mimebundle_()["text/html"])
    assert not [p for p in Path("/tmp").glob("hailuo-escape-*")]


def test_hostile_video_urls_cannot_write_outside_the_output_dir(hostile, hailuo_env):
    out = hailuo_env / "videos"
    base = hostile.videos.url
    for url in (f"{base}/../../../../../../tmp/escape.mp4", f"{base}/%2e%2e/%2e%2e/escape.mp4",
                f"{base}/v.mp4?name=../../../../escape.mp4#../../x.mp4"):
        hostile.plan = [{"task_id": f"run_{uuid.uuid4().hex[:8]}", "video_url": url}]
        gen = hailuo_nb.generate(f"hostile url {url}", provider="runbase", timeout=30)
        assert gen.status == "succeeded", gen.error
        assert gen.video_path.resolve().parent == out.resolve()
    assert not hostile.escape.exists()
    stray = [p for p in files_under(hailuo_env) if out.resolve() not in p.resolve().parents
             and "home" not in p.parts]
    assert not stray, stray


@pytest.mark.parametrize("url", ["javascript:alert(1)", "file:///etc/passwd", "data:video/mp4;base64,AAAA",
                                 f"http://127.0.0.1:9/{IMG}"])
def test_hostile_video_url_schemes_fail_cleanly(hostile, hailuo_env, url):
    hostile.plan = [{"task_id": f"run_{uuid.uuid4().hex[:8]}", "video_url": url}]
    with quick_backoff():  # the closed port is retried as often as ever, with shorter pauses
        gen = hailuo_nb.generate("hostile scheme", provider="runbase", timeout=30)
    assert gen.status == "failed" and isinstance(gen.error, hailuo_nb.HailuoError), (gen.status, gen.error)
    assert gen.task_id and gen.error.task_id == gen.task_id  # resumable, nothing lost
    assert not os.path.exists("/etc/passwd.mp4")
    assert_escaped(gen._repr_mimebundle_()["text/html"])


# -- a headless notebook, saved: every HTML output escapes the payloads -----------------------------
@pytest.mark.slow
def test_saved_notebook_outputs_escape_html(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    from PIL import Image

    from .kernels import kernel_env

    Image.new("RGB", (640, 360), (90, 20, 30)).save(tmp_path / f"{IMG}.png")
    with HostileGateway() as gw:
        gw.plan = [{"fail": ERROR}]
        env = kernel_env(tmp_path / "home", tmp_path / "videos", HAILUO_WAIT="1", HAILUO_PROVIDER="sim",
                         HAILUO_SIM_SECONDS="0.3", **gw.env("sk-hostile-nb"))
        cells = [
            "%load_ext hailuo_nb",
            f"%%hailuo --out ok\n{PROMPT}",
            f"%%hailuo --provider runbase --out bad\n{PROMPT} (the gateway fails it)",
            f"frame = {IMG + '.png'!r}",
            "%%hailuo --model hailuo-02-image-to-video-standard --first-frame frame --out framed\n"
            "the frame's file name is hostile",
            "%hailuo history",
            "ok",
            "bad",
            "framed",
            "print(ok.to_dict()['prompt'])",
        ]
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
        client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                                         resources={"metadata": {"path": str(tmp_path)}})
        client.execute(env=env, cwd=str(tmp_path))
    nbformat.write(nb, tmp_path / "saved.ipynb")
    html_outputs = [o["data"]["text/html"] for cell in nb.cells for o in cell.get("outputs", [])
                    if "text/html" in o.get("data", {})]
    assert len(html_outputs) >= 3, [cell.get("outputs") for cell in nb.cells]
    for fragment in html_outputs:
        assert_escaped(fragment if isinstance(fragment, str) else "".join(fragment))
    joined = "".join(h if isinstance(h, str) else "".join(h) for h in html_outputs)
    assert html.escape(SCRIPT) in joined  # the payloads were shown, as text
    printed = "".join(o.get("text", "") for o in nb.cells[-1]["outputs"])
    assert PROMPT in printed  # and kept verbatim as data
