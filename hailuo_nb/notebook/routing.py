"""Address output sent from a worker thread to the cell that started the work.

A Jupyter kernel tags every output with the *parent header* of the request that caused
it; front-ends and headless runners (nbclient) put the output in that cell. A worker
thread has no request of its own: ipykernel falls back to the most recent cell, so a
video finishing while another cell runs would land in the wrong place. We capture the
originating cell's parent when the ``%%hailuo`` cell runs and set it for the publishing
thread only (ipykernel >= 7: ``set_thread_parent`` / ``reset_thread_parent``, backed
by a contextvar, so the cell running on the main thread keeps its own parent).

Older kernels lack the per-thread setter; there the message is built and sent with
the captured parent directly through the display publisher's session. Plain IPython
(no kernel) has no parents at all and publishes as usual.
"""

# IPython 8.12 and ipykernel ship without full annotations: calling them is fine here.
# mypy: disable-error-code="no-untyped-call,untyped-decorator"

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

log = logging.getLogger(__name__)

Parent = dict[str, Any]


def has_kernel(ip: Any) -> bool:
    """True when ``ip`` is a kernel's shell (a front-end can render widgets)."""
    return ip is not None and getattr(ip, "kernel", None) is not None


def capture_parent(ip: Any) -> Parent | None:
    """The parent header of the request running right now (None outside a kernel)."""
    if not has_kernel(ip):
        return None
    for get in (
        lambda: ip.get_parent(),
        lambda: ip.display_pub.parent_header,
        lambda: ip.kernel.get_parent(),
    ):
        try:
            parent = get()
        except Exception:  # noqa: S112 - try the next way of asking
            continue
        if parent:
            return dict(parent)
    return None


@contextlib.contextmanager
def thread_parent(ip: Any, parent: Parent | None) -> Iterator[bool]:
    """Route this thread's output to ``parent`` for the duration of the block.

    Yields True when routing is in effect, False when the caller should fall back
    (no kernel, no parent, or a kernel without per-thread parents).
    """
    if parent is None or not has_kernel(ip):
        yield False
        return
    setter = getattr(ip, "set_thread_parent", None)
    resetter = getattr(ip, "reset_thread_parent", None)
    owner = ip
    if setter is None or resetter is None:
        owner = ip.display_pub
        setter = getattr(owner, "set_thread_parent", None)
        resetter = getattr(owner, "reset_thread_parent", None)
    if setter is None or resetter is None:
        yield False
        return
    token = setter(parent)
    try:
        yield True
    finally:
        try:
            resetter(token)
        except Exception:  # a reset must never mask the publishing error
            log.debug("reset_thread_parent failed", exc_info=True)


def update_display(
    ip: Any, bundle: dict[str, Any], display_id: str, parent: Parent | None, metadata: Any = None
) -> None:
    """Send ``update_display_data`` for ``display_id``, addressed to ``parent``'s cell."""
    from IPython.display import publish_display_data

    transient = {"display_id": display_id}
    with thread_parent(ip, parent) as routed:
        if routed or parent is None or not has_kernel(ip):
            publish_display_data(bundle, metadata=metadata or {}, transient=transient, update=True)
            return
    _send_with_parent(ip, bundle, metadata or {}, transient, parent)


def _send_with_parent(
    ip: Any, bundle: dict[str, Any], metadata: Any, transient: dict[str, Any], parent: Parent
) -> None:
    """Old ipykernel: build the message ourselves so it carries the captured parent."""
    pub = ip.display_pub
    session = getattr(pub, "session", None)
    socket = getattr(pub, "pub_socket", None)
    if session is None or socket is None:
        from IPython.display import publish_display_data

        publish_display_data(bundle, metadata=metadata, transient=transient, update=True)
        return
    from ipykernel.jsonutil import json_clean
    from jupyter_client.session import extract_header

    content = {"data": bundle, "metadata": metadata, "transient": transient}
    session.send(
        socket,
        "update_display_data",
        json_clean(content),
        parent=extract_header(parent),
        ident=getattr(pub, "topic", b"display_data"),
    )
