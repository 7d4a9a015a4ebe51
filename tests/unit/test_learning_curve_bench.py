"""benchmarks/learning_curve.py: which snapshot scores each mark, how much budget a stopped run has left (from the
schedule position that snapshots and latest.pt record), and its argument checks."""

from pathlib import Path

import pytest
import torch

from wordbridge.train.runstate import RunFiles


@pytest.fixture(scope="module")
def curve(benchmarks):
    return benchmarks("common", "corpus_vocab", "learning_curve").learning_curve


def test_each_mark_takes_the_last_snapshot_at_or_before_it(curve):
    snaps = {Path("a"): 4.9, Path("b"): 25.3, Path("c"): 29.8, Path("d"): 49.7}
    assert curve.pick(snaps, 25, reached=49.7) == Path("b")  # 25.3: saved just after the minute
    assert curve.pick(snaps, 50, reached=49.7) == Path("d")  # within the slack of the run's end
    assert curve.pick(snaps, 100, reached=49.7) is None  # not reached yet
    assert curve.pick(snaps, 3, reached=49.7) is None  # no snapshot before it


def test_snapshots_record_the_schedule_position_and_a_stopped_run_has_the_rest_left(curve, tmp_path):
    model = torch.nn.Linear(2, 2)
    files = RunFiles(tmp_path, keep=3, model_args={}, config={})
    assert curve.minutes_left(tmp_path, 200) == 200  # nothing trained yet
    files.save("latest.pt", {"train": [], "valid": []}, model=model, step=7, extra={"time_pos": 0.3})
    (snap,) = (tmp_path / "checkpoints").glob("step-*.pt")
    assert curve.snapshot_minutes(snap, 200) == pytest.approx(60.0)
    assert curve.minutes_left(tmp_path, 200) == pytest.approx(140.0)


@pytest.mark.parametrize("argv, message", [
    (["--marks", "25,x"], "--marks must be minutes"),
    (["--marks", "25,300"], "beyond --minutes"),
    (["--minutes", "0"], "must be > 0"),
])
def test_bad_arguments_are_one_line_errors(curve, tmp_path, capsys, argv, message):
    (tmp_path / "stats.json").write_text("{}")
    with pytest.raises(SystemExit) as exc:
        curve.parse_args(["--prepared", str(tmp_path), *argv])
    assert exc.value.code == 2 and message in capsys.readouterr().err


def test_a_folder_that_is_not_prepared_is_refused(curve, tmp_path, capsys):
    with pytest.raises(SystemExit):
        curve.parse_args(["--prepared", str(tmp_path / "nope")])
    assert "not a prepared folder" in capsys.readouterr().err
