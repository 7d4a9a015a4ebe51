"""The registry of named, idempotent fetch steps cached under WORDBRIDGE_HOME/assets/<name>.

An asset is fetched into a temp folder and renamed into place when its step succeeds, so a folder's presence means
the asset is complete (wordbridge.asset_paths finds it). Builders in assets/text.py and assets/images.py register here.
"""

import dataclasses
import logging
import shutil
from pathlib import Path
from typing import Callable

from wordbridge import paths
from wordbridge.atomic import atomic_dir
from wordbridge.errors import AssetError, choices_hint

log = logging.getLogger(__name__)

@dataclasses.dataclass(frozen=True)
class Asset:
    name: str
    description: str
    build: Callable[[Path], None]  # fills the given (temp) folder; raises AssetError when it cannot
    requires: tuple[str, ...] = ()  # assets that must be fetched first
    default: bool = True  # part of `wordbridge fetch` with no names


REGISTRY: dict[str, Asset] = {}


def register(asset: Asset) -> Asset:
    REGISTRY[asset.name] = asset
    return asset


def _order(names: list[str]) -> list[str]:
    seen: list[str] = []

    def visit(name: str) -> None:
        if name in seen:
            return
        for dep in REGISTRY[name].requires:
            visit(dep)
        seen.append(name)

    for name in names:
        visit(name)
    return seen


def fetch(names: list[str] | None = None, force: bool = False) -> dict[str, str]:
    """Fetch assets (all defaults when names is empty); returns {name: 'cached' | 'fetched' | 'failed: why'}.

    An asset that cannot be had here (no apt, no npm) is reported in one line and skipped; the rest go on.
    """
    registry = REGISTRY
    unknown = [n for n in names or [] if n not in registry]
    if unknown:
        raise AssetError(f"Unknown asset {choices_hint(unknown[0], registry)}")
    wanted = _order(list(names) if names else [n for n, a in registry.items() if a.default])
    status: dict[str, str] = {}
    for name in wanted:
        asset = registry[name]
        target = paths.asset_dir(name)
        forced = force and (not names or name in names)  # --force applies to the named assets, not their inputs
        if target.is_dir() and not forced:
            status[name] = "cached"
            log.info("[%s] cached", name)
            continue
        missing = [d for d in asset.requires if not paths.asset_dir(d).is_dir()]
        if missing:
            status[name] = f"failed: needs {', '.join(missing)}"
            log.warning("[%s] skipped: needs %s", name, ", ".join(missing))
            continue
        log.info("[%s] fetching: %s", name, asset.description)
        try:
            with atomic_dir(target, overwrite=True) as tmp:
                asset.build(tmp)
        except AssetError as exc:
            status[name] = f"failed: {exc}"
            log.warning("[%s] skipped: %s", name, exc)
            continue
        status[name] = "fetched"
        log.info("[%s] done (%s)", name, human_size(dir_size(target)))
    return status


def dir_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def human_size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def listing() -> list[tuple[str, bool, str, str]]:
    """(name, cached, size, description) for every known asset."""
    rows = []
    for name, asset in REGISTRY.items():
        folder = paths.asset_dir(name)
        cached = folder.is_dir()
        rows.append((name, cached, human_size(dir_size(folder)) if cached else "-", asset.description))
    return rows


def remove(name: str) -> None:
    shutil.rmtree(paths.asset_dir(name), ignore_errors=True)
