"""``%%storyboard``: one shot per line (the film shot syntax) -> a :class:`Storyboard`.

``%%storyboard [--model M] [--provider P] [--resolution R] [--ratio R] [--fade S] [--out NAME] [--plan]``

The cell shows the plan and its cost, then (without ``--plan``) runs the board in the
background and shows its live widget; the board is bound to ``NAME`` (default
``_storyboard``). Re-running the cell after editing a line pays only for that shot and the
shots continuing from it. ``{name}`` is filled from the user namespace as in ``%%hailuo``.
"""

# mypy: disable-error-code="no-untyped-call,untyped-decorator,union-attr"

from __future__ import annotations

from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from hailuo_nb.errors import HailuoError
from hailuo_nb.notebook.template import MissingName, fill_prompt


@magics_class
class StoryboardMagics(Magics):
    """The storyboard cell magic."""

    @magic_arguments()
    @argument("--model", help="model for shots that name none (continuations use its image twin)")
    @argument("--provider", help="provider for every shot (default: HAILUO_PROVIDER)")
    @argument("--duration", type=int, help="seconds, for shots without a length")
    @argument("--resolution", help="resolution for every shot")
    @argument("--ratio", help="aspect ratio for the shots whose model takes one (H3)")
    @argument("--fade", type=float, default=0.0, help="cross-fade between shots, seconds")
    @argument("--out", default="_storyboard", help="variable to bind the board to")
    @argument("--plan", action="store_true", help="only show the plan and its cost; send nothing")
    @argument("--wait", action="store_true", help="block until the film is stitched")
    @cell_magic
    def storyboard(self, line: str, cell: str) -> Any:
        """Shots, one per line: ``1. A lighthouse at dusk [Pan left] (6s)``; ``2. -> continues ...``."""
        from IPython.display import display

        from hailuo_nb.film.storyboard import Storyboard

        args = parse_argstring(self.storyboard, line)
        if not args.out.isidentifier():
            raise UsageError(f"--out {args.out!r} is not a Python name")
        try:
            text = fill_prompt(cell, self.shell.user_ns)
        except MissingName as exc:
            raise UsageError(str(exc)) from None
        try:
            board = Storyboard(text, model=args.model, provider=args.provider, duration=args.duration,
                               resolution=args.resolution, ratio=args.ratio, fade=args.fade, name=args.out)
            plan = board.plan()
        except HailuoError as exc:
            raise UsageError(str(exc)) from None
        self.shell.user_ns[args.out] = board
        if args.plan:
            display(plan)
            return None
        board.run()
        display(board)
        from hailuo_nb.gateway.config import wait_mode

        if args.wait or wait_mode():  # HAILUO_WAIT=1: headless runs block like --wait
            board.wait()
        return None
