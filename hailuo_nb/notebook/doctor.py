"""``hailuo_nb.doctor()``: what this kernel will do, and what will not work here.

One place that says which frontend was detected and why, how finished videos are saved
for it, how the live status stays current, which provider and key *variable* are used
(never the key), where the journal and the videos go, and every known limitation of
this setup, in words. ``%hailuo doctor`` shows the same report.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hailuo_nb.errors import HailuoError
from hailuo_nb.notebook import frontend as fe


@dataclass
class Report:
    """The findings: (topic, what) rows plus the things that will not work here."""

    rows: list[tuple[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"rows": [list(r) for r in self.rows], "problems": list(self.problems)}

    def __str__(self) -> str:
        width = max((len(k) for k, _ in self.rows), default=0)
        lines = [f"{k.ljust(width)}  {v}" for k, v in self.rows]
        lines.append("will not work here:" if self.problems else "nothing known that will not work here")
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))

    def _repr_html_(self) -> str:
        from hailuo_nb.notebook.bundles import NO_MATH, text

        rows = "".join(
            f"<tr><th style='text-align:left;white-space:nowrap;padding-right:1em'>{text(k)}</th>"
            f"<td style='text-align:left'>{text(v)}</td></tr>" for k, v in self.rows
        )
        items = "".join(f"<li>{text(p)}</li>" for p in self.problems) or "<li>nothing known</li>"
        return (f"<div class='hailuo-doctor {NO_MATH}'><table>{rows}</table>"
                f"<p style='margin:.5em 0 0'><strong>Will not work here:</strong></p><ul>{items}</ul></div>")


def doctor() -> Report:
    """Check this environment: frontend, output form, provider, key variable, folders.

    Examples:
        >>> print(hailuo_nb.doctor())          # doctest: +SKIP
        frontend        JupyterLab (the kernel was started by `python -m jupyterlab …`)
        ...
    """
    report = Report()
    where = _frontend(report)
    _output(report, where)
    _provider(report)
    _folders(report, where)
    return report


def _frontend(report: Report) -> fe.Frontend:
    try:
        where = fe.detect()
    except HailuoError as exc:
        report.problems.append(f"{exc.message}; detection is used instead")
        where = fe.detect(env={k: v for k, v in os.environ.items() if k != "HAILUO_FRONTEND"})
    report.rows.append(("frontend", f"{where.name}: {where.label} ({where.reason})"))
    limits = {
        fe.TERMINAL: "no widgets: progress is printed as text and a finished video is shown as its path.",
        fe.HEADLESS: "the runner stops the kernel after the last cell and keeps only output that "
        "arrives while its cell runs: set HAILUO_WAIT=1 or end the notebook with %hailuo wait.",
        fe.VSCODE: "VS Code renders a widget only once it is scrolled into view (vscode-jupyter "
        "#17132); the finished video arrives as an ordinary output either way.",
        fe.COLAB: "Colab drops widget updates sent from background threads (colabtools #3373): the "
        "status widget asks the kernel every second instead, and stands still while another "
        "cell runs blocking code.",
    }
    if where.name in limits and not (where.name == fe.HEADLESS and os.environ.get("HAILUO_WAIT") == "1"):
        report.problems.append(limits[where.name])
    return where


def _output(report: Report, where: fe.Frontend) -> None:
    try:
        form = fe.output_form(where)
        report.rows.append(("output form", f"{form.mode}: {form.reason}"))
    except HailuoError as exc:
        report.problems.append(exc.message)
    try:
        updates = fe.status_updates(where)
        why = ("the page asks the kernel every second" if updates == fe.POLL
               else "the kernel sends each change as it happens")
        report.rows.append(("live status", f"{updates}: {why}"))
    except HailuoError as exc:
        report.problems.append(exc.message)
    if where.name != fe.VSCODE:
        return
    from hailuo_nb import videofile

    try:
        wanted = fe.vscode_audio()
    except HailuoError as exc:
        report.problems.append(exc.message)
        return
    if wanted == "opus" and videofile.opus_available():
        report.rows.append(("VS Code sound", "AAC sound is re-encoded to Opus (HAILUO_VSCODE_AUDIO=opus)"))
    elif wanted == "opus":
        report.problems.append("HAILUO_VSCODE_AUDIO=opus, but this PyAV build cannot encode Opus: "
                               "clips with sound play silently in VS Code.")
    else:
        report.problems.append("VS Code cannot play AAC sound: clips with sound (H3) play silently "
                               "here; set HAILUO_VSCODE_AUDIO=opus to re-encode their sound to Opus.")


def _provider(report: Report) -> None:
    from hailuo_nb.api import provider_info
    from hailuo_nb.gateway.secrets import read_key

    try:
        info = provider_info()
    except HailuoError as exc:
        report.problems.append(exc.message)
        return
    if info["simulated"]:
        report.rows.append(("provider", "sim: the offline simulator (placeholder clips, nothing charged)"))
        report.rows.append(("key variable", "none needed; set MINIMAX_API_KEY (or another provider's) "
                                            "for real videos"))
        return
    report.rows.append(("provider", f"{info['name']} at {info['base_url']}"))
    variable = info["key_variable"]
    found = bool(read_key(variable)) if variable else False  # the value is never kept or shown
    report.rows.append(("key variable", f"{variable} ({'set' if found else 'NOT set'})"))
    if not found:
        report.problems.append(f"{variable} is not set: every request to {info['name']} will be refused.")


def _folders(report: Report, where: fe.Frontend) -> None:
    from hailuo_nb.gateway import config
    from hailuo_nb.notebook.bundles import display_path

    home = config.home_dir()
    videos = Path(os.path.abspath(config.output_dir()))
    report.rows.append(("journal folder", display_path(home) + _writable(home, report, "journal")))
    report.rows.append(("output folder", display_path(videos) + _writable(videos, report, "output")))
    inside = videos.is_relative_to(Path.cwd().resolve()) or videos.is_relative_to(Path(os.path.abspath(".")))
    try:
        mode = fe.output_form(where).mode
    except HailuoError:
        return
    if mode == fe.FILE and not inside:
        report.problems.append("the output folder is outside the notebook's folder, so no relative "
                               "<video src> reaches it: videos are embedded up to the cap instead.")


def _writable(folder: Path, report: Report, what: str) -> str:
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if probe.is_dir() and os.access(probe, os.W_OK | os.X_OK):
        return "" if folder.exists() else " (created on first use)"
    report.problems.append(f"the {what} folder {folder} cannot be written "
                           f"({probe} is not a writable folder).")
    return " (NOT writable)"
