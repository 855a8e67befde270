"""Beyond one clip: the pure building blocks of storyboards, comparisons and batches.

Nothing here talks to a gateway or imports Jupyter: ``shots`` parses a storyboard,
``plan`` decides what runs in parallel and what must be made again, ``stitch`` joins
clips into one film, ``contact`` draws a contact sheet, ``rows`` reads batch input.
Heavy imports (PyAV, numpy, Pillow) happen inside the functions that need them.
"""
