"""The socket side: a threading HTTP/1.1 server that turns requests into `Reply`s.

It also performs the wire-level faults a `Reply` asks for: `reset` closes the connection
without a byte of reply, `truncate` promises the full Content-Length and then closes
after about half of the body. With a TLS context the server speaks https (handshake in
the request's thread).
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .httpio import Reply, Request

App = Callable[[Request], Reply]
MAX_BODY = 64 * 1024 * 1024


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    server: AppServer

    def log_message(self, format: str, *args: object) -> None:
        """Silence the default stderr log; `SimServer.requests` is the log."""

    def setup(self) -> None:
        """TLS handshake here, in the request's thread, not in the accept loop."""
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(10)
            self.request.do_handshake()
            self.request.settimeout(None)
        super().setup()

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(min(length, MAX_BODY)) if length > 0 else b""

    def _handle(self) -> None:
        headers = {k.lower(): v for k, v in self.headers.items()}
        request = Request(self.command, self.path, headers, self._read_body())
        reply = self.server.app(request)
        if reply.reset:
            self._drop()
            return
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if self.command == "HEAD":
            return
        if reply.truncate:
            self.wfile.write(reply.body[: len(reply.body) // 2])
            self.wfile.flush()
            self._drop()
            return
        self.wfile.write(reply.body)

    def _drop(self) -> None:
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _handle


class AppServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer (daemon threads) that hands every request to `app`."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, host: str, port: int, app: App,
                 tls: ssl.SSLContext | None = None) -> None:
        self.app = app
        super().__init__((host, port), _Handler)
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True,
                                          do_handshake_on_connect=False)

    def handle_error(self, request: object, client_address: object) -> None:
        """Quiet about clients that hang up or refuse our certificate; loud otherwise."""
        if not isinstance(sys.exc_info()[1], OSError):  # ssl.SSLError is an OSError
            super().handle_error(request, client_address)  # type: ignore[arg-type]

    def close(self) -> None:
        """Stop serving now: poke the listening socket so the loop sees the request at once."""
        closer = threading.Thread(target=self.shutdown, daemon=True)
        closer.start()
        while closer.is_alive():
            with contextlib.suppress(OSError):
                socket.create_connection((str(self.server_address[0]), self.port), 0.2).close()
            closer.join(0.01)
        self.server_close()

    @property
    def port(self) -> int:
        """The bound port (useful when 0 was asked for)."""
        return int(self.server_address[1])
