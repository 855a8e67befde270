"""Reference tables generated from the registry and the catalog (README, docs/matrix.md).

``docs/make_matrix.py`` writes them; a test checks the committed copies are current, so a
new gateway or model shows up in the docs by registering it, not by editing tables.
"""

from __future__ import annotations

from hailuo_nb.gateway.catalog import MODELS, ModelSpec
from hailuo_nb.gateway.pricing import list_price
from hailuo_nb.gateway.providers import PROVIDERS


def config_table() -> list[str]:
    """One row per gateway: its key and base-URL variables and default host."""
    lines = ["| gateway (`HAILUO_PROVIDER`) | key variable | base-URL variable | default base URL |",
             "|---|---|---|---|"]
    for p in PROVIDERS.values():
        name = f"[{p.label or p.name}]({p.docs_url}) (`{p.name}`)" if p.docs_url else f"`{p.name}`"
        lines.append(f"| {name} | `{p.key_env}` | `{p.base_url_env}` | `{p.default_base_url}` |")
    lines.append("| offline simulator (`sim`) | none | none | a loopback server started on demand |")
    return lines


def _rows(spec: ModelSpec) -> list[tuple[str, int, str]]:
    """(duration label, duration to price, resolution): per-second models get one row per resolution."""
    if spec.duration_range:
        low, high = spec.duration_range
        return [(f"{low}–{high}", 1, r) for r in spec.resolutions]
    return [(str(d), d, r) for d in spec.durations for r in spec.resolutions]


def _priced() -> list[str]:
    """Providers with at least one published price, in registry order."""
    return [name for name in PROVIDERS
            if any(list_price(name, m.id, d, r) for m in MODELS.values() for _, d, r in _rows(m))]


def price_table() -> list[str]:
    names = list(PROVIDERS)
    marks = {name: i for i, name in enumerate(_priced(), start=1)}
    head = ["model", "s", "res", *names]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for spec in MODELS.values():
        for label, seconds, resolution in _rows(spec):
            cells = [f"`{spec.id}`", label, resolution]
            for name in names:
                p = PROVIDERS[name]
                if not (p.serves(spec.id) and resolution in p.resolutions_for(spec)):
                    cells.append("–")
                    continue
                est = list_price(name, spec.id, seconds, resolution)
                unit = "/s" if spec.duration_range else ""
                served = p.durations_for(spec)
                narrower = f" ({min(served)}–{max(served)} s)" if served != spec.durations else ""
                cells.append(f"{est}{unit} [{marks[name]}]{narrower}" if est else f"✓ no price{narrower}")
            lines.append("| " + " | ".join(cells) + " |")
    return lines


def names_table() -> list[str]:
    names = list(PROVIDERS)
    lines = ["| model | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for spec in MODELS.values():
        cells = [f"`{native}`" if (native := PROVIDERS[n].models.get(spec.id)) else "–" for n in names]
        lines.append(f"| `{spec.id}` | " + " | ".join(cells) + " |")
    return lines


def native_ids() -> list[str]:
    return [f"- {name}: " + ", ".join(f"`{n}`" for n in p.native_models)
            for name, p in PROVIDERS.items() if p.native_models]


def matrix() -> list[str]:
    priced = _priced()
    sources = [f"[{i}] {PROVIDERS[name].price_source}." for i, name in enumerate(priced, start=1)]
    unpriced = [name for name in PROVIDERS if name not in priced]
    if unpriced:
        sources.append(" and ".join(unpriced) + ": no published Hailuo prices.")
    return [
        "Price of one video per provider (list prices; – = not served, “✓ no price” = served, no "
        "published price; `/s` = per second of video). The simulator shows MiniMax's prices and charges "
        "nothing. H3 adds reference media: images beyond the fifth and reference-video seconds.",
        "",
        *price_table(),
        "",
        "<br>".join(sources),
        "",
        "What each provider calls the model (the adapter maps the canonical id to it):",
        "",
        *names_table(),
        "",
        "Provider-native ids accepted as `model=` too (passed through as they are):",
        "",
        *native_ids(),
    ]
