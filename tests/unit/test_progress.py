"""progress.bar: a live tqdm bar on a terminal; in a log file, whole lines at most every `every` seconds."""

import io
import time

from wordbridge import progress


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_a_log_file_gets_whole_lines_not_redraws():
    log = io.StringIO()
    for _ in progress.bar(range(40), desc="work", file=log, every=0.05, leave=True):
        time.sleep(0.005)
    text = log.getvalue()
    assert "\r" not in text and text.endswith("\n")
    lines = text.splitlines()
    assert 1 <= len(lines) <= 10 and all(line.startswith("work:") for line in lines)  # ~0.2 s at one per 0.05 s
    assert "40/40" in lines[-1]  # the final state is the last line


def test_a_short_loop_writes_nothing_to_a_log_file():
    log = io.StringIO()
    for _ in progress.bar(range(1000), desc="quick", file=log, every=60):
        pass
    assert log.getvalue() == ""


def test_a_terminal_gets_the_live_bar():
    tty = _Terminal()
    for _ in progress.bar(range(5), desc="live", file=tty, mininterval=0):
        pass
    assert "\r" in tty.getvalue() and "5/5" in tty.getvalue()


def test_stacked_bars_write_no_cursor_moves_to_a_log_file():
    log = io.StringIO()
    with progress.bar(total=3, desc="rank 1", file=log, every=0, delay=0, position=1) as bar:
        bar.update(3)
    assert "\x1b" not in log.getvalue() and "3/3" in log.getvalue()


def test_set_postfix_waits_for_the_next_line_in_a_log_file():
    log = io.StringIO()
    with progress.bar(total=200, desc="features", file=log, every=60, delay=0) as bar:
        for i in range(200):
            bar.update(1)
            bar.set_postfix(skipped=i)  # tqdm would redraw (one log line) on each call
    assert len(log.getvalue().splitlines()) <= 3
