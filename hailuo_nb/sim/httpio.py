"""Plain request/reply values passed between the HTTP layer and the protocol modules.

Protocol code never touches sockets: it reads a `Request` and returns a `Reply`, so
every protocol stays a small, testable mapping and the wire tricks (resets, truncated
bodies, delays) live in one place, `server.py`.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl, urlsplit


class BadRequest(Exception):
    """The request body cannot be read as the protocol expects."""


@dataclass
class Request:
    """One HTTP request as received, headers keyed in lower case."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes = b""

    @property
    def path(self) -> str:
        """The target without its query string."""
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, str]:
        """Query parameters (last value wins)."""
        return dict(parse_qsl(urlsplit(self.target).query, keep_blank_values=True))

    def header(self, name: str, default: str = "") -> str:
        """A request header, case-insensitively."""
        return self.headers.get(name.lower(), default)

    def json_object(self) -> dict[str, Any]:
        """The body as a JSON object; `BadRequest` when it is anything else."""
        try:
            value = json.loads(self.body.decode("utf-8") or "null")
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BadRequest(f"body is not valid JSON: {exc}") from exc
        if not isinstance(value, dict):
            raise BadRequest("body must be a JSON object")
        return value

    def multipart_file(self, field_name: str) -> tuple[bytes, str, str]:
        """(data, filename, content type) of one multipart/form-data file field."""
        ctype = self.header("content-type")
        if not ctype.lower().startswith("multipart/form-data"):
            raise BadRequest("expected multipart/form-data")
        # The email parser handles MIME multipart bodies; cgi is gone from newer Pythons.
        raw = f"Content-Type: {ctype}\r\nMIME-Version: 1.0\r\n\r\n".encode() + self.body
        msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
        if not msg.is_multipart():
            raise BadRequest("malformed multipart body")
        for part in msg.iter_parts():
            if part.get_param("name", header="content-disposition") == field_name:
                data = part.get_payload(decode=True)
                if not isinstance(data, bytes):
                    break
                name = part.get_filename() or "upload.bin"
                return data, name, part.get_content_type()
        raise BadRequest(f"multipart field {field_name!r} is missing")


@dataclass
class Reply:
    """What to send back; `reset` closes the connection instead of replying."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    reset: bool = False
    truncate: bool = False

    @classmethod
    def json(cls, obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
        """A JSON reply."""
        body = json.dumps(obj, ensure_ascii=False).encode("utf-8")
        hdrs = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
        return cls(status=status, body=body, headers=hdrs)

    @classmethod
    def text(cls, text: str, status: int, headers: dict[str, str] | None = None) -> Reply:
        """A plain-text reply."""
        hdrs = {"Content-Type": "text/plain; charset=utf-8", **(headers or {})}
        return cls(status=status, body=text.encode("utf-8"), headers=hdrs)


def parse_range(value: str, size: int) -> tuple[int, int] | None:
    """Inclusive byte range of a single-range `Range` header; None when unsatisfiable.

    Raises ValueError for a header that is not a byte range at all (it is then ignored,
    as RFC 9110 allows).
    """
    unit, _, spec = value.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        raise ValueError(value)
    first, _, last = spec.strip().partition("-")
    if not first:
        if not last.isdigit() or int(last) == 0:
            return None
        return max(0, size - int(last)), size - 1
    if not first.isdigit() or (last and not last.isdigit()):
        raise ValueError(value)
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        return None
    return start, end


def iso_time(ts: float) -> str:
    """UTC timestamp as ISO 8601 with a Z, the usual JSON API style."""
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
