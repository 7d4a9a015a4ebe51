"""Offline assets: the fetch steps (builders) behind `wordbridge fetch`, a top layer that only commands/fetch.py uses.

Readers find a fetched asset with wordbridge.asset_paths; nothing below the commands imports this package.
"""

from wordbridge.assets import glove, images, parallel, photos, text  # noqa: F401  (each builder module registers its assets on import)
from wordbridge.assets import everyday, ddtp  # noqa: F401  (imported last: `fetch --list` shows the older assets first)
from wordbridge.assets.registry import REGISTRY, Asset, fetch, listing, register, remove

__all__ = ["REGISTRY", "Asset", "ddtp", "everyday", "fetch", "glove", "images", "listing", "parallel", "photos", "register", "remove", "text"]
