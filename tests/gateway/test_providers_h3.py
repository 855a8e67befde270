"""MiniMax H3 on three wires (docs/protocols.md §11): every build/parse function, table by table.

Replies are shaped as §11 documents them, ⚠ variants included (``expired``, the older
``cancel``/``delete`` wording, a last frame alone).
"""

import base64
import hashlib
import time

import httpx
import pytest

from hailuo_nb.errors import (
    AuthenticationError,
    ContentPolicyError,
    ContentPolicyFailure,
    GatewayError,
    GatewayValidationError,
    GenerationFailed,
    InsufficientCreditsError,
    RateLimitError,
    ValidationError,
)
from hailuo_nb.gateway.catalog import MODELS
from hailuo_nb.gateway.client import http_error
from hailuo_nb.gateway.config import Endpoint
from hailuo_nb.gateway.media import Clip, Reference
from hailuo_nb.gateway.providers import PROVIDERS, minimax, minimax_v2, runapi, runninghub
from hailuo_nb.gateway.providers.base import HttpCall, Media, PreparedRequest
from hailuo_nb.gateway.request import GenerationRequest, build_request
from hailuo_nb.gateway.task import CANCELLED, FAILED, QUEUED, RUNNING, SUCCEEDED, TaskRef

IMG, IMG2 = "https://img.test/a.png", "https://img.test/b.png"
CLIP, SOUND = "https://media.test/c.mp4", "https://media.test/s.wav"


def prepared(provider, model="hailuo-h3-text-to-video", *, media=(), duration=6, resolution="768p",
             ratio="16:9", prompt="a fox runs through snow"):
    """An H3 request as the runner hands it to an adapter (built directly: no validation here)."""
    refs = tuple(Reference(role.removeprefix("reference_"), Clip("video", url=url)) for role, url in media
                 if role.startswith("reference_"))
    request = GenerationRequest(
        endpoint=Endpoint(provider, PROVIDERS[provider]), model=MODELS[model],
        native_model=PROVIDERS[provider].models[model], prompt=prompt, duration=duration,
        resolution=resolution, ratio=ratio, references=refs,
    )
    return PreparedRequest(request, "gen-1", tuple(Media(role, url) for role, url in media))


FRAMES = (("first_frame", IMG), ("last_frame", IMG2))
REFS = (("reference_image", IMG), ("reference_image", IMG2), ("reference_video", CLIP),
        ("reference_audio", SOUND))


# -- MiniMax v2: create ----------------------------------------------------------------------
@pytest.mark.parametrize("model, media, ratio, resolution, duration, expect", [
    ("hailuo-h3-text-to-video", (), "16:9", "768p", 4,
     {"model": "MiniMax-H3", "resolution": "768P", "duration": 4, "ratio": "16:9"}),
    ("hailuo-h3-text-to-video", (), "21:9", "2k", 15,
     {"model": "MiniMax-H3", "resolution": "2K", "duration": 15, "ratio": "21:9"}),
    ("hailuo-h3-image-to-video", FRAMES, "adaptive", "768p", 6,
     {"model": "MiniMax-H3", "resolution": "768P", "duration": 6}),
    ("hailuo-h3-image-to-video", (("last_frame", IMG2),), "adaptive", "768p", 6,
     {"model": "MiniMax-H3", "resolution": "768P", "duration": 6}),
    ("hailuo-h3-reference-to-video", REFS, "9:16", "2k", 8,
     {"model": "MiniMax-H3", "resolution": "2K", "duration": 8, "ratio": "9:16"}),
    ("hailuo-h3-max-text-to-video", (), "1:1", "480p", 5,
     {"model": "MiniMax-H3-Max", "resolution": "480P", "duration": 5, "ratio": "1:1"}),
])
def test_v2_create_body(model, media, ratio, resolution, duration, expect):
    req = prepared("minimax", model, media=media, ratio=ratio, resolution=resolution, duration=duration)
    call = minimax.build_submit(req)
    assert (call.method, call.path) == ("POST", "/v2/video_generation")
    body = dict(call.json)
    items = body.pop("content")
    assert body == expect  # ratio only where it applies; no prompt_optimizer, no base_resp-era fields
    assert items[0] == {"type": "text", "text": "a fox runs through snow"}
    assert [(i.get("role"), i["type"]) for i in items[1:]] == [
        (role, "video_url" if "video" in role else "audio_url" if "audio" in role else "image_url")
        for role, _ in media]
    assert [i[i["type"]]["url"] for i in items[1:]] == [url for _, url in media]
    assert isinstance(body["duration"], int)


def test_v1_models_still_use_v1():
    req = prepared("minimax", "hailuo-02-text-to-video-pro", ratio=None, resolution="1080p")
    assert minimax.build_submit(req).path == "/v1/video_generation"
    assert minimax.parse_submit({"task_id": "9", "base_resp": {"status_code": 0}}, req) == TaskRef("9")
    assert minimax.build_poll(TaskRef("9")).params == {"task_id": "9"}


def test_v2_submit_and_poll_route():
    req = prepared("minimax")
    ref = minimax.parse_submit({"task_id": "424010985738629"}, req)
    assert ref == TaskRef("424010985738629", route="v2")
    call = minimax.build_poll(ref)
    assert (call.method, call.path, call.params) == ("GET", "/v2/query/video_generation/424010985738629", None)
    with pytest.raises(GatewayError, match="no task_id"):
        minimax.parse_submit({}, req)


# -- MiniMax v2: query -------------------------------------------------------------------------
def task(status, **extra):
    base = {"id": "424010985738629", "model": "MiniMax-H3", "status": status, "created_at": 1761000000,
            "updated_at": 1761000100, "resolution": "768P", "duration": 6, "ratio": "16:9",
            "task_type": "generation", "modality": "video", "usage": {}}
    return {"task": {**base, **extra}}


SIGNED = "https://cdn.minimax.test/v.mp4?sig=abc&expires=1761003600"


@pytest.mark.parametrize("reply, status", [
    (task("queued"), QUEUED),
    (task("running"), RUNNING),
    (task("cancelled"), CANCELLED),
    (task("succeeded", content={"url": SIGNED}), SUCCEEDED),
    (task("failed", error={"code": "1000", "message": "internal error"}), FAILED),
    (task("expired"), FAILED),  # ⚠ Comfy Router / older China revision: accepted as a failure
])
def test_v2_statuses(reply, status):
    state = minimax.parse_poll(reply)  # dispatched on the reply's shape
    assert state.status == status and state.raw_status == reply["task"]["status"]
    assert state.video_url == (SIGNED if status == SUCCEEDED else None)


@pytest.mark.parametrize("error, cls, code", [
    ({"code": "1026", "message": "input contains sensitive content"}, ContentPolicyFailure, "1026"),
    ({"code": "1027", "message": "output video refused"}, ContentPolicyFailure, "1027"),
    ({"code": "1000", "message": "internal error"}, GenerationFailed, "1000"),
])
def test_v2_failures_keep_the_string_code(error, cls, code):
    state = minimax_v2.parse_poll(task("failed", error=error))
    assert type(state.error) is cls and state.error.code == code and error["message"] in str(state.error)


def test_v2_expired_status_says_so():
    assert "expired" in str(minimax_v2.parse_poll(task("expired")).error)


def test_v2_success_without_url_is_an_error():
    with pytest.raises(GatewayError, match="content.url"):
        minimax_v2.parse_poll(task("succeeded", content={}))


USAGE = {"total_seconds": 6, "input_seconds": 0, "output_seconds": 6, "input_image_count": 0,
         "total_tokens": 1000, "prompt_tokens": 10, "completion_tokens": 990}


@pytest.mark.parametrize("resolution, usage, model, billed", [
    ("768P", USAGE, "MiniMax-H3", 0.48),
    ("2K", {**USAGE, "output_seconds": 10}, "MiniMax-H3", 1.30),
    ("768P", {**USAGE, "output_seconds": 5, "input_image_count": 7}, "MiniMax-H3", 0.48),  # 2 × $0.04
    ("768P", {**USAGE, "output_seconds": 5, "input_seconds": 3.2}, "MiniMax-H3", 0.72),  # 4 s rounded up
    ("2K", {**USAGE, "output_seconds": 4, "input_audio_seconds": 5}, "MiniMax-H3", 0.52),  # audio free
    ("480P", USAGE, "MiniMax-H3-Max", None),  # no published price
    ("768P", {}, "MiniMax-H3", None),
])
def test_v2_billed_at_list_price(resolution, usage, model, billed):
    reply = task("succeeded", content={"url": SIGNED}, usage=usage, resolution=resolution, model=model)
    assert minimax_v2.parse_poll(reply).billed_usd == billed


# -- MiniMax v2: HTTP errors (the client maps them; the code comes from the message) -------------
def v2_error(status, kind, message):
    body = {"type": "error", "error": {"type": kind, "message": message, "http_code": str(status)},
            "request_id": "0217850000abc"}
    return httpx.Response(status, json=body)


@pytest.mark.parametrize("status, kind, message, call, cls, code", [
    (400, "bad_request_error", "invalid params, content must include a non-empty text item (2013)", "submit",
     GatewayValidationError, "2013"),
    (401, "authorized_error", "invalid api key (1004)", "submit", AuthenticationError, "1004"),
    (402, "insufficient_balance_error", "insufficient balance (1008)", "submit", InsufficientCreditsError,
     "1008"),
    (422, "unprocessable_entity_error", "input new_sensitive (1026)", "submit", ContentPolicyError, "1026"),
    (429, "rate_limit_error", "rate limit exceeded (1002)", "poll", RateLimitError, "1002"),
    (500, "server_error", "internal error (1000)", "poll", GatewayError, "1000"),
    (400, "bad_request_error", "invalid task_id (2013)", "poll", GatewayError, "2013"),
])
def test_v2_http_errors(status, kind, message, call, cls, code):
    error = http_error(v2_error(status, kind, message), v2_error(status, kind, message).json(), "minimax",
                       kind=call)
    assert type(error) is cls and error.code == code and error.status_code == status
    assert error.request_id == "0217850000abc" and message in str(error)


# -- MiniMax v2: the 7-day window ----------------------------------------------------------------
V2 = TaskRef("42", route="v2")


def test_expired_by_age_before_any_request():
    error = minimax_v2.expired(V2, time.time() - 8 * 86400, None)
    assert isinstance(error, GenerationFailed) and error.task_id == "42"
    assert "expired at the gateway (MiniMax keeps tasks queryable for 7 days)" in str(error)
    assert minimax_v2.expired(V2, time.time() - 6 * 86400, None) is None
    assert minimax_v2.expired(TaskRef("42"), time.time() - 30 * 86400, None) is None  # v1: not this rule


def test_expired_by_an_invalid_task_id_reply():
    reply = v2_error(400, "bad_request_error", "invalid task_id (2013)")
    error = minimax_v2.expired(V2, time.time(), http_error(reply, reply.json(), "minimax", kind="poll"))
    assert "expired at the gateway" in str(error) and error.code == "2013"
    other = GatewayError("internal error (1000)", provider="minimax", code="1000")
    assert minimax_v2.expired(V2, time.time(), other) is None


# -- MiniMax v2: cancel -------------------------------------------------------------------------
@pytest.mark.parametrize("reply, status", [
    ({"task_id": "42", "action": "cancelled", "status": "cancelled"}, "cancelled"),
    ({"task_id": "42", "action": "deleted", "status": "deleted"}, "deleted"),
    ({"task_id": "42", "action": "cancel", "status": "cancel"}, "cancelled"),  # ⚠ older China wording
    ({"task_id": "42", "action": "delete"}, "deleted"),
])
def test_v2_cancel(reply, status):
    call = minimax.PROVIDER.build_cancel(V2)
    assert (call.kind, call.method, call.path) == ("cancel", "DELETE", "/v2/video_generation/42")
    assert minimax.PROVIDER.parse_cancel(reply) == status


def test_v1_tasks_have_no_cancel():
    assert minimax.PROVIDER.build_cancel(TaskRef("42")) is None


# -- MiniMax v2: the list, to find a task whose submit reply was lost --------------------------------
NOW = 1761000000.0


def item(id, created=NOW + 2, **extra):
    return {**task("queued", id=id, created_at=created)["task"], **extra}


def test_find_call():
    call = minimax.PROVIDER.build_find(prepared("minimax"), NOW)
    assert (call.kind, call.method, call.path) == ("list", "GET", "/v2/query/video_generation")
    assert call.params == {"page_num": 1, "page_size": 50, "filter.model": "MiniMax-H3",
                           "filter.task_type": "generation"}
    v1 = prepared("minimax", "hailuo-02-text-to-video-pro", ratio=None, resolution="1080p")
    assert minimax.PROVIDER.build_find(v1, NOW) is None


@pytest.mark.parametrize("items, found", [
    ([item("a")], ["a"]),
    ([item("old", created=NOW - 60), item("a")], ["a"]),  # before the submission was sent
    ([item("a", created=NOW - 5)], ["a"]),  # within the clock-skew margin
    ([item("a", model="MiniMax-H3-Max"), item("b", duration=10), item("c", resolution="2K")], []),
    ([item("a", ratio="9:16")], []),
    ([item("a", task_type="h3_context_ir")], []),
    ([item("a", prompt="something else"), item("b", prompt="a fox runs through snow")], ["b"]),
    ([item("a"), item("b")], ["a", "b"]),  # several: the runner cannot tell which
    ([], []),
])
def test_find_matches(items, found):
    refs = minimax.PROVIDER.parse_find({"items": items, "total": len(items)}, prepared("minimax"), NOW)
    assert [r.task_id for r in refs] == found and all(r.route == "v2" for r in refs)


def test_find_needs_items():
    with pytest.raises(GatewayError):
        minimax.PROVIDER.parse_find({"total": 3}, prepared("minimax"), NOW)


# -- MiniMax v2: Context-IR -----------------------------------------------------------------------
def test_enhance_call_and_replies():
    call = minimax.PROVIDER.build_enhance(prepared("minimax", duration=8))
    assert (call.method, call.path) == ("POST", "/v2/h3_context_ir")
    assert call.json == {"model": "MiniMax-H3", "duration": 8, "ratio": "16:9",
                         "content": [{"type": "text", "text": "a fox runs through snow"}]}
    ir = {"task_type": "h3_context_ir", "modality": "text"}
    assert minimax.PROVIDER.parse_enhance(task("running", **ir)) is None
    done = task("succeeded", content={"prompt": "A red fox <...> 16:9."}, **ir)
    assert minimax.PROVIDER.parse_enhance(done) == "A red fox <...> 16:9."
    with pytest.raises(GenerationFailed, match="boom"):
        minimax.PROVIDER.parse_enhance(task("failed", error={"code": "1000", "message": "boom"}, **ir))
    max_req = prepared("minimax", "hailuo-h3-max-text-to-video", resolution="480p")
    assert minimax.PROVIDER.build_enhance(max_req) is None


# -- RunAPI ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("model, media, ratio, path, expect", [
    ("hailuo-h3-text-to-video", (), "16:9", "/api/v1/minimax_h3/text_to_video",
     {"aspect_ratio": "16:9"}),
    ("hailuo-h3-image-to-video", FRAMES, "adaptive", "/api/v1/minimax_h3/image_to_video",
     {"first_frame_image_url": IMG, "last_frame_image_url": IMG2}),
    ("hailuo-h3-image-to-video", (("last_frame", IMG2),), "adaptive", "/api/v1/minimax_h3/image_to_video",
     {"last_frame_image_url": IMG2}),
    ("hailuo-h3-reference-to-video", REFS, "adaptive", "/api/v1/minimax_h3/text_to_video",
     {"aspect_ratio": "adaptive", "reference_image_urls": [IMG, IMG2], "reference_video_urls": [CLIP],
      "reference_audio_urls": [SOUND]}),
])
def test_runapi_h3_bodies(model, media, ratio, path, expect):
    req = prepared("runapi", model, media=media, ratio=ratio, resolution="2k", duration=12)
    call = runapi.build_submit(req)
    assert call.path == path
    assert call.json == {"model": "minimax-h3", "prompt": "a fox runs through snow", "duration_seconds": 12,
                         "output_resolution": "2k", **expect}
    ref = runapi.parse_submit({"id": "t1", "status": "pending"}, req)
    assert runapi.build_poll(ref).path == path + "/t1"


def test_runapi_hailuo_routes_unchanged():
    assert runapi.build_poll(TaskRef("t1", "image_to_video")).path == "/api/v1/hailuo/image_to_video/t1"


def test_runapi_usage_cost_is_billed():
    reply = {"id": "t1", "status": "completed", "videos": [{"url": SIGNED}], "usage": {"cost": 0.62}}
    state = runapi.parse_poll(reply)
    assert (state.status, state.video_url, state.billed_usd) == (SUCCEEDED, SIGNED, 0.62)


def drive(flow, replies):
    """Run an upload flow against canned replies; return (calls, url)."""
    calls, reply = [], None
    try:
        while True:
            calls.append(flow.send(reply))
            reply = replies[len(calls) - 1]
    except StopIteration as done:
        return calls, done.value


FILE_REPLY = {"file_name": "c.mp4", "url": "https://files.runapi.test/c.mp4", "size_bytes": 9,
              "mime_type": "video/mp4", "created_at": "…", "expires_at": "…"}


def test_runapi_small_files_go_as_base64():
    calls, url = drive(runapi.upload_flow(b"tiny", "image/png", "a.png"), [FILE_REPLY])
    assert [c.path for c in calls] == ["/api/v1/files"]
    assert calls[0].json == {"source": {"type": "base64", "data": "dGlueQ=="}, "file_name": "a.png"}
    assert url == FILE_REPLY["url"]


def test_runapi_large_files_use_the_direct_upload():
    data = b"\0" * (runapi.DIRECT_UPLOAD_OVER + 1)
    ticket = {"upload_url": "https://storage.test/put?sig=1", "signed_id": "sid-1",
              "headers": {"Content-Type": "video/mp4", "Content-MD5": "x"}}
    calls, url = drive(runapi.upload_flow(data, "video/mp4", "c.mp4"), [ticket, None, FILE_REPLY])
    prepare, put, confirm = calls
    assert prepare.path == "/api/v1/files/prepare" and prepare.json["byte_size"] == len(data)
    assert prepare.json["checksum"] == base64.b64encode(hashlib.md5(data).digest()).decode()  # not the hex
    assert (put.method, put.url, put.content is data, dict(put.headers)) == (
        "PUT", ticket["upload_url"], True, ticket["headers"])
    assert confirm.json == {"signed_id": "sid-1"} and url == FILE_REPLY["url"]


# -- RunningHub -------------------------------------------------------------------------------------
@pytest.mark.parametrize("model, media, ratio, resolution, path, expect", [
    ("hailuo-h3-text-to-video", (), "16:9", "2k", "/minimax/hailuo-h3/text-to-video",
     {"ratio": "16:9", "resolution": "2K"}),
    ("hailuo-h3-image-to-video", FRAMES, "adaptive", "768p", "/minimax/hailuo-h3/image-to-video",
     {"firstFrameUrl": IMG, "lastFrameUrl": IMG2, "resolution": "768P"}),
    ("hailuo-h3-reference-to-video", REFS, "adaptive", "768p", "/minimax/hailuo-h3/multimodal-to-video",
     {"ratio": "adaptive", "resolution": "768P", "imageUrls": [IMG, IMG2], "videoUrls": [CLIP],
      "audioUrls": [SOUND]}),
    ("hailuo-h3-max-text-to-video", (), "9:16", "480p", "/minimax/hailuo-h3-max/text-to-video",
     {"ratio": "9:16", "resolution": "480P"}),
])
def test_runninghub_h3_bodies(model, media, ratio, resolution, path, expect):
    req = prepared("runninghub", model, media=media, ratio=ratio, resolution=resolution, duration=7)
    call = runninghub.build_submit(req)
    assert call.path == path
    assert call.json == {"prompt": "a fox runs through snow", "duration": "7", **expect}  # no enablePromptExpansion


def test_runninghub_bill_is_a_cny_note():
    reply = {"taskId": "1", "status": "SUCCESS", "errorCode": "", "errorMessage": "",
             "results": [{"url": SIGNED, "outputType": "mp4"}],
             "usage": {"consumeCoins": 120, "thirdPartyConsumeMoney": 3.85, "taskCostTime": 95}}
    state = runninghub.parse_poll(reply)
    assert state.billed_usd is None and state.billed_note == "RunningHub billed ¥3.85 (usage.thirdPartyConsumeMoney)"


# -- the catalog per provider, checked before any request ------------------------------------------
def test_which_provider_serves_which_h3_model():
    assert sorted(m for m in runapi.MODELS if "h3" in m) == [
        "hailuo-h3-image-to-video", "hailuo-h3-reference-to-video", "hailuo-h3-text-to-video"]
    assert "hailuo-h3-max-image-to-video" not in runninghub.MODELS
    assert all(m in minimax.MODELS for m in MODELS if "h3" in m)


@pytest.mark.parametrize("provider, kwargs, field", [
    ("minimax", {"duration": 16}, "duration"),
    ("runapi", {"duration": 16}, "duration"),
    ("runninghub", {"duration": 4}, "duration"),  # RunningHub offers 5–15 s
    ("minimax", {"resolution": "1080p"}, "resolution"),
    ("runninghub", {"resolution": "1080p"}, "resolution"),
    ("minimax", {"ratio": None}, "ratio"),
    ("runapi", {"ratio": None}, "ratio"),
    ("runapi", {"model": "hailuo-h3-max-text-to-video"}, "model"),
    ("minimax", {"model": "hailuo-h3-reference-to-video", "ratio": None,
                 "reference_images": [f"https://img.test/{i}.png" for i in range(10)]}, "reference_images"),
])
def test_invalid_h3_requests(provider, kwargs, field):
    args = {"model": "hailuo-h3-text-to-video", "ratio": "16:9", **kwargs}
    with pytest.raises(ValidationError) as info:
        build_request("a fox", provider=provider, **args)
    assert info.value.field == field


def test_runninghub_says_why_4_s_is_refused():
    with pytest.raises(ValidationError, match="on runninghub; allowed: whole seconds from 5 to 15"):
        build_request("a fox", model="hailuo-h3-text-to-video", provider="runninghub", duration=4, ratio="1:1")
    assert build_request("a fox", model="hailuo-h3-text-to-video", provider="minimax", duration=4,
                         ratio="1:1").duration == 4


@pytest.mark.parametrize("provider, native, kwargs, canonical", [
    ("minimax", "MiniMax-H3", {"ratio": "16:9"}, "hailuo-h3-text-to-video"),
    ("minimax", "MiniMax-H3", {"first_frame": IMG}, "hailuo-h3-image-to-video"),
    ("minimax", "MiniMax-H3", {"reference_images": [IMG]}, "hailuo-h3-reference-to-video"),
    ("minimax", "MiniMax-H3-Max", {"ratio": "4:3", "resolution": "480p"}, "hailuo-h3-max-text-to-video"),
    ("runapi", "minimax-h3", {"last_frame": IMG2}, "hailuo-h3-image-to-video"),
    ("runninghub", "minimax/hailuo-h3/multimodal-to-video", {"reference_images": [IMG]},
     "hailuo-h3-reference-to-video"),
])
def test_native_ids_pick_the_mode_from_the_inputs(provider, native, kwargs, canonical):
    request = build_request("a fox", model=native, provider=provider, **kwargs)
    assert (request.model.id, request.native_model) == (canonical, native)


def test_http_call_fields_for_a_put():
    call = HttpCall("upload", "PUT", "", url="https://s.test/x", content=b"1", headers={"A": "b"})
    assert call.url and call.content == b"1"
