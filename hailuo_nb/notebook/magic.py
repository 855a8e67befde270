"""The ``%%hailuo`` cell magic and the ``%hailuo <command>`` line magics (docs/design.md §6).

Parsing is IPython's ``magic_arguments`` (shell-style splitting, ``%%hailuo?`` help);
line commands dispatch to ``handle_<name>`` methods. Expected mistakes (bad options, a
missing ``{name}``, a validation or budget refusal) raise :class:`UsageError`, which
IPython shows as one line without a traceback; nothing is submitted then.
"""

# IPython 8.12 and ipykernel ship without full annotations: calling them is fine here.
# mypy: disable-error-code="no-untyped-call,untyped-decorator"

from __future__ import annotations

import argparse
import keyword
import os
import sys
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import (
    MagicArgumentParser,
    argument,
    magic_arguments,
    parse_argstring,
)
from traitlets import Bool, CaselessStrEnum, Unicode

from hailuo_nb.notebook import display, tables
from hailuo_nb.notebook.bundles import short
from hailuo_nb.notebook.messages import LINE_USAGE, one_line, reuse_note
from hailuo_nb.notebook.template import MissingName, fill_prompt

COMMANDS = ("models", "history", "resume", "wait", "cancel", "doctor", "export")


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


@magics_class
class HailuoMagics(Magics):
    """``%%hailuo`` and ``%hailuo``: generate videos from notebook cells."""

    default_model = Unicode(
        "", help="Model used when a cell gives no --model ('' = hailuo_nb's default)."
    ).tag(config=True)
    wait = Bool(False, help="Block every %%hailuo cell until its video is in (like HAILUO_WAIT=1).").tag(
        config=True
    )
    embed = Bool(False, help="Embed every video's bytes in the notebook (like --embed).").tag(config=True)
    frontend = CaselessStrEnum(
        list(display.MODES),
        default_value="auto",
        help="How running generations show: the live widget, a plain placeholder output "
        "(headless runs), text lines, or auto (from the detected frontend).",
    ).tag(config=True)

    @property
    def _user_ns(self) -> dict[str, Any]:
        assert self.shell is not None, "HailuoMagics needs a shell"
        return self.shell.user_ns  # type: ignore[no-any-return]

    # ------------------------------------------------------------ %%hailuo

    @magic_arguments(name="%hailuo")  # the help formatter adds one more %
    @argument("--model", "-m", metavar="M", help="model id (see %%hailuo models)")
    @argument("--provider", "-p", metavar="P", help="provider; default from the environment")
    @argument("--duration", "-d", type=int, metavar="N", help="clip length in seconds")
    @argument("--resolution", "-r", metavar="R", help="e.g. 768p, 1080p or 2k")
    @argument("--ratio", metavar="R", help="aspect ratio (H3): 16:9, 9:16, 1:1, 4:3, 3:4, 21:9, adaptive")
    @argument(
        "--ref",
        action="append",
        metavar="F",
        help="reference media (H3, repeatable): image, clip or audio — a variable, path or URL",
    )
    @argument(
        "--first-frame",
        metavar="F",
        help="image-to-video start frame: a variable (Generation, PIL image, bytes), path or URL",
    )
    @argument("--last-frame", metavar="F", help="end frame, for models that take one")
    @argument("--no-optimize", action="store_true", help="send the prompt exactly as written")
    @argument("--wait", action="store_true", help="block until the video is in (HAILUO_WAIT=1)")
    @argument("--force", action="store_true", help="submit anew even if an identical one exists")
    @argument("--embed", action="store_true", help="put the video bytes into the notebook")
    @argument("--out", default="_hailuo", metavar="NAME", help="variable for the Generation")
    @cell_magic("hailuo")
    def hailuo_cell(self, line: str, cell: str) -> None:
        """Generate a video from the cell's text; ``{name}`` is filled from the notebook.

        The cell returns at once and shows a live status widget; the finished video
        replaces it in this cell. The Generation is bound to NAME (default ``_hailuo``).
        Re-running an identical cell reuses the earlier generation unless ``--force``.
        """
        import hailuo_nb

        args = self._parse(self.hailuo_cell, line, "%%hailuo")
        out = args.out
        if not out.isidentifier() or keyword.iskeyword(out):
            raise UsageError(f"%%hailuo: --out {out!r} is not a valid variable name")
        try:
            prompt = fill_prompt(cell.strip(), self._user_ns)
        except MissingName as exc:
            raise UsageError(f"%%hailuo: {exc}") from None
        options: dict[str, Any] = {
            "model": args.model or self.default_model or None,
            "provider": args.provider,
            "duration": args.duration,
            "resolution": args.resolution,
            "first_frame": self._frame(args.first_frame),
            "last_frame": self._frame(args.last_frame),
            "ratio": args.ratio,
            "references": [self._frame(ref) for ref in args.ref] if args.ref else None,
            "prompt_optimizer": not args.no_optimize,
        }
        options = {k: v for k, v in options.items() if v is not None}
        try:
            _check_display_settings(self.shell)  # a bad HAILUO_FRONTEND … fails before paying
            gen = hailuo_nb.generate(prompt, wait=False, reuse=not args.force, **options)
        except hailuo_nb.HailuoError as exc:
            raise UsageError(f"%%hailuo: {one_line(exc)}") from None
        self._user_ns[out] = gen
        if getattr(gen, "reused", False):
            print(reuse_note(gen))
        self._show(gen, embed=args.embed, block=args.wait)

    # ------------------------------------------------------------ %hailuo <command>

    @line_magic("hailuo")
    def hailuo_line(self, line: str) -> Any:
        """%hailuo models | history | resume [TASK_ID] | wait | cancel [TASK_ID] | doctor | export PATH."""
        try:
            from IPython.utils.process import arg_split  # type: ignore[attr-defined]

            argv = arg_split(line)
        except ValueError as exc:
            raise UsageError(f"%hailuo: {exc}") from None
        if not argv or argv[0] in ("help", "-h", "--help"):
            print(LINE_USAGE)
            return None
        name, rest = argv[0], argv[1:]
        handler = getattr(self, f"handle_{name}", None) if name in COMMANDS else None
        if handler is None:
            raise UsageError(f"%hailuo: unknown command {name!r}. {LINE_USAGE}")
        return handler(rest)

    def handle_models(self, argv: list[str]) -> None:
        """Show the model catalog with durations, resolutions and prices."""
        import hailuo_nb

        parser = _parser("%hailuo models")
        parser.add_argument("--provider", "-p", metavar="P")
        args = _parse_list(parser, argv)
        try:
            provider = hailuo_nb.provider_info(args.provider)["name"]
            rows = hailuo_nb.models(provider=args.provider)
        except hailuo_nb.HailuoError as exc:
            raise UsageError(f"%hailuo models: {one_line(exc)}") from None
        tables.show(tables.models_table(rows, provider))

    def handle_history(self, argv: list[str]) -> None:
        """Show the journal's latest generations, newest first."""
        import hailuo_nb

        parser = _parser("%hailuo history")
        parser.add_argument("-n", "--limit", type=int, default=20, metavar="N")
        args = _parse_list(parser, argv)
        tables.show(tables.history_table(hailuo_nb.history(limit=args.limit)))

    def handle_resume(self, argv: list[str]) -> Any:
        """Pick a journaled task up again (default: every task a dead kernel left in flight)."""
        import hailuo_nb

        parser = _parser("%hailuo resume")
        parser.add_argument("task_id", nargs="?", metavar="TASK_ID")
        parser.add_argument("--out", default="_hailuo", metavar="NAME")
        parser.add_argument("--wait", action="store_true")
        args = _parse_list(parser, argv)
        if args.task_id:
            task_ids = [args.task_id]
        else:
            task_ids = [row["task_id"] for row in hailuo_nb.orphans() if row.get("task_id")]
            if not task_ids:
                print("hailuo: nothing to resume (no task was left in flight by a stopped kernel)")
                return None
        gens = []
        for task_id in task_ids:
            try:
                gens.append(hailuo_nb.resume(task_id))
            except hailuo_nb.HailuoError as exc:
                raise UsageError(f"%hailuo resume: {one_line(exc)}") from None
        self._user_ns[args.out] = gens[0] if len(gens) == 1 else gens
        for gen in gens:
            print(f"hailuo: resuming task {gen.task_id} ({gen.status}) as {args.out}")
            self._show(gen, embed=False, block=args.wait)
        return None

    def handle_wait(self, argv: list[str]) -> None:
        """Block until every generation of this session has ended (last cell of headless runs)."""
        import hailuo_nb

        parser = _parser("%hailuo wait")
        parser.add_argument("--timeout", type=float, default=None, metavar="S")
        args = _parse_list(parser, argv)
        # In flight now, and those that ended since the last wait (their cells were idle).
        gens = list({id(g): g for g in [*display.unsettled(), *hailuo_nb.pending()]}.values())
        try:
            display.wait_all(gens, timeout=args.timeout)
        except hailuo_nb.HailuoError as exc:  # GenerationTimeout
            raise UsageError(f"%hailuo wait: {one_line(exc)}") from None
        if gens:
            counts: dict[str, int] = {}
            for gen in gens:
                counts[gen.status] = counts.get(gen.status, 0) + 1
            summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
            print(f"hailuo: {len(gens)} generation(s) ended: {summary}")
        else:
            print("hailuo: nothing in flight")

    def handle_cancel(self, argv: list[str]) -> None:
        """Cancel one in-flight generation by task id (or local id), or all of them."""
        import hailuo_nb

        parser = _parser("%hailuo cancel")
        parser.add_argument("task_id", nargs="?", metavar="TASK_ID")
        args = _parse_list(parser, argv)
        pending = list(hailuo_nb.pending())
        if args.task_id:
            pending = [g for g in pending if args.task_id in (g.task_id, g.id)]
            if not pending:
                raise UsageError(f"%hailuo cancel: no generation in flight has id {args.task_id!r}")
        for gen in pending:
            gen.cancel()
            print(f"hailuo: cancelling {gen.task_id or gen.id}: {short(gen.prompt)}")
        if not pending:
            print("hailuo: nothing in flight")

    def handle_doctor(self, argv: list[str]) -> None:
        """Show what works here: frontend, provider and key variable, output form, folders."""
        from IPython.display import display as show

        from hailuo_nb.notebook.doctor import doctor

        _parse_list(_parser("%hailuo doctor"), argv)
        show(doctor())

    def handle_export(self, argv: list[str]) -> None:
        """Write this session's videos into one HTML page that plays anywhere, offline."""
        import hailuo_nb
        from hailuo_nb.notebook.export import export

        parser = _parser("%hailuo export")
        parser.add_argument("path", metavar="PATH")
        args = _parse_list(parser, argv)
        try:
            page = export(args.path)
        except hailuo_nb.HailuoError as exc:
            raise UsageError(f"%hailuo export: {one_line(exc)}") from None
        print(f"hailuo: {page.summary}")

    # ------------------------------------------------------------ helpers

    def _parse(self, func: Any, line: str, prog: str) -> Any:
        try:
            return parse_argstring(func, line)
        except UsageError as exc:
            raise UsageError(f"{prog}: {exc} (see {prog}?)") from None
        except ValueError as exc:  # unbalanced quotes
            raise UsageError(f"{prog}: {exc}") from None

    def _frame(self, spec: str | None) -> Any:
        """A variable of the user namespace when ``spec`` names one, else the path/URL."""
        if spec is None:
            return None
        spec = spec.strip()
        if len(spec) >= 2 and spec[0] == spec[-1] and spec[0] in "\"'":  # --first-frame "my frame.png"
            spec = spec[1:-1]
        name = spec
        if name.startswith("{") and name.endswith("}"):
            name = name[1:-1].strip()
        head, *attrs = name.split(".")
        if head.isidentifier() and head in self._user_ns:
            value = self._user_ns[head]
            try:
                for attr in attrs:
                    value = getattr(value, attr)
                return value
            except AttributeError:
                pass  # e.g. "frame.png" with a variable called frame: it is a file name
        return os.path.expanduser(spec)

    def _wants_wait(self, flag: bool) -> bool:
        return flag or self.wait or _truthy(os.environ.get("HAILUO_WAIT"))

    def _show(self, gen: Any, *, embed: bool, block: bool) -> None:
        handle = display.show(gen, embed=embed or self.embed, ip=self.shell, mode=self.frontend)
        if not self._wants_wait(block) or gen.done:
            return
        handle.verbose = True
        try:
            handle.wait()
        except KeyboardInterrupt:
            print(
                "hailuo: stopped waiting; the generation goes on in the background "
                "(`%hailuo cancel` stops it)",
                file=sys.stderr,
            )


def _check_display_settings(shell: Any) -> None:
    """Raise ValidationError for a bad HAILUO_FRONTEND / _OUTPUT_MODE / _EMBED_MAX_MB / _STATUS_UPDATES."""
    from hailuo_nb.notebook import frontend as fe

    where = fe.detect(shell)
    fe.output_form(where)
    fe.status_updates(where)
    fe.vscode_audio()


def _parser(prog: str) -> MagicArgumentParser:
    return MagicArgumentParser(prog=prog, formatter_class=argparse.HelpFormatter)


def _parse_list(parser: MagicArgumentParser, argv: list[str]) -> Any:
    try:
        return parser.parse_args(argv)
    except UsageError as exc:
        usage = " ".join(parser.format_usage().split())
        raise UsageError(f"{parser.prog}: {exc} ({usage})") from None
