"""fastText's progress: parsed from its terminal output, shown while it trains, other stderr passed on."""

import logging
import os

from wordbridge.assets.fasttext_progress import fasttext_progress, parse_progress


def test_parse_progress():
    line = "Progress:  42.1% words/sec/thread:  141101 lr:  0.02 avg.loss:  2.41 ETA:   0h 2m 3s"
    assert parse_progress(line) == 42.1
    assert parse_progress("Read 1M words") is None
    assert parse_progress("\rProgress: 10.0% x\rProgress: 20.5% y") == 20.5


def test_progress_written_to_stderr_becomes_log_lines(caplog, capfd):
    with caplog.at_level(logging.INFO, logger="wordbridge.assets.fasttext_progress"):
        with fasttext_progress("training") as verbose:
            assert verbose == 2
            for pct in (5.0, 15.0, 55.0, 100.0):
                os.write(2, f"\rProgress: {pct:5.1f}% words/sec/thread: 10 lr: 0.1 loss: 2.0 ETA: 0h 0m".encode())
            os.write(2, b"\nNumber of words:  12\n")
    logged = [r.getMessage().strip() for r in caplog.records]
    assert logged == ["training: 5%", "training: 15%", "training: 55%", "training: 100%"]
    assert "Number of words:  12" in capfd.readouterr().err
