"""An image's own caption, when its gallery says what it shows: Tux Paint's `.txt` description beside a stamp, the
emoji name from emoji.json, or an entry of a `captions.json` ({relative path: caption}) at the gallery's root or
any folder above the image (what `wordbridge fetch photos` writes). Used by the index so that result cards show what
an image is rather than the folder it sits in.
"""

from __future__ import annotations

import functools
import json
import logging
from pathlib import Path

from wordbridge.devise.data import clean_description, parse_tuxpaint_txt

log = logging.getLogger(__name__)

CAPTIONS_FILE = "captions.json"
EMOJI_FILE = "emoji.json"


def _tuxpaint_caption(image: Path) -> str | None:
    txt = image.with_suffix(".txt")
    if not txt.is_file():
        return None
    try:
        english, _ = parse_tuxpaint_txt(txt.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return None
    return clean_description(english) or None


@functools.lru_cache(maxsize=32)
def _json_map(path: Path, mtime_ns: int) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.warning("%s: unreadable (%s); captions from it are left out", path, exc)
        return {}
    if path.name == EMOJI_FILE and isinstance(data, list):  # emoji-datasource: [{name, image, ...}]
        return {str(e.get("image")): str(e.get("name") or e.get("short_name") or "").lower()
                for e in data if isinstance(e, dict) and e.get("image")}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _lookup(path: Path) -> dict[str, str]:
    try:
        return _json_map(path, path.stat().st_mtime_ns)
    except OSError:
        return {}


def caption_of(image: Path, root: Path) -> str | None:
    """The caption of `image` (a file under gallery folder `root`), or None when its gallery has none."""
    caption = _tuxpaint_caption(image)
    if caption:
        return caption
    folder = image.parent
    while True:
        for name in (CAPTIONS_FILE, EMOJI_FILE):
            mapping = _lookup(folder / name) if (folder / name).is_file() else {}
            key = image.name if name == EMOJI_FILE else image.relative_to(folder).as_posix()
            if mapping.get(key):
                return mapping[key]
        if folder == root or folder.parent == folder or root not in folder.parents:
            return None
        folder = folder.parent
