"""`wordbridge prepare [CONFIG] [--src FILE --tgt FILE] [--corpus NAME] [--filter NAME ...] [--only-filter NAME ...]
[--out DIR] [--overwrite] [--set key=value ...]`: write a prepared data folder and print its stats.

Without CONFIG the defaults are those of the packaged configs/default.yaml (text/config.py declares them)."""

import argparse
import dataclasses

from wordbridge.commands import SUMMARIES
from wordbridge.config import load_sections, packaged_configs
from wordbridge.text.config import PrepareConfig
from wordbridge.text.filters import FILTERS
from wordbridge.text.named_corpora import CORPORA
from wordbridge.text.tokenize import KINDS


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "prepare", help=SUMMARIES["prepare"],
        description="Prepare parallel text for training. Flags override the config file, which overrides the "
                    "defaults (those of the packaged config `default`).",
    )
    defaults = PrepareConfig()
    p.add_argument("config", nargs="?", metavar="CONFIG",
                   help=f"YAML config or a packaged one by name ({', '.join(packaged_configs())}); its `data:` "
                        "section (default: the defaults of the packaged `default`)")
    p.add_argument("--src", metavar="FILE", help="line-aligned source (French) file, with --tgt")
    p.add_argument("--tgt", metavar="FILE", help="line-aligned target (English) file, with --src")
    p.add_argument("--corpus", metavar="NAME", help=f"named corpus ({', '.join(CORPORA)}; default: "
                   f"{defaults.corpus}) or a path (Tatoeba fra.txt / .tsv, .po/.mo, bible .db, help folder)")
    p.add_argument("--filter", dest="filters", action="append", metavar="NAME",
                   help=f"add a filter to the config's list, repeatable or comma-separated ({', '.join(FILTERS)}; "
                        f"default list: {', '.join(defaults.filters)})")
    p.add_argument("--only-filter", dest="only_filters", action="append", metavar="NAME",
                   help="use only these filters, replacing the config's list (repeatable; `--only-filter none` "
                        "for no filter)")
    p.add_argument("--tokenizer", choices=KINDS, help=f"tokenizer (default {defaults.tokenizer})")
    p.add_argument("--max-pairs", type=int, metavar="N", help="read at most N pairs")
    p.add_argument("--processes", type=int, metavar="N", help="tokeniser processes")
    p.add_argument("--out", metavar="DIR", help=f"output folder (default: data.out, {defaults.out})")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output folder")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config key, e.g. --set data.lowercase=false (repeatable)")
    p.set_defaults(func=run)


def _names(items: list[str] | None) -> tuple[str, ...]:
    return tuple(name for item in items or () for name in item.split(",") if name and name != "none")


def resolve_config(args: argparse.Namespace):
    """YAML (or defaults) <- --set overrides <- flags."""
    cfg = load_sections(args.config, {"data": PrepareConfig}, overrides=args.set)["data"]
    flags = {"src": args.src, "tgt": args.tgt, "corpus": args.corpus, "max_pairs": args.max_pairs,
             "processes": args.processes, "out": args.out, "tokenizer": getattr(args, "tokenizer", None)}
    changes = {k: v for k, v in flags.items() if v is not None}
    filters = _names(args.only_filters) if getattr(args, "only_filters", None) else cfg.filters
    added = [name for name in _names(args.filters) if name not in filters]
    if getattr(args, "only_filters", None) is not None or added:
        changes["filters"] = (*filters, *added)
    if args.corpus is not None and args.src is None:
        changes.update(src=None, tgt=None)  # --corpus wins over aligned files from the config
    return dataclasses.replace(cfg, **changes)


def run(args: argparse.Namespace) -> int:
    from wordbridge.text.pipeline import format_stats, prepare  # deferred: spaCy/sentencepiece load only to prepare

    cfg = resolve_config(args)
    stats = prepare(cfg, cfg.out, overwrite=args.overwrite)
    print(format_stats(stats))
    print(f"written to {cfg.out}")
    return 0
