"""Pairs per source of the `default` corpus (and of named corpora outside it), read and filtered exactly as
`wordbridge prepare` reads them, printed as a Markdown table (docs/data-everyday.md). No tokenising: seconds to a
few minutes.

    PYTHONPATH=src nice -n 10 python3 scripts/count_sources.py [configs/default.yaml] [--extra ddtp] [--set k=v ...]
"""

import argparse
import dataclasses
import json
import logging

from wordbridge import asset_paths
from wordbridge.config import load_sections
from wordbridge.text.config import PrepareConfig
from wordbridge.text.everyday_corpora import SOURCES
from wordbridge.text.named_corpora import CORPORA
from wordbridge.text.reading import read_and_filter

ASSET = {s.name: s.asset for s in SOURCES}


def package(source: str) -> str:
    name = ASSET.get(source, source)
    info = asset_paths.path(name) / "info.json" if asset_paths.is_cached(name) else None
    text = json.loads(info.read_text())["source"] if info and info.is_file() else "-"
    items = text.split(", ")
    return text if len(items) <= 3 else f"{items[0]}, {items[1]}, ... ({len(items)} packages)"


def rows(cfg: PrepareConfig) -> list[tuple[str, dict]]:
    *_, per_source = read_and_filter(cfg)
    return list(per_source.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("config", nargs="?", default="configs/default.yaml")
    parser.add_argument("--extra", nargs="*", default=["ddtp"],
                        help="named corpora outside default, counted alone and without data.max_per_source")
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    cfg = load_sections(args.config, {"data": PrepareConfig}, args.overrides)["data"]
    table = rows(cfg)
    for name in args.extra:
        table += rows(dataclasses.replace(cfg, corpus=name, sources=None, max_per_source=None))
    print("| source | package | group | pairs read | kept |")
    print("|---|---|---|---:|---:|")
    for source, counts in table:
        capped = " (capped)" if counts["capped"] else ""
        print(f"| {source} | {package(source)} | {CORPORA[source].group} | {counts['read']:,} | "
              f"{counts['kept']:,}{capped} |")
    for group in ("everyday", "technical"):
        kept = sum(c["kept"] for s, c in table if CORPORA[s].group == group and s not in args.extra)
        print(f"\n{group} in default: {kept:,} pairs kept", end="")
    print()


if __name__ == "__main__":
    main()
