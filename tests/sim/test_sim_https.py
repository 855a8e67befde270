"""The optional https video origin: a self-signed certificate that tests can trust."""

from __future__ import annotations

import base64
import os
import shutil

import httpx
import pytest
from sim_media import make_image

from hailuo_nb.sim import SimServer, tls

pytestmark = pytest.mark.skipif(not tls.available(),
                                reason="neither the cryptography package nor openssl")

GENERATORS = [pytest.param(True, id="cryptography"), pytest.param(False, id="openssl")]


@pytest.mark.parametrize("use_cryptography", GENERATORS)
def test_https_video_origin(monkeypatch, wait_for, use_cryptography):
    if use_cryptography and not tls._have_cryptography():
        pytest.skip("cryptography is not installed")
    if not use_cryptography and shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    monkeypatch.setattr(tls, "_have_cryptography", lambda: use_cryptography)
    with SimServer(job_seconds=0.05, api_key="k", https=True) as srv:
        assert srv.video_base_url.startswith("https://127.0.0.1:")
        assert srv.base_url.startswith("http://")  # the API origin stays plain
        cert = srv.tls_cert_path
        assert cert is not None and os.path.exists(cert)
        api = httpx.Client(base_url=srv.base_url, headers={"Authorization": "Bearer k"})
        trusted = httpx.Client(verify=srv.client_ssl_context(), timeout=10)
        with api, trusted:
            png_bytes = make_image(400, 300, (10, 20, 200))
            png = base64.b64encode(png_bytes).decode()
            uploaded = api.post("/api/v1/files", json={"source": {"type": "base64",
                                                                  "data": png}}).json()
            assert uploaded["url"].startswith("https://")
            assert trusted.get(uploaded["url"]).content == png_bytes
            task_id = api.post("/v2/video_generation", json={
                "model": "MiniMax-H3", "content": [{"type": "text", "text": "fox"},
                                                   {"type": "image_url",
                                                    "image_url": {"url": uploaded["url"]}}],
                "resolution": "768P", "duration": 4}).json()["task_id"]

            def finished() -> str:
                task = api.get(f"/v2/query/video_generation/{task_id}").json()["task"]
                return str(task["content"]["url"]) if task["status"] == "succeeded" else ""

            url = wait_for(finished)
            assert url.startswith("https://")
            video = trusted.get(url)
            assert video.status_code == 200 and video.content[4:8] == b"ftyp"
            part = trusted.get(url, headers={"Range": "bytes=0-9"})
            assert part.status_code == 206 and part.content == video.content[:10]
            with httpx.Client(timeout=10) as default_trust, pytest.raises(httpx.ConnectError):
                default_trust.get(url)  # not in the system's trust store
    assert not os.path.exists(cert)  # removed at stop()


def test_https_is_off_by_default(sim):
    assert sim.video_base_url.startswith("http://") and sim.tls_cert_path is None
    with pytest.raises(RuntimeError):
        sim.client_ssl_context()


def test_without_any_tool_https_cannot_start(monkeypatch):
    monkeypatch.setattr(tls, "_have_cryptography", lambda: False)
    monkeypatch.setattr(tls.shutil, "which", lambda name: None)
    assert not tls.available()
    srv = SimServer(https=True)
    with pytest.raises(RuntimeError, match="cryptography.*openssl"):
        srv.start()
    assert not srv.running

