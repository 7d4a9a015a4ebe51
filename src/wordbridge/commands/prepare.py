"""`wordbridge prepare [CONFIG] [--src FILE --tgt FILE] [--corpus NAME] [--filter NAME ...] [--out DIR]
[--overwrite] [--set key=value ...]`: write a prepared data folder and print its stats."""

import argparse
import dataclasses

from wordbridge.config import load_sections
from wordbridge.text.config import PrepareConfig
from wordbridge.text.pipeline import format_stats, prepare


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "prepare", help="corpus -> filters -> tokens -> vocab -> ids + word vectors (a prepared data folder)",
        description="Prepare parallel text for training. Flags override the config file, which overrides defaults.",
    )
    p.add_argument("config", nargs="?", metavar="CONFIG", help="YAML config; its `data:` section is used")
    p.add_argument("--src", metavar="FILE", help="line-aligned source (French) file, with --tgt")
    p.add_argument("--tgt", metavar="FILE", help="line-aligned target (English) file, with --src")
    p.add_argument("--corpus", metavar="NAME", help="named corpus (default, bible, libreoffice-help, "
                   "libreoffice-ui, django) or a path")
    p.add_argument("--filter", dest="filters", action="append", metavar="NAME",
                   help="filter, repeatable, replaces the config's list (questions, max_length, length_ratio, dedup)")
    p.add_argument("--max-pairs", type=int, metavar="N", help="read at most N pairs")
    p.add_argument("--processes", type=int, metavar="N", help="tokeniser processes")
    p.add_argument("--out", metavar="DIR", help="output folder (default: data.out)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output folder")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config key, e.g. --set data.lowercase=false (repeatable)")
    p.set_defaults(func=run)


def resolve_config(args: argparse.Namespace):
    """YAML (or defaults) <- --set overrides <- flags."""
    cfg = load_sections(args.config, {"data": PrepareConfig}, overrides=args.set)["data"]
    flags = {"src": args.src, "tgt": args.tgt, "corpus": args.corpus, "max_pairs": args.max_pairs,
             "processes": args.processes, "out": args.out}
    changes = {k: v for k, v in flags.items() if v is not None}
    if args.filters:
        changes["filters"] = tuple(name for item in args.filters for name in item.split(",") if name)
    if args.corpus is not None and args.src is None:
        changes.update(src=None, tgt=None)  # --corpus wins over aligned files from the config
    return dataclasses.replace(cfg, **changes)


def run(args: argparse.Namespace) -> int:
    cfg = resolve_config(args)
    stats = prepare(cfg, cfg.out, overwrite=args.overwrite)
    print(format_stats(stats))
    print(f"written to {cfg.out}")
    return 0
