import hailuo_nb
from hailuo_nb.gateway import dotenv


def test_parse_forms():
    text = """
# comment
export MINIMAX_API_KEY="sk-quoted"
RUNAPI_API_KEY=plain # trailing comment
BAD LINE
HAILUO_BUDGET_USD='2.5'
"""
    assert dotenv.parse(text) == {"MINIMAX_API_KEY": "sk-quoted", "RUNAPI_API_KEY": "plain", "HAILUO_BUDGET_USD": "2.5"}


def test_dotenv_in_cwd_selects_the_provider(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("RUNAPI_API_KEY=sk-from-file\nPATH=/nope\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RUNAPI_API_KEY", raising=False)
    info = hailuo_nb.provider_info()
    assert info["name"] == "runapi" and info["key_variable"] == "RUNAPI_API_KEY"
    import os

    assert os.environ["PATH"] != "/nope"  # only our own variables are taken
    monkeypatch.delenv("RUNAPI_API_KEY")


def test_environment_wins_over_the_file(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("MINIMAX_API_KEY=from-file\n")
    monkeypatch.setenv("MINIMAX_API_KEY", "from-env")
    assert dotenv.load([tmp_path]) == []
    import os

    assert os.environ["MINIMAX_API_KEY"] == "from-env"
