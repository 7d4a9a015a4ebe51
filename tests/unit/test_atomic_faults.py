"""A full disk and a power cut: the atomic writers flush to disk before renaming, and ENOSPC/EDQUOT is one line
with the previous file intact and no temp file left (tests/unit/test_atomic.py has the plain behaviour)."""

import argparse
import errno
import os

import pytest
import torch

from wordbridge import atomic
from wordbridge.atomic import atomic_dir, atomic_path, write_json
from wordbridge.cli import main
from wordbridge.errors import DiskFullError
from wordbridge.train.checkpoint import load_checkpoint, save_checkpoint
from wordbridge.train.runstate import RunFiles

LINE = r"^no space left on .+ while writing .+ \(needs ~\d+ MB\); "


def _full_disk_after(monkeypatch, n_bytes: int, err: int = errno.ENOSPC):
    """Make every Python file write fail with `err` once n_bytes have gone through io.FileIO.write."""
    real_open = open
    written = {"n": 0}

    class FullFile:
        def __init__(self, f):
            self._f = f

        def write(self, data):
            written["n"] += len(data)
            if written["n"] > n_bytes:
                raise OSError(err, os.strerror(err))
            return self._f.write(data)

        def __getattr__(self, name):
            return getattr(self._f, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self._f.close()

    def full_open(path, mode="r", *args, **kwargs):
        f = real_open(path, mode, *args, **kwargs)
        return FullFile(f) if "w" in mode else f

    monkeypatch.setattr("builtins.open", full_open)


def test_enospc_on_a_checkpoint_write_is_one_line_and_keeps_the_previous(tmp_path, monkeypatch):
    model = torch.nn.Linear(64, 64)
    path = save_checkpoint(tmp_path / "latest.pt", kind="t", model=model, step=1)
    before = path.read_bytes()
    _full_disk_after(monkeypatch, 100)
    with torch.no_grad():
        model.weight.add_(1.0)
    with pytest.raises(DiskFullError, match=LINE + "the previous latest.pt is intact$") as err:
        save_checkpoint(path, kind="t", model=model, step=2)
    monkeypatch.undo()
    assert "\n" not in str(err.value) and str(tmp_path / "latest.pt") in str(err.value)
    assert path.read_bytes() == before and load_checkpoint(path, "t")["step"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["latest.pt"]  # no temp file left


def test_first_checkpoint_on_a_full_disk_says_nothing_was_written(tmp_path, monkeypatch):
    _full_disk_after(monkeypatch, 0, errno.EDQUOT)
    big = torch.zeros(3_000_000)  # 12 MB: the size estimate comes from the tensors, not from what got written
    with pytest.raises(DiskFullError, match=r"quota exceeded.*\(needs ~1[23] MB\); nothing was written") as err:
        save_checkpoint(tmp_path / "best.pt", kind="t", model={"w": big})
    assert "best.pt" in str(err.value)
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []


def test_training_run_files_save_the_history_then_stop(tmp_path, monkeypatch):
    files = RunFiles(tmp_path, kind="t")
    files.save("latest.pt", {"train": [{"step": 1}], "valid": []}, model={"w": torch.zeros(4)}, step=1)

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(torch, "save", no_space)
    with pytest.raises(DiskFullError):
        files.save("latest.pt", {"train": [{"step": 1}, {"step": 2}], "valid": []}, model={"w": torch.ones(4)},
                   step=2)
    assert load_checkpoint(files.latest, "t")["step"] == 1
    assert len(files.load_history(99)["train"]) == 2  # the history got through; resume cuts it at latest.pt's step
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.json", "latest.pt", "loss.png"]


def test_atomic_dir_on_a_full_disk_keeps_the_old_folder(tmp_path):
    out = tmp_path / "index"
    with atomic_dir(out) as tmp:
        (tmp / "a").write_text("old")
    with pytest.raises(DiskFullError, match=LINE + "the previous index is intact$"):
        with atomic_dir(out, overwrite=True) as tmp:
            (tmp / "a").write_text("new")
            raise OSError(errno.ENOSPC, "No space left on device")
    assert (out / "a").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index"]


def test_a_torch_runtime_error_is_blamed_on_the_disk_only_when_it_is_full(tmp_path, monkeypatch):
    with pytest.raises(RuntimeError, match="unexpected pos"):
        with atomic_path(tmp_path / "x.pt"):
            raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 64 vs 0")
    monkeypatch.setattr(atomic.shutil, "disk_usage", lambda p: _Usage(free=4096))
    with pytest.raises(DiskFullError):
        with atomic_path(tmp_path / "x.pt"):
            raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 64 vs 0")
    assert list(tmp_path.iterdir()) == []


class _Usage:
    def __init__(self, free):
        self.free = free


def test_every_write_is_flushed_before_the_rename_and_the_folder_after(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(atomic.os, "fsync", lambda fd: (synced.append(os.readlink(f"/proc/self/fd/{fd}")),
                                                         real_fsync(fd)))
    write_json(tmp_path / "a.json", {"x": 1})
    assert len(synced) == 2 and synced[0].endswith(".tmp") and synced[1] == str(tmp_path)
    synced.clear()
    with atomic_dir(tmp_path / "out") as tmp:
        (tmp / "sub").mkdir()
        (tmp / "sub" / "f").write_text("1")
    assert any(s.endswith("/sub/f") for s in synced) and synced[-1] == str(tmp_path)


def test_folders_and_files_follow_the_umask(tmp_path):
    old = os.umask(0o002)
    try:
        with atomic_dir(tmp_path / "out") as tmp:
            (tmp / "f").write_text("1")
        write_json(tmp_path / "out2" / "a.json", {})
    finally:
        os.umask(old)
    assert os.stat(tmp_path / "out").st_mode & 0o777 == 0o775
    assert os.stat(tmp_path / "out2" / "a.json").st_mode & 0o777 == 0o664


def test_cli_prints_a_raw_enospc_as_one_line(monkeypatch, capsys):
    def full(args):
        raise OSError(errno.ENOSPC, "No space left on device", "/tmp/log.txt")

    monkeypatch.setattr("wordbridge.cli.build_parser", lambda: _parser(full))
    assert main(["x"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no space left on ") and "/tmp/log.txt" in err and err.count("\n") == 1


def _parser(func):
    p = argparse.ArgumentParser()
    p.add_argument("x")
    p.set_defaults(func=func, verbose=False)
    return p


def test_a_full_disk_inside_an_atomic_folder_names_the_folder(tmp_path):
    out = tmp_path / "prep"
    with pytest.raises(DiskFullError, match=LINE + "nothing was written to prep$") as err:
        with atomic_dir(out) as tmp:
            with atomic_path(tmp / "train.ids.npy"):
                raise OSError(errno.ENOSPC, "No space left on device")
    assert f"while writing {out} " in str(err.value)
    assert list(tmp_path.iterdir()) == []


def test_a_folder_of_many_files_is_flushed_with_one_sync(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(atomic.os, "sync", lambda: calls.append("sync"))
    monkeypatch.setattr(atomic, "MANY_FILES", 3)
    with atomic_dir(tmp_path / "many") as tmp:
        for i in range(4):
            (tmp / f"{i}.txt").write_text("x")
    assert calls == ["sync"] and len(list((tmp_path / "many").iterdir())) == 4
