"""The Python API of docs/design.md §5: a thin synchronous shell over the engine's async core."""

from __future__ import annotations

import asyncio
from typing import Any

from hailuo_nb.errors import ValidationError
from hailuo_nb.gateway import session
from hailuo_nb.gateway.catalog import MODELS
from hailuo_nb.gateway.config import resolve_provider
from hailuo_nb.gateway.generation import Generation as _CoreGeneration
from hailuo_nb.gateway.pricing import list_price
from hailuo_nb.gateway.providers import PROVIDERS
from hailuo_nb.gateway.request import build_request


class Generation(_CoreGeneration):
    """One video generation (docs/design.md §5); in a notebook it shows its live status, then its video."""

    def _ipython_display_(self) -> None:
        # The display-id path: live widget, then the video saved in this cell's output.
        from hailuo_nb.notebook.display import show

        show(self)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Any:
        from hailuo_nb.notebook.display import generation_mimebundle

        return generation_mimebundle(self, include, exclude)

    def finalize_plan(self, resolution: str | None = None) -> Any:
        """The ledger (drafts' cost so far, finalizing's cost) before anything is sent."""
        from hailuo_nb.gateway.finalize import finalize_plan

        return finalize_plan(self, resolution)

    def finalize(self, resolution: str | None = None, *, wait: bool = False) -> Generation:
        """Render this draft at its model family's best resolution (see ``finalize_plan`` for the cost)."""
        from hailuo_nb.gateway.finalize import finalize

        final: Generation = finalize(self, resolution, cls=Generation)
        return final.wait() if wait else final  # type: ignore[return-value]


def generate(
    prompt: str,
    model: str = "hailuo-02-text-to-video-pro",
    provider: str | None = None,
    duration: int | None = None,
    resolution: str | None = None,
    first_frame: Any = None,
    last_frame: Any = None,
    prompt_optimizer: bool = True,
    wait: bool = True,
    *,
    ratio: str | None = None,
    reference_images: Any = None,
    reference_videos: Any = None,
    reference_audio: Any = None,
    references: Any = None,
    reuse: bool = False,
    timeout: float | None = None,
    callback_url: str | None = None,
    callback_listen: str | None = None,
    **options: Any,
) -> Generation:
    """Generate a video; with ``wait`` (default) block until it is downloaded.

    H3 takes ``ratio`` (``"16:9"``…, required for text-to-video) and reference media:
    ``reference_images`` / ``reference_videos`` / ``reference_audio`` (paths, URLs, bytes,
    PIL images, finished Generations), or ``references`` of any kinds mixed.
    Invalid parameters raise :class:`hailuo_nb.ValidationError` before any request.
    A generation that fails remotely does not raise: see ``gen.status`` and ``gen.error``
    (or call ``gen.raise_for_status()``). ``reuse=True`` returns an identical earlier
    generation (finished or in flight) instead of paying again; ``timeout`` bounds the
    whole generation (default 30 min; the task stays resumable by id).
    ``callback_url`` is passed to the gateway; with ``callback_listen="host:port"`` (or
    HAILUO_CALLBACK_LISTEN) this process also listens there for the callbacks, so completion
    is noticed without polling (see README, "Callbacks"). Any other keyword goes to the request
    as it is (``build_request`` validates it), so a new request parameter needs no change here.

    Examples:
        >>> gen = hailuo_nb.generate("a glass marble rolls across a desk")
        >>> gen.video_path
        PosixPath('hailuo_videos/106916112212032.mp4')
    """
    request = build_request(
        prompt, model=model, provider=provider, duration=duration, resolution=resolution,
        ratio=ratio, first_frame=first_frame, last_frame=last_frame, reference_images=reference_images,
        reference_videos=reference_videos, reference_audio=reference_audio, references=references,
        prompt_optimizer=prompt_optimizer, callback_url=callback_url, **options,
    )
    gen = session.start(request, reuse=reuse, deadline=timeout, cls=Generation,
                        callback_listen=callback_listen)
    if wait:
        gen.wait()
    return gen  # type: ignore[return-value]


async def agenerate(prompt: str, model: str = "hailuo-02-text-to-video-pro", **kwargs: Any) -> Generation:
    """:func:`generate` for ``async`` code: awaits the result without blocking the loop."""
    wait = kwargs.pop("wait", True)
    gen = generate(prompt, model, wait=False, **kwargs)
    if wait and gen._future is not None and not gen.done:
        await asyncio.wrap_future(gen._future)
    return gen


def enhance(
    prompt: str,
    model: str = "hailuo-h3-text-to-video",
    provider: str | None = None,
    duration: int | None = None,
    ratio: str | None = None,
    *,
    first_frame: Any = None,
    last_frame: Any = None,
    reference_images: Any = None,
    reference_videos: Any = None,
    reference_audio: Any = None,
    references: Any = None,
    timeout: float | None = None,
) -> str:
    """The gateway's expansion of ``prompt`` (MiniMax H3 Context-IR), to read before paying for video.

    Takes the inputs :func:`generate` would (the expansion names the media, e.g.
    ``<Picture 1>``), so pass the same ones. Billed in tokens by MiniMax; served by
    ``minimax`` and ``sim``, others raise :class:`hailuo_nb.ValidationError`. Blocks until
    the text is in (``timeout``, default 120 s).

    Examples:
        >>> text = hailuo_nb.enhance("a fox in snow", ratio="16:9")
        >>> gen = hailuo_nb.generate(text, model="hailuo-h3-text-to-video", ratio="16:9")
    """
    from hailuo_nb.gateway.engine import get_engine
    from hailuo_nb.gateway.enhance import DEFAULT_TIMEOUT, check_provider, expand

    endpoint = resolve_provider(provider)
    check_provider(endpoint.name, endpoint.protocol.build_enhance is not None)
    request = build_request(
        prompt, model=model, provider=endpoint.name, duration=duration, ratio=ratio,
        first_frame=first_frame, last_frame=last_frame, reference_images=reference_images,
        reference_videos=reference_videos, reference_audio=reference_audio, references=references,
    )
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))
                                or not timeout > 0):
        raise ValidationError("timeout", timeout, "None or a positive number of seconds")
    engine = get_engine()

    async def run() -> str:
        return await expand(engine.client(endpoint), request, timeout or DEFAULT_TIMEOUT)

    return engine.submit(run()).result()


def resume(task_id: str, provider: str | None = None) -> Generation:
    """Pick a journaled task up again by its id (after a kernel restart, a timeout...)."""
    return session.resume(str(task_id), cls=Generation, provider=provider)  # type: ignore[return-value]


def pending() -> list[_CoreGeneration]:
    """The generations of this session still in flight."""
    return session.pending()


def wait_all(timeout: float | None = None) -> list[_CoreGeneration]:
    """Block until every pending generation of this session has ended."""
    gens = session.pending()
    for gen in gens:
        gen.wait(timeout)
    return gens


def history(limit: int = 20) -> list[dict[str, Any]]:
    """The journal's newest generations (all sessions), newest first."""
    return session.history(limit)


def orphans() -> list[dict[str, Any]]:
    """Generations left in flight by a process that is gone (e.g. a dead kernel)."""
    return session.orphans()


def session_spend() -> float:
    """Estimated USD spent by this session's generations."""
    return session.session_spend()


def provider_info(provider: str | None = None) -> dict[str, Any]:
    """Which provider is in use, and whether it is the offline simulator."""
    endpoint = resolve_provider(provider)
    return {
        "name": endpoint.name,
        "simulated": endpoint.simulated,
        "protocol": endpoint.protocol.name,
        "base_url": None if endpoint.simulated else endpoint.base_url,
        "key_variable": endpoint.key_variable,
    }


class ModelInfo(dict[str, Any]):
    """One catalog entry: a dict that also reads as attributes (``m["id"]`` or ``m.id``)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


class Catalog(list[ModelInfo]):
    """The model catalog: a list of entries, addressable by id too.

    ``"model-id" in catalog`` and ``catalog["model-id"]`` work, and it shows itself as a
    table in notebooks.
    """

    def __contains__(self, item: object) -> bool:
        if isinstance(item, str):
            return any(m["id"] == item for m in self)
        return super().__contains__(item)

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            for m in self:
                if m["id"] == key:
                    return m
            raise KeyError(key)
        return super().__getitem__(key)

    def ids(self) -> list[str]:
        return [m["id"] for m in self]

    def _repr_html_(self) -> str:
        # The same table as %hailuo models (one look, prices with $ kept out of LaTeX).
        from hailuo_nb.notebook import tables

        return tables.to_html(tables.catalog_table(self))


def models(provider: str | None = None) -> Catalog:
    """The model catalog: what each canonical model takes, who serves it, and list prices."""
    names = [resolve_provider(provider).name] if provider else [*PROVIDERS, "sim"]
    catalog = Catalog()
    for spec in MODELS.values():
        serving = [p for p in names if p == "sim" or PROVIDERS[p].serves(spec.id)]
        if not serving:
            continue
        prices = {
            p: {
                f"{d}s {r}": (str(est) if (est := list_price(p, spec.id, d, r)) else None)
                for d in spec.durations for r in spec.resolutions
            }
            for p in serving
        }
        catalog.append(ModelInfo(
            id=spec.id, label=spec.label, input=spec.input, last_frame=spec.last_frame,
            durations=list(spec.durations), resolutions=list(spec.resolutions),
            default_duration=spec.default_duration, default_resolution=spec.default_resolution,
            providers=serving, prices=prices,
        ))
    return catalog
