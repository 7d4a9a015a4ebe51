"""Small shared helpers for the benchmark scripts: run a command while sampling the peak RSS of its whole process
tree (psutil), stop it with SIGINT when a wall-clock budget runs out, run a function in a fresh process, time blocks
of code, describe the machine, and print markdown tables with ratios.

Import from a script in benchmarks/ with `from common import ...` (the script's folder is on sys.path), or load it by
path. Nothing here imports wordbridge, so the helpers also work from a peer toolkit's virtual environment.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import datetime
import logging
import math
import multiprocessing
import os
import platform
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable, Iterator, Sequence

import psutil

log = logging.getLogger(__name__)

MIB = 1024 * 1024


# ------------------------------------------------------------------------------------------------ process trees
def tree_rss(proc: psutil.Process) -> int:
    """Resident set size in bytes of `proc` plus all its descendants (processes that vanish meanwhile count 0)."""
    total = 0
    try:
        members = [proc] + proc.children(recursive=True)
    except psutil.Error:
        return 0
    for member in members:
        try:
            total += member.memory_info().rss
        except psutil.Error:
            continue
    return total


class PeakRSS:
    """Samples `tree_rss(pid)` every `interval` seconds in a daemon thread; `.peak` is the largest sum seen."""

    def __init__(self, pid: int, interval: float = 0.1):
        self.proc = psutil.Process(pid)
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"peak-rss-{pid}", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def sample(self) -> int:
        rss = tree_rss(self.proc)
        self.peak = max(self.peak, rss)
        return rss

    def __enter__(self) -> "PeakRSS":
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


@dataclasses.dataclass
class RunResult:
    """What `run_measured` saw: exit code, wall time, peak tree RSS, when the start marker appeared, how it ended."""

    cmd: list[str]
    returncode: int
    wall_s: float  # process start -> exit
    peak_rss_bytes: int  # max over samples of the summed RSS of the process and its descendants
    log_path: Path
    marker_s: float | None = None  # seconds from process start until `start_marker` appeared in the log
    stop_s: float | None = None  # seconds from process start until SIGINT was sent (budget spent)
    timed_out: bool = False  # killed after `timeout_s`

    @property
    def budget_used_s(self) -> float | None:
        """Seconds between the start marker (or process start) and the SIGINT; None if it ended by itself."""
        if self.stop_s is None:
            return None
        return self.stop_s - (self.marker_s or 0.0)

    @property
    def peak_rss_mib(self) -> float:
        return self.peak_rss_bytes / MIB

    def tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


class _LogWatcher:
    """Reads a growing log file incrementally and reports whether `pattern` has appeared."""

    def __init__(self, path: Path, pattern: str | None):
        self.path, self.regex = path, re.compile(pattern) if pattern else None
        self.offset, self.buffer = 0, ""

    def seen(self) -> bool:
        if self.regex is None:
            return True
        with open(self.path, "rb") as fh:
            fh.seek(self.offset)
            chunk = fh.read()
        self.offset += len(chunk)
        self.buffer = (self.buffer + chunk.decode("utf-8", errors="replace"))[-65536:]
        return bool(self.regex.search(self.buffer))


def stop_tree(proc: subprocess.Popen, grace_s: float = 10.0) -> None:
    """SIGTERM then SIGKILL the process group started with `start_new_session=True` (only our own child's group)."""
    if proc.poll() is not None:
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=grace_s)
            return
        except subprocess.TimeoutExpired:
            continue


def _default_sigint() -> None:
    """In the child before exec: SIGINT back to its default. A shell starts background jobs (`cmd &`) with SIGINT
    ignored, an ignored signal stays ignored across exec, and Python then never raises KeyboardInterrupt: the budget's
    SIGINT would not stop the child (JoeyNMT trained on until killed, and saved nothing)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run_measured(
    cmd: Sequence[str],
    log_path: str | Path,
    env: dict | None = None,
    cwd: str | Path | None = None,
    budget_s: float | None = None,
    start_marker: str | None = None,
    timeout_s: float | None = None,
    grace_s: float = 180.0,
    poll_s: float = 0.1,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> RunResult:
    """Run `cmd` with stdout+stderr appended to `log_path`, sampling its process tree's peak RSS.

    budget_s: once `start_marker` (a regex) has appeared in the log (or from the start when it is None), send SIGINT
    after budget_s seconds, then wait up to grace_s for the process to save and exit before killing it.
    timeout_s: hard limit from process start; the tree is killed and `timed_out` set.
    clock, sleep: the time source and the wait between polls (tests pass a clock that only their sleep moves).
    """
    log_path = Path(log_path)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    watcher = _LogWatcher(log_path, start_marker)
    result = RunResult(cmd=[str(c) for c in cmd], returncode=-1, wall_s=0.0, peak_rss_bytes=0, log_path=log_path)
    with open(log_path, "ab") as out:
        start = clock()
        proc = subprocess.Popen(result.cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd,
                                start_new_session=True, preexec_fn=_default_sigint)
        try:
            with PeakRSS(proc.pid, interval=poll_s) as rss:
                _supervise(proc, result, watcher, start, budget_s, timeout_s, grace_s, poll_s, clock, sleep)
            result.peak_rss_bytes = rss.peak
        finally:
            stop_tree(proc)  # a no-op when it exited; cleans up on Ctrl-C or an error here
    result.returncode = proc.returncode
    return result


def _supervise(proc, result: RunResult, watcher: _LogWatcher, start: float, budget_s, timeout_s, grace_s,
               poll_s, clock: Callable[[], float], sleep: Callable[[float], None]) -> None:
    """Poll until `proc` exits, sending SIGINT when the budget is spent and killing it on timeout."""
    while proc.poll() is None:
        now = clock() - start
        if result.marker_s is None and watcher.seen():
            result.marker_s = 0.0 if watcher.regex is None else now
        if budget_s is not None and result.stop_s is None and result.marker_s is not None:
            if now - result.marker_s >= budget_s:
                result.stop_s = now
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGINT)
        hard = timeout_s is not None and now >= timeout_s
        late = result.stop_s is not None and now - result.stop_s >= grace_s
        if hard or late:
            log.warning("%s: %s; killing it", result.cmd[0], "timed out" if hard else "did not stop after SIGINT")
            result.timed_out = True
            stop_tree(proc)
            break
        sleep(poll_s)
    proc.wait()
    result.wall_s = clock() - start


# ------------------------------------------------------------------------------------------------ timing
@dataclasses.dataclass
class Stopwatch:
    seconds: float = 0.0


@contextlib.contextmanager
def timed(clock: Callable[[], float] = time.perf_counter) -> Iterator[Stopwatch]:
    """`with timed() as t: ...` then `t.seconds` (monotonic wall clock; tests pass a clock they move)."""
    watch = Stopwatch()
    start = clock()
    try:
        yield watch
    finally:
        watch.seconds = clock() - start


def _logged(fn: Callable, *args):
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    return fn(*args)


def run_isolated(fn: Callable, *args):
    """fn(*args) in a fresh spawned process (no memory or threads carried over from the run before), logging INFO."""
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(_logged, fn, *args).result()


def run_wordbridge(argv: Sequence[str], log_path: Path, threads: int, what: str, cwd: Path | None = None) -> str:
    """`python -m wordbridge ARGV` (this interpreter) with `threads` BLAS/OpenMP threads and its stderr in LOG_PATH;
    returns its stdout. A failure raises SystemExit naming WHAT, the exit status and the log's last three lines."""
    with open(log_path, "w", encoding="utf-8") as err:
        proc = subprocess.run([sys.executable, "-m", "wordbridge", *argv], stdout=subprocess.PIPE, stderr=err,
                              text=True, cwd=cwd, env=thread_env(threads))
    if proc.returncode != 0:
        tail = log_path.read_text(encoding="utf-8").strip().splitlines()[-3:]
        raise SystemExit(f"{what} failed (exit {proc.returncode}): {' | '.join(tail)}")
    return proc.stdout


def thread_env(threads: int, base: dict | None = None) -> dict:
    """A copy of the environment with every BLAS/OpenMP thread count set to `threads`."""
    env = dict(os.environ if base is None else base)
    for key in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
        env[key] = str(threads)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


# ------------------------------------------------------------------------------------------------ the machine
def cpu_model() -> str:
    """CPU model name from /proc/cpuinfo (Linux), else platform.processor()."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine() or "unknown CPU"


def machine_info() -> dict:
    """Date (UTC), CPU model, logical/physical cores usable by this process, RAM, OS and Python."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 1
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu_model(),
        "cores": usable,
        "physical_cores": psutil.cpu_count(logical=False),
        "ram_gib": round(psutil.virtual_memory().total / 1024**3, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "load_avg_1m": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
    }


def busy_warning(info: dict, threads: int) -> str | None:
    """A warning when other work already loads the CPU: with OpenMP threads competing for cores, small-matrix
    training can run tens of times slower, so figures from a busy machine are not comparable."""
    load = info.get("load_avg_1m")
    if load is not None and load + threads > info["cores"] + 0.5:
        return (f"the 1-minute load average is {load} on {info['cores']} cores before starting: other processes "
                f"compete with the {threads} benchmark threads, so the figures will be noisy and low")
    return None


def describe_machine(info: dict) -> str:
    load = "" if info.get("load_avg_1m") is None else f" · load average {info['load_avg_1m']} at start"
    return (f"{info['date']} · {info['cpu']} · {info['cores']} cores usable ({info['physical_cores']} physical) · "
            f"{info['ram_gib']} GiB RAM · {info['os']} · Python {info['python']}{load}")


# ------------------------------------------------------------------------------------------------ tables
def fmt_num(value: float | int | None, digits: int = 1) -> str:
    """1234.5 -> '1,234.5'; None or NaN -> 'n/a'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:,.{digits}f}"


def ratio(ours: float | None, theirs: float | None) -> float | None:
    """ours / theirs, None when either is missing or theirs is 0."""
    if ours is None or theirs is None or theirs == 0 or any(math.isnan(v) for v in (ours, theirs)):
        return None
    return ours / theirs


def fmt_ratio(ours: float | None, theirs: float | None) -> str:
    value = ratio(ours, theirs)
    return "n/a" if value is None else f"{value:.2f}x"


def fmt_diff(ours: float | None, theirs: float | None, digits: int = 1) -> str:
    """Signed difference for scores where a ratio reads badly (BLEU): '+2.3'."""
    if ours is None or theirs is None or any(math.isnan(v) for v in (ours, theirs)):
        return "n/a"
    return f"{ours - theirs:+.{digits}f}"


def first_per_source(sources: Sequence[str], per_source: int) -> list[int]:
    """Indices of the first `per_source` items of each source name, in order (0: every index). Prepared splits list
    their pairs in corpus order, so a plain first-N cut would hold one source."""
    taken: dict[str, int] = {}
    keep = []
    for i, name in enumerate(sources):
        if not per_source or taken.get(name, 0) < per_source:
            taken[name] = taken.get(name, 0) + 1
            keep.append(i)
    return keep


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[object]], align: str | None = None) -> str:
    """A GitHub markdown table; `align` is one letter per column (l, r, c), default left then right-aligned."""
    align = align or "l" + "r" * (len(headers) - 1)
    if len(align) != len(headers) or any(len(row) != len(headers) for row in rows):
        raise ValueError("markdown_table: every row and `align` must have one entry per header")
    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(3, *(len(r[i]) for r in cells)) for i in range(len(headers))]
    marks = {"l": lambda w: ":" + "-" * (w - 1), "r": lambda w: "-" * (w - 1) + ":",
             "c": lambda w: ":" + "-" * (w - 2) + ":"}

    def line(row: Sequence[str]) -> str:
        padded = [c.rjust(w) if a == "r" else c.ljust(w) for c, w, a in zip(row, widths, align)]
        return "| " + " | ".join(padded) + " |"

    sep = "| " + " | ".join(marks[a](w) for a, w in zip(align, widths)) + " |"
    return "\n".join([line(cells[0]), sep] + [line(r) for r in cells[1:]])
