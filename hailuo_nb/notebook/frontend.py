"""Which frontend shows this kernel's output, and what that means for videos (docs/design.md §8).

A kernel cannot ask the page what it is, so detection reads the traces each frontend
really leaves in the kernel's process: VS Code's ``VSCODE_*`` variables and the
``__vsc_ipynb_file__`` name it puts in the namespace, an importable ``google.colab``, the
``JPY_SESSION_NAME`` a Jupyter server gives its kernels, and the command line of the
process that started the kernel (``jupyter-lab``, ``jupyter-notebook``, or a Python
running nbclient / nbconvert / papermill / pytest: a headless run). ``HAILUO_FRONTEND``
overrides all of it. Every decision carries its reason, which :func:`hailuo_nb.doctor`
shows.

Nothing here imports Jupyter: the export page and ``doctor()`` work from scripts too.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hailuo_nb.errors import ValidationError

LAB, NOTEBOOK, VSCODE, COLAB = "lab", "notebook", "vscode", "colab"
TERMINAL, HEADLESS = "terminal", "headless"
FRONTENDS = (LAB, NOTEBOOK, VSCODE, COLAB, TERMINAL, HEADLESS)
#: Frontends whose server has a ``files/`` route: a relative ``<video src>`` plays there.
SERVES_FILES = frozenset({LAB, NOTEBOOK, HEADLESS, TERMINAL})
#: Frontends where a worker thread's widget update does not reach the page (colabtools #3373).
NO_THREAD_PUSH = frozenset({COLAB})

AUTO, FILE, EMBED, LINK = "auto", "file", "embed", "link"
OUTPUT_MODES = (AUTO, FILE, EMBED, LINK)
PUSH, POLL = "push", "poll"
STATUS_UPDATES = (AUTO, PUSH, POLL)
DEFAULT_EMBED_MAX_MB = 20.0

_VSCODE_VARS = ("VSCODE_PID", "VSCODE_CWD", "VSCODE_IPC_HOOK_CLI")
_HEADLESS_RUNNERS = ("nbclient", "nbconvert", "papermill", "nbmake", "pytest", "jupyter-execute",
                     "jupyter execute", "testbook", "ploomber")
_LAB_SERVERS = ("jupyter-lab", "jupyterlab", "jupyter lab", "jupyter_lab")
_NOTEBOOK_SERVERS = ("jupyter-notebook", "jupyter notebook", "-m notebook", "notebook.app", "nbclassic")
_BINDER_VARS = ("BINDER_LAUNCH_HOST", "BINDER_REPO_URL", "BINDER_REQUEST", "BINDER_PERSISTENT_REQUEST")


@dataclass(frozen=True)
class Frontend:
    """A detected (or forced) frontend and why it was chosen."""

    name: str
    reason: str
    binder: bool = False

    @property
    def label(self) -> str:
        names = {LAB: "JupyterLab", NOTEBOOK: "Jupyter Notebook 7", VSCODE: "VS Code", COLAB: "Google Colab",
                 TERMINAL: "terminal IPython / script", HEADLESS: "headless run (nbclient, papermill, …)"}
        return names[self.name] + (" on Binder" if self.binder else "")


@dataclass(frozen=True)
class OutputForm:
    """How a finished video is saved in the notebook here, and why."""

    mode: str
    reason: str
    embed_max_bytes: int


def detect(ip: Any = None, env: Mapping[str, str] | None = None) -> Frontend:
    """The frontend showing this kernel's output (``HAILUO_FRONTEND`` wins)."""
    env = os.environ if env is None else env
    forced = env.get("HAILUO_FRONTEND", "").strip().lower()
    binder = any(env.get(name) for name in _BINDER_VARS)
    if forced:
        if forced not in FRONTENDS:
            raise ValidationError("HAILUO_FRONTEND", forced, FRONTENDS)
        return Frontend(forced, f"HAILUO_FRONTEND={forced} (detection overridden)", binder)
    if ip is None:
        ip = _ipython()
    if ip is None or getattr(ip, "kernel", None) is None:
        what = "an IPython shell without a kernel" if ip is not None else "no IPython shell"
        return Frontend(TERMINAL, f"{what}: no notebook frontend can show widgets", binder)
    if _colab_importable():
        return Frontend(COLAB, "google.colab is importable in the kernel", binder)
    parent = parent_command(env)
    server = _jupyter_server(parent)
    vscode_vars = [name for name in _VSCODE_VARS if env.get(name)]
    if "__vsc_ipynb_file__" in getattr(ip, "user_ns", {}):
        return Frontend(VSCODE, "VS Code set __vsc_ipynb_file__ in the kernel's namespace", binder)
    if vscode_vars and server is None:
        return Frontend(VSCODE, f"{', '.join(vscode_vars)} in the kernel's environment", binder)
    if server is not None:
        where = " (Binder)" if binder else ""
        return Frontend(server, f"the kernel was started by {_short(parent)}{where}", binder)
    if env.get("PAPERMILL_INPUT_PATH") or env.get("PAPERMILL_OUTPUT_PATH") or any(
        word in parent.lower() for word in _HEADLESS_RUNNERS
    ):
        return Frontend(HEADLESS, f"the kernel was started by {_short(parent)}, a headless runner", binder)
    if env.get("JPY_SESSION_NAME"):
        return Frontend(LAB, "JPY_SESSION_NAME is set (a Jupyter server started the kernel); "
                        "assuming JupyterLab", binder)
    if parent:
        return Frontend(HEADLESS, f"the kernel was started by {_short(parent)}, which is no known "
                        "notebook frontend: treating it as a headless run", binder)
    return Frontend(LAB, "a kernel with no other hint: assuming JupyterLab", binder)


def output_form(frontend: Frontend, env: Mapping[str, str] | None = None) -> OutputForm:
    """``HAILUO_OUTPUT_MODE`` resolved for ``frontend`` (``auto``: what plays there)."""
    env = os.environ if env is None else env
    cap = embed_max_bytes(env)
    mode = env.get("HAILUO_OUTPUT_MODE", "").strip().lower() or AUTO
    if mode not in OUTPUT_MODES:
        raise ValidationError("HAILUO_OUTPUT_MODE", mode, OUTPUT_MODES)
    if mode != AUTO:
        return OutputForm(mode, f"HAILUO_OUTPUT_MODE={mode}", cap)
    if frontend.name == TERMINAL:
        return OutputForm(FILE, "a terminal shows the video's path; a notebook output names it "
                          "relatively", cap)
    if frontend.name == HEADLESS:
        return OutputForm(FILE, "a relative <video src>: it plays where the notebook is opened beside "
                          "its video folder (hailuo_nb.export() makes a page that travels alone)", cap)
    if frontend.name in SERVES_FILES:
        return OutputForm(FILE, f"{frontend.label} serves the notebook's folder: a relative <video src>", cap)
    return OutputForm(
        EMBED, f"{frontend.label} has no files/ route: the bytes go into the notebook up to "
        f"{cap / 2**20:g} MiB (HAILUO_EMBED_MAX_MB), a poster and a link above that", cap)


def embed_max_bytes(env: Mapping[str, str] | None = None) -> int:
    """The embedding cap in bytes (``HAILUO_EMBED_MAX_MB``, default 20 MiB)."""
    env = os.environ if env is None else env
    raw = env.get("HAILUO_EMBED_MAX_MB", "").strip()
    if not raw:
        return int(DEFAULT_EMBED_MAX_MB * 2**20)
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise ValidationError("HAILUO_EMBED_MAX_MB", raw, "a size in MiB, e.g. 20")
    return int(value * 2**20)


def status_updates(frontend: Frontend, env: Mapping[str, str] | None = None) -> str:
    """``push`` (the kernel sends each change) or ``poll`` (the page asks on a timer).

    ``HAILUO_STATUS_UPDATES`` overrides; ``auto`` polls where thread pushes get lost.
    """
    env = os.environ if env is None else env
    value = env.get("HAILUO_STATUS_UPDATES", "").strip().lower() or AUTO
    if value not in STATUS_UPDATES:
        raise ValidationError("HAILUO_STATUS_UPDATES", value, STATUS_UPDATES)
    if value != AUTO:
        return value
    return POLL if frontend.name in NO_THREAD_PUSH else PUSH


def vscode_audio(env: Mapping[str, str] | None = None) -> str:
    """``opus`` when the user asked to re-encode sound for VS Code (``HAILUO_VSCODE_AUDIO``), else ''."""
    env = os.environ if env is None else env
    value = env.get("HAILUO_VSCODE_AUDIO", "").strip().lower()
    if value not in ("", "opus", "off"):
        raise ValidationError("HAILUO_VSCODE_AUDIO", value, ("opus", "off"))
    return "opus" if value == "opus" else ""


def parent_command(env: Mapping[str, str] | None = None) -> str:
    """The command line of the process that started this kernel ('' when unknown)."""
    env = os.environ if env is None else env
    try:
        pid = int(env.get("JPY_PARENT_PID") or 0) or os.getppid()
    except ValueError:
        pid = os.getppid()
    return _command_of(pid)


@functools.lru_cache(maxsize=8)
def _command_of(pid: int) -> str:
    proc = f"/proc/{pid}/cmdline"
    if os.path.exists(proc):
        try:
            with open(proc, "rb") as handle:
                return handle.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
        except OSError:
            return ""
    if sys.platform == "win32":  # pragma: no cover - no cheap way without psutil
        return ""
    try:  # macOS, BSD
        done = subprocess.run(["ps", "-o", "command=", "-p", str(pid)], capture_output=True, text=True,
                              timeout=2, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip()


def _jupyter_server(command: str) -> str | None:
    text = command.lower()
    if any(word in text for word in _LAB_SERVERS):
        return LAB
    if any(word in text for word in _NOTEBOOK_SERVERS):
        return NOTEBOOK
    if "jupyter-server" in text or "jupyter_server" in text or "jupyter server" in text:
        return LAB
    return None


@functools.lru_cache(maxsize=1)
def _colab_importable() -> bool:
    if "google.colab" in sys.modules:
        return True
    try:
        return importlib.util.find_spec("google.colab") is not None
    except (ImportError, ValueError):
        return False


def _short(command: str, limit: int = 80) -> str:
    flat = " ".join(command.split()) or "an unknown process"
    return f"`{flat if len(flat) <= limit else flat[: limit - 1] + '…'}`"


def _ipython() -> Any:
    if "IPython" not in sys.modules:  # never import IPython just to find out there is none
        return None
    from IPython.core.getipython import get_ipython

    return get_ipython()  # type: ignore[no-untyped-call]
