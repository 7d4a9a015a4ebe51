"""`wordbridge` command line: argparse subcommands only. Each lives in wordbridge.commands.<name> and exposes
`register(subparsers)`, which adds its parser and sets `func` to a function taking the parsed args."""

import argparse
import logging
import sys
from pathlib import Path

from wordbridge import __version__
from wordbridge.atomic import NO_SPACE, device_of
from wordbridge.commands import (average, backtranslate, devise, distill, evaluate, export, fetch, lr_find, prepare,
                                 serve, train, translate)
from wordbridge.errors import WordbridgeError

COMMAND_MODULES = (fetch, prepare, train, lr_find, average, distill, evaluate, translate, backtranslate, export, devise,
                   serve)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wordbridge",
        description="French->English neural translation and DeViSE image search (the fast.ai NMT + DeViSE lesson).",
    )
    parser.add_argument("--version", action="version", version=f"wordbridge {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def setup_logging(verbose: bool = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(message)s",
        stream=sys.stderr,
    )


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    setup_logging(args.verbose)
    try:
        result = args.func(args)
    except WordbridgeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:
        if exc.errno not in NO_SPACE:  # a write outside wordbridge.atomic (a log file): still one line
            raise
        print(f"error: no space left on {device_of(Path(exc.filename or '.'))} while writing "
              f"{exc.filename or 'a file'}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return int(result or 0)
