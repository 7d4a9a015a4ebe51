"""`wordbridge` command line: argparse subcommands only. Each lives in wordbridge.commands.<name> and exposes
`register(subparsers)`, which adds its parser and sets `func` to a function taking the parsed args.

Only the command being run is imported: the others appear in `wordbridge --help` by their one-line summary
(commands.SUMMARIES), so the help and every command's start pay for no other command's imports."""

import argparse
import importlib
import logging
import sys
from pathlib import Path
from types import ModuleType

from wordbridge import __version__
from wordbridge.atomic import NO_SPACE, device_of
from wordbridge.commands import SUMMARIES, module_name
from wordbridge.errors import WordbridgeError

GLOBAL_FLAGS = ("-h", "--help", "--version", "-v", "--verbose")


def command_module(command: str) -> ModuleType:
    return importlib.import_module(module_name(command))


def build_parser(only: str | None = None, full: bool = True) -> argparse.ArgumentParser:
    """The CLI parser. full=True registers every command's arguments; full=False only those of `only` (the command
    being run) and a summary line for the others."""
    parser = argparse.ArgumentParser(
        prog="wordbridge",
        description="French->English neural translation and DeViSE image search (the fast.ai NMT + DeViSE lesson).",
    )
    parser.add_argument("--version", action="version", version=f"wordbridge {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command, summary in SUMMARIES.items():
        if full or command == only:
            command_module(command).register(sub)
        else:
            sub.add_parser(command, help=summary, add_help=False)
    return parser


def invoked_command(argv: list[str]) -> str | None:
    """The subcommand named on the command line (the first word that is not a global flag), if it is one."""
    for arg in argv:
        if arg not in GLOBAL_FLAGS:
            return arg if arg in SUMMARIES else None
    return None


def setup_logging(verbose: bool = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(message)s",
        stream=sys.stderr,
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(only=invoked_command(argv), full=False)
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
