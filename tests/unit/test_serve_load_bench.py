"""benchmarks/load.py: percentiles, the client driver against a live loopback server, the report table."""

import asyncio
import importlib.util
import json
import re
import sys
import threading
import time
from argparse import Namespace
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load_bench():
    spec = importlib.util.spec_from_file_location("bench_load", ROOT / "benchmarks" / "load.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


load = _load_bench()


def test_percentile_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert load.percentile(values, 50) == 50.0
    assert load.percentile(values, 99) == 99.0
    assert load.percentile([3.0], 99) == 3.0


STARTUP_TIMEOUT_S = 60  # generous: the machine may be busy; the server normally starts in well under a second


@pytest.fixture(scope="module")
def live_url(fakes, free_port):
    import uvicorn

    from wordbridge.serve.app import create_app

    port = free_port()
    app = create_app(fakes.FakeTranslator(fixed_ms=20), None)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not server.started:
        if not thread.is_alive():
            pytest.fail(f"uvicorn exited before it started serving on 127.0.0.1:{port}")
        if time.monotonic() > deadline:
            pytest.fail(f"uvicorn did not start on 127.0.0.1:{port} within {STARTUP_TIMEOUT_S} s")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", app
    server.should_exit = True
    thread.join(timeout=10)


def test_drive_counts_requests_in_the_window(live_url):
    url, app = live_url
    result = asyncio.run(load.drive(url, clients=8, warmup_s=0.3, duration_s=1.5, beam=1))
    assert result["errors"] == 0
    assert result["requests"] > 8
    assert result["rps"] == pytest.approx(result["requests"] / 1.5)
    assert 0 < result["p50_ms"] <= result["p99_ms"]
    stats = app.state.wordbridge.batcher.stats
    assert stats.largest > 1  # 8 concurrent clients share batches


def test_report_table_and_ratio():
    results = [
        {"mode": "unbatched", "requests": 60, "rps": 1.0, "p50_ms": 900.0, "p99_ms": 1500.0, "errors": 0,
         "mean_batch": 1.0},
        {"mode": "batched", "requests": 240, "rps": 4.0, "p50_ms": 300.0, "p99_ms": 400.0, "errors": 0,
         "mean_batch": 12.5},
    ]
    args = Namespace(clients=32, duration=60.0, model="fake", run=None, beam=1, client="wrk")
    text = load.report(results, args)
    assert "| unbatched |" in text and "| batched   |" in text
    assert "4.00x" in text and "12.5" in text and "client wrk" in text
    alone = load.report(results[1:], args)  # one mode: its row, no ratio
    assert "| batched |" in alone and "x ·" not in alone.replace("4.00x", "")
    assert "unbatched" not in alone


def test_wrk_script_and_result_line():
    text = 'il a dit "oui" \\ non .'
    script = load.load_wrk.lua_script([text], beam=5)
    literal = re.search(r'local bodies = \{"((?:[^"\\]|\\.)*)"\}', script).group(1)
    assert json.loads(re.sub(r"\\(.)", r"\1", literal)) == {"text": text, "beam": 5}  # Lua's escapes undone
    out = ("Running 2s test\n" + load.load_wrk.MARK + '{"requests": 600, "duration_us": 2000000, "p50_us": 81000, '
           '"p99_us": 250500, "non2xx": 2, "socket_errors": 1}\n')
    result = load.load_wrk.parse(out)
    assert result == {"requests": 600, "errors": 3, "p50_ms": 81.0, "p99_ms": 250.5, "wrk_seconds": 2.0}
    with pytest.raises(RuntimeError, match="no result line: unable to connect"):
        load.load_wrk.parse("unable to connect to 127.0.0.1:1 Connection refused\n")
