"""Frontend detection, the output form per frontend, doctor() in every mode, export()."""

from __future__ import annotations

import html
import os
import re
from types import SimpleNamespace
from typing import Any

import pytest
from realgen import make_clip, make_gen

import hailuo_nb
from hailuo_nb.notebook import frontend as fe

KERNEL = SimpleNamespace(kernel=object(), user_ns={})


def detect(env: dict[str, str], ip: Any = KERNEL, parent: str = "", monkeypatch: Any = None) -> fe.Frontend:
    monkeypatch.setattr(fe, "parent_command", lambda env=None: parent)
    return fe.detect(ip, env)


@pytest.mark.parametrize(
    ("env", "parent", "name"),
    [
        ({}, "/usr/bin/python3 /usr/local/bin/jupyter-lab --no-browser", "lab"),
        ({}, "python -m jupyterlab --port=8888", "lab"),
        ({}, "/usr/bin/python3 /usr/local/bin/jupyter-notebook", "notebook"),
        ({"VSCODE_PID": "42", "VSCODE_CWD": "/x"}, "/usr/share/code/code --type=utility", "vscode"),
        ({"VSCODE_IPC_HOOK_CLI": "/tmp/s"}, "python -m jupyterlab", "lab"),  # Lab started in VS Code's terminal
        ({}, "python -m pytest tests", "headless"),
        ({}, "/usr/bin/python3 /usr/local/bin/jupyter-nbconvert --execute x.ipynb", "headless"),
        ({"PAPERMILL_INPUT_PATH": "in.ipynb"}, "python run.py", "headless"),
        ({"JPY_SESSION_NAME": "/n/x.ipynb"}, "", "lab"),
        ({"HAILUO_FRONTEND": "colab"}, "python -m jupyterlab", "colab"),
    ],
)
def test_detection_and_its_reason(env, parent, name, monkeypatch):
    found = detect(env, parent=parent, monkeypatch=monkeypatch)
    assert found.name == name
    assert found.reason  # always said why


def test_no_kernel_is_the_terminal_and_vscode_namespace_hint(monkeypatch):
    assert detect({}, ip=None, monkeypatch=monkeypatch).name == "terminal"
    ip = SimpleNamespace(kernel=object(), user_ns={"__vsc_ipynb_file__": "/x.ipynb"})
    assert detect({}, ip=ip, parent="python -m jupyterlab", monkeypatch=monkeypatch).name == "vscode"


def test_binder_is_lab_with_a_note(monkeypatch):
    found = detect({"BINDER_REPO_URL": "https://github.com/o/r"}, parent="jupyter-lab", monkeypatch=monkeypatch)
    assert found.name == "lab" and found.binder and "Binder" in found.label


def test_colab_is_detected_by_its_module(monkeypatch):
    monkeypatch.setattr(fe, "_colab_importable", lambda: True)
    assert detect({}, parent="python -m jupyterlab", monkeypatch=monkeypatch).name == "colab"
    assert fe.status_updates(fe.Frontend("colab", "")) == "poll"
    assert fe.status_updates(fe.Frontend("lab", "")) == "push"


def test_bad_settings_name_field_value_and_choices():
    with pytest.raises(hailuo_nb.ValidationError, match="HAILUO_FRONTEND='jupyter'.*lab, notebook, vscode"):
        fe.detect(KERNEL, {"HAILUO_FRONTEND": "jupyter"})
    with pytest.raises(hailuo_nb.ValidationError, match="HAILUO_EMBED_MAX_MB"):
        fe.embed_max_bytes({"HAILUO_EMBED_MAX_MB": "lots"})
    with pytest.raises(hailuo_nb.ValidationError, match="HAILUO_STATUS_UPDATES"):
        fe.status_updates(fe.Frontend("lab", ""), {"HAILUO_STATUS_UPDATES": "sometimes"})


@pytest.mark.parametrize(("name", "mode"), [("lab", "file"), ("notebook", "file"), ("headless", "file"),
                                            ("terminal", "file"), ("vscode", "embed"), ("colab", "embed")])
def test_auto_output_form_per_frontend(name, mode):
    form = fe.output_form(fe.Frontend(name, ""), {})
    assert form.mode == mode and form.embed_max_bytes == 20 * 2**20
    assert fe.output_form(fe.Frontend(name, ""), {"HAILUO_OUTPUT_MODE": "link"}).mode == "link"


@pytest.mark.parametrize("name", fe.FRONTENDS)
@pytest.mark.parametrize("mode", fe.OUTPUT_MODES)
def test_doctor_runs_in_every_mode(name, mode, monkeypatch):
    monkeypatch.setenv("HAILUO_FRONTEND", name)
    monkeypatch.setenv("HAILUO_OUTPUT_MODE", mode)
    report = hailuo_nb.doctor()
    rows = dict(report.rows)
    assert rows["frontend"].startswith(f"{name}:") and "HAILUO_FRONTEND" in rows["frontend"]
    assert rows["output form"].split(":")[0] in fe.OUTPUT_MODES
    assert {"provider", "key variable", "journal folder", "output folder", "live status"} <= set(rows)
    assert str(report) and report._repr_html_()


def test_doctor_names_the_key_variable_never_the_key(monkeypatch):
    monkeypatch.setenv("HAILUO_PROVIDER", "runapi")
    monkeypatch.setenv("RUNAPI_API_KEY", "sk-secret-value-123")
    report = hailuo_nb.doctor()
    assert dict(report.rows)["key variable"] == "RUNAPI_API_KEY (set)"
    assert "sk-secret" not in str(report) + report._repr_html_() + repr(report.to_dict())
    monkeypatch.delenv("RUNAPI_API_KEY")
    assert any("RUNAPI_API_KEY is not set" in p for p in hailuo_nb.doctor().problems)


def test_doctor_reports_a_bad_setting_instead_of_failing(monkeypatch):
    monkeypatch.setenv("HAILUO_FRONTEND", "jupyter")
    report = hailuo_nb.doctor()
    assert any("HAILUO_FRONTEND" in p for p in report.problems)
    assert dict(report.rows)["frontend"]


def test_vscode_doctor_speaks_of_sound(monkeypatch):
    monkeypatch.setenv("HAILUO_FRONTEND", "vscode")
    assert any("AAC" in p for p in hailuo_nb.doctor().problems)


# ---------------------------------------------------------------- export


def _videos(page: str) -> list[str]:
    return [html.unescape(s) for s in re.findall(r'<video [^>]*src="([^"]+)"', page)]


def test_export_inlines_every_clip_with_poster_caption_model_cost(tmp_path):
    gens = [make_gen(prompt=f"clip {i} costs $1", status="succeeded",
                     video=make_clip(tmp_path / "v" / f"{i}.mp4", audio=i == 1)) for i in range(2)]
    failed = make_gen(prompt="a refused one", status="failed")
    page = hailuo_nb.export(tmp_path / "out" / "page.html", [*gens, failed])
    assert os.fspath(page) == str(tmp_path / "out" / "page.html") and page.clips == 2 and page.folder is None
    text = page.path.read_text()
    assert [s[:22] for s in _videos(text)] == ["data:video/mp4;base64,"] * 2
    assert text.count('poster="data:image/jpeg;base64,') == 2
    assert "clip 0 costs $1" in text and "hailuo-02-text-to-video-pro" in text and "$0.49 est." in text
    assert "a refused one" in text and "Not on this page" in text
    assert "http" not in text.replace("http-equiv", "")  # nothing to fetch


def test_export_above_the_cap_writes_a_folder_beside_the_page(tmp_path):
    gens = [make_gen(status="succeeded", video=make_clip(tmp_path / f"{i}.mp4")) for i in range(2)]
    page = hailuo_nb.export(tmp_path / "big.html", gens, inline_max_mb=0.001)
    assert page.folder == tmp_path / "big_files" and len(list(page.folder.iterdir())) == 2
    sources = _videos(page.path.read_text())
    assert all(s.startswith("big_files/") and (tmp_path / s).is_file() for s in sources)


def test_export_takes_a_storyboard_duck(tmp_path):
    shots = [make_gen(status="succeeded", video=make_clip(tmp_path / f"s{i}.mp4")) for i in range(2)]
    board = SimpleNamespace(film=make_clip(tmp_path / "film.mp4"), shots=shots)
    page = hailuo_nb.export(tmp_path / "board.html", [board])
    text = page.path.read_text()
    assert page.clips == 3 and "Storyboard" in text and "Shot 2" in text


def test_export_refuses_a_non_html_path(tmp_path):
    with pytest.raises(hailuo_nb.ValidationError, match="path"):
        hailuo_nb.export(tmp_path / "page.pdf", [])
