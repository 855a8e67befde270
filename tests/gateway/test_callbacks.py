"""callback_url: the receiver on its own, then whole generations against the simulator's callbacks."""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest
from waiting import wait_for

import hailuo_nb
from hailuo_nb.gateway import callbacks, runner
from hailuo_nb.gateway.callbacks import Receiver, Registry, handle_body
from hailuo_nb.sim import SimServer

MODEL = "hailuo-02-text-to-video-standard"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- the receiver ------------------------------------------------------------------------------
def test_registry_routes_and_remembers_early_statuses() -> None:
    registry, seen = Registry(), []
    assert not registry.deliver("t1", "success")  # before anyone waits: kept
    assert not registry.deliver("t1", "processing")  # a late "processing" does not hide it
    assert registry.remembered("t1") == "success"
    unregister = registry.register("t1", seen.append)
    assert seen == ["success"] and registry.remembered("t1") is None
    assert registry.deliver("t1", "failed") and seen == ["success", "failed"]
    unregister()
    assert not registry.deliver("t1", "success") and seen == ["success", "failed"]


@pytest.mark.parametrize("raw", [b"", b"not json", b"[1, 2]", b'{"challenge": {"x": 1}}',
                                 b'{"task_id": "t1"}', b'{"status": "success"}', b"\xff\xfe",
                                 b'{"task_id": true, "status": "success"}'])
def test_malformed_bodies_are_refused(raw: bytes) -> None:
    registry = Registry()
    assert handle_body(raw, registry) == (400, {"error": "bad request"})
    assert registry.remembered("t1") is None


async def _exchange(port: int, data: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    writer.write_eof()  # half-close: a short body then reads as a client that hung up
    await writer.drain()
    reply = await reader.read()
    writer.close()
    return reply


def test_receiver_over_http() -> None:
    async def scenario() -> None:
        registry, seen = Registry(), []
        registry.register("42", seen.append)
        server = await asyncio.start_server(Receiver(registry).handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
                reply = await http.post("/any/path", json={"challenge": "c-123"})
                assert reply.status_code == 200 and reply.json() == {"challenge": "c-123"}
                body = {"task_id": "42", "status": "success", "file_id": "9",
                        "base_resp": {"status_code": 0, "status_msg": "success"}}
                reply = await http.post("/", json=body)
                assert reply.json() == {"status": "success"} and seen == ["success"]
                reply = await http.post("/", json={"task_id": 7, "status": "Processing"})
                assert reply.status_code == 200 and registry.remembered("7") == "processing"
                reply = await http.post("/", content=b"{broken")
                assert reply.status_code == 400 and reply.json() == {"error": "bad request"}
                assert (await http.get("/")).status_code == 405
            garbage = await _exchange(port, b"HELLO\r\n\r\n")
            assert garbage.startswith(b"HTTP/1.1 400 ")
            chunked = await _exchange(port, b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
            assert chunked.startswith(b"HTTP/1.1 411 ")
            huge = await _exchange(port, b"POST / HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n")
            assert huge.startswith(b"HTTP/1.1 413 ")
            # a client that hangs up mid-body does not stop the listener
            assert await _exchange(port, b"POST / HTTP/1.1\r\nContent-Length: 50\r\n\r\n{") == b""
            async with httpx.AsyncClient() as http:
                reply = await http.post(f"http://127.0.0.1:{port}/", json={"challenge": 5})
                assert reply.json() == {"challenge": 5}
        finally:
            server.close()
            await server.wait_closed()

    asyncio.run(scenario())


# -- whole generations ---------------------------------------------------------------------------
@pytest.fixture
def server(monkeypatch):
    with SimServer(job_seconds=1.5) as srv:
        for name, value in srv.env("minimax").items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("HAILUO_CALLBACK_LISTEN", raising=False)
        yield srv


def test_callbacks_replace_polling(server) -> None:
    port = free_port()
    gen = hailuo_nb.generate("a marble rolls", MODEL, callback_url=f"http://127.0.0.1:{port}/hailuo",
                             callback_listen=f"127.0.0.1:{port}", timeout=60)
    assert gen.status == "succeeded", gen.error
    task = server.tasks[gen.task_id]
    wait_for(lambda: "success" in task.callbacks, what="the sim to record its success callback")
    assert task.callbacks[0] == "challenge"
    assert ("127.0.0.1", port) in callbacks.listening()
    # the typical window is 60-120 s, so without callbacks this job is noticed ~30 s in
    assert server.count(kind="poll") <= 3
    job_end = task.created_at + task.job_seconds
    assert gen.finished_at is not None and gen.finished_at - job_end < 0.5


def test_the_listen_address_can_come_from_the_environment(server, monkeypatch) -> None:
    port = free_port()
    monkeypatch.setenv("HAILUO_CALLBACK_LISTEN", f"127.0.0.1:{port}")
    gen = hailuo_nb.generate("a marble rolls", MODEL, callback_url=f"http://127.0.0.1:{port}/")
    assert gen.status == "succeeded", gen.error
    assert server.tasks[gen.task_id].callbacks[0] == "challenge"
    assert server.count(kind="poll") <= 3


def test_a_lost_callback_is_caught_by_the_fallback_polls(server, monkeypatch) -> None:
    monkeypatch.setattr(runner, "FALLBACK_INTERVAL", 0.3)
    listen, elsewhere = free_port(), free_port()  # the callbacks go where nobody listens
    gen = hailuo_nb.generate("a marble rolls", MODEL, callback_url=f"http://127.0.0.1:{elsewhere}/",
                             callback_listen=f"127.0.0.1:{listen}", timeout=60)
    assert gen.status == "succeeded", gen.error
    assert server.tasks[gen.task_id].callbacks == ["challenge-failed"]
    assert 3 <= server.count(kind="poll") <= 10


def test_without_a_listener_the_url_is_only_passed_on(server, monkeypatch) -> None:
    monkeypatch.setenv("HAILUO_POLL_INTERVAL", "0.1")
    gen = hailuo_nb.generate("a marble rolls", MODEL, callback_url=f"http://127.0.0.1:{free_port()}/")
    assert gen.status == "succeeded", gen.error
    task = server.tasks[gen.task_id]
    assert task.params["callback_url"] == task.callback_url
    assert task.callbacks == ["challenge-failed"] and server.count(kind="poll") >= 5


@pytest.mark.parametrize("value", ["8787", "localhost", ":8787", "host:port", "127.0.0.1:0",
                                   "127.0.0.1:70000"])
def test_a_bad_listen_address_fails_before_any_request(server, monkeypatch, value) -> None:
    with pytest.raises(hailuo_nb.ValidationError) as info:
        hailuo_nb.generate("x", MODEL, callback_url="http://127.0.0.1:1/", callback_listen=value)
    assert info.value.field == "callback_listen"
    monkeypatch.setenv("HAILUO_CALLBACK_LISTEN", value)
    with pytest.raises(hailuo_nb.ValidationError) as info:
        hailuo_nb.generate("x", MODEL, callback_url="http://127.0.0.1:1/")
    assert info.value.field == "HAILUO_CALLBACK_LISTEN"
    assert server.count() == 0
