"""What every simulated protocol shares: routing, reply-shape variants, status words.

Variant options, set with `SimServer.set_variant(protocol, **options)` (docs/protocols.md §10:
one default per protocol, the others selectable). Every protocol takes:

- `id_field`: key of the task id in submit and poll replies: `task_id`, `taskId`, `id`,
  `run_id` or `request_id`.
- `id_as_number`: new task ids are digits and sent as JSON numbers.
- `nest`: `"data"` or `"task"` wraps submit and poll replies (in-band error envelopes such
  as MiniMax `base_resp` and RunningHub `errorCode`/`errorMessage` stay on top); None = flat.
- `url_location`: where a poll reply puts the video URL: `videos[].url`, `output.urls`,
  `output` (a string), `results[].url`, `video_result[].url`, `video.url`, `url`,
  `video_url`. For MiniMax it adds a URL next to `file_id` (default: none).
- `status_case`: `"upper"`, `"lower"` or `"title"` recases the status word; None = as is.
- `words`: status vocabulary, a protocol name (`minimax`, `runapi`, `runbase`,
  `runninghub`, `agentsflare`), `replicate` (starting/processing/succeeded/failed), or a
  dict from phase (created, queued, running, succeeded, failed, cancelled) to word.
- `fail_word`: the word for a failed task (MiniMax: `"Fail"` by default, or `"Failed"`).

Protocol modules add their own options (RunAPI `vocabulary`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, ClassVar

from ..core import POLICY_WORD, Call, SimCore
from ..httpio import BadRequest, Reply
from ..media import ImageError
from ..tasks import SimTask, new_task_id

WORDS: dict[str, dict[str, str]] = {
    "minimax": {"created": "Preparing", "queued": "Queueing", "running": "Processing",
                "succeeded": "Success", "failed": "Fail", "cancelled": "Fail"},
    "runapi": {"created": "pending", "queued": "pending", "running": "processing",
               "succeeded": "completed", "failed": "failed", "cancelled": "cancelled"},
    "runbase": {"created": "queued", "queued": "queued", "running": "running",
                "succeeded": "succeeded", "failed": "failed", "cancelled": "canceled"},
    "replicate": {"created": "starting", "queued": "starting", "running": "processing",
                  "succeeded": "succeeded", "failed": "failed", "cancelled": "canceled"},
    "runninghub": {"created": "CREATE", "queued": "QUEUED", "running": "RUNNING",
                   "succeeded": "SUCCESS", "failed": "FAILED", "cancelled": "CANCEL"},
    "agentsflare": {"created": "PROCESSING", "queued": "PROCESSING", "running": "PROCESSING",
                    "succeeded": "SUCCESS", "failed": "FAIL", "cancelled": "FAIL"},
}
ID_FIELDS = ("task_id", "taskId", "id", "run_id", "request_id")
URL_LOCATIONS = ("videos[].url", "output.urls", "output", "results[].url", "video_result[].url",
                 "video.url", "url", "video_url")
CASES: dict[str, Callable[[str], str]] = {
    "upper": str.upper, "lower": str.lower, "title": str.title,
}

#: default HTTP status of each rejection reason ("auth": missing or wrong key,
#: "auth_malformed": an Authorization header that is not `Bearer <token>`)
REASON_STATUS = {"bad_request": 400, "invalid": 400, "auth": 401, "auth_malformed": 401,
                 "credits": 402, "policy": 400, "not_found": 404, "rate_limit": 429,
                 "server": 500}

Handler = Callable[[SimCore, Call], Reply]


class Invalid(ValueError):
    """A request the gateway would refuse; the message names the field and what is allowed."""


def put_url(body: dict[str, Any], location: str, url: str) -> None:
    """Place the video URL in a poll reply at one of `URL_LOCATIONS`."""
    placements: dict[str, Any] = {
        "videos[].url": ("videos", [{"url": url}]),
        "output.urls": ("output", {"urls": [url]}),
        "output": ("output", url),
        "results[].url": ("results", [{"url": url, "outputType": "mp4", "nodeId": "9"}]),
        "video_result[].url": ("video_result", [{"url": url}]),
        "video.url": ("video", {"url": url, "content_type": "video/mp4"}),
        "url": ("url", url),
        "video_url": ("video_url", url),
    }
    key, value = placements[location]
    body[key] = value


class BaseProtocol:
    """Routes plus reply shaping for one protocol; subclasses fill in the wire details."""

    name: ClassVar[str]
    id_key: ClassVar[str]
    id_prefix: ClassVar[str] = ""  # "" = numeric ids
    id_digits: ClassVar[int] = 18
    url_location: ClassVar[str | None]
    envelope: ClassVar[tuple[str, ...]] = ()
    extra_options: ClassVar[dict[str, tuple[Any, ...]]] = {}
    extra_defaults: ClassVar[dict[str, Any]] = {}
    #: model ids (or endpoint names) the protocol serves, as plain data
    served_models: ClassVar[tuple[str, ...]] = ()
    #: the subset whose clips carry a soundtrack
    audio_models: ClassVar[tuple[str, ...]] = ()

    def __init__(self) -> None:
        self.options: dict[str, Any] = {}
        self.reset()
        self._routes = [(verb, re.compile(pattern), kind, handler)
                        for verb, pattern, kind, handler in self.routes()]

    # -- variants ------------------------------------------------------------------------

    def reset(self) -> None:
        """Back to the default variant options."""
        self.options = {"id_field": self.id_key, "id_as_number": False, "nest": None,
                        "url_location": self.url_location, "status_case": None,
                        "words": self.name, "fail_word": None, **self.extra_defaults}

    def configure(self, **options: Any) -> None:
        """Validate and apply variant options (ValueError names the bad one)."""
        allowed: dict[str, tuple[Any, ...]] = {
            "id_field": ID_FIELDS, "id_as_number": (True, False), "nest": (None, "data", "task"),
            "url_location": (None, *URL_LOCATIONS), "status_case": (None, *CASES),
            **self.extra_options,
        }
        for key, value in options.items():
            if key == "words":
                as_map = isinstance(value, dict) and set(value) <= set(WORDS["runbase"])
                if not (as_map or (isinstance(value, str) and value in WORDS)):
                    raise ValueError(f"words must be one of {sorted(WORDS)} or a phase->word dict")
            elif key == "fail_word":
                if value is not None and not isinstance(value, str):
                    raise ValueError("fail_word must be a string")
            elif key not in allowed:
                known = sorted([*allowed, "words", "fail_word"])
                raise ValueError(f"unknown {self.name} variant option {key!r}; known: {known}")
            elif value not in allowed[key]:
                raise ValueError(f"{self.name} option {key}={value!r}; allowed: {allowed[key]}")
        self.options.update(options)

    # -- routing -------------------------------------------------------------------------

    def routes(self) -> list[tuple[str, str, str, Handler]]:
        """(method, path regex, kind, handler) for each route of the protocol."""
        raise NotImplementedError

    def match(self, method: str, path: str) -> tuple[str, Handler, dict[str, str]] | None:
        """(kind, handler, path groups) when a route matches, else None."""
        for verb, pattern, kind, handler in self._routes:
            m = pattern.fullmatch(path)
            if m and verb == method:
                return kind, handler, m.groupdict()
        return None

    # -- errors --------------------------------------------------------------------------

    def error_body(self, reason: str, status: int, message: str) -> dict[str, Any]:
        """The protocol's JSON body for a refused request."""
        raise NotImplementedError

    def reject(self, reason: str, message: str, status: int | None = None) -> Reply:
        """The protocol's reply for a refused request."""
        code = status or REASON_STATUS[reason]
        return Reply.json(self.error_body(reason, code, message), code)

    def refuse(self, call: Call, reason: str, message: str, status: int | None = None) -> Reply:
        """`reject` for a given request (a protocol may word errors per API version)."""
        return self.reject(reason, message, status)

    def authorization(self, call: Call) -> str:
        """The Authorization value a request presents (a route may take the key elsewhere)."""
        return call.request.header("authorization")

    def finish(self, call: Call, reply: Reply) -> None:
        """Last touch on every reply of this protocol, errors included (e.g. headers)."""

    # -- shared handler steps ------------------------------------------------------------

    def new_id(self) -> str:
        """A fresh task id in this protocol's (variant) style."""
        prefix = "" if self.options["id_as_number"] else self.id_prefix
        return new_task_id(prefix, self.id_digits)

    def accept(self, core: SimCore, call: Call,
               parse: Callable[[dict[str, Any]], dict[str, Any]]) -> SimTask | Reply:
        """Parse a JSON submit into a new task, or return the rejection to send."""
        try:
            fields = parse(call.request.json_object())
        except BadRequest as exc:
            return self.reject("bad_request", str(exc))
        except (Invalid, ImageError) as exc:
            return self.reject("invalid", str(exc))
        if POLICY_WORD in fields.get("prompt", ""):
            return self.reject("policy", "content policy violation (the [policy] prompt word)")
        return core.create_task(call, self.new_id(), protocol=self.name, **fields)

    def word(self, phase: str, call: Call) -> str:
        """The status word for a task phase in this protocol's (variant) vocabulary.

        Reply builders read `task.phase()` once and pass it here, so the word and the
        rest of the reply (URL, error) always describe the same moment.
        """
        fault = call.fault
        if fault is not None and fault.name == "unknown_status":
            return str(fault.param("word", "Thinking"))
        words = self.options["words"]
        table = WORDS[words] if isinstance(words, str) else {**WORDS[self.name], **words}
        word = table[phase]
        if phase == "failed" and self.options["fail_word"]:
            word = self.options["fail_word"]
        case = self.options["status_case"]
        return CASES[case](word) if case else word

    def shape(self, body: dict[str, Any]) -> dict[str, Any]:
        """Apply id_field / id_as_number / nest to a submit or poll reply."""
        out = dict(body)
        if self.id_key in body:
            value: Any = out.pop(self.id_key)
            if self.options["id_as_number"] and isinstance(value, str) and value.isdigit():
                value = int(value)
            field = self.options["id_field"]
            out = {field: value, **{k: v for k, v in out.items() if k != field}}
        nest = self.options["nest"]
        if not nest:
            return out
        top = {k: out.pop(k) for k in self.envelope if k in out}
        return {nest: out, **top}

    def place_url(self, body: dict[str, Any], url: str) -> None:
        """Put the video URL where the `url_location` variant says."""
        location = self.options["url_location"]
        if location:
            put_url(body, location, url)
