"""Debian package descriptions translated by DDTP (DATA.md "Everyday and narrative", last row): the fetch step.

apt keeps the `Translation-<lang>` index files only for the languages in `Acquire::Languages` (set to "none" on many
machines), so they are downloaded directly with `apt-helper download-file` from the Debian mirror apt is configured
with (`apt-get indextargets`), trying .xz, .bz2 and .gz: ddtp/Translation-fr.<ext> and Translation-en.<ext>
(about 9 MB). The corpus is named `ddtp` and stays out of `default`: 50k technical pairs would swamp everyday text.
"""

import logging
from pathlib import Path

from wordbridge.assets import sources
from wordbridge.assets.everyday import count_pairs
from wordbridge.assets.registry import Asset, register
from wordbridge.errors import AssetError

log = logging.getLogger(__name__)

APT_HELPER = "/usr/lib/apt/apt-helper"
FALLBACK_MIRROR = ("http://deb.debian.org/debian/", "bookworm")
SUFFIXES = (".xz", ".bz2", ".gz")


def debian_mirror() -> tuple[str, str]:
    """(mirror URI, release) of apt's main Debian source, e.g. ('http://deb.debian.org/debian/', 'bookworm')."""
    apt = sources.require_tool("apt-get", "the DDTP translations")
    listing = sources.run_tool([apt, "indextargets", "--format", "$(REPO_URI) $(RELEASE) $(COMPONENT)"],
                               "the apt index targets")
    for line in sorted(set(listing.splitlines())):
        parts = line.split()
        if len(parts) == 3 and parts[2] == "main" and "-" not in parts[1]:  # not -security / -updates
            return parts[0] if parts[0].endswith("/") else parts[0] + "/", parts[1]
    log.info("  no main Debian source in apt's configuration: trying %s %s", *FALLBACK_MIRROR)
    return FALLBACK_MIRROR


def download_translation(lang: str, mirror: tuple[str, str], out: Path) -> Path:
    """ddtp's Translation-<lang> index into OUT (the first compression the mirror has)."""
    uri, release = mirror
    errors = []
    for suffix in SUFFIXES:
        target = out / f"Translation-{lang}{suffix}"
        url = f"{uri}dists/{release}/main/i18n/Translation-{lang}{suffix}"
        try:
            sources.run_tool([APT_HELPER, "download-file", url, str(target)], url, timeout=600)
        except AssetError as exc:
            target.unlink(missing_ok=True)
            errors.append(str(exc))
            continue
        log.info("  downloaded %s", url)
        return target
    raise AssetError(f"cannot download Translation-{lang} ({errors[-1]})")


def build_ddtp(out: Path) -> None:
    mirror = debian_mirror()
    files = [download_translation(lang, mirror, out) for lang in ("fr", "en")]
    count_pairs("ddtp", out, sources.SkipLog(), {"source": f"Debian {mirror[1]} DDTP, {mirror[0]}",
                                                 "files": [f.name for f in files]})


register(Asset("ddtp", "Debian package descriptions, fr + en (DDTP Translation index files, 9 MB; not in default)",
               build_ddtp, default=False))
