"""%%hailuo and %hailuo on a real InteractiveShell, against the loopback simulator."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from IPython.core.error import UsageError
from waiting import wait_for

import hailuo_nb

ROOT = Path(__file__).resolve().parents[2]


def run(ip: Any, code: str) -> Any:
    return ip.run_cell(code, store_history=False)


def submits(sim: Any) -> int:
    return sim.count(kind="submit")


def journal_size() -> int:
    return len(hailuo_nb.history(limit=10_000))


# ---------------------------------------------------------------- the cell magic


def test_cell_returns_at_once_binds_and_finishes(ip, sim, capsys):
    before = submits(sim)
    t0 = time.perf_counter()
    result = run(ip, "%%hailuo --out kite\na red kite over a grey sea")
    took = time.perf_counter() - t0
    assert result.success
    assert took < 0.5  # the benchmark holds the 25 ms median; this guards against blocking
    gen = ip.user_ns["kite"]
    assert isinstance(gen, hailuo_nb.Generation)
    assert not gen.done and gen.prompt == "a red kite over a grey sea"
    gen.wait(timeout=15)
    assert gen.status == "succeeded" and gen.video_path.is_file()
    assert submits(sim) == before + 1
    out = capsys.readouterr().out
    # Text mode (no kernel): a status line now, the path when done (before wait() returns).
    assert "hailuo … submitting: a red kite" in out
    assert "hailuo ✓ succeeded" in out and os.path.relpath(gen.video_path) in out


def test_text_mode_prints_the_video_path_when_done(ip, sim, capsys):
    run(ip, "%%hailuo --wait\na lantern on a pier")
    out = capsys.readouterr().out
    gen = ip.user_ns["_hailuo"]
    assert gen.status == "succeeded"
    assert "queued" in out or "running" in out  # status lines while waiting
    assert "hailuo ✓ succeeded" in out and os.path.relpath(gen.video_path) in out


def test_default_out_name_and_options(ip, sim):
    run(ip, "%%hailuo -m hailuo-02-text-to-video-standard -d 10 -r 768p --no-optimize\nfog")
    gen = ip.user_ns["_hailuo"]
    assert (gen.model, gen.duration, gen.resolution, gen.request.prompt_optimizer) == (
        "hailuo-02-text-to-video-standard",
        10,
        "768p",
        False,
    )
    gen.wait(15)
    assert gen.status == "succeeded", gen.error
    task = sim.find_task(id=gen.task_id)
    assert (task.prompt, task.duration, task.resolution.lower()) == ("fog", 10, "768p")


def test_interpolation_json_and_escapes(ip, sim):
    ip.user_ns["animal"] = "heron"
    ip.user_ns["scene"] = type("Scene", (), {"place": "marsh"})()
    run(ip, '%%hailuo --out g\na {animal} in the {scene.place}, {{literal}}, meta {"cam": [1, 2]}')
    assert ip.user_ns["g"].prompt == 'a heron in the marsh, {literal}, meta {"cam": [1, 2]}'


@pytest.mark.parametrize(
    ("line", "body", "needle"),
    [
        ("", "a {nowhere} cat", "nowhere"),
        ("", "a {scene.colour} cat", "scene.colour"),
        ("--duration x", "cat", "invalid int value"),
        ("--bogus", "cat", "unrecognized arguments"),
        ("--model", "cat", "expected one argument"),
        ('--model "unclosed', "cat", "closing quotation"),
        ("--out 1x", "cat", "not a valid variable name"),
        ("--duration 7", "cat", "duration=7"),
        ("--model hailuo-9-nope", "cat", "model"),
        ("--resolution 4k", "cat", "resolution"),
        ("--provider nowhere", "cat", "provider"),
        ("", "", "cell body is empty"),
        ("", "x" * 2001, "prompt"),
        ("--model hailuo-02-image-to-video-pro", "cat", "first_frame"),
        ("--model hailuo-02-image-to-video-pro --first-frame /no/such.png", "cat", "first_frame"),
    ],
)
def test_bad_input_is_one_usage_line_and_sends_nothing(ip, sim, capsys, line, body, needle):
    ip.user_ns["scene"] = type("Scene", (), {"place": "marsh"})()
    before, rows = submits(sim), journal_size()
    result = run(ip, f"%%hailuo {line}\n{body}")
    assert isinstance(result.error_in_exec, UsageError)
    err = capsys.readouterr().err
    lines = [x for x in err.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("UsageError: %%hailuo"), err
    assert needle in lines[0]
    assert "Traceback" not in err
    assert submits(sim) == before and journal_size() == rows and not hailuo_nb.pending()


def test_help_lists_every_option(ip):
    doc = ip.find_cell_magic("hailuo").__doc__
    for option in (
        "--model",
        "--provider",
        "--duration",
        "--resolution",
        "--first-frame",
        "--last-frame",
        "--no-optimize",
        "--wait",
        "--force",
        "--embed",
        "--out",
    ):
        assert option in doc


# ---------------------------------------------------------------- reuse, force, budget


def test_identical_cell_reuses_and_force_pays_again(ip, sim, capsys):
    before = submits(sim)
    run(ip, "%%hailuo --out a\nthe same owl, twice")
    run(ip, "%%hailuo --out b\nthe same owl, twice")  # in flight: reused
    a, b = ip.user_ns["a"], ip.user_ns["b"]
    assert b.reused and b.id == a.id
    out = capsys.readouterr().out
    assert "reusing the identical generation" in out and "--force" in out
    a.wait(15)
    run(ip, "%%hailuo --out c\nthe same owl, twice")  # finished: reused
    assert ip.user_ns["c"].reused and ip.user_ns["c"].status == "succeeded"
    assert submits(sim) == before + 1
    run(ip, "%%hailuo --force --out d\nthe same owl, twice")
    d = ip.user_ns["d"]
    assert not d.reused and d.id != a.id
    d.wait(15)
    assert submits(sim) == before + 2


def test_budget_refuses_before_sending(ip, sim, capsys, monkeypatch):
    monkeypatch.setenv("HAILUO_BUDGET_USD", str(hailuo_nb.session_spend() + 0.60))
    before = submits(sim)
    run(ip, "%%hailuo --out first\nbudget one")  # pro 1080p: $0.49 estimate
    result = run(ip, "%%hailuo --out second\nbudget two")
    assert isinstance(result.error_in_exec, UsageError)
    err = capsys.readouterr().err
    assert "HAILUO_BUDGET_USD" in err and "Traceback" not in err
    assert "second" not in ip.user_ns
    ip.user_ns["first"].wait(15)
    assert submits(sim) == before + 1


# ---------------------------------------------------------------- waiting


def test_hailuo_wait_env_blocks_every_cell(ip, sim, monkeypatch):
    monkeypatch.setenv("HAILUO_WAIT", "1")
    run(ip, "%%hailuo --out w\na kettle starts to steam")
    assert ip.user_ns["w"].done and ip.user_ns["w"].status == "succeeded"


def test_line_wait_blocks_until_all_end(ip, sim, capsys):
    run(ip, "%%hailuo --out p\nfirst of two")
    run(ip, "%%hailuo --out q\nsecond of two")
    assert hailuo_nb.pending()
    run(ip, "%hailuo wait")
    assert not hailuo_nb.pending()
    assert ip.user_ns["p"].status == ip.user_ns["q"].status == "succeeded"
    assert "2 generation(s) ended: 2 succeeded" in capsys.readouterr().out


def test_line_wait_counts_the_ones_that_ended_before_it(ip, sim, capsys):
    run(ip, "%%hailuo --out p1\nfirst of a pair")
    ip.user_ns["p1"].wait(15)  # one ends while its cell is idle...
    run(ip, "%%hailuo --out p2\nsecond of a pair")
    run(ip, "%hailuo wait")  # ...the other is still in flight
    assert "2 generation(s) ended: 2 succeeded" in capsys.readouterr().out
    run(ip, "%hailuo wait")
    assert "nothing in flight" in capsys.readouterr().out


def test_line_wait_timeout_is_a_usage_line(ip, sim, capsys):
    sim.job_seconds = 5.0
    try:
        run(ip, "%%hailuo --out slow\na slow one")
        result = run(ip, "%hailuo wait --timeout 0.05")
        assert isinstance(result.error_in_exec, UsageError)
        assert "resume" in capsys.readouterr().err
    finally:
        sim.job_seconds = 0.3


# ---------------------------------------------------------------- cancel, resume


def test_cancel_by_task_id_and_all(ip, sim, capsys):
    sim.job_seconds = 5.0
    try:
        run(ip, "%%hailuo --out x\ncancel me by id")
        run(ip, "%%hailuo --out y\ncancel me with the rest")
        x, y = ip.user_ns["x"], ip.user_ns["y"]
        wait_for(lambda: x.task_id, what="a task id")
        run(ip, f"%hailuo cancel {x.task_id}")
        x.wait(5)
        assert x.status == "cancelled" and not y.done
        run(ip, "%hailuo cancel")
        y.wait(5)
        assert y.status == "cancelled"
        assert "cancelling" in capsys.readouterr().out
        result = run(ip, "%hailuo cancel no-such-task")
        assert isinstance(result.error_in_exec, UsageError)
    finally:
        sim.job_seconds = 0.3


def test_resume_by_task_id_downloads_again(ip, sim):
    run(ip, "%%hailuo --wait --out orig\nan origami crane unfolds")
    orig = ip.user_ns["orig"]
    orig.video_path.unlink()
    run(ip, f"%hailuo resume {orig.task_id} --out again --wait")
    again = ip.user_ns["again"]
    assert again.task_id == orig.task_id and again.status == "succeeded"
    assert again.video_path.is_file()


def test_resume_unknown_task_is_a_usage_line(ip, sim, capsys):
    result = run(ip, "%hailuo resume 0000000")
    assert isinstance(result.error_in_exec, UsageError)
    assert "0000000" in capsys.readouterr().err


def test_orphans_from_a_dead_kernel_are_announced_and_resumed(ip, sim, sim_env, monkeypatch, capsys):
    """A separate process submits against the shared simulator, then dies mid-generation."""
    sim.job_seconds = 2.0
    env = {**os.environ, **sim.env("minimax"), "PYTHONPATH": str(ROOT)}
    script = textwrap.dedent(
        """
        import os, time, hailuo_nb
        gen = hailuo_nb.generate("left behind by a dead kernel", wait=False)
        deadline = time.monotonic() + 20
        while not gen.task_id and time.monotonic() < deadline:
            time.sleep(0.01)
        print(gen.task_id, flush=True)
        os._exit(0)
        """
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
        )
    finally:
        sim.job_seconds = 0.3
    task_id = done.stdout.strip()
    assert task_id, done.stderr
    for name, value in sim.env("minimax").items():
        if name != "HAILUO_PROVIDER":
            monkeypatch.setenv(name, value)
    assert [o["task_id"] for o in hailuo_nb.orphans()] == [task_id]

    from hailuo_nb.notebook import load_ipython_extension

    load_ipython_extension(ip)
    out = capsys.readouterr().out
    assert "1 generation were still in flight" in out or "1 generation" in out
    assert "%hailuo resume" in out
    run(ip, "%hailuo resume --wait")
    gen = ip.user_ns["_hailuo"]
    assert gen.task_id == task_id and gen.status == "succeeded", gen.error
    assert not hailuo_nb.orphans()


# ---------------------------------------------------------------- frames


@pytest.fixture
def frame_png(sim_env: Path) -> Path:
    from PIL import Image

    path = sim_env / "frame.png"
    Image.new("RGB", (480, 320), (200, 120, 40)).save(path)
    return path


def test_first_frame_from_a_variable_a_path_and_a_generation(ip, sim, frame_png):
    from PIL import Image

    ip.user_ns["still"] = Image.open(frame_png)
    model = "--model hailuo-02-image-to-video-standard"
    run(ip, f"%%hailuo {model} --first-frame still --out from_var --wait\nthe still comes alive")
    run(ip, f"%%hailuo {model} --first-frame {frame_png} --out from_path --wait\nfrom a file")
    run(ip, f"%%hailuo {model} --first-frame from_path --out chained --wait\ncontinue the clip")
    for name in ("from_var", "from_path", "chained"):
        gen = ip.user_ns[name]
        assert gen.status == "succeeded", (name, gen.error)


# ---------------------------------------------------------------- line magics


def test_models_lists_the_catalog(ip, capsys):
    run(ip, "%hailuo models")
    out = capsys.readouterr().out
    for model in hailuo_nb.models():
        assert model["id"] in out
    assert "$0.49" in out


def test_history_lists_recent_generations(ip, sim, capsys):
    run(ip, "%%hailuo --wait --out h\na history lesson")
    capsys.readouterr()
    run(ip, "%hailuo history -n 5")
    out = capsys.readouterr().out
    assert "a history lesson" in out and ip.user_ns["h"].task_id in out


@pytest.mark.parametrize("line", ["bogus", "history -n x", "models --nope", "resume a b"])
def test_bad_line_commands_are_usage_lines(ip, capsys, line):
    result = run(ip, f"%hailuo {line}")
    assert isinstance(result.error_in_exec, UsageError)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_bare_line_magic_prints_usage(ip, capsys):
    run(ip, "%hailuo")
    assert "models" in capsys.readouterr().out


# ---------------------------------------------------------------- loading


def test_load_ext_names_the_simulator_and_how_to_set_a_key(ip, capsys):
    from hailuo_nb.notebook import load_ipython_extension

    load_ipython_extension(ip)
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    assert "simulator" in out[0] and "MINIMAX_API_KEY" in out[0] and "not with %env" in out[0]


def test_load_ext_names_a_real_provider(ip, sim, capsys, monkeypatch):
    for name, value in sim.env("minimax").items():
        monkeypatch.setenv(name, value)
    from hailuo_nb.notebook import load_ipython_extension

    load_ipython_extension(ip)
    out = capsys.readouterr().out
    assert "minimax" in out and "MINIMAX_API_KEY" in out and sim.api_key not in out


def test_unload_removes_the_magics(ip):
    from hailuo_nb.notebook import load_ipython_extension, unload_ipython_extension

    unload_ipython_extension(ip)
    assert ip.find_cell_magic("hailuo") is None and ip.find_line_magic("hailuo") is None
    load_ipython_extension(ip)
    assert ip.find_cell_magic("hailuo") is not None


# ---------------------------------------------------------------- doctor, export, tables


def _html_outputs(ip: Any, code: str) -> str:
    from IPython.core.displaypub import CapturingDisplayPublisher

    saved, ip.display_pub = ip.display_pub, CapturingDisplayPublisher()
    try:
        run(ip, code)
        return "".join(o["data"].get("text/html", "") for o in ip.display_pub.outputs)
    finally:
        ip.display_pub = saved


def test_models_table_keeps_dollars_out_of_latex_and_matches_models(ip):
    markup = _html_outputs(ip, "%hailuo models")
    assert "$0" not in markup and "<span>$</span>0.49" in markup and "tex2jax_ignore" in markup
    assert markup == hailuo_nb.models()._repr_html_()  # one look, however it is asked for


def test_history_shows_relative_paths_and_does_not_wrap_ids(ip, sim):
    run(ip, "%%hailuo --wait --out hp\na relative path")
    markup = _html_outputs(ip, "%hailuo history -n 1")
    path = ip.user_ns["hp"].video_path
    assert os.path.relpath(path) in markup and str(Path(path).resolve()) not in markup
    assert "white-space:nowrap'>hailuo-02-text-to-video-pro<" in markup


def test_doctor_and_export_magics(ip, sim, capsys, tmp_path):
    assert "frontend" in _html_outputs(ip, "%hailuo doctor")
    run(ip, "%%hailuo --wait --out ex\nexported by a magic")
    run(ip, "%hailuo export page.html")
    out = capsys.readouterr().out
    assert "exported" in out and "page.html" in out
    assert "exported by a magic" in (tmp_path / "page.html").read_text()


def test_a_bad_display_setting_is_one_line_before_anything_is_sent(ip, sim, monkeypatch, capsys):
    before = submits(sim)
    monkeypatch.setenv("HAILUO_OUTPUT_MODE", "inline")
    with pytest.raises(UsageError, match="HAILUO_OUTPUT_MODE='inline'.*auto, file, embed, link"):
        ip.run_cell_magic("hailuo", "--out bad", "a prompt")
    assert submits(sim) == before
