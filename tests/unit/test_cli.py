import subprocess
import sys
from pathlib import Path

import pytest

from wordbridge import commands
from wordbridge.cli import build_parser, main

COMMAND_FILES = {p.stem.replace("_", "-") for p in Path(commands.__file__).parent.glob("*.py") if p.stem != "__init__"}


def test_every_command_module_registers():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert set(sub.choices) == set(commands.SUMMARIES) == COMMAND_FILES


def _imported_after(code: str) -> set[str]:
    """The heavy libraries in sys.modules after running `code` in a fresh interpreter with these sources."""
    src = str(Path(commands.__file__).parents[2])
    probe = (f"import sys; sys.path.insert(0, {src!r}); {code}; "
             "print(); print(' '.join(m for m in ('torch', 'spacy', 'fastapi', 'faiss', 'matplotlib', 'sentencepiece') "
             "if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return set(proc.stdout.splitlines()[-1].split()) if proc.stdout.strip() else set()


def test_importing_the_cli_loads_no_model_library():
    # what keeps `wordbridge --help` fast: torch, spaCy, FastAPI... load only where a command runs
    assert _imported_after("import wordbridge.cli") == set()


@pytest.mark.parametrize("command", sorted(commands.SUMMARIES))
def test_each_commands_help_loads_no_model_library(command):
    code = ("from wordbridge.cli import main\ntry:\n    main([" + repr(command) + ", '--help'])\n"
            "except SystemExit as exc:\n    assert exc.code == 0, exc.code")
    assert _imported_after(f"exec({code!r})") == set()


def test_no_command_prints_help_and_exits_2(capsys):
    assert main([]) == 2
    assert "fetch" in capsys.readouterr().out


def test_user_error_is_one_line_exit_2(tmp_path, capsys):
    config = tmp_path / "c.yaml"
    config.write_text("data:\n  corpuss: default\n", encoding="utf-8")
    assert main(["prepare", str(config), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: Unknown config key 'data.corpuss'") and "\n" not in err
    assert not (tmp_path / "out").exists()


def test_python_dash_m_entry_point():
    proc = subprocess.run([sys.executable, "-m", "wordbridge", "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.startswith("wordbridge ")


def test_serve_decodes_with_the_shared_int8_default(tmp_path, monkeypatch):
    from wordbridge import defaults

    seen = {}
    monkeypatch.setattr("wordbridge.serve.server.serve", lambda *args, **kw: seen.update(kw))
    run = tmp_path / "runs" / "demo"
    assert main(["serve", "--run", str(run)]) == 0
    assert seen["int8"] is defaults.INT8
