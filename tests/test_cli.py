"""``python -m hailuo_nb "prompt"``: progress on stderr, the video's path on stdout."""

import subprocess
import sys
from pathlib import Path


def run(*args, env_extra=None, cwd=None):
    import os

    env = {**os.environ, **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "hailuo_nb", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=120)


def test_cli_generates_on_the_simulator(tmp_path):
    result = run("a red fox in the snow", "--model", "hailuo-02-text-to-video-standard")
    assert result.returncode == 0, result.stderr
    path = Path(result.stdout.strip().splitlines()[-1])
    assert path.exists() and path.read_bytes()[4:8] == b"ftyp"
    assert "offline simulator" in result.stderr and "succeeded" in result.stderr


def test_cli_validation_error_is_one_line_and_exit_2():
    result = run("x", "--duration", "10")
    assert result.returncode == 2
    assert "duration=10" in result.stderr and "Traceback" not in result.stderr
