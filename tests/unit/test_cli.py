import subprocess
import sys

from wordbridge.cli import COMMAND_MODULES, build_parser, main


def test_every_command_module_registers():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert set(sub.choices) == {m.__name__.rsplit(".", 1)[1].replace("_", "-") for m in COMMAND_MODULES}


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
