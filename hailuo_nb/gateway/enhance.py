"""Prompt expansion (MiniMax H3 Context-IR, docs/protocols.md §11.1): text back for the user to read.

A small task of its own on the engine: create, poll the same query endpoint until it
succeeds, return ``task.content.prompt``. It is billed in tokens (cents, not dollars) and
produces no file, so it is not journaled like a generation; a timeout bounds the wait.
"""

from __future__ import annotations

import asyncio
import time
import uuid

from hailuo_nb.errors import GenerationTimeout, ValidationError
from hailuo_nb.gateway import config
from hailuo_nb.gateway.client import GatewayClient
from hailuo_nb.gateway.providers import PROVIDERS
from hailuo_nb.gateway.providers.base import Media, PreparedRequest
from hailuo_nb.gateway.request import GenerationRequest
from hailuo_nb.gateway.retry import SUBMIT

#: the longest a Context-IR task is waited for, by default (seconds)
DEFAULT_TIMEOUT = 120.0


def able_providers() -> list[str]:
    """Providers whose protocol has prompt expansion (and ``sim``, which speaks MiniMax's)."""
    names = [name for name, p in PROVIDERS.items() if p.build_enhance is not None]
    return [*names, "sim"] if "minimax" in names else names


def check_provider(name: str, has_enhance: bool) -> None:
    if not has_enhance:
        raise ValidationError("provider", name, able_providers(),
                              reason=f"{name} has no prompt expansion (MiniMax's H3 Context-IR)")


def prepared_for(request: GenerationRequest) -> PreparedRequest:
    """The request with its media as data URLs or URLs (the form MiniMax's v2 API takes)."""
    media = tuple(Media(role, m.url or m.data_url()) for role, m in request.media())
    return PreparedRequest(request, uuid.uuid4().hex, media)


async def expand(client: GatewayClient, request: GenerationRequest,
                 timeout: float = DEFAULT_TIMEOUT) -> str:
    """Create the Context-IR task, poll it, and return the expanded prompt."""
    protocol = client.endpoint.protocol
    prepared = prepared_for(request)
    call = protocol.build_enhance(prepared) if protocol.build_enhance is not None else None
    if call is None or protocol.parse_enhance is None:
        raise ValidationError("model", request.model.id, "hailuo-h3-text-to-video, hailuo-h3-image-to-video,"
                              " hailuo-h3-reference-to-video", reason="prompt expansion is an H3 feature")
    ref = protocol.parse_submit(await client.send(call, SUBMIT), prepared)
    deadline = time.monotonic() + timeout
    delay = config.poll_interval() or 0.5
    while True:
        await asyncio.sleep(min(delay, max(0.0, deadline - time.monotonic())))
        text = protocol.parse_enhance(await client.send(protocol.build_poll(ref)))
        if text is not None:
            return text
        if time.monotonic() >= deadline:
            raise GenerationTimeout(f"no expanded prompt after {timeout:g} s", provider=client.endpoint.name,
                                    task_id=ref.task_id)
        delay = config.poll_interval() or min(delay * 1.5, 5.0)
