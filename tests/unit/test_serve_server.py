"""serve/server.py and `wordbridge serve`: argument checks (one-line errors, exit 2) and wiring to uvicorn."""

import socket

import pytest

from wordbridge import cli
from wordbridge.errors import ConfigError
from wordbridge.serve import server
from wordbridge.serve.models import ModelSet


def test_devise_without_index_is_exit_2(tmp_path, capsys):
    code = cli.main(["serve", "--run", str(tmp_path), "--devise", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert "--index" in err and len(err.strip().splitlines()) == 1


def test_missing_run_folder_is_exit_2(tmp_path, capsys):
    assert cli.main(["serve", "--run", str(tmp_path / "nope")]) == 2
    assert "no such folder" in capsys.readouterr().err


@pytest.mark.parametrize("flags", [["--max-upload-mb", "0"], ["--max-batch", "0"], ["--port", "70000"]])
def test_bad_flags_are_exit_2(tmp_path, flags):
    assert cli.main(["serve", "--run", str(tmp_path), *flags]) == 2


def test_port_in_use_is_a_config_error():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        port = sock.getsockname()[1]
        with pytest.raises(ConfigError, match=f"127.0.0.1:{port}"):
            server.check_address("127.0.0.1", port)


def test_loopback_detection():
    assert server._is_loopback("127.0.0.1") and server._is_loopback("::1") and server._is_loopback("localhost")
    assert not server._is_loopback("0.0.0.0")


def test_serve_builds_the_app_from_flags(tmp_path, monkeypatch, fakes, free_port):
    """The command loads the models once, passes its settings to the app and binds 127.0.0.1 by default."""
    import uvicorn

    seen = {}
    loads, engines, int8 = [], [], []

    def fake_load(run_dir, devise_run, index_dir, device, engine, use_int8):
        loads.append((run_dir, devise_run, index_dir, device))
        engines.append(engine)
        int8.append(use_int8)
        return ModelSet.single(fakes.FakeTranslator()), None

    def fake_run(app, host, port, **kwargs):
        seen.update(app=app, host=host, port=port)

    monkeypatch.setattr(server, "load_models", fake_load)
    monkeypatch.setattr(uvicorn, "run", fake_run)
    port = free_port()
    args = ["serve", "--run", str(tmp_path), "--port", str(port), "--max-upload-mb", "2", "--no-batching"]
    assert cli.main(args + ["--cors-origin", "https://a.example"]) == 0
    assert loads == [([str(tmp_path)], None, None, None)]
    assert engines == ["auto"]  # --engine: ctranslate2 for an export folder, else torch
    assert int8 == [None]  # int8 decoding when a GRU runs on the CPU, unless --int8 / --no-int8 say otherwise
    assert seen["app"].state.wordbridge.translator.calls == [1]  # warmed up once before serving
    assert seen["host"] == "127.0.0.1" and seen["port"] == port
    settings = seen["app"].state.wordbridge.settings
    assert settings.max_upload_bytes == 2 * 1024 * 1024
    assert settings.batching is False
    assert settings.cors_origins == ("https://a.example",)
