"""The form's file inputs: frame pickers, reference media, and chunked browser uploads.

Files chosen in the browser travel to the kernel in custom messages with binary buffers
(in chunks below the server's websocket message limit) and stay there; only a small
preview (a JPEG thumbnail of an image, the name and size of anything else) is synced.
Nothing here knows about widgets: :class:`FileInputs` holds the chosen files and their
previews, and the form syncs :meth:`FileInputs.frame_infos` and
:meth:`FileInputs.reference_infos`.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import io
import mimetypes
from dataclasses import dataclass
from typing import Any

from hailuo_nb.errors import ValidationError
from hailuo_nb.gateway.catalog import MAX_IMAGE_BYTES
from hailuo_nb.gateway.images import FrameImage, load_frame
from hailuo_nb.notebook.widgets.fields import FRAME_FIELDS, field_message

#: Browser uploads arrive in chunks below the server's websocket message limit (10 MiB);
#: anything this large is refused unread (the gateway's own limit is MAX_IMAGE_BYTES).
MAX_UPLOAD_BYTES = 4 * MAX_IMAGE_BYTES
THUMB_PX = 192
#: Reference previews are smaller: a model may take nine of them.
REFERENCE_THUMB_PX = 96
MEDIA_KINDS = ("image", "video", "audio")


@dataclass(frozen=True)
class MediaFile:
    """One reference file (image, video or audio clip) chosen in the form."""

    kind: str
    name: str
    mime: str
    data: bytes = dataclasses.field(repr=False)


def media_kind(name: str, mime: str = "") -> str:
    """``image``, ``video``, ``audio`` from the MIME type or file name, or ``""``."""
    mime = mime or mimetypes.guess_type(name)[0] or ""
    kind = mime.split("/", 1)[0]
    return kind if kind in MEDIA_KINDS else ""


def thumbnail(data: bytes | None, url: str | None = None, px: int = THUMB_PX) -> str:
    """A small JPEG data URL of an image for a preview (its URL if remote, "" if none)."""
    if data is None:
        return url or ""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as img:
        img.thumbnail((px, px))
        out = io.BytesIO()
        img.convert("RGB").save(out, format="JPEG", quality=80)
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def frame_info(frame: FrameImage | None, seq: int) -> dict[str, Any] | None:
    """The synced preview of a frame: name, size, dimensions, thumbnail (never the image)."""
    if frame is None:
        return None
    return {
        "name": frame.name,
        "width": frame.width,
        "height": frame.height,
        "size": len(frame.data) if frame.data is not None else None,
        "url": frame.url,
        "thumb": thumbnail(frame.data, frame.url),
        "seq": seq,
    }


def media_info(item: MediaFile) -> dict[str, Any]:
    thumb = thumbnail(item.data, px=REFERENCE_THUMB_PX) if item.kind == "image" else ""
    return {"name": item.name, "mime": item.mime, "size": len(item.data), "thumb": thumb}


def decode_upload(msg: dict[str, Any], field: str, name: str) -> bytes:
    """The bytes of a one-message upload (``data``: base64)."""
    try:
        return base64.b64decode(str(msg["data"]), validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError(field, name, "base64 bytes", reason="invalid base64") from None


def too_big(field: str, name: str, size: int) -> ValidationError | None:
    if size <= MAX_UPLOAD_BYTES:
        return None
    limit = f"files up to {MAX_IMAGE_BYTES // 2**20} MB"
    return ValidationError(field, name, limit, reason=f"{size / 2**20:.1f} MB")


class ChunkedUploads:
    """Reassembles ``{upload, index, count}`` chunk messages; a newer upload to a slot wins."""

    def __init__(self) -> None:
        self._open: dict[str, tuple[str, list[bytes]]] = {}

    def add(self, slot: str, msg: dict[str, Any], buffers: list[bytes]) -> bytes | None:
        """Take one chunk; returns the whole file after its last chunk, else None."""
        upload_id = str(msg.get("upload") or "")
        index, count = int(msg.get("index", 0)), max(1, int(msg.get("count", 1)))
        if index == 0:
            self._open = {k: v for k, v in self._open.items() if v[0] != slot}
            self._open[upload_id] = (slot, [])
        upload = self._open.get(upload_id)
        if upload is None:
            return None  # superseded by a newer upload to the same slot
        upload[1].append(b"".join(buffers))
        if index + 1 < count:
            return None
        del self._open[upload_id]
        return b"".join(upload[1])


class FileInputs:
    """The chosen frames and reference files, their previews and their messages."""

    def __init__(self) -> None:
        self.frames: dict[str, FrameImage | None] = dict.fromkeys(FRAME_FIELDS)
        self.references: dict[str, list[MediaFile]] = {}
        self.errors: dict[str, str] = {}
        self._frame_infos: dict[str, dict[str, Any] | None] = dict.fromkeys(FRAME_FIELDS)
        self._seq = 0

    # -- frames
    def put_frame(self, field: str, frame: FrameImage | None, error: str | None = None) -> None:
        self.frames[field] = frame
        self._seq += 1  # a new upload of the same file still changes the synced value
        self._frame_infos[field] = frame_info(frame, self._seq)  # thumbnail made once
        self._set_error(field, error)

    def load_frame(self, field: str, value: Any, name: str | None = None) -> bool:
        """Use ``value`` (path, bytes, URL, ...) as a frame; a bad one becomes a message."""
        try:
            frame = load_frame(value, field)
        except ValidationError as err:
            self.put_frame(field, None, f"{name}: {field_message(err)}" if name else field_message(err))
            return False
        self.put_frame(field, dataclasses.replace(frame, name=name) if name else frame)
        return True

    def frame_infos(self) -> dict[str, dict[str, Any] | None]:
        return dict(self._frame_infos)

    # -- reference media
    def add_reference(self, item: MediaFile, limits: dict[str, int]) -> bool:
        """Add a reference file if the model takes one more of its kind."""
        most = limits.get(item.kind, 0)
        chosen = self.references.setdefault(item.kind, [])
        if len(chosen) >= most:
            allowed = f"up to {most} {item.kind} file(s)" if most else f"no {item.kind} references"
            self._set_error("references", field_message(ValidationError("references", item.name, allowed)))
            return False
        chosen.append(item)
        self._set_error("references", None)
        return True

    def remove_reference(self, kind: str, index: int) -> None:
        chosen = self.references.get(kind, [])
        if 0 <= index < len(chosen):
            del chosen[index]
        self._set_error("references", None)

    def reference_infos(self) -> dict[str, list[dict[str, Any]]]:
        return {kind: [media_info(i) for i in items] for kind, items in self.references.items() if items}

    def reference_values(self, limits: dict[str, int]) -> dict[str, list[bytes]]:
        """The chosen references as ``build_request`` keywords (kinds the model takes, at most its counts)."""
        keyword = {"image": "reference_images", "video": "reference_videos", "audio": "reference_audio"}
        return {keyword[k]: [f.data for f in v[: limits[k]]]
                for k, v in self.references.items() if k in limits and v}

    def refuse(self, field: str, message: str) -> None:
        """Show ``message`` by ``field`` (an upload that never became a file)."""
        if field in FRAME_FIELDS:
            self.put_frame(field, None, message)
        else:
            self._set_error(field, message)

    def _set_error(self, field: str, error: str | None) -> None:
        if error:
            self.errors[field] = error
        else:
            self.errors.pop(field, None)


__all__ = [
    "ChunkedUploads",
    "FileInputs",
    "MAX_UPLOAD_BYTES",
    "MediaFile",
    "frame_info",
    "media_kind",
    "thumbnail",
]
