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


def test_help_names_the_command_the_user_typed():
    code = "import sys; sys.argv[0] = '/venv/bin/hailuo'; from hailuo_nb.__main__ import main; main(['--help'])"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.startswith("usage: hailuo "), result.stdout[:80]
    assert run("--help").stdout.startswith("usage: python -m hailuo_nb ")


def test_missing_key_speaks_of_the_shell_not_notebooks(tmp_path):
    result = run("a fox", "--provider", "minimax", env_extra={"MINIMAX_API_KEY": ""}, cwd=tmp_path)
    assert result.returncode == 2
    assert "export MINIMAX_API_KEY=" in result.stderr and "nothing was sent" in result.stderr
    assert "notebook" not in result.stderr.lower() and "jupyter" not in result.stderr.lower()
