"""Atomic, durable writes: a temp file or folder beside the target, flushed to disk (fsync), then one rename, then the
folder's entry flushed too. A crash, kill -9 or power cut leaves the old target or the new one, never a mix; a full
disk (ENOSPC, EDQUOT) is one DiskFullError line naming the device, the path and the size needed, with the temp file
removed and the previous target untouched. Files and folders get the modes the umask gives (as open()/mkdir would).
"""

import contextlib
import errno
import json
import math
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

from wordbridge.errors import DataError, DiskFullError

NO_SPACE = (errno.ENOSPC, errno.EDQUOT)
MANY_FILES = 256  # a temp folder with more files is flushed with one os.sync()
LOW_SPACE_BYTES = 1 << 20  # a C++ writer (torch.save to a path, faiss) hides errno: below this free, blame the disk


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def fsync_path(path: str | Path) -> None:
    """Flush a file's (or folder's) data and metadata to disk. Folders on filesystems that cannot (EINVAL) pass."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except PermissionError:  # a umask that leaves the file unreadable to its owner: nothing we may flush
        return
    try:
        os.fsync(fd)
    except OSError as exc:
        if not Path(path).is_dir() or exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(fd)


def _fsync_tree(root: Path) -> None:
    """fsync every file and folder under root (bottom-up, so each folder's entries are on disk before it is); a tree
    of more than MANY_FILES files (a fetched package) is flushed by one os.sync() instead of thousands of fsyncs."""
    walk = list(os.walk(root, topdown=False))
    if sum(len(files) for _, _, files in walk) > MANY_FILES:
        os.sync()
        return
    for folder, _, files in walk:
        for name in files:
            if not os.path.islink(os.path.join(folder, name)):
                fsync_path(os.path.join(folder, name))
        fsync_path(folder)


def _flush(tmp: Path) -> None:
    """The first half of every commit: the temp file's (or folder's) bytes on disk before any rename."""
    if tmp.is_dir():
        _fsync_tree(tmp)
    else:
        fsync_path(tmp)


def _durable_replace(tmp: Path, target: Path) -> None:
    """The commit step of every writer: fsync the temp file or folder, rename it over target, fsync the folder."""
    _flush(tmp)
    os.replace(tmp, target)
    fsync_path(target.parent)


# ------------------------------------------------------------------------------------------------ a full disk
def is_disk_full(exc: BaseException, folder: Path) -> bool:
    """ENOSPC/EDQUOT anywhere in the exception's chain (torch.save wraps the OSError of a file object in a
    RuntimeError), or a RuntimeError while the folder's filesystem has (almost) no space left."""
    seen: BaseException | None = exc
    for _ in range(16):
        if seen is None:
            break
        if isinstance(seen, OSError) and seen.errno in NO_SPACE:
            return True
        seen = seen.__cause__ or seen.__context__
    if isinstance(exc, RuntimeError):
        with contextlib.suppress(OSError):
            return shutil.disk_usage(folder).free < LOW_SPACE_BYTES
    return False


def _quota(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    for _ in range(16):
        if seen is None:
            return False
        if isinstance(seen, OSError) and seen.errno == errno.EDQUOT:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _size(path: Path) -> int:
    """Bytes in a file, or in every file under a folder; 0 when missing."""
    if path.is_file():
        return path.stat().st_size
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())
    return 0


def device_of(path: Path) -> str:
    """'MOUNT (SOURCE)' of the filesystem holding path, e.g. '/mnt/run (tmpfs)'."""
    path = Path(os.path.abspath(path))
    while not path.exists() and path != path.parent:
        path = path.parent
    mount = path
    while not os.path.ismount(mount) and mount != mount.parent:
        mount = mount.parent
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/mounts").read_text().splitlines():
            fields = line.split()
            if len(fields) > 2 and fields[1].replace("\\040", " ") == str(mount):
                return f"{mount} ({fields[0]})"
    return str(mount)


def disk_full_error(exc: BaseException, target: Path, tmp: Path, size_hint: int | None = None) -> DiskFullError:
    """The one-line error: device, path, about how much space the write needs, and what is left as it was."""
    needed = max(size_hint or 0, _size(tmp), _size(target))
    mb = max(1, math.ceil(needed / 1e6))
    what = "no space left (disk quota exceeded)" if _quota(exc) else "no space left"
    kept = f"the previous {target.name} is intact" if target.exists() else f"nothing was written to {target.name}"
    return DiskFullError(f"{what} on {device_of(target.parent)} while writing {target} (needs ~{mb} MB); {kept}")


@contextlib.contextmanager
def _translate_disk_full(target: Path, tmp_of: list[Path], size_hint: int | None) -> Iterator[None]:
    try:
        yield
    except Exception as exc:  # a DiskFullError of a write nested inside is said again for this (outer) target
        if isinstance(exc, DiskFullError) or is_disk_full(exc, target.parent):
            raise disk_full_error(exc, target, tmp_of[0] if tmp_of else target, size_hint) from None
        raise


# ------------------------------------------------------------------------------------------------ the writers
@contextlib.contextmanager
def atomic_path(target: str | Path, size_hint: int | None = None) -> Iterator[Path]:
    """Yield a temp file path in the target's folder; on success flush it to disk and rename it over the target,
    else delete it. `size_hint`: about how many bytes the write needs (said in the error when the disk is full)."""
    target = Path(target)
    tmp: list[Path] = []
    try:
        with _translate_disk_full(target, tmp, size_hint):
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            os.close(fd)
            tmp.append(Path(name))
            os.chmod(name, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the mode open() would
            yield tmp[0]
            _durable_replace(tmp[0], target)
    finally:
        if tmp and tmp[0].exists():
            tmp[0].unlink()


def write_bytes(target: str | Path, data: bytes) -> None:
    with atomic_path(target, size_hint=len(data)) as tmp:
        tmp.write_bytes(data)


def write_text(target: str | Path, text: str) -> None:
    with atomic_path(target, size_hint=len(text.encode("utf-8"))) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(target: str | Path, obj) -> None:
    write_text(target, json.dumps(obj, indent=2, ensure_ascii=False) + "\n")


@contextlib.contextmanager
def atomic_dir(target: str | Path, overwrite: bool = False, size_hint: int | None = None) -> Iterator[Path]:
    """Yield a temp folder beside `target`; on success its files are flushed to disk and it replaces `target` in one
    rename.

    An existing non-empty target is refused unless overwrite=True (then it is replaced only after success).
    """
    target = Path(target)
    if target.exists() and any(target.iterdir()) and not overwrite:
        raise DataError(f"Output folder {target} already exists; pass --overwrite to replace it.")
    tmp: list[Path] = []
    try:
        with _translate_disk_full(target, tmp, size_hint):
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp.append(Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)))
            os.chmod(tmp[0], 0o777 & ~_umask())  # mkdtemp makes 0700; give the folder the mode mkdir would
            yield tmp[0]
            if target.exists():
                _flush(tmp[0])  # before the old folder moves aside: a full disk here leaves it in place
                old = target.with_name(f".{target.name}.old")
                shutil.rmtree(old, ignore_errors=True)
                os.replace(target, old)
                os.replace(tmp[0], target)
                fsync_path(target.parent)
                shutil.rmtree(old, ignore_errors=True)
            else:
                _durable_replace(tmp[0], target)
    finally:
        if tmp and tmp[0].exists():
            shutil.rmtree(tmp[0], ignore_errors=True)
