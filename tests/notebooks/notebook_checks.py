"""What an executed demo notebook must show, shared by the nbclient and the Binder tests.

Headless runs keep only output produced while its own cell runs (browser-testing.md), so
the notebooks print checkable values and these checks read those prints, the ``<video>``
elements of the HTML outputs, and the video files, never saved widget state.
"""

from __future__ import annotations

import html
import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import nbformat

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"

from hailuo_nb.gateway.secrets import KEY_VARIABLES  # noqa: E402

#: Settings a developer's shell may carry that would change what the notebooks do.
SETTINGS = (
    "HAILUO_PROVIDER",
    "HAILUO_BUDGET_USD",
    "HAILUO_POLL_INTERVAL",
    *(name.replace("_API_KEY", "_BASE_URL") for name in KEY_VARIABLES),
)


@dataclass(frozen=True)
class Expected:
    """Lines a notebook must print, <video> outputs it shows and MP4 files it downloads (at least)."""

    prints: tuple[str, ...]
    videos: int
    files: int


EXPECTED = {
    "01-quickstart.ipynb": Expected(
        prints=(
            "using the offline simulator",
            "status: succeeded",
            "video on disk: True",
            "estimated price: $0.49",
            "provider: sim | simulated: True",
            "fox: succeeded, video on disk: True",
            "swimmer: succeeded, video on disk: True",
            "exported 2 clips to quickstart-videos.html",
        ),
        videos=2,
        files=2,
    ),
    "02-prompt-exploration.ipynb": Expected(
        prints=(
            "form generations: 1",
            "boat: succeeded | hailuo-02-text-to-video-standard | video on disk: True",
            "4 generations in",
            "grid succeeded: 4 of 4",
            "distinct videos on disk: 4",
        ),
        videos=4,
        files=5,
    ),
    "03-image-to-video.ipynb": Expected(
        prints=(
            "last frame of sunrise:",
            "refused before sending: first_frame",
            "sunrise: succeeded, video on disk: True",
            "day: succeeded, video on disk: True",
            "later: succeeded, video on disk: True",
        ),
        videos=3,
        files=3,
    ),
    "04-python-api.ipynb": Expected(
        prints=(
            "'simulated': True",
            "15 models",
            "exists: True",
            "duration=10",
            "batch statuses: ['succeeded']",
            "job: succeeded",
            "resumed: succeeded | same video: True",
            "this session: $",
            "generations: 6",
            "succeeded: 6",
            "videos on disk: 6",
            "in the journal: 6",
        ),
        videos=1,
        files=6,
    ),
    "05-h3-with-sound.ipynb": Expected(
        prints=(
            "fox: succeeded | with sound: True | streams: 1 video, 1 audio",
            "frames: succeeded | with sound: True | duration: 6 s",
            "references: succeeded | ['image', 'video', 'audio']",
            "enhanced prompt: ",
            "cancelled: cancelled | cancelled at the gateway, free of charge",
        ),
        videos=2,
        files=3,
    ),
    "06-storyboard.ipynb": Expected(
        prints=(
            "board: done",
            "film seconds: 24.0 | shots: 24.0",
            "to make again: [3, 4]",
            "picks: {'a paper boat on a pond': 'hailuo-2.3-text-to-video-standard',",
            "final: succeeded hailuo-02-text-to-video-pro 1080p",
        ),
        videos=1,
        files=9,
    ),
}

NAMES = sorted(EXPECTED)
_VIDEO_SRC = re.compile(r"<video\b[^>]*?\bsrc=\"([^\"]*)\"", re.IGNORECASE)


def kernel_env(base: dict[str, str], *, home: Path, videos: Path, sim_seconds: str = "0.5") -> dict[str, str]:
    """The environment a headless run gets: waiting mode, a fast simulator, no keys."""
    env = {k: v for k, v in base.items() if k not in KEY_VARIABLES and k not in SETTINGS}
    env.update(
        HAILUO_WAIT="1",
        HAILUO_SIM_SECONDS=sim_seconds,
        HAILUO_HOME=str(home),
        HAILUO_OUTPUT_DIR=str(videos),
    )
    return env


def stdout_text(nb: nbformat.NotebookNode) -> str:
    return "".join(
        out.get("text", "")
        for cell in nb.cells
        for out in cell.get("outputs", [])
        if out.get("output_type") == "stream" and out.get("name") == "stdout"
    )


def problems(nb: nbformat.NotebookNode) -> list[str]:
    """Error outputs and anything written to stderr."""
    found = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                found.append(f"{out.get('ename')}: {out.get('evalue')} in cell {cell.get('id')}")
            elif out.get("output_type") == "stream" and out.get("name") == "stderr":
                found.append(f"stderr in cell {cell.get('id')}: {out.get('text', '')[:500]}")
    return found


def video_sources(nb: nbformat.NotebookNode) -> list[str]:
    sources = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            markup = out.get("data", {}).get("text/html", "")
            if isinstance(markup, list):
                markup = "".join(markup)
            sources += [html.unescape(src) for src in _VIDEO_SRC.findall(markup)]
    return sources


#: "a otter": an article that does not fit the word a {placeholder} filled in.
_WRONG_ARTICLE = re.compile(r"\b[Aa] (?!one\b|eu|uni|use)[aeioAEIO]\w*")
_CAPTION_PROMPT = re.compile(r"<figcaption[^>]*><span>(.*?)</span>", re.S)


def prompts(nb: nbformat.NotebookNode) -> list[str]:
    """The prompts shown in the video captions (as sent, after {name} was filled in)."""
    found = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            markup = out.get("data", {}).get("text/html", "")
            found += [html.unescape(p) for p in _CAPTION_PROMPT.findall("".join(markup))]
    return found


def check_executed(nb: nbformat.NotebookNode, name: str, workdir: Path) -> None:
    """Assert that notebook ``name``, executed in ``workdir``, did what it says."""
    expected = EXPECTED[name]
    assert problems(nb) == [], f"{name}: {problems(nb)}"
    text = stdout_text(nb)
    for line in expected.prints:
        assert line in text, f"{name}: {line!r} not printed; it printed:\n{text}"
    sources = video_sources(nb)
    assert len(sources) >= expected.videos, f"{name}: <video> outputs {sources}"
    assert prompts(nb), f"{name}: no video caption shows its prompt"
    for prompt in prompts(nb):
        assert not _WRONG_ARTICLE.search(prompt), f"{name}: a prompt reads {prompt!r}"
    for src in sources:
        if src.startswith("data:video/mp4;base64,"):
            continue
        # Played by a path relative to the notebook's folder, as JupyterLab resolves it.
        assert "://" not in src and not os.path.isabs(src), f"{name}: video src {src!r}"
        assert (workdir / unquote(src)).is_file(), f"{name}: video src {src!r} is not a file in {workdir}"


def check_videos(folder: Path, at_least: int) -> list[Path]:
    """At least ``at_least`` MP4 files (by signature) in ``folder``."""
    files = sorted(folder.glob("*.mp4"))
    assert len(files) >= at_least, f"{len(files)} videos in {folder}, expected at least {at_least}"
    for path in files:
        head = path.read_bytes()[:12]
        assert head[4:8] == b"ftyp", f"{path.name} is not an MP4"
    return files
