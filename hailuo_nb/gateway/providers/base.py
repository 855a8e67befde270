"""What every provider module declares: data plus pure build/parse functions.

A provider never does I/O. It turns a validated request into :class:`HttpCall`
descriptions and raw JSON replies into ids, :class:`TaskState` s and errors; the
gateway client (one place) sends, retries and polls.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from hailuo_nb.errors import HailuoError
from hailuo_nb.gateway.catalog import ModelSpec
from hailuo_nb.gateway.task import TaskRef, TaskState

Kind = Literal["submit", "poll", "retrieve", "upload", "download"]
ImageMode = Literal["data_url", "upload", "url"]


@dataclass(frozen=True)
class HttpCall:
    """One HTTP request, described; ``path`` is relative to the provider's base URL."""

    kind: Kind
    method: str
    path: str
    json: Any = None
    params: Mapping[str, str] | None = None
    files: Mapping[str, tuple[str, bytes, str]] | None = None
    #: sent as an ``Idempotency-Key`` header on submissions: the journal's own id, so a
    #: gateway that honours it never creates a second task for one generation
    idempotency_key: str | None = None


@dataclass(frozen=True)
class PreparedRequest:
    """A validated request with images already in the form the protocol takes."""

    client_id: str  # the journal's own id for this generation
    model: ModelSpec
    native_model: str
    prompt: str
    duration: int
    resolution: str
    prompt_optimizer: bool
    first_frame: str | None = None  # URL or data URL
    last_frame: str | None = None
    callback_url: str | None = None


@dataclass(frozen=True)
class Provider:
    """A wire protocol: its settings as data and its pure functions."""

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
    check_body: Callable[[Any], HailuoError | None]
    build_retrieve: Callable[[str], HttpCall] | None = None
    parse_retrieve: Callable[[Any], str] | None = None
    build_upload: Callable[[bytes, str, str], HttpCall] | None = None
    parse_upload: Callable[[Any], str] | None = None
    #: canonical id -> resolutions, where the provider serves fewer than the catalog lists
    resolutions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: extra words this provider's docs use for the lifecycle, lower-case
    status_words: Mapping[str, str] = field(default_factory=dict)
    #: the rate of status/result requests the provider tolerates (requests per second)
    max_rps: float = 10.0
