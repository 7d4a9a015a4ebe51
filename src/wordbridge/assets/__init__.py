"""Offline assets: the fetch steps (builders) behind `wordbridge fetch`, a top layer that only commands/fetch.py uses.

Readers find a fetched asset with wordbridge.asset_paths; nothing below the commands imports this package.
"""

from wordbridge.assets import glove, images, parallel, photos, text  # noqa: F401  (each builder module registers its assets on import)
from wordbridge.assets import everyday, ddtp  # noqa: F401,I001  (after the older assets: `fetch --list` shows those first)
from wordbridge.assets import monolingual  # noqa: F401,I001  (last: en-mono holds out the corpora's English)
from wordbridge.assets.registry import REGISTRY, Asset, fetch, listing, register, remove

__all__ = ["REGISTRY", "Asset", "ddtp", "everyday", "fetch", "glove", "images", "listing", "monolingual", "parallel",
           "photos", "register", "remove", "text"]
