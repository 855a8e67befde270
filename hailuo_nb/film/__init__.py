"""Beyond one clip: the pure building blocks of storyboards, comparisons and batches.

Nothing here talks to a gateway or imports Jupyter: ``shots`` parses a storyboard,
``plan`` decides what runs in parallel and what must be made again, ``stitch`` joins
clips into one film, ``contact`` draws a contact sheet, ``rows`` reads batch input.
Heavy imports (PyAV, numpy, Pillow, pandas) happen inside the functions that need them,
so importing this package stays cheap.
"""

from __future__ import annotations

from hailuo_nb.film.camera_moves import CAMERA_MOVES, insert_moves
from hailuo_nb.film.contact import contact_image, contact_sheet, row_label
from hailuo_nb.film.media import ClipInfo, probe
from hailuo_nb.film.plan import Replan, chains, identities, replan, runnable, waves
from hailuo_nb.film.rows import read_rows, write_results_csv
from hailuo_nb.film.shots import Shot, check_prompt, check_shots, format_board, parse_shots
from hailuo_nb.film.stitch import Film, stitch

__all__ = [
    "CAMERA_MOVES",
    "ClipInfo",
    "Film",
    "Replan",
    "Shot",
    "chains",
    "check_prompt",
    "check_shots",
    "contact_image",
    "contact_sheet",
    "format_board",
    "identities",
    "insert_moves",
    "parse_shots",
    "probe",
    "read_rows",
    "replan",
    "row_label",
    "runnable",
    "stitch",
    "waves",
    "write_results_csv",
]
