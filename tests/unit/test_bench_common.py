"""benchmarks/common.py: peak RSS of a process tree, SIGINT at the end of a budget, a function run in a fresh process,
tables and ratios."""

import importlib.util
import os
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


common = _load("common")

# a child that spawns a grandchild; each holds ~120 MiB for a moment
TREE_SCRIPT = """
import subprocess, sys, time
block = bytearray(120 * 1024 * 1024)
if sys.argv[1] == "parent":
    subprocess.run([sys.executable, "-c", __import__("pathlib").Path(sys.argv[2]).read_text(), "child", sys.argv[2]])
else:
    time.sleep(1.0)
"""

# waits for SIGINT after printing a marker, then writes a file as JoeyNMT saves its checkpoint
INTERRUPT_SCRIPT = """
import sys, time
print("EPOCH 1", flush=True)
try:
    time.sleep(60)
except KeyboardInterrupt:
    open(sys.argv[1], "w").write("saved")
"""


class PollClock:
    """A clock that only the supervisor's waits move, by `step` per poll however long the poll really took: the
    budget and timeout fire after a fixed number of polls, and 20 s of this clock is 2,000 polls (100 s real)."""

    def __init__(self, step: float = 0.01):
        self.now, self.step = 0.0, step

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)  # the child runs in real time meanwhile
        self.now += self.step


def test_peak_rss_counts_grandchildren(tmp_path):
    script = tmp_path / "tree.py"
    script.write_text(TREE_SCRIPT)
    res = common.run_measured([sys.executable, str(script), "parent", str(script)], tmp_path / "log.txt",
                              timeout_s=60, poll_s=0.05)
    assert res.returncode == 0, res.tail()
    # both processes hold 120 MiB at the same time: the tree sum must exceed what one process alone holds
    assert res.peak_rss_mib > 230, res.peak_rss_mib
    assert res.peak_rss_mib < 2000
    assert res.stop_s is None and not res.timed_out


def test_budget_sends_sigint_after_marker(tmp_path):
    script, saved = tmp_path / "int.py", tmp_path / "saved.txt"
    script.write_text(INTERRUPT_SCRIPT)
    clock = PollClock()
    res = common.run_measured([sys.executable, str(script), str(saved)], tmp_path / "log.txt", budget_s=0.5,
                              start_marker=r"EPOCH 1", timeout_s=30, poll_s=0.05, clock=clock, sleep=clock.sleep)
    assert res.returncode == 0, res.tail()
    assert saved.read_text() == "saved"  # the child handled KeyboardInterrupt and saved
    assert res.marker_s is not None and res.stop_s is not None
    assert 0.45 <= res.budget_used_s < 5
    assert res.wall_s < 20 and not res.timed_out


def test_timeout_kills_the_tree(tmp_path):
    clock = PollClock()
    res = common.run_measured([sys.executable, "-c", "import time; time.sleep(60)"], tmp_path / "log.txt",
                              timeout_s=0.5, poll_s=0.05, clock=clock, sleep=clock.sleep)
    assert res.timed_out
    assert res.returncode != 0
    assert res.wall_s < 20


def test_log_captures_output(tmp_path):
    res = common.run_measured([sys.executable, "-c", "import sys; print('out'); print('err', file=sys.stderr)"],
                              tmp_path / "sub" / "log.txt", timeout_s=30)
    text = (tmp_path / "sub" / "log.txt").read_text()
    assert "out" in text and "err" in text and res.returncode == 0


def test_run_isolated_calls_the_function_in_a_spawned_process(benchmarks, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))  # the child imports `common`, as the scripts' children do
    common_module = benchmarks("common").common
    assert common_module.run_isolated(divmod, 17, 5) == (3, 2)
    assert common_module.run_isolated(os.getpid) != os.getpid()


def test_markdown_table_aligns_and_checks_widths():
    table = common.markdown_table(["metric", "a", "b"], [["speed", "1,234.5", "2.0"], ["bleu", "30.1", "n/a"]])
    lines = table.splitlines()
    assert lines[0].startswith("| metric ") and lines[1].startswith("| :---")
    assert lines[1].endswith("-: |") and lines[2].endswith(" 2.0 |")  # right-aligned numbers
    assert len({len(line) for line in lines}) == 1  # every row padded to the same width
    with pytest.raises(ValueError):
        common.markdown_table(["a", "b"], [["only one"]])


def test_ratio_and_formatting():
    assert common.ratio(6.0, 3.0) == 2.0
    assert common.ratio(1.0, 0.0) is None and common.ratio(None, 1.0) is None
    assert common.fmt_ratio(5.0, 2.0) == "2.50x"
    assert common.fmt_ratio(float("nan"), 2.0) == "n/a"
    assert common.fmt_diff(32.26, 30.0) == "+2.3"
    assert common.fmt_diff(1.0, 3.0) == "-2.0"
    assert common.fmt_num(1234.56) == "1,234.6" and common.fmt_num(None) == "n/a"


def test_machine_info_and_thread_env():
    info = common.machine_info()
    assert info["cores"] >= 1 and info["cpu"] and "UTC" in info["date"]
    assert info["cpu"] in common.describe_machine(info)
    quiet = dict(info, cores=4, load_avg_1m=0.2)
    assert common.busy_warning(quiet, 2) is None
    assert "load average is 3.5" in common.busy_warning(dict(quiet, load_avg_1m=3.5), 2)
    env = common.thread_env(2, base={"PATH": "/bin"})
    assert env["OMP_NUM_THREADS"] == "2" and env["MKL_NUM_THREADS"] == "2" and env["PATH"] == "/bin"


def test_timed_measures_elapsed():
    clock = PollClock()
    with common.timed(clock) as t:
        clock.now += 0.05  # the block "takes" 50 ms of the moved clock
    assert 0.04 <= t.seconds < 2
    with common.timed() as real:  # the default clock is the real one
        time.sleep(0.001)
    assert real.seconds > 0
