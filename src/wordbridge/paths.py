"""Where wordbridge keeps its cache of offline assets (WORDBRIDGE_HOME, default ~/.cache/wordbridge)."""

import os
from pathlib import Path


def home() -> Path:
    """The cache root; created on first use."""
    root = Path(os.environ.get("WORDBRIDGE_HOME") or Path.home() / ".cache" / "wordbridge").expanduser()
    root.mkdir(parents=True, exist_ok=True)
    return root


def asset_dir(name: str) -> Path:
    """Folder of one cached asset (not created: its presence marks the asset as fetched)."""
    return home() / "assets" / name
