"""Small helpers shared by the reliability proofs."""

from __future__ import annotations

from waiting import wait_for  # noqa: F401 - re-exported for the reliability tests


