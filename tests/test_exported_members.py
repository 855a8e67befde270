"""The public API cannot drift by accident (as httpx pins its own)."""

import hailuo_nb


def test_all_is_pinned_and_sorted():
    assert hailuo_nb.__all__ == sorted(hailuo_nb.__all__)
    assert hailuo_nb.__all__ == [
        "AuthenticationError", "BudgetExceededError", "ContentPolicyError", "Form", "GatewayError",
        "Generation", "GenerationFailed", "GenerationTimeout", "HailuoError", "InsufficientCreditsError",
        "RateLimitError", "Storyboard", "ValidationError", "__version__", "agenerate", "batch", "compare",
        "doctor", "enhance", "export", "generate", "history",
        "load_ipython_extension", "models", "orphans", "pending", "provider_info", "resume",
        "session_spend", "unload_ipython_extension", "wait_all",
    ]


def test_every_exported_name_exists():
    for name in hailuo_nb.__all__:
        assert getattr(hailuo_nb, name) is not None


def test_error_tree():
    for name in ("ValidationError", "AuthenticationError", "InsufficientCreditsError", "RateLimitError",
                 "ContentPolicyError", "GenerationFailed", "GatewayError", "GenerationTimeout", "BudgetExceededError"):
        assert issubclass(getattr(hailuo_nb, name), hailuo_nb.HailuoError)
    assert issubclass(hailuo_nb.ValidationError, ValueError)
    assert issubclass(hailuo_nb.GenerationTimeout, TimeoutError)


def test_catalog_shapes():
    catalog = hailuo_nb.models()
    assert len(catalog) == 15 and "hailuo-02-text-to-video-pro" in catalog
    assert catalog["hailuo-2.3-fast-image-to-video-pro"].input == "image"
    assert [m["id"] for m in hailuo_nb.models("runapi")] == [  # newest first
        "hailuo-h3-text-to-video", "hailuo-h3-image-to-video", "hailuo-h3-reference-to-video",
        "hailuo-2.3-image-to-video-standard", "hailuo-2.3-image-to-video-pro",
        "hailuo-02-text-to-video-standard", "hailuo-02-text-to-video-pro", "hailuo-02-image-to-video-standard",
        "hailuo-02-image-to-video-pro",
    ]
    assert "<table" in catalog._repr_html_()


def test_gateway_has_no_jupyter_imports():
    import subprocess
    import sys

    code = ("import sys, hailuo_nb, hailuo_nb.gateway.session, hailuo_nb.gateway.runner; "
            "hailuo_nb.Storyboard, hailuo_nb.compare, hailuo_nb.batch; "
            "bad = [m for m in ('IPython', 'ipywidgets', 'anywidget', 'ipykernel', 'av', 'numpy') if m in sys.modules]; "
            "print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""
