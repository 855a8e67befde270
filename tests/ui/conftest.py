"""The browser fixtures (``chromium_browser``, ``artifacts_dir``) live in tests/conftest.py,
shared with tests/notebooks/ (Playwright's sync API cannot start twice in one process)."""
