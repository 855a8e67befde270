"""The notebook widgets' Python classes and their front ends (``.js``/``.css``).

- ``form.py`` (``hailuo_nb.Form``) with its parts: ``form_state.py`` (the synced state),
  ``fields.py`` (validation), ``capabilities.py`` (what each model offers, as data),
  ``inputs.py`` (frames, reference files, uploads), ``submission.py`` and ``gallery.py``,
  ``form_actions.py`` (camera moves, Enhance, Finalize: ``enhancement.py``, ``finalizing.py``);
- ``common.js`` (helpers every front end shares) and ``form_prompt.js``/``form.js``/``form.css``;
  ``esm.py`` joins a widget's ``.js`` files into the one module anywidget loads.

Nothing is imported here, so importing one widget does not import the others.
"""
