"""Helpers for the Form's browser test: the shared JupyterLab fixture, images, page probes.

``jupyterlab.py`` (the Lab server fixture and page helpers shared by the browser tests) is
loaded by path, as the name ``jupyterlab`` is taken by the JupyterLab package itself.
"""

from __future__ import annotations

import importlib.util
import io
import sys
from pathlib import Path
from typing import Any

_NAME = "hailuo_ui_jupyterlab"
if _NAME not in sys.modules:
    _spec = importlib.util.spec_from_file_location(_NAME, Path(__file__).with_name("jupyterlab.py"))
    assert _spec is not None and _spec.loader is not None
    _module = importlib.util.module_from_spec(_spec)
    sys.modules[_NAME] = _module
    _spec.loader.exec_module(_module)
lab: Any = sys.modules[_NAME]

#: A loaded, playable video (browser-testing.md).
VIDEO_READY = "(v) => !!v && v.readyState >= 2 && v.duration > 0 && v.videoWidth > 0"

# Drop a PNG (base64) on an element, the way a file dragged from the desktop arrives.
DROP_FILE = """([selector, name, b64]) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const file = new File([bytes], name, { type: "image/png" });
  const data = new DataTransfer();
  data.items.add(file);
  const target = document.querySelector(selector);
  for (const type of ["dragenter", "dragover", "drop"]) {
    target.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: data }));
  }
}"""

# Luminance (0 dark .. 1 light) of an element's computed background colour.
LUMINANCE = """(el) => {
  const [r, g, b] = getComputedStyle(el).backgroundColor.match(/\\d+(\\.\\d+)?/g).map(Number);
  return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
}"""


def png_bytes(width: int = 480, height: int = 320, seed: int = 0) -> bytes:
    """A PNG with a gradient and a disc (the simulator tints its video from the frame)."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(img)
    for x in range(width):
        draw.line([(x, 0), (x, height)], fill=(40 + 180 * x // width, 60 + seed * 40 % 160, 160))
    r = min(width, height) // 4
    draw.ellipse([width // 2 - r, height // 2 - r, width // 2 + r, height // 2 + r], fill=(250, 210, 60))
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def small_copy(source: Path, target: Path, width: int = 640) -> Path:
    """A downscaled copy of a screenshot (for the README)."""
    from PIL import Image

    with Image.open(source) as img:
        small = img.convert("RGB")
        if small.width > width:
            small = small.resize((width, round(small.height * width / small.width)), Image.LANCZOS)
        target.parent.mkdir(parents=True, exist_ok=True)
        small.quantize(colors=256).save(target, format="PNG", optimize=True)  # about a third the size
    return target
