"""The Binder environment, built from ``binder/`` alone, runs every demo notebook.

What repo2docker does, minus Docker: copy the repository, make a fresh virtual environment
(no system site-packages), ``pip install -r binder/requirements.txt`` from the repository
root, run ``binder/postBuild`` if there is one; then this test executes the notebooks with
that environment's own ``jupyter nbconvert`` and kernel, and checks that the JupyterLab
extensions the widgets need (anywidget, @jupyter-widgets) came with the install.

Slow (about a minute with a warm pip cache): it installs JupyterLab and its dependencies.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import nbformat
import pytest
from notebook_checks import EXPECTED, NAMES, ROOT, check_executed, check_videos, kernel_env

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

#: Prints the kernel's interpreter and where hailuo_nb was imported from.
_PROBE = "import sys, hailuo_nb\nprint('prefix=' + sys.prefix)\nprint('module=' + hailuo_nb.__file__)"


#: Left out when there is no git to ask (a source archive): what .gitignore leaves out.
_NOT_IN_A_CLONE = shutil.ignore_patterns(
    ".*", "__pycache__", "*.egg-info", "build", "dist", "hailuo_videos", "test-artifacts"
)


def _copy_repository(dest: Path) -> None:
    """The files a clone would have (tracked, plus new files not ignored), as repo2docker sees them."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        shutil.copytree(ROOT, dest, ignore=_NOT_IN_A_CLONE)
        return
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for rel in filter(None, listed.split("\0")):
        source = ROOT / rel
        if source.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / rel)


def _run(cmd: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    """Run ``cmd``; its stdout and stderr together (``jupyter labextension list`` uses stderr)."""
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{' '.join(cmd)} failed:\n{output[-6000:]}"
    return output


def _nbconvert(jupyter: str, names: list[str], out: Path, cwd: Path, env: dict[str, str]) -> str:
    """Execute ``names`` (in ``cwd``, one after the other) with the environment's ``jupyter nbconvert``."""
    return _run(
        [
            jupyter,
            "nbconvert",
            "--to",
            "notebook",
            "--execute",
            "--ExecutePreprocessor.timeout=180",
            "--output-dir",
            str(out),
            *names,
        ],
        cwd=cwd,
        env=env,
    )


@pytest.fixture(scope="module")
def binder_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("binder")
    repo, venv = base / "repo", base / "venv"
    _copy_repository(repo)
    assert (repo / "binder" / "requirements.txt").is_file()

    started = time.perf_counter()
    _run([sys.executable, "-m", "venv", str(venv)])
    cfg = (venv / "pyvenv.cfg").read_text()
    assert re.search(r"include-system-site-packages\s*=\s*false", cfg), cfg
    bindir = venv / "bin"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "JUPYTER_PATH")}
    env.update(
        PATH=f"{bindir}{os.pathsep}{env.get('PATH', '')}",
        VIRTUAL_ENV=str(venv),
        # Nothing from the developer's own Jupyter folders (kernelspecs, extensions, settings).
        JUPYTER_DATA_DIR=str(base / "jupyter-data"),
        JUPYTER_CONFIG_DIR=str(base / "jupyter-config"),
        JUPYTER_RUNTIME_DIR=str(base / "jupyter-runtime"),
    )
    # As repo2docker: from the repository root. pip's cache is used (repo2docker passes
    # --no-cache-dir only to keep the image small).
    _run([str(bindir / "python"), "-m", "pip", "install", "-r", "binder/requirements.txt"], cwd=repo, env=env)
    post_build = repo / "binder" / "postBuild"
    if post_build.exists():
        _run(["bash", str(post_build)], cwd=repo, env=env)
    print(f"\nbinder environment built in {time.perf_counter() - started:.0f} s")
    return {"base": base, "repo": repo, "venv": venv, "env": env}


def test_widget_lab_extensions_come_with_the_install(binder_env: dict[str, Any]) -> None:
    venv = binder_env["venv"]
    labext = venv / "share" / "jupyter" / "labextensions"
    assert (labext / "anywidget" / "package.json").is_file()
    assert (labext / "@jupyter-widgets" / "jupyterlab-manager" / "package.json").is_file()
    listing = _run([str(venv / "bin" / "jupyter"), "labextension", "list"], env=binder_env["env"])
    plain = re.sub(r"\x1b\[[0-9;]*m", "", listing)
    for name in ("anywidget", "@jupyter-widgets/jupyterlab-manager"):
        assert re.search(rf"{re.escape(name)} v\S+ enabled OK", plain), plain


def test_notebooks_run_in_the_binder_environment(binder_env: dict[str, Any]) -> None:
    base, repo, venv = binder_env["base"], binder_env["repo"], binder_env["venv"]
    work = base / "run"
    shutil.copytree(repo / "notebooks", work)
    probe = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(_PROBE)])
    probe.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(probe, work / "zz-probe.ipynb")
    videos = work / "hailuo_videos"
    env = kernel_env(binder_env["env"], home=base / "home", videos=videos)

    started = time.perf_counter()
    # Two nbconvert calls side by side, three notebooks each (the probe with one of them): the
    # machine's two cores, and each call's Jupyter start-up (~4 s of imports) paid only twice.
    jupyter = str(venv / "bin" / "jupyter")
    (base / "executed").mkdir()
    halves = [[*NAMES[0::2], "zz-probe.ipynb"], NAMES[1::2]]
    with ThreadPoolExecutor(max_workers=len(halves)) as pool:
        runs = [pool.submit(_nbconvert, jupyter, names, base / "executed", work, env) for names in halves]
    failed = [str(run.exception()) for run in runs if run.exception() is not None]
    assert not failed, "\n\n".join(failed)
    print(f"\nnotebooks executed in the binder environment in {time.perf_counter() - started:.0f} s")

    probe_out = nbformat.read(base / "executed" / "zz-probe.ipynb", as_version=4)
    printed = probe_out.cells[0].outputs[0]["text"]
    assert f"prefix={venv}" in printed, printed  # the venv's own kernel, not the developer's
    assert str(venv) in printed.split("module=")[1], printed  # and its installed hailuo_nb
    for name in NAMES:
        check_executed(nbformat.read(base / "executed" / name, as_version=4), name, work)
    check_videos(videos, sum(e.files for e in EXPECTED.values()))
