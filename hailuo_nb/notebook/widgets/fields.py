"""The form's fields: the gateway's validation per field, and the provider options.

Kept apart from the widget (form.py) so the rules the form applies can be read, and
tested, on their own. Nothing here knows about widgets or the browser.
"""

from __future__ import annotations

import inspect
from typing import Any

from hailuo_nb.errors import ValidationError, _short_repr
from hailuo_nb.film.camera_moves import BRACKET, canonical_move, split_bracket
from hailuo_nb.film.shots import check_prompt
from hailuo_nb.gateway.catalog import MODELS, ModelSpec
from hailuo_nb.gateway.config import Endpoint, resolve_provider
from hailuo_nb.gateway.images import FrameImage
from hailuo_nb.gateway.request import GenerationRequest, build_request

FRAME_FIELDS = ("first_frame", "last_frame")
#: Field order: the first invalid one is the reason shown beside Submit.
FIELD_ORDER = ("provider", "model", "prompt", "duration", "resolution", "ratio", *FRAME_FIELDS, "references")
LABELS = {
    "provider": "Provider",
    "model": "Model",
    "prompt": "Prompt",
    "duration": "Duration",
    "resolution": "Resolution",
    "ratio": "Aspect ratio",
    "first_frame": "First frame",
    "last_frame": "Last frame",
    "references": "References",
}
#: The parameters the gateway's request takes today; a field a model's capabilities offer
#: beyond these (a ratio, reference media) is shown, but blocks Submit with a message.
REQUEST_FIELDS = frozenset(inspect.signature(build_request).parameters)
#: A stand-in frame for checking the other fields while a frame is missing or invalid.
PLACEHOLDER_FRAME = FrameImage(url="https://placeholder.invalid/frame.png")


def check_fields(**args: Any) -> tuple[dict[str, ValidationError], GenerationRequest | None]:
    """Every field's :class:`ValidationError` from ``build_request``, and the request if valid.

    ``build_request`` stops at the first problem; to show each field's message at once, a
    failing field is replaced by a neutral value and the rest checked again.
    """
    errors = unsendable(args)
    args = {k: v for k, v in args.items() if k not in errors}
    for _ in range(len(FIELD_ORDER) + 1):
        try:
            request = build_request(**args)
        except ValidationError as err:
            field = "references" if err.field.startswith("reference") else err.field
            if field in errors:
                break
            errors[field] = err
            if field == "prompt":
                args["prompt"] = "x"
            elif field in ("duration", "resolution", "ratio", "last_frame"):
                args[field] = None
            elif field == "references":
                args = {k: v for k, v in args.items() if not k.startswith("reference")}
            elif err.field == "first_frame":
                args["first_frame"] = PLACEHOLDER_FRAME
            else:  # provider or model: nothing else can be judged without them
                break
        else:
            return errors, (None if errors else request)
    return errors, None


def unsendable(args: dict[str, Any]) -> dict[str, ValidationError]:
    """An error for each argument the gateway's request does not take yet (ratio, ...)."""
    return {
        name: ValidationError(
            name,
            value,
            "the parameters build_request takes",
            reason="this version of hailuo_nb cannot send it yet",
        )
        for name, value in args.items()
        if name not in REQUEST_FIELDS
    }


def field_message(err: ValidationError) -> str:
    """The gateway's message without its leading ``field=value:``: the form shows it by the field."""
    head = f"{err.field}={_short_repr(err.value)}: "
    return err.message[len(head) :] if err.message.startswith(head) else err.message


def prompt_warnings(prompt: str, caps: dict[str, Any], *, length_error: bool) -> list[str]:
    """Warnings about the prompt that do not stop Submit (film/shots.py's check_prompt).

    Unknown or too many camera moves in brackets, and a prompt over the model's limit
    on this provider (unless the field's error says so already). A model that does not
    read camera moves (H3) gets a word about brackets that hold some.
    """
    limit = int(caps.get("prompt_max") or 2000)
    # (the gateway strips the prompt too; the picker lists the moves, so the list is left out)
    warnings = [w.split("; MiniMax knows:")[0] for w in check_prompt(prompt.strip(), limit)]
    if length_error:
        warnings = [w for w in warnings if not w.startswith("the prompt has ")]
    if caps and not caps.get("camera_moves"):
        moves = [p for m in BRACKET.finditer(prompt) for p in split_bracket(m.group(1)) if canonical_move(p)]
        if moves:
            warnings.append(f"{caps.get('label') or 'this model'} is not documented to read camera moves"
                            f" such as [{moves[0]}]; MiniMax documents them for Hailuo 02 and 2.3")
    return warnings


def model_spec(endpoint: Endpoint, model: str) -> ModelSpec | None:
    """The rules ``model`` follows on ``endpoint`` (canonical or provider-native), or None."""
    if model in MODELS and model in endpoint.protocol.models:
        return MODELS[model]
    return endpoint.protocol.native_models.get(model)


def provider_option(name: str) -> dict[str, Any]:
    endpoint = resolve_provider(name)
    has_key = endpoint.simulated
    if not has_key:
        from hailuo_nb.gateway.secrets import read_key

        has_key = read_key(endpoint.protocol.key_env) is not None  # only whether it is set
    label = "sim — offline simulator" if endpoint.simulated else name + ("" if has_key else " (no key)")
    return {
        "name": name,
        "label": label,
        "simulated": endpoint.simulated,
        "has_key": has_key,
        "image_mode": endpoint.protocol.image_mode,
    }
