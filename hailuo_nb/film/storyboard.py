"""``hailuo_nb.Storyboard``: shots that become one film (docs/design.md §5).

Each shot is its own journaled generation through the normal path (``build_request`` +
``session.start(request, reuse=True)``), so re-running a board pays only for shots whose
request is new: an edited shot and the shots continuing from it (their first frame is
its last frame, so their requests change with it). A fresh process running the same
board takes finished shots from the journal and adopts the ones a dead kernel left in
flight. Free chains run in parallel; a chain runs in order, on one driver thread that
waits on the generations' listeners. When every shot has its video, the clips are
stitched (``film.stitch``) and a contact sheet drawn (``film.contact``).

No Jupyter here: the live widget is ``hailuo_nb.notebook.widgets.board``.
"""

from __future__ import annotations

import hashlib
import html
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from hailuo_nb.errors import HailuoError, ValidationError
from hailuo_nb.film import plan as planning
from hailuo_nb.film.board_requests import finished_generation, shot_request, stand_in_frame
from hailuo_nb.film.shots import Shot, check_shots, format_board, parse_shots
from hailuo_nb.gateway.pricing import Price, price
from hailuo_nb.gateway.session import REUSE_DONE, reuse_state
from hailuo_nb.gateway.task import SUCCEEDED

log = logging.getLogger("hailuo_nb")
Listener = Callable[["Storyboard"], None]
#: Board-wide defaults a shot may override.
DEFAULT_KEYS = ("model", "provider", "duration", "resolution", "ratio", "prompt_optimizer")


@dataclass(frozen=True)
class ShotPlan:
    """One shot as it will be sent: what, how long, what it costs, whether it is already made."""

    shot: Shot
    model: str
    provider: str
    duration: int
    resolution: str
    price: Price | None
    #: "done" (taken from the journal), "in flight" (adopted) or None (will be paid for)
    reuse: str | None
    #: the shot's request key when known now (None for a continuation of an unmade shot)
    key: str | None

    @property
    def paid(self) -> bool:
        return self.reuse is None


@dataclass(frozen=True)
class BoardPlan:
    """The whole plan and its cost, before anything is sent."""

    shots: tuple[ShotPlan, ...]
    warnings: tuple[str, ...] = ()

    @property
    def cost(self) -> Price | None:
        """What running the board will cost: the shots that are not reused (None if any price is unknown)."""
        paid = [s.price for s in self.shots if s.paid]
        if any(p is None for p in paid):
            return None
        currencies = {p.currency for p in paid if p is not None}
        if len(currencies) > 1:
            return None
        amount = round(sum(p.amount for p in paid if p is not None), 4)
        return Price(amount, currencies.pop() if currencies else "USD", "sum of the shots' list prices")

    @property
    def duration(self) -> int:
        return sum(s.duration for s in self.shots)

    def rows(self) -> list[dict[str, Any]]:
        """The plan as plain rows (what tables and widgets show)."""
        return [
            {"shot": s.shot.index, "prompt": s.shot.prompt, "model": s.model, "provider": s.provider,
             "duration": s.duration, "resolution": s.resolution, "continues": s.shot.continues,
             "price": str(s.price) if s.price else None, "reuse": s.reuse}
            for s in self.shots
        ]

    def __repr__(self) -> str:
        lines = [f"{'#':>2}  {'len':>4}  {'model':<36} {'price':>7}  {'':<10} prompt"]
        for s in self.shots:
            mark = "-> " if s.shot.continues else ""
            state = {REUSE_DONE: "reused", None: ""}.get(s.reuse, "adopted")
            lines.append(f"{s.shot.index:>2}  {s.duration:>3}s  {s.model:<36} "
                         f"{str(s.price) if s.price else '?':>7}  {state:<10} {mark}{_short(s.shot.prompt)}")
        lines.append(f"total {self.duration}s; to pay {self.cost if self.cost else 'unknown'}"
                     f" ({sum(1 for s in self.shots if s.paid)} of {len(self.shots)} shots)")
        lines.extend(f"warning: {w}" for w in self.warnings)
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        titles = ("#", "prompt", "model", "length", "continues", "price", "journal")
        head = "".join(f"<th>{h}</th>" for h in titles)
        body = "".join(
            f"<tr><td>{s.shot.index}</td><td>{html.escape(s.shot.prompt)}</td><td><code>{html.escape(s.model)}"
            f"</code></td><td>{s.duration}s</td><td>{'↳ yes' if s.shot.continues else ''}</td>"
            f"<td>{html.escape(str(s.price) if s.price else '?')}</td>"
            f"<td>{'reused' if s.reuse == REUSE_DONE else 'adopted' if s.reuse else 'new'}</td></tr>"
            for s in self.shots
        )
        warn = "".join(f"<p>⚠ {html.escape(w)}</p>" for w in self.warnings)
        total = (f"<p><b>{self.duration} s</b> of film; to pay: <b>{html.escape(str(self.cost or 'unknown'))}"
                 f"</b> ({sum(1 for s in self.shots if s.paid)} of {len(self.shots)} shots new)</p>")
        return f"<table class='hailuo-plan'><tr>{head}</tr>{body}</table>{total}{warn}"


class Storyboard:
    """A sequence of shots that becomes one film.

    Examples:
        >>> board = hailuo_nb.Storyboard('''
        ... 1. A lighthouse at dusk [Pan left] (6s)
        ... 2. -> The keeper climbs the stairs [Push in]
        ... ''', model="hailuo-02-text-to-video-standard")      # doctest: +SKIP
        >>> board.plan()          # the cost, before anything is sent   # doctest: +SKIP
        >>> board.run().wait().film                                      # doctest: +SKIP
    """

    def __init__(self, shots: str | Iterable[Shot | Mapping[str, Any] | str], *, model: str | None = None,
                 provider: str | None = None, duration: int | None = None, resolution: str | None = None,
                 ratio: str | None = None, prompt_optimizer: bool | None = None, fade: float = 0.0,
                 name: str | None = None) -> None:
        self.shots: list[Shot] = _shots(shots)
        if not self.shots:
            raise ValidationError("shots", shots, "one shot per line", reason="the board has no shots")
        given = {"model": model, "provider": provider, "duration": duration, "resolution": resolution,
                 "ratio": ratio, "prompt_optimizer": prompt_optimizer}
        self.defaults: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
        if not isinstance(fade, (int, float)) or fade < 0:
            raise ValidationError("fade", fade, "seconds >= 0")
        self.fade = float(fade)
        self.name = name or "storyboard"
        #: shot index -> its Generation, once started
        self.generations: dict[int, Any] = {}
        #: shot index -> why it could not run
        self.errors: dict[int, HailuoError] = {}
        self.film_info: Any = None
        self.contact_sheet: Path | None = None
        self.error: Exception | None = None
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._done = threading.Event()

    # -- planning ---------------------------------------------------------------------
    def plan(self) -> BoardPlan:
        """Validate every shot and price the board; sends nothing. ValidationError names the shot."""
        rows: list[ShotPlan] = []
        previous: Any = None  # the previous shot's finished Generation, when it already exists
        for shot in self.shots:
            frame = None
            if shot.continues:
                frame = previous if previous is not None else stand_in_frame()
            request = shot_request(shot, self.defaults, frame)
            exact = not shot.continues or previous is not None
            key = request.key() if exact else None
            state = reuse_state(key) if key else None
            previous = finished_generation(key) if key and state == REUSE_DONE else None
            rows.append(ShotPlan(shot, request.model.id, request.provider, request.duration,
                                 request.resolution, price(request), state, key))
        return BoardPlan(tuple(rows), tuple(check_shots(self.shots)))

    def edit(self, shots: str | Iterable[Shot | Mapping[str, Any] | str]) -> Storyboard:
        """A new board with these shots and this board's settings (run it: only changed shots are paid)."""
        board = Storyboard(shots, fade=self.fade, name=self.name, **self.defaults)
        return board

    @property
    def text(self) -> str:
        """The shots in the board syntax, one per line (edit it and pass it to :meth:`edit`)."""
        return format_board(self.shots)

    def changes(self, old: Storyboard) -> planning.Replan:
        """Which shots of this board differ from ``old``'s (an edit and the continuations after it)."""
        return planning.replan(old.shots, self.shots, self.defaults, old.defaults)

    def identities(self) -> dict[int, str]:
        return planning.identities(self.shots, self.defaults)

    # -- running ----------------------------------------------------------------------
    def run(self) -> Storyboard:
        """Start the board in the background (validated first; nothing is sent if a shot is invalid)."""
        with self._lock:
            if self._thread is not None:
                return self
            self.plan()
            self._thread = threading.Thread(target=self._drive, name=f"hailuo-board-{self.name}", daemon=True)
            self._thread.start()
        return self

    def wait(self, timeout: float | None = None) -> Storyboard:
        """Block until every shot has ended and the film is stitched (or the board failed)."""
        if self._thread is None:
            self.run()
        if not self._done.wait(timeout):
            from hailuo_nb.errors import GenerationTimeout

            raise GenerationTimeout(f"the storyboard is still running after {timeout:g} s; it goes on")
        return self

    @property
    def done(self) -> bool:
        return self._done.is_set()

    @property
    def status(self) -> str:
        """planned, running, done (film ready) or failed."""
        if self._thread is None:
            return "planned"
        if not self._done.is_set():
            return "running"
        return "done" if self.film_info is not None else "failed"

    @property
    def film(self) -> Path | None:
        """The stitched MP4 (None until every shot has its video)."""
        return self.film_info.path if self.film_info is not None else None

    def add_listener(self, callback: Listener) -> Callable[[], None]:
        """Call ``callback(board)`` (on the board's thread) when a shot starts or the film is ready."""
        with self._lock:
            self._listeners.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._listeners:
                    self._listeners.remove(callback)

        return unsubscribe

    def _notify(self) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(self)
            except Exception:  # a broken widget must not stop the board
                log.exception("hailuo_nb: a storyboard listener failed")

    def _drive(self) -> None:
        try:
            self._run_shots()
            if len(self._finished()) == len(self.shots):
                self._assemble()
        except Exception as exc:  # reported on the board, never lost in a thread
            log.exception("hailuo_nb: the storyboard failed")
            self.error = exc
        finally:
            self._done.set()
            self._notify()

    def _finished(self) -> set[int]:
        return {i for i, g in self.generations.items()
                if g.status == SUCCEEDED and g.video_path is not None}

    def _run_shots(self) -> None:
        changed = threading.Event()
        stopped: set[int] = set()  # failed, or blocked behind a failed shot
        while True:
            changed.clear()
            for index, gen in list(self.generations.items()):
                if gen.done and index not in self._finished() and index not in stopped:
                    self._stop(index, gen.error or HailuoError(f"shot {index} ended {gen.status}"), stopped)
            finished = self._finished()
            ready = planning.runnable(self.shots, finished, set(self.generations) | stopped)
            for index in ready:
                self._start(index, changed, stopped)
            if len(finished) + len(stopped - finished) >= len(self.shots):
                return
            if not ready:
                changed.wait(5.0)  # a listener sets it; the timeout only guards a missed wake-up

    def _start(self, index: int, changed: threading.Event, stopped: set[int]) -> None:
        from hailuo_nb.api import Generation
        from hailuo_nb.gateway import session

        shot = self.shots[index - 1]
        previous = self.generations.get(index - 1) if shot.continues else None
        try:
            request = shot_request(shot, self.defaults, previous)
            gen = session.start(request, reuse=True, cls=Generation)
        except HailuoError as exc:
            self._stop(index, exc, stopped)
            return
        self.generations[index] = gen
        gen.add_listener(lambda _g: changed.set())
        if gen.done:
            changed.set()
        self._notify()

    def _stop(self, index: int, error: HailuoError, stopped: set[int]) -> None:
        self.errors[index] = error
        stopped.add(index)
        for later in planning.blocked_by(self.shots, index):
            stopped.add(later)
            reason = f"shot {later} continues from shot {index}, which failed"
            self.errors.setdefault(later, HailuoError(reason))
        self._notify()

    def _assemble(self) -> None:
        from hailuo_nb.film.contact import contact_sheet, row_label
        from hailuo_nb.film.stitch import stitch
        from hailuo_nb.gateway.config import output_dir

        gens = [self.generations[s.index] for s in self.shots]
        digest = hashlib.sha256(
            ("|".join(g.request_key for g in gens) + f"|{self.fade}").encode()).hexdigest()[:12]
        folder = output_dir() / "films"
        folder.mkdir(parents=True, exist_ok=True)
        clips = [Path(g.video_path) for g in gens]
        sheet = folder / f"{_slug(self.name)}-{digest}.png"
        labels = [row_label(s.index, s.prompt) for s in self.shots]
        self.contact_sheet = sheet if sheet.exists() else contact_sheet(clips, sheet, labels=labels)
        self.film_info = stitch(clips, folder / f"{_slug(self.name)}-{digest}.mp4", fade=self.fade)

    # -- showing ----------------------------------------------------------------------
    def shot_states(self) -> list[dict[str, Any]]:
        """Each shot's state as plain data (what the widget shows)."""
        states = []
        for shot in self.shots:
            gen = self.generations.get(shot.index)
            error = self.errors.get(shot.index)
            states.append({
                "index": shot.index, "prompt": shot.prompt, "continues": shot.continues,
                "status": gen.status if gen is not None else ("blocked" if error else "waiting"),
                "reused": bool(gen is not None and gen.reused),
                "error": str(error) if error else (str(gen.error) if gen is not None and gen.error else ""),
            })
        return states

    def __repr__(self) -> str:
        body = format_board(self.shots)
        film = f" film={str(self.film)!r}" if self.film else ""
        return f"<Storyboard {self.status}, {len(self.shots)} shots{film}>\n{body}"

    def _ipython_display_(self) -> None:
        from hailuo_nb.notebook.widgets.board import show_board

        show_board(self)


def _shots(value: str | Iterable[Shot | Mapping[str, Any] | str]) -> list[Shot]:
    if isinstance(value, str):
        return parse_shots(value)
    shots: list[Shot] = []
    for item in value:
        index = len(shots) + 1
        if isinstance(item, Shot):
            shots.append(replace(item, index=index, line=item.line or index))
        elif isinstance(item, str):
            parsed = parse_shots("_\n" + item)[1:]  # a line of its own may continue ("-> ...")
            if len(parsed) != 1:
                raise ValidationError(f"shot {index}", item, "exactly one shot per string")
            shots.append(_renumber(parsed[0], index))
        elif isinstance(item, Mapping):
            shots.append(_from_dict(item, index))
        else:
            raise ValidationError(f"shot {index}", item, "a Shot, a dict or a line of the shot syntax")
    if shots and shots[0].continues:
        raise ValidationError("shot 1: continues", True, "False",
                              reason="the first shot has no previous shot")
    return shots


def _renumber(shot: Shot, index: int) -> Shot:
    return replace(shot, index=index, line=index)


def _from_dict(item: Mapping[str, Any], index: int) -> Shot:
    from hailuo_nb.film.shots import OPTIONS, moves_in

    known = {"prompt", "continues", *OPTIONS}
    unknown = sorted(set(item) - known)
    if unknown:
        raise ValidationError(f"shot {index}: {unknown[0]}", item[unknown[0]], sorted(known),
                              reason="unknown key")
    prompt = str(item.get("prompt") or "")
    options = {k: v for k, v in item.items()
               if k in OPTIONS and k not in ("model", "duration") and v is not None}
    return Shot(index, prompt, item.get("duration"), item.get("model"), options, bool(item.get("continues")),
                moves_in(prompt), index)


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _slug(name: str) -> str:
    kept = "".join(c if c.isalnum() or c in "-_" else "-" for c in name.strip())
    return kept.strip("-") or "storyboard"

