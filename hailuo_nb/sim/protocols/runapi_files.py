"""RunAPI's direct upload (docs/protocols.md §2), the path its own SDK takes for local files.

1. `POST /api/v1/files/prepare {filename, byte_size, checksum}` (checksum = base64 of
   the MD5) -> `{upload_url, headers, signed_id}`; the URL is on the video origin.
2. `PUT upload_url` with those headers and the bytes, no Authorization (like a signed
   storage URL): 200 when the size and MD5 match, 400 `BadDigest` / `IncompleteBody`
   otherwise (the upload can be retried), 403 once `url_ttl` has passed.
3. `POST /api/v1/files/confirm {signed_id}` -> `{file_name, url, size_bytes, mime_type,
   created_at, expires_at}`, as `POST /api/v1/files`; 422 before the PUT arrived.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import mimetypes
import time
from typing import Any

from ..core import SimCore
from ..httpio import Reply, Request, iso_time
from ..media import PendingUpload
from .base import Invalid

MAX_BYTES = 100 * 1024 * 1024


def check_prepare(body: dict[str, Any]) -> tuple[str, int, str]:
    """(filename, byte_size, checksum) of a prepare body; Invalid names the bad field."""
    name, size, checksum = body.get("filename"), body.get("byte_size"), body.get("checksum")
    if not isinstance(name, str) or not name.strip():
        raise Invalid("filename is required (a non-empty string)")
    if not isinstance(size, int) or isinstance(size, bool) or not 0 < size <= MAX_BYTES:
        raise Invalid(f"byte_size must be an integer 1-{MAX_BYTES}, got {size!r}")
    try:
        digest = base64.b64decode(str(checksum), validate=True)
    except (binascii.Error, ValueError):
        digest = b""
    if not isinstance(checksum, str) or len(digest) != 16:
        raise Invalid("checksum must be the base64 MD5 of the file (24 characters)")
    return name, size, checksum


def prepare_reply(core: SimCore, pending: PendingUpload) -> dict[str, Any]:
    """The prepare reply: where and how to PUT."""
    return {"upload_url": f"{core.video_base_url}/uploads/{pending.token}",
            "headers": {"Content-Type": pending.content_type, "Content-MD5": pending.checksum},
            "signed_id": pending.signed_id}


def guess_type(filename: str) -> str:
    """MIME type from the file name (application/octet-stream when unknown)."""
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


def receive(req: Request, pending: PendingUpload, ttl: float) -> Reply:
    """Handle the PUT of a prepared upload (video origin)."""
    if time.monotonic() - pending.issued > ttl:
        return Reply.text("Request has expired", 403)
    data = req.body
    md5 = base64.b64encode(hashlib.md5(data).digest()).decode()
    sent = req.header("content-md5")
    if len(data) != pending.byte_size:
        return Reply.text(f"IncompleteBody: got {len(data)} bytes, announced "
                          f"{pending.byte_size}", 400)
    if md5 != pending.checksum or (sent and sent != pending.checksum):
        return Reply.text("BadDigest: the Content-MD5 you specified did not match what we "
                          "received", 400)
    pending.data = data
    return Reply(200, b"", {"ETag": f'"{hashlib.md5(data).hexdigest()}"'})


def confirm(core: SimCore, pending: PendingUpload) -> dict[str, Any]:
    """Store a fully uploaded file once and describe it like `POST /api/v1/files`."""
    if pending.data is None:
        raise Invalid("the file has not been uploaded yet (PUT it to upload_url first)")
    if pending.stored is None:
        pending.stored = core.media.put_file(pending.data, pending.content_type,
                                             pending.filename, pending.protocol)
    stored = pending.stored
    return {"file_name": stored.filename, "url": core.file_url(stored),
            "size_bytes": len(stored.data), "mime_type": stored.content_type,
            "created_at": iso_time(stored.created_at),
            "expires_at": iso_time(stored.created_at + core.url_ttl)}
