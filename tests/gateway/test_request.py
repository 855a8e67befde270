"""Validation happens before any request and names field, value and what is allowed."""

import io

import pytest
from PIL import Image

from hailuo_nb import ValidationError
from hailuo_nb.gateway.catalog import MODELS
from hailuo_nb.gateway.providers import PROVIDERS
from hailuo_nb.gateway.request import build_request


def png(width=640, height=360, fmt="PNG"):
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 80, 40)).save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.fixture
def image_file(tmp_path):
    path = tmp_path / "frame.png"
    path.write_bytes(png())
    return path


def test_defaults_follow_the_model():
    req = build_request("a cat", provider="minimax")
    assert (req.model.id, req.duration, req.resolution) == ("hailuo-02-text-to-video-pro", 6, "1080p")
    std = build_request("a cat", provider="minimax", model="hailuo-02-text-to-video-standard")
    assert (std.duration, std.resolution) == (6, "768p")


def test_resolution_is_case_insensitive_and_durations_accept_strings():
    req = build_request("a cat", provider="minimax", model="hailuo-02-text-to-video-standard",
                        duration="10", resolution="768P")
    assert (req.duration, req.resolution) == (10, "768p")


def test_native_ids_pass_through():
    req = build_request("a cat", provider="minimax", model="MiniMax-Hailuo-2.3")
    assert req.native_model == "MiniMax-Hailuo-2.3"


def test_request_key_ignores_nothing_that_matters(image_file):
    a = build_request("a cat", provider="minimax")
    assert a.key() == build_request("a cat", provider="minimax").key()
    assert a.key() != build_request("a dog", provider="minimax").key()
    assert a.key() != build_request("a cat", provider="minimax", prompt_optimizer=False).key()
    i1 = build_request("x", provider="minimax", model="hailuo-02-image-to-video-pro", first_frame=image_file)
    i2 = build_request("x", provider="minimax", model="hailuo-02-image-to-video-pro", first_frame=png(700, 400))
    assert i1.key() != i2.key()


I2V = "hailuo-02-image-to-video-standard"
BAD = [
    ("model", dict(model="hailuo-99")),
    ("model", dict(model="")),
    ("model", dict(model=42)),
    ("model", dict(model="hailuo-2.3-text-to-video-pro", provider="runapi")),
    ("model", dict(model="hailuo-2.3-fast-image-to-video-pro", provider="runapi")),
    ("model", dict(model="hailuo-02-text-to-video-standard", provider="runbase")),
    ("model", dict(model="MiniMax-Hailuo-02", provider="runapi")),
    ("provider", dict(provider="openai")),
    ("provider", dict(provider="mini max")),
    ("duration", dict(duration=10)),
    ("duration", dict(duration=5)),
    ("duration", dict(duration="six")),
    ("duration", dict(duration=6.5)),
    ("duration", dict(duration=True)),
    ("duration", dict(model="hailuo-02-text-to-video-standard", duration=7)),
    ("duration", dict(model="hailuo-2.3-image-to-video-pro", duration=10)),
    ("resolution", dict(resolution="768p")),
    ("resolution", dict(resolution="4k")),
    ("resolution", dict(model="hailuo-02-text-to-video-standard", resolution="1080p")),
    ("resolution", dict(model="hailuo-02-text-to-video-standard", resolution="512p")),
    ("resolution", dict(model="hailuo-2.3-text-to-video-standard", resolution="720p")),
    ("resolution", dict(model=I2V, resolution="1080p")),
    ("resolution", dict(model=I2V, resolution="512p", provider="runninghub")),
    ("first_frame", dict(model=I2V)),
    ("first_frame", dict(model="hailuo-2.3-image-to-video-pro")),
    ("first_frame", dict(model="hailuo-2.3-fast-image-to-video-standard")),
    ("first_frame", dict(first_frame="https://x/f.png")),  # text-to-video takes no frame
    ("last_frame", dict(model="hailuo-2.3-image-to-video-standard", first_frame="https://x/f.png", last_frame="https://x/l.png")),
    ("last_frame", dict(model="hailuo-2.3-fast-image-to-video-pro", first_frame="https://x/f.png", last_frame="https://x/l.png")),
    ("last_frame", dict(last_frame="https://x/l.png")),
    ("first_frame", dict(model=I2V, first_frame="/no/such/file.png")),
    ("first_frame", dict(model=I2V, first_frame=b"")),
    ("first_frame", dict(model=I2V, first_frame=b"not an image at all")),
    ("first_frame", dict(model=I2V, first_frame=png(200, 200))),
    ("first_frame", dict(model=I2V, first_frame=png(1200, 299))),
    ("first_frame", dict(model=I2V, first_frame=png(2000, 300))),  # aspect beyond 5:2
    ("first_frame", dict(model=I2V, first_frame=png(640, 360, "GIF"))),
    ("first_frame", dict(model=I2V, first_frame=png(640, 360, "BMP"))),
    ("first_frame", dict(model=I2V, first_frame=12345)),
    ("first_frame", dict(model=I2V, first_frame=["a.png"])),
    ("first_frame", dict(model=I2V, first_frame="data:image/png;base64,@@@")),
    ("first_frame", dict(model=I2V, first_frame="data:image/png,rawdata")),
    ("prompt_optimizer", dict(prompt_optimizer="yes")),
    ("callback_url", dict(callback_url="ftp://x")),
]


@pytest.mark.parametrize("field, kwargs", BAD, ids=[f"{f}-{i}" for i, (f, _) in enumerate(BAD)])
def test_bad_input_names_the_field(field, kwargs, monkeypatch):
    monkeypatch.setenv("RUNAPI_API_KEY", "k-test")
    kwargs = {"provider": "minimax", **kwargs}
    with pytest.raises(ValidationError) as info:
        build_request("a cat", **kwargs)
    error = info.value
    assert error.field == field
    assert field in str(error) and "allowed" in str(error)


@pytest.mark.parametrize("prompt", ["", "   \n", None, 42, "x" * 2001])
def test_bad_prompts(prompt):
    with pytest.raises(ValidationError) as info:
        build_request(prompt, provider="minimax")
    assert info.value.field == "prompt"


def test_prompt_at_the_limit_is_fine():
    assert len(build_request("x" * 2000, provider="minimax").prompt) == 2000


def test_image_over_20_mb(tmp_path):
    path = tmp_path / "huge.png"
    path.write_bytes(png() + b"\0" * (20 * 1024 * 1024))
    with pytest.raises(ValidationError, match="20 MB"):
        build_request("x", provider="minimax", model=I2V, first_frame=path)


def test_unreadable_image(tmp_path):
    path = tmp_path / "locked.png"
    path.write_bytes(png())
    path.chmod(0)
    import os

    if os.access(path, os.R_OK):  # root reads anything
        pytest.skip("running as root: files are always readable")
    with pytest.raises(ValidationError, match="unreadable"):
        build_request("x", provider="minimax", model=I2V, first_frame=path)


def test_model_error_names_providers_that_can():
    with pytest.raises(ValidationError) as info:
        build_request("x", provider="runapi", model="hailuo-2.3-text-to-video-pro")
    assert "minimax" in str(info.value) and "runapi cannot serve" in str(info.value)


@pytest.mark.parametrize("model", [m for m in MODELS if PROVIDERS["minimax"].serves(m)])
def test_every_canonical_model_validates_on_minimax(model, image_file):
    spec = MODELS[model]
    frame = image_file if spec.input == "image" else None
    refs = [image_file] if spec.input == "references" else None
    ratio = "16:9" if spec.ratio_required else None
    request = build_request("x", provider="minimax", model=model, first_frame=frame, reference_images=refs,
                            ratio=ratio)
    assert request.model.id == model


@pytest.mark.parametrize("provider", ["runbase", "agentsflare"])
def test_gateways_without_upload_take_local_frames_as_data_urls(provider):
    request = build_request("x", provider=provider, model="hailuo-2.3-image-to-video-pro", first_frame=png())
    assert request.first_frame.data is not None and request.first_frame.data_url().startswith("data:image/png")


def test_pil_image_and_webp_and_jpeg_accepted():
    for fmt in ("WEBP", "JPEG"):
        assert build_request("x", provider="minimax", model=I2V, first_frame=png(640, 360, fmt)).first_frame.mime
    assert build_request("x", provider="minimax", model=I2V, first_frame=Image.new("RGB", (400, 400))).first_frame
