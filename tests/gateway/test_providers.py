"""Each provider's pure build/parse functions, table by table."""

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
)
from hailuo_nb.gateway.catalog import MODELS
from hailuo_nb.gateway.config import Endpoint
from hailuo_nb.gateway.providers import PROVIDERS, agentsflare, minimax, runapi, runbase, runninghub
from hailuo_nb.gateway.providers.base import Media, PreparedRequest
from hailuo_nb.gateway.request import GenerationRequest
from hailuo_nb.gateway.task import TaskRef


def prepared(provider, model="hailuo-02-text-to-video-pro", first=None, last=None, duration=6,
             resolution=None):
    """A request value as the runner hands it to an adapter (built directly: no validation here)."""
    spec = MODELS[model]
    request = GenerationRequest(
        endpoint=Endpoint(provider, PROVIDERS[provider]), model=spec,
        native_model=PROVIDERS[provider].models[model], prompt="a cat", duration=duration,
        resolution=resolution or spec.default_resolution,
    )
    media = tuple(Media(role, url) for role, url in (("first_frame", first), ("last_frame", last)) if url)
    return PreparedRequest(request, "gen-1", media)


# -- MiniMax ------------------------------------------------------------------------------
def test_minimax_submit_body():
    call = minimax.build_submit(prepared("minimax", "hailuo-02-image-to-video-standard", "data:image/png;base64,AA",
                                         "https://x/l.png", duration=10, resolution="512p"))
    assert (call.method, call.path) == ("POST", "/v1/video_generation")
    assert call.json == {
        "model": "MiniMax-Hailuo-02", "prompt": "a cat", "prompt_optimizer": True, "duration": 10,
        "resolution": "512P", "first_frame_image": "data:image/png;base64,AA",
        "last_frame_image": "https://x/l.png",
    }


def test_minimax_poll_and_retrieve():
    assert minimax.build_poll(TaskRef("42")).params == {"task_id": "42"}
    state = minimax.parse_poll({"task_id": "42", "status": "Success", "file_id": "176844028768320",
                                "video_width": 1920, "video_height": 1080,
                                "base_resp": {"status_code": 0, "status_msg": "success"}})
    assert (state.status, state.file_id, state.width) == ("succeeded", "176844028768320", 1920)
    # retrieve returns file_id as a JSON number
    assert minimax.parse_retrieve({"file": {"file_id": 176844028768320, "download_url": "https://v/x.mp4"},
                                   "base_resp": {"status_code": 0}}) == "https://v/x.mp4"


@pytest.mark.parametrize("word", ["Fail", "Failed", "FAILED"])
def test_minimax_failure_words(word):
    state = minimax.parse_poll({"status": word, "base_resp": {"status_code": 0}})
    assert state.status == "failed" and isinstance(state.error, GenerationFailed)


@pytest.mark.parametrize(
    "code, cls",
    [(1002, RateLimitError), (1039, RateLimitError), (1004, AuthenticationError), (2049, AuthenticationError),
     (1008, InsufficientCreditsError), (1026, ContentPolicyError), (1027, ContentPolicyFailure),
     (1013, GatewayError), (2013, GatewayValidationError)],
)
def test_minimax_in_band_codes(code, cls):
    error = minimax.check_body({"task_id": "", "base_resp": {"status_code": code, "status_msg": "nope"}})
    assert type(error) is cls and error.code == str(code)


def test_minimax_success_is_not_an_error():
    assert minimax.check_body({"task_id": "1", "base_resp": {"status_code": 0}}) is None


def test_minimax_legacy_models_omit_duration_and_resolution():
    spec = minimax.NATIVE_MODELS["T2V-01"]
    request = GenerationRequest(Endpoint("minimax", PROVIDERS["minimax"]), spec, "T2V-01", "p", 6, "720p")
    req = PreparedRequest(request, "g")
    assert "duration" not in minimax.build_submit(req).json


# -- RunAPI -------------------------------------------------------------------------------
def test_runapi_text_to_video():
    call = runapi.build_submit(prepared("runapi", "hailuo-02-text-to-video-standard", duration=10))
    assert call.path == "/api/v1/hailuo/text_to_video"
    assert call.json["duration_seconds"] == 10 and call.json["model"] == "hailuo-02-text-to-video-standard"
    assert "output_resolution" not in call.json


def test_runapi_image_to_video_fields():
    req = prepared("runapi", "hailuo-02-image-to-video-standard", "https://i/f.png", "https://i/l.png",
                   resolution="512p")
    call = runapi.build_submit(req)
    assert call.path == "/api/v1/hailuo/image_to_video"
    assert call.json["first_frame_image_url"] == "https://i/f.png"
    assert call.json["last_frame_image_url"] == "https://i/l.png"
    assert call.json["output_resolution"] == "512p"
    ref = runapi.parse_submit({"id": "t1", "status": "pending"}, req)
    assert ref == TaskRef("t1", "image_to_video")
    assert runapi.build_poll(ref).path == "/api/v1/hailuo/image_to_video/t1"


def test_runapi_pro_and_23_rules():
    pro = runapi.build_submit(prepared("runapi", "hailuo-02-image-to-video-pro", "https://i/f.png")).json
    assert "duration_seconds" not in pro and "output_resolution" not in pro
    v23 = runapi.build_submit(prepared("runapi", "hailuo-2.3-image-to-video-standard", "https://i/f.png")).json
    assert "prompt_optimizer" not in v23 and v23["output_resolution"] == "768p"


def test_runapi_poll_shapes():
    done = runapi.parse_poll({"id": "t1", "status": "completed", "videos": [{"url": "https://v/1.mp4"}],
                              "usage": {"cost": 0.05}})
    assert (done.status, done.video_url, done.billed_usd) == ("succeeded", "https://v/1.mp4", 0.05)
    failed = runapi.parse_poll({"id": "t1", "status": "failed", "error": "nsfw"})
    assert failed.error.message == "nsfw"
    assert runapi.parse_submit({"task_id": "tsk_abc123"}, prepared("runapi")).task_id == "tsk_abc123"


# -- Runbase ------------------------------------------------------------------------------
def test_runbase_flow():
    req = prepared("runbase", "hailuo-02-image-to-video-pro", "https://i/f.png")
    call = runbase.build_submit(req)
    assert call.json == {"model": "hailuo/pro", "input": {"prompt": "a cat", "image_urls": ["https://i/f.png"]}}
    assert runbase.build_poll(TaskRef("r1")).path == "/api/v1/runs/r1"
    assert runbase.parse_poll({"id": "r1", "status": "succeeded", "output": {"urls": ["https://v/r.mp4"]}}).video_url
    assert runbase.parse_poll({"status": "starting"}).status == "queued"
    assert runbase.parse_poll({"status": "canceled"}).status == "cancelled"


# -- RunningHub ---------------------------------------------------------------------------
def test_runninghub_bodies():
    t2v = runninghub.build_submit(prepared("runninghub", "hailuo-02-text-to-video-standard", duration=10))
    assert t2v.path == "/minimax/hailuo-02/t2v-standard"
    assert t2v.json == {"prompt": "a cat", "enablePromptExpansion": True, "duration": "10"}
    pro = runninghub.build_submit(prepared("runninghub")).json
    assert "duration" not in pro
    i2v = runninghub.build_submit(prepared("runninghub", "hailuo-02-image-to-video-standard", "https://f", "https://l")).json
    assert (i2v["firstImageUrl"], i2v["lastImageUrl"]) == ("https://f", "https://l")
    fast = runninghub.build_submit(prepared("runninghub", "hailuo-2.3-fast-image-to-video-standard", "https://f"))
    assert fast.path == "/minimax/hailuo-2.3-fast/image-to-video" and fast.json["imageUrl"] == "https://f"
    poll = runninghub.build_poll(TaskRef("2013"))
    assert (poll.method, poll.path, poll.json) == ("POST", "/query", {"taskId": "2013"})


def test_runninghub_replies():
    ok = {"taskId": "1", "status": "SUCCESS", "errorCode": "", "errorMessage": "",
          "results": [{"url": "https://v/c.png", "outputType": "png"}, {"url": "https://v/a.mp4", "outputType": "mp4"}]}
    assert runninghub.check_body(ok) is None
    assert runninghub.parse_poll(ok).video_url == "https://v/a.mp4"
    assert runninghub.parse_poll({"status": "QUEUED", "errorCode": 813, "errorMessage": "queued"}).status == "running"
    assert runninghub.check_body({"errorCode": "804", "errorMessage": "running"}) is None
    assert isinstance(runninghub.check_body({"errorCode": "802", "errorMessage": "bad key"}), AuthenticationError)
    failed = runninghub.parse_poll({"status": "FAILED", "errorCode": 1505, "errorMessage": "real person"})
    assert isinstance(failed.error, ContentPolicyError)
    assert runninghub.parse_upload({"code": 0, "data": {"download_url": "https://f/x.png"}}) == "https://f/x.png"


@pytest.mark.parametrize("base", ["http://h:1", "http://h:1/", "http://h:1/openapi/v2", "http://h:1/openapi/v2/"])
def test_runninghub_base_url_forms(base):
    assert runninghub.normalize_base_url(base) == "http://h:1/openapi/v2"


# -- Agentsflare --------------------------------------------------------------------------
def test_agentsflare_bodies():
    single = agentsflare.build_submit(prepared("agentsflare", "hailuo-2.3-fast-image-to-video-standard", "https://f"))
    assert single.json["model"] == "minimax-hailuo-2.3-Fast" and single.json["first_frame_image"] == "https://f"
    assert single.json["external_task_id"] == "gen-1" and single.json["resolution"] == "768P"
    frames = agentsflare.build_submit(prepared("agentsflare", "hailuo-02-image-to-video-standard", "https://f", "https://l"))
    assert frames.json["images"] == [{"url": "https://f"}, {"url": "https://l"}]
    assert agentsflare.build_poll(TaskRef("a1")).path == "/v1/async-result/a1"


@pytest.mark.parametrize(
    "body, status",
    [({"task_status": "PROCESSING"}, "running"), ({"task_status": "SUCCESS", "video_result": [{"url": "https://v"}]}, "succeeded"),
     ({"task_status": "FAIL"}, "failed"), ({"status": "queued"}, "queued"), ({"status": "succeeded", "url": "https://v"}, "succeeded")],
)
def test_agentsflare_poll(body, status):
    assert agentsflare.parse_poll(body).status == status


@pytest.mark.parametrize("name", list(PROVIDERS))
def test_every_provider_maps_only_catalog_models(name):
    assert set(PROVIDERS[name].models) <= set(MODELS)


@pytest.mark.parametrize(
    "provider, base, expected",
    [("minimax", "http://h/v1/", "http://h"), ("runapi", "http://h/api/v1", "http://h"),
     ("runbase", "http://h/api/v1", "http://h"), ("agentsflare", "http://h/v1", "http://h")],
)
def test_base_url_normalisation(provider, base, expected):
    assert PROVIDERS[provider].normalize_base_url(base) == expected
