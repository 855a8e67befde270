"""Files on the video origin: uploaded images and expiring links to rendered videos.

Links are tokens with an issue time; the video origin refuses them once `url_ttl` has
passed, like a signed URL. Image references in requests (data URLs, simulator files,
loopback URLs) are resolved here; anything else is treated as unreachable, because the
simulator works offline.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import urlsplit


class ImageError(ValueError):
    """An image reference that is present but cannot be used."""


@dataclass
class StoredFile:
    """An uploaded file, served at `/files/<token>`."""

    token: str
    data: bytes
    content_type: str
    filename: str
    protocol: str
    created_at: float = field(default_factory=time.time)
    issued: float = field(default_factory=time.monotonic, repr=False)


@dataclass
class PendingUpload:
    """A direct upload announced by RunAPI's `files/prepare`, filled by a PUT."""

    token: str  # in the upload URL
    signed_id: str  # what `files/confirm` names
    filename: str
    byte_size: int
    checksum: str  # base64 MD5 of the bytes
    content_type: str
    protocol: str
    data: bytes | None = None
    stored: StoredFile | None = None  # once confirmed
    issued: float = field(default_factory=time.monotonic, repr=False)


@dataclass
class Link:
    """A download link to one task's video, served at `/videos/<token>.mp4`."""

    token: str
    task_id: str
    issued: float = field(default_factory=time.monotonic)


class MediaStore:
    """Uploaded files and video links, shared by the API and the video origin."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._files: dict[str, StoredFile] = {}
        self._links: dict[str, Link] = {}
        self._latest: dict[str, Link] = {}
        self._pending: dict[str, PendingUpload] = {}

    def put_file(self, data: bytes, content_type: str, filename: str, protocol: str) -> StoredFile:
        """Store an upload; it is served at `/files/<token>`."""
        stored = StoredFile(secrets.token_urlsafe(12), data, content_type, filename, protocol)
        with self._lock:
            self._files[stored.token] = stored
        return stored

    def file(self, token: str) -> StoredFile | None:
        """An uploaded file by token."""
        with self._lock:
            return self._files.get(token)

    def prepare(self, filename: str, byte_size: int, checksum: str, content_type: str,
                protocol: str) -> PendingUpload:
        """Announce a direct upload; its bytes arrive by PUT to `/uploads/<token>`."""
        pending = PendingUpload(secrets.token_urlsafe(12), secrets.token_urlsafe(24), filename,
                                byte_size, checksum, content_type, protocol)
        with self._lock:
            self._pending[pending.token] = pending
        return pending

    def pending(self, token: str = "", signed_id: str = "") -> PendingUpload | None:
        """A prepared upload by URL token or by signed id."""
        with self._lock:
            if token:
                return self._pending.get(token)
            return next((p for p in self._pending.values() if p.signed_id == signed_id), None)

    def link_for(self, task_id: str, ttl: float) -> Link:
        """The task's current link, or a fresh one once half the TTL has passed."""
        with self._lock:
            link = self._latest.get(task_id)
            if link is None or time.monotonic() - link.issued >= ttl / 2:
                link = Link(secrets.token_urlsafe(12), task_id)
                self._links[link.token] = link
                self._latest[task_id] = link
            return link

    def link(self, token: str) -> Link | None:
        """A video link by token (expired ones included)."""
        with self._lock:
            return self._links.get(token)


def sniff_image_type(data: bytes) -> str:
    """MIME type from the magic bytes (JPEG, PNG, WebP), else application/octet-stream."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return "application/octet-stream"


def decode_data_url(url: str) -> tuple[bytes, str]:
    """(bytes, media type) of a base64 `data:` URL; ImageError when malformed."""
    header, sep, payload = url.partition(",")
    if not sep or not header.startswith("data:") or not header.endswith(";base64"):
        raise ImageError("data URL must look like data:image/png;base64,<data>")
    try:
        return base64.b64decode(payload, validate=True), header[5:-7] or "text/plain"
    except (binascii.Error, ValueError) as exc:
        raise ImageError(f"data URL is not valid base64: {exc}") from exc


def is_loopback(url: str) -> bool:
    """True for URLs on this machine, the only ones reachable offline."""
    host = urlsplit(url).hostname or ""
    return host in ("127.0.0.1", "localhost", "::1")


def fetch_loopback(url: str, timeout: float = 2.0) -> bytes | None:
    """GET a loopback URL (the only kind reachable offline); None when it fails."""
    if not is_loopback(url):
        return None
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            data: bytes = resp.read(50 * 1024 * 1024)
            return data
    except (urllib.error.URLError, OSError, ValueError):
        return None
