"""Where a fetched asset lives: the one lookup every reader uses (the builders live in wordbridge.assets, which only
`wordbridge fetch` imports)."""

from pathlib import Path

from wordbridge import paths
from wordbridge.errors import AssetError


def path(name: str) -> Path:
    """Folder of a fetched asset; AssetError with the fetch command when it is missing."""
    folder = paths.asset_dir(name)
    if not folder.is_dir():
        raise AssetError(f"Asset '{name}' is not fetched; run `wordbridge fetch {name}`.")
    return folder


def is_cached(name: str) -> bool:
    return paths.asset_dir(name).is_dir()
