"""The IPython extension: ``%%hailuo`` magic, status widget and in-cell video display.

Imports stay lazy so that ``import hailuo_nb`` (which re-exports these hooks) does not
pull in IPython widgets for scripts.
"""

from __future__ import annotations

from typing import Any

__all__ = ["load_ipython_extension", "unload_ipython_extension"]


def load_ipython_extension(ip: Any) -> None:
    """``%load_ext hailuo_nb``: register the magics and say which provider is in use."""
    from hailuo_nb.notebook.magic import HailuoMagics
    from hailuo_nb.notebook.messages import banner
    from hailuo_nb.notebook.storyboard_magic import StoryboardMagics

    ip.register_magics(HailuoMagics)
    ip.register_magics(StoryboardMagics)
    for line in banner():
        print(line)
    _warm_up_in_background(widgets=getattr(ip, "kernel", None) is not None)


def _warm_up_in_background(*, widgets: bool) -> None:
    """Get ready while the user types the first cell.

    Imports the widget stack (~0.3 s cold) and starts the engine, journal and simulator,
    so that the first %%hailuo cell returns at once and ``%load_ext`` itself stays as
    cheap as importing ipywidgets.
    """
    import threading

    from hailuo_nb.gateway.session import warm_up

    def run() -> None:
        try:
            if widgets:
                import hailuo_nb.notebook.widgets.status  # noqa: F401
            warm_up()
        except Exception:  # noqa: BLE001 - the first generation reports any real problem
            pass

    threading.Thread(target=run, name="hailuo-warm-up", daemon=True).start()


def unload_ipython_extension(ip: Any) -> None:
    """``%unload_ext hailuo_nb``: remove the magics again."""
    magics = ip.magics_manager.magics
    magics["cell"].pop("hailuo", None)
    magics["line"].pop("hailuo", None)
    magics["cell"].pop("storyboard", None)
    ip.magics_manager.registry.pop("HailuoMagics", None)
