"""What every provider module declares: data plus pure build/parse functions.

A provider never does I/O. It turns a validated request into :class:`HttpCall`
descriptions and raw JSON replies into ids, :class:`TaskState` s and errors; the
gateway client (one place) sends, retries and polls. Everything else the library knows
about a provider — its key variable (redaction, ``.env``), base URL, models, prices,
rate limits — is read from its :class:`Provider` value, registered by one line in
``providers/__init__.py`` (docs/design.md, "Adding a gateway").
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from hailuo_nb.errors import HailuoError
from hailuo_nb.gateway.catalog import ModelSpec
from hailuo_nb.gateway.task import TaskRef, TaskState

if TYPE_CHECKING:
    from hailuo_nb.gateway.pricing import Price, PriceQuery
    from hailuo_nb.gateway.request import GenerationRequest

Kind = Literal["submit", "poll", "retrieve", "upload", "download", "cancel", "list", "enhance"]
ImageMode = Literal["data_url", "upload", "url"]


@dataclass(frozen=True)
class HttpCall:
    """One HTTP request, described; ``path`` is relative to the provider's base URL."""

    kind: Kind
    method: str
    path: str
    json: Any = None
    params: Mapping[str, Any] | None = None
    files: Mapping[str, tuple[str, bytes, str]] | None = None
    #: sent as an ``Idempotency-Key`` header on submissions: the journal's own id, so a
    #: gateway that honours it never creates a second task for one generation
    idempotency_key: str | None = None
    #: an absolute URL replacing base URL + path (an upload's pre-signed PUT target)
    url: str | None = None
    #: raw bytes as the body (an upload's PUT), with extra headers for it
    content: bytes | None = None
    headers: Mapping[str, str] | None = None


@dataclass(frozen=True)
class Media:
    """One input medium in the form the gateway takes (URL or data URL), with its role."""

    role: str  # first_frame, last_frame, reference_image, reference_video, reference_audio
    url: str


@dataclass(frozen=True)
class PreparedRequest:
    """A validated request with its media already in the form the protocol takes."""

    request: GenerationRequest
    client_id: str  # the journal's own id for this generation
    media: tuple[Media, ...] = ()

    def urls(self, role: str) -> list[str]:
        return [m.url for m in self.media if m.role == role]

    def url(self, role: str) -> str | None:
        found = self.urls(role)
        return found[0] if found else None

    # the request's fields the adapters read most (one source: the request value)
    @property
    def model(self) -> ModelSpec:
        return self.request.model

    @property
    def native_model(self) -> str:
        return self.request.native_model

    @property
    def first_frame(self) -> str | None:
        return self.url("first_frame")

    @property
    def last_frame(self) -> str | None:
        return self.url("last_frame")


@dataclass(frozen=True)
class RateLimits:
    """What a provider tolerates: its shared pace for API requests, and its submit limit."""

    #: status/result requests per second, shared by every job in flight
    requests_per_second: float = 20.0
    #: submissions per minute (published RPM), None where unpublished
    submits_per_minute: float | None = None


@dataclass(frozen=True)
class Provider:
    """A gateway: its settings as data and its wire protocol's pure functions."""

    name: str
    key_env: str
    base_url_env: str
    default_base_url: str
    #: canonical model id -> the provider's model name or endpoint
    models: Mapping[str, str]
    #: provider-native ids accepted as they are, with the rules they follow
    native_models: Mapping[str, ModelSpec]
    image_mode: ImageMode
    normalize_base_url: Callable[[str], str]
    build_submit: Callable[[PreparedRequest], HttpCall]
    parse_submit: Callable[[Any, PreparedRequest], TaskRef]
    build_poll: Callable[[TaskRef], HttpCall]
    parse_poll: Callable[[Any], TaskState]
    #: in-band errors (HTTP 200 bodies that are errors); HTTP status is mapped generically
    check_body: Callable[[Any], HailuoError | None] = lambda body: None
    #: the published price of one request, or None (pricing.py holds the shared types)
    price: Callable[[PriceQuery], Price | None] = lambda query: None
    #: where its prices come from, for the docs' matrix
    price_source: str = ""
    rate_limits: RateLimits = RateLimits()
    build_retrieve: Callable[[str], HttpCall] | None = None
    parse_retrieve: Callable[[Any], str] | None = None
    build_upload: Callable[[bytes, str, str], HttpCall] | None = None
    parse_upload: Callable[[Any], str] | None = None
    #: a multi-step upload (RunAPI's prepare → PUT → confirm): a generator that yields the
    #: calls, receives each reply, and returns the file's URL; preferred over build_upload
    upload_flow: Callable[[bytes, str, str], Generator[HttpCall, Any, str]] | None = None
    #: remote cancel (MiniMax v2 ``DELETE``): the call for a task (None where that task has
    #: none), and the task's status the reply reports (``cancelled``, ``deleted``)
    build_cancel: Callable[[TaskRef], HttpCall | None] | None = None
    parse_cancel: Callable[[Any], str] | None = None
    #: find a task whose submit reply was lost (MiniMax v2 task list): the call for a request
    #: sent at ``since`` (Unix s), and the listed tasks that match it
    build_find: Callable[[PreparedRequest, float], HttpCall | None] | None = None
    parse_find: Callable[[Any, PreparedRequest, float], tuple[TaskRef, ...]] | None = None
    #: prompt expansion (MiniMax H3 Context-IR): the create call (None where the model has
    #: none), and from a poll reply of its task the expanded prompt (None while it runs)
    build_enhance: Callable[[PreparedRequest], HttpCall | None] | None = None
    parse_enhance: Callable[[Any], str | None] | None = None
    #: the error for a task the gateway no longer keeps (MiniMax v2: 7 days), from its
    #: submit time before polling (error None) or from a poll's error; None if not so
    expired: Callable[[TaskRef, float | None, HailuoError | None], HailuoError | None] | None = None
    #: canonical id -> resolutions / durations, where the provider serves fewer than the catalog lists
    resolutions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    durations: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    #: model family -> prompt limit, where the provider's is not the model's
    prompt_max: Mapping[str, int] = field(default_factory=dict)
    #: whether it regenerates a finished clip at a higher resolution (``base_video``: H3 2K)
    regenerates: bool = False
    #: a human name and the page that documents the API
    label: str = ""
    docs_url: str = ""

    @property
    def env_variables(self) -> tuple[str, str]:
        """The variables this provider reads: its key and its base URL."""
        return (self.key_env, self.base_url_env)

    def serves(self, model_id: str) -> bool:
        return model_id in self.models

    def resolutions_for(self, spec: ModelSpec) -> tuple[str, ...]:
        return self.resolutions.get(spec.id, spec.resolutions)

    def durations_for(self, spec: ModelSpec) -> tuple[int, ...]:
        return self.durations.get(spec.id, spec.durations)

    def prompt_limit(self, spec: ModelSpec) -> int:
        return self.prompt_max.get(spec.family, spec.prompt_max)
