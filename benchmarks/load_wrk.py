"""The load benchmark's C client: wrk (https://github.com/wg/wrk; Debian: `apt-get install wrk`) posting the same
sentences as load.py's Python clients, with a Lua script that prints its counts and latency percentiles as one JSON
line. wrk drives 32 connections from one thread for a few percent of a core, where the Python client takes most of
one: on a 2-core machine the server then gets the cores the measurement would otherwise take from it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

MARK = "WRKJSON "

SCRIPT = """
local bodies = {%(bodies)s}
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  i = i + 1
  return wrk.format(nil, "/api/translate", nil, bodies[(i %% #bodies) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('%(mark)s{"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d, ' ..
    '"non2xx": %%d, "socket_errors": %%d}\\n', summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(99), e.status, e.connect + e.read + e.write + e.timeout))
end
"""


def lua_script(sentences: list[str], beam: int) -> str:
    """The wrk script: one JSON body per sentence, posted in turn."""
    bodies = ", ".join(_lua_string(json.dumps({"text": s, "beam": beam}, ensure_ascii=False)) for s in sentences)
    return SCRIPT % {"bodies": bodies, "mark": MARK}


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def parse(output: str) -> dict:
    """wrk's output -> requests, errors, p50/p99 in ms (the JSON line the script's `done` wrote)."""
    line = next((ln for ln in output.splitlines() if ln.startswith(MARK)), None)
    if line is None:
        raise RuntimeError("wrk printed no result line: " + (output.strip().splitlines() or ["(nothing)"])[-1])
    raw = json.loads(line[len(MARK):])
    return {"requests": raw["requests"], "errors": raw["non2xx"] + raw["socket_errors"],
            "p50_ms": raw["p50_us"] / 1e3, "p99_ms": raw["p99_us"] / 1e3, "wrk_seconds": raw["duration_us"] / 1e6}


def require_wrk() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit("error: --client wrk needs wrk on the PATH (Debian: apt-get install wrk)")
    return path


def drive(url: str, clients: int, warmup_s: float, duration_s: float, beam: int, sentences: list[str]) -> dict:
    """An unmeasured warm-up run, then the measured one; requests/s over the measured seconds."""
    wrk = require_wrk()
    with tempfile.TemporaryDirectory(prefix="wordbridge-wrk-") as tmp:
        script = Path(tmp) / "post.lua"
        script.write_text(lua_script(sentences, beam), encoding="utf-8")
        runs = [(warmup_s, False), (duration_s, True)] if warmup_s > 0 else [(duration_s, True)]
        for seconds, measured in runs:
            cmd = [wrk, "-t1", f"-c{clients}", f"-d{max(1, round(seconds))}s", "--timeout", "60s", "-s", str(script),
                   url]
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120)
            if measured:
                result = parse(done.stdout + done.stderr)
    result["rps"] = result["requests"] / result["wrk_seconds"]
    return result
