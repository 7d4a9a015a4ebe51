"""scripts/screenshot.py --runs: the README's picture is taken from the demo's run folders through `wordbridge serve`
(the browser part is tests/integration/test_browser.py; these parts need no browser)."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from wordbridge.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tool():
    spec = importlib.util.spec_from_file_location("wordbridge_screenshot_unit", ROOT / "scripts" / "screenshot.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_serve_command_is_a_valid_wordbridge_serve_on_the_demo_folders(tool, tmp_path):
    argv = tool.serve_command(tmp_path, 8123)
    assert argv[:4] == [sys.executable, "-m", "wordbridge", "serve"]
    args = build_parser().parse_args(argv[3:])  # the real CLI accepts every flag it passes
    assert ([Path(p) for p in args.run], Path(args.devise), Path(args.index)) == (
        [tmp_path / "demo"], tmp_path / "devise", tmp_path / "devise" / "indexes" / "gallery")
    assert (args.host, args.port) == ("127.0.0.1", 8123)
    (tmp_path / "demo-transformer").mkdir()  # the demo trained both models: both are served
    args = build_parser().parse_args(tool.serve_command(tmp_path, 8123)[3:])
    assert [Path(p) for p in args.run] == [tmp_path / "demo", tmp_path / "demo-transformer"]


def test_missing_demo_runs_is_one_error_line_and_no_picture(tool, tmp_path, capsys):
    (tmp_path / "demo").mkdir()
    out = tmp_path / "shot.png"
    assert tool.main(["--runs", str(tmp_path), str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err and "scripts/demo.sh" in err
    assert str(tmp_path / "devise") in err and str(tmp_path / "demo") + "," not in err
    assert not out.exists()


def test_url_or_runs_not_both(tool, tmp_path):
    with pytest.raises(SystemExit):
        tool.main(["http://127.0.0.1:1", str(tmp_path / "x.png"), "--runs", str(tmp_path)])
    with pytest.raises(SystemExit):
        tool.main([str(tmp_path / "x.png")])


def test_a_server_that_exits_is_reported_not_waited_for(tool):
    proc = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    with pytest.raises(RuntimeError, match="exited with code 3"):
        tool.wait_for_server(proc, "http://127.0.0.1:9", timeout=60)


def test_a_server_that_never_answers_times_out_and_is_stopped(tool, free_port):
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        with pytest.raises(RuntimeError, match="did not answer"):
            tool.wait_for_server(proc, f"http://127.0.0.1:{free_port()}", timeout=1.5)
    finally:
        tool.stop(proc)
    assert proc.returncode is not None
